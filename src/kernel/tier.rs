//! Which kernel tier runs: compile-time choice, run-time detection, and the override.

/// An instruction set the kernels are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust: the specification ([`super::scalar`]); runs everywhere.
    Scalar,
    /// x86-64 SSE2 (every x86-64 CPU).
    Sse2,
    /// x86-64 AVX2 + FMA.
    Avx2,
    /// AArch64 NEON.
    Neon,
    /// WebAssembly simd128.
    Simd128,
}

impl Isa {
    /// Every ISA, from the plainest.
    pub const ALL: [Isa; 5] = [Isa::Scalar, Isa::Sse2, Isa::Avx2, Isa::Neon, Isa::Simd128];

    /// The lower-case name used by [`TIER_ENV`]: `scalar`, `sse2`, `avx2`, `neon`, `simd128`.
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse2 => "sse2",
            Isa::Avx2 => "avx2",
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
    /// built with `-C target-feature=+avx2,+fma` (or a `target-cpu` that has them).
    pub const STATIC: Tier =
        Tier(if cfg!(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")) {
            Isa::Avx2
        } else if cfg!(target_arch = "x86_64") {
            Isa::Sse2
        } else if cfg!(all(target_arch = "aarch64", target_feature = "neon")) {
            Isa::Neon
        } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
            Isa::Simd128
        } else {
            Isa::Scalar
        });

    /// The tier for `isa` if the running CPU supports it (with `std`, detected at run time;
    /// without, only what is enabled at compile time).
    pub fn new(isa: Isa) -> Option<Tier> {
        let ok = match isa {
            Isa::Scalar => true,
            Isa::Sse2 => cfg!(target_arch = "x86_64"),
            Isa::Avx2 => avx2_available(),
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
    /// run never silently exercises another tier than the one asked for).
    #[cfg(feature = "std")]
    pub fn detect() -> Tier {
        static DETECTED: std::sync::OnceLock<Tier> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| match std::env::var(TIER_ENV) {
            Ok(name) if !name.is_empty() => {
                let isa = Isa::from_name(&name)
                    .unwrap_or_else(|| panic!("{TIER_ENV}={name}: not one of scalar, sse2, avx2, neon, simd128"));
                Tier::new(isa).unwrap_or_else(|| panic!("{TIER_ENV}={name}: this CPU cannot run that tier"))
            }
            _ => Tier::available().last().unwrap_or(Tier::SCALAR),
        })
    }
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
fn avx2_available() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(not(all(target_arch = "x86_64", feature = "std")))]
fn avx2_available() -> bool {
    cfg!(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))
}
