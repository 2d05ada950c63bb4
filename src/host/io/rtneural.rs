//! RTNeural JSON, in both forms RTNeural reads.
//!
//! **Keras export** (`RTNeural::json_parser`): `{"in_shape": [.., I], "layers": [{"type",
//! "activation", "shape": [.., O], "weights": [...]}]}`. Supported layer types:
//!
//! - `dense` / `time-distributed-dense`: weights `[kernel (I, O), bias (O)]` (bias optional);
//!   the kernel is transposed to PyTorch's `(O, I)`. Activation `""`/`linear` = identity,
//!   `tanh`, `sigmoid`, `relu`, `elu`, `softmax`.
//! - `lstm`: `[kernel (I, 4H), recurrent (H, 4H), bias (4H)]`, gates i, f, c, o (PyTorch's
//!   order); transposed, the bias goes to `bias_ih`, `bias_hh` is zero.
//! - `gru` (reset-after): `[kernel (I, 3H), recurrent (H, 3H), bias (2, 3H)]`, gates z, r, h;
//!   reordered to PyTorch's r, z, n and transposed; bias row 0 → `bias_ih`, row 1 → `bias_hh`.
//!   A 1-D GRU bias means `reset_after=False`, which PyTorch cells cannot express: an error.
//! - `activation`: folded into the preceding Dense layer, which must have no activation of
//!   its own (otherwise an error: the IR has no standalone activation layer).
//!
//! A recurrent layer's `activation` must be its standard one (`tanh`; `""`, which some
//! exporters write and RTNeural ignores, is accepted too). Every layer's declared `shape`
//! (last entry) must equal the size its weights give, and `in_shape` the first layer's input.
//!
//! **PyTorch `state_dict` JSON** (`RTNeural::torch_helpers`, e.g. RTNeural's
//! `lstm_torch.json`): an object of `"<module>.<param>"` → nested lists, modules in forward
//! order as they appear in the file; same naming rules as [`super::safetensors`] (one or
//! more recurrent modules and Linear layers; no metadata, so Linear layers have no
//! activation).

use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use crate::cell::{CellKind, DenseActivation};
use crate::host::spec::{fmt_shape, DenseSpec, LayerSpec, LoadError, ModelSpec, RecurrentSpec};

use super::json::{self, describe, tensor, Json, JsonTensor};
use super::parse_activation;
use super::torch::{self, StateDict, Tensor};

/// [`ModelSpec::source`] of a Keras-exported RTNeural file.
pub const SOURCE_KERAS: &str = "RTNeural JSON (Keras)";
/// [`ModelSpec::source`] of a PyTorch state-dict JSON file.
pub const SOURCE_TORCH: &str = "RTNeural JSON (PyTorch state_dict)";

/// Parses either RTNeural JSON form (Keras export or PyTorch state-dict JSON).
pub fn parse(bytes: &[u8], name_for_errors: &str) -> Result<ModelSpec, LoadError> {
    let inner = || {
        let doc = json::parse(bytes)?;
        if doc.get("layers").is_some() {
            from_keras_json(&doc)
        } else {
            from_torch_json(&doc)
        }
    };
    inner().map_err(|e| e.with_file(name_for_errors))
}

/// Shape of a declared `shape`/`in_shape` for messages (`null` for None).
fn declared(v: &Json) -> String {
    match v {
        Json::Arr(a) => {
            let parts: Vec<String> = a
                .iter()
                .map(|x| match x {
                    Json::Null => "null".into(),
                    other => describe(other),
                })
                .collect();
            format!("[{}]", parts.join(", "))
        }
        other => describe(other),
    }
}

/// Last entry of a declared shape, as a size.
fn declared_size(v: &Json, what: &str, ctx: &str) -> Result<usize, LoadError> {
    match v.as_arr().and_then(<[Json]>::last) {
        Some(x) => json::as_usize(x, &format!("last entry of {what} {}", declared(v)), ctx),
        None => Err(LoadError::malformed(
            ctx,
            &format!("{what} must be a non-empty array, found {}", declared(v)),
        )),
    }
}

fn dims2(
    t: &JsonTensor,
    ctx: &str,
    what: &str,
    expected: &str,
) -> Result<(usize, usize), LoadError> {
    match t.shape.as_slice() {
        &[a, b] if a > 0 && b > 0 => Ok((a, b)),
        s => Err(LoadError::shape(ctx, what, &fmt_shape(s), expected)),
    }
}

/// Transposes `(rows, cols)` row-major into `(cols, rows)` row-major, permuting the
/// gate blocks of the output rows: output block `g` is input column block `perm[g]`.
fn transpose_gates(src: &[f32], rows: usize, cols: usize, perm: &[usize]) -> Vec<f32> {
    let h = cols / perm.len();
    let mut out = Vec::with_capacity(src.len());
    for &gk in perm {
        for j in 0..h {
            let c = gk * h + j;
            out.extend((0..rows).map(|r| src[r * cols + c]));
        }
    }
    out
}

fn permute_blocks(src: &[f32], perm: &[usize]) -> Vec<f32> {
    let h = src.len() / perm.len();
    perm.iter()
        .flat_map(|&g| src[g * h..(g + 1) * h].iter().copied())
        .collect()
}

/// Parses a Keras-exported RTNeural document.
pub(crate) fn from_keras_json(doc: &Json) -> Result<ModelSpec, LoadError> {
    let in_shape = json::field(doc, "in_shape", "model")?;
    let input_size = declared_size(in_shape, "\"in_shape\"", "model")?;
    let layers_json = json::field(doc, "layers", "model")?
        .as_arr()
        .ok_or_else(|| LoadError::malformed("model", "\"layers\" must be an array"))?;
    let mut layers: Vec<LayerSpec> = Vec::new();
    let mut width = input_size;
    for (idx, lj) in layers_json.iter().enumerate() {
        let ty = json::str_field(lj, "type", &format!("layer {idx}"))?;
        let ctx = format!("layer {idx} ({ty})");
        let act_str = match lj.get("activation") {
            None | Some(Json::Null) => "",
            Some(Json::Str(s)) => s.as_str(),
            Some(other) => {
                return Err(LoadError::malformed(
                    &ctx,
                    &format!("\"activation\" is {}, expected a string", other.type_name()),
                ))
            }
        };
        let shape_json = json::field(lj, "shape", &ctx)?;
        let declared_out = declared_size(shape_json, "\"shape\"", &ctx)?;
        let weights: Vec<JsonTensor> = match lj.get("weights") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Arr(ws)) => ws
                .iter()
                .enumerate()
                .map(|(w, v)| tensor(v, &format!("weights[{w}]"), &ctx))
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(LoadError::malformed(
                    &ctx,
                    &format!("\"weights\" is {}, expected an array", other.type_name()),
                ))
            }
        };
        let wshapes: Vec<String> = weights.iter().map(|t| fmt_shape(&t.shape)).collect();
        let wdesc = format!("weights of shapes [{}]", wshapes.join(", "));
        let layer: Option<LayerSpec> = match ty {
            "dense" | "time-distributed-dense" => {
                let activation = parse_activation(act_str).ok_or_else(|| {
                    LoadError::unsupported(
                        &ctx,
                        &format!(
                            "activation \"{act_str}\" (supported: \"\", tanh, sigmoid, relu, \
                             elu, softmax)"
                        ),
                    )
                })?;
                Some(LayerSpec::Dense(keras_dense(
                    &weights, activation, &ctx, &wdesc,
                )?))
            }
            "lstm" | "gru" => {
                if !matches!(act_str, "" | "tanh") {
                    return Err(LoadError::unsupported(
                        &ctx,
                        &format!(
                            "activation \"{act_str}\" on a recurrent layer (only the standard \
                             \"tanh\" is supported)"
                        ),
                    ));
                }
                let kind = if ty == "lstm" {
                    CellKind::Lstm
                } else {
                    CellKind::Gru
                };
                Some(LayerSpec::Recurrent(keras_recurrent(
                    kind, &weights, &ctx, &wdesc,
                )?))
            }
            "activation" => {
                let activation = parse_activation(act_str).ok_or_else(|| {
                    LoadError::unsupported(
                        &ctx,
                        &format!(
                            "activation \"{act_str}\" (supported: \"\", tanh, sigmoid, relu, \
                             elu, softmax)"
                        ),
                    )
                })?;
                if !weights.is_empty() {
                    return Err(LoadError::inconsistent(
                        &ctx,
                        &format!("has {wdesc}, expected none"),
                    ));
                }
                if activation != DenseActivation::Identity {
                    match layers.last_mut() {
                        Some(LayerSpec::Dense(d)) if d.activation == DenseActivation::Identity => {
                            d.activation = activation;
                        }
                        prev => {
                            return Err(LoadError::unsupported(
                                &ctx,
                                &format!(
                                    "activation layer \"{act_str}\" after {}: only an \
                                     activation following a Dense layer without one can be \
                                     represented",
                                    match prev {
                                        Some(LayerSpec::Dense(_)) =>
                                            "a Dense layer that already has an activation",
                                        Some(LayerSpec::Recurrent(_)) => "a recurrent layer",
                                        None => "the model input",
                                    }
                                ),
                            ))
                        }
                    }
                }
                None
            }
            other => {
                return Err(LoadError::unsupported(
                    &format!("layer {idx}"),
                    &format!(
                        "layer type \"{other}\" (supported: dense, time-distributed-dense, \
                         lstm, gru, activation)"
                    ),
                ))
            }
        };
        let (lin, lout) = match &layer {
            Some(l) => (l.input_size(), l.output_size()),
            None => (width, width),
        };
        if declared_out != lout {
            return Err(LoadError::inconsistent(
                &ctx,
                &format!(
                    "declared \"shape\" {} gives {declared_out} units, but the {wdesc} give \
                     {lout} (input {lin})",
                    declared(shape_json)
                ),
            ));
        }
        if lin != width {
            return Err(LoadError::inconsistent(
                &ctx,
                &format!(
                    "{wdesc} take an input of size {lin}, but the {} has size {width}",
                    if idx == 0 {
                        format!("declared \"in_shape\" {}", declared(in_shape))
                    } else {
                        String::from("previous layer's output")
                    }
                ),
            ));
        }
        width = lout;
        if let Some(l) = layer {
            layers.push(l);
        }
    }
    let spec = ModelSpec {
        input_size,
        layers,
        skip: 0,
        prewarm: 0,
        source: SOURCE_KERAS.into(),
    };
    spec.validate()?;
    Ok(spec)
}

fn keras_dense(
    w: &[JsonTensor],
    activation: DenseActivation,
    ctx: &str,
    wdesc: &str,
) -> Result<DenseSpec, LoadError> {
    let (kernel, bias) = match w {
        [k] => (k, None),
        [k, b] => (k, Some(b)),
        _ => {
            return Err(LoadError::inconsistent(
                ctx,
                &format!(
                    "has {wdesc}, expected [kernel (in, out)] or [kernel (in, out), bias (out)]"
                ),
            ))
        }
    };
    let (i, o) = dims2(kernel, ctx, "kernel", "[in, out]")?;
    let bias = match bias {
        Some(b) if b.shape == [o] => b.data.clone(),
        Some(b) => {
            return Err(LoadError::shape(
                ctx,
                "bias",
                &fmt_shape(&b.shape),
                &fmt_shape(&[o]),
            ))
        }
        None => vec![0.0; o],
    };
    Ok(DenseSpec {
        input_size: i,
        output_size: o,
        weight: transpose_gates(&kernel.data, i, o, &[0]),
        bias,
        activation,
    })
}

fn keras_recurrent(
    kind: CellKind,
    w: &[JsonTensor],
    ctx: &str,
    wdesc: &str,
) -> Result<RecurrentSpec, LoadError> {
    let g = kind.gates();
    // Keras block k of PyTorch gate block g: LSTM i,f,c,o = i,f,g,o; GRU z,r,h -> r,z,n.
    let perm: &[usize] = if kind == CellKind::Gru {
        &[1, 0, 2]
    } else {
        &[0, 1, 2, 3]
    };
    let (kernel, recurrent, bias) = match w {
        [k, r] => (k, r, None),
        [k, r, b] => (k, r, Some(b)),
        _ => {
            return Err(LoadError::inconsistent(
                ctx,
                &format!("has {wdesc}, expected [kernel, recurrent kernel, bias]"),
            ))
        }
    };
    let (hr, gh) = dims2(recurrent, ctx, "recurrent kernel", &format!("[H, {g}*H]"))?;
    if gh != g * hr {
        return Err(LoadError::shape(
            ctx,
            "recurrent kernel",
            &fmt_shape(&recurrent.shape),
            &format!("[H, {g}*H] = [{hr}, {}] ({wdesc})", g * hr),
        ));
    }
    let h = hr;
    let (i, kc) = dims2(kernel, ctx, "kernel", &format!("[in, {}]", g * h))?;
    if kc != g * h {
        return Err(LoadError::shape(
            ctx,
            "kernel",
            &fmt_shape(&kernel.shape),
            &format!(
                "[{i}, {}] (hidden size {h} from the recurrent kernel; {wdesc})",
                g * h
            ),
        ));
    }
    let zeros = || vec![0.0f32; g * h];
    let (bias_ih, bias_hh) = match (kind, bias) {
        (_, None) => (zeros(), zeros()),
        (CellKind::Lstm, Some(b)) if b.shape == [g * h] => (b.data.clone(), zeros()),
        (CellKind::Gru, Some(b)) if b.shape == [2, g * h] => (
            permute_blocks(&b.data[..g * h], perm),
            permute_blocks(&b.data[g * h..], perm),
        ),
        (CellKind::Gru, Some(b)) if b.shape == [g * h] => {
            return Err(LoadError::unsupported(
                ctx,
                "GRU with reset_after=False (1-D bias); export with reset_after=True",
            ))
        }
        (_, Some(b)) => {
            let expected = if kind == CellKind::Gru {
                fmt_shape(&[2, g * h])
            } else {
                fmt_shape(&[g * h])
            };
            return Err(LoadError::shape(
                ctx,
                "bias",
                &fmt_shape(&b.shape),
                &format!("{expected} ({wdesc})"),
            ));
        }
    };
    Ok(RecurrentSpec {
        kind,
        input_size: i,
        hidden_size: h,
        weight_ih: transpose_gates(&kernel.data, i, g * h, perm),
        weight_hh: transpose_gates(&recurrent.data, h, g * h, perm),
        bias_ih,
        bias_hh,
        initial_h: None,
        initial_c: None,
    })
}

/// Parses a PyTorch state dict dumped to JSON (modules in file order).
pub(crate) fn from_torch_json(doc: &Json) -> Result<ModelSpec, LoadError> {
    let obj = doc
        .as_obj()
        .ok_or_else(|| LoadError::malformed("", "expected a JSON object of tensors"))?;
    let mut tensors = Vec::with_capacity(obj.len());
    for (name, v) in obj {
        let t = tensor(v, &format!("\"{name}\""), "")?;
        tensors.push(Tensor {
            name: name.clone(),
            shape: t.shape,
            data: t.data,
        });
    }
    torch::build(
        StateDict {
            tensors,
            metadata: Vec::new(),
            ordered: true,
        },
        SOURCE_TORCH,
    )
}
