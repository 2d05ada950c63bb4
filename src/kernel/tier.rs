//! Which kernel tier runs: compile-time choice, run-time detection, and the override.

/// An instruction set the kernels are written for. More may come (RISC-V V, SVE), so a
/// `match` on it outside this crate needs a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Isa {
    /// Plain Rust: the specification ([`super::scalar`]); runs everywhere.
    Scalar,
    /// x86-64 SSE2 (every x86-64 CPU).
    Sse2,
    /// x86-64 AVX2 + FMA.
    Avx2,
    /// x86-64 AVX-512F (with AVX2 + FMA).
    Avx512,
    /// AArch64 NEON.
    Neon,
    /// WebAssembly simd128.
    Simd128,
}

impl Isa {
    /// Every ISA, from the plainest.
    pub const ALL: [Isa; 6] = [Isa::Scalar, Isa::Sse2, Isa::Avx2, Isa::Avx512, Isa::Neon, Isa::Simd128];

    /// The lower-case name used by [`TIER_ENV`]: `scalar`, `sse2`, `avx2`, `avx512`, `neon`,
    /// `simd128`.
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse2 => "sse2",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Neon => "neon",
            Isa::Simd128 => "simd128",
        }
    }

    /// The ISA called `name` (see [`Isa::name`]).
    pub fn from_name(name: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// The environment variable that forces a tier in [`Tier::detect`]: one of [`Isa::name`].
pub const TIER_ENV: &str = "TINYRNN_TIER";

/// A kernel tier the running CPU supports.
///
/// A `Tier` can only be obtained for an ISA the CPU runs ([`Tier::new`], [`Tier::detect`],
/// [`Tier::STATIC`]), so the kernels may trust it: it is the proof the SIMD entry points
/// need. Layers store one when they are built and dispatch on it at every step (a branch on a
/// stored value; nothing is detected per sample).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tier(Isa);

impl Tier {
    /// The scalar kernel, the specification.
    pub const SCALAR: Tier = Tier(Isa::Scalar);

    /// The best tier enabled at compile time (`cfg(target_feature)`): what `no_std` builds
    /// and the `const fn new` constructors use. On x86-64 that is SSE2 unless the crate is
    /// built with `-C target-feature=+avx2,+fma` (AVX2) or `+avx512f,+avx2,+fma` (AVX-512),
    /// or a `target-cpu` that has them.
    pub const STATIC: Tier = Tier(
        if cfg!(all(
            target_arch = "x86_64",
            target_feature = "avx512f",
            target_feature = "avx2",
            target_feature = "fma"
        )) {
            Isa::Avx512
        } else if cfg!(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")) {
            Isa::Avx2
        } else if cfg!(target_arch = "x86_64") {
            Isa::Sse2
        } else if cfg!(all(target_arch = "aarch64", target_feature = "neon")) {
            Isa::Neon
        } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
            Isa::Simd128
        } else {
            Isa::Scalar
        },
    );

    /// The tier for `isa` if the running CPU supports it (with `std`, detected at run time;
    /// without, only what is enabled at compile time).
    pub fn new(isa: Isa) -> Option<Tier> {
        let ok = match isa {
            Isa::Scalar => true,
            Isa::Sse2 => cfg!(target_arch = "x86_64"),
            Isa::Avx2 => avx2_available(),
            Isa::Avx512 => avx2_available() && avx512_available(),
            Isa::Neon => cfg!(all(target_arch = "aarch64", target_feature = "neon")),
            Isa::Simd128 => cfg!(all(target_arch = "wasm32", target_feature = "simd128")),
        };
        ok.then_some(Tier(isa))
    }

    /// The instruction set.
    pub const fn isa(self) -> Isa {
        self.0
    }

    /// Every tier the running CPU supports, from the plainest.
    pub fn available() -> impl Iterator<Item = Tier> {
        Isa::ALL.into_iter().filter_map(Tier::new)
    }

    /// The best tier of the running CPU, or the one named by the `TINYRNN_TIER` environment
    /// variable ([`TIER_ENV`]). Detected on the first call and cached for the process: call
    /// it when building a network, not on the audio thread's first sample.
    ///
    /// Panics if `TINYRNN_TIER` names an unknown tier or one this CPU cannot run (so a test
    /// run never silently exercises another tier than the one asked for); [`Tier::try_detect`]
    /// returns that as an error instead.
    #[cfg(feature = "std")]
    pub fn detect() -> Tier {
        Tier::try_detect().unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Tier::detect`], with a `TINYRNN_TIER` that names no tier this CPU runs as an error
    /// (what the host-side loaders return, see [`crate::host::LoadError::Tier`]). Cached like
    /// `detect`: the variable is read once per process.
    #[cfg(feature = "std")]
    pub fn try_detect() -> Result<Tier, TierEnvError> {
        detected().map(|(tier, _)| tier)
    }

    /// [`Tier::detect`] for a network whose widest layer computes `width` units per step (its
    /// largest hidden size or Dense output count, times the channels of a multi-channel layer,
    /// whose groups of channels fill AVX-512's vectors): the same tier, except that on Intel
    /// CPUs with AVX-512 a network narrower than [`AVX512_MIN_WIDTH`] runs on AVX2, which is
    /// faster there. A tier forced by `TINYRNN_TIER` is kept as it is.
    ///
    /// The choice is the whole network's: mixing the two within a step costs more on those
    /// CPUs than either alone. AVX2 and AVX-512 give the same bits for every layer except a
    /// one-output Dense layer, whose dot product they sum in a different order.
    #[cfg(feature = "std")]
    pub fn detect_for(width: usize) -> Tier {
        Tier::try_detect_for(width).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Tier::detect_for`], with a bad `TINYRNN_TIER` as an error (like [`Tier::try_detect`]).
    #[cfg(feature = "std")]
    pub fn try_detect_for(width: usize) -> Result<Tier, TierEnvError> {
        let (tier, forced) = detected()?;
        Ok(if forced { tier } else { tier.for_width(width, avx512_slow_when_narrow()) })
    }

    /// The tier for a network of `width` units, from the best tier `self`: AVX2 instead of
    /// AVX-512 below [`AVX512_MIN_WIDTH`] where `avx512_slow_when_narrow` (Intel).
    pub fn for_width(self, width: usize, avx512_slow_when_narrow: bool) -> Tier {
        if self.0 == Isa::Avx512 && avx512_slow_when_narrow && width < AVX512_MIN_WIDTH {
            // An AVX-512 tier exists only where AVX2 and FMA do too.
            Tier(Isa::Avx2)
        } else {
            self
        }
    }

    /// The tier `TINYRNN_TIER` asks for when it holds `value` (unset or empty: the best one
    /// this CPU runs): what [`Tier::try_detect`] returns for the variable's value, without
    /// reading the environment.
    #[cfg(feature = "std")]
    pub fn from_env_value(value: Option<&str>) -> Result<Tier, TierEnvError> {
        match value {
            Some(name) if !name.is_empty() => {
                let isa = Isa::from_name(name).ok_or_else(|| TierEnvError::Unknown(name.into()))?;
                Tier::new(isa).ok_or(TierEnvError::Unsupported(isa))
            }
            _ => Ok(Tier::available().last().unwrap_or(Tier::SCALAR)),
        }
    }
}

/// The narrowest network (units in its widest layer) that [`Tier::detect_for`] runs on AVX-512
/// on Intel CPUs; narrower ones run on AVX2. Measured on a Sapphire Rapids-class Xeon (one
/// stream, I = 1, + Dense, LSTM and GRU): AVX-512 took 1.09–1.29× AVX2's time at H = 8, 16,
/// 20 and 24, but 0.64–0.76× at 28 and 32, where AVX2 runs a partial block of two vectors.
/// On Zen 5 AVX-512 was as fast at H = 8 and faster from 16 on, so AMD CPUs keep AVX-512.
pub const AVX512_MIN_WIDTH: usize = 25;

/// The detected tier, cached for the process, and whether `TINYRNN_TIER` forced it.
#[cfg(feature = "std")]
fn detected() -> Result<(Tier, bool), TierEnvError> {
    static DETECTED: std::sync::OnceLock<Result<(Tier, bool), TierEnvError>> = std::sync::OnceLock::new();
    DETECTED
        .get_or_init(|| {
            let value = std::env::var(TIER_ENV).ok();
            let forced = value.as_deref().is_some_and(|v| !v.is_empty());
            Tier::from_env_value(value.as_deref()).map(|tier| (tier, forced))
        })
        .clone()
}

/// Whether this is an Intel CPU, where AVX-512 is slower than AVX2 for narrow networks.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn avx512_slow_when_narrow() -> bool {
    // (`__cpuid` is a safe function in recent Rust, an unsafe one in older releases.)
    #[allow(unused_unsafe)]
    // SAFETY: every x86-64 CPU has the CPUID instruction; leaf 0 always exists.
    let r = unsafe { core::arch::x86_64::__cpuid(0) };
    // The vendor string "GenuineIntel", in EBX, EDX, ECX.
    (r.ebx, r.edx, r.ecx) == (0x756e_6547, 0x4965_6e69, 0x6c65_746e)
}

#[cfg(all(not(target_arch = "x86_64"), feature = "std"))]
fn avx512_slow_when_narrow() -> bool {
    false
}

/// `TINYRNN_TIER` ([`TIER_ENV`]) names no tier this CPU runs.
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TierEnvError {
    /// Not one of the names of [`Isa::name`].
    Unknown(std::string::String),
    /// A tier this CPU (or, for NEON and simd128, this build) cannot run.
    Unsupported(Isa),
}

#[cfg(feature = "std")]
impl core::fmt::Display for TierEnvError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TierEnvError::Unknown(name) => {
                write!(f, "{TIER_ENV}={name}: not one of ")?;
                for (i, isa) in Isa::ALL.iter().enumerate() {
                    write!(f, "{}{}", if i > 0 { ", " } else { "" }, isa.name())?;
                }
                Ok(())
            }
            TierEnvError::Unsupported(isa) => write!(f, "{TIER_ENV}={}: this CPU cannot run that tier", isa.name()),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TierEnvError {}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn avx2_available() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(not(all(target_arch = "x86_64", feature = "std")))]
fn avx2_available() -> bool {
    cfg!(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn avx512_available() -> bool {
    std::is_x86_feature_detected!("avx512f")
}

#[cfg(not(all(target_arch = "x86_64", feature = "std")))]
fn avx512_available() -> bool {
    cfg!(all(target_arch = "x86_64", target_feature = "avx512f"))
}
