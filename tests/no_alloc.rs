//! Proves no heap use in `step` / `process_block`: an LSTM-32 network runs many steps under
//! a global allocator that fails every allocation made while the test thread is armed.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use tinyrnn::*;

struct FailWhenArmed;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator, or returns null (an allocation failure, which
// aborts the test) while this thread is armed.
unsafe impl GlobalAlloc for FailWhenArmed {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(Cell::get) {
            return std::ptr::null_mut();
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: FailWhenArmed = FailWhenArmed;

fn armed<R>(f: impl FnOnce() -> R) -> R {
    ARMED.with(|a| a.set(true));
    let r = f();
    ARMED.with(|a| a.set(false));
    r
}

#[test]
fn the_allocator_really_fails_when_armed() {
    let p = armed(|| {
        // SAFETY: a valid non-zero layout; the pointer is only compared, never used.
        unsafe { ALLOC.alloc(Layout::new::<u64>()) }
    });
    assert!(p.is_null());
}

#[test]
fn lstm32_steps_and_blocks_without_allocating() {
    let mut rng = Rng(42);
    let mut lstm = LstmWeights::<1, 32>::zeroed(CellKind::Lstm);
    lstm.set_from_pytorch(&rng.vec(128, 0.5), &rng.vec(128 * 32, 0.5), &rng.vec(128, 0.5), &rng.vec(128, 0.5))
        .expect("shapes");
    let mut head = DenseWeights::<32, 1>::zeroed(DenseActivation::Identity);
    head.set_from_pytorch(&rng.vec(32, 0.5), &rng.vec(1, 0.5)).expect("shapes");
    let lstm: &'static LstmWeights<1, 32> = leak(lstm);
    let head: &'static DenseWeights<32, 1> = leak(head);
    let tier = common::tier(); // detection (and reading TINYRNN_TIER) happens before arming
    let mut net =
        Residual::<_, 1, 1>::new(Chain::new(Lstm::<1, 32>::new(lstm), Dense::<32, 1>::new(head))).with_tier(tier);
    let mut stereo = Chain::new(LstmMulti::<1, 32, 2>::new(lstm), DenseMulti::<32, 1, 2>::new(head)).with_tier(tier);
    let mut seq = Lstm::<1, 32>::new(lstm).with_tier(tier);
    let frames: Vec<[f32; 1]> = (0..100).map(|n| [n as f32 * 0.01]).collect();
    let mut hs = vec![[0.0f32; 32]; frames.len()];

    let input: Vec<f32> = (0..4800).map(|n| (n as f32 * 0.0144).sin() * 0.5).collect();
    let mut output = vec![0.0; input.len()];
    let energy = armed(|| {
        let mut e = 0.0;
        for x in &input {
            let y: [f32; 1] = net.step_array(&[*x]);
            e += y[0] * y[0];
        }
        net.process_block(&input, &mut output);
        for x in input.chunks_exact(2) {
            let y: [f32; 2] = stereo.step_array(&[x[0], x[1]]);
            e += y[0] * y[1];
        }
        seq.process_sequence(&frames, &mut hs);
        let snap = net.snapshot();
        Network::reset(&mut net);
        net.restore(&snap);
        e
    });
    assert!(energy > 0.0 && energy.is_finite());
    assert!(output.iter().any(|&v| v != 0.0));
}
