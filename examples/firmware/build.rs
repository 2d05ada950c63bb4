//! Picks the board's memory map, bakes the models, and embeds reference inputs/outputs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tinyrnn::activation::ActivationKind;

/// The conformance data beside the repository.
fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

/// (module, model file, reference input, reference output), relative to the conformance data.
const MODELS: [(&str, &str, &str, &str); 3] = [
    ("gru8", "amp-json/gru8_ts9_pytorch.json", "amp-json/gru8_ts9.x.npy", "amp-json/gru8_ts9.y_f64.npy"),
    ("lstm8", "amp-json/lstm8_ts9_pytorch.json", "amp-json/lstm8_ts9.x.npy", "amp-json/lstm8_ts9.y_f64.npy"),
    (
        "lstm32",
        "pytorch/lstm_i1_h32_fc1/model.safetensors",
        "pytorch/lstm_i1_h32_fc1/input.npy",
        "pytorch/lstm_i1_h32_fc1/output.npy",
    ),
];

fn read_npy(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let npy = npyz::NpyFile::new(&bytes[..]).expect("npy header");
    match npy.dtype() {
        npyz::DType::Plain(t) if t.size_field() == 8 => {
            npy.into_vec::<f64>().expect("f64").into_iter().map(|v| v as f32).collect()
        }
        _ => npy.into_vec::<f32>().expect("f32"),
    }
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let target = std::env::var("TARGET").expect("TARGET");
    let memory = if target.starts_with("thumbv8m") { "memory/mps2-an505.x" } else { "memory/mps2-an385-an386-an500.x" };
    std::fs::copy(memory, out.join("memory.x")).expect("memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg=-Tlink.x");
    println!("cargo:rerun-if-changed=memory");
    println!("cargo:rerun-if-changed=build.rs");

    for (module, model, x, y) in MODELS {
        let dir = conformance();
        for f in [model, x, y] {
            println!("cargo:rerun-if-changed={}", dir.join(f).display());
        }
        tinyrnn::host::bake::bake_file(dir.join(model), out.join(format!("{module}.rs")), ActivationKind::Exact)
            .unwrap_or_else(|e| panic!("bake {model}: {e}"));
        let (xs, ys) = (read_npy(&dir.join(x)), read_npy(&dir.join(y)));
        let mut src = String::new();
        for (name, data) in [("INPUT", &xs), ("EXPECTED", &ys)] {
            let _ = write!(src, "pub static {name}: [f32; {}] = [", data.len());
            for v in data.iter() {
                let _ = write!(src, "{v:?},");
            }
            src.push_str("];\n");
        }
        std::fs::write(out.join(format!("{module}_ref.rs")), src).expect("reference data");
    }
}
