//! Training throughput: LSTM-16 and LSTM-32 (+ Dense head + residual) on audio windows —
//! batches of 8 independent segments, truncated BPTT windows of 512 samples with the state
//! carried, MSE, Adam — in samples per second (forward + backward + optimiser step), on one
//! thread and on all cores. With `--torch` it also runs `examples/train_bench_torch.py`
//! (PyTorch, one thread, the same model and schedule) and prints the ratio.
//!
//! Run: `cargo run --release --example train_bench [-- --torch]`

use std::process::Command;

use tinyrnn::train::{fit, Dataset, Loss, Optimizer, Rng, TrainConfig, TrainModel};
use tinyrnn::{CellKind, DenseActivation, Exact};

const BATCH: usize = 8;
const WINDOW: usize = 512;
const STEPS: usize = 24;

fn samples_per_second(hidden: usize, threads: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let mut rng = Rng::new(1);
    let n = BATCH * WINDOW * STEPS;
    let x: Vec<f32> = (0..n).map(|_| 0.5 * rng.normal()).collect();
    let y: Vec<f32> = x.iter().map(|v| (2.0 * v).tanh()).collect();
    // One sequence per batch slot, STEPS windows each: one epoch = STEPS optimiser steps.
    let data = Dataset::from_audio(&x, &y, 1, 1, WINDOW * STEPS)?;
    let mut model = TrainModel::stacked(CellKind::Lstm, 1, hidden, 1, Some((1, DenseActivation::Identity)), 1, 0)?;
    let cfg = TrainConfig {
        epochs: 2,
        batch_size: BATCH,
        optimizer: Optimizer::adam(1e-3),
        loss: Loss::Mse,
        window: Some(WINDOW),
        threads,
        shuffle: false,
        ..TrainConfig::default()
    };
    let report = fit::<Exact>(&mut model, &data, None, &cfg, |_| {})?;
    Ok(report.samples_per_second)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let torch = std::env::args().any(|a| a == "--torch");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("training throughput, batch {BATCH} × window {WINDOW}, {STEPS} steps per epoch, 2 epochs (samples/s)");
    let mut ours = Vec::new();
    for h in [16, 32] {
        let one = samples_per_second(h, 1)?;
        let all = samples_per_second(h, 0)?;
        println!("tinyrnn LSTM-{h}: {one:>10.0} (1 thread)  {all:>10.0} ({cores} threads)");
        ours.push((h, one));
    }
    if torch {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/train_bench_torch.py");
        let out = Command::new("python3")
            .args([script, &BATCH.to_string(), &WINDOW.to_string(), &STEPS.to_string(), "16", "32"])
            .output()?;
        if !out.status.success() {
            println!("PyTorch run failed: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or(""));
            return Ok(());
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut h = 0;
            let mut sps = 0.0;
            for kv in line.split_whitespace() {
                if let Some(v) = kv.strip_prefix("H=") {
                    h = v.parse().unwrap_or(0);
                }
                if let Some(v) = kv.strip_prefix("samples_per_s=") {
                    sps = v.parse().unwrap_or(0.0);
                }
            }
            if let Some((_, one)) = ours.iter().find(|(hh, _)| *hh == h) {
                println!("PyTorch LSTM-{h}: {sps:>10.0} (1 thread)  tinyrnn/PyTorch single-thread: {:.2}x", one / sps);
            }
        }
    }
    Ok(())
}
