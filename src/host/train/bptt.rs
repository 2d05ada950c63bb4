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
    /// Pre-activation gradients per step (`G·H`, or `O` for Dense), filled by the backward
    /// pass; for GRU the `weight_ih` side.
    da: Vec<f32>,
    /// GRU only: the `weight_hh` side (its `n` rows differ: `r ⊙ ∂n`).
    da_hh: Vec<f32>,
}

/// Everything one sequence needs for a forward + backward pass over windows of up to
/// `capacity` steps: trace, state, backward scratch. Allocated once, reused.
#[derive(Clone, Debug)]
pub(crate) struct Workspace {
    layers: Vec<LayerTrace>,
    /// Network output per step (`W·O`), residual included.
    pub out: Vec<f32>,
    /// A softmax head's logits per step (`W·O`; empty for other heads), written by
    /// [`Self::forward`] and [`Self::run`]: cross-entropy takes its log-probabilities from
    /// them, since a float32 probability under 2⁻¹²⁶ has lost them.
    pub logits: Vec<f32>,
    pub state: State,
    dh: Vec<Vec<f32>>,
    dc: Vec<Vec<f32>>,
    d_cur: Vec<f32>,
    d_next: Vec<f32>,
    h_new: Vec<f32>,
    at: Vec<f32>,
}

impl Workspace {
    pub fn new(model: &TrainModel, capacity: usize) -> Self {
        let mut layers = Vec::new();
        let mut widest = model.input_size();
        for def in model.layers() {
            widest = widest.max(def.output_size()).max(def.input_size());
            layers.push(match *def {
                LayerDef::Recurrent { kind, hidden, .. } => LayerTrace {
                    out: vec![0.0; (capacity + 1) * hidden],
                    c: if kind.has_cell_state() { vec![0.0; (capacity + 1) * hidden] } else { Vec::new() },
                    gates: if matches!(kind, CellKind::Rnn(_)) { Vec::new() } else { vec![0.0; capacity * 4 * hidden] },
                    da: vec![0.0; capacity * kind.gates() * hidden],
                    da_hh: if kind == CellKind::Gru { vec![0.0; capacity * 3 * hidden] } else { Vec::new() },
                },
                LayerDef::Dense { output, .. } => LayerTrace {
                    out: vec![0.0; capacity * output],
                    c: Vec::new(),
                    gates: Vec::new(),
                    da: vec![0.0; capacity * output],
                    da_hh: Vec::new(),
                },
            });
        }
        let state = State::initial(model);
        Self {
            layers,
            out: vec![0.0; capacity * model.output_size()],
            logits: if softmax_head(model) { vec![0.0; capacity * model.output_size()] } else { Vec::new() },
            dh: state.h.clone(),
            dc: state.c.clone(),
            state,
            d_cur: vec![0.0; widest],
            d_next: vec![0.0; widest],
            h_new: vec![0.0; widest],
            at: Vec::new(),
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
                        let y = &mut lt.out[t * output..(t + 1) * output];
                        let head = l + 1 == model.layers().len();
                        let logits = self.logits.get_mut(t * output..(t + 1) * output).filter(|_| head);
                        dense_step::<A>(model, l, activation, ni_l, input, y, logits);
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
        if softmax_head(model) && self.logits.len() < out.len() {
            self.logits.resize(out.len(), 0.0);
        }
        for (t, (xt, yt)) in x.chunks_exact(ni).zip(out.chunks_exact_mut(no)).enumerate() {
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
                        let logits =
                            self.logits.get_mut(t * output..(t + 1) * output).filter(|_| l + 1 == layers.len());
                        let (x, y) = (&self.d_cur[..width], &mut self.d_next[..output]);
                        dense_step::<A>(model, l, activation, input, x, y, logits);
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
    ///
    /// The time loop only does what is sequential (element-wise cell derivatives and the
    /// products with the transposed weights); the pre-activation gradients of every step are
    /// kept, and the weight gradients are summed over the window afterwards.
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
                let need_dx = l > 0;
                let off = model.layer_offset(l);
                let (below, rest) = self.layers.split_at_mut(l);
                let lt = &mut rest[0];
                match layers[l] {
                    LayerDef::Dense { input: nin, output, activation } => {
                        let y = &lt.out[t * output..(t + 1) * output];
                        let pre = &mut self.h_new[..output];
                        if matches!(activation, DenseActivation::Tanh | DenseActivation::Sigmoid | DenseActivation::Elu)
                        {
                            // The slope from the pre-activation, recomputed from the layer's input.
                            let input = if l == 0 {
                                &x[t * ni..(t + 1) * ni]
                            } else {
                                layer_output(&below[l - 1], &layers[l - 1], t)
                            };
                            let view = model.dense_view(l, DenseActivation::Identity, nin, output);
                            kernel::dense::<A>(&view, input, pre);
                        }
                        let d = &mut self.d_cur[..output];
                        let fused = fused_softmax && l + 1 == layers.len();
                        dense_activation_backward(activation, y, pre, d, fused);
                        lt.da[t * output..(t + 1) * output].copy_from_slice(d);
                        if need_dx {
                            let dx = &mut self.d_next[..nin];
                            dx.fill(0.0);
                            gemv_t_acc(&params[off..off + output * nin], d, dx);
                        }
                    }
                    LayerDef::Recurrent { kind, input: nin, hidden } => {
                        let h = hidden;
                        let rows = kind.gates() * h;
                        let hp = &lt.out[t * h..(t + 1) * h];
                        let hn = &lt.out[(t + 1) * h..(t + 2) * h];
                        let gates = if lt.gates.is_empty() { &[][..] } else { &lt.gates[t * 4 * h..(t + 1) * 4 * h] };
                        let dh_in = &self.d_cur[..h];
                        let dh_carry = &mut self.dh[l];
                        let dc_carry = &mut self.dc[l];
                        let da_ih = &mut lt.da[t * rows..(t + 1) * rows];
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
                                dh_carry.fill(0.0);
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
                                dh_carry.fill(0.0);
                            }
                            CellKind::Gru => {
                                let da_hh = &mut lt.da_hh[t * rows..(t + 1) * rows];
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
                                dh_carry.fill(0.0);
                            }
                        }
                        let da_ih = &lt.da[t * rows..(t + 1) * rows];
                        let da_hh = if kind == CellKind::Gru { &lt.da_hh[t * rows..(t + 1) * rows] } else { da_ih };
                        gemv_t_acc(&params[off + rows * nin..off + rows * (nin + h)], da_hh, dh_carry);
                        if need_dx {
                            let dx = &mut self.d_next[..nin];
                            dx.fill(0.0);
                            gemv_t_acc(&params[off..off + rows * nin], da_ih, dx);
                        }
                    }
                }
                if need_dx {
                    let nin = layers[l].input_size();
                    self.d_cur[..nin].copy_from_slice(&self.d_next[..nin]);
                }
            }
        }
        // Weight and bias gradients: sums over the window of outer products.
        for (l, def) in layers.iter().enumerate() {
            let off = model.layer_offset(l);
            // The layer's input at step t is `src[base + t·stride..][..nin]`.
            let (src, base, stride): (&[f32], usize, usize) = if l == 0 {
                (x, 0, ni)
            } else {
                match layers[l - 1] {
                    LayerDef::Recurrent { hidden, .. } => (&self.layers[l - 1].out, hidden, hidden),
                    LayerDef::Dense { output, .. } => (&self.layers[l - 1].out, 0, output),
                }
            };
            let lt = &self.layers[l];
            match *def {
                LayerDef::Dense { input: nin, output, .. } => {
                    let (gw, gb) = grads[off..off + output * (nin + 1)].split_at_mut(output * nin);
                    outer_sum(gw, gb, &lt.da, output, &src[base..], stride, nin, steps, &mut self.at);
                }
                LayerDef::Recurrent { kind, input: nin, hidden: h } => {
                    let rows = kind.gates() * h;
                    let g = &mut grads[off..off + rows * (nin + h + 2)];
                    let (g_ih, g) = g.split_at_mut(rows * nin);
                    let (g_hh, g) = g.split_at_mut(rows * h);
                    let (g_bih, g_bhh) = g.split_at_mut(rows);
                    outer_sum(g_ih, g_bih, &lt.da, rows, &src[base..], stride, nin, steps, &mut self.at);
                    let da_hh = if kind == CellKind::Gru { &lt.da_hh } else { &lt.da };
                    outer_sum(g_hh, g_bhh, da_hh, rows, &lt.out, h, h, steps, &mut self.at);
                }
            }
        }
    }
}

const LANES: usize = 8;

/// `out[k] += Σ_r a[r] · w[r·K + k]` with `K = out.len()`: a product with the transposed
/// row-major matrix `w`, accumulated in registers 8 columns at a time.
#[inline]
fn gemv_t_acc(w: &[f32], a: &[f32], out: &mut [f32]) {
    let k_len = out.len();
    debug_assert_eq!(w.len(), a.len() * k_len);
    let mut k0 = 0;
    while k0 + LANES <= k_len {
        let mut acc = [0.0f32; LANES];
        acc.copy_from_slice(&out[k0..k0 + LANES]);
        for (row, &ar) in w.chunks_exact(k_len).zip(a) {
            let wr = &row[k0..k0 + LANES];
            for i in 0..LANES {
                acc[i] += ar * wr[i];
            }
        }
        out[k0..k0 + LANES].copy_from_slice(&acc);
        k0 += LANES;
    }
    if k0 < k_len {
        let tail = &mut out[k0..];
        for (row, &ar) in w.chunks_exact(k_len).zip(a) {
            for (o, wv) in tail.iter_mut().zip(&row[k0..]) {
                *o += ar * wv;
            }
        }
    }
}

/// `g[r·K + k] += Σ_t a[t·rows + r] · v[t·stride + k]` and `gb[r] += Σ_t a[t·rows + r]`
/// over `t < steps`, `k < K`: the weight and bias gradients of a window. `at` is scratch for
/// the transpose of `a` (so every sum over `t` reads memory in order).
#[allow(clippy::too_many_arguments)]
fn outer_sum(
    g: &mut [f32],
    gb: &mut [f32],
    a: &[f32],
    rows: usize,
    v: &[f32],
    stride: usize,
    k_len: usize,
    steps: usize,
    at: &mut Vec<f32>,
) {
    at.resize(rows * steps, 0.0);
    // Transposed in blocks of 8 steps: the 8 source rows stay in L1 while every
    // destination row gets one contiguous run.
    for t0 in (0..steps).step_by(LANES) {
        let t1 = (t0 + LANES).min(steps);
        for r in 0..rows {
            for t in t0..t1 {
                at[r * steps + t] = a[t * rows + r];
            }
        }
    }
    let full = k_len - k_len % LANES;
    for r in 0..rows {
        let ar = &at[r * steps..(r + 1) * steps];
        gb[r] += lane_sum(ar.iter().copied());
        let grow = &mut g[r * k_len..(r + 1) * k_len];
        let mut k0 = 0;
        while k0 < full {
            let mut acc = [0.0f32; LANES];
            for (t, &a) in ar.iter().enumerate() {
                let vt = &v[t * stride + k0..t * stride + k0 + LANES];
                for i in 0..LANES {
                    acc[i] += a * vt[i];
                }
            }
            for (gv, av) in grow[k0..k0 + LANES].iter_mut().zip(&acc) {
                *gv += av;
            }
            k0 += LANES;
        }
        for (k, gv) in grow.iter_mut().enumerate().skip(full) {
            *gv += lane_sum(ar.iter().enumerate().map(|(t, &a)| a * v[t * stride + k]));
        }
    }
}

/// A sum in 8 interleaved partial sums (vectorisable; fixed order, so deterministic).
#[inline]
fn lane_sum(it: impl Iterator<Item = f32>) -> f32 {
    let mut acc = [0.0f32; LANES];
    for (n, x) in it.enumerate() {
        acc[n % LANES] += x;
    }
    acc.iter().sum()
}

/// Whether the last layer is a softmax Dense layer, whose logits [`Workspace`] keeps.
pub(crate) fn softmax_head(model: &TrainModel) -> bool {
    matches!(model.layers().last(), Some(LayerDef::Dense { activation: DenseActivation::Softmax, .. }))
}

/// Dense layer `l` on `input` into `y`. Given `logits` (a softmax head's row), the
/// pre-activation is kept there too; the kernels apply every Dense activation after the sums,
/// so `y` has the same bits either way.
fn dense_step<A: Activation>(
    model: &TrainModel,
    l: usize,
    activation: DenseActivation,
    inputs: usize,
    input: &[f32],
    y: &mut [f32],
    logits: Option<&mut [f32]>,
) {
    match logits {
        Some(a) => {
            kernel::dense::<A>(&model.dense_view(l, DenseActivation::Identity, inputs, y.len()), input, a);
            y.copy_from_slice(a);
            kernel::scalar::apply_dense_activation::<A>(activation, y);
        }
        None => kernel::dense::<A>(&model.dense_view(l, activation, inputs, y.len()), input, y),
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
/// pre-activation `pre`, in place. With `fused`, `d` already is that (softmax +
/// cross-entropy). `pre` is read for tanh, sigmoid and ELU only.
///
/// Their slopes come from `pre`, not from `y` as `1 − y²`, `y·(1 − y)` and `y + 1`: near
/// saturation `1 − y` (or `y + 1`) of a float32 `y` keeps few correct bits (at `y = 0.99999`,
/// ±0.6 %), and a saturated head scales every gradient below it by that error.
fn dense_activation_backward(act: DenseActivation, y: &[f32], pre: &[f32], d: &mut [f32], fused: bool) {
    match act {
        DenseActivation::Identity => {}
        DenseActivation::Tanh => d.iter_mut().zip(pre).for_each(|(d, &a)| *d *= tanh_slope(a)),
        DenseActivation::Sigmoid => d.iter_mut().zip(pre).for_each(|(d, &a)| *d *= sigmoid_slope(a)),
        DenseActivation::Relu => d.iter_mut().zip(y).for_each(|(d, y)| {
            if *y <= 0.0 {
                *d = 0.0
            }
        }),
        // ELU's `y = exp(a) − 1` for `a ≤ 0`: its slope is `exp(a)`.
        DenseActivation::Elu => d.iter_mut().zip(pre).for_each(|(d, &a)| {
            if a <= 0.0 {
                *d *= libm::expf(a)
            }
        }),
        DenseActivation::Softmax => {
            if !fused {
                softmax_backward(y, d)
            }
        }
    }
}

/// Softmax's `d_i ← y_i·(d_i − Σ_j y_j·d_j)`, with the sum taken relative to the largest
/// output `y_m`: `Σ_j y_j·d_j = d_m + e`, `e = Σ_{j≠m} y_j·(d_j − d_m)` (as `Σ_j y_j = 1`).
///
/// The plain sum cancels: when the head saturates (`y_m` rounds to 1 in float32, the others
/// are below 10⁻⁷), `d_m − Σ_j y_j·d_j` comes out 0 or a rounding error, where it should be
/// `−e`, and every gradient below the head is lost with it.
fn softmax_backward(y: &[f32], d: &mut [f32]) {
    let Some(m) = (0..y.len()).reduce(|m, j| if y[j] > y[m] { j } else { m }) else {
        return;
    };
    let dm = d[m];
    let e: f32 = d.iter().zip(y).enumerate().filter(|&(j, _)| j != m).map(|(_, (d, y))| y * (d - dm)).sum();
    d.iter_mut().zip(y).for_each(|(d, y)| *d = y * ((*d - dm) - e));
}

/// `σ'(a) = σ(a)·σ(−a) = e/(1 + e)²` with `e = exp(−|a|) ∈ (0, 1]`: no cancellation, no
/// overflow, accurate to a few ulps relative at any `a`.
fn sigmoid_slope(a: f32) -> f32 {
    let e = libm::expf(-a.abs());
    e / ((1.0 + e) * (1.0 + e))
}

/// `tanh'(a) = 1 − tanh²(a) = 4e/(1 + e)²` with `e = exp(−2|a|)`, for the same reasons.
fn tanh_slope(a: f32) -> f32 {
    let e = libm::expf(-2.0 * a.abs());
    4.0 * e / ((1.0 + e) * (1.0 + e))
}
