//! Gradient parity with PyTorch: every case in `../shared/conformance/pytorch`.
//!
//! `grads.safetensors` holds PyTorch's gradient of `loss = mean((y − target)²)` over all
//! T·O values, full BPTT from zero state. Each tensor must match with
//! ‖g − g_ref‖ / ‖g_ref‖ ≤ 1e-4 (exact activations).

#![cfg(feature = "formats")]

mod common;

use common::*;
use tinyrnn::train::{gradients, Loss, TargetMode, TrainModel};
use tinyrnn::Exact;

const TOL: f64 = 1e-4;

fn rel_err(a: &[f32], b: &[f32]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum::<f64>().sqrt();
    let den: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum::<f64>().sqrt();
    if den == 0.0 {
        num
    } else {
        num / den
    }
}

fn check(name: &str) {
    let dir = conformance_dir().join("pytorch").join(name);
    let spec = tinyrnn::host::io::load_model(dir.join("model.safetensors")).expect("model loads");
    let model = TrainModel::from_spec(&spec).expect("trainable");
    let x = read_npy(&dir.join("input.npy"));
    let y = read_npy(&dir.join("target.npy"));
    let case = std::fs::read_to_string(dir.join("case.json")).expect("case.json");
    let (loss, grads) = gradients::<Exact>(&model, &x.data, &y.data, Loss::Mse, TargetMode::Sequence).expect("grads");
    let ref_loss: f64 = case
        .split("\"loss\":")
        .nth(1)
        .and_then(|r| r.split([',', '}']).next())
        .and_then(|v| v.trim().parse().ok())
        .expect("case.json has a loss");
    let loss_err = (loss - ref_loss).abs() / ref_loss;
    println!("{name}: loss {loss:.7} (torch {ref_loss:.7}, rel {loss_err:.1e})");
    assert!(loss_err < 1e-5, "{name}: loss {loss} vs {ref_loss}");
    let (reference, _) = read_safetensors(&dir.join("grads.safetensors"));
    assert_eq!(reference.len(), model.tensors().len(), "{name}: tensor count");
    let mut worst = 0.0f64;
    for t in model.tensors() {
        let r = reference.get(&t.name).unwrap_or_else(|| panic!("{name}: no reference gradient for {}", t.name));
        assert_eq!(r.shape, t.shape, "{name}: {} shape", t.name);
        let e = rel_err(t.of(&grads), &r.data);
        println!("  {:<18} rel err {e:.2e}", t.name);
        worst = worst.max(e);
        assert!(e <= TOL, "{name}: {} relative error {e:e} > {TOL:e}", t.name);
    }
    println!("{name}: max relative error {worst:.2e}");
}

#[test]
fn gru_i1_h16_fc1() {
    check("gru_i1_h16_fc1");
}

#[test]
fn gru_i8_h64_l2_fc3_tanh() {
    check("gru_i8_h64_l2_fc3_tanh");
}

#[test]
fn lstm_i1_h32_fc1() {
    check("lstm_i1_h32_fc1");
}

#[test]
fn lstm_i4_h24_l2() {
    check("lstm_i4_h24_l2");
}

#[test]
fn lstm_i5_h7() {
    check("lstm_i5_h7");
}

#[test]
fn rnn_relu_i2_h6() {
    check("rnn_relu_i2_h6");
}

#[test]
fn rnn_tanh_i3_h8() {
    check("rnn_tanh_i3_h8");
}
