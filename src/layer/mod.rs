//! Const-generic layers over packed `&'static` weights.
//!
//! | type | PyTorch | gates | state (floats) | RAM per layer (floats) |
//! |---|---|---|---|---|
//! | [`Rnn<I, H>`](Rnn) | `nn.RNN` (tanh / relu) | 1 | `h` | `2·H` |
//! | [`Gru<I, H>`](Gru) | `nn.GRU` (reset-after) | r, z, n | `h` | `2·H` |
//! | [`Lstm<I, H>`](Lstm) | `nn.LSTM` | i, f, g, o | `h`, `c` | `3·H` |
//! | [`Cifg<I, H>`](Cifg) | coupled-gate LSTM | i, g, o | `h`, `c` | `3·H` |
//! | [`Dense<I, O>`](Dense) | `nn.Linear` + activation | — | none | `O` |
//!
//! RAM is the state plus one `H`-float buffer for the new `h` (a step reads all of the old
//! `h`), plus a pointer to the weights. Weights live in the `'static` weight structs: put them
//! in a `static` and they stay in flash / `.rodata`.

mod dense;
mod multi;
mod recurrent;

pub use dense::{Dense, DenseWeights};
pub use multi::{CifgMulti, DenseMulti, GruMulti, LstmMulti, RecurrentMulti, RnnMulti};
pub use recurrent::{
    CellWeights, Cifg, CifgWeights, Gru, GruWeights, Lstm, LstmWeights, Recurrent, Rnn, RnnWeights, SEQUENCE_CHUNK,
};

/// Aligns packed weights to a 64-byte cache line (aligned vector loads stream twice as fast
/// as unaligned ones on x86).
#[repr(C, align(64))]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Aligned<T>(pub T);
