//! Writing trained models and gradients as safetensors `state_dict`s (feature `formats`).

use std::collections::HashMap;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use safetensors::tensor::{Dtype, TensorView};

use super::model::TrainModel;
use super::TrainError;

/// Encodes named f32 tensors and string metadata as safetensors bytes.
pub fn encode_tensors<'a>(
    tensors: impl IntoIterator<Item = (&'a str, &'a [usize], &'a [f32])>,
    metadata: &[(String, String)],
) -> Result<Vec<u8>, TrainError> {
    let owned: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(name, shape, data)| {
            (name.to_string(), shape.to_vec(), data.iter().flat_map(|v| v.to_le_bytes()).collect())
        })
        .collect();
    let mut views = Vec::with_capacity(owned.len());
    for (name, shape, bytes) in &owned {
        let view = TensorView::new(Dtype::F32, shape.clone(), bytes)
            .map_err(|e| TrainError::Encode(format!("tensor {name}: {e:?}")))?;
        views.push((name.clone(), view));
    }
    let meta: HashMap<String, String> = metadata.iter().cloned().collect();
    let meta = if meta.is_empty() { None } else { Some(meta) };
    safetensors::serialize(views, &meta).map_err(|e| TrainError::Encode(format!("safetensors: {e:?}")))
}

impl TrainModel {
    /// The model as a safetensors `state_dict` with PyTorch names and the metadata of
    /// [`TrainModel::metadata`]: what `load_state_dict`, the loaders, `infer` and `bake` read.
    pub fn to_safetensors(&self) -> Result<Vec<u8>, TrainError> {
        let p = self.params();
        encode_tensors(self.tensors().iter().map(|t| (t.name.as_str(), &t.shape[..], t.of(p))), &self.metadata())
    }

    /// Writes [`Self::to_safetensors`] to `path`.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<(), TrainError> {
        let bytes = self.to_safetensors()?;
        let path = path.as_ref();
        std::fs::write(path, bytes).map_err(|source| TrainError::Io { path: path.display().to_string(), source })
    }

    /// Gradients (laid out like [`Self::params`]) as a safetensors file under the model's
    /// tensor names, with the model's metadata.
    pub fn gradients_to_safetensors(&self, grads: &[f32]) -> Result<Vec<u8>, TrainError> {
        if grads.len() != self.param_count() {
            return Err(TrainError::Tensor(format!(
                "{} gradient values for {} parameters",
                grads.len(),
                self.param_count()
            )));
        }
        encode_tensors(self.tensors().iter().map(|t| (t.name.as_str(), &t.shape[..], t.of(grads))), &self.metadata())
    }

    /// Reads a model file in any format the loaders know (safetensors `state_dict`,
    /// RTNeural JSON, amp JSON, NAM) for fine-tuning.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, TrainError> {
        let spec = crate::host::io::load_model(path).map_err(|e| TrainError::Model(e.to_string()))?;
        Self::from_spec(&spec)
    }
}
