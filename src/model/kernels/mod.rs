//! CPU kernels of the int8 encoder ([`super::int8`]): an int8 × int8 matrix
//! multiply with int32 accumulation, chosen at run time ([`Kernel`]), and the
//! float element-wise operations around it (layer norm, GELU, softmax, exp).
//!
//! | kernel | CPU | inner operation |
//! |---|---|---|
//! | [`Kernel::Avx512Vnni`] | x86-64 with AVX-512 F/BW/VNNI | `vpdpbusd` on 512 bits ([`avx512`]) |
//! | [`Kernel::AvxVnni`] | x86-64 with AVX-VNNI | `vpdpbusd` on 256 bits ([`avx2`]) |
//! | [`Kernel::Avx2`] | x86-64 with AVX2 | `vpmaddubsw` + `vpmaddwd` ([`avx2`]) |
//! | [`Kernel::NeonDot`] | aarch64 with the dot-product extension | `sdot` ([`neon`]) |
//! | [`Kernel::Neon`] | any aarch64 | `smull` + `sadalp` ([`neon`]) |
//! | [`Kernel::Portable`] | any CPU | plain Rust that LLVM vectorizes ([`portable`]) |
//!
//! **Determinism.** Every kernel computes the same exact int32 sums (integer
//! additions are associative, and no step can overflow or saturate — see each
//! kernel's proof), and all of them dequantize with the same float operations
//! in the same order ([`dequantize`]). The element-wise operations are plain
//! Rust written lane by lane with fixed reduction orders (16 lanes, then a
//! fixed tree) and no fused multiply-add; the engine compiles them once per
//! instruction set ([`super::int8`]), and since IEEE-754 addition,
//! multiplication, division, square root and rounding give the same bits
//! whatever the vector width, every kernel gives bit-for-bit the same
//! results, and a row's result does not depend on the other rows it is
//! computed with.
//!
//! **Quantisation.** Weights: symmetric 7-bit in [-63, 63] ([`WEIGHT_MAX`]),
//! one scale per output row, stored as `i8`. Activations: symmetric int8 in
//! [-127, 127], one scale per row (token), stored as `u8` with a zero point
//! of 128 (so in [1, 255]) because VNNI and AVX2's `vpmaddubsw` multiply
//! unsigned by signed bytes; those x86-64 kernels subtract the precomputed
//! `128 × Σ w` per output, the others (NEON, portable) flip the byte back to
//! its signed value (`x ^ 0x80`) and need no correction. Weights have 7 bits, not 8, so
//! that `vpmaddubsw`'s saturating int16 pair sums stay exact (2 · 255 · 63 =
//! 32,130 < 32,767, see [`avx2`]): every kernel then multiplies the unsigned
//! activation bytes directly, as VNNI does. Measured on the shipped model
//! (docs/performance.md): AVX2 encoder ≈ +50 %, embedding cosine to the float
//! engine median 0.9993 → 0.9990, task figures within their CIs.
//!
//! **Choosing a kernel.** [`Kernel::best`] is the fastest kernel the CPU
//! supports; [`Kernel::detect`] is the one to run: the environment variable
//! `RHETOR_KERNEL` (`portable`, `avx2`, `avxvnni`, `avx512vnni`, `neon`,
//! `neondot`) when set, else the best. [`Kernel::from_env`] reports an
//! unknown or unsupported `RHETOR_KERNEL` as an error. [`CpuReport`] describes
//! the CPU, its features and the choice.

/// The row-tiling loop of the SIMD kernels: for every weight unit `u` in
/// `0..units` (a block or a panel), calls `tile::<R>(x, w, u, r, out)` on
/// runs of rows, `R` the largest listed size (descending from the first,
/// then 1) that fits the rows left. It expands in the calling kernel, so the
/// kernel's `target_feature`s apply, and must be used in an `unsafe` block
/// whose contract covers the tile calls.
macro_rules! tile_rows {
    ($x:ident, $w:ident, $out:ident, $units:expr, $tile:ident, $max:literal $(, $n:literal)*) => {
        for u in 0..$units {
            let mut r = 0;
            while r < $x.rows {
                let n = ($x.rows - r).min($max);
                match n {
                    $max => $tile::<$max>($x, $w, u, r, $out),
                    $($n => $tile::<$n>($x, $w, u, r, $out),)*
                    _ => $tile::<1>($x, $w, u, r, $out),
                }
                r += n;
            }
        }
    };
}

mod cpu;
mod portable;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;

pub use cpu::CpuReport;

use crate::error::{Error, Result};

/// Outputs per packed panel (four 16-lane blocks).
const PANEL: usize = 64;
/// Outputs per block (one 512-bit register of int32 accumulators).
const BLOCK: usize = 16;
/// Bytes of one packed panel step (4 inputs × [`PANEL`] outputs).
const STEP: usize = 4 * PANEL;
/// Lanes of the float reductions (fixed, so results do not depend on the CPU).
const LANES: usize = 16;
/// Zero point of the unsigned activation bytes.
const ZERO_POINT: i32 = 128;
/// Largest magnitude of a quantized weight: 7 bits, so that the AVX2
/// kernel's `vpmaddubsw` cannot saturate ([`avx2`]).
pub const WEIGHT_MAX: i8 = 63;

/// The environment variable that forces a kernel (benchmarks, tests).
pub const KERNEL_ENV: &str = "RHETOR_KERNEL";

/// Which matrix-multiply kernel runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Plain Rust (any CPU), vectorized by the compiler for the baseline
    /// instruction set (SSE2 on x86-64, NEON on aarch64).
    Portable,
    /// AVX2 (x86-64): `vpmaddubsw` + `vpmaddwd` (exact with 7-bit weights).
    Avx2,
    /// AVX-VNNI (x86-64): 256-bit `vpdpbusd`.
    AvxVnni,
    /// AVX-512 VNNI (x86-64): 512-bit `vpdpbusd`.
    Avx512Vnni,
    /// NEON without the dot-product extension (aarch64): `smull` + `sadalp`.
    Neon,
    /// NEON with the dot-product extension (aarch64): `sdot`.
    NeonDot,
}

impl Kernel {
    /// Every kernel, fastest first within each architecture.
    pub const ALL: [Kernel; 6] = [
        Kernel::Avx512Vnni,
        Kernel::AvxVnni,
        Kernel::Avx2,
        Kernel::NeonDot,
        Kernel::Neon,
        Kernel::Portable,
    ];

    /// The fastest kernel this CPU supports (ignores `RHETOR_KERNEL`).
    pub fn best() -> Kernel {
        Kernel::ALL
            .into_iter()
            .find(|k| k.is_supported())
            .unwrap_or(Kernel::Portable)
    }

    /// The kernel to run: the one `RHETOR_KERNEL` names when it is set and
    /// valid, else [`Kernel::best`]. An invalid `RHETOR_KERNEL` is ignored
    /// here; [`Kernel::from_env`] (called by `Int8Encoder::load`, the
    /// constructor without an explicit kernel) reports it as an error.
    pub fn detect() -> Kernel {
        Kernel::from_env()
            .ok()
            .flatten()
            .unwrap_or_else(Kernel::best)
    }

    /// The kernel `RHETOR_KERNEL` forces: `None` when it is unset or empty, an
    /// error when it names no kernel or one this CPU cannot run.
    pub fn from_env() -> Result<Option<Kernel>> {
        match std::env::var(KERNEL_ENV) {
            Ok(v) if !v.trim().is_empty() => Kernel::parse_supported(v.trim()).map(Some),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(Error::Config(format!("{KERNEL_ENV} is not valid UTF-8")))
            }
        }
    }

    /// Parses a kernel name ([`Kernel::name`]) and checks that this CPU
    /// supports it.
    pub fn parse_supported(name: &str) -> Result<Kernel> {
        let kernel = Kernel::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = Kernel::ALL.iter().map(|k| k.name()).collect();
                Error::Config(format!(
                    "{KERNEL_ENV}={name}: unknown kernel (expected one of: {})",
                    names.join(", ")
                ))
            })?;
        kernel.ensure_supported()?;
        Ok(kernel)
    }

    /// An error naming the kernel and the CPU when this CPU cannot run it.
    pub fn ensure_supported(self) -> Result<()> {
        if self.is_supported() {
            return Ok(());
        }
        let supported: Vec<&str> = Kernel::supported().iter().map(|k| k.name()).collect();
        Err(Error::Config(format!(
            "the {} int8 kernel is not supported by this CPU (supported: {})",
            self.name(),
            supported.join(", ")
        )))
    }

    /// The kernels this CPU supports, fastest first.
    pub fn supported() -> Vec<Kernel> {
        Kernel::ALL
            .into_iter()
            .filter(|k| k.is_supported())
            .collect()
    }

    /// True when this CPU can run the kernel.
    pub fn is_supported(self) -> bool {
        let f = cpu::Features::get();
        match self {
            Kernel::Portable => true,
            Kernel::Avx2 => f.avx2,
            Kernel::AvxVnni => f.avx2 && f.avxvnni,
            Kernel::Avx512Vnni => f.avx2 && f.avx512f && f.avx512bw && f.avx512vnni,
            Kernel::Neon => f.neon,
            Kernel::NeonDot => f.neon && f.dotprod,
        }
    }

    /// True when the kernel makes the int8 engine faster than the float
    /// engine (candle, which vectorizes with AVX2/FMA or NEON itself): every
    /// SIMD kernel does; the portable one, which uses only the baseline
    /// instruction set, does not (measured in `docs/performance.md`).
    pub fn is_fast(self) -> bool {
        self != Kernel::Portable
    }

    /// Short name, as `RHETOR_KERNEL` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            Kernel::Avx2 => "avx2",
            Kernel::AvxVnni => "avxvnni",
            Kernel::Avx512Vnni => "avx512vnni",
            Kernel::Neon => "neon",
            Kernel::NeonDot => "neondot",
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A weight matrix (`rows` outputs × `cols` inputs) quantized to 7-bit
/// integers in [-[`WEIGHT_MAX`], [`WEIGHT_MAX`]], stored as `i8` and packed
/// for the kernels, with its bias.
#[derive(Debug, Clone, PartialEq)]
pub struct QMatrix {
    rows: usize,
    cols: usize,
    /// `cols` rounded up to a multiple of 4.
    k_padded: usize,
    panels: usize,
    /// `panels × k_padded/4 × STEP` bytes: for every 4 inputs, 4 blocks of 16
    /// outputs × 4 consecutive input bytes (padding is zero).
    packed: Vec<i8>,
    /// Per output (padded to `panels × PANEL` with zeros).
    scale: Vec<f32>,
    bias: Vec<f32>,
    /// `128 × Σ_k w[o][k]`, subtracted by the kernels that multiply the
    /// unsigned activation bytes.
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
        let max = f32::from(WEIGHT_MAX);
        for o in 0..rows {
            let row = &weight[o * cols..(o + 1) * cols];
            let amax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let s = if amax > 0.0 { amax / max } else { 1.0 };
            scale[o] = s;
            bias_p[o] = bias[o];
            let mut sum = 0i32;
            for (k, &v) in row.iter().enumerate() {
                let q = (v / s).round_ties_even().clamp(-max, max) as i8;
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

    /// Number of 16-output blocks that hold at least one real output.
    fn blocks(&self) -> usize {
        self.rows.div_ceil(BLOCK)
    }

    /// The packed weights of block `b` (16 outputs): `k_padded / 4` steps of
    /// 64 bytes each, [`STEP`] bytes apart, starting at the returned offset.
    fn block_offset(&self, b: usize) -> usize {
        (b / 4) * self.k_padded * PANEL + (b % 4) * 4 * BLOCK
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

/// Rows of activations quantized to `u8` (zero point 128, values in
/// [1, 255]), one scale per row. Reused between calls: quantizing into it
/// does not allocate once it is big enough.
#[derive(Debug, Clone, Default)]
pub struct QRows {
    rows: usize,
    k_padded: usize,
    /// `rows × k_padded` bytes; the padding holds the zero point (value 0).
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
                // SAFETY: q is finite and in [1, 255], so it fits an i32.
                *d = unsafe { q.to_int_unchecked::<i32>() } as u8;
            }
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `r`'s bytes (`k_padded` of them).
    #[inline(always)]
    fn row(&self, r: usize) -> &[u8] {
        &self.data[r * self.k_padded..(r + 1) * self.k_padded]
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
///
/// # Panics
///
/// When the shapes disagree or this CPU cannot run `kernel`.
pub fn matmul(kernel: Kernel, x: &QRows, w: &QMatrix, out: &mut [f32]) {
    assert_eq!(x.k_padded, w.k_padded, "inner dimensions differ");
    assert_eq!(out.len(), x.rows * w.rows, "output shape");
    assert!(
        kernel.is_supported(),
        "the {kernel} kernel is not supported by this CPU"
    );
    if w.k_padded == 0 {
        // No inputs: every sum is 0 (the kernels need at least one step).
        for r in 0..x.rows {
            let zeros = vec![0i32; w.rows];
            write_outputs(
                &zeros,
                x.scale[r],
                w,
                0,
                &mut out[r * w.rows..(r + 1) * w.rows],
            );
        }
        return;
    }
    match kernel {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU supports AVX-512 F/BW/VNNI (asserted above) and the
        // shapes agree (asserted above), as `avx512::matmul` requires.
        Kernel::Avx512Vnni => unsafe { avx512::matmul(x, w, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU supports AVX2 and AVX-VNNI; shapes agree.
        Kernel::AvxVnni => unsafe { avx2::matmul_vnni(x, w, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU supports AVX2; shapes agree.
        Kernel::Avx2 => unsafe { avx2::matmul(x, w, out) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: the CPU supports NEON and the dot-product extension; shapes agree.
        Kernel::NeonDot => unsafe { neon::matmul_dot(x, w, out) },
        #[cfg(target_arch = "aarch64")]
        Kernel::Neon => neon::matmul(x, w, out),
        _ => portable::matmul(x, w, out),
    }
}

/// The dequantizing epilogue every kernel uses: `centered` is the exact
/// `Σ_k (x[k] − 128) · w[k]`. Same float operations in the same order
/// everywhere (no FMA), so every kernel gives identical bits.
#[inline(always)]
fn dequantize(centered: i32, x_scale: f32, w_scale: f32, bias: f32) -> f32 {
    let scale = w_scale * x_scale;
    centered as f32 * scale + bias
}

/// Writes the dequantized outputs `o0 .. o0 + dst.len()` of one row from
/// their exact centered sums (`sums[j]` for output `o0 + j`). Lane-wise, so
/// it vectorizes in the SIMD kernels that inline it.
#[inline(always)]
fn write_outputs(sums: &[i32], x_scale: f32, w: &QMatrix, o0: usize, dst: &mut [f32]) {
    let n = dst.len();
    let scale = &w.scale[o0..o0 + n];
    let bias = &w.bias[o0..o0 + n];
    for (((d, &s), &ws), &b) in dst.iter_mut().zip(&sums[..n]).zip(scale).zip(bias) {
        *d = dequantize(s, x_scale, ws, b);
    }
}

/// Dequantizes block `b` (16 outputs) of row `r` (its real outputs only)
/// into `out`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
fn store_block(x: &QRows, w: &QMatrix, b: usize, r: usize, sums: &[i32; BLOCK], out: &mut [f32]) {
    let o0 = b * BLOCK;
    let n = BLOCK.min(w.rows - o0);
    let dst = &mut out[r * w.rows + o0..r * w.rows + o0 + n];
    write_outputs(sums, x.scale[r], w, o0, dst);
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

/// `floor(t)` for finite `t` in [-2³¹, 2³¹), exactly, with a truncating
/// conversion (vectorizes on every instruction set, unlike `f32::floor`,
/// which is a library call without SSE4.1).
#[inline(always)]
fn floor_small(t: f32) -> f32 {
    // SAFETY: callers pass a finite t well inside the i32 range.
    // `copysign` keeps floor(-0.0) = -0.0.
    let i = (unsafe { t.to_int_unchecked::<i32>() } as f32).copysign(t);
    if i > t {
        i - 1.0
    } else {
        i
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
    // x · log2(e) + 0.5 is in [-125.1, 127.5]: `floor_small` applies.
    let n = floor_small(x * LOG2E + 0.5);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Minimax polynomial of e^r on [-ln2/2, ln2/2].
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5e-1;
    let p = p * r * r + r + 1.0;
    // SAFETY: n is an integer in [-126, 127].
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
mod tests;
