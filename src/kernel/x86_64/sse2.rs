//! SSE2: 4 lanes, separate multiply and add, so cells give the scalar kernel's bits.

// Intrinsics are safe to call in `#[target_feature]` contexts on recent compilers and
// `unsafe` on older ones (before Rust 1.87): the blocks below keep both building.
#![allow(unused_unsafe)]

use core::arch::x86_64::*;

use crate::activation::{Activation, ActivationKind};
use crate::kernel::activation::x86_64 as fast;
use crate::kernel::simd::{self, Simd};

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

// The entry points (`cell`, `cell_fixed`, `sequence`, `sequence_fixed`, `dense`,
// `dense_fixed`). Multi-channel strips: 1 vector × 2 channels.
simd::entry_points!(Sse2, Sse2(()), nv = 1, cc = 2);
