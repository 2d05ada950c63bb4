//! SSE2: 4 lanes, separate multiply and add, so cells give the scalar kernel's bits.

// Intrinsics are safe to call in `#[target_feature]` contexts on recent compilers and
// `unsafe` on older ones (before Rust 1.87): the blocks below keep both building.
#![allow(unused_unsafe)]

use core::arch::x86_64::*;

use crate::kernel::activation::lanes::Lanes;
use crate::kernel::activation::x86_64 as fast;
use crate::kernel::simd::{self, Simd};

/// Token for SSE2, part of the x86-64 baseline (always present).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sse2(());

impl Sse2 {
    /// The token: SSE2 is part of the x86-64 baseline.
    pub(crate) const TOKEN: Sse2 = Sse2(());
}

impl Simd for Sse2 {
    const LANES: usize = 4;
    type V = __m128;
    const BLOCK_STRIPS: bool = true;
    // Two channels of GRU + Dense, grouped (strips of one vector for both channels) against
    // each alone in block strips, time per step (Intel Sapphire Rapids, 3 interleaved runs):
    // H = 32 1.17–1.27, 64 1.16–1.19, 128 1.09.
    const THREE_GATES_ALONE: bool = true;

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
    unsafe fn load_partial(self, p: *const f32, n: usize) -> __m128 {
        // SAFETY: `n` readable floats (the trait's contract).
        unsafe {
            match n {
                4.. => _mm_loadu_ps(p),
                _ => super::load_tail(p, n),
            }
        }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize, v: __m128) {
        // SAFETY: `n` writable floats (the trait's contract).
        unsafe {
            match n {
                4.. => _mm_storeu_ps(p, v),
                _ => super::store_tail(p, n, v),
            }
        }
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
    fn fast_sigmoid(self, v: __m128) -> __m128 {
        fast::sigmoid_sse2(v)
    }
    #[inline(always)]
    fn fast_tanh(self, v: __m128) -> __m128 {
        fast::tanh_sse2(v)
    }
}

/// The fast activations' extra lane operations (`kernel::activation::lanes`).
// SAFETY (every `unsafe` block in this impl): SSE2 is part of the x86_64 baseline, so these
// intrinsics are always available; none of them touches memory.
impl Lanes for Sse2 {
    type M = __m128;
    #[inline(always)]
    fn div(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_div_ps(a, b) }
    }
    #[inline(always)]
    fn msub(self, a: __m128, b: __m128, c: __m128) -> __m128 {
        unsafe { _mm_sub_ps(_mm_mul_ps(a, b), c) }
    }
    #[inline(always)]
    fn nmad(self, a: __m128, b: __m128, c: __m128) -> __m128 {
        unsafe { _mm_sub_ps(c, _mm_mul_ps(a, b)) }
    }
    #[inline(always)]
    fn min(self, c: __m128, x: __m128) -> __m128 {
        unsafe { _mm_min_ps(c, x) }
    }
    #[inline(always)]
    fn max(self, c: __m128, x: __m128) -> __m128 {
        unsafe { _mm_max_ps(c, x) }
    }
    #[inline(always)]
    fn lt(self, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_cmplt_ps(a, b) }
    }
    #[inline(always)]
    fn select(self, m: __m128, a: __m128, b: __m128) -> __m128 {
        unsafe { _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b)) }
    }
    #[inline(always)]
    fn pow2_n(self, km: __m128) -> __m128 {
        unsafe {
            _mm_castsi128_ps(_mm_add_epi32(_mm_slli_epi32::<23>(_mm_castps_si128(km)), _mm_set1_epi32(0x3f80_0000)))
        }
    }
    #[inline(always)]
    fn abs(self, x: __m128) -> __m128 {
        unsafe { _mm_andnot_ps(_mm_set1_ps(-0.0), x) }
    }
    #[inline(always)]
    fn or_sign(self, y: __m128, x: __m128) -> __m128 {
        unsafe { _mm_or_ps(y, _mm_and_ps(_mm_set1_ps(-0.0), x)) }
    }
}

// The entry points (`cell`, `cell_fixed`, `sequence`, `sequence_fixed`, `dense`,
// `dense_fixed`). Multi-channel strips: 1 vector × 2 channels.
simd::entry_points!(Sse2, Sse2(()), nv = 1, cc = 2, sized = any());
