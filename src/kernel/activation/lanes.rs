//! The fast `tanh` / `sigmoid` of [`crate::activation::fast`], written once for every vector
//! tier: over the kernel's vector backend ([`Simd`]: `splat`, `add`, `sub`, `mul`, `madd`)
//! plus the few operations only the activations need ([`Lanes`]), which each ISA's kernel
//! token implements beside its `Simd` impl. The ISA modules of `kernel::activation` wrap
//! [`tanh_lanes`] / [`sigmoid_lanes`] in their `#[target_feature]` functions, where they
//! inline.
//!
//! The operations and their order are exactly those of the scalar models
//! (`fast::tanh` / `fast::sigmoid` with separate multiply and add, `fast::tanh_fused` /
//! `fast::sigmoid_fused` with fused ones), which stay written out in scalar form: they are the
//! reference the tiers are checked against bit for bit, and a scalar core (Cortex-M) compiles
//! that form best.

use crate::activation::fast::{CLAMP, G1, G2, G3, G4, LN2, LOG2E, MAGIC, NEG_THIRD, SIGMOID_HI, SIGMOID_LO, SWITCH};
use crate::kernel::simd::Simd;

/// What the fast formulas need from a vector tier beyond the kernel's [`Simd`] operations
/// (`splat`, `add`, `sub`, `mul`, and `madd` for the multiply-adds): implemented by each
/// ISA's kernel token with its intrinsics.
pub(crate) trait Lanes: Simd {
    /// A lane mask, as [`Lanes::lt`] returns it.
    type M: Copy;
    /// `a / b`, IEEE (correctly rounded).
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a·b − c`, rounded like [`Simd::madd`] (fused on FMA tiers).
    fn msub(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `c − a·b`, rounded like [`Simd::madd`].
    fn nmad(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `c < x ? c : x` (x86 `minps(c, x)`): a NaN `x` passes through.
    fn min(self, c: Self::V, x: Self::V) -> Self::V;
    /// `c > x ? c : x` (x86 `maxps(c, x)`): a NaN `x` passes through.
    fn max(self, c: Self::V, x: Self::V) -> Self::V;
    /// `a < b` per lane.
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    /// `m ? a : b` per lane.
    fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;
    /// `2^n` from `km = MAGIC + n`: the low mantissa bits of `km` are `n` (two's complement),
    /// and MAGIC's own bits vanish when shifted by 23, so `(bits(km) << 23) + bits(1.0)` has
    /// the exponent field `n + 127` (`n = 128` gives `+inf`).
    fn pow2_n(self, km: Self::V) -> Self::V;
    /// `x` with its sign bit cleared.
    fn abs(self, x: Self::V) -> Self::V;
    /// `y` with the sign bit of `x` ORed in.
    fn or_sign(self, y: Self::V, x: Self::V) -> Self::V;
}

/// `r` of `e^y = 2^n (1 + r)`, given `km = MAGIC + n` (`fast::exp_r`). `NEG` computes `e^{−y}`.
#[inline(always)]
fn exp_r<L: Lanes, const NEG: bool>(l: L, y: L::V, km: L::V) -> L::V {
    let c = |x: f32| l.splat(x);
    // a·b + c
    let mad = |a, b, acc| l.madd(acc, a, b);
    let k = l.sub(km, c(MAGIC));
    if NEG {
        // w = y + n·LN2 = −u; e^u = 1 − w + w²·H(−w).
        let w = mad(k, c(LN2), y);
        let w2 = l.mul(w, w);
        let h = mad(w2, mad(c(-G4), w, c(G3)), mad(c(-G2), w, c(G1)));
        l.msub(w2, h, w)
    } else {
        // u = y − n·LN2; e^u = 1 + u + u²·H(u).
        let u = l.nmad(k, c(LN2), y);
        let u2 = l.mul(u, u);
        let h = mad(u2, mad(c(G4), u, c(G3)), mad(c(G2), u, c(G1)));
        mad(u2, h, u)
    }
}

/// The fast `tanh` on a tier's lanes (see the module documentation).
#[inline(always)]
pub(crate) fn tanh_lanes<L: Lanes>(l: L, x: L::V) -> L::V {
    let c = |x: f32| l.splat(x);
    let mad = |a, b, acc| l.madd(acc, a, b);
    // min(CLAMP, |x|); a NaN passes through.
    let a = l.min(c(CLAMP), l.abs(x));
    // km = MAGIC + round(2a·log2 e), straight from `a` (`fast::exp_km`).
    let km = mad(a, c(2.0 * LOG2E), c(MAGIC));
    let r = exp_r::<L, false>(l, l.add(a, a), km);
    let p = l.pow2_n(km);
    // 1 + e^{2a} = 2^n·r + (2^n + 1), one rounding (2^n + 1 is exact up to n = 23; above,
    // the 1 it drops is far below an ulp of the result).
    let den = mad(p, r, l.add(p, c(1.0)));
    let big = l.sub(c(1.0), l.div(c(2.0), den));
    let small = mad(l.mul(a, l.mul(a, a)), c(NEG_THIRD), a);
    l.or_sign(l.select(l.lt(a, c(SWITCH)), small, big), x)
}

/// The fast `sigmoid` on a tier's lanes (see the module documentation).
#[inline(always)]
pub(crate) fn sigmoid_lanes<L: Lanes>(l: L, x: L::V) -> L::V {
    let c = |x: f32| l.splat(x);
    let mad = |a, b, acc| l.madd(acc, a, b);
    let x = l.max(c(SIGMOID_LO), l.min(c(SIGMOID_HI), x));
    let km = mad(x, c(-LOG2E), c(MAGIC));
    let r = exp_r::<L, true>(l, x, km);
    // e^{−x} = 2^n·(1 + r); 1 + r > 0.7, so 2^n = +inf gives den = +inf and the result 0.
    let den = mad(l.pow2_n(km), l.add(r, c(1.0)), c(1.0));
    l.div(c(1.0), den)
}
