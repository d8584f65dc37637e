//! The AVX-512 VNNI matrix multiply: `vpdpbusd` on 512 bits (16 outputs × 4
//! inputs per instruction), 6 rows × one 64-output panel per register tile.
//!
//! Exactness: `vpdpbusd` adds the four products `u8 × i8` (each at most
//! 255 · 63 in magnitude) to the int32 lane without saturation; a row's sum
//! stays below 2³¹ for any `k` under 66,000, so the sums are exact. Subtracting
//! `128 × Σ w` gives the centered sum every kernel dequantizes.

use super::{store_block, QMatrix, QRows, BLOCK, PANEL, STEP};
use std::arch::x86_64::*;

/// `out = dequantize(x · wᵀ) + bias`.
///
/// # Safety
///
/// The CPU must support AVX-512 F, BW and VNNI, and the shapes must agree
/// (`x.k_padded == w.k_padded`, `out.len() == x.rows × w.rows`), as
/// [`super::matmul`] checks.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn matmul(x: &QRows, w: &QMatrix, out: &mut [f32]) {
    // SAFETY: the features are enabled (our contract); every call gets an
    // existing panel and rows, and the shapes agree.
    unsafe { tile_rows!(x, w, out, w.panels, tile, 6, 5, 4, 3, 2) }
}

/// `R` rows from `r0` × panel `p` (64 outputs).
///
/// # Safety
///
/// As [`matmul`], plus `p < w.panels` and `r0 + R <= x.rows`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn tile<const R: usize>(x: &QRows, w: &QMatrix, p: usize, r0: usize, out: &mut [f32]) {
    let steps = w.k_padded / 4;
    let mut acc = [[_mm512_setzero_si512(); 4]; R];
    // SAFETY: panel p (< w.panels) spans `steps` steps of STEP bytes of
    // `packed`, so the four 64-byte loads of step s stay in bounds; row
    // r0 + i (< x.rows) has k_padded = 4 · steps bytes, so the 4-byte read at
    // 4s does too. All loads are unaligned.
    unsafe {
        let panel = w.packed.as_ptr().add(p * w.k_padded * PANEL);
        let rows: [*const u8; R] =
            std::array::from_fn(|i| x.data.as_ptr().add((r0 + i) * x.k_padded));
        for s in 0..steps {
            let ws = panel.add(s * STEP);
            let w0 = _mm512_loadu_si512(ws.cast());
            let w1 = _mm512_loadu_si512(ws.add(64).cast());
            let w2 = _mm512_loadu_si512(ws.add(128).cast());
            let w3 = _mm512_loadu_si512(ws.add(192).cast());
            for i in 0..R {
                let a = _mm512_set1_epi32(rows[i].add(4 * s).cast::<i32>().read_unaligned());
                acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], a, w0);
                acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], a, w1);
                acc[i][2] = _mm512_dpbusd_epi32(acc[i][2], a, w2);
                acc[i][3] = _mm512_dpbusd_epi32(acc[i][3], a, w3);
            }
        }
    }
    for (i, acc_row) in acc.iter().enumerate() {
        let r = r0 + i;
        for (b, &a) in acc_row.iter().enumerate() {
            let o0 = p * PANEL + b * BLOCK;
            if o0 >= w.rows {
                break;
            }
            let mut sums = [0i32; BLOCK];
            // SAFETY: `zero_offset` is padded to whole panels, so 16 values
            // from o0 exist; `sums` holds 16 int32 (unaligned store).
            unsafe {
                let off = _mm512_loadu_si512(w.zero_offset.as_ptr().add(o0).cast());
                _mm512_storeu_si512(sums.as_mut_ptr().cast(), _mm512_sub_epi32(a, off));
            }
            store_block(x, w, o0 / BLOCK, r, &sums, out);
        }
    }
}
