//! Int8 vs float encoder on real sentences: throughput of both and how close
//! the int8 embeddings stay to the float ones (cosine).
//!
//! `cargo run --release --example int8_check -- SENTENCES.txt [N] [MODEL_DIR]`
//! (one sentence per line; base weights from models/base or RHETOR_BASE_DIR;
//! MODEL_DIR's fine-tuned layers are used when given). `RHETOR_KERNEL` forces
//! the int8 kernel; `INT8_ONLY=1` skips the float engine.

use rhetor::model::bert::{BertEncoder, Encoder};
use rhetor::model::int8::Int8Encoder;
use rhetor::model::kernels::CpuReport;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .ok_or("usage: int8_check SENTENCES.txt [N] [MODEL_DIR]")?;
    let n: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let top = args
        .get(3)
        .map(|d| std::path::Path::new(d).join("model.safetensors"));
    let text = std::fs::read_to_string(path)?;
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .collect();
    let base = rhetor::LoadOptions::from_env().base.dir;
    // The int8 encoder reads the weights straight into int8 (no float model),
    // so with INT8_ONLY the process's peak RSS is the int8 engine's own.
    let int8 = Int8Encoder::load(&base, 128, top.as_deref())?;
    println!("cpu: {}", CpuReport::detect().summary());
    println!(
        "kernel: {}, quantized weights {:.1} MB",
        int8.kernel().name(),
        int8.quantized_bytes() as f64 / 1e6
    );
    let tokens: usize = int8.tokenize(&lines)?.iter().map(|e| e.len()).sum();
    println!(
        "{} sentences, {:.1} word pieces on average",
        lines.len(),
        tokens as f64 / lines.len() as f64
    );
    let t = Instant::now();
    let q = int8.embed_texts(&lines)?;
    let tq = t.elapsed().as_secs_f64();
    if std::env::var_os("INT8_ONLY").is_some() {
        println!(
            "int8:  {:.2} s = {:.1} sentences/s",
            tq,
            lines.len() as f64 / tq
        );
        return Ok(());
    }
    let float = BertEncoder::load(&base, 128, top.as_deref())?;
    let t = Instant::now();
    let f = float.embed_texts(&lines)?;
    let tf = t.elapsed().as_secs_f64();
    println!(
        "int8:  {:.2} s = {:.1} sentences/s",
        tq,
        lines.len() as f64 / tq
    );
    println!(
        "float: {:.2} s = {:.1} sentences/s",
        tf,
        lines.len() as f64 / tf
    );
    println!("speed-up int8/float: {:.2}x", tf / tq);
    let mut cos: Vec<f32> = q
        .iter()
        .zip(&f)
        .map(|(a, b)| {
            let d: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
            let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
            d / (na * nb)
        })
        .collect();
    cos.sort_by(f32::total_cmp);
    println!(
        "cosine(int8, float): min {:.4}, 1st percentile {:.4}, median {:.4}",
        cos[0],
        cos[cos.len() / 100],
        cos[cos.len() / 2]
    );
    Ok(())
}
