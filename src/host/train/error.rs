//! The trainer's error type.

use std::fmt;
use std::string::String;

/// Why a training call failed. Nothing in the trainer panics on bad input: shapes, data and
/// configuration are checked up front and reported here.
#[derive(Debug)]
pub enum TrainError {
    /// The model description is not trainable as given (sizes, layer order, kinds).
    Model(String),
    /// The data does not fit the model (lengths, sizes, empty sets, non-finite values).
    Data(String),
    /// A training option is out of range or options contradict each other.
    Config(String),
    /// A tensor name or shape does not match the model.
    Tensor(String),
    /// Reading or writing a file failed.
    Io {
        /// The path as given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Encoding a file failed (safetensors, plot).
    Encode(String),
    /// Training diverged: the loss or a gradient became NaN or infinite.
    Diverged {
        /// Epoch (0-based) where it happened.
        epoch: usize,
        /// Optimiser step within the run.
        step: usize,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Model(m) => write!(f, "model: {m}"),
            TrainError::Data(m) => write!(f, "data: {m}"),
            TrainError::Config(m) => write!(f, "training options: {m}"),
            TrainError::Tensor(m) => write!(f, "tensor: {m}"),
            TrainError::Io { path, source } => write!(f, "{path}: {source}"),
            TrainError::Encode(m) => write!(f, "encoding: {m}"),
            TrainError::Diverged { epoch, step } => {
                write!(f, "training diverged (non-finite loss or gradient) at epoch {epoch}, step {step}")
            }
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
