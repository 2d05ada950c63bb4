//! Gradients against f64 finite differences of an independent f64 implementation of the
//! forward pass and losses, on random tiny networks: every cell kind, 1–2 recurrent layers,
//! every Dense activation, the residual, MSE / ESR (pre-emphasis) / cross-entropy, sequence
//! to sequence and sequence to one.

#![cfg(feature = "std")]

mod common;

use proptest::prelude::*;
use tinyrnn::train::{gradients, LayerDef, Loss, TargetMode, TrainModel};
use tinyrnn::{CellKind, DenseActivation, Exact, RnnNonlinearity};

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `W·v` for row `r` of a row-major matrix with `v.len()` columns.
fn row_dot(w: &[f64], r: usize, v: &[f64]) -> f64 {
    w[r * v.len()..(r + 1) * v.len()].iter().zip(v).map(|(a, b)| a * b).sum()
}

/// The network's outputs, `(T, O)`, in f64 straight from the equations.
fn forward64(model: &TrainModel, p: &[f64], x: &[f64]) -> Vec<f64> {
    let ni = model.input_size();
    let steps = x.len() / ni;
    let layers = model.layers();
    let mut offs = Vec::new();
    let mut off = 0;
    for def in layers {
        offs.push(off);
        off += match *def {
            LayerDef::Recurrent { kind, input, hidden } => kind.gates() * hidden * (input + hidden + 2),
            LayerDef::Dense { input, output, .. } => output * (input + 1),
        };
    }
    let mut h: Vec<Vec<f64>> = layers.iter().map(|d| vec![0.0; d.output_size()]).collect();
    let mut c = h.clone();
    let mut out = Vec::new();
    for t in 0..steps {
        let xt = &x[t * ni..(t + 1) * ni];
        let mut v = xt.to_vec();
        for (l, def) in layers.iter().enumerate() {
            let o = offs[l];
            match *def {
                LayerDef::Recurrent { kind, input, hidden: hs } => {
                    let rows = kind.gates() * hs;
                    let wih = &p[o..o + rows * input];
                    let whh = &p[o + rows * input..o + rows * (input + hs)];
                    let bih = &p[o + rows * (input + hs)..o + rows * (input + hs + 1)];
                    let bhh = &p[o + rows * (input + hs + 1)..o + rows * (input + hs + 2)];
                    let hp = h[l].clone();
                    let a = |r: usize| row_dot(wih, r, &v) + bih[r] + row_dot(whh, r, &hp) + bhh[r];
                    let mut hn = vec![0.0; hs];
                    for j in 0..hs {
                        match kind {
                            CellKind::Rnn(RnnNonlinearity::Tanh) => hn[j] = a(j).tanh(),
                            CellKind::Rnn(RnnNonlinearity::Relu) => hn[j] = a(j).max(0.0),
                            CellKind::Lstm => {
                                let (i, f, g, og) =
                                    (sig(a(j)), sig(a(hs + j)), a(2 * hs + j).tanh(), sig(a(3 * hs + j)));
                                c[l][j] = f * c[l][j] + i * g;
                                hn[j] = og * c[l][j].tanh();
                            }
                            CellKind::Cifg => {
                                let (i, g, og) = (sig(a(j)), a(hs + j).tanh(), sig(a(2 * hs + j)));
                                c[l][j] = (1.0 - i) * c[l][j] + i * g;
                                hn[j] = og * c[l][j].tanh();
                            }
                            CellKind::Gru => {
                                let (r, z) = (sig(a(j)), sig(a(hs + j)));
                                let nx = row_dot(wih, 2 * hs + j, &v) + bih[2 * hs + j];
                                let nh = row_dot(whh, 2 * hs + j, &hp) + bhh[2 * hs + j];
                                let n = (nx + r * nh).tanh();
                                hn[j] = (1.0 - z) * n + z * hp[j];
                            }
                        }
                    }
                    h[l] = hn.clone();
                    v = hn;
                }
                LayerDef::Dense { input, output, activation } => {
                    let w = &p[o..o + output * input];
                    let b = &p[o + output * input..o + output * (input + 1)];
                    let mut y: Vec<f64> = (0..output).map(|r| row_dot(w, r, &v) + b[r]).collect();
                    match activation {
                        DenseActivation::Identity => {}
                        DenseActivation::Tanh => y.iter_mut().for_each(|v| *v = v.tanh()),
                        DenseActivation::Sigmoid => y.iter_mut().for_each(|v| *v = sig(*v)),
                        DenseActivation::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
                        DenseActivation::Elu => y.iter_mut().for_each(|v| *v = if *v > 0.0 { *v } else { v.exp_m1() }),
                        DenseActivation::Softmax => {
                            let m = y.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                            let s: f64 = y.iter().map(|v| (v - m).exp()).sum();
                            y.iter_mut().for_each(|v| *v = (*v - m).exp() / s);
                        }
                    }
                    v = y;
                }
            }
        }
        for k in 0..model.skip() {
            v[k] += xt[k];
        }
        out.extend(v);
    }
    out
}

fn loss64(model: &TrainModel, y: &[f64], target: &[f64], loss: Loss, mode: TargetMode) -> f64 {
    let o = model.output_size();
    let steps = y.len() / o;
    let rows: Vec<(usize, &[f64])> = match mode {
        TargetMode::Sequence => (0..steps).map(|t| (t, &target[t * o..(t + 1) * o])).collect(),
        TargetMode::Last => vec![(steps - 1, target)],
    };
    let softmax_head =
        matches!(model.layers().last(), Some(LayerDef::Dense { activation: DenseActivation::Softmax, .. }))
            && model.skip() == 0;
    match loss {
        Loss::Mse => {
            rows.iter().map(|(t, r)| (0..o).map(|k| (y[t * o + k] - r[k]).powi(2)).sum::<f64>()).sum::<f64>()
                / (rows.len() * o) as f64
        }
        Loss::Esr { pre_emphasis: a } => {
            let a = if mode == TargetMode::Sequence { a as f64 } else { 0.0 };
            let (mut num, mut den) = (0.0, 0.0);
            for (t, r) in &rows {
                for k in 0..o {
                    let (ep, tp) = if *t > 0 && a != 0.0 {
                        let pt = target[(t - 1) * o + k];
                        ((y[t * o + k] - r[k]) - a * (y[(t - 1) * o + k] - pt), r[k] - a * pt)
                    } else {
                        (y[t * o + k] - r[k], r[k])
                    };
                    num += ep * ep;
                    den += tp * tp;
                }
            }
            num / (den + 1e-5 * (rows.len() * o) as f64)
        }
        Loss::CrossEntropy => {
            let mut s = 0.0;
            for (t, r) in &rows {
                let yt = &y[t * o..(t + 1) * o];
                let logp: Vec<f64> = if softmax_head {
                    yt.iter().map(|v| v.ln()).collect()
                } else {
                    let m = yt.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let lse = m + yt.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                    yt.iter().map(|v| v - lse).collect()
                };
                s -= r.iter().zip(&logp).map(|(a, b)| a * b).sum::<f64>();
            }
            s / rows.len() as f64
        }
    }
}

#[derive(Clone, Debug)]
struct Case {
    kind: CellKind,
    input: usize,
    hidden: usize,
    layers: usize,
    head: Option<(usize, DenseActivation)>,
    skip: bool,
    steps: usize,
    loss: Loss,
    mode: TargetMode,
    seed: u64,
}

fn kinds() -> impl Strategy<Value = CellKind> {
    prop_oneof![
        Just(CellKind::Rnn(RnnNonlinearity::Tanh)),
        Just(CellKind::Rnn(RnnNonlinearity::Relu)),
        Just(CellKind::Gru),
        Just(CellKind::Lstm),
        Just(CellKind::Cifg),
    ]
}

fn acts() -> impl Strategy<Value = DenseActivation> {
    prop_oneof![
        Just(DenseActivation::Identity),
        Just(DenseActivation::Tanh),
        Just(DenseActivation::Sigmoid),
        Just(DenseActivation::Relu),
        Just(DenseActivation::Elu),
        Just(DenseActivation::Softmax),
    ]
}

fn cases() -> impl Strategy<Value = Case> {
    (
        kinds(),
        1usize..4,
        1usize..6,
        1usize..3,
        proptest::option::of((1usize..4, acts())),
        any::<bool>(),
        1usize..9,
        prop_oneof![
            Just(Loss::Mse),
            Just(Loss::Esr { pre_emphasis: 0.0 }),
            Just(Loss::Esr { pre_emphasis: 0.9 }),
            Just(Loss::CrossEntropy)
        ],
        prop_oneof![Just(TargetMode::Sequence), Just(TargetMode::Last)],
        any::<u64>(),
    )
        .prop_map(|(kind, input, hidden, layers, head, skip, steps, loss, mode, seed)| Case {
            kind,
            input,
            hidden,
            layers,
            head,
            skip,
            steps,
            loss,
            mode,
            seed,
        })
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let out = case.head.map_or(case.hidden, |(o, _)| o);
    let skip = if case.skip { case.input.min(out) } else { 0 };
    let mut model = TrainModel::stacked(case.kind, case.input, case.hidden, case.layers, case.head, skip, case.seed)
        .expect("model");
    // Larger weights than PyTorch's init, so every nonlinearity is exercised off its linear part.
    let mut rng = common::Rng(case.seed | 1);
    let p: Vec<f32> = rng.vec(model.param_count(), 0.9);
    model.set_params(&p).expect("params");
    let x: Vec<f32> = rng.vec(case.steps * case.input, 1.5);
    let tlen = if case.mode == TargetMode::Sequence { case.steps * out } else { out };
    let target: Vec<f32> = if case.loss == Loss::CrossEntropy {
        // Soft labels: rows that sum to one.
        let mut t = Vec::new();
        for _ in 0..tlen / out {
            let raw: Vec<f32> = (0..out).map(|_| rng.uniform(1.0).abs() + 0.05).collect();
            let s: f32 = raw.iter().sum();
            t.extend(raw.iter().map(|v| v / s));
        }
        t
    } else {
        rng.vec(tlen, 1.0)
    };
    let (loss, g) = gradients::<Exact>(&model, &x, &target, case.loss, case.mode).expect("gradients");

    let p64: Vec<f64> = p.iter().map(|&v| v as f64).collect();
    let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let t64: Vec<f64> = target.iter().map(|&v| v as f64).collect();
    let f = |p: &[f64]| loss64(&model, &forward64(&model, p, &x64), &t64, case.loss, case.mode);
    let l64 = f(&p64);
    prop_assert!((loss - l64).abs() <= 1e-4 * (1.0 + l64.abs()), "loss {loss} vs f64 {l64}");
    let eps = 1e-6;
    let mut fd = vec![0.0; p64.len()];
    let mut q = p64.clone();
    for k in 0..p64.len() {
        q[k] = p64[k] + eps;
        let up = f(&q);
        q[k] = p64[k] - eps;
        let down = f(&q);
        q[k] = p64[k];
        fd[k] = (up - down) / (2.0 * eps);
    }
    let norm = fd.iter().map(|v| v * v).sum::<f64>().sqrt();
    let err = g.iter().zip(&fd).map(|(a, b)| (*a as f64 - b).powi(2)).sum::<f64>().sqrt();
    prop_assert!(err <= 1e-3 * norm + 1e-5, "‖g − fd‖ = {err:e}, ‖fd‖ = {norm:e}\n{case:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn gradients_match_f64_finite_differences(case in cases()) {
        check(&case)?;
    }
}

/// Cases that end in a saturated head (tanh or sigmoid at 1 − 10⁻⁵ and closer, ELU near −1,
/// fed by unbounded ReLU states): slopes taken from the float32 outputs (`1 − y²`,
/// `y·(1 − y)`, `y + 1`) put the gradient 0.75 %, 1.7 % and 0.16 % off in these three
/// (‖g − fd‖ / ‖fd‖; up to 75 % in other ELU cases). The first two are proptest's finds; the
/// ELU one came from a search over 15 000 ELU-headed cases (23 failed before the fix, none
/// after).
#[test]
fn saturated_heads_keep_accurate_gradients() {
    let saturated = |input, head, skip, steps, seed| Case {
        kind: CellKind::Rnn(RnnNonlinearity::Relu),
        input,
        hidden: 4,
        layers: 2,
        head: Some(head),
        skip,
        steps,
        loss: Loss::Esr { pre_emphasis: 0.0 },
        mode: TargetMode::Last,
        seed,
    };
    check(&saturated(3, (2, DenseActivation::Sigmoid), false, 7, 17253626075335697424)).unwrap();
    check(&saturated(2, (1, DenseActivation::Tanh), true, 6, 4245315922471042658)).unwrap();
    check(&saturated(3, (1, DenseActivation::Elu), false, 7, 10015457541053839763)).unwrap();
}
