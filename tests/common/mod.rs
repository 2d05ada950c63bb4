//! Test-only helpers: reading the conformance data (safetensors weights, .npy arrays).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

/// `../shared/conformance` beside the repository (override with `TINYRNN_CONFORMANCE`).
pub fn conformance_dir() -> PathBuf {
    match std::env::var_os("TINYRNN_CONFORMANCE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
    }
}

/// A float32 tensor: shape and row-major values.
#[derive(Clone, Debug)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// All F32 tensors and the `__metadata__` of a safetensors file.
pub fn read_safetensors(path: &std::path::Path) -> (HashMap<String, Tensor>, HashMap<String, String>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).expect("safetensors header");
    let metadata = meta.metadata().clone().unwrap_or_default();
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let mut out = HashMap::new();
    for (name, view) in st.tensors() {
        assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name}");
        let data = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        out.insert(name, Tensor { shape: view.shape().to_vec(), data });
    }
    (out, metadata)
}

/// A (T, F) float32 or float64 .npy file as f32 values.
pub fn read_npy(path: &std::path::Path) -> Tensor {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let npy = npyz::NpyFile::new(&bytes[..]).expect("npy header");
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let data = match npy.dtype() {
        npyz::DType::Plain(t) if t.size_field() == 8 => {
            npy.into_vec::<f64>().expect("f64 data").into_iter().map(|v| v as f32).collect()
        }
        _ => npy.into_vec::<f32>().expect("f32 data"),
    };
    Tensor { shape, data }
}

/// Leaks a value to get the `&'static` the layers hold (tests only).
pub fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

/// Max |a − b| over two equally long slices.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// A small deterministic generator for test data (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [-scale, scale).
    pub fn uniform(&mut self, scale: f32) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
    }
    pub fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform(scale)).collect()
    }
}

/// The tier the tests run on: [`tinyrnn::Tier::detect`] with `std` (the best one, or the
/// one `TINYRNN_TIER` forces); without `std`, the one enabled at compile time, as a `no_std`
/// build would pick it.
pub fn tier() -> tinyrnn::Tier {
    #[cfg(feature = "std")]
    return tinyrnn::Tier::detect();
    #[cfg(not(feature = "std"))]
    return tinyrnn::Tier::STATIC;
}
