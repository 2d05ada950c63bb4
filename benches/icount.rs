//! Instruction counts (gungraun, i.e. callgrind): 100 steps of LSTM/GRU/RNN (I = 1) + Dense(H → 1)
//! per kernel tier, and of the runtime-sized `host::Model` of the same layers (`step` per
//! frame, and `process_block`). Unlike timings on this shared machine these are exact and repeatable, so
//! they show what a kernel change does to the work per step (the README's "Instruction
//! counts" table divides them by 100). x86-64 Linux only, and only with `--cfg tinyrnn_icount`
//! (which brings in gungraun; otherwise this is an empty program):
//! `RUSTFLAGS="--cfg tinyrnn_icount" cargo bench --bench icount --target-dir target/icount`, with
//! valgrind and the matching runner (`cargo install gungraun-runner --version 0.20.0`).

#[cfg(all(target_arch = "x86_64", target_os = "linux", tinyrnn_icount))]
mod common;

#[cfg(all(target_arch = "x86_64", target_os = "linux", tinyrnn_icount))]
mod icount {
    use super::common::*;
    use gungraun::{library_benchmark, library_benchmark_group};
    use std::hint::black_box;
    use tinyrnn::*;

    /// Steps per measured call.
    const STEPS: usize = 100;

    /// A warmed-up network and its input: one call runs `STEPS` steps (one indirect call per
    /// `STEPS` steps; the steps themselves are monomorphised for the size).
    pub type Steps = Box<dyn FnMut() -> f32>;

    /// `cell` + Dense(H → 1) on `isa`, stepped over `STEPS` samples of the test signal first
    /// (not counted), so the measured steps start from a realistic state.
    fn model<C: Layer + 'static, const H: usize>(cell: C, isa: Isa) -> Steps {
        let tier = Tier::new(isa).expect("this CPU runs the tier");
        let mut net = Chain::new(cell, Dense::<H, 1>::new(head::<H, 1>())).with_tier(tier);
        let sig = signal();
        for &x in &sig[..STEPS] {
            let _: [f32; 1] = net.step_array(&[x]);
        }
        Box::new(move || {
            let mut acc = 0.0;
            for &x in &sig[STEPS..2 * STEPS] {
                let y: [f32; 1] = net.step_array(&[black_box(x)]);
                acc += y[0];
            }
            acc
        })
    }

    fn lstm<const H: usize>(isa: Isa) -> Steps {
        model::<_, H>(Lstm::<1, H>::new(cell::<1, H, 4, 4>(CellKind::Lstm)), isa)
    }

    fn gru<const H: usize>(isa: Isa) -> Steps {
        model::<_, H>(Gru::<1, H>::new(cell::<1, H, 3, 4>(CellKind::Gru)), isa)
    }

    fn rnn<const H: usize>(isa: Isa) -> Steps {
        const TANH: CellKind = CellKind::Rnn(RnnNonlinearity::Tanh);
        model::<_, H>(Rnn::<1, H>::new(cell::<1, H, 1, { kernel::bias_rows(TANH) }>(TANH)), isa)
    }

    /// Setup (not counted): the LSTM-`h` model on `isa`.
    pub fn setup_lstm(h: usize, isa: Isa) -> Steps {
        match h {
            8 => lstm::<8>(isa),
            16 => lstm::<16>(isa),
            32 => lstm::<32>(isa),
            64 => lstm::<64>(isa),
            128 => lstm::<128>(isa),
            _ => unreachable!("no LSTM-{h} benchmark"),
        }
    }

    /// Setup (not counted): the GRU-`h` model on `isa`.
    pub fn setup_gru(h: usize, isa: Isa) -> Steps {
        match h {
            8 => gru::<8>(isa),
            16 => gru::<16>(isa),
            32 => gru::<32>(isa),
            64 => gru::<64>(isa),
            128 => gru::<128>(isa),
            _ => unreachable!("no GRU-{h} benchmark"),
        }
    }

    /// Setup (not counted): the tanh RNN-`h` model on `isa`.
    pub fn setup_rnn(h: usize, isa: Isa) -> Steps {
        match h {
            32 => rnn::<32>(isa),
            64 => rnn::<64>(isa),
            128 => rnn::<128>(isa),
            _ => unreachable!("no RNN-{h} benchmark"),
        }
    }

    /// The counted part: `STEPS` steps.
    fn run(mut steps: Steps) -> f32 {
        black_box(steps())
    }

    #[library_benchmark]
    #[bench::h8_scalar(args = (8, Isa::Scalar), setup = setup_lstm)]
    #[bench::h8_sse2(args = (8, Isa::Sse2), setup = setup_lstm)]
    #[bench::h8_avx2(args = (8, Isa::Avx2), setup = setup_lstm)]
    #[bench::h16_scalar(args = (16, Isa::Scalar), setup = setup_lstm)]
    #[bench::h16_sse2(args = (16, Isa::Sse2), setup = setup_lstm)]
    #[bench::h16_avx2(args = (16, Isa::Avx2), setup = setup_lstm)]
    #[bench::h32_scalar(args = (32, Isa::Scalar), setup = setup_lstm)]
    #[bench::h32_sse2(args = (32, Isa::Sse2), setup = setup_lstm)]
    #[bench::h32_avx2(args = (32, Isa::Avx2), setup = setup_lstm)]
    #[bench::h64_scalar(args = (64, Isa::Scalar), setup = setup_lstm)]
    #[bench::h64_sse2(args = (64, Isa::Sse2), setup = setup_lstm)]
    #[bench::h64_avx2(args = (64, Isa::Avx2), setup = setup_lstm)]
    #[bench::h128_scalar(args = (128, Isa::Scalar), setup = setup_lstm)]
    #[bench::h128_sse2(args = (128, Isa::Sse2), setup = setup_lstm)]
    #[bench::h128_avx2(args = (128, Isa::Avx2), setup = setup_lstm)]
    pub fn lstm_100_steps(steps: Steps) -> f32 {
        run(steps)
    }

    #[library_benchmark]
    #[bench::h8_scalar(args = (8, Isa::Scalar), setup = setup_gru)]
    #[bench::h8_sse2(args = (8, Isa::Sse2), setup = setup_gru)]
    #[bench::h8_avx2(args = (8, Isa::Avx2), setup = setup_gru)]
    #[bench::h16_scalar(args = (16, Isa::Scalar), setup = setup_gru)]
    #[bench::h16_sse2(args = (16, Isa::Sse2), setup = setup_gru)]
    #[bench::h16_avx2(args = (16, Isa::Avx2), setup = setup_gru)]
    #[bench::h32_scalar(args = (32, Isa::Scalar), setup = setup_gru)]
    #[bench::h32_sse2(args = (32, Isa::Sse2), setup = setup_gru)]
    #[bench::h32_avx2(args = (32, Isa::Avx2), setup = setup_gru)]
    #[bench::h64_scalar(args = (64, Isa::Scalar), setup = setup_gru)]
    #[bench::h64_sse2(args = (64, Isa::Sse2), setup = setup_gru)]
    #[bench::h64_avx2(args = (64, Isa::Avx2), setup = setup_gru)]
    #[bench::h128_scalar(args = (128, Isa::Scalar), setup = setup_gru)]
    #[bench::h128_sse2(args = (128, Isa::Sse2), setup = setup_gru)]
    #[bench::h128_avx2(args = (128, Isa::Avx2), setup = setup_gru)]
    pub fn gru_100_steps(steps: Steps) -> f32 {
        run(steps)
    }

    #[library_benchmark]
    #[bench::h32_scalar(args = (32, Isa::Scalar), setup = setup_rnn)]
    #[bench::h32_sse2(args = (32, Isa::Sse2), setup = setup_rnn)]
    #[bench::h32_avx2(args = (32, Isa::Avx2), setup = setup_rnn)]
    #[bench::h64_scalar(args = (64, Isa::Scalar), setup = setup_rnn)]
    #[bench::h64_sse2(args = (64, Isa::Sse2), setup = setup_rnn)]
    #[bench::h64_avx2(args = (64, Isa::Avx2), setup = setup_rnn)]
    #[bench::h128_scalar(args = (128, Isa::Scalar), setup = setup_rnn)]
    #[bench::h128_sse2(args = (128, Isa::Sse2), setup = setup_rnn)]
    #[bench::h128_avx2(args = (128, Isa::Avx2), setup = setup_rnn)]
    pub fn rnn_100_steps(steps: Steps) -> f32 {
        run(steps)
    }

    library_benchmark_group!(name = steps; benchmarks = lstm_100_steps, gru_100_steps, rnn_100_steps);

    /// The runtime-sized `host::Model` of a cell (I = 1) + Dense(H → 1), the same weights as
    /// the const-generic rows, on `isa`, warmed up like them; `block` runs the counted frames
    /// with one `process_block` call (a 64-frame block and a 36-frame one), else `step` per
    /// frame.
    fn runtime(kind: CellKind, h: usize, isa: Isa, block: bool) -> Steps {
        let spec = model_spec(kind, h);
        let mut model = host::Model::<Fast>::from_spec(&spec).expect("a valid spec");
        model.set_tier(Tier::new(isa).expect("this CPU runs the tier"));
        let sig = signal();
        let mut y = vec![0.0; STEPS];
        model.process_block(&sig[..STEPS], &mut y);
        Box::new(move || {
            let x = black_box(&sig[STEPS..2 * STEPS]);
            if block {
                model.process_block(x, &mut y);
            } else {
                for (x, y) in x.iter().zip(y.iter_mut()) {
                    model.step(core::slice::from_ref(x), core::slice::from_mut(y));
                }
            }
            y.iter().sum()
        })
    }

    /// Setup (not counted): the runtime-sized LSTM-`h` model on `isa`, stepped per frame.
    pub fn setup_runtime_lstm(h: usize, isa: Isa) -> Steps {
        runtime(CellKind::Lstm, h, isa, false)
    }

    /// Setup (not counted): the runtime-sized GRU-`h` model on `isa`, stepped per frame.
    pub fn setup_runtime_gru(h: usize, isa: Isa) -> Steps {
        runtime(CellKind::Gru, h, isa, false)
    }

    /// Setup (not counted): the runtime-sized LSTM-`h` model on `isa`, one `process_block`.
    pub fn setup_block_lstm(h: usize, isa: Isa) -> Steps {
        runtime(CellKind::Lstm, h, isa, true)
    }

    /// Setup (not counted): the runtime-sized GRU-`h` model on `isa`, one `process_block`.
    pub fn setup_block_gru(h: usize, isa: Isa) -> Steps {
        runtime(CellKind::Gru, h, isa, true)
    }

    #[library_benchmark]
    #[bench::lstm_h8_avx2(args = (8, Isa::Avx2), setup = setup_runtime_lstm)]
    #[bench::lstm_h32_avx2(args = (32, Isa::Avx2), setup = setup_runtime_lstm)]
    #[bench::lstm_h128_avx2(args = (128, Isa::Avx2), setup = setup_runtime_lstm)]
    #[bench::gru_h8_sse2(args = (8, Isa::Sse2), setup = setup_runtime_gru)]
    #[bench::gru_h8_avx2(args = (8, Isa::Avx2), setup = setup_runtime_gru)]
    #[bench::gru_h32_avx2(args = (32, Isa::Avx2), setup = setup_runtime_gru)]
    #[bench::gru_h128_avx2(args = (128, Isa::Avx2), setup = setup_runtime_gru)]
    pub fn runtime_100_steps(steps: Steps) -> f32 {
        run(steps)
    }

    #[library_benchmark]
    #[bench::lstm_h8_avx2(args = (8, Isa::Avx2), setup = setup_block_lstm)]
    #[bench::lstm_h32_avx2(args = (32, Isa::Avx2), setup = setup_block_lstm)]
    #[bench::lstm_h128_avx2(args = (128, Isa::Avx2), setup = setup_block_lstm)]
    #[bench::gru_h8_sse2(args = (8, Isa::Sse2), setup = setup_block_gru)]
    #[bench::gru_h8_avx2(args = (8, Isa::Avx2), setup = setup_block_gru)]
    #[bench::gru_h32_avx2(args = (32, Isa::Avx2), setup = setup_block_gru)]
    #[bench::gru_h128_avx2(args = (128, Isa::Avx2), setup = setup_block_gru)]
    pub fn runtime_100_frames_process_block(steps: Steps) -> f32 {
        run(steps)
    }

    library_benchmark_group!(
        name = runtime_model;
        benchmarks = runtime_100_steps, runtime_100_frames_process_block
    );
}

#[cfg(all(target_arch = "x86_64", target_os = "linux", tinyrnn_icount))]
use icount::*;

#[cfg(all(target_arch = "x86_64", target_os = "linux", tinyrnn_icount))]
gungraun::main!(library_benchmark_groups = steps, runtime_model);

#[cfg(not(all(target_arch = "x86_64", target_os = "linux", tinyrnn_icount)))]
fn main() {
    eprintln!("icount: run with RUSTFLAGS=\"--cfg tinyrnn_icount\" on x86-64 Linux (see the README)");
}
