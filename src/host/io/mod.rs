//! Model-file loaders (feature `formats`): trained-model files → [`ModelSpec`].
//!
//! [`load_model`] / [`parse_model`] detect the format from the content:
//!
//! | format | recognised by | loader |
//! | --- | --- | --- |
//! | PyTorch `state_dict` in safetensors | 8-byte header length, then `{` | [`safetensors`] |
//! | RTNeural JSON (Keras export) | object with `"layers"` | [`rtneural`] |
//! | PyTorch `state_dict` as JSON (RTNeural's torch helpers) | object of `"<module>.<param>"` tensors | [`rtneural`] |
//! | Automated-GuitarAmpModelling / GuitarML JSON | `"model_data"` and `"state_dict"` | [`amp`] |
//! | Neural Amp Modeler `.nam` | `"architecture"` and `"weights"` | [`nam`] |
//!
//! Every loader checks that what the file declares (sizes, shapes, layer counts) agrees with
//! its tensors, converts to the IR's PyTorch conventions, and finishes with
//! [`ModelSpec::validate`]. No input makes a loader panic, and no allocation exceeds a small
//! multiple of the input size: sizes declared in a file are compared against the data
//! actually present before anything is allocated from them.

pub mod amp;
pub(crate) mod json;
pub mod nam;
pub mod rtneural;
pub mod safetensors;
pub(crate) mod torch;

use std::path::Path;
use std::string::{String, ToString};

use crate::cell::DenseActivation;
use crate::host::spec::{LoadError, ModelSpec};

use json::Json;

/// The model-file formats [`parse_model`] understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// PyTorch `state_dict` in safetensors.
    Safetensors,
    /// RTNeural's Keras-exported JSON (`in_shape`, `layers`).
    RtNeuralKeras,
    /// A PyTorch `state_dict` dumped to JSON (RTNeural's `torch_helpers`).
    TorchJson,
    /// Automated-GuitarAmpModelling / GuitarML JSON (`model_data`, `state_dict`).
    AmpJson,
    /// Neural Amp Modeler `.nam`.
    Nam,
}

/// Reads and parses a model file; the format is detected from the content.
pub fn load_model(path: impl AsRef<Path>) -> Result<ModelSpec, LoadError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io { path: name.clone(), source })?;
    parse_model(&bytes, &name)
}

/// Whether `bytes` look like a safetensors file: a little-endian u64 header length that
/// fits in the buffer, followed by `{`.
fn looks_like_safetensors(bytes: &[u8]) -> bool {
    let Some((len, rest)) = bytes.split_first_chunk::<8>() else {
        return false;
    };
    let n = u64::from_le_bytes(*len);
    n >= 2 && n <= rest.len() as u64 && rest.first() == Some(&b'{')
}

/// Classifies a parsed JSON document.
fn json_format(doc: &Json) -> Result<Format, LoadError> {
    let Some(obj) = doc.as_obj() else {
        return Err(LoadError::UnknownFormat {
            file: String::new(),
            detail: std::format!("top-level JSON value is {}, expected an object", doc.type_name()),
        });
    };
    let has = |k: &str| obj.iter().any(|(key, _)| key == k);
    if has("architecture") && has("weights") {
        Ok(Format::Nam)
    } else if has("model_data") && has("state_dict") {
        Ok(Format::AmpJson)
    } else if has("layers") {
        Ok(Format::RtNeuralKeras)
    } else if !obj.is_empty() && obj.iter().all(|(k, v)| k.contains('.') && matches!(v, Json::Arr(_) | Json::Num(_))) {
        Ok(Format::TorchJson)
    } else {
        Err(LoadError::UnknownFormat {
            file: String::new(),
            detail: "a JSON object without \"layers\" (RTNeural), \"model_data\" + \
                     \"state_dict\" (amp JSON), \"architecture\" + \"weights\" (NAM), nor \
                     only \"<module>.<param>\" tensors (PyTorch state_dict JSON)"
                .into(),
        })
    }
}

/// Detects the format of a model file from its content (`None` if unrecognised).
/// JSON documents are parsed to tell the JSON formats apart.
pub fn detect_format(bytes: &[u8]) -> Option<Format> {
    if looks_like_safetensors(bytes) {
        return Some(Format::Safetensors);
    }
    json::parse(bytes).ok().and_then(|d| json_format(&d).ok())
}

/// Parses a model file held in memory; the format is detected from the content.
/// `name_for_errors` prefixes every error message (a file name, say).
pub fn parse_model(bytes: &[u8], name_for_errors: &str) -> Result<ModelSpec, LoadError> {
    parse_model_inner(bytes).map_err(|e| e.with_file(name_for_errors))
}

fn parse_model_inner(bytes: &[u8]) -> Result<ModelSpec, LoadError> {
    if looks_like_safetensors(bytes) {
        return safetensors::parse(bytes, "");
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(LoadError::UnknownFormat {
            file: String::new(),
            detail: "neither safetensors (8-byte little-endian header length, then a JSON \
                     header) nor a JSON object"
                .into(),
        });
    }
    let doc = json::parse(bytes)?;
    match json_format(&doc)? {
        Format::Nam => nam::from_json(&doc),
        Format::AmpJson => amp::from_json(&doc),
        Format::RtNeuralKeras => rtneural::from_keras_json(&doc),
        Format::TorchJson | Format::Safetensors => rtneural::from_torch_json(&doc),
    }
}

/// Parses an activation name as written by Keras/RTNeural/metadata: `""`, `"linear"`,
/// `"identity"`, `"none"` are the identity.
pub(crate) fn parse_activation(s: &str) -> Option<DenseActivation> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "" | "linear" | "identity" | "none" => DenseActivation::Identity,
        "tanh" => DenseActivation::Tanh,
        "sigmoid" => DenseActivation::Sigmoid,
        "relu" => DenseActivation::Relu,
        "elu" => DenseActivation::Elu,
        "softmax" => DenseActivation::Softmax,
        _ => return None,
    })
}
