//! aarch64 NEON tier (`float32x4_t`).
//!
//! Every multiply-add is fused (`vfmaq_f32`), in the same order as
//! [`crate::activation::fast::tanh_fused`] / [`crate::activation::fast::sigmoid_fused`], so results are bit-identical
//! to those scalar models (and to the x86_64 AVX2+FMA tier). Division is IEEE `vdivq_f32`.

// Intrinsics are safe to call where their features are enabled on recent compilers and
// `unsafe` elsewhere: keep both building.
#![allow(unused_unsafe)]

use super::lanes::{sigmoid_lanes, tanh_lanes, Lanes};
use core::arch::aarch64::*;

/// NEON lanes for the shared formulas: every multiply-add fused, like the fused model.
#[derive(Clone, Copy)]
struct Neon(());

// SAFETY (every `unsafe` block in this impl): NEON is part of the aarch64 baseline, so these
// intrinsics are always available; none of them touches memory.
impl Lanes for Neon {
    type V = float32x4_t;
    type M = uint32x4_t;
    #[inline(always)]
    fn splat(self, x: f32) -> float32x4_t {
        unsafe { vdupq_n_f32(x) }
    }
    #[inline(always)]
    fn add(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vaddq_f32(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vsubq_f32(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vmulq_f32(a, b) }
    }
    #[inline(always)]
    fn div(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vdivq_f32(a, b) }
    }
    #[inline(always)]
    fn mad(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        unsafe { vfmaq_f32(c, a, b) }
    }
    #[inline(always)]
    fn msub(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // a·b + (−c), fused.
        unsafe { vfmaq_f32(vnegq_f32(c), a, b) }
    }
    #[inline(always)]
    fn nmad(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // vfmsq_f32(c, a, b) = c − a·b, fused.
        unsafe { vfmsq_f32(c, a, b) }
    }
    #[inline(always)]
    fn min(self, c: float32x4_t, x: float32x4_t) -> float32x4_t {
        // FMIN: NaN if either lane is NaN.
        unsafe { vminq_f32(c, x) }
    }
    #[inline(always)]
    fn max(self, c: float32x4_t, x: float32x4_t) -> float32x4_t {
        unsafe { vmaxq_f32(c, x) }
    }
    #[inline(always)]
    fn lt(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        unsafe { vcltq_f32(a, b) }
    }
    #[inline(always)]
    fn select(self, m: uint32x4_t, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vbslq_f32(m, a, b) }
    }
    #[inline(always)]
    fn pow2_n(self, km: float32x4_t) -> float32x4_t {
        unsafe {
            vreinterpretq_f32_u32(vaddq_u32(vshlq_n_u32::<23>(vreinterpretq_u32_f32(km)), vdupq_n_u32(0x3f80_0000)))
        }
    }
    #[inline(always)]
    fn abs(self, x: float32x4_t) -> float32x4_t {
        unsafe { vabsq_f32(x) }
    }
    #[inline(always)]
    fn or_sign(self, y: float32x4_t, x: float32x4_t) -> float32x4_t {
        unsafe {
            let sign = vdupq_n_u32(0x8000_0000);
            vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(y), vandq_u32(sign, vreinterpretq_u32_f32(x))))
        }
    }
}

#[inline]
#[target_feature(enable = "neon")]
fn tanh_neon_tf(x: float32x4_t) -> float32x4_t {
    tanh_lanes(Neon(()), x)
}

#[inline]
#[target_feature(enable = "neon")]
fn sigmoid_neon_tf(x: float32x4_t) -> float32x4_t {
    sigmoid_lanes(Neon(()), x)
}

/// Fast `tanh` on four lanes (NEON). Bit-identical to [`crate::activation::fast::tanh_fused`] per lane.
#[inline]
pub fn tanh_neon(x: float32x4_t) -> float32x4_t {
    // SAFETY: NEON is part of the aarch64 baseline, so the target feature is always present.
    unsafe { tanh_neon_tf(x) }
}

/// Fast `sigmoid` on four lanes (NEON). Bit-identical to [`crate::activation::fast::sigmoid_fused`].
#[inline]
pub fn sigmoid_neon(x: float32x4_t) -> float32x4_t {
    // SAFETY: NEON is part of the aarch64 baseline, so the target feature is always present.
    unsafe { sigmoid_neon_tf(x) }
}

macro_rules! slice_neon {
    ($(#[$doc:meta])* $name:ident, $inner:ident, $f:ident) => {
        $(#[$doc])*
        pub fn $name(xs: &mut [f32]) {
            // SAFETY: NEON is part of the aarch64 baseline, so the target feature is present.
            unsafe { $inner(xs) }
        }

        #[target_feature(enable = "neon")]
        fn $inner(xs: &mut [f32]) {
            let mut chunks = xs.chunks_exact_mut(4);
            for chunk in &mut chunks {
                // SAFETY: `chunk` is exactly 4 f32 long, so the 16-byte load and store stay
                // inside it (vld1q/vst1q need only f32 alignment, which the slice has).
                unsafe { vst1q_f32(chunk.as_mut_ptr(), $f(vld1q_f32(chunk.as_ptr()))) };
            }
            let rest = chunks.into_remainder();
            if !rest.is_empty() {
                // The tail goes through the same vector formula, zero-padded.
                let mut buf = [0.0f32; 4];
                buf[..rest.len()].copy_from_slice(rest);
                // SAFETY: `buf` is a local [f32; 4]: the 16-byte load and store are in bounds.
                unsafe { vst1q_f32(buf.as_mut_ptr(), $f(vld1q_f32(buf.as_ptr()))) };
                rest.copy_from_slice(&buf[..rest.len()]);
            }
        }
    };
}

slice_neon!(
    /// In-place [`tanh_neon`] over a slice; the tail (< 4 elements) is padded into a vector.
    tanh_slice_neon,
    tanh_slice_neon_tf,
    tanh_neon_tf
);
slice_neon!(
    /// In-place [`sigmoid_neon`] over a slice; the tail (< 4 elements) is padded into a vector.
    sigmoid_slice_neon,
    sigmoid_slice_neon_tf,
    sigmoid_neon_tf
);
