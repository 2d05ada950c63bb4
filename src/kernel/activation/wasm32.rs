//! wasm32 simd128 tier (`v128`), compiled only with `-C target-feature=+simd128`.
//!
//! simd128 has no fused multiply-add (that is the separate relaxed-simd proposal), so this
//! tier performs exactly the operations of [`crate::activation::fast::tanh`] / [`crate::activation::fast::sigmoid`]:
//! bit-identical results per lane.

use super::lanes::{sigmoid_lanes, tanh_lanes, Lanes};
use core::arch::wasm32::*;

/// simd128 lanes for the shared formulas: separate multiply and add, like the scalar model.
#[derive(Clone, Copy)]
struct Simd128(());

// The intrinsics are safe: this module exists only when simd128 is enabled crate-wide.
impl Lanes for Simd128 {
    type V = v128;
    type M = v128;
    #[inline(always)]
    fn splat(self, x: f32) -> v128 {
        f32x4_splat(x)
    }
    #[inline(always)]
    fn add(self, a: v128, b: v128) -> v128 {
        f32x4_add(a, b)
    }
    #[inline(always)]
    fn sub(self, a: v128, b: v128) -> v128 {
        f32x4_sub(a, b)
    }
    #[inline(always)]
    fn mul(self, a: v128, b: v128) -> v128 {
        f32x4_mul(a, b)
    }
    #[inline(always)]
    fn div(self, a: v128, b: v128) -> v128 {
        f32x4_div(a, b)
    }
    #[inline(always)]
    fn mad(self, a: v128, b: v128, c: v128) -> v128 {
        f32x4_add(f32x4_mul(a, b), c)
    }
    #[inline(always)]
    fn msub(self, a: v128, b: v128, c: v128) -> v128 {
        f32x4_sub(f32x4_mul(a, b), c)
    }
    #[inline(always)]
    fn nmad(self, a: v128, b: v128, c: v128) -> v128 {
        f32x4_sub(c, f32x4_mul(a, b))
    }
    #[inline(always)]
    fn min(self, c: v128, x: v128) -> v128 {
        // f32x4.min: NaN if either lane is NaN.
        f32x4_min(c, x)
    }
    #[inline(always)]
    fn max(self, c: v128, x: v128) -> v128 {
        f32x4_max(c, x)
    }
    #[inline(always)]
    fn lt(self, a: v128, b: v128) -> v128 {
        f32x4_lt(a, b)
    }
    #[inline(always)]
    fn select(self, m: v128, a: v128, b: v128) -> v128 {
        v128_bitselect(a, b, m)
    }
    #[inline(always)]
    fn pow2_n(self, km: v128) -> v128 {
        i32x4_add(i32x4_shl(km, 23), u32x4_splat(0x3f80_0000))
    }
    #[inline(always)]
    fn abs(self, x: v128) -> v128 {
        v128_andnot(x, u32x4_splat(0x8000_0000))
    }
    #[inline(always)]
    fn or_sign(self, y: v128, x: v128) -> v128 {
        v128_or(y, v128_and(x, u32x4_splat(0x8000_0000)))
    }
}

#[inline]
#[target_feature(enable = "simd128")]
fn tanh_simd128_tf(x: v128) -> v128 {
    tanh_lanes(Simd128(()), x)
}

#[inline]
#[target_feature(enable = "simd128")]
fn sigmoid_simd128_tf(x: v128) -> v128 {
    sigmoid_lanes(Simd128(()), x)
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
