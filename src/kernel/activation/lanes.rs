//! The fast `tanh` / `sigmoid` of [`crate::activation::fast`], written once for every vector
//! tier over [`Lanes`]: each ISA module implements `Lanes` with its intrinsics and wraps
//! [`tanh_lanes`] / [`sigmoid_lanes`] in its `#[target_feature]` functions, where they inline.
//!
//! The operations and their order are exactly those of the scalar models
//! (`fast::tanh` / `fast::sigmoid` with separate multiply and add, `fast::tanh_fused` /
//! `fast::sigmoid_fused` with fused ones), which stay written out in scalar form: they are the
//! reference the tiers are checked against bit for bit, and a scalar core (Cortex-M) compiles
//! that form best.

use crate::activation::fast::{CLAMP, G1, G2, G3, G4, LN2, LOG2E, MAGIC, NEG_THIRD, SIGMOID_HI, SIGMOID_LO, SWITCH};

/// What the fast formulas need from a vector tier: its vector type and a few lane-wise
/// operations, each implemented with that ISA's intrinsics.
pub(super) trait Lanes: Copy {
    /// The vector.
    type V: Copy;
    /// A lane mask, as [`Lanes::lt`] returns it.
    type M: Copy;
    /// All lanes `x`.
    fn splat(self, x: f32) -> Self::V;
    /// `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a − b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a · b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a / b`, IEEE (correctly rounded).
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a·b + c`: fused on FMA tiers, a multiply then an add otherwise.
    fn mad(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `a·b − c`, rounded like [`Lanes::mad`].
    fn msub(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    /// `c − a·b`, rounded like [`Lanes::mad`].
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
    /// `max(lo, min(hi, x))`; a NaN `x` passes through.
    #[inline(always)]
    fn clamp(self, x: Self::V, lo: f32, hi: f32) -> Self::V {
        self.max(self.splat(lo), self.min(self.splat(hi), x))
    }
}

/// `e^y = 2^n (1 + r)`: returns `(km, r)`, `km = MAGIC + n`. `NEG` computes `e^{−y}` instead,
/// with the same operation count (the reduction and the polynomial absorb the sign).
#[inline(always)]
fn exp_split<L: Lanes, const NEG: bool>(l: L, y: L::V) -> (L::V, L::V) {
    let c = |x: f32| l.splat(x);
    if NEG {
        // n = round(−y·log2 e); w = y + n·LN2 = −u; e^u = 1 − w + w²·H(−w).
        let km = l.mad(y, c(-LOG2E), c(MAGIC));
        let k = l.sub(km, c(MAGIC));
        let w = l.mad(k, c(LN2), y);
        let h = l.mad(l.mad(l.mad(c(-G4), w, c(G3)), w, c(-G2)), w, c(G1));
        let r1 = l.mul(w, h);
        (km, l.msub(w, r1, w))
    } else {
        // n = round(y·log2 e); u = y − n·LN2; e^u = 1 + u + u²·H(u).
        let km = l.mad(y, c(LOG2E), c(MAGIC));
        let k = l.sub(km, c(MAGIC));
        let u = l.nmad(k, c(LN2), y);
        let h = l.mad(l.mad(l.mad(c(G4), u, c(G3)), u, c(G2)), u, c(G1));
        let r1 = l.mul(u, h);
        (km, l.mad(u, r1, u))
    }
}

/// The fast `tanh` on a tier's lanes (see the module documentation).
#[inline(always)]
pub(super) fn tanh_lanes<L: Lanes>(l: L, x: L::V) -> L::V {
    let c = |x: f32| l.splat(x);
    // min(CLAMP, |x|); a NaN passes through.
    let a = l.min(c(CLAMP), l.abs(x));
    let (km, r) = exp_split::<L, false>(l, l.add(a, a));
    let p = l.pow2_n(km);
    // 1 + e^{2a} = 2^n·r + (2^n + 1), one rounding (2^n + 1 is exact up to n = 23; above,
    // the 1 it drops is far below an ulp of the result).
    let den = l.mad(p, r, l.add(p, c(1.0)));
    let big = l.sub(c(1.0), l.div(c(2.0), den));
    let small = l.mad(l.mul(a, l.mul(a, a)), c(NEG_THIRD), a);
    l.or_sign(l.select(l.lt(a, c(SWITCH)), small, big), x)
}

/// The fast `sigmoid` on a tier's lanes (see the module documentation).
#[inline(always)]
pub(super) fn sigmoid_lanes<L: Lanes>(l: L, x: L::V) -> L::V {
    let c = |x: f32| l.splat(x);
    let x = l.clamp(x, SIGMOID_LO, SIGMOID_HI);
    let (km, r) = exp_split::<L, true>(l, x);
    // e^{−x} = 2^n·(1 + r); 1 + r > 0.7, so 2^n = +inf gives den = +inf and the result 0.
    let den = l.mad(l.pow2_n(km), l.add(r, c(1.0)), c(1.0));
    l.div(c(1.0), den)
}
