//! AArch64 tier: NEON (part of the AArch64 baseline).

pub(crate) mod neon;
