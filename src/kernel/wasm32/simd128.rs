//! simd128: 4 lanes, separate multiply and add, so cells give the scalar kernel's bits.

#![allow(unused_unsafe)]

use core::arch::wasm32::*;

use crate::kernel::activation::lanes::Lanes;
use crate::kernel::activation::wasm32 as fast;
use crate::kernel::simd::{self, Simd};

/// Token for simd128 (this module is compiled only with `target_feature = "simd128"`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Simd128(());

impl Simd128 {
    /// The token: this module is compiled only with simd128 enabled crate-wide.
    pub(crate) const TOKEN: Simd128 = Simd128(());
}

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
    /// In the pieces `store_partial` writes (8 bytes, then 4), so that a load of a partial
    /// vector stored the step before can be forwarded from those stores (the trait default's
    /// full-width load of a stack copy cannot). Lane loads and stores are 1-aligned.
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, n: usize) -> v128 {
        unsafe {
            match n {
                1 => v128_load32_zero(p.cast()),
                2 => v128_load64_zero(p.cast()),
                3 => v128_load32_lane::<2>(v128_load64_zero(p.cast()), p.add(2).cast()),
                _ => v128_load(p.cast()),
            }
        }
    }
    /// See `load_partial`.
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize, v: v128) {
        unsafe {
            match n {
                1 => v128_store32_lane::<0>(v, p.cast()),
                2 => v128_store64_lane::<0>(v, p.cast()),
                3 => {
                    v128_store64_lane::<0>(v, p.cast());
                    v128_store32_lane::<2>(v, p.add(2).cast());
                }
                _ => v128_store(p.cast(), v),
            }
        }
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
    fn fast_sigmoid(self, v: v128) -> v128 {
        fast::sigmoid_simd128(v)
    }
    #[inline(always)]
    fn fast_tanh(self, v: v128) -> v128 {
        fast::tanh_simd128(v)
    }
}

/// The fast activations' extra lane operations (`kernel::activation::lanes`); the intrinsics
/// are safe: this module exists only when simd128 is enabled crate-wide.
impl Lanes for Simd128 {
    type M = v128;
    #[inline(always)]
    fn div(self, a: v128, b: v128) -> v128 {
        f32x4_div(a, b)
    }
    #[inline(always)]
    fn msub(self, a: v128, b: v128, c: v128) -> v128 {
        f32x4_sub(f32x4_mul(a, b), c)
    }
    #[inline(always)]
    fn nmad(self, a: v128, b: v128, c: v128) -> v128 {
        f32x4_sub(c, f32x4_mul(a, b))
    }
    #[inline(always)]
    fn min(self, c: v128, x: v128) -> v128 {
        // f32x4.min: NaN if either lane is NaN.
        f32x4_min(c, x)
    }
    #[inline(always)]
    fn max(self, c: v128, x: v128) -> v128 {
        f32x4_max(c, x)
    }
    #[inline(always)]
    fn lt(self, a: v128, b: v128) -> v128 {
        f32x4_lt(a, b)
    }
    #[inline(always)]
    fn select(self, m: v128, a: v128, b: v128) -> v128 {
        v128_bitselect(a, b, m)
    }
    #[inline(always)]
    fn pow2_n(self, km: v128) -> v128 {
        i32x4_add(i32x4_shl(km, 23), u32x4_splat(0x3f80_0000))
    }
    #[inline(always)]
    fn abs(self, x: v128) -> v128 {
        v128_andnot(x, u32x4_splat(0x8000_0000))
    }
    #[inline(always)]
    fn or_sign(self, y: v128, x: v128) -> v128 {
        v128_or(y, v128_and(x, u32x4_splat(0x8000_0000)))
    }
}

// The entry points (`cell`, `cell_fixed`, `sequence`, `sequence_fixed`, `dense`,
// `dense_fixed`). Multi-channel strips: 1 vector × 2 channels.
simd::entry_points!(Simd128, Simd128(()), nv = 1, cc = 2, sized = all());
