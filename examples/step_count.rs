//! Steps one LSTM or GRU (I = 1) + Dense(H → 1) a given number of times on a named kernel
//! tier, for counting instructions under an emulator: `aarch64_icount.py` runs it under
//! qemu-aarch64 with two step counts and divides the difference of the instruction totals by
//! the difference of the steps, which cancels the start-up and the set-up.
//!
//! `cargo run --release --example step_count -- lstm 32 neon 1000` (cell, H ∈ {8, 16, 32, 64,
//! 128}, tier name as `TINYRNN_TIER` takes it, steps). Prints the sum of the outputs.

use std::hint::black_box;
use tinyrnn::*;

/// Weights from a fixed xorshift sequence, `scale` wide.
fn weights(n: usize, seed: u32, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 - 0.5) * 2.0 * scale
        })
        .collect()
}

/// The network on `tier`, stepped 100 times (warm-up), then `steps` times; the outputs' sum.
fn run<const H: usize, const G: usize, const B: usize, const S: usize>(
    kind: CellKind,
    tier: Tier,
    steps: usize,
) -> f32 {
    let s = 1.0 / (H as f32).sqrt();
    let mut cell = CellWeights::<1, H, G, B>::zeroed(kind);
    cell.set_from_pytorch(
        &weights(G * H, 1, s),
        &weights(G * H * H, 2, s),
        &weights(G * H, 3, 0.2),
        &weights(G * H, 4, 0.2),
    )
    .expect("shapes");
    let mut head = DenseWeights::<H, 1>::zeroed(DenseActivation::Identity);
    head.set_from_pytorch(&weights(H, 5, 0.3), &weights(1, 6, 0.1)).expect("shapes");
    let (cell, head) = (Box::leak(Box::new(cell)), Box::leak(Box::new(head)));
    let mut net = Chain::new(Recurrent::<1, H, G, B, S>::new(cell), Dense::<H, 1>::new(head)).with_tier(tier);
    let mut sum = 0.0;
    for n in 0..100 + steps {
        let y: [f32; 1] = net.step_array(&[black_box((n as f32 * 0.0137).sin() * 0.5)]);
        if n >= 100 {
            sum += y[0];
        }
    }
    sum
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cell, h, tier, steps] = &args[..] else {
        eprintln!("usage: step_count lstm|gru H TIER STEPS");
        std::process::exit(2);
    };
    let Some(tier) = Isa::ALL.into_iter().find(|i| i.name() == tier).and_then(Tier::new) else {
        eprintln!("{tier}: not a tier this CPU runs");
        std::process::exit(2);
    };
    let steps: usize = steps.parse().expect("STEPS is a number");
    let sum = match (cell.as_str(), h.as_str()) {
        ("lstm", "8") => run::<8, 4, 4, 2>(CellKind::Lstm, tier, steps),
        ("lstm", "16") => run::<16, 4, 4, 2>(CellKind::Lstm, tier, steps),
        ("lstm", "32") => run::<32, 4, 4, 2>(CellKind::Lstm, tier, steps),
        ("lstm", "64") => run::<64, 4, 4, 2>(CellKind::Lstm, tier, steps),
        ("lstm", "128") => run::<128, 4, 4, 2>(CellKind::Lstm, tier, steps),
        ("gru", "8") => run::<8, 3, 4, 1>(CellKind::Gru, tier, steps),
        ("gru", "16") => run::<16, 3, 4, 1>(CellKind::Gru, tier, steps),
        ("gru", "32") => run::<32, 3, 4, 1>(CellKind::Gru, tier, steps),
        ("gru", "64") => run::<64, 3, 4, 1>(CellKind::Gru, tier, steps),
        ("gru", "128") => run::<128, 3, 4, 1>(CellKind::Gru, tier, steps),
        _ => {
            eprintln!("{cell}-{h}: no such model here (lstm or gru, H 8, 16, 32, 64, 128)");
            std::process::exit(2);
        }
    };
    println!("{sum}");
}
