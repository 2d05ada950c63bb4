//! 32-bit Arm with a hard-float FPU (`target_abi = "eabihf"`: Cortex-M4F, M7, M33, and the
//! Armv7-A hard-float targets): the scalar kernel's inner loop, written with VFP
//! instructions.
//!
//! Only the multiply-accumulate loops are specialised: the gates of one packed block
//! ([`gate_sums_into`]) and a Dense output's dot product ([`dot_into`]); the cell math around
//! them is the scalar kernel's (`kernel::scalar`). The block loop keeps one
//! accumulator per hidden unit of the block in `s16..s31`, loads the weights of a column
//! with one post-incrementing `VLDMIA` per eight units and the inputs with one `VLDMIA` per
//! eight columns, and accumulates with `VMLA.F32`. `VMLA` is the *chained* multiply-accumulate
//! (the product is rounded, then the sum: not fused), and every accumulator sees the columns
//! in the spec's order, so the results are **bit-identical** to the portable scalar loop
//! (checked by the firmware's self-test on random sizes, `examples/firmware`).
//!
//! `cfg(target_feature = "vfp2")` is not available on stable Rust; the hard-float ABI implies
//! a VFP unit with 32 single-precision registers, which is all this code uses. Nor can stable
//! code bind `s` registers as `asm!` operands on these targets, so each call saves the FP
//! registers it uses (one `VPUSH`), loads the accumulators from the bias row and stores the
//! sums straight into the caller's (uninitialised) pre-activation rows: no zeroing, no bias
//! copy.

use core::arch::asm;
use core::mem::MaybeUninit;

/// One column of a 16-unit block: the weights of the 16 units of one gate are 16 adjacent
/// floats (two `VLDMIA` of eight, the first post-incrementing), then `skip` bytes to the same
/// gate's run in the next column. The column's input value is in `$x`.
macro_rules! col16 {
    ($w:literal, $x:literal) => {
        concat!(
            "vldmia {",
            $w,
            "}!, {{s8-s15}}\n",
            "vmla.f32 s16, s8, ",
            $x,
            "\n",
            "vmla.f32 s17, s9, ",
            $x,
            "\n",
            "vmla.f32 s18, s10, ",
            $x,
            "\n",
            "vmla.f32 s19, s11, ",
            $x,
            "\n",
            "vmla.f32 s20, s12, ",
            $x,
            "\n",
            "vmla.f32 s21, s13, ",
            $x,
            "\n",
            "vmla.f32 s22, s14, ",
            $x,
            "\n",
            "vmla.f32 s23, s15, ",
            $x,
            "\n",
            "vldmia {",
            $w,
            "}, {{s8-s15}}\n",
            "add {",
            $w,
            "}, #{skip}\n",
            "vmla.f32 s24, s8, ",
            $x,
            "\n",
            "vmla.f32 s25, s9, ",
            $x,
            "\n",
            "vmla.f32 s26, s10, ",
            $x,
            "\n",
            "vmla.f32 s27, s11, ",
            $x,
            "\n",
            "vmla.f32 s28, s12, ",
            $x,
            "\n",
            "vmla.f32 s29, s13, ",
            $x,
            "\n",
            "vmla.f32 s30, s14, ",
            $x,
            "\n",
            "vmla.f32 s31, s15, ",
            $x,
            "\n",
        )
    };
}

/// One column of an 8-unit block (see [`col16`]): one `VLDMIA` of eight, then `skip` bytes.
macro_rules! col8 {
    ($w:literal, $x:literal) => {
        concat!(
            "vldmia {",
            $w,
            "}, {{s8-s15}}\n",
            "add {",
            $w,
            "}, #{skip}\n",
            "vmla.f32 s16, s8, ",
            $x,
            "\n",
            "vmla.f32 s17, s9, ",
            $x,
            "\n",
            "vmla.f32 s18, s10, ",
            $x,
            "\n",
            "vmla.f32 s19, s11, ",
            $x,
            "\n",
            "vmla.f32 s20, s12, ",
            $x,
            "\n",
            "vmla.f32 s21, s13, ",
            $x,
            "\n",
            "vmla.f32 s22, s14, ",
            $x,
            "\n",
            "vmla.f32 s23, s15, ",
            $x,
            "\n",
        )
    };
}

/// One segment of columns: `{n}` columns of weights from `{w}`, inputs from `{v}`; eight
/// columns per iteration (one `VLDMIA` of eight inputs into `s0..s7`), then the remaining
/// one to seven.
macro_rules! segment {
    ($col:ident, $w:literal, $v:literal, $n:literal, $l:literal) => {
        concat!(
            "lsrs {n4}, {",
            $n,
            "}, #3\n",
            "beq ",
            $l,
            "3f\n",
            $l,
            "2:\n",
            "vldmia {",
            $v,
            "}!, {{s0-s7}}\n",
            $col!($w, "s0"),
            $col!($w, "s1"),
            $col!($w, "s2"),
            $col!($w, "s3"),
            $col!($w, "s4"),
            $col!($w, "s5"),
            $col!($w, "s6"),
            $col!($w, "s7"),
            "subs {n4}, #1\n",
            "bne ",
            $l,
            "2b\n",
            $l,
            "3:\n",
            "ands {n4}, {",
            $n,
            "}, #7\n",
            "beq ",
            $l,
            "5f\n",
            $l,
            "4:\n",
            "vldmia {",
            $v,
            "}!, {{s0}}\n",
            $col!($w, "s0"),
            "subs {n4}, #1\n",
            "bne ",
            $l,
            "4b\n",
            $l,
            "5:\n",
        )
    };
}

/// One gate of a block: `W` accumulators from `init`, the columns of both segments, stored
/// at `dst` (see [`gate_sums_into`]; `W` is 8 or 16).
///
/// # Safety
/// `init` must be readable for `W` floats, `dst` writable for `W` floats (not aliasing the
/// inputs), and each segment `(w, v, n)` readable for `n` floats at `v` and, at `w`, for
/// columns `k < n` of `W` floats at `k·G·W` (`G·W` is the packed column stride); all 4-byte
/// aligned.
#[inline(always)]
unsafe fn gate_into<const G: usize, const W: usize>(
    dst: *mut f32,
    init: *const f32,
    parts: [(*const f32, *const f32, usize); 2],
) {
    const { assert!(W == 16 || W == 8) };
    let [(w1, v1, n1), (w2, v2, n2)] = parts;
    if W == 16 {
        // SAFETY: reads 16 floats at `init` and, per segment, `n` floats at `v` and `n`
        // columns of 16 floats at `w` (`G·16` floats apart: each column's second load is
        // followed by a step of `G·16 − 8` floats, `skip` bytes); writes 16 floats at
        // `dst`: all valid, aligned and unaliased by the caller's contract. An empty segment
        // reads nothing (its loops run zero times). VLDM/VSTM need word alignment only
        // (`f32` pointers are 4-byte aligned). Every FP register
        // the loop uses is saved on the stack first and restored at the end (rustc does
        // not let stable code name `s` registers as operands or clobbers here: it does
        // not see the FPU as `vfp2`), and VPUSH/VPOP are balanced, so the compiler's
        // registers and stack are as it left them. Flags are clobbered (no
        // `preserves_flags`).
        unsafe {
            asm!(
                "vpush {{s0-s31}}",
                "vldmia {n4}, {{s16-s31}}",
                segment!(col16, "w", "v", "n", "1"),
                segment!(col16, "w2", "v2", "n2", "6"),
                "vstmia {a}, {{s16-s31}}",
                "vpop {{s0-s31}}",
                a = in(reg) dst,
                w = inout(reg) w1 => _,
                v = inout(reg) v1 => _,
                n = inout(reg) n1 => _,
                n4 = inout(reg) init => _,
                w2 = inout(reg) w2 => _,
                v2 = inout(reg) v2 => _,
                n2 = in(reg) n2,
                skip = const (G * W - 8) * 4,
            );
        }
    } else {
        // SAFETY: as above, with `init`, `dst` and the columns 8 floats (`G·8` floats apart)
        // and `s0..s23` saved and restored.
        unsafe {
            asm!(
                "vpush {{s0-s23}}",
                "vldmia {n4}, {{s16-s23}}",
                segment!(col8, "w", "v", "n", "1"),
                segment!(col8, "w2", "v2", "n2", "6"),
                "vstmia {a}, {{s16-s23}}",
                "vpop {{s0-s23}}",
                a = in(reg) dst,
                w = inout(reg) w1 => _,
                v = inout(reg) v1 => _,
                n = inout(reg) n1 => _,
                n4 = inout(reg) init => _,
                w2 = inout(reg) w2 => _,
                v2 = inout(reg) v2 => _,
                n2 = in(reg) n2,
                skip = const G * W * 4,
            );
        }
    }
}

/// For every gate `g < out.len()` of a block of `W` units (`W` is 8 or 16, a packed
/// block's width): `out[g][u] = init[u] + Σ_k w[g·W + k·stride + u] · v[k]` for every unit
/// `u < W`, over the columns of the first segment `(w, v)` of `parts`, then of the second,
/// where `init = bias[g·bias_pitch..]`. Each accumulator starts from its `init` value (the
/// folded bias) and sees the columns in order: the scalar kernel's order, one rounding per
/// multiply and per add. Each `w` starts at the first gate's run in its first column and
/// `stride = G·W` floats (the packed layout of a `G`-gate cell) is the distance between
/// columns; `skip`, the pointer step after a column, is an immediate. One asm call per gate
/// keeps its accumulators in registers across both segments (a cell's input and recurrent
/// columns) and stores them straight into `out` (rows of `P ≥ W` floats: the first `W` of
/// each row are written, the rest left as they are). Needs no zeroed output and no bias
/// copy; the bounds are checked once for all gates.
///
/// Panics if `bias` or a `w` is too short for `out.len()` gates (and its `v.len()` columns).
#[inline(always)]
pub fn gate_sums_into<const G: usize, const W: usize, const P: usize>(
    out: &mut [[MaybeUninit<f32>; P]],
    bias: &[f32],
    bias_pitch: usize,
    parts: [(&[f32], &[f32]); 2],
) {
    const { assert!(W <= P && (W == 16 || W == 8) && G >= 1) };
    let stride = G * W;
    let Some(last) = out.len().checked_sub(1) else {
        return;
    };
    assert!(bias.len() >= last * bias_pitch + W, "bias rows too short");
    for (w, v) in parts {
        assert!(v.is_empty() || w.len() >= last * W + (v.len() - 1) * stride + W, "packed block too short");
    }
    let [(w1, v1), (w2, v2)] = parts;
    for (g, row) in out.iter_mut().enumerate() {
        // SAFETY: `g ≤ last`, so `init` is `bias[g·bias_pitch ..][.. W]` and each segment's
        // columns `k < v.len()` are `w[g·W + k·stride ..][.. W]`, in bounds (asserted above;
        // an empty segment is not read); `row` is an exclusive `&mut [MaybeUninit<f32>; P]`
        // with `P ≥ W`: room for `W` floats that alias no input (any bits are valid to
        // store). All are `f32`, 4-byte aligned.
        unsafe {
            gate_into::<G, W>(
                row.as_mut_ptr().cast::<f32>(),
                bias.as_ptr().wrapping_add(g * bias_pitch),
                [
                    (w1.as_ptr().wrapping_add(g * W), v1.as_ptr(), v1.len()),
                    (w2.as_ptr().wrapping_add(g * W), v2.as_ptr(), v2.len()),
                ],
            )
        };
    }
}

/// `*y = b + Σ_k w[k] · v[k]` over `k < v.len()`, in order (one rounding per multiply and
/// per add, as the scalar kernel's Dense sum with one accumulator): eight products per pair
/// of `VLDMIA`, then the remaining one to seven.
///
/// Panics if `w` is shorter than `v`.
#[inline(always)]
pub fn dot_into(y: &mut f32, b: &f32, w: &[f32], v: &[f32]) {
    assert!(w.len() >= v.len(), "dot: weights too short");
    // SAFETY: reads `v.len()` floats from `v` and from `w` (`w.len() ≥ v.len()`, asserted
    // above) and the float `b`, and writes the float `y` (an exclusive reference); all
    // 4-byte aligned. The FP registers used (`s0..s16`) are saved first and restored at
    // the end (VPUSH/VPOP balanced; see `gate_into` on why they cannot be named as
    // clobbers). Flags are clobbered.
    unsafe {
        asm!(
            "vpush {{s0-s16}}",
            "vldr s16, [{b}]",
            "lsrs {n4}, {n}, #3",
            "beq 13f",
            "12:",
            "vldmia {v}!, {{s0-s7}}",
            "vldmia {w}!, {{s8-s15}}",
            "vmla.f32 s16, s8, s0",
            "vmla.f32 s16, s9, s1",
            "vmla.f32 s16, s10, s2",
            "vmla.f32 s16, s11, s3",
            "vmla.f32 s16, s12, s4",
            "vmla.f32 s16, s13, s5",
            "vmla.f32 s16, s14, s6",
            "vmla.f32 s16, s15, s7",
            "subs {n4}, #1",
            "bne 12b",
            "13:",
            "ands {n4}, {n}, #7",
            "beq 15f",
            "14:",
            "vldmia {v}!, {{s0}}",
            "vldmia {w}!, {{s8}}",
            "vmla.f32 s16, s8, s0",
            "subs {n4}, #1",
            "bne 14b",
            "15:",
            "vstr s16, [{y}]",
            "vpop {{s0-s16}}",
            y = in(reg) y as *mut f32,
            b = in(reg) b as *const f32,
            w = inout(reg) w.as_ptr() => _,
            v = inout(reg) v.as_ptr() => _,
            n = in(reg) v.len(),
            n4 = out(reg) _,
        );
    }
}
