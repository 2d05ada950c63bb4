//! wasm32 simd128 tier (`v128`), compiled only with `-C target-feature=+simd128`.
//!
//! simd128 has no fused multiply-add (that is the separate relaxed-simd proposal), so this
//! tier performs exactly the operations of [`crate::activation::fast::tanh`] / [`crate::activation::fast::sigmoid`]:
//! bit-identical results per lane.

use super::lanes::{sigmoid_lanes, tanh_lanes};
use crate::kernel::wasm32::simd128::Simd128;
use core::arch::wasm32::*;

#[inline]
#[target_feature(enable = "simd128")]
fn tanh_simd128_tf(x: v128) -> v128 {
    tanh_lanes(Simd128::TOKEN, x)
}

#[inline]
#[target_feature(enable = "simd128")]
fn sigmoid_simd128_tf(x: v128) -> v128 {
    sigmoid_lanes(Simd128::TOKEN, x)
}

/// Fast `tanh` on four lanes (wasm simd128). Bit-identical to [`crate::activation::fast::tanh`] per lane.
#[inline]
pub fn tanh_simd128(x: v128) -> v128 {
    // Safe call: this module exists only when simd128 is enabled crate-wide.
    tanh_simd128_tf(x)
}

/// Fast `sigmoid` on four lanes (wasm simd128). Bit-identical to [`crate::activation::fast::sigmoid`].
#[inline]
pub fn sigmoid_simd128(x: v128) -> v128 {
    // Safe call: this module exists only when simd128 is enabled crate-wide.
    sigmoid_simd128_tf(x)
}

macro_rules! slice_simd128 {
    ($(#[$doc:meta])* $name:ident, $inner:ident, $f:ident) => {
        $(#[$doc])*
        pub fn $name(xs: &mut [f32]) {
            // Safe call: this module exists only when simd128 is enabled crate-wide.
            $inner(xs)
        }

        #[target_feature(enable = "simd128")]
        fn $inner(xs: &mut [f32]) {
            let mut chunks = xs.chunks_exact_mut(4);
            for chunk in &mut chunks {
                let p = chunk.as_mut_ptr() as *mut v128;
                // SAFETY: `chunk` is exactly 16 bytes; wasm loads/stores have no alignment
                // requirement (v128_load/v128_store are unaligned).
                unsafe { v128_store(p, $f(v128_load(p))) };
            }
            let rest = chunks.into_remainder();
            if !rest.is_empty() {
                // The tail goes through the same vector formula, zero-padded.
                let mut buf = [0.0f32; 4];
                buf[..rest.len()].copy_from_slice(rest);
                let p = buf.as_mut_ptr() as *mut v128;
                // SAFETY: `buf` is a local [f32; 4] (16 bytes): the load and store are in bounds.
                unsafe { v128_store(p, $f(v128_load(p))) };
                rest.copy_from_slice(&buf[..rest.len()]);
            }
        }
    };
}

slice_simd128!(
    /// In-place [`tanh_simd128`] over a slice; the tail (< 4 elements) is padded into a vector.
    tanh_slice_simd128,
    tanh_slice_simd128_tf,
    tanh_simd128_tf
);
slice_simd128!(
    /// In-place [`sigmoid_simd128`] over a slice; the tail (< 4 elements) is padded.
    sigmoid_slice_simd128,
    sigmoid_slice_simd128_tf,
    sigmoid_simd128_tf
);
