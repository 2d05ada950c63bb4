//! aarch64 NEON tier (`float32x4_t`).
//!
//! Every multiply-add is fused (`vfmaq_f32`), in the same order as
//! [`crate::activation::fast::tanh_fused`] / [`crate::activation::fast::sigmoid_fused`], so results are bit-identical
//! to those scalar models (and to the x86_64 AVX2+FMA tier). Division is IEEE `vdivq_f32`.

use crate::activation::fast::{CLAMP, G1, G2, G3, G4, LN2, LOG2E, MAGIC, NEG_THIRD, SIGMOID_HI, SIGMOID_LO, SWITCH};
use core::arch::aarch64::*;

/// `a * b + c`, fused.
#[inline]
#[target_feature(enable = "neon")]
fn fma(a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
    vfmaq_f32(c, a, b)
}

/// `2^n` from `km = MAGIC + n` (see `fast::pow2_n`).
#[inline]
#[target_feature(enable = "neon")]
fn pow2_n(km: float32x4_t) -> float32x4_t {
    vreinterpretq_f32_u32(vaddq_u32(vshlq_n_u32::<23>(vreinterpretq_u32_f32(km)), vdupq_n_u32(0x3f80_0000)))
}

/// `e^y = 2^n (1 + r)` as `(km, r)` (`e^{-y}` with `NEG`): `fast::exp_split`, fused.
#[inline]
#[target_feature(enable = "neon")]
fn exp_split<const NEG: bool>(y: float32x4_t) -> (float32x4_t, float32x4_t) {
    let c = vdupq_n_f32;
    if NEG {
        let km = fma(y, c(-LOG2E), c(MAGIC));
        let k = vsubq_f32(km, c(MAGIC));
        let w = fma(k, c(LN2), y);
        let h = fma(fma(fma(c(-G4), w, c(G3)), w, c(-G2)), w, c(G1));
        let r1 = vmulq_f32(w, h);
        // fma(w, r1, -w) = w * r1 - w, fused.
        (km, fma(w, r1, vnegq_f32(w)))
    } else {
        let km = fma(y, c(LOG2E), c(MAGIC));
        let k = vsubq_f32(km, c(MAGIC));
        // vfmsq_f32(y, k, c) = y - k * c, fused (== fma(-k, c, y)).
        let u = vfmsq_f32(y, k, c(LN2));
        let h = fma(fma(fma(c(G4), u, c(G3)), u, c(G2)), u, c(G1));
        let r1 = vmulq_f32(u, h);
        (km, fma(u, r1, u))
    }
}

#[inline]
#[target_feature(enable = "neon")]
fn tanh_abs_neon(a: float32x4_t) -> float32x4_t {
    let c = vdupq_n_f32;
    // FMIN propagates NaN; otherwise min(CLAMP, a).
    let a = vminq_f32(c(CLAMP), a);
    let (km, r) = exp_split::<false>(vaddq_f32(a, a));
    let p = pow2_n(km);
    let den = fma(p, r, vaddq_f32(p, c(1.0)));
    let big = vsubq_f32(c(1.0), vdivq_f32(c(2.0), den));
    let small = fma(vmulq_f32(a, vmulq_f32(a, a)), c(NEG_THIRD), a);
    vbslq_f32(vcltq_f32(a, c(SWITCH)), small, big)
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
    let c = vdupq_n_f32;
    // FMIN / FMAX propagate NaN.
    let x = vmaxq_f32(c(SIGMOID_LO), vminq_f32(c(SIGMOID_HI), x));
    let (km, r) = exp_split::<true>(x);
    let den = fma(pow2_n(km), vaddq_f32(r, c(1.0)), c(1.0));
    vdivq_f32(c(1.0), den)
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
