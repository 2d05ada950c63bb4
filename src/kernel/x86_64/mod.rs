//! x86-64 tiers: SSE2 (every x86-64 CPU), AVX2+FMA and AVX-512F (detected at run time with
//! `std`, or enabled at compile time with `-C target-feature=+avx2,+fma`, resp.
//! `+avx512f,+avx2,+fma`).

pub(crate) mod avx2;
pub(crate) mod avx512;
pub(crate) mod sse2;

use core::arch::x86_64::*;

/// `r` (`0..=3`) floats at `p` into the low lanes of an SSE vector, the rest zero, in the
/// pieces [`store_tail`] writes (8 bytes, then 4), so that a load right after such a store is
/// forwarded from it. (A full-width load of a buffer just filled by narrower stores is not:
/// it waits for them to retire, which made every partial vector of a step a pipeline drain.)
///
/// # Safety
/// `p..p + r` must be readable.
#[inline(always)]
pub(crate) unsafe fn load_tail(p: *const f32, r: usize) -> __m128 {
    // SAFETY (all arms): the caller guarantees `r` readable floats at `p` (only 4-byte
    // aligned, so the 8-byte piece is an unaligned read: `_mm_load_sd` wants 8); SSE2 is baseline.
    unsafe {
        let pair = || _mm_castpd_ps(_mm_set_sd(p.cast::<f64>().read_unaligned()));
        match r {
            0 => _mm_setzero_ps(),
            1 => _mm_load_ss(p),
            2 => pair(),
            _ => _mm_movelh_ps(pair(), _mm_load_ss(p.add(2))),
        }
    }
}

/// Stores the low `r` (`0..=3`) lanes of `v` at `p`, in the pieces [`load_tail`] reads.
///
/// # Safety
/// `p..p + r` must be writable.
#[inline(always)]
pub(crate) unsafe fn store_tail(p: *mut f32, r: usize, v: __m128) {
    // SAFETY (all arms): the caller guarantees `r` writable floats at `p` (4-byte aligned:
    // the 8-byte piece is an unaligned write); SSE2 is baseline.
    unsafe {
        let pair = || p.cast::<f64>().write_unaligned(_mm_cvtsd_f64(_mm_castps_pd(v)));
        match r {
            0 => {}
            1 => _mm_store_ss(p, v),
            2 => pair(),
            _ => {
                pair();
                _mm_store_ss(p.add(2), _mm_movehl_ps(v, v));
            }
        }
    }
}
