//! End-to-end tests of the `tinyrnn` command-line tool.
#![cfg(feature = "cli")]

mod common;

use std::process::{Command, Output};

use common::*;

fn tinyrnn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinyrnn")).args(args).output().expect("run tinyrnn")
}

fn conf(rel: &str) -> String {
    conformance_dir().join(rel).to_string_lossy().into_owned()
}

fn tmp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("tinyrnn-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name).to_string_lossy().into_owned()
}

/// Fails with one line on stderr that names `needle`, a non-zero exit, and no panic trace.
fn assert_clean_error(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, got success: {err}");
    assert!(err.contains(needle), "stderr does not name {needle:?}: {err}");
    assert!(!err.contains("panicked"), "panic trace: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "more than one line: {err}");
}

#[test]
fn info_reports_sizes_and_footprint() {
    let out = tinyrnn(&["info", &conf("amp-json/lstm8_ts9_pytorch.json")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("LSTM(1 → 8) → Dense(8 → 1, identity), residual skip 1"), "{text}");
    assert!(text.contains("parameters: 361"), "{text}");
    assert!(text.contains("MACs per step: 296"), "{text}");
}

#[test]
fn infer_npy_matches_pytorch() {
    let y_path = tmp("y.npy");
    let out = tinyrnn(&[
        "infer",
        "--model",
        &conf("pytorch/gru_i8_h64_l2_fc3_tanh/model.safetensors"),
        "--input",
        &conf("pytorch/gru_i8_h64_l2_fc3_tanh/input.npy"),
        "--output",
        &y_path,
        "--exact",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let y = read_npy(y_path.as_ref());
    let y_ref = read_npy(&conformance_dir().join("pytorch/gru_i8_h64_l2_fc3_tanh/output.npy"));
    assert_eq!(y.shape, y_ref.shape);
    assert!(max_abs_diff(&y.data, &y_ref.data) <= 2e-5);
}

#[test]
fn infer_wav_in_wav_out() {
    let x_path = tmp("x.wav");
    let y_path = tmp("y.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&x_path, spec).expect("wav");
    let x = read_npy(&conformance_dir().join("amp-json/lstm8_ts9.x.npy")).data;
    for &v in &x {
        w.write_sample((v * 32767.0) as i16).expect("sample");
    }
    w.finalize().expect("finalize");
    let out = tinyrnn(&[
        "infer",
        "--model",
        &conf("amp-json/lstm8_ts9_pytorch.json"),
        "--input",
        &x_path,
        "--output",
        &y_path,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut r = hound::WavReader::open(&y_path).expect("output wav");
    assert_eq!(r.spec().sample_rate, 48_000);
    let y: Vec<f32> = r.samples::<f32>().map(|s| s.expect("sample")).collect();
    let y_ref = read_npy(&conformance_dir().join("amp-json/lstm8_ts9.y_f64.npy")).data;
    assert_eq!(y.len(), y_ref.len());
    // 16-bit input quantisation (3e-5) propagates through a gain of a few.
    assert!(max_abs_diff(&y, &y_ref) < 5e-4, "{}", max_abs_diff(&y, &y_ref));
}

#[test]
fn bake_then_check() {
    let rs = tmp("nam.rs");
    let model = conf("nam/lstm.nam");
    assert!(tinyrnn(&["bake", &model, "-o", &rs, "--exact"]).status.success());
    let fresh = tinyrnn(&["bake", &model, "-o", &rs, "--check", "--exact"]);
    assert!(fresh.status.success(), "{}", String::from_utf8_lossy(&fresh.stderr));
    std::fs::write(&rs, "// edited\n").expect("write");
    assert_clean_error(&tinyrnn(&["bake", &model, "-o", &rs, "--check", "--exact"]), "stale");
}

#[test]
fn errors_are_one_line_naming_the_file() {
    assert_clean_error(&tinyrnn(&["info", "/nonexistent/model.json"]), "/nonexistent/model.json");
    let cargo_toml = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    assert_clean_error(&tinyrnn(&["info", cargo_toml]), "Cargo.toml");
    assert_clean_error(&tinyrnn(&["info", &conf("rtneural/models/bad_lstm.json")]), "bad_lstm.json");
    // Frames of the wrong width.
    let out = tinyrnn(&[
        "infer",
        "--model",
        &conf("pytorch/lstm_i5_h7/model.safetensors"),
        "--input",
        &conf("pytorch/gru_i8_h64_l2_fc3_tanh/input.npy"),
        "--output",
        &tmp("never.npy"),
    ]);
    assert_clean_error(&out, "input.npy");
    // A truncated safetensors file.
    let bytes = std::fs::read(conf("pytorch/lstm_i5_h7/model.safetensors")).expect("read");
    let cut = tmp("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    assert_clean_error(&tinyrnn(&["info", &cut]), "cut.safetensors");
}

#[test]
fn a_tier_this_cpu_cannot_run_is_an_error_not_a_panic() {
    let model = conf("amp-json/lstm8_ts9_pytorch.json");
    let run = |tier: &str| {
        Command::new(env!("CARGO_BIN_EXE_tinyrnn"))
            .args(["bench", &model])
            .env("TINYRNN_TIER", tier)
            .output()
            .expect("run tinyrnn")
    };
    assert_clean_error(&run("avx10"), "TINYRNN_TIER=avx10: not one of scalar");
    // An ISA of another architecture: never runnable here.
    let foreign = if cfg!(target_arch = "aarch64") { "avx2" } else { "neon" };
    assert_clean_error(&run(foreign), &format!("TINYRNN_TIER={foreign}: this CPU cannot run that tier"));
    let out = run("scalar");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bench_prints_ns_per_step_and_real_time_factor() {
    let out = tinyrnn(&["bench", &conf("amp-json/gru4_ts9_pytorch.json")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ns/step") && text.contains("real-time factor"), "{text}");
}
