//! Properties of the const-generic front end: stepping, blocks, reset, snapshots, ranges,
//! and the CIFG cell against an independent f64 implementation of its equation.

mod common;

use common::{leak, Rng};
use proptest::prelude::*;
use tinyrnn::*;

fn cell<const I: usize, const H: usize, const G: usize, const B: usize>(
    kind: CellKind,
    rng: &mut Rng,
    scale: f32,
) -> &'static CellWeights<I, H, G, B> {
    let mut w = CellWeights::<I, H, G, B>::zeroed(kind);
    w.set_from_pytorch(
        &rng.vec(G * H * I, scale),
        &rng.vec(G * H * H, scale),
        &rng.vec(G * H, scale),
        &rng.vec(G * H, scale),
    )
    .expect("shapes");
    leak(w)
}

fn dense<const I: usize, const O: usize>(
    act: DenseActivation,
    rng: &mut Rng,
    scale: f32,
) -> &'static DenseWeights<I, O> {
    let mut w = DenseWeights::<I, O>::zeroed(act);
    w.set_from_pytorch(&rng.vec(O * I, scale), &rng.vec(O, scale)).expect("shapes");
    leak(w)
}

/// A 2-input, 2-output stack touching every layer kind and the residual.
type Stack = Residual<Chain<Lstm<2, 9>, Chain<Gru<9, 5>, Chain<Cifg<5, 4>, Chain<Rnn<4, 3>, Dense<3, 2>>>>>, 2, 2>;

fn stack(seed: u64) -> Stack {
    let mut rng = Rng(seed | 1);
    Residual::new(chain!(
        Lstm::new(cell(CellKind::Lstm, &mut rng, 0.6)),
        Gru::new(cell(CellKind::Gru, &mut rng, 0.6)),
        Cifg::new(cell(CellKind::Cifg, &mut rng, 0.6)),
        Rnn::new(cell(CellKind::Rnn(RnnNonlinearity::Tanh), &mut rng, 0.6)),
        Dense::new(dense(DenseActivation::Identity, &mut rng, 0.6)),
    ))
    .with_tier(common::tier())
}

fn run_steps<N: Network>(net: &mut N, input: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; input.len() / N::INPUT_SIZE * N::OUTPUT_SIZE];
    for (x, y) in input.chunks_exact(N::INPUT_SIZE).zip(out.chunks_exact_mut(N::OUTPUT_SIZE)) {
        net.step(x, y);
    }
    out
}

fn finite_frames(max_frames: usize) -> impl Strategy<Value = Vec<f32>> {
    (1..max_frames).prop_flat_map(|n| prop::collection::vec(-3.0f32..3.0, 2 * n))
}

proptest! {
    #[test]
    fn step_block_and_any_chunking_agree(seed: u64, input in finite_frames(60), cuts in prop::collection::vec(0usize..60, 0..5)) {
        let reference = run_steps(&mut stack(seed), &input);
        let mut whole = vec![0.0; input.len()];
        stack(seed).process_block(&input, &mut whole);
        prop_assert_eq!(&whole, &reference);

        let frames = input.len() / 2;
        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c % (frames + 1)).collect();
        bounds.extend([0, frames]);
        bounds.sort_unstable();
        let mut net = stack(seed);
        let mut chunked = vec![0.0; input.len()];
        for w in bounds.windows(2) {
            net.process_block(&input[2 * w[0]..2 * w[1]], &mut chunked[2 * w[0]..2 * w[1]]);
        }
        prop_assert_eq!(&chunked, &reference);
    }

    #[test]
    fn reset_reproduces_the_first_run(seed: u64, input in finite_frames(40)) {
        let mut net = stack(seed);
        let first = run_steps(&mut net, &input);
        Network::reset(&mut net);
        prop_assert_eq!(run_steps(&mut net, &input), first);
    }

    #[test]
    fn snapshot_restore_resumes_identically(seed: u64, input in finite_frames(40), split in 0usize..40) {
        let frames = input.len() / 2;
        let split = 2 * (split % (frames + 1));
        let mut net = stack(seed);
        run_steps(&mut net, &input[..split]);
        let snap = net.snapshot();
        let tail = run_steps(&mut net, &input[split..]);
        // Disturb the state, then restore and resume.
        run_steps(&mut net, &input);
        net.restore(&snap);
        prop_assert_eq!(run_steps(&mut net, &input[split..]), tail);
    }

    /// Any finite input whose affine maps stay finite (|x| ≤ 1e30 with these weights: beyond,
    /// `inf − inf` in a sum is NaN by IEEE rules, as in PyTorch) gives outputs in range.
    #[test]
    fn bounded_outputs_stay_in_range(seed: u64, input in prop::collection::vec(prop_oneof![
        -1e30f32..1e30,
        -10.0f32..10.0,
        prop::num::f32::SUBNORMAL | prop::num::f32::ZERO,
    ], 3..90)) {
        let mut rng = Rng(seed | 1);
        let mut lstm = Lstm::<3, 6>::new(cell(CellKind::Lstm, &mut rng, 2.0));
        let mut gru = Gru::<3, 6>::new(cell(CellKind::Gru, &mut rng, 2.0));
        let mut cifg = Cifg::<3, 6>::new(cell(CellKind::Cifg, &mut rng, 2.0));
        let mut rnn = Rnn::<3, 6>::new(cell(CellKind::Rnn(RnnNonlinearity::Tanh), &mut rng, 2.0));
        let mut sig = Dense::<3, 4>::new(dense(DenseActivation::Sigmoid, &mut rng, 2.0));
        let mut th = Dense::<3, 4>::new(dense(DenseActivation::Tanh, &mut rng, 2.0));
        let mut soft = Dense::<3, 4>::new(dense(DenseActivation::Softmax, &mut rng, 2.0));
        for x in input.chunks_exact(3) {
            for layer in [lstm.forward(x), gru.forward(x), cifg.forward(x), rnn.forward(x), th.forward(x)] {
                prop_assert!(layer.iter().all(|v| (-1.0..=1.0).contains(v)), "{:?}", layer);
            }
            prop_assert!(sig.forward(x).iter().all(|v| (0.0..=1.0).contains(v)));
            let s = soft.forward(x);
            prop_assert!(s.iter().all(|v| (0.0..=1.0).contains(v)), "{:?}", s);
            let sum: f32 = s.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-5, "softmax sums to {}", sum);
        }
    }

    #[test]
    fn cifg_matches_an_f64_implementation(seed: u64, input in prop::collection::vec(-2.0f32..2.0, 4 * 30)) {
        const I: usize = 4;
        const H: usize = 19;
        let mut rng = Rng(seed | 1);
        let (w_ih, w_hh, b_ih, b_hh) = (rng.vec(3 * H * I, 0.7), rng.vec(3 * H * H, 0.7), rng.vec(3 * H, 0.7), rng.vec(3 * H, 0.7));
        let mut w = CifgWeights::<I, H>::zeroed(CellKind::Cifg);
        w.set_from_pytorch(&w_ih, &w_hh, &b_ih, &b_hh).expect("shapes");
        let mut net = Cifg::<I, H>::new(leak(w));

        let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
        let (mut h, mut c) = (vec![0.0f64; H], vec![0.0f64; H]);
        for x in input.chunks_exact(I) {
            let pre = |g: usize, j: usize, h: &[f64]| -> f64 {
                let r = g * H + j;
                let mut a = b_ih[r] as f64 + b_hh[r] as f64;
                a += (0..I).map(|k| w_ih[r * I + k] as f64 * x[k] as f64).sum::<f64>();
                a + (0..H).map(|k| w_hh[r * H + k] as f64 * h[k]).sum::<f64>()
            };
            let mut h_new = vec![0.0; H];
            for j in 0..H {
                let (i, g, o) = (sigmoid(pre(0, j, &h)), pre(1, j, &h).tanh(), sigmoid(pre(2, j, &h)));
                // C_t = C̃_t ⊙ i_t + C_{t−1} ⊙ (1 − i_t); h_t = o_t ⊙ tanh(C_t)
                c[j] = g * i + c[j] * (1.0 - i);
                h_new[j] = o * c[j].tanh();
            }
            h = h_new;
            let got = net.forward(x);
            for j in 0..H {
                prop_assert!((got[j] as f64 - h[j]).abs() < 2e-6, "unit {}: {} vs {}", j, got[j], h[j]);
            }
        }
    }
}

#[test]
fn weights_pack_at_compile_time_into_a_static() {
    const W_IH: [[[f32; 1]; 2]; 4] = [[[0.5], [-0.3]], [[0.1], [0.2]], [[0.7], [-0.6]], [[0.4], [0.9]]];
    const W_HH: [[[f32; 2]; 2]; 4] = [[[0.1, -0.2]; 2]; 4];
    const B_IH: [[f32; 2]; 4] = [[0.05, 0.0]; 4];
    const B_HH: [[f32; 2]; 4] = [[0.0, -0.05]; 4];
    static W: LstmWeights<1, 2> = LstmWeights::from_pytorch(&W_IH, &W_HH, &B_IH, &B_HH);
    let mut runtime = LstmWeights::<1, 2>::zeroed(CellKind::Lstm);
    runtime
        .set_from_pytorch(
            W_IH.as_flattened().as_flattened(),
            W_HH.as_flattened().as_flattened(),
            B_IH.as_flattened(),
            B_HH.as_flattened(),
        )
        .expect("shapes");
    assert_eq!(W, runtime);
    assert_eq!(&W as *const _ as usize % 64, 0, "packed weights are cache-line aligned");

    let mut a = Lstm::<1, 2>::new(&W);
    let mut b = Lstm::<1, 2>::new(leak(runtime));
    for t in 0..50 {
        let x = [(t as f32 * 0.3).sin()];
        assert_eq!(a.forward(&x), b.forward(&x));
    }
    assert!(a.hidden().iter().any(|&v| v != 0.0));
}

#[test]
fn shape_errors_name_the_tensor_and_change_nothing() {
    let mut w = GruWeights::<2, 3>::zeroed(CellKind::Gru);
    let before = w.clone();
    let err = w.set_from_pytorch(&[1.0; 18], &[1.0; 26], &[0.0; 9], &[0.0; 9]).unwrap_err();
    assert_eq!(err.to_string(), "weight_hh has 26 values, expected shape [9, 3] (27 values)");
    assert_eq!(w, before);
}

#[test]
fn typed_step_matches_slice_step() {
    let mut rng = Rng(7);
    let mut a = Chain::new(
        Lstm::<2, 9>::new(cell(CellKind::Lstm, &mut rng, 0.5)),
        Dense::<9, 3>::new(dense(DenseActivation::Elu, &mut rng, 0.5)),
    )
    .with_tier(common::tier());
    let mut b = a.clone();
    for t in 0..20 {
        let x = [t as f32 * 0.1, -0.2];
        let y: [f32; 3] = a.step_array(&x);
        let mut z = [0.0; 3];
        b.step(&x, &mut z);
        assert_eq!(y, z);
    }
}

#[test]
#[should_panic(expected = "not whole frames")]
fn process_block_rejects_partial_frames() {
    let mut rng = Rng(3);
    let mut net = stack(rng.next_u64());
    let mut out = [0.0; 4];
    net.process_block(&[0.0; 5], &mut out);
}
