//! AVX2 + FMA: 8 lanes, fused multiply-add (differs from the scalar kernel by FMA rounding).

// Intrinsics are safe to call in `#[target_feature]` contexts on recent compilers and
// `unsafe` on older ones (before Rust 1.87), or when AVX2 is enabled crate-wide: keep both building.
#![allow(unused_unsafe)]

use core::arch::x86_64::*;

use crate::activation::{Activation, ActivationKind};
use crate::kernel::activation::x86_64 as fast;
use crate::kernel::simd::{self, Simd};

/// Token for AVX2 + FMA. Only the `#[target_feature]` entry points below create it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

impl Simd for Avx2 {
    const LANES: usize = 8;
    type V = __m256;

    // SAFETY (every block in this impl): an `Avx2` value exists only inside the
    // `#[target_feature(enable = "avx2,fma")]` functions below, which the dispatcher reaches
    // only on CPUs with AVX2 and FMA; pointer arguments are valid per the trait's contract.
    #[inline(always)]
    fn splat(self, x: f32) -> __m256 {
        unsafe { _mm256_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m256 {
        unsafe { _mm256_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m256) {
        unsafe { _mm256_storeu_ps(p, v) }
    }
    #[inline(always)]
    fn add(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_mul_ps(a, b) }
    }
    #[inline(always)]
    fn madd(self, acc: __m256, w: __m256, x: __m256) -> __m256 {
        unsafe { _mm256_fmadd_ps(w, x, acc) }
    }
    #[inline(always)]
    fn relu(self, v: __m256) -> __m256 {
        unsafe { _mm256_andnot_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(v, _mm256_setzero_ps()), v) }
    }
    #[inline(always)]
    fn hsum(self, v: __m256) -> f32 {
        // The trait's tree order: lanes i + (i + 4), then i + (i + 2), then 0 + 1.
        unsafe {
            let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps::<0b01>(s, s)))
        }
    }
    #[inline(always)]
    fn sigmoid<A: Activation>(self, v: __m256) -> __m256 {
        match A::KIND {
            ActivationKind::Fast => unsafe { fast::sigmoid_avx2(v) },
            ActivationKind::Exact => self.map(v, A::sigmoid),
        }
    }
    #[inline(always)]
    fn tanh<A: Activation>(self, v: __m256) -> __m256 {
        match A::KIND {
            ActivationKind::Fast => unsafe { fast::tanh_avx2(v) },
            ActivationKind::Exact => self.map(v, A::tanh),
        }
    }
}

// The entry points (`cell`, `cell_fixed`, `sequence`, `sequence_fixed`, `dense`,
// `dense_fixed`), each `#[target_feature(enable = "avx2,fma")]`: the only places an `Avx2`
// token is created. Multi-channel strips: 2 vectors × 2 channels (one 64-byte packed line).
simd::entry_points!(Avx2, Avx2(()), nv = 2, cc = 2, #[target_feature(enable = "avx2,fma")]);
