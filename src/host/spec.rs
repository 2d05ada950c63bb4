//! The model intermediate representation (IR) every loader produces.
//!
//! A [`ModelSpec`] is a runtime-sized, format-independent description of a network in
//! **PyTorch conventions**: weights are row-major `(out, in)` matrices, gate blocks are in
//! PyTorch order (LSTM `i, f, g, o`; GRU `r, z, n`; CIFG `i, g, o`; RNN one gate) and
//! recurrent layers keep `bias_ih` and `bias_hh` separate (GRU's `b_hn` cannot be folded).
//! Conversions from other conventions (Keras transposes, Keras GRU `z, r, h` order, NAM's
//! concatenated `[W_ih | W_hh]`) happen in the loaders, never here.
//!
//! The forward pass a spec describes: the layers run in sequence on one time step's input
//! vector; recurrent layers carry state between steps (zero, or `initial_h`/`initial_c`
//! when given, after a reset); then `output[j] += input[j]` for `j < skip`. After a reset,
//! `prewarm` zero-input samples are run and their outputs discarded.

use core::fmt;
use std::format;
use std::string::String;
use std::vec::Vec;

use crate::cell::{CellKind, DenseActivation, RnnNonlinearity};
use crate::kernel::TierEnvError;

/// A whole network: layers in forward order plus the residual and reset behaviour.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// Size of one time step's input vector.
    pub input_size: usize,
    /// Layers in forward order; layer `k`'s output feeds layer `k + 1`.
    pub layers: Vec<LayerSpec>,
    /// Residual: `output[j] += input[j]` for `j < skip` (0 = none).
    pub skip: usize,
    /// Zero-input samples to run after reset (NAM prewarm), 0 = none.
    ///
    /// Loaders set this to what the format's reference player does: 0 for every format
    /// except NAM, where it is half a second at the file's sample rate (24000 at 48 kHz),
    /// as NeuralAmpModelerCore's `DSP::prewarm` does. Set it to 0 to start straight from the
    /// file's initial state.
    pub prewarm: usize,
    /// Short description of where the spec came from, e.g. `"PyTorch safetensors"`.
    pub source: String,
}

/// One layer of a [`ModelSpec`].
#[derive(Clone, Debug, PartialEq)]
pub enum LayerSpec {
    /// A single recurrent layer (one layer of a stacked `nn.LSTM` etc.).
    Recurrent(RecurrentSpec),
    /// A fully connected layer with an activation.
    Dense(DenseSpec),
}

/// One recurrent layer, PyTorch layout.
#[derive(Clone, Debug, PartialEq)]
pub struct RecurrentSpec {
    /// Which cell (and, for RNN, which nonlinearity).
    pub kind: CellKind,
    /// Input vector size `I`.
    pub input_size: usize,
    /// Hidden size `H` (also the layer's output size).
    pub hidden_size: usize,
    /// `(G*H, I)` row-major, PyTorch gate order: LSTM i,f,g,o; GRU r,z,n; CIFG i,g,o; RNN one gate.
    pub weight_ih: Vec<f32>,
    /// `(G*H, H)` row-major, same gate order.
    pub weight_hh: Vec<f32>,
    /// `(G*H)`; zeros when the file has none.
    pub bias_ih: Vec<f32>,
    /// `(G*H)`; zeros when the file has none.
    pub bias_hh: Vec<f32>,
    /// Initial hidden state `(H)` for files that carry one (NAM); `None` = zeros.
    pub initial_h: Option<Vec<f32>>,
    /// Initial cell state `(H)` (LSTM/CIFG only) for files that carry one; `None` = zeros.
    pub initial_c: Option<Vec<f32>>,
}

/// A fully connected layer `y = act(W x + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseSpec {
    /// Input size `I`.
    pub input_size: usize,
    /// Output size `O`.
    pub output_size: usize,
    /// `(O, I)` row-major.
    pub weight: Vec<f32>,
    /// `(O)`; zeros when the file has none.
    pub bias: Vec<f32>,
    /// Applied after the affine map.
    pub activation: DenseActivation,
}

/// Short lower-case name of a cell kind, as used in error messages.
pub fn cell_name(kind: CellKind) -> &'static str {
    match kind {
        CellKind::Rnn(RnnNonlinearity::Tanh) => "rnn tanh",
        CellKind::Rnn(RnnNonlinearity::Relu) => "rnn relu",
        CellKind::Gru => "gru",
        CellKind::Lstm => "lstm",
        CellKind::Cifg => "cifg",
    }
}

/// Short lower-case name of a dense activation (`"identity"`, `"tanh"`, ...).
pub fn activation_name(act: DenseActivation) -> &'static str {
    match act {
        DenseActivation::Identity => "identity",
        DenseActivation::Tanh => "tanh",
        DenseActivation::Sigmoid => "sigmoid",
        DenseActivation::Relu => "relu",
        DenseActivation::Elu => "elu",
        DenseActivation::Softmax => "softmax",
    }
}

/// Formats a shape as `[a, b]`.
pub(crate) fn fmt_shape(shape: &[usize]) -> String {
    let mut s = String::from("[");
    for (k, d) in shape.iter().enumerate() {
        if k > 0 {
            s.push_str(", ");
        }
        s.push_str(&format!("{d}"));
    }
    s.push(']');
    s
}

impl LayerSpec {
    /// Size of the layer's input vector.
    pub fn input_size(&self) -> usize {
        match self {
            LayerSpec::Recurrent(r) => r.input_size,
            LayerSpec::Dense(d) => d.input_size,
        }
    }

    /// Size of the layer's output vector (the hidden size for a recurrent layer).
    pub fn output_size(&self) -> usize {
        match self {
            LayerSpec::Recurrent(r) => r.hidden_size,
            LayerSpec::Dense(d) => d.output_size,
        }
    }

    /// Number of weights and biases (initial states are not counted).
    pub fn param_count(&self) -> usize {
        match self {
            LayerSpec::Recurrent(r) => r.weight_ih.len() + r.weight_hh.len() + r.bias_ih.len() + r.bias_hh.len(),
            LayerSpec::Dense(d) => d.weight.len() + d.bias.len(),
        }
    }

    /// Short name for messages: `"lstm"`, `"gru"`, `"rnn tanh"`, `"dense"`, ...
    pub fn kind_name(&self) -> &'static str {
        match self {
            LayerSpec::Recurrent(r) => cell_name(r.kind),
            LayerSpec::Dense(_) => "dense",
        }
    }
}

impl ModelSpec {
    /// Size of the network's output vector (the input size if there are no layers).
    pub fn output_size(&self) -> usize {
        self.layers.last().map_or(self.input_size, LayerSpec::output_size)
    }

    /// Number of weights and biases over all layers (initial states are not counted).
    pub fn param_count(&self) -> usize {
        self.layers.iter().map(LayerSpec::param_count).sum()
    }

    /// Checks that the spec is internally consistent: at least one layer, all sizes
    /// non-zero, every layer's input size equals the previous layer's output size (the
    /// first one's equals `input_size`), every vector has the length its sizes imply,
    /// initial states have length `H` (and `initial_c` only on LSTM/CIFG), all values are
    /// finite, and `skip <= min(input_size, output_size)`.
    pub fn validate(&self) -> Result<(), LoadError> {
        if self.layers.is_empty() {
            return Err(LoadError::inconsistent("model", "has no layers"));
        }
        if self.input_size == 0 {
            return Err(LoadError::inconsistent("model", "input size is 0"));
        }
        let mut width = self.input_size;
        for (k, layer) in self.layers.iter().enumerate() {
            let ctx = format!("layer {k} ({})", layer.kind_name());
            if layer.input_size() != width {
                return Err(LoadError::inconsistent(
                    &ctx,
                    &format!(
                        "input size is {}, but the {} feeding it has size {width}",
                        layer.input_size(),
                        if k == 0 { String::from("model input") } else { format!("output of layer {}", k - 1) }
                    ),
                ));
            }
            match layer {
                LayerSpec::Recurrent(r) => validate_recurrent(r, &ctx)?,
                LayerSpec::Dense(d) => validate_dense(d, &ctx)?,
            }
            width = layer.output_size();
        }
        if self.skip > self.input_size.min(width) {
            return Err(LoadError::inconsistent(
                "model",
                &format!("skip {} exceeds min(input size {}, output size {width})", self.skip, self.input_size),
            ));
        }
        Ok(())
    }
}

fn product(ctx: &str, dims: &[usize]) -> Result<usize, LoadError> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| LoadError::inconsistent(ctx, &format!("size {} overflows", fmt_shape(dims))))
}

fn check_vec(ctx: &str, tensor: &str, v: &[f32], dims: &[usize]) -> Result<(), LoadError> {
    let n = product(ctx, dims)?;
    if v.len() != n {
        return Err(LoadError::shape(
            ctx,
            tensor,
            &format!("{} elements", v.len()),
            &format!("{} = {n} elements", fmt_shape(dims)),
        ));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(LoadError::inconsistent(
            ctx,
            &format!("{tensor} holds a non-finite value ({}) at index {i}", v[i]),
        ));
    }
    Ok(())
}

fn validate_recurrent(r: &RecurrentSpec, ctx: &str) -> Result<(), LoadError> {
    if r.input_size == 0 || r.hidden_size == 0 {
        return Err(LoadError::inconsistent(
            ctx,
            &format!("input size {} and hidden size {} must be non-zero", r.input_size, r.hidden_size),
        ));
    }
    let gh = product(ctx, &[r.kind.gates(), r.hidden_size])?;
    check_vec(ctx, "weight_ih", &r.weight_ih, &[gh, r.input_size])?;
    check_vec(ctx, "weight_hh", &r.weight_hh, &[gh, r.hidden_size])?;
    check_vec(ctx, "bias_ih", &r.bias_ih, &[gh])?;
    check_vec(ctx, "bias_hh", &r.bias_hh, &[gh])?;
    if let Some(h) = &r.initial_h {
        check_vec(ctx, "initial_h", h, &[r.hidden_size])?;
    }
    if let Some(c) = &r.initial_c {
        if !r.kind.has_cell_state() {
            return Err(LoadError::inconsistent(ctx, "initial_c given for a cell without a cell state"));
        }
        check_vec(ctx, "initial_c", c, &[r.hidden_size])?;
    }
    Ok(())
}

fn validate_dense(d: &DenseSpec, ctx: &str) -> Result<(), LoadError> {
    if d.input_size == 0 || d.output_size == 0 {
        return Err(LoadError::inconsistent(
            ctx,
            &format!("input size {} and output size {} must be non-zero", d.input_size, d.output_size),
        ));
    }
    check_vec(ctx, "weight", &d.weight, &[d.output_size, d.input_size])?;
    check_vec(ctx, "bias", &d.bias, &[d.output_size])
}

/// Why a model file could not be turned into a [`ModelSpec`].
///
/// Every variant but [`LoadError::Tier`] carries `file` (the name given to the loader; empty
/// for [`ModelSpec::validate`]) and, where it applies, `context`: which layer, tensor or field
/// is at fault, e.g. `"layer 0 (lstm)"`. The [`Display`](fmt::Display) text puts them in
/// front: `"model.json: layer 0 (lstm): recurrent kernel has shape [20, 80], expected
/// [16, 64] ..."`.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    Io {
        /// Path as given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The content matches none of the supported formats.
    UnknownFormat {
        /// File name.
        file: String,
        /// What was seen, what was expected.
        detail: String,
    },
    /// The bytes are not well-formed for the format (bad JSON, truncated data, bad header).
    Malformed {
        /// File name.
        file: String,
        /// Where (may be empty).
        context: String,
        /// What is wrong.
        detail: String,
    },
    /// A tensor's shape disagrees with what the model needs.
    Shape {
        /// File name.
        file: String,
        /// Which layer or module.
        context: String,
        /// Which tensor.
        tensor: String,
        /// The shape found.
        actual: String,
        /// The shape required.
        expected: String,
    },
    /// A required tensor or field is absent.
    Missing {
        /// File name.
        file: String,
        /// Which layer or module.
        context: String,
        /// What is missing.
        what: String,
    },
    /// Something recognised but not supported: a layer kind, activation, dtype, architecture.
    Unsupported {
        /// File name.
        file: String,
        /// Which layer or module.
        context: String,
        /// What is unsupported.
        what: String,
    },
    /// Declared values disagree with each other or with the tensors.
    Inconsistent {
        /// File name.
        file: String,
        /// Which layer or module.
        context: String,
        /// The disagreement.
        detail: String,
    },
    /// `TINYRNN_TIER` names no kernel tier this CPU runs ([`Tier::try_detect`](crate::Tier::try_detect)), so no model
    /// is built.
    Tier(TierEnvError),
}

impl From<TierEnvError> for LoadError {
    fn from(e: TierEnvError) -> Self {
        LoadError::Tier(e)
    }
}

impl LoadError {
    pub(crate) fn shape(ctx: &str, tensor: &str, actual: &str, expected: &str) -> Self {
        LoadError::Shape {
            file: String::new(),
            context: ctx.into(),
            tensor: tensor.into(),
            actual: actual.into(),
            expected: expected.into(),
        }
    }

    pub(crate) fn inconsistent(ctx: &str, detail: &str) -> Self {
        LoadError::Inconsistent { file: String::new(), context: ctx.into(), detail: detail.into() }
    }

    /// Constructs [`LoadError::Malformed`] without a file name.
    #[cfg_attr(not(feature = "formats"), allow(dead_code))]
    pub(crate) fn malformed(ctx: &str, detail: &str) -> Self {
        LoadError::Malformed { file: String::new(), context: ctx.into(), detail: detail.into() }
    }

    /// Constructs [`LoadError::Missing`] without a file name.
    #[cfg_attr(not(feature = "formats"), allow(dead_code))]
    pub(crate) fn missing(ctx: &str, what: &str) -> Self {
        LoadError::Missing { file: String::new(), context: ctx.into(), what: what.into() }
    }

    /// Constructs [`LoadError::Unsupported`] without a file name.
    #[cfg_attr(not(feature = "formats"), allow(dead_code))]
    pub(crate) fn unsupported(ctx: &str, what: &str) -> Self {
        LoadError::Unsupported { file: String::new(), context: ctx.into(), what: what.into() }
    }

    /// The file name the error refers to (empty if none was given).
    pub fn file(&self) -> &str {
        match self {
            LoadError::Io { path, .. } => path,
            LoadError::Tier(_) => "",
            LoadError::UnknownFormat { file, .. }
            | LoadError::Malformed { file, .. }
            | LoadError::Shape { file, .. }
            | LoadError::Missing { file, .. }
            | LoadError::Unsupported { file, .. }
            | LoadError::Inconsistent { file, .. } => file,
        }
    }

    /// Sets the file name if none is set yet.
    pub fn with_file(mut self, name: &str) -> Self {
        match &mut self {
            LoadError::Io { .. } | LoadError::Tier(_) => {}
            LoadError::UnknownFormat { file, .. }
            | LoadError::Malformed { file, .. }
            | LoadError::Shape { file, .. }
            | LoadError::Missing { file, .. }
            | LoadError::Unsupported { file, .. }
            | LoadError::Inconsistent { file, .. } => {
                if file.is_empty() {
                    *file = name.into();
                }
            }
        }
        self
    }
}

fn prefix(f: &mut fmt::Formatter<'_>, file: &str, context: &str) -> fmt::Result {
    if !file.is_empty() {
        write!(f, "{file}: ")?;
    }
    if !context.is_empty() {
        write!(f, "{context}: ")?;
    }
    Ok(())
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, source } => write!(f, "{path}: cannot read: {source}"),
            LoadError::UnknownFormat { file, detail } => {
                prefix(f, file, "")?;
                write!(f, "unrecognised model format: {detail}")
            }
            LoadError::Malformed { file, context, detail } => {
                prefix(f, file, context)?;
                write!(f, "malformed: {detail}")
            }
            LoadError::Shape { file, context, tensor, actual, expected } => {
                prefix(f, file, context)?;
                write!(f, "{tensor} has shape {actual}, expected {expected}")
            }
            LoadError::Missing { file, context, what } => {
                prefix(f, file, context)?;
                write!(f, "missing {what}")
            }
            LoadError::Unsupported { file, context, what } => {
                prefix(f, file, context)?;
                write!(f, "unsupported {what}")
            }
            LoadError::Inconsistent { file, context, detail } => {
                prefix(f, file, context)?;
                f.write_str(detail)
            }
            LoadError::Tier(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { source, .. } => Some(source),
            LoadError::Tier(e) => Some(e),
            _ => None,
        }
    }
}
