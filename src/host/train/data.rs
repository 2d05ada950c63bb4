//! Training data: equally long sequences with their targets.

use std::format;
use std::vec::Vec;

use super::loss::TargetMode;
use super::TrainError;

/// A set of independent sequences of the same length, with targets.
///
/// Inputs are `(T, I)` row-major per sequence. Targets are `(T, O)` per sequence for
/// [`TargetMode::Sequence`], or one `O`-row per sequence for [`TargetMode::Last`].
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    inputs: usize,
    outputs: usize,
    steps: usize,
    mode: TargetMode,
    x: Vec<f32>,
    y: Vec<f32>,
}

impl Dataset {
    /// An empty set of sequences of `steps` steps.
    pub fn new(inputs: usize, outputs: usize, steps: usize, mode: TargetMode) -> Result<Self, TrainError> {
        if inputs == 0 || outputs == 0 || steps == 0 {
            return Err(TrainError::Data(format!(
                "inputs ({inputs}), outputs ({outputs}) and steps ({steps}) must be non-zero"
            )));
        }
        Ok(Self { inputs, outputs, steps, mode, x: Vec::new(), y: Vec::new() })
    }

    /// Adds one sequence: `input` is `steps·I` values, `target` is `steps·O` values
    /// (sequence to sequence) or `O` values (sequence to one). Values must be finite.
    pub fn push(&mut self, input: &[f32], target: &[f32]) -> Result<(), TrainError> {
        let want_y = self.target_len();
        if input.len() != self.steps * self.inputs || target.len() != want_y {
            return Err(TrainError::Data(format!(
                "a sequence needs {} input and {want_y} target values, got {} and {}",
                self.steps * self.inputs,
                input.len(),
                target.len()
            )));
        }
        if !input.iter().chain(target).all(|v| v.is_finite()) {
            return Err(TrainError::Data(format!("sequence {} holds a NaN or infinite value", self.len())));
        }
        self.x.extend_from_slice(input);
        self.y.extend_from_slice(target);
        Ok(())
    }

    /// Cuts one long recording (`(T, I)` input, `(T, O)` target) into sequences of
    /// `segment` steps (the remainder is dropped): the usual way to batch audio.
    pub fn from_audio(
        input: &[f32],
        target: &[f32],
        inputs: usize,
        outputs: usize,
        segment: usize,
    ) -> Result<Self, TrainError> {
        let mut d = Self::new(inputs, outputs, segment, TargetMode::Sequence)?;
        if !input.len().is_multiple_of(inputs)
            || !target.len().is_multiple_of(outputs)
            || input.len() / inputs != target.len() / outputs
        {
            return Err(TrainError::Data(format!(
                "input ({} values of width {inputs}) and target ({} values of width {outputs}) differ in length",
                input.len(),
                target.len()
            )));
        }
        let t = input.len() / inputs;
        for s in 0..t / segment {
            d.push(
                &input[s * segment * inputs..(s + 1) * segment * inputs],
                &target[s * segment * outputs..(s + 1) * segment * outputs],
            )?;
        }
        if d.is_empty() {
            return Err(TrainError::Data(format!("{t} steps are fewer than one segment of {segment}")));
        }
        Ok(d)
    }

    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.x.len() / (self.steps * self.inputs)
    }

    /// Whether there are no sequences.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Steps per sequence.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Input width `I`.
    pub fn input_size(&self) -> usize {
        self.inputs
    }

    /// Output width `O`.
    pub fn output_size(&self) -> usize {
        self.outputs
    }

    /// Where targets are.
    pub fn mode(&self) -> TargetMode {
        self.mode
    }

    fn target_len(&self) -> usize {
        match self.mode {
            TargetMode::Sequence => self.steps * self.outputs,
            TargetMode::Last => self.outputs,
        }
    }

    /// Input of sequence `i` (`steps·I` values).
    pub fn input(&self, i: usize) -> &[f32] {
        let n = self.steps * self.inputs;
        &self.x[i * n..(i + 1) * n]
    }

    /// Target of sequence `i`.
    pub fn target(&self, i: usize) -> &[f32] {
        let n = self.target_len();
        &self.y[i * n..(i + 1) * n]
    }

    /// Splits off the last `fraction` of the sequences (at least one, if `fraction > 0`)
    /// as a validation set, keeping order (for audio: held-out material from the end).
    pub fn split(&self, fraction: f32) -> Result<(Dataset, Dataset), TrainError> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(TrainError::Config(format!("validation fraction {fraction} is not in [0, 1)")));
        }
        let n = self.len();
        let n_val = if fraction > 0.0 { ((n as f32 * fraction).round() as usize).max(1) } else { 0 };
        if n_val >= n {
            return Err(TrainError::Data(format!("{n} sequences are too few to hold out {n_val}")));
        }
        let cut = n - n_val;
        let mut a = self.clone_empty();
        let mut b = self.clone_empty();
        for i in 0..n {
            let d = if i < cut { &mut a } else { &mut b };
            d.x.extend_from_slice(self.input(i));
            d.y.extend_from_slice(self.target(i));
        }
        Ok((a, b))
    }

    fn clone_empty(&self) -> Self {
        Self { x: Vec::new(), y: Vec::new(), ..*self }
    }
}
