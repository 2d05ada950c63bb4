//! tinyrnn: small recurrent networks (RNN, GRU, LSTM, CIFG, Dense) with no heap.
//!
//! Sizes are const generics, weights are packed at compile time into `static`s that stay in
//! flash, and a step never allocates, locks or makes a system call. Cells follow PyTorch's
//! `nn.RNN` / `nn.GRU` / `nn.LSTM` equations, so a model trained there gives the same numbers.
//!
//! ```
//! use tinyrnn::{Dense, DenseActivation, DenseWeights, Lstm, LstmWeights, Network, Chain};
//!
//! // PyTorch tensors with the gate axis split out: weight_ih (4·H, I) is [[[f32; I]; H]; 4].
//! const W_IH: [[[f32; 1]; 2]; 4] = [[[0.5], [-0.3]], [[0.1], [0.2]], [[0.7], [-0.6]], [[0.4], [0.9]]];
//! const W_HH: [[[f32; 2]; 2]; 4] = [[[0.1; 2]; 2]; 4];
//! const B: [[f32; 2]; 4] = [[0.0; 2]; 4];
//! static LSTM: LstmWeights<1, 2> = LstmWeights::from_pytorch(&W_IH, &W_HH, &B, &B);
//! static HEAD: DenseWeights<2, 1> = DenseWeights::from_pytorch(&[[1.0, -1.0]], &[0.0], DenseActivation::Identity);
//!
//! let mut net = Chain::new(Lstm::<1, 2>::new(&LSTM), Dense::<2, 1>::new(&HEAD));
//! let y: [f32; 1] = net.step_array(&[0.25]);
//! assert!(y[0].is_finite());
//! ```
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
// The fuzz build compiles the x86-64 tiers out of the run-time dispatch (`kernel::dynamic`,
// `kernel::prepared`), which leaves their kernels unused there.
#![cfg_attr(fuzzing, allow(dead_code, unused_imports, unused_variables))]

#[cfg(feature = "std")]
extern crate std;

pub mod activation;
pub mod cell;
mod error;
#[cfg(feature = "std")]
pub mod host;
pub mod kernel;
pub mod layer;
pub mod network;

/// Training on the host (`std`): see [`host::train`].
#[cfg(feature = "std")]
pub use host::train;

pub use activation::{Activation, DefaultActivation, Exact, Fast};
pub use cell::{CellKind, DenseActivation, RnnNonlinearity};
pub use error::ShapeError;
pub use kernel::{Isa, Tier};
pub use layer::{
    Aligned, CellWeights, Cifg, CifgMulti, CifgWeights, Dense, DenseMulti, DenseWeights, Gru, GruMulti, GruWeights,
    Lstm, LstmMulti, LstmWeights, Recurrent, RecurrentMulti, Rnn, RnnMulti, RnnWeights,
};
pub use network::{Chain, Layer, Network, Residual, WithInitialState};

/// The README's Rust examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
