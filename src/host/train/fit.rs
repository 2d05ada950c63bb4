//! The training loop: mini-batches, truncated BPTT, optimiser steps, validation.

use std::format;
use std::time::Instant;
use std::vec;
use std::vec::Vec;

use super::bptt::{softmax_head, Workspace};
use super::data::Dataset;
use super::loss::{Loss, TargetMode, Window};
use super::model::TrainModel;
use super::optim::{clip_grad_norm, Optimizer, OptimizerState};
use super::rng::Rng;
use super::TrainError;
use crate::activation::Activation;

/// Everything [`fit`] needs besides the model and data.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Sequences per mini-batch (their gradients are averaged by the loss's normaliser).
    pub batch_size: usize,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// The loss.
    pub loss: Loss,
    /// Clip the gradient's Euclidean norm to this (PyTorch's `clip_grad_norm_`).
    pub clip_norm: Option<f32>,
    /// Truncated BPTT: an optimiser step every `window` steps of a batch, the state carried
    /// over (gradients do not flow across windows). `None`: one step per whole sequence.
    pub window: Option<usize>,
    /// Steps at the start of every sequence run forward only, to settle the state: no loss,
    /// no gradient (as amp-modelling trainers do).
    pub warmup: usize,
    /// Seed of the shuffling (the model's initialisation has its own).
    pub seed: u64,
    /// Shuffle the sequences every epoch.
    pub shuffle: bool,
    /// Worker threads for the sequences of a batch (0: all cores). Results do not depend on
    /// it: per-sequence gradients are summed in sequence order.
    pub threads: usize,
    /// Early stopping: stop when the validation loss has not improved for this many epochs.
    /// With a validation set the best epoch's parameters are restored at the end.
    pub patience: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 16,
            optimizer: Optimizer::adam(1e-3),
            loss: Loss::Mse,
            clip_norm: None,
            window: None,
            warmup: 0,
            seed: 0,
            shuffle: true,
            threads: 0,
            patience: None,
        }
    }
}

/// What [`fit`] reports to its progress callback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Progress {
    /// After every optimiser step.
    Step {
        /// Epoch (0-based).
        epoch: usize,
        /// Optimiser step within the epoch (1-based).
        step: usize,
        /// Optimiser steps per epoch.
        steps: usize,
        /// The loss of this step's batch window.
        loss: f64,
    },
    /// After every epoch.
    Epoch(EpochStats),
}

/// Losses of one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochStats {
    /// Epoch (0-based).
    pub epoch: usize,
    /// Mean of the epoch's step losses.
    pub train_loss: f64,
    /// Loss on the validation set after the epoch.
    pub val_loss: Option<f64>,
    /// Arg-max accuracy on the validation set (cross-entropy only).
    pub val_accuracy: Option<f64>,
    /// Wall time of the epoch, validation included.
    pub seconds: f64,
}

/// The outcome of [`fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    /// Per-epoch losses.
    pub epochs: Vec<EpochStats>,
    /// The epoch whose parameters the model holds at the end (the best validation loss when
    /// there is a validation set, else the last).
    pub best_epoch: usize,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Optimiser steps taken.
    pub steps: u64,
    /// Sequence steps trained (forward + backward) per second of training time.
    pub samples_per_second: f64,
    /// Total wall time.
    pub seconds: f64,
}

/// Loss (and accuracy) of a model on a data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// The loss over all counted steps of all sequences (warm-up excluded).
    pub loss: f64,
    /// Fraction of counted steps whose arg-max output matches the target's (meaningful for
    /// classification).
    pub accuracy: f64,
}

struct Item {
    ws: Workspace,
    grad: Vec<f32>,
    dy: Vec<f32>,
    scratch: Vec<f32>,
    prev_y: Vec<f32>,
    num: f64,
    seq: usize,
}

fn thread_count(requested: usize, items: usize) -> usize {
    let t = if requested == 0 { std::thread::available_parallelism().map_or(1, usize::from) } else { requested };
    t.clamp(1, items.max(1))
}

/// Runs `f` on every item, spread over `threads` scoped threads in contiguous chunks.
fn par_each<T: Send, F: Fn(&mut T) + Sync>(items: &mut [T], threads: usize, f: F) {
    if threads <= 1 || items.len() <= 1 {
        items.iter_mut().for_each(f);
        return;
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let mut rest = items;
        while !rest.is_empty() {
            let (now, later) = rest.split_at_mut(chunk.min(rest.len()));
            rest = later;
            if rest.is_empty() {
                now.iter_mut().for_each(f);
            } else {
                s.spawn(move || now.iter_mut().for_each(f));
            }
        }
    });
}

/// Whether the loss gradient can skip the softmax Jacobian (cross-entropy on a softmax head).
fn fused_softmax(model: &TrainModel, loss: Loss) -> bool {
    loss == Loss::CrossEntropy && model.skip() == 0 && softmax_head(model)
}

fn check_data(model: &TrainModel, data: &Dataset, what: &str) -> Result<(), TrainError> {
    if data.input_size() != model.input_size() || data.output_size() != model.output_size() {
        return Err(TrainError::Data(format!(
            "{what} set is {} in / {} out, the model {} in / {} out",
            data.input_size(),
            data.output_size(),
            model.input_size(),
            model.output_size()
        )));
    }
    if data.is_empty() {
        return Err(TrainError::Data(format!("{what} set is empty")));
    }
    Ok(())
}

/// Trains `model` on `train` with activations `A` (the same kernels the deployed model runs
/// with that activation type). Calls `progress` after every optimiser step and epoch.
///
/// Per batch: every sequence starts from the model's initial state, runs `warmup` steps
/// forward only, then windows of `window` steps: forward with trace, loss, backward through
/// the window, gradients summed over the batch in sequence order, clipped, one optimiser
/// step; the state carries into the next window. Deterministic for a given seed, whatever
/// the thread count.
pub fn fit<A: Activation>(
    model: &mut TrainModel,
    train: &Dataset,
    val: Option<&Dataset>,
    cfg: &TrainConfig,
    mut progress: impl FnMut(&Progress),
) -> Result<TrainReport, TrainError> {
    check_data(model, train, "training")?;
    if let Some(v) = val {
        check_data(model, v, "validation")?;
    }
    cfg.optimizer.check().map_err(|m| TrainError::Config(m.into()))?;
    if cfg.batch_size == 0 {
        return Err(TrainError::Config("batch size is 0".into()));
    }
    let steps = train.steps();
    if cfg.warmup >= steps {
        return Err(TrainError::Config(format!("warm-up {} leaves nothing of {steps}-step sequences", cfg.warmup)));
    }
    let window = cfg.window.unwrap_or(steps - cfg.warmup).min(steps - cfg.warmup);
    if window == 0 {
        return Err(TrainError::Config("window is 0".into()));
    }
    if let Some(c) = cfg.clip_norm {
        if !(c.is_finite() && c > 0.0) {
            return Err(TrainError::Config(format!("clip norm {c} must be finite and > 0")));
        }
    }
    if let Loss::Esr { pre_emphasis } = cfg.loss {
        if !(0.0..1.0).contains(&pre_emphasis) {
            return Err(TrainError::Config(format!("pre-emphasis {pre_emphasis} is not in [0, 1)")));
        }
    }
    let fused = fused_softmax(model, cfg.loss);
    let (ni, no) = (model.input_size(), model.output_size());
    let batch = cfg.batch_size.min(train.len());
    let threads = thread_count(cfg.threads, batch);
    let np = model.param_count();
    let mut items: Vec<Item> = (0..batch)
        .map(|_| Item {
            ws: Workspace::new(model, window),
            grad: vec![0.0; np],
            dy: vec![0.0; window * no],
            scratch: vec![0.0; cfg.warmup.max(1) * no],
            prev_y: vec![0.0; no],
            num: 0.0,
            seq: 0,
        })
        .collect();
    let mut opt = OptimizerState::new(cfg.optimizer, np);
    let mut g64 = vec![0.0f64; np];
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = Rng::new(cfg.seed);
    let windows_per_batch = (steps - cfg.warmup).div_ceil(window);
    let steps_per_epoch = train.len().div_ceil(batch) * windows_per_batch;
    let mut report = TrainReport {
        epochs: Vec::new(),
        best_epoch: 0,
        stopped_early: false,
        steps: 0,
        samples_per_second: 0.0,
        seconds: 0.0,
    };
    let mut best: Option<(f64, Vec<f32>)> = None;
    let t_all = Instant::now();
    let mut train_time = 0.0;
    let mut trained_samples = 0usize;
    for epoch in 0..cfg.epochs {
        let t_epoch = Instant::now();
        if cfg.shuffle {
            rng.shuffle(&mut order);
        }
        let mut loss_sum = 0.0;
        let mut loss_n = 0usize;
        let mut step_in_epoch = 0;
        for seqs in order.chunks(batch) {
            let items = &mut items[..seqs.len()];
            for (it, &s) in items.iter_mut().zip(seqs) {
                it.seq = s;
            }
            let m: &TrainModel = model;
            par_each(items, threads, |it| {
                it.ws.state.reset(m);
                it.prev_y.fill(0.0);
                if cfg.warmup > 0 {
                    let out = &mut it.scratch[..cfg.warmup * no];
                    it.ws.run::<A>(m, &train.input(it.seq)[..cfg.warmup * ni], out);
                    it.prev_y.copy_from_slice(&out[(cfg.warmup - 1) * no..]);
                }
            });
            let mut start = cfg.warmup;
            while start < steps {
                let end = (start + window).min(steps);
                let t0 = Instant::now();
                let win = |s: usize| Window {
                    target: train.target(s),
                    outputs: no,
                    start,
                    end,
                    len: steps,
                    mode: train.mode(),
                };
                let denom: f64 = items.iter().map(|it| win(it.seq).denominator(cfg.loss)).sum();
                let m: &TrainModel = model;
                if denom == 0.0 {
                    // No target in this window (sequence to one): carry the state forward.
                    par_each(items, threads, |it| {
                        let x = &train.input(it.seq)[start * ni..end * ni];
                        let out = &mut it.dy[..(end - start) * no];
                        it.ws.run::<A>(m, x, out);
                        it.prev_y.copy_from_slice(&out[(end - start - 1) * no..]);
                    });
                    start = end;
                    continue;
                }
                let inv = 1.0 / denom;
                par_each(items, threads, |it| {
                    let x = &train.input(it.seq)[start * ni..end * ni];
                    it.ws.forward::<A>(m, x);
                    let w = end - start;
                    let dy = &mut it.dy[..w * no];
                    it.num = win(it.seq).numerator(
                        cfg.loss,
                        &it.ws.out[..w * no],
                        &it.prev_y,
                        inv,
                        fused.then(|| &it.ws.logits[..w * no]),
                        dy,
                    );
                    it.prev_y.copy_from_slice(&it.ws.out[(w - 1) * no..w * no]);
                    it.grad.fill(0.0);
                    it.ws.backward::<A>(m, x, dy, fused, &mut it.grad);
                });
                g64.iter_mut().for_each(|g| *g = 0.0);
                let mut num = 0.0;
                for it in items.iter() {
                    num += it.num;
                    for (a, &b) in g64.iter_mut().zip(&it.grad) {
                        *a += b as f64;
                    }
                }
                let loss = num * inv;
                if !loss.is_finite() || !g64.iter().all(|g| g.is_finite()) {
                    return Err(TrainError::Diverged { epoch, step: report.steps as usize });
                }
                if let Some(c) = cfg.clip_norm {
                    clip_grad_norm(&mut g64, c as f64);
                }
                opt.step(model.params_mut(), &g64);
                model.repack();
                report.steps += 1;
                step_in_epoch += 1;
                trained_samples += items.len() * (end - start);
                train_time += t0.elapsed().as_secs_f64();
                loss_sum += loss;
                loss_n += 1;
                progress(&Progress::Step { epoch, step: step_in_epoch, steps: steps_per_epoch, loss });
                start = end;
            }
        }
        let (val_loss, val_accuracy) = match val {
            Some(v) => {
                let e = evaluate_with::<A>(model, v, cfg.loss, cfg.warmup, cfg.threads)?;
                (Some(e.loss), (cfg.loss == Loss::CrossEntropy).then_some(e.accuracy))
            }
            None => (None, None),
        };
        let stats = EpochStats {
            epoch,
            train_loss: if loss_n > 0 { loss_sum / loss_n as f64 } else { f64::NAN },
            val_loss,
            val_accuracy,
            seconds: t_epoch.elapsed().as_secs_f64(),
        };
        report.epochs.push(stats);
        progress(&Progress::Epoch(stats));
        report.best_epoch = epoch;
        if let Some(vl) = val_loss {
            let improved = best.as_ref().is_none_or(|(b, _)| vl < *b);
            if improved {
                best = Some((vl, model.params().to_vec()));
            }
            let best_epoch = report
                .epochs
                .iter()
                .enumerate()
                .filter_map(|(k, e)| e.val_loss.map(|l| (k, l)))
                .fold((0, f64::INFINITY), |acc, (k, l)| if l < acc.1 { (k, l) } else { acc })
                .0;
            report.best_epoch = best_epoch;
            if let Some(p) = cfg.patience {
                if epoch - best_epoch >= p && epoch + 1 < cfg.epochs {
                    report.stopped_early = true;
                    break;
                }
            }
        }
    }
    if let Some((_, params)) = best {
        model.set_params(&params)?;
    }
    report.seconds = t_all.elapsed().as_secs_f64();
    report.samples_per_second = if train_time > 0.0 { trained_samples as f64 / train_time } else { 0.0 };
    Ok(report)
}

/// The model's loss (and arg-max accuracy) on `data`, every sequence from the initial
/// state, the first `warmup` steps excluded. Uses all cores.
pub fn evaluate<A: Activation>(
    model: &TrainModel,
    data: &Dataset,
    loss: Loss,
    warmup: usize,
) -> Result<Evaluation, TrainError> {
    evaluate_with::<A>(model, data, loss, warmup, 0)
}

fn evaluate_with<A: Activation>(
    model: &TrainModel,
    data: &Dataset,
    loss: Loss,
    warmup: usize,
    threads: usize,
) -> Result<Evaluation, TrainError> {
    check_data(model, data, "evaluation")?;
    let steps = data.steps();
    if warmup >= steps {
        return Err(TrainError::Config(format!("warm-up {warmup} leaves nothing of {steps}-step sequences")));
    }
    let fused = fused_softmax(model, loss);
    let no = model.output_size();
    struct Eval {
        seq: usize,
        ws: Workspace,
        out: Vec<f32>,
        dy: Vec<f32>,
        res: (f64, f64, usize, usize),
    }
    let threads = thread_count(threads, data.len());
    let per = data.len().div_ceil(threads);
    let mut jobs: Vec<Eval> = (0..threads)
        .map(|_| Eval {
            seq: 0,
            ws: Workspace::new(model, 0),
            out: vec![0.0; steps * no],
            dy: vec![0.0; steps * no],
            res: (0.0, 0.0, 0, 0),
        })
        .collect();
    let mut total = (0.0, 0.0, 0, 0);
    // Each job takes a contiguous range of sequences; the partial sums are added in order.
    for (k, j) in jobs.iter_mut().enumerate() {
        j.seq = k * per;
    }
    par_each(&mut jobs, threads, |j| {
        for s in j.seq..(j.seq + per).min(data.len()) {
            j.ws.state.reset(model);
            j.ws.run::<A>(model, data.input(s), &mut j.out);
            let w = Window { target: data.target(s), outputs: no, start: 0, end: steps, len: steps, mode: data.mode() };
            let w = Window { start: warmup, ..w };
            let prev = if warmup > 0 { j.out[(warmup - 1) * no..warmup * no].to_vec() } else { vec![0.0; no] };
            let logits = fused.then(|| &j.ws.logits[warmup * no..steps * no]);
            let num = w.numerator(loss, &j.out[warmup * no..], &prev, 1.0, logits, &mut j.dy[warmup * no..]);
            let den = w.denominator(loss);
            let (hit, n) = w.correct(&j.out[warmup * no..]);
            j.res = (j.res.0 + num, j.res.1 + den, j.res.2 + hit, j.res.3 + n);
        }
    });
    for j in &jobs {
        total = (total.0 + j.res.0, total.1 + j.res.1, total.2 + j.res.2, total.3 + j.res.3);
    }
    let loss = if total.1 > 0.0 { total.0 / total.1 } else { 0.0 };
    let accuracy = if total.3 > 0 { total.2 as f64 / total.3 as f64 } else { 0.0 };
    Ok(Evaluation { loss, accuracy })
}

/// The loss of one sequence and its full-BPTT gradient with respect to every parameter
/// (laid out like [`TrainModel::params`]; see [`TrainModel::tensors`] for the names), from the
/// model's initial state. `input` is `(T, I)`, `target` `(T, O)` or `(O)` by `mode`.
pub fn gradients<A: Activation>(
    model: &TrainModel,
    input: &[f32],
    target: &[f32],
    loss: Loss,
    mode: TargetMode,
) -> Result<(f64, Vec<f32>), TrainError> {
    let (ni, no) = (model.input_size(), model.output_size());
    if input.is_empty() || !input.len().is_multiple_of(ni) {
        return Err(TrainError::Data(format!("input has {} values, not whole rows of {ni}", input.len())));
    }
    let steps = input.len() / ni;
    let want = match mode {
        TargetMode::Sequence => steps * no,
        TargetMode::Last => no,
    };
    if target.len() != want {
        return Err(TrainError::Data(format!("target has {} values, expected {want}", target.len())));
    }
    let fused = fused_softmax(model, loss);
    let mut ws = Workspace::new(model, steps);
    ws.forward::<A>(model, input);
    let w = Window { target, outputs: no, start: 0, end: steps, len: steps, mode };
    let denom = w.denominator(loss);
    let inv = if denom > 0.0 { 1.0 / denom } else { 0.0 };
    let mut dy = vec![0.0; steps * no];
    let logits = fused.then(|| &ws.logits[..steps * no]);
    let num = w.numerator(loss, &ws.out[..steps * no], &vec![0.0; no], inv, logits, &mut dy);
    let mut grads = vec![0.0; model.param_count()];
    ws.backward::<A>(model, input, &dy, fused, &mut grads);
    Ok((num * inv, grads))
}

/// Runs the model over `input` (`(T, I)`) from its initial state; returns `(T, O)`.
pub fn predict<A: Activation>(model: &TrainModel, input: &[f32]) -> Result<Vec<f32>, TrainError> {
    let ni = model.input_size();
    if !input.len().is_multiple_of(ni) {
        return Err(TrainError::Data(format!("input has {} values, not whole rows of {ni}", input.len())));
    }
    let mut ws = Workspace::new(model, 0);
    let mut out = vec![0.0; input.len() / ni * model.output_size()];
    ws.run::<A>(model, input, &mut out);
    Ok(out)
}
