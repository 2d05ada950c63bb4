//! The runtime-sized `host::Model`, built by the loaders, against all four conformance
//! folders (exact activations), and bit-for-bit against the const-generic layers.
#![cfg(feature = "formats")]

mod common;

use common::*;
use tinyrnn::host::{io::load_model, Model, ModelSpec};
use tinyrnn::*;

fn spec(rel: &str) -> ModelSpec {
    let path = conformance_dir().join(rel);
    load_model(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(model: &mut Model<Exact>, input: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; input.len() / model.input_size() * model.output_size()];
    model.process_block(input, &mut out);
    out
}

fn read_csv(rel: &str) -> Vec<f64> {
    let path = conformance_dir().join(rel);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').next().expect("a value").trim().parse().expect("a number"))
        .collect()
}

#[test]
fn pytorch_folder() {
    for case in [
        "gru_i1_h16_fc1",
        "gru_i8_h64_l2_fc3_tanh",
        "lstm_i1_h32_fc1",
        "lstm_i4_h24_l2",
        "lstm_i5_h7",
        "rnn_relu_i2_h6",
        "rnn_tanh_i3_h8",
    ] {
        let dir = format!("pytorch/{case}");
        let mut model = Model::<Exact>::from_spec(&spec(&format!("{dir}/model.safetensors"))).expect("model");
        let x = read_npy(&conformance_dir().join(&dir).join("input.npy"));
        let y_ref = read_npy(&conformance_dir().join(&dir).join("output.npy"));
        let y = run(&mut model, &x.data);
        let scale = y_ref.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let err = max_abs_diff(&y, &y_ref.data) / scale;
        println!("pytorch/{case}: max scaled error {err:.2e}");
        assert!(err <= 2e-5, "pytorch/{case}: {err:e}");
    }
}

#[test]
fn rtneural_folder() {
    for (name, tol) in [
        ("dense", 1e-6),
        ("gru", 5e-6),
        ("gru_1d", 1e-6),
        ("lstm", 1e-6),
        ("lstm_1d", 1e-6),
        ("gru_torch", 1e-6),
        ("lstm_torch", 1e-6),
    ] {
        let mut model = Model::<Exact>::from_spec(&spec(&format!("rtneural/models/{name}.json"))).expect("model");
        assert_eq!(model.input_size(), 1, "{name}");
        // RTNeural's CSV inputs are float64: rounded to float32 for a float32 model.
        let x: Vec<f32> =
            read_csv(&format!("rtneural/test_data/{name}_x_python.csv")).iter().map(|&v| v as f32).collect();
        let y_ref = read_csv(&format!("rtneural/test_data/{name}_y_python.csv"));
        let mut y = vec![0.0; model.output_size()];
        let mut err = 0.0f64;
        for (t, xt) in x.iter().enumerate() {
            model.step(&[*xt], &mut y);
            err = err.max((y[0] as f64 - y_ref[t]).abs());
        }
        println!("rtneural/{name}: max abs error {err:.2e} over {} samples (tolerance {tol:e})", x.len());
        assert!(err <= tol, "rtneural/{name}: {err:e} > {tol:e}");
    }
}

#[test]
fn rtneural_bad_lstm_is_rejected() {
    let path = conformance_dir().join("rtneural/models/bad_lstm.json");
    let err = load_model(&path).expect_err("bad_lstm.json must be rejected").to_string();
    println!("{err}");
    assert!(err.contains("bad_lstm.json"), "{err}");
}

#[test]
fn amp_json_folder() {
    for name in ["gru4_ts9", "gru8_ts9", "lstm4_ts9", "lstm8_ts9"] {
        let mut model = Model::<Exact>::from_spec(&spec(&format!("amp-json/{name}_pytorch.json"))).expect("model");
        let x = read_npy(&conformance_dir().join(format!("amp-json/{name}.x.npy")));
        let y_ref = read_npy(&conformance_dir().join(format!("amp-json/{name}.y_f64.npy")));
        let y = run(&mut model, &x.data);
        let err = max_abs_diff(&y, &y_ref.data);
        println!("amp-json/{name}: max abs error vs f64 {err:.2e} over {} samples", x.shape[0]);
        assert!(err <= 1e-4, "amp-json/{name}: {err:e}");
    }
}

#[test]
fn nam_folder() {
    let base = spec("nam/lstm.nam");
    for (case, prewarm) in [("noprewarm", 0), ("prewarm24000", 24000)] {
        let mut s = base.clone();
        s.prewarm = prewarm;
        let mut model = Model::<Exact>::from_spec(&s).expect("model");
        let x = read_npy(&conformance_dir().join(format!("nam/lstm.{case}.x.npy")));
        let y_ref = read_npy(&conformance_dir().join(format!("nam/lstm.{case}.y_f64.npy")));
        let y = run(&mut model, &x.data);
        let err = max_abs_diff(&y, &y_ref.data);
        println!("nam/{case}: max abs error vs f64 {err:.2e} over {} samples", x.shape[0]);
        assert!(err <= 1e-4, "nam/{case}: {err:e}");
        // reset returns to the prewarmed initial state: the run repeats exactly.
        model.reset();
        assert_eq!(run(&mut model, &x.data), y, "nam/{case}: reset");
    }
    assert_eq!(base.prewarm, 24000, "NAM files prewarm like the NAM plugin by default");
}

/// Same kernels, same packing: the runtime model and the const-generic layers agree bit for bit.
#[test]
fn runtime_model_matches_const_generic_layers_bitwise() {
    let s = spec("pytorch/lstm_i1_h32_fc1/model.safetensors");
    let mut model = Model::<Exact>::from_spec(&s).expect("model");
    let (tensors, _) = read_safetensors(&conformance_dir().join("pytorch/lstm_i1_h32_fc1/model.safetensors"));
    let t = |n: &str| tensors[n].data.clone();
    let mut lstm = LstmWeights::<1, 32>::zeroed(CellKind::Lstm);
    lstm.set_from_pytorch(&t("rnn.weight_ih_l0"), &t("rnn.weight_hh_l0"), &t("rnn.bias_ih_l0"), &t("rnn.bias_hh_l0"))
        .expect("shapes");
    let mut head = DenseWeights::<32, 1>::zeroed(DenseActivation::Identity);
    head.set_from_pytorch(&t("fc.weight"), &t("fc.bias")).expect("shapes");
    let mut net = Chain::new(Lstm::<1, 32, Exact>::new(leak(lstm)), Dense::<32, 1, Exact>::new(leak(head)))
        .with_tier(model.tier());
    let x = read_npy(&conformance_dir().join("pytorch/lstm_i1_h32_fc1/input.npy"));
    let mut a = vec![0.0; x.data.len()];
    net.process_block(&x.data, &mut a);
    assert_eq!(run(&mut model, &x.data), a);
}

/// The model runs on the tier `Tier::detect_for` picks for its widest layer (on Intel CPUs
/// with AVX-512, AVX2 below 25 units; else, or when `TINYRNN_TIER` forces one, `detect`'s).
#[test]
fn runtime_model_tier_is_picked_for_its_widest_layer() {
    for (file, width) in [
        ("pytorch/rnn_tanh_i3_h8/model.safetensors", 8),
        ("pytorch/lstm_i4_h24_l2/model.safetensors", 24),
        ("pytorch/lstm_i1_h32_fc1/model.safetensors", 32),
        ("pytorch/gru_i8_h64_l2_fc3_tanh/model.safetensors", 64),
    ] {
        let model = Model::<Exact>::from_spec(&spec(file)).expect("model");
        assert_eq!(model.tier(), Tier::detect_for(width), "{file}");
    }
}

#[test]
fn snapshot_restore_and_reset() {
    let mut model =
        Model::<Exact>::from_spec(&spec("pytorch/gru_i8_h64_l2_fc3_tanh/model.safetensors")).expect("model");
    let x = read_npy(&conformance_dir().join("pytorch/gru_i8_h64_l2_fc3_tanh/input.npy")).data;
    let first = run(&mut model, &x);
    model.reset();
    let (head, tail) = x.split_at(8 * 100);
    run(&mut model, head);
    let snap = model.snapshot();
    assert_eq!(snap.len(), model.state_len());
    let rest = run(&mut model, tail);
    assert_eq!(rest[..], first[3 * 100..]);
    model.restore(&snap);
    assert_eq!(run(&mut model, tail), rest);
}

/// The default fast activations stay within the PyTorch folder's tolerance too.
#[test]
fn pytorch_folder_with_fast_activations() {
    for case in [
        "gru_i1_h16_fc1",
        "gru_i8_h64_l2_fc3_tanh",
        "lstm_i1_h32_fc1",
        "lstm_i4_h24_l2",
        "lstm_i5_h7",
        "rnn_relu_i2_h6",
        "rnn_tanh_i3_h8",
    ] {
        let dir = conformance_dir().join("pytorch").join(case);
        let mut model = Model::<Fast>::from_spec(&spec(&format!("pytorch/{case}/model.safetensors"))).expect("model");
        let x = read_npy(&dir.join("input.npy"));
        let y_ref = read_npy(&dir.join("output.npy"));
        let mut y = vec![0.0; y_ref.data.len()];
        model.process_block(&x.data, &mut y);
        let scale = y_ref.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let err = max_abs_diff(&y, &y_ref.data) / scale;
        println!("pytorch/{case} (fast): max scaled error {err:.2e}");
        assert!(err <= 2e-5, "pytorch/{case} (fast): {err:e}");
    }
}
