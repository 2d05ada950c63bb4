//! The packed weight layout shared by every kernel tier and every front end.
//!
//! A gate matrix in PyTorch layout is `W[g·H + j][k]`: gate `g`, hidden unit `j`, column `k`
//! (an input or a previous hidden value). Packed, hidden units are grouped in blocks of
//! [`BLOCK`]; a block stores, column by column, all gates of its units:
//!
//! ```text
//! block 0: [k=0: g0 j0..j15 | g1 j0..j15 | ..] [k=1: ..] .. [k=K-1: ..]
//! block 1: ..                       (the last block holds the H % 16 leftover units)
//! ```
//!
//! One forward pass over memory thus yields every gate pre-activation of a block of hidden
//! units, and a 16-float run is one 64-byte cache line (or two AVX / four SSE, NEON, wasm
//! vectors). Biases are not blocked: `b[g][j]`.

use crate::cell::CellKind;

/// Hidden units per packed block.
pub const BLOCK: usize = 16;

/// Where `W[g·hidden + j][k]` lives in a matrix packed with [`BLOCK`]s.
#[inline(always)]
pub const fn packed_index(cols: usize, gates: usize, hidden: usize, k: usize, g: usize, j: usize) -> usize {
    let start = j - j % BLOCK;
    let rest = hidden - start;
    let width = if rest < BLOCK { rest } else { BLOCK };
    start * cols * gates + (k * gates + g) * width + (j - start)
}

/// Packs a PyTorch-layout matrix `w` (`gates` blocks of `(H, K)` rows) at compile time.
///
/// The output array holds the same `K·G·H` numbers; its shape only sizes the storage.
pub const fn pack<const K: usize, const G: usize, const H: usize>(w: &[[[f32; K]; H]; G]) -> [[[f32; H]; G]; K] {
    let mut out = [[[0.0f32; H]; G]; K];
    let mut g = 0;
    while g < G {
        let mut j = 0;
        while j < H {
            let mut k = 0;
            while k < K {
                let p = packed_index(K, G, H, k, g, j);
                out[p / (G * H)][(p / H) % G][p % H] = w[g][j][k];
                k += 1;
            }
            j += 1;
        }
        g += 1;
    }
    out
}

/// Packs a row-major PyTorch-layout matrix of `gates·hidden` rows and `cols` columns.
///
/// `out.len()` must be `gates·hidden·cols` (checked by the callers).
pub fn pack_into(w: &[f32], cols: usize, gates: usize, hidden: usize, out: &mut [f32]) {
    for g in 0..gates {
        for j in 0..hidden {
            let row = &w[(g * hidden + j) * cols..][..cols];
            for (k, &v) in row.iter().enumerate() {
                out[packed_index(cols, gates, hidden, k, g, j)] = v;
            }
        }
    }
}

/// Inverse of [`pack_into`]: back to the row-major PyTorch layout.
pub fn unpack_into(packed: &[f32], cols: usize, gates: usize, hidden: usize, out: &mut [f32]) {
    for g in 0..gates {
        for j in 0..hidden {
            for k in 0..cols {
                out[(g * hidden + j) * cols + k] = packed[packed_index(cols, gates, hidden, k, g, j)];
            }
        }
    }
}

/// Folds PyTorch's two bias vectors into the packed bias rows of a cell (see
/// [`super::bias_rows`]). `out.len()` must be `bias_rows(kind)·hidden`.
pub fn fold_bias_into(kind: CellKind, hidden: usize, b_ih: &[f32], b_hh: &[f32], out: &mut [f32]) {
    let folded = match kind {
        CellKind::Gru => 2 * hidden,
        k => k.gates() * hidden,
    };
    for (o, (a, b)) in out.iter_mut().zip(b_ih.iter().zip(b_hh)).take(folded) {
        *o = a + b;
    }
    if kind == CellKind::Gru {
        out[2 * hidden..3 * hidden].copy_from_slice(&b_ih[2 * hidden..]);
        out[3 * hidden..].copy_from_slice(&b_hh[2 * hidden..]);
    }
}

/// Compile-time [`fold_bias_into`] for every cell but GRU: `b_ih + b_hh`.
pub const fn fold_bias<const G: usize, const H: usize>(b_ih: &[[f32; H]; G], b_hh: &[[f32; H]; G]) -> [[f32; H]; G] {
    let mut out = [[0.0f32; H]; G];
    let mut g = 0;
    while g < G {
        let mut j = 0;
        while j < H {
            out[g][j] = b_ih[g][j] + b_hh[g][j];
            j += 1;
        }
        g += 1;
    }
    out
}

/// Compile-time [`fold_bias_into`] for GRU: `[b_ir + b_hr, b_iz + b_hz, b_in, b_hn]`.
pub const fn fold_gru_bias<const H: usize>(b_ih: &[[f32; H]; 3], b_hh: &[[f32; H]; 3]) -> [[f32; H]; 4] {
    let rz = fold_bias(b_ih, b_hh);
    [rz[0], rz[1], b_ih[2], b_hh[2]]
}
