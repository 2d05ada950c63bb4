//! Baking: a [`ModelSpec`] becomes Rust source with the weights as `const` arrays packed by
//! `const fn` into `static`s (flash / `.rodata`), for `#![no_std]` firmware and plugins.
//!
//! The generated file is the contract outside code relies on: it defines
//! `pub type Model` (a [`Network`](crate::Network) + [`Layer`](crate::Layer)) and
//! `pub fn new() -> Model`, compiles under `#![no_std]` with no allocator, and matches
//! [`Model`] bit for bit on the same kernel tier. Two routes:
//!
//! - **Checked-in file**: `tinyrnn bake MODEL -o src/model.rs`, then `mod model;`. Keep it
//!   current in CI with `tinyrnn bake MODEL -o src/model.rs --check`.
//! - **`build.rs`**: call [`bake_file`] with an output in `OUT_DIR`, then
//!   `mod model { include!(concat!(env!("OUT_DIR"), "/model.rs")); }`.
//!
//! The output is deterministic (same spec → same bytes) and rustfmt-clean (data tables carry
//! `#[rustfmt::skip]`). It holds only items, no inner attributes, so `include!` works.

use core::fmt::Write as _;
use std::format;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use super::model::Model;
use super::spec::{activation_name, cell_name, LayerSpec, LoadError, ModelSpec};
use crate::activation::{Activation, ActivationKind};
use crate::cell::{CellKind, DenseActivation, RnnNonlinearity};
use crate::kernel;

/// What to bake besides the weights.
#[derive(Clone, Debug)]
pub struct BakeOptions {
    /// Named in the header comment (usually the model file's name).
    pub source_name: String,
    /// The activation pair the baked layers use.
    pub activation: ActivationKind,
}

/// Architecture and footprint of a spec, as the header comment and `tinyrnn info` print it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// Weights and biases.
    pub params: usize,
    /// Bytes of packed, 64-byte aligned weights (flash / `.rodata`).
    pub flash_bytes: usize,
    /// Bytes of network state and buffers on a 32-bit target (a baked `Model`'s size).
    pub ram_bytes: usize,
    /// Multiply-accumulates per step.
    pub macs_per_step: usize,
}

fn round64(bytes: usize) -> usize {
    bytes.div_ceil(64) * 64
}

/// Footprint of a spec once baked (flash and RAM figures for a 32-bit target).
pub fn footprint(spec: &ModelSpec) -> Footprint {
    const PTR: usize = 4;
    let (mut flash, mut ram, mut macs) = (0, 0, 0);
    for layer in &spec.layers {
        match layer {
            LayerSpec::Recurrent(r) => {
                let (g, h, i) = (r.kind.gates(), r.hidden_size, r.input_size);
                // One cache line holds the cell kind; each packed array is padded to 64 bytes.
                flash +=
                    64 + round64(4 * g * h * i) + round64(4 * g * h * h) + round64(4 * kernel::bias_rows(r.kind) * h);
                let states = if r.kind.has_cell_state() { 2 } else { 1 };
                ram += PTR + 4 * (states + 1) * h;
                macs += g * h * (i + h);
            }
            LayerSpec::Dense(d) => {
                flash += 64 + round64(4 * d.input_size * d.output_size) + round64(4 * d.output_size);
                ram += PTR + 4 * d.output_size;
                macs += d.input_size * d.output_size;
            }
        }
    }
    if spec.skip > 0 {
        ram += 4 * spec.output_size();
    }
    if has_initial_state(spec) {
        ram += PTR;
        flash += 4 * state_floats(spec);
    }
    Footprint { params: spec.param_count(), flash_bytes: flash, ram_bytes: ram, macs_per_step: macs }
}

/// One line per layer: `LSTM(1 → 8) → Dense(8 → 1, identity)`, plus skip and prewarm.
pub fn architecture(spec: &ModelSpec) -> String {
    let mut parts = Vec::new();
    for layer in &spec.layers {
        parts.push(match layer {
            LayerSpec::Recurrent(r) => {
                format!("{}({} → {})", cell_name(r.kind).to_uppercase(), r.input_size, r.hidden_size)
            }
            LayerSpec::Dense(d) => {
                format!("Dense({} → {}, {})", d.input_size, d.output_size, activation_name(d.activation))
            }
        });
    }
    let mut s = parts.join(" → ");
    if spec.skip > 0 {
        s.push_str(&format!(", residual skip {}", spec.skip));
    }
    if spec.prewarm > 0 {
        s.push_str(&format!(", prewarm {} samples", spec.prewarm));
    }
    s
}

fn has_initial_state(spec: &ModelSpec) -> bool {
    spec.prewarm > 0
        || spec.layers.iter().any(|l| match l {
            LayerSpec::Recurrent(r) => r.initial_h.is_some() || r.initial_c.is_some(),
            LayerSpec::Dense(_) => false,
        })
}

fn state_floats(spec: &ModelSpec) -> usize {
    spec.layers
        .iter()
        .map(|l| match l {
            LayerSpec::Recurrent(r) => r.hidden_size * if r.kind.has_cell_state() { 2 } else { 1 },
            LayerSpec::Dense(_) => 0,
        })
        .sum()
}

/// A float literal that parses back to the same bits.
fn lit(v: f32) -> String {
    if v.is_nan() {
        "f32::NAN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "f32::INFINITY" } else { "f32::NEG_INFINITY" }.into()
    } else {
        let s = format!("{v:?}");
        if s.contains(['.', 'e']) {
            s
        } else {
            s + ".0"
        }
    }
}

/// `[a, b, c]` on one line.
fn row(values: &[f32]) -> String {
    let items: Vec<String> = values.iter().map(|&v| lit(v)).collect();
    format!("[{}]", items.join(", "))
}

/// A `rows × cols` row-major matrix as nested arrays, one row per line.
fn matrix(out: &mut String, values: &[f32], cols: usize, indent: &str) {
    out.push_str("[\n");
    for r in values.chunks(cols.max(1)) {
        let _ = writeln!(out, "{indent}    {},", row(r));
    }
    let _ = write!(out, "{indent}]");
}

/// `G` gate blocks of `rows × cols` as `[[[f32; cols]; rows]; G]`.
fn gate_blocks(out: &mut String, values: &[f32], gates: usize, cols: usize) {
    out.push_str("[\n");
    for g in values.chunks((values.len() / gates).max(1)) {
        out.push_str("    ");
        matrix(out, g, cols, "    ");
        out.push_str(",\n");
    }
    out.push(']');
}

/// `const NAME: TY = <body>;` (or `static`), which rustfmt leaves alone.
fn data_item(out: &mut String, item: &str, name: &str, ty: &str, body: impl FnOnce(&mut String)) {
    let _ = write!(
        out,
        "#[rustfmt::skip]\n#[allow(clippy::approx_constant, clippy::excessive_precision)]\n{item} {name}: {ty} = "
    );
    body(out);
    out.push_str(";\n\n");
}

fn activation_type(kind: ActivationKind) -> &'static str {
    match kind {
        ActivationKind::Exact => "tinyrnn::Exact",
    }
}

fn dense_activation_path(act: DenseActivation) -> &'static str {
    match act {
        DenseActivation::Identity => "tinyrnn::DenseActivation::Identity",
        DenseActivation::Tanh => "tinyrnn::DenseActivation::Tanh",
        DenseActivation::Sigmoid => "tinyrnn::DenseActivation::Sigmoid",
        DenseActivation::Relu => "tinyrnn::DenseActivation::Relu",
        DenseActivation::Elu => "tinyrnn::DenseActivation::Elu",
        DenseActivation::Softmax => "tinyrnn::DenseActivation::Softmax",
    }
}

/// The Rust source of a baked model (see the module docs for the contract).
pub fn bake(spec: &ModelSpec, options: &BakeOptions) -> Result<String, LoadError> {
    spec.validate()?;
    let fp = footprint(spec);
    let act = activation_type(options.activation);
    let mut out = String::new();
    let _ =
        writeln!(out, "// @generated by `tinyrnn bake` from {} ({}). Do not edit.", options.source_name, spec.source);
    let _ = writeln!(out, "//");
    let _ = writeln!(out, "// Architecture: {}", architecture(spec));
    let _ = writeln!(out, "// Activations: {act}");
    let _ = writeln!(
        out,
        "// Parameters: {}; flash: {} bytes (packed weights); RAM: {} bytes (state and buffers, 32-bit target)",
        fp.params, fp.flash_bytes, fp.ram_bytes
    );
    out.push('\n');

    // Weights, one `static` per layer, and the layer types and constructors.
    let mut types = Vec::new();
    let mut ctors = Vec::new();
    for (n, layer) in spec.layers.iter().enumerate() {
        match layer {
            LayerSpec::Recurrent(r) => {
                let (g, h, i) = (r.kind.gates(), r.hidden_size, r.input_size);
                let (alias, weights) = match r.kind {
                    CellKind::Lstm => ("Lstm", "LstmWeights"),
                    CellKind::Gru => ("Gru", "GruWeights"),
                    CellKind::Cifg => ("Cifg", "CifgWeights"),
                    CellKind::Rnn(_) => ("Rnn", "RnnWeights"),
                };
                let is_rnn = matches!(r.kind, CellKind::Rnn(_));
                let (ty_ih, ty_hh, ty_b) = if is_rnn {
                    (format!("[[f32; {i}]; {h}]"), format!("[[f32; {h}]; {h}]"), format!("[f32; {h}]"))
                } else {
                    (
                        format!("[[[f32; {i}]; {h}]; {g}]"),
                        format!("[[[f32; {h}]; {h}]; {g}]"),
                        format!("[[f32; {h}]; {g}]"),
                    )
                };
                let _ = writeln!(out, "// Layer {n}: {}({i} → {h})", cell_name(r.kind).to_uppercase());
                data_item(&mut out, "const", &format!("L{n}_WEIGHT_IH"), &ty_ih, |o| {
                    if is_rnn {
                        matrix(o, &r.weight_ih, i, "")
                    } else {
                        gate_blocks(o, &r.weight_ih, g, i)
                    }
                });
                data_item(&mut out, "const", &format!("L{n}_WEIGHT_HH"), &ty_hh, |o| {
                    if is_rnn {
                        matrix(o, &r.weight_hh, h, "")
                    } else {
                        gate_blocks(o, &r.weight_hh, g, h)
                    }
                });
                for (name, b) in [("BIAS_IH", &r.bias_ih), ("BIAS_HH", &r.bias_hh)] {
                    data_item(&mut out, "const", &format!("L{n}_{name}"), &ty_b, |o| {
                        if is_rnn {
                            o.push_str(&row(b))
                        } else {
                            matrix(o, b, h, "")
                        }
                    });
                }
                let extra = match r.kind {
                    CellKind::Rnn(RnnNonlinearity::Tanh) => ", tinyrnn::RnnNonlinearity::Tanh",
                    CellKind::Rnn(RnnNonlinearity::Relu) => ", tinyrnn::RnnNonlinearity::Relu",
                    _ => "",
                };
                let _ = writeln!(
                    out,
                    "#[rustfmt::skip]\nstatic L{n}: tinyrnn::{weights}<{i}, {h}> =\n    tinyrnn::{weights}::from_pytorch(&L{n}_WEIGHT_IH, &L{n}_WEIGHT_HH, &L{n}_BIAS_IH, &L{n}_BIAS_HH{extra});\n"
                );
                types.push(format!("tinyrnn::{alias}<{i}, {h}, {act}>"));
                ctors.push(format!("tinyrnn::{alias}::new(&L{n})"));
            }
            LayerSpec::Dense(d) => {
                let (i, o) = (d.input_size, d.output_size);
                let _ = writeln!(out, "// Layer {n}: Dense({i} → {o}, {})", activation_name(d.activation));
                data_item(&mut out, "const", &format!("L{n}_WEIGHT"), &format!("[[f32; {i}]; {o}]"), |s| {
                    matrix(s, &d.weight, i, "")
                });
                data_item(&mut out, "const", &format!("L{n}_BIAS"), &format!("[f32; {o}]"), |s| {
                    s.push_str(&row(&d.bias))
                });
                let _ = writeln!(
                    out,
                    "#[rustfmt::skip]\nstatic L{n}: tinyrnn::DenseWeights<{i}, {o}> =\n    tinyrnn::DenseWeights::from_pytorch(&L{n}_WEIGHT, &L{n}_BIAS, {});\n",
                    dense_activation_path(d.activation)
                );
                types.push(format!("tinyrnn::Dense<{i}, {o}, {act}>"));
                ctors.push(format!("tinyrnn::Dense::new(&L{n})"));
            }
        }
    }

    // Nest the layers right to left: Chain<L0, Chain<L1, L2>>.
    let mut ty = types.pop().unwrap_or_default();
    let mut ctor = ctors.pop().unwrap_or_default();
    while let (Some(t), Some(c)) = (types.pop(), ctors.pop()) {
        ty = format!("tinyrnn::Chain<{t}, {ty}>");
        ctor = format!("tinyrnn::Chain::new({c}, {ctor})");
    }
    if spec.skip > 0 {
        ty = format!("tinyrnn::Residual<{ty}, {}, {}>", spec.skip, spec.output_size());
        ctor = format!("tinyrnn::Residual::new({ctor})");
    }
    if has_initial_state(spec) {
        let state = initial_state(spec, options.activation)?;
        let _ = writeln!(
            out,
            "/// The state after reset: the file's initial state{}.",
            if spec.prewarm > 0 {
                format!(" advanced by {} zero samples (prewarm, run at bake time)", spec.prewarm)
            } else {
                String::new()
            }
        );
        let inner = ty.clone();
        data_item(&mut out, "static", "INITIAL", &format!("<{inner} as tinyrnn::Layer>::State"), |o| {
            state_literal(o, spec, &state)
        });
        ty = format!("tinyrnn::WithInitialState<{inner}>");
        ctor = format!("tinyrnn::WithInitialState::new({ctor}, &INITIAL)");
    }

    let _ = writeln!(out, "/// The baked network: {}.", architecture(spec));
    let _ = writeln!(out, "#[rustfmt::skip]\npub type Model = {ty};\n");
    let _ = writeln!(out, "/// A fresh network in its initial state.");
    let _ = writeln!(out, "#[rustfmt::skip]\npub fn new() -> Model {{\n    {ctor}\n}}");
    Ok(out)
}

/// The state after reset, computed by the runtime model (same kernels) at bake time.
fn initial_state(spec: &ModelSpec, kind: ActivationKind) -> Result<Vec<f32>, LoadError> {
    fn run<A: Activation>(spec: &ModelSpec) -> Result<Vec<f32>, LoadError> {
        Ok(Model::<A>::from_spec(spec)?.snapshot())
    }
    match kind {
        ActivationKind::Exact => run::<crate::Exact>(spec),
    }
}

/// Writes a snapshot as the nested tuple `<Model as Layer>::State` expects: one element per
/// layer, right-nested like the chain; `[[f32; H]; S]` for a recurrent layer, `()` for Dense.
fn state_literal(out: &mut String, spec: &ModelSpec, state: &[f32]) {
    let mut parts = Vec::new();
    let mut rest = state;
    for layer in &spec.layers {
        parts.push(match layer {
            LayerSpec::Recurrent(r) => {
                let n = r.hidden_size * if r.kind.has_cell_state() { 2 } else { 1 };
                let (head, tail) = rest.split_at(n);
                rest = tail;
                let rows: Vec<String> = head.chunks(r.hidden_size).map(row).collect();
                format!("[\n    {},\n]", rows.join(",\n    "))
            }
            LayerSpec::Dense(_) => "()".to_string(),
        });
    }
    let mut lit = parts.pop().unwrap_or_default();
    while let Some(p) = parts.pop() {
        lit = format!("({p}, {lit})");
    }
    out.push_str(&lit);
}

/// Bakes a model file (any format [`load_model`](super::io::load_model) reads) into `out`,
/// for `build.rs`. Writes only when the content changes, so cargo does not rebuild needlessly.
#[cfg(feature = "formats")]
pub fn bake_file(model: impl AsRef<Path>, out: impl AsRef<Path>, activation: ActivationKind) -> Result<(), LoadError> {
    let source = bake_model_file(model.as_ref(), activation)?;
    let out = out.as_ref();
    if std::fs::read_to_string(out).ok().as_deref() != Some(source.as_str()) {
        std::fs::write(out, source).map_err(|source| LoadError::Io { path: out.display().to_string(), source })?;
    }
    Ok(())
}

/// The baked source of a model file; the header names the file (not its directory, so the
/// output does not depend on where the file lies).
#[cfg(feature = "formats")]
pub fn bake_model_file(model: &Path, activation: ActivationKind) -> Result<String, LoadError> {
    let spec = super::io::load_model(model)?;
    let source_name = model.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    bake(&spec, &BakeOptions { source_name, activation })
}
