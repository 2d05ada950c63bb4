//! Names for what a layer computes: cell kinds and activations.
//!
//! These enums are shared by every front end (const-generic layers, the runtime-sized host
//! model, loaders, baking, training), so a model file and a baked model talk about the same
//! thing.

/// The element-wise nonlinearity of a vanilla RNN (`nn.RNN`'s `nonlinearity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RnnNonlinearity {
    /// `tanh` (PyTorch's default).
    Tanh,
    /// `relu`.
    Relu,
}

/// The activation applied after a Dense layer's affine map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DenseActivation {
    /// `y = W x + b`.
    Identity,
    /// `tanh`.
    Tanh,
    /// Logistic sigmoid `1 / (1 + e^-x)`.
    Sigmoid,
    /// `max(x, 0)`.
    Relu,
    /// ELU with alpha = 1: `x` for `x > 0`, else `e^x - 1` (Keras and PyTorch default).
    Elu,
    /// Softmax over the layer's outputs.
    Softmax,
}

/// Which recurrent cell a layer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CellKind {
    /// `nn.RNN`: one gate.
    Rnn(RnnNonlinearity),
    /// `nn.GRU` (reset-after): gates r, z, n.
    Gru,
    /// `nn.LSTM`: gates i, f, g, o.
    Lstm,
    /// Coupled-input-forget-gate LSTM: gates i, g, o; the forget gate is `1 - i`.
    Cifg,
}

impl CellKind {
    /// Number of gate blocks in `weight_ih` / `weight_hh` (rows = gates × hidden).
    pub const fn gates(self) -> usize {
        match self {
            CellKind::Rnn(_) => 1,
            CellKind::Gru | CellKind::Cifg => 3,
            CellKind::Lstm => 4,
        }
    }

    /// Whether the cell carries a second state vector `c` besides `h`.
    pub const fn has_cell_state(self) -> bool {
        matches!(self, CellKind::Lstm | CellKind::Cifg)
    }
}
