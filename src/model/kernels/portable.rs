//! The portable matrix multiply: plain Rust over the packed layout, written
//! so that LLVM vectorizes the inner loop (fixed-size chunks, no index
//! arithmetic per element) for whatever instruction set it compiles for.
//!
//! Exactness: each product `(x − 128) · w` is at most 127 · 63 in magnitude
//! and a row has at most a few thousand of them, far from `i32::MAX`, so the
//! int32 sums are exact and equal to every other kernel's.

use super::{write_outputs, QMatrix, QRows, PANEL, STEP};

/// `out = dequantize(x · wᵀ) + bias` (shapes checked by [`super::matmul`]).
pub(super) fn matmul(x: &QRows, w: &QMatrix, out: &mut [f32]) {
    let mut acc = [0i32; PANEL];
    for (p, panel) in w.packed.chunks_exact(w.k_padded * PANEL).enumerate() {
        let (steps, _) = panel.as_chunks::<STEP>();
        let o0 = p * PANEL;
        let n = PANEL.min(w.rows - o0);
        for r in 0..x.rows {
            acc.fill(0);
            let (xs, _) = x.row(r).as_chunks::<4>();
            for (x4, step) in xs.iter().zip(steps) {
                accumulate_step(&mut acc, x4, step);
            }
            let dst = &mut out[r * w.rows + o0..r * w.rows + o0 + n];
            write_outputs(&acc, x.scale[r], w, o0, dst);
        }
    }
}

/// Adds one step (4 inputs × the panel's 64 outputs) to the accumulators:
/// output `j`'s 4 weight bytes are the `j`-th 4-byte word of the step. The
/// bytes are sign-extended out of the word with shifts (contiguous loads and
/// lane-wise shifts, which LLVM vectorizes even for plain SSE2, unlike
/// 4-way interleaved byte loads).
#[inline(always)]
fn accumulate_step(acc: &mut [i32; PANEL], x4: &[u8; 4], step: &[i8; STEP]) {
    let x = x4.map(|v| i32::from((v ^ 0x80) as i8));
    let (words, _) = step.as_chunks::<4>();
    for (a, w) in acc.iter_mut().zip(words) {
        let word = i32::from_le_bytes(w.map(|b| b as u8));
        let w0 = (word << 24) >> 24;
        let w1 = (word << 16) >> 24;
        let w2 = (word << 8) >> 24;
        let w3 = word >> 24;
        *a += x[0] * w0 + x[1] * w1 + x[2] * w2 + x[3] * w3;
    }
}
