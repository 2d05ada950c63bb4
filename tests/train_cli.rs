//! `tinyrnn grad` and `tinyrnn train` end to end.
#![cfg(feature = "cli")]

mod common;

use std::process::Command;

use common::*;

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tinyrnn-train-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn write_npy(path: &std::path::Path, rows: usize, cols: usize, data: &[f32]) {
    use npyz::WriterBuilder as _;
    let file = std::fs::File::create(path).expect("create");
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[rows as u64, cols as u64])
        .writer(std::io::BufWriter::new(file))
        .begin_nd()
        .expect("npy");
    w.extend(data.iter().copied()).expect("write");
    w.finish().expect("finish");
}

#[test]
fn grad_writes_pytorchs_gradients() {
    let dir = conformance_dir().join("pytorch/gru_i8_h64_l2_fc3_tanh");
    let out = tmp("grads.safetensors");
    let run = Command::new(env!("CARGO_BIN_EXE_tinyrnn"))
        .arg("grad")
        .arg("--model")
        .arg(dir.join("model.safetensors"))
        .arg("--input")
        .arg(dir.join("input.npy"))
        .arg("--target")
        .arg(dir.join("target.npy"))
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (ours, meta) = read_safetensors(&out);
    let (reference, _) = read_safetensors(&dir.join("grads.safetensors"));
    assert_eq!(meta.get("fc.activation").map(String::as_str), Some("tanh"));
    assert_eq!(ours.len(), reference.len());
    for (name, r) in &reference {
        let g = &ours[name];
        assert_eq!(g.shape, r.shape, "{name}");
        let num: f64 = g.data.iter().zip(&r.data).map(|(a, b)| (*a as f64 - *b as f64).powi(2)).sum();
        let den: f64 = r.data.iter().map(|b| (*b as f64).powi(2)).sum();
        assert!((num / den).sqrt() <= 1e-4, "{name}: {}", (num / den).sqrt());
    }
}

#[test]
fn train_writes_a_loadable_model_and_a_plot() {
    let mut rng = Rng(7);
    let n = 8192;
    let x: Vec<f32> = (0..n).map(|t| 0.5 * (t as f32 * 0.03).sin() + rng.uniform(0.05)).collect();
    let y: Vec<f32> = x.iter().map(|v| (3.0 * v).tanh()).collect();
    let (xp, yp, model) = (tmp("x.npy"), tmp("y.npy"), tmp("m.safetensors"));
    write_npy(&xp, n, 1, &x);
    write_npy(&yp, n, 1, &y);
    let run = Command::new(env!("CARGO_BIN_EXE_tinyrnn"))
        .args(["train", "--cell", "gru", "--hidden", "4", "--epochs", "3", "--skip", "--input"])
        .arg(&xp)
        .arg("--target")
        .arg(&yp)
        .arg("-o")
        .arg(&model)
        .output()
        .expect("run");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let spec = tinyrnn::host::io::load_model(&model).expect("the trained model loads");
    assert_eq!(spec.skip, 1);
    assert_eq!(spec.layers.len(), 2);
    let svg = std::fs::read_to_string(model.with_extension("svg")).expect("plot");
    assert!(svg.starts_with("<svg") && svg.contains("epoch"), "{}", &svg[..svg.len().min(200)]);
    // A bad option is one clean line, not a panic.
    let bad = Command::new(env!("CARGO_BIN_EXE_tinyrnn"))
        .args(["train", "--cell", "transformer", "--input"])
        .arg(&xp)
        .arg("--target")
        .arg(&yp)
        .arg("-o")
        .arg(&model)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("transformer") && !err.contains("panicked"), "{err}");
}
