//! Shared checking harness: runs the same assertions for every tier, over any set of bit
//! patterns (exhaustive, or strided), on 2 threads where the target has threads.
#![allow(dead_code)]

use tinyrnn::activation::fast;

/// A tier under test: in-place slice functions plus the scalar model it must match bit-for-bit.
#[derive(Clone, Copy)]
pub struct Tier {
    pub name: &'static str,
    pub tanh: fn(&mut [f32]),
    pub sigmoid: fn(&mut [f32]),
    pub model_tanh: fn(f32) -> f32,
    pub model_sigmoid: fn(f32) -> f32,
    /// Which of the two rounding variants the tier computes (its model: `fast::tanh_fused`
    /// if `true`, `fast::tanh` if `false`). Tiers of one variant give the same bits, so a
    /// pass over several compares each later tier with the first of its variant on every
    /// input (no model call).
    pub fused: bool,
}

fn scalar_tanh(xs: &mut [f32]) {
    fast::tanh_slice(xs)
}
fn scalar_sigmoid(xs: &mut [f32]) {
    fast::sigmoid_slice(xs)
}
fn fused_tanh(xs: &mut [f32]) {
    xs.iter_mut().for_each(|x| *x = fast::tanh_fused(*x))
}
fn fused_sigmoid(xs: &mut [f32]) {
    xs.iter_mut().for_each(|x| *x = fast::sigmoid_fused(*x))
}

pub const SCALAR: Tier = Tier {
    name: "scalar",
    tanh: scalar_tanh,
    sigmoid: scalar_sigmoid,
    model_tanh: fast::tanh,
    model_sigmoid: fast::sigmoid,
    fused: false,
};
pub const SCALAR_FUSED: Tier = Tier {
    name: "scalar_fused",
    tanh: fused_tanh,
    sigmoid: fused_sigmoid,
    model_tanh: fast::tanh_fused,
    model_sigmoid: fast::sigmoid_fused,
    fused: true,
};

#[cfg(target_arch = "x86_64")]
pub const SSE2: Tier = Tier {
    name: "sse2",
    tanh: tinyrnn::kernel::activation::x86_64::tanh_slice_sse2,
    sigmoid: tinyrnn::kernel::activation::x86_64::sigmoid_slice_sse2,
    model_tanh: fast::tanh,
    model_sigmoid: fast::sigmoid,
    fused: false,
};

#[cfg(target_arch = "x86_64")]
pub fn has_avx2() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}
#[cfg(target_arch = "x86_64")]
fn avx2_tanh(xs: &mut [f32]) {
    assert!(has_avx2());
    // SAFETY: AVX2 and FMA were detected at run time just above.
    unsafe { tinyrnn::kernel::activation::x86_64::tanh_slice_avx2(xs) }
}
#[cfg(target_arch = "x86_64")]
fn avx2_sigmoid(xs: &mut [f32]) {
    assert!(has_avx2());
    // SAFETY: AVX2 and FMA were detected at run time just above.
    unsafe { tinyrnn::kernel::activation::x86_64::sigmoid_slice_avx2(xs) }
}
#[cfg(target_arch = "x86_64")]
pub const AVX2: Tier = Tier {
    name: "avx2_fma",
    tanh: avx2_tanh,
    sigmoid: avx2_sigmoid,
    model_tanh: fast::tanh_fused,
    model_sigmoid: fast::sigmoid_fused,
    fused: true,
};

#[cfg(target_arch = "x86_64")]
pub fn has_avx512() -> bool {
    has_avx2() && is_x86_feature_detected!("avx512f")
}
#[cfg(target_arch = "x86_64")]
fn avx512_tanh(xs: &mut [f32]) {
    assert!(has_avx512());
    // SAFETY: AVX-512F, AVX2 and FMA were detected at run time just above.
    unsafe { tinyrnn::kernel::activation::x86_64::tanh_slice_avx512(xs) }
}
#[cfg(target_arch = "x86_64")]
fn avx512_sigmoid(xs: &mut [f32]) {
    assert!(has_avx512());
    // SAFETY: AVX-512F, AVX2 and FMA were detected at run time just above.
    unsafe { tinyrnn::kernel::activation::x86_64::sigmoid_slice_avx512(xs) }
}
#[cfg(target_arch = "x86_64")]
pub const AVX512: Tier = Tier {
    name: "avx512",
    tanh: avx512_tanh,
    sigmoid: avx512_sigmoid,
    model_tanh: fast::tanh_fused,
    model_sigmoid: fast::sigmoid_fused,
    fused: true,
};

#[cfg(target_arch = "aarch64")]
pub const NEON: Tier = Tier {
    name: "neon",
    tanh: tinyrnn::kernel::activation::aarch64::tanh_slice_neon,
    sigmoid: tinyrnn::kernel::activation::aarch64::sigmoid_slice_neon,
    model_tanh: fast::tanh_fused,
    model_sigmoid: fast::sigmoid_fused,
    fused: true,
};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub const SIMD128: Tier = Tier {
    name: "wasm_simd128",
    tanh: tinyrnn::kernel::activation::wasm32::tanh_slice_simd128,
    sigmoid: tinyrnn::kernel::activation::wasm32::sigmoid_slice_simd128,
    model_tanh: fast::tanh,
    model_sigmoid: fast::sigmoid,
    fused: false,
};

/// Every tier this machine can run.
pub fn tiers() -> Vec<Tier> {
    #[allow(unused_mut)]
    let mut v = vec![SCALAR, SCALAR_FUSED];
    #[cfg(target_arch = "x86_64")]
    {
        v.push(SSE2);
        if has_avx2() {
            v.push(AVX2);
        } else {
            println!("note: AVX2+FMA not detected, AVX2 tier not tested");
        }
        if has_avx512() {
            v.push(AVX512);
        } else {
            println!("note: AVX-512F not detected, AVX-512 tier not tested");
        }
    }
    #[cfg(target_arch = "aarch64")]
    v.push(NEON);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    v.push(SIMD128);
    v
}

// Specification bounds (from the issue).
pub const TANH_ABS_BOUND: f64 = 2.5e-7;
pub const TANH_REL_BOUND: f64 = 1e-4;
pub const SIGMOID_ABS_BOUND: f64 = 1.5e-7;

#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub count: u64,
    pub tanh_abs: f64,
    pub tanh_abs_at: f32,
    /// max relative error for 1e-20 <= |x| <= 0.5
    pub tanh_rel: f64,
    pub tanh_rel_at: f32,
    /// max relative error for 0 < |x| < 1e-20 (subnormals included)
    pub tanh_rel_tiny: f64,
    pub sig_abs: f64,
    pub sig_abs_at: f32,
}

impl Stats {
    fn merge(mut self, o: Stats) -> Stats {
        self.count += o.count;
        if o.tanh_abs > self.tanh_abs {
            self.tanh_abs = o.tanh_abs;
            self.tanh_abs_at = o.tanh_abs_at;
        }
        if o.tanh_rel > self.tanh_rel {
            self.tanh_rel = o.tanh_rel;
            self.tanh_rel_at = o.tanh_rel_at;
        }
        self.tanh_rel_tiny = self.tanh_rel_tiny.max(o.tanh_rel_tiny);
        if o.sig_abs > self.sig_abs {
            self.sig_abs = o.sig_abs;
            self.sig_abs_at = o.sig_abs_at;
        }
        self
    }
}

/// Last outputs of a worker, for the monotonicity check across range boundaries.
#[derive(Clone, Copy)]
struct Prev {
    tanh: f32,
    sig_pos: f32,
    sig_neg: f32,
}

const CHUNK: usize = 4096;

/// One worker's result for one tier: stats, and its first/last outputs (for the seams).
type Part = (Stats, Option<(Prev, Prev)>);

/// Per-tier running state of one worker: stats, and first/last outputs (for the seams).
#[derive(Default)]
struct Track {
    st: Stats,
    first: Option<Prev>,
    prev: Option<Prev>,
}

/// For each tier of `ts`, the earlier tier of its rounding variant it must equal bit for bit,
/// if any.
fn first_of_variant(ts: &[Tier]) -> Vec<Option<usize>> {
    ts.iter().enumerate().map(|(k, t)| ts[..k].iter().position(|u| u.fused == t.fused)).collect()
}

/// Check the positive bit patterns `lo, lo+step, ...` (all `< hi`, `hi <= 0x8000_0000`)
/// together with their negations, for every tier in `ts`. The f64 reference (the expensive
/// part) is computed once per input and shared by all tiers. The first tier of each rounding
/// variant is compared with its scalar model on every `model_stride`-th input and runs every
/// check; each later tier of that variant is compared with the first one's outputs, on every
/// input, which makes the first one's checks its own. Returns, per tier, the stats and the
/// first/last outputs (for seams; none for the later tiers).
fn check_range(ts: &[Tier], lo: u32, hi: u32, step: u32, model_stride: usize) -> Vec<Part> {
    let mut track: Vec<Track> = ts.iter().map(|_| Track::default()).collect();
    let first_of_variant = first_of_variant(ts);
    let (mut xp, mut xn) = (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK));
    // Per tier: tanh(x), tanh(-x), sigmoid(x), sigmoid(-x).
    let mut out: Vec<[Vec<f32>; 4]> = ts.iter().map(|_| Default::default()).collect();
    let mut b = lo as u64;
    while b < hi as u64 {
        xp.clear();
        xn.clear();
        while xp.len() < CHUNK && b < hi as u64 {
            let x = f32::from_bits(b as u32);
            xp.push(x);
            xn.push(-x);
            b += step as u64;
        }
        for (t, [tp, tn, sp, sn]) in ts.iter().zip(out.iter_mut()) {
            tp.clone_from(&xp);
            tn.clone_from(&xn);
            sp.clone_from(&xp);
            sn.clone_from(&xn);
            (t.tanh)(tp);
            (t.tanh)(tn);
            (t.sigmoid)(sp);
            (t.sigmoid)(sn);
        }
        for (k, j) in first_of_variant.iter().enumerate() {
            let Some(j) = *j else { continue };
            let names = ["tanh(x)", "tanh(-x)", "sigmoid(x)", "sigmoid(-x)"];
            for ((a, b), name) in out[k].iter().zip(&out[j]).zip(names) {
                for (i, (&ya, &yb)) in a.iter().zip(b).enumerate() {
                    assert!(
                        ya.to_bits() == yb.to_bits() || (ya.is_nan() && yb.is_nan()),
                        "{} and {} (same rounding) differ: {name} at x = {:e}: {ya:e} vs {yb:e}",
                        ts[k].name,
                        ts[j].name,
                        xp[i]
                    );
                }
            }
        }
        for (i, &x) in xp.iter().enumerate() {
            let xd = x as f64;
            let r = xd.tanh();
            let em = (-xd).exp();
            let (rs, rns) = (1.0 / (1.0 + em), em / (1.0 + em));
            for (((t, o), tr), j) in ts.iter().zip(&out).zip(track.iter_mut()).zip(&first_of_variant) {
                if j.is_none() {
                    let model = i % model_stride == 0;
                    check_one(t, x, [o[0][i], o[1][i], o[2][i], o[3][i]], (r, rs, rns), model, tr);
                }
            }
        }
    }
    track.into_iter().map(|t| (t.st, t.first.zip(t.prev))).collect()
}

/// Every assertion for one input `x >= 0` (and `-x`) of one tier, given the tier's outputs
/// `[tanh(x), tanh(-x), sigmoid(x), sigmoid(-x)]` and the f64 references
/// `(tanh(x), sigmoid(x), sigmoid(-x))`; `model`: also compare with the tier's scalar model.
fn check_one(t: &Tier, x: f32, [y, ny, s, ns]: [f32; 4], (r, rs, rns): (f64, f64, f64), model: bool, tr: &mut Track) {
    let st = &mut tr.st;
    st.count += 2;
    // Bit-exact agreement with the scalar model of this tier (the scalar tiers are their own
    // models), where `model` asks for it.
    if model && !t.name.starts_with("scalar") {
        let (my, ms) = ((t.model_tanh)(x), (t.model_sigmoid)(x));
        let (mny, mns) = ((t.model_tanh)(-x), (t.model_sigmoid)(-x));
        let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        assert!(same(y, my), "{}: tanh({x:e}) = {y:e} but its scalar model gives {my:e}", t.name);
        assert!(same(ny, mny), "{}: tanh(-{x:e}) differs from its scalar model", t.name);
        assert!(same(s, ms), "{}: sigmoid({x:e}) differs from its scalar model", t.name);
        assert!(same(ns, mns), "{}: sigmoid(-{x:e}) differs from its scalar model", t.name);
    }
    if x.is_nan() {
        assert!(y.is_nan() && ny.is_nan() && s.is_nan() && ns.is_nan(), "{}: NaN must map to NaN", t.name);
        return;
    }
    // Exact oddness.
    assert_eq!(ny.to_bits(), y.to_bits() ^ 0x8000_0000, "{}: tanh not odd at {x:e}", t.name);
    // Range.
    assert!((-1.0..=1.0).contains(&y), "{}: tanh({x:e}) = {y} out of range", t.name);
    assert!((0.0..=1.0).contains(&s) && (0.0..=1.0).contains(&ns), "{}: sigmoid out of range at ±{x:e}", t.name);
    // Accuracy against f64.
    let xd = x as f64;
    let e = (y as f64 - r).abs();
    assert!(e <= TANH_ABS_BOUND, "{}: |tanh({x:e}) - ref| = {e:e} (got {y:e}, ref {r:e})", t.name);
    if e > st.tanh_abs {
        st.tanh_abs = e;
        st.tanh_abs_at = x;
    }
    if x != 0.0 {
        let rel = e / r.abs();
        if (1e-20..=0.5).contains(&xd) {
            assert!(rel <= TANH_REL_BOUND, "{}: tanh({x:e}) relative error {rel:e}", t.name);
            if rel > st.tanh_rel {
                st.tanh_rel = rel;
                st.tanh_rel_at = x;
            }
        } else if xd < 1e-20 {
            assert!(rel <= TANH_REL_BOUND, "{}: tanh({x:e}) (tiny) relative error {rel:e}", t.name);
            st.tanh_rel_tiny = st.tanh_rel_tiny.max(rel);
        }
    } else {
        assert_eq!(y.to_bits(), x.to_bits(), "{}: tanh(±0) must be ±0", t.name);
    }
    for (sv, rv, xv) in [(s, rs, x), (ns, rns, -x)] {
        let e = (sv as f64 - rv).abs();
        assert!(e <= SIGMOID_ABS_BOUND, "{}: |sigmoid({xv:e}) - ref| = {e:e}", t.name);
        if e > st.sig_abs {
            st.sig_abs = e;
            st.sig_abs_at = xv;
        }
    }
    // Monotonicity (bit patterns ascending = |x| ascending, for non-NaN inputs).
    let cur = Prev { tanh: y, sig_pos: s, sig_neg: ns };
    if let Some(p) = tr.prev {
        assert!(p.tanh <= y, "{}: tanh not monotone before {x:e}: {} > {y}", t.name, p.tanh);
        assert!(p.sig_pos <= s, "{}: sigmoid not monotone before {x:e}", t.name);
        assert!(p.sig_neg >= ns, "{}: sigmoid not monotone before -{x:e}", t.name);
    }
    if tr.first.is_none() {
        tr.first = Some(cur);
    }
    tr.prev = Some(cur);
}

/// Run every check over positive bit patterns `0, step, 2 step, ...` up to and including
/// 0x7fff_ffff, plus their negations (so `step = 1` covers all 2^32 patterns).
/// `threads` workers split the range into contiguous parts; seams are checked too.
pub fn run(t: &Tier, step: u32, threads: usize) -> Stats {
    run_all(core::slice::from_ref(t), step, threads, 1)[0]
}

/// [`run`] for several tiers in one pass over the inputs (one f64 reference per input); the
/// bit-exact comparisons of [`check_range`]: the first tier of each rounding variant with its
/// scalar model on every `model_stride`-th input, the later ones with it on every input.
pub fn run_all(ts: &[Tier], step: u32, threads: usize, model_stride: usize) -> Vec<Stats> {
    // The number of sampled positive patterns.
    let n = (0x8000_0000u64).div_ceil(step as u64);
    // Many contiguous pieces, handed to the workers in turn: the small magnitudes cost more
    // (subnormal operands are slow on Intel), so two equal halves left one core idle for half
    // of the exhaustive pass there.
    let pieces = threads as u64 * 32;
    let per = n.div_ceil(pieces);
    let bounds: Vec<(u32, u32)> = (0..pieces)
        .map(|i| {
            let lo = (i * per * step as u64).min(0x8000_0000);
            let hi = ((i + 1) * per * step as u64).min(0x8000_0000);
            (lo as u32, hi as u32)
        })
        .filter(|(lo, hi)| lo < hi)
        .collect();
    // results[piece][tier], pieces in order of their ranges.
    let results: Vec<Vec<Part>> = if threads > 1 {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut slots: Vec<Option<Vec<Part>>> = bounds.iter().map(|_| None).collect();
        std::thread::scope(|sc| {
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    sc.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&(lo, hi)) = bounds.get(k) else { break done };
                            done.push((k, check_range(ts, lo, hi, step, model_stride)));
                        }
                    })
                })
                .collect();
            for h in hs {
                for (k, part) in h.join().expect("worker panicked") {
                    slots[k] = Some(part);
                }
            }
        });
        slots.into_iter().map(|p| p.expect("every piece ran")).collect()
    } else {
        bounds.iter().map(|&(lo, hi)| check_range(ts, lo, hi, step, model_stride)).collect()
    };
    let mut all = Vec::with_capacity(ts.len());
    let first_of_variant = first_of_variant(ts);
    for (k, t) in ts.iter().enumerate() {
        if let Some(j) = first_of_variant[k] {
            // Bit for bit the outputs of tier `j`, whose checks and figures are this tier's.
            println!("{:>13} step {step:>5}: the bits of {} on every input (its figures above)", t.name, ts[j].name);
            all.push(all[j]);
            continue;
        }
        // Monotonicity across the seams between pieces.
        for w in results.windows(2) {
            if let (Some((_, last)), Some((first, _))) = (w[0][k].1, w[1][k].1) {
                assert!(last.tanh <= first.tanh, "{}: tanh not monotone at a seam", t.name);
                assert!(last.sig_pos <= first.sig_pos, "{}: sigmoid not monotone at a seam", t.name);
                assert!(last.sig_neg >= first.sig_neg, "{}: sigmoid not monotone at a seam", t.name);
            }
        }
        let st = results.iter().fold(Stats::default(), |a, r| a.merge(r[k].0));
        println!(
            "{:>13} step {step:>5}: {} inputs | tanh max abs {:.3e} at {:e} | max rel (1e-20..0.5) {:.3e} at {:e} \
             | rel (<1e-20) {:.1e} | sigmoid max abs {:.3e} at {:e}",
            t.name,
            st.count,
            st.tanh_abs,
            st.tanh_abs_at,
            st.tanh_rel,
            st.tanh_rel_at,
            st.tanh_rel_tiny,
            st.sig_abs,
            st.sig_abs_at
        );
        all.push(st);
    }
    all
}

/// Dense (every consecutive f32) monotonicity check of `|x|` in `[lo, hi]` for a tier.
pub fn dense_monotone(t: &Tier, lo: f32, hi: f32) {
    let (a, b) = (lo.to_bits(), hi.to_bits());
    let xs: Vec<f32> = (a..=b).map(f32::from_bits).collect();
    for (f, name) in [(t.tanh, "tanh"), (t.sigmoid, "sigmoid")] {
        let mut y = xs.clone();
        f(&mut y);
        for i in 1..y.len() {
            assert!(y[i - 1] <= y[i], "{} {name}: not monotone at {:e}", t.name, xs[i]);
        }
        let mut yn: Vec<f32> = xs.iter().map(|x| -x).collect();
        f(&mut yn);
        for i in 1..yn.len() {
            assert!(yn[i - 1] >= yn[i], "{} {name}: not monotone at -{:e}", t.name, xs[i]);
        }
    }
}

/// Special values, for one tier.
pub fn specials(t: &Tier) {
    let one = |f: fn(&mut [f32]), x: f32| {
        let mut v = [x];
        f(&mut v);
        v[0]
    };
    let (th, sg) = (t.tanh, t.sigmoid);
    assert_eq!(one(th, 0.0).to_bits(), 0.0f32.to_bits(), "{}", t.name);
    assert_eq!(one(th, -0.0).to_bits(), (-0.0f32).to_bits(), "{}", t.name);
    assert_eq!(one(th, f32::INFINITY), 1.0);
    assert_eq!(one(th, f32::NEG_INFINITY), -1.0);
    assert_eq!(one(th, f32::MAX), 1.0);
    assert_eq!(one(th, f32::MIN), -1.0);
    assert_eq!(one(sg, f32::INFINITY), 1.0);
    assert_eq!(one(sg, f32::NEG_INFINITY), 0.0);
    assert_eq!(one(sg, f32::MAX), 1.0);
    assert_eq!(one(sg, f32::MIN), 0.0);
    assert_eq!(one(sg, 0.0), 0.5);
    assert_eq!(one(sg, -0.0), 0.5);
    for nan in [f32::NAN, -f32::NAN, f32::from_bits(0x7f80_0001), f32::from_bits(0xffc0_1234)] {
        assert!(one(th, nan).is_nan() && one(sg, nan).is_nan(), "{}: NaN", t.name);
    }
    // Subnormals and tiny normals: tanh(x) == x exactly.
    for b in [1u32, 2, 3, 0x1234, 0x007f_ffff, 0x0080_0000, 0x0080_0001, 0x2000_0000, 0x3900_0000] {
        for x in [f32::from_bits(b), -f32::from_bits(b)] {
            assert_eq!(one(th, x).to_bits(), x.to_bits(), "{}: tanh({x:e}) should be x", t.name);
            if x.abs() < 1e-7 {
                assert_eq!(one(sg, x), 0.5, "{}: sigmoid({x:e})", t.name);
            }
        }
    }
    // Clamp region: exactly ±1 from just above 9.0109 on.
    for x in [9.02f32, 9.1, 9.100001, 10.0, 88.0, 1e10] {
        assert_eq!(one(th, x), 1.0, "{}: tanh({x})", t.name);
        assert_eq!(one(th, -x), -1.0, "{}: tanh(-{x})", t.name);
    }
}

/// Tail handling: every slice length 0..=40 agrees element-wise with the scalar model.
pub fn tails(t: &Tier) {
    for len in 0..=40usize {
        let xs: Vec<f32> = (0..len).map(|i| (i as f32 - 17.3) * 0.61).collect();
        let mut y = xs.clone();
        (t.tanh)(&mut y);
        let mut s = xs.clone();
        (t.sigmoid)(&mut s);
        for i in 0..len {
            assert_eq!(y[i].to_bits(), (t.model_tanh)(xs[i]).to_bits(), "{} tanh len {len} i {i}", t.name);
            assert_eq!(s[i].to_bits(), (t.model_sigmoid)(xs[i]).to_bits(), "{} sigmoid len {len} i {i}", t.name);
        }
    }
}

/// Threads available to the exhaustive runs (the brief: use both cores).
pub fn threads() -> usize {
    if cfg!(target_os = "wasi") {
        1
    } else {
        2
    }
}
