//! Forward with a trace, and backpropagation through time over it.
//!
//! The forward pass runs [`kernel::cell_step_traced`] and [`kernel::dense`] — the kernels
//! the deployed layers run — and keeps what the backward pass needs: every layer's `h` (and
//! `c`) per step and the gate values the kernel computed. The backward pass is the chain rule
//! written out per cell in PyTorch's gate layout, so gradients land directly on the
//! `state_dict` tensors (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, `weight`, `bias`).

use std::vec;
use std::vec::Vec;

use super::model::{LayerDef, TrainModel};
use crate::activation::Activation;
use crate::cell::{CellKind, DenseActivation, RnnNonlinearity};
use crate::kernel::{self, scalar::GateSink};

/// Writes the kernel's gate values as `buf[k·H + j]`.
struct TraceSink<'a> {
    buf: &'a mut [f32],
    hidden: usize,
}

impl GateSink for TraceSink<'_> {
    #[inline(always)]
    fn record(&mut self, j: usize, gates: [f32; 4]) {
        for (k, g) in gates.into_iter().enumerate() {
            self.buf[k * self.hidden + j] = g;
        }
    }
}

/// The recurrent state of every layer (empty vectors for Dense layers and for `c` of cells
/// without one).
#[derive(Clone, Debug)]
pub(crate) struct State {
    pub h: Vec<Vec<f32>>,
    pub c: Vec<Vec<f32>>,
}

impl State {
    /// The model's initial state (zeros, or a loaded model's initial state).
    pub fn initial(model: &TrainModel) -> Self {
        let mut s = Self { h: Vec::new(), c: Vec::new() };
        for (l, def) in model.layers().iter().enumerate() {
            let (h0, c0) = model.initial_state(l);
            match *def {
                LayerDef::Recurrent { kind, hidden, .. } => {
                    s.h.push(h0.map_or_else(|| vec![0.0; hidden], <[f32]>::to_vec));
                    s.c.push(if kind.has_cell_state() {
                        c0.map_or_else(|| vec![0.0; hidden], <[f32]>::to_vec)
                    } else {
                        Vec::new()
                    });
                }
                LayerDef::Dense { .. } => {
                    s.h.push(Vec::new());
                    s.c.push(Vec::new());
                }
            }
        }
        s
    }

    /// Back to the model's initial state without reallocating.
    pub fn reset(&mut self, model: &TrainModel) {
        for (l, (h, c)) in self.h.iter_mut().zip(self.c.iter_mut()).enumerate() {
            let (h0, c0) = model.initial_state(l);
            match h0 {
                Some(v) => h.copy_from_slice(v),
                None => h.fill(0.0),
            }
            match c0 {
                Some(v) => c.copy_from_slice(v),
                None => c.fill(0.0),
            }
        }
    }
}

/// One layer's trace over a window.
#[derive(Clone, Debug, Default)]
struct LayerTrace {
    /// Recurrent: `h` at steps `0..=W` (`h[0]` is the window's initial state), `H` each.
    /// Dense: outputs at steps `0..W`.
    out: Vec<f32>,
    /// `c` at steps `0..=W` (LSTM / CIFG).
    c: Vec<f32>,
    /// Gate values per step, `4·H` each (see [`GateSink`]).
    gates: Vec<f32>,
}

/// Everything one sequence needs for a forward + backward pass over windows of up to
/// `capacity` steps: trace, state, backward scratch. Allocated once, reused.
#[derive(Clone, Debug)]
pub(crate) struct Workspace {
    layers: Vec<LayerTrace>,
    /// Network output per step (`W·O`), residual included.
    pub out: Vec<f32>,
    pub state: State,
    dh: Vec<Vec<f32>>,
    dc: Vec<Vec<f32>>,
    d_cur: Vec<f32>,
    d_next: Vec<f32>,
    da_ih: Vec<f32>,
    da_hh: Vec<f32>,
    h_new: Vec<f32>,
}

impl Workspace {
    pub fn new(model: &TrainModel, capacity: usize) -> Self {
        let mut layers = Vec::new();
        let mut widest = model.input_size();
        let mut widest_rows = 0;
        for def in model.layers() {
            widest = widest.max(def.output_size()).max(def.input_size());
            layers.push(match *def {
                LayerDef::Recurrent { kind, hidden, .. } => {
                    widest_rows = widest_rows.max(4 * hidden);
                    LayerTrace {
                        out: vec![0.0; (capacity + 1) * hidden],
                        c: if kind.has_cell_state() { vec![0.0; (capacity + 1) * hidden] } else { Vec::new() },
                        gates: if matches!(kind, CellKind::Rnn(_)) {
                            Vec::new()
                        } else {
                            vec![0.0; capacity * 4 * hidden]
                        },
                    }
                }
                LayerDef::Dense { output, .. } => {
                    LayerTrace { out: vec![0.0; capacity * output], c: Vec::new(), gates: Vec::new() }
                }
            });
        }
        let state = State::initial(model);
        Self {
            layers,
            out: vec![0.0; capacity * model.output_size()],
            dh: state.h.clone(),
            dc: state.c.clone(),
            state,
            d_cur: vec![0.0; widest],
            d_next: vec![0.0; widest],
            da_ih: vec![0.0; widest_rows],
            da_hh: vec![0.0; widest_rows],
            h_new: vec![0.0; widest],
        }
    }

    /// Runs `x` (`W·I` values, `W ≤ capacity`) from the current state, keeping the trace;
    /// the state moves to the end of the window. Outputs land in `self.out[..W·O]`.
    pub fn forward<A: Activation>(&mut self, model: &TrainModel, x: &[f32]) {
        let ni = model.input_size();
        let no = model.output_size();
        let steps = x.len() / ni;
        debug_assert!(steps * model.output_size() <= self.out.len());
        // Window start: the carried state.
        for (l, def) in model.layers().iter().enumerate() {
            if let LayerDef::Recurrent { hidden, .. } = *def {
                self.layers[l].out[..hidden].copy_from_slice(&self.state.h[l]);
                if !self.state.c[l].is_empty() {
                    self.layers[l].c[..hidden].copy_from_slice(&self.state.c[l]);
                }
            }
        }
        for t in 0..steps {
            let xt = &x[t * ni..(t + 1) * ni];
            for (l, def) in model.layers().iter().enumerate() {
                let (below, rest) = self.layers.split_at_mut(l);
                let lt = &mut rest[0];
                let input: &[f32] = if l == 0 { xt } else { layer_output(&below[l - 1], &model.layers()[l - 1], t) };
                match *def {
                    LayerDef::Recurrent { kind, input: ni_l, hidden } => {
                        let view = model.cell_view(l, kind, ni_l, hidden);
                        let (prev, next) = lt.out.split_at_mut((t + 1) * hidden);
                        let h_prev = &prev[t * hidden..];
                        let h_out = &mut next[..hidden];
                        let c: &mut [f32] = if lt.c.is_empty() {
                            &mut []
                        } else {
                            lt.c.copy_within(t * hidden..(t + 1) * hidden, (t + 1) * hidden);
                            &mut lt.c[(t + 1) * hidden..(t + 2) * hidden]
                        };
                        if lt.gates.is_empty() {
                            kernel::cell_step::<A>(&view, input, h_prev, c, h_out);
                        } else {
                            let mut sink =
                                TraceSink { buf: &mut lt.gates[t * 4 * hidden..(t + 1) * 4 * hidden], hidden };
                            kernel::cell_step_traced::<A, _>(&view, input, h_prev, c, h_out, &mut sink);
                        }
                    }
                    LayerDef::Dense { input: ni_l, output, activation } => {
                        let view = model.dense_view(l, activation, ni_l, output);
                        kernel::dense::<A>(&view, input, &mut lt.out[t * output..(t + 1) * output]);
                    }
                }
            }
            let last = model.layers().len() - 1;
            let y = layer_output(&self.layers[last], &model.layers()[last], t);
            let out = &mut self.out[t * no..(t + 1) * no];
            out.copy_from_slice(y);
            for (o, xv) in out.iter_mut().zip(&xt[..model.skip()]) {
                *o += xv;
            }
        }
        for (l, def) in model.layers().iter().enumerate() {
            if let LayerDef::Recurrent { hidden, .. } = *def {
                let end = steps * hidden;
                self.state.h[l].copy_from_slice(&self.layers[l].out[end..end + hidden]);
                if !self.state.c[l].is_empty() {
                    self.state.c[l].copy_from_slice(&self.layers[l].c[end..end + hidden]);
                }
            }
        }
    }

    /// Runs `x` without keeping a trace (warm-up, evaluation): same kernels, same bits.
    /// Outputs go to `out` (`W·O` values).
    pub fn run<A: Activation>(&mut self, model: &TrainModel, x: &[f32], out: &mut [f32]) {
        let ni = model.input_size();
        let no = model.output_size();
        let layers = model.layers();
        for (xt, yt) in x.chunks_exact(ni).zip(out.chunks_exact_mut(no)) {
            self.d_cur[..ni].copy_from_slice(xt);
            let mut width = ni;
            for (l, def) in layers.iter().enumerate() {
                match *def {
                    LayerDef::Recurrent { kind, input, hidden } => {
                        let view = model.cell_view(l, kind, input, hidden);
                        let h_new = &mut self.h_new[..hidden];
                        kernel::cell_step::<A>(
                            &view,
                            &self.d_cur[..width],
                            &self.state.h[l],
                            &mut self.state.c[l],
                            h_new,
                        );
                        self.state.h[l].copy_from_slice(h_new);
                        self.d_cur[..hidden].copy_from_slice(h_new);
                        width = hidden;
                    }
                    LayerDef::Dense { input, output, activation } => {
                        let view = model.dense_view(l, activation, input, output);
                        kernel::dense::<A>(&view, &self.d_cur[..width], &mut self.d_next[..output]);
                        self.d_cur[..output].copy_from_slice(&self.d_next[..output]);
                        width = output;
                    }
                }
            }
            yt.copy_from_slice(&self.d_cur[..no]);
            for (o, xv) in yt.iter_mut().zip(&xt[..model.skip()]) {
                *o += xv;
            }
        }
    }

    /// Backpropagates `dy` (`W·O`: the loss gradient with respect to each step's output, or,
    /// with `fused_softmax`, with respect to the last Dense layer's pre-activation) through
    /// the window traced by the last [`Self::forward`] of `x`. Adds the parameter gradients
    /// to `grads` (laid out like [`TrainModel::params`]). The gradient flowing into the
    /// window's initial state is dropped: truncated BPTT.
    pub fn backward<A: Activation>(
        &mut self,
        model: &TrainModel,
        x: &[f32],
        dy: &[f32],
        fused_softmax: bool,
        grads: &mut [f32],
    ) {
        let ni = model.input_size();
        let no = model.output_size();
        let steps = x.len() / ni;
        let layers = model.layers();
        let params = model.params();
        for v in self.dh.iter_mut().chain(self.dc.iter_mut()) {
            v.fill(0.0);
        }
        for t in (0..steps).rev() {
            self.d_cur[..no].copy_from_slice(&dy[t * no..(t + 1) * no]);
            for l in (0..layers.len()).rev() {
                let input: &[f32] = if l == 0 {
                    &x[t * ni..(t + 1) * ni]
                } else {
                    layer_output(&self.layers[l - 1], &layers[l - 1], t)
                };
                let need_dx = l > 0;
                let off = model.layer_offset(l);
                let lt = &self.layers[l];
                match layers[l] {
                    LayerDef::Dense { input: nin, output, activation } => {
                        let y = &lt.out[t * output..(t + 1) * output];
                        let d = &mut self.d_cur[..output];
                        let fused = fused_softmax && l + 1 == layers.len();
                        dense_activation_backward(activation, y, d, fused);
                        let (w, rest) = params[off..].split_at(output * nin);
                        let _ = rest;
                        let (gw, gb) = grads[off..off + output * nin + output].split_at_mut(output * nin);
                        let dx = &mut self.d_next[..nin];
                        dx.fill(0.0);
                        for o in 0..output {
                            let a = d[o];
                            gb[o] += a;
                            if a == 0.0 {
                                continue;
                            }
                            let grow = &mut gw[o * nin..(o + 1) * nin];
                            for (g, xv) in grow.iter_mut().zip(input) {
                                *g += a * xv;
                            }
                            if need_dx {
                                for (dv, wv) in dx.iter_mut().zip(&w[o * nin..(o + 1) * nin]) {
                                    *dv += a * wv;
                                }
                            }
                        }
                    }
                    LayerDef::Recurrent { kind, input: nin, hidden } => {
                        let hp = &lt.out[t * hidden..(t + 1) * hidden];
                        let hn = &lt.out[(t + 1) * hidden..(t + 2) * hidden];
                        let rows = kind.gates() * hidden;
                        let gates =
                            if lt.gates.is_empty() { &[][..] } else { &lt.gates[t * 4 * hidden..(t + 1) * 4 * hidden] };
                        let dh_in = &self.d_cur[..hidden];
                        let dh_carry = &mut self.dh[l];
                        let dc_carry = &mut self.dc[l];
                        let da_ih = &mut self.da_ih[..rows];
                        let da_hh = &mut self.da_hh[..rows];
                        let h = hidden;
                        match kind {
                            CellKind::Lstm => {
                                let (cp, cn) = (&lt.c[t * h..(t + 1) * h], &lt.c[(t + 1) * h..(t + 2) * h]);
                                for j in 0..h {
                                    let (i, f, g, o) = (gates[j], gates[h + j], gates[2 * h + j], gates[3 * h + j]);
                                    let tc = A::tanh(cn[j]);
                                    let dh = dh_in[j] + dh_carry[j];
                                    let dc = dh * o * (1.0 - tc * tc) + dc_carry[j];
                                    da_ih[j] = dc * g * i * (1.0 - i);
                                    da_ih[h + j] = dc * cp[j] * f * (1.0 - f);
                                    da_ih[2 * h + j] = dc * i * (1.0 - g * g);
                                    da_ih[3 * h + j] = dh * tc * o * (1.0 - o);
                                    dc_carry[j] = dc * f;
                                }
                                da_hh.copy_from_slice(da_ih);
                            }
                            CellKind::Cifg => {
                                let (cp, cn) = (&lt.c[t * h..(t + 1) * h], &lt.c[(t + 1) * h..(t + 2) * h]);
                                for j in 0..h {
                                    let (i, g, o) = (gates[j], gates[h + j], gates[2 * h + j]);
                                    let tc = A::tanh(cn[j]);
                                    let dh = dh_in[j] + dh_carry[j];
                                    let dc = dh * o * (1.0 - tc * tc) + dc_carry[j];
                                    da_ih[j] = dc * (g - cp[j]) * i * (1.0 - i);
                                    da_ih[h + j] = dc * i * (1.0 - g * g);
                                    da_ih[2 * h + j] = dh * tc * o * (1.0 - o);
                                    dc_carry[j] = dc * (1.0 - i);
                                }
                                da_hh.copy_from_slice(da_ih);
                            }
                            CellKind::Gru => {
                                for j in 0..h {
                                    let (r, z, n, nh) = (gates[j], gates[h + j], gates[2 * h + j], gates[3 * h + j]);
                                    let dh = dh_in[j] + dh_carry[j];
                                    let dan = dh * (1.0 - z) * (1.0 - n * n);
                                    let dar = dan * nh * r * (1.0 - r);
                                    let daz = dh * (hp[j] - n) * z * (1.0 - z);
                                    da_ih[j] = dar;
                                    da_ih[h + j] = daz;
                                    da_ih[2 * h + j] = dan;
                                    da_hh[j] = dar;
                                    da_hh[h + j] = daz;
                                    da_hh[2 * h + j] = dan * r;
                                    // The direct path h' = .. + z·h; the matrix part is added below.
                                    dh_carry[j] = dh * z;
                                }
                            }
                            CellKind::Rnn(nl) => {
                                for j in 0..h {
                                    let dh = dh_in[j] + dh_carry[j];
                                    da_ih[j] = match nl {
                                        RnnNonlinearity::Tanh => dh * (1.0 - hn[j] * hn[j]),
                                        RnnNonlinearity::Relu => {
                                            if hn[j] > 0.0 {
                                                dh
                                            } else {
                                                0.0
                                            }
                                        }
                                    };
                                }
                                da_hh.copy_from_slice(da_ih);
                            }
                        }
                        if kind != CellKind::Gru {
                            dh_carry.fill(0.0);
                        }
                        let _ = hn;
                        // Parameter gradients and the products with the transposed weights.
                        let w_ih = &params[off..off + rows * nin];
                        let w_hh = &params[off + rows * nin..off + rows * (nin + h)];
                        let g = &mut grads[off..off + rows * (nin + h + 2)];
                        let (g_ih, g) = g.split_at_mut(rows * nin);
                        let (g_hh, g) = g.split_at_mut(rows * h);
                        let (g_bih, g_bhh) = g.split_at_mut(rows);
                        let dx = &mut self.d_next[..nin];
                        dx.fill(0.0);
                        for r in 0..rows {
                            let a = da_ih[r];
                            let b = da_hh[r];
                            g_bih[r] += a;
                            g_bhh[r] += b;
                            if a != 0.0 {
                                for (gv, xv) in g_ih[r * nin..(r + 1) * nin].iter_mut().zip(input) {
                                    *gv += a * xv;
                                }
                                if need_dx {
                                    for (dv, wv) in dx.iter_mut().zip(&w_ih[r * nin..(r + 1) * nin]) {
                                        *dv += a * wv;
                                    }
                                }
                            }
                            if b != 0.0 {
                                for (gv, hv) in g_hh[r * h..(r + 1) * h].iter_mut().zip(hp) {
                                    *gv += b * hv;
                                }
                                for (dv, wv) in dh_carry.iter_mut().zip(&w_hh[r * h..(r + 1) * h]) {
                                    *dv += b * wv;
                                }
                            }
                        }
                    }
                }
                if need_dx {
                    let nin = layers[l].input_size();
                    self.d_cur[..nin].copy_from_slice(&self.d_next[..nin]);
                }
            }
        }
    }
}

/// Layer `l`'s output at step `t` of the traced window.
#[inline]
fn layer_output<'a>(lt: &'a LayerTrace, def: &LayerDef, t: usize) -> &'a [f32] {
    match *def {
        LayerDef::Recurrent { hidden, .. } => &lt.out[(t + 1) * hidden..(t + 2) * hidden],
        LayerDef::Dense { output, .. } => &lt.out[t * output..(t + 1) * output],
    }
}

/// Turns `d` (gradient w.r.t. a Dense layer's output `y`) into the gradient w.r.t. its
/// pre-activation, in place. With `fused`, `d` already is that (softmax + cross-entropy).
fn dense_activation_backward(act: DenseActivation, y: &[f32], d: &mut [f32], fused: bool) {
    match act {
        DenseActivation::Identity => {}
        DenseActivation::Tanh => d.iter_mut().zip(y).for_each(|(d, y)| *d *= 1.0 - y * y),
        DenseActivation::Sigmoid => d.iter_mut().zip(y).for_each(|(d, y)| *d *= y * (1.0 - y)),
        DenseActivation::Relu => d.iter_mut().zip(y).for_each(|(d, y)| {
            if *y <= 0.0 {
                *d = 0.0
            }
        }),
        DenseActivation::Elu => d.iter_mut().zip(y).for_each(|(d, y)| {
            if *y <= 0.0 {
                *d *= y + 1.0
            }
        }),
        DenseActivation::Softmax => {
            if !fused {
                let dot: f32 = d.iter().zip(y).map(|(d, y)| d * y).sum();
                d.iter_mut().zip(y).for_each(|(d, y)| *d = y * (*d - dot));
            }
        }
    }
}
