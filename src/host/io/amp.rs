//! Automated-GuitarAmpModelling / GuitarML JSON (Proteus, NeuralPi, NeuralSeed, ...).
//!
//! `{"model_data": {"model": "SimpleRNN", "input_size", "skip", "output_size", "unit_type":
//! "LSTM" | "GRU" | "RNN", "num_layers", "hidden_size", "bias_fl"}, "state_dict": {"rec.*",
//! "lin.weight", "lin.bias"}}`, computing `y = lin(rec(x)) + x[:, :skip]`.
//!
//! The `state_dict` follows PyTorch's names (see [`super::safetensors`]); every declared
//! `model_data` field must agree with the tensors. `skip` is required (the trainer's default
//! is 1, so a file without it is ambiguous); `num_layers` and `bias_fl` are checked when
//! present.

use std::format;
use std::string::String;
use std::vec::Vec;

use crate::cell::{CellKind, RnnNonlinearity};
use crate::host::spec::{LayerSpec, LoadError, ModelSpec};

use super::json::{self, tensor, Json};
use super::torch::{self, StateDict, Tensor};

/// [`ModelSpec::source`] for this format.
pub const SOURCE: &str = "Automated-GuitarAmpModelling JSON";

/// Parses an Automated-GuitarAmpModelling / GuitarML JSON model.
pub fn parse(bytes: &[u8], name_for_errors: &str) -> Result<ModelSpec, LoadError> {
    json::parse(bytes).and_then(|doc| from_json(&doc)).map_err(|e| e.with_file(name_for_errors))
}

fn mismatch(field: &str, declared: impl core::fmt::Display, actual: impl core::fmt::Display) -> LoadError {
    LoadError::inconsistent("model_data", &format!("\"{field}\" is {declared}, but the state_dict gives {actual}"))
}

pub(crate) fn from_json(doc: &Json) -> Result<ModelSpec, LoadError> {
    let md = json::field(doc, "model_data", "")?;
    let ctx = "model_data";
    let model = json::str_field(md, "model", ctx)?;
    if model != "SimpleRNN" {
        return Err(LoadError::unsupported(ctx, &format!("model \"{model}\" (supported: SimpleRNN)")));
    }
    let unit = json::str_field(md, "unit_type", ctx)?;
    let kind = match unit {
        "LSTM" => CellKind::Lstm,
        "GRU" => CellKind::Gru,
        "RNN" => CellKind::Rnn(RnnNonlinearity::Tanh),
        other => {
            return Err(LoadError::unsupported(ctx, &format!("unit_type \"{other}\" (supported: LSTM, GRU, RNN)")))
        }
    };
    let input_size = json::usize_field(md, "input_size", ctx)?;
    let output_size = json::usize_field(md, "output_size", ctx)?;
    let hidden_size = json::usize_field(md, "hidden_size", ctx)?;
    let skip = json::usize_field(md, "skip", ctx)?;
    let num_layers = match md.get("num_layers") {
        Some(v) => Some(json::as_usize(v, "field \"num_layers\"", ctx)?),
        None => None,
    };
    let bias_fl = match md.get("bias_fl") {
        None => None,
        Some(Json::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(LoadError::malformed(ctx, &format!("\"bias_fl\" is {}, expected a boolean", other.type_name())))
        }
    };

    let sd = json::field(doc, "state_dict", "")?
        .as_obj()
        .ok_or_else(|| LoadError::malformed("state_dict", "expected an object of tensors"))?;
    let mut tensors = Vec::with_capacity(sd.len());
    for (name, v) in sd {
        if !(name.starts_with("rec.") || name.starts_with("lin.")) {
            return Err(LoadError::unsupported(
                "state_dict",
                &format!("tensor \"{name}\" (a SimpleRNN has only rec.* and lin.*)"),
            ));
        }
        let t = tensor(v, &format!("\"{name}\""), "state_dict")?;
        tensors.push(Tensor { name: name.clone(), shape: t.shape, data: t.data });
    }
    let has_rec_bias = tensors.iter().any(|t| t.name.starts_with("rec.bias_"));
    if let Some(b) = bias_fl {
        if b != has_rec_bias {
            return Err(mismatch("bias_fl", b, if has_rec_bias { "recurrent biases" } else { "no recurrent biases" }));
        }
    }
    let metadata: Vec<(String, String)> =
        Vec::from([(String::from("order"), String::from("rec,lin")), (String::from("skip"), format!("{skip}"))]);
    let mut spec = torch::build(StateDict { tensors, metadata, ordered: true }, SOURCE)?;

    let recs: Vec<_> = spec
        .layers
        .iter()
        .filter_map(|l| match l {
            LayerSpec::Recurrent(r) => Some(r),
            LayerSpec::Dense(_) => None,
        })
        .collect();
    let first = recs.first().ok_or_else(|| LoadError::missing("state_dict", "rec.* tensors"))?;
    if first.kind != kind {
        return Err(mismatch("unit_type", unit, crate::host::spec::cell_name(first.kind)));
    }
    if first.hidden_size != hidden_size {
        return Err(mismatch("hidden_size", hidden_size, first.hidden_size));
    }
    if let Some(n) = num_layers {
        if n != recs.len() {
            return Err(mismatch("num_layers", n, recs.len()));
        }
    }
    if spec.input_size != input_size {
        return Err(mismatch("input_size", input_size, spec.input_size));
    }
    if spec.output_size() != output_size {
        return Err(mismatch("output_size", output_size, spec.output_size()));
    }
    spec.source = SOURCE.into();
    Ok(spec)
}
