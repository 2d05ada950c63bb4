//! wasm32 simd128 tier (`v128`), compiled only with `-C target-feature=+simd128`.
//!
//! simd128 has no fused multiply-add (that is the separate relaxed-simd proposal), so this
//! tier performs exactly the operations of [`crate::activation::fast::tanh`] / [`crate::activation::fast::sigmoid`]:
//! bit-identical results per lane.

use crate::activation::fast::{CLAMP, G1, G2, G3, G4, LN2, LOG2E, MAGIC, NEG_THIRD, SIGMOID_HI, SIGMOID_LO, SWITCH};
use core::arch::wasm32::*;

/// `a * b + c` with two roundings (as the scalar tier).
#[inline]
#[target_feature(enable = "simd128")]
fn mad(a: v128, b: v128, c: v128) -> v128 {
    f32x4_add(f32x4_mul(a, b), c)
}

/// `2^n` from `km = MAGIC + n` (see `fast::pow2_n`).
#[inline]
#[target_feature(enable = "simd128")]
fn pow2_n(km: v128) -> v128 {
    i32x4_add(i32x4_shl(km, 23), u32x4_splat(0x3f80_0000))
}

/// `e^y = 2^n (1 + r)` as `(km, r)` (`e^{-y}` with `NEG`): `fast::exp_split`, plain rounding.
#[inline]
#[target_feature(enable = "simd128")]
fn exp_split<const NEG: bool>(y: v128) -> (v128, v128) {
    let c = f32x4_splat;
    if NEG {
        let km = mad(y, c(-LOG2E), c(MAGIC));
        let k = f32x4_sub(km, c(MAGIC));
        let w = mad(k, c(LN2), y);
        let h = mad(mad(mad(c(-G4), w, c(G3)), w, c(-G2)), w, c(G1));
        let r1 = f32x4_mul(w, h);
        (km, f32x4_sub(f32x4_mul(w, r1), w))
    } else {
        let km = mad(y, c(LOG2E), c(MAGIC));
        let k = f32x4_sub(km, c(MAGIC));
        let u = f32x4_sub(y, f32x4_mul(k, c(LN2)));
        let h = mad(mad(mad(c(G4), u, c(G3)), u, c(G2)), u, c(G1));
        let r1 = f32x4_mul(u, h);
        (km, mad(u, r1, u))
    }
}

#[inline]
#[target_feature(enable = "simd128")]
fn tanh_abs_simd128(a: v128) -> v128 {
    let c = f32x4_splat;
    // f32x4.min propagates NaN; otherwise min(CLAMP, a).
    let a = f32x4_min(c(CLAMP), a);
    let (km, r) = exp_split::<false>(f32x4_add(a, a));
    let p = pow2_n(km);
    let den = mad(p, r, f32x4_add(p, c(1.0)));
    let big = f32x4_sub(c(1.0), f32x4_div(c(2.0), den));
    let small = mad(f32x4_mul(a, f32x4_mul(a, a)), c(NEG_THIRD), a);
    v128_bitselect(small, big, f32x4_lt(a, c(SWITCH)))
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
    let c = f32x4_splat;
    // f32x4.min / f32x4.max propagate NaN.
    let x = f32x4_max(c(SIGMOID_LO), f32x4_min(c(SIGMOID_HI), x));
    let (km, r) = exp_split::<true>(x);
    let den = mad(pow2_n(km), f32x4_add(r, c(1.0)), c(1.0));
    f32x4_div(c(1.0), den)
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
