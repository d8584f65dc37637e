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

fn run(kernel: Kernel, qx: &QRows, q: &QMatrix) -> Vec<f32> {
    let mut out = vec![f32::NAN; qx.rows * q.rows];
    matmul(kernel, qx, q, &mut out);
    out
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The kernels this CPU supports other than the portable one (printing the
/// ones it lacks, whose tests are skipped).
fn simd_kernels() -> Vec<Kernel> {
    for k in Kernel::ALL {
        if !k.is_supported() {
            eprintln!("skipped: this CPU cannot run the {k} kernel");
        }
    }
    Kernel::supported()
        .into_iter()
        .filter(|&k| k != Kernel::Portable)
        .collect()
}

/// The exact centered sum `Σ (x − 128) · w` of row `r` and output `o`, from
/// the quantized data (i64, straight from the definitions).
fn exact_sum(qx: &QRows, q: &QMatrix, r: usize, o: usize) -> i64 {
    (0..q.cols)
        .map(|k| {
            let x = i64::from(qx.data[r * qx.k_padded + k]) - 128;
            x * i64::from(q.packed[packed_index(o, k, q.k_padded)])
        })
        .sum()
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
        let out = run(Kernel::Portable, &qx, &q);
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
fn the_portable_kernel_computes_the_exact_integer_sums() {
    for &(m, n, k) in &[(3, 17, 3), (5, 70, 383), (2, 385, 17)] {
        let x = random(m * k, 21);
        let w = random(n * k, 22);
        let b = random(n, 23);
        let q = QMatrix::quantize(&w, n, k, &b);
        let mut qx = QRows::default();
        qx.quantize(&x, m, k);
        let out = run(Kernel::Portable, &qx, &q);
        for r in 0..m {
            for o in 0..n {
                let want = dequantize(
                    exact_sum(&qx, &q, r, o) as i32,
                    qx.scale[r],
                    q.scale[o],
                    b[o],
                );
                assert_eq!(
                    out[r * n + o].to_bits(),
                    want.to_bits(),
                    "{m}x{n}x{k} [{r}, {o}]"
                );
            }
        }
    }
}

/// Rows (m), outputs (n) and inputs (k): 1, 3, 17, around the panel (64),
/// block (16), lane and tile widths, and the model's 383/384/385, 1152, 1536.
const SHAPES: [(usize, usize, usize); 14] = [
    (1, 1, 1),
    (1, 16, 4),
    (3, 3, 3),
    (17, 17, 17),
    (2, 63, 65),
    (5, 65, 64),
    (7, 383, 385),
    (6, 385, 383),
    (9, 129, 1),
    (11, 77, 36),
    (4, 1, 1536),
    (37, 1152, 384),
    (8, 384, 1536),
    (13, 1536, 384),
];

#[test]
fn every_supported_kernel_is_bit_identical_to_portable() {
    let kernels = simd_kernels();
    for (i, &(m, n, k)) in SHAPES.iter().enumerate() {
        let x = random(m * k, 5 + i as u64);
        let w = random(n * k, 6 + i as u64);
        let b = random(n, 7);
        let q = QMatrix::quantize(&w, n, k, &b);
        let mut qx = QRows::default();
        qx.quantize(&x, m, k);
        let want = run(Kernel::Portable, &qx, &q);
        assert!(want.iter().all(|v| v.is_finite()), "{m}x{n}x{k}");
        for &kernel in &kernels {
            let got = run(kernel, &qx, &q);
            assert!(same_bits(&want, &got), "{kernel}: {m}x{n}x{k}");
        }
    }
}

#[test]
fn extreme_values_do_not_saturate_any_kernel() {
    // Every product at its largest magnitude, 127 · 63, with one sign in a
    // row: activation bytes 255 (value 127) or 1 (-127) against weights ±63,
    // the worst case of the AVX2 kernel's `vpmaddubsw` pairs (2 · 255 · 63 =
    // 32,130 < 32,767) and of the int32 sums.
    let (m, n, k) = (6, 40, 1536);
    let w: Vec<f32> = (0..n * k)
        .map(|i| if (i / k) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let x: Vec<f32> = (0..m * k)
        .map(|i| match (i / k) % 3 {
            0 => 1.0,
            1 => -1.0,
            _ => {
                if i % 2 == 0 {
                    1.0
                } else {
                    -1.0
                }
            }
        })
        .collect();
    let q = QMatrix::quantize(&w, n, k, &vec![0.0; n]);
    let mut qx = QRows::default();
    qx.quantize(&x, m, k);
    for r in 0..m {
        for o in 0..n {
            let sign = if o % 2 == 0 { 1 } else { -1 };
            let want = match r % 3 {
                0 => sign * 127 * 63 * k as i64,
                1 => -sign * 127 * 63 * k as i64,
                _ => 0,
            };
            assert_eq!(exact_sum(&qx, &q, r, o), want);
        }
    }
    let want = run(Kernel::Portable, &qx, &q);
    // 1536 · 127 · 63 · (1/127) · (1/63) = 1536: the product of ±1s (to
    // the rounding of the two scales' product).
    assert!((want[0] - k as f32).abs() < 1e-3, "{}", want[0]);
    assert!((want[n] + k as f32).abs() < 1e-3, "{}", want[n]);
    for kernel in simd_kernels() {
        assert!(same_bits(&want, &run(kernel, &qx, &q)), "{kernel}");
    }
}

#[test]
fn weights_are_quantized_to_seven_bits() {
    // Outliers included: every row's largest weight maps to ±WEIGHT_MAX, and
    // no packed byte (padding included) leaves [-WEIGHT_MAX, WEIGHT_MAX], the
    // AVX2 kernel's exactness condition.
    let (n, k) = (70, 37);
    let mut w = random(n * k, 21);
    w[5] = 40.0;
    w[k + 3] = -900.0;
    let q = QMatrix::quantize(&w, n, k, &vec![0.0; n]);
    assert!(q.packed.iter().all(|v| v.abs() <= WEIGHT_MAX));
    for o in 0..n {
        let largest = (0..k).map(|c| q.packed[packed_index(o, c, q.k_padded)].abs());
        assert_eq!(largest.max(), Some(WEIGHT_MAX), "row {o}");
    }
    assert_eq!(q.packed[packed_index(0, 5, q.k_padded)], WEIGHT_MAX);
    assert_eq!(q.packed[packed_index(1, 3, q.k_padded)], -WEIGHT_MAX);
}

#[test]
fn a_rows_result_does_not_depend_on_the_other_rows() {
    let (n, k) = (70, 40);
    let x = random(9 * k, 11);
    let w = random(n * k, 12);
    let q = QMatrix::quantize(&w, n, k, &vec![0.0; n]);
    for kernel in Kernel::supported() {
        let mut all = QRows::default();
        all.quantize(&x, 9, k);
        let full = run(kernel, &all, &q);
        let mut one = QRows::default();
        one.quantize(&x[4 * k..5 * k], 1, k);
        let single = run(kernel, &one, &q);
        assert!(same_bits(&full[4 * n..5 * n], &single), "{kernel}");
    }
}

#[test]
fn kernel_names_parse_and_unsupported_kernels_are_errors() {
    for k in Kernel::ALL {
        assert_eq!(k.to_string(), k.name());
        match Kernel::parse_supported(k.name()) {
            Ok(parsed) => assert!(parsed == k && k.is_supported()),
            Err(e) => {
                assert!(!k.is_supported());
                assert!(e.to_string().contains("not supported by this CPU"), "{e}");
            }
        }
    }
    assert_eq!(
        Kernel::parse_supported("PORTABLE").unwrap(),
        Kernel::Portable
    );
    let e = Kernel::parse_supported("sse9").unwrap_err().to_string();
    assert!(e.contains("unknown kernel") && e.contains("avx2"), "{e}");
    assert!(Kernel::best().is_supported());
    assert_eq!(Kernel::supported()[0], Kernel::best());
    assert!(!Kernel::Portable.is_fast());
    assert!(Kernel::Avx2.is_fast() && Kernel::NeonDot.is_fast());
}

#[test]
fn floor_small_is_floor() {
    let mut t = -130.0f32;
    while t < 130.0 {
        for v in [t, t.next_up(), t.next_down(), t.round()] {
            assert_eq!(floor_small(v).to_bits(), v.floor().to_bits(), "{v}");
        }
        t += 0.0173;
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

/// The element-wise kernels on one input set, as the engine runs them.
#[inline(always)]
fn elementwise(x: &[f32]) -> Vec<f32> {
    let mut v = x.to_vec();
    gelu(&mut v);
    let mut s = x[..383].to_vec();
    softmax(&mut s);
    v.extend(s);
    let mut n = x.to_vec();
    let gamma: Vec<f32> = x[..385].iter().map(|g| g + 1.0).collect();
    layer_norm(&mut n, 385, &gamma, &x[385..770], 1e-12);
    v.extend(n);
    let mut out = vec![0f32; 385];
    weighted_sum(&mut out, &x[..17], |j| &x[j * 385..(j + 1) * 385]);
    v.extend(out);
    v.push(sum(x));
    v.push(dot(x, &x[..x.len()]));
    v.push(max(x));
    v
}

#[test]
fn elementwise_kernels_give_the_same_bits_on_every_instruction_set() {
    // Values wide enough to reach exp's clamps and GELU's tails.
    let x: Vec<f32> = random(385 * 20, 31).iter().map(|v| v * 12.0).collect();
    let want = elementwise(&x);
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn with_avx2(x: &[f32]) -> Vec<f32> {
            elementwise(x)
        }
        #[target_feature(enable = "avx512f,avx512bw")]
        fn with_avx512(x: &[f32]) -> Vec<f32> {
            elementwise(x)
        }
        if Kernel::Avx2.is_supported() {
            // SAFETY: the CPU supports AVX2 (checked).
            assert!(same_bits(&want, &unsafe { with_avx2(&x) }), "avx2");
        } else {
            eprintln!("skipped: no AVX2");
        }
        if Kernel::Avx512Vnni.is_supported() {
            // SAFETY: the CPU supports AVX-512 F/BW (checked).
            assert!(same_bits(&want, &unsafe { with_avx512(&x) }), "avx512");
        } else {
            eprintln!("skipped: no AVX-512");
        }
    }
    assert!(want.iter().all(|v| v.is_finite()));
}
