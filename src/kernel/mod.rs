//! The numeric core: one fused pass per step over packed weights.
//!
//! Kernels take slices with explicit sizes ([`CellView`], [`DenseView`]), so the
//! const-generic layers, the runtime-sized host model and the trainer all run the same code.
//! [`scalar`] is the specification every other tier is tested against.
//!
//! # Tiers and dispatch
//!
//! | tier | ISA | lanes | vs `scalar` |
//! |---|---|---|---|
//! | [`Isa::Scalar`] | any | 1 | the specification |
//! | [`Isa::Sse2`] | x86-64 baseline | 4 | cells bit-exact; single-output Dense reassociated |
//! | [`Isa::Avx2`] | x86-64 AVX2 + FMA | 8 | FMA rounding¹ (bound in `tests/kernel.rs`) |
//! | [`Isa::Avx512`] | x86-64 AVX-512F (+ AVX2, FMA) | 16 | FMA rounding¹; cells bit-exact with AVX2 |
//! | [`Isa::Neon`] | AArch64 | 4 | FMA rounding |
//! | [`Isa::Simd128`] | wasm32 `+simd128` | 4 | cells bit-exact; single-output Dense reassociated |
//!
//! ¹ And in layers of 4 to 8 units the recurrent sum in two halves: a shorter `h → h` chain.
//!
//! On 32-bit Arm hard-float targets (Cortex-M4F/M7/M33; `target_abi = "eabihf"`) the scalar
//! tier's multiply-accumulate loop over a full packed block is VFP assembly (`kernel/arm/`),
//! bit-identical to the portable loop; everything else is the scalar kernel.
//!
//! Every tier is the same fused kernel (`kernel/simd.rs`) over one ISA's vectors (one file
//! per ISA under `kernel/{x86_64,aarch64,wasm32}/`). A [`Tier`] value is proof that the CPU
//! runs its ISA: [`Tier::STATIC`] is the best tier enabled at compile time
//! (`cfg(target_feature)`, what `no_std` builds and `const fn new` use), and with `std`
//! [`Tier::detect`] picks the best tier of the running CPU once per process (or the one
//! named by the `TINYRNN_TIER` environment variable). Layers store the tier they were given
//! when built; a step dispatches on that stored value and never detects anything.
//!
//! Const-generic layers reach the tiers through `cell_step_fixed` / `dense_fixed`, which
//! instantiate the kernel for the layer's sizes (constants fold into the code); the public
//! runtime-sized functions below call the same kernel code, compiled once in this crate.

pub mod activation;
#[cfg(feature = "std")]
pub mod aligned;
pub mod layout;
#[cfg(feature = "std")]
pub(crate) mod prepared;
pub mod scalar;
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", target_feature = "neon"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
mod simd;
mod tier;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod aarch64;
#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
mod arm;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(feature = "std")]
pub use tier::TierEnvError;
pub use tier::{Isa, Tier, AVX512_MIN_WIDTH, TIER_ENV};

use crate::activation::{Activation, ActivationKind};
use crate::cell::{CellKind, DenseActivation};

/// Rows of the packed bias of a cell: one per gate, plus GRU's separate `b_hn`.
///
/// Biases are folded (`b_ih + b_hh`) wherever that is legal. GRU keeps `b_in` and `b_hn`
/// apart because `b_hn` sits inside `r ⊙ (W_hn h + b_hn)`; its rows are
/// `[b_ir + b_hr, b_iz + b_hz, b_in, b_hn]`.
pub const fn bias_rows(kind: CellKind) -> usize {
    match kind {
        CellKind::Gru => 4,
        k => k.gates(),
    }
}

/// The cell kind of packed weights with `g` gates and `b` bias rows: `(4, 4)` LSTM, `(3, 4)`
/// GRU, `(3, 3)` CIFG; otherwise (an RNN, whose nonlinearity the shape does not tell) `kind`.
/// Const-generic layers call it with constants, so their step carries only their cell's code.
#[inline(always)]
pub(crate) const fn fixed_kind(g: usize, b: usize, kind: CellKind) -> CellKind {
    match (g, b) {
        (4, 4) => CellKind::Lstm,
        (3, 4) => CellKind::Gru,
        (3, 3) => CellKind::Cifg,
        _ => kind,
    }
}

/// Borrowed packed weights of one recurrent layer.
#[derive(Clone, Copy, Debug)]
pub struct CellView<'a> {
    /// The cell.
    pub kind: CellKind,
    /// Input size `I`.
    pub inputs: usize,
    /// Hidden size `H`.
    pub hidden: usize,
    /// Input weights, `I` columns packed by [`layout::packed_index`].
    pub wx: &'a [f32],
    /// Recurrent weights, `H` columns packed by [`layout::packed_index`].
    pub wh: &'a [f32],
    /// Folded biases, `bias_rows(kind) × H`.
    pub b: &'a [f32],
}

/// Borrowed packed weights of one Dense layer (a single "gate" of `outputs` units).
#[derive(Clone, Copy, Debug)]
pub struct DenseView<'a> {
    /// Activation after the affine map.
    pub activation: DenseActivation,
    /// Input size.
    pub inputs: usize,
    /// Output size.
    pub outputs: usize,
    /// Weights, `inputs` columns packed by [`layout::packed_index`] with one gate.
    pub w: &'a [f32],
    /// Bias, `outputs` values.
    pub b: &'a [f32],
}

/// One recurrent step on the compile-time tier ([`Tier::STATIC`]); see [`cell_step_on`].
#[inline]
pub fn cell_step<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
    cell_step_on::<A>(Tier::STATIC, w, x, h, c, h_out)
}

/// One recurrent step: reads `x` and the previous `h`, writes the new hidden state to
/// `h_out` and updates the cell state `c` in place (`c` is empty for cells without one).
///
/// Panics if a slice is shorter than the sizes in `w`.
#[inline]
pub fn cell_step_on<A: Activation>(
    tier: Tier,
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
) {
    if tier.isa() == Isa::Scalar
        || !cfg!(any(target_arch = "x86_64", target_feature = "neon", target_feature = "simd128"))
    {
        scalar::cell_step::<A>(w, x, h, c, h_out)
    } else {
        cell_step_multi::<A>(tier, w, x, h, c, h_out, 1)
    }
}

/// `channels` independent streams through the same cell, one step each, reading each
/// weight once for a group of channels. Slices are channel-major: `x` holds `channels·I`
/// floats, `h`, `h_out` and (LSTM, CIFG) `c` hold `channels·H`.
pub fn cell_step_multi<A: Activation>(
    tier: Tier,
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    channels: usize,
) {
    let done = match A::KIND {
        ActivationKind::Fast => dynamic::cell_fast(tier, w, x, h, c, h_out, channels),
        ActivationKind::Exact => dynamic::cell_exact(tier, w, x, h, c, h_out, channels),
    };
    if done {
        return;
    }
    let (i, hid) = (w.inputs, w.hidden);
    let cs = if w.kind.has_cell_state() { hid } else { 0 };
    for ch in 0..channels {
        scalar::cell_step::<A>(
            w,
            &x[ch * i..][..i],
            &h[ch * hid..][..hid],
            &mut c[ch * cs..][..cs],
            &mut h_out[ch * hid..][..hid],
        );
    }
}

/// [`cell_step_multi`] for the const-generic layers: `I` inputs, `H` hidden units, `G` gates,
/// `B` bias rows and `C` channels are compile-time constants. The same kernels, instantiated
/// for these sizes, so the cell kind, the strip shapes and every loop bound fold into the code
/// (at small `H` that removes most of a step's instructions). The scalar tier is
/// [`scalar::cell_step`] per channel, as in [`cell_step_on`].
#[inline]
pub(crate) fn cell_step_fixed<
    A: Activation,
    const I: usize,
    const H: usize,
    const G: usize,
    const B: usize,
    const C: usize,
>(
    tier: Tier,
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
) {
    match tier.isa() {
        #[cfg(all(target_arch = "x86_64", any(feature = "std", all(target_feature = "avx2", target_feature = "fma"))))]
        // SAFETY: an `Isa::Avx2` tier exists only on CPUs with AVX2 and FMA (see `dynamic::cell`).
        Isa::Avx2 => unsafe { x86_64::avx2::cell_fixed::<A, I, H, G, B, C>(w, x, h, c, h_out) },
        #[cfg(all(
            target_arch = "x86_64",
            any(feature = "std", all(target_feature = "avx512f", target_feature = "avx2", target_feature = "fma"))
        ))]
        // SAFETY: an `Isa::Avx512` tier exists only on CPUs with AVX-512F, AVX2 and FMA.
        Isa::Avx512 => unsafe { x86_64::avx512::cell_fixed::<A, I, H, G, B, C>(w, x, h, c, h_out) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse2 => x86_64::sse2::cell_fixed::<A, I, H, G, B, C>(w, x, h, c, h_out),
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        Isa::Neon => aarch64::neon::cell_fixed::<A, I, H, G, B, C>(w, x, h, c, h_out),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::simd128::cell_fixed::<A, I, H, G, B, C>(w, x, h, c, h_out),
        _ if C == 1 => scalar::cell_step::<A>(w, x, h, c, h_out),
        _ => cell_step_multi::<A>(Tier::SCALAR, w, x, h, c, h_out, C),
    }
}

/// [`cell_step`] on the scalar tier that also hands every unit's gate values to `sink`: the
/// trainer's forward pass (see [`scalar::GateSink`]). With `sink = &mut ()` it is the scalar
/// `cell_step`, bit for bit.
#[inline]
pub fn cell_step_traced<A: Activation, S: scalar::GateSink + ?Sized>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    sink: &mut S,
) {
    scalar::cell_step_traced::<A, S>(w, x, h, c, h_out, sink)
}

/// Sequence mode: `steps` steps of one stream. `xs` holds `steps·I` inputs; every new
/// hidden state is written to `hs` (`steps·H`, the last one is the final state); `c` is
/// updated in place. The input projections `W_ih·x_t + b` of as many steps as fit in
/// `scratch` (`G·H` floats per step, `G` = gates) are computed in one pass over `W_ih`
/// before the recurrence runs from them (on AVX-512 with `H ≤ 32` and `I ≤ H`, where that
/// pass does not pay, the steps run one at a time): the same bits as `steps` calls of
/// [`cell_step_on`] on the same tier.
///
/// Panics if a slice is too short or `scratch` holds less than one step.
#[allow(clippy::too_many_arguments)]
pub fn cell_sequence<A: Activation>(
    tier: Tier,
    w: &CellView<'_>,
    xs: &[f32],
    h: &[f32],
    c: &mut [f32],
    hs: &mut [f32],
    steps: usize,
    scratch: &mut [f32],
) {
    let done = match A::KIND {
        ActivationKind::Fast => dynamic::sequence_fast(tier, w, xs, h, c, hs, steps, scratch),
        ActivationKind::Exact => dynamic::sequence_exact(tier, w, xs, h, c, hs, steps, scratch),
    };
    if done {
        return;
    }
    let _ = scratch; // the scalar kernel steps without a projection pass
    let (i, hid) = (w.inputs, w.hidden);
    for t in 0..steps {
        let (prev, cur) = hs.split_at_mut(t * hid);
        let hp = if t == 0 { &h[..hid] } else { &prev[(t - 1) * hid..] };
        scalar::cell_step::<A>(w, &xs[t * i..][..i], hp, c, &mut cur[..hid]);
    }
}

/// [`cell_sequence`] for the const-generic layers (`I` inputs, `H` hidden units, `G` gates,
/// `B` bias rows known at compile time): the sequence kernels instantiated for these sizes, as
/// [`cell_step_fixed`] is for one step, so both modes run equally specialised code and give
/// the same bits. The scalar tier steps [`scalar::cell_step`] per sample.
#[allow(clippy::too_many_arguments)]
pub(crate) fn cell_sequence_fixed<A: Activation, const I: usize, const H: usize, const G: usize, const B: usize>(
    tier: Tier,
    w: &CellView<'_>,
    xs: &[f32],
    h: &[f32],
    c: &mut [f32],
    hs: &mut [f32],
    steps: usize,
    scratch: &mut [f32],
) {
    match tier.isa() {
        #[cfg(all(target_arch = "x86_64", any(feature = "std", all(target_feature = "avx2", target_feature = "fma"))))]
        // SAFETY: an `Isa::Avx2` tier exists only on CPUs with AVX2 and FMA (see `dynamic::cell`).
        Isa::Avx2 => unsafe { x86_64::avx2::sequence_fixed::<A, I, H, G, B>(w, xs, h, c, hs, steps, scratch) },
        #[cfg(all(
            target_arch = "x86_64",
            any(feature = "std", all(target_feature = "avx512f", target_feature = "avx2", target_feature = "fma"))
        ))]
        // SAFETY: an `Isa::Avx512` tier exists only on CPUs with AVX-512F, AVX2 and FMA.
        Isa::Avx512 => unsafe { x86_64::avx512::sequence_fixed::<A, I, H, G, B>(w, xs, h, c, hs, steps, scratch) },
        #[cfg(target_arch = "x86_64")]
        Isa::Sse2 => x86_64::sse2::sequence_fixed::<A, I, H, G, B>(w, xs, h, c, hs, steps, scratch),
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        Isa::Neon => aarch64::neon::sequence_fixed::<A, I, H, G, B>(w, xs, h, c, hs, steps, scratch),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => wasm32::simd128::sequence_fixed::<A, I, H, G, B>(w, xs, h, c, hs, steps, scratch),
        _ => cell_sequence::<A>(tier, w, xs, h, c, hs, steps, scratch),
    }
}

/// One Dense layer on the compile-time tier ([`Tier::STATIC`]): `y = act(W x + b)`.
#[inline]
pub fn dense<A: Activation>(w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    dense_on::<A>(Tier::STATIC, w, x, y)
}

/// One Dense layer: `y = act(W x + b)`. Panics if a slice is shorter than `w`'s sizes.
#[inline]
pub fn dense_on<A: Activation>(tier: Tier, w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    if tier.isa() == Isa::Scalar
        || !cfg!(any(target_arch = "x86_64", target_feature = "neon", target_feature = "simd128"))
    {
        scalar::dense::<A>(w, x, y)
    } else {
        dense_multi::<A>(tier, w, x, y, 1)
    }
}

/// [`dense_multi`] for the const-generic layers (`I` inputs, `O` outputs, `C` channels fixed at
/// compile time); see [`cell_step_fixed`].
#[inline]
pub(crate) fn dense_fixed<A: Activation, const I: usize, const O: usize, const C: usize>(
    tier: Tier,
    w: &DenseView<'_>,
    x: &[f32],
    y: &mut [f32],
) {
    let activated = match tier.isa() {
        #[cfg(all(target_arch = "x86_64", any(feature = "std", all(target_feature = "avx2", target_feature = "fma"))))]
        // SAFETY: an `Isa::Avx2` tier exists only on CPUs with AVX2 and FMA (see `dynamic::cell`).
        Isa::Avx2 => {
            unsafe { x86_64::avx2::dense_fixed::<I, O, C>(w, x, y) };
            false
        }
        #[cfg(all(
            target_arch = "x86_64",
            any(feature = "std", all(target_feature = "avx512f", target_feature = "avx2", target_feature = "fma"))
        ))]
        // SAFETY: an `Isa::Avx512` tier exists only on CPUs with AVX-512F, AVX2 and FMA.
        Isa::Avx512 => {
            unsafe { x86_64::avx512::dense_fixed::<I, O, C>(w, x, y) };
            false
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Sse2 => {
            x86_64::sse2::dense_fixed::<I, O, C>(w, x, y);
            false
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        Isa::Neon => {
            aarch64::neon::dense_fixed::<I, O, C>(w, x, y);
            false
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => {
            wasm32::simd128::dense_fixed::<I, O, C>(w, x, y);
            false
        }
        _ if C == 1 => {
            scalar::dense::<A>(w, x, y);
            true
        }
        _ => {
            dense_multi::<A>(Tier::SCALAR, w, x, y, C);
            true
        }
    };
    if activated {
        return;
    }
    for ch in 0..C {
        scalar::apply_dense_activation::<A>(w.activation, &mut y[ch * O..][..O]);
    }
}

/// `channels` Dense evaluations over the same weights (`x`: `channels·inputs`,
/// `y`: `channels·outputs`, channel-major).
pub fn dense_multi<A: Activation>(tier: Tier, w: &DenseView<'_>, x: &[f32], y: &mut [f32], channels: usize) {
    let o = w.outputs;
    if !dynamic::dense(tier, w, x, y, channels) {
        let i = w.inputs;
        for ch in 0..channels {
            scalar::dense::<A>(w, &x[ch * i..][..i], &mut y[ch * o..][..o]);
        }
        return;
    }
    for ch in 0..channels {
        scalar::apply_dense_activation::<A>(w.activation, &mut y[ch * o..][..o]);
    }
}

/// The SIMD tiers' runtime-sized entry points, each compiled once, in this crate, per
/// activation pair: the generic wrappers above only pick one, so every crate that uses the
/// host model or the kernels directly does not compile every tier's kernels again.
/// Each returns `false`, having done nothing, on the scalar tier.
///
/// The fuzz build (`fuzz/`, `--cfg fuzzing`) leaves the x86-64 tiers out of this dispatch and
/// of [`prepared`]'s, so those tiers run scalar there: its targets run the loaders, never a
/// model, and instrumenting every tier's kernels for them took 4 of its 5 minutes of building.
mod dynamic {
    // Without a SIMD tier every entry point is `false` and ignores its arguments.
    #![cfg_attr(
        not(any(target_arch = "x86_64", target_feature = "neon", target_feature = "simd128")),
        allow(unused_variables)
    )]
    use super::*;
    use crate::activation::{Exact, Fast};

    #[inline(always)]
    fn cell<A: Activation>(
        tier: Tier,
        w: &CellView<'_>,
        x: &[f32],
        h: &[f32],
        c: &mut [f32],
        h_out: &mut [f32],
        channels: usize,
    ) -> bool {
        match tier.isa() {
            #[cfg(all(
                target_arch = "x86_64",
                not(fuzzing),
                any(feature = "std", all(target_feature = "avx2", target_feature = "fma"))
            ))]
            // SAFETY: a `Tier` of `Isa::Avx2` exists only if the CPU has AVX2 and FMA
            // (`Tier::new` detects them, or they are enabled at compile time).
            Isa::Avx2 => unsafe { x86_64::avx2::cell::<A>(w, x, h, c, h_out, channels) },
            #[cfg(all(
                target_arch = "x86_64",
                not(fuzzing),
                any(feature = "std", all(target_feature = "avx512f", target_feature = "avx2", target_feature = "fma"))
            ))]
            // SAFETY: a `Tier` of `Isa::Avx512` exists only if the CPU has AVX-512F, AVX2 and FMA
            // (`Tier::new` detects them, or they are enabled at compile time).
            Isa::Avx512 => unsafe { x86_64::avx512::cell::<A>(w, x, h, c, h_out, channels) },
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Sse2 => x86_64::sse2::cell::<A>(w, x, h, c, h_out, channels),
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Isa::Neon => aarch64::neon::cell::<A>(w, x, h, c, h_out, channels),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm32::simd128::cell::<A>(w, x, h, c, h_out, channels),
            _ => return false,
        }
        #[allow(unreachable_code)]
        true
    }

    pub(super) fn cell_fast(
        tier: Tier,
        w: &CellView<'_>,
        x: &[f32],
        h: &[f32],
        c: &mut [f32],
        h_out: &mut [f32],
        channels: usize,
    ) -> bool {
        cell::<Fast>(tier, w, x, h, c, h_out, channels)
    }

    pub(super) fn cell_exact(
        tier: Tier,
        w: &CellView<'_>,
        x: &[f32],
        h: &[f32],
        c: &mut [f32],
        h_out: &mut [f32],
        channels: usize,
    ) -> bool {
        cell::<Exact>(tier, w, x, h, c, h_out, channels)
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn sequence<A: Activation>(
        tier: Tier,
        w: &CellView<'_>,
        xs: &[f32],
        h: &[f32],
        c: &mut [f32],
        hs: &mut [f32],
        steps: usize,
        scratch: &mut [f32],
    ) -> bool {
        match tier.isa() {
            #[cfg(all(
                target_arch = "x86_64",
                not(fuzzing),
                any(feature = "std", all(target_feature = "avx2", target_feature = "fma"))
            ))]
            // SAFETY: as in `cell`.
            Isa::Avx2 => unsafe { x86_64::avx2::sequence::<A>(w, xs, h, c, hs, steps, scratch) },
            #[cfg(all(
                target_arch = "x86_64",
                not(fuzzing),
                any(feature = "std", all(target_feature = "avx512f", target_feature = "avx2", target_feature = "fma"))
            ))]
            // SAFETY: as in `cell`.
            Isa::Avx512 => unsafe { x86_64::avx512::sequence::<A>(w, xs, h, c, hs, steps, scratch) },
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Sse2 => x86_64::sse2::sequence::<A>(w, xs, h, c, hs, steps, scratch),
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Isa::Neon => aarch64::neon::sequence::<A>(w, xs, h, c, hs, steps, scratch),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm32::simd128::sequence::<A>(w, xs, h, c, hs, steps, scratch),
            _ => return false,
        }
        #[allow(unreachable_code)]
        true
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn sequence_fast(
        tier: Tier,
        w: &CellView<'_>,
        xs: &[f32],
        h: &[f32],
        c: &mut [f32],
        hs: &mut [f32],
        steps: usize,
        scratch: &mut [f32],
    ) -> bool {
        sequence::<Fast>(tier, w, xs, h, c, hs, steps, scratch)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn sequence_exact(
        tier: Tier,
        w: &CellView<'_>,
        xs: &[f32],
        h: &[f32],
        c: &mut [f32],
        hs: &mut [f32],
        steps: usize,
        scratch: &mut [f32],
    ) -> bool {
        sequence::<Exact>(tier, w, xs, h, c, hs, steps, scratch)
    }

    /// The affine part (activation-independent, so one instance).
    pub(super) fn dense(tier: Tier, w: &DenseView<'_>, x: &[f32], y: &mut [f32], channels: usize) -> bool {
        match tier.isa() {
            #[cfg(all(
                target_arch = "x86_64",
                not(fuzzing),
                any(feature = "std", all(target_feature = "avx2", target_feature = "fma"))
            ))]
            // SAFETY: as in `cell`.
            Isa::Avx2 => unsafe { x86_64::avx2::dense(w, x, y, channels) },
            #[cfg(all(
                target_arch = "x86_64",
                not(fuzzing),
                any(feature = "std", all(target_feature = "avx512f", target_feature = "avx2", target_feature = "fma"))
            ))]
            // SAFETY: as in `cell`.
            Isa::Avx512 => unsafe { x86_64::avx512::dense(w, x, y, channels) },
            #[cfg(all(target_arch = "x86_64", not(fuzzing)))]
            Isa::Sse2 => x86_64::sse2::dense(w, x, y, channels),
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Isa::Neon => aarch64::neon::dense(w, x, y, channels),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => wasm32::simd128::dense(w, x, y, channels),
            _ => return false,
        }
        #[allow(unreachable_code)]
        true
    }
}
