//! Kernels picked once for a layer that steps many times (the runtime-sized
//! [`crate::host::Model`] keeps one per layer): the tier, the cell kind and the activation
//! are matched when the kernel is built, so a step is one call into the tier's code. Through
//! [`super::cell_step_on`] and [`super::dense_on`] a step first passes three functions, each
//! passing the slices on and matching the tier or the kind again: at H = 8 those calls took
//! about as many instructions as the cell's own strips (README, on `host::Model`).
//!
//! The tiers' functions are instantiated in this crate only, for
//! [`Fast`](crate::activation::Fast) and [`Exact`](crate::activation::Exact), as
//! the other runtime-sized entry points are (`kernel::dynamic`).

use core::marker::PhantomData;

use super::{scalar, CellView, DenseView, Tier};
use crate::activation::{Activation, ActivationKind};
use crate::cell::CellKind;

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
mod pick {
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    use super::super::aarch64::neon;
    use super::super::simd::Args;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    use super::super::wasm32::simd128;
    #[cfg(target_arch = "x86_64")]
    use super::super::x86_64::{avx2, avx512, sse2};
    use super::super::{DenseView, Isa, Tier};
    use crate::activation::{Activation, Exact};
    use crate::cell::CellKind;

    /// A tier's one-stream step of one cell kind (its `cell_stream`).
    pub(super) type CellStream = unsafe fn(&Args<'_>);
    /// A tier's Dense layer before the activation (its `dense`), for `channels` streams.
    pub(super) type DenseAffine = unsafe fn(&DenseView<'_>, &[f32], &mut [f32], usize);

    #[inline(always)]
    fn cell_stream<A: Activation>(tier: Tier, kind: CellKind) -> Option<CellStream> {
        match tier.isa() {
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Avx2 => Some(avx2::cell_stream_for::<A>(kind)),
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Avx512 => Some(avx512::cell_stream_for::<A>(kind)),
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Sse2 => Some(sse2::cell_stream_for::<A>(kind)),
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Isa::Neon => Some(neon::cell_stream_for::<A>(kind)),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => Some(simd128::cell_stream_for::<A>(kind)),
            _ => None,
        }
    }

    /// The cell step of `tier` for `kind` with the fast activations, for a layer of `inputs`
    /// inputs and `hidden` units (compiled for those sizes where they are common ones);
    /// `None` on the scalar tier.
    pub(super) fn cell_stream_fast(tier: Tier, kind: CellKind, inputs: usize, hidden: usize) -> Option<CellStream> {
        match tier.isa() {
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Avx2 => Some(avx2::cell_stream_fast_for(kind, inputs, hidden)),
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Avx512 => Some(avx512::cell_stream_fast_for(kind, inputs, hidden)),
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Sse2 => Some(sse2::cell_stream_fast_for(kind, inputs, hidden)),
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Isa::Neon => Some(neon::cell_stream_fast_for(kind, inputs, hidden)),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => Some(simd128::cell_stream_fast_for(kind, inputs, hidden)),
            _ => None,
        }
    }

    /// As [`cell_stream_fast`], with the exact activations.
    pub(super) fn cell_stream_exact(tier: Tier, kind: CellKind) -> Option<CellStream> {
        cell_stream::<Exact>(tier, kind)
    }

    /// The Dense layer of `tier`; `None` on the scalar tier.
    pub(super) fn dense(tier: Tier) -> Option<DenseAffine> {
        match tier.isa() {
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Avx2 => Some(avx2::dense),
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Avx512 => Some(avx512::dense),
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Sse2 => Some(sse2::dense),
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Isa::Neon => Some(neon::dense),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => Some(simd128::dense),
            _ => None,
        }
    }
}

/// Where a recurrent step goes.
#[derive(Clone, Copy, Debug)]
enum CellTo {
    /// A SIMD tier's step for the kernel's kind, taken from a [`Tier`], which exists only
    /// where the CPU runs its ISA.
    #[cfg(any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_feature = "neon"),
        all(target_arch = "wasm32", target_feature = "simd128")
    ))]
    Simd(pick::CellStream),
    /// The scalar tier.
    Scalar,
}

/// One stream's recurrent step for one cell kind, activation `A` and tier, picked once:
/// the same code and bits as [`super::cell_step_on`] on that tier.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CellKernel<A> {
    kind: CellKind,
    to: CellTo,
    _activation: PhantomData<A>,
}

impl<A: Activation> CellKernel<A> {
    /// The step of `kind` cells of `inputs` inputs and `hidden` units on `tier`.
    pub(crate) fn new(tier: Tier, kind: CellKind, inputs: usize, hidden: usize) -> Self {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "aarch64", target_feature = "neon"),
            all(target_arch = "wasm32", target_feature = "simd128")
        ))]
        {
            let f = match A::KIND {
                ActivationKind::Fast => pick::cell_stream_fast(tier, kind, inputs, hidden),
                ActivationKind::Exact => pick::cell_stream_exact(tier, kind),
            };
            if let Some(f) = f {
                return Self { kind, to: CellTo::Simd(f), _activation: PhantomData };
            }
        }
        let _ = (tier, inputs, hidden);
        Self { kind, to: CellTo::Scalar, _activation: PhantomData }
    }

    /// The cell kind whose steps this kernel runs.
    pub(crate) fn kind(&self) -> CellKind {
        self.kind
    }

    /// One step, as [`super::cell_step_on`]: reads `x` and the previous `h`, writes the new
    /// hidden state to `h_out`, updates `c` in place. Panics if `w` is not a cell of the
    /// kernel's kind or a slice is shorter than the sizes in `w`.
    #[inline]
    pub(crate) fn step(&self, w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
        assert!(w.kind == self.kind, "the weights are not of the kernel's cell kind");
        match self.to {
            #[cfg(any(
                target_arch = "x86_64",
                all(target_arch = "aarch64", target_feature = "neon"),
                all(target_arch = "wasm32", target_feature = "simd128")
            ))]
            CellTo::Simd(f) => {
                let a = super::simd::cell_args(w, x, h, c, h_out, 1);
                // SAFETY: `f` is a tier's `cell_stream` for `self.kind`, which `w.kind` is
                // (asserted above), taken in `new` from a `Tier`, which exists only where the
                // CPU runs that tier; `cell_args` asserted every size `Args` documents.
                unsafe { f(&a) }
            }
            CellTo::Scalar => scalar::cell_step::<A>(w, x, h, c, h_out),
        }
    }
}

/// Where a Dense layer goes.
#[derive(Clone, Copy, Debug)]
enum DenseTo {
    /// A SIMD tier's affine part, taken from a [`Tier`] (see [`CellTo::Simd`]).
    #[cfg(any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_feature = "neon"),
        all(target_arch = "wasm32", target_feature = "simd128")
    ))]
    Simd(pick::DenseAffine),
    /// The scalar tier.
    Scalar,
}

/// One stream's Dense layer with activation `A` on a tier, picked once: the same code and
/// bits as [`super::dense_on`] on that tier.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DenseKernel<A> {
    to: DenseTo,
    _activation: PhantomData<A>,
}

impl<A: Activation> DenseKernel<A> {
    /// The Dense layer on `tier`.
    pub(crate) fn new(tier: Tier) -> Self {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "aarch64", target_feature = "neon"),
            all(target_arch = "wasm32", target_feature = "simd128")
        ))]
        if let Some(f) = pick::dense(tier) {
            return Self { to: DenseTo::Simd(f), _activation: PhantomData };
        }
        let _ = tier;
        Self { to: DenseTo::Scalar, _activation: PhantomData }
    }

    /// `y = act(W x + b)`, as [`super::dense_on`]. Panics if a slice is shorter than `w`'s
    /// sizes.
    #[inline]
    pub(crate) fn step(&self, w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
        match self.to {
            #[cfg(any(
                target_arch = "x86_64",
                all(target_arch = "aarch64", target_feature = "neon"),
                all(target_arch = "wasm32", target_feature = "simd128")
            ))]
            DenseTo::Simd(f) => {
                // SAFETY: `f` is a tier's `dense`, taken in `new` from a `Tier`, which exists
                // only where the CPU runs that tier; it checks the slices' sizes itself.
                unsafe { f(w, x, y, 1) };
                scalar::apply_dense_activation::<A>(w.activation, &mut y[..w.outputs]);
            }
            DenseTo::Scalar => scalar::dense::<A>(w, x, y),
        }
    }
}
