//! PyTorch `state_dict` in safetensors.
//!
//! # Convention
//!
//! The file holds the `state_dict()` of a model made of, in forward order:
//!
//! - **one recurrent module** `<p>` (`nn.RNN`, `nn.GRU`, `nn.LSTM`, any `num_layers`):
//!   tensors `<p>.weight_ih_l{k}` `(G*H, I)`, `<p>.weight_hh_l{k}` `(G*H, H)`,
//!   `<p>.bias_ih_l{k}` and `<p>.bias_hh_l{k}` `(G*H)`. The cell comes from
//!   `weight_hh` rows ÷ cols: G = 1 RNN, 3 GRU, 4 LSTM. Missing biases (`bias=False`) are
//!   zeros. Bidirectional modules and `proj_size` are not supported;
//! - **optionally followed by an `nn.Linear` head** `<q>`: `<q>.weight` `(O, H)`,
//!   `<q>.bias` `(O)` (optional);
//! - **or only `nn.Linear` layers** (a Dense network).
//!
//! String entries of the safetensors `__metadata__`, keyed by module prefix, say what
//! shapes cannot:
//!
//! | key | values | default |
//! | --- | --- | --- |
//! | `<p>.nonlinearity` | `tanh`, `relu` (`nn.RNN` only) | `tanh` |
//! | `<q>.activation` | `identity`, `tanh`, `sigmoid`, `relu`, `elu`, `softmax`, applied after Linear `<q>` | identity |
//! | `<p>.cell` (or `cell`) | `cifg`: a coupled-gate LSTM, `weight_hh` rows ÷ cols = 3, gate order i, g, o (also `rnn`, `gru`, `lstm`, checked against the shapes) | from shapes |
//! | `order` | comma-separated module prefixes in forward order; required when there is more than one Linear (or recurrent) module | recurrent, then Linear |
//! | `skip` | k: residual `output[j] += input[j]` for `j < k` | 0 |
//!
//! Other metadata keys (`"format": "pt"`, notes) are ignored, but an attribute above naming
//! a prefix that has no tensors is an error (it is almost certainly a typo). Tensors may be
//! F32, F16, BF16 or F64; all are converted to f32.
//!
//! Exporting from PyTorch:
//!
//! ```python
//! from safetensors.torch import save_file
//! model = Model()  # self.rnn = nn.GRU(1, 16, num_layers=2); self.fc = nn.Linear(16, 1)
//! meta = {"fc.activation": "tanh", "skip": "1"}  # optional; values are strings
//! sd = {k: v.contiguous() for k, v in model.state_dict().items()}
//! save_file(sd, "model.safetensors", metadata=meta)
//! ```

use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::tensor::{Dtype, SafeTensors};

use crate::host::spec::{LoadError, ModelSpec};

use super::torch::{self, StateDict, Tensor};

/// Human-readable [`ModelSpec::source`] for this format.
pub const SOURCE: &str = "PyTorch safetensors";

/// Parses a safetensors file holding a PyTorch `state_dict` (see the module docs).
pub fn parse(bytes: &[u8], name_for_errors: &str) -> Result<ModelSpec, LoadError> {
    parse_inner(bytes).map_err(|e| e.with_file(name_for_errors))
}

fn parse_inner(bytes: &[u8]) -> Result<ModelSpec, LoadError> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| LoadError::malformed("safetensors", &format!("{e:?}")))?;
    let (_, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| LoadError::malformed("safetensors", &format!("{e:?}")))?;
    let mut metadata: Vec<(String, String)> =
        header.metadata().as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    metadata.sort();

    let mut views = st.tensors();
    views.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tensors = Vec::with_capacity(views.len());
    for (name, view) in views {
        let data = to_f32(view.dtype(), view.data()).ok_or_else(|| {
            LoadError::unsupported(
                "",
                &format!("dtype {:?} of tensor \"{name}\" (supported: F32, F16, BF16, F64)", view.dtype()),
            )
        })?;
        tensors.push(Tensor { name: name.to_string(), shape: view.shape().to_vec(), data });
    }
    torch::build(StateDict { tensors, metadata, ordered: false }, SOURCE)
}

/// Converts little-endian raw tensor bytes to f32 (`None` for unsupported dtypes). The
/// output has at most `bytes.len() / 2` elements.
fn to_f32(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    Some(match dtype {
        Dtype::F32 => bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
        Dtype::F64 => bytes
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
            .collect(),
        Dtype::F16 => bytes.chunks_exact(2).map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))).collect(),
        Dtype::BF16 => {
            bytes.chunks_exact(2).map(|c| f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16)).collect()
        }
        _ => return None,
    })
}

/// IEEE 754 binary16 (its bits) → f32, as half-precision tensors are loaded. Exact: every
/// f16 value is representable.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: value = m * 2^-24; normalise into an f32.
            let shift = m.leading_zeros() - 21; // m has its top set bit at 9 - (shift - 1)
            let m = (m << shift) & 0x3ff;
            let e = 127 - 15 + 1 - shift;
            sign | (e << 23) | (m << 13)
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, m) => sign | 0x7fc0_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}
