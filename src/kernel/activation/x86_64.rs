//! x86_64 tiers: SSE2 (baseline on x86_64, so always available), AVX2+FMA and AVX-512F.
//!
//! * SSE2 performs exactly the operations of [`crate::activation::fast::tanh`] / [`crate::activation::fast::sigmoid`]
//!   (separate multiply and add): bit-identical results for all 2^32 inputs.
//! * AVX2+FMA fuses every multiply-add, exactly like [`crate::activation::fast::tanh_fused`] /
//!   [`crate::activation::fast::sigmoid_fused`]: bit-identical to those for all 2^32 inputs. It differs
//!   from SSE2 by at most 2^-23 absolute, on a small fraction of inputs.
//! * AVX-512F performs AVX2's operations on 16 lanes: the same bits.
//!
//! The AVX2 functions are `#[target_feature(enable = "avx2,fma")]`: call them from code compiled
//! with those features, or after checking `is_x86_feature_detected!("avx2")` and
//! `is_x86_feature_detected!("fma")` (then inside `unsafe`). The AVX-512 ones add `avx512f`.

// Intrinsics are safe to call where their features are enabled on recent compilers and
// `unsafe` elsewhere: keep both building.
#![allow(unused_unsafe)]

use super::lanes::{sigmoid_lanes, tanh_lanes};
use crate::kernel::x86_64::{avx2::Avx2, avx512::Avx512, sse2::Sse2};
use core::arch::x86_64::*;

// ---------------------------------------------------------------- SSE2

#[inline]
#[target_feature(enable = "sse2")]
fn tanh_sse2_tf(x: __m128) -> __m128 {
    tanh_lanes(Sse2::TOKEN, x)
}

#[inline]
#[target_feature(enable = "sse2")]
fn sigmoid_sse2_tf(x: __m128) -> __m128 {
    sigmoid_lanes(Sse2::TOKEN, x)
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
    // SAFETY: this function has `#[target_feature(enable = "avx2,fma")]`, whose callers
    // guarantee AVX2 and FMA.
    tanh_lanes(unsafe { Avx2::new_unchecked() }, x)
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
    // SAFETY: this function has `#[target_feature(enable = "avx2,fma")]`, whose callers
    // guarantee AVX2 and FMA.
    sigmoid_lanes(unsafe { Avx2::new_unchecked() }, x)
}

/// An in-place slice function over `$f` for the run-time detected tiers: `$lanes` floats per
/// vector (`$load` / `$store`), the tail zero-padded into one vector.
macro_rules! slice_detected {
    ($(#[$doc:meta])* $name:ident, $f:ident, $features:literal, $lanes:literal, $load:ident, $store:ident) => {
        $(#[$doc])*
        #[target_feature(enable = $features)]
        pub fn $name(xs: &mut [f32]) {
            let mut chunks = xs.chunks_exact_mut($lanes);
            for chunk in &mut chunks {
                // SAFETY: `chunk` is exactly `$lanes` f32 long, so the unaligned full-width load
                // and store stay inside it; the ISA is enabled by this function's target features.
                unsafe { $store(chunk.as_mut_ptr(), $f($load(chunk.as_ptr()))) };
            }
            let rest = chunks.into_remainder();
            if !rest.is_empty() {
                // The tail goes through the same vector formula, zero-padded.
                let mut buf = [0.0f32; $lanes];
                buf[..rest.len()].copy_from_slice(rest);
                // SAFETY: `buf` is a local array of `$lanes` floats: the load and store are in bounds.
                unsafe { $store(buf.as_mut_ptr(), $f($load(buf.as_ptr()))) };
                rest.copy_from_slice(&buf[..rest.len()]);
            }
        }
    };
}

slice_detected!(
    /// In-place [`tanh_avx2`] over a slice; the tail (< 8 elements) is padded into a vector.
    ///
    /// # Safety
    ///
    /// Safe to call from code compiled with `avx2` and `fma` enabled; elsewhere (an `unsafe`
    /// call) the caller must ensure the CPU supports AVX2 and FMA, e.g. with
    /// `is_x86_feature_detected!`.
    tanh_slice_avx2,
    tanh_avx2,
    "avx2,fma",
    8,
    _mm256_loadu_ps,
    _mm256_storeu_ps
);
slice_detected!(
    /// In-place [`sigmoid_avx2`] over a slice; the tail (< 8 elements) is padded into a vector.
    ///
    /// # Safety
    ///
    /// Safe to call from code compiled with `avx2` and `fma` enabled; elsewhere (an `unsafe`
    /// call) the caller must ensure the CPU supports AVX2 and FMA, e.g. with
    /// `is_x86_feature_detected!`.
    sigmoid_slice_avx2,
    sigmoid_avx2,
    "avx2,fma",
    8,
    _mm256_loadu_ps,
    _mm256_storeu_ps
);

// ---------------------------------------------------------------- AVX-512F

/// Fast `tanh` on sixteen lanes (AVX-512F). Bit-identical to [`crate::activation::fast::tanh_fused`] per lane
/// (the same operations as [`tanh_avx2`], on twice the lanes).
///
/// # Safety
///
/// Safe to call from code compiled with `avx512f`, `avx2` and `fma` enabled; elsewhere (an
/// `unsafe` call) the caller must ensure the CPU supports them, e.g. with
/// `is_x86_feature_detected!`.
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn tanh_avx512(x: __m512) -> __m512 {
    // SAFETY: this function's target features, whose callers guarantee them.
    tanh_lanes(unsafe { Avx512::new_unchecked() }, x)
}

/// Fast `sigmoid` on sixteen lanes (AVX-512F). Bit-identical to [`crate::activation::fast::sigmoid_fused`].
///
/// # Safety
///
/// As for [`tanh_avx512`].
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
pub fn sigmoid_avx512(x: __m512) -> __m512 {
    // SAFETY: this function's target features, whose callers guarantee them.
    sigmoid_lanes(unsafe { Avx512::new_unchecked() }, x)
}

slice_detected!(
    /// In-place [`tanh_avx512`] over a slice; the tail (< 16 elements) is padded into a vector.
    ///
    /// # Safety
    ///
    /// As for [`tanh_avx512`].
    tanh_slice_avx512,
    tanh_avx512,
    "avx512f,avx2,fma",
    16,
    _mm512_loadu_ps,
    _mm512_storeu_ps
);
slice_detected!(
    /// In-place [`sigmoid_avx512`] over a slice; the tail (< 16 elements) is padded into a
    /// vector.
    ///
    /// # Safety
    ///
    /// As for [`tanh_avx512`].
    sigmoid_slice_avx512,
    sigmoid_avx512,
    "avx512f,avx2,fma",
    16,
    _mm512_loadu_ps,
    _mm512_storeu_ps
);
