//! 32-bit Arm with a hard-float FPU (`target_abi = "eabihf"`: Cortex-M4F, M7, M33, and the
//! Armv7-A hard-float targets): the scalar kernel's inner loop, written with VFP
//! instructions.
//!
//! Only the multiply-accumulate loop over one packed block is specialised ([`lanes_sum`]);
//! the cell math around it is the scalar kernel's (`kernel::scalar`). The loop keeps one
//! accumulator per hidden unit of the block in `s16..s31`, loads the weights of a column
//! with one post-incrementing `VLDMIA` per eight units and the inputs with one `VLDMIA` per
//! four columns, and accumulates with `VMLA.F32`. `VMLA` is the *chained* multiply-accumulate
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
            "vldmia {w}!, {{s4-s11}}\n",
            "vmla.f32 s16, s4, ",
            $x,
            "\n",
            "vmla.f32 s17, s5, ",
            $x,
            "\n",
            "vmla.f32 s18, s6, ",
            $x,
            "\n",
            "vmla.f32 s19, s7, ",
            $x,
            "\n",
            "vmla.f32 s20, s8, ",
            $x,
            "\n",
            "vmla.f32 s21, s9, ",
            $x,
            "\n",
            "vmla.f32 s22, s10, ",
            $x,
            "\n",
            "vmla.f32 s23, s11, ",
            $x,
            "\n",
            "vldmia {w}, {{s4-s11}}\n",
            "add {w}, {skip}\n",
            "vmla.f32 s24, s4, ",
            $x,
            "\n",
            "vmla.f32 s25, s5, ",
            $x,
            "\n",
            "vmla.f32 s26, s6, ",
            $x,
            "\n",
            "vmla.f32 s27, s7, ",
            $x,
            "\n",
            "vmla.f32 s28, s8, ",
            $x,
            "\n",
            "vmla.f32 s29, s9, ",
            $x,
            "\n",
            "vmla.f32 s30, s10, ",
            $x,
            "\n",
            "vmla.f32 s31, s11, ",
            $x,
            "\n",
        )
    };
}

/// One column of an 8-unit block (see [`col16`]): one `VLDMIA` of eight, then `skip` bytes.
macro_rules! col8 {
    ($x:literal) => {
        concat!(
            "vldmia {w}, {{s4-s11}}\n",
            "add {w}, {skip}\n",
            "vmla.f32 s16, s4, ",
            $x,
            "\n",
            "vmla.f32 s17, s5, ",
            $x,
            "\n",
            "vmla.f32 s18, s6, ",
            $x,
            "\n",
            "vmla.f32 s19, s7, ",
            $x,
            "\n",
            "vmla.f32 s20, s8, ",
            $x,
            "\n",
            "vmla.f32 s21, s9, ",
            $x,
            "\n",
            "vmla.f32 s22, s10, ",
            $x,
            "\n",
            "vmla.f32 s23, s11, ",
            $x,
            "\n",
        )
    };
}

/// `acc[u] += w[k·stride + u] · v[k]` for every unit `u < W` and column `k < v.len()`, each
/// accumulator over `k` in order (the scalar kernel's order, one rounding per multiply and
/// per add). `W` is 8 or 16 (a packed block's width); `w` starts at the gate's run in the
/// block's first column and `stride` (floats, at least `W`) is the distance between columns.
///
/// Panics if `w` is too short for `v.len()` columns or `stride < W`.
#[inline(always)]
pub fn lanes_sum<const W: usize>(acc: &mut [f32; W], w: &[f32], stride: usize, v: &[f32]) {
    let cols = v.len();
    if cols == 0 {
        return;
    }
    assert!(stride >= W && w.len() >= (cols - 1) * stride + W, "packed block too short");
    let (n4, n1) = (cols / 4, cols % 4);
    if let Ok(a) = <&mut [f32; 16]>::try_from(acc.as_mut_slice()) {
        // Bytes from the end of a column's second eight-float load to the next column.
        let skip = (stride - 8) * 4;
        // SAFETY: the loop reads `cols` floats from `v` (its length) and, from `w`, columns
        // `k < cols` of 16 floats at `k·stride`: the last ends at `(cols − 1)·stride + 16 ≤
        // w.len()` (asserted above). Pointers are only read through and are 4-byte aligned
        // (`&[f32]`); VLDM needs word alignment only. `a` is the exclusive `&mut [f32; 16]`,
        // loaded into `s16..s31` and stored back. Every FP register the loop uses is saved
        // on the stack first and restored at the end (rustc does not let stable code name
        // `s` registers as operands or clobbers here: it does not see the FPU as `vfp2`), and
        // VPUSH/VPOP are balanced, so the compiler's registers and stack are as it left them.
        unsafe {
            asm!(
                "vpush {{s0-s31}}",
                "vldmia {a}, {{s16-s31}}",
                "cmp {n4}, #0",
                "beq 3f",
                "2:",
                "vldmia {v}!, {{s0-s3}}",
                col16!("s0"),
                col16!("s1"),
                col16!("s2"),
                col16!("s3"),
                "subs {n4}, #1",
                "bne 2b",
                "3:",
                "cmp {n1}, #0",
                "beq 5f",
                "4:",
                "vldmia {v}!, {{s0}}",
                col16!("s0"),
                "subs {n1}, #1",
                "bne 4b",
                "5:",
                "vstmia {a}, {{s16-s31}}",
                "vpop {{s0-s31}}",
                w = inout(reg) w.as_ptr() => _,
                v = inout(reg) v.as_ptr() => _,
                n4 = inout(reg) n4 => _,
                n1 = inout(reg) n1 => _,
                skip = in(reg) skip,
                a = in(reg) a.as_mut_ptr(),
            );
        }
    } else if let Ok(a) = <&mut [f32; 8]>::try_from(acc.as_mut_slice()) {
        let skip = stride * 4;
        // SAFETY: as above, with columns of 8 floats (the last ends at
        // `(cols − 1)·stride + 8 ≤ w.len()`) and the registers `s0..s23` saved and restored.
        unsafe {
            asm!(
                "vpush {{s0-s23}}",
                "vldmia {a}, {{s16-s23}}",
                "cmp {n4}, #0",
                "beq 3f",
                "2:",
                "vldmia {v}!, {{s0-s3}}",
                col8!("s0"),
                col8!("s1"),
                col8!("s2"),
                col8!("s3"),
                "subs {n4}, #1",
                "bne 2b",
                "3:",
                "cmp {n1}, #0",
                "beq 5f",
                "4:",
                "vldmia {v}!, {{s0}}",
                col8!("s0"),
                "subs {n1}, #1",
                "bne 4b",
                "5:",
                "vstmia {a}, {{s16-s23}}",
                "vpop {{s0-s23}}",
                w = inout(reg) w.as_ptr() => _,
                v = inout(reg) v.as_ptr() => _,
                n4 = inout(reg) n4 => _,
                n1 = inout(reg) n1 => _,
                skip = in(reg) skip,
                a = in(reg) a.as_mut_ptr(),
            );
        }
    } else {
        // Other widths are not routed here (see `kernel::scalar`); the portable loop.
        for (k, &vk) in v.iter().enumerate() {
            for (a, &wv) in acc.iter_mut().zip(&w[k * stride..][..W]) {
                *a += wv * vk;
            }
        }
    }
}
