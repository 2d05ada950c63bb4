//! Model-file loaders against the conformance data (`../shared/conformance`, or the folder
//! named by `TINYRNN_CONFORMANCE`): IR kinds and sizes, spot-checked weights against the raw
//! files, end-to-end outputs through a test-only f64 reference forward pass, and error
//! messages for bad inputs. Run with `--nocapture` to see the measured errors.
#![cfg(feature = "formats")]

use std::path::{Path, PathBuf};

use serde_json::Value;
use tinyrnn::host::io::safetensors::f16_to_f32;
use tinyrnn::host::io::{self, Format};
use tinyrnn::host::{DenseSpec, LayerSpec, LoadError, ModelSpec, RecurrentSpec};
use tinyrnn::{CellKind, DenseActivation, RnnNonlinearity};

// ---------------------------------------------------------------------------------------
// Helpers

fn conformance() -> PathBuf {
    let dir = std::env::var_os("TINYRNN_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    assert!(
        dir.join("README.md").exists(),
        "conformance data not found at {} (set TINYRNN_CONFORMANCE)",
        dir.display()
    );
    dir
}

fn load(path: &Path) -> ModelSpec {
    io::load_model(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn raw_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `(shape, values as f64)` of a little-endian f4/f8 .npy file.
fn read_npy(path: &Path) -> (Vec<usize>, Vec<f64>) {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let descr = npy.dtype().descr();
    let data = if descr.contains("f4") {
        npy.into_vec::<f32>().unwrap().into_iter().map(f64::from).collect()
    } else if descr.contains("f8") {
        npy.into_vec::<f64>().unwrap()
    } else {
        panic!("{}: unexpected dtype {descr}", path.display())
    };
    (shape, data)
}

/// Rows of an npy (T, F) array.
fn npy_rows(path: &Path) -> Vec<Vec<f64>> {
    let (shape, data) = read_npy(path);
    let f = if shape.len() == 2 { shape[1] } else { 1 };
    data.chunks(f).map(<[f64]>::to_vec).collect()
}

/// One value per line.
fn read_csv(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').next().unwrap().trim().parse().unwrap())
        .collect()
}

fn recurrent(l: &LayerSpec) -> &RecurrentSpec {
    match l {
        LayerSpec::Recurrent(r) => r,
        LayerSpec::Dense(_) => panic!("expected a recurrent layer"),
    }
}

fn dense(l: &LayerSpec) -> &DenseSpec {
    match l {
        LayerSpec::Dense(d) => d,
        LayerSpec::Recurrent(_) => panic!("expected a dense layer"),
    }
}

fn json_f32(v: &Value) -> f32 {
    v.as_f64().unwrap() as f32
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------
// Test-only f64 reference forward pass (the spec's semantics, written for clarity).

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `W x` for row-major `W` (rows × x.len()), f32 weights accumulated in f64.
fn matvec(w: &[f32], x: &[f64]) -> Vec<f64> {
    w.chunks(x.len()).map(|row| row.iter().zip(x).map(|(a, b)| f64::from(*a) * b).sum()).collect()
}

struct RefState {
    h: Vec<Vec<f64>>,
    c: Vec<Vec<f64>>,
}

fn ref_step(spec: &ModelSpec, st: &mut RefState, x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    let mut k = 0;
    for layer in &spec.layers {
        match layer {
            LayerSpec::Recurrent(r) => {
                let hs = r.hidden_size;
                let h = &st.h[k];
                let c = &st.c[k];
                let gi: Vec<f64> =
                    matvec(&r.weight_ih, &v).iter().zip(&r.bias_ih).map(|(a, b)| a + f64::from(*b)).collect();
                let gh: Vec<f64> =
                    matvec(&r.weight_hh, h).iter().zip(&r.bias_hh).map(|(a, b)| a + f64::from(*b)).collect();
                let (nh, nc) = match r.kind {
                    CellKind::Rnn(nl) => {
                        let h2 = (0..hs)
                            .map(|j| {
                                let a = gi[j] + gh[j];
                                match nl {
                                    RnnNonlinearity::Tanh => a.tanh(),
                                    RnnNonlinearity::Relu => a.max(0.0),
                                }
                            })
                            .collect();
                        (h2, c.clone())
                    }
                    CellKind::Gru => {
                        let h2 = (0..hs)
                            .map(|j| {
                                let rg = sigmoid(gi[j] + gh[j]);
                                let z = sigmoid(gi[hs + j] + gh[hs + j]);
                                let n = (gi[2 * hs + j] + rg * gh[2 * hs + j]).tanh();
                                (1.0 - z) * n + z * h[j]
                            })
                            .collect();
                        (h2, c.clone())
                    }
                    CellKind::Lstm | CellKind::Cifg => {
                        let cifg = r.kind == CellKind::Cifg;
                        let a = |g: usize, j: usize| gi[g * hs + j] + gh[g * hs + j];
                        let mut h2 = vec![0.0; hs];
                        let mut c2 = vec![0.0; hs];
                        for j in 0..hs {
                            let (i, f, g, o) = if cifg {
                                let i = sigmoid(a(0, j));
                                (i, 1.0 - i, a(1, j).tanh(), sigmoid(a(2, j)))
                            } else {
                                (sigmoid(a(0, j)), sigmoid(a(1, j)), a(2, j).tanh(), sigmoid(a(3, j)))
                            };
                            c2[j] = f * c[j] + i * g;
                            h2[j] = o * c2[j].tanh();
                        }
                        (h2, c2)
                    }
                };
                st.h[k] = nh;
                st.c[k] = nc;
                v = st.h[k].clone();
                k += 1;
            }
            LayerSpec::Dense(d) => {
                let mut y: Vec<f64> =
                    matvec(&d.weight, &v).iter().zip(&d.bias).map(|(a, b)| a + f64::from(*b)).collect();
                match d.activation {
                    DenseActivation::Identity => {}
                    DenseActivation::Tanh => y.iter_mut().for_each(|x| *x = x.tanh()),
                    DenseActivation::Sigmoid => y.iter_mut().for_each(|x| *x = sigmoid(*x)),
                    DenseActivation::Relu => y.iter_mut().for_each(|x| *x = x.max(0.0)),
                    DenseActivation::Elu => y.iter_mut().for_each(|x| *x = if *x > 0.0 { *x } else { x.exp_m1() }),
                    DenseActivation::Softmax => {
                        let m = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        y.iter_mut().for_each(|x| *x = (*x - m).exp());
                        let s: f64 = y.iter().sum();
                        y.iter_mut().for_each(|x| *x /= s);
                    }
                }
                v = y;
            }
        }
    }
    for j in 0..spec.skip {
        v[j] += x[j];
    }
    v
}

/// Test-only f64 reference: resets (initial state from the spec, then `spec.prewarm` zero
/// samples), then runs `inputs` (T × I) and returns T × O outputs.
fn ref_forward_f64(spec: &ModelSpec, inputs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut st = RefState { h: vec![], c: vec![] };
    for l in &spec.layers {
        if let LayerSpec::Recurrent(r) = l {
            let z = vec![0.0; r.hidden_size];
            let f = |v: &Option<Vec<f32>>| v.as_ref().map_or(z.clone(), |v| v.iter().map(|&x| f64::from(x)).collect());
            st.h.push(f(&r.initial_h));
            st.c.push(f(&r.initial_c));
        }
    }
    let zero = vec![0.0; spec.input_size];
    for _ in 0..spec.prewarm {
        ref_step(spec, &mut st, &zero);
    }
    inputs.iter().map(|x| ref_step(spec, &mut st, x)).collect()
}

// ---------------------------------------------------------------------------------------
// pytorch/

#[test]
fn pytorch_safetensors_cases() {
    let root = conformance().join("pytorch");
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 7);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let case = raw_json(&dir.join("case.json"));
        let model_path = dir.join("model.safetensors");
        assert_eq!(io::detect_format(&std::fs::read(&model_path).unwrap()), Some(Format::Safetensors));
        let spec = load(&model_path);
        assert_eq!(spec.source, "PyTorch safetensors");
        let i = case["input_size"].as_u64().unwrap() as usize;
        let h = case["hidden_size"].as_u64().unwrap() as usize;
        let n = case["num_layers"].as_u64().unwrap() as usize;
        let head = case["head"].as_u64().map(|x| x as usize);
        let want_kind = match (case["cell"].as_str().unwrap(), case["nonlinearity"].as_str()) {
            ("rnn", Some("relu")) => CellKind::Rnn(RnnNonlinearity::Relu),
            ("rnn", _) => CellKind::Rnn(RnnNonlinearity::Tanh),
            ("gru", _) => CellKind::Gru,
            ("lstm", _) => CellKind::Lstm,
            (c, _) => panic!("{c}"),
        };
        assert_eq!(spec.input_size, i, "{name}");
        assert_eq!(spec.layers.len(), n + usize::from(head.is_some()), "{name}");
        assert_eq!(spec.skip, 0);
        assert_eq!(spec.prewarm, 0);
        for (k, l) in spec.layers[..n].iter().enumerate() {
            let r = recurrent(l);
            assert_eq!(r.kind, want_kind, "{name}");
            assert_eq!(r.hidden_size, h);
            assert_eq!(r.input_size, if k == 0 { i } else { h });
            assert!(r.initial_h.is_none() && r.initial_c.is_none());
        }
        if let Some(o) = head {
            let d = dense(&spec.layers[n]);
            assert_eq!((d.input_size, d.output_size), (h, o), "{name}");
            let act = match case["head_activation"].as_str() {
                Some("tanh") => DenseActivation::Tanh,
                Some("sigmoid") => DenseActivation::Sigmoid,
                Some("relu") => DenseActivation::Relu,
                None => DenseActivation::Identity,
                Some(a) => panic!("{a}"),
            };
            assert_eq!(d.activation, act);
        }
        assert_eq!(spec.output_size(), head.unwrap_or(h));

        // Spot-check values against the raw tensors.
        let bytes = std::fs::read(&model_path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let raw = |t: &str| -> Vec<f32> {
            st.tensor(t).unwrap().data().chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
        };
        let last = recurrent(&spec.layers[n - 1]);
        assert_eq!(last.weight_hh, raw(&format!("rnn.weight_hh_l{}", n - 1)));
        assert_eq!(recurrent(&spec.layers[0]).weight_ih, raw("rnn.weight_ih_l0"));
        assert_eq!(last.bias_hh, raw(&format!("rnn.bias_hh_l{}", n - 1)));
        assert_eq!(recurrent(&spec.layers[0]).bias_ih, raw("rnn.bias_ih_l0"));
        if head.is_some() {
            assert_eq!(dense(&spec.layers[n]).weight, raw("fc.weight"));
        }

        // End to end.
        let x = npy_rows(&dir.join("input.npy"));
        let y = npy_rows(&dir.join("output.npy"));
        let r = ref_forward_f64(&spec, &x);
        let peak = r.iter().flatten().fold(1.0f64, |m, v| m.max(v.abs()));
        let err = max_abs_diff(&r.concat(), &y.concat());
        eprintln!("pytorch/{name}: max |ref_f64 - output.npy| = {err:.3e} (peak {peak:.3})");
        assert!(err <= 2e-5 * peak, "{name}: {err:e}");
    }
}

// ---------------------------------------------------------------------------------------
// rtneural/

fn rtneural_check(model: &str, tol: f64) -> ModelSpec {
    let root = conformance().join("rtneural");
    let spec = load(&root.join("models").join(format!("{model}.json")));
    let xs = read_csv(&root.join("test_data").join(format!("{model}_x_python.csv")));
    let ys = read_csv(&root.join("test_data").join(format!("{model}_y_python.csv")));
    assert_eq!(spec.input_size, 1);
    let inputs: Vec<Vec<f64>> = xs.iter().map(|&x| vec![f64::from(x as f32)]).collect();
    let out = ref_forward_f64(&spec, &inputs);
    let first: Vec<f64> = out.iter().map(|o| o[0]).collect();
    let err = max_abs_diff(&first, &ys);
    eprintln!("rtneural/{model}: max |ref_f64 - y csv| = {err:.3e} (tolerance {tol:e})");
    assert!(err <= tol, "{model}: {err:e}");
    spec
}

#[test]
fn rtneural_lstm() {
    let spec = rtneural_check("lstm", 1e-6);
    assert_eq!(spec.source, "RTNeural JSON (Keras)");
    let kinds: Vec<_> = spec.layers.iter().map(LayerSpec::kind_name).collect();
    assert_eq!(kinds, ["dense", "lstm", "dense"]);
    assert_eq!(dense(&spec.layers[0]).activation, DenseActivation::Tanh);
    let r = recurrent(&spec.layers[1]);
    assert_eq!((r.input_size, r.hidden_size), (8, 8));
    // Keras LSTM: kernel (in, 4H) transposed, gate order unchanged; bias only in bias_ih.
    let raw = raw_json(&conformance().join("rtneural/models/lstm.json"));
    let w = &raw["layers"][1]["weights"];
    for (i, c) in [(0usize, 0usize), (3, 17), (7, 31)] {
        assert_eq!(r.weight_ih[c * 8 + i], json_f32(&w[0][i][c]));
        assert_eq!(r.weight_hh[c * 8 + i], json_f32(&w[1][i][c]));
    }
    assert_eq!(r.bias_ih[20], json_f32(&w[2][20]));
    assert!(r.bias_hh.iter().all(|&b| b == 0.0));
}

#[test]
fn rtneural_lstm_1d() {
    let spec = rtneural_check("lstm_1d", 1e-6);
    let kinds: Vec<_> = spec.layers.iter().map(LayerSpec::kind_name).collect();
    assert_eq!(kinds, ["lstm", "dense"]);
    assert_eq!(spec.output_size(), 1);
}

#[test]
fn rtneural_gru() {
    let spec = rtneural_check("gru", 5e-6);
    let kinds: Vec<_> = spec.layers.iter().map(LayerSpec::kind_name).collect();
    assert_eq!(kinds, ["dense", "gru", "dense", "dense"]);
    assert_eq!(dense(&spec.layers[2]).activation, DenseActivation::Sigmoid);
    let r = recurrent(&spec.layers[1]);
    let h = r.hidden_size;
    assert_eq!(h, 8);
    // Keras z, r, h -> PyTorch r, z, n; kernel (in, 3H) transposed.
    let raw = raw_json(&conformance().join("rtneural/models/gru.json"));
    let w = &raw["layers"][1]["weights"];
    for (i, j) in [(0usize, 0usize), (5, 3), (7, 7)] {
        // PyTorch r block (0) = Keras block 1; z (1) = Keras 0; n (2) = Keras 2.
        assert_eq!(r.weight_ih[j * 8 + i], json_f32(&w[0][i][h + j]));
        assert_eq!(r.weight_ih[(h + j) * 8 + i], json_f32(&w[0][i][j]));
        assert_eq!(r.weight_ih[(2 * h + j) * 8 + i], json_f32(&w[0][i][2 * h + j]));
        assert_eq!(r.weight_hh[j * h + i], json_f32(&w[1][i][h + j]));
        assert_eq!(r.weight_hh[(h + j) * h + i], json_f32(&w[1][i][j]));
        assert_eq!(r.bias_ih[j], json_f32(&w[2][0][h + j]));
        assert_eq!(r.bias_hh[h + j], json_f32(&w[2][1][j]));
        assert_eq!(r.bias_hh[2 * h + j], json_f32(&w[2][1][2 * h + j]));
    }
    // Dense kernel (in, out) transposed to (out, in).
    let d = dense(&spec.layers[2]);
    let k = &raw["layers"][2]["weights"][0];
    assert_eq!(d.weight[3 * 8 + 5], json_f32(&k[5][3]));
}

#[test]
fn rtneural_gru_1d() {
    let spec = rtneural_check("gru_1d", 5e-6);
    let kinds: Vec<_> = spec.layers.iter().map(LayerSpec::kind_name).collect();
    assert_eq!(kinds, ["gru", "dense", "dense"]);
}

#[test]
fn rtneural_dense() {
    let spec = rtneural_check("dense", 1e-6);
    let acts: Vec<_> = spec.layers.iter().map(|l| dense(l).activation).collect();
    use DenseActivation::*;
    assert_eq!(acts, [Tanh, Relu, Elu, Softmax, Identity, Identity, Identity, Identity]);
    // Layers without a bias in the file get zeros.
    assert!(dense(&spec.layers[5]).bias.iter().all(|&b| b == 0.0));
    assert_eq!(spec.output_size(), 1);
}

#[test]
fn rtneural_lstm_torch() {
    let spec = rtneural_check("lstm_torch", 1e-6);
    assert_eq!(spec.source, "RTNeural JSON (PyTorch state_dict)");
    let kinds: Vec<_> = spec.layers.iter().map(LayerSpec::kind_name).collect();
    assert_eq!(kinds, ["lstm", "lstm", "lstm", "lstm", "dense"]);
    let raw = raw_json(&conformance().join("rtneural/models/lstm_torch.json"));
    let r = recurrent(&spec.layers[2]);
    assert_eq!(r.weight_hh[5 * 8 + 2], json_f32(&raw["lstm2.weight_hh_l1"][5][2]));
    assert_eq!(r.bias_hh[31], json_f32(&raw["lstm2.bias_hh_l1"][31]));
}

#[test]
fn rtneural_gru_torch() {
    let spec = rtneural_check("gru_torch", 5e-6);
    let kinds: Vec<_> = spec.layers.iter().map(LayerSpec::kind_name).collect();
    assert_eq!(kinds, ["gru", "gru", "gru", "gru", "dense"]);
}

#[test]
fn rtneural_bad_lstm_is_rejected() {
    let path = conformance().join("rtneural/models/bad_lstm.json");
    let err = io::load_model(&path).unwrap_err();
    let msg = err.to_string();
    eprintln!("bad_lstm.json: {msg}");
    assert!(matches!(err, LoadError::Inconsistent { .. }), "{err:?}");
    for needle in ["bad_lstm.json", "layer 0 (lstm)", "16", "[20, 80]", "give 20"] {
        assert!(msg.contains(needle), "{needle:?} not in {msg:?}");
    }
}

// ---------------------------------------------------------------------------------------
// amp-json/

#[test]
fn amp_json_models() {
    let root = conformance().join("amp-json");
    for (name, kind, h) in [
        ("gru4", CellKind::Gru, 4),
        ("gru8", CellKind::Gru, 8),
        ("lstm4", CellKind::Lstm, 4),
        ("lstm8", CellKind::Lstm, 8),
    ] {
        let file = root.join(format!("{name}_ts9_pytorch.json"));
        let spec = load(&file);
        assert_eq!(spec.source, "Automated-GuitarAmpModelling JSON");
        assert_eq!((spec.input_size, spec.skip, spec.layers.len()), (1, 1, 2));
        let r = recurrent(&spec.layers[0]);
        assert_eq!((r.kind, r.hidden_size), (kind, h));
        let d = dense(&spec.layers[1]);
        assert_eq!((d.input_size, d.output_size), (h, 1));
        let raw = raw_json(&file);
        assert_eq!(r.weight_hh[h + 1], json_f32(&raw["state_dict"]["rec.weight_hh_l0"][1][1]));
        assert_eq!(d.bias[0], json_f32(&raw["state_dict"]["lin.bias"][0]));

        let x = npy_rows(&root.join(format!("{name}_ts9.x.npy")));
        let y = npy_rows(&root.join(format!("{name}_ts9.y_f64.npy")));
        let out = ref_forward_f64(&spec, &x);
        let err = max_abs_diff(&out.concat(), &y.concat());
        eprintln!("amp-json/{name}_ts9: max |ref_f64 - y_f64| = {err:.3e}");
        assert!(err <= 1e-4, "{name}: {err:e}");
    }
}

// ---------------------------------------------------------------------------------------
// nam/

#[test]
fn nam_lstm_with_and_without_prewarm() {
    let root = conformance().join("nam");
    let file = root.join("lstm.nam");
    let mut spec = load(&file);
    assert_eq!(spec.prewarm, 24000, "NAM default: 0.5 s at the file's 48 kHz");
    assert_eq!(spec.layers.len(), 2);
    let r = recurrent(&spec.layers[0]);
    assert_eq!((r.kind, r.input_size, r.hidden_size), (CellKind::Lstm, 1, 3));
    assert!(r.bias_hh.iter().all(|&b| b == 0.0));
    let raw = raw_json(&file);
    let w = raw["weights"].as_array().unwrap();
    assert_eq!(w.len(), 70);
    // Row 0 of [W_ih | W_hh] is (1 + 3) values; row 5 starts at 20.
    assert_eq!(r.weight_ih[0], json_f32(&w[0]));
    assert_eq!(r.weight_hh[0..3], [1, 2, 3].map(|k| json_f32(&w[k])));
    assert_eq!(r.weight_ih[5], json_f32(&w[20]));
    assert_eq!(r.weight_hh[5 * 3 + 2], json_f32(&w[23]));
    assert_eq!(r.bias_ih[0], json_f32(&w[48]));
    assert_eq!(r.initial_h.as_deref().unwrap()[0], json_f32(&w[60]));
    assert_eq!(r.initial_c.as_deref().unwrap()[2], json_f32(&w[65]));
    let d = dense(&spec.layers[1]);
    assert_eq!(d.weight[2], json_f32(&w[68]));
    assert_eq!(d.bias[0], json_f32(&w[69]));

    for (case, prewarm) in [("prewarm24000", 24000), ("noprewarm", 0)] {
        spec.prewarm = prewarm;
        let x = npy_rows(&root.join(format!("lstm.{case}.x.npy")));
        let y = npy_rows(&root.join(format!("lstm.{case}.y_f64.npy")));
        let out = ref_forward_f64(&spec, &x);
        let err = max_abs_diff(&out.concat(), &y.concat());
        eprintln!("nam/lstm.{case}: max |ref_f64 - y_f64| = {err:.3e}");
        assert!(err <= 1e-4, "{case}: {err:e}");
    }
}

#[test]
fn every_conformance_model_file_loads_or_is_the_bad_one() {
    let root = conformance();
    let mut n = 0;
    for sub in ["pytorch", "rtneural/models", "amp-json", "nam"] {
        let mut stack = vec![root.join(sub)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                let fname = p.file_name().unwrap().to_string_lossy().to_string();
                if p.is_dir() {
                    stack.push(p);
                } else if fname == "model.safetensors"
                    || fname.ends_with(".nam")
                    || (fname.ends_with(".json") && !fname.contains("meta") && fname != "case.json")
                {
                    n += 1;
                    let r = io::load_model(&p);
                    assert_eq!(r.is_err(), fname == "bad_lstm.json", "{}: {r:?}", p.display());
                    if let Ok(spec) = r {
                        spec.validate().unwrap();
                        assert!(spec.param_count() > 0);
                    }
                }
            }
        }
    }
    assert_eq!(n, 7 + 8 + 4 + 1);
}

// ---------------------------------------------------------------------------------------
// Errors

fn rtneural_bytes(model: &str) -> Vec<u8> {
    std::fs::read(conformance().join("rtneural/models").join(model)).unwrap()
}

#[test]
fn truncated_files_are_errors() {
    let root = conformance();
    for f in [
        "pytorch/lstm_i5_h7/model.safetensors",
        "pytorch/gru_i1_h16_fc1/model.safetensors",
        "rtneural/models/gru.json",
        "rtneural/models/lstm_torch.json",
        "amp-json/lstm4_ts9_pytorch.json",
        "nam/lstm.nam",
    ] {
        let bytes = std::fs::read(root.join(f)).unwrap();
        for cut in [0, 1, 7, 8, 9, 100, bytes.len() / 2, bytes.len() - 1] {
            let err = io::parse_model(&bytes[..cut], "cut").unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("cut: "), "{f}[..{cut}]: {msg}");
        }
    }
    let bytes = std::fs::read(root.join("pytorch/lstm_i5_h7/model.safetensors")).unwrap();
    let msg = io::parse_model(&bytes[..bytes.len() - 4], "m.safetensors").unwrap_err().to_string();
    eprintln!("truncated safetensors: {msg}");
    assert!(msg.contains("m.safetensors: safetensors: malformed"), "{msg}");
}

#[test]
fn unknown_activation_is_named() {
    let text = String::from_utf8(rtneural_bytes("gru.json")).unwrap();
    let bad = text.replacen("\"sigmoid\"", "\"swish\"", 1);
    let msg = io::parse_model(bad.as_bytes(), "gru.json").unwrap_err().to_string();
    eprintln!("unknown activation: {msg}");
    assert!(msg.contains("layer 2 (dense)") && msg.contains("\"swish\""), "{msg}");
}

#[test]
fn non_standard_recurrent_activation_is_rejected() {
    let mut doc: Value = serde_json::from_slice(&rtneural_bytes("lstm_1d.json")).unwrap();
    doc["layers"][0]["activation"] = Value::from("relu");
    let msg = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "x.json").unwrap_err().to_string();
    eprintln!("recurrent activation: {msg}");
    assert!(msg.contains("layer 0 (lstm)") && msg.contains("\"relu\""), "{msg}");
}

#[test]
fn unknown_layer_kind_is_named() {
    let mut doc: Value = serde_json::from_slice(&rtneural_bytes("lstm_1d.json")).unwrap();
    doc["layers"][1]["type"] = Value::from("conv1d");
    let msg = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "x.json").unwrap_err().to_string();
    eprintln!("unknown layer: {msg}");
    assert!(msg.contains("layer 1") && msg.contains("\"conv1d\""), "{msg}");
}

#[test]
fn activation_layer_after_recurrent_is_rejected() {
    let mut doc: Value = serde_json::from_slice(&rtneural_bytes("lstm_1d.json")).unwrap();
    let layers = doc["layers"].as_array_mut().unwrap();
    layers.insert(
        1,
        serde_json::json!({"type": "activation", "activation": "relu", "shape": [null, null, 8], "weights": []}),
    );
    let msg = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "x.json").unwrap_err().to_string();
    assert!(msg.contains("layer 1 (activation)") && msg.contains("recurrent"), "{msg}");
}

#[test]
fn keras_gru_without_reset_after_is_rejected() {
    let mut doc: Value = serde_json::from_slice(&rtneural_bytes("gru_1d.json")).unwrap();
    let b = doc["layers"][0]["weights"][2][0].clone();
    doc["layers"][0]["weights"][2] = b;
    let msg = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "x.json").unwrap_err().to_string();
    assert!(msg.contains("reset_after"), "{msg}");
}

#[test]
fn huge_declared_lengths_are_errors_not_allocations() {
    // safetensors header length 4 GiB in a 1 KiB file.
    let mut bytes = vec![b' '; 1024];
    bytes[..8].copy_from_slice(&(4u64 << 30).to_le_bytes());
    bytes[8] = b'{';
    let err = io::parse_model(&bytes, "huge.safetensors").unwrap_err();
    assert!(matches!(err, LoadError::UnknownFormat { .. }), "{err:?}");
    let err = io::safetensors::parse(&bytes, "huge.safetensors").unwrap_err();
    eprintln!("huge header: {err}");
    assert!(matches!(err, LoadError::Malformed { .. }), "{err:?}");

    // A tensor whose shape claims 2^40 × 2^40 elements.
    let header = br#"{"a.weight":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&[0; 4]);
    assert!(io::parse_model(&bytes, "big").is_err());

    // A zero-sized tensor with a huge dimension must not size a bias allocation.
    let header = br#"{"a.weight":{"dtype":"F32","shape":[1099511627776,0],"data_offsets":[0,0]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    let msg = io::parse_model(&bytes, "empty").unwrap_err().to_string();
    assert!(msg.contains("non-empty"), "{msg}");

    // NAM declaring a billion hidden units with 70 weights.
    let mut doc: Value = serde_json::from_slice(&std::fs::read(conformance().join("nam/lstm.nam")).unwrap()).unwrap();
    doc["config"]["hidden_size"] = Value::from(1_000_000_000u64);
    let msg = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "big.nam").unwrap_err().to_string();
    eprintln!("huge NAM: {msg}");
    assert!(msg.contains("flat weight array has shape [70], expected at least [4000000011000000001]"), "{msg}");
    doc["config"]["hidden_size"] = Value::from(u64::MAX);
    assert!(io::parse_model(&serde_json::to_vec(&doc).unwrap(), "big.nam").is_err());

    // amp JSON declaring a size its tensors do not have.
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(conformance().join("amp-json/gru4_ts9_pytorch.json")).unwrap()).unwrap();
    doc["model_data"]["hidden_size"] = Value::from(1u64 << 40);
    let msg = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "a.json").unwrap_err().to_string();
    assert!(msg.contains("hidden_size"), "{msg}");
}

#[test]
fn garbage_is_an_unknown_format() {
    for bytes in [&b""[..], b"hello", b"[1, 2, 3]", b"{\"foo\": 1}", b"\x00\x01\x02"] {
        let err = io::parse_model(bytes, "g").unwrap_err();
        assert!(matches!(err, LoadError::UnknownFormat { .. } | LoadError::Malformed { .. }), "{err:?}");
    }
    let err = io::load_model("/nonexistent/model.json").unwrap_err();
    assert!(matches!(err, LoadError::Io { .. }));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn amp_json_declarations_must_agree() {
    let path = conformance().join("amp-json/lstm4_ts9_pytorch.json");
    let base: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for (field, value, needle) in [
        ("unit_type", Value::from("GRU"), "unit_type"),
        ("unit_type", Value::from("Transformer"), "Transformer"),
        ("num_layers", Value::from(2), "num_layers"),
        ("output_size", Value::from(2), "output_size"),
        ("input_size", Value::from(3), "input_size"),
        ("skip", Value::from(2), "skip"),
        ("bias_fl", Value::from(false), "bias_fl"),
        ("model", Value::from("ConvNet"), "ConvNet"),
    ] {
        let mut doc = base.clone();
        doc["model_data"][field] = value;
        let msg = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "a.json").unwrap_err().to_string();
        assert!(msg.contains(needle), "{field}: {msg}");
    }
}

#[test]
fn nam_other_architectures_are_unsupported() {
    let mut doc: Value = serde_json::from_slice(&std::fs::read(conformance().join("nam/lstm.nam")).unwrap()).unwrap();
    doc["architecture"] = Value::from("WaveNet");
    let msg = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "w.nam").unwrap_err().to_string();
    assert!(msg.contains("\"WaveNet\""), "{msg}");
    doc["architecture"] = Value::from("LSTM");
    doc["sample_rate"] = Value::from(44100.0);
    let spec = io::parse_model(&serde_json::to_vec(&doc).unwrap(), "w.nam").unwrap();
    assert_eq!(spec.prewarm, 22050);
}

// ---------------------------------------------------------------------------------------
// safetensors metadata conventions (files written here with the safetensors crate)

struct St {
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    meta: Vec<(&'static str, &'static str)>,
}

impl St {
    fn new() -> Self {
        St { tensors: vec![], meta: vec![] }
    }
    fn t(mut self, name: &str, shape: &[usize]) -> Self {
        let n: usize = shape.iter().product();
        let base = self.tensors.len() as f32;
        let data = (0..n).map(|k| base + k as f32 * 0.001).collect();
        self.tensors.push((name.into(), shape.to_vec(), data));
        self
    }
    fn m(mut self, k: &'static str, v: &'static str) -> Self {
        self.meta.push((k, v));
        self
    }
    fn bytes(&self) -> Vec<u8> {
        let raw: Vec<(String, Vec<u8>, Vec<usize>)> = self
            .tensors
            .iter()
            .map(|(n, s, d)| (n.clone(), d.iter().flat_map(|x| x.to_le_bytes()).collect(), s.clone()))
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView)> = raw
            .iter()
            .map(|(n, b, s)| {
                (n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b).unwrap())
            })
            .collect();
        let meta =
            (!self.meta.is_empty()).then(|| self.meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        safetensors::serialize(views, &meta).unwrap()
    }
    fn parse(&self) -> Result<ModelSpec, LoadError> {
        io::parse_model(&self.bytes(), "t.safetensors")
    }
}

fn rnn_layer(st: St, p: &str, k: usize, g: usize, i: usize, h: usize, bias: bool) -> St {
    let st = st.t(&format!("{p}.weight_ih_l{k}"), &[g * h, i]).t(&format!("{p}.weight_hh_l{k}"), &[g * h, h]);
    if bias {
        st.t(&format!("{p}.bias_ih_l{k}"), &[g * h]).t(&format!("{p}.bias_hh_l{k}"), &[g * h])
    } else {
        st
    }
}

#[test]
fn safetensors_cifg_skip_and_no_bias() {
    let st = rnn_layer(St::new(), "enc", 0, 3, 2, 5, false)
        .t("head.weight", &[2, 5])
        .m("enc.cell", "cifg")
        .m("skip", "2")
        .m("head.activation", "sigmoid");
    let spec = st.parse().unwrap();
    let r = recurrent(&spec.layers[0]);
    assert_eq!(r.kind, CellKind::Cifg);
    assert_eq!(r.bias_ih, vec![0.0; 15]);
    assert_eq!(spec.skip, 2);
    let d = dense(&spec.layers[1]);
    assert_eq!(d.activation, DenseActivation::Sigmoid);
    assert_eq!(d.bias, vec![0.0; 2]);

    // Without the metadata, 3 gate blocks are a GRU.
    let st = rnn_layer(St::new(), "enc", 0, 3, 2, 5, false);
    assert_eq!(recurrent(&st.parse().unwrap().layers[0]).kind, CellKind::Gru);
    // "cell" = "lstm" contradicts 3 gate blocks.
    let msg = rnn_layer(St::new(), "enc", 0, 3, 2, 5, false).m("cell", "lstm").parse().unwrap_err().to_string();
    assert!(msg.contains("enc.weight_hh_l0") && msg.contains("[15, 5]"), "{msg}");
    // skip larger than the output.
    let msg = rnn_layer(St::new(), "enc", 0, 1, 2, 5, true)
        .t("head.weight", &[1, 5])
        .m("skip", "2")
        .parse()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("skip 2"), "{msg}");
}

#[test]
fn safetensors_dense_network_needs_order() {
    let st = St::new().t("b.weight", &[1, 4]).t("b.bias", &[1]).t("a.weight", &[4, 3]).t("a.bias", &[4]);
    let msg = st.parse().unwrap_err().to_string();
    assert!(msg.contains("order"), "{msg}");
    let spec = st.m("order", "a, b").m("a.activation", "elu").parse().unwrap();
    assert_eq!(spec.input_size, 3);
    assert_eq!(dense(&spec.layers[0]).activation, DenseActivation::Elu);
    assert_eq!(dense(&spec.layers[1]).output_size, 1);
    // The other order does not chain.
    let st = St::new().t("b.weight", &[1, 4]).t("a.weight", &[4, 3]).m("order", "b,a");
    let msg = st.parse().unwrap_err().to_string();
    assert!(msg.contains("layer 1 (dense)") && msg.contains("input size is 3"), "{msg}");
}

#[test]
fn safetensors_shape_errors_name_the_tensor() {
    // weight_ih with the wrong number of rows.
    let msg =
        St::new().t("rnn.weight_ih_l0", &[12, 2]).t("rnn.weight_hh_l0", &[16, 4]).parse().unwrap_err().to_string();
    assert!(msg.contains("\"rnn.weight_ih_l0\" has shape [12, 2], expected [16, input]"), "{msg}");
    // weight_hh whose rows are not a multiple of the columns.
    let msg =
        St::new().t("rnn.weight_ih_l0", &[10, 2]).t("rnn.weight_hh_l0", &[10, 4]).parse().unwrap_err().to_string();
    assert!(msg.contains("rnn.weight_hh_l0") && msg.contains("[10, 4]"), "{msg}");
    // 2 gate blocks.
    let msg = rnn_layer(St::new(), "rnn", 0, 2, 1, 3, true).parse().unwrap_err().to_string();
    assert!(msg.contains("2 gate blocks"), "{msg}");
    // Bias of the wrong length; only one bias.
    let msg = rnn_layer(St::new(), "rnn", 0, 4, 1, 3, false)
        .t("rnn.bias_ih_l0", &[11])
        .t("rnn.bias_hh_l0", &[12])
        .parse()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("\"rnn.bias_ih_l0\" has shape [11], expected [12]"), "{msg}");
    let msg =
        rnn_layer(St::new(), "rnn", 0, 4, 1, 3, false).t("rnn.bias_ih_l0", &[12]).parse().unwrap_err().to_string();
    assert!(msg.contains("rnn.bias_ih_l0"), "{msg}");
    // Layer gap; layer 1 not chaining; unknown tensor; bidirectional; metadata typo.
    let msg = rnn_layer(rnn_layer(St::new(), "rnn", 0, 4, 1, 3, true), "rnn", 2, 4, 3, 3, true)
        .parse()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("layer 1 of the stack is absent"), "{msg}");
    let msg = rnn_layer(rnn_layer(St::new(), "rnn", 0, 4, 1, 3, true), "rnn", 1, 4, 5, 3, true)
        .parse()
        .unwrap_err()
        .to_string();
    assert!(msg.contains("layer 1 (lstm)") && msg.contains("input size is 5"), "{msg}");
    let msg = St::new().t("bn.running_mean", &[3]).parse().unwrap_err().to_string();
    assert!(msg.contains("bn.running_mean"), "{msg}");
    let msg = St::new().t("rnn.weight_ih_l0_reverse", &[3, 1]).parse().unwrap_err().to_string();
    assert!(msg.contains("bidirectional"), "{msg}");
    let msg =
        rnn_layer(St::new(), "rnn", 0, 1, 1, 3, true).m("rn.nonlinearity", "relu").parse().unwrap_err().to_string();
    assert!(msg.contains("\"rn\""), "{msg}");
    let msg =
        rnn_layer(St::new(), "rnn", 0, 1, 1, 3, true).m("rnn.nonlinearity", "gelu").parse().unwrap_err().to_string();
    assert!(msg.contains("gelu"), "{msg}");
    let msg = St::new().t("fc.weight", &[1, 3]).m("fc.activation", "swish").parse().unwrap_err().to_string();
    assert!(msg.contains("\"swish\""), "{msg}");
}

#[test]
fn safetensors_half_precision_is_converted() {
    // One Linear(2 -> 1) stored as F16 and as BF16.
    for (dtype, w, b) in [
        (safetensors::Dtype::F16, [0x3c00u16, 0xc000], 0x3800u16), // 1, -2, 0.5
        (safetensors::Dtype::BF16, [0x3f80u16, 0xc000], 0x3f00u16),
    ] {
        let wb: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
        let bb: Vec<u8> = b.to_le_bytes().to_vec();
        let views = vec![
            ("fc.weight", safetensors::tensor::TensorView::new(dtype, vec![1, 2], &wb).unwrap()),
            ("fc.bias", safetensors::tensor::TensorView::new(dtype, vec![1], &bb).unwrap()),
        ];
        let bytes = safetensors::serialize(views, &None).unwrap();
        let spec = io::parse_model(&bytes, "h").unwrap();
        let d = dense(&spec.layers[0]);
        assert_eq!(d.weight, [1.0, -2.0]);
        assert_eq!(d.bias, [0.5]);
    }
    // Integer tensors are not weights.
    let data = [0u8; 8];
    let views =
        vec![("fc.weight", safetensors::tensor::TensorView::new(safetensors::Dtype::I64, vec![1, 1], &data).unwrap())];
    let bytes = safetensors::serialize(views, &None).unwrap();
    let msg = io::parse_model(&bytes, "i").unwrap_err().to_string();
    assert!(msg.contains("I64"), "{msg}");
}

#[test]
fn non_finite_weights_are_rejected() {
    let w = [1.0f32, f32::NAN];
    let wb: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
    let views =
        vec![("fc.weight", safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1, 2], &wb).unwrap())];
    let bytes = safetensors::serialize(views, &None).unwrap();
    let msg = io::parse_model(&bytes, "n").unwrap_err().to_string();
    assert!(msg.contains("layer 0 (dense)") && msg.contains("non-finite"), "{msg}");
}

#[test]
fn validate_names_layer_and_shapes() {
    let spec = ModelSpec {
        input_size: 1,
        layers: vec![LayerSpec::Recurrent(RecurrentSpec {
            kind: CellKind::Lstm,
            input_size: 1,
            hidden_size: 8,
            weight_ih: vec![0.0; 32],
            weight_hh: vec![0.0; 32 * 4],
            bias_ih: vec![0.0; 32],
            bias_hh: vec![0.0; 32],
            initial_h: None,
            initial_c: None,
        })],
        skip: 0,
        prewarm: 0,
        source: "test".into(),
    };
    let msg = spec.validate().unwrap_err().to_string();
    assert_eq!(msg, "layer 0 (lstm): weight_hh has shape 128 elements, expected [32, 8] = 256 elements");
    assert_eq!(spec.output_size(), 8);
    assert_eq!(spec.param_count(), 32 * 3 + 128);
}

#[test]
fn duplicate_json_keys_are_rejected() {
    let msg = io::parse_model(br#"{"fc.weight": [[1.0]], "fc.weight": [[2.0]]}"#, "d.json").unwrap_err().to_string();
    assert!(msg.contains("duplicate key \"fc.weight\""), "{msg}");
}

/// Every binary16 value against its definition (what half-precision safetensors become).
#[test]
fn f16_conversion_matches_definition() {
    for h in 0u16..=u16::MAX {
        let exp = i32::from((h >> 10) & 0x1f);
        let man = f64::from(h & 0x3ff);
        let sign = if h >> 15 == 1 { -1.0 } else { 1.0 };
        let want = match exp {
            0 => sign * man * 2f64.powi(-24),
            31 if man == 0.0 => sign * f64::INFINITY,
            31 => f64::NAN,
            e => sign * (1.0 + man / 1024.0) * 2f64.powi(e - 15),
        };
        let got = f64::from(f16_to_f32(h));
        assert!((want.is_nan() && got.is_nan()) || want == got, "{h:#06x}: {got} != {want}");
    }
}
