//! The numeric core: one fused pass per step over packed weights.
//!
//! Kernels take slices with explicit sizes ([`CellView`], [`DenseView`]), so the
//! const-generic layers, the runtime-sized host model and the trainer all run the same code.
//! [`scalar`] is the specification every other tier is tested against.

pub mod activation;
#[cfg(feature = "std")]
pub mod aligned;
pub mod layout;
pub mod scalar;

use crate::activation::Activation;
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

/// One recurrent step: reads `x` and the previous `h`, writes the new hidden state to
/// `h_out` and updates the cell state `c` in place (`c` is empty for cells without one).
#[inline]
pub fn cell_step<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
    scalar::cell_step::<A>(w, x, h, c, h_out)
}

/// [`cell_step`] that also hands every unit's gate values to `sink`: the trainer's forward
/// pass (see [`scalar::GateSink`]). With `sink = &mut ()` it is `cell_step`, bit for bit.
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

/// One Dense layer: `y = act(W x + b)`.
#[inline]
pub fn dense<A: Activation>(w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    scalar::dense::<A>(w, x, y)
}
