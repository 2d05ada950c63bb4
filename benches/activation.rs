//! ns per element over a 4096-element buffer: fast tanh / sigmoid per tier vs libm.
//!
//! Every iteration copies the (fixed, pseudo-random, [-6, 6]) input into the work buffer
//! and applies the function in place; the copy (16 KiB) is included in every variant,
//! including the libm baselines, so ratios are conservative for the fast versions.
//! Criterion reports time per iteration (4096 elements) and elements/s.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

const N: usize = 4096;

fn input() -> Vec<f32> {
    let mut s = 0x1234_5678u32;
    (0..N)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 * 12.0 - 6.0
        })
        .collect()
}

fn libm_tanh(xs: &mut [f32]) {
    for x in xs {
        *x = libm::tanhf(*x);
    }
}

fn libm_sigmoid(xs: &mut [f32]) {
    for x in xs {
        *x = 1.0 / (1.0 + libm::expf(-*x));
    }
}

#[cfg(target_arch = "x86_64")]
fn avx2_ok() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}
#[cfg(target_arch = "x86_64")]
fn avx2_tanh(xs: &mut [f32]) {
    // SAFETY: only registered after `avx2_ok()` returned true.
    unsafe { tinyrnn::kernel::activation::x86_64::tanh_slice_avx2(xs) }
}
#[cfg(target_arch = "x86_64")]
fn avx2_sigmoid(xs: &mut [f32]) {
    // SAFETY: only registered after `avx2_ok()` returned true.
    unsafe { tinyrnn::kernel::activation::x86_64::sigmoid_slice_avx2(xs) }
}

#[cfg(target_arch = "x86_64")]
fn avx512_ok() -> bool {
    avx2_ok() && is_x86_feature_detected!("avx512f")
}
#[cfg(target_arch = "x86_64")]
fn avx512_tanh(xs: &mut [f32]) {
    // SAFETY: only registered after `avx512_ok()` returned true.
    unsafe { tinyrnn::kernel::activation::x86_64::tanh_slice_avx512(xs) }
}
#[cfg(target_arch = "x86_64")]
fn avx512_sigmoid(xs: &mut [f32]) {
    // SAFETY: only registered after `avx512_ok()` returned true.
    unsafe { tinyrnn::kernel::activation::x86_64::sigmoid_slice_avx512(xs) }
}

type SliceFn = fn(&mut [f32]);

fn variants(tanh: bool) -> Vec<(&'static str, SliceFn)> {
    #[allow(unused_mut)] // nothing is pushed on targets without a vector tier here
    let mut v: Vec<(&'static str, SliceFn)> = if tanh {
        vec![("libm", libm_tanh), ("fast_scalar", tinyrnn::activation::fast::tanh_slice)]
    } else {
        vec![("libm", libm_sigmoid), ("fast_scalar", tinyrnn::activation::fast::sigmoid_slice)]
    };
    #[cfg(target_arch = "x86_64")]
    {
        v.push(if tanh {
            ("fast_sse2", tinyrnn::kernel::activation::x86_64::tanh_slice_sse2)
        } else {
            ("fast_sse2", tinyrnn::kernel::activation::x86_64::sigmoid_slice_sse2)
        });
        if avx2_ok() {
            v.push(if tanh { ("fast_avx2", avx2_tanh) } else { ("fast_avx2", avx2_sigmoid) });
        }
        if avx512_ok() {
            v.push(if tanh { ("fast_avx512", avx512_tanh) } else { ("fast_avx512", avx512_sigmoid) });
        }
    }
    #[cfg(target_arch = "aarch64")]
    v.push(if tanh {
        ("fast_neon", tinyrnn::kernel::activation::aarch64::tanh_slice_neon)
    } else {
        ("fast_neon", tinyrnn::kernel::activation::aarch64::sigmoid_slice_neon)
    });
    v
}

fn bench(c: &mut Criterion) {
    let x = input();
    for (group, tanh) in [("tanh", true), ("sigmoid", false)] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(N as u64));
        for (name, f) in variants(tanh) {
            let mut buf = vec![0.0f32; N];
            g.bench_with_input(BenchmarkId::new(name, N), &x, |b, x| {
                b.iter(|| {
                    buf.copy_from_slice(x);
                    f(black_box(&mut buf));
                    black_box(&buf);
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
