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

pub fn cell<const I: usize, const H: usize, const G: usize, const B: usize>(
    kind: CellKind,
) -> &'static CellWeights<I, H, G, B> {
    let mut rng = Rng(0x1234_5678_9abc_def1 ^ (H * 31 + I) as u64);
    let s = 1.0 / (H as f32).sqrt();
    let mut w = CellWeights::<I, H, G, B>::zeroed(kind);
    w.set_from_pytorch(&rng.vec(G * H * I, s), &rng.vec(G * H * H, s), &rng.vec(G * H, 0.2), &rng.vec(G * H, 0.2))
        .expect("shapes");
    leak(w)
}

pub fn head<const I: usize, const O: usize>() -> &'static DenseWeights<I, O> {
    let mut rng = Rng(77);
    let mut w = DenseWeights::<I, O>::zeroed(DenseActivation::Identity);
    w.set_from_pytorch(&rng.vec(I * O, 0.3), &rng.vec(O, 0.1)).expect("shapes");
    leak(w)
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
