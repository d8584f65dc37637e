//! Fault tests of `rhetor batch`, driving the real binary: kill -9 at random
//! points then `--resume`, a full disk (file-size limit; a tiny tmpfs when
//! running as root), a read-only output folder and a missing model folder.
//! Each fault must give a clear error, a non-zero exit and no output that
//! looks complete; after a kill or a full disk `--resume` must give output
//! byte-identical to an uninterrupted run.

mod common;

use common::batch::{batch_args, spawn_slow, wait_for_checkpoint};
use common::{batch, rhetor, stderr};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const OUTPUTS: [&str; 3] = ["sentences.csv", "articles.csv", "errors.csv"];

/// `rhetor batch` with the cue model, quiet, and `extra` arguments.
fn run_batch(input: &Path, out: &Path, extra: &[&str]) -> Output {
    batch::batch_command(input, out, &["--quiet"])
        .args(extra)
        .output()
        .expect("run rhetor")
}

/// A CSV corpus of `n` articles (plus one empty record, an error record).
fn write_corpus(dir: &Path, n: usize) -> PathBuf {
    batch::write_corpus(dir, "id,outlet,text", 0..n, |i| {
        let body: Vec<String> = (0..(2 + i % 5))
            .map(|k| match (i + k) % 4 {
                0 => format!("The council approved budget item {i} on Monday."),
                1 => "By the way, nobody asked the residents \u{1f600}.".to_string(),
                2 => format!("Officials said about {k} thousand people were affected."),
                _ => "Let's notice that the so-called report never arrived.".to_string(),
            })
            .collect();
        let row = format!("a{i},o{},\"{}\"", i % 3, body.join(" "));
        if i == n / 2 {
            format!("{row}\nempty,o1,\"\"")
        } else {
            row
        }
    })
}

/// An uninterrupted run of `input` in `dir/reference` (exit 3: one error record).
fn reference_run(input: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("reference");
    let o = run_batch(input, &out, &["--threads", "2"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    out
}

fn assert_same_outputs(reference: &Path, out: &Path, what: &str) {
    for f in OUTPUTS {
        let a = std::fs::read(reference.join(f)).expect("reference output");
        let b = std::fs::read(out.join(f)).unwrap_or_else(|e| panic!("{what}: {f}: {e}"));
        assert!(a == b, "{what}: {f} differs from the uninterrupted run");
    }
    let summary = |d: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join("summary.json")).expect("summary.json"))
            .expect("summary is JSON")
    };
    let (a, b) = (summary(reference), summary(out));
    assert_eq!(a["counts"], b["counts"], "{what}");
    assert_eq!(a["input"]["sha256"], b["input"]["sha256"], "{what}");
}

/// A folder that is not finished must not look finished: no summary.json,
/// and final-named tables only while the checkpoint says every record is
/// written (the run died between its final renames).
fn assert_not_presented_as_complete(out: &Path, what: &str) {
    assert!(
        !out.join("summary.json").exists(),
        "{what}: summary.json written"
    );
    let complete_checkpoint = std::fs::read(out.join("checkpoint.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v["complete"] == serde_json::Value::Bool(true));
    for f in OUTPUTS {
        assert!(
            complete_checkpoint || !out.join(f).exists(),
            "{what}: {f} has its final name but the run did not finish"
        );
    }
}

#[test]
fn kill_9_at_random_points_then_resume_is_byte_identical() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 40);
    let reference = reference_run(&input, tmp.path());
    let mut rng = StdRng::seed_from_u64(0x5eed_f00d);
    let mut killed_mid_run = 0;
    for trial in 0..10 {
        let out = tmp.path().join(format!("trial{trial}"));
        let threads = rng.gen_range(1..=3).to_string();
        let every = rng.gen_range(1..=7).to_string();
        // Kill at a random point: once the checkpoint reports a random
        // number of records (0 = possibly before the first checkpoint), plus
        // a random delay so the partial files hold unconfirmed rows.
        let after_records = rng.gen_range(0..=41u64);
        let delay = Duration::from_millis(rng.gen_range(0..30));
        let extra = [
            "--quiet",
            "--threads",
            &threads,
            "--checkpoint-every",
            &every,
        ];
        let mut child = spawn_slow(&input, &out, "4", &extra);
        // A run that ends first is compared as it is, below.
        let _ = wait_for_checkpoint(&out, after_records, &mut child);
        std::thread::sleep(delay);
        let finished_first = child.try_wait().expect("try_wait").is_some();
        child.kill().expect("kill -9");
        let _ = child.wait();
        let what = format!("trial {trial} (kill {delay:?} after {after_records} records, threads {threads}, checkpoint every {every})");
        if finished_first {
            assert_same_outputs(&reference, &out, &what);
            continue;
        }
        killed_mid_run += 1;
        if out.join("summary.json").exists() {
            // Killed after the summary, before the process exited.
            assert_same_outputs(&reference, &out, &what);
            continue;
        }
        assert_not_presented_as_complete(&out, &what);
        let done = std::fs::read(out.join("checkpoint.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .map_or(0, |v| v["records_done"].as_u64().unwrap_or(0));
        eprintln!("{what}: killed with {done} records checkpointed");
        let resumed = run_batch(&input, &out, &["--resume", "--threads", "2"]);
        assert_eq!(
            resumed.status.code(),
            Some(3),
            "{what}: {}",
            stderr(&resumed)
        );
        assert_same_outputs(&reference, &out, &what);
    }
    assert!(
        killed_mid_run >= 5,
        "only {killed_mid_run} kills hit a running process"
    );
}

/// Runs `rhetor batch` under `ulimit -f` (512-byte blocks in POSIX sh) with
/// SIGXFSZ ignored, so writing past the limit fails with EFBIG like a full disk.
fn run_with_file_size_limit(input: &Path, out: &Path, blocks: u32) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks} || exit 97; exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_rhetor"))
        .args(batch_args(input, out))
        .args(["--quiet", "--checkpoint-every", "5"])
        .env_remove("RHETOR_TEST_SLOW_MS")
        .output()
        .expect("run sh")
}

#[test]
fn a_full_disk_is_a_clear_error_and_resume_completes_the_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 120);
    let reference = reference_run(&input, tmp.path());
    let out = tmp.path().join("full");
    let o = run_with_file_size_limit(&input, &out, 16);
    if o.status.code() == Some(97) {
        common::skip_or_fail(
            "the full-disk test",
            &format!("`ulimit -f` is not available: {}", stderr(&o)),
        );
        return;
    }
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("File too large") && err.contains(".partial"),
        "the error names the file and the cause: {err}"
    );
    assert_eq!(
        err.matches("File too large").count(),
        1,
        "the cause is printed once: {err}"
    );
    assert_not_presented_as_complete(&out, "full disk");
    eprintln!("full disk (ulimit -f): {}", err.trim());
    // Once space is back, --resume finishes the run with the same bytes.
    let resumed = run_batch(&input, &out, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(3), "{}", stderr(&resumed));
    assert_same_outputs(&reference, &out, "resume after a full disk");
}

/// A tmpfs mounted for one test, unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, options: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

#[test]
fn a_really_full_tmpfs_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 200);
    let Some(mount) = is_root()
        .then(|| Mount::tmpfs(&tmp.path().join("tiny"), "size=16k"))
        .flatten()
    else {
        common::skip_or_fail(
            "the tmpfs full-disk test",
            "needs root and `mount -t tmpfs` (the ulimit test covers EFBIG)",
        );
        return;
    };
    let out = mount.0.join("run");
    let o = run_batch(&input, &out, &["--checkpoint-every", "5"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("No space left on device"),
        "the error says the disk is full: {err}"
    );
    assert_not_presented_as_complete(&out, "full tmpfs");
    eprintln!("full tmpfs: {}", err.trim());
}

#[test]
fn a_read_only_output_folder_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 3);
    let ro = tmp.path().join("ro");
    // Root ignores permission bits: use a read-only tmpfs there.
    let _mount = if is_root() {
        match Mount::tmpfs(&ro, "ro,size=16k") {
            Some(m) => Some(m),
            None => {
                common::skip_or_fail(
                    "the read-only folder test",
                    "running as root and `mount -o ro` failed",
                );
                return;
            }
        }
    } else {
        std::fs::create_dir(&ro).expect("mkdir");
        let mut perms = std::fs::metadata(&ro).expect("stat").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
        std::fs::set_permissions(&ro, perms).expect("chmod");
        None
    };
    for out in [ro.clone(), ro.join("run")] {
        let o = run_batch(&input, &out, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&ro.display().to_string())
                && (err.contains("Read-only file system") || err.contains("Permission denied")),
            "the error names the folder and the cause: {err}"
        );
        assert!(!out.join("summary.json").exists());
        eprintln!("read-only: {}", err.trim());
    }
}

#[test]
fn a_missing_model_folder_is_a_clear_error_before_any_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 3);
    let out = tmp.path().join("run");
    let started = Instant::now();
    let o = rhetor()
        .args(["batch", "--model", "/nonexistent", "--out"])
        .arg(&out)
        .arg(&input)
        .output()
        .expect("run rhetor");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("/nonexistent") && err.contains("no such model folder"),
        "{err}"
    );
    assert!(
        !out.exists(),
        "an output folder was created for a run that cannot start"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let score = rhetor()
        .args(["score", "--model", "/nonexistent"])
        .arg(&input)
        .output()
        .expect("run rhetor");
    assert_eq!(score.status.code(), Some(1), "{}", stderr(&score));
    assert!(stderr(&score).contains("/nonexistent"));
}
