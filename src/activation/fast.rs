//! Fast `tanh` and `sigmoid`: one set of coefficients, one formula, every ISA tier.
//!
//! # The formula
//!
//! With `a = min(|x|, CLAMP)` (NaN propagates) and `s = a * a`:
//!
//! * **small branch**, `a < SWITCH`: `tanh a = a + a * (s * U(s))`, where
//!   `U(s) = (P0 + P1 s + P2 s^2) / (1 + Q1 s + Q2 s^2)` is a minimax rational approximation
//!   (relative error 1.1e-8 in f64) of `(tanh(√s)/√s − 1)/s` on `s ∈ [0, SWITCH²]`.
//!   The correction `a·s·U` is at most 16 % of `a`, so its rounding noise is damped, and for
//!   tiny `a` it underflows: `tanh(x) == x` exactly for `|x| < 2^-12`, subnormals included.
//! * **large branch**, `a ≥ SWITCH`: `tanh a = 1 − 2/(1 + e^{2a})`. `e^{2a} = 2^n · e^f` with
//!   `n = round(2a·log2 e)` (magic-number rounding, no float→int conversion needed),
//!   `f = 2a − n·LN2_HI − n·LN2_LO ∈ [−ln2/2, ln2/2]` and `e^f = 1 + f·G(f)`, `G` a degree-5
//!   minimax polynomial. The quotient is computed as `2^{1−n} / (e^f + 2^{−n})`, i.e. with
//!   both scale factors built from exponent bits (exact), and `1 − q` is the last operation.
//!
//! Both branches end in **one** shared division (numerator and denominator are selected per
//! lane before it), so the vector code evaluates both polynomials (independent FMA chains),
//! selects, divides once and selects the final combination. There are no tables and no
//! data-dependent branches; tails of slices run through the same vector code, padded.
//! `tanh` works on `|x|` and ORs the sign back, so it is exactly odd.
//! `sigmoid(x) = 0.5 + 0.5 · tanh(0.5 · x)` (both multiplications by 0.5 are exact except
//! for subnormal arguments, where the result is 0.5 regardless).
//!
//! # Two rounding variants
//!
//! * [`tanh`] / [`sigmoid`]: plain `a * b + c` (two roundings). **Bit-identical** to the SSE2
//!   (`x86_64::tanh_sse2`) and wasm simd128 tiers, all 2^32 inputs (SSE2: verified
//!   exhaustively; wasm: sampled under Node).
//! * [`tanh_fused`] / [`sigmoid_fused`]: every `a * b + c` is a fused multiply-add. Bit-exact
//!   model of the AVX2+FMA and NEON tiers (AVX2: verified exhaustively; NEON: sampled under
//!   QEMU). Uses `libm::fmaf`, so it is slow where there is no hardware FMA; it exists as the
//!   reference for those tiers.
//!
//! The two variants differ (exhaustive comparison) on 873 938 of the 2 139 095 040 finite
//! non-negative inputs for `tanh`, by at most 2 ulps (a 2-ulp case: x = 0.7505615, just above
//! the branch point; where the others lie was not catalogued), and
//! on 998 454 of 4 278 190 080 finite inputs for `sigmoid`, by at most 5.96e-8 absolute.
//! Both variants satisfy all the bounds below.
//!
//! # Verified bounds (exhaustive over all 2^32 f32 inputs, reference = f64 `tanh`,
//! `1/(1+exp(-x))` in f64)
//!
//! | function | max abs error | max rel error, `1e-20 ≤ \|x\| ≤ 0.5` |
//! |---|---|---|
//! | `tanh` (plain: scalar, SSE2, wasm)        | 6.610e-8 (at x = ±0.8662579) | 6.480e-8 (x = ±0.2568624) |
//! | `tanh_fused` (AVX2+FMA, NEON)             | 6.387e-8 (at x = ±0.8662382) | 6.384e-8 (x = ±0.2581922) |
//! | `sigmoid` (plain)                         | 5.518e-8 (at x = 1.4990768)  | — |
//! | `sigmoid_fused` (AVX2+FMA, NEON)          | 5.611e-8 (at x = 1.4649929)  | — |
//!
//! Relative error of `tanh` for `0 < |x| < 1e-20` (subnormals included) is exactly 0.
//! Spec: tanh abs ≤ 2.5e-7, rel ≤ 1e-4 on `1e-20 ≤ |x| ≤ 0.5`; sigmoid abs ≤ 1.5e-7.
//!
//! Further verified properties (all 2^32 inputs, both variants): `tanh(-x) == -tanh(x)`
//! bitwise (NaN aside); monotone non-decreasing over all f32 in sorted order; outputs in
//! `[-1, 1]` / `[0, 1]`; NaN → NaN; `tanh(±inf) = ±1`, `sigmoid(+inf) = 1`,
//! `sigmoid(-inf) = 0`; `tanh(±0) = ±0`; `tanh(x) == x` for `|x| < 2^-12` (subnormals
//! included, so relative error 0 there). Monotonicity is a property of the f32 evaluation
//! order, not only of the real approximant; it was checked per rounding variant, so any change
//! to the operation order must be re-verified with `cargo test --release -- --ignored`.
#![allow(clippy::excessive_precision)]

/// Above this `|x|` the fast `tanh` returns exactly ±1.0 (the true value rounds to 1.0 in f32
/// beyond 9.0109). The clamp keeps `e^{2a}` and the exponent arithmetic in range.
pub const CLAMP: f32 = 9.1;
/// Branch point: `|x| < SWITCH` uses the odd rational, `|x| ≥ SWITCH` uses `1 − 2/(1+e^{2|x|})`.
pub const SWITCH: f32 = 0.75;

/// Numerator of `U(s) ≈ (tanh(√s)/√s − 1)/s` (fitted: minimax relative error, `s ∈ [0, 0.5625]`).
pub const P0: f32 = -0.333_333_34;
/// See [`P0`].
pub const P1: f32 = -0.001_617_268_8;
/// See [`P0`].
pub const P2: f32 = 6.079_106_2e-5;
/// Denominator of `U(s)`: `1 + Q1 s + Q2 s^2`.
pub const Q1: f32 = 0.404_851_8;
/// See [`Q1`].
pub const Q2: f32 = -0.000_146_003_47;

/// `2·log2(e)`, rounded to f32.
pub const TWO_LOG2E: f32 = 2.885_39;
/// High part of ln 2 (16 significant bits, so `n · LN2_HI` is exact for `n < 256`).
pub const LN2_HI: f32 = 0.693_145_75;
/// `ln 2 − LN2_HI`, rounded to f32.
pub const LN2_LO: f32 = 1.428_606_8e-6;
/// `e^f ≈ 1 + f·(G0 + f·(G1 + f·(G2 + f·(G3 + f·(G4 + f·G5)))))` on `|f| ≤ ln2/2`
/// (G0 = 1 and G1 = 0.5 exactly after rounding the minimax fit to f32).
pub const G0: f32 = 1.0;
/// See [`G0`].
pub const G1: f32 = 0.5;
/// See [`G0`].
pub const G2: f32 = 0.166_666_51;
/// See [`G0`].
pub const G3: f32 = 0.041_672_036;
/// See [`G0`].
pub const G4: f32 = 0.008_356_204;
/// See [`G0`].
pub const G5: f32 = 0.001_340_836_3;
/// `1.5 · 2^23`: `(t + MAGIC) − MAGIC` rounds `t` to the nearest integer (ties to even) for
/// `|t| < 2^22`, and the low mantissa bits of `t + MAGIC` hold that integer.
pub const MAGIC: f32 = 12_582_912.0;

/// Measured (exhaustive, all 2^32 inputs, vs f64) maximum absolute error of [`tanh`]
/// (plain rounding: scalar, SSE2, wasm simd128), rounded up: 6.610e-8 at x = ±0.8662579.
pub const TANH_MAX_ABS_ERR: f32 = 6.62e-8;
/// Measured maximum absolute error of [`tanh_fused`] (AVX2+FMA, NEON), rounded up: 6.387e-8.
pub const TANH_FUSED_MAX_ABS_ERR: f32 = 6.39e-8;
/// Measured maximum absolute error of [`sigmoid`] (plain), rounded up: 5.518e-8 at x = 1.499.
pub const SIGMOID_MAX_ABS_ERR: f32 = 5.52e-8;
/// Measured maximum absolute error of [`sigmoid_fused`] (AVX2+FMA, NEON), rounded up: 5.611e-8.
pub const SIGMOID_FUSED_MAX_ABS_ERR: f32 = 5.62e-8;

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

/// The core on `a = |x|` (sign bit clear; NaN and +inf allowed). Returns `tanh(a)`.
///
/// Every vector tier performs exactly these IEEE operations in this order, lane by lane.
#[inline(always)]
fn tanh_abs<const FUSED: bool>(a: f32) -> f32 {
    // min(CLAMP, a) with NaN propagation (like x86 `minps(CLAMP, a)`).
    let a = select(a > CLAMP, CLAMP, a);
    // Small branch: numerator and denominator of U(s).
    let s = a * a;
    let p = mad::<FUSED>(mad::<FUSED>(P2, s, P1), s, P0);
    let q = mad::<FUSED>(mad::<FUSED>(Q2, s, Q1), s, 1.0);
    // Large branch: e^{2a} = 2^n e^f.
    let km = mad::<FUSED>(a, TWO_LOG2E, MAGIC);
    let k = km - MAGIC;
    let a2 = a + a;
    let f = if FUSED { libm::fmaf(-k, LN2_LO, libm::fmaf(-k, LN2_HI, a2)) } else { (a2 - k * LN2_HI) - k * LN2_LO };
    // 2^-n from exponent bits: (127 - n) << 23 == 0x3f80_0000 - (bits(km) << 23), because the
    // low mantissa bits of km are n and MAGIC's bits vanish when shifted by 23.
    let pow_mn_bits = 0x3f80_0000u32.wrapping_sub(km.to_bits() << 23);
    let pow_mn = f32::from_bits(pow_mn_bits); // 2^-n
    let pow_1mn = f32::from_bits(pow_mn_bits.wrapping_add(0x0080_0000)); // 2^(1-n)
    let g = mad::<FUSED>(mad::<FUSED>(mad::<FUSED>(G5, f, G4), f, G3), f, G2);
    let g = mad::<FUSED>(mad::<FUSED>(g, f, G1), f, G0);
    let den = mad::<FUSED>(f, g, 1.0 + pow_mn); // e^f + 2^-n
                                                // One shared division.
    let big = a >= SWITCH;
    let quo = select(big, pow_1mn, p) / select(big, den, q);
    let small = mad::<FUSED>(a, s * quo, a);
    select(big, 1.0 - quo, small)
}

#[inline(always)]
fn tanh_impl<const FUSED: bool>(x: f32) -> f32 {
    let bits = x.to_bits();
    let y = tanh_abs::<FUSED>(f32::from_bits(bits & 0x7fff_ffff));
    f32::from_bits(y.to_bits() | (bits & 0x8000_0000))
}

#[inline(always)]
fn sigmoid_impl<const FUSED: bool>(x: f32) -> f32 {
    let t = tanh_impl::<FUSED>(0.5 * x);
    // 0.5 * t is exact (or t is subnormal and the sum is 0.5 either way), so fused and plain
    // agree on this last step.
    mad::<FUSED>(0.5, t, 0.5)
}

/// Fast hyperbolic tangent (scalar, plain `a * b + c` rounding; `no_std`, no `fmaf`).
///
/// Bounds (verified over all 2^32 inputs against f64 `tanh`): absolute error ≤ 6.62e-8
/// (spec ≤ 2.5e-7); relative error ≤ 6.5e-8 for `1e-20 ≤ |x| ≤ 0.5` (spec ≤ 1e-4), and exactly
/// `x` for `|x| < 2^-12`; exactly odd; monotone non-decreasing; `|tanh(x)| ≤ 1`;
/// `tanh(±inf) = ±1`; NaN → NaN. Bit-identical to the SSE2 and wasm simd128 tiers.
#[inline]
pub fn tanh(x: f32) -> f32 {
    tanh_impl::<false>(x)
}

/// Fast logistic sigmoid `1/(1+e^-x)` (scalar, plain rounding), `0.5 + 0.5·tanh(0.5x)`.
///
/// Bounds (verified over all 2^32 inputs against `1/(1+exp(-x))` in f64): absolute error
/// ≤ [`SIGMOID_MAX_ABS_ERR`] (spec ≤ 1.5e-7); monotone non-decreasing; in `[0, 1]`;
/// `sigmoid(+inf) = 1`, `sigmoid(-inf) = 0`; NaN → NaN. Bit-identical to SSE2 / wasm simd128.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    sigmoid_impl::<false>(x)
}

/// [`tanh`] with every multiply-add fused: the bit-exact scalar model of the AVX2+FMA and NEON
/// tiers. Same properties; max abs error ≤ [`TANH_FUSED_MAX_ABS_ERR`]. Slow without hardware
/// FMA (`libm::fmaf`).
#[inline]
pub fn tanh_fused(x: f32) -> f32 {
    tanh_impl::<true>(x)
}

/// [`sigmoid`] with every multiply-add fused: the bit-exact model of the AVX2+FMA and NEON
/// tiers. Same properties; max abs error ≤ [`SIGMOID_FUSED_MAX_ABS_ERR`]. Slow without
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
