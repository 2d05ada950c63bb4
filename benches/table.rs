//! The README's performance table: ns per step per tier, as a fraction of the roofline
//! measured in the same run, plus multi-channel and sequence-mode figures.
//!
//! `cargo bench --bench table` prints markdown. Every figure is the median of 31 batches.
//! `cargo bench --bench table -- sequence` (or `steps`, `multichannel`, `latency`, `uneven`, `rnn`,
//! `runtime`) prints one section.
//! Layers run the default (fast, vectorised) activations; one column repeats the best tier
//! with the exact (libm) ones.
//! Roofline = min(FMA peak, streaming rate over a buffer of the packed weights' size), both
//! measured here (a 10-accumulator AVX2 FMA loop; an 8-accumulator aligned-load FMA loop), and
//! where the CPU has AVX-512 the same two loops on its vectors, for that tier's fraction.
//! The `latency` section measures operation latencies and the fast activations' throughput,
//! and from them the H = 8 steps' latency floor.
//! On other targets (wasm32 under Node: README, "wasm32 simd128") `steps` prints ns per tier
//! without the roofline, and `latency` is skipped.

mod common;

use common::*;
use std::hint::black_box;
use std::time::Instant;
use tinyrnn::*;

/// Median ns per call of `f` over 31 batches of `iters` calls.
fn median_ns(iters: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..iters {
        f();
    }
    let mut t: Vec<f64> = (0..31)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..iters {
                f();
            }
            s.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    t[15]
}

/// Iterations so one batch takes about 0.2 ms given a rough cost.
fn iters_for(ns: f64) -> usize {
    ((2e5 / ns.max(1.0)) as usize).clamp(10, 200_000)
}

#[cfg(target_arch = "x86_64")]
mod roof {
    use core::arch::x86_64::*;
    use tinyrnn::kernel::activation::x86_64::{sigmoid_avx2, tanh_avx2};

    /// MACs per ns of 10 independent FMA chains (AVX2, 8 lanes).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn fma_loop(n: usize, x: f32) -> f32 {
        let v = _mm256_set1_ps(x);
        let mut a = [_mm256_set1_ps(0.0); 10];
        for _ in 0..n {
            for acc in a.iter_mut() {
                *acc = _mm256_fmadd_ps(*acc, v, v);
            }
        }
        let mut s = _mm256_setzero_ps();
        for acc in a {
            s = _mm256_add_ps(s, acc);
        }
        _mm256_cvtss_f32(s)
    }

    /// One FMA per float of `buf` (aligned loads), 8 accumulators.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn stream(buf: &[f32], x: f32) -> f32 {
        let v = _mm256_set1_ps(x);
        let mut a = [_mm256_setzero_ps(); 8];
        for chunk in buf.chunks_exact(64) {
            for (k, acc) in a.iter_mut().enumerate() {
                // SAFETY: `chunk` holds 64 floats; the buffer is 64-byte aligned.
                *acc = _mm256_fmadd_ps(unsafe { _mm256_load_ps(chunk.as_ptr().add(8 * k)) }, v, *acc);
            }
        }
        let mut s = _mm256_setzero_ps();
        for acc in a {
            s = _mm256_add_ps(s, acc);
        }
        _mm256_cvtss_f32(s)
    }

    pub fn peak() -> f64 {
        let n = 10_000;
        // SAFETY: the table runs only where AVX2 and FMA are detected.
        let ns = super::median_ns(20, || {
            std::hint::black_box(unsafe { fma_loop(n, std::hint::black_box(0.999)) });
        });
        (n * 80) as f64 / ns
    }

    /// A chain of `CHAIN` dependent AVX2 operations `$op` on one vector (inlined in one
    /// `#[target_feature]` function, so the chain is the operations alone).
    macro_rules! chain_fn {
        ($name:ident, |$v:ident| $op:expr) => {
            #[target_feature(enable = "avx2,fma")]
            fn $name(x: f32) -> f32 {
                let mut $v = _mm256_set1_ps(x);
                for _ in 0..CHAIN {
                    $v = $op;
                }
                _mm256_cvtss_f32($v)
            }
        };
    }
    const CHAIN: usize = 1000;
    chain_fn!(fma_chain, |v| _mm256_fmadd_ps(v, _mm256_set1_ps(0.999), _mm256_set1_ps(1e-3)));
    chain_fn!(mul_chain, |v| _mm256_mul_ps(v, _mm256_set1_ps(0.999)));
    chain_fn!(add_chain, |v| _mm256_add_ps(v, _mm256_set1_ps(1e-3)));
    chain_fn!(sigmoid_chain, |v| sigmoid_avx2(v));
    chain_fn!(tanh_chain, |v| tanh_avx2(v));

    /// ns per operation of `f`, which runs `per_call` of them: the fastest of 31 batches of 10
    /// calls. These are capacities of the core (a latency, a rate), which the shared machine's
    /// noise can only slow down (the throughput probes moved by up to 1.5× between runs with
    /// the median).
    fn ns_per_op(f: unsafe fn(f32) -> f32, per_call: usize) -> f64 {
        let batch = || {
            let t = std::time::Instant::now();
            for _ in 0..10 {
                // SAFETY: the table runs only where AVX2 and FMA are detected.
                std::hint::black_box(unsafe { f(std::hint::black_box(0.5)) });
            }
            t.elapsed().as_nanos() as f64 / 10.0
        };
        batch();
        (0..31).map(|_| batch()).fold(f64::INFINITY, f64::min) / per_call as f64
    }

    /// Latency in ns of each AVX2 operation of the step's `h → h` chain.
    pub struct Latencies {
        pub fma: f64,
        pub mul: f64,
        pub add: f64,
        pub sigmoid: f64,
        pub tanh: f64,
    }

    /// Each operation measured as a chain of `CHAIN` dependent ones: `fma`, `mul`, `add`, and
    /// the kernels' fast `sigmoid` and `tanh` (the very functions the AVX2 strips inline).
    pub fn latencies() -> Latencies {
        Latencies {
            fma: ns_per_op(fma_chain, CHAIN),
            mul: ns_per_op(mul_chain, CHAIN),
            add: ns_per_op(add_chain, CHAIN),
            sigmoid: ns_per_op(sigmoid_chain, CHAIN),
            tanh: ns_per_op(tanh_chain, CHAIN),
        }
    }

    /// `CHAIN` rounds of `$f` on 8 independent vectors (each round's inputs one add away
    /// from the last round's), summed: the operation's throughput where nothing waits on it.
    macro_rules! throughput_fn {
        ($name:ident, $f:ident) => {
            #[target_feature(enable = "avx2,fma")]
            fn $name(x: f32) -> f32 {
                let step = _mm256_set1_ps(1e-4);
                let mut xs: [__m256; 8] = core::array::from_fn(|i| _mm256_set1_ps(x + 0.1 * i as f32));
                let mut sum = [_mm256_setzero_ps(); 8];
                for _ in 0..CHAIN {
                    for (xv, acc) in xs.iter_mut().zip(&mut sum) {
                        *acc = _mm256_add_ps(*acc, $f(*xv));
                        *xv = _mm256_add_ps(*xv, step);
                    }
                }
                let total = sum.iter().fold(_mm256_setzero_ps(), |t, &v| _mm256_add_ps(t, v));
                _mm256_cvtss_f32(total)
            }
        };
    }
    throughput_fn!(sigmoid_throughput, sigmoid_avx2);
    throughput_fn!(tanh_throughput, tanh_avx2);

    /// ns per vector of the fast sigmoid and tanh on independent inputs (see
    /// `throughput_fn`): the rate a strip's update can reach at best.
    pub fn activation_throughputs() -> (f64, f64) {
        // Three alternating rounds: a slow spell of the machine can outlast one probe's batches.
        (0..3).fold((f64::INFINITY, f64::INFINITY), |(s, t), _| {
            (s.min(ns_per_op(sigmoid_throughput, 8 * CHAIN)), t.min(ns_per_op(tanh_throughput, 8 * CHAIN)))
        })
    }

    /// [`fma_loop`] on AVX-512 vectors (16 lanes).
    #[target_feature(enable = "avx512f")]
    unsafe fn fma_loop512(n: usize, x: f32) -> f32 {
        let v = _mm512_set1_ps(x);
        let mut a = [_mm512_set1_ps(0.0); 10];
        for _ in 0..n {
            for acc in a.iter_mut() {
                *acc = _mm512_fmadd_ps(*acc, v, v);
            }
        }
        _mm512_reduce_add_ps(a.iter().fold(_mm512_setzero_ps(), |s, &acc| _mm512_add_ps(s, acc)))
    }

    /// [`stream`] with AVX-512 loads (one 64-byte line per load).
    #[target_feature(enable = "avx512f")]
    unsafe fn stream512(buf: &[f32], x: f32) -> f32 {
        let v = _mm512_set1_ps(x);
        let mut a = [_mm512_setzero_ps(); 8];
        for chunk in buf.chunks_exact(128) {
            for (k, acc) in a.iter_mut().enumerate() {
                // SAFETY: `chunk` holds 128 floats; the buffer is 64-byte aligned.
                *acc = _mm512_fmadd_ps(unsafe { _mm512_load_ps(chunk.as_ptr().add(16 * k)) }, v, *acc);
            }
        }
        _mm512_reduce_add_ps(a.iter().fold(_mm512_setzero_ps(), |s, &acc| _mm512_add_ps(s, acc)))
    }

    /// Whether the AVX-512 probes can run (the AVX-512 tier's roofline).
    pub fn has_avx512() -> bool {
        is_x86_feature_detected!("avx512f")
    }

    /// [`peak`] with AVX-512 vectors. Only where [`has_avx512`].
    pub fn peak512() -> f64 {
        let n = 10_000;
        // SAFETY: called only where AVX-512F is detected.
        let ns = super::median_ns(20, || {
            std::hint::black_box(unsafe { fma_loop512(n, std::hint::black_box(0.999)) });
        });
        (n * 160) as f64 / ns
    }

    /// [`streaming`] with AVX-512 loads. Only where [`has_avx512`].
    pub fn streaming512(bytes: usize) -> f64 {
        let floats = bytes.div_ceil(512) * 128;
        let buf = tinyrnn::kernel::aligned::AlignedVec::zeroed(floats);
        let ns = super::median_ns(super::iters_for(floats as f64 / 40.0), || {
            // SAFETY: called only where AVX-512F is detected; the buffer is 64-byte aligned.
            std::hint::black_box(unsafe { stream512(buf.as_slice(), std::hint::black_box(0.5)) });
        });
        floats as f64 / ns
    }

    pub fn streaming(bytes: usize) -> f64 {
        let floats = bytes.div_ceil(256) * 64;
        let buf = tinyrnn::kernel::aligned::AlignedVec::zeroed(floats);
        let ns = super::median_ns(super::iters_for(floats as f64 / 20.0), || {
            // SAFETY: as above.
            std::hint::black_box(unsafe { stream(buf.as_slice(), std::hint::black_box(0.5)) });
        });
        floats as f64 / ns
    }
}

// The roofline fraction, target and RTNeural columns are the x86-64 table's.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct Row {
    model: String,
    macs: f64,
    bytes: usize,
    ns: Vec<(Tier, f64)>,
    exact_ns: f64,
    matvec_ns: f64,
    matvec_macs: f64,
    target: Option<f64>,
    rtneural: Option<f64>,
}

/// Median ns per step of a one-input, one-output network fed `sig`.
fn one_input_step_ns(net: &mut impl Network, sig: &[f32]) -> f64 {
    signal_step_ns(sig, |x| {
        let y: [f32; 1] = net.step_array(&[x]);
        black_box(y);
    })
}

/// Median ns of `step(x)`, `x` the test signal's samples in turn (one input).
fn signal_step_ns(sig: &[f32], mut step: impl FnMut(f32)) -> f64 {
    let mut n = 0;
    let mut f = || {
        n += 1;
        step(black_box(sig[n & 4095]));
    };
    let rough = median_ns(100, &mut f);
    median_ns(iters_for(rough), &mut f)
}

macro_rules! step_row {
    ($cell:ident, $kind:expr, $name:literal, $h:literal, $g:literal, $target:expr, $rt:expr) => {{
        let w = cell::<1, $h, $g, { kernel::bias_rows($kind) }>($kind);
        let d = head::<$h, 1>();
        let sig = signal();
        let mut ns = Vec::new();
        for tier in Tier::available() {
            let mut net = Chain::new($cell::<1, $h>::new(w), Dense::<$h, 1>::new(d)).with_tier(tier);
            ns.push((tier, one_input_step_ns(&mut net, &sig)));
        }
        // The best tier with the exact (libm) activations, for comparison.
        let exact_ns = {
            let mut net = Chain::new($cell::<1, $h, Exact>::new(w), Dense::<$h, 1>::new(d)).with_tier(Tier::detect());
            one_input_step_ns(&mut net, &sig)
        };
        // The gate mat-vec alone (no activations): a Dense layer of the same shape.
        let mv = head::<{ 1 + $h }, { $g * $h }>();
        let mut dense = Dense::<{ 1 + $h }, { $g * $h }>::new(mv).with_tier(Tier::detect());
        let x = [0.25f32; 1 + $h];
        let mut f = || {
            black_box(dense.step_typed(black_box(&x)));
        };
        let rough = median_ns(100, &mut f);
        let matvec_ns = median_ns(iters_for(rough), &mut f);
        let macs = ($g * $h * (1 + $h) + if $g == 4 { $h } else { 0 }) as f64;
        Row {
            model: format!("{} H={}", $name, $h),
            macs,
            bytes: 4 * ($g * $h * (1 + $h) + $h),
            ns,
            exact_ns,
            matvec_ns,
            matvec_macs: ($g * $h * (1 + $h)) as f64,
            target: $target,
            rtneural: $rt,
        }
    }};
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches` builds this; only `cargo bench` measures.
    }
    #[cfg(target_arch = "x86_64")]
    if Tier::new(Isa::Avx2).is_none() {
        println!("the roofline table needs AVX2 + FMA");
        return;
    }
    let sections: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |name: &str| sections.is_empty() || sections.iter().any(|s| s == name);
    if want("steps") {
        // Elsewhere (wasm32 under Node, AArch64) no roofline probe exists: ns per tier only.
        #[cfg(target_arch = "x86_64")]
        steps();
        #[cfg(not(target_arch = "x86_64"))]
        steps_portable();
    }
    if want("multichannel") {
        multichannel();
    }
    if want("sequence") {
        sequence();
    }
    #[cfg(target_arch = "x86_64")]
    if want("latency") {
        latency();
    }
    if want("uneven") {
        uneven();
    }
    if want("rnn") {
        rnn();
    }
    if want("runtime") {
        runtime();
    }
}

/// The main table's rows: LSTM and GRU, I = 1, H = 8..128, + Dense(H → 1), every tier.
fn step_rows() -> Vec<Row> {
    vec![
        step_row!(Lstm, CellKind::Lstm, "LSTM", 8, 4, Some(40.0), Some(55.0)),
        step_row!(Gru, CellKind::Gru, "GRU", 8, 3, Some(40.0), Some(46.0)),
        step_row!(Lstm, CellKind::Lstm, "LSTM", 16, 4, None, None),
        step_row!(Gru, CellKind::Gru, "GRU", 16, 3, None, None),
        step_row!(Lstm, CellKind::Lstm, "LSTM", 32, 4, Some(140.0), Some(280.0)),
        step_row!(Gru, CellKind::Gru, "GRU", 32, 3, Some(115.0), Some(224.0)),
        step_row!(Lstm, CellKind::Lstm, "LSTM", 64, 4, Some(800.0), Some(1301.0)),
        step_row!(Gru, CellKind::Gru, "GRU", 64, 3, Some(600.0), Some(880.0)),
        step_row!(Lstm, CellKind::Lstm, "LSTM", 128, 4, Some(3450.0), Some(4590.0)),
        step_row!(Gru, CellKind::Gru, "GRU", 128, 3, Some(2500.0), Some(2950.0)),
    ]
}

/// The main table where no roofline probe exists (not x86-64): ns per step per tier, and the
/// best tier's time against the scalar kernel's, compiled for the same target. (Compiled on
/// x86-64 too, so that its lints run there.)
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn steps_portable() {
    let rows = step_rows();
    let best = Tier::detect().isa().name();
    print!("\nOne step, ns (I = 1, + Dense H → 1; this machine's clock, not an emulator's core)\n\n| model | MACs | weights KiB |");
    for (t, _) in &rows[0].ns {
        print!(" {} ns |", t.isa().name());
    }
    println!(" {best} / scalar | {best} MAC/ns | {best} exact activations ns | Dense(1+H → G·H), same MACs, ns |");
    print!("|---|---|---|");
    for _ in &rows[0].ns {
        print!("---|");
    }
    println!("---|---|---|---|");
    for r in &rows {
        print!("| {} | {} | {:.1} |", r.model, r.macs, r.bytes as f64 / 1024.0);
        for (_, ns) in &r.ns {
            print!(" {ns:.0} |");
        }
        let ns_of = |isa: Isa| r.ns.iter().find(|x| x.0.isa() == isa).map_or(f64::NAN, |x| x.1);
        let fast = ns_of(Tier::detect().isa());
        println!(" {:.2} | {:.1} | {:.0} | {:.0} |", fast / ns_of(Isa::Scalar), r.macs / fast, r.exact_ns, r.matvec_ns);
    }
}

/// The H = 8 steps' latency floor: the `h → h` dependency chain of one step (the next step
/// needs the new `h`, so consecutive steps cannot overlap it), built from operation latencies
/// measured here. Nothing else of the step (input column, bias, Dense head, call) is counted,
/// so a step cannot be faster than this with the same operations in the same order.
#[cfg(target_arch = "x86_64")]
fn latency() {
    let roof::Latencies { fma, mul, add, sigmoid: sig, tanh } = roof::latencies();
    let (sig_tp, tanh_tp) = roof::activation_throughputs();
    println!("\nLatency floor of one step's h → h chain (AVX2; ns, operation latencies measured in this run)\n");
    println!("| operation | fma | mul | add | fast sigmoid | fast tanh |\n|---|---|---|---|---|---|");
    println!("| latency ns | {fma:.2} | {mul:.2} | {add:.2} | {sig:.2} | {tanh:.2} |");
    println!("| ns per vector, 8 independent vectors | | | | {sig_tp:.2} | {tanh_tp:.2} |\n");
    // What an update costs where nothing else limits it: per vector of 8 units, LSTM
    // 3 sigmoids + 2 tanh, GRU 2 sigmoids + 1 tanh.
    println!(
        "Activations per vector of 8 units at that rate: LSTM (3 σ + 2 tanh) {:.1} ns, GRU (2 σ + tanh) {:.1} ns\n",
        3.0 * sig_tp + 2.0 * tanh_tp,
        2.0 * sig_tp + tanh_tp
    );
    // LSTM: H/2 dependent FMAs per gate (the recurrent columns in two halves, each its own
    // chain, on AVX2 and AVX-512: `kernel::simd::halves`) and the add of the halves, the gate
    // activations (in parallel: the slower one), f·c + i·g (one FMA on the waiting product:
    // `stage`), tanh(c), o·tanh(c).
    // GRU: H/2 FMAs and an add, σ(r), the input part + r·(W_hn h + b_hn) (one FMA), tanh,
    // z·h + (1 − z)·n (one FMA).
    let half = 8.0 / 2.0;
    let lstm = half * fma + add + sig.max(tanh) + fma + tanh + mul;
    let gru = half * fma + add + sig + fma + tanh + fma;
    println!("| model | chain | floor ns | target ns |\n|---|---|---|---|");
    println!("| LSTM H=8 | 4 fma, add, max(σ, tanh), fma, tanh, mul | {lstm:.1} | ≤ 40 |");
    println!("| GRU H=8 | 4 fma, add, σ, fma, tanh, fma | {gru:.1} | ≤ 40 |");
}

/// The main table: one step per call, every tier, against the roofline.
#[cfg(target_arch = "x86_64")]
fn steps() {
    {
        let peak = roof::peak();
        println!("FMA peak: {peak:.1} MAC/ns (AVX2, 10 accumulators)\n");
        let peak512 = roof::has_avx512().then(roof::peak512);
        if let Some(p) = peak512 {
            println!("FMA peak: {p:.1} MAC/ns (AVX-512, 10 accumulators)\n");
        }
        let rows = step_rows();
        let tiers: Vec<Tier> = Tier::available().collect();
        print!("| model (I=1, +Dense H→1) | MACs | weights KiB | roofline MAC/ns |");
        for t in &tiers {
            print!(" {} ns |", t.isa().name());
        }
        print!(" avx2: fraction of roofline |");
        if peak512.is_some() {
            print!(" avx512: fraction of its roofline |");
        }
        println!(
            " {} exact activations ns | Dense(1+H → G·H), same MACs: ns (fraction) | target ns | RTNeural ns |",
            Tier::detect().isa().name()
        );
        print!("|---|---|---|---|");
        for _ in &tiers {
            print!("---|");
        }
        if peak512.is_some() {
            print!("---|");
        }
        println!("---|---|---|---|---|");
        for r in &rows {
            let roofline = peak.min(roof::streaming(r.bytes));
            print!("| {} | {} | {:.1} | {:.1} |", r.model, r.macs, r.bytes as f64 / 1024.0, roofline);
            for (_, ns) in &r.ns {
                print!(" {ns:.0} |");
            }
            // Each FMA tier against the roofline of its own vectors (the targets are AVX2's).
            let ns_of = |isa: Isa| r.ns.iter().find(|x| x.0.isa() == isa).map_or(f64::NAN, |x| x.1);
            print!(" {:.2} |", r.macs / ns_of(Isa::Avx2) / roofline);
            let roofline512 = peak512.map(|p| p.min(roof::streaming512(r.bytes)));
            if let Some(roof512) = roofline512 {
                print!(" {:.2} |", r.macs / ns_of(Isa::Avx512) / roof512);
            }
            // The mat-vec runs on the detected tier: its fraction is of that tier's roofline.
            let mv_roof = match (Tier::detect().isa(), roofline512) {
                (Isa::Avx512, Some(roof512)) => roof512,
                _ => roofline,
            };
            let mv_frac = r.matvec_macs / r.matvec_ns / mv_roof;
            println!(
                " {:.0} | {:.0} ({:.2}) | {} | {} |",
                r.exact_ns,
                r.matvec_ns,
                mv_frac,
                r.target.map_or("—".into(), |t| format!("≤ {t:.0}")),
                r.rtneural.map_or("—".into(), |t| format!("{t:.0}")),
            );
        }
    }
}

macro_rules! multi_row {
    ($name:literal, $multi:ident, $kind:expr, $g:literal, $h:literal) => {{
        let w = cell::<1, $h, $g, { kernel::bias_rows($kind) }>($kind);
        let d = head::<$h, 1>();
        let sig = signal();
        let tier = Tier::detect();
        let mut per = Vec::new();
        macro_rules! chans {
            ($c:literal) => {{
                let mut net = Chain::new($multi::<1, $h, $c>::new(w), DenseMulti::<$h, 1, $c>::new(d)).with_tier(tier);
                let mut n = 0;
                let mut f = || {
                    n += 1;
                    let y: [f32; $c] = net.step_array(&[black_box(sig[n & 4095]); $c]);
                    black_box(y);
                };
                let rough = median_ns(50, &mut f);
                per.push(median_ns(iters_for(rough), &mut f));
            }};
        }
        chans!(1);
        chans!(2);
        chans!(4);
        chans!(8);
        println!(
            "| {} H={} | {:.0} | {:.0} ({:.2}×) | {:.0} ({:.2}×) | {:.0} ({:.2}×) |",
            $name,
            $h,
            per[0],
            per[1] / 2.0,
            per[1] / per[0],
            per[2] / 4.0,
            per[2] / per[0],
            per[3] / 8.0,
            per[3] / per[0]
        );
    }};
}

macro_rules! multi_mv_row {
    ($h:literal) => {{
        let mv = head::<{ 1 + $h }, { 4 * $h }>();
        let tier = Tier::detect();
        let mut per = Vec::new();
        macro_rules! chans {
            ($c:literal) => {{
                let mut d = DenseMulti::<{ 1 + $h }, { 4 * $h }, $c>::new(mv).with_tier(tier);
                let x = [[0.25f32; 1 + $h]; $c];
                let mut f = || {
                    black_box(d.step_typed(black_box(&x)));
                };
                let rough = median_ns(50, &mut f);
                per.push(median_ns(iters_for(rough), &mut f));
            }};
        }
        chans!(1);
        chans!(2);
        chans!(4);
        chans!(8);
        println!(
            "| Dense(1+H → 4·H), H={} (LSTM MACs) | {:.0} | {:.0} ({:.2}×) | {:.0} ({:.2}×) | {:.0} ({:.2}×) |",
            $h,
            per[0],
            per[1] / 2.0,
            per[1] / per[0],
            per[2] / 4.0,
            per[2] / per[0],
            per[3] / 8.0,
            per[3] / per[0]
        );
    }};
}

fn multichannel() {
    println!(
        "\nMulti-channel (tier {}): ns per channel per step (whole step vs one channel)\n",
        Tier::detect().isa().name()
    );
    println!("| model (+Dense) | C=1 | C=2 | C=4 | C=8 |\n|---|---|---|---|---|");
    multi_row!("LSTM", LstmMulti, CellKind::Lstm, 4, 8);
    multi_row!("GRU", GruMulti, CellKind::Gru, 3, 8);
    multi_row!("LSTM", LstmMulti, CellKind::Lstm, 4, 16);
    multi_row!("LSTM", LstmMulti, CellKind::Lstm, 4, 32);
    multi_row!("LSTM", LstmMulti, CellKind::Lstm, 4, 64);
    multi_row!("LSTM", LstmMulti, CellKind::Lstm, 4, 128);
    multi_row!("GRU", GruMulti, CellKind::Gru, 3, 32);
    multi_row!("GRU", GruMulti, CellKind::Gru, 3, 64);
    multi_row!("GRU", GruMulti, CellKind::Gru, 3, 128);
    multi_row!("RNN", RnnMulti, CellKind::Rnn(RnnNonlinearity::Tanh), 1, 64);
    multi_row!("RNN", RnnMulti, CellKind::Rnn(RnnNonlinearity::Tanh), 1, 128);
    multi_mv_row!(32);
    multi_mv_row!(64);
    multi_mv_row!(128);
}

macro_rules! seq_row {
    ($cell:ident, $kind:expr, $name:literal, $i:literal, $h:literal, $g:literal) => {{
        let w = cell::<$i, $h, $g, { kernel::bias_rows($kind) }>($kind);
        let tier = Tier::detect();
        let frames: Vec<[f32; $i]> = (0..256).map(|n| [sample(n); $i]).collect();
        let mut hs = vec![[0.0f32; $h]; frames.len()];
        let mut a = $cell::<$i, $h>::new(w).with_tier(tier);
        let mut step = || {
            for (x, h) in frames.iter().zip(hs.iter_mut()) {
                *h = *a.step_typed(black_box(x));
            }
            black_box(&hs);
        };
        let rough = median_ns(3, &mut step);
        let per_sample = median_ns(iters_for(rough), &mut step) / 256.0;
        let mut b = $cell::<$i, $h>::new(w).with_tier(tier);
        let mut hs2 = vec![[0.0f32; $h]; frames.len()];
        let mut seq = || {
            b.process_sequence(black_box(&frames), &mut hs2);
            black_box(&hs2);
        };
        let rough = median_ns(3, &mut seq);
        let blocked = median_ns(iters_for(rough), &mut seq) / 256.0;
        println!("| {} I={} H={} | {:.0} | {:.0} | {:.2}× |", $name, $i, $h, per_sample, blocked, per_sample / blocked);
    }};
}

fn sequence() {
    println!(
        "\nSequence mode (tier {}): ns per step, 256-step blocks\n\n| layer | per-sample step | process_sequence | gain |\n|---|---|---|---|",
        Tier::detect().isa().name()
    );
    seq_row!(Lstm, CellKind::Lstm, "LSTM", 8, 16, 4);
    seq_row!(Lstm, CellKind::Lstm, "LSTM", 8, 32, 4);
    seq_row!(Lstm, CellKind::Lstm, "LSTM", 8, 64, 4);
    seq_row!(Lstm, CellKind::Lstm, "LSTM", 16, 32, 4);
    seq_row!(Lstm, CellKind::Lstm, "LSTM", 32, 32, 4);
    seq_row!(Lstm, CellKind::Lstm, "LSTM", 64, 32, 4);
    seq_row!(Gru, CellKind::Gru, "GRU", 8, 16, 3);
    seq_row!(Gru, CellKind::Gru, "GRU", 8, 32, 3);
    seq_row!(Gru, CellKind::Gru, "GRU", 64, 32, 3);
    seq_row!(Gru, CellKind::Gru, "GRU", 16, 64, 3);
    seq_row!(Gru, CellKind::Gru, "GRU", 32, 64, 3);
    seq_row!(Gru, CellKind::Gru, "GRU", 64, 64, 3);
}

/// One stream of a cell (I = 1) + Dense(H → 1), ns per step on every tier: the rows of the
/// `uneven` and `rnn` sections.
macro_rules! tier_row {
    ($cell:ident, $kind:expr, $name:literal, $h:literal, $g:literal) => {{
        let w = cell::<1, $h, $g, { kernel::bias_rows($kind) }>($kind);
        let d = head::<$h, 1>();
        let sig = signal();
        print!("| {} H={} |", $name, $h);
        for tier in Tier::available() {
            let mut net = Chain::new($cell::<1, $h>::new(w), Dense::<$h, 1>::new(d)).with_tier(tier);
            print!(" {:.0} |", one_input_step_ns(&mut net, &sig));
        }
        println!();
    }};
}

/// One row of the `runtime` section: the `host::Model` of a cell (I = 1) + Dense(H → 1) built
/// from the weights `cell` and `head` pack for the const-generic layers, on every tier.
macro_rules! runtime_row {
    ($cell:ident, $kind:expr, $name:literal, $h:literal, $g:literal) => {{
        let w = cell::<1, $h, $g, { kernel::bias_rows($kind) }>($kind);
        let d = head::<$h, 1>();
        let spec = model_spec($kind, $h);
        let sig = signal();
        print!("| {} H={} |", $name, $h);
        for tier in Tier::available() {
            let mut model = host::Model::<Fast>::from_spec(&spec).expect("a valid spec");
            model.set_tier(tier);
            let mut y = [0.0f32; 1];
            let runtime_ns = signal_step_ns(&sig, |x| {
                model.step(&[x], &mut y);
                black_box(y);
            });
            // `process_block` over 256-frame blocks of the same signal, ns per frame.
            let mut ys = [0.0f32; 256];
            let mut block = || {
                model.process_block(black_box(&sig[..256]), &mut ys);
                black_box(&ys);
            };
            let rough = median_ns(3, &mut block);
            let block_ns = median_ns(iters_for(rough), &mut block) / 256.0;
            let mut net = Chain::new($cell::<1, $h>::new(w), Dense::<$h, 1>::new(d)).with_tier(tier);
            print!(" {:.0} / {:.0} / {:.0} |", runtime_ns, block_ns, one_input_step_ns(&mut net, &sig));
        }
        println!();
    }};
}

/// Hidden sizes between the main table's multiples of 16 (H = 20 and 40 are common in
/// amp models), whose last packed block is partial, beside H = 32 and 48 for reference.
fn uneven() {
    tier_header("Hidden sizes not a multiple of 16 (I = 1, + Dense H → 1), ns per step");
    tier_row!(Lstm, CellKind::Lstm, "LSTM", 20, 4);
    tier_row!(Lstm, CellKind::Lstm, "LSTM", 24, 4);
    tier_row!(Lstm, CellKind::Lstm, "LSTM", 28, 4);
    tier_row!(Lstm, CellKind::Lstm, "LSTM", 32, 4);
    tier_row!(Lstm, CellKind::Lstm, "LSTM", 40, 4);
    tier_row!(Lstm, CellKind::Lstm, "LSTM", 48, 4);
    tier_row!(Gru, CellKind::Gru, "GRU", 20, 3);
    tier_row!(Gru, CellKind::Gru, "GRU", 24, 3);
    tier_row!(Gru, CellKind::Gru, "GRU", 28, 3);
    tier_row!(Gru, CellKind::Gru, "GRU", 32, 3);
    tier_row!(Gru, CellKind::Gru, "GRU", 40, 3);
    tier_row!(Gru, CellKind::Gru, "GRU", 48, 3);
}

/// A section title and the header of a table with one column per available tier.
fn tier_header(title: &str) {
    print!("\n{title}\n\n| model |");
    let tiers: Vec<Tier> = Tier::available().collect();
    for t in &tiers {
        print!(" {} |", t.isa().name());
    }
    print!("\n|---|");
    for _ in &tiers {
        print!("---|");
    }
    println!();
}

/// Vanilla RNN (tanh) streams, whose one-gate strips hold the fewest accumulators.
fn rnn() {
    tier_header("Vanilla RNN, tanh (I = 1, + Dense H → 1), ns per step");
    tier_row!(Rnn, CellKind::Rnn(RnnNonlinearity::Tanh), "RNN", 32, 1);
    tier_row!(Rnn, CellKind::Rnn(RnnNonlinearity::Tanh), "RNN", 48, 1);
    tier_row!(Rnn, CellKind::Rnn(RnnNonlinearity::Tanh), "RNN", 64, 1);
    tier_row!(Rnn, CellKind::Rnn(RnnNonlinearity::Tanh), "RNN", 96, 1);
    tier_row!(Rnn, CellKind::Rnn(RnnNonlinearity::Tanh), "RNN", 128, 1);
}

/// The runtime-sized `host::Model` (sizes read from a file, one function per cell kind
/// compiled in this crate) beside the const-generic layers (sizes folded into the code), one
/// stream of a cell (I = 1) + Dense(H → 1) with the same weights: ns per step on every tier,
/// for the model stepped per sample and over 256-sample blocks.
fn runtime() {
    tier_header(
        "Runtime-sized host::Model against the const-generic layers (I = 1, + Dense H → 1), ns per step: \
         runtime step / runtime process_block (256 frames) / const-generic step",
    );
    runtime_row!(Lstm, CellKind::Lstm, "LSTM", 8, 4);
    runtime_row!(Gru, CellKind::Gru, "GRU", 8, 3);
    runtime_row!(Lstm, CellKind::Lstm, "LSTM", 32, 4);
    runtime_row!(Gru, CellKind::Gru, "GRU", 32, 3);
    runtime_row!(Lstm, CellKind::Lstm, "LSTM", 64, 4);
    runtime_row!(Gru, CellKind::Gru, "GRU", 64, 3);
    runtime_row!(Lstm, CellKind::Lstm, "LSTM", 128, 4);
    runtime_row!(Gru, CellKind::Gru, "GRU", 128, 3);
}
