//! Heap storage for packed weights with the same 64-byte alignment as the `static` structs
//! (host side only: the runtime-sized model).

use std::vec::Vec;

use crate::layer::Aligned;

/// One cache line of floats.
type Line = Aligned<[f32; 16]>;

/// A zero-initialised, 64-byte-aligned run of `len` floats.
#[derive(Clone, Debug, PartialEq)]
pub struct AlignedVec {
    lines: Vec<Line>,
    len: usize,
}

impl AlignedVec {
    /// `len` zeros.
    pub fn zeroed(len: usize) -> Self {
        Self { lines: std::vec![Aligned([0.0; 16]); len.div_ceil(16)], len }
    }

    /// The floats.
    pub fn as_slice(&self) -> &[f32] {
        // SAFETY: `Line` is `repr(C)` around `[f32; 16]` with size 64 = 16 · 4, so the lines
        // are one contiguous, initialised run of `16 · lines.len() >= len` floats.
        unsafe { core::slice::from_raw_parts(self.lines.as_ptr().cast::<f32>(), self.len) }
    }

    /// The floats, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        // SAFETY: as in `as_slice`; the borrow of `self` is exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<f32>(), self.len) }
    }
}
