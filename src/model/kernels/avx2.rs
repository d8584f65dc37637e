//! The 256-bit x86-64 matrix multiplies: AVX2 (every x86-64 CPU since
//! Haswell / Zen 1) and AVX-VNNI (Alder Lake, Zen 5 and later). Both work on
//! one 16-output block (two 256-bit registers of 8 int32 outputs) × up to 4
//! rows per register tile, over the same packed layout as the other kernels
//! (a 32-byte load is 8 outputs × 4 consecutive inputs), and both multiply
//! the unsigned activation bytes by the signed weights, then subtract the
//! precomputed `128 × Σ w` per output ([`tile_256!`]).
//!
//! **AVX2 exactness (why `vpmaddubsw` cannot saturate here).** `vpmaddubsw`
//! multiplies unsigned bytes by signed bytes and adds adjacent pairs into a
//! *saturating* int16: with 8-bit weights, `u8 × i8` pairs could reach
//! 2 · 255 · 127 = 64,770 and clip. Here:
//! 1. the activation bytes are in [1, 255] (`QRows::quantize` clamps to
//!    [-127, 127] around the zero point 128; padding is 128);
//! 2. the weights are in [-63, 63] (`QMatrix::quantize` clamps to
//!    [`super::WEIGHT_MAX`]; padding is 0);
//! 3. so a pair sum is at most 2 · 255 · 63 = 32,130 < 32,767 in magnitude:
//!    no saturation, the int16 is exact. `vpmaddwd` by 1 widens the pairs
//!    into exact int32 sums of 4 products, added to int32 accumulators that
//!    cannot overflow (a row has far fewer than 2³¹ / 16,065 inputs).
//!
//! The unit test `extreme_values_do_not_saturate_any_kernel` checks the
//! bound's worst case (activation bytes 255 against weights ±63).
//!
//! **AVX-VNNI** (`vpdpbusd` on 256 bits, `_mm256_dpbusd_avx_epi32`): the same
//! operation as the AVX-512 VNNI kernel on half the width (u8 × i8, exact
//! int32 whatever the weights' range). The development CPU (AMD EPYC Zen 4)
//! has AVX-512 VNNI but not AVX-VNNI, so this kernel is compiled and reviewed
//! but has not been run there; its test skips where the CPU lacks it.

use super::{store_block, QMatrix, QRows, BLOCK, STEP};
use std::arch::x86_64::*;

/// The register tile shared by the AVX2 and AVX-VNNI kernels: `R` rows from
/// `r0` × block `b` (16 outputs), accumulating with `$madd(acc, xu, w)` (the
/// int32 sums of 4 products `u8 × i8` per lane, added to `acc`), then
/// subtracting `128 × Σ w` and dequantizing. Expands inside the calling
/// `#[target_feature]` function, whose `unsafe` block must cover the
/// caller's contract plus `b < w.blocks()` and `r0 + R <= x.rows`.
macro_rules! tile_256 {
    ($x:ident, $w:ident, $b:ident, $r0:ident, $out:ident, $madd:expr) => {{
        let steps = $w.k_padded / 4;
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        // Block b's step s is 64 bytes at block_offset(b) + s · STEP in
        // `packed` (b < blocks ≤ 4 · panels), so both 32-byte loads stay in
        // bounds; row r0 + i (< x.rows) has k_padded = 4 · steps bytes, so
        // the 4-byte read at 4s does too. All loads are unaligned.
        let base = $w.packed.as_ptr().add($w.block_offset($b));
        let rows: [*const u8; R] =
            std::array::from_fn(|i| $x.data.as_ptr().add(($r0 + i) * $x.k_padded));
        for s in 0..steps {
            let ws = base.add(s * STEP);
            let w0 = _mm256_loadu_si256(ws.cast());
            let w1 = _mm256_loadu_si256(ws.add(32).cast());
            for i in 0..R {
                let xu = _mm256_set1_epi32(rows[i].add(4 * s).cast::<i32>().read_unaligned());
                acc[i][0] = $madd(acc[i][0], xu, w0);
                acc[i][1] = $madd(acc[i][1], xu, w1);
            }
        }
        // `zero_offset` is padded to whole panels, so 16 values from o0
        // exist; `sums` holds 16 int32.
        let off = $w.zero_offset.as_ptr().add($b * BLOCK);
        for (i, pair) in acc.iter().enumerate() {
            let mut sums = [0i32; BLOCK];
            let lo = _mm256_sub_epi32(pair[0], _mm256_loadu_si256(off.cast()));
            let hi = _mm256_sub_epi32(pair[1], _mm256_loadu_si256(off.add(8).cast()));
            _mm256_storeu_si256(sums.as_mut_ptr().cast(), lo);
            _mm256_storeu_si256(sums.as_mut_ptr().add(8).cast(), hi);
            store_block($x, $w, $b, $r0 + i, &sums, $out);
        }
    }};
}

/// `out = dequantize(x · wᵀ) + bias` with AVX2.
///
/// # Safety
///
/// The CPU must support AVX2, and the shapes must agree (`x.k_padded ==
/// w.k_padded`, `out.len() == x.rows × w.rows`), as [`super::matmul`] checks.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn matmul(x: &QRows, w: &QMatrix, out: &mut [f32]) {
    // SAFETY: AVX2 is enabled (our contract); every call gets an existing
    // block and rows, and the shapes agree.
    unsafe { tile_rows!(x, w, out, w.blocks(), tile, 4, 3, 2) }
}

/// `R` rows from `r0` × block `b` (16 outputs), AVX2: `vpmaddubsw` (exact,
/// see the module's proof) then `vpmaddwd` by 1 into int32.
///
/// # Safety
///
/// As [`matmul`], plus `b < w.blocks()` and `r0 + R <= x.rows`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn tile<const R: usize>(x: &QRows, w: &QMatrix, b: usize, r0: usize, out: &mut [f32]) {
    let ones = _mm256_set1_epi16(1);
    // Closures inherit the function's target features: this inlines.
    let madd = |acc, xu, w| {
        let pairs = _mm256_maddubs_epi16(xu, w);
        _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones))
    };
    // SAFETY: as the macro requires (our contract).
    unsafe { tile_256!(x, w, b, r0, out, madd) }
}

/// `out = dequantize(x · wᵀ) + bias` with AVX-VNNI.
///
/// # Safety
///
/// The CPU must support AVX2 and AVX-VNNI, and the shapes must agree, as
/// [`super::matmul`] checks.
#[target_feature(enable = "avx2,avxvnni")]
pub(super) unsafe fn matmul_vnni(x: &QRows, w: &QMatrix, out: &mut [f32]) {
    // SAFETY: as in `matmul`, with AVX-VNNI enabled too.
    unsafe { tile_rows!(x, w, out, w.blocks(), tile_vnni, 4, 3, 2) }
}

/// `R` rows from `r0` × block `b` (16 outputs), AVX-VNNI.
///
/// # Safety
///
/// As [`matmul_vnni`], plus `b < w.blocks()` and `r0 + R <= x.rows`.
#[inline]
#[target_feature(enable = "avx2,avxvnni")]
unsafe fn tile_vnni<const R: usize>(x: &QRows, w: &QMatrix, b: usize, r0: usize, out: &mut [f32]) {
    let madd = |acc, xu, w| _mm256_dpbusd_avx_epi32(acc, xu, w);
    // SAFETY: as the macro requires (our contract).
    unsafe { tile_256!(x, w, b, r0, out, madd) }
}
