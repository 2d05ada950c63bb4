//! Baking: checked-in generated modules stay current (`TINYRNN_BLESS=1 cargo test --test bake`
//! rewrites them), compile as ordinary Rust, and match the runtime model bit for bit.
#![cfg(feature = "formats")]

mod common;

use common::*;
use tinyrnn::activation::ActivationKind;
use tinyrnn::host::bake::bake_model_file;
use tinyrnn::host::{io::load_model, LayerSpec, Model, ModelSpec};
use tinyrnn::{Exact, Layer, Network, Tier};

#[path = "baked/amp_gru8.rs"]
mod amp_gru8;
#[path = "baked/lstm_i1_h32_fc1.rs"]
mod lstm_i1_h32_fc1;
#[path = "baked/lstm_i4_h24_l2.rs"]
mod lstm_i4_h24_l2;
#[path = "baked/nam_lstm.rs"]
mod nam_lstm;
#[path = "baked/rnn_relu_i2_h6.rs"]
mod rnn_relu_i2_h6;
#[path = "baked/rtneural_dense.rs"]
mod rtneural_dense;

/// (checked-in module, source model under ../shared/conformance)
const BAKED: [(&str, &str); 6] = [
    ("amp_gru8", "amp-json/gru8_ts9_pytorch.json"),
    ("lstm_i1_h32_fc1", "pytorch/lstm_i1_h32_fc1/model.safetensors"),
    ("lstm_i4_h24_l2", "pytorch/lstm_i4_h24_l2/model.safetensors"),
    ("nam_lstm", "nam/lstm.nam"),
    ("rnn_relu_i2_h6", "pytorch/rnn_relu_i2_h6/model.safetensors"),
    ("rtneural_dense", "rtneural/models/dense.json"),
];

#[test]
fn checked_in_modules_are_current() {
    let bless = std::env::var_os("TINYRNN_BLESS").is_some();
    for (module, model) in BAKED {
        let fresh = bake_model_file(&conformance_dir().join(model), ActivationKind::Exact).expect("bake");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/baked/{module}.rs"));
        if bless {
            std::fs::write(&path, &fresh).expect("write");
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(on_disk == fresh, "{} is stale: rerun with TINYRNN_BLESS=1", path.display());
        // Deterministic: baking twice gives the same bytes.
        assert_eq!(bake_model_file(&conformance_dir().join(model), ActivationKind::Exact).expect("bake"), fresh);
    }
}

fn spec(model: &str) -> ModelSpec {
    load_model(conformance_dir().join(model)).expect("load")
}

/// Runs a baked network and the runtime model on the same input; they must agree bitwise.
/// The baked network gets its tier as users pick it, for its `WIDTH`: the widest layer's
/// units, so the runtime model's tier.
fn same_bits<N: Layer>(baked: &mut N, model: &str, steps: usize) {
    let spec = spec(model);
    let mut rt = Model::<Exact>::from_spec(&spec).expect("model");
    assert_eq!(Some(N::WIDTH), spec.layers.iter().map(LayerSpec::output_size).max(), "{model}");
    assert_eq!(Tier::detect_for(N::WIDTH), rt.tier(), "{model}");
    baked.set_tier(Tier::detect_for(N::WIDTH));
    let mut rng = Rng(11);
    let input = rng.vec(steps * N::INPUT_SIZE, 1.0);
    let mut a = vec![0.0; steps * N::OUTPUT_SIZE];
    let mut b = a.clone();
    baked.process_block(&input, &mut a);
    rt.process_block(&input, &mut b);
    assert_eq!(a, b, "{model}");
    assert!(a.iter().any(|&v| v != 0.0), "{model}: all zeros");
    // reset returns both to the same initial state.
    baked.reset();
    rt.reset();
    baked.process_block(&input, &mut a);
    rt.process_block(&input, &mut b);
    assert_eq!(a, b, "{model} after reset");
}

#[test]
fn baked_models_match_the_runtime_model_bitwise() {
    same_bits(&mut amp_gru8::new(), BAKED[0].1, 500);
    same_bits(&mut lstm_i1_h32_fc1::new(), BAKED[1].1, 500);
    same_bits(&mut lstm_i4_h24_l2::new(), BAKED[2].1, 200);
    same_bits(&mut nam_lstm::new(), BAKED[3].1, 500);
    same_bits(&mut rnn_relu_i2_h6::new(), BAKED[4].1, 200);
    same_bits(&mut rtneural_dense::new(), BAKED[5].1, 100);
}

#[test]
fn baked_amp_model_matches_the_reference_output() {
    let x = read_npy(&conformance_dir().join("amp-json/gru8_ts9.x.npy"));
    let y_ref = read_npy(&conformance_dir().join("amp-json/gru8_ts9.y_f64.npy"));
    let mut net = amp_gru8::new();
    let mut y = vec![0.0; x.data.len()];
    net.process_block(&x.data, &mut y);
    let err = max_abs_diff(&y, &y_ref.data);
    assert!(err <= 1e-4, "{err:e}");
}

#[test]
fn baked_nam_model_starts_from_the_prewarmed_state() {
    let x = read_npy(&conformance_dir().join("nam/lstm.prewarm24000.x.npy"));
    let y_ref = read_npy(&conformance_dir().join("nam/lstm.prewarm24000.y_f64.npy"));
    let mut net = nam_lstm::new();
    let mut y = vec![0.0; x.data.len()];
    net.process_block(&x.data, &mut y);
    let err = max_abs_diff(&y, &y_ref.data);
    assert!(err <= 1e-4, "{err:e}");
}

#[test]
fn footprint_flash_is_the_size_of_the_weight_statics() {
    use tinyrnn::host::bake::footprint;
    use tinyrnn::{DenseWeights, GruWeights, LstmWeights};
    let fp = footprint(&spec("pytorch/lstm_i1_h32_fc1/model.safetensors"));
    assert_eq!(fp.flash_bytes, size_of::<LstmWeights<1, 32>>() + size_of::<DenseWeights<32, 1>>());
    assert_eq!(fp.macs_per_step, 4 * 32 * 33 + 32);
    let fp = footprint(&spec("amp-json/gru8_ts9_pytorch.json"));
    assert_eq!(fp.flash_bytes, size_of::<GruWeights<1, 8>>() + size_of::<DenseWeights<8, 1>>());
    assert_eq!(fp.params, 3 * 8 * (1 + 8) + 2 * 3 * 8 + 8 + 1);
}
