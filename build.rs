//! Sets `cfg(tinyrnn_sized)` in optimised builds (opt-level 1 and up): the LSTM and GRU
//! kernels compiled for common layer sizes (`stream_sizes!` in `src/kernel/simd.rs`, for the
//! runtime-sized `host::Model`) exist only there. Unoptimised, they would run no faster than
//! the runtime-sized kernels, and they took a build script that bakes a model (tinyrnn as a
//! build-dependency, compiled at opt-level 0) 1.2 minutes more to build.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("OPT_LEVEL").is_ok_and(|level| level != "0") {
        println!("cargo:rustc-cfg=tinyrnn_sized");
    }
}
