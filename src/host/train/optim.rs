//! Optimisers (PyTorch semantics) and gradient-norm clipping.

use std::vec;
use std::vec::Vec;

/// How parameters move given their gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// Adam (`torch.optim.Adam`, or `AdamW` with `decoupled`).
    Adam {
        /// Learning rate.
        lr: f32,
        /// β₁ (0.9).
        beta1: f32,
        /// β₂ (0.999).
        beta2: f32,
        /// ε (1e-8).
        eps: f32,
        /// Weight decay: L2 added to the gradient (Adam), or `p −= lr·wd·p` (AdamW).
        weight_decay: f32,
        /// AdamW's decoupled weight decay.
        decoupled: bool,
    },
    /// SGD with momentum (`torch.optim.SGD`, dampening 0).
    Sgd {
        /// Learning rate.
        lr: f32,
        /// Momentum (0 = plain SGD).
        momentum: f32,
        /// Nesterov momentum.
        nesterov: bool,
        /// L2 weight decay added to the gradient.
        weight_decay: f32,
    },
}

impl Optimizer {
    /// Adam with PyTorch's defaults and learning rate `lr`.
    pub const fn adam(lr: f32) -> Self {
        Optimizer::Adam { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, decoupled: false }
    }

    /// SGD with momentum.
    pub const fn sgd(lr: f32, momentum: f32) -> Self {
        Optimizer::Sgd { lr, momentum, nesterov: false, weight_decay: 0.0 }
    }

    /// The learning rate.
    pub fn lr(&self) -> f32 {
        match *self {
            Optimizer::Adam { lr, .. } | Optimizer::Sgd { lr, .. } => lr,
        }
    }

    /// Whether every coefficient is finite and in range.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        match *self {
            Optimizer::Adam { lr, beta1, beta2, eps, weight_decay, .. } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return Err("Adam: lr must be > 0");
                }
                if !((0.0..1.0).contains(&beta1) && (0.0..1.0).contains(&beta2)) {
                    return Err("Adam: betas must be in [0, 1)");
                }
                if !(eps.is_finite() && eps >= 0.0 && weight_decay.is_finite() && weight_decay >= 0.0) {
                    return Err("Adam: eps and weight_decay must be finite and >= 0");
                }
            }
            Optimizer::Sgd { lr, momentum, weight_decay, .. } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return Err("SGD: lr must be > 0");
                }
                if !((0.0..1.0).contains(&momentum) && weight_decay.is_finite() && weight_decay >= 0.0) {
                    return Err("SGD: momentum must be in [0, 1) and weight_decay >= 0");
                }
            }
        }
        Ok(())
    }
}

/// An optimiser with its per-parameter state.
#[derive(Clone, Debug)]
pub struct OptimizerState {
    opt: Optimizer,
    step: u64,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl OptimizerState {
    /// Fresh state for `n` parameters.
    pub fn new(opt: Optimizer, n: usize) -> Self {
        let v = if matches!(opt, Optimizer::Adam { .. }) { vec![0.0; n] } else { Vec::new() };
        Self { opt, step: 0, m: vec![0.0; n], v }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Changes the learning rate (schedules); the moments are kept.
    pub fn set_lr(&mut self, new_lr: f32) {
        match &mut self.opt {
            Optimizer::Adam { lr, .. } | Optimizer::Sgd { lr, .. } => *lr = new_lr,
        }
    }

    /// One update of `params` with gradient `grad` (same length as at creation).
    pub fn step(&mut self, params: &mut [f32], grad: &[f64]) {
        self.step += 1;
        match self.opt {
            Optimizer::Adam { lr, beta1, beta2, eps, weight_decay, decoupled } => {
                let (b1, b2) = (beta1 as f64, beta2 as f64);
                let bc1 = 1.0 - b1.powi(self.step as i32);
                let bc2 = 1.0 - b2.powi(self.step as i32);
                let (lr, eps, wd) = (lr as f64, eps as f64, weight_decay as f64);
                for (((p, &g), m), v) in params.iter_mut().zip(grad).zip(&mut self.m).zip(&mut self.v) {
                    let mut pv = *p as f64;
                    let mut g = g;
                    if wd != 0.0 {
                        if decoupled {
                            pv -= lr * wd * pv;
                        } else {
                            g += wd * pv;
                        }
                    }
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    let denom = (*v / bc2).sqrt() + eps;
                    pv -= lr / bc1 * *m / denom;
                    *p = pv as f32;
                }
            }
            Optimizer::Sgd { lr, momentum, nesterov, weight_decay } => {
                let (lr, mu, wd) = (lr as f64, momentum as f64, weight_decay as f64);
                let first = self.step == 1;
                for ((p, &g), buf) in params.iter_mut().zip(grad).zip(&mut self.m) {
                    let pv = *p as f64;
                    let g = g + wd * pv;
                    let d = if mu != 0.0 {
                        *buf = if first { g } else { mu * *buf + g };
                        if nesterov {
                            g + mu * *buf
                        } else {
                            *buf
                        }
                    } else {
                        g
                    };
                    *p = (pv - lr * d) as f32;
                }
            }
        }
    }
}

/// Scales `grad` so its Euclidean norm is at most `max_norm` (PyTorch's
/// `clip_grad_norm_`: factor `max_norm / (norm + 1e-6)` when the norm exceeds it). Returns
/// the norm before clipping.
pub fn clip_grad_norm(grad: &mut [f64], max_norm: f64) -> f64 {
    let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
    if norm > max_norm {
        let s = max_norm / (norm + 1e-6);
        grad.iter_mut().for_each(|g| *g *= s);
    }
    norm
}
