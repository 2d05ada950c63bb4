//! Dense (fully connected) layer.

use core::marker::PhantomData;

use super::Aligned;
use crate::activation::{Activation, DefaultActivation};
use crate::cell::DenseActivation;
use crate::error::{check_len, ShapeError};
use crate::kernel::{self, layout, DenseView, Tier};
use crate::network::Layer;

/// Packed weights of a Dense layer with `I` inputs and `O` outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseWeights<const I: usize, const O: usize> {
    activation: DenseActivation,
    w: Aligned<[[[f32; O]; 1]; I]>,
    b: Aligned<[f32; O]>,
}

impl<const I: usize, const O: usize> DenseWeights<I, O> {
    /// Packs `nn.Linear` weights (`weight` (O, I), `bias` (O)) at compile time.
    pub const fn from_pytorch(weight: &[[f32; I]; O], bias: &[f32; O], activation: DenseActivation) -> Self {
        Self { activation, w: Aligned(layout::pack(&[*weight])), b: Aligned(*bias) }
    }

    /// All-zero weights (a starting point for [`Self::set_from_pytorch`]).
    pub const fn zeroed(activation: DenseActivation) -> Self {
        Self { activation, w: Aligned([[[0.0; O]; 1]; I]), b: Aligned([0.0; O]) }
    }

    /// Replaces the weights with row-major `weight` (O, I) and `bias` (O); on a shape error
    /// nothing is changed.
    pub fn set_from_pytorch(&mut self, weight: &[f32], bias: &[f32]) -> Result<(), ShapeError> {
        check_len("weight", weight, O, I)?;
        check_len("bias", bias, O, 1)?;
        layout::pack_into(weight, I, 1, O, self.w.0.as_flattened_mut().as_flattened_mut());
        self.b.0.copy_from_slice(bias);
        Ok(())
    }

    /// The activation after the affine map.
    pub const fn activation(&self) -> DenseActivation {
        self.activation
    }

    /// The kernels' view of these weights.
    #[inline]
    pub fn view(&self) -> DenseView<'_> {
        DenseView {
            activation: self.activation,
            inputs: I,
            outputs: O,
            w: self.w.0.as_flattened().as_flattened(),
            b: &self.b.0,
        }
    }
}

/// A Dense layer: `y = act(W x + b)`. Holds its last output (`O` floats of RAM).
#[derive(Clone, Debug)]
pub struct Dense<const I: usize, const O: usize, A = DefaultActivation> {
    weights: &'static DenseWeights<I, O>,
    out: [f32; O],
    tier: Tier,
    _activation: PhantomData<A>,
}

impl<const I: usize, const O: usize, A: Activation> Dense<I, O, A> {
    /// A layer over `weights`, on the compile-time kernel tier ([`Tier::STATIC`]; see
    /// [`Layer::set_tier`]).
    pub const fn new(weights: &'static DenseWeights<I, O>) -> Self {
        Self { weights, out: [0.0; O], tier: Tier::STATIC, _activation: PhantomData }
    }

    /// The kernel tier this layer runs on.
    pub const fn tier(&self) -> Tier {
        self.tier
    }

    /// Applies the layer to a typed input.
    #[inline]
    pub fn step_typed(&mut self, input: &[f32; I]) -> &[f32; O] {
        kernel::dense_fixed::<A, I, O, 1>(self.tier, &self.weights.view(), input, &mut self.out);
        &self.out
    }
}

impl<const I: usize, const O: usize, A: Activation> Layer for Dense<I, O, A> {
    const INPUT_SIZE: usize = I;
    const OUTPUT_SIZE: usize = O;
    type State = ();

    #[inline]
    fn forward(&mut self, input: &[f32]) -> &[f32] {
        let input: &[f32; I] = input.try_into().expect("input length differs from the layer's input size");
        self.step_typed(input)
    }

    fn reset(&mut self) {}

    fn snapshot(&self) -> Self::State {}

    fn restore(&mut self, _state: &Self::State) {}

    fn set_tier(&mut self, tier: Tier) {
        self.tier = tier;
    }
}
