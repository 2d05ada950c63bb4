//! The fused step written once over a vector backend ([`Simd`]); each ISA tier implements the
//! backend (a handful of `#[inline(always)]` intrinsics) and instantiates these functions
//! inside its own `#[target_feature]` entry points, where LLVM inlines everything.
//!
//! Per hidden-unit lane the operation order is exactly [`super::scalar`]'s: the folded bias,
//! then `w·x[k]` for `k = 0..I`, then `w·h[k]` for `k = 0..H`, one accumulator per gate and
//! lane. Tiers whose [`Simd::madd`] is a separate multiply and add (SSE2, simd128) therefore
//! give the scalar kernel's bits; FMA tiers (AVX2, AVX-512, NEON) differ by the fused
//! rounding, and AVX2 and AVX-512 in layers of 4 to 8 units also by summing the recurrent
//! columns in two halves (see `halves`: a shorter `h → h` chain), both within the bound
//! `tests/kernel.rs` asserts.
//!
//! A *strip* is up to `NV` vectors of consecutive hidden units inside one packed block (or a
//! full block and the next: AVX-512's block pairs, AVX2's partial last block; see `drive`); one
//! pass over the strip's packed columns yields every gate of those units (and of `CC`
//! channels or time steps at once, reusing each loaded weight vector `CC` times), then the
//! activations and the state update run on the accumulators still in registers, in stages
//! (one per gate activation, then the update; see `stage`). Tiers that set
//! [`Simd::INTERLEAVE`] (AVX2) instead leave a strip's sums waiting on the stack and run its
//! stages between chunks of the next strip's recurrent pass, so that the activations'
//! dependency chains overlap that strip's multiply-adds instead of following them (where the
//! pass leaves multiply-add slots for them: see `interleaves`); where they do not interleave
//! (AVX2 multi-channel GRU strips, 12 accumulators), strips go in pairs whose updates run
//! together ([`Simd::DEFER`]). Dense layers (one gate, no update) run their full blocks in
//! wider strips that span blocks (`proj_wide`).

use super::layout::BLOCK;
use crate::activation::{Activation, ActivationKind};

/// A vector backend: one ISA's `f32` vector and the few operations the kernel needs.
///
/// Implementors are zero-sized tokens whose existence proves the CPU supports the ISA
/// (constructed only after detection or when the feature is enabled at compile time).
pub(crate) trait Simd: Copy {
    /// Lanes per vector (at most 16).
    const LANES: usize;
    /// The vector type.
    type V: Copy;
    /// Accumulator vectors a strip may keep live (the rest of the register file holds the
    /// loaded weight vector and the splatted inputs); larger strips run in two gate passes.
    const ACC_REGS: usize = 12;
    /// Whether a strip's activations and state update run inside the next strip's recurrent
    /// pass (see `strip`) rather than right after its own: a scheduling choice, the same bits
    /// either way. Set where measured faster.
    const INTERLEAVE: bool = false;
    /// Whether GRU strips that do not interleave go in pairs: the first leaves its update
    /// waiting, the second runs both updates together after its pass, stage by stage, so
    /// that their activations' dependency chains overlap. Same bits either way; set where
    /// measured faster.
    const DEFER: bool = false;
    /// Whether one stream of a three-gate cell (GRU, CIFG) runs each full block as one strip
    /// where a block is four vectors (the 4-lane tiers): 12 accumulators instead of a
    /// two-vector strip's 6. Set where they stay in registers; under V8 (simd128 on x86-64)
    /// they did not, and GRU-64 steps took twice as long.
    const BLOCK_STRIPS: bool = false;
    /// Whether a three-gate cell's channels step one at a time (in [`Simd::BLOCK_STRIPS`]
    /// strips) instead of in groups of `CC`: set where a channel alone was faster than its
    /// share of a group.
    const THREE_GATES_ALONE: bool = false;
    /// Whether layers of 4 to 8 units sum their recurrent columns in two halves added at the
    /// end ([`halves`]): a shorter `h → h` chain. Only where the multiply-add is fused (tiers
    /// that are not bit-exact with the scalar kernel anyway) and measured faster.
    const HALVES: bool = false;

    /// All lanes `x`.
    fn splat(self, x: f32) -> Self::V;
    /// Loads `LANES` floats.
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    unsafe fn load(self, p: *const f32) -> Self::V;
    /// Stores `LANES` floats.
    ///
    /// # Safety
    /// `p..p + LANES` must be writable.
    unsafe fn store(self, p: *mut f32, v: Self::V);
    /// `a + b`.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a - b`.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a · b`.
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    /// `acc + w·x`: fused on FMA tiers, a separate multiply and add otherwise.
    fn madd(self, acc: Self::V, w: Self::V, x: Self::V) -> Self::V;
    /// `if v < 0 { 0 } else { v }` per lane (NaN and `-0.0` pass through, as in the scalar).
    fn relu(self, v: Self::V) -> Self::V;

    /// Loads `n` floats (`1 <= n <= LANES`), zero in the other lanes.
    ///
    /// The default copies them into a zeroed buffer and loads it full-width: correct, but on
    /// out-of-order cores a full-width load of data just written by narrower stores waits for
    /// them to retire instead of being forwarded, and a step loads the partial vectors (of
    /// `c`, GRU's `h`) that the previous step stored. Every tier overrides this pair with
    /// loads and stores of matching pieces.
    ///
    /// # Safety
    /// `p..p + n` must be readable.
    #[inline(always)]
    unsafe fn load_partial(self, p: *const f32, n: usize) -> Self::V {
        let mut buf = [0.0f32; 16];
        // SAFETY: the caller guarantees `n` readable floats at `p`; `n <= LANES <= 16`.
        unsafe { core::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n) };
        // SAFETY: `buf` holds 16 >= LANES floats.
        unsafe { self.load(buf.as_ptr()) }
    }

    /// Stores the first `n` lanes (`1 <= n <= LANES`).
    ///
    /// # Safety
    /// `p..p + n` must be writable.
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize, v: Self::V) {
        let mut buf = [0.0f32; 16];
        // SAFETY: `buf` holds 16 >= LANES floats.
        unsafe { self.store(buf.as_mut_ptr(), v) };
        // SAFETY: the caller guarantees `n` writable floats at `p`; `n <= LANES <= 16`.
        unsafe { core::ptr::copy_nonoverlapping(buf.as_ptr(), p, n) };
    }

    /// Applies a scalar function to the first `n` lanes (`n <= LANES`); the others keep their
    /// value.
    #[inline(always)]
    fn map_n(self, v: Self::V, n: usize, f: impl Fn(f32) -> f32) -> Self::V {
        let mut buf = [0.0f32; 16];
        // SAFETY: `buf` holds 16 >= LANES floats, read back from the same buffer.
        unsafe {
            self.store(buf.as_mut_ptr(), v);
            buf[..n.min(Self::LANES)].iter_mut().for_each(|x| *x = f(*x));
            self.load(buf.as_ptr())
        }
    }

    /// Sum of the lanes as a tree (`LANES` is a power of two): lane `i` gets lane `i + n/2`
    /// added, halving `n` until one lane is left. A short dependency chain (the one-output
    /// Dense head's latency); tiers may override it with shuffles in the same order.
    #[inline(always)]
    fn hsum(self, v: Self::V) -> f32 {
        let mut buf = [0.0f32; 16];
        // SAFETY: `buf` holds 16 >= LANES floats.
        unsafe { self.store(buf.as_mut_ptr(), v) };
        let mut n = Self::LANES;
        while n > 1 {
            n /= 2;
            for i in 0..n {
                buf[i] += buf[i + n];
            }
        }
        buf[0]
    }

    /// The fast sigmoid ([`crate::activation::fast`]) on a vector: the one place a tier plugs
    /// in its vectorised activations (`kernel::activation`).
    fn fast_sigmoid(self, v: Self::V) -> Self::V;

    /// The fast tanh on a vector (see [`Simd::fast_sigmoid`]).
    fn fast_tanh(self, v: Self::V) -> Self::V;
}

/// What a strip computes (a `const` parameter, so each kind is its own straight-line code).
pub(crate) mod kind {
    /// LSTM: gates i, f, g, o.
    pub const LSTM: u8 = 0;
    /// GRU (reset-after): r, z, n with `b_hn` in bias row 3.
    pub const GRU: u8 = 1;
    /// Coupled-gate LSTM: i, g, o.
    pub const CIFG: u8 = 2;
    /// Vanilla RNN, tanh.
    pub const RNN_TANH: u8 = 3;
    /// Vanilla RNN, relu.
    pub const RNN_RELU: u8 = 4;
    /// The input projection only: every row `init + W x`, stored to `out` (Dense layers,
    /// and the block pass of sequence mode).
    pub const PROJ: u8 = 5;
}

/// Everything a strip reads and writes; sizes were checked by the caller (see each field).
pub(crate) struct Args<'a> {
    /// Hidden (or output) units.
    pub hidden: usize,
    /// Input columns.
    pub inputs: usize,
    /// Packed input weights, `inputs·G·hidden` floats.
    pub wx: &'a [f32],
    /// Packed recurrent weights, `hidden·G·hidden` floats (empty for `PROJ`).
    pub wh: &'a [f32],
    /// Bias rows, `bias_rows·hidden` (GRU's `b_hn` is row 3).
    pub b: &'a [f32],
    /// Initial accumulator rows (`G·hidden` per channel): the bias, or precomputed
    /// projections in sequence mode.
    pub init: &'a [f32],
    /// Distance between channels in `init` (0 when every channel starts from the bias).
    pub init_stride: usize,
    /// Whether to accumulate the input part (false when `init` already holds it).
    pub xpart: bool,
    /// Inputs, `inputs` per channel.
    pub x: &'a [f32],
    /// Previous hidden state, `hidden` per channel (empty for `PROJ`).
    pub h: &'a [f32],
    /// Cell state, `hidden` per channel (LSTM, CIFG), updated in place.
    pub c: *mut f32,
    /// Output: the new hidden state (`hidden` per channel), or the projection rows for `PROJ`
    /// (`out_stride` per channel).
    pub out: *mut f32,
    /// Distance between channels in `out`.
    pub out_stride: usize,
}

impl Args<'_> {
    /// Bytes one step of one stream reads of a `G`-gate layer: its packed recurrent weights,
    /// its input weights where the pass adds the input part (sequence mode's steps start from
    /// precomputed projections instead), and the init row. The strip shapes that depend on
    /// whether the weights stream from L1 or L2 are chosen on this. (Counting the input
    /// weights in sequence mode too denied GRU I = 32 and 64, H = 64 its AVX-512 block pairs:
    /// Zen 5, `process_sequence` 0.73 and 0.79 of the time with them.)
    #[inline(always)]
    fn step_bytes<const G: usize>(&self) -> usize {
        4 * G * self.hidden * (self.hidden + 1 + if self.xpart { self.inputs } else { 0 })
    }
}

/// A weight vector of the strip: a full load where `LANES` floats remain in `w` (reading the
/// next run's values into unused lanes of a partial strip is harmless), else a partial one.
/// With `FULL` the caller guarantees the `LANES` floats, and there is no test.
#[inline(always)]
unsafe fn load_w<S: Simd, const FULL: bool>(s: S, w: &[f32], i: usize) -> S::V {
    debug_assert!(!FULL || i + S::LANES <= w.len(), "a full weight load past the end");
    if FULL || i + S::LANES <= w.len() {
        // SAFETY: `i + LANES <= w.len()`, tested or (`FULL`) guaranteed by the caller.
        unsafe { s.load(w.as_ptr().add(i)) }
    } else {
        // SAFETY: `i < w.len()` (the vector starts inside the strip's run, which is in `w`).
        unsafe { s.load_partial(w.as_ptr().add(i), w.len() - i) }
    }
}

/// Loads `n` floats of a state/bias row at `p` (a full vector when `n == LANES`).
#[inline(always)]
unsafe fn load_n<S: Simd>(s: S, p: *const f32, n: usize) -> S::V {
    if n == S::LANES {
        // SAFETY: the caller guarantees `n` readable floats.
        unsafe { s.load(p) }
    } else {
        // SAFETY: as above.
        unsafe { s.load_partial(p, n) }
    }
}

/// Stores the first `n` lanes at `p`.
#[inline(always)]
unsafe fn store_n<S: Simd>(s: S, p: *mut f32, n: usize, v: S::V) {
    if n == S::LANES {
        // SAFETY: the caller guarantees `n` writable floats.
        unsafe { s.store(p, v) }
    } else {
        // SAFETY: as above.
        unsafe { s.store_partial(p, n, v) }
    }
}

/// Where a strip's vector `q` finds its weights in a packed matrix: its run of column 0,
/// gate 0 starts at `.0`, and its runs (one per column and gate, consecutive) are `.1`
/// floats long: the width of the vector's block.
type Runs<const NV: usize> = [(usize, usize); NV];

/// `acc[g][q][c] += Σ_k W[g0 + g][unit q][k] · v[c·vstride + k]` over the packed columns
/// `k0..k1` of a strip whose vectors' runs are `runs` (`G` gates per column), in column
/// order. `acc` holds the gates `g0 .. g0 + acc.len()` (all of them, or one pass).
///
/// A partial strip (not `EXACT`: its last vector is in the partial last block) loads that
/// vector full-width where that stays inside `w`, which is every column but the last one or
/// few: those run first with plain loads, the rest with checked ones (a test on every load
/// of the loop made AVX2 LSTM-28 steps 1.5× as slow as LSTM-32's).
///
/// # Safety
/// Every vector's runs of columns `k0..k1` lie in `w` (up to its units: `runs[q].0 +
/// (k·G + g)·runs[q].1 + units of vector q − 1 < w.len()`), full vectors whole, and
/// `g0 + acc.len() <= G`; `v` holds `(CC − 1)·vstride + k1` floats.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn accumulate<S: Simd, const G: usize, const NV: usize, const CC: usize, const EXACT: bool>(
    s: S,
    acc: &mut [[[S::V; CC]; NV]],
    g0: usize,
    w: &[f32],
    runs: Runs<NV>,
    k0: usize,
    k1: usize,
    v: &[f32],
    vstride: usize,
) {
    // Columns `k0..full` read every vector whole inside `w`: column `k`'s last load of
    // vector `q` ends at `runs[q].0 + (k·G + g0 + acc.len() − 1)·runs[q].1 + LANES`.
    let full = if EXACT {
        k1
    } else {
        runs.iter().fold(k1, |full, &(at, run)| match w.len().checked_sub(at + (g0 + acc.len() - 1) * run + S::LANES) {
            Some(room) => full.min(room / (G * run) + 1),
            None => k0,
        })
    }
    .max(k0);
    // SAFETY: the caller's guarantees, and `full` as computed above.
    unsafe {
        accumulate_cols::<S, G, NV, CC, true>(s, acc, g0, w, runs, k0, full, v, vstride);
        accumulate_cols::<S, G, NV, CC, EXACT>(s, acc, g0, w, runs, full, k1, v, vstride);
    }
}

/// [`accumulate`] over columns `k0..k1`; with `FULL`, every load of them is whole inside `w`.
///
/// # Safety
/// As for [`accumulate`]; with `FULL`, the loads of columns `k0..k1` end inside `w`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn accumulate_cols<S: Simd, const G: usize, const NV: usize, const CC: usize, const FULL: bool>(
    s: S,
    acc: &mut [[[S::V; CC]; NV]],
    g0: usize,
    w: &[f32],
    runs: Runs<NV>,
    k0: usize,
    k1: usize,
    v: &[f32],
    vstride: usize,
) {
    let vp = v.as_ptr();
    for k in k0..k1 {
        // SAFETY: `c·vstride + k < v.len()` by the caller's guarantee.
        let xs: [S::V; CC] = core::array::from_fn(|c| s.splat(unsafe { *vp.add(c * vstride + k) }));
        for (g, acc_g) in acc.iter_mut().enumerate() {
            for ((at, run), acc_q) in runs.iter().zip(acc_g.iter_mut()) {
                // SAFETY: the vector starts inside gate `g0 + g`'s run of column `k` (in `w`).
                let wv = unsafe { load_w::<S, FULL>(s, w, at + (k * G + g0 + g) * run) };
                for (a, &xc) in acc_q.iter_mut().zip(&xs) {
                    *a = s.madd(*a, wv, xc);
                }
            }
        }
    }
}

/// A strip's gate sums between its pass and its update, and where they belong.
struct Pending<V, const G: usize, const CC: usize, const PV: usize> {
    /// The strip's first unit.
    j0: usize,
    /// Its unit count.
    n: usize,
    /// Its vector count (at most `PV`).
    nv: usize,
    /// Its first channel.
    ch: usize,
    /// `acc[g][q][c]`: gate `g`'s sum for vector `q` of channel `ch + c` (replaced by the
    /// gate's activation where a stage activates it in place).
    acc: [[[V; CC]; PV]; G],
    /// GRU: the n gate's input part, kept apart from its recurrent part (`acc[2]`).
    nx: [[V; CC]; PV],
}

impl<V: Copy, const G: usize, const CC: usize, const PV: usize> Pending<V, G, CC, PV> {
    /// No strip yet (every vector `zero`).
    #[inline(always)]
    fn empty(zero: V) -> Self {
        Pending { j0: 0, n: 0, nv: 0, ch: 0, acc: [[[zero; CC]; PV]; G], nx: [[zero; CC]; PV] }
    }

    /// Units in vector `q` of the strip (fewer than `lanes` only in a partial last vector).
    #[inline(always)]
    fn units(&self, q: usize, lanes: usize) -> usize {
        if q + 1 == self.nv {
            self.n - q * lanes
        } else {
            lanes
        }
    }
}

/// Stages per vector and channel of a strip's update (see [`stage`]): one per gate activated
/// in place (LSTM i, f, g, o; CIFG i, g, o; GRU r, z), then the one that combines the gates,
/// with the activations that wait on them (`tanh(c)`, GRU's n gate, an RNN's only one), into
/// the new state.
const fn stages(k: u8) -> usize {
    match k {
        kind::LSTM => 5,
        kind::CIFG => 4,
        kind::GRU => 3,
        _ => 1,
    }
}

/// Multiply-adds in flight that keep AVX2's FMA units busy (Zen 3: latency 4 × 2 units).
const FMA_SLOTS: usize = 8;
/// Packed weights per step from which an AVX2 pass with every FMA slot taken waits on L2 long
/// enough to hide a strip's update (twice the 32 KiB L1 data cache; see [`interleaves`]).
const STREAMING_BYTES: usize = 64 * 1024;

/// Packed weights per step up to which AVX-512 cells run four full blocks in one strip (see
/// [`drive`]): LSTM-64's 65 KiB took 0.94–0.955 of block pairs' time, LSTM-72 (82 KiB) and
/// LSTM-80 1.08, GRU-80 and GRU-96 (76 and 108 KiB) 1.00 (Zen 5, 48 KiB L1d).
const QUAD_BYTES: usize = 72 * 1024;

/// Whether the strips of a channel grouping whose widest strip holds `accs` accumulators run
/// the previous strip's update inside their recurrent pass (see [`strip`]), for a layer of
/// `bytes` of packed weights: where the tier asks for it ([`Simd::INTERLEAVE`]), the stages
/// find registers beside the accumulators (with 12, they spilled and measured slower), and
/// the pass leaves multiply-add slots free for them: fewer accumulators than [`FMA_SLOTS`]
/// (GRU, CIFG: 6), or weights that stream from L2 ([`STREAMING_BYTES`]). LSTM + Dense steps
/// on Zen 3 (I = 1), interleaved against not: H = 32 (17 KiB) 1.08×, H = 40 (26 KiB) 1.25×,
/// H = 48 (38 KiB) 1.00×, H = 56 (51 KiB) 1.04×, H = 64 (66 KiB) 0.93–0.98×.
const fn interleaves<S: Simd>(k: u8, accs: usize, bytes: usize) -> bool {
    S::INTERLEAVE && k != kind::PROJ && accs <= 8 && (accs < FMA_SLOTS || bytes > STREAMING_BYTES)
}

/// Whether a layer of `hidden` units sums its recurrent columns in two halves, each its own
/// chain of multiply-adds, added at the end: at H = 8 the `h → h` chain then waits on 4
/// multiply-adds and an add instead of 8 (see the README, "Recurrent sums in halves"). The
/// rule depends only on the layer's size, so every channel grouping and mode of a tier, and
/// AVX-512 and AVX2, compute the same bits. Above 8 units a strip's accumulators already
/// fill the multiply-add slots, and doubling them spilled (AVX2 LSTM-16: 1.09× the time);
/// below 4 the chain is short anyway.
const fn halves<S: Simd>(hidden: usize) -> bool {
    S::HALVES && HALVES_MIN <= hidden && hidden <= HALVES_MAX
}

/// Whether strips of `NV` vectors can hold a layer that [`halves`] applies to (a strip of
/// `NV` vectors has more than `(NV − 1)·LANES` units): only those shapes carry the second
/// form of the recurrent pass, which keeps it out of every wider strip's code.
const fn halves_shape<S: Simd, const NV: usize>() -> bool {
    S::HALVES && (NV - 1) * S::LANES < HALVES_MAX
}

/// Smallest layer whose recurrent sums run in halves (see [`halves`]).
const HALVES_MIN: usize = 4;
/// Largest layer whose recurrent sums run in halves (see [`halves`]).
const HALVES_MAX: usize = 8;

/// [`accumulate`] over all of `h`'s columns (`0..hidden`), in two halves where [`halves`]
/// says so: columns `0..hidden/2` onto `acc`, the rest onto zero, then their sum.
///
/// # Safety
/// As for [`accumulate`] with `k0 = 0`, `k1 = hidden`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn recurrent<S: Simd, const G: usize, const NV: usize, const CC: usize, const EXACT: bool>(
    s: S,
    acc: &mut [[[S::V; CC]; NV]],
    g0: usize,
    w: &[f32],
    runs: Runs<NV>,
    h: &[f32],
    hidden: usize,
) {
    if halves_shape::<S, NV>() && halves::<S>(hidden) {
        let m = hidden / 2;
        let zero = s.splat(0.0);
        // Channel by channel, each channel's two chains at once: with a group's channels
        // together, the second half's accumulators would double the group's (AVX2 LSTM-8,
        // two channels: 16, which spilled, 1.17× the time per channel; channels in strips
        // of their own, 1.23×). Each weight vector is loaded once per channel instead.
        for c in 0..CC {
            let g_n = acc.len();
            let mut lo = [[[zero; 1]; NV]; G];
            let mut hi = [[[zero; 1]; NV]; G];
            for (lo_g, acc_g) in lo.iter_mut().zip(acc.iter()) {
                for (lo_q, acc_q) in lo_g.iter_mut().zip(acc_g) {
                    lo_q[0] = acc_q[c];
                }
            }
            let hc = &h[c * hidden..];
            // SAFETY: the caller's guarantees, for channel `c` alone (`hc` holds its `h`) and
            // columns `0..m` and `m..hidden`.
            unsafe {
                accumulate::<S, G, NV, 1, EXACT>(s, &mut lo[..g_n], g0, w, runs, 0, m, hc, hidden);
                accumulate::<S, G, NV, 1, EXACT>(s, &mut hi[..g_n], g0, w, runs, m, hidden, hc, hidden);
            }
            for ((acc_g, lo_g), hi_g) in acc.iter_mut().zip(&lo).zip(&hi) {
                for ((acc_q, lo_q), hi_q) in acc_g.iter_mut().zip(lo_g).zip(hi_g) {
                    acc_q[c] = s.add(lo_q[0], hi_q[0]);
                }
            }
        }
    } else {
        // SAFETY: the caller's guarantees.
        unsafe { accumulate::<S, G, NV, CC, EXACT>(s, acc, g0, w, runs, 0, hidden, h, hidden) };
    }
}

/// The activation pair's sigmoid (or, with `TANH`, tanh) of vector `v`, whose first `n`
/// lanes are units: the tier's vectorised fast form, or libm per lane for the exact pair, on
/// those `n` lanes only (a partial vector's other lanes are never stored, and each libm call
/// costs as much as a fast vector).
#[inline(always)]
fn activate<S: Simd, A: Activation, const TANH: bool>(s: S, v: S::V, n: usize) -> S::V {
    match (A::KIND, TANH) {
        (ActivationKind::Fast, false) => s.fast_sigmoid(v),
        (ActivationKind::Fast, true) => s.fast_tanh(v),
        (ActivationKind::Exact, false) => s.map_n(v, n, A::sigmoid),
        (ActivationKind::Exact, true) => s.map_n(v, n, A::tanh),
    }
}

/// Stage `sub` of the update of vector `q` (`nq` units), channel `c` of strip `p`: a gate's
/// activation (in place in `p.acc`), or the last stage, which combines the gates and writes
/// the new `h` (and `c`). Per value the operations are the scalar cell's; where a sum's
/// last product waits on an activation (LSTM `i·g`, CIFG `g·i`, GRU `r·n_h` and `(1 − z)·n`),
/// it is added with `madd`, so FMA tiers fuse it like the gate sums (2 cycles off the
/// `h → h` chain each) and the other tiers keep the scalar's bits.
///
/// # Safety
/// `a` satisfies its field docs for the strip's channels; `p` holds a strip of `a` whose
/// stages before `sub` ran; `sub < stages(K)`, `q < p.nv`, `c < CC`, `nq` is vector `q`'s
/// unit count.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn stage<S: Simd, A: Activation, const K: u8, const G: usize, const CC: usize, const PV: usize>(
    s: S,
    a: &Args<'_>,
    p: &mut Pending<S::V, G, CC, PV>,
    sub: usize,
    q: usize,
    c: usize,
    nq: usize,
) {
    let acc = &mut p.acc;
    if sub + 1 < stages(K) {
        // The gate this stage activates is `sub`: LSTM i, f, g, o; CIFG i, g, o; GRU r, z.
        let tanh_gate = match K {
            kind::LSTM => 2,
            kind::CIFG => 1,
            _ => G,
        };
        let v = acc[sub][q][c];
        acc[sub][q][c] =
            if sub == tanh_gate { activate::<S, A, true>(s, v, nq) } else { activate::<S, A, false>(s, v, nq) };
        return;
    }
    let at = (p.ch + c) * a.hidden + p.j0 + q * S::LANES;
    let one = s.splat(1.0);
    let hn = match K {
        kind::LSTM | kind::CIFG => {
            // SAFETY: `c` holds `hidden` floats per channel.
            let cp = unsafe { load_n(s, a.c.add(at), nq) };
            let (cn, o) = if K == kind::LSTM {
                let (i, f, g) = (acc[0][q][c], acc[1][q][c], acc[2][q][c]);
                (s.madd(s.mul(f, cp), i, g), acc[3][q][c])
            } else {
                let (i, g) = (acc[0][q][c], acc[1][q][c]);
                (s.madd(s.mul(cp, s.sub(one, i)), g, i), acc[2][q][c])
            };
            // SAFETY: as above.
            unsafe { store_n(s, a.c.add(at), nq, cn) };
            s.mul(o, activate::<S, A, true>(s, cn, nq))
        }
        kind::GRU => {
            let (r, z) = (acc[0][q][c], acc[1][q][c]);
            let nn = activate::<S, A, true>(s, s.madd(p.nx[q][c], r, acc[2][q][c]), nq);
            // SAFETY: `h` holds `hidden` floats per channel.
            let hp = unsafe { load_n(s, a.h.as_ptr().add(at), nq) };
            s.madd(s.mul(z, hp), s.sub(one, z), nn)
        }
        kind::RNN_TANH => activate::<S, A, true>(s, acc[0][q][c], nq),
        _ => s.relu(acc[0][q][c]),
    };
    // SAFETY: `out` holds `hidden` floats per channel.
    unsafe { store_n(s, a.out.add(at), nq, hn) };
}

/// Stage `sub` (see [`stage`]) of strip `p`'s update for all its vectors and channels.
///
/// # Safety
/// As for [`stage`]: `a` satisfies its field docs for `p`'s channels, `p` is a strip of `a`
/// whose stages before `sub` ran, `sub < stages(K)`.
#[inline(always)]
unsafe fn stage_all<S: Simd, A: Activation, const K: u8, const G: usize, const CC: usize, const PV: usize>(
    s: S,
    a: &Args<'_>,
    p: &mut Pending<S::V, G, CC, PV>,
    sub: usize,
) {
    for q in 0..p.nv {
        let nq = p.units(q, S::LANES);
        for c in 0..CC {
            // SAFETY: the caller's guarantee; `q < nv`, `c < CC`, `nq` is vector `q`'s units.
            unsafe { stage::<S, A, K, G, CC, _>(s, a, p, sub, q, c, nq) };
        }
    }
}

/// One strip: units `j0 .. j0 + n` (inside the block starting at `blk` of width `width`, or
/// where `NV·LANES > BLOCK`, in the full block at `blk` (`width == BLOCK`) and the next, which
/// the strip fills to its end unless `next_full` says that block is full), channels
/// `ch .. ch + CC`.
///
/// Where the strip [`interleaves`], its update is left in `pend` (`*waiting` set) and the
/// waiting strip's update, if any, runs inside this strip's recurrent pass: one stage kind
/// after each of `stages(K)` chunks of columns. A strip's sums depend only on the previous
/// `h`, never on another strip's update, so the order is free; interleaved, the out-of-order
/// core runs the activations' dependency chains beside this strip's multiply-adds instead of
/// after them. Same operations, same bits.
///
/// # Safety
/// `args` satisfies its field docs for `ch + CC` channels, `n <= NV·LANES`,
/// `n > (NV − 1)·LANES`, and `n == NV·LANES` if `EXACT`; `NV <= 3`, or a strip of up to
/// [`RNN_VECS`] vectors over whole full blocks (an RNN's, AVX-512 cells' four, or a 4-lane
/// GRU's or CIFG's one); if `*waiting`, `pend` is a strip of `a` whose update has not run.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn strip<
    S: Simd,
    A: Activation,
    const K: u8,
    const G: usize,
    const NV: usize,
    const CC: usize,
    const EXACT: bool,
>(
    s: S,
    a: &Args<'_>,
    blk: usize,
    width: usize,
    next_full: bool,
    j0: usize,
    n: usize,
    ch: usize,
    pend: &mut Pending<S::V, G, CC, 2>,
    waiting: &mut bool,
    final_strip: bool,
) {
    let lanes = S::LANES;
    let hid = a.hidden;
    let last = if EXACT { lanes } else { n - (NV - 1) * lanes };
    let nq = |q: usize| if q + 1 == NV { last } else { lanes };
    let zero = s.splat(0.0);
    // More than two vectors (AVX2's three-vector strips, see `drive`) leave no registers for
    // another strip's update: a waiting one runs first, and this strip's never waits.
    let wide = NV > 2;
    if wide && *waiting {
        for sub in 0..stages(K) {
            // SAFETY: `pend` is a waiting strip of `a` (the caller's guarantee).
            unsafe { stage_all::<S, A, K, G, CC, _>(s, a, pend, sub) };
        }
        *waiting = false;
    }
    let mut acc = [[[zero; CC]; NV]; G];
    for (g, acc_g) in acc.iter_mut().enumerate() {
        for (q, acc_q) in acc_g.iter_mut().enumerate() {
            for (c, a_c) in acc_q.iter_mut().enumerate() {
                let i = (ch + c) * a.init_stride + g * hid + j0 + q * lanes;
                // SAFETY: `init` holds `G·hidden` rows per channel; `i + nq(q) <= row end`.
                *a_c = unsafe { load_n(s, a.init.as_ptr().add(i), nq(q)) };
            }
        }
    }
    let off = j0 - blk;
    // A strip wider than a block (AVX-512's two-vector pairs, AVX2's three-vector strips;
    // see `drive`) spans block `blk` (full) and the next: its vectors past the first block
    // find their runs in that one, whose width is `BLOCK` where `next_full`, else the strip's
    // units in it (the strip then starts at `blk` and ends at that block's end).
    let pair = NV * S::LANES > BLOCK;
    debug_assert!(!pair || (width == BLOCK && (next_full || (off == 0 && n > BLOCK))), "a strip of two blocks");
    // A strip over more than two blocks (an RNN's, or AVX-512 cells' four; see `drive`) is
    // whole full blocks from `blk` on.
    let span = NV * S::LANES > 2 * BLOCK;
    debug_assert!(!span || (off == 0 && next_full && EXACT), "a strip of whole full blocks");
    let runs_x = strip_runs::<NV, G, EXACT>(lanes, blk, off, n, width, next_full, pair, span, a.inputs);
    let runs_h = strip_runs::<NV, G, EXACT>(lanes, blk, off, n, width, next_full, pair, span, hid);
    // Too many accumulators for the register file: two passes over disjoint halves of the
    // gates (never GRU, whose n gate is reset between its two parts; at most 12 of them).
    let split = K != kind::GRU && G * NV * CC > S::ACC_REGS;
    if split {
        // A gate's run of one column is one packed 16-float line, so every line is still
        // read once, and each gate's sum keeps its column order (the same bits).
        // Straight-line passes (a loop over the halves would keep `acc` in memory).
        let (lo, hi) = acc.split_at_mut(G / 2);
        if a.xpart {
            let x = &a.x[ch * a.inputs..];
            // SAFETY: the block's packed input columns lie in `wx`; `x` holds CC·inputs
            // floats from channel `ch` on; `lo`, `hi` hold gates `0..G/2`, `G/2..G`.
            unsafe {
                accumulate::<S, G, NV, CC, EXACT>(s, lo, 0, a.wx, runs_x, 0, a.inputs, x, a.inputs);
            }
        }
        if K != kind::PROJ {
            let h = &a.h[ch * hid..];
            // SAFETY: the block's packed recurrent columns lie in `wh`; `h` holds CC·hidden
            // floats from channel `ch` on.
            unsafe { recurrent::<S, G, NV, CC, EXACT>(s, lo, 0, a.wh, runs_h, h, hid) };
        }
        if a.xpart {
            let x = &a.x[ch * a.inputs..];
            // SAFETY: as for the first half.
            unsafe {
                accumulate::<S, G, NV, CC, EXACT>(s, hi, G / 2, a.wx, runs_x, 0, a.inputs, x, a.inputs);
            }
        }
        if K != kind::PROJ {
            let h = &a.h[ch * hid..];
            // SAFETY: as for the first half.
            unsafe { recurrent::<S, G, NV, CC, EXACT>(s, hi, G / 2, a.wh, runs_h, h, hid) };
        }
    } else if a.xpart {
        // SAFETY: as in the first pass above, for all gates.
        unsafe {
            accumulate::<S, G, NV, CC, EXACT>(
                s,
                &mut acc,
                0,
                a.wx,
                runs_x,
                0,
                a.inputs,
                &a.x[ch * a.inputs..],
                a.inputs,
            )
        };
    }
    if K == kind::PROJ {
        for (g, acc_g) in acc.iter().enumerate() {
            for (q, acc_q) in acc_g.iter().enumerate() {
                for (c, &v) in acc_q.iter().enumerate() {
                    let i = (ch + c) * a.out_stride + g * hid + j0 + q * lanes;
                    // SAFETY: `out` holds `out_stride` floats per channel, rows of `hidden`.
                    unsafe { store_n(s, a.out.add(i), nq(q), v) };
                }
            }
        }
        return;
    }
    // GRU: the n gate keeps its input sum apart; its recurrent sum starts from b_hn.
    let mut nx = [[zero; CC]; NV];
    if K == kind::GRU {
        for (q, (acc_q, nx_q)) in acc[2].iter_mut().zip(&mut nx).enumerate() {
            // SAFETY: bias row 3 (b_hn) holds `hidden` floats.
            let b_hn = unsafe { load_n(s, a.b.as_ptr().add(3 * hid + j0 + q * lanes), nq(q)) };
            for (a_c, nx_c) in acc_q.iter_mut().zip(nx_q.iter_mut()) {
                *nx_c = *a_c;
                *a_c = b_hn;
            }
        }
    }
    // Decided per channel grouping, by its widest strip (2 vectors), and per layer and mode
    // (`step_bytes`), so that every strip of a grouping agrees: each runs the update the
    // one before it left. Interleaving strips have at most 8 accumulators, so they never
    // `split`.
    let bytes = a.step_bytes::<G>();
    // (Never a layer whose recurrent sums run in halves: the interleaved pass runs its
    // columns in chunks, in order.)
    let in_halves = halves_shape::<S, NV>() && halves::<S>(hid);
    let interleaved = !wide && !in_halves && interleaves::<S>(K, G * 2 * CC, bytes);
    // Otherwise GRU strips go in pairs whose updates run together (see `Simd::DEFER`; LSTM
    // pairs measured 1.03–1.15× slower on AVX2 at H ≥ 32, so LSTM strips never pair).
    let deferred = S::DEFER && !interleaved && K == kind::GRU && !wide;
    debug_assert!(!*waiting || (interleaved && !split) || deferred, "a waiting update would be dropped");
    if !split {
        let h = &a.h[ch * hid..];
        if interleaved && *waiting {
            // The waiting strip's stages, one stage kind (for all its vectors and channels)
            // after each of `stages(K)` chunks of this strip's recurrent columns.
            let chunk = hid.div_ceil(stages(K));
            for sub in 0..stages(K) {
                let (k0, k1) = ((sub * chunk).min(hid), ((sub + 1) * chunk).min(hid));
                // SAFETY: columns `k0..k1` of the strip's packed recurrent columns (in `wh`);
                // `h` holds `(CC − 1)·hidden + k1` floats.
                unsafe { accumulate::<S, G, NV, CC, EXACT>(s, &mut acc, 0, a.wh, runs_h, k0, k1, h, hid) };
                // SAFETY: `pend` is a waiting strip of `a` (the caller's guarantee), its stages
                // before `sub` ran.
                unsafe { stage_all::<S, A, K, G, CC, _>(s, a, pend, sub) };
            }
            *waiting = false;
        } else {
            // SAFETY: the block's packed recurrent columns lie in `wh`; `h` holds CC·hidden
            // floats from channel `ch` on.
            unsafe { recurrent::<S, G, NV, CC, EXACT>(s, &mut acc, 0, a.wh, runs_h, h, hid) };
        }
    }
    if wide {
        // A strip wider than two vectors (see `drive`): the update stage-major over its
        // vectors and channels (AVX-512 two channels of GRU-64, vector by vector instead:
        // 1.04× the time).
        let mut p = Pending { j0, n, nv: NV, ch, acc, nx };
        for sub in 0..stages(K) {
            for q in 0..NV {
                for c in 0..CC {
                    // SAFETY: `p` is this strip, of `a`; the stages run in order.
                    unsafe { stage::<S, A, K, G, CC, NV>(s, a, &mut p, sub, q, c, nq(q)) };
                }
            }
        }
        return;
    }
    // (Copied into a strip of two vectors, as `pend` holds, also for one: building `p` from
    // `acc` directly cost AVX-512 GRU-32 1.5 ns per step, with a spill.)
    let mut p = Pending { j0, n, nv: NV, ch, acc: [[[zero; CC]; 2]; G], nx: [[zero; CC]; 2] };
    for (slot, acc_g) in p.acc.iter_mut().zip(&acc) {
        slot[..NV].copy_from_slice(acc_g);
    }
    p.nx[..NV].copy_from_slice(&nx);
    if (interleaved || (deferred && !*waiting)) && !final_strip {
        *pend = p;
        *waiting = true;
        return;
    }
    if deferred && *waiting {
        // The pair's updates, stage by stage: the two strips' dependency chains overlap.
        for sub in 0..stages(K) {
            // SAFETY: `pend` is a waiting strip of `a` (the caller's guarantee), its stages
            // before `sub` ran.
            unsafe { stage_all::<S, A, K, G, CC, _>(s, a, pend, sub) };
            // This strip's own stages loop over the constant `NV`, not `stage_all`'s `p.nv`:
            // with `p.nv` the generated code changed (89220e9), so the indices stay constants.
            for q in 0..NV {
                for c in 0..CC {
                    // SAFETY: `p` is this strip, of `a`; the stages run in order.
                    unsafe { stage::<S, A, K, G, CC, _>(s, a, &mut p, sub, q, c, nq(q)) };
                }
            }
        }
        *waiting = false;
        return;
    }
    // The update on the sums still in registers (`p`'s indices are constants here). One
    // stream's strips run stage-major, so that independent activations of all vectors
    // overlap (GRU: r and z before the n gate, which waits for r); multi-channel strips go
    // vector by vector (with all their vectors live they ran out of registers, slower), each
    // stage-major over its channels, whose chains then overlap (channel after channel was
    // slower: AVX2 LSTM-64 4–7 % per step at C = 2..8, LSTM-16 and -32 up to 12 %).
    if CC == 1 {
        for sub in 0..stages(K) {
            for q in 0..NV {
                // SAFETY: `p` is this strip, of `a`; the stages run in order.
                unsafe { stage::<S, A, K, G, CC, _>(s, a, &mut p, sub, q, 0, nq(q)) };
            }
        }
    } else {
        for q in 0..NV {
            for sub in 0..stages(K) {
                for c in 0..CC {
                    // SAFETY: as above.
                    unsafe { stage::<S, A, K, G, CC, _>(s, a, &mut p, sub, q, c, nq(q)) };
                }
            }
        }
    }
}

/// The runs (see [`Runs`]) of a strip's vectors in a packed matrix of `cols` columns, for
/// [`strip`] (its arguments and its `pair` and `span` flags). Block `blk`'s packed columns
/// start at `blk·cols·G` (the blocks before it are full).
///
/// A function of its own, inlined, filled by a plain loop: as a closure inside `strip`
/// (built by `core::array::from_fn`, or by a loop) it was not inlined where `strip` is large
/// (four vectors or more), its results were not constants, and the pass kept a pointer and
/// a stride register per vector (AVX-512 RNN-64: 1.2× the time, AVX2 RNN-64 1.3×).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn strip_runs<const NV: usize, const G: usize, const EXACT: bool>(
    lanes: usize,
    blk: usize,
    off: usize,
    n: usize,
    width: usize,
    next_full: bool,
    pair: bool,
    span: bool,
    cols: usize,
) -> Runs<NV> {
    let mut r = [(0, 0); NV];
    for (q, r_q) in r.iter_mut().enumerate() {
        *r_q = match pair && off + q * lanes >= BLOCK {
            // Whole full blocks from `blk` on.
            true if span => ((blk + q * lanes - q * lanes % BLOCK) * cols * G + q * lanes % BLOCK, BLOCK),
            // (A constant where the strip is whole vectors, as the loads' strides fold.)
            true => (
                (blk + BLOCK) * cols * G + off + q * lanes - BLOCK,
                match (next_full, EXACT) {
                    (true, _) => BLOCK,
                    (false, true) => NV * lanes - BLOCK,
                    (false, false) => n - BLOCK,
                },
            ),
            false => (blk * cols * G + off + q * lanes, width),
        };
    }
    r
}

/// Runs `strip` with the right vector count for `n` units (`n <= MAXNV·LANES`, `MAXNV <= 3`;
/// three vectors only where [`tail3`]).
/// Only the shapes `MAXNV` allows are instantiated.
///
/// # Safety
/// As for [`strip`] (`args` for `ch + CC` channels, units `j0 .. j0 + n` inside the block; a
/// waiting `pend` is a strip of `a`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn strip_n<S: Simd, A: Activation, const K: u8, const G: usize, const CC: usize, const MAXNV: usize>(
    s: S,
    a: &Args<'_>,
    blk: usize,
    width: usize,
    next_full: bool,
    j0: usize,
    n: usize,
    ch: usize,
    pend: &mut Pending<S::V, G, CC, 2>,
    waiting: &mut bool,
    final_strip: bool,
) {
    let full = n.is_multiple_of(S::LANES);
    // `strip` with `NV` vectors, whole (`EXACT`) or not.
    macro_rules! go {
        ($nv:literal, $exact:literal) => {
            strip::<S, A, K, G, $nv, CC, $exact>(s, a, blk, width, next_full, j0, n, ch, pend, waiting, final_strip)
        };
    }
    // SAFETY (all arms): forwarded from `drive`; the arm matches `n`'s vector count.
    unsafe {
        // A `match` on the constant (not an `if`): the compiler drops the dead arm before
        // generating code, so a one-vector drive carries two strip shapes, not four.
        match MAXNV {
            1 => match full {
                true => go!(1, true),
                false => go!(1, false),
            },
            // A full block and a partial one of at most one vector (AVX2): see `drive`.
            _ if MAXNV == 3 && tail3::<S, G>() && n > 2 * S::LANES => match full {
                true => go!(3, true),
                false => go!(3, false),
            },
            _ => match (n > S::LANES, full) {
                (false, true) => go!(1, true),
                (false, false) => go!(1, false),
                (true, true) => go!(2, true),
                (true, false) => go!(2, false),
            },
        }
    }
}

/// Whether one stream's last, partial block, if at most one vector wide, may join the full
/// block before it in one three-vector strip (see `drive`): AVX2, where a block is two
/// vectors, for cells whose three vectors of accumulators fit the register file.
const fn tail3<S: Simd, const G: usize>() -> bool {
    2 * S::LANES == BLOCK && 3 * G <= S::ACC_REGS
}

/// Vectors of one RNN stream's wide strips (see `drive`): 8 accumulators, one per vector.
const RNN_VECS: usize = 8;

/// Accumulators of a Dense layer's wide strips (see [`proj_wide`]): 8 keep the FMA units of
/// every tier busy, where a one-block strip (2 AVX2 vectors of one channel) waits on the
/// multiply-add latency.
const PROJ_ACCS: usize = 8;

/// Units `j0 .. j0 + NV·LANES` of a one-gate projection (a Dense layer, `G = 1`) for
/// channels `ch .. ch + CC`: whole packed blocks, all in one pass over the input columns,
/// so that `NV·CC` independent sums hide the multiply-add latency (each loaded weight vector
/// serves the `CC` channels). Per unit the operations are [`strip`]'s (init, then `w·x[k]`
/// for `k = 0..inputs`): the same bits.
///
/// # Safety
/// `a` satisfies its field docs for channels `ch .. ch + CC`; the units lie in full blocks
/// (`j0 + NV·LANES <= hidden − hidden % BLOCK`), `j0` a multiple of `LANES`.
#[inline(always)]
unsafe fn proj_wide<S: Simd, const NV: usize, const CC: usize>(s: S, a: &Args<'_>, j0: usize, ch: usize) {
    let lanes = S::LANES;
    let mut acc: [[S::V; CC]; NV] = core::array::from_fn(|q| {
        core::array::from_fn(|c| {
            // SAFETY: `init` holds `hidden` floats per channel from `init_stride·channel`.
            unsafe { s.load(a.init.as_ptr().add((ch + c) * a.init_stride + j0 + q * lanes)) }
        })
    });
    let x = &a.x[ch * a.inputs..][..CC * a.inputs];
    for k in 0..a.inputs {
        let xs: [S::V; CC] = core::array::from_fn(|c| s.splat(x[c * a.inputs + k]));
        for (q, acc_q) in acc.iter_mut().enumerate() {
            let j = j0 + q * lanes;
            let blk = j - j % BLOCK;
            // SAFETY: unit `j`'s block is full, so column `k` of it holds `BLOCK` floats from
            // `blk·inputs + k·BLOCK`, of which this vector reads `j − blk .. j − blk + LANES`.
            let wv = unsafe { s.load(a.wx.as_ptr().add(blk * a.inputs + k * BLOCK + (j - blk))) };
            for (acc_c, &xc) in acc_q.iter_mut().zip(&xs) {
                *acc_c = s.madd(*acc_c, wv, xc);
            }
        }
    }
    for (q, acc_q) in acc.iter().enumerate() {
        for (c, &v) in acc_q.iter().enumerate() {
            // SAFETY: `out` holds `out_stride` floats per channel, the units are in range.
            unsafe { s.store(a.out.add((ch + c) * a.out_stride + j0 + q * lanes), v) };
        }
    }
}

/// The wide strips of a Dense layer (`PROJ`, one gate) over its full blocks: pairs of
/// channels (`CC = 2`) in strips of `PROJ_ACCS / 2` vectors, the other channels one at a time
/// in strips of `PROJ_ACCS` vectors. Returns the first block each of the two left to
/// [`drive`]'s one-block strips (for the channel groups, and for the channels left over).
///
/// # Safety
/// As for [`drive`].
#[inline(always)]
unsafe fn proj_wide_strips<S: Simd, const CC: usize>(s: S, a: &Args<'_>, channels: usize) -> (usize, usize) {
    const { assert!((PROJ_ACCS / 2 * S::LANES).is_multiple_of(BLOCK), "wide strips are whole blocks") };
    let full = a.hidden - a.hidden % BLOCK;
    let (mut ch0, mut first_cc) = (0, 0);
    if CC == 2 && channels >= 2 {
        let wide = PROJ_ACCS / 2 * S::LANES;
        for t in 0..full / wide {
            let mut ch = 0;
            while ch + 2 <= channels {
                // SAFETY: forwarded; the strip's units lie in full blocks (counted above).
                unsafe { proj_wide::<S, { PROJ_ACCS / 2 }, 2>(s, a, t * wide, ch) };
                ch += 2;
            }
        }
        first_cc = full / wide * wide / BLOCK;
        ch0 = channels - channels % 2;
    }
    let wide = PROJ_ACCS * S::LANES;
    for t in 0..full / wide {
        for ch in ch0..channels {
            // SAFETY: as above.
            unsafe { proj_wide::<S, PROJ_ACCS, 1>(s, a, t * wide, ch) };
        }
    }
    (first_cc, full / wide * wide / BLOCK)
}

/// Every strip of every block, for `channels` channels: groups of `CC` channels with strips of
/// up to `NV ∈ {1, 2}` vectors, then the channels left over one at a time. With fewer than `CC`
/// channels (one stream) the strips are two vectors wide, as for `CC = 1` (AVX2: three where
/// a partial last block joins the full one before it, and for GRU and CIFG over each three
/// full blocks while the weights fit L1; AVX-512: block pairs, and four full blocks in one
/// strip where the weights take at most `QUAD_BYTES`; SSE2 and NEON: a GRU's or CIFG's full
/// blocks one per strip, `Simd::BLOCK_STRIPS`). Each strip shape is
/// generated once: the single-channel code serves both one stream and the leftovers.
///
/// # Safety
/// `a` satisfies its field docs for `channels` channels (checked by [`check`]-style asserts in
/// the callers).
#[inline(always)]
pub(crate) unsafe fn drive<S: Simd, A: Activation, const K: u8, const G: usize, const NV: usize, const CC: usize>(
    s: S,
    a: &Args<'_>,
    channels: usize,
) {
    // Where a three-gate cell's channels go alone (`Simd::THREE_GATES_ALONE`): the drive of
    // one-channel groupings, which runs any number of channels one at a time.
    if S::THREE_GATES_ALONE && CC > 1 && G == 3 && K != kind::PROJ {
        // SAFETY: forwarded.
        return unsafe { drive::<S, A, K, G, NV, 1>(s, a, channels) };
    }
    let hid = a.hidden;
    let grouped = CC > 1 && channels >= CC;
    let strip_units = if grouped { NV * S::LANES } else { 2 * S::LANES };
    // The strip of each channel grouping whose update waits (where strips interleave).
    let zero = s.splat(0.0);
    let (mut pend_cc, mut waiting_cc) = (Pending::empty(zero), false);
    let (mut pend_1, mut waiting_1) = (Pending::empty(zero), false);
    // Counted loops (not `while` over offsets): with const sizes LLVM then knows every strip's
    // shape and offsets, and generates each strip specialised instead of a generic strip loop
    // (AVX2 LSTM-32: 12.5 % fewer instructions per step, gungraun).
    let blocks = hid.div_ceil(BLOCK);
    // Dense layers (one gate): their full blocks in wide strips first (AVX2, SSE2, simd128;
    // NEON's groups of 4 channels keep their one-block strips).
    let (first_cc, first_1) = if K == kind::PROJ && G == 1 && (CC == 1 || CC == 2) {
        // SAFETY: forwarded.
        unsafe { proj_wide_strips::<S, CC>(s, a, channels) }
    } else {
        (0, 0)
    };
    // Where a vector is a whole block (AVX-512: 16 lanes), a strip inside one block has one
    // vector, whose accumulators (3 or 4 per channel) leave most of the multiply-add slots
    // idle: blocks then go in pairs, each pair one two-vector strip (the same operations per
    // unit; `strip` finds the second vector's runs in the next block, which may be the
    // partial last one). Cells only, with two-vector strips for every grouping (`NV == 2`),
    // and only while the weights stream from L1: Zen 5 one stream, pairs against single
    // blocks, LSTM-32 0.78, GRU-32 0.80, GRU-64 (49 KiB) 0.64, LSTM-64 (65 KiB) 1.00,
    // LSTM-128 and GRU-128 (≥ 194 KiB) 1.4–1.5; with a partial second block (H = 20, 24,
    // 28) LSTM 0.79–0.80, GRU 0.71–0.79. Also a cell's input projections in sequence mode
    // (`PROJ` with `G > 1`, several steps per call): there a pair's columns are read again
    // for each group of steps, so they, not the layer's weights, are what must stay in L1
    // (AVX-512 GRU I = 64 H = 64, 256 steps: 0.93 of the time per step).
    let bytes = a.step_bytes::<G>();
    let pairs = S::LANES == BLOCK && NV == 2 && if K == kind::PROJ { G > 1 } else { bytes <= STREAMING_BYTES };
    // AVX2, one stream: a partial last block of at most one vector would be a one-vector
    // strip of its own, waiting on the multiply-add latency like the strip before it; it
    // joins the last full block in a three-vector strip (same operations per unit). Zen 5,
    // I = 1 + Dense, H = 20, 24, 36, 40 against two strips: LSTM 0.83–0.87, GRU 0.74–0.81.
    let tail = hid % BLOCK;
    let three = tail3::<S, G>() && !grouped && K != kind::PROJ && blocks >= 2 && tail != 0 && tail <= S::LANES;
    // AVX2, one stream of a three-gate cell (GRU, CIFG), whose two-vector strips (6
    // accumulators) wait on the multiply-add latency: three full blocks (six vectors) go as
    // two three-vector strips (9 each), the second starting half-way into the middle block
    // (same operations per unit). Only while the weights stream from L1: the middle block's
    // lines are read by both strips. Zen 5, I = 1 + Dense, against two-vector strips: GRU-48
    // 0.93–0.94, GRU-64 0.93–0.94, CIFG-48 0.97, CIFG-64 0.96, GRU I = 16 H = 64 0.97;
    // GRU-128 (194 KiB, from L2) 1.14 and RNN (3 accumulators) 0.87–1.09 do not use them.
    let triples = tail3::<S, G>() && !grouped && G == 3 && K != kind::PROJ && bytes <= STREAMING_BYTES;
    let tri_blocks = if triples { (if three { blocks - 2 } else { hid / BLOCK }) / 3 * 3 } else { 0 };
    // One stream of an RNN (one gate), every SIMD tier: a two-vector strip holds 2
    // accumulators and waits on the multiply-add latency most of its pass, so the full blocks
    // go in strips of `RNN_VECS` vectors (8 accumulators), then of 6 where those are whole
    // blocks (8 and 16 lanes; AVX2 H = 48 as 4 + 2 vectors took 1.21× as long as three
    // two-vector strips), then of 4. Same operations per unit. Zen 5, I = 1 + Dense, against
    // two-vector strips (SSE2 0.68–0.80 at H = 32..128): see the README.
    let rnn = G == 1 && K != kind::PROJ && !grouped;
    // Streams in groups of two channels (`CC = 2`: the x86 tiers and simd128), whose grouped
    // RNN strip would hold 2·NV accumulators: full blocks in strips of `RNN_VECS / 2`
    // vectors for two channels at once (8 accumulators, each weight vector loaded once for
    // both), a channel left over alone in strips of the same width.
    let rnn_pairs = G == 1 && K != kind::PROJ && grouped && CC == 2 && (RNN_VECS / 2 * S::LANES).is_multiple_of(BLOCK);
    // AVX-512 (a vector is a block), cells: four full blocks in one strip of four vectors,
    // for one stream (4·G accumulators) or, where they fit the register file, two channels
    // (GRU, CIFG: 24), before the block pairs. A pair's strip holds 2·G accumulators per
    // channel and leaves the next pair's pass waiting on its update; one strip keeps the FMA
    // units busy and overlaps its vectors' updates. Same operations per unit. Only up to
    // `QUAD_BYTES` of weights. Zen 5, against block pairs (README): GRU-64 + Dense 0.87,
    // LSTM-64 0.955, GRU I = 16 H = 64 0.84, two channels of GRU-64 0.96; two channels of
    // LSTM-64 (32 accumulators, so two passes over halves of the gates) took 1.23×.
    let quads = S::LANES == BLOCK && G > 1 && K != kind::PROJ && bytes <= QUAD_BYTES;
    let quad_pairs = quads && grouped && CC == 2 && 8 * G <= S::ACC_REGS;
    let quad_one = quads && !grouped && 4 * G <= S::ACC_REGS;
    // (AVX2 keeps the last full block for a three-vector strip with a partial one: RNN-40
    // as 4 + 1 vectors took 1.33× as long as 2 + 3.)
    let whole_limit = hid - tail - if three { BLOCK } else { 0 };
    let mut whole_end = 0;
    // (Wide strips never leave an update waiting; `strip` wants somewhere to say so.)
    let (mut pend_2, mut waiting_2) = (Pending::<S::V, G, 2, 2>::empty(zero), false);
    // One strip of `$nv` vectors over whole full blocks from `$j0` (an RNN's, AVX-512
    // cells' four, a 4-lane GRU's or CIFG's one), channels `$ch .. $ch + $cc`.
    macro_rules! whole_strip {
        ($nv:expr, $cc:literal, $j0:expr, $ch:expr, $pend:ident, $waiting:ident) => {
            let units = $nv * S::LANES;
            let fin = $j0 + units == hid && $ch + $cc == channels;
            // SAFETY: forwarded; the strip's units are whole full blocks and its channels in
            // range (the callers' loops); `$pend` holds only strips of `a` left waiting by
            // `strip`.
            unsafe {
                strip::<S, A, K, G, { $nv }, $cc, true>(
                    s,
                    a,
                    $j0,
                    BLOCK,
                    true,
                    $j0,
                    units,
                    $ch,
                    &mut $pend,
                    &mut $waiting,
                    fin,
                )
            };
        };
    }
    macro_rules! whole_strips {
        ($nv:expr, $on:expr, $pairs:expr) => {
            let units = $nv * S::LANES;
            let count = if $on { (whole_limit - whole_end) / units } else { 0 };
            let j_start = whole_end;
            whole_end += count * units;
            for t in 0..count {
                let j0 = j_start + t * units;
                let mut ch = 0;
                while $pairs && ch + 2 <= channels {
                    whole_strip!($nv, 2, j0, ch, pend_2, waiting_2);
                    ch += 2;
                }
                while ch < channels {
                    whole_strip!($nv, 1, j0, ch, pend_1, waiting_1);
                    ch += 1;
                }
            }
        };
    }
    whole_strips!(RNN_VECS, rnn, rnn_pairs);
    if (6 * S::LANES).is_multiple_of(BLOCK) {
        whole_strips!(6, rnn, rnn_pairs);
    }
    whole_strips!(RNN_VECS / 2, rnn || rnn_pairs, rnn_pairs);
    // 4-lane tiers that set `Simd::BLOCK_STRIPS` (SSE2, NEON), one stream of a GRU or CIFG:
    // each full block (four vectors) in one strip, 12 accumulators, where a two-vector
    // strip's 6 wait on the multiply-add latency for most of the pass. Same operations per
    // unit. LSTM's 16 would not fit. Intel Sapphire Rapids, SSE2, GRU + Dense(H → 1),
    // against two-vector strips (medians of 5 interleaved runs): H = 16 0.75, 20 0.86, 24
    // 0.87, 28 0.91, 32 0.82–0.91, 40 0.82, 48 0.85, 64 0.89, 128 0.94.
    let block3 = S::BLOCK_STRIPS && 4 * S::LANES == BLOCK && G == 3 && K != kind::PROJ && !grouped;
    whole_strips!(4, quad_one || quad_pairs || block3, quad_pairs);
    let whole_blocks = whole_end / BLOCK;
    debug_assert!(!three || whole_blocks + 2 <= blocks, "the three-vector strip's full block was taken");
    for b in first_cc.min(first_1).max(whole_blocks)..blocks {
        if b < tri_blocks {
            if b % 3 == 0 {
                for t in 0..2 {
                    let j0 = b * BLOCK + t * 3 * S::LANES;
                    for ch in 0..channels {
                        let fin = b + 3 == blocks && t == 1 && ch + 1 == channels;
                        // SAFETY: forwarded; the strip's units lie in blocks `b .. b + 3`, all
                        // full; `pend_1` holds only strips of `a` left waiting by `strip`.
                        unsafe {
                            strip_n::<S, A, K, G, 1, 3>(
                                s,
                                a,
                                j0 - j0 % BLOCK,
                                BLOCK,
                                true,
                                j0,
                                3 * S::LANES,
                                ch,
                                &mut pend_1,
                                &mut waiting_1,
                                fin,
                            )
                        };
                    }
                }
            }
            continue;
        }
        // Block `b` starts a pair (the block before the last one, or earlier), or is the
        // second of one (which ran with the first).
        let pair = (pairs && b % 2 == 0 && b + 2 <= blocks) || (three && b + 2 == blocks);
        if (pairs && b % 2 == 1) || (three && b + 1 == blocks) {
            continue;
        }
        let blk = b * BLOCK;
        let width = (hid - blk).min(BLOCK);
        let strips = if pair { 1 } else { width.div_ceil(strip_units) };
        for t in 0..strips {
            let j0 = blk + t * strip_units;
            let n = if pair { (hid - blk).min(2 * BLOCK) } else { (blk + width - j0).min(strip_units) };
            // The last strip of its channel grouping (no strip left to run its update in).
            let last_strip = if pair { b + 2 == blocks } else { b + 1 == blocks && t + 1 == strips };
            let mut ch = 0;
            // SAFETY: forwarded; `n <= strip_units` and the channels are in range; `pend_cc` and
            // `pend_1` hold only strips of `a` left waiting by `strip` (with `waiting_*` set).
            unsafe {
                match CC {
                    1 => {}
                    _ => {
                        while ch + CC <= channels {
                            let fin = last_strip && ch + 2 * CC > channels;
                            if b >= first_cc {
                                strip_n::<S, A, K, G, CC, NV>(
                                    s,
                                    a,
                                    blk,
                                    width,
                                    false,
                                    j0,
                                    n,
                                    ch,
                                    &mut pend_cc,
                                    &mut waiting_cc,
                                    fin,
                                );
                            }
                            ch += CC;
                        }
                    }
                }
                while ch < channels {
                    let fin = last_strip && ch + 1 == channels;
                    if b >= first_1 {
                        strip_n::<S, A, K, G, 1, 3>(
                            s,
                            a,
                            blk,
                            width,
                            false,
                            j0,
                            n,
                            ch,
                            &mut pend_1,
                            &mut waiting_1,
                            fin,
                        );
                    }
                    ch += 1;
                }
            }
        }
    }
    debug_assert!(!waiting_cc && !waiting_1, "a strip's update never ran");
}

/// `y[c] = b + Σ_k w[k]·x[c·inputs + k]` for a single-output Dense layer: the packed weights
/// are one contiguous row, so the sum runs along `k` in `4·LANES` interleaved partial sums
/// (reassociated: a tight relative bound against the scalar kernel, not its bits).
///
/// # Safety
/// `w.len() >= inputs`, `x.len() >= channels·inputs`, `y.len() >= channels`, `b.len() >= 1`.
#[inline(always)]
pub(crate) unsafe fn dot1<S: Simd>(
    s: S,
    w: &[f32],
    b: &[f32],
    inputs: usize,
    x: &[f32],
    y: &mut [f32],
    channels: usize,
) {
    let l = S::LANES;
    for (c, yc) in y.iter_mut().enumerate().take(channels) {
        let xp = x[c * inputs..][..inputs].as_ptr();
        let wp = w.as_ptr();
        let zero = s.splat(0.0);
        let mut acc = [zero; 4];
        let mut k = 0;
        // SAFETY: every load reads `LANES` floats below `inputs` in `w` and in this channel's `x`.
        unsafe {
            while k + 4 * l <= inputs {
                for (u, a) in acc.iter_mut().enumerate() {
                    *a = s.madd(*a, s.load(wp.add(k + u * l)), s.load(xp.add(k + u * l)));
                }
                k += 4 * l;
            }
            while k + l <= inputs {
                acc[0] = s.madd(acc[0], s.load(wp.add(k)), s.load(xp.add(k)));
                k += l;
            }
            if k < inputs {
                let n = inputs - k;
                acc[1] = s.madd(acc[1], s.load_partial(wp.add(k), n), s.load_partial(xp.add(k), n));
            }
        }
        let sum = s.add(s.add(acc[0], acc[1]), s.add(acc[2], acc[3]));
        *yc = b[0] + s.hsum(sum);
    }
}

/// The strip kind and gate count of a cell: `$f!(K, G, $args)` for `$kind`.
macro_rules! by_kind {
    ($kind:expr, $f:ident, $($args:tt)*) => {
        match $kind {
            $crate::cell::CellKind::Lstm => $f!($crate::kernel::simd::kind::LSTM, 4, $($args)*),
            $crate::cell::CellKind::Gru => $f!($crate::kernel::simd::kind::GRU, 3, $($args)*),
            $crate::cell::CellKind::Cifg => $f!($crate::kernel::simd::kind::CIFG, 3, $($args)*),
            $crate::cell::CellKind::Rnn($crate::cell::RnnNonlinearity::Tanh) => {
                $f!($crate::kernel::simd::kind::RNN_TANH, 1, $($args)*)
            }
            $crate::cell::CellKind::Rnn($crate::cell::RnnNonlinearity::Relu) => {
                $f!($crate::kernel::simd::kind::RNN_RELU, 1, $($args)*)
            }
        }
    };
}
pub(crate) use by_kind;

/// The `(inputs, hidden)` of the LSTM and GRU layers whose runtime-sized steps and sequences
/// with the fast activations ([`crate::host::Model`], [`super::cell_sequence`]) run code
/// compiled for their sizes, as the const-generic layers do (`entry_points!`): sizes audio
/// models commonly have, on the tiers that ask for them (`sized` in `entry_points!`: not
/// SSE2, which gained only at H = 8 and is the fallback of CPUs without AVX2), in optimised
/// builds (`cfg(tinyrnn_sized)`, see `build.rs`). `ptr` gives `f::<.., I, H>` as a step
/// pointer, `call` calls it with `args`; other sizes give `other`.
#[cfg(all(feature = "std", tinyrnn_sized))]
macro_rules! stream_sizes {
    (ptr $sizes:expr, $f:ident::<$($gen:ident),*>, $other:expr) => {
        $crate::kernel::simd::stream_sizes!(@list $sizes, $other, [$f::<$($gen),*>], [as unsafe fn(&Args<'_>)])
    };
    (call $sizes:expr, $f:ident::<$($gen:ident),*>($($arg:expr),*), $other:expr) => {
        $crate::kernel::simd::stream_sizes!(@list $sizes, $other, [$f::<$($gen),*>], [($($arg),*)])
    };
    (@list $sizes:expr, $other:expr, [$f:ident::<$($gen:ident),*>], [$($then:tt)*]) => {
        match $sizes {
            (1, 8) => $f::<$($gen,)* 1, 8> $($then)*,
            (1, 12) => $f::<$($gen,)* 1, 12> $($then)*,
            (1, 16) => $f::<$($gen,)* 1, 16> $($then)*,
            (1, 20) => $f::<$($gen,)* 1, 20> $($then)*,
            (1, 24) => $f::<$($gen,)* 1, 24> $($then)*,
            (1, 32) => $f::<$($gen,)* 1, 32> $($then)*,
            (1, 40) => $f::<$($gen,)* 1, 40> $($then)*,
            (1, 48) => $f::<$($gen,)* 1, 48> $($then)*,
            (1, 64) => $f::<$($gen,)* 1, 64> $($then)*,
            (2, 16) => $f::<$($gen,)* 2, 16> $($then)*,
            (2, 32) => $f::<$($gen,)* 2, 32> $($then)*,
            (2, 40) => $f::<$($gen,)* 2, 40> $($then)*,
            _ => $other,
        }
    };
}
#[cfg(all(feature = "std", tinyrnn_sized))]
pub(crate) use stream_sizes;

/// For [`by_kind`]: calls `f::<A, K, G>(args)`.
macro_rules! call_kind {
    ($k:expr, $g:literal, $f:ident::<$a:ident>($($arg:expr),*)) => {
        $f::<$a, { $k }, $g>($($arg),*)
    };
}
pub(crate) use call_kind;

use super::{bias_rows, CellView, DenseView};
use crate::cell::{CellKind, RnnNonlinearity};

/// `w` as the weights of a const-generic layer (`I` inputs, `H` hidden units, `G` gates, `B`
/// bias rows): sizes and cell kind are constants, so strip shapes, loop bounds and the size
/// checks fold at compile time. Panics if a slice is shorter than its size.
#[inline(always)]
pub(crate) fn fixed_cell_view<'a, const I: usize, const H: usize, const G: usize, const B: usize>(
    w: &CellView<'a>,
) -> CellView<'a> {
    CellView {
        kind: super::fixed_kind(G, B, w.kind),
        inputs: I,
        hidden: H,
        wx: &w.wx[..I * G * H],
        wh: &w.wh[..H * G * H],
        b: &w.b[..B * H],
    }
}

/// `w` as the weights of a const-generic Dense layer (`I` inputs, `O` outputs); see
/// [`fixed_cell_view`].
#[inline(always)]
pub(crate) fn fixed_dense_view<'a, const I: usize, const O: usize>(w: &DenseView<'a>) -> DenseView<'a> {
    DenseView { activation: w.activation, inputs: I, outputs: O, w: &w.w[..I * O], b: &w.b[..O] }
}

/// Panics unless `w`'s slices hold its sizes.
#[inline(always)]
fn check_cell(w: &CellView<'_>) {
    let (i, h, g) = (w.inputs, w.hidden, w.kind.gates());
    assert!(
        w.wx.len() >= i * g * h && w.wh.len() >= h * g * h && w.b.len() >= bias_rows(w.kind) * h,
        "cell weights are shorter than their sizes"
    );
}

/// The strip arguments of `channels` independent cell steps (channel-major slices: `x` holds
/// `channels·I` floats, `h`, `c` and `h_out` `channels·H`). Panics if a slice is too short.
#[inline(always)]
pub(crate) fn cell_args<'a>(
    w: &CellView<'a>,
    x: &'a [f32],
    h: &'a [f32],
    c: &mut [f32],
    h_out: &mut [f32],
    channels: usize,
) -> Args<'a> {
    check_cell(w);
    let hid = w.hidden;
    assert!(x.len() >= channels * w.inputs && h.len() >= channels * hid && h_out.len() >= channels * hid);
    assert!(!w.kind.has_cell_state() || c.len() >= channels * hid, "cell state too short");
    Args {
        hidden: hid,
        inputs: w.inputs,
        wx: w.wx,
        wh: w.wh,
        b: w.b,
        init: w.b,
        init_stride: 0,
        xpart: true,
        x,
        h,
        c: c.as_mut_ptr(),
        out: h_out.as_mut_ptr(),
        out_stride: hid,
    }
}

/// `channels` independent cell steps over the same weights (see [`cell_args`]), loading each
/// weight vector once per group of `CC` channels, for weights with `G` gates and `B` bias
/// rows known at compile time (see [`super::fixed_kind`]): the cell kind is picked by
/// `match`es on the constants, so only that kind's strips are generated (an RNN still
/// carries both nonlinearities). The runtime-sized steps pick the kind in the tiers' entry
/// points (`entry_points!`), one function per kind.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn cell_fixed<S: Simd, A: Activation, const NV: usize, const CC: usize, const G: usize, const B: usize>(
    s: S,
    w: &CellView<'_>,
    x: &[f32],
    h: &[f32],
    c: &mut [f32],
    h_out: &mut [f32],
    channels: usize,
) {
    let a = cell_args(w, x, h, c, h_out, channels);
    macro_rules! go {
        ($k:expr, $g:literal) => {
            // SAFETY: `cell_args` asserted every size `Args` documents.
            unsafe { drive::<S, A, { $k }, $g, NV, CC>(s, &a, channels) }
        };
    }
    match G {
        4 => go!(kind::LSTM, 4),
        3 => match B {
            4 => go!(kind::GRU, 3),
            _ => go!(kind::CIFG, 3),
        },
        _ => match w.kind {
            CellKind::Rnn(RnnNonlinearity::Relu) => go!(kind::RNN_RELU, 1),
            _ => go!(kind::RNN_TANH, 1),
        },
    }
}

/// Sequence mode: `steps` steps of one stream with inputs `xs` (`steps·I`), writing every new
/// hidden state to `hs` (`steps·H`; the last one is the new state) and updating `c`.
/// The input projections of up to `scratch.len() / (G·H)` steps are computed together in one
/// pass over `W_ih` (each weight vector reused for `CC` steps), then the recurrence runs from
/// them: the same bits as stepping one sample at a time on this tier. Panics if a slice is
/// too short.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sequence<S: Simd, A: Activation, const NV: usize, const CC: usize>(
    s: S,
    w: &CellView<'_>,
    xs: &[f32],
    h: &[f32],
    c: &mut [f32],
    hs: &mut [f32],
    steps: usize,
    scratch: &mut [f32],
) {
    macro_rules! go {
        ($k:expr, $g:literal, ) => {
            sequence_kind::<S, A, { $k }, $g, NV, CC>(s, w, xs, h, c, hs, steps, scratch)
        };
    }
    by_kind!(w.kind, go,)
}

/// [`sequence`] for cell kind `K` (`G` gates), which `w.kind` must be.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sequence_kind<S: Simd, A: Activation, const K: u8, const G: usize, const NV: usize, const CC: usize>(
    s: S,
    w: &CellView<'_>,
    xs: &[f32],
    h: &[f32],
    c: &mut [f32],
    hs: &mut [f32],
    steps: usize,
    scratch: &mut [f32],
) {
    check_cell(w);
    debug_assert_eq!(w.kind.gates(), G, "cell kind");
    let (hid, inp) = (w.hidden, w.inputs);
    let rows = G * hid;
    let chunk = scratch.len() / rows.max(1);
    assert!(chunk >= 1, "sequence scratch holds less than one step");
    assert!(xs.len() >= steps * inp && h.len() >= hid && hs.len() >= steps * hid);
    assert!(!w.kind.has_cell_state() || c.len() >= hid, "cell state too short");
    // Where a vector is a whole block (AVX-512), the layer has at most two blocks and no
    // more inputs than hidden units, a step is mostly its `h → h` chain, in whose shadow a
    // per-sample step's input columns run; the block pass does that work in a pass of its
    // own and adds a store and a reload of the projections per step (Zen 5: 0.86–0.95 of
    // stepping's speed at I = 8..32, H = 16, 32; at I = 64, H = 32 the pass is 1.05–1.09×
    // faster). There the steps go one sample at a time, as a cell step does: the same bits.
    if S::LANES == BLOCK && hid <= 2 * BLOCK && inp <= hid {
        for t in 0..steps {
            let (prev, cur) = hs.split_at_mut(t * hid);
            let hp = if t == 0 { h } else { &prev[(t - 1) * hid..] };
            let a = cell_args(w, &xs[t * inp..], hp, c, cur, 1);
            // SAFETY: `cell_args` asserted every size `Args` documents.
            unsafe { drive::<S, A, K, G, NV, 1>(s, &a, 1) };
        }
        return;
    }
    let mut t0 = 0;
    while t0 < steps {
        let n = chunk.min(steps - t0);
        let proj = Args {
            hidden: hid,
            inputs: inp,
            wx: w.wx,
            wh: &[],
            b: w.b,
            init: w.b,
            init_stride: 0,
            xpart: true,
            x: &xs[t0 * inp..],
            h: &[],
            c: core::ptr::null_mut(),
            out: scratch.as_mut_ptr(),
            out_stride: rows,
        };
        // Strips of `NV` vectors for each `CC` steps where their accumulators fit the register
        // file (no update waits beside them), else of one vector: one-vector strips of a GRU
        // (3 gates × 2 steps on x86) wait on the multiply-add latency (AVX2 GRU I = 64 H = 64
        // took 1.14× as long per step; LSTM's 16 would not fit AVX2's registers).
        // SAFETY: sizes asserted above; `scratch` holds `n·rows` floats.
        unsafe {
            if G * NV * CC <= S::ACC_REGS {
                drive::<S, A, { kind::PROJ }, G, NV, CC>(s, &proj, n)
            } else {
                drive::<S, A, { kind::PROJ }, G, 1, CC>(s, &proj, n)
            }
        }
        for t in t0..t0 + n {
            let (prev, cur) = hs.split_at_mut(t * hid);
            let hp: &[f32] = if t == 0 { h } else { &prev[(t - 1) * hid..] };
            let a = Args {
                hidden: hid,
                inputs: inp,
                wx: w.wx,
                wh: w.wh,
                b: w.b,
                init: &scratch[(t - t0) * rows..][..rows],
                init_stride: 0,
                xpart: false,
                x: &[],
                h: hp,
                c: c.as_mut_ptr(),
                out: cur.as_mut_ptr(),
                out_stride: hid,
            };
            // SAFETY: sizes asserted above; `init` holds this step's `G·H` projections.
            unsafe { drive::<S, A, K, G, NV, 1>(s, &a, 1) };
        }
        t0 += n;
    }
}

/// `channels` Dense evaluations (`x`: `channels·inputs`, `y`: `channels·outputs`), before
/// the activation. Panics if a slice is too short.
#[inline(always)]
pub(crate) fn dense_affine<S: Simd, const NV: usize, const CC: usize>(
    s: S,
    w: &DenseView<'_>,
    x: &[f32],
    y: &mut [f32],
    channels: usize,
) {
    let (i, o) = (w.inputs, w.outputs);
    assert!(w.w.len() >= i * o && w.b.len() >= o && x.len() >= channels * i && y.len() >= channels * o);
    if o == 1 {
        // SAFETY: sizes asserted above.
        unsafe { dot1(s, w.w, w.b, i, x, y, channels) };
        return;
    }
    let a = Args {
        hidden: o,
        inputs: i,
        wx: w.w,
        wh: &[],
        b: w.b,
        init: w.b,
        init_stride: 0,
        xpart: true,
        x,
        h: &[],
        c: core::ptr::null_mut(),
        out: y.as_mut_ptr(),
        out_stride: o,
    };
    // SAFETY: sizes asserted above.
    unsafe { drive::<S, crate::activation::Exact, { kind::PROJ }, 1, NV, CC>(s, &a, channels) };
}

/// A tier's entry points, written once: each ISA module instantiates them with its backend
/// token (`$s: $S`), its multi-channel strip shape (`nv` vectors wide, groups of `cc`
/// channels; one stream always uses two-vector strips, see [`drive`]), whether it has steps
/// and sequences compiled for the sizes of `stream_sizes!` (`sized = all()`, or `any()` for
/// none: a `cfg` predicate) and the attributes its functions need (`#[target_feature]` for
/// the run-time detected tiers), inside which LLVM inlines the whole kernel.
macro_rules! entry_points {
    ($S:ty, $s:expr, nv = $nv:literal, cc = $cc:literal, sized = $sized:meta $(, #[$attr:meta])*) => {
        use $crate::kernel::simd::{by_kind, call_kind, Args};
        use $crate::kernel::{CellView, DenseView};

        /// Multi-channel strips: groups of `CC` channels, `NV` vectors wide.
        const NV: usize = $nv;
        const CC: usize = $cc;

        /// See [`crate::kernel::cell_step_multi`]. Panics if a slice is too short.
        $(#[$attr])*
        pub(crate) fn cell<A: $crate::activation::Activation>(
            w: &CellView<'_>,
            x: &[f32],
            h: &[f32],
            c: &mut [f32],
            h_out: &mut [f32],
            channels: usize,
        ) {
            let a = $crate::kernel::simd::cell_args(w, x, h, c, h_out, channels);
            // SAFETY: `cell_args` asserted every size `Args` documents.
            unsafe { by_kind!(w.kind, call_kind, cell_kind::<A>(&a, channels)) }
        }

        /// [`cell`] for cell kind `K` (`G` gates): one stream (or fewer channels than a
        /// group) and channel groups each in a function of their own. With every kind and
        /// both in one function per tier, `cell` and [`sequence`] were most of the crate's
        /// compile time (README, "Compile time").
        ///
        /// # Safety
        /// `a` satisfies its field docs for `channels` channels.
        $(#[$attr])*
        #[inline]
        unsafe fn cell_kind<A: $crate::activation::Activation, const K: u8, const G: usize>(
            a: &Args<'_>,
            channels: usize,
        ) {
            // SAFETY (both): the caller's guarantee.
            unsafe {
                if channels < CC {
                    cell_one::<A, K, G>(a, channels)
                } else {
                    cell_group::<A, K, G>(a, channels)
                }
            }
        }

        /// [`cell_kind`] for fewer than `CC` channels, each stepped alone.
        ///
        /// # Safety
        /// As for [`cell_kind`].
        $(#[$attr])*
        #[inline(never)]
        unsafe fn cell_one<A: $crate::activation::Activation, const K: u8, const G: usize>(
            a: &Args<'_>,
            channels: usize,
        ) {
            // SAFETY: the caller's guarantee.
            unsafe { $crate::kernel::simd::drive::<$S, A, K, G, NV, 1>($s, a, channels) }
        }

        /// [`cell_stream`] for cell kind `kind`, as a pointer a caller keeps for one stream's
        /// steps (`kernel::prepared`): the pointer is safe to call where this tier's CPU
        /// features are, on `Args` of `kind`'s cell for one channel.
        #[cfg(feature = "std")]
        pub(crate) fn cell_stream_for<A: $crate::activation::Activation>(
            kind: $crate::cell::CellKind,
        ) -> unsafe fn(&Args<'_>) {
            macro_rules! one {
                ($k:expr, $g:literal, ) => {
                    cell_stream::<A, { $k }, $g> as unsafe fn(&Args<'_>)
                };
            }
            by_kind!(kind, one,)
        }

        /// [`cell_one`] for one stream. A function of its own, whose address is taken: with
        /// `cell_one`'s taken, LLVM no longer knew from its callers that `channels < CC`, and
        /// the step took 1.3× the instructions (AVX2 GRU-8, callgrind).
        ///
        /// # Safety
        /// As for [`cell_kind`], with one channel.
        $(#[$attr])*
        #[inline(never)]
        #[cfg(feature = "std")]
        unsafe fn cell_stream<A: $crate::activation::Activation, const K: u8, const G: usize>(a: &Args<'_>) {
            // SAFETY: the caller's guarantee.
            unsafe { cell_one::<A, K, G>(a, 1) }
        }

        /// [`cell_stream`] with the fast activations for `I` inputs and `H` hidden units
        /// known at compile time, as the const-generic layers step: the strips' shapes,
        /// offsets and loop bounds fold, where the runtime-sized step computes them every
        /// call (README, on `host::Model`). Other sizes go to [`cell_stream`].
        ///
        /// # Safety
        /// As for [`cell_kind`], with one channel.
        $(#[$attr])*
        #[inline(never)]
        #[cfg(all(feature = "std", tinyrnn_sized, $sized))]
        unsafe fn cell_stream_sized<const K: u8, const G: usize, const I: usize, const H: usize>(a: &Args<'_>) {
            use $crate::activation::Fast;
            if a.inputs != I || a.hidden != H || a.out_stride != H {
                // SAFETY: the caller's guarantee.
                return unsafe { cell_stream::<Fast, K, G>(a) };
            }
            // The same arguments, their sizes constants. The slices hold at least this many
            // floats (`Args`' field docs, for the sizes just compared), so slicing cannot fail.
            let a = Args { inputs: I, hidden: H, out_stride: H, wx: &a.wx[..I * G * H], wh: &a.wh[..H * G * H], ..*a };
            // SAFETY: the caller's guarantee, for the same values.
            unsafe { $crate::kernel::simd::drive::<$S, Fast, K, G, NV, 1>($s, &a, 1) }
        }

        /// [`cell_stream_for`] with the fast activations, for a layer of `inputs` inputs and
        /// `hidden` units: a step compiled for those sizes where `stream_sizes!` lists them
        /// (LSTM and GRU), else the runtime-sized one. The pointer is safe to call as
        /// [`cell_stream_for`]'s.
        #[cfg(feature = "std")]
        pub(crate) fn cell_stream_fast_for(
            kind: $crate::cell::CellKind,
            inputs: usize,
            hidden: usize,
        ) -> unsafe fn(&Args<'_>) {
            use $crate::activation::Fast;
            #[cfg(all(feature = "std", tinyrnn_sized, $sized))]
            {
                use $crate::cell::CellKind;
                use $crate::kernel::simd::kind;
                fn sized<const K: u8, const G: usize>(inputs: usize, hidden: usize) -> unsafe fn(&Args<'_>) {
                    $crate::kernel::simd::stream_sizes!(
                        ptr (inputs, hidden),
                        cell_stream_sized::<K, G>,
                        cell_stream::<Fast, K, G>
                    )
                }
                match kind {
                    CellKind::Lstm => sized::<{ kind::LSTM }, 4>(inputs, hidden),
                    CellKind::Gru => sized::<{ kind::GRU }, 3>(inputs, hidden),
                    _ => cell_stream_for::<Fast>(kind),
                }
            }
            #[cfg(not(all(feature = "std", tinyrnn_sized, $sized)))]
            {
                let _ = (inputs, hidden);
                cell_stream_for::<Fast>(kind)
            }
        }

        /// [`cell_kind`] for at least `CC` channels: groups of `CC`, the rest alone.
        ///
        /// # Safety
        /// As for [`cell_kind`].
        $(#[$attr])*
        #[inline(never)]
        unsafe fn cell_group<A: $crate::activation::Activation, const K: u8, const G: usize>(
            a: &Args<'_>,
            channels: usize,
        ) {
            // SAFETY: the caller's guarantee.
            unsafe { $crate::kernel::simd::drive::<$S, A, K, G, NV, CC>($s, a, channels) }
        }

        /// See [`crate::kernel::cell_step_fixed`].
        $(#[$attr])*
        pub(crate) fn cell_fixed<
            A: $crate::activation::Activation,
            const I: usize,
            const H: usize,
            const G: usize,
            const B: usize,
            const C: usize,
        >(
            w: &CellView<'_>,
            x: &[f32],
            h: &[f32],
            c: &mut [f32],
            h_out: &mut [f32],
        ) {
            let w = &$crate::kernel::simd::fixed_cell_view::<I, H, G, B>(w);
            match C {
                1 => $crate::kernel::simd::cell_fixed::<$S, A, 2, 1, G, B>($s, w, x, h, c, h_out, 1),
                _ => $crate::kernel::simd::cell_fixed::<$S, A, NV, CC, G, B>($s, w, x, h, c, h_out, C),
            }
        }

        /// See [`crate::kernel::cell_sequence`]. Panics if a slice is too short.
        $(#[$attr])*
        pub(crate) fn sequence<A: $crate::activation::Activation>(
            w: &CellView<'_>,
            xs: &[f32],
            h: &[f32],
            c: &mut [f32],
            hs: &mut [f32],
            steps: usize,
            scratch: &mut [f32],
        ) {
            #[cfg(all(feature = "std", tinyrnn_sized, $sized))]
            if A::KIND == $crate::activation::ActivationKind::Fast {
                use $crate::cell::CellKind;
                use $crate::kernel::simd::kind;
                match w.kind {
                    CellKind::Lstm => {
                        return sequence_sized_for::<{ kind::LSTM }, 4, 4>(w, xs, h, c, hs, steps, scratch)
                    }
                    CellKind::Gru => {
                        return sequence_sized_for::<{ kind::GRU }, 3, 4>(w, xs, h, c, hs, steps, scratch)
                    }
                    _ => {}
                }
            }
            by_kind!(w.kind, call_kind, sequence_kind::<A>(w, xs, h, c, hs, steps, scratch))
        }

        /// [`sequence_kind`] with the fast activations for cell kind `K` (`G` gates, `B` bias
        /// rows): [`sequence_sized`] where `stream_sizes!` lists `w`'s sizes.
        $(#[$attr])*
        #[cfg(all(feature = "std", tinyrnn_sized, $sized))]
        #[allow(clippy::too_many_arguments)]
        fn sequence_sized_for<const K: u8, const G: usize, const B: usize>(
            w: &CellView<'_>,
            xs: &[f32],
            h: &[f32],
            c: &mut [f32],
            hs: &mut [f32],
            steps: usize,
            scratch: &mut [f32],
        ) {
            $crate::kernel::simd::stream_sizes!(
                call (w.inputs, w.hidden),
                sequence_sized::<K, G, B>(w, xs, h, c, hs, steps, scratch),
                sequence_kind::<$crate::activation::Fast, K, G>(w, xs, h, c, hs, steps, scratch)
            )
        }

        /// [`sequence_kind`] with the fast activations for `I` inputs and `H` hidden units
        /// known at compile time (`w` has those sizes), as [`sequence_fixed`] runs for the
        /// const-generic layers: the same bits as the runtime-sized code.
        $(#[$attr])*
        #[cfg(all(feature = "std", tinyrnn_sized, $sized))]
        #[inline(never)]
        #[allow(clippy::too_many_arguments)]
        fn sequence_sized<const K: u8, const G: usize, const B: usize, const I: usize, const H: usize>(
            w: &CellView<'_>,
            xs: &[f32],
            h: &[f32],
            c: &mut [f32],
            hs: &mut [f32],
            steps: usize,
            scratch: &mut [f32],
        ) {
            let w = &$crate::kernel::simd::fixed_cell_view::<I, H, G, B>(w);
            $crate::kernel::simd::sequence_kind::<$S, $crate::activation::Fast, K, G, 2, CC>(
                $s, w, xs, h, c, hs, steps, scratch,
            )
        }

        /// [`sequence`] for cell kind `K` (`G` gates), a function of its own (see
        /// [`cell_kind`]; sequence mode has one stream).
        $(#[$attr])*
        #[inline(never)]
        fn sequence_kind<A: $crate::activation::Activation, const K: u8, const G: usize>(
            w: &CellView<'_>,
            xs: &[f32],
            h: &[f32],
            c: &mut [f32],
            hs: &mut [f32],
            steps: usize,
            scratch: &mut [f32],
        ) {
            $crate::kernel::simd::sequence_kind::<$S, A, K, G, 2, CC>($s, w, xs, h, c, hs, steps, scratch)
        }

        /// See [`crate::kernel::cell_sequence_fixed`]: [`sequence`] instantiated for the sizes.
        $(#[$attr])*
        pub(crate) fn sequence_fixed<
            A: $crate::activation::Activation,
            const I: usize,
            const H: usize,
            const G: usize,
            const B: usize,
        >(
            w: &CellView<'_>,
            xs: &[f32],
            h: &[f32],
            c: &mut [f32],
            hs: &mut [f32],
            steps: usize,
            scratch: &mut [f32],
        ) {
            let w = &$crate::kernel::simd::fixed_cell_view::<I, H, G, B>(w);
            $crate::kernel::simd::sequence::<$S, A, 2, CC>($s, w, xs, h, c, hs, steps, scratch)
        }

        /// See [`crate::kernel::dense_multi`] (the affine part).
        $(#[$attr])*
        pub(crate) fn dense(w: &DenseView<'_>, x: &[f32], y: &mut [f32], channels: usize) {
            $crate::kernel::simd::dense_affine::<$S, NV, CC>($s, w, x, y, channels)
        }

        /// See [`crate::kernel::dense_fixed`] (the affine part).
        $(#[$attr])*
        pub(crate) fn dense_fixed<const I: usize, const O: usize, const C: usize>(
            w: &DenseView<'_>,
            x: &[f32],
            y: &mut [f32],
        ) {
            let w = &$crate::kernel::simd::fixed_dense_view::<I, O>(w);
            match C {
                1 => $crate::kernel::simd::dense_affine::<$S, 2, 1>($s, w, x, y, 1),
                _ => $crate::kernel::simd::dense_affine::<$S, NV, CC>($s, w, x, y, C),
            }
        }
    };
}
pub(crate) use entry_points;
