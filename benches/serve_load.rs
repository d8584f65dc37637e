//! Load harness of `rhetor serve` (docs/serve.md, "Load"): on 127.0.0.1
//! only, a fixed number of `POST /api/score` requests of 1–5 sentence texts
//! from 16 concurrent clients, with a time limit; then the same texts
//! through the CLI (`rhetor score`, in one process) for the ratio; then the
//! queue overfilled (64 clients, `--queue 2`), where every refused request
//! must be a clean 503. Prints throughput, p50/p99 latency, errors and peak
//! RSS, and the CPU.
//!
//! ```sh
//! cargo bench --bench serve_load                      # the default (transformer) model
//! RHETOR_LOAD_MODEL=cues RHETOR_LOAD_REQUESTS=2000 cargo bench --bench serve_load
//! ```

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const OVERFILL_CLIENTS: usize = 64;
const TIME_LIMIT: Duration = Duration::from_secs(240);

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// 1–5 sentence texts cut from the sample corpus.
fn texts(n: usize) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/corpus-sample.csv");
    let mut r = csv::Reader::from_path(&path).expect("data/corpus-sample.csv");
    let text_col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "text")
        .unwrap();
    let mut sentences: Vec<String> = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        for s in rec[text_col].split_inclusive(". ") {
            let s = s.trim();
            if s.len() > 20 && !s.contains('\n') {
                sentences.push(s.to_string());
            }
        }
    }
    (0..n)
        .map(|i| {
            let k = 1 + i % 5;
            (0..k)
                .map(|j| sentences[(i * 7 + j) % sentences.len()].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn post(addr: &str, body: &str) -> (u16, Option<String>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let req = format!(
        "POST /api/score HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (0, None, Vec::new());
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let retry = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("retry-after:"))
        .map(|l| l[12..].trim().to_string());
    (status, retry, buf[end + 4..].to_vec())
}

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(model: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rhetor"))
        .args(["serve", "--port", "0", "--model", model])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("rhetor serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("address")
        .to_string();
    Server(child, addr)
}

fn peak_rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Run {
    wall: Duration,
    statuses: Vec<u16>,
    latencies: Vec<Duration>,
    sentences: usize,
    unclean: usize,
}

fn drive(addr: &str, texts: &[String], clients: usize) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let bodies: Arc<Vec<String>> = Arc::new(
        texts
            .iter()
            .map(|t| json!({"text": t}).to_string())
            .collect(),
    );
    let t0 = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (next, bodies, addr) = (next.clone(), bodies.clone(), addr.to_string());
            std::thread::spawn(move || {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= bodies.len() || t0.elapsed() > TIME_LIMIT {
                        return out;
                    }
                    let t = Instant::now();
                    let (status, retry, body) = post(&addr, &bodies[i]);
                    let lat = t.elapsed();
                    let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let sentences = doc["articles"][0]["sentences"]
                        .as_array()
                        .map_or(0, Vec::len);
                    let clean = match status {
                        200 => sentences > 0,
                        503 => retry.as_deref() == Some("1") && doc["error"]["message"].is_string(),
                        _ => false,
                    };
                    out.push((status, lat, sentences, clean));
                }
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let wall = t0.elapsed();
    Run {
        wall,
        statuses: results.iter().map(|r| r.0).collect(),
        latencies: results.iter().map(|r| r.1).collect(),
        sentences: results.iter().map(|r| r.2).sum(),
        unclean: results.iter().filter(|r| !r.3).count(),
    }
}

fn pct(lat: &[Duration], p: f64) -> Duration {
    let mut l = lat.to_vec();
    l.sort();
    if l.is_empty() {
        return Duration::ZERO;
    }
    l[((l.len() - 1) as f64 * p).round() as usize]
}

fn cpu() -> String {
    let out = Command::new("lscpu")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    let model = text
        .lines()
        .find(|l| l.starts_with("Model name"))
        .map_or("?", |l| l.split(':').nth(1).unwrap_or("?").trim());
    let flags = text
        .lines()
        .find(|l| l.starts_with("Flags"))
        .map(|l| {
            l.split_whitespace()
                .filter(|f| {
                    f.starts_with("avx")
                        || f.starts_with("amx")
                        || f.contains("vnni")
                        || *f == "fma"
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores; SIMD: {flags}")
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benchmarks
    }
    let model = env_or("RHETOR_LOAD_MODEL", "default");
    let n: usize = env_or("RHETOR_LOAD_REQUESTS", "600").parse().unwrap();
    let texts = texts(n);
    println!("CPU: {}", cpu());
    println!(
        "model {model}, {n} requests of 1-5 sentences, {CLIENTS} clients, limit {TIME_LIMIT:?}"
    );

    // The CLI on the same texts, one process; its model load is measured on
    // one tiny file and left out, so the ratio compares scoring only.
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let p = dir.path().join(format!("{i}.txt"));
            std::fs::write(&p, t).unwrap();
            p.to_string_lossy().into_owned()
        })
        .collect();
    let cli = |files: &[String]| {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_rhetor"))
            .args(["score", "--format", "jsonl", "--model", &model])
            .args(files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            t.elapsed(),
            out.stdout.iter().filter(|b| **b == b'\n').count(),
        )
    };
    let (load, _) = cli(&files[..1]);
    let (cli_wall, cli_sentences) = cli(&files);
    let cli_rate = cli_sentences as f64 / (cli_wall.saturating_sub(load)).as_secs_f64();
    println!(
        "rhetor score: {cli_sentences} sentences in {:.2} s (minus {:.2} s start-up): {cli_rate:.0} sentences/s",
        cli_wall.as_secs_f64(),
        load.as_secs_f64()
    );

    let server = start(&model, &[]);
    let run = drive(&server.1, &texts, CLIENTS);
    let errors = run.statuses.iter().filter(|s| **s != 200).count();
    let rate = run.sentences as f64 / run.wall.as_secs_f64();
    println!(
        "serve: {} requests, {} sentences in {:.2} s: {:.0} req/s, {rate:.0} sentences/s; p50 {:.1} ms, p99 {:.1} ms; errors {errors}; peak RSS {:.0} MB",
        run.statuses.len(),
        run.sentences,
        run.wall.as_secs_f64(),
        run.statuses.len() as f64 / run.wall.as_secs_f64(),
        pct(&run.latencies, 0.5).as_secs_f64() * 1e3,
        pct(&run.latencies, 0.99).as_secs_f64() * 1e3,
        peak_rss_mb(server.0.id()),
    );
    let ratio = rate / cli_rate;
    println!(
        "ratio serve / rhetor score: {:.0} % (bar: >= 80 %) {}",
        ratio * 100.0,
        if ratio >= 0.8 && errors == 0 {
            "PASS"
        } else {
            "FAIL"
        }
    );
    drop(server);

    let server = start(&model, &["--queue", "2"]);
    let run = drive(&server.1, &texts, OVERFILL_CLIENTS);
    let ok = run.statuses.iter().filter(|s| **s == 200).count();
    let refused = run.statuses.iter().filter(|s| **s == 503).count();
    let rss = peak_rss_mb(server.0.id());
    println!(
        "overfilled (--queue 2, {OVERFILL_CLIENTS} clients): {ok} scored, {refused} refused with 503, {} other, {} unclean; p50 {:.1} ms, p99 {:.1} ms; peak RSS {rss:.0} MB {}",
        run.statuses.len() - ok - refused,
        run.unclean,
        pct(&run.latencies, 0.5).as_secs_f64() * 1e3,
        pct(&run.latencies, 0.99).as_secs_f64() * 1e3,
        if run.unclean == 0 && refused > 0 && rss < 300.0 { "PASS" } else { "FAIL" }
    );
}
