//! Multi-channel layers: `C` independent streams (stereo, polyphonic voices) through the same
//! weights. One step of all `C` channels is one pass over the packed weights: each loaded
//! weight vector is applied to a group of channels (2 on x86 and wasm, 4 on NEON) while it is
//! in a register, so a step costs far less than `C` single-channel steps.
//!
//! As [`Layer`]s their frames are channel-major: `C` frames of `I` inputs in, `C` frames of
//! `H` (or `O`) out, so multi-channel layers chain like single-channel ones.

use core::marker::PhantomData;

use super::{CellWeights, DenseWeights};
use crate::activation::{Activation, DefaultActivation};
use crate::kernel::{self, Tier};
use crate::network::Layer;

/// `C` streams through one recurrent layer's weights. Use the aliases [`LstmMulti`],
/// [`GruMulti`], [`CifgMulti`], [`RnnMulti`].
#[derive(Clone, Debug)]
pub struct RecurrentMulti<
    const I: usize,
    const H: usize,
    const G: usize,
    const B: usize,
    const S: usize,
    const C: usize,
    A = DefaultActivation,
> {
    weights: &'static CellWeights<I, H, G, B>,
    /// Every channel's `h` (row 0; while `flipped`, a stale copy) and `c` (row 1, LSTM and
    /// CIFG).
    state: [[[f32; H]; C]; S],
    /// The other half of `h`'s double buffer: the current `h` while `flipped`. A step writes
    /// the new `h` into the half that does not hold the old one and flips, so no copy.
    h_alt: [[f32; H]; C],
    flipped: bool,
    tier: Tier,
    _activation: PhantomData<A>,
}

/// `C`-channel `nn.LSTM` layer.
pub type LstmMulti<const I: usize, const H: usize, const C: usize, A = DefaultActivation> =
    RecurrentMulti<I, H, 4, 4, 2, C, A>;
/// `C`-channel `nn.GRU` layer.
pub type GruMulti<const I: usize, const H: usize, const C: usize, A = DefaultActivation> =
    RecurrentMulti<I, H, 3, 4, 1, C, A>;
/// `C`-channel coupled-gate LSTM layer.
pub type CifgMulti<const I: usize, const H: usize, const C: usize, A = DefaultActivation> =
    RecurrentMulti<I, H, 3, 3, 2, C, A>;
/// `C`-channel `nn.RNN` layer.
pub type RnnMulti<const I: usize, const H: usize, const C: usize, A = DefaultActivation> =
    RecurrentMulti<I, H, 1, 1, 1, C, A>;

impl<const I: usize, const H: usize, const G: usize, const B: usize, const S: usize, const C: usize, A: Activation>
    RecurrentMulti<I, H, G, B, S, C, A>
{
    /// `C` channels over `weights`, all starting from the zero state, on the compile-time
    /// tier ([`Tier::STATIC`]; see [`Layer::set_tier`]).
    pub const fn new(weights: &'static CellWeights<I, H, G, B>) -> Self {
        assert!(S == if weights.kind().has_cell_state() { 2 } else { 1 }, "state count does not match the cell");
        Self {
            weights,
            state: [[[0.0; H]; C]; S],
            h_alt: [[0.0; H]; C],
            flipped: false,
            tier: Tier::STATIC,
            _activation: PhantomData,
        }
    }

    /// The kernel tier this layer runs on.
    pub const fn tier(&self) -> Tier {
        self.tier
    }

    /// The hidden state of every channel.
    pub fn hidden(&self) -> &[[f32; H]; C] {
        if self.flipped {
            &self.h_alt
        } else {
            &self.state[0]
        }
    }

    /// One step of every channel (channel-major `input`, `C·I` floats); the new `h` is left
    /// in the double buffer's other half.
    #[inline]
    fn step_flat(&mut self, input: &[f32]) {
        let (h, c) = self.state.split_at_mut(1);
        let (row, alt) = (&mut h[0], &mut self.h_alt);
        let (h_old, h_new) = if self.flipped { (&*alt, row) } else { (&*row, alt) };
        kernel::cell_step_fixed::<A, I, H, G, B, C>(
            self.tier,
            &self.weights.view(),
            input,
            h_old.as_flattened(),
            c.as_flattened_mut().as_flattened_mut(),
            h_new.as_flattened_mut(),
        );
        self.flipped = !self.flipped;
    }

    /// One step of every channel; returns every channel's new `h`.
    #[inline]
    pub fn step_typed(&mut self, input: &[[f32; I]; C]) -> &[[f32; H]; C] {
        self.step_flat(input.as_flattened());
        self.hidden()
    }
}

impl<const I: usize, const H: usize, const G: usize, const B: usize, const S: usize, const C: usize, A: Activation>
    Layer for RecurrentMulti<I, H, G, B, S, C, A>
{
    const INPUT_SIZE: usize = I * C;
    const OUTPUT_SIZE: usize = H * C;
    type State = [[[f32; H]; C]; S];

    #[inline]
    fn forward(&mut self, input: &[f32]) -> &[f32] {
        assert_eq!(input.len(), I * C, "input length differs from the layer's input size");
        self.step_flat(input);
        self.hidden().as_flattened()
    }

    fn reset(&mut self) {
        self.state = [[[0.0; H]; C]; S];
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

/// `C` streams through one Dense layer's weights.
#[derive(Clone, Debug)]
pub struct DenseMulti<const I: usize, const O: usize, const C: usize, A = DefaultActivation> {
    weights: &'static DenseWeights<I, O>,
    out: [[f32; O]; C],
    tier: Tier,
    _activation: PhantomData<A>,
}

impl<const I: usize, const O: usize, const C: usize, A: Activation> DenseMulti<I, O, C, A> {
    /// `C` channels over `weights`, on the compile-time tier ([`Tier::STATIC`]).
    pub const fn new(weights: &'static DenseWeights<I, O>) -> Self {
        Self { weights, out: [[0.0; O]; C], tier: Tier::STATIC, _activation: PhantomData }
    }

    /// Applies the layer to every channel.
    #[inline]
    pub fn step_typed(&mut self, input: &[[f32; I]; C]) -> &[[f32; O]; C] {
        kernel::dense_fixed::<A, I, O, C>(
            self.tier,
            &self.weights.view(),
            input.as_flattened(),
            self.out.as_flattened_mut(),
        );
        &self.out
    }
}

impl<const I: usize, const O: usize, const C: usize, A: Activation> Layer for DenseMulti<I, O, C, A> {
    const INPUT_SIZE: usize = I * C;
    const OUTPUT_SIZE: usize = O * C;
    type State = ();

    #[inline]
    fn forward(&mut self, input: &[f32]) -> &[f32] {
        assert_eq!(input.len(), I * C, "input length differs from the layer's input size");
        kernel::dense_fixed::<A, I, O, C>(self.tier, &self.weights.view(), input, self.out.as_flattened_mut());
        self.out.as_flattened()
    }

    fn reset(&mut self) {}

    fn snapshot(&self) -> Self::State {}

    fn restore(&mut self, _state: &Self::State) {}

    fn set_tier(&mut self, tier: Tier) {
        self.tier = tier;
    }
}
