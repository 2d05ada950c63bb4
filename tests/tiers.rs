//! The kernel tiers through the const-generic layers: every available tier agrees with the
//! scalar kernel, multi-channel layers equal their channels stepped alone, and sequence mode
//! equals stepping; `TINYRNN_TIER`'s values. (The size sweep against the scalar kernel is in
//! `tests/kernel.rs`.)

mod common;

use common::{leak, Rng};
#[cfg(feature = "std")]
use tinyrnn::kernel::TierEnvError;
use tinyrnn::kernel::AVX512_MIN_WIDTH;
use tinyrnn::*;

fn lstm<const I: usize, const H: usize>(rng: &mut Rng) -> &'static LstmWeights<I, H> {
    let mut w = LstmWeights::<I, H>::zeroed(CellKind::Lstm);
    let s = 1.5 / (H as f32).sqrt();
    w.set_from_pytorch(&rng.vec(4 * H * I, s), &rng.vec(4 * H * H, s), &rng.vec(4 * H, 0.3), &rng.vec(4 * H, 0.3))
        .expect("shapes");
    leak(w)
}

fn gru<const I: usize, const H: usize>(rng: &mut Rng) -> &'static GruWeights<I, H> {
    let mut w = GruWeights::<I, H>::zeroed(CellKind::Gru);
    let s = 1.5 / (H as f32).sqrt();
    w.set_from_pytorch(&rng.vec(3 * H * I, s), &rng.vec(3 * H * H, s), &rng.vec(3 * H, 0.3), &rng.vec(3 * H, 0.3))
        .expect("shapes");
    leak(w)
}

fn head<const I: usize, const O: usize>(rng: &mut Rng) -> &'static DenseWeights<I, O> {
    let mut w = DenseWeights::<I, O>::zeroed(DenseActivation::Tanh);
    w.set_from_pytorch(&rng.vec(O * I, 0.5), &rng.vec(O, 0.5)).expect("shapes");
    leak(w)
}

#[test]
fn set_tier_reaches_every_layer_of_a_chain() {
    let mut rng = Rng(5);
    let net =
        chain!(Lstm::<1, 8>::new(lstm(&mut rng)), Gru::<8, 4>::new(gru(&mut rng)), Dense::<4, 2>::new(head(&mut rng)));
    assert_eq!(net.first.tier(), Tier::STATIC);
    let net = net.with_tier(Tier::SCALAR);
    assert_eq!(net.first.tier(), Tier::SCALAR);
    assert_eq!(net.second.first.tier(), Tier::SCALAR);
    assert_eq!(net.second.second.tier(), Tier::SCALAR);
}

#[test]
fn every_tier_tracks_scalar_through_a_network() {
    let mut rng = Rng(17);
    let (l, g, d) = (lstm::<3, 37>(&mut rng), gru::<37, 20>(&mut rng), head::<20, 1>(&mut rng));
    let input = rng.vec(3 * 300, 1.0);
    let run = |tier: Tier| {
        let mut net = chain!(Lstm::<3, 37>::new(l), Gru::<37, 20>::new(g), Dense::<20, 1>::new(d)).with_tier(tier);
        let mut out = vec![0.0; 300];
        net.process_block(&input, &mut out);
        out
    };
    let reference = run(Tier::SCALAR);
    for tier in Tier::available() {
        let out = run(tier);
        let err = out.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        println!("{tier:?}: max |Δ| over 300 free-running steps {err:e}");
        assert!(err <= 1e-5, "{tier:?}: {err}");
    }
}

#[test]
fn multichannel_layers_equal_their_channels_alone() {
    let mut rng = Rng(23);
    let (l, d) = (lstm::<2, 24>(&mut rng), head::<24, 3>(&mut rng));
    for tier in Tier::available() {
        let mut multi = Chain::new(LstmMulti::<2, 24, 4>::new(l), DenseMulti::<24, 3, 4>::new(d)).with_tier(tier);
        let mut single: Vec<_> =
            (0..4).map(|_| Chain::new(Lstm::<2, 24>::new(l), Dense::<24, 3>::new(d)).with_tier(tier)).collect();
        for _ in 0..50 {
            let x = rng.vec(8, 1.0);
            let y: [f32; 12] = multi.step_array::<8, 12>(&x.clone().try_into().unwrap());
            for (c, net) in single.iter_mut().enumerate() {
                let yc: [f32; 3] = net.step_array(&[x[2 * c], x[2 * c + 1]]);
                assert_eq!(yc, y[3 * c..3 * c + 3], "{tier:?} channel {c}");
            }
        }
    }
}

#[test]
fn sequence_mode_equals_stepping() {
    let mut rng = Rng(31);
    let (l, g) = (lstm::<8, 40>(&mut rng), gru::<8, 40>(&mut rng));
    let xs: Vec<[f32; 8]> = (0..37).map(|_| rng.vec(8, 1.0).try_into().unwrap()).collect();
    for tier in Tier::available() {
        let (mut a, mut b) = (Lstm::<8, 40>::new(l).with_tier(tier), Lstm::<8, 40>::new(l).with_tier(tier));
        let mut hs = vec![[0.0; 40]; xs.len()];
        a.process_sequence(&xs, &mut hs);
        for (x, h) in xs.iter().zip(&hs) {
            assert_eq!(b.step_typed(x), h, "{tier:?}");
        }
        assert_eq!(a.snapshot(), b.snapshot());
        let (mut a, mut b) = (Gru::<8, 40>::new(g).with_tier(tier), Gru::<8, 40>::new(g).with_tier(tier));
        a.process_sequence(&xs, &mut hs);
        for (x, h) in xs.iter().zip(&hs) {
            assert_eq!(b.step_typed(x), h, "{tier:?}");
        }
    }
}

/// A recurrent layer double-buffers `h`: stepping an odd number of times, then a sequence,
/// a snapshot, a restore and more steps must agree with plain stepping.
#[test]
fn double_buffered_h_survives_mixed_use() {
    let mut rng = Rng(47);
    let l = lstm::<8, 40>(&mut rng);
    let xs: Vec<[f32; 8]> = (0..23).map(|_| rng.vec(8, 1.0).try_into().unwrap()).collect();
    for tier in Tier::available() {
        let (mut a, mut b) = (Lstm::<8, 40>::new(l).with_tier(tier), Lstm::<8, 40>::new(l).with_tier(tier));
        let mut reference = Vec::new();
        for x in &xs {
            reference.push(*b.step_typed(x));
        }
        for (x, r) in xs[..3].iter().zip(&reference) {
            assert_eq!(a.step_typed(x), r, "{tier:?}");
            assert_eq!(a.hidden(), r, "{tier:?}");
        }
        let mut hs = vec![[0.0; 40]; 8];
        a.process_sequence(&xs[3..11], &mut hs);
        assert_eq!(hs[..], reference[3..11], "{tier:?}");
        assert_eq!(a.hidden(), &reference[10], "{tier:?}");
        a.step_typed(&xs[11]);
        let snap = a.snapshot();
        assert_eq!(snap[0], reference[11], "{tier:?}");
        for x in &xs[12..17] {
            a.step_typed(x);
        }
        a.restore(&snap);
        for (x, r) in xs[12..].iter().zip(&reference[12..]) {
            assert_eq!(a.step_typed(x), r, "{tier:?}");
        }
        assert_eq!(a.snapshot(), b.snapshot(), "{tier:?}");
    }
}

#[cfg(feature = "std")]
#[test]
fn forced_tier_is_honoured() {
    // `.ci/run` runs the suite once per tier with TINYRNN_TIER set; check it took effect.
    if let Ok(name) = std::env::var("TINYRNN_TIER") {
        assert_eq!(Tier::detect().isa().name(), name);
        // A forced tier is kept for every width.
        for width in [1, 8, 24, 25, 32, 130] {
            assert_eq!(Tier::detect_for(width).isa().name(), name, "width {width}");
        }
    } else {
        assert_eq!(Some(Tier::detect()), Tier::available().last());
        // Narrow networks leave AVX-512 on Intel CPUs only (the vendor as Linux reports it).
        let intel = std::fs::read_to_string("/proc/cpuinfo")
            .is_ok_and(|info| info.lines().any(|l| l.starts_with("vendor_id") && l.ends_with("GenuineIntel")));
        for width in [1, 8, 24] {
            let expect = Tier::detect().for_width(width, intel);
            assert_eq!(Tier::detect_for(width), expect, "width {width}");
        }
        for width in [AVX512_MIN_WIDTH, 130] {
            assert_eq!(Tier::detect_for(width), Tier::detect());
        }
    }
}

/// `Tier::for_width`: only AVX-512, only where it is slow when narrow (Intel), and only below
/// `AVX512_MIN_WIDTH` units, becomes AVX2.
#[test]
fn narrow_networks_leave_avx512_only_where_it_is_slow() {
    for tier in Tier::available() {
        for width in [0, 1, 8, 16, AVX512_MIN_WIDTH - 1, AVX512_MIN_WIDTH, 28, 32, 64, 130] {
            assert_eq!(tier.for_width(width, false), tier);
            let narrowed = tier.isa() == Isa::Avx512 && width < AVX512_MIN_WIDTH;
            let expect = if narrowed { Tier::new(Isa::Avx2).expect("AVX2 beside AVX-512") } else { tier };
            assert_eq!(tier.for_width(width, true), expect, "{tier:?} width {width}");
        }
    }
}

/// `Layer::WIDTH`, the width a network's tier is picked for: a layer's output units (times
/// its channels), the widest of a chain's, and the inner layer's through the wrappers.
#[test]
fn networks_know_their_widest_layer() {
    type Amp = Chain<Lstm<1, 24>, Dense<24, 1>>;
    assert_eq!(<Lstm<1, 24> as Layer>::WIDTH, 24);
    assert_eq!(<Dense<24, 40> as Layer>::WIDTH, 40);
    assert_eq!(<Amp as Layer>::WIDTH, 24);
    assert_eq!(<Chain<Dense<1, 40>, Chain<Gru<40, 8>, Dense<8, 1>>> as Layer>::WIDTH, 40);
    assert_eq!(<Chain<Rnn<3, 6>, Chain<Gru<6, 30>, Dense<30, 2>>> as Layer>::WIDTH, 30);
    assert_eq!(<GruMulti<1, 16, 2> as Layer>::WIDTH, 32);
    assert_eq!(<DenseMulti<16, 3, 4> as Layer>::WIDTH, 12);
    assert_eq!(<Residual<Amp, 1, 1> as Layer>::WIDTH, 24);
    assert_eq!(<WithInitialState<Amp> as Layer>::WIDTH, 24);
}

/// Const-generic layers run the kernels instantiated for their sizes; the runtime-sized entry
/// points (`kernel::cell_step_multi`, `kernel::dense_on`, used by the host model) must give
/// the same bits on every tier, for every cell kind, sizes with partial strips and several
/// blocks, and several channels.
#[test]
fn compile_time_sizes_give_the_runtime_sized_kernels_bits() {
    fn cells<const I: usize, const H: usize, const G: usize, const B: usize, const S: usize, const C: usize>(
        kind: CellKind,
        rng: &mut Rng,
    ) {
        let mut w = CellWeights::<I, H, G, B>::zeroed(kind);
        let s = 1.5 / (H as f32).sqrt();
        w.set_from_pytorch(&rng.vec(G * H * I, s), &rng.vec(G * H * H, s), &rng.vec(G * H, 0.3), &rng.vec(G * H, 0.3))
            .expect("shapes");
        let w = leak(w);
        for tier in Tier::available() {
            let mut layer = RecurrentMulti::<I, H, G, B, S, C>::new(w).with_tier(tier);
            let mut single = Recurrent::<I, H, G, B, S>::new(w).with_tier(tier);
            let cs = if S == 2 { H * C } else { 0 };
            let (mut h, mut c, mut h_new) = (vec![0.0; H * C], vec![0.0; cs], vec![0.0; H * C]);
            let (mut xs, mut hs) = (Vec::new(), Vec::new());
            // Restored from a snapshot taken after an odd number of steps (the new `h` then
            // sits in the other half of the layer's double buffer).
            let mut resumed: Option<RecurrentMulti<I, H, G, B, S, C>> = None;
            for t in 0..12 {
                let x = rng.vec(I * C, 2.0);
                kernel::cell_step_multi::<Fast>(tier, &w.view(), &x, &h, &mut c, &mut h_new, C);
                h.copy_from_slice(&h_new);
                let y = layer.forward(&x);
                assert_eq!(y, &h[..], "{kind:?} I={I} H={H} C={C} {tier:?} step {t}");
                assert_eq!(layer.hidden().as_flattened(), &h[..], "{kind:?} C={C} {tier:?} hidden() at step {t}");
                if let Some(r) = resumed.as_mut() {
                    assert_eq!(r.forward(&x), &h[..], "{kind:?} C={C} {tier:?} restored, step {t}");
                }
                if t == 4 {
                    let snap = layer.snapshot();
                    assert_eq!(snap[0].as_flattened(), &h[..], "{kind:?} C={C} {tier:?} snapshot's h");
                    let mut r = RecurrentMulti::<I, H, G, B, S, C>::new(w).with_tier(tier);
                    r.restore(&snap);
                    resumed = Some(r);
                }
                let y1 = single.forward(&x[..I]);
                assert_eq!(y1, &h[..H], "{kind:?} I={I} H={H} single {tier:?} step {t}");
                xs.push(<[f32; I]>::try_from(&x[..I]).unwrap());
                hs.push(<[f32; H]>::try_from(&h[..H]).unwrap());
            }
            // After a reset (at an odd step count), the layer steps like a new one.
            let x = rng.vec(I * C, 2.0);
            layer.forward(&x);
            Layer::reset(&mut layer);
            assert!(layer.hidden().as_flattened().iter().all(|&v| v == 0.0), "{kind:?} C={C} reset");
            let mut fresh = RecurrentMulti::<I, H, G, B, S, C>::new(w).with_tier(tier);
            assert_eq!(layer.forward(&x), fresh.forward(&x), "{kind:?} C={C} {tier:?} after reset");
            // Sequence mode (size-specialised too; 12 steps cross a projection chunk).
            let mut seq = Recurrent::<I, H, G, B, S>::new(w).with_tier(tier);
            let mut out = vec![[0.0; H]; xs.len()];
            seq.process_sequence(&xs, &mut out);
            assert_eq!(out, hs, "{kind:?} I={I} H={H} process_sequence {tier:?}");
        }
    }
    let mut rng = Rng(41);
    cells::<3, 37, 4, 4, 2, 3>(CellKind::Lstm, &mut rng);
    cells::<1, 8, 4, 4, 2, 2>(CellKind::Lstm, &mut rng);
    cells::<5, 20, 3, 4, 1, 3>(CellKind::Gru, &mut rng);
    cells::<2, 9, 3, 3, 2, 2>(CellKind::Cifg, &mut rng);
    cells::<4, 17, 1, 1, 1, 3>(CellKind::Rnn(RnnNonlinearity::Tanh), &mut rng);
    cells::<2, 33, 1, 1, 1, 2>(CellKind::Rnn(RnnNonlinearity::Relu), &mut rng);

    for tier in Tier::available() {
        for act in [DenseActivation::Identity, DenseActivation::Tanh] {
            let mut w = DenseWeights::<37, 5>::zeroed(act);
            w.set_from_pytorch(&rng.vec(5 * 37, 0.5), &rng.vec(5, 0.5)).expect("shapes");
            let w = leak(w);
            let mut layer = Dense::<37, 5>::new(w).with_tier(tier);
            let mut multi = DenseMulti::<37, 5, 3>::new(w).with_tier(tier);
            let x = rng.vec(37 * 3, 1.0);
            let mut y = vec![0.0; 5];
            for ch in 0..3 {
                kernel::dense_on::<Fast>(tier, &w.view(), &x[37 * ch..][..37], &mut y);
                assert_eq!(layer.forward(&x[37 * ch..][..37]), &y[..], "{act:?} {tier:?}");
                assert_eq!(&multi.forward(&x)[5 * ch..][..5], &y[..], "{act:?} {tier:?} channel {ch}");
            }
        }
    }
}

/// `TINYRNN_TIER`'s values: the tier, or an error that says why not (never a panic).
#[cfg(feature = "std")]
#[test]
fn env_value_picks_the_tier_or_says_why_not() {
    let best = Tier::available().last().expect("scalar is always available");
    assert_eq!(Tier::from_env_value(None), Ok(best));
    assert_eq!(Tier::from_env_value(Some("")), Ok(best));
    assert_eq!(Tier::from_env_value(Some("scalar")), Ok(Tier::SCALAR));
    let unknown = Tier::from_env_value(Some("avx10"));
    assert_eq!(unknown, Err(TierEnvError::Unknown("avx10".into())));
    assert_eq!(
        unknown.unwrap_err().to_string(),
        "TINYRNN_TIER=avx10: not one of scalar, sse2, avx2, avx512, neon, simd128"
    );
    // Every ISA either gives its tier or says this CPU cannot run it.
    for isa in Isa::ALL {
        match Tier::new(isa) {
            Some(t) => assert_eq!(Tier::from_env_value(Some(isa.name())), Ok(t)),
            None => {
                let e = Tier::from_env_value(Some(isa.name())).unwrap_err();
                assert_eq!(e, TierEnvError::Unsupported(isa));
                assert_eq!(e.to_string(), format!("TINYRNN_TIER={}: this CPU cannot run that tier", isa.name()));
            }
        }
    }
}

/// The runtime-sized `host::Model` picks its layers' kernels once per tier (`set_tier`);
/// on every tier, for every cell kind and both activations, its steps are the bits of the
/// runtime-sized kernel functions it used to call per step (`kernel::cell_step_on`,
/// `kernel::dense_on`), which the test above ties to the const-generic layers. That holds
/// for the sizes whose steps are compiled for them too.
#[cfg(feature = "std")]
#[test]
fn runtime_model_runs_the_tiers_kernels_bitwise() {
    fn model<A: Activation, const I: usize, const H: usize, const G: usize, const B: usize>(
        kind: CellKind,
        rng: &mut Rng,
    ) {
        const O: usize = 3;
        let s = 1.5 / (H as f32).sqrt();
        let [wih, whh, bih, bhh] =
            [rng.vec(G * H * I, s), rng.vec(G * H * H, s), rng.vec(G * H, 0.3), rng.vec(G * H, 0.3)];
        let (wd, bd) = (rng.vec(O * H, 0.5), rng.vec(O, 0.5));
        let h0 = rng.vec(H, 0.5);
        let c0 = kind.has_cell_state().then(|| rng.vec(H, 0.5));
        let mut cell = CellWeights::<I, H, G, B>::zeroed(kind);
        cell.set_from_pytorch(&wih, &whh, &bih, &bhh).expect("shapes");
        let mut dense = DenseWeights::<H, O>::zeroed(DenseActivation::Tanh);
        dense.set_from_pytorch(&wd, &bd).expect("shapes");
        let spec = host::ModelSpec {
            input_size: I,
            layers: vec![
                host::LayerSpec::Recurrent(host::RecurrentSpec {
                    kind,
                    input_size: I,
                    hidden_size: H,
                    weight_ih: wih,
                    weight_hh: whh,
                    bias_ih: bih,
                    bias_hh: bhh,
                    initial_h: Some(h0.clone()),
                    initial_c: c0.clone(),
                }),
                host::LayerSpec::Dense(host::DenseSpec {
                    input_size: H,
                    output_size: O,
                    weight: wd,
                    bias: bd,
                    activation: DenseActivation::Tanh,
                }),
            ],
            skip: 0,
            prewarm: 0,
            source: String::from("tests/tiers.rs"),
        };
        let mut m = host::Model::<A>::from_spec(&spec).expect("a valid spec");
        let xs = rng.vec(I * 12, 2.0);
        for tier in Tier::available() {
            m.set_tier(tier);
            assert_eq!(m.tier(), tier);
            m.reset();
            let (mut h, mut c, mut h_new) = (h0.clone(), c0.clone().unwrap_or_default(), vec![0.0; H]);
            let (mut y, mut y_ref) = ([0.0; O], [0.0; O]);
            for (t, x) in xs.chunks_exact(I).enumerate() {
                kernel::cell_step_on::<A>(tier, &cell.view(), x, &h, &mut c, &mut h_new);
                h.copy_from_slice(&h_new);
                kernel::dense_on::<A>(tier, &dense.view(), &h, &mut y_ref);
                m.step(x, &mut y);
                assert_eq!(y, y_ref, "{kind:?} {:?} {tier:?} step {t}", A::KIND);
                if t == 6 {
                    let mut snap = h.clone();
                    snap.extend_from_slice(&c);
                    assert_eq!(m.snapshot(), snap, "{kind:?} {:?} {tier:?} snapshot", A::KIND);
                }
            }
        }
    }
    let mut rng = Rng(43);
    model::<Fast, 3, 37, 4, 4>(CellKind::Lstm, &mut rng);
    model::<Exact, 1, 8, 4, 4>(CellKind::Lstm, &mut rng);
    model::<Fast, 5, 20, 3, 4>(CellKind::Gru, &mut rng);
    model::<Exact, 5, 20, 3, 4>(CellKind::Gru, &mut rng);
    model::<Fast, 2, 9, 3, 3>(CellKind::Cifg, &mut rng);
    model::<Exact, 4, 17, 1, 1>(CellKind::Rnn(RnnNonlinearity::Tanh), &mut rng);
    model::<Fast, 2, 33, 1, 1>(CellKind::Rnn(RnnNonlinearity::Relu), &mut rng);
    // Sizes whose fast LSTM and GRU steps are compiled for them (`stream_sizes!`).
    model::<Fast, 1, 8, 4, 4>(CellKind::Lstm, &mut rng);
    model::<Fast, 1, 20, 3, 4>(CellKind::Gru, &mut rng);
    model::<Fast, 1, 64, 4, 4>(CellKind::Lstm, &mut rng);
    model::<Fast, 2, 40, 3, 4>(CellKind::Gru, &mut rng);
}

/// `host::Model::process_block` runs layer by layer over blocks of frames (sequence mode,
/// Dense layers over all the frames at once): on every tier, for every cell kind, both
/// activations and a frame count that is no multiple of its block, the outputs and the
/// state are those of stepping frame by frame.
#[cfg(feature = "std")]
#[test]
fn runtime_model_process_block_equals_stepping() {
    fn recurrent(kind: CellKind, i: usize, h: usize, rng: &mut Rng) -> host::LayerSpec {
        let (g, s) = (kind.gates(), 1.5 / (h as f32).sqrt());
        host::LayerSpec::Recurrent(host::RecurrentSpec {
            kind,
            input_size: i,
            hidden_size: h,
            weight_ih: rng.vec(g * h * i, s),
            weight_hh: rng.vec(g * h * h, s),
            bias_ih: rng.vec(g * h, 0.3),
            bias_hh: rng.vec(g * h, 0.3),
            initial_h: Some(rng.vec(h, 0.5)),
            initial_c: kind.has_cell_state().then(|| rng.vec(h, 0.5)),
        })
    }
    fn dense(i: usize, o: usize, activation: DenseActivation, rng: &mut Rng) -> host::LayerSpec {
        host::LayerSpec::Dense(host::DenseSpec {
            input_size: i,
            output_size: o,
            weight: rng.vec(o * i, 0.5),
            bias: rng.vec(o, 0.5),
            activation,
        })
    }
    fn check<A: Activation>(kind: CellKind, rng: &mut Rng) {
        let spec = host::ModelSpec {
            input_size: 3,
            layers: vec![
                recurrent(kind, 3, 21, rng),
                dense(21, 9, DenseActivation::Tanh, rng),
                recurrent(CellKind::Gru, 9, 17, rng),
                dense(17, 2, DenseActivation::Identity, rng),
            ],
            skip: 2,
            prewarm: 0,
            source: String::from("tests/tiers.rs"),
        };
        run::<A>(&spec, kind, rng);
        // Sizes whose fast LSTM and GRU steps and sequences are compiled for them
        // (`stream_sizes!`), both modes.
        let spec = host::ModelSpec {
            input_size: 2,
            layers: vec![
                recurrent(kind, 2, 8, rng),
                dense(8, 1, DenseActivation::Identity, rng),
                recurrent(kind, 1, 32, rng),
                dense(32, 2, DenseActivation::Identity, rng),
            ],
            skip: 2,
            prewarm: 0,
            source: String::from("tests/tiers.rs"),
        };
        run::<A>(&spec, kind, rng);
    }
    fn run<A: Activation>(spec: &host::ModelSpec, kind: CellKind, rng: &mut Rng) {
        let i = spec.input_size;
        let frames = 150;
        let xs = rng.vec(i * frames, 2.0);
        let mut stepped = host::Model::<A>::from_spec(spec).expect("a valid spec");
        for tier in Tier::available() {
            stepped.set_tier(tier);
            stepped.reset();
            let mut blocked = stepped.clone();
            let mut want = vec![0.0; 2 * frames];
            for (x, y) in xs.chunks_exact(i).zip(want.chunks_exact_mut(2)) {
                stepped.step(x, y);
            }
            // Two calls, the first ending inside a block.
            let mut got = vec![0.0; 2 * frames];
            let (x0, x1) = xs.split_at(i * 70);
            let (y0, y1) = got.split_at_mut(2 * 70);
            blocked.process_block(x0, y0);
            blocked.process_block(x1, y1);
            assert_eq!(got, want, "{kind:?} {:?} {tier:?}", A::KIND);
            assert_eq!(blocked.snapshot(), stepped.snapshot(), "{kind:?} {:?} {tier:?} state", A::KIND);
        }
    }
    let mut rng = Rng(47);
    for kind in [
        CellKind::Lstm,
        CellKind::Gru,
        CellKind::Cifg,
        CellKind::Rnn(RnnNonlinearity::Tanh),
        CellKind::Rnn(RnnNonlinearity::Relu),
    ] {
        check::<Fast>(kind, &mut rng);
        check::<Exact>(kind, &mut rng);
    }
}

/// A plugin builds its model on one thread and runs it on the audio thread: `host::Model`,
/// with the kernels it picked for its tier, stays `Send` and `Sync` (a compile-time check).
#[cfg(feature = "std")]
#[test]
fn runtime_model_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<host::Model<Fast>>();
    send_sync::<host::Model<Exact>>();
}
