//! Recurrent layers: one struct for every cell, named by type aliases.

use core::marker::PhantomData;

use super::Aligned;
use crate::activation::{Activation, DefaultActivation};
use crate::cell::{CellKind, RnnNonlinearity};
use crate::error::{check_len, ShapeError};
use crate::kernel::{self, layout, CellView, Tier};
use crate::network::Layer;

/// Packed weights of a recurrent layer with `I` inputs, `H` hidden units, `G` gates and `B`
/// bias rows (see [`kernel::bias_rows`]). Use the aliases [`LstmWeights`], [`GruWeights`],
/// [`RnnWeights`], [`CifgWeights`]; build them with `from_pytorch` in a `static`.
#[derive(Clone, Debug, PartialEq)]
pub struct CellWeights<const I: usize, const H: usize, const G: usize, const B: usize> {
    kind: CellKind,
    wx: Aligned<[[[f32; H]; G]; I]>,
    wh: Aligned<[[[f32; H]; G]; H]>,
    b: Aligned<[[f32; H]; B]>,
}

/// `nn.LSTM` weights (gates i, f, g, o).
pub type LstmWeights<const I: usize, const H: usize> = CellWeights<I, H, 4, 4>;
/// `nn.GRU` weights (gates r, z, n).
pub type GruWeights<const I: usize, const H: usize> = CellWeights<I, H, 3, 4>;
/// Coupled-gate LSTM weights (gates i, g, o: PyTorch's LSTM order without f).
pub type CifgWeights<const I: usize, const H: usize> = CellWeights<I, H, 3, 3>;
/// `nn.RNN` weights.
pub type RnnWeights<const I: usize, const H: usize> = CellWeights<I, H, 1, 1>;

impl<const I: usize, const H: usize, const G: usize, const B: usize> CellWeights<I, H, G, B> {
    /// All-zero weights of a cell kind (a starting point for [`Self::set_from_pytorch`]).
    ///
    /// Panics (at compile time in a `const`) if `kind` does not have `G` gates and `B` bias rows.
    pub const fn zeroed(kind: CellKind) -> Self {
        assert!(kind.gates() == G && kernel::bias_rows(kind) == B, "cell kind does not match the weight shape");
        Self { kind, wx: Aligned([[[0.0; H]; G]; I]), wh: Aligned([[[0.0; H]; G]; H]), b: Aligned([[0.0; H]; B]) }
    }

    /// Replaces the weights with PyTorch-layout values given as flat row-major slices:
    /// `weight_ih` (G·H, I), `weight_hh` (G·H, H), `bias_ih` and `bias_hh` (G·H).
    ///
    /// On a shape error nothing is changed.
    pub fn set_from_pytorch(
        &mut self,
        weight_ih: &[f32],
        weight_hh: &[f32],
        bias_ih: &[f32],
        bias_hh: &[f32],
    ) -> Result<(), ShapeError> {
        check_len("weight_ih", weight_ih, G * H, I)?;
        check_len("weight_hh", weight_hh, G * H, H)?;
        check_len("bias_ih", bias_ih, G * H, 1)?;
        check_len("bias_hh", bias_hh, G * H, 1)?;
        layout::pack_into(weight_ih, I, G, H, self.wx.0.as_flattened_mut().as_flattened_mut());
        layout::pack_into(weight_hh, H, G, H, self.wh.0.as_flattened_mut().as_flattened_mut());
        layout::fold_bias_into(self.kind, H, bias_ih, bias_hh, self.b.0.as_flattened_mut());
        Ok(())
    }

    /// The cell these weights belong to.
    pub const fn kind(&self) -> CellKind {
        self.kind
    }

    /// The kernels' view of these weights.
    #[inline]
    pub fn view(&self) -> CellView<'_> {
        // `G` and `B` identify every kind but the RNN's nonlinearity (`zeroed` and the
        // `from_pytorch`s keep `kind` consistent with them): a constant the compiler sees, so
        // a layer's step carries only its own cell's code.
        let kind = kernel::fixed_kind(G, B, self.kind);
        CellView {
            kind,
            inputs: I,
            hidden: H,
            wx: self.wx.0.as_flattened().as_flattened(),
            wh: self.wh.0.as_flattened().as_flattened(),
            b: self.b.0.as_flattened(),
        }
    }
}

impl<const I: usize, const H: usize> CellWeights<I, H, 4, 4> {
    /// Packs `nn.LSTM` weights at compile time. Arguments are PyTorch's tensors with the gate
    /// axis split out: `weight_ih` (4·H, I) as `[[[f32; I]; H]; 4]`, and so on.
    pub const fn from_pytorch(
        weight_ih: &[[[f32; I]; H]; 4],
        weight_hh: &[[[f32; H]; H]; 4],
        bias_ih: &[[f32; H]; 4],
        bias_hh: &[[f32; H]; 4],
    ) -> Self {
        Self {
            kind: CellKind::Lstm,
            wx: Aligned(layout::pack(weight_ih)),
            wh: Aligned(layout::pack(weight_hh)),
            b: Aligned(layout::fold_bias(bias_ih, bias_hh)),
        }
    }
}

impl<const I: usize, const H: usize> CellWeights<I, H, 3, 4> {
    /// Packs `nn.GRU` weights (gates r, z, n) at compile time; see
    /// [`LstmWeights::from_pytorch`] for the argument shapes.
    pub const fn from_pytorch(
        weight_ih: &[[[f32; I]; H]; 3],
        weight_hh: &[[[f32; H]; H]; 3],
        bias_ih: &[[f32; H]; 3],
        bias_hh: &[[f32; H]; 3],
    ) -> Self {
        Self {
            kind: CellKind::Gru,
            wx: Aligned(layout::pack(weight_ih)),
            wh: Aligned(layout::pack(weight_hh)),
            b: Aligned(layout::fold_gru_bias(bias_ih, bias_hh)),
        }
    }
}

impl<const I: usize, const H: usize> CellWeights<I, H, 3, 3> {
    /// Packs coupled-gate LSTM weights (gates i, g, o) at compile time.
    pub const fn from_pytorch(
        weight_ih: &[[[f32; I]; H]; 3],
        weight_hh: &[[[f32; H]; H]; 3],
        bias_ih: &[[f32; H]; 3],
        bias_hh: &[[f32; H]; 3],
    ) -> Self {
        Self {
            kind: CellKind::Cifg,
            wx: Aligned(layout::pack(weight_ih)),
            wh: Aligned(layout::pack(weight_hh)),
            b: Aligned(layout::fold_bias(bias_ih, bias_hh)),
        }
    }
}

impl<const I: usize, const H: usize> CellWeights<I, H, 1, 1> {
    /// Packs `nn.RNN` weights at compile time: `weight_ih` (H, I), `weight_hh` (H, H).
    pub const fn from_pytorch(
        weight_ih: &[[f32; I]; H],
        weight_hh: &[[f32; H]; H],
        bias_ih: &[f32; H],
        bias_hh: &[f32; H],
        nonlinearity: RnnNonlinearity,
    ) -> Self {
        Self {
            kind: CellKind::Rnn(nonlinearity),
            wx: Aligned(layout::pack(&[*weight_ih])),
            wh: Aligned(layout::pack(&[*weight_hh])),
            b: Aligned(layout::fold_bias(&[*bias_ih], &[*bias_hh])),
        }
    }
}

/// A recurrent layer: packed weights in flash, `S` state vectors of `H` floats in RAM
/// (`h`, and `c` for LSTM and CIFG). Use the aliases [`Lstm`], [`Gru`], [`Rnn`], [`Cifg`].
#[derive(Clone, Debug)]
pub struct Recurrent<
    const I: usize,
    const H: usize,
    const G: usize,
    const B: usize,
    const S: usize,
    A = DefaultActivation,
> {
    weights: &'static CellWeights<I, H, G, B>,
    /// `h` (row 0; while `flipped`, a stale copy) and `c` (row 1, LSTM and CIFG).
    state: [[f32; H]; S],
    /// The other half of `h`'s double buffer: the current `h` while `flipped`. A step writes
    /// the new `h` into the half that does not hold the old one and flips, so no copy.
    h_alt: [f32; H],
    flipped: bool,
    tier: Tier,
    _activation: PhantomData<A>,
}

/// Steps per pass of [`Recurrent::process_sequence`]'s input projection (its stack scratch
/// holds this many steps' `G·H` pre-activations).
pub const SEQUENCE_CHUNK: usize = 8;

/// `nn.LSTM` layer.
pub type Lstm<const I: usize, const H: usize, A = DefaultActivation> = Recurrent<I, H, 4, 4, 2, A>;
/// `nn.GRU` layer.
pub type Gru<const I: usize, const H: usize, A = DefaultActivation> = Recurrent<I, H, 3, 4, 1, A>;
/// Coupled-gate LSTM layer.
pub type Cifg<const I: usize, const H: usize, A = DefaultActivation> = Recurrent<I, H, 3, 3, 2, A>;
/// `nn.RNN` layer.
pub type Rnn<const I: usize, const H: usize, A = DefaultActivation> = Recurrent<I, H, 1, 1, 1, A>;

impl<const I: usize, const H: usize, const G: usize, const B: usize, const S: usize, A: Activation>
    Recurrent<I, H, G, B, S, A>
{
    /// A layer over `weights`, starting from the zero state, on the compile-time kernel tier
    /// ([`Tier::STATIC`]; see [`Layer::set_tier`] for run-time detection).
    pub const fn new(weights: &'static CellWeights<I, H, G, B>) -> Self {
        assert!(S == if weights.kind.has_cell_state() { 2 } else { 1 }, "state count does not match the cell");
        Self {
            weights,
            state: [[0.0; H]; S],
            h_alt: [0.0; H],
            flipped: false,
            tier: Tier::STATIC,
            _activation: PhantomData,
        }
    }

    /// The kernel tier this layer runs on.
    pub const fn tier(&self) -> Tier {
        self.tier
    }

    /// The weights this layer runs.
    pub const fn weights(&self) -> &'static CellWeights<I, H, G, B> {
        self.weights
    }

    /// The current hidden state `h`.
    pub fn hidden(&self) -> &[f32; H] {
        if self.flipped {
            &self.h_alt
        } else {
            &self.state[0]
        }
    }

    /// Moves `h` back into `state[0]` (clears `flipped`).
    fn settle(&mut self) {
        if self.flipped {
            self.state[0] = self.h_alt;
            self.flipped = false;
        }
    }

    /// Steps with a typed input and returns the new `h`.
    #[inline]
    pub fn step_typed(&mut self, input: &[f32; I]) -> &[f32; H] {
        let (h, c) = self.state.split_at_mut(1);
        let (row, alt) = (&mut h[0], &mut self.h_alt);
        let (h_old, h_new) = if self.flipped { (&*alt, row) } else { (&*row, alt) };
        kernel::cell_step_fixed::<A, I, H, G, B, 1>(
            self.tier,
            &self.weights.view(),
            input,
            h_old,
            c.as_flattened_mut(),
            h_new,
        );
        self.flipped = !self.flipped;
        self.hidden()
    }

    /// Sequence mode: steps through every input of `xs`, writing each new `h` to `hs`
    /// (same length as `xs`). The input projections `W_ih·x_t` of up to
    /// [`SEQUENCE_CHUNK`] steps are computed in one pass over `W_ih` (a stack scratch of
    /// `SEQUENCE_CHUNK·G·H` floats) before the recurrence runs from them, which pays off when
    /// `I` is not tiny. On AVX-512, where that pass does not pay (`H ≤ 32` and `I ≤ H`), the
    /// inputs are stepped one at a time. Same bits as calling [`Self::step_typed`] per input
    /// on this tier.
    ///
    /// Panics if `hs.len() != xs.len()`.
    pub fn process_sequence(&mut self, xs: &[[f32; I]], hs: &mut [[f32; H]]) {
        assert_eq!(xs.len(), hs.len(), "process_sequence: one output frame per input frame");
        self.settle();
        let mut scratch = [[[0.0f32; H]; G]; SEQUENCE_CHUNK];
        let w = self.weights.view();
        for (x, y) in xs.chunks(SEQUENCE_CHUNK).zip(hs.chunks_mut(SEQUENCE_CHUNK)) {
            let (h, c) = self.state.split_at_mut(1);
            kernel::cell_sequence_fixed::<A, I, H, G, B>(
                self.tier,
                &w,
                x.as_flattened(),
                &h[0],
                c.as_flattened_mut(),
                y.as_flattened_mut(),
                x.len(),
                scratch.as_flattened_mut().as_flattened_mut(),
            );
            if let Some(last) = y.last() {
                h[0] = *last;
            }
        }
    }
}

impl<const I: usize, const H: usize, const G: usize, const B: usize, const S: usize, A: Activation> Layer
    for Recurrent<I, H, G, B, S, A>
{
    const INPUT_SIZE: usize = I;
    const OUTPUT_SIZE: usize = H;
    type State = [[f32; H]; S];

    #[inline]
    fn forward(&mut self, input: &[f32]) -> &[f32] {
        let input: &[f32; I] = input.try_into().expect("input length differs from the layer's input size");
        self.step_typed(input)
    }

    fn reset(&mut self) {
        self.state = [[0.0; H]; S];
        self.flipped = false;
    }

    fn snapshot(&self) -> Self::State {
        let mut state = self.state;
        state[0] = *self.hidden();
        state
    }

    fn restore(&mut self, state: &Self::State) {
        self.state = *state;
        self.flipped = false;
    }

    fn set_tier(&mut self, tier: Tier) {
        self.tier = tier;
    }
}
