//! aarch64 NEON tier (`float32x4_t`).
//!
//! Every multiply-add is fused (`vfmaq_f32`), in the same order as
//! [`crate::activation::fast::tanh_fused`] / [`crate::activation::fast::sigmoid_fused`], so results are bit-identical
//! to those scalar models (and to the x86_64 AVX2+FMA tier). Division is IEEE `vdivq_f32`.

// Intrinsics are safe to call where their features are enabled on recent compilers and
// `unsafe` elsewhere: keep both building.
#![allow(unused_unsafe)]

use super::lanes::{sigmoid_lanes, tanh_lanes};
use crate::kernel::aarch64::neon::Neon;
use core::arch::aarch64::*;

#[inline]
#[target_feature(enable = "neon")]
fn tanh_neon_tf(x: float32x4_t) -> float32x4_t {
    tanh_lanes(Neon::TOKEN, x)
}

#[inline]
#[target_feature(enable = "neon")]
fn sigmoid_neon_tf(x: float32x4_t) -> float32x4_t {
    sigmoid_lanes(Neon::TOKEN, x)
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
