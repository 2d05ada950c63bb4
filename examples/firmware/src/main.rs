//! Baked tinyrnn models on a Cortex-M under QEMU.
//!
//! For each model in the image: run the reference input from the initial state, compare with
//! the reference output (exit with failure above 1e-4), then report the network's RAM, the
//! stack a step uses (by stack painting, below the caller's frame) and instructions per step (SysTick
//! under `-icount shift=0` counts one tick per 40 instructions: these are instruction counts,
//! not cycles). Before the models, a self-test steps random cells of every kind and many sizes
//! (blocks of 16, 8 and other widths, input tails) through the target's kernel and through
//! the portable scalar loops, and requires the same bits (on Arm hard-float targets that
//! checks the VFP inner loop, `kernel/arm`). `cargo run --release` in this folder does all
//! of it.
#![no_std]
#![no_main]

use core::ptr::addr_of;
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
#[cfg(feature = "selftest")]
use tinyrnn::kernel::{bias_rows, scalar, CellView};
use tinyrnn::Network;
#[cfg(feature = "selftest")]
use tinyrnn::{CellKind, Fast, RnnNonlinearity};

macro_rules! baked {
    ($feature:literal, $model:ident, $reference:ident) => {
        #[cfg(feature = $feature)]
        mod $model {
            include!(concat!(env!("OUT_DIR"), "/", $feature, ".rs"));
        }
        #[cfg(feature = $feature)]
        mod $reference {
            include!(concat!(env!("OUT_DIR"), "/", $feature, "_ref.rs"));
        }
    };
}
baked!("gru8", gru8, gru8_ref);
baked!("lstm8", lstm8, lstm8_ref);
baked!("lstm32", lstm32, lstm32_ref);

/// Largest accepted |y − y_ref|.
const TOLERANCE: f32 = 1e-4;
/// Steps timed per model.
const BENCH_STEPS: usize = 1000;
/// SysTick runs at 25 MHz; under `-icount shift=0` the core retires one instruction per ns.
const INSNS_PER_TICK: u32 = 40;
const PAINT: u32 = 0xDEAD_BEEF;

extern "C" {
    /// Lowest address of the stack (cortex-m-rt).
    static _stack_end: u32;
    /// Highest address of the stack (cortex-m-rt).
    static _stack_start: u32;
}

/// Fills the unused stack below the current frame with a pattern; returns the stack pointer.
#[inline(never)]
fn paint_stack() -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = addr_of!(_stack_end) as usize;
    // Leave a margin below this function's own frame.
    while p < sp - 64 {
        // SAFETY: [_stack_end, sp - 64) is stack memory no live frame uses (the stack grows
        // down from `_stack_start` and we are its deepest frame); aligned, 4-byte writes.
        unsafe { (p as *mut u32).write_volatile(PAINT) };
        p += 4;
    }
    sp
}

/// Bytes of stack used below `sp` since [`paint_stack`]: down to the deepest overwritten word.
fn stack_used_below(sp: usize) -> usize {
    let mut p = addr_of!(_stack_end) as usize;
    // SAFETY: [_stack_end, sp) is stack RAM; aligned 4-byte reads.
    while p < sp && unsafe { (p as *const u32).read_volatile() } == PAINT {
        p += 4;
    }
    sp - p
}

/// Runs the reference and returns the largest error.
fn check<N: Network>(net: &mut N, input: &[f32], expected: &[f32]) -> f32 {
    let mut err = 0.0f32;
    let mut y = [0.0f32; 1];
    for (x, e) in input.iter().zip(expected) {
        net.step(&[*x], &mut y);
        err = err.max((y[0] - e).abs());
    }
    err
}

/// Largest sizes the self-test draws.
#[cfg(feature = "selftest")]
const ST_MAX_I: usize = 5;
#[cfg(feature = "selftest")]
const ST_MAX_H: usize = 40;

/// Random cells of every kind and many sizes, three steps each, through `scalar::cell_step`
/// (the target's inner loop) and `scalar::cell_step_portable`: the same bits required.
/// Returns the number of cells checked, or the first mismatch.
#[cfg(feature = "selftest")]
fn kernel_selftest() -> Result<usize, (CellKind, usize, usize)> {
    static mut WX: [f32; 4 * ST_MAX_H * ST_MAX_I] = [0.0; 4 * ST_MAX_H * ST_MAX_I];
    static mut WH: [f32; 4 * ST_MAX_H * ST_MAX_H] = [0.0; 4 * ST_MAX_H * ST_MAX_H];
    static mut B: [f32; 4 * ST_MAX_H] = [0.0; 4 * ST_MAX_H];
    // SAFETY: single-threaded firmware; these statics are only touched here, once, and no
    // other reference to them exists while these live.
    let (wx, wh, b) = unsafe {
        (&mut *core::ptr::addr_of_mut!(WX), &mut *core::ptr::addr_of_mut!(WH), &mut *core::ptr::addr_of_mut!(B))
    };
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move |scale: f32| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        ((seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
    };
    let kinds = [CellKind::Lstm, CellKind::Gru, CellKind::Cifg, CellKind::Rnn(RnnNonlinearity::Tanh)];
    let mut checked = 0;
    for kind in kinds {
        for &hid in &[1usize, 3, 4, 7, 8, 9, 12, 15, 16, 17, 20, 24, 31, 32, 33, 40] {
            for inputs in [0usize, 1, 2, 3, 4, 5] {
                let g = kind.gates();
                let (wx, wh, b) =
                    (&mut wx[..g * hid * inputs], &mut wh[..g * hid * hid], &mut b[..bias_rows(kind) * hid]);
                let scale = 2.0 / (1 + inputs + hid) as f32;
                wx.iter_mut().chain(wh.iter_mut()).for_each(|v| *v = rnd(4.0 * scale));
                b.iter_mut().for_each(|v| *v = rnd(1.0));
                let w = CellView { kind, inputs, hidden: hid, wx, wh, b };
                let cs = if kind.has_cell_state() { hid } else { 0 };
                let (mut h1, mut h2, mut c1, mut c2) =
                    ([0.0f32; ST_MAX_H], [0.0f32; ST_MAX_H], [0.0f32; ST_MAX_H], [0.0f32; ST_MAX_H]);
                for step in 0..3 {
                    let mut x = [0.0f32; ST_MAX_I];
                    x.iter_mut().for_each(|v| *v = rnd(2.0));
                    let x = &x[..inputs];
                    let (mut o1, mut o2) = ([0.0f32; ST_MAX_H], [0.0f32; ST_MAX_H]);
                    if step == 0 {
                        h1.iter_mut().for_each(|v| *v = rnd(1.0));
                        h2 = h1;
                    }
                    scalar::cell_step::<Fast>(&w, x, &h1[..hid], &mut c1[..cs], &mut o1[..hid]);
                    scalar::cell_step_portable::<Fast>(&w, x, &h2[..hid], &mut c2[..cs], &mut o2[..hid]);
                    let same = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
                    if !same(&o1[..hid], &o2[..hid]) || !same(&c1[..cs], &c2[..cs]) {
                        return Err((kind, inputs, hid));
                    }
                    h1 = o1;
                    h2 = o2;
                }
                checked += 1;
            }
        }
    }
    Ok(checked)
}

/// SysTick wrap-arounds (every 2^24 ticks); written only by the SysTick handler.
static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    // Load + store, not read-modify-write: Cortex-M0 has no atomic RMW, and main only reads.
    WRAPS.store(WRAPS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Instructions per step (all-inclusive: the step and everything it calls, plus a loop add).
fn instructions_per_step(syst: &mut SYST, steps: usize, run: impl FnOnce() -> f32) -> (u64, f32) {
    const RELOAD: u32 = 0x00FF_FFFF;
    syst.set_reload(RELOAD);
    syst.clear_current();
    WRAPS.store(0, Ordering::Relaxed);
    syst.enable_interrupt();
    syst.enable_counter();
    let sink = run();
    let now = SYST::get_current();
    syst.disable_counter();
    syst.disable_interrupt();
    // SysTick counts down from RELOAD; each wrap adds RELOAD + 1 ticks.
    let ticks = WRAPS.load(Ordering::Relaxed) as u64 * (RELOAD as u64 + 1) + (RELOAD - now) as u64;
    (ticks * INSNS_PER_TICK as u64 / steps as u64, sink)
}

macro_rules! bench_fn {
    ($name:ident, $step:ident, $model:ident) => {
        /// One step, out of line so the instruction-count plugin can count each call of it
        /// from its entry to its return (figures.py).
        #[no_mangle]
        #[inline(never)]
        fn $step(net: &mut $model::Model, x: f32) -> f32 {
            let mut y = [0.0f32; 1];
            net.step(&[x], &mut y);
            y[0]
        }

        /// The timed loop, out of line so figures.py can find the call sites of the step.
        #[no_mangle]
        #[inline(never)]
        fn $name(net: &mut $model::Model, input: &[f32]) -> f32 {
            let mut sum = 0.0;
            for x in input {
                sum += $step(net, *x);
            }
            sum
        }
    };
}

/// Checks one model and reports its figures; returns whether it passed.
macro_rules! run_model {
    ($feature:literal, $model:ident, $reference:ident, $bench:ident, $step:ident, $syst:expr) => {{
        bench_fn!($bench, $step, $model);
        let mut net = $model::new();
        let sp = paint_stack();
        let err = check(&mut net, &$reference::INPUT, &$reference::EXPECTED);
        let stack = stack_used_below(sp);
        net.reset();
        let input = &$reference::INPUT[..BENCH_STEPS.min($reference::INPUT.len())];
        let (insns, sink) = instructions_per_step($syst, input.len(), || $bench(&mut net, input));
        hprintln!(
            "model={} max_abs_err={:e} steps={} ram_state_bytes={} stack_bytes={} insns_per_step={} (sink {})",
            $feature,
            err,
            $reference::INPUT.len(),
            core::mem::size_of::<$model::Model>(),
            stack,
            insns,
            sink
        );
        err <= TOLERANCE
    }};
}

#[entry]
fn main() -> ! {
    let mut cp = cortex_m::Peripherals::take().expect("core peripherals, taken once");
    cp.SYST.set_clock_source(SystClkSource::Core);
    let syst = &mut cp.SYST;
    let mut ok = true;
    #[cfg(feature = "selftest")]
    match kernel_selftest() {
        Ok(n) => hprintln!("kernel self-test: {} random cells, target kernel == portable scalar, bit for bit", n),
        Err((kind, i, h)) => {
            hprintln!("kernel self-test FAILED: {:?} I={} H={}", kind, i, h);
            ok = false;
        }
    }
    #[cfg(feature = "gru8")]
    {
        ok &= run_model!("gru8", gru8, gru8_ref, bench_gru8, step_gru8, syst);
    }
    #[cfg(feature = "lstm8")]
    {
        ok &= run_model!("lstm8", lstm8, lstm8_ref, bench_lstm8, step_lstm8, syst);
    }
    #[cfg(feature = "lstm32")]
    {
        ok &= run_model!("lstm32", lstm32, lstm32_ref, bench_lstm32, step_lstm32, syst);
    }
    let _ = syst;
    hprintln!("{}", if ok { "firmware: all models within 1e-4" } else { "firmware: FAILED" });
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {
        cortex_m::asm::wfi();
    }
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("HardFault at {:#010x}", frame.pc());
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
