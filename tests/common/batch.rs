//! Driving `rhetor batch` with the cue model, as `tests/batch.rs`,
//! `tests/faults.rs` and `tests/parquet.rs` do: one way to run it, to start
//! a slowed run that is to be killed, to wait for its checkpoint, and to
//! write a generated CSV corpus.

use super::rhetor;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long [`wait_for_checkpoint`] waits before failing the test.
pub const CHECKPOINT_TIMEOUT: Duration = Duration::from_secs(60);

/// The arguments of `rhetor batch INPUT --out OUT --model cues`.
pub fn batch_args(input: &Path, out: &Path) -> Vec<String> {
    vec![
        "batch".into(),
        input.display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--model".into(),
        "cues".into(),
    ]
}

/// `rhetor batch` with the cue model and `extra` arguments, not yet run.
pub fn batch_command(input: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = rhetor();
    cmd.args(batch_args(input, out)).args(extra);
    cmd
}

/// Runs `rhetor batch` with the cue model and `extra` arguments.
pub fn run_batch(input: &Path, out: &Path, extra: &[&str]) -> Output {
    batch_command(input, out, extra)
        .output()
        .expect("run rhetor")
}

/// Starts a cue-model run slowed down by `slow_ms` per record
/// (`RHETOR_TEST_SLOW_MS`), to be killed mid-way; standard error is dropped.
pub fn spawn_slow(input: &Path, out: &Path, slow_ms: &str, extra: &[&str]) -> Child {
    batch_command(input, out, extra)
        .env("RHETOR_TEST_SLOW_MS", slow_ms)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rhetor")
}

/// Waits until the checkpoint in `out` reports at least `records` records
/// done (true), or the run ends first (false); fails the test after
/// [`CHECKPOINT_TIMEOUT`].
pub fn wait_for_checkpoint(out: &Path, records: u64, child: &mut Child) -> bool {
    let deadline = Instant::now() + CHECKPOINT_TIMEOUT;
    loop {
        let done = std::fs::read(out.join("checkpoint.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["records_done"].as_u64())
            .unwrap_or(0);
        if done >= records {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        assert!(
            Instant::now() < deadline,
            "no checkpoint at {records} records after {CHECKPOINT_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A CSV field, quoted.
pub fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Writes `dir/corpus.csv`: `header`, then `row(i)` for `i` in `rows`
/// (each row without its line break).
pub fn write_corpus(
    dir: &Path,
    header: &str,
    rows: impl IntoIterator<Item = usize>,
    row: impl Fn(usize) -> String,
) -> PathBuf {
    let mut s = format!("{header}\n");
    for i in rows {
        s.push_str(&row(i));
        s.push('\n');
    }
    let path = dir.join("corpus.csv");
    std::fs::write(&path, s).expect("write corpus");
    path
}

/// The repository's sample corpus, `data/corpus-sample.csv` (38 articles, 4 outlets).
pub fn sample_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/corpus-sample.csv")
}

/// Runs `rhetor batch` with the cue model on [`sample_corpus`] into `out`,
/// failing the test when it fails.
pub fn batch_sample_corpus(out: &Path) -> Output {
    super::succeed(&mut batch_command(&sample_corpus(), out, &["--quiet"]))
}
