//! aarch64 NEON tier (`float32x4_t`).
//!
//! Every multiply-add is fused (`vfmaq_f32`), in the same order as
//! [`crate::activation::fast::tanh_fused`] / [`crate::activation::fast::sigmoid_fused`], so results are bit-identical
//! to those scalar models (and to the x86_64 AVX2+FMA tier). Division is IEEE `vdivq_f32`.

use crate::activation::fast::{
    CLAMP, G0, G1, G2, G3, G4, G5, LN2_HI, LN2_LO, MAGIC, P0, P1, P2, Q1, Q2, SWITCH, TWO_LOG2E,
};
use core::arch::aarch64::*;

/// `a * b + c`, fused.
#[inline]
#[target_feature(enable = "neon")]
fn fma(a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
    vfmaq_f32(c, a, b)
}

#[inline]
#[target_feature(enable = "neon")]
fn tanh_abs_neon(a: float32x4_t) -> float32x4_t {
    let c = vdupq_n_f32;
    // FMIN propagates NaN; otherwise min(CLAMP, a).
    let a = vminq_f32(c(CLAMP), a);
    let s = vmulq_f32(a, a);
    let p = fma(fma(c(P2), s, c(P1)), s, c(P0));
    let q = fma(fma(c(Q2), s, c(Q1)), s, c(1.0));
    let km = fma(a, c(TWO_LOG2E), c(MAGIC));
    let k = vsubq_f32(km, c(MAGIC));
    let a2 = vaddq_f32(a, a);
    // vfmsq_f32(d, k, c) = d - k * c, fused (== fma(-k, c, d)).
    let f = vfmsq_f32(vfmsq_f32(a2, k, c(LN2_HI)), k, c(LN2_LO));
    let pow_mn_bits = vsubq_u32(vdupq_n_u32(0x3f80_0000), vshlq_n_u32::<23>(vreinterpretq_u32_f32(km)));
    let pow_mn = vreinterpretq_f32_u32(pow_mn_bits);
    let pow_1mn = vreinterpretq_f32_u32(vaddq_u32(pow_mn_bits, vdupq_n_u32(0x0080_0000)));
    let g = fma(fma(fma(c(G5), f, c(G4)), f, c(G3)), f, c(G2));
    let g = fma(fma(g, f, c(G1)), f, c(G0));
    let den = fma(f, g, vaddq_f32(c(1.0), pow_mn));
    let big = vcgeq_f32(a, c(SWITCH));
    let quo = vdivq_f32(vbslq_f32(big, pow_1mn, p), vbslq_f32(big, den, q));
    let small = fma(a, vmulq_f32(s, quo), a);
    vbslq_f32(big, vsubq_f32(c(1.0), quo), small)
}

#[inline]
#[target_feature(enable = "neon")]
fn tanh_neon_tf(x: float32x4_t) -> float32x4_t {
    let sign = vdupq_n_u32(0x8000_0000);
    let y = tanh_abs_neon(vabsq_f32(x));
    vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(y), vandq_u32(sign, vreinterpretq_u32_f32(x))))
}

#[inline]
#[target_feature(enable = "neon")]
fn sigmoid_neon_tf(x: float32x4_t) -> float32x4_t {
    let half = vdupq_n_f32(0.5);
    fma(half, tanh_neon_tf(vmulq_f32(half, x)), half)
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
