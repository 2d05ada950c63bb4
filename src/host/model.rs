//! The runtime-sized model: sizes come from a model file, the math from the same kernels
//! the const-generic layers run, so the same tier gives bit-identical outputs.

use core::marker::PhantomData;
use std::vec::Vec;

use super::spec::{LayerSpec, LoadError, ModelSpec};
use crate::activation::{Activation, DefaultActivation};
use crate::cell::DenseActivation;
use crate::kernel::aligned::AlignedVec;
use crate::kernel::prepared::{CellKernel, DenseKernel};
use crate::kernel::{self, layout, CellView, DenseView, Tier};
use crate::layer::SEQUENCE_CHUNK;

/// One layer of a [`Model`]: packed weights plus its state and output buffers, and its
/// kernel, picked for the model's tier when it is set.
#[derive(Clone, Debug)]
enum RtLayer<A> {
    Recurrent {
        /// The step's kernel, for the layer's cell kind ([`CellKernel::kind`]).
        kernel: CellKernel<A>,
        inputs: usize,
        hidden: usize,
        wx: AlignedVec,
        wh: AlignedVec,
        b: Vec<f32>,
        /// The hidden state.
        h: Vec<f32>,
        /// The cell state (LSTM, CIFG; empty for the other cells).
        c: Vec<f32>,
        /// The step's new hidden state, then swapped with `h`.
        h_new: Vec<f32>,
        /// [`Model::process_block`]'s hidden states, `BLOCK_FRAMES·hidden`.
        hs: Vec<f32>,
        /// Sequence mode's input projections, [`SEQUENCE_CHUNK`] steps of `gates·hidden` (as in
        /// the const-generic layers).
        proj: Vec<f32>,
    },
    Dense {
        kernel: DenseKernel<A>,
        activation: DenseActivation,
        inputs: usize,
        outputs: usize,
        w: AlignedVec,
        b: Vec<f32>,
        out: Vec<f32>,
        /// [`Model::process_block`]'s outputs, `BLOCK_FRAMES·outputs`.
        ys: Vec<f32>,
    },
}

/// Frames [`Model::process_block`] runs through one layer before the next: each layer's
/// block buffer holds this many frames of its output.
const BLOCK_FRAMES: usize = 64;

impl<A: Activation> RtLayer<A> {
    #[inline]
    fn forward(&mut self, x: &[f32]) -> &[f32] {
        match self {
            RtLayer::Recurrent { kernel, inputs, hidden, wx, wh, b, h, c, h_new, .. } => {
                let view = CellView {
                    kind: kernel.kind(),
                    inputs: *inputs,
                    hidden: *hidden,
                    wx: wx.as_slice(),
                    wh: wh.as_slice(),
                    b,
                };
                kernel.step(&view, x, h, c, h_new);
                core::mem::swap(h, h_new);
                h
            }
            RtLayer::Dense { kernel, activation, inputs, outputs, w, b, out, .. } => {
                let view =
                    DenseView { activation: *activation, inputs: *inputs, outputs: *outputs, w: w.as_slice(), b };
                kernel.step(&view, x, out);
                out
            }
        }
    }

    /// `n ≤ BLOCK_FRAMES` frames through the layer (`x`: `n·inputs`), on `tier`: sequence
    /// mode for a recurrent layer, the frames as channels of one Dense pass. The same bits as
    /// `n` calls of [`Self::forward`] (the kernels' sequence and multi-channel modes are).
    fn forward_block(&mut self, tier: Tier, x: &[f32], n: usize) -> &[f32] {
        match self {
            RtLayer::Recurrent { kernel, inputs, hidden, wx, wh, b, h, c, hs, proj, .. } => {
                let view = CellView {
                    kind: kernel.kind(),
                    inputs: *inputs,
                    hidden: *hidden,
                    wx: wx.as_slice(),
                    wh: wh.as_slice(),
                    b,
                };
                let hs = &mut hs[..n * *hidden];
                kernel::cell_sequence::<A>(tier, &view, x, h, c, hs, n, proj);
                if let Some(last) = hs.rchunks_exact(*hidden).next() {
                    h.copy_from_slice(last);
                }
                hs
            }
            RtLayer::Dense { activation, inputs, outputs, w, b, ys, .. } => {
                let view =
                    DenseView { activation: *activation, inputs: *inputs, outputs: *outputs, w: w.as_slice(), b };
                let ys = &mut ys[..n * *outputs];
                kernel::dense_multi::<A>(tier, &view, x, ys, n);
                ys
            }
        }
    }

    /// Picks the layer's kernel for `tier`.
    fn set_tier(&mut self, tier: Tier) {
        match self {
            RtLayer::Recurrent { kernel, inputs, hidden, .. } => {
                *kernel = CellKernel::new(tier, kernel.kind(), *inputs, *hidden)
            }
            RtLayer::Dense { kernel, .. } => *kernel = DenseKernel::new(tier),
        }
    }

    /// Copies this layer's part of a snapshot (`h`, then `c`) from the front of `state`;
    /// returns the rest.
    fn read_state<'s>(&mut self, state: &'s [f32]) -> &'s [f32] {
        match self {
            RtLayer::Recurrent { h, c, .. } => {
                let (sh, rest) = state.split_at(h.len());
                let (sc, rest) = rest.split_at(c.len());
                h.copy_from_slice(sh);
                c.copy_from_slice(sc);
                rest
            }
            RtLayer::Dense { .. } => state,
        }
    }
}

/// A network whose sizes are known only at run time (loaded from a file).
///
/// Heap-allocated when built; `step` / `process_block` then never allocate. Built from a
/// [`ModelSpec`] with [`Model::from_spec`]; the state after [`Model::reset`] is the spec's
/// initial state advanced by its `prewarm` zero-input samples, computed once at build time.
#[derive(Clone, Debug)]
pub struct Model<A = DefaultActivation> {
    layers: Vec<RtLayer<A>>,
    input_size: usize,
    output_size: usize,
    skip: usize,
    initial_state: Vec<f32>,
    /// The kernel tier, detected when the model is built ([`Tier::try_detect_for`]).
    tier: Tier,
    _activation: PhantomData<A>,
}

impl<A: Activation> Model<A> {
    /// Packs a validated spec's weights and prepares the initial state, for the kernel tier
    /// of [`Tier::try_detect_for`] its widest layer: a `TINYRNN_TIER` that names no tier this
    /// CPU runs is a [`LoadError::Tier`].
    pub fn from_spec(spec: &ModelSpec) -> Result<Self, LoadError> {
        spec.validate()?;
        let width = spec.layers.iter().map(LayerSpec::output_size).max().unwrap_or(0);
        let tier = Tier::try_detect_for(width)?;
        let mut layers = Vec::with_capacity(spec.layers.len());
        let mut initial_state = Vec::new();
        for layer in &spec.layers {
            match layer {
                LayerSpec::Recurrent(r) => {
                    let (g, hid, inp) = (r.kind.gates(), r.hidden_size, r.input_size);
                    let mut wx = AlignedVec::zeroed(g * hid * inp);
                    let mut wh = AlignedVec::zeroed(g * hid * hid);
                    let mut b = std::vec![0.0; kernel::bias_rows(r.kind) * hid];
                    layout::pack_into(&r.weight_ih, inp, g, hid, wx.as_mut_slice());
                    layout::pack_into(&r.weight_hh, hid, g, hid, wh.as_mut_slice());
                    layout::fold_bias_into(r.kind, hid, &r.bias_ih, &r.bias_hh, &mut b);
                    let h = r.initial_h.clone().unwrap_or_else(|| std::vec![0.0; hid]);
                    let c = match (&r.initial_c, r.kind.has_cell_state()) {
                        (_, false) => Vec::new(),
                        (Some(c0), true) => c0.clone(),
                        (None, true) => std::vec![0.0; hid],
                    };
                    initial_state.extend_from_slice(&h);
                    initial_state.extend_from_slice(&c);
                    layers.push(RtLayer::Recurrent {
                        kernel: CellKernel::new(Tier::SCALAR, r.kind, inp, hid),
                        inputs: inp,
                        hidden: hid,
                        wx,
                        wh,
                        b,
                        h,
                        c,
                        h_new: std::vec![0.0; hid],
                        hs: std::vec![0.0; BLOCK_FRAMES * hid],
                        proj: std::vec![0.0; SEQUENCE_CHUNK * g * hid],
                    });
                }
                LayerSpec::Dense(d) => {
                    let mut w = AlignedVec::zeroed(d.output_size * d.input_size);
                    layout::pack_into(&d.weight, d.input_size, 1, d.output_size, w.as_mut_slice());
                    layers.push(RtLayer::Dense {
                        kernel: DenseKernel::new(Tier::SCALAR),
                        activation: d.activation,
                        inputs: d.input_size,
                        outputs: d.output_size,
                        w,
                        b: d.bias.clone(),
                        out: std::vec![0.0; d.output_size],
                        ys: std::vec![0.0; BLOCK_FRAMES * d.output_size],
                    });
                }
            }
        }
        let output_size = spec.output_size();
        let mut model = Self {
            layers,
            input_size: spec.input_size,
            output_size,
            skip: spec.skip,
            initial_state,
            // The prewarm runs on the scalar kernel (the specification), so the initial state
            // has the same bits on every machine and tier, and matches baked sources.
            tier: Tier::SCALAR,
            _activation: PhantomData,
        };
        if spec.prewarm > 0 {
            let zeros = std::vec![0.0; model.input_size];
            let mut sink = std::vec![0.0; output_size];
            for _ in 0..spec.prewarm {
                model.step(&zeros, &mut sink);
            }
            model.initial_state = model.snapshot();
        }
        model.set_tier(tier);
        Ok(model)
    }

    /// Values per input frame.
    pub fn input_size(&self) -> usize {
        self.input_size
    }

    /// Values per output frame.
    pub fn output_size(&self) -> usize {
        self.output_size
    }

    /// The kernel tier this model runs on (detected when it was built).
    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// Runs the model on another kernel tier from now on.
    pub fn set_tier(&mut self, tier: Tier) {
        self.tier = tier;
        for layer in &mut self.layers {
            layer.set_tier(tier);
        }
    }

    /// One time step. Panics only if a slice length differs from the model's sizes.
    #[inline]
    pub fn step(&mut self, input: &[f32], output: &mut [f32]) {
        assert_eq!(input.len(), self.input_size, "input length differs from the model's input size");
        assert_eq!(output.len(), self.output_size, "output length differs from the model's output size");
        let mut y: &[f32] = input;
        for layer in &mut self.layers {
            y = layer.forward(y);
        }
        output.copy_from_slice(y);
        for (o, x) in output.iter_mut().zip(&input[..self.skip]) {
            *o += *x;
        }
    }

    /// Runs frames of interleaved values, one step per frame (see
    /// [`Network::process_block`](crate::Network::process_block)): the same outputs and state,
    /// bit for bit, as [`Self::step`] per frame, computed layer by layer over up to 64 frames
    /// at a time (recurrent layers in sequence mode, see [`kernel::cell_sequence`]; Dense
    /// layers over all the frames in one pass). From H = 32 on that takes less time per frame
    /// than stepping; at H = 8 with one input about as long or longer (GRU-8 1.13×, AVX2),
    /// where a common size's step runs code compiled for it (README, on `host::Model`).
    ///
    /// Panics only if the lengths do not describe the same number of whole frames.
    pub fn process_block(&mut self, input: &[f32], output: &mut [f32]) {
        let frames = input.len() / self.input_size;
        assert!(
            input.len().is_multiple_of(self.input_size) && output.len() == frames * self.output_size,
            "process_block: {} inputs and {} outputs are not whole frames of {} in / {} out",
            input.len(),
            output.len(),
            self.input_size,
            self.output_size
        );
        let (tier, i, o) = (self.tier, self.input_size, self.output_size);
        for (xs, ys) in input.chunks(BLOCK_FRAMES * i).zip(output.chunks_mut(BLOCK_FRAMES * o)) {
            let n = xs.len() / i;
            let mut y: &[f32] = xs;
            for layer in &mut self.layers {
                y = layer.forward_block(tier, y, n);
            }
            ys.copy_from_slice(y);
            if self.skip > 0 {
                for (yf, xf) in ys.chunks_exact_mut(o).zip(xs.chunks_exact(i)) {
                    for (v, x) in yf.iter_mut().zip(&xf[..self.skip]) {
                        *v += *x;
                    }
                }
            }
        }
    }

    /// Back to the initial state (the file's initial state after its prewarm; zeros for most
    /// formats).
    pub fn reset(&mut self) {
        write_state(&mut self.layers, &self.initial_state);
    }

    /// Number of floats in a state snapshot.
    pub fn state_len(&self) -> usize {
        self.initial_state.len()
    }

    /// A copy of the recurrent state (every layer's `h`, and `c` where there is one).
    pub fn snapshot(&self) -> Vec<f32> {
        let mut s = Vec::with_capacity(self.state_len());
        for layer in &self.layers {
            if let RtLayer::Recurrent { h, c, .. } = layer {
                s.extend_from_slice(h);
                s.extend_from_slice(c);
            }
        }
        s
    }

    /// Continues from a snapshot. Panics only if `state.len() != self.state_len()`.
    pub fn restore(&mut self, state: &[f32]) {
        assert_eq!(state.len(), self.state_len(), "snapshot length differs from the model's state");
        write_state(&mut self.layers, state);
    }
}

/// Copies a snapshot (layer states back to back) into the layers.
fn write_state<A: Activation>(layers: &mut [RtLayer<A>], mut state: &[f32]) {
    for layer in layers {
        state = layer.read_state(state);
    }
}
