//! Losses over windows of sequences, and their gradients with respect to the outputs.
//!
//! Every loss is `Σ (per-step terms) / D`, where the normaliser `D` depends only on the
//! targets, so it is known before the forward pass and per-sequence gradients can be
//! computed independently (in parallel) and summed.

/// What the trainer minimises.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    /// Mean squared error over every counted step and output (PyTorch's `MSELoss`).
    Mse,
    /// Error-to-signal ratio `Σ e² / (Σ t² + 1e-5·N)` (the audio-modelling loss of
    /// Automated-GuitarAmpModelling), optionally after a first-order pre-emphasis filter
    /// `x[n] − α·x[n−1]` on both error and target (`pre_emphasis = α`, 0 = off; 0.85–0.95
    /// weights high frequencies, as amp trainers do).
    Esr {
        /// Pre-emphasis coefficient α in `[0, 1)`.
        pre_emphasis: f32,
    },
    /// Cross-entropy against target distributions (one-hot rows for class labels), averaged
    /// over counted steps. With a softmax head the outputs are probabilities, the loss is
    /// taken from the head's logits (exact where a float32 probability would underflow) and
    /// the gradient is fused (`y − t`); otherwise the outputs are taken as logits (PyTorch's
    /// `CrossEntropyLoss`).
    CrossEntropy,
}

/// Which steps of a sequence carry a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetMode {
    /// Sequence to sequence: a target row at every step (`T·O` target values).
    Sequence,
    /// Sequence to one: the loss is on the last step's output only (`O` target values).
    Last,
}

const ESR_EPS: f64 = 1e-5;

/// A window `[start, end)` of one sequence and its targets.
pub(crate) struct Window<'a> {
    pub target: &'a [f32],
    pub outputs: usize,
    pub start: usize,
    pub end: usize,
    pub len: usize,
    pub mode: TargetMode,
}

impl Window<'_> {
    /// The target row of step `t` if that step is counted.
    fn row(&self, t: usize) -> Option<&[f32]> {
        let o = self.outputs;
        match self.mode {
            TargetMode::Sequence => Some(&self.target[t * o..(t + 1) * o]),
            TargetMode::Last => (t + 1 == self.len).then(|| &self.target[..o]),
        }
    }

    fn pre_emphasis(&self, loss: Loss) -> f32 {
        match (loss, self.mode) {
            (Loss::Esr { pre_emphasis }, TargetMode::Sequence) => pre_emphasis,
            _ => 0.0,
        }
    }

    /// This window's share of the normaliser `D`.
    pub fn denominator(&self, loss: Loss) -> f64 {
        let o = self.outputs;
        let counted = (self.start..self.end).filter(|&t| self.row(t).is_some()).count();
        match loss {
            Loss::Mse => (counted * o) as f64,
            Loss::CrossEntropy => counted as f64,
            Loss::Esr { .. } => {
                let a = self.pre_emphasis(loss);
                let mut s = 0.0f64;
                for t in self.start..self.end {
                    if let Some(row) = self.row(t) {
                        for (k, &v) in row.iter().enumerate() {
                            let prev = if a != 0.0 && t > 0 { self.target[(t - 1) * o + k] } else { 0.0 };
                            let p = (v - a * prev) as f64;
                            s += p * p;
                        }
                    }
                }
                s + ESR_EPS * (counted * o) as f64
            }
        }
    }

    /// The numerator of this window's loss given outputs `y` (`W·O`, step `start` first)
    /// and, for pre-emphasis, the output of step `start − 1` (`prev_y`). Writes
    /// `∂(numerator·inv_d)/∂y` to `dy`. Given `softmax_logits` (cross-entropy on a softmax
    /// head: the logits `y` came from, `W·O`), the loss is their log-softmax and `dy` the
    /// gradient w.r.t. them (the fused softmax + cross-entropy gradient).
    pub fn numerator(
        &self,
        loss: Loss,
        y: &[f32],
        prev_y: &[f32],
        inv_d: f64,
        softmax_logits: Option<&[f32]>,
        dy: &mut [f32],
    ) -> f64 {
        let o = self.outputs;
        dy.fill(0.0);
        let mut num = 0.0f64;
        let a = self.pre_emphasis(loss);
        for t in self.start..self.end {
            let Some(row) = self.row(t) else { continue };
            let w = t - self.start;
            let yt = &y[w * o..(w + 1) * o];
            match loss {
                Loss::Mse | Loss::Esr { .. } => {
                    for k in 0..o {
                        let e = yt[k] - row[k];
                        let e_prev = if a == 0.0 || t == 0 {
                            0.0
                        } else {
                            let yp = if w == 0 { prev_y[k] } else { y[(w - 1) * o + k] };
                            yp - self.target[(t - 1) * o + k]
                        };
                        let ep = (e - a * e_prev) as f64;
                        num += ep * ep;
                        let g = 2.0 * ep * inv_d;
                        dy[w * o + k] += g as f32;
                        if a != 0.0 && w > 0 {
                            dy[(w - 1) * o + k] -= (a as f64 * g) as f32;
                        }
                    }
                }
                Loss::CrossEntropy => {
                    let mass: f64 = row.iter().map(|&v| v as f64).sum();
                    let d = &mut dy[w * o..(w + 1) * o];
                    // Logits either way: the head's (its softmax is `y`) or `y` itself.
                    let z = softmax_logits.map_or(yt, |a| &a[w * o..(w + 1) * o]);
                    let m = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
                    let sum: f64 = z.iter().map(|&v| (v as f64 - m).exp()).sum();
                    let lse = m + sum.ln();
                    for k in 0..o {
                        let p = (z[k] as f64 - lse).exp();
                        num += row[k] as f64 * (lse - z[k] as f64);
                        d[k] = ((p * mass - row[k] as f64) * inv_d) as f32;
                    }
                }
            }
        }
        num
    }

    /// Number of counted steps whose output's arg-max equals the target's (classification).
    pub fn correct(&self, y: &[f32]) -> (usize, usize) {
        let o = self.outputs;
        let (mut hit, mut n) = (0, 0);
        for t in self.start..self.end {
            let Some(row) = self.row(t) else { continue };
            let w = t - self.start;
            n += 1;
            if argmax(&y[w * o..(w + 1) * o]) == argmax(row) {
                hit += 1;
            }
        }
        (hit, n)
    }
}

/// Index of the largest value (first one on ties; NaN never wins).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (k, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = k;
        }
    }
    best
}
