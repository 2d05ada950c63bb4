//! Scalar activations and the type-level choice between them.
//!
//! Every layer takes an [`Activation`] type parameter. It picks the `tanh`/`sigmoid` pair
//! used everywhere in that layer (gates, the LSTM cell tanh, Dense activations) at compile
//! time, so the choice costs nothing per sample. This module is the one place where the pair
//! is defined; kernels call [`Activation::tanh`] and [`Activation::sigmoid`] only, or, in a
//! SIMD tier, the vector form of the same pair (`kernel::activation`), chosen by
//! [`Activation::KIND`].
//!
//! | marker | tanh / sigmoid | max abs error (all f32) | use |
//! |---|---|---|---|
//! | [`Fast`] (default) | one exp2 construction (+ `x − x³/3` for tiny `tanh` inputs), vectorised per tier | tanh 1.33e-7, sigmoid 9.5e-8 | everything |
//! | [`Exact`] | libm `tanhf`, `1 / (1 + expf(-x))` | ≤ 1 ulp-ish (libm) | PyTorch-exact comparisons |

pub mod fast;

/// Which pair of functions an [`Activation`] marker stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationKind {
    /// [`fast`]'s approximations: exhaustively verified bounds, vectorised in every tier.
    Fast,
    /// libm `tanhf` and `1 / (1 + expf(-x))`: the closest to PyTorch's float32 results.
    Exact,
}

mod sealed {
    pub trait Sealed {}
}

/// A compile-time choice of `tanh` and `sigmoid` implementations.
///
/// Sealed: the kernels know every implementation (they vectorise each one per ISA tier).
pub trait Activation: sealed::Sealed + Copy + Default + core::fmt::Debug + 'static {
    /// The pair this marker selects.
    const KIND: ActivationKind;
    /// Hyperbolic tangent.
    fn tanh(x: f32) -> f32;
    /// Logistic sigmoid `1 / (1 + e^-x)`.
    fn sigmoid(x: f32) -> f32;
}

/// libm's `tanhf` and a sigmoid built on `expf`: PyTorch-exact within float32 rounding.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Exact;

impl sealed::Sealed for Exact {}

impl Activation for Exact {
    const KIND: ActivationKind = ActivationKind::Exact;

    #[inline]
    fn tanh(x: f32) -> f32 {
        libm::tanhf(x)
    }

    #[inline]
    fn sigmoid(x: f32) -> f32 {
        // exp(-x) overflows to +inf for x < -88.7, giving exactly 0; NaN propagates.
        1.0 / (1.0 + libm::expf(-x))
    }
}

/// The fast pair of [`fast`]: tanh within 1.33e-7 and sigmoid within 9.49e-8 of the exact
/// values over every f32 (checked exhaustively), with no tables and no data-dependent branches.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Fast;

impl sealed::Sealed for Fast {}

impl Activation for Fast {
    const KIND: ActivationKind = ActivationKind::Fast;

    #[inline(always)]
    fn tanh(x: f32) -> f32 {
        fast::tanh(x)
    }

    #[inline(always)]
    fn sigmoid(x: f32) -> f32 {
        fast::sigmoid(x)
    }
}

/// The activation pair layers use when none is named.
pub type DefaultActivation = Fast;

/// ELU with alpha = 1 (Keras' and PyTorch's default).
#[inline]
pub fn elu(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        libm::expm1f(x)
    }
}

/// `max(x, 0)`; NaN propagates.
#[inline]
pub fn relu(x: f32) -> f32 {
    if x < 0.0 {
        0.0
    } else {
        x
    }
}
