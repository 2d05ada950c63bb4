//! simd128: 4 lanes, separate multiply and add, so cells give the scalar kernel's bits.

#![allow(unused_unsafe)]

use core::arch::wasm32::*;

use crate::activation::{Activation, ActivationKind};
use crate::kernel::activation::wasm32 as fast;
use crate::kernel::simd::{self, Simd};
use crate::kernel::{CellView, DenseView};

/// Token for simd128 (this module is compiled only with `target_feature = "simd128"`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Simd128(());

impl Simd for Simd128 {
    const LANES: usize = 4;
    type V = v128;

    // SAFETY (every block in this impl): simd128 is enabled at compile time for this module;
    // pointer arguments are valid per the trait's contract (unaligned access is allowed).
    #[inline(always)]
    fn splat(self, x: f32) -> v128 {
        f32x4_splat(x)
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> v128 {
        unsafe { v128_load(p.cast()) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: v128) {
        unsafe { v128_store(p.cast(), v) }
    }
    #[inline(always)]
    fn add(self, a: v128, b: v128) -> v128 {
        f32x4_add(a, b)
    }
    #[inline(always)]
    fn sub(self, a: v128, b: v128) -> v128 {
        f32x4_sub(a, b)
    }
    #[inline(always)]
    fn mul(self, a: v128, b: v128) -> v128 {
        f32x4_mul(a, b)
    }
    #[inline(always)]
    fn madd(self, acc: v128, w: v128, x: v128) -> v128 {
        f32x4_add(acc, f32x4_mul(w, x))
    }
    #[inline(always)]
    fn relu(self, v: v128) -> v128 {
        let zero = f32x4_splat(0.0);
        v128_bitselect(zero, v, f32x4_lt(v, zero))
    }
    #[inline(always)]
    fn sigmoid<A: Activation>(self, v: v128) -> v128 {
        match A::KIND {
            ActivationKind::Fast => fast::sigmoid_simd128(v),
            ActivationKind::Exact => self.map(v, A::sigmoid),
        }
    }
    #[inline(always)]
    fn tanh<A: Activation>(self, v: v128) -> v128 {
        match A::KIND {
            ActivationKind::Fast => fast::tanh_simd128(v),
            ActivationKind::Exact => self.map(v, A::tanh),
        }
    }
}

const S: Simd128 = Simd128(());

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
    simd::cell::<Simd128, A, NV, CC>(S, w, x, h, c, h_out, channels)
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
        1 => simd::cell_fixed::<Simd128, A, 2, 1, G, B>(S, w, x, h, c, h_out, 1),
        _ => simd::cell_fixed::<Simd128, A, NV, CC, G, B>(S, w, x, h, c, h_out, C),
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
    simd::sequence::<Simd128, A, 2, CC>(S, w, xs, h, c, hs, steps, scratch)
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
    simd::sequence::<Simd128, A, 2, CC>(S, w, xs, h, c, hs, steps, scratch)
}

/// See [`crate::kernel::dense_multi`] (the affine part).
pub(crate) fn dense(w: &DenseView<'_>, x: &[f32], y: &mut [f32], channels: usize) {
    simd::dense_affine::<Simd128, NV, CC>(S, w, x, y, channels)
}

/// See [`crate::kernel::dense_fixed`] (the affine part).
pub(crate) fn dense_fixed<const I: usize, const O: usize, const C: usize>(w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    let w = &simd::fixed_dense_view::<I, O>(w);
    match C {
        1 => simd::dense_affine::<Simd128, 2, 1>(S, w, x, y, 1),
        _ => simd::dense_affine::<Simd128, NV, CC>(S, w, x, y, C),
    }
}
