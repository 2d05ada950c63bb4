//! The training side of `tinyrnn train` and `tinyrnn grad` (feature `cli`): everything but
//! argument parsing and reading the input files, so the binary stays a thin layer.

use std::format;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use indicatif::{ProgressBar, ProgressStyle};

use super::{fit, gradients, write_loss_plot, Dataset, Loss, Optimizer, Progress, TargetMode, TrainConfig};
use super::{TrainError, TrainModel, TrainReport};
use crate::activation::Activation;
use crate::cell::{CellKind, DenseActivation, RnnNonlinearity};

/// Options of `tinyrnn train`.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// `lstm`, `gru`, `rnn` (tanh), `rnn-relu` or `cifg`.
    pub cell: String,
    /// Hidden size.
    pub hidden: usize,
    /// Stacked recurrent layers.
    pub layers: usize,
    /// Add the residual `y += x[..min(I, O)]`.
    pub skip: bool,
    /// Fine-tune this model file instead of starting from a fresh one.
    pub init_model: Option<PathBuf>,
    /// Maximum epochs.
    pub epochs: usize,
    /// Seed of the initialisation and shuffling.
    pub seed: u64,
    /// Adam learning rate.
    pub lr: f32,
    /// Fraction of the segments held out for validation (from the end).
    pub val_split: f32,
    /// Segment length (steps) the recording is cut into.
    pub segment: usize,
    /// Truncated-BPTT window (steps).
    pub window: usize,
    /// Warm-up steps per segment (no loss).
    pub warmup: usize,
    /// Segments per batch.
    pub batch: usize,
    /// `esr` (with pre-emphasis 0.85), `esr-plain` or `mse`.
    pub loss: String,
    /// Early-stopping patience (epochs).
    pub patience: usize,
    /// Draw a progress bar.
    pub progress: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            cell: "lstm".into(),
            hidden: 16,
            layers: 1,
            skip: false,
            init_model: None,
            epochs: 50,
            seed: 0,
            lr: 5e-3,
            val_split: 0.1,
            segment: 2048,
            window: 512,
            warmup: 256,
            batch: 8,
            loss: "esr".into(),
            patience: 10,
            progress: true,
        }
    }
}

/// Parses a cell name of the CLI.
pub fn parse_cell(name: &str) -> Result<CellKind, TrainError> {
    Ok(match name {
        "lstm" => CellKind::Lstm,
        "gru" => CellKind::Gru,
        "rnn" | "rnn-tanh" => CellKind::Rnn(RnnNonlinearity::Tanh),
        "rnn-relu" => CellKind::Rnn(RnnNonlinearity::Relu),
        "cifg" => CellKind::Cifg,
        other => return Err(TrainError::Config(format!("cell \"{other}\" (expected lstm, gru, rnn, rnn-relu, cifg)"))),
    })
}

fn parse_loss(name: &str) -> Result<Loss, TrainError> {
    Ok(match name {
        "esr" => Loss::Esr { pre_emphasis: 0.85 },
        "esr-plain" => Loss::Esr { pre_emphasis: 0.0 },
        "mse" => Loss::Mse,
        other => return Err(TrainError::Config(format!("loss \"{other}\" (expected esr, esr-plain, mse)"))),
    })
}

/// What `tinyrnn train` produced.
#[derive(Clone, Debug)]
pub struct TrainOutcome {
    /// The trained model (best validation epoch).
    pub model: TrainModel,
    /// Losses per epoch and throughput.
    pub report: TrainReport,
    /// The loss-curve SVG written next to the model.
    pub plot: PathBuf,
}

/// Trains on one recording, `x` `(T, I)` and `y` `(T, O)` row-major, writes the model to
/// `output` (safetensors `state_dict`) and the loss plot beside it (`.svg`).
pub fn train_command<A: Activation>(
    x: &[f32],
    inputs: usize,
    y: &[f32],
    outputs: usize,
    opts: &TrainOptions,
    output: &Path,
) -> Result<TrainOutcome, TrainError> {
    let data = Dataset::from_audio(x, y, inputs, outputs, opts.segment)?;
    let (train, val) = data.split(opts.val_split)?;
    let mut model = match &opts.init_model {
        Some(path) => TrainModel::load(path)?,
        None => {
            let skip = if opts.skip { inputs.min(outputs) } else { 0 };
            TrainModel::stacked(
                parse_cell(&opts.cell)?,
                inputs,
                opts.hidden,
                opts.layers,
                Some((outputs, DenseActivation::Identity)),
                skip,
                opts.seed,
            )?
        }
    };
    let cfg = TrainConfig {
        epochs: opts.epochs,
        batch_size: opts.batch,
        optimizer: Optimizer::adam(opts.lr),
        loss: parse_loss(&opts.loss)?,
        clip_norm: Some(1.0),
        window: Some(opts.window),
        warmup: opts.warmup,
        seed: opts.seed,
        patience: (!val.is_empty()).then_some(opts.patience),
        ..TrainConfig::default()
    };
    let bar = if opts.progress { ProgressBar::new(0) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} loss {msg} ({eta})")
            .map_err(|e| TrainError::Encode(e.to_string()))?
            .progress_chars("=> "),
    );
    let val_ref = (!val.is_empty()).then_some(&val);
    let mut running = 0.0;
    let report = fit::<A>(&mut model, &train, val_ref, &cfg, |p| match *p {
        Progress::Step { epoch, step, steps, loss } => {
            if step == 1 {
                bar.set_length(steps as u64);
                bar.set_position(0);
                bar.set_prefix(format!("{}/{}", epoch + 1, cfg.epochs));
                running = loss;
            }
            running = 0.9 * running + 0.1 * loss;
            bar.set_position(step as u64);
            bar.set_message(format!("{running:.5}"));
        }
        Progress::Epoch(e) => {
            bar.println(format!(
                "epoch {:>3}: train {:.6}  validation {}  ({:.1} s)",
                e.epoch + 1,
                e.train_loss,
                e.val_loss.map_or("-".to_string(), |v| format!("{v:.6}")),
                e.seconds
            ));
        }
    })?;
    bar.finish_and_clear();
    let meta = [
        ("train.loss", opts.loss.clone()),
        ("train.epochs", report.epochs.len().to_string()),
        ("train.seed", opts.seed.to_string()),
    ];
    for (k, v) in &meta {
        model.set_note(k, v);
    }
    model.save(output)?;
    let plot = output.with_extension("svg");
    let title = format!("{} {}×{}: loss per epoch", opts.cell, opts.layers, opts.hidden);
    write_loss_plot(&report, &title, &plot)?;
    Ok(TrainOutcome { model, report, plot })
}

/// `tinyrnn grad`: the full-BPTT MSE gradient of a model file on `(T, I)` input and `(T, O)`
/// target, written as safetensors under the model's tensor names. Returns the loss.
pub fn grad_command<A: Activation>(model: &Path, x: &[f32], y: &[f32], output: &Path) -> Result<f64, TrainError> {
    let m = TrainModel::load(model)?;
    let (loss, g) = gradients::<A>(&m, x, y, Loss::Mse, TargetMode::Sequence)?;
    let bytes = m.gradients_to_safetensors(&g)?;
    std::fs::write(output, bytes).map_err(|source| TrainError::Io { path: output.display().to_string(), source })?;
    Ok(loss)
}

/// The tensor names and shapes of a model, for messages.
pub fn describe(model: &TrainModel) -> Vec<String> {
    model.tensors().iter().map(|t| format!("{} {:?}", t.name, t.shape)).collect()
}
