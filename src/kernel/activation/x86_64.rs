//! x86_64 tiers: SSE2 (baseline on x86_64, so always available) and AVX2+FMA.
//!
//! * SSE2 performs exactly the operations of [`crate::activation::fast::tanh`] / [`crate::activation::fast::sigmoid`]
//!   (separate multiply and add): bit-identical results for all 2^32 inputs.
//! * AVX2+FMA fuses every multiply-add, exactly like [`crate::activation::fast::tanh_fused`] /
//!   [`crate::activation::fast::sigmoid_fused`]: bit-identical to those for all 2^32 inputs. It differs
//!   from SSE2 by at most one ulp, on a small fraction of inputs.
//!
//! The AVX2 functions are `#[target_feature(enable = "avx2,fma")]`: call them from code compiled
//! with those features, or after checking `is_x86_feature_detected!("avx2")` and
//! `is_x86_feature_detected!("fma")` (then inside `unsafe`).

use crate::activation::fast::{
    CLAMP, G0, G1, G2, G3, G4, G5, LN2_HI, LN2_LO, MAGIC, P0, P1, P2, Q1, Q2, SWITCH, TWO_LOG2E,
};
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

#[inline]
#[target_feature(enable = "sse2")]
fn tanh_abs_sse2(a: __m128) -> __m128 {
    let c = _mm_set1_ps;
    // CLAMP < a ? CLAMP : a, so NaN propagates.
    let a = _mm_min_ps(c(CLAMP), a);
    let s = _mm_mul_ps(a, a);
    let p = mad_sse2(mad_sse2(c(P2), s, c(P1)), s, c(P0));
    let q = mad_sse2(mad_sse2(c(Q2), s, c(Q1)), s, c(1.0));
    let km = mad_sse2(a, c(TWO_LOG2E), c(MAGIC));
    let k = _mm_sub_ps(km, c(MAGIC));
    let a2 = _mm_add_ps(a, a);
    let f = _mm_sub_ps(_mm_sub_ps(a2, _mm_mul_ps(k, c(LN2_HI))), _mm_mul_ps(k, c(LN2_LO)));
    let pow_mn_bits = _mm_sub_epi32(_mm_set1_epi32(0x3f80_0000), _mm_slli_epi32::<23>(_mm_castps_si128(km)));
    let pow_mn = _mm_castsi128_ps(pow_mn_bits);
    let pow_1mn = _mm_castsi128_ps(_mm_add_epi32(pow_mn_bits, _mm_set1_epi32(0x0080_0000)));
    let g = mad_sse2(mad_sse2(mad_sse2(c(G5), f, c(G4)), f, c(G3)), f, c(G2));
    let g = mad_sse2(mad_sse2(g, f, c(G1)), f, c(G0));
    let den = mad_sse2(f, g, _mm_add_ps(c(1.0), pow_mn));
    let big = _mm_cmpge_ps(a, c(SWITCH));
    let quo = _mm_div_ps(sel_sse2(big, pow_1mn, p), sel_sse2(big, den, q));
    let small = mad_sse2(a, _mm_mul_ps(s, quo), a);
    sel_sse2(big, _mm_sub_ps(c(1.0), quo), small)
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
    let half = _mm_set1_ps(0.5);
    mad_sse2(half, tanh_sse2_tf(_mm_mul_ps(half, x)), half)
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

#[inline]
#[target_feature(enable = "avx2,fma")]
fn tanh_abs_avx2(a: __m256) -> __m256 {
    let c = _mm256_set1_ps;
    // CLAMP < a ? CLAMP : a, so NaN propagates.
    let a = _mm256_min_ps(c(CLAMP), a);
    let s = _mm256_mul_ps(a, a);
    let p = _mm256_fmadd_ps(_mm256_fmadd_ps(c(P2), s, c(P1)), s, c(P0));
    let q = _mm256_fmadd_ps(_mm256_fmadd_ps(c(Q2), s, c(Q1)), s, c(1.0));
    let km = _mm256_fmadd_ps(a, c(TWO_LOG2E), c(MAGIC));
    let k = _mm256_sub_ps(km, c(MAGIC));
    let a2 = _mm256_add_ps(a, a);
    // fnmadd(k, c, d) = d - k * c, fused (== fma(-k, c, d)).
    let f = _mm256_fnmadd_ps(k, c(LN2_LO), _mm256_fnmadd_ps(k, c(LN2_HI), a2));
    let pow_mn_bits =
        _mm256_sub_epi32(_mm256_set1_epi32(0x3f80_0000), _mm256_slli_epi32::<23>(_mm256_castps_si256(km)));
    let pow_mn = _mm256_castsi256_ps(pow_mn_bits);
    let pow_1mn = _mm256_castsi256_ps(_mm256_add_epi32(pow_mn_bits, _mm256_set1_epi32(0x0080_0000)));
    let g = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(c(G5), f, c(G4)), f, c(G3)), f, c(G2));
    let g = _mm256_fmadd_ps(_mm256_fmadd_ps(g, f, c(G1)), f, c(G0));
    let den = _mm256_fmadd_ps(f, g, _mm256_add_ps(c(1.0), pow_mn));
    let big = _mm256_cmp_ps::<_CMP_GE_OQ>(a, c(SWITCH));
    // blendv(b, a, m) = m ? a : b
    let quo = _mm256_div_ps(_mm256_blendv_ps(p, pow_1mn, big), _mm256_blendv_ps(q, den, big));
    let small = _mm256_fmadd_ps(a, _mm256_mul_ps(s, quo), a);
    _mm256_blendv_ps(small, _mm256_sub_ps(c(1.0), quo), big)
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
    let half = _mm256_set1_ps(0.5);
    _mm256_fmadd_ps(half, tanh_avx2(_mm256_mul_ps(half, x)), half)
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
