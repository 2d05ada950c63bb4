//! NEON: 4 lanes, fused multiply-add (differs from the scalar kernel by FMA rounding).

#![allow(unused_unsafe)]

use core::arch::aarch64::*;

use crate::activation::{Activation, ActivationKind};
use crate::kernel::activation::aarch64 as fast;
use crate::kernel::simd::{self, Simd};
use crate::kernel::{CellView, DenseView};

/// Token for NEON (enabled on every AArch64 target this crate builds for).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Neon(());

impl Simd for Neon {
    const LANES: usize = 4;
    type V = float32x4_t;
    // 32 vector registers.
    const ACC_REGS: usize = 24;

    // SAFETY (every block in this impl): this module is compiled only with
    // `target_feature = "neon"`; pointer arguments are valid per the trait's contract.
    #[inline(always)]
    fn splat(self, x: f32) -> float32x4_t {
        unsafe { vdupq_n_f32(x) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> float32x4_t {
        unsafe { vld1q_f32(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: float32x4_t) {
        unsafe { vst1q_f32(p, v) }
    }
    #[inline(always)]
    fn add(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vaddq_f32(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vsubq_f32(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vmulq_f32(a, b) }
    }
    #[inline(always)]
    fn madd(self, acc: float32x4_t, w: float32x4_t, x: float32x4_t) -> float32x4_t {
        unsafe { vfmaq_f32(acc, w, x) }
    }
    #[inline(always)]
    fn relu(self, v: float32x4_t) -> float32x4_t {
        unsafe {
            let zero = vdupq_n_f32(0.0);
            vbslq_f32(vcltq_f32(v, zero), zero, v)
        }
    }
    #[inline(always)]
    fn sigmoid<A: Activation>(self, v: float32x4_t) -> float32x4_t {
        match A::KIND {
            ActivationKind::Fast => fast::sigmoid_neon(v),
            ActivationKind::Exact => self.map(v, A::sigmoid),
        }
    }
    #[inline(always)]
    fn tanh<A: Activation>(self, v: float32x4_t) -> float32x4_t {
        match A::KIND {
            ActivationKind::Fast => fast::tanh_neon(v),
            ActivationKind::Exact => self.map(v, A::tanh),
        }
    }
}

const S: Neon = Neon(());

/// Multi-channel strips: groups of `CC` channels, `NV` vectors wide (one stream uses
/// two-vector strips; see [`simd::drive`]).
const NV: usize = 1;
const CC: usize = 4;

/// See [`crate::kernel::cell_step_multi`].
pub(crate) fn cell<A: Activation>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    channels: usize,
) {
    simd::cell::<Neon, A, NV, CC>(S, w, x, h, c, h_out, channels)
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
        1 => simd::cell_fixed::<Neon, A, 2, 1, G, B>(S, w, x, h, c, h_out, 1),
        _ => simd::cell_fixed::<Neon, A, NV, CC, G, B>(S, w, x, h, c, h_out, C),
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
    simd::sequence::<Neon, A, 2, CC>(S, w, xs, h, c, hs, steps, scratch)
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
    simd::sequence::<Neon, A, 2, CC>(S, w, xs, h, c, hs, steps, scratch)
}

/// See [`crate::kernel::dense_multi`] (the affine part).
pub(crate) fn dense(w: &DenseView<'_>, x: &[f32], y: &mut [f32], channels: usize) {
    simd::dense_affine::<Neon, NV, CC>(S, w, x, y, channels)
}

/// See [`crate::kernel::dense_fixed`] (the affine part).
pub(crate) fn dense_fixed<const I: usize, const O: usize, const C: usize>(w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    let w = &simd::fixed_dense_view::<I, O>(w);
    match C {
        1 => simd::dense_affine::<Neon, 2, 1>(S, w, x, y, 1),
        _ => simd::dense_affine::<Neon, NV, CC>(S, w, x, y, C),
    }
}
