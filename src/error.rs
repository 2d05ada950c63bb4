//! Errors of the no_std core.

use core::fmt;

/// A slice handed to a weight constructor has the wrong number of values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShapeError {
    /// The PyTorch name of the tensor, e.g. `weight_ih`.
    pub tensor: &'static str,
    /// Expected shape (rows, columns); columns is 1 for vectors.
    pub expected: (usize, usize),
    /// Number of values received.
    pub actual_len: usize,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (r, c) = self.expected;
        write!(f, "{} has {} values, expected shape [{}, {}] ({} values)", self.tensor, self.actual_len, r, c, r * c)
    }
}

impl core::error::Error for ShapeError {}

/// Checks that `v` holds `rows × cols` values.
pub(crate) fn check_len(tensor: &'static str, v: &[f32], rows: usize, cols: usize) -> Result<(), ShapeError> {
    if v.len() == rows * cols {
        Ok(())
    } else {
        Err(ShapeError { tensor, expected: (rows, cols), actual_len: v.len() })
    }
}
