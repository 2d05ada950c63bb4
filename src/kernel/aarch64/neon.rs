//! NEON: 4 lanes, fused multiply-add (differs from the scalar kernel by FMA rounding).

#![allow(unused_unsafe)]

use core::arch::aarch64::*;

use crate::activation::{Activation, ActivationKind};
use crate::kernel::activation::aarch64 as fast;
use crate::kernel::simd::{self, Simd};

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

// The entry points (`cell`, `cell_fixed`, `sequence`, `sequence_fixed`, `dense`,
// `dense_fixed`). Multi-channel strips: 1 vector × 4 channels (32 vector registers).
simd::entry_points!(Neon, Neon(()), nv = 1, cc = 4);
