//! Baked tinyrnn models on a Cortex-M under QEMU.
//!
//! For each model in the image: run the reference input from the initial state, compare with
//! the reference output (exit with failure above 1e-4), then report the network's RAM, the
//! stack a step uses (by stack painting, below the caller's frame) and instructions per step (SysTick
//! under `-icount shift=0` counts one tick per 40 instructions: these are instruction counts,
//! not cycles). `cargo run --release` in this folder does all of it.
#![no_std]
#![no_main]

use core::ptr::addr_of;
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;
use tinyrnn::Network;

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
    ($name:ident, $model:ident) => {
        /// The timed loop, out of line so the instruction-count plugin can find it by name.
        #[no_mangle]
        #[inline(never)]
        fn $name(net: &mut $model::Model, input: &[f32]) -> f32 {
            let mut sum = 0.0;
            let mut y = [0.0f32; 1];
            for x in input {
                net.step(&[*x], &mut y);
                sum += y[0];
            }
            sum
        }
    };
}

/// Checks one model and reports its figures; returns whether it passed.
macro_rules! run_model {
    ($feature:literal, $model:ident, $reference:ident, $bench:ident, $syst:expr) => {{
        bench_fn!($bench, $model);
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
    #[cfg(feature = "gru8")]
    {
        ok &= run_model!("gru8", gru8, gru8_ref, bench_gru8, syst);
    }
    #[cfg(feature = "lstm8")]
    {
        ok &= run_model!("lstm8", lstm8, lstm8_ref, bench_lstm8, syst);
    }
    #[cfg(feature = "lstm32")]
    {
        ok &= run_model!("lstm32", lstm32, lstm32_ref, bench_lstm32, syst);
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
