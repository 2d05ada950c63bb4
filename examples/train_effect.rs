//! Demo: learn a nonlinear audio effect with memory, then run the result as a const-generic
//! network.
//!
//! The effect is a one-pole low-pass (1.2 kHz at 48 kHz) into an asymmetric tanh drive. The
//! example synthesises plucked notes, runs them through the effect, trains an LSTM-16 + Dense
//! head (truncated BPTT over 2048-sample segments, ESR loss with pre-emphasis, Adam, both
//! cores), reports the error-to-signal ratio on held-out audio, builds `Lstm<1, 16>` +
//! `Dense<16, 1>` from the trained tensors, checks it gives the same bits as the trainer's
//! forward pass, prints the real-time factor, and writes the model (safetensors) and the
//! loss plot (SVG, with `--features cli`) to `target/train_effect/`.
//!
//! Run: `cargo run --release --example train_effect [-- --long] [-- --epochs N]`

use std::time::Instant;

use tinyrnn::train::{
    evaluate, fit, predict, Dataset, LayerParams, Loss, Optimizer, Progress, Rng, TrainConfig, TrainModel,
};
use tinyrnn::{CellKind, Chain, Dense, DenseActivation, DenseWeights, Fast, Lstm, LstmWeights, Network};

const FS: f32 = 48_000.0;
const H: usize = 16;

/// Plucked notes: a few decaying harmonics at random pitches and levels, plus a little noise.
fn notes(seconds: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let n = (seconds * FS) as usize;
    let mut out = vec![0.0f32; n];
    let mut t0 = 0;
    while t0 < n {
        let len = (rng.uniform(0.08, 0.35) * FS) as usize;
        let f0 = 80.0 * 2f32.powf(rng.uniform(0.0, 3.3));
        let amp = rng.uniform(0.05, 0.9);
        let decay = rng.uniform(3.0, 12.0);
        let phase: Vec<f32> = (0..4).map(|_| rng.uniform(0.0, std::f32::consts::TAU)).collect();
        let end = (t0 + len).min(n);
        for (dt, o) in out[t0..end].iter_mut().enumerate() {
            let s = dt as f32 / FS;
            let env = amp * (-decay * s).exp() * (1.0 - (-s * 400.0).exp());
            let mut v = 0.0;
            for (k, ph) in phase.iter().enumerate() {
                let h = (k + 1) as f32;
                v += (std::f32::consts::TAU * f0 * h * s + ph).sin() / h;
            }
            *o += env * v * 0.6;
        }
        t0 += len;
    }
    for v in &mut out {
        *v += 0.003 * rng.normal();
    }
    out
}

/// The effect: one-pole low-pass, then an asymmetric tanh drive.
fn effect(x: &[f32]) -> Vec<f32> {
    let a = 1.0 - (-std::f32::consts::TAU * 1200.0 / FS).exp();
    let mut lp = 0.0f32;
    x.iter()
        .map(|&v| {
            lp += a * (v - lp);
            (4.0 * lp + 0.3).tanh() - 0.3f32.tanh()
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let long = args.iter().any(|a| a == "--long");
    let epochs = args
        .iter()
        .position(|a| a == "--epochs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(if long { 150 } else { 25 });
    let out_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/train_effect");
    std::fs::create_dir_all(&out_dir)?;

    // 4 s of training audio (the last 10% for validation), 2 s held out with another seed.
    let x = notes(4.0, 1);
    let y = effect(&x);
    let data = Dataset::from_audio(&x, &y, 1, 1, 2048)?;
    let (train, val) = data.split(0.1)?;
    let x_test = notes(2.0, 2);
    let y_test = effect(&x_test);
    let mut test = Dataset::new(1, 1, x_test.len(), tinyrnn::train::TargetMode::Sequence)?;
    test.push(&x_test, &y_test)?;

    let mut model = TrainModel::stacked(CellKind::Lstm, 1, H, 1, Some((1, DenseActivation::Identity)), 1, 7)?;
    let cfg = TrainConfig {
        epochs,
        batch_size: 8,
        optimizer: Optimizer::adam(5e-3),
        loss: Loss::Esr { pre_emphasis: 0.85 },
        clip_norm: Some(1.0),
        window: Some(512),
        warmup: 256,
        seed: 1,
        patience: Some(20),
        ..TrainConfig::default()
    };
    println!(
        "effect: 1.2 kHz one-pole low-pass into tanh drive; model LSTM-{H} + Dense(1) + skip, {} parameters",
        model.param_count()
    );
    println!(
        "data: {} training and {} validation segments of 2048 samples at 48 kHz; {} epochs, TBPTT window 512, warm-up 256",
        train.len(),
        val.len(),
        epochs
    );
    let t0 = Instant::now();
    let report = fit::<Fast>(&mut model, &train, Some(&val), &cfg, |p| {
        if let Progress::Epoch(e) = p {
            if e.epoch % 5 == 4 || e.epoch == 0 {
                println!(
                    "  epoch {:>3}: train ESR(pre-emph) {:.5}, validation {:.5}  ({:.2} s)",
                    e.epoch + 1,
                    e.train_loss,
                    e.val_loss.unwrap_or(f64::NAN),
                    e.seconds
                );
            }
        }
    })?;
    let train_s = t0.elapsed().as_secs_f64();
    println!(
        "trained in {train_s:.1} s: {} optimiser steps, {:.0} samples/s (forward + backward), best epoch {}",
        report.steps,
        report.samples_per_second,
        report.best_epoch + 1
    );

    let esr = evaluate::<Fast>(&model, &test, Loss::Esr { pre_emphasis: 0.0 }, 0)?.loss;
    let silent = evaluate::<Fast>(
        &TrainModel::stacked(CellKind::Lstm, 1, H, 1, Some((1, DenseActivation::Identity)), 1, 7)?,
        &test,
        Loss::Esr { pre_emphasis: 0.0 },
        0,
    )?
    .loss;
    println!("held-out ESR: {esr:.5} ({:.1} dB; untrained model: {silent:.3})", 10.0 * esr.log10());

    // Build the const-generic network from the trained PyTorch tensors.
    let Some(LayerParams::Recurrent { weight_ih, weight_hh, bias_ih, bias_hh }) = model.layer_params(0) else {
        return Err("layer 0 is not recurrent".into());
    };
    let mut lstm = LstmWeights::<1, H>::zeroed(CellKind::Lstm);
    lstm.set_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh)?;
    let Some(LayerParams::Dense { weight, bias }) = model.layer_params(1) else {
        return Err("layer 1 is not dense".into());
    };
    let mut head = DenseWeights::<H, 1>::zeroed(DenseActivation::Identity);
    head.set_from_pytorch(weight, bias)?;
    let (lstm, head): (&'static _, &'static _) = (Box::leak(Box::new(lstm)), Box::leak(Box::new(head)));
    let mut net = tinyrnn::Residual::<_, 1, 1>::new(Chain::new(Lstm::<1, H>::new(lstm), Dense::<H, 1>::new(head)));

    let mut y_const = vec![0.0f32; x_test.len()];
    let reps = 5;
    let t1 = Instant::now();
    for _ in 0..reps {
        net.reset();
        net.process_block(&x_test, &mut y_const);
    }
    let per_run = t1.elapsed().as_secs_f64() / reps as f64;
    let y_train = predict::<Fast>(&model, &x_test)?;
    let identical = y_const.iter().zip(&y_train).all(|(a, b)| a.to_bits() == b.to_bits());
    let audio_s = x_test.len() as f64 / FS as f64;
    println!(
        "const-generic Lstm<1, {H}> + Dense<{H}, 1>: same bits as the trainer's forward: {identical}; \
         {:.1} ns/sample, real-time factor {:.4} ({:.0}x faster than real time at 48 kHz)",
        per_run / x_test.len() as f64 * 1e9,
        per_run / audio_s,
        audio_s / per_run
    );

    let model_path = out_dir.join("effect_lstm16.safetensors");
    model.save(&model_path)?;
    println!("model: {}", model_path.display());
    #[cfg(feature = "cli")]
    {
        let plot = out_dir.join("loss.svg");
        tinyrnn::train::write_loss_plot(&report, "LSTM-16 learning a low-pass + tanh drive (ESR)", &plot)?;
        println!("loss plot: {}", plot.display());
    }
    #[cfg(not(feature = "cli"))]
    println!("loss plot: run with --features cli to write target/train_effect/loss.svg");
    if !identical {
        return Err("the const-generic network differs from the trainer's forward pass".into());
    }
    Ok(())
}
