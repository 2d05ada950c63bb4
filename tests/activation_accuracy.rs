//! Accuracy, monotonicity, oddness, range and special-value checks for every tier.
//!
//! * `cargo test` (debug): sampled checks (every 9973rd bit pattern) for every tier.
//! * `cargo test --release -- --ignored`: exhaustive checks over all 2^32 bit patterns for
//!   the scalar models and every x86_64 tier this machine runs (`exhaustive_all_tiers` does
//!   them all in one pass).
//! * `cargo test --release --target aarch64-unknown-linux-gnu` (QEMU) and
//!   `cargo test --release --target wasm32-wasip1` (Node): the same checks for NEON /
//!   simd128, sampled every 97th bit pattern, plus dense monotonicity on [0.25, 4].

#[path = "activation_tiers/mod.rs"]
mod tiers;
use tiers::*;

#[test]
fn sampled_all_tiers() {
    run_all(&tiers(), 9973, threads(), 1);
}

#[test]
fn special_values_all_tiers() {
    for t in tiers() {
        specials(&t);
    }
}

#[test]
fn slice_tails_all_tiers() {
    for t in tiers() {
        tails(&t);
    }
}

#[test]
fn dense_monotone_near_branch_point_and_exponent_seams() {
    // Every f32 within ±2^14 ulps of tanh's branch point SWITCH = 0.02 and of the first seams
    // where the exponential's n steps: tanh at |x| = ln2/4 (n 0 → 1), sigmoid at
    // |x| = ln2/2 and 3·ln2/2 (n 0 → ±1 → ±2).
    let ln2 = core::f32::consts::LN_2;
    for t in tiers() {
        for c in [tinyrnn::activation::fast::SWITCH, 0.25 * ln2, 0.5 * ln2, 1.5 * ln2] {
            let b = c.to_bits();
            dense_monotone(&t, f32::from_bits(b - (1 << 14)), f32::from_bits(b + (1 << 14)));
        }
    }
}

#[test]
fn plain_and_fused_differ_by_at_most_2_pow_minus_23_sampled() {
    plain_vs_fused(9973);
}

/// Compare the two rounding variants (plain: scalar/SSE2/wasm; fused: AVX2/NEON) on the
/// positive bit patterns `0, step, ...` below +inf (tanh is odd; sigmoid is checked at ±x).
/// Asserted: at most 2^-23 (1.19e-7) apart, absolute, the exhaustive maximum for both
/// functions. In ulps the tanh difference is largest just above `SWITCH`, where the result's
/// ulp is 2^-30 (64 ulps there, exhaustively).
fn plain_vs_fused(step: u32) {
    use tinyrnn::activation::fast::{sigmoid, sigmoid_fused, tanh, tanh_fused};
    let part = |lo: u32, hi: u32| {
        let ulps = |a: f32, b: f32| (a.to_bits() as i64 - b.to_bits() as i64).abs();
        let (mut nt, mut ns, mut dt, mut ds, mut n) = (0u64, 0u64, 0i64, 0f64, 0u64);
        let mut dta = 0f64;
        let mut b = lo;
        while b < hi {
            let x = f32::from_bits(b);
            n += 1;
            let (p, f) = (tanh(x), tanh_fused(x));
            let d = ulps(p, f);
            nt += (d != 0) as u64;
            dt = dt.max(d);
            dta = dta.max((p as f64 - f as f64).abs());
            for xs in [x, -x] {
                // Absolute difference: near 0 the sigmoid's ulp is tiny, so ulps say little.
                let d = (sigmoid(xs) as f64 - sigmoid_fused(xs) as f64).abs();
                ns += (d != 0.0) as u64;
                ds = ds.max(d);
            }
            b = b.saturating_add(step);
        }
        (nt, ns, dt, ds, n, dta)
    };
    let mid = 0x3f80_0000 / step * step;
    let (a, b) = if threads() > 1 {
        std::thread::scope(|sc| {
            let h = sc.spawn(move || part(0, mid));
            let b = part(mid, 0x7f80_0000);
            (h.join().unwrap(), b)
        })
    } else {
        (part(0, mid), part(mid, 0x7f80_0000))
    };
    let (nt, ns, dt, ds, n, dta) = (a.0 + b.0, a.1 + b.1, a.2.max(b.2), a.3.max(b.3), a.4 + b.4, a.5.max(b.5));
    println!(
        "plain vs fused (step {step}): tanh differs on {nt}/{n} (max {dt} ulp, max abs {dta:e}), sigmoid on {ns}/{} \
         (max abs {ds:e})",
        2 * n
    );
    assert!(dta <= 2f64.powi(-23) && ds <= 2f64.powi(-23), "plain and fused differ by more than 2^-23");
}

#[cfg(any(target_arch = "aarch64", target_arch = "wasm32"))]
#[test]
fn emulated_vector_tier_every_97th_pattern() {
    let t = tiers().pop().expect("vector tier");
    run(&t, 97, threads());
    dense_monotone(&t, 0.25, 4.0);
}

/// Every tier this machine runs, exhaustively, in one pass: what `.ci/run` runs. The scalar
/// and AVX2 tiers against the f64 reference (computed once per input); SSE2 bit for bit
/// against the scalar tier (its model) and AVX-512 against AVX2, on every input, so their
/// checks are those two's. AVX2 against its scalar model (`fast::tanh_fused`) on every 7th
/// input (that model calls a software `fmaf` and costs more than all the rest). The fused
/// model is checked alone, exhaustively, by `exhaustive_scalar_fused_model`.
#[test]
#[ignore = "exhaustive (2^32 inputs): run with cargo test --release -- --ignored"]
fn exhaustive_all_tiers() {
    let ts: Vec<Tier> = tiers().into_iter().filter(|t| t.name != SCALAR_FUSED.name).collect();
    run_all(&ts, 1, threads(), 7);
}

#[test]
#[ignore = "exhaustive (2^32 inputs): run with cargo test --release -- --ignored"]
fn exhaustive_scalar() {
    run(&SCALAR, 1, threads());
}

#[test]
#[ignore = "exhaustive (2^32 inputs): run with cargo test --release -- --ignored"]
fn exhaustive_scalar_fused_model() {
    run(&SCALAR_FUSED, 1, threads());
}

#[cfg(target_arch = "x86_64")]
#[test]
#[ignore = "exhaustive (2^32 inputs): run with cargo test --release -- --ignored"]
fn exhaustive_sse2() {
    run(&SSE2, 1, threads());
}

#[cfg(target_arch = "x86_64")]
#[test]
#[ignore = "exhaustive (2^32 inputs): run with cargo test --release -- --ignored"]
fn exhaustive_avx2_fma() {
    if !has_avx2() {
        println!("AVX2+FMA not available on this machine: skipped");
        return;
    }
    run(&AVX2, 1, threads());
}

#[cfg(target_arch = "x86_64")]
#[test]
#[ignore = "exhaustive (2^32 inputs): run with cargo test --release -- --ignored"]
fn exhaustive_avx512() {
    if !has_avx512() {
        println!("AVX-512F not available on this machine: skipped");
        return;
    }
    run(&AVX512, 1, threads());
}

#[test]
#[ignore = "exhaustive (2^31 inputs): run with cargo test --release -- --ignored"]
fn exhaustive_plain_vs_fused() {
    plain_vs_fused(1);
}
