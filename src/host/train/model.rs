//! The trainable model: PyTorch-layout parameters plus the packed copy the kernels run.

use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use super::rng::Rng;
use super::TrainError;
use crate::cell::{CellKind, DenseActivation, RnnNonlinearity};
use crate::host::spec::{activation_name, DenseSpec, LayerSpec, ModelSpec, RecurrentSpec};
use crate::kernel::{bias_rows, layout, CellView, DenseView};

/// One layer of a [`TrainModel`], by shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerDef {
    /// A recurrent layer (one layer of a stacked `nn.RNN` / `nn.GRU` / `nn.LSTM`, or CIFG).
    Recurrent {
        /// The cell.
        kind: CellKind,
        /// Input size.
        input: usize,
        /// Hidden size (the layer's output size).
        hidden: usize,
    },
    /// `nn.Linear` followed by an activation.
    Dense {
        /// Input size.
        input: usize,
        /// Output size.
        output: usize,
        /// Activation after the affine map.
        activation: DenseActivation,
    },
}

impl LayerDef {
    /// Size of the layer's input vector.
    pub fn input_size(&self) -> usize {
        match *self {
            LayerDef::Recurrent { input, .. } | LayerDef::Dense { input, .. } => input,
        }
    }

    /// Size of the layer's output vector.
    pub fn output_size(&self) -> usize {
        match *self {
            LayerDef::Recurrent { hidden, .. } => hidden,
            LayerDef::Dense { output, .. } => output,
        }
    }
}

/// Where one named PyTorch tensor lives in [`TrainModel::params`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// `state_dict` name, e.g. `rnn.weight_ih_l0` or `fc.bias`.
    pub name: String,
    /// PyTorch shape: `(rows, cols)` for matrices, `(n)` for vectors.
    pub shape: Vec<usize>,
    /// Offset of the first value in the flat parameter vector.
    pub offset: usize,
}

impl TensorInfo {
    /// Number of values.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tensor's values in a flat vector laid out like [`TrainModel::params`].
    pub fn of<'a>(&self, flat: &'a [f32]) -> &'a [f32] {
        &flat[self.offset..self.offset + self.len()]
    }
}

/// A layer's PyTorch tensors, borrowed from the flat parameter vector.
#[derive(Clone, Copy, Debug)]
pub enum LayerParams<'a> {
    /// `weight_ih` (G·H, I), `weight_hh` (G·H, H), `bias_ih`, `bias_hh` (G·H), row-major.
    Recurrent {
        /// `(G·H, I)` row-major.
        weight_ih: &'a [f32],
        /// `(G·H, H)` row-major.
        weight_hh: &'a [f32],
        /// `(G·H)`.
        bias_ih: &'a [f32],
        /// `(G·H)`.
        bias_hh: &'a [f32],
    },
    /// `weight` (O, I) row-major and `bias` (O).
    Dense {
        /// `(O, I)` row-major.
        weight: &'a [f32],
        /// `(O)`.
        bias: &'a [f32],
    },
}

/// Packed weights of one layer, as the kernels read them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Packed {
    pub wx: Vec<f32>,
    pub wh: Vec<f32>,
    pub b: Vec<f32>,
}

/// A runtime-sized network under training.
///
/// Parameters are kept in PyTorch layout in one flat vector (tensor by tensor, in
/// [`TrainModel::tensors`] order), which is what gradients, optimisers and files use. A
/// packed copy in the kernels' layout is rebuilt after every change, so the forward pass runs
/// the same kernels as the deployed const-generic layers.
///
/// Layers run in sequence; then `output[j] += input[j]` for `j < skip`. Recurrent layers keep
/// state between steps, starting from zeros (or a loaded model's initial state).
#[derive(Clone, Debug)]
pub struct TrainModel {
    input_size: usize,
    skip: usize,
    layers: Vec<LayerDef>,
    first_tensor: Vec<usize>,
    tensors: Vec<TensorInfo>,
    params: Vec<f32>,
    packed: Vec<Packed>,
    initial: Vec<InitialState>,
    metadata: Vec<(String, String)>,
}

/// A loaded layer's initial `h` and `c` (`None`: zeros).
type InitialState = (Option<Vec<f32>>, Option<Vec<f32>>);

/// A module of the PyTorch-style `state_dict`: consecutive recurrent layers of one kind and
/// size form one stacked module (`rnn`, `rnn1`, ..), each Dense layer is its own (`fc`, ..).
struct Module {
    prefix: String,
    first_layer: usize,
    layers: usize,
}

fn modules(layers: &[LayerDef]) -> Vec<Module> {
    let mut out: Vec<Module> = Vec::new();
    let (mut n_rnn, mut n_fc) = (0, 0);
    for (l, def) in layers.iter().enumerate() {
        match *def {
            LayerDef::Recurrent { kind, hidden, .. } => {
                if let Some(m) = out.last_mut() {
                    if let LayerDef::Recurrent { kind: k0, hidden: h0, .. } = layers[m.first_layer] {
                        if k0 == kind && h0 == hidden && m.first_layer + m.layers == l {
                            m.layers += 1;
                            continue;
                        }
                    }
                }
                let prefix = if n_rnn == 0 { "rnn".to_string() } else { format!("rnn{n_rnn}") };
                n_rnn += 1;
                out.push(Module { prefix, first_layer: l, layers: 1 });
            }
            LayerDef::Dense { .. } => {
                let prefix = if n_fc == 0 { "fc".to_string() } else { format!("fc{n_fc}") };
                n_fc += 1;
                out.push(Module { prefix, first_layer: l, layers: 1 });
            }
        }
    }
    out
}

fn cell_tag(kind: CellKind) -> &'static str {
    match kind {
        CellKind::Rnn(_) => "rnn",
        CellKind::Gru => "gru",
        CellKind::Lstm => "lstm",
        CellKind::Cifg => "cifg",
    }
}

impl TrainModel {
    /// A model of the given layers with all parameters zero (see [`TrainModel::init`]).
    ///
    /// Checks that every size is non-zero, each layer's input is the previous layer's output
    /// (the first one's is `input_size`) and `skip <= min(input_size, output size)`.
    pub fn new(input_size: usize, layers: &[LayerDef], skip: usize) -> Result<Self, TrainError> {
        if layers.is_empty() {
            return Err(TrainError::Model("a model needs at least one layer".into()));
        }
        if input_size == 0 {
            return Err(TrainError::Model("input size is 0".into()));
        }
        let mut width = input_size;
        for (l, def) in layers.iter().enumerate() {
            if def.input_size() != width {
                return Err(TrainError::Model(format!(
                    "layer {l} takes {} inputs but is fed {width} values",
                    def.input_size()
                )));
            }
            if def.output_size() == 0 {
                return Err(TrainError::Model(format!("layer {l} has output size 0")));
            }
            width = def.output_size();
        }
        if skip > input_size.min(width) {
            return Err(TrainError::Model(format!(
                "skip {skip} is wider than the input ({input_size}) or the output ({width})"
            )));
        }
        let mut tensors = Vec::new();
        let mut first_tensor = Vec::with_capacity(layers.len());
        let mut offset = 0;
        let mut push = |tensors: &mut Vec<TensorInfo>, name: String, shape: Vec<usize>| {
            let len: usize = shape.iter().product();
            tensors.push(TensorInfo { name, shape, offset });
            offset += len;
        };
        let mods = modules(layers);
        for m in &mods {
            for k in 0..m.layers {
                let l = m.first_layer + k;
                first_tensor.push(tensors.len());
                match layers[l] {
                    LayerDef::Recurrent { kind, input, hidden } => {
                        let rows = kind.gates() * hidden;
                        let p = &m.prefix;
                        push(&mut tensors, format!("{p}.weight_ih_l{k}"), vec![rows, input]);
                        push(&mut tensors, format!("{p}.weight_hh_l{k}"), vec![rows, hidden]);
                        push(&mut tensors, format!("{p}.bias_ih_l{k}"), vec![rows]);
                        push(&mut tensors, format!("{p}.bias_hh_l{k}"), vec![rows]);
                    }
                    LayerDef::Dense { input, output, .. } => {
                        push(&mut tensors, format!("{}.weight", m.prefix), vec![output, input]);
                        push(&mut tensors, format!("{}.bias", m.prefix), vec![output]);
                    }
                }
            }
        }
        let n = offset;
        let packed = layers
            .iter()
            .map(|def| match *def {
                LayerDef::Recurrent { kind, input, hidden } => Packed {
                    wx: vec![0.0; kind.gates() * hidden * input],
                    wh: vec![0.0; kind.gates() * hidden * hidden],
                    b: vec![0.0; bias_rows(kind) * hidden],
                },
                LayerDef::Dense { input, output, .. } => {
                    Packed { wx: vec![0.0; input * output], wh: Vec::new(), b: vec![0.0; output] }
                }
            })
            .collect();
        Ok(Self {
            input_size,
            skip,
            layers: layers.to_vec(),
            first_tensor,
            tensors,
            params: vec![0.0; n],
            packed,
            initial: vec![(None, None); layers.len()],
            metadata: Vec::new(),
        })
    }

    /// The usual sequence model: `num_layers` stacked cells of one kind and size (like
    /// `nn.LSTM(input, hidden, num_layers)`), then an optional `nn.Linear(hidden, O)` head with
    /// an activation, then the residual `skip`. Initialised like PyTorch from `seed`.
    pub fn stacked(
        kind: CellKind,
        input: usize,
        hidden: usize,
        num_layers: usize,
        head: Option<(usize, DenseActivation)>,
        skip: usize,
        seed: u64,
    ) -> Result<Self, TrainError> {
        let mut layers = Vec::with_capacity(num_layers + 1);
        for l in 0..num_layers {
            layers.push(LayerDef::Recurrent { kind, input: if l == 0 { input } else { hidden }, hidden });
        }
        if let Some((output, activation)) = head {
            layers.push(LayerDef::Dense { input: hidden, output, activation });
        }
        let mut m = Self::new(input, &layers, skip)?;
        m.init(seed);
        Ok(m)
    }

    /// PyTorch's default initialisation, drawn from `seed` in tensor order: recurrent
    /// tensors uniform in ±1/√H, Linear weight and bias uniform in ±1/√fan_in.
    pub fn init(&mut self, seed: u64) {
        let mut rng = Rng::new(seed);
        for (l, def) in self.layers.iter().enumerate() {
            let bound = match *def {
                LayerDef::Recurrent { hidden, .. } => 1.0 / (hidden as f32).sqrt(),
                LayerDef::Dense { input, .. } => 1.0 / (input as f32).sqrt(),
            };
            let count = if matches!(def, LayerDef::Recurrent { .. }) { 4 } else { 2 };
            for t in &self.tensors[self.first_tensor[l]..self.first_tensor[l] + count] {
                for v in &mut self.params[t.offset..t.offset + t.len()] {
                    *v = rng.uniform(-bound, bound);
                }
            }
        }
        self.repack();
    }

    /// Size of one time step's input.
    pub fn input_size(&self) -> usize {
        self.input_size
    }

    /// Size of one time step's output.
    pub fn output_size(&self) -> usize {
        self.layers.last().map_or(self.input_size, LayerDef::output_size)
    }

    /// The residual width: `output[j] += input[j]` for `j < skip`.
    pub fn skip(&self) -> usize {
        self.skip
    }

    /// The layers in forward order.
    pub fn layers(&self) -> &[LayerDef] {
        &self.layers
    }

    /// Every parameter tensor with its PyTorch name, shape and place in [`Self::params`].
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// All parameters, tensor after tensor in [`Self::tensors`] order.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// Number of parameters.
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// Replaces all parameters (same layout as [`Self::params`]).
    pub fn set_params(&mut self, params: &[f32]) -> Result<(), TrainError> {
        if params.len() != self.params.len() {
            return Err(TrainError::Tensor(format!(
                "{} parameters given, the model has {}",
                params.len(),
                self.params.len()
            )));
        }
        self.params.copy_from_slice(params);
        self.repack();
        Ok(())
    }

    /// The values of the tensor named `name` (e.g. `rnn.weight_hh_l0`).
    pub fn tensor(&self, name: &str) -> Option<&[f32]> {
        self.tensors.iter().find(|t| t.name == name).map(|t| t.of(&self.params))
    }

    /// Sets the tensor named `name` from row-major values.
    pub fn set_tensor(&mut self, name: &str, values: &[f32]) -> Result<(), TrainError> {
        let t = self
            .tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| TrainError::Tensor(format!("the model has no tensor \"{name}\"")))?;
        if values.len() != t.len() {
            return Err(TrainError::Tensor(format!(
                "\"{name}\" has shape {:?} ({} values), {} given",
                t.shape,
                t.len(),
                values.len()
            )));
        }
        let off = t.offset;
        self.params[off..off + values.len()].copy_from_slice(values);
        self.repack();
        Ok(())
    }

    /// Layer `l`'s tensors in PyTorch layout (`None` if `l` is out of range).
    pub fn layer_params(&self, l: usize) -> Option<LayerParams<'_>> {
        let def = self.layers.get(l)?;
        let t = &self.tensors[self.first_tensor[l]..];
        let p = &self.params;
        Some(match def {
            LayerDef::Recurrent { .. } => LayerParams::Recurrent {
                weight_ih: t[0].of(p),
                weight_hh: t[1].of(p),
                bias_ih: t[2].of(p),
                bias_hh: t[3].of(p),
            },
            LayerDef::Dense { .. } => LayerParams::Dense { weight: t[0].of(p), bias: t[1].of(p) },
        })
    }

    /// Offset of layer `l`'s first tensor in the flat parameter vector.
    pub(crate) fn layer_offset(&self, l: usize) -> usize {
        self.tensors[self.first_tensor[l]].offset
    }

    /// Layer `l`'s initial hidden and cell state, if the model was loaded with one.
    pub(crate) fn initial_state(&self, l: usize) -> (Option<&[f32]>, Option<&[f32]>) {
        let (h, c) = &self.initial[l];
        (h.as_deref(), c.as_deref())
    }

    /// Mutable parameters for the optimiser; call [`Self::repack`] after changing them.
    pub(crate) fn params_mut(&mut self) -> &mut [f32] {
        &mut self.params
    }

    /// Rebuilds the packed copy the kernels read from the PyTorch-layout parameters.
    pub(crate) fn repack(&mut self) {
        for (l, def) in self.layers.iter().enumerate() {
            let t = &self.tensors[self.first_tensor[l]..];
            let p = &self.params;
            let pk = &mut self.packed[l];
            match *def {
                LayerDef::Recurrent { kind, input, hidden } => {
                    let g = kind.gates();
                    layout::pack_into(t[0].of(p), input, g, hidden, &mut pk.wx);
                    layout::pack_into(t[1].of(p), hidden, g, hidden, &mut pk.wh);
                    layout::fold_bias_into(kind, hidden, t[2].of(p), t[3].of(p), &mut pk.b);
                }
                LayerDef::Dense { input, output, .. } => {
                    layout::pack_into(t[0].of(p), input, 1, output, &mut pk.wx);
                    pk.b.copy_from_slice(t[1].of(p));
                }
            }
        }
    }

    /// The kernels' view of recurrent layer `l` (which must be recurrent).
    pub(crate) fn cell_view(&self, l: usize, kind: CellKind, inputs: usize, hidden: usize) -> CellView<'_> {
        let pk = &self.packed[l];
        CellView { kind, inputs, hidden, wx: &pk.wx, wh: &pk.wh, b: &pk.b }
    }

    /// The kernels' view of Dense layer `l`.
    pub(crate) fn dense_view(
        &self,
        l: usize,
        activation: DenseActivation,
        inputs: usize,
        outputs: usize,
    ) -> DenseView<'_> {
        let pk = &self.packed[l];
        DenseView { activation, inputs, outputs, w: &pk.wx, b: &pk.b }
    }

    /// A trainable copy of a loaded model (any format the loaders read). Initial states are
    /// kept (and stay fixed during training); `prewarm` is not used by the trainer.
    pub fn from_spec(spec: &ModelSpec) -> Result<Self, TrainError> {
        let defs: Vec<LayerDef> = spec
            .layers
            .iter()
            .map(|l| match l {
                LayerSpec::Recurrent(r) => {
                    LayerDef::Recurrent { kind: r.kind, input: r.input_size, hidden: r.hidden_size }
                }
                LayerSpec::Dense(d) => {
                    LayerDef::Dense { input: d.input_size, output: d.output_size, activation: d.activation }
                }
            })
            .collect();
        let mut m = Self::new(spec.input_size, &defs, spec.skip)?;
        for (l, layer) in spec.layers.iter().enumerate() {
            let first = m.first_tensor[l];
            let values: Vec<&[f32]> = match layer {
                LayerSpec::Recurrent(r) => {
                    m.initial[l] = (r.initial_h.clone(), r.initial_c.clone());
                    vec![&r.weight_ih, &r.weight_hh, &r.bias_ih, &r.bias_hh]
                }
                LayerSpec::Dense(d) => vec![&d.weight, &d.bias],
            };
            for (k, v) in values.into_iter().enumerate() {
                let t = &m.tensors[first + k];
                if v.len() != t.len() {
                    return Err(TrainError::Tensor(format!(
                        "layer {l}: {} has {} values, expected shape {:?}",
                        t.name,
                        v.len(),
                        t.shape
                    )));
                }
                m.params[t.offset..t.offset + t.len()].copy_from_slice(v);
            }
            if let (Some(h), LayerDef::Recurrent { hidden, .. }) = (&m.initial[l].0, defs[l]) {
                if h.len() != hidden {
                    return Err(TrainError::Tensor(format!("layer {l}: initial h has {} values", h.len())));
                }
            }
            if let (Some(c), LayerDef::Recurrent { hidden, .. }) = (&m.initial[l].1, defs[l]) {
                if c.len() != hidden {
                    return Err(TrainError::Tensor(format!("layer {l}: initial c has {} values", c.len())));
                }
            }
        }
        m.repack();
        Ok(m)
    }

    /// The model as the loaders' IR (for `bake`, `infer` and the runtime-sized model).
    pub fn to_spec(&self) -> ModelSpec {
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(l, def)| match (*def, self.layer_params(l)) {
                (
                    LayerDef::Recurrent { kind, input, hidden },
                    Some(LayerParams::Recurrent { weight_ih, weight_hh, bias_ih, bias_hh }),
                ) => LayerSpec::Recurrent(RecurrentSpec {
                    kind,
                    input_size: input,
                    hidden_size: hidden,
                    weight_ih: weight_ih.to_vec(),
                    weight_hh: weight_hh.to_vec(),
                    bias_ih: bias_ih.to_vec(),
                    bias_hh: bias_hh.to_vec(),
                    initial_h: self.initial[l].0.clone(),
                    initial_c: self.initial[l].1.clone(),
                }),
                (LayerDef::Dense { input, output, activation }, Some(LayerParams::Dense { weight, bias })) => {
                    LayerSpec::Dense(DenseSpec {
                        input_size: input,
                        output_size: output,
                        weight: weight.to_vec(),
                        bias: bias.to_vec(),
                        activation,
                    })
                }
                // layer_params(l) follows layers[l]: the other pairings cannot occur.
                _ => LayerSpec::Dense(DenseSpec {
                    input_size: 0,
                    output_size: 0,
                    weight: Vec::new(),
                    bias: Vec::new(),
                    activation: DenseActivation::Identity,
                }),
            })
            .collect();
        ModelSpec { input_size: self.input_size, layers, skip: self.skip, prewarm: 0, source: "tinyrnn train".into() }
    }

    /// Extra `__metadata__` entries written with the model (e.g. training settings).
    pub fn set_note(&mut self, key: &str, value: &str) {
        self.metadata.retain(|(k, _)| k != key);
        self.metadata.push((key.to_string(), value.to_string()));
    }

    /// The safetensors `__metadata__` that makes the file self-describing for the loaders
    /// and for PyTorch users: `<rnn>.nonlinearity`, `<rnn>.cell` (`cifg`), `<fc>.activation`,
    /// `skip`, and `order` when there is more than one module of a kind.
    pub fn metadata(&self) -> Vec<(String, String)> {
        let mods = modules(&self.layers);
        let mut meta = vec![("format".to_string(), "pt".to_string())];
        let (mut n_rnn, mut n_fc) = (0, 0);
        for m in &mods {
            match self.layers[m.first_layer] {
                LayerDef::Recurrent { kind, .. } => {
                    n_rnn += 1;
                    if kind == CellKind::Rnn(RnnNonlinearity::Relu) {
                        meta.push((format!("{}.nonlinearity", m.prefix), "relu".into()));
                    }
                    if kind == CellKind::Cifg {
                        meta.push((format!("{}.cell", m.prefix), cell_tag(kind).into()));
                    }
                }
                LayerDef::Dense { activation, .. } => {
                    n_fc += 1;
                    if activation != DenseActivation::Identity {
                        meta.push((format!("{}.activation", m.prefix), activation_name(activation).into()));
                    }
                }
            }
        }
        if n_rnn > 1 || n_fc > 1 {
            let order: Vec<&str> = mods.iter().map(|m| m.prefix.as_str()).collect();
            meta.push(("order".into(), order.join(",")));
        }
        if self.skip > 0 {
            meta.push(("skip".into(), self.skip.to_string()));
        }
        for (k, v) in &self.metadata {
            meta.retain(|(k0, _)| k0 != k);
            meta.push((k.clone(), v.clone()));
        }
        meta
    }
}
