//! Sequence-to-one training: which waveform — sine, square, saw or noise — is a noisy
//! 64-sample sequence? A GRU-16 + Dense(16 → 4, softmax) is trained with cross-entropy on the
//! last step's output, its test accuracy reported, and then the trained tensors are loaded
//! into the const-generic `Gru<1, 16>` + `Dense<16, 4>` that firmware would run, which must
//! classify the test set identically.
//!
//! Run: `cargo run --release --example train_classifier`

use tinyrnn::train::{
    argmax, evaluate, fit, Dataset, LayerParams, Loss, Optimizer, Progress, Rng, TargetMode, TrainConfig, TrainModel,
};
use tinyrnn::{CellKind, Chain, Dense, DenseActivation, DenseWeights, Fast, Gru, GruWeights, Network};

const T: usize = 64;
const H: usize = 16;
const CLASSES: [&str; 4] = ["sine", "square", "saw", "noise"];

/// A random-frequency, random-phase, random-level waveform of class `c` plus noise.
fn example(c: usize, rng: &mut Rng) -> Vec<f32> {
    let period = rng.uniform(8.0, 32.0);
    let phase = rng.uniform(0.0, 1.0);
    let amp = rng.uniform(0.3, 1.0);
    (0..T)
        .map(|t| {
            let p = (t as f32 / period + phase).fract();
            let v = match c {
                0 => (std::f32::consts::TAU * p).sin(),
                1 => {
                    if p < 0.5 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                2 => 2.0 * p - 1.0,
                _ => rng.uniform(-1.0, 1.0),
            };
            amp * v + 0.15 * rng.normal()
        })
        .collect()
}

fn dataset(n: usize, seed: u64) -> Result<Dataset, tinyrnn::train::TrainError> {
    let mut rng = Rng::new(seed);
    let mut d = Dataset::new(1, 4, T, TargetMode::Last)?;
    for k in 0..n {
        let c = k % 4;
        let mut onehot = [0.0; 4];
        onehot[c] = 1.0;
        d.push(&example(c, &mut rng), &onehot)?;
    }
    Ok(d)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (train, val) = dataset(1600, 1)?.split(0.125)?;
    let test = dataset(400, 2)?;
    let mut model = TrainModel::stacked(CellKind::Gru, 1, H, 1, Some((4, DenseActivation::Softmax)), 0, 3)?;
    let cfg = TrainConfig {
        epochs: 30,
        batch_size: 32,
        optimizer: Optimizer::adam(1e-2),
        loss: Loss::CrossEntropy,
        clip_norm: Some(1.0),
        patience: Some(8),
        seed: 5,
        ..TrainConfig::default()
    };
    println!(
        "GRU-{H} + Dense(4, softmax), {} parameters; {} training sequences of {T} samples",
        model.param_count(),
        train.len()
    );
    let report = fit::<Fast>(&mut model, &train, Some(&val), &cfg, |p| {
        if let Progress::Epoch(e) = p {
            if e.epoch % 5 == 4 || e.epoch == 0 {
                println!(
                    "  epoch {:>2}: train CE {:.4}, validation CE {:.4}, accuracy {:.1}%",
                    e.epoch + 1,
                    e.train_loss,
                    e.val_loss.unwrap_or(f64::NAN),
                    100.0 * e.val_accuracy.unwrap_or(f64::NAN)
                );
            }
        }
    })?;
    let eval = evaluate::<Fast>(&model, &test, Loss::CrossEntropy, 0)?;
    println!(
        "test: cross-entropy {:.4}, accuracy {:.1}% ({} epochs, {:.1} s, best epoch {})",
        eval.loss,
        100.0 * eval.accuracy,
        report.epochs.len(),
        report.seconds,
        report.best_epoch + 1
    );

    // The const-generic network from the trained PyTorch tensors.
    let Some(LayerParams::Recurrent { weight_ih, weight_hh, bias_ih, bias_hh }) = model.layer_params(0) else {
        return Err("layer 0 is not recurrent".into());
    };
    let mut gru = GruWeights::<1, H>::zeroed(CellKind::Gru);
    gru.set_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh)?;
    let Some(LayerParams::Dense { weight, bias }) = model.layer_params(1) else {
        return Err("layer 1 is not dense".into());
    };
    let mut head = DenseWeights::<H, 4>::zeroed(DenseActivation::Softmax);
    head.set_from_pytorch(weight, bias)?;
    let mut net = Chain::new(Gru::<1, H>::new(Box::leak(Box::new(gru))), Dense::<H, 4>::new(Box::leak(Box::new(head))));
    let mut confusion = [[0usize; 4]; 4];
    let mut out = vec![0.0f32; T * 4];
    for s in 0..test.len() {
        net.reset();
        net.process_block(test.input(s), &mut out);
        let guess = argmax(&out[(T - 1) * 4..]);
        confusion[argmax(test.target(s))][guess] += 1;
    }
    let correct: usize = (0..4).map(|c| confusion[c][c]).sum();
    let acc = correct as f64 / test.len() as f64;
    println!("const-generic Gru<1, {H}> + Dense<{H}, 4>: accuracy {:.1}%", 100.0 * acc);
    println!("confusion (rows: truth, columns: guess)");
    for (c, row) in confusion.iter().enumerate() {
        println!("  {:>6}: {:?}", CLASSES[c], row);
    }
    if (acc - eval.accuracy).abs() > 1e-12 {
        return Err("the const-generic network classifies differently from the trainer".into());
    }
    Ok(())
}
