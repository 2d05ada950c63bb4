//! Criterion: one step of LSTM/GRU (I = 1) + Dense(H → 1) per call, per kernel tier.
//! The roofline fractions, multi-channel and sequence-mode figures are in `benches/table.rs`.

mod common;

use common::*;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;
use tinyrnn::*;

macro_rules! step_bench {
    ($c:expr, $name:literal, $cell:ident, $kind:expr, $h:literal) => {{
        let w = cell::<1, $h, { $kind.gates() }, { kernel::bias_rows($kind) }>($kind);
        let d = head::<$h, 1>();
        let sig = signal();
        for tier in Tier::available() {
            let mut net = Chain::new($cell::<1, $h>::new(w), Dense::<$h, 1>::new(d)).with_tier(tier);
            let mut n = 0;
            $c.bench_function(&format!("{}{}/{}", $name, $h, tier.isa().name()), |b| {
                b.iter(|| {
                    n += 1;
                    let y: [f32; 1] = net.step_array(&[black_box(sig[n & 4095])]);
                    black_box(y)
                })
            });
        }
    }};
}

fn steps(c: &mut Criterion) {
    step_bench!(c, "lstm", Lstm, CellKind::Lstm, 8);
    step_bench!(c, "lstm", Lstm, CellKind::Lstm, 16);
    step_bench!(c, "lstm", Lstm, CellKind::Lstm, 32);
    step_bench!(c, "lstm", Lstm, CellKind::Lstm, 64);
    step_bench!(c, "lstm", Lstm, CellKind::Lstm, 128);
    step_bench!(c, "gru", Gru, CellKind::Gru, 8);
    step_bench!(c, "gru", Gru, CellKind::Gru, 16);
    step_bench!(c, "gru", Gru, CellKind::Gru, 32);
    step_bench!(c, "gru", Gru, CellKind::Gru, 64);
    step_bench!(c, "gru", Gru, CellKind::Gru, 128);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1)).sample_size(20);
    targets = steps
}
criterion_main!(benches);
