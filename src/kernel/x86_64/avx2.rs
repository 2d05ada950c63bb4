//! AVX2 + FMA: 8 lanes, fused multiply-add (differs from the scalar kernel by FMA rounding).

// Intrinsics are safe to call in `#[target_feature]` contexts on recent compilers and
// `unsafe` on older ones (before Rust 1.87), or when AVX2 is enabled crate-wide: keep both building.
#![allow(unused_unsafe)]

use core::arch::x86_64::*;

use crate::activation::{Activation, ActivationKind};
use crate::kernel::activation::x86_64 as fast;
use crate::kernel::simd::{self, Simd};
use crate::kernel::{CellView, DenseView};

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

/// Multi-channel strips: groups of `CC` channels, `NV` vectors wide (one stream uses
/// two-vector strips; see [`simd::drive`]).
const NV: usize = 2;
const CC: usize = 2;

/// See [`crate::kernel::cell_step_multi`].
#[target_feature(enable = "avx2,fma")]
pub(crate) fn cell<A: Activation>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    channels: usize,
) {
    simd::cell::<Avx2, A, NV, CC>(Avx2(()), w, x, h, c, h_out, channels)
}

/// See [`crate::kernel::cell_step_fixed`].
#[target_feature(enable = "avx2,fma")]
pub(crate) fn cell_fixed<
    A: Activation,
    const I: usize,
    const H: usize,
    const G: usize,
    const B: usize,
    const C: usize,
>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
) {
    let w = &simd::fixed_cell_view::<I, H, G, B>(w);
    match C {
        1 => simd::cell_fixed::<Avx2, A, 2, 1, G, B>(Avx2(()), w, x, h, c, h_out, 1),
        _ => simd::cell_fixed::<Avx2, A, NV, CC, G, B>(Avx2(()), w, x, h, c, h_out, C),
    }
}

/// See [`crate::kernel::cell_sequence`].
#[target_feature(enable = "avx2,fma")]
pub(crate) fn sequence<A: Activation>(
    w: &CellView<'_>,
    xs: &[f32],
    h: &[f32],
    c: &mut [f32],
    hs: &mut [f32],
    steps: usize,
    scratch: &mut [f32],
) {
    simd::sequence::<Avx2, A, 2, CC>(Avx2(()), w, xs, h, c, hs, steps, scratch)
}

/// See [`crate::kernel::cell_sequence_fixed`]: [`sequence`] instantiated for the sizes.
#[target_feature(enable = "avx2,fma")]
pub(crate) fn sequence_fixed<A: Activation, const I: usize, const H: usize, const G: usize, const B: usize>(
    w: &CellView<'_>,
    xs: &[f32],
    h: &[f32],
    c: &mut [f32],
    hs: &mut [f32],
    steps: usize,
    scratch: &mut [f32],
) {
    let w = &simd::fixed_cell_view::<I, H, G, B>(w);
    simd::sequence::<Avx2, A, 2, CC>(Avx2(()), w, xs, h, c, hs, steps, scratch)
}

/// See [`crate::kernel::dense_multi`] (the affine part).
#[target_feature(enable = "avx2,fma")]
pub(crate) fn dense(w: &DenseView<'_>, x: &[f32], y: &mut [f32], channels: usize) {
    simd::dense_affine::<Avx2, NV, CC>(Avx2(()), w, x, y, channels)
}

/// See [`crate::kernel::dense_fixed`] (the affine part).
#[target_feature(enable = "avx2,fma")]
pub(crate) fn dense_fixed<const I: usize, const O: usize, const C: usize>(w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    let w = &simd::fixed_dense_view::<I, O>(w);
    match C {
        1 => simd::dense_affine::<Avx2, 2, 1>(Avx2(()), w, x, y, 1),
        _ => simd::dense_affine::<Avx2, NV, CC>(Avx2(()), w, x, y, C),
    }
}
