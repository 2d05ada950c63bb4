//! 32-bit Arm with a hard-float FPU (`target_abi = "eabihf"`: Cortex-M4F, M7, M33, and the
//! Armv7-A hard-float targets): the scalar kernel's inner loop, written with VFP
//! instructions.
//!
//! Only the multiply-accumulate loop over one packed block is specialised ([`lanes_sum`]);
//! the cell math around it is the scalar kernel's (`kernel::scalar`). The loop keeps one
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
//! registers it uses (one `VPUSH`), loads the accumulators from memory and stores them back.

use core::arch::asm;

/// One column of a 16-unit block: the weights of the 16 units of one gate are 16 adjacent
/// floats (two `VLDMIA` of eight, the first post-incrementing), then `skip` bytes to the same
/// gate's run in the next column. The column's input value is in `$x`.
macro_rules! col16 {
    ($x:literal) => {
        concat!(
            "vldmia {w}!, {{s8-s15}}\n",
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
            "vldmia {w}, {{s8-s15}}\n",
            "add {w}, {skip}\n",
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
    ($x:literal) => {
        concat!(
            "vldmia {w}, {{s8-s15}}\n",
            "add {w}, {skip}\n",
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
    ($col:ident) => {
        concat!(
            "lsrs {n4}, {n}, #3\n",
            "beq 3f\n",
            "2:\n",
            "vldmia {v}!, {{s0-s7}}\n",
            $col!("s0"),
            $col!("s1"),
            $col!("s2"),
            $col!("s3"),
            $col!("s4"),
            $col!("s5"),
            $col!("s6"),
            $col!("s7"),
            "subs {n4}, #1\n",
            "bne 2b\n",
            "3:\n",
            "ands {n4}, {n}, #7\n",
            "beq 5f\n",
            "4:\n",
            "vldmia {v}!, {{s0}}\n",
            $col!("s0"),
            "subs {n4}, #1\n",
            "bne 4b\n",
            "5:\n",
        )
    };
}

/// `acc[u] += Σ_k w[k·stride + u] · v[k]` for every unit `u < W`, over the columns of the
/// first segment `(w, v)` of `parts`, then of the second: each accumulator over the columns
/// in order (the scalar kernel's order, one rounding per multiply and per add). `W` is 8 or
/// 16 (a packed block's width); each `w` starts at the gate's run in its first column and
/// `stride` (floats, at least `W`) is the distance between columns. One call keeps the
/// accumulators in registers across both segments (a cell's input and recurrent columns).
///
/// Panics if a `w` is too short for its `v.len()` columns or `stride < W`.
#[inline(always)]
pub fn lanes_sum<const W: usize>(acc: &mut [f32; W], parts: [(&[f32], &[f32]); 2], stride: usize) {
    let [(w1, v1), (w2, v2)] = parts;
    if v1.is_empty() && v2.is_empty() {
        return;
    }
    for (w, v) in parts {
        assert!(stride >= W && (v.is_empty() || w.len() >= (v.len() - 1) * stride + W), "packed block too short");
    }
    if let Ok(a) = <&mut [f32; 16]>::try_from(acc.as_mut_slice()) {
        // Bytes from the end of a column's second eight-float load to the next column.
        let skip = (stride - 8) * 4;
        // SAFETY: each segment reads `v.len()` floats from its `v` and, from its `w`, columns
        // `k < v.len()` of 16 floats at `k·stride`: the last ends at `(v.len() − 1)·stride +
        // 16 ≤ w.len()` (asserted above); an empty segment reads nothing. Pointers are only
        // read through and are 4-byte aligned (`&[f32]`); VLDM needs word alignment only.
        // `a` is the exclusive `&mut [f32; 16]`, loaded into `s16..s31` and stored back.
        // Every FP register the loop uses is saved on the stack first and restored at the
        // end (rustc does not let stable code name `s` registers as operands or clobbers
        // here: it does not see the FPU as `vfp2`), and VPUSH/VPOP are balanced, so the
        // compiler's registers and stack are as it left them. Flags are clobbered (no
        // `preserves_flags`).
        unsafe {
            asm!(
                "vpush {{s0-s31}}",
                "vldmia {a}, {{s16-s31}}",
                segment!(col16),
                "mov {w}, {w2}",
                "mov {v}, {v2}",
                "mov {n}, {n2}",
                segment!(col16),
                "vstmia {a}, {{s16-s31}}",
                "vpop {{s0-s31}}",
                a = in(reg) a.as_mut_ptr(),
                w = inout(reg) w1.as_ptr() => _,
                v = inout(reg) v1.as_ptr() => _,
                n = inout(reg) v1.len() => _,
                n4 = out(reg) _,
                w2 = in(reg) w2.as_ptr(),
                v2 = in(reg) v2.as_ptr(),
                n2 = in(reg) v2.len(),
                skip = in(reg) skip,
            );
        }
    } else if let Ok(a) = <&mut [f32; 8]>::try_from(acc.as_mut_slice()) {
        let skip = stride * 4;
        // SAFETY: as above, with columns of 8 floats (the last ends at
        // `(v.len() − 1)·stride + 8 ≤ w.len()`) and the registers `s0..s23` saved and restored.
        unsafe {
            asm!(
                "vpush {{s0-s23}}",
                "vldmia {a}, {{s16-s23}}",
                segment!(col8),
                "mov {w}, {w2}",
                "mov {v}, {v2}",
                "mov {n}, {n2}",
                segment!(col8),
                "vstmia {a}, {{s16-s23}}",
                "vpop {{s0-s23}}",
                a = in(reg) a.as_mut_ptr(),
                w = inout(reg) w1.as_ptr() => _,
                v = inout(reg) v1.as_ptr() => _,
                n = inout(reg) v1.len() => _,
                n4 = out(reg) _,
                w2 = in(reg) w2.as_ptr(),
                v2 = in(reg) v2.as_ptr(),
                n2 = in(reg) v2.len(),
                skip = in(reg) skip,
            );
        }
    } else {
        // Other widths are not routed here (see `kernel::scalar`); the portable loop.
        for (w, v) in parts {
            for (k, &vk) in v.iter().enumerate() {
                for (a, &wv) in acc.iter_mut().zip(&w[k * stride..][..W]) {
                    *a += wv * vk;
                }
            }
        }
    }
}
