//! Fast `tanh` and `sigmoid`: one exponential core, one formula each, every ISA tier.
//!
//! # The formulas
//!
//! Both are built on one split of the exponential, `e^y = 2^n · (1 + r)`:
//! `n = round(y·log2 e)` (magic-number rounding, no float→int conversion), `u = y − n·LN2` in
//! `[−ln2/2, ln2/2]`, and `r = u + u²·H(u)`, `H` a cubic (the minimax fit of `e^u` on that
//! interval, [`G1`]..[`G4`]) evaluated in Estrin's form `(G1 + G2·u) + u²·(G3 + G4·u)`, which
//! keeps the latency short: three dependent multiply-adds after `u`. `2^n` is built from
//! exponent bits. Writing `r` as `u` plus a small correction keeps it monotone in `u` despite
//! the roundings inside `H` and `u²`.
//!
//! * **`sigmoid(x) = 1 / (1 + e^{−x})`**, `x` clamped to `[SIGMOID_LO, SIGMOID_HI]`: one
//!   division, `den = 2^n·(1 + r) + 1` (`2^n` is `+inf` at the lower clamp, so
//!   `sigmoid(−inf) = 0` exactly; above `SIGMOID_HI` the result is exactly 1). No sign
//!   handling, and no select after the clamp.
//! * **`tanh(x)`** works on `a = min(|x|, CLAMP)` and ORs the sign back (so it is exactly odd):
//!   `tanh a = 1 − 2/(1 + e^{2a})`, with `1 + e^{2a} = 2^n·r + (2^n + 1)` in one rounding. For
//!   `a < SWITCH` (0.02) that form loses relative accuracy (its absolute error, ≈ 1e-7, is a large
//!   fraction of `a`), so there `tanh a = a + (a·a²)·(−1/3)`, whose error `2a⁵/15` is far below
//!   an ulp of `a`; for `|x| < 2^-12` it returns `x` exactly, subnormals included. The two
//!   branches are computed for every lane and one is selected.
//!
//! There are no tables, and the vector tiers have no data-dependent branches (the scalar
//! sigmoid branches around its clamp, which only `|x| > 18` reach; same bits); tails of
//! slices run through the same vector code, padded. Monotonicity is a property of the f32 evaluation order, not only of
//! the real functions: within one `n`, every operation is a rounding of a monotone function of
//! the previous result, and across the `n` seams and the `SWITCH` point it was checked over
//! every input (see below), per rounding variant. Any change to the operation order or the
//! constants must be made in the vector tiers' copy too (`kernel/activation/lanes.rs`, the
//! same operations written once over every ISA's lanes) and re-verified with
//! `cargo test --release -- --ignored`.
//!
//! # Two rounding variants
//!
//! * [`tanh`] / [`sigmoid`]: plain `a * b + c` (two roundings). **Bit-identical** to the SSE2
//!   (`x86_64::tanh_sse2`) and wasm simd128 tiers, all 2^32 inputs (SSE2: verified
//!   exhaustively; wasm: sampled under Node).
//! * [`tanh_fused`] / [`sigmoid_fused`]: every `a * b + c` is a fused multiply-add. Bit-exact
//!   model of the AVX2+FMA, AVX-512 and NEON tiers (AVX2, AVX-512: verified exhaustively;
//!   NEON: sampled under QEMU). Uses `libm::fmaf`, so it is slow where there is no hardware
//!   FMA; it exists as the reference for those tiers.
//!
//! The two variants differ (exhaustive comparison) on 219 336 of the 2 139 095 040 finite
//! non-negative inputs for `tanh`, and on 21 177 797 of 4 278 190 080 finite inputs for
//! `sigmoid`, by at most 2^-23 (1.19e-7) absolute for each. Both variants satisfy all the
//! bounds below.
//!
//! # Verified bounds (exhaustive over all 2^32 f32 inputs, reference = f64 `tanh`,
//! `1/(1+exp(-x))` in f64)
//!
//! | function | max abs error | max rel error, `1e-20 ≤ \|x\| ≤ 0.5` |
//! |---|---|---|
//! | `tanh` (plain: scalar, SSE2, wasm)        | 1.329e-7 (at x = ±0.1733697)  | 4.652e-6 (x = ±0.020016694) |
//! | `tanh_fused` (AVX2, AVX-512, NEON)        | 1.323e-7 (at x = ±0.17331357) | 4.652e-6 (x = ±0.020016694) |
//! | `sigmoid` (plain)                         | 9.430e-8 (at x = 1.0957973)   | — |
//! | `sigmoid_fused` (AVX2, AVX-512, NEON)     | 9.484e-8 (at x = 0.9938219)   | — |
//!
//! Relative error of `tanh` for `0 < |x| < 1e-20` (subnormals included) is exactly 0.
//! Spec: tanh abs ≤ 2.5e-7, rel ≤ 1e-4 on `1e-20 ≤ |x| ≤ 0.5`; sigmoid abs ≤ 1.5e-7.
//!
//! Further verified properties (all 2^32 inputs, both variants): `tanh(-x) == -tanh(x)`
//! bitwise (NaN aside); monotone non-decreasing over all f32 in sorted order; outputs in
//! `[-1, 1]` / `[0, 1]`; NaN → NaN; `tanh(±inf) = ±1`, `sigmoid(+inf) = 1`,
//! `sigmoid(-inf) = 0`; `tanh(±0) = ±0`; `tanh(x) == x` for `|x| < 2^-12` (subnormals
//! included, so relative error 0 there).
#![allow(clippy::excessive_precision)]

/// Above this `|x|` the fast `tanh` returns exactly ±1.0 (the true value rounds to 1.0 in f32
/// beyond 9.0109). The clamp keeps `e^{2a}` and the exponent arithmetic in range.
pub const CLAMP: f32 = 9.1;
/// Branch point of `tanh`: `|x| < SWITCH` uses `a − a³/3`, `|x| ≥ SWITCH` uses
/// `1 − 2/(1 + e^{2|x|})`. Small enough for `a − a³/3` (error ≤ 4.3e-10 here), large enough for
/// the relative error of the exponential form (≤ 4.7e-6 here), and a point where the two meet
/// monotonically in both rounding variants (checked; 2^-6 is not such a point).
pub const SWITCH: f32 = 0.02;
/// `−1/3`, rounded to f32: the cubic term of `tanh a ≈ a − a³/3` below [`SWITCH`].
pub const NEG_THIRD: f32 = -0.333_333_34;
/// `sigmoid(x)` is exactly 1.0 for `x ≥ SIGMOID_HI` (the true value rounds to 1.0 beyond
/// 17.33); keeps `2^n` normal.
pub const SIGMOID_HI: f32 = 18.0;
/// Lower clamp of `sigmoid`: here `n = 128`, whose exponent bits make `2^n = +inf`, so
/// `sigmoid(x) = 0` exactly for `x ≤ −88.38` (and `n` never wraps past 128).
pub const SIGMOID_LO: f32 = -88.7;

/// `log2(e)`, rounded to f32.
pub const LOG2E: f32 = core::f32::consts::LOG2_E;
/// `ln 2`, rounded to f32. One constant suffices for the reduction `u = y − n·LN2`: its error
/// (1.9e-9 per unit of `n`) only grows where `n` is large, and there the result is within a
/// few ulps of 0 or 1 anyway.
pub const LN2: f32 = core::f32::consts::LN_2;
/// `e^u ≈ 1 + u + u²·(G1 + u·(G2 + u·(G3 + u·G4)))` on `|u| ≤ ln2/2`: minimax relative error
/// (1.06e-7 with these f32 coefficients), fitted with the same sign of the error at both ends
/// (−1.05e-7), so `2^n·e^u` has no jump where `n` steps.
pub const G1: f32 = 0.499_992_31;
/// See [`G1`].
pub const G2: f32 = 0.166_671_14;
/// See [`G1`].
pub const G3: f32 = 0.041_890_115;
/// See [`G1`].
pub const G4: f32 = 0.008_312_525;
/// `1.5 · 2^23`: `(t + MAGIC) − MAGIC` rounds `t` to the nearest integer (ties to even) for
/// `|t| < 2^22`, and the low mantissa bits of `t + MAGIC` hold that integer.
pub const MAGIC: f32 = 12_582_912.0;

/// Measured (exhaustive, all 2^32 inputs, vs f64) maximum absolute error of [`tanh`]
/// (plain rounding: scalar, SSE2, wasm simd128), rounded up: 1.329e-7 at x = ±0.1734 (the
/// seam where `n` steps from 0 to 1).
pub const TANH_MAX_ABS_ERR: f32 = 1.33e-7;
/// Measured maximum absolute error of [`tanh_fused`] (AVX2+FMA, NEON), rounded up: 1.323e-7.
pub const TANH_FUSED_MAX_ABS_ERR: f32 = 1.33e-7;
/// Measured maximum absolute error of [`sigmoid`] (plain), rounded up: 9.430e-8 at x = 1.096.
pub const SIGMOID_MAX_ABS_ERR: f32 = 9.44e-8;
/// Measured maximum absolute error of [`sigmoid_fused`] (AVX2+FMA, NEON), rounded up: 9.484e-8.
pub const SIGMOID_FUSED_MAX_ABS_ERR: f32 = 9.49e-8;

#[inline(always)]
fn mad<const FUSED: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FUSED {
        libm::fmaf(a, b, c)
    } else {
        a * b + c
    }
}

/// Branch-free in spirit: compiles to a compare + select (no data-dependent control flow
/// in the vector tiers, which use blends).
#[inline(always)]
fn select(m: bool, a: f32, b: f32) -> f32 {
    if m {
        a
    } else {
        b
    }
}

/// `2^n` from `km = MAGIC + n`: the low mantissa bits of `km` are `n` (two's complement), and
/// MAGIC's own bits vanish when shifted by 23, so `(bits(km) << 23) + bits(1.0)` has the
/// exponent field `n + 127` (`n = 128` gives `+inf`).
#[inline(always)]
fn pow2_n(km: f32) -> f32 {
    f32::from_bits((km.to_bits() << 23).wrapping_add(0x3f80_0000))
}

/// `km = MAGIC + n`, `n = round(x·s)`: the exponent of `e^y = 2^n (1 + r)` for `y = x·s / log2 e`.
/// `s` is `±log2 e` times a power of two, which the product absorbs exactly: `tanh` passes
/// `a` and `2·log2 e` for `y = 2a` (the same bits as rounding `(a + a)·log2 e`), so `km` does
/// not wait for the doubling.
#[inline(always)]
fn exp_km<const FUSED: bool>(x: f32, s: f32) -> f32 {
    mad::<FUSED>(x, s, MAGIC)
}

/// `r` of `e^y = 2^n (1 + r)`, given `km = MAGIC + n` from [`exp_km`]. `NEG` computes
/// `e^{−y}` instead (`n = round(−y·log2 e)`), with the same operation count (the reduction
/// and the polynomial absorb the sign).
///
/// `H` is evaluated in Estrin's form (`(G1 + G2·u) + u²·(G3 + G4·u)`), and `r = u + u²·H` in
/// one multiply-add from the same `u²`: three multiply-adds after `u` instead of five, which
/// shortens the latency of every `tanh` and `sigmoid` (the `h → h` chain of small cells).
///
/// Every vector tier performs exactly these IEEE operations in this order, lane by lane.
#[inline(always)]
fn exp_r<const FUSED: bool, const NEG: bool>(y: f32, km: f32) -> f32 {
    let k = km - MAGIC;
    if NEG {
        // w = y + n·LN2 = −u; e^u = 1 − w + w²·H(−w).
        let w = mad::<FUSED>(k, LN2, y);
        let w2 = w * w;
        let h = mad::<FUSED>(w2, mad::<FUSED>(-G4, w, G3), mad::<FUSED>(-G2, w, G1));
        mad::<FUSED>(w2, h, -w)
    } else {
        // u = y − n·LN2; e^u = 1 + u + u²·H(u).
        let u = mad::<FUSED>(-k, LN2, y);
        let u2 = u * u;
        let h = mad::<FUSED>(u2, mad::<FUSED>(G4, u, G3), mad::<FUSED>(G2, u, G1));
        mad::<FUSED>(u2, h, u)
    }
}

/// The core on `a = |x|` (sign bit clear; NaN and +inf allowed). Returns `tanh(a)`.
///
/// Every vector tier performs exactly these IEEE operations in this order, lane by lane.
#[inline(always)]
fn tanh_abs<const FUSED: bool>(a: f32) -> f32 {
    // min(CLAMP, a) with NaN propagation (like x86 `minps(CLAMP, a)`).
    let a = select(a > CLAMP, CLAMP, a);
    let km = exp_km::<FUSED>(a, 2.0 * LOG2E);
    let r = exp_r::<FUSED, false>(a + a, km);
    let p = pow2_n(km);
    // 1 + e^{2a} = 2^n·r + (2^n + 1), one rounding (2^n + 1 is exact up to n = 23; above,
    // the 1 it drops is far below an ulp of the result).
    let den = mad::<FUSED>(p, r, p + 1.0);
    let big = 1.0 - 2.0 / den;
    let small = mad::<FUSED>(a * (a * a), NEG_THIRD, a);
    select(a < SWITCH, small, big)
}

#[inline(always)]
fn tanh_impl<const FUSED: bool>(x: f32) -> f32 {
    let bits = x.to_bits();
    let y = tanh_abs::<FUSED>(f32::from_bits(bits & 0x7fff_ffff));
    f32::from_bits(y.to_bits() | (bits & 0x8000_0000))
}

#[inline(always)]
fn sigmoid_impl<const FUSED: bool>(x: f32) -> f32 {
    // Clamp with NaN propagation (like x86 `minps(HI, x)` then `maxps(LO, ·)`). Both clamps
    // sit behind one test of |x|, which a scalar core can branch on (same bits: nothing
    // changes for |x| ≤ SIGMOID_HI, and NaN fails the test).
    let x = if x.abs() > SIGMOID_HI {
        let x = select(x > SIGMOID_HI, SIGMOID_HI, x);
        select(x < SIGMOID_LO, SIGMOID_LO, x)
    } else {
        x
    };
    let km = exp_km::<FUSED>(x, -LOG2E);
    let r = exp_r::<FUSED, true>(x, km);
    // e^{−x} = 2^n·(1 + r); 1 + r > 0.7, so 2^n = +inf gives den = +inf and the result 0.
    let den = mad::<FUSED>(pow2_n(km), r + 1.0, 1.0);
    1.0 / den
}

/// Fast hyperbolic tangent (scalar, plain `a * b + c` rounding; `no_std`, no `fmaf`).
///
/// Bounds (verified over all 2^32 inputs against f64 `tanh`): absolute error
/// ≤ [`TANH_MAX_ABS_ERR`] (spec ≤ 2.5e-7); relative error ≤ 4.7e-6 for `1e-20 ≤ |x| ≤ 0.5`
/// (spec ≤ 1e-4), and exactly
/// `x` for `|x| < 2^-12`; exactly odd; monotone non-decreasing; `|tanh(x)| ≤ 1`;
/// `tanh(±inf) = ±1`; NaN → NaN. Bit-identical to the SSE2 and wasm simd128 tiers.
#[inline]
pub fn tanh(x: f32) -> f32 {
    tanh_impl::<false>(x)
}

/// Fast logistic sigmoid `1/(1+e^-x)` (scalar, plain rounding).
///
/// Bounds (verified over all 2^32 inputs against `1/(1+exp(-x))` in f64): absolute error
/// ≤ [`SIGMOID_MAX_ABS_ERR`] (spec ≤ 1.5e-7); monotone non-decreasing; in `[0, 1]`;
/// `sigmoid(+inf) = 1`, `sigmoid(-inf) = 0`; NaN → NaN. Bit-identical to SSE2 / wasm simd128.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    sigmoid_impl::<false>(x)
}

/// [`tanh`] with every multiply-add fused: the bit-exact scalar model of the AVX2+FMA,
/// AVX-512 and NEON tiers. Same properties; max abs error ≤ [`TANH_FUSED_MAX_ABS_ERR`]. Slow without hardware
/// FMA (`libm::fmaf`).
#[inline]
pub fn tanh_fused(x: f32) -> f32 {
    tanh_impl::<true>(x)
}

/// [`sigmoid`] with every multiply-add fused: the bit-exact model of the AVX2+FMA, AVX-512
/// and NEON tiers. Same properties; max abs error ≤ [`SIGMOID_FUSED_MAX_ABS_ERR`]. Slow without
/// hardware FMA (`libm::fmaf`).
#[inline]
pub fn sigmoid_fused(x: f32) -> f32 {
    sigmoid_impl::<true>(x)
}

/// In-place [`tanh`] over a slice (scalar tier).
pub fn tanh_slice(xs: &mut [f32]) {
    for x in xs {
        *x = tanh(*x);
    }
}

/// In-place [`sigmoid`] over a slice (scalar tier).
pub fn sigmoid_slice(xs: &mut [f32]) {
    for x in xs {
        *x = sigmoid(*x);
    }
}
