//! Shared by the benchmarks: random weights and a tiny RNG.
#![allow(dead_code)]

use tinyrnn::*;

pub struct Rng(pub u64);

impl Rng {
    pub fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    pub fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform() * scale).collect()
    }
}

pub fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

/// A cell's random weights in PyTorch layout: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`
/// for `g` gates, `i` inputs and `h` hidden units.
pub fn cell_pytorch(g: usize, i: usize, h: usize) -> [Vec<f32>; 4] {
    let mut rng = Rng(0x1234_5678_9abc_def1 ^ (h * 31 + i) as u64);
    let s = 1.0 / (h as f32).sqrt();
    [rng.vec(g * h * i, s), rng.vec(g * h * h, s), rng.vec(g * h, 0.2), rng.vec(g * h, 0.2)]
}

pub fn cell<const I: usize, const H: usize, const G: usize, const B: usize>(
    kind: CellKind,
) -> &'static CellWeights<I, H, G, B> {
    let [w_ih, w_hh, b_ih, b_hh] = cell_pytorch(G, I, H);
    let mut w = CellWeights::<I, H, G, B>::zeroed(kind);
    w.set_from_pytorch(&w_ih, &w_hh, &b_ih, &b_hh).expect("shapes");
    leak(w)
}

/// A Dense head's random weights in PyTorch layout: `weight` (`o × i`) and `bias`.
pub fn head_pytorch(i: usize, o: usize) -> [Vec<f32>; 2] {
    let mut rng = Rng(77);
    [rng.vec(i * o, 0.3), rng.vec(o, 0.1)]
}

pub fn head<const I: usize, const O: usize>() -> &'static DenseWeights<I, O> {
    let [weight, bias] = head_pytorch(I, O);
    let mut w = DenseWeights::<I, O>::zeroed(DenseActivation::Identity);
    w.set_from_pytorch(&weight, &bias).expect("shapes");
    leak(w)
}

/// The runtime-sized model of a `kind` cell (I = 1, `h` units) + Dense(H → 1), with the
/// weights [`cell`] and [`head`] pack for the const-generic layers.
#[cfg(feature = "std")]
pub fn model_spec(kind: CellKind, h: usize) -> host::ModelSpec {
    let [weight_ih, weight_hh, bias_ih, bias_hh] = cell_pytorch(kind.gates(), 1, h);
    let [weight, bias] = head_pytorch(h, 1);
    host::ModelSpec {
        input_size: 1,
        layers: vec![
            host::LayerSpec::Recurrent(host::RecurrentSpec {
                kind,
                input_size: 1,
                hidden_size: h,
                weight_ih,
                weight_hh,
                bias_ih,
                bias_hh,
                initial_h: None,
                initial_c: None,
            }),
            host::LayerSpec::Dense(host::DenseSpec {
                input_size: h,
                output_size: 1,
                weight,
                bias,
                activation: DenseActivation::Identity,
            }),
        ],
        skip: 0,
        prewarm: 0,
        source: String::from("benches/common/mod.rs"),
    }
}

/// A test signal sample.
pub fn sample(n: usize) -> f32 {
    (n as f32 * 0.0137).sin() * 0.5
}

/// 4096 samples of the test signal (index with `n & 4095`): step benchmarks read their input
/// from here, so they do not time `sin`.
pub fn signal() -> Vec<f32> {
    (0..4096).map(sample).collect()
}
