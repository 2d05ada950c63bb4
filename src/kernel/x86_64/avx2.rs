//! AVX2 + FMA: 8 lanes, fused multiply-add (differs from the scalar kernel by FMA rounding).

// Intrinsics are safe to call in `#[target_feature]` contexts on recent compilers and
// `unsafe` on older ones (before Rust 1.87), or when AVX2 is enabled crate-wide: keep both building.
#![allow(unused_unsafe)]

use core::arch::x86_64::*;

use crate::kernel::activation::lanes::Lanes;
use crate::kernel::activation::x86_64 as fast;
use crate::kernel::simd::Simd;

/// Token for AVX2 + FMA. Only the `#[target_feature]` entry points below and the fast
/// activations' AVX2 functions (through [`Avx2::new_unchecked`]) create it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// The token, for the fast activations' `#[target_feature]` functions.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    pub(crate) const unsafe fn new_unchecked() -> Avx2 {
        Avx2(())
    }
}

impl Simd for Avx2 {
    const LANES: usize = 8;
    type V = __m256;
    // Zen 3: LSTM-64 −13 %, GRU-32 −18 % per step (README); the other tiers keep their strips'
    // updates in registers.
    const INTERLEAVE: bool = true;
    // Multi-channel GRU (2 channels: 12 accumulators, no interleave), per channel: H = 32 /
    // 64 / 128 0.91 / 0.94 / 0.96 of the time (README). SSE2 measured mixed (0.94–1.06).
    const DEFER: bool = true;
    // Layers of 4 to 8 units: recurrent sums in two halves (see `simd::halves`).
    const HALVES: bool = true;

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
    unsafe fn load_partial(self, p: *const f32, n: usize) -> __m256 {
        // The pieces `store_partial` writes (16 bytes, 8, 4), each forwarded from its store.
        unsafe {
            if n >= 8 {
                return _mm256_loadu_ps(p);
            }
            let (lo, hi) = if n >= 4 {
                (_mm_loadu_ps(p), super::load_tail(p.add(4), n - 4))
            } else {
                (super::load_tail(p, n), _mm_setzero_ps())
            };
            _mm256_insertf128_ps::<1>(_mm256_castps128_ps256(lo), hi)
        }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize, v: __m256) {
        unsafe {
            let (lo, hi) = (_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            if n >= 8 {
                _mm256_storeu_ps(p, v);
            } else if n >= 4 {
                _mm_storeu_ps(p, lo);
                super::store_tail(p.add(4), n - 4, hi);
            } else {
                super::store_tail(p, n, lo);
            }
        }
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
    fn fast_sigmoid(self, v: __m256) -> __m256 {
        unsafe { fast::sigmoid_avx2(v) }
    }
    #[inline(always)]
    fn fast_tanh(self, v: __m256) -> __m256 {
        unsafe { fast::tanh_avx2(v) }
    }
}

/// The fast activations' extra lane operations (`kernel::activation::lanes`).
// SAFETY (every `unsafe` block in this impl): an `Avx2` value exists only where AVX2 and FMA
// are present (see the type); none of these intrinsics touches memory.
impl Lanes for Avx2 {
    type M = __m256;
    #[inline(always)]
    fn div(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_div_ps(a, b) }
    }
    #[inline(always)]
    fn msub(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fmsub_ps(a, b, c) }
    }
    #[inline(always)]
    fn nmad(self, a: __m256, b: __m256, c: __m256) -> __m256 {
        unsafe { _mm256_fnmadd_ps(a, b, c) }
    }
    #[inline(always)]
    fn min(self, c: __m256, x: __m256) -> __m256 {
        unsafe { _mm256_min_ps(c, x) }
    }
    #[inline(always)]
    fn max(self, c: __m256, x: __m256) -> __m256 {
        unsafe { _mm256_max_ps(c, x) }
    }
    #[inline(always)]
    fn lt(self, a: __m256, b: __m256) -> __m256 {
        unsafe { _mm256_cmp_ps::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn select(self, m: __m256, a: __m256, b: __m256) -> __m256 {
        // blendv(b, a, m) = m ? a : b
        unsafe { _mm256_blendv_ps(b, a, m) }
    }
    #[inline(always)]
    fn pow2_n(self, km: __m256) -> __m256 {
        unsafe {
            _mm256_castsi256_ps(_mm256_add_epi32(
                _mm256_slli_epi32::<23>(_mm256_castps_si256(km)),
                _mm256_set1_epi32(0x3f80_0000),
            ))
        }
    }
    #[inline(always)]
    fn abs(self, x: __m256) -> __m256 {
        unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), x) }
    }
    #[inline(always)]
    fn or_sign(self, y: __m256, x: __m256) -> __m256 {
        unsafe { _mm256_or_ps(y, _mm256_and_ps(_mm256_set1_ps(-0.0), x)) }
    }
}

// The entry points (`cell`, `cell_fixed`, `sequence`, `sequence_fixed`, `dense`,
// `dense_fixed`), each `#[target_feature(enable = "avx2,fma")]`: the only places an `Avx2`
// token is created. Multi-channel strips: 2 vectors × 2 channels (one 64-byte packed line).
// Without `std` the dispatcher reaches this tier only where it is enabled at compile time.
#[cfg(any(feature = "std", all(target_feature = "avx2", target_feature = "fma")))]
crate::kernel::simd::entry_points!(Avx2, Avx2(()), nv = 2, cc = 2, sized = all(), #[target_feature(enable = "avx2,fma")]);
