//! wasm32 simd128 tier (`v128`), compiled only with `-C target-feature=+simd128`.
//!
//! simd128 has no fused multiply-add (that is the separate relaxed-simd proposal), so this
//! tier performs exactly the operations of [`crate::activation::fast::tanh`] / [`crate::activation::fast::sigmoid`]:
//! bit-identical results per lane.

use crate::activation::fast::{
    CLAMP, G0, G1, G2, G3, G4, G5, LN2_HI, LN2_LO, MAGIC, P0, P1, P2, Q1, Q2, SWITCH, TWO_LOG2E,
};
use core::arch::wasm32::*;

/// `a * b + c` with two roundings (as the scalar tier).
#[inline]
#[target_feature(enable = "simd128")]
fn mad(a: v128, b: v128, c: v128) -> v128 {
    f32x4_add(f32x4_mul(a, b), c)
}

#[inline]
#[target_feature(enable = "simd128")]
fn tanh_abs_simd128(a: v128) -> v128 {
    let c = f32x4_splat;
    // f32x4.min propagates NaN; otherwise min(CLAMP, a).
    let a = f32x4_min(c(CLAMP), a);
    let s = f32x4_mul(a, a);
    let p = mad(mad(c(P2), s, c(P1)), s, c(P0));
    let q = mad(mad(c(Q2), s, c(Q1)), s, c(1.0));
    let km = mad(a, c(TWO_LOG2E), c(MAGIC));
    let k = f32x4_sub(km, c(MAGIC));
    let a2 = f32x4_add(a, a);
    let f = f32x4_sub(f32x4_sub(a2, f32x4_mul(k, c(LN2_HI))), f32x4_mul(k, c(LN2_LO)));
    let pow_mn_bits = i32x4_sub(u32x4_splat(0x3f80_0000), i32x4_shl(km, 23));
    let pow_1mn = i32x4_add(pow_mn_bits, u32x4_splat(0x0080_0000));
    let g = mad(mad(mad(c(G5), f, c(G4)), f, c(G3)), f, c(G2));
    let g = mad(mad(g, f, c(G1)), f, c(G0));
    let den = mad(f, g, f32x4_add(c(1.0), pow_mn_bits));
    let big = f32x4_ge(a, c(SWITCH));
    let quo = f32x4_div(v128_bitselect(pow_1mn, p, big), v128_bitselect(den, q, big));
    let small = mad(a, f32x4_mul(s, quo), a);
    v128_bitselect(f32x4_sub(c(1.0), quo), small, big)
}

#[inline]
#[target_feature(enable = "simd128")]
fn tanh_simd128_tf(x: v128) -> v128 {
    let sign = u32x4_splat(0x8000_0000);
    let y = tanh_abs_simd128(v128_andnot(x, sign));
    v128_or(y, v128_and(x, sign))
}

#[inline]
#[target_feature(enable = "simd128")]
fn sigmoid_simd128_tf(x: v128) -> v128 {
    let half = f32x4_splat(0.5);
    mad(half, tanh_simd128_tf(f32x4_mul(half, x)), half)
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
