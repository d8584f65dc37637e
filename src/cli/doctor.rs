//! `rhetor doctor` — what this CPU offers the int8 engine: model name, SIMD
//! features, the supported kernels and the one chosen (`RHETOR_KERNEL`
//! forces one), plus a quick check that every supported kernel gives the
//! portable kernel's bits.

use super::EXIT_OK;
use anyhow::{bail, Result};
use rhetor::model::kernels::{matmul, CpuReport, Kernel, QMatrix, QRows};

/// Arguments of `rhetor doctor`.
#[derive(clap::Args)]
#[command(
    after_help = "RHETOR_KERNEL=portable|avx2|avxvnni|avx512vnni|neon|neondot forces an int8 kernel \
(an unknown or unsupported one is an error). Details: docs/performance.md.\n\nExamples:\n  rhetor doctor\n  RHETOR_KERNEL=avx2 rhetor doctor"
)]
pub struct Args {
    /// Skip the check that every supported kernel gives bit-identical results.
    #[arg(long)]
    no_check: bool,
}

/// Runs `rhetor doctor`.
pub fn run(args: Args) -> Result<i32> {
    let report = CpuReport::detect();
    println!("{report}");
    if !args.no_check {
        for kernel in report.supported.iter().filter(|&&k| k != Kernel::Portable) {
            let same = agrees_with_portable(*kernel);
            println!(
                "self-check {kernel}: {}",
                if same {
                    "bit-identical to portable"
                } else {
                    "DIFFERS from portable"
                }
            );
            if !same {
                bail!("the {kernel} kernel disagrees with the portable kernel; set RHETOR_KERNEL=portable and report a bug");
            }
        }
    }
    Kernel::from_env()?;
    Ok(EXIT_OK)
}

/// Multiplies a fixed pseudo-random 7 × 385 by 385 × 131 problem (odd sizes:
/// partial panels, blocks and row tiles) with `kernel` and with the portable
/// kernel, and compares the bits.
fn agrees_with_portable(kernel: Kernel) -> bool {
    let (m, n, k) = (7, 131, 385);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    };
    let x: Vec<f32> = (0..m * k).map(|_| next()).collect();
    let w: Vec<f32> = (0..n * k).map(|_| next()).collect();
    let bias: Vec<f32> = (0..n).map(|_| next()).collect();
    let q = QMatrix::quantize(&w, n, k, &bias);
    let mut qx = QRows::default();
    qx.quantize(&x, m, k);
    let mut want = vec![0f32; m * n];
    let mut got = vec![0f32; m * n];
    matmul(Kernel::Portable, &qx, &q, &mut want);
    matmul(kernel, &qx, &q, &mut got);
    want.iter()
        .zip(&got)
        .all(|(a, b)| a.to_bits() == b.to_bits())
}
