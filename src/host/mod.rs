//! Host-side tooling (`std`): the model intermediate representation and, with the `formats`
//! feature, loaders for trained-model files.
//!
//! - [`spec`]: [`ModelSpec`], a runtime-sized description of a network in PyTorch
//!   conventions, and [`LoadError`].
//! - [`io`] (feature `formats`): parse PyTorch safetensors, RTNeural JSON, Automated
//!   GuitarAmpModelling JSON and Neural Amp Modeler `.nam` files into a [`ModelSpec`].
//! - [`train`]: backpropagation through time over the deployed forward pass, optimisers,
//!   losses, truncated BPTT; writes safetensors `state_dict`s.

pub mod bake;
pub mod model;
pub mod spec;
pub mod train;

#[cfg(feature = "formats")]
pub mod io;

pub use model::Model;
pub use spec::{DenseSpec, LayerSpec, LoadError, ModelSpec, RecurrentSpec};
