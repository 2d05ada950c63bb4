//! The [`Network`] contract, layer composition and block processing.

use crate::kernel::Tier;

/// A network that runs one time step at a time with no allocation.
///
/// The contract every front end implements (const-generic layers and chains, baked models).
pub trait Network {
    /// Values per input frame.
    const INPUT_SIZE: usize;
    /// Values per output frame.
    const OUTPUT_SIZE: usize;

    /// One time step. Panics only if a slice length differs from the sizes above.
    fn step(&mut self, input: &[f32], output: &mut [f32]);

    /// Back to the initial state: zeros, unless the network was built with one
    /// ([`WithInitialState`], e.g. a NAM model's).
    fn reset(&mut self);

    /// Runs a block of frames, one step per frame: `input` holds `T` frames of
    /// `INPUT_SIZE` interleaved values, `output` receives `T` frames of `OUTPUT_SIZE`.
    /// For a 1-in/1-out network (an audio effect) that is one step per sample.
    ///
    /// Panics only if the lengths do not describe the same number of whole frames.
    fn process_block(&mut self, input: &[f32], output: &mut [f32]) {
        let frames = input.len() / Self::INPUT_SIZE;
        assert!(
            input.len().is_multiple_of(Self::INPUT_SIZE) && output.len() == frames * Self::OUTPUT_SIZE,
            "process_block: {} inputs and {} outputs are not whole frames of {} in / {} out",
            input.len(),
            output.len(),
            Self::INPUT_SIZE,
            Self::OUTPUT_SIZE
        );
        for (x, y) in input.chunks_exact(Self::INPUT_SIZE).zip(output.chunks_exact_mut(Self::OUTPUT_SIZE)) {
            self.step(x, y);
        }
    }

    /// One time step with typed frames; sizes are checked at compile time.
    #[inline]
    fn step_array<const I: usize, const O: usize>(&mut self, input: &[f32; I]) -> [f32; O] {
        const {
            assert!(I == Self::INPUT_SIZE && O == Self::OUTPUT_SIZE, "frame sizes differ from the network's");
        }
        let mut out = [0.0; O];
        self.step(input, &mut out);
        out
    }
}

/// A building block of a network: steps with borrowed output and exposes its state.
///
/// Every [`Layer`] is a [`Network`]. Layers keep their output (a recurrent layer's output is
/// its `h`), so a [`Chain`] passes data between layers with no buffer of its own.
pub trait Layer {
    /// Values per input frame.
    const INPUT_SIZE: usize;
    /// Values per output frame.
    const OUTPUT_SIZE: usize;
    /// A copy of everything that carries over from one step to the next.
    type State: Copy;
    /// Units of the widest layer inside: a recurrent layer's `H`, a Dense layer's outputs,
    /// `C` times that for `C` channels; the largest of a chain's. It is the `width` that
    /// [`Tier::detect_for`] picks a tier for: `net.with_tier(Tier::detect_for(N::WIDTH))`.
    /// Defaults to `OUTPUT_SIZE`, which is every single layer's.
    const WIDTH: usize = Self::OUTPUT_SIZE;

    /// One time step; returns the output. Panics only if `input.len() != INPUT_SIZE`.
    fn forward(&mut self, input: &[f32]) -> &[f32];
    /// Back to the zero state.
    fn reset(&mut self);
    /// A copy of the current state.
    fn snapshot(&self) -> Self::State;
    /// Continue from a state taken by [`Layer::snapshot`].
    fn restore(&mut self, state: &Self::State);

    /// Runs this layer (and every layer inside it) on kernel tier `tier`. Layers are built
    /// on [`Tier::STATIC`] (their `new` is `const`); with `std`, pass
    /// [`Tier::detect_for`]`(`[`Self::WIDTH`]`)` once after building a network to use the
    /// fastest tier of the running CPU for it (or the one forced by `TINYRNN_TIER`);
    /// [`Tier::detect()`] is the best tier whatever the width. Layers without kernels ignore
    /// it.
    fn set_tier(&mut self, tier: Tier) {
        let _ = tier;
    }

    /// [`Layer::set_tier`] in builder style: `Chain::new(a, b).with_tier(Tier::detect_for(N::WIDTH))`,
    /// `N` being the chain's type (a baked module's `Model`).
    fn with_tier(mut self, tier: Tier) -> Self
    where
        Self: Sized,
    {
        self.set_tier(tier);
        self
    }
}

impl<L: Layer> Network for L {
    const INPUT_SIZE: usize = L::INPUT_SIZE;
    const OUTPUT_SIZE: usize = L::OUTPUT_SIZE;

    #[inline]
    fn step(&mut self, input: &[f32], output: &mut [f32]) {
        output.copy_from_slice(self.forward(input));
    }

    fn reset(&mut self) {
        Layer::reset(self)
    }
}

/// Two layers in sequence: `second(first(x))`. Nest chains for longer stacks, or use
/// [`chain!`](crate::chain).
#[derive(Clone, Debug)]
pub struct Chain<A, B> {
    /// The layer that sees the input.
    pub first: A,
    /// The layer fed by `first`.
    pub second: B,
}

impl<A: Layer, B: Layer> Chain<A, B> {
    /// Chains two layers; their sizes must match (checked at compile time).
    pub const fn new(first: A, second: B) -> Self {
        const {
            assert!(A::OUTPUT_SIZE == B::INPUT_SIZE, "chained layers' sizes differ");
        }
        Self { first, second }
    }
}

impl<A: Layer, B: Layer> Layer for Chain<A, B> {
    const INPUT_SIZE: usize = A::INPUT_SIZE;
    const OUTPUT_SIZE: usize = B::OUTPUT_SIZE;
    type State = (A::State, B::State);
    const WIDTH: usize = if A::WIDTH > B::WIDTH { A::WIDTH } else { B::WIDTH };

    #[inline]
    fn forward(&mut self, input: &[f32]) -> &[f32] {
        self.second.forward(self.first.forward(input))
    }

    fn reset(&mut self) {
        self.first.reset();
        self.second.reset();
    }

    fn snapshot(&self) -> Self::State {
        (self.first.snapshot(), self.second.snapshot())
    }

    fn restore(&mut self, state: &Self::State) {
        self.first.restore(&state.0);
        self.second.restore(&state.1);
    }

    fn set_tier(&mut self, tier: Tier) {
        self.first.set_tier(tier);
        self.second.set_tier(tier);
    }
}

/// Adds the first `K` inputs to the first `K` outputs of a layer (the amp-model residual,
/// `y = net(x) + x[..K]`). `O` is the inner layer's output size (checked at compile time).
#[derive(Clone, Debug)]
pub struct Residual<L, const K: usize, const O: usize> {
    /// The wrapped layer.
    pub inner: L,
    out: [f32; O],
}

impl<L: Layer, const K: usize, const O: usize> Residual<L, K, O> {
    /// Wraps `inner`.
    pub const fn new(inner: L) -> Self {
        const {
            assert!(O == L::OUTPUT_SIZE, "Residual's O differs from the inner output size");
            assert!(K <= L::INPUT_SIZE && K <= O, "residual wider than the input or output");
        }
        Self { inner, out: [0.0; O] }
    }
}

impl<L: Layer, const K: usize, const O: usize> Layer for Residual<L, K, O> {
    const INPUT_SIZE: usize = L::INPUT_SIZE;
    const OUTPUT_SIZE: usize = O;
    type State = L::State;
    const WIDTH: usize = L::WIDTH;

    #[inline]
    fn forward(&mut self, input: &[f32]) -> &[f32] {
        self.out.copy_from_slice(self.inner.forward(input));
        for (y, x) in self.out.iter_mut().zip(&input[..K]) {
            *y += *x;
        }
        &self.out
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    fn snapshot(&self) -> Self::State {
        self.inner.snapshot()
    }

    fn restore(&mut self, state: &Self::State) {
        self.inner.restore(state);
    }

    fn set_tier(&mut self, tier: Tier) {
        self.inner.set_tier(tier);
    }
}

/// A layer that starts from, and resets to, a fixed state kept in flash instead of zeros
/// (models whose files carry an initial state, or whose prewarm was run at bake time).
#[derive(Clone, Debug)]
pub struct WithInitialState<L: Layer + 'static> {
    /// The wrapped layer.
    pub inner: L,
    initial: &'static L::State,
}

impl<L: Layer + 'static> WithInitialState<L> {
    /// Wraps `inner` and moves it to `initial`.
    pub fn new(mut inner: L, initial: &'static L::State) -> Self {
        inner.restore(initial);
        Self { inner, initial }
    }
}

impl<L: Layer + 'static> Layer for WithInitialState<L> {
    const INPUT_SIZE: usize = L::INPUT_SIZE;
    const OUTPUT_SIZE: usize = L::OUTPUT_SIZE;
    type State = L::State;
    const WIDTH: usize = L::WIDTH;

    #[inline]
    fn forward(&mut self, input: &[f32]) -> &[f32] {
        self.inner.forward(input)
    }

    /// Back to the initial state given at construction.
    fn reset(&mut self) {
        self.inner.restore(self.initial);
    }

    fn snapshot(&self) -> Self::State {
        self.inner.snapshot()
    }

    fn restore(&mut self, state: &Self::State) {
        self.inner.restore(state);
    }

    fn set_tier(&mut self, tier: Tier) {
        self.inner.set_tier(tier);
    }
}

/// Chains layers left to right: `chain!(a, b, c)` is `Chain::new(a, Chain::new(b, c))`.
#[macro_export]
macro_rules! chain {
    ($a:expr $(,)?) => { $a };
    ($a:expr, $($rest:expr),+ $(,)?) => { $crate::Chain::new($a, $crate::chain!($($rest),+)) };
}
