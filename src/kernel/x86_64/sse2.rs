//! SSE2: 4 lanes, separate multiply and add, so cells give the scalar kernel's bits.

// Intrinsics are safe to call in `#[target_feature]` contexts on recent compilers and
// `unsafe` on older ones (before Rust 1.87): the blocks below keep both building.
#![allow(unused_unsafe)]

use core::arch::x86_64::*;

use crate::activation::{Activation, ActivationKind};
use crate::kernel::activation::x86_64 as fast;
use crate::kernel::simd::{self, Simd};
use crate::kernel::{CellView, DenseView};

/// Token for SSE2, part of the x86-64 baseline (always present).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sse2(());

impl Simd for Sse2 {
    const LANES: usize = 4;
    type V = __m128;

    // SAFETY (every block in this impl): SSE2 is enabled on every x86-64 target; pointer
    // arguments are valid for `LANES` floats per the trait's contract.
    #[inline(always)]
    fn splat(self, x: f32) -> __m128 {
        unsafe { _mm_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m128 {
        unsafe { _mm_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m128) {
        unsafe { _mm_storeu_ps(p, v) }
    }
    #[inline(always)]
    fn add(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_mul_ps(a, b) }
    }
    #[inline(always)]
    fn madd(self, acc: __m128, w: __m128, x: __m128) -> __m128 {
        unsafe { _mm_add_ps(acc, _mm_mul_ps(w, x)) }
    }
    #[inline(always)]
    fn relu(self, v: __m128) -> __m128 {
        unsafe { _mm_andnot_ps(_mm_cmplt_ps(v, _mm_setzero_ps()), v) }
    }
    #[inline(always)]
    fn sigmoid<A: Activation>(self, v: __m128) -> __m128 {
        match A::KIND {
            ActivationKind::Fast => fast::sigmoid_sse2(v),
            ActivationKind::Exact => self.map(v, A::sigmoid),
        }
    }
    #[inline(always)]
    fn tanh<A: Activation>(self, v: __m128) -> __m128 {
        match A::KIND {
            ActivationKind::Fast => fast::tanh_sse2(v),
            ActivationKind::Exact => self.map(v, A::tanh),
        }
    }
}

const S: Sse2 = Sse2(());

/// Multi-channel strips: groups of `CC` channels, `NV` vectors wide (one stream uses
/// two-vector strips; see [`simd::drive`]).
const NV: usize = 1;
const CC: usize = 2;

/// See [`crate::kernel::cell_step_multi`].
pub(crate) fn cell<A: Activation>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    channels: usize,
) {
    simd::cell::<Sse2, A, NV, CC>(S, w, x, h, c, h_out, channels)
}

/// See [`crate::kernel::cell_step_fixed`].
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
        1 => simd::cell_fixed::<Sse2, A, 2, 1, G, B>(S, w, x, h, c, h_out, 1),
        _ => simd::cell_fixed::<Sse2, A, NV, CC, G, B>(S, w, x, h, c, h_out, C),
    }
}

/// See [`crate::kernel::cell_sequence`].
pub(crate) fn sequence<A: Activation>(
    w: &CellView<'_>,
    xs: &[f32],
    h: &[f32],
    c: &mut [f32],
    hs: &mut [f32],
    steps: usize,
    scratch: &mut [f32],
) {
    simd::sequence::<Sse2, A, 2, CC>(S, w, xs, h, c, hs, steps, scratch)
}

/// See [`crate::kernel::cell_sequence_fixed`]: [`sequence`] instantiated for the sizes.
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
    simd::sequence::<Sse2, A, 2, CC>(S, w, xs, h, c, hs, steps, scratch)
}

/// See [`crate::kernel::dense_multi`] (the affine part).
pub(crate) fn dense(w: &DenseView<'_>, x: &[f32], y: &mut [f32], channels: usize) {
    simd::dense_affine::<Sse2, NV, CC>(S, w, x, y, channels)
}

/// See [`crate::kernel::dense_fixed`] (the affine part).
pub(crate) fn dense_fixed<const I: usize, const O: usize, const C: usize>(w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    let w = &simd::fixed_dense_view::<I, O>(w);
    match C {
        1 => simd::dense_affine::<Sse2, 2, 1>(S, w, x, y, 1),
        _ => simd::dense_affine::<Sse2, NV, CC>(S, w, x, y, C),
    }
}
