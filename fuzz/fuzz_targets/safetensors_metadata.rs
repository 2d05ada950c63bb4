//! Valid safetensors files with fuzzed `__metadata__` over a few tensor layouts.
//!
//! Input: first byte picks the tensor layout; the rest, as lossy UTF-8, is one
//! `key=value` metadata entry per line. The loader must never panic, and whatever it
//! accepts must validate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::collections::HashMap;
use tinyrnn::host::io;

/// (name, shape) lists: RNN/GRU/LSTM/CIFG-shaped modules, heads, stacked layers, Dense nets.
fn layout(k: u8) -> Vec<(&'static str, Vec<usize>)> {
    let rec = |g: usize| {
        vec![
            ("rnn.weight_ih_l0", vec![g * 3, 2]),
            ("rnn.weight_hh_l0", vec![g * 3, 3]),
            ("rnn.bias_ih_l0", vec![g * 3]),
            ("rnn.bias_hh_l0", vec![g * 3]),
        ]
    };
    let mut v = rec([1, 3, 4, 2][usize::from(k & 3)]);
    if k & 4 != 0 {
        v.push(("fc.weight", vec![2, 3]));
        v.push(("fc.bias", vec![2]));
    }
    if k & 8 != 0 {
        v.push(("out.weight", vec![1, 2]));
    }
    if k & 16 != 0 {
        v.push(("rnn.weight_ih_l1", vec![12, 3]));
        v.push(("rnn.weight_hh_l1", vec![12, 3]));
    }
    if k & 32 != 0 {
        v.retain(|(n, _)| !n.starts_with("rnn."));
    }
    v
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let meta: HashMap<String, String> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let tensors = layout(k);
    let bufs: Vec<Vec<u8>> = tensors
        .iter()
        .enumerate()
        .map(|(i, (_, s))| {
            let n: usize = s.iter().product();
            (0..n)
                .flat_map(|j| (((i * 31 + j) % 17) as f32 * 0.05 - 0.4).to_le_bytes())
                .collect()
        })
        .collect();
    let views: Vec<(&str, TensorView)> = tensors
        .iter()
        .zip(&bufs)
        .filter_map(|((n, s), b)| Some((*n, TensorView::new(Dtype::F32, s.clone(), b).ok()?)))
        .collect();
    let meta = (!meta.is_empty()).then_some(meta);
    let Ok(bytes) = safetensors::serialize(views, &meta) else {
        return;
    };
    if let Ok(spec) = io::safetensors::parse(&bytes, "fuzz") {
        assert!(spec.validate().is_ok());
    }
});
