//! x86_64 tiers: SSE2 (baseline on x86_64, so always available) and AVX2+FMA.
//!
//! * SSE2 performs exactly the operations of [`crate::activation::fast::tanh`] / [`crate::activation::fast::sigmoid`]
//!   (separate multiply and add): bit-identical results for all 2^32 inputs.
//! * AVX2+FMA fuses every multiply-add, exactly like [`crate::activation::fast::tanh_fused`] /
//!   [`crate::activation::fast::sigmoid_fused`]: bit-identical to those for all 2^32 inputs. It differs
//!   from SSE2 by at most 2^-23 absolute, on a small fraction of inputs.
//!
//! The AVX2 functions are `#[target_feature(enable = "avx2,fma")]`: call them from code compiled
//! with those features, or after checking `is_x86_feature_detected!("avx2")` and
//! `is_x86_feature_detected!("fma")` (then inside `unsafe`).

use crate::activation::fast::{CLAMP, G1, G2, G3, G4, LN2, LOG2E, MAGIC, NEG_THIRD, SIGMOID_HI, SIGMOID_LO, SWITCH};
use core::arch::x86_64::*;

// ---------------------------------------------------------------- SSE2

#[inline]
#[target_feature(enable = "sse2")]
fn sel_sse2(mask: __m128, a: __m128, b: __m128) -> __m128 {
    _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b))
}

/// `a * b + c` with two roundings (as the scalar tier).
#[inline]
#[target_feature(enable = "sse2")]
fn mad_sse2(a: __m128, b: __m128, c: __m128) -> __m128 {
    _mm_add_ps(_mm_mul_ps(a, b), c)
}

/// `2^n` from `km = MAGIC + n` (see `fast::pow2_n`).
#[inline]
#[target_feature(enable = "sse2")]
fn pow2_n_sse2(km: __m128) -> __m128 {
    _mm_castsi128_ps(_mm_add_epi32(_mm_slli_epi32::<23>(_mm_castps_si128(km)), _mm_set1_epi32(0x3f80_0000)))
}

/// `e^y = 2^n (1 + r)` as `(km, r)` (`e^{-y}` with `NEG`): `fast::exp_split`, plain rounding.
#[inline]
#[target_feature(enable = "sse2")]
fn exp_split_sse2<const NEG: bool>(y: __m128) -> (__m128, __m128) {
    let c = _mm_set1_ps;
    if NEG {
        let km = mad_sse2(y, c(-LOG2E), c(MAGIC));
        let k = _mm_sub_ps(km, c(MAGIC));
        let w = mad_sse2(k, c(LN2), y);
        let h = mad_sse2(mad_sse2(mad_sse2(c(-G4), w, c(G3)), w, c(-G2)), w, c(G1));
        let r1 = _mm_mul_ps(w, h);
        (km, _mm_sub_ps(_mm_mul_ps(w, r1), w))
    } else {
        let km = mad_sse2(y, c(LOG2E), c(MAGIC));
        let k = _mm_sub_ps(km, c(MAGIC));
        let u = _mm_sub_ps(y, _mm_mul_ps(k, c(LN2)));
        let h = mad_sse2(mad_sse2(mad_sse2(c(G4), u, c(G3)), u, c(G2)), u, c(G1));
        let r1 = _mm_mul_ps(u, h);
        (km, mad_sse2(u, r1, u))
    }
}

#[inline]
#[target_feature(enable = "sse2")]
fn tanh_abs_sse2(a: __m128) -> __m128 {
    let c = _mm_set1_ps;
    // CLAMP < a ? CLAMP : a, so NaN propagates.
    let a = _mm_min_ps(c(CLAMP), a);
    let (km, r) = exp_split_sse2::<false>(_mm_add_ps(a, a));
    let p = pow2_n_sse2(km);
    let den = mad_sse2(p, r, _mm_add_ps(p, c(1.0)));
    let big = _mm_sub_ps(c(1.0), _mm_div_ps(c(2.0), den));
    let small = mad_sse2(_mm_mul_ps(a, _mm_mul_ps(a, a)), c(NEG_THIRD), a);
    sel_sse2(_mm_cmplt_ps(a, c(SWITCH)), small, big)
}

#[inline]
#[target_feature(enable = "sse2")]
fn tanh_sse2_tf(x: __m128) -> __m128 {
    let sign = _mm_set1_ps(-0.0);
    let y = tanh_abs_sse2(_mm_andnot_ps(sign, x));
    _mm_or_ps(y, _mm_and_ps(sign, x))
}

#[inline]
#[target_feature(enable = "sse2")]
fn sigmoid_sse2_tf(x: __m128) -> __m128 {
    let c = _mm_set1_ps;
    // min/max return their second operand when either is NaN: NaN propagates.
    let x = _mm_max_ps(c(SIGMOID_LO), _mm_min_ps(c(SIGMOID_HI), x));
    let (km, r) = exp_split_sse2::<true>(x);
    let den = mad_sse2(pow2_n_sse2(km), _mm_add_ps(r, c(1.0)), c(1.0));
    _mm_div_ps(c(1.0), den)
}

/// Fast `tanh` on four lanes (SSE2). Bit-identical to [`crate::activation::fast::tanh`] per lane.
#[inline]
pub fn tanh_sse2(x: __m128) -> __m128 {
    // SAFETY: SSE2 is part of the x86_64 baseline, so the target feature is always present.
    unsafe { tanh_sse2_tf(x) }
}

/// Fast `sigmoid` on four lanes (SSE2). Bit-identical to [`crate::activation::fast::sigmoid`] per lane.
#[inline]
pub fn sigmoid_sse2(x: __m128) -> __m128 {
    // SAFETY: SSE2 is part of the x86_64 baseline, so the target feature is always present.
    unsafe { sigmoid_sse2_tf(x) }
}

macro_rules! slice_sse2 {
    ($(#[$doc:meta])* $name:ident, $inner:ident, $f:ident) => {
        $(#[$doc])*
        pub fn $name(xs: &mut [f32]) {
            // SAFETY: SSE2 is part of the x86_64 baseline, so the target feature is present.
            unsafe { $inner(xs) }
        }

        #[target_feature(enable = "sse2")]
        fn $inner(xs: &mut [f32]) {
            let mut chunks = xs.chunks_exact_mut(4);
            for chunk in &mut chunks {
                // SAFETY: `chunk` is exactly 4 f32 long, so the unaligned 16-byte load and store
                // stay inside it; SSE2 is part of the x86_64 baseline.
                unsafe { _mm_storeu_ps(chunk.as_mut_ptr(), $f(_mm_loadu_ps(chunk.as_ptr()))) };
            }
            let rest = chunks.into_remainder();
            if !rest.is_empty() {
                // The tail goes through the same vector formula, zero-padded.
                let mut buf = [0.0f32; 4];
                buf[..rest.len()].copy_from_slice(rest);
                // SAFETY: `buf` is a local [f32; 4]: the 16-byte load and store are in bounds.
                unsafe { _mm_storeu_ps(buf.as_mut_ptr(), $f(_mm_loadu_ps(buf.as_ptr()))) };
                rest.copy_from_slice(&buf[..rest.len()]);
            }
        }
    };
}

slice_sse2!(
    /// In-place [`tanh_sse2`] over a slice; the tail (< 4 elements) is padded into a vector.
    tanh_slice_sse2,
    tanh_slice_sse2_tf,
    tanh_sse2_tf
);
slice_sse2!(
    /// In-place [`sigmoid_sse2`] over a slice; the tail (< 4 elements) is padded into a vector.
    sigmoid_slice_sse2,
    sigmoid_slice_sse2_tf,
    sigmoid_sse2_tf
);

// ---------------------------------------------------------------- AVX2 + FMA

/// `2^n` from `km = MAGIC + n` (see `fast::pow2_n`).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn pow2_n_avx2(km: __m256) -> __m256 {
    _mm256_castsi256_ps(_mm256_add_epi32(
        _mm256_slli_epi32::<23>(_mm256_castps_si256(km)),
        _mm256_set1_epi32(0x3f80_0000),
    ))
}

/// `e^y = 2^n (1 + r)` as `(km, r)` (`e^{-y}` with `NEG`): `fast::exp_split`, fused.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn exp_split_avx2<const NEG: bool>(y: __m256) -> (__m256, __m256) {
    let c = _mm256_set1_ps;
    let fma = _mm256_fmadd_ps;
    if NEG {
        let km = fma(y, c(-LOG2E), c(MAGIC));
        let k = _mm256_sub_ps(km, c(MAGIC));
        let w = fma(k, c(LN2), y);
        let h = fma(fma(fma(c(-G4), w, c(G3)), w, c(-G2)), w, c(G1));
        let r1 = _mm256_mul_ps(w, h);
        // fmsub(w, r1, w) = w * r1 - w, fused.
        (km, _mm256_fmsub_ps(w, r1, w))
    } else {
        let km = fma(y, c(LOG2E), c(MAGIC));
        let k = _mm256_sub_ps(km, c(MAGIC));
        // fnmadd(k, c, y) = y - k * c, fused (== fma(-k, c, y)).
        let u = _mm256_fnmadd_ps(k, c(LN2), y);
        let h = fma(fma(fma(c(G4), u, c(G3)), u, c(G2)), u, c(G1));
        let r1 = _mm256_mul_ps(u, h);
        (km, fma(u, r1, u))
    }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
fn tanh_abs_avx2(a: __m256) -> __m256 {
    let c = _mm256_set1_ps;
    // CLAMP < a ? CLAMP : a, so NaN propagates.
    let a = _mm256_min_ps(c(CLAMP), a);
    let (km, r) = exp_split_avx2::<false>(_mm256_add_ps(a, a));
    let p = pow2_n_avx2(km);
    let den = _mm256_fmadd_ps(p, r, _mm256_add_ps(p, c(1.0)));
    let big = _mm256_sub_ps(c(1.0), _mm256_div_ps(c(2.0), den));
    let small = _mm256_fmadd_ps(_mm256_mul_ps(a, _mm256_mul_ps(a, a)), c(NEG_THIRD), a);
    // blendv(b, a, m) = m ? a : b
    _mm256_blendv_ps(big, small, _mm256_cmp_ps::<_CMP_LT_OQ>(a, c(SWITCH)))
}

/// Fast `tanh` on eight lanes (AVX2+FMA). Bit-identical to [`crate::activation::fast::tanh_fused`] per lane.
///
/// # Safety
///
/// Safe to call from code compiled with `avx2` and `fma` enabled; elsewhere (an `unsafe`
/// call) the caller must ensure the CPU supports AVX2 and FMA, e.g. with
/// `is_x86_feature_detected!`.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub fn tanh_avx2(x: __m256) -> __m256 {
    let sign = _mm256_set1_ps(-0.0);
    let y = tanh_abs_avx2(_mm256_andnot_ps(sign, x));
    _mm256_or_ps(y, _mm256_and_ps(sign, x))
}

/// Fast `sigmoid` on eight lanes (AVX2+FMA). Bit-identical to [`crate::activation::fast::sigmoid_fused`].
///
/// # Safety
///
/// Safe to call from code compiled with `avx2` and `fma` enabled; elsewhere (an `unsafe`
/// call) the caller must ensure the CPU supports AVX2 and FMA, e.g. with
/// `is_x86_feature_detected!`.
#[inline]
#[target_feature(enable = "avx2,fma")]
pub fn sigmoid_avx2(x: __m256) -> __m256 {
    let c = _mm256_set1_ps;
    // min/max return their second operand when either is NaN: NaN propagates.
    let x = _mm256_max_ps(c(SIGMOID_LO), _mm256_min_ps(c(SIGMOID_HI), x));
    let (km, r) = exp_split_avx2::<true>(x);
    let den = _mm256_fmadd_ps(pow2_n_avx2(km), _mm256_add_ps(r, c(1.0)), c(1.0));
    _mm256_div_ps(c(1.0), den)
}

macro_rules! slice_avx2 {
    ($(#[$doc:meta])* $name:ident, $f:ident) => {
        $(#[$doc])*
        #[target_feature(enable = "avx2,fma")]
        pub fn $name(xs: &mut [f32]) {
            let mut chunks = xs.chunks_exact_mut(8);
            for chunk in &mut chunks {
                // SAFETY: `chunk` is exactly 8 f32 long, so the unaligned 32-byte load and store
                // stay inside it; AVX is enabled by this function's target features.
                unsafe { _mm256_storeu_ps(chunk.as_mut_ptr(), $f(_mm256_loadu_ps(chunk.as_ptr()))) };
            }
            let rest = chunks.into_remainder();
            if !rest.is_empty() {
                // The tail goes through the same vector formula, zero-padded.
                let mut buf = [0.0f32; 8];
                buf[..rest.len()].copy_from_slice(rest);
                // SAFETY: `buf` is a local [f32; 8]: the 32-byte load and store are in bounds.
                unsafe { _mm256_storeu_ps(buf.as_mut_ptr(), $f(_mm256_loadu_ps(buf.as_ptr()))) };
                rest.copy_from_slice(&buf[..rest.len()]);
            }
        }
    };
}

slice_avx2!(
    /// In-place [`tanh_avx2`] over a slice; the tail (< 8 elements) is padded into a vector.
    ///
    /// # Safety
    ///
    /// Safe to call from code compiled with `avx2` and `fma` enabled; elsewhere (an `unsafe`
    /// call) the caller must ensure the CPU supports AVX2 and FMA, e.g. with
    /// `is_x86_feature_detected!`.
    tanh_slice_avx2,
    tanh_avx2
);
slice_avx2!(
    /// In-place [`sigmoid_avx2`] over a slice; the tail (< 8 elements) is padded into a vector.
    ///
    /// # Safety
    ///
    /// Safe to call from code compiled with `avx2` and `fma` enabled; elsewhere (an `unsafe`
    /// call) the caller must ensure the CPU supports AVX2 and FMA, e.g. with
    /// `is_x86_feature_detected!`.
    sigmoid_slice_avx2,
    sigmoid_avx2
);
