//! The training loop: optimiser steps with known numbers, clipping, determinism (same seed →
//! same bits, whatever the thread count), fit ≡ gradient descent, truncated BPTT, and the
//! trained model running bit-identically through the const-generic layers.

#![cfg(feature = "std")]

mod common;

use tinyrnn::train::*;
use tinyrnn::*;

fn close(a: f32, b: f64) {
    assert!((a as f64 - b).abs() < 1e-6, "{a} vs {b}");
}

#[test]
fn adam_known_numbers() {
    let mut opt = OptimizerState::new(Optimizer::adam(0.1), 1);
    let mut p = [0.0f32];
    opt.step(&mut p, &[1.0]);
    close(p[0], -0.1);
    opt.step(&mut p, &[-1.0]);
    // m = 0.09 − 0.1 = −0.01, m̂ = −0.01 / 0.19; v̂ = 0.001999 / 0.001999 = 1.
    close(p[0], -0.1 + 0.1 * 0.01 / 0.19);
    // L2 weight decay joins the gradient; AdamW shrinks the weight first.
    let wd = Optimizer::Adam { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.5, decoupled: true };
    let mut opt = OptimizerState::new(wd, 1);
    let mut p = [1.0f32];
    opt.step(&mut p, &[1.0]);
    close(p[0], 1.0 - 0.1 * 0.5 - 0.1);
    let l2 = Optimizer::Adam { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.5, decoupled: false };
    let mut opt = OptimizerState::new(l2, 1);
    let mut p = [1.0f32];
    opt.step(&mut p, &[-0.2]); // g + wd·p = 0.3 > 0: the step goes down by lr.
    close(p[0], 0.9);
}

#[test]
fn sgd_momentum_known_numbers() {
    let mut opt = OptimizerState::new(Optimizer::sgd(0.1, 0.9), 1);
    let mut p = [1.0f32];
    for want in [0.9, 0.71, 0.439] {
        opt.step(&mut p, &[1.0]);
        close(p[0], want);
    }
    let nesterov = Optimizer::Sgd { lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.0 };
    let mut opt = OptimizerState::new(nesterov, 1);
    let mut p = [1.0f32];
    opt.step(&mut p, &[1.0]);
    close(p[0], 1.0 - 0.1 * 1.9);
    let mut opt = OptimizerState::new(Optimizer::Sgd { lr: 0.1, momentum: 0.0, nesterov: false, weight_decay: 1.0 }, 1);
    let mut p = [2.0f32];
    opt.step(&mut p, &[0.5]);
    close(p[0], 2.0 - 0.1 * 2.5);
}

#[test]
fn clipping_scales_to_the_max_norm() {
    let mut g = [3.0, 4.0];
    assert_eq!(clip_grad_norm(&mut g, 1.0), 5.0);
    assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
    let mut g = [0.3, 0.4];
    clip_grad_norm(&mut g, 1.0);
    assert_eq!(g, [0.3, 0.4]);
}

fn audio(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let x: Vec<f32> = (0..n).map(|t| 0.6 * (t as f32 * 0.05).sin() + 0.1 * rng.normal()).collect();
    let mut lp = 0.0;
    let y = x
        .iter()
        .map(|&v| {
            lp += 0.3 * (v - lp);
            (2.0 * lp).tanh()
        })
        .collect();
    (x, y)
}

fn train_once(threads: usize, seed: u64) -> (Vec<f32>, TrainReport) {
    let (x, y) = audio(4096, 1);
    let data = Dataset::from_audio(&x, &y, 1, 1, 512).expect("data");
    let mut model =
        TrainModel::stacked(CellKind::Lstm, 1, 8, 1, Some((1, DenseActivation::Identity)), 1, seed).expect("model");
    let cfg = TrainConfig {
        epochs: 2,
        batch_size: 4,
        window: Some(128),
        warmup: 64,
        clip_norm: Some(1.0),
        loss: Loss::Esr { pre_emphasis: 0.85 },
        threads,
        seed,
        ..TrainConfig::default()
    };
    let report = fit::<Exact>(&mut model, &data, None, &cfg, |_| {}).expect("fit");
    (model.params().to_vec(), report)
}

#[test]
fn same_seed_same_bits_whatever_the_thread_count() {
    let (a, ra) = train_once(1, 5);
    let (b, _) = train_once(2, 5);
    let (c, _) = train_once(1, 5);
    let (d, _) = train_once(1, 6);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&b), "1 thread vs 2 threads");
    assert_eq!(bits(&a), bits(&c), "two runs");
    assert_ne!(bits(&a), bits(&d), "another seed");
    // 8 sequences / batch 4 × ceil((512 − 64) / 128) windows × 2 epochs.
    assert_eq!(ra.steps, 2 * 4 * 2);
    assert!(ra.epochs[1].train_loss < ra.epochs[0].train_loss, "{:?}", ra.epochs);
}

/// One epoch of full-sequence SGD on one sequence is one gradient-descent step.
#[test]
fn fit_step_is_a_gradient_step() {
    let (x, y) = audio(200, 3);
    let mut data = Dataset::new(1, 1, 200, TargetMode::Sequence).expect("data");
    data.push(&x, &y).expect("push");
    for kind in [CellKind::Gru, CellKind::Cifg, CellKind::Rnn(RnnNonlinearity::Tanh)] {
        let mut model = TrainModel::stacked(kind, 1, 5, 2, Some((1, DenseActivation::Tanh)), 0, 11).expect("model");
        let before = model.params().to_vec();
        let (_, g) = gradients::<Exact>(&model, &x, &y, Loss::Mse, TargetMode::Sequence).expect("grads");
        let cfg = TrainConfig { epochs: 1, batch_size: 1, optimizer: Optimizer::sgd(0.5, 0.0), ..Default::default() };
        fit::<Exact>(&mut model, &data, None, &cfg, |_| {}).expect("fit");
        for ((p, b), g) in model.params().iter().zip(&before).zip(&g) {
            assert_eq!(*p, ((*b as f64) - 0.5 * (*g as f64)) as f32);
        }
    }
}

/// With truncated BPTT the first window's step uses exactly that window's gradient, and the
/// state reaches the second window unchanged by the update (carried, detached).
#[test]
fn truncated_bptt_windows() {
    let (x, y) = audio(64, 4);
    let mut data = Dataset::new(1, 1, 64, TargetMode::Sequence).expect("data");
    data.push(&x, &y).expect("push");
    let model0 = TrainModel::stacked(CellKind::Lstm, 1, 4, 1, Some((1, DenseActivation::Identity)), 0, 2).expect("m");
    let (_, g) = gradients::<Exact>(&model0, &x[..16], &y[..16], Loss::Mse, TargetMode::Sequence).expect("grads");
    let mut steps = Vec::new();
    let mut model = model0.clone();
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 1,
        window: Some(16),
        optimizer: Optimizer::sgd(0.1, 0.0),
        ..Default::default()
    };
    fit::<Exact>(&mut model, &data, None, &cfg, |p| steps.push(*p)).expect("fit");
    assert_eq!(steps.iter().filter(|p| matches!(p, Progress::Step { .. })).count(), 4);
    // Re-run with one epoch cut to the first window: the parameters after the first step.
    let mut first = Dataset::new(1, 1, 16, TargetMode::Sequence).expect("data");
    first.push(&x[..16], &y[..16]).expect("push");
    let mut m1 = model0.clone();
    fit::<Exact>(&mut m1, &first, None, &TrainConfig { window: None, ..cfg.clone() }, |_| {}).expect("fit");
    for ((p, b), g) in m1.params().iter().zip(model0.params()).zip(&g) {
        assert_eq!(*p, ((*b as f64) - 0.1f32 as f64 * (*g as f64)) as f32);
    }
}

/// A model trained here runs bit-identically through the const-generic layers.
#[test]
fn trained_model_runs_the_same_bits_in_const_layers() {
    let (x, y) = audio(1024, 9);
    let data = Dataset::from_audio(&x, &y, 1, 1, 256).expect("data");
    let mut model =
        TrainModel::stacked(CellKind::Gru, 1, 6, 1, Some((1, DenseActivation::Identity)), 1, 1).expect("model");
    let cfg = TrainConfig { epochs: 2, batch_size: 2, window: Some(64), ..Default::default() };
    fit::<Exact>(&mut model, &data, None, &cfg, |_| {}).expect("fit");
    let ours = predict::<Exact>(&model, &x).expect("predict");

    let Some(LayerParams::Recurrent { weight_ih, weight_hh, bias_ih, bias_hh }) = model.layer_params(0) else {
        panic!("layer 0 is recurrent")
    };
    let mut gru = GruWeights::<1, 6>::zeroed(CellKind::Gru);
    gru.set_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh).expect("shapes");
    let Some(LayerParams::Dense { weight, bias }) = model.layer_params(1) else { panic!("layer 1 is dense") };
    let mut head = DenseWeights::<6, 1>::zeroed(DenseActivation::Identity);
    head.set_from_pytorch(weight, bias).expect("shapes");
    let mut net: Residual<_, 1, 1> = Residual::new(Chain::new(
        Gru::<1, 6, Exact>::new(common::leak(gru)),
        Dense::<6, 1, Exact>::new(common::leak(head)),
    ));
    let mut theirs = vec![0.0; x.len()];
    net.process_block(&x, &mut theirs);
    assert_eq!(ours, theirs);
}

#[test]
fn sequence_to_one_classifier_learns() {
    // Two classes: rising or falling ramps with noise; loss on the last step only.
    let mut rng = Rng::new(3);
    let mut data = Dataset::new(1, 2, 16, TargetMode::Last).expect("data");
    for s in 0..64 {
        let up = s % 2 == 0;
        let x: Vec<f32> =
            (0..16).map(|t| if up { t as f32 / 16.0 } else { 1.0 - t as f32 / 16.0 } + 0.1 * rng.normal()).collect();
        data.push(&x, if up { &[1.0, 0.0] } else { &[0.0, 1.0] }).expect("push");
    }
    let (train, val) = data.split(0.25).expect("split");
    let mut model =
        TrainModel::stacked(CellKind::Rnn(RnnNonlinearity::Tanh), 1, 8, 1, Some((2, DenseActivation::Softmax)), 0, 4)
            .expect("model");
    let cfg = TrainConfig {
        epochs: 40,
        batch_size: 8,
        loss: Loss::CrossEntropy,
        optimizer: Optimizer::adam(0.03),
        patience: Some(10),
        ..Default::default()
    };
    let report = fit::<Exact>(&mut model, &train, Some(&val), &cfg, |_| {}).expect("fit");
    let e = evaluate::<Exact>(&model, &val, Loss::CrossEntropy, 0).expect("eval");
    assert!(e.accuracy >= 0.9, "accuracy {} ({:?})", e.accuracy, report.epochs.last());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let model = TrainModel::stacked(CellKind::Lstm, 2, 4, 1, None, 0, 0).expect("model");
    assert!(matches!(TrainModel::stacked(CellKind::Lstm, 2, 4, 1, None, 3, 0), Err(TrainError::Model(_))));
    let mut d = Dataset::new(2, 4, 8, TargetMode::Sequence).expect("data");
    assert!(matches!(d.push(&[0.0; 15], &[0.0; 32]), Err(TrainError::Data(_))));
    assert!(matches!(d.push(&[f32::NAN; 16], &[0.0; 32]), Err(TrainError::Data(_))));
    d.push(&[0.0; 16], &[0.0; 32]).expect("push");
    let mut m = model.clone();
    let cfg = TrainConfig { warmup: 8, ..Default::default() };
    assert!(matches!(fit::<Exact>(&mut m, &d, None, &cfg, |_| {}), Err(TrainError::Config(_))));
    let cfg = TrainConfig { optimizer: Optimizer::adam(-1.0), ..Default::default() };
    assert!(matches!(fit::<Exact>(&mut m, &d, None, &cfg, |_| {}), Err(TrainError::Config(_))));
    let other = Dataset::new(1, 4, 8, TargetMode::Sequence).expect("data");
    assert!(matches!(fit::<Exact>(&mut m, &other, None, &TrainConfig::default(), |_| {}), Err(TrainError::Data(_))));
    assert!(gradients::<Exact>(&model, &[0.0; 3], &[0.0; 4], Loss::Mse, TargetMode::Sequence).is_err());
    assert!(m.set_tensor("rnn.weight_ih_l0", &[0.0; 3]).is_err());
    assert!(m.set_tensor("nope", &[]).is_err());
}

/// The written `state_dict` reads back through the loaders with every attribute intact.
#[cfg(feature = "formats")]
#[test]
fn state_dict_round_trips_through_the_loaders() {
    let cases: Vec<TrainModel> = vec![
        TrainModel::stacked(CellKind::Cifg, 2, 5, 2, Some((2, DenseActivation::Elu)), 2, 1).expect("m"),
        TrainModel::stacked(CellKind::Rnn(RnnNonlinearity::Relu), 3, 4, 1, None, 0, 2).expect("m"),
        TrainModel::stacked(CellKind::Lstm, 1, 3, 1, Some((1, DenseActivation::Identity)), 1, 3).expect("m"),
        {
            let layers = [
                LayerDef::Recurrent { kind: CellKind::Gru, input: 2, hidden: 6 },
                LayerDef::Dense { input: 6, output: 4, activation: DenseActivation::Relu },
                LayerDef::Dense { input: 4, output: 3, activation: DenseActivation::Softmax },
            ];
            let mut m = TrainModel::new(2, &layers, 0).expect("m");
            m.init(4);
            m
        },
    ];
    let dir = std::env::temp_dir().join(format!("tinyrnn-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    for (k, m) in cases.iter().enumerate() {
        let path = dir.join(format!("m{k}.safetensors"));
        m.save(&path).expect("save");
        let spec = tinyrnn::host::io::load_model(&path).expect("loads");
        assert_eq!(spec.skip, m.skip());
        let back = TrainModel::from_spec(&spec).expect("trainable");
        assert_eq!(back.layers(), m.layers(), "case {k}");
        assert_eq!(back.params(), m.params(), "case {k}");
        assert_eq!(back.tensors(), m.tensors(), "case {k}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
