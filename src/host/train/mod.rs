//! Training on the host: backpropagation through time over the deployed forward pass.
//!
//! The forward pass of training is the inference forward pass: [`crate::kernel`]'s
//! `cell_step` (with a [`GateSink`](crate::kernel::scalar::GateSink) that keeps the gate
//! values) and `dense`, on a packed copy of the weights. A model trained here and baked into
//! const-generic layers gives the same bits on the same machine. The backward pass is the
//! chain rule per cell in PyTorch's layout, so gradients are per `state_dict` tensor
//! (`rnn.weight_ih_l0`, ..., `fc.weight`, `fc.bias`) and match PyTorch's to float rounding
//! (`tests/train_grads.rs`).
//!
//! - [`TrainModel`]: layers ([`LayerDef`]), PyTorch-layout parameters, PyTorch's init;
//!   [`TrainModel::from_spec`] / [`TrainModel::to_spec`] bridge to the loaders' IR, and with
//!   the `formats` feature [`TrainModel::save`] writes a safetensors `state_dict`.
//! - [`fit`]: mini-batches of independent sequences over both cores, truncated BPTT windows
//!   with the state carried across and warm-up steps excluded, [`Loss`] MSE / ESR (with
//!   pre-emphasis) / cross-entropy, sequence-to-sequence or sequence-to-one
//!   ([`TargetMode`]), [`Optimizer`] Adam (+ weight decay, AdamW) or SGD with momentum,
//!   gradient-norm clipping, validation and early stopping. Deterministic for a seed.
//! - [`gradients`]: one sequence's full-BPTT loss gradient (what `tinyrnn grad` writes).
//! - [`evaluate`], [`predict`].
//!
//! The activation type parameter picks the functions the deployed model will run
//! ([`Exact`](crate::Exact) or a fast approximation); derivatives use the ideal functions'
//! identities (`σ' = σ(1 − σ)`, `tanh' = 1 − tanh²`) on the values the forward produced.
//!
//! ```
//! use tinyrnn::train::{fit, Dataset, Loss, Optimizer, TargetMode, TrainConfig, TrainModel};
//! use tinyrnn::{CellKind, DenseActivation, Exact};
//!
//! // Learn y[t] = 0.5·x[t−1] with a GRU-4 and a linear head.
//! let mut data = Dataset::new(1, 1, 32, TargetMode::Sequence)?;
//! for s in 0..8 {
//!     let x: Vec<f32> = (0..32).map(|t| ((s * 32 + t) as f32 * 0.37).sin()).collect();
//!     let y: Vec<f32> = (0..32).map(|t| if t == 0 { 0.0 } else { 0.5 * x[t - 1] }).collect();
//!     data.push(&x, &y)?;
//! }
//! let mut model = TrainModel::stacked(CellKind::Gru, 1, 4, 1, Some((1, DenseActivation::Identity)), 0, 7)?;
//! let cfg = TrainConfig { epochs: 30, batch_size: 4, optimizer: Optimizer::adam(0.02), ..Default::default() };
//! let report = fit::<Exact>(&mut model, &data, None, &cfg, |_| {})?;
//! assert!(report.epochs.last().unwrap().train_loss < report.epochs[0].train_loss);
//! # Ok::<(), tinyrnn::train::TrainError>(())
//! ```

mod bptt;
#[cfg(feature = "cli")]
pub mod command;
mod data;
mod error;
mod fit;
#[cfg(feature = "formats")]
mod io;
mod loss;
mod model;
mod optim;
#[cfg(feature = "cli")]
mod plot;
mod rng;

pub use data::Dataset;
pub use error::TrainError;
pub use fit::{evaluate, fit, gradients, predict, EpochStats, Evaluation, Progress, TrainConfig, TrainReport};
#[cfg(feature = "formats")]
pub use io::encode_tensors;
pub use loss::{argmax, Loss, TargetMode};
pub use model::{LayerDef, LayerParams, TensorInfo, TrainModel};
pub use optim::{clip_grad_norm, Optimizer, OptimizerState};
#[cfg(feature = "cli")]
pub use plot::write_loss_plot;
pub use rng::Rng;
