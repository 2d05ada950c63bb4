//! The packed weight layout (`kernel::layout`) and the 64-byte aligned buffers
//! (`kernel::aligned`) that hold runtime-sized weights.

#[cfg(feature = "std")]
use tinyrnn::kernel::aligned::AlignedVec;
use tinyrnn::kernel::layout::*;

#[test]
fn packed_index_is_a_bijection() {
    for &(cols, gates, hidden) in &[(1, 4, 7), (3, 3, 16), (5, 1, 33), (2, 4, 130)] {
        let n = cols * gates * hidden;
        let mut seen = [false; 2 * 4 * 130];
        for g in 0..gates {
            for j in 0..hidden {
                for k in 0..cols {
                    let p = packed_index(cols, gates, hidden, k, g, j);
                    assert!(p < n, "index {p} out of {n}");
                    assert!(!seen[p], "index {p} hit twice");
                    seen[p] = true;
                }
            }
        }
    }
}

#[test]
fn const_pack_matches_runtime_pack() {
    let mut w = [[[0.0f32; 3]; 18]; 2];
    for (g, rows) in w.iter_mut().enumerate() {
        for (j, row) in rows.iter_mut().enumerate() {
            for (k, v) in row.iter_mut().enumerate() {
                *v = (g * 1000 + j * 10 + k) as f32;
            }
        }
    }
    let packed = pack(&w);
    let mut flat = [0.0f32; 3 * 2 * 18];
    pack_into(w.as_flattened().as_flattened(), 3, 2, 18, &mut flat);
    assert_eq!(packed.as_flattened().as_flattened(), &flat[..]);
    let mut back = [0.0f32; 3 * 2 * 18];
    unpack_into(&flat, 3, 2, 18, &mut back);
    assert_eq!(back, w.as_flattened().as_flattened());
    // First block, column 1, gate 0 starts after column 0's two 16-wide gate runs.
    assert_eq!(flat[32], w[0][0][1]);
    // The tail block (units 16, 17) starts after the 16·3·2 floats of block 0.
    assert_eq!(flat[96], w[0][16][0]);
}

#[cfg(feature = "std")]
#[test]
fn aligned_and_sized() {
    for len in [0, 1, 15, 16, 17, 100] {
        let mut v = AlignedVec::zeroed(len);
        assert_eq!(v.as_slice().len(), len);
        assert_eq!(v.as_slice().as_ptr() as usize % 64, 0);
        v.as_mut_slice().iter_mut().enumerate().for_each(|(i, x)| *x = i as f32);
        assert_eq!(v.as_slice().iter().sum::<f32>(), (len * len.saturating_sub(1) / 2) as f32);
    }
}
