//! Demo: a static LSTM-16 + Dense amp-style model, packed entirely at compile time, runs one
//! second of a 110 Hz test tone at 48 kHz, one step per sample, with no heap in the loop.
//!
//! Run: `cargo run --release --example demo`

use std::time::Instant;
use tinyrnn::{Chain, Dense, DenseActivation, DenseWeights, Layer, Lstm, LstmWeights, Network, Residual, Tier};

const H: usize = 16;

/// Deterministic pseudo-random weights in [-s, s), computed by the compiler (a stand-in for
/// trained weights; `tinyrnn bake` writes real ones the same way).
const fn fill<const R: usize, const C: usize, const G: usize>(seed: u64, s: f32) -> [[[f32; C]; R]; G] {
    let mut out = [[[0.0; C]; R]; G];
    let mut x = seed;
    let mut g = 0;
    while g < G {
        let mut r = 0;
        while r < R {
            let mut c = 0;
            while c < C {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                out[g][r][c] = ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * s;
                c += 1;
            }
            r += 1;
        }
        g += 1;
    }
    out
}

static LSTM: LstmWeights<1, H> = LstmWeights::from_pytorch(
    &fill::<H, 1, 4>(1, 1.5),
    &fill::<H, H, 4>(2, 0.4),
    &fill::<4, H, 1>(3, 0.2)[0],
    &fill::<4, H, 1>(4, 0.2)[0],
);
static HEAD: DenseWeights<H, 1> =
    DenseWeights::from_pytorch(&fill::<1, H, 1>(5, 0.3)[0], &[0.0], DenseActivation::Tanh);

/// LSTM-16 → Dense(16 → 1, tanh), plus the input (the amp-model residual).
type Amp = Residual<Chain<Lstm<1, H>, Dense<H, 1>>, 1, 1>;

fn main() {
    const RATE: usize = 48_000;
    let input: Vec<f32> =
        (0..RATE).map(|n| 0.5 * (2.0 * std::f32::consts::PI * 110.0 * n as f32 / RATE as f32).sin()).collect();
    let mut output = vec![0.0f32; RATE];
    // The running CPU's fastest kernel tier for a network this wide (`TINYRNN_TIER` forces one).
    let tier = Tier::detect_for(Amp::WIDTH);
    let mut amp: Amp = Residual::new(Chain::new(Lstm::new(&LSTM), Dense::new(&HEAD))).with_tier(tier);

    // Warm up, then time the same second of audio several times and keep the median.
    let mut times = Vec::new();
    for _ in 0..7 {
        Network::reset(&mut amp);
        let t0 = Instant::now();
        amp.process_block(&input, &mut output);
        times.push(t0.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];

    println!("tinyrnn demo: LSTM-{H} + Dense(tanh) + residual, {RATE} samples of a 110 Hz tone");
    println!("kernel tier: {} (detected for the widest layer, {} units)", tier.isa().name(), Amp::WIDTH);
    println!(
        "weights: {} bytes in .rodata (packed by the compiler), state: {} bytes",
        core::mem::size_of_val(&LSTM) + core::mem::size_of_val(&HEAD),
        core::mem::size_of::<Amp>() - 2 * core::mem::size_of::<usize>()
    );
    println!("{:>6} {:>10} {:>10}", "n", "input", "output");
    for n in (0..436).step_by(48) {
        println!("{n:>6} {:>10.5} {:>10.5}", input[n], output[n]);
    }
    let rms_in = (input.iter().map(|v| v * v).sum::<f32>() / RATE as f32).sqrt();
    let rms_out = (output.iter().map(|v| v * v).sum::<f32>() / RATE as f32).sqrt();
    println!("rms in {rms_in:.4}, rms out {rms_out:.4}");
    println!(
        "{:.1} ns/step (median of 7 runs), real-time factor {:.0}x at 48 kHz",
        median * 1e9 / RATE as f64,
        1.0 / median
    );
}
