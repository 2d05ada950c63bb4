//! tinyrnn: small recurrent networks (RNN, GRU, LSTM, CIFG, Dense) with no heap.
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;

pub mod cell;
#[cfg(feature = "std")]
pub mod host;

pub use cell::{CellKind, DenseActivation, RnnNonlinearity};
