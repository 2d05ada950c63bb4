//! WebAssembly tier: simd128 (enabled at compile time: `-C target-feature=+simd128`).

pub(crate) mod simd128;
