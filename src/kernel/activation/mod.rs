//! The fast `tanh` / `sigmoid` of [`crate::activation::fast`] on each ISA's vectors: the same
//! coefficients and formula, lane by lane (see that module for the bounds and which tier is
//! bit-identical to which scalar model).

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64", all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) mod lanes;

#[cfg(target_arch = "x86_64")]
pub mod x86_64;

#[cfg(target_arch = "aarch64")]
pub mod aarch64;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod wasm32;
