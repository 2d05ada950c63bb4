//! Parity with PyTorch: every case in `../shared/conformance/pytorch`, exact activations
//! (and the same cases with the default fast ones, within the same tolerance).
//!
//! Tolerance: max |y − y_torch| ≤ 2e-5 × max(1, max |y_torch|), stepping from zero state.

mod common;

use common::*;
use std::collections::HashMap;
use tinyrnn::*;

const TOL: f32 = 2e-5;

struct Case {
    tensors: HashMap<String, Tensor>,
    meta: HashMap<String, String>,
    input: Tensor,
    output: Tensor,
}

fn case(name: &str) -> Case {
    let dir = conformance_dir().join("pytorch").join(name);
    let (tensors, meta) = read_safetensors(&dir.join("model.safetensors"));
    Case { tensors, meta, input: read_npy(&dir.join("input.npy")), output: read_npy(&dir.join("output.npy")) }
}

impl Case {
    fn t(&self, name: &str) -> &[f32] {
        &self.tensors.get(name).unwrap_or_else(|| panic!("missing tensor {name}")).data
    }

    fn cell<const I: usize, const H: usize, const G: usize, const B: usize>(
        &self,
        kind: CellKind,
        layer: usize,
    ) -> &'static CellWeights<I, H, G, B> {
        let mut w = CellWeights::<I, H, G, B>::zeroed(kind);
        w.set_from_pytorch(
            self.t(&format!("rnn.weight_ih_l{layer}")),
            self.t(&format!("rnn.weight_hh_l{layer}")),
            self.t(&format!("rnn.bias_ih_l{layer}")),
            self.t(&format!("rnn.bias_hh_l{layer}")),
        )
        .expect("shapes");
        leak(w)
    }

    fn head<const I: usize, const O: usize>(&self) -> &'static DenseWeights<I, O> {
        let act = match self.meta.get("fc.activation").map(String::as_str) {
            None => DenseActivation::Identity,
            Some("tanh") => DenseActivation::Tanh,
            Some(other) => panic!("unexpected head activation {other}"),
        };
        let mut w = DenseWeights::<I, O>::zeroed(act);
        w.set_from_pytorch(self.t("fc.weight"), self.t("fc.bias")).expect("shapes");
        leak(w)
    }

    fn nonlinearity(&self) -> RnnNonlinearity {
        match self.meta.get("rnn.nonlinearity").map(String::as_str) {
            Some("relu") => RnnNonlinearity::Relu,
            None | Some("tanh") => RnnNonlinearity::Tanh,
            Some(other) => panic!("unexpected nonlinearity {other}"),
        }
    }

    /// Runs `net` step by step and returns the scaled max error.
    fn check<N: Layer>(&self, name: &str, net: &mut N) -> f32 {
        net.set_tier(common::tier());
        let t = self.input.shape[0];
        assert_eq!(self.input.shape, [t, N::INPUT_SIZE], "{name}: input shape");
        assert_eq!(self.output.shape, [t, N::OUTPUT_SIZE], "{name}: output shape");
        let mut y = vec![0.0; t * N::OUTPUT_SIZE];
        for (x, out) in self.input.data.chunks_exact(N::INPUT_SIZE).zip(y.chunks_exact_mut(N::OUTPUT_SIZE)) {
            net.step(x, out);
        }
        let scale = self.output.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let err = max_abs_diff(&y, &self.output.data) / scale;
        println!("{name}: max scaled error {err:.3e} over {t} steps");
        assert!(err <= TOL, "{name}: scaled error {err:e} > {TOL:e}");
        err
    }
}

#[test]
fn gru_i1_h16_fc1() {
    let c = case("gru_i1_h16_fc1");
    let mut net = Chain::new(Gru::<1, 16, Exact>::new(c.cell(CellKind::Gru, 0)), Dense::<16, 1, Exact>::new(c.head()));
    c.check("gru_i1_h16_fc1", &mut net);
}

#[test]
fn gru_i8_h64_l2_fc3_tanh() {
    let c = case("gru_i8_h64_l2_fc3_tanh");
    let mut net = chain!(
        Gru::<8, 64, Exact>::new(c.cell(CellKind::Gru, 0)),
        Gru::<64, 64, Exact>::new(c.cell(CellKind::Gru, 1)),
        Dense::<64, 3, Exact>::new(c.head()),
    );
    c.check("gru_i8_h64_l2_fc3_tanh", &mut net);
}

#[test]
fn lstm_i1_h32_fc1() {
    let c = case("lstm_i1_h32_fc1");
    let mut net =
        Chain::new(Lstm::<1, 32, Exact>::new(c.cell(CellKind::Lstm, 0)), Dense::<32, 1, Exact>::new(c.head()));
    c.check("lstm_i1_h32_fc1", &mut net);
}

#[test]
fn lstm_i4_h24_l2() {
    let c = case("lstm_i4_h24_l2");
    let mut net = Chain::new(
        Lstm::<4, 24, Exact>::new(c.cell(CellKind::Lstm, 0)),
        Lstm::<24, 24, Exact>::new(c.cell(CellKind::Lstm, 1)),
    );
    c.check("lstm_i4_h24_l2", &mut net);
}

#[test]
fn lstm_i5_h7() {
    let c = case("lstm_i5_h7");
    let mut net = Lstm::<5, 7, Exact>::new(c.cell(CellKind::Lstm, 0));
    c.check("lstm_i5_h7", &mut net);
}

#[test]
fn rnn_relu_i2_h6() {
    let c = case("rnn_relu_i2_h6");
    assert_eq!(c.nonlinearity(), RnnNonlinearity::Relu);
    let mut net = Rnn::<2, 6, Exact>::new(c.cell(CellKind::Rnn(c.nonlinearity()), 0));
    c.check("rnn_relu_i2_h6", &mut net);
}

#[test]
fn rnn_tanh_i3_h8() {
    let c = case("rnn_tanh_i3_h8");
    let mut net = Rnn::<3, 8, Exact>::new(c.cell(CellKind::Rnn(c.nonlinearity()), 0));
    c.check("rnn_tanh_i3_h8", &mut net);
}

/// Every folder in the conformance data has a test above (a new case must get one).
#[test]
fn every_case_is_covered() {
    let mut names: Vec<String> = std::fs::read_dir(conformance_dir().join("pytorch"))
        .expect("conformance/pytorch")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "gru_i1_h16_fc1",
            "gru_i8_h64_l2_fc3_tanh",
            "lstm_i1_h32_fc1",
            "lstm_i4_h24_l2",
            "lstm_i5_h7",
            "rnn_relu_i2_h6",
            "rnn_tanh_i3_h8"
        ]
    );
}
