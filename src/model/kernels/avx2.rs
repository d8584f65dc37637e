//! The 256-bit x86-64 matrix multiplies: AVX2 (every x86-64 CPU since
//! Haswell / Zen 1) and AVX-VNNI (Alder Lake, Zen 5 and later). Both work on
//! one 16-output block (two 256-bit registers of 8 int32 outputs) × up to 4
//! rows per register tile, over the same packed layout as the other kernels
//! (a 32-byte load is 8 outputs × 4 consecutive inputs).
//!
//! **AVX2 exactness (why `vpmaddubsw` cannot saturate here).** `vpmaddubsw`
//! multiplies unsigned bytes by signed bytes and adds adjacent pairs into a
//! *saturating* int16, so `u8 × i8` pairs could reach 2 · 255 · 127 = 64,770 and
//! clip. This kernel never gives it such operands:
//! 1. weights are quantized to [-127, 127] (`QMatrix::quantize` clamps), and
//!    activation bytes to [1, 255], i.e. `xs = x ^ 0x80` (= x − 128 as i8,
//!    computed once per call) is in [-127, 127] (`QRows::quantize` clamps;
//!    padding is 128 → 0);
//! 2. the unsigned operand is `|w|` (`vpabsb`): in [0, 127];
//! 3. the signed operand is `xs · sign(w)` (`vpsignb`: negate where w < 0,
//!    zero where w = 0): since xs ≠ -128, the negation cannot wrap, so it is
//!    in [-127, 127] and `|w| · xs · sign(w) = w · xs` exactly;
//! 4. a pair sum is then at most 2 · 127 · 127 = 32,258 < 32,767 in magnitude:
//!    no saturation. `vpmaddwd` by 1 widens the pairs into exact int32 sums of
//!    4 products, added to int32 accumulators that cannot overflow (a row has
//!    far fewer than 2³¹ / 16,129 inputs).
//!
//! The result is the centered sum `Σ (x − 128) · w` directly. The unit test
//! `avx2_extreme_values_do_not_saturate` checks the bound's worst case.
//!
//! **AVX-VNNI** (`vpdpbusd` on 256 bits, `_mm256_dpbusd_avx_epi32`): the same
//! operation as the AVX-512 VNNI kernel on half the width (u8 × i8, exact
//! int32), minus `128 × Σ w`. The development CPU (AMD EPYC Zen 4) has
//! AVX-512 VNNI but not AVX-VNNI, so this kernel is compiled and reviewed but
//! has not been run there; its test skips where the CPU lacks it.

use super::{store_block, QMatrix, QRows, BLOCK, STEP};
use std::arch::x86_64::*;

/// `out = dequantize(x · wᵀ) + bias` with AVX2.
///
/// # Safety
///
/// The CPU must support AVX2, and the shapes must agree (`x.k_padded ==
/// w.k_padded`, `out.len() == x.rows × w.rows`), as [`super::matmul`] checks.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn matmul(x: &QRows, w: &QMatrix, out: &mut [f32]) {
    // The activations as signed bytes once per call, so that the inner loop
    // broadcasts them straight from memory (a load, no shuffle, no xor).
    let signed = &QRows {
        data: x.data.iter().map(|b| b ^ 0x80).collect(),
        scale: x.scale.clone(),
        ..*x
    };
    // SAFETY: AVX2 is enabled (our contract); every call gets an existing
    // block and rows, and the shapes agree (`signed` has `x`'s shape).
    unsafe { tile_rows!(signed, w, out, w.blocks(), tile, 4, 3, 2) }
}

/// `R` rows from `r0` × block `b` (16 outputs), AVX2; `x` holds signed
/// activation bytes (`x ^ 0x80` of the quantized rows).
///
/// # Safety
///
/// As [`matmul`], plus `b < w.blocks()` and `r0 + R <= x.rows`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn tile<const R: usize>(x: &QRows, w: &QMatrix, b: usize, r0: usize, out: &mut [f32]) {
    let steps = w.k_padded / 4;
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_si256(); 2]; R];
    // SAFETY: block b's step s is 64 bytes at block_offset(b) + s · STEP in
    // `packed` (b < blocks ≤ 4 · panels), so both 32-byte loads stay in
    // bounds; row r0 + i (< x.rows) has k_padded = 4 · steps bytes, so the
    // 4-byte read at 4s does too. All loads are unaligned.
    unsafe {
        let base = w.packed.as_ptr().add(w.block_offset(b));
        let rows: [*const u8; R] =
            std::array::from_fn(|i| x.data.as_ptr().add((r0 + i) * x.k_padded));
        for s in 0..steps {
            let ws = base.add(s * STEP);
            let w0 = _mm256_loadu_si256(ws.cast());
            let w1 = _mm256_loadu_si256(ws.add(32).cast());
            let a0 = _mm256_abs_epi8(w0);
            let a1 = _mm256_abs_epi8(w1);
            for i in 0..R {
                let xs = _mm256_set1_epi32(rows[i].add(4 * s).cast::<i32>().read_unaligned());
                let p0 = _mm256_maddubs_epi16(a0, _mm256_sign_epi8(xs, w0));
                let p1 = _mm256_maddubs_epi16(a1, _mm256_sign_epi8(xs, w1));
                acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(p0, ones));
                acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(p1, ones));
            }
        }
    }
    for (i, pair) in acc.iter().enumerate() {
        let mut sums = [0i32; BLOCK];
        // SAFETY: `sums` holds 16 int32: two unaligned 8-lane stores.
        unsafe {
            _mm256_storeu_si256(sums.as_mut_ptr().cast(), pair[0]);
            _mm256_storeu_si256(sums.as_mut_ptr().add(8).cast(), pair[1]);
        }
        store_block(x, w, b, r0 + i, &sums, out);
    }
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
    let steps = w.k_padded / 4;
    let mut acc = [[_mm256_setzero_si256(); 2]; R];
    // SAFETY: the same bounds as in `tile`.
    unsafe {
        let base = w.packed.as_ptr().add(w.block_offset(b));
        let rows: [*const u8; R] =
            std::array::from_fn(|i| x.data.as_ptr().add((r0 + i) * x.k_padded));
        for s in 0..steps {
            let ws = base.add(s * STEP);
            let w0 = _mm256_loadu_si256(ws.cast());
            let w1 = _mm256_loadu_si256(ws.add(32).cast());
            for i in 0..R {
                let xu = _mm256_set1_epi32(rows[i].add(4 * s).cast::<i32>().read_unaligned());
                acc[i][0] = _mm256_dpbusd_avx_epi32(acc[i][0], xu, w0);
                acc[i][1] = _mm256_dpbusd_avx_epi32(acc[i][1], xu, w1);
            }
        }
    }
    let o0 = b * BLOCK;
    for (i, pair) in acc.iter().enumerate() {
        let mut sums = [0i32; BLOCK];
        // SAFETY: `zero_offset` is padded to whole panels, so 16 values from
        // o0 exist; `sums` holds 16 int32. All accesses are unaligned.
        unsafe {
            let off = w.zero_offset.as_ptr().add(o0);
            let lo = _mm256_sub_epi32(pair[0], _mm256_loadu_si256(off.cast()));
            let hi = _mm256_sub_epi32(pair[1], _mm256_loadu_si256(off.add(8).cast()));
            _mm256_storeu_si256(sums.as_mut_ptr().cast(), lo);
            _mm256_storeu_si256(sums.as_mut_ptr().add(8).cast(), hi);
        }
        store_block(x, w, b, r0 + i, &sums, out);
    }
}
