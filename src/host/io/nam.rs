//! Neural Amp Modeler `.nam` files, architecture `LSTM`.
//!
//! `{"version", "architecture": "LSTM", "config": {"input_size", "hidden_size",
//! "num_layers"}, "weights": [...], "sample_rate"}`. The flat `weights` hold, per layer
//! (input size `I` = `input_size` for layer 0, `H` after): `W = [W_ih | W_hh]`
//! (`4H × (I + H)`, row-major, gates i, f, g, o), `b = b_ih + b_hh` (`4H`), the initial
//! `h` (`H`) and the initial `c` (`H`); after all layers the head weight (`1 × H`) and bias
//! (`1`). The count must match exactly. There is no residual.
//!
//! The spec keeps the summed bias in `bias_ih` (`bias_hh` = 0) and the initial state in
//! `initial_h` / `initial_c`.
//!
//! **Prewarm.** NAM's plugin runs half a second of zero input after every reset
//! (NeuralAmpModelerCore's `DSP::prewarm`), so the state a player starts from is the
//! file's state advanced by those samples. [`ModelSpec::prewarm`] is set to the same:
//! `round(0.5 × sample_rate)` (24000 at 48 kHz; `sample_rate` defaults to 48000 when the
//! file predates the field), so a spec played as-is sounds like NAM. Set it to 0 to start
//! from the file's state.

use std::format;
use std::vec::Vec;

use crate::cell::{CellKind, DenseActivation};
use crate::host::spec::{DenseSpec, LayerSpec, LoadError, ModelSpec, RecurrentSpec};

use super::json::{self, Json};

/// [`ModelSpec::source`] for this format.
pub const SOURCE: &str = "Neural Amp Modeler LSTM (.nam)";

/// Sample rate assumed when a `.nam` file has no `sample_rate`.
pub const DEFAULT_SAMPLE_RATE: f64 = 48_000.0;

/// Prewarm length NAM uses, in seconds.
pub const PREWARM_SECONDS: f64 = 0.5;

/// Parses a `.nam` file (architecture LSTM).
pub fn parse(bytes: &[u8], name_for_errors: &str) -> Result<ModelSpec, LoadError> {
    json::parse(bytes).and_then(|doc| from_json(&doc)).map_err(|e| e.with_file(name_for_errors))
}

fn take<'a>(w: &mut &'a [f32], n: usize) -> &'a [f32] {
    // Callers check the total length first, so `n <= w.len()` always holds; `min` keeps
    // this total anyway.
    let (a, b) = w.split_at(n.min(w.len()));
    *w = b;
    a
}

pub(crate) fn from_json(doc: &Json) -> Result<ModelSpec, LoadError> {
    let arch = json::str_field(doc, "architecture", "")?;
    if arch != "LSTM" {
        return Err(LoadError::unsupported("", &format!("NAM architecture \"{arch}\" (supported: LSTM)")));
    }
    let cfg = json::field(doc, "config", "")?;
    let ctx = "config";
    let input_size = match cfg.get("input_size") {
        Some(v) => json::as_usize(v, "field \"input_size\"", ctx)?,
        None => 1,
    };
    let h = json::usize_field(cfg, "hidden_size", ctx)?;
    let num_layers = json::usize_field(cfg, "num_layers", ctx)?;
    if input_size == 0 || h == 0 || num_layers == 0 {
        return Err(LoadError::inconsistent(
            ctx,
            &format!(
                "input_size {input_size}, hidden_size {h} and num_layers {num_layers} must be \
                 non-zero"
            ),
        ));
    }
    let sample_rate = match doc.get("sample_rate") {
        None | Some(Json::Null) => DEFAULT_SAMPLE_RATE,
        Some(Json::Num(sr)) if *sr >= 1.0 && *sr <= 1.0e6 => *sr,
        Some(other) => {
            return Err(LoadError::inconsistent(
                "",
                &format!("\"sample_rate\" is {}, expected a number in [1, 1e6] Hz", json::describe(other)),
            ))
        }
    };
    let weights_value = json::field(doc, "weights", "")?;
    let weights_json =
        weights_value.as_arr().ok_or_else(|| LoadError::malformed("weights", "expected an array of numbers"))?;

    // Expected count, with overflow checks, before anything is allocated from it.
    let overflow = || LoadError::inconsistent(ctx, "declared sizes overflow");
    let mut expected: usize = 0;
    for l in 0..num_layers {
        let i = if l == 0 { input_size } else { h };
        let per = h
            .checked_mul(4)
            .and_then(|g| g.checked_mul(i.checked_add(h)?.checked_add(1)?))
            .and_then(|x| x.checked_add(2 * h))
            .ok_or_else(overflow)?;
        expected = expected.checked_add(per).ok_or_else(overflow)?;
        if expected > weights_json.len() {
            break; // already too many: report below without further arithmetic
        }
    }
    expected = expected.checked_add(h + 1).ok_or_else(overflow)?;
    if expected != weights_json.len() {
        return Err(LoadError::shape(
            "weights",
            "flat weight array",
            &format!("[{}]", weights_json.len()),
            &format!(
                "{}[{}] for input_size {input_size}, hidden_size {h}, num_layers {num_layers}",
                if expected > weights_json.len() { "at least " } else { "" },
                expected
            ),
        ));
    }
    let all = json::tensor(weights_value, "weights", "weights")?;
    if all.shape.len() != 1 {
        return Err(LoadError::malformed("weights", "expected a flat array of numbers, found nested arrays"));
    }
    let all = all.data;
    let mut w: &[f32] = &all;

    let mut layers = Vec::with_capacity(num_layers + 1);
    for l in 0..num_layers {
        let i = if l == 0 { input_size } else { h };
        let g = 4 * h;
        let wcat = take(&mut w, g * (i + h));
        let mut weight_ih = Vec::with_capacity(g * i);
        let mut weight_hh = Vec::with_capacity(g * h);
        for row in wcat.chunks_exact(i + h) {
            weight_ih.extend_from_slice(&row[..i]);
            weight_hh.extend_from_slice(&row[i..]);
        }
        let bias_ih = take(&mut w, g).to_vec();
        let initial_h = take(&mut w, h).to_vec();
        let initial_c = take(&mut w, h).to_vec();
        layers.push(LayerSpec::Recurrent(RecurrentSpec {
            kind: CellKind::Lstm,
            input_size: i,
            hidden_size: h,
            weight_ih,
            weight_hh,
            bias_ih,
            bias_hh: std::vec![0.0; g],
            initial_h: Some(initial_h),
            initial_c: Some(initial_c),
        }));
    }
    let weight = take(&mut w, h).to_vec();
    let bias = take(&mut w, 1).to_vec();
    layers.push(LayerSpec::Dense(DenseSpec {
        input_size: h,
        output_size: 1,
        weight,
        bias,
        activation: DenseActivation::Identity,
    }));
    let spec = ModelSpec {
        input_size,
        layers,
        skip: 0,
        // sample_rate is in [1, 1e6]: the product is a small positive integer.
        prewarm: (PREWARM_SECONDS * sample_rate).round() as usize,
        source: SOURCE.into(),
    };
    spec.validate()?;
    Ok(spec)
}
