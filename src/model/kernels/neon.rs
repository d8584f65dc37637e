//! The aarch64 matrix multiplies, on one 16-output block (four 128-bit
//! registers of 4 outputs × 4 inputs each, the packed layout as is):
//!
//! * with the dot-product extension, `sdot` (4 products i8 × i8 added to
//!   each int32 lane), 4 rows per tile;
//! * plain NEON, `smull`/`smull2` (i8 × i8 → i16, exact: at most 127 · 63)
//!   then `sadalp` (pairwise add into int32, exact), 2 rows per tile; a
//!   lane then holds two of an output's four products per step, and a final
//!   `addp` joins the pairs.
//!
//! Both multiply the signed activation `x ^ 0x80` (= x − 128, in [-127, 127])
//! by the signed weight (in [-63, 63]), so the int32 sums are the exact
//! centered sums every kernel dequantizes. The development machine is x86-64:
//! this file is type-checked with `cargo check --target
//! aarch64-unknown-linux-gnu` but has not been run.

use super::{store_block, QMatrix, QRows, BLOCK, STEP};
use std::arch::aarch64::*;

/// `out = dequantize(x · wᵀ) + bias` with plain NEON (part of the aarch64
/// baseline, so no run-time check is needed).
pub(super) fn matmul(x: &QRows, w: &QMatrix, out: &mut [f32]) {
    for b in 0..w.blocks() {
        let mut r = 0;
        while r + 2 <= x.rows {
            tile::<2>(x, w, b, r, out);
            r += 2;
        }
        if r < x.rows {
            tile::<1>(x, w, b, r, out);
        }
    }
}

/// `R` rows from `r0` × block `b`, plain NEON (`b < w.blocks()`,
/// `r0 + R <= x.rows`, checked by the slicing below).
#[inline(always)]
fn tile<const R: usize>(x: &QRows, w: &QMatrix, b: usize, r0: usize, out: &mut [f32]) {
    let steps = w.k_padded / 4;
    let block = &w.packed[w.block_offset(b)..w.block_offset(b) + (steps - 1) * STEP + 4 * BLOCK];
    let rows: [&[u8]; R] = std::array::from_fn(|i| x.row(r0 + i));
    // SAFETY: NEON is part of the aarch64 baseline; every load reads 16
    // bytes at block[s · STEP + 16 j] (j < 4) or 4 bytes at rows[i][4s],
    // inside the slices taken above (checked lengths). Loads are unaligned.
    let acc = unsafe {
        let flip = vdup_n_s8(i8::MIN);
        let mut acc = [[vdupq_n_s32(0); 8]; R];
        for s in 0..steps {
            let ws = block.as_ptr().add(s * STEP);
            let wv: [int8x16_t; 4] = std::array::from_fn(|j| vld1q_s8(ws.add(16 * j)));
            for i in 0..R {
                let xu = vreinterpret_s8_u32(vdup_n_u32(
                    rows[i].as_ptr().add(4 * s).cast::<u32>().read_unaligned(),
                ));
                let xs = veor_s8(xu, flip);
                let xs2 = vcombine_s8(xs, xs);
                for j in 0..4 {
                    let lo = vmull_s8(vget_low_s8(wv[j]), xs);
                    let hi = vmull_high_s8(wv[j], xs2);
                    acc[i][2 * j] = vpadalq_s16(acc[i][2 * j], lo);
                    acc[i][2 * j + 1] = vpadalq_s16(acc[i][2 * j + 1], hi);
                }
            }
        }
        acc
    };
    for (i, halves) in acc.iter().enumerate() {
        let mut sums = [0i32; BLOCK];
        for j in 0..4 {
            // [o0 (k0+k1), o0 (k2+k3), o1 …] + [o2 …, o3 …] → [o0, o1, o2, o3].
            // SAFETY: `sums` has 16 int32; this writes 4 at 4j.
            unsafe {
                let joined = vpaddq_s32(halves[2 * j], halves[2 * j + 1]);
                vst1q_s32(sums.as_mut_ptr().add(4 * j), joined);
            }
        }
        store_block(x, w, b, r0 + i, &sums, out);
    }
}

/// `out = dequantize(x · wᵀ) + bias` with `sdot`.
///
/// # Safety
///
/// The CPU must support the dot-product extension (`dotprod`), as
/// [`super::matmul`] checks.
#[target_feature(enable = "neon,dotprod")]
pub(super) unsafe fn matmul_dot(x: &QRows, w: &QMatrix, out: &mut [f32]) {
    // SAFETY: dotprod is enabled (our contract); every call gets an existing
    // block and rows.
    unsafe { tile_rows!(x, w, out, w.blocks(), tile_dot, 4, 3, 2) }
}

/// `R` rows from `r0` × block `b` with `sdot`.
///
/// # Safety
///
/// As [`matmul_dot`].
#[inline]
#[target_feature(enable = "neon,dotprod")]
unsafe fn tile_dot<const R: usize>(x: &QRows, w: &QMatrix, b: usize, r0: usize, out: &mut [f32]) {
    let steps = w.k_padded / 4;
    let block = &w.packed[w.block_offset(b)..w.block_offset(b) + (steps - 1) * STEP + 4 * BLOCK];
    let rows: [&[u8]; R] = std::array::from_fn(|i| x.row(r0 + i));
    let flip = vdupq_n_s8(i8::MIN);
    let mut acc = [[vdupq_n_s32(0); 4]; R];
    for s in 0..steps {
        // SAFETY: 16-byte loads at block[s · STEP + 16 j] (j < 4) and 4-byte
        // loads at rows[i][4s] stay inside the slices taken above.
        unsafe {
            let ws = block.as_ptr().add(s * STEP);
            let wv: [int8x16_t; 4] = std::array::from_fn(|j| vld1q_s8(ws.add(16 * j)));
            for i in 0..R {
                let xu = vreinterpretq_s8_u32(vdupq_n_u32(
                    rows[i].as_ptr().add(4 * s).cast::<u32>().read_unaligned(),
                ));
                let xs = veorq_s8(xu, flip);
                for j in 0..4 {
                    acc[i][j] = sdot(acc[i][j], wv[j], xs);
                }
            }
        }
    }
    for (i, quads) in acc.iter().enumerate() {
        let mut sums = [0i32; BLOCK];
        for (j, &q) in quads.iter().enumerate() {
            // SAFETY: `sums` has 16 int32; this writes 4 at 4j.
            unsafe { vst1q_s32(sums.as_mut_ptr().add(4 * j), q) };
        }
        store_block(x, w, b, r0 + i, &sums, out);
    }
}

/// `acc + Σ₄ a · b` per int32 lane (`sdot`, written as assembly because the
/// `vdotq_s32` intrinsic is not stable Rust).
#[inline]
#[target_feature(enable = "neon,dotprod")]
fn sdot(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    // SAFETY: `sdot` only reads and writes the three vector registers.
    unsafe {
        std::arch::asm!(
            "sdot {acc:v}.4s, {a:v}.16b, {b:v}.16b",
            acc = inout(vreg) acc,
            a = in(vreg) a,
            b = in(vreg) b,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    acc
}
