//! CPU kernels of the int8 encoder ([`super::int8`]): an int8 × int8 matrix
//! multiply with int32 accumulation (AVX-512 VNNI where the CPU has it, a
//! portable Rust loop elsewhere) and the float element-wise operations around
//! it (layer norm, GELU, softmax).
//!
//! **Determinism.** The integer part of the matrix multiply is exact, and every
//! float operation is written out in a fixed order (reductions use a fixed
//! number of lanes, no fused multiply-add), so the VNNI and the portable
//! kernels give bit-for-bit the same results, and a row's result does not
//! depend on the other rows it is computed with.
//!
//! **Quantisation.** Weights: symmetric int8, one scale per output row.
//! Activations: symmetric int8, one scale per row (token), stored as `u8` with a
//! zero point of 128 because VNNI multiplies unsigned by signed bytes; the
//! `128 × Σ w` term this adds is precomputed per output and subtracted.

/// Outputs per packed panel (four 16-lane blocks).
const PANEL: usize = 64;
/// Outputs per 512-bit block of int32 accumulators.
const BLOCK: usize = 16;
/// Bytes of one packed panel step (4 inputs × [`PANEL`] outputs).
const STEP: usize = 4 * PANEL;
/// Lanes of the float reductions (fixed, so results do not depend on the CPU).
const LANES: usize = 16;
/// Zero point of the unsigned activation bytes.
const ZERO_POINT: i32 = 128;

/// Which matrix-multiply kernel runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// Plain Rust (any CPU).
    Portable,
    /// AVX-512 VNNI (`vpdpbusd`), x86-64 only.
    Avx512Vnni,
}

impl Kernel {
    /// The fastest kernel this CPU supports.
    pub fn detect() -> Kernel {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                return Kernel::Avx512Vnni;
            }
        }
        Kernel::Portable
    }

    /// True when this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        self == Kernel::Portable || Kernel::detect() == Kernel::Avx512Vnni
    }

    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            Kernel::Avx512Vnni => "avx512-vnni",
        }
    }
}

/// A weight matrix (`rows` outputs × `cols` inputs) quantized to int8 and
/// packed for the kernels, with its bias.
#[derive(Debug, Clone)]
pub struct QMatrix {
    rows: usize,
    cols: usize,
    /// `cols` rounded up to a multiple of 4.
    k_padded: usize,
    panels: usize,
    /// `panels × k_padded/4 × STEP` bytes: for every 4 inputs, 4 blocks of 16
    /// outputs × 4 consecutive input bytes.
    packed: Vec<i8>,
    /// Per output (padded to `panels × PANEL` with zeros).
    scale: Vec<f32>,
    bias: Vec<f32>,
    zero_offset: Vec<i32>,
}

impl QMatrix {
    /// Quantizes a row-major `rows × cols` weight (PyTorch `Linear` layout:
    /// one row per output) and its bias (`rows` values).
    pub fn quantize(weight: &[f32], rows: usize, cols: usize, bias: &[f32]) -> QMatrix {
        assert_eq!(weight.len(), rows * cols, "weight shape");
        assert_eq!(bias.len(), rows, "bias shape");
        let k_padded = cols.div_ceil(4) * 4;
        let panels = rows.div_ceil(PANEL);
        let padded_rows = panels * PANEL;
        let mut packed = vec![0i8; panels * k_padded * PANEL];
        let mut scale = vec![0f32; padded_rows];
        let mut bias_p = vec![0f32; padded_rows];
        let mut zero_offset = vec![0i32; padded_rows];
        for o in 0..rows {
            let row = &weight[o * cols..(o + 1) * cols];
            let amax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let s = if amax > 0.0 { amax / 127.0 } else { 1.0 };
            scale[o] = s;
            bias_p[o] = bias[o];
            let mut sum = 0i32;
            for (k, &v) in row.iter().enumerate() {
                let q = (v / s).round_ties_even().clamp(-127.0, 127.0) as i8;
                sum += i32::from(q);
                packed[packed_index(o, k, k_padded)] = q;
            }
            zero_offset[o] = ZERO_POINT * sum;
        }
        QMatrix {
            rows,
            cols,
            k_padded,
            panels,
            packed,
            scale,
            bias: bias_p,
            zero_offset,
        }
    }

    /// Number of outputs.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of inputs.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Bytes held by the packed weights.
    pub fn weight_bytes(&self) -> usize {
        self.packed.len()
    }
}

/// Position of weight `(o, k)` in the packed layout.
fn packed_index(o: usize, k: usize, k_padded: usize) -> usize {
    let panel = o / PANEL;
    let within = o % PANEL;
    panel * k_padded * PANEL
        + (k / 4) * STEP
        + (within / BLOCK) * (4 * BLOCK)
        + (within % BLOCK) * 4
        + k % 4
}

/// Rows of activations quantized to `u8` (zero point 128), one scale per row.
/// Reused between calls: quantizing into it does not allocate once it is big
/// enough.
#[derive(Debug, Clone, Default)]
pub struct QRows {
    rows: usize,
    k_padded: usize,
    data: Vec<u8>,
    scale: Vec<f32>,
}

impl QRows {
    /// Quantizes `rows × cols` floats (row-major).
    #[inline(always)]
    pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize) {
        debug_assert_eq!(x.len(), rows * cols);
        let k_padded = cols.div_ceil(4) * 4;
        self.rows = rows;
        self.k_padded = k_padded;
        self.data.clear();
        self.data.resize(rows * k_padded, ZERO_POINT as u8);
        self.scale.clear();
        self.scale.resize(rows, 1.0);
        for r in 0..rows {
            let src = &x[r * cols..(r + 1) * cols];
            let amax = max_abs(src);
            let s = if amax > 0.0 { amax / 127.0 } else { 1.0 };
            let inv = 1.0 / s;
            self.scale[r] = s;
            let dst = &mut self.data[r * k_padded..r * k_padded + cols];
            for (d, &v) in dst.iter_mut().zip(src) {
                // `max`/`min` (unlike `clamp`) turn NaN into a bound, so the
                // value is always finite and within [-127, 127].
                #[allow(clippy::manual_clamp)]
                let q = (v * inv).round_ties_even().max(-127.0).min(127.0) + ZERO_POINT as f32;
                // SAFETY: q is finite and in [1, 255].
                *d = unsafe { q.to_int_unchecked::<i32>() } as u8;
            }
        }
    }
}

#[inline(always)]
fn max_abs(x: &[f32]) -> f32 {
    lane_max(x, 0.0, f32::abs)
}

/// Largest `f(v)` over `x` and `floor`, lane-wise so that it vectorizes
/// (NaN values of `f` are skipped).
#[inline(always)]
fn lane_max(x: &[f32], floor: f32, f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [floor; LANES];
    let (blocks, rest) = x.as_chunks::<LANES>();
    for c in blocks {
        for l in 0..LANES {
            let a = f(c[l]);
            lanes[l] = if a > lanes[l] { a } else { lanes[l] };
        }
    }
    let mut m = floor;
    for a in lanes.into_iter().chain(rest.iter().map(|&v| f(v))) {
        m = if a > m { a } else { m };
    }
    m
}

/// `out = dequantize(x · wᵀ) + bias`: `x.rows × w.rows` floats, row-major.
pub fn matmul(kernel: Kernel, x: &QRows, w: &QMatrix, out: &mut [f32]) {
    assert_eq!(x.k_padded, w.k_padded, "inner dimensions differ");
    assert_eq!(out.len(), x.rows * w.rows, "output shape");
    match kernel {
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512Vnni if Kernel::detect() == Kernel::Avx512Vnni => {
            // SAFETY: the CPU supports the target features (checked just above).
            unsafe { vnni::matmul(x, w, out) }
        }
        _ => matmul_portable(x, w, out),
    }
}

/// The dequantizing epilogue shared by both kernels (same float operations
/// in the same order, so both give identical bits).
#[inline(always)]
fn dequantize(acc: i32, zero_offset: i32, x_scale: f32, w_scale: f32, bias: f32) -> f32 {
    let scale = w_scale * x_scale;
    (acc - zero_offset) as f32 * scale + bias
}

fn matmul_portable(x: &QRows, w: &QMatrix, out: &mut [f32]) {
    let steps = w.k_padded / 4;
    let mut acc = [0i32; PANEL];
    for p in 0..w.panels {
        let panel = &w.packed[p * w.k_padded * PANEL..(p + 1) * w.k_padded * PANEL];
        for r in 0..x.rows {
            let xr = &x.data[r * x.k_padded..(r + 1) * x.k_padded];
            acc.fill(0);
            for s in 0..steps {
                let xs = &xr[4 * s..4 * s + 4];
                let ws = &panel[s * STEP..(s + 1) * STEP];
                for (j, a) in acc.iter_mut().enumerate() {
                    let base = (j / BLOCK) * (4 * BLOCK) + (j % BLOCK) * 4;
                    let wj = &ws[base..base + 4];
                    *a += i32::from(xs[0]) * i32::from(wj[0])
                        + i32::from(xs[1]) * i32::from(wj[1])
                        + i32::from(xs[2]) * i32::from(wj[2])
                        + i32::from(xs[3]) * i32::from(wj[3]);
                }
            }
            let o0 = p * PANEL;
            let n = PANEL.min(w.rows - o0);
            let dst = &mut out[r * w.rows + o0..r * w.rows + o0 + n];
            for (j, d) in dst.iter_mut().enumerate() {
                let o = o0 + j;
                *d = dequantize(acc[j], w.zero_offset[o], x.scale[r], w.scale[o], w.bias[o]);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use super::{QMatrix, QRows, BLOCK, PANEL, STEP};
    use std::arch::x86_64::*;

    /// Rows per register tile (6 rows × 4 blocks = 24 accumulators).
    const TILE_ROWS: usize = 6;

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn matmul(x: &QRows, w: &QMatrix, out: &mut [f32]) {
        for p in 0..w.panels {
            let mut r = 0;
            while r < x.rows {
                let n = (x.rows - r).min(TILE_ROWS);
                match n {
                    6 => tile::<6>(x, w, p, r, out),
                    5 => tile::<5>(x, w, p, r, out),
                    4 => tile::<4>(x, w, p, r, out),
                    3 => tile::<3>(x, w, p, r, out),
                    2 => tile::<2>(x, w, p, r, out),
                    _ => tile::<1>(x, w, p, r, out),
                }
                r += n;
            }
        }
    }

    /// `R` rows × one panel of 64 outputs.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn tile<const R: usize>(x: &QRows, w: &QMatrix, p: usize, r0: usize, out: &mut [f32]) {
        let steps = w.k_padded / 4;
        let panel = w.packed.as_ptr().add(p * w.k_padded * PANEL);
        let rows: [*const u8; R] =
            std::array::from_fn(|i| x.data.as_ptr().add((r0 + i) * x.k_padded));
        let mut acc = [[_mm512_setzero_si512(); 4]; R];
        for s in 0..steps {
            let ws = panel.add(s * STEP);
            let w0 = _mm512_loadu_si512(ws as *const __m512i);
            let w1 = _mm512_loadu_si512(ws.add(64) as *const __m512i);
            let w2 = _mm512_loadu_si512(ws.add(128) as *const __m512i);
            let w3 = _mm512_loadu_si512(ws.add(192) as *const __m512i);
            for i in 0..R {
                let a = _mm512_set1_epi32((rows[i].add(4 * s) as *const i32).read_unaligned());
                acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], a, w0);
                acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], a, w1);
                acc[i][2] = _mm512_dpbusd_epi32(acc[i][2], a, w2);
                acc[i][3] = _mm512_dpbusd_epi32(acc[i][3], a, w3);
            }
        }
        for (i, acc_row) in acc.iter().enumerate() {
            let r = r0 + i;
            let xs = _mm512_set1_ps(x.scale[r]);
            for (b, &a) in acc_row.iter().enumerate() {
                let o0 = p * PANEL + b * BLOCK;
                if o0 >= w.rows {
                    break;
                }
                let off = _mm512_loadu_si512(w.zero_offset.as_ptr().add(o0) as *const __m512i);
                let ws = _mm512_loadu_ps(w.scale.as_ptr().add(o0));
                let bias = _mm512_loadu_ps(w.bias.as_ptr().add(o0));
                // Same operations as `super::dequantize`: w_scale * x_scale,
                // then (acc - offset) * scale, then + bias; no FMA.
                let scale = _mm512_mul_ps(ws, xs);
                let v = _mm512_cvtepi32_ps(_mm512_sub_epi32(a, off));
                let y = _mm512_add_ps(_mm512_mul_ps(v, scale), bias);
                let dst = r * w.rows + o0;
                if o0 + BLOCK <= w.rows {
                    _mm512_storeu_ps(out.as_mut_ptr().add(dst), y);
                } else {
                    let mut tmp = [0f32; BLOCK];
                    _mm512_storeu_ps(tmp.as_mut_ptr(), y);
                    let n = w.rows - o0;
                    out[dst..dst + n].copy_from_slice(&tmp[..n]);
                }
            }
        }
    }
}

/// Sum of `x` with a fixed lane structure (deterministic on every CPU).
#[inline(always)]
pub fn sum(x: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let (blocks, rest) = x.as_chunks::<LANES>();
    for c in blocks {
        for l in 0..LANES {
            lanes[l] += c[l];
        }
    }
    reduce_lanes(&lanes) + rest.iter().fold(0.0, |a, v| a + v)
}

/// Dot product with a fixed lane structure.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut lanes = [0f32; LANES];
    let (ca, ra) = a.as_chunks::<LANES>();
    let (cb, rb) = b.as_chunks::<LANES>();
    for (x, y) in ca.iter().zip(cb) {
        for i in 0..LANES {
            lanes[i] += x[i] * y[i];
        }
    }
    reduce_lanes(&lanes) + ra.iter().zip(rb).fold(0.0, |s, (x, y)| s + x * y)
}

#[inline(always)]
fn reduce_lanes(lanes: &[f32; LANES]) -> f32 {
    let mut half = [0f32; LANES / 2];
    for i in 0..LANES / 2 {
        half[i] = lanes[i] + lanes[i + LANES / 2];
    }
    let mut quarter = [0f32; LANES / 4];
    for i in 0..LANES / 4 {
        quarter[i] = half[i] + half[i + LANES / 4];
    }
    (quarter[0] + quarter[2]) + (quarter[1] + quarter[3])
}

/// `out = Σ_j weights[j] × row(j)` (rows as long as `out`), each 16-lane
/// block of `out` accumulated in registers, `j` in order.
#[inline(always)]
pub fn weighted_sum<'a>(out: &mut [f32], weights: &[f32], row: impl Fn(usize) -> &'a [f32]) {
    let width = out.len();
    let (blocks, rest) = out.as_chunks_mut::<LANES>();
    for (b, block) in blocks.iter_mut().enumerate() {
        let mut acc = [0f32; LANES];
        for (j, &p) in weights.iter().enumerate() {
            let v: &[f32; LANES] = row(j)[b * LANES..(b + 1) * LANES]
                .try_into()
                .expect("16-lane block");
            for l in 0..LANES {
                acc[l] += p * v[l];
            }
        }
        *block = acc;
    }
    let done = width - rest.len();
    for (k, o) in rest.iter_mut().enumerate() {
        *o = weights
            .iter()
            .enumerate()
            .fold(0.0, |s, (j, &p)| s + p * row(j)[done + k]);
    }
}

/// In-place layer norm of every `width`-wide row of `x`.
#[inline(always)]
pub fn layer_norm(x: &mut [f32], width: usize, gamma: &[f32], beta: &[f32], eps: f32) {
    let n = width as f32;
    for row in x.chunks_exact_mut(width) {
        let mean = sum(row) / n;
        for v in row.iter_mut() {
            *v -= mean;
        }
        let var = dot(row, row) / n;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = *v * inv * g + b;
        }
    }
}

/// `e^x` to about 2 ulp for x in [-87, 88] (0 below, clamped above), written
/// with plain arithmetic so that it vectorizes.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // `max`/`min` map NaN to a bound, so everything below stays finite.
    #[allow(clippy::manual_clamp)]
    let x = x.max(-87.0).min(88.0);
    let n = (x * LOG2E + 0.5).floor();
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Minimax polynomial of e^r on [-ln2/2, ln2/2].
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5e-1;
    let p = p * r * r + r + 1.0;
    // SAFETY: n is finite and in [-126, 127].
    let bits = ((unsafe { n.to_int_unchecked::<i32>() } + 127) as u32) << 23;
    p * f32::from_bits(bits)
}

/// GELU (erf form, as BERT) in place; erf by Abramowitz–Stegun 7.1.26
/// (absolute error ≤ 1.5e-7).
#[inline(always)]
pub fn gelu(x: &mut [f32]) {
    const A1: f32 = 0.254_829_6;
    const A2: f32 = -0.284_496_72;
    const A3: f32 = 1.421_413_8;
    const A4: f32 = -1.453_152_1;
    const A5: f32 = 1.061_405_4;
    const P: f32 = 0.327_591_1;
    for v in x.iter_mut() {
        let z = *v * std::f32::consts::FRAC_1_SQRT_2;
        let a = z.abs();
        let t = 1.0 / (1.0 + P * a);
        let poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        let erf_abs = 1.0 - poly * exp(-a * a);
        let erf = if z < 0.0 { -erf_abs } else { erf_abs };
        *v = 0.5 * *v * (1.0 + erf);
    }
}

/// Largest value of `x` (lane-wise, vectorizes; `-inf` when empty).
#[inline(always)]
pub fn max(x: &[f32]) -> f32 {
    lane_max(x, f32::NEG_INFINITY, |v| v)
}

/// In-place softmax of `x`.
#[inline(always)]
pub fn softmax(x: &mut [f32]) {
    let max = max(x);
    for v in x.iter_mut() {
        *v = exp(*v - max);
    }
    let inv = 1.0 / sum(x);
    for v in x.iter_mut() {
        *v *= inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn random(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n).map(|_| lcg(&mut s)).collect()
    }

    fn float_matmul(x: &[f32], w: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
        let mut out = vec![0f32; m * n];
        for r in 0..m {
            for o in 0..n {
                let mut s = b[o];
                for i in 0..k {
                    s += x[r * k + i] * w[o * k + i];
                }
                out[r * n + o] = s;
            }
        }
        out
    }

    #[test]
    fn int8_matmul_approximates_the_float_product() {
        // Shapes that exercise partial panels, partial blocks, odd K and row tails.
        for &(m, n, k) in &[
            (1, 1, 1),
            (7, 17, 5),
            (13, 64, 32),
            (29, 100, 70),
            (6, 130, 384),
        ] {
            let x = random(m * k, 1 + m as u64);
            let w = random(n * k, 2 + n as u64);
            let b = random(n, 3);
            let q = QMatrix::quantize(&w, n, k, &b);
            let mut qx = QRows::default();
            qx.quantize(&x, m, k);
            let mut out = vec![0f32; m * n];
            matmul(Kernel::Portable, &qx, &q, &mut out);
            let want = float_matmul(&x, &w, &b, m, n, k);
            let worst = out
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            // Two 8-bit roundings of values in [-1, 1]: error ≲ k × 2 × (1/254).
            assert!(
                worst < 0.02 * (k as f32).sqrt() + 1e-3,
                "{m}x{n}x{k}: {worst}"
            );
        }
    }

    #[test]
    fn vnni_kernel_is_bit_identical_to_portable() {
        if Kernel::detect() != Kernel::Avx512Vnni {
            eprintln!("skipped: this CPU has no AVX-512 VNNI");
            return;
        }
        for &(m, n, k) in &[(1, 16, 4), (11, 77, 36), (37, 1152, 384), (8, 384, 1536)] {
            let x = random(m * k, 5);
            let w = random(n * k, 6);
            let b = random(n, 7);
            let q = QMatrix::quantize(&w, n, k, &b);
            let mut qx = QRows::default();
            qx.quantize(&x, m, k);
            let mut a = vec![0f32; m * n];
            let mut v = vec![0f32; m * n];
            matmul(Kernel::Portable, &qx, &q, &mut a);
            matmul(Kernel::Avx512Vnni, &qx, &q, &mut v);
            assert!(
                a.iter().zip(&v).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{m}x{n}x{k}"
            );
        }
    }

    #[test]
    fn a_rows_result_does_not_depend_on_the_other_rows() {
        let (n, k) = (70, 40);
        let x = random(9 * k, 11);
        let w = random(n * k, 12);
        let q = QMatrix::quantize(&w, n, k, &vec![0.0; n]);
        for kernel in [Kernel::Portable, Kernel::detect()] {
            let mut all = QRows::default();
            all.quantize(&x, 9, k);
            let mut full = vec![0f32; 9 * n];
            matmul(kernel, &all, &q, &mut full);
            let mut one = QRows::default();
            one.quantize(&x[4 * k..5 * k], 1, k);
            let mut single = vec![0f32; n];
            matmul(kernel, &one, &q, &mut single);
            assert_eq!(&full[4 * n..5 * n], &single[..]);
        }
    }

    #[test]
    fn exp_matches_std_closely() {
        let mut worst = 0f32;
        let mut x = -80.0f32;
        while x < 80.0 {
            let rel = ((exp(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 1e-6, "{worst}");
        assert!(exp(-200.0) > 0.0 && exp(-200.0) < 1e-37);
        assert!(exp(200.0).is_finite());
    }

    #[test]
    fn non_finite_activations_stay_defined() {
        let x = [
            f32::NAN,
            f32::INFINITY,
            -f32::INFINITY,
            1.0,
            -2.0,
            0.5,
            0.0,
            3.0,
        ];
        let mut q = QRows::default();
        q.quantize(&x, 2, 4);
        assert_eq!(q.data.len(), 8);
        // No undefined behaviour or panic; every byte is a valid quantum.
        assert!(q.data.iter().all(|&b| b >= 1));
        assert!(q.scale[1] > 0.0);
        assert_eq!(&q.data[4..], &[128 - 85, 128 + 21, 128, 128 + 127][..]);
        assert!(exp(f32::NAN).is_finite());
    }

    #[test]
    fn gelu_matches_the_erf_definition() {
        let xs: Vec<f32> = (-600..600).map(|i| i as f32 / 100.0).collect();
        let mut ys = xs.clone();
        gelu(&mut ys);
        for (x, y) in xs.iter().zip(&ys) {
            let want = 0.5 * (*x as f64) * (1.0 + erf_f64(*x as f64 / 2f64.sqrt()));
            assert!(
                (*y as f64 - want).abs() < 1e-6,
                "gelu({x}) = {y}, want {want}"
            );
        }
    }

    /// erf by its Taylor series (|x| ≤ 5) — slow but exact enough for a reference.
    fn erf_f64(x: f64) -> f64 {
        if x.abs() > 5.0 {
            return x.signum();
        }
        let mut term = x;
        let mut total = x;
        for n in 1..200 {
            term *= -x * x / n as f64;
            total += term / (2 * n + 1) as f64;
        }
        total * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn softmax_and_layer_norm_are_normalised() {
        let mut x = random(37, 3);
        softmax(&mut x);
        assert!((x.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let mut y = random(2 * 40, 4);
        layer_norm(&mut y, 40, &[1.0; 40], &[0.0; 40], 1e-12);
        for row in y.chunks(40) {
            let mean = row.iter().sum::<f32>() / 40.0;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 40.0;
            assert!(
                mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
                "{mean} {var}"
            );
        }
    }
}
