//! Building a [`ModelSpec`] from a PyTorch `state_dict` (names, shapes, f32 data) plus
//! string metadata. Shared by the safetensors loader, RTNeural's torch JSON and the amp
//! JSON loader. The naming and metadata conventions are documented in
//! [`super::safetensors`].

use std::collections::BTreeMap;
use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use crate::cell::{CellKind, DenseActivation, RnnNonlinearity};
use crate::host::spec::{cell_name, fmt_shape, DenseSpec, LayerSpec, LoadError, ModelSpec, RecurrentSpec};

use super::parse_activation;

/// One named tensor.
#[derive(Debug, Clone)]
pub(crate) struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// A state dict: tensors, string metadata and whether the tensor order is the forward
/// order (JSON dumps keep it; safetensors sorts names).
#[derive(Debug, Default)]
pub(crate) struct StateDict {
    pub tensors: Vec<Tensor>,
    pub metadata: Vec<(String, String)>,
    pub ordered: bool,
}

const REC_LEAVES: [&str; 4] = ["weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l"];

/// The four tensors of one layer of a recurrent module: weight_ih, weight_hh, bias_ih, bias_hh.
type RecLayer = [Option<Tensor>; 4];

enum ModuleBody {
    /// Layers indexed by `_l{k}`; `None` entries are gaps.
    Recurrent(Vec<Option<RecLayer>>),
    Linear {
        weight: Option<Tensor>,
        bias: Option<Tensor>,
    },
}

struct Module {
    prefix: String,
    body: ModuleBody,
}

impl Module {
    fn is_recurrent(&self) -> bool {
        matches!(self.body, ModuleBody::Recurrent(_))
    }
}

/// Splits `name` into (module prefix, leaf).
fn split(name: &str) -> (&str, &str) {
    match name.rsplit_once('.') {
        Some((p, l)) => (p, l),
        None => ("", name),
    }
}

fn module_label(prefix: &str) -> String {
    if prefix.is_empty() {
        "module (no prefix)".into()
    } else {
        format!("module \"{prefix}\"")
    }
}

/// Places one tensor into its module.
fn insert(
    modules: &mut Vec<Module>,
    index: &mut BTreeMap<String, usize>,
    t: Tensor,
    n_tensors: usize,
) -> Result<(), LoadError> {
    let (prefix, leaf) = split(&t.name);
    let prefix = prefix.to_string();
    let ctx = module_label(&prefix);
    if leaf.ends_with("_reverse") {
        return Err(LoadError::unsupported(&ctx, &format!("bidirectional recurrent module (tensor \"{}\")", t.name)));
    }
    if leaf.starts_with("weight_hr_l") {
        return Err(LoadError::unsupported(&ctx, &format!("LSTM with proj_size (tensor \"{}\")", t.name)));
    }
    let rec = REC_LEAVES.iter().enumerate().find_map(|(slot, stem)| {
        let digits = leaf.strip_prefix(stem)?;
        if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<usize>().ok().map(|k| (slot, k))
    });
    let slot_of_linear = match leaf {
        "weight" => Some(0),
        "bias" => Some(1),
        _ => None,
    };
    if rec.is_none() && slot_of_linear.is_none() {
        return Err(LoadError::unsupported(
            "",
            &format!(
                "tensor \"{}\": not a recurrent (weight_ih_l{{k}}, weight_hh_l{{k}}, \
                 bias_ih_l{{k}}, bias_hh_l{{k}}) or nn.Linear (weight, bias) parameter",
                t.name
            ),
        ));
    }
    let idx = match index.get(&prefix) {
        Some(&i) => i,
        None => {
            index.insert(prefix.clone(), modules.len());
            modules.push(Module {
                prefix: prefix.clone(),
                body: if rec.is_some() {
                    ModuleBody::Recurrent(Vec::new())
                } else {
                    ModuleBody::Linear { weight: None, bias: None }
                },
            });
            modules.len() - 1
        }
    };
    let module = &mut modules[idx];
    match (&mut module.body, rec, slot_of_linear) {
        (ModuleBody::Recurrent(layers), Some((slot, k)), _) => {
            // A layer index beyond the tensor count cannot be part of a gap-free stack.
            if k >= n_tensors {
                return Err(LoadError::inconsistent(&ctx, &format!("layer index {k} in \"{}\" leaves gaps", t.name)));
            }
            if layers.len() <= k {
                layers.resize_with(k + 1, || None);
            }
            let layer = layers[k].get_or_insert_with(Default::default);
            layer[slot] = Some(t);
        }
        (ModuleBody::Linear { weight, bias }, None, Some(slot)) => {
            let target = if slot == 0 { weight } else { bias };
            *target = Some(t);
        }
        _ => {
            return Err(LoadError::inconsistent(
                &ctx,
                &format!("mixes recurrent and nn.Linear parameters (tensor \"{}\")", t.name),
            ))
        }
    }
    Ok(())
}

/// Per-module metadata.
#[derive(Default, Clone)]
struct ModuleMeta {
    nonlinearity: Option<RnnNonlinearity>,
    activation: Option<DenseActivation>,
    cell: Option<String>,
}

fn meta_err(key: &str, value: &str, expected: &str) -> LoadError {
    LoadError::Inconsistent {
        file: String::new(),
        context: "metadata".into(),
        detail: format!("\"{key}\" = {value:?}: expected {expected}"),
    }
}

/// Builds a [`ModelSpec`] from a state dict; see [`super::safetensors`] for the conventions.
pub(crate) fn build(sd: StateDict, source: &str) -> Result<ModelSpec, LoadError> {
    let n_tensors = sd.tensors.len();
    let mut modules: Vec<Module> = Vec::new();
    // prefix -> position in `modules` (keeps lookups O(log n) for adversarial inputs).
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for t in sd.tensors {
        if t.shape.contains(&0) {
            return Err(LoadError::shape(
                &module_label(split(&t.name).0),
                &format!("\"{}\"", t.name),
                &fmt_shape(&t.shape),
                "a non-empty tensor",
            ));
        }
        insert(&mut modules, &mut index, t, n_tensors)?;
    }
    if modules.is_empty() {
        return Err(LoadError::missing("", "tensors: the state dict is empty"));
    }

    // Metadata.
    let mut metas: Vec<ModuleMeta> = vec![ModuleMeta::default(); modules.len()];
    let mut order: Option<Vec<String>> = None;
    let mut skip = 0usize;
    let mut global_cell: Option<String> = None;
    for (key, value) in &sd.metadata {
        let v = value.trim();
        match key.as_str() {
            "order" => {
                order = Some(v.split(',').map(|s| s.trim().to_string()).collect());
                continue;
            }
            "skip" => {
                skip = v.parse().map_err(|_| meta_err(key, value, "a non-negative integer"))?;
                continue;
            }
            "cell" => {
                global_cell = Some(v.to_ascii_lowercase());
                continue;
            }
            _ => {}
        }
        let (prefix, attr) = split(key);
        if !matches!(attr, "nonlinearity" | "activation" | "cell") {
            continue; // free-form metadata (e.g. "format": "pt")
        }
        let Some(&m) = index.get(prefix) else {
            return Err(LoadError::inconsistent(
                "metadata",
                &format!("\"{key}\" names module \"{prefix}\", which has no tensors"),
            ));
        };
        let meta = &mut metas[m];
        match attr {
            "nonlinearity" => {
                meta.nonlinearity = Some(match v.to_ascii_lowercase().as_str() {
                    "tanh" => RnnNonlinearity::Tanh,
                    "relu" => RnnNonlinearity::Relu,
                    _ => return Err(meta_err(key, value, "\"tanh\" or \"relu\"")),
                })
            }
            "activation" => {
                meta.activation = Some(parse_activation(v).ok_or_else(|| {
                    LoadError::unsupported(
                        "metadata",
                        &format!(
                            "activation \"{v}\" in \"{key}\" (supported: identity, tanh, \
                             sigmoid, relu, elu, softmax)"
                        ),
                    )
                })?)
            }
            _ => meta.cell = Some(v.to_ascii_lowercase()),
        }
    }
    if let Some(c) = global_cell {
        let recs: Vec<usize> = (0..modules.len()).filter(|&i| modules[i].is_recurrent()).collect();
        match recs.as_slice() {
            [one] => {
                if metas[*one].cell.is_none() {
                    metas[*one].cell = Some(c);
                }
            }
            _ => {
                return Err(LoadError::inconsistent(
                    "metadata",
                    &format!(
                        "\"cell\" needs exactly one recurrent module, found {}; use \
                         \"<prefix>.cell\"",
                        recs.len()
                    ),
                ))
            }
        }
    }

    // Forward order of modules.
    let perm: Vec<usize> = match order {
        Some(names) => {
            let mut perm = Vec::with_capacity(modules.len());
            let mut seen = vec![false; modules.len()];
            for n in &names {
                let Some(&i) = index.get(n) else {
                    return Err(LoadError::inconsistent(
                        "metadata",
                        &format!("\"order\" names \"{n}\", which is not a module of the file"),
                    ));
                };
                if seen[i] {
                    return Err(LoadError::inconsistent("metadata", &format!("\"order\" names \"{n}\" twice")));
                }
                seen[i] = true;
                perm.push(i);
            }
            if let Some(m) = seen.iter().position(|&s| !s) {
                return Err(LoadError::inconsistent(
                    "metadata",
                    &format!("\"order\" does not name module \"{}\"", modules[m].prefix),
                ));
            }
            perm
        }
        None if sd.ordered => (0..modules.len()).collect(),
        None => {
            let recs: Vec<usize> = (0..modules.len()).filter(|&i| modules[i].is_recurrent()).collect();
            let lins: Vec<usize> = (0..modules.len()).filter(|&i| !modules[i].is_recurrent()).collect();
            if recs.len() > 1 || lins.len() > 1 {
                let names: Vec<&str> = modules.iter().map(|m| m.prefix.as_str()).collect();
                return Err(LoadError::inconsistent(
                    "metadata",
                    &format!(
                        "modules {names:?}: with more than one recurrent or more than one \
                         Linear module the forward order is ambiguous; add \"order\" to \
                         __metadata__"
                    ),
                ));
            }
            recs.into_iter().chain(lins).collect()
        }
    };

    // Layers.
    let mut slots: Vec<Option<Module>> = modules.into_iter().map(Some).collect();
    let mut layers: Vec<LayerSpec> = Vec::new();
    for &m in &perm {
        let Some(module) = slots[m].take() else {
            continue; // perm is a permutation: every slot is taken once
        };
        let meta = metas[m].clone();
        match module.body {
            ModuleBody::Recurrent(rec_layers) => build_recurrent(&module.prefix, rec_layers, &meta, &mut layers)?,
            ModuleBody::Linear { weight, bias } => {
                let ctx = format!("layer {} (dense)", layers.len());
                if meta.nonlinearity.is_some() || meta.cell.is_some() {
                    return Err(LoadError::inconsistent(
                        &ctx,
                        &format!("metadata gives a recurrent attribute to Linear module \"{}\"", module.prefix),
                    ));
                }
                layers.push(LayerSpec::Dense(build_dense(
                    &module.prefix,
                    weight,
                    bias,
                    meta.activation.unwrap_or(DenseActivation::Identity),
                    &ctx,
                )?));
            }
        }
    }
    let input_size = layers.first().map_or(0, LayerSpec::input_size);
    let spec = ModelSpec { input_size, layers, skip, prewarm: 0, source: source.into() };
    spec.validate()?;
    Ok(spec)
}

fn two_d(t: &Tensor, ctx: &str, expected: &str) -> Result<(usize, usize), LoadError> {
    match t.shape.as_slice() {
        &[r, c] => Ok((r, c)),
        s => Err(LoadError::shape(ctx, &format!("\"{}\"", t.name), &fmt_shape(s), expected)),
    }
}

fn build_dense(
    prefix: &str,
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    activation: DenseActivation,
    ctx: &str,
) -> Result<DenseSpec, LoadError> {
    let dot = if prefix.is_empty() { "" } else { "." };
    let Some(w) = weight else {
        return Err(LoadError::missing(ctx, &format!("tensor \"{prefix}{dot}weight\" (the module has only a bias)")));
    };
    let (o, i) = two_d(&w, ctx, "[out_features, in_features]")?;
    let bias = match bias {
        Some(b) => {
            if b.shape != [o] {
                return Err(LoadError::shape(ctx, &format!("\"{}\"", b.name), &fmt_shape(&b.shape), &fmt_shape(&[o])));
            }
            b.data
        }
        // o is a dimension of a non-empty tensor held in memory: bounded by the input.
        None => vec![0.0; o],
    };
    Ok(DenseSpec { input_size: i, output_size: o, weight: w.data, bias, activation })
}

fn build_recurrent(
    prefix: &str,
    rec_layers: Vec<Option<RecLayer>>,
    meta: &ModuleMeta,
    out: &mut Vec<LayerSpec>,
) -> Result<(), LoadError> {
    let dot = if prefix.is_empty() { "" } else { "." };
    for (k, layer) in rec_layers.into_iter().enumerate() {
        let ctx0 = format!("layer {} ({})", out.len(), module_label(prefix));
        let Some([w_ih, w_hh, b_ih, b_hh]) = layer else {
            return Err(LoadError::missing(
                &ctx0,
                &format!("tensors \"{prefix}{dot}*_l{k}\": layer {k} of the stack is absent"),
            ));
        };
        let (Some(w_ih), Some(w_hh)) = (w_ih, w_hh) else {
            return Err(LoadError::missing(
                &ctx0,
                &format!("\"{prefix}{dot}weight_ih_l{k}\" or \"{prefix}{dot}weight_hh_l{k}\""),
            ));
        };
        let (rows, h) = two_d(&w_hh, &ctx0, "[gates * hidden, hidden]")?;
        let g = rows / h;
        if rows % h != 0 {
            return Err(LoadError::shape(
                &ctx0,
                &format!("\"{}\"", w_hh.name),
                &fmt_shape(&w_hh.shape),
                "[G * H, H] with G = 1 (RNN), 3 (GRU, CIFG) or 4 (LSTM)",
            ));
        }
        let kind = match (meta.cell.as_deref(), g) {
            (None | Some("rnn"), 1) => CellKind::Rnn(meta.nonlinearity.unwrap_or(RnnNonlinearity::Tanh)),
            (None | Some("gru"), 3) => CellKind::Gru,
            (Some("cifg"), 3) => CellKind::Cifg,
            (None | Some("lstm"), 4) => CellKind::Lstm,
            (Some(c @ ("rnn" | "gru" | "cifg" | "lstm")), _) => {
                return Err(LoadError::shape(
                    &ctx0,
                    &format!("\"{}\"", w_hh.name),
                    &fmt_shape(&w_hh.shape),
                    &format!(
                        "[{} * H, H] for cell \"{c}\" (metadata); the rows hold {g} gate blocks",
                        match c {
                            "rnn" => 1,
                            "lstm" => 4,
                            _ => 3,
                        }
                    ),
                ))
            }
            (Some(c), _) => {
                return Err(LoadError::unsupported(
                    &ctx0,
                    &format!("cell \"{c}\" in metadata (supported: rnn, gru, lstm, cifg)"),
                ))
            }
            (None, _) => {
                return Err(LoadError::unsupported(
                    &ctx0,
                    &format!(
                        "\"{}\" of shape {}: {g} gate blocks (expected 1 for RNN, 3 for GRU, \
                         4 for LSTM)",
                        w_hh.name,
                        fmt_shape(&w_hh.shape)
                    ),
                ))
            }
        };
        let ctx = format!("layer {} ({})", out.len(), cell_name(kind));
        if !matches!(kind, CellKind::Rnn(_)) && meta.nonlinearity.is_some_and(|n| n != RnnNonlinearity::Tanh) {
            return Err(LoadError::inconsistent(
                &ctx,
                &format!("metadata sets \"{prefix}.nonlinearity\" on a {} module", cell_name(kind)),
            ));
        }
        let (r_ih, i) = two_d(&w_ih, &ctx, "[gates * hidden, input]")?;
        if r_ih != rows {
            return Err(LoadError::shape(
                &ctx,
                &format!("\"{}\"", w_ih.name),
                &fmt_shape(&w_ih.shape),
                &format!("[{rows}, input] (rows as in \"{}\")", w_hh.name),
            ));
        }
        let (bias_ih, bias_hh) = match (b_ih, b_hh) {
            (Some(a), Some(b)) => {
                for t in [&a, &b] {
                    if t.shape != [rows] {
                        return Err(LoadError::shape(
                            &ctx,
                            &format!("\"{}\"", t.name),
                            &fmt_shape(&t.shape),
                            &fmt_shape(&[rows]),
                        ));
                    }
                }
                (a.data, b.data)
            }
            // rows is a dimension of a non-empty tensor in memory: bounded by the input.
            (None, None) => (vec![0.0; rows], vec![0.0; rows]),
            (Some(t), None) | (None, Some(t)) => {
                return Err(LoadError::missing(
                    &ctx,
                    &format!(
                        "the other bias of layer {k}: \"{}\" is present but not its pair \
                         (bias=False drops both)",
                        t.name
                    ),
                ))
            }
        };
        out.push(LayerSpec::Recurrent(RecurrentSpec {
            kind,
            input_size: i,
            hidden_size: h,
            weight_ih: w_ih.data,
            weight_hh: w_hh.data,
            bias_ih,
            bias_hh,
            initial_h: None,
            initial_c: None,
        }));
    }
    Ok(())
}
