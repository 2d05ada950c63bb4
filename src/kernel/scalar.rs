//! The scalar kernel: the specification of every cell's operation order.
//!
//! For gate `g` of hidden unit `j` the pre-activation is accumulated in one register, in
//! this order: the folded bias, then `w·x[k]` for `k = 0..I`, then `w·h[k]` for
//! `k = 0..H` (GRU's `n` gate keeps its input and recurrent sums apart). Multiplies and adds
//! are separate (no fused multiply-add), so the result is the same on every target.
//! SIMD tiers keep this order per lane and differ only by FMA rounding.

use super::layout::BLOCK;
use super::{CellView, DenseView};
use crate::activation::{elu, relu, Activation};
use crate::cell::{CellKind, DenseActivation, RnnNonlinearity};

/// `acc + Σ_k W[g·hidden + j][k] · v[k]` over a packed matrix with `v.len()` columns.
#[inline(always)]
fn gate_sum(acc: f32, w: &[f32], gates: usize, hidden: usize, g: usize, j: usize, v: &[f32]) -> f32 {
    let cols = v.len();
    let start = j - j % BLOCK;
    let width = (hidden - start).min(BLOCK);
    let stride = gates * width;
    let first = start * cols * gates + g * width + (j - start);
    let mut a = acc;
    for (k, &vk) in v.iter().enumerate() {
        a += w[first + k * stride] * vk;
    }
    a
}

/// Full pre-activation of gate `g` for unit `j`: bias, input part, recurrent part.
#[inline(always)]
fn gate<const G: usize>(w: &CellView<'_>, g: usize, j: usize, x: &[f32], h: &[f32]) -> f32 {
    let hid = w.hidden;
    let a = gate_sum(w.b[g * hid + j], w.wx, G, hid, g, j, x);
    gate_sum(a, w.wh, G, hid, g, j, h)
}

/// Receives the gate values of every hidden unit as a step computes them.
///
/// The trainer's forward pass keeps them for backpropagation through time; inference passes
/// `()`, whose empty `record` compiles to nothing, so both run this one copy of the cell math.
pub trait GateSink {
    /// Gate values of hidden unit `j`, after their activations: LSTM `[i, f, g, o]`,
    /// CIFG `[i, g, o, 0]`, GRU `[r, z, n, W_hn·h + b_hn]`. RNN steps record nothing (the
    /// new `h` is all its derivative needs).
    fn record(&mut self, j: usize, gates: [f32; 4]);
}

impl GateSink for () {
    #[inline(always)]
    fn record(&mut self, _j: usize, _gates: [f32; 4]) {}
}

/// One recurrent step of any cell kind (see [`super::cell_step`]).
#[inline]
pub fn cell_step<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
    cell_step_traced::<A, ()>(w, x, h, c, h_out, &mut ())
}

/// [`cell_step`] that also hands every unit's gate values to `sink` (see [`GateSink`]).
pub fn cell_step_traced<A: Activation, S: GateSink + ?Sized>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    sink: &mut S,
) {
    debug_assert_eq!(x.len(), w.inputs);
    debug_assert_eq!(h.len(), w.hidden);
    debug_assert_eq!(h_out.len(), w.hidden);
    match w.kind {
        CellKind::Lstm => lstm_traced::<A, S>(w, x, h, c, h_out, sink),
        CellKind::Gru => gru_traced::<A, S>(w, x, h, h_out, sink),
        CellKind::Cifg => cifg_traced::<A, S>(w, x, h, c, h_out, sink),
        CellKind::Rnn(nl) => rnn::<A>(w, nl, x, h, h_out),
    }
}

/// LSTM: gates i, f, g, o; `c' = f·c + i·g`, `h' = o·tanh(c')`.
pub fn lstm<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
    lstm_traced::<A, ()>(w, x, h, c, h_out, &mut ())
}

#[inline(always)]
fn lstm_traced<A: Activation, S: GateSink + ?Sized>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    sink: &mut S,
) {
    for j in 0..w.hidden {
        let i = A::sigmoid(gate::<4>(w, 0, j, x, h));
        let f = A::sigmoid(gate::<4>(w, 1, j, x, h));
        let g = A::tanh(gate::<4>(w, 2, j, x, h));
        let o = A::sigmoid(gate::<4>(w, 3, j, x, h));
        sink.record(j, [i, f, g, o]);
        let cj = f * c[j] + i * g;
        c[j] = cj;
        h_out[j] = o * A::tanh(cj);
    }
}

/// Coupled-gate LSTM: gates i, g, o; `c' = g·i + c·(1 − i)`, `h' = o·tanh(c')`.
pub fn cifg<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
    cifg_traced::<A, ()>(w, x, h, c, h_out, &mut ())
}

#[inline(always)]
fn cifg_traced<A: Activation, S: GateSink + ?Sized>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    sink: &mut S,
) {
    for j in 0..w.hidden {
        let i = A::sigmoid(gate::<3>(w, 0, j, x, h));
        let g = A::tanh(gate::<3>(w, 1, j, x, h));
        let o = A::sigmoid(gate::<3>(w, 2, j, x, h));
        sink.record(j, [i, g, o, 0.0]);
        let cj = g * i + c[j] * (1.0 - i);
        c[j] = cj;
        h_out[j] = o * A::tanh(cj);
    }
}

/// GRU (reset-after): `n = tanh(W_in x + b_in + r·(W_hn h + b_hn))`, `h' = (1 − z)·n + z·h`.
pub fn gru<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], h_out: &mut [f32]) {
    gru_traced::<A, ()>(w, x, h, h_out, &mut ())
}

#[inline(always)]
fn gru_traced<A: Activation, S: GateSink + ?Sized>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    h_out: &mut [f32],
    sink: &mut S,
) {
    let hid = w.hidden;
    for j in 0..hid {
        let r = A::sigmoid(gate::<3>(w, 0, j, x, h));
        let z = A::sigmoid(gate::<3>(w, 1, j, x, h));
        let nx = gate_sum(w.b[2 * hid + j], w.wx, 3, hid, 2, j, x);
        let nh = gate_sum(w.b[3 * hid + j], w.wh, 3, hid, 2, j, h);
        let n = A::tanh(nx + r * nh);
        sink.record(j, [r, z, n, nh]);
        h_out[j] = (1.0 - z) * n + z * h[j];
    }
}

/// Vanilla RNN: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
pub fn rnn<A: Activation>(w: &CellView<'_>, nl: RnnNonlinearity, x: &[f32], h: &[f32], h_out: &mut [f32]) {
    for (j, hj) in h_out.iter_mut().enumerate() {
        let a = gate::<1>(w, 0, j, x, h);
        *hj = match nl {
            RnnNonlinearity::Tanh => A::tanh(a),
            RnnNonlinearity::Relu => relu(a),
        };
    }
}

/// Dense: `y = act(W x + b)`.
pub fn dense<A: Activation>(w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), w.inputs);
    debug_assert_eq!(y.len(), w.outputs);
    for (o, yo) in y.iter_mut().enumerate() {
        *yo = gate_sum(w.b[o], w.w, 1, w.outputs, 0, o, x);
    }
    apply_dense_activation::<A>(w.activation, y);
}

/// Applies a Dense activation in place (softmax over the whole slice).
pub fn apply_dense_activation<A: Activation>(act: DenseActivation, y: &mut [f32]) {
    match act {
        DenseActivation::Identity => {}
        DenseActivation::Tanh => y.iter_mut().for_each(|v| *v = A::tanh(*v)),
        DenseActivation::Sigmoid => y.iter_mut().for_each(|v| *v = A::sigmoid(*v)),
        DenseActivation::Relu => y.iter_mut().for_each(|v| *v = relu(*v)),
        DenseActivation::Elu => y.iter_mut().for_each(|v| *v = elu(*v)),
        DenseActivation::Softmax => {
            let m = y.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let mut sum = 0.0;
            for v in y.iter_mut() {
                *v = libm::expf(*v - m);
                sum += *v;
            }
            y.iter_mut().for_each(|v| *v /= sum);
        }
    }
}
