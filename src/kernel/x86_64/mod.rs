//! x86-64 tiers: SSE2 (every x86-64 CPU) and AVX2+FMA (detected at run time with `std`, or
//! enabled at compile time with `-C target-feature=+avx2,+fma`).

pub(crate) mod avx2;
pub(crate) mod sse2;
