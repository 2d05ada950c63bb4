//! The scalar kernel: the specification of every cell's operation order.
//!
//! For gate `g` of hidden unit `j` the pre-activation is accumulated in one register, in
//! this order: the folded bias, then `w·x[k]` for `k = 0..I`, then `w·h[k]` for
//! `k = 0..H` (GRU's `n` gate keeps its input and recurrent sums apart). Multiplies and adds
//! are separate (no fused multiply-add), so the result is the same on every target.
//! SIMD tiers keep this order per lane and differ only by FMA rounding.
//!
//! The loops walk each packed block once, four units at a time (`4·G` accumulators fit a
//! Cortex-M4F's FP registers); grouping changes no accumulator's order, so the results are
//! those of the unit-by-unit definition.

use core::mem::MaybeUninit;

use super::layout::BLOCK;
use super::{CellView, DenseView};
use crate::activation::{elu, relu, Activation};
use crate::cell::{CellKind, DenseActivation, RnnNonlinearity};

/// `acc[g][u] += Σ_k W[g·hidden + j0 + u][k] · v[k]` for `U` adjacent units of one packed
/// block, walking the block's memory once in order (one run of `U` floats per gate and
/// column). Each accumulator sees the columns in order `k = 0, 1, ..`: the spec's order.
#[inline(always)]
fn group_sum<const G: usize, const U: usize>(acc: &mut [[f32; U]; G], w: &[f32], hidden: usize, j0: usize, v: &[f32]) {
    let cols = v.len();
    let start = j0 - j0 % BLOCK;
    let width = (hidden - start).min(BLOCK);
    let lane = j0 - start;
    let block = &w[start * cols * G..][..cols * G * width];
    for (col, &vk) in block.chunks_exact(G * width).zip(v) {
        for (g, acc_g) in acc.iter_mut().enumerate() {
            let run = &col[g * width + lane..][..U];
            for (a, &wv) in acc_g.iter_mut().zip(run) {
                *a += wv * vk;
            }
        }
    }
}

/// Gate pre-activations of units `j0 .. j0 + U`: bias, then the input columns, then the
/// recurrent columns, each gate in its own accumulator. Returns the sums after the input
/// part and after the whole step; with `split_last` (GRU's `n` gate) the last gate's
/// recurrent sum starts from the extra bias row (`b_hn`) instead of continuing the input sum.
#[inline(always)]
fn preactivations<const G: usize, const U: usize>(
    w: &CellView<'_>,
    j0: usize,
    x: &[f32],
    h: &[f32],
    split_last: bool,
) -> ([[f32; U]; G], [[f32; U]; G]) {
    let hid = w.hidden;
    let mut xs = [[0.0; U]; G];
    for (g, row) in xs.iter_mut().enumerate() {
        row.copy_from_slice(&w.b[g * hid + j0..][..U]);
    }
    group_sum(&mut xs, w.wx, hid, j0, x);
    let mut hs = xs;
    if split_last {
        hs[G - 1].copy_from_slice(&w.b[G * hid + j0..][..U]);
    }
    group_sum(&mut hs, w.wh, hid, j0, h);
    (xs, hs)
}

/// Calls `unit(j, xs, hs)` for every hidden unit in order, with its gates' pre-activations
/// after the input part (`xs`) and in full (`hs`). A block's pre-activations are computed
/// first ([`block_preactivations`]), then `unit` runs for each of its units: one call site,
/// so the cell's per-unit code is inlined into one loop. The cells' `unit` closures are
/// `#[inline(always)]` all the same: one build left them out of line (a call per unit; the
/// table bench's scalar steps took 1.2–1.6× as long) once the runtime-sized model had become
/// one more caller of the scalar step.
#[inline(always)]
fn for_each_unit<const G: usize, const PORTABLE: bool>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    split_last: bool,
    mut unit: impl FnMut(usize, [f32; G], [f32; G]),
) {
    // `xs` (the sums after the input part) is only read by GRU; elsewhere it is dead. `hs`
    // is not zeroed: each block writes the entries it then reads.
    let mut xs = [[0.0f32; BLOCK]; G];
    let mut hs = [[MaybeUninit::<f32>::uninit(); BLOCK]; G];
    let mut start = 0;
    while start < w.hidden {
        // `width ≤ BLOCK` and `start + width ≤ hidden` as the compiler sees them: no bounds
        // checks on `xs`, `hs` (and the cells' per-unit state) in the loop below.
        let width = (w.hidden - start).min(BLOCK);
        let end = start + width;
        block_preactivations::<G, PORTABLE>(w, start, end, x, h, split_last, &mut xs, &mut hs);
        for u in 0..width {
            // SAFETY: `block_preactivations` wrote `hs[g][u]` for every gate `g` and every
            // `u < width` (= end − start) just above.
            let a = core::array::from_fn(|g| unsafe { hs[g][u].assume_init() });
            unit(start + u, core::array::from_fn(|g| xs[g][u]), a);
        }
        start = end;
    }
}

/// Pre-activations of units `start .. end` (one packed block) into `xs[g][j − start]` (after
/// the input part; GRU's last gate only reads it) and `hs[g][j − start]` (in full), for every
/// gate and every `j` of the block. Units go four at a time (registers for 4·G accumulators
/// on a Cortex-M4F), one at a time at the block's end; the arithmetic per unit is the same
/// either way. On 32-bit Arm with an FPU (unless `PORTABLE`) blocks of 16 or 8 units go
/// through the VFP inner loop instead ([`super::arm::gate_sums_into`]): the same sums in the
/// same order, stored straight into `hs`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn block_preactivations<const G: usize, const PORTABLE: bool>(
    w: &CellView<'_>,
    start: usize,
    end: usize,
    x: &[f32],
    h: &[f32],
    split_last: bool,
    xs: &mut [[f32; BLOCK]; G],
    hs: &mut [[MaybeUninit<f32>; BLOCK]; G],
) {
    const U: usize = 4;
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    if !PORTABLE {
        match end - start {
            16 => return arm_block::<G, 16>(w, start, x, h, split_last, xs, hs),
            8 => return arm_block::<G, 8>(w, start, x, h, split_last, xs, hs),
            _ => {}
        }
    }
    let mut j0 = start;
    while j0 + U <= end {
        let (gx, gh) = preactivations::<G, U>(w, j0, x, h, split_last);
        for g in 0..G {
            xs[g][j0 - start..][..U].copy_from_slice(&gx[g]);
            for (d, &v) in hs[g][j0 - start..][..U].iter_mut().zip(&gh[g]) {
                d.write(v);
            }
        }
        j0 += U;
    }
    while j0 < end {
        let (gx, gh) = preactivations::<G, 1>(w, j0, x, h, split_last);
        for g in 0..G {
            xs[g][j0 - start] = gx[g][0];
            hs[g][j0 - start].write(gh[g][0]);
        }
        j0 += 1;
    }
}

/// [`block_preactivations`] for a whole block of `W` units (8 or 16, the block's width) with
/// the VFP inner loop, one gate at a time with `W` accumulators. Each accumulator sees bias,
/// input columns, recurrent columns in order, as in [`preactivations`]: the same bits.
/// GRU's `n` gate (`split_last`) keeps its input sum apart and starts its recurrent sum from
/// `b_hn`.
#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
#[inline(always)]
fn arm_block<const G: usize, const W: usize>(
    w: &CellView<'_>,
    start: usize,
    x: &[f32],
    h: &[f32],
    split_last: bool,
    xs: &mut [[f32; BLOCK]; G],
    hs: &mut [[MaybeUninit<f32>; BLOCK]; G],
) {
    use super::arm::gate_sums_into;
    let hid = w.hidden;
    // The block's first gate run in its first column; gate `g`'s run is `g·W` further
    // (with no inputs, `bx` is empty and never read).
    let bx = &w.wx[start * x.len() * G..];
    let bh = &w.wh[start * h.len() * G..];
    let b = &w.b[start..];
    if split_last {
        let (gates, n) = hs.split_at_mut(G - 1);
        gate_sums_into::<G, W, BLOCK>(gates, b, hid, [(bx, x), (bh, h)]);
        gate_sums_into::<G, W, BLOCK>(
            n,
            &b[G * hid..],
            hid,
            [(bh.get((G - 1) * W..).unwrap_or_default(), h), (&[], &[])],
        );
        let mut nx = [[MaybeUninit::<f32>::uninit(); BLOCK]; 1];
        gate_sums_into::<G, W, BLOCK>(
            &mut nx,
            &b[(G - 1) * hid..],
            hid,
            [(bx.get((G - 1) * W..).unwrap_or_default(), x), (&[], &[])],
        );
        for (d, s) in xs[G - 1].iter_mut().zip(&nx[0][..W]) {
            // SAFETY: `gate_sums_into` wrote the first `W` floats of `nx[0]`.
            *d = unsafe { s.assume_init() };
        }
    } else {
        gate_sums_into::<G, W, BLOCK>(hs, b, hid, [(bx, x), (bh, h)]);
    }
}

/// `acc + Σ_k W[g·hidden + j][k] · v[k]` for one output of a one-gate matrix (Dense).
#[inline(always)]
fn dense_sum(acc: f32, w: &[f32], hidden: usize, j: usize, v: &[f32]) -> f32 {
    let mut a = [[acc]];
    group_sum::<1, 1>(&mut a, w, hidden, j, v);
    a[0][0]
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
    step_impl::<A, S, false>(w, x, h, c, h_out, sink)
}

/// [`cell_step`] through the portable loops only, never an ISA-specific inner loop (the Arm
/// VFP loop): the reference those loops are tested against. The same bits as `cell_step`.
#[doc(hidden)]
pub fn cell_step_portable<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
    step_impl::<A, (), true>(w, x, h, c, h_out, &mut ())
}

#[inline(always)]
fn step_impl<A: Activation, S: GateSink + ?Sized, const PORTABLE: bool>(
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
        CellKind::Lstm => lstm_traced::<A, S, PORTABLE>(w, x, h, c, h_out, sink),
        CellKind::Gru => gru_traced::<A, S, PORTABLE>(w, x, h, h_out, sink),
        CellKind::Cifg => cifg_traced::<A, S, PORTABLE>(w, x, h, c, h_out, sink),
        CellKind::Rnn(nl) => rnn_impl::<A, PORTABLE>(w, nl, x, h, h_out),
    }
}

/// LSTM: gates i, f, g, o; `c' = f·c + i·g`, `h' = o·tanh(c')`.
pub fn lstm<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
    lstm_traced::<A, (), false>(w, x, h, c, h_out, &mut ())
}

#[inline(always)]
fn lstm_traced<A: Activation, S: GateSink + ?Sized, const PORTABLE: bool>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    sink: &mut S,
) {
    let (c, h_out) = (&mut c[..w.hidden], &mut h_out[..w.hidden]);
    for_each_unit::<4, PORTABLE>(
        w,
        x,
        h,
        false,
        #[inline(always)]
        |j, _, a| {
            let i = A::sigmoid(a[0]);
            let f = A::sigmoid(a[1]);
            let g = A::tanh(a[2]);
            let o = A::sigmoid(a[3]);
            sink.record(j, [i, f, g, o]);
            let cj = f * c[j] + i * g;
            c[j] = cj;
            h_out[j] = o * A::tanh(cj);
        },
    );
}

/// Coupled-gate LSTM: gates i, g, o; `c' = g·i + c·(1 − i)`, `h' = o·tanh(c')`.
pub fn cifg<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], c: &mut [f32], h_out: &mut [f32]) {
    cifg_traced::<A, (), false>(w, x, h, c, h_out, &mut ())
}

#[inline(always)]
fn cifg_traced<A: Activation, S: GateSink + ?Sized, const PORTABLE: bool>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    sink: &mut S,
) {
    for_each_unit::<3, PORTABLE>(
        w,
        x,
        h,
        false,
        #[inline(always)]
        |j, _, a| {
            let i = A::sigmoid(a[0]);
            let g = A::tanh(a[1]);
            let o = A::sigmoid(a[2]);
            sink.record(j, [i, g, o, 0.0]);
            let cj = g * i + c[j] * (1.0 - i);
            c[j] = cj;
            h_out[j] = o * A::tanh(cj);
        },
    );
}

/// GRU (reset-after): `n = tanh(W_in x + b_in + r·(W_hn h + b_hn))`, `h' = (1 − z)·n + z·h`.
pub fn gru<A: Activation>(w: &CellView<'_>, x: &[f32], h: &[f32], h_out: &mut [f32]) {
    gru_traced::<A, (), false>(w, x, h, h_out, &mut ())
}

#[inline(always)]
fn gru_traced<A: Activation, S: GateSink + ?Sized, const PORTABLE: bool>(
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    h_out: &mut [f32],
    sink: &mut S,
) {
    for_each_unit::<3, PORTABLE>(
        w,
        x,
        h,
        true,
        #[inline(always)]
        |j, xs, hs| {
            let r = A::sigmoid(hs[0]);
            let z = A::sigmoid(hs[1]);
            let (nx, nh) = (xs[2], hs[2]);
            let n = A::tanh(nx + r * nh);
            sink.record(j, [r, z, n, nh]);
            h_out[j] = (1.0 - z) * n + z * h[j];
        },
    );
}

/// Vanilla RNN: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`.
pub fn rnn<A: Activation>(w: &CellView<'_>, nl: RnnNonlinearity, x: &[f32], h: &[f32], h_out: &mut [f32]) {
    rnn_impl::<A, false>(w, nl, x, h, h_out)
}

#[inline(always)]
fn rnn_impl<A: Activation, const PORTABLE: bool>(
    w: &CellView<'_>,
    nl: RnnNonlinearity,
    x: &[f32],
    h: &[f32],
    h_out: &mut [f32],
) {
    for_each_unit::<1, PORTABLE>(
        w,
        x,
        h,
        false,
        #[inline(always)]
        |j, _, a| {
            h_out[j] = match nl {
                RnnNonlinearity::Tanh => A::tanh(a[0]),
                RnnNonlinearity::Relu => relu(a[0]),
            };
        },
    );
}

/// Dense: `y = act(W x + b)`.
pub fn dense<A: Activation>(w: &DenseView<'_>, x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), w.inputs);
    debug_assert_eq!(y.len(), w.outputs);
    for (o, yo) in y.iter_mut().enumerate() {
        // A block of one output (the last of `outputs ≡ 1 mod BLOCK`) stores its weights
        // contiguously: on 32-bit Arm with an FPU, the VFP dot product (same order, same bits).
        #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
        if w.outputs - o == 1 && o % BLOCK == 0 {
            super::arm::dot_into(yo, &w.b[o], &w.w[o * x.len()..], x);
            continue;
        }
        *yo = dense_sum(w.b[o], w.w, w.outputs, o, x);
    }
    apply_dense_activation::<A>(w.activation, y);
}

/// Applies a Dense activation in place (softmax over the whole slice).
#[inline]
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
