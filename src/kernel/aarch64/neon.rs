//! NEON: 4 lanes, fused multiply-add (differs from the scalar kernel by FMA rounding).

#![allow(unused_unsafe)]

use core::arch::aarch64::*;

use crate::kernel::activation::aarch64 as fast;
use crate::kernel::activation::lanes::Lanes;
use crate::kernel::simd::{self, Simd};

/// Token for NEON (enabled on every AArch64 target this crate builds for).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Neon(());

impl Neon {
    /// The token: NEON is part of the AArch64 baseline.
    pub(crate) const TOKEN: Neon = Neon(());
}

impl Simd for Neon {
    const LANES: usize = 4;
    type V = float32x4_t;
    // 32 vector registers.
    const ACC_REGS: usize = 24;
    // Not timed (no AArch64 core here): 12 accumulators fit the 32 registers, a core with
    // more FMA pipes than x86 (four on Apple's) waits longer on two-vector strips' 6, and a
    // GRU step executes 0.84–0.92 of the instructions at H = 16..128 (qemu count, README).
    const BLOCK_STRIPS: bool = true;

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
    /// In the pieces `store_partial` writes (8 bytes, then 4), so that a load of a partial
    /// vector stored the step before is forwarded from those stores (the trait default's
    /// full-width load of a stack copy is not).
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, n: usize) -> float32x4_t {
        unsafe {
            let pair = || vcombine_f32(vld1_f32(p), vdup_n_f32(0.0));
            match n {
                1 => vld1q_lane_f32::<0>(p, vdupq_n_f32(0.0)),
                2 => pair(),
                3 => vld1q_lane_f32::<2>(p.add(2), pair()),
                _ => vld1q_f32(p),
            }
        }
    }
    /// See `load_partial`.
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize, v: float32x4_t) {
        unsafe {
            match n {
                1 => vst1q_lane_f32::<0>(p, v),
                2 => vst1_f32(p, vget_low_f32(v)),
                3 => {
                    vst1_f32(p, vget_low_f32(v));
                    vst1q_lane_f32::<2>(p.add(2), v);
                }
                _ => vst1q_f32(p, v),
            }
        }
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
    fn fast_sigmoid(self, v: float32x4_t) -> float32x4_t {
        fast::sigmoid_neon(v)
    }
    #[inline(always)]
    fn fast_tanh(self, v: float32x4_t) -> float32x4_t {
        fast::tanh_neon(v)
    }
}

/// The fast activations' extra lane operations (`kernel::activation::lanes`).
// SAFETY (every `unsafe` block in this impl): NEON is part of the aarch64 baseline; none of
// these intrinsics touches memory.
impl Lanes for Neon {
    type M = uint32x4_t;
    #[inline(always)]
    fn div(self, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vdivq_f32(a, b) }
    }
    #[inline(always)]
    fn msub(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // a·b + (−c), fused.
        unsafe { vfmaq_f32(vnegq_f32(c), a, b) }
    }
    #[inline(always)]
    fn nmad(self, a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
        // vfmsq_f32(c, a, b) = c − a·b, fused.
        unsafe { vfmsq_f32(c, a, b) }
    }
    #[inline(always)]
    fn min(self, c: float32x4_t, x: float32x4_t) -> float32x4_t {
        // FMIN: NaN if either lane is NaN.
        unsafe { vminq_f32(c, x) }
    }
    #[inline(always)]
    fn max(self, c: float32x4_t, x: float32x4_t) -> float32x4_t {
        unsafe { vmaxq_f32(c, x) }
    }
    #[inline(always)]
    fn lt(self, a: float32x4_t, b: float32x4_t) -> uint32x4_t {
        unsafe { vcltq_f32(a, b) }
    }
    #[inline(always)]
    fn select(self, m: uint32x4_t, a: float32x4_t, b: float32x4_t) -> float32x4_t {
        unsafe { vbslq_f32(m, a, b) }
    }
    #[inline(always)]
    fn pow2_n(self, km: float32x4_t) -> float32x4_t {
        unsafe {
            vreinterpretq_f32_u32(vaddq_u32(vshlq_n_u32::<23>(vreinterpretq_u32_f32(km)), vdupq_n_u32(0x3f80_0000)))
        }
    }
    #[inline(always)]
    fn abs(self, x: float32x4_t) -> float32x4_t {
        unsafe { vabsq_f32(x) }
    }
    #[inline(always)]
    fn or_sign(self, y: float32x4_t, x: float32x4_t) -> float32x4_t {
        unsafe {
            let sign = vdupq_n_u32(0x8000_0000);
            vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(y), vandq_u32(sign, vreinterpretq_u32_f32(x))))
        }
    }
}

// The entry points (`cell`, `cell_fixed`, `sequence`, `sequence_fixed`, `dense`,
// `dense_fixed`). Multi-channel strips: 1 vector × 4 channels (32 vector registers).
simd::entry_points!(Neon, Neon(()), nv = 1, cc = 4, sized = all());
