//! AVX-512F (with AVX2 + FMA): 16 lanes, fused multiply-add (the same rounding as AVX2, so
//! the same bound against the scalar kernel). One vector is one packed 64-byte line.

// Intrinsics are safe to call in `#[target_feature]` contexts on recent compilers and
// `unsafe` on older ones, or when the features are enabled crate-wide: keep both building.
#![allow(unused_unsafe)]

use core::arch::x86_64::*;

use super::avx2::Avx2;
use crate::kernel::activation::lanes::Lanes;
use crate::kernel::activation::x86_64 as fast;
use crate::kernel::simd::Simd;

/// Token for AVX-512F + AVX2 + FMA. Only the `#[target_feature]` entry points below and the
/// fast activations' AVX-512 functions (through [`Avx512::new_unchecked`]) create it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

impl Avx512 {
    /// The token, for the fast activations' `#[target_feature]` functions.
    ///
    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA.
    pub(crate) const unsafe fn new_unchecked() -> Avx512 {
        Avx512(())
    }

    /// The AVX2 token, for the 256-bit halves of partial loads and stores.
    #[inline(always)]
    fn avx2(self) -> Avx2 {
        // SAFETY: an `Avx512` token proves AVX2 and FMA as well (see the type).
        unsafe { Avx2::new_unchecked() }
    }

    /// `f` on the AVX2 halves of `a` and `b` (see `Lanes for Avx512`: Miri only).
    #[cfg(miri)]
    #[inline(always)]
    fn on_halves(self, a: __m512, b: __m512, f: impl Fn(Avx2, __m256, __m256) -> __m256) -> __m512 {
        let ((a0, a1), (b0, b1)) = (halves(a), halves(b));
        join(f(self.avx2(), a0, b0), f(self.avx2(), a1, b1))
    }
}

/// `lo` in lanes 0..8 and `hi` in lanes 8..16.
#[inline(always)]
fn join(lo: __m256, hi: __m256) -> __m512 {
    // SAFETY: register-only intrinsics of AVX-512F, present wherever this is called (an
    // `Avx512` method).
    unsafe {
        _mm512_castpd_ps(_mm512_insertf64x4::<1>(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi)))
    }
}

/// Lanes 0..8 and 8..16 of `v`.
#[inline(always)]
fn halves(v: __m512) -> (__m256, __m256) {
    // SAFETY: as for `join`.
    unsafe { (_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)))) }
}

impl Simd for Avx512 {
    const LANES: usize = 16;
    type V = __m512;
    // 32 vector registers: room for 24 accumulators beside the weight and input vectors.
    const ACC_REGS: usize = 24;
    // As AVX2 (whose bits its cells keep): recurrent sums in halves (see `simd::halves`).
    const HALVES: bool = true;

    // SAFETY (every block in this impl): an `Avx512` value exists only inside the
    // `#[target_feature(enable = "avx512f,avx2,fma")]` functions below, which the dispatcher
    // reaches only on CPUs with those features; pointer arguments are valid per the trait's
    // contract.
    #[inline(always)]
    fn splat(self, x: f32) -> __m512 {
        unsafe { _mm512_set1_ps(x) }
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> __m512 {
        unsafe { _mm512_loadu_ps(p) }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: __m512) {
        unsafe { _mm512_storeu_ps(p, v) }
    }
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, n: usize) -> __m512 {
        // In the pieces `store_partial` writes (AVX2's: 32 bytes, 16, 8, 4), so that each load
        // can be forwarded from its store, as on AVX2 (a full-width or masked load over
        // several narrower stores is not guaranteed to be; masks were not measured here).
        let a = self.avx2();
        unsafe {
            if n > 8 {
                join(_mm256_loadu_ps(p), a.load_partial(p.add(8), n - 8))
            } else if n == 8 {
                join(_mm256_loadu_ps(p), _mm256_setzero_ps())
            } else {
                join(a.load_partial(p, n), _mm256_setzero_ps())
            }
        }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize, v: __m512) {
        let a = self.avx2();
        let (lo, hi) = halves(v);
        unsafe {
            if n > 8 {
                _mm256_storeu_ps(p, lo);
                a.store_partial(p.add(8), n - 8, hi);
            } else if n == 8 {
                _mm256_storeu_ps(p, lo);
            } else {
                a.store_partial(p, n, lo);
            }
        }
    }
    #[inline(always)]
    fn add(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_add_ps(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_sub_ps(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_mul_ps(a, b) }
    }
    #[inline(always)]
    fn madd(self, acc: __m512, w: __m512, x: __m512) -> __m512 {
        unsafe { _mm512_fmadd_ps(w, x, acc) }
    }
    #[inline(always)]
    fn relu(self, v: __m512) -> __m512 {
        let zero = self.splat(0.0);
        self.select(self.lt(v, zero), zero, v)
    }
    #[inline(always)]
    fn hsum(self, v: __m512) -> f32 {
        // The trait's tree order: lanes i + (i + 8), then AVX2's tree on the 8 sums.
        let (lo, hi) = halves(v);
        let a = self.avx2();
        a.hsum(a.add(lo, hi))
    }
    #[inline(always)]
    fn fast_sigmoid(self, v: __m512) -> __m512 {
        unsafe { fast::sigmoid_avx512(v) }
    }
    #[inline(always)]
    fn fast_tanh(self, v: __m512) -> __m512 {
        unsafe { fast::tanh_avx512(v) }
    }
}

/// The fast activations' extra lane operations (`kernel::activation::lanes`), in AVX-512F
/// only (the float `and`/`or` forms are AVX-512DQ: the integer ones do the same on the bits).
// SAFETY (every `unsafe` block in this impl): an `Avx512` value exists only where AVX-512F,
// AVX2 and FMA are present (see the type); none of these intrinsics touches memory.
impl Lanes for Avx512 {
    type M = __mmask16;
    #[inline(always)]
    fn div(self, a: __m512, b: __m512) -> __m512 {
        unsafe { _mm512_div_ps(a, b) }
    }
    #[inline(always)]
    fn msub(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fmsub_ps(a, b, c) }
    }
    #[inline(always)]
    fn nmad(self, a: __m512, b: __m512, c: __m512) -> __m512 {
        unsafe { _mm512_fnmadd_ps(a, b, c) }
    }
    // Miri has no model of the 512-bit min, max and compare instructions: under Miri only,
    // these three run on AVX2 halves, which give the same lanes (they touch no memory, so
    // what Miri checks of the kernels is unchanged).
    #[inline(always)]
    fn min(self, c: __m512, x: __m512) -> __m512 {
        #[cfg(not(miri))]
        return unsafe { _mm512_min_ps(c, x) };
        #[cfg(miri)]
        return self.on_halves(c, x, |a, c, x| a.min(c, x));
    }
    #[inline(always)]
    fn max(self, c: __m512, x: __m512) -> __m512 {
        #[cfg(not(miri))]
        return unsafe { _mm512_max_ps(c, x) };
        #[cfg(miri)]
        return self.on_halves(c, x, |a, c, x| a.max(c, x));
    }
    #[inline(always)]
    fn lt(self, a: __m512, b: __m512) -> __mmask16 {
        #[cfg(not(miri))]
        return unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, b) };
        #[cfg(miri)]
        return {
            let lt = self.on_halves(a, b, |l, a, b| l.lt(a, b));
            let (lo, hi) = halves(lt);
            unsafe { (_mm256_movemask_ps(lo) as u16) | ((_mm256_movemask_ps(hi) as u16) << 8) }
        };
    }
    #[inline(always)]
    fn select(self, m: __mmask16, a: __m512, b: __m512) -> __m512 {
        // mask_blend(m, b, a) = m ? a : b
        unsafe { _mm512_mask_blend_ps(m, b, a) }
    }
    #[inline(always)]
    fn pow2_n(self, km: __m512) -> __m512 {
        unsafe {
            _mm512_castsi512_ps(_mm512_add_epi32(
                _mm512_slli_epi32::<23>(_mm512_castps_si512(km)),
                _mm512_set1_epi32(0x3f80_0000),
            ))
        }
    }
    #[inline(always)]
    fn abs(self, x: __m512) -> __m512 {
        unsafe { _mm512_castsi512_ps(_mm512_andnot_si512(_mm512_set1_epi32(i32::MIN), _mm512_castps_si512(x))) }
    }
    #[inline(always)]
    fn or_sign(self, y: __m512, x: __m512) -> __m512 {
        unsafe {
            let sign = _mm512_and_si512(_mm512_set1_epi32(i32::MIN), _mm512_castps_si512(x));
            _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(y), sign))
        }
    }
}

// The entry points (`cell`, `cell_fixed`, `sequence`, `sequence_fixed`, `dense`,
// `dense_fixed`), each `#[target_feature(enable = "avx512f,avx2,fma")]`: the only places an
// `Avx512` token is created. Multi-channel strips: 2 vectors × 2 channels, where a vector is
// one 64-byte packed line (a whole block), so two-vector strips take two blocks: see
// `simd::drive`, which pairs blocks only while the weights fit L1 (else 1 vector × 2 channels).
// Without `std` the dispatcher reaches this tier only where it is enabled at compile time.
#[cfg(any(feature = "std", all(target_feature = "avx512f", target_feature = "avx2", target_feature = "fma")))]
crate::kernel::simd::entry_points!(Avx512, Avx512(()), nv = 2, cc = 2, sized = all(), #[target_feature(enable = "avx512f,avx2,fma")]);
