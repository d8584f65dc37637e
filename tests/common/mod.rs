//! What the integration tests share: running the real `rhetor` binary and
//! reading its output. Each test binary uses a part of it.
#![allow(dead_code)]

pub mod assets;
pub mod batch;
pub mod offsets;

// Each test binary uses a part of these.
#[allow(unused_imports)]
pub use assets::{assets_required, shared_or_skip, skip_or_fail, REQUIRE_ASSETS};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod devtools;

/// The `rhetor` binary under test, without the test-only slow-down variable
/// a parent test may have set.
pub fn rhetor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rhetor"));
    c.env_remove("RHETOR_TEST_SLOW_MS");
    c
}

/// [`rhetor`] that never downloads base weights (`RHETOR_NO_SETUP=1`).
pub fn offline() -> Command {
    let mut c = rhetor();
    c.env("RHETOR_NO_SETUP", "1");
    c
}

/// Runs `cmd` and fails the test, showing standard error, unless it exits 0.
pub fn succeed(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("rhetor runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?}): {}",
        out.status.code(),
        stderr(&out)
    );
    out
}

/// Runs `rhetor ARGS` and returns its output, whatever the exit code.
pub fn run(args: &[&str]) -> Output {
    rhetor().args(args).output().expect("rhetor runs")
}

/// Runs `rhetor ARGS` and fails the test, showing standard error, unless it exits 0.
pub fn ok(args: &[&str]) -> Output {
    succeed(rhetor().args(args))
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `../shared` beside the checkout (real data for developers and CI), if present.
pub fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    dir.is_dir().then_some(dir)
}

/// Reads a CSV file into its header and rows (panics on a malformed file).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Writes a header and rows as a CSV file (the twin of [`read_csv`]).
pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

/// The base-weight folder when it is complete; otherwise [`skip_or_fail`]
/// and `None`.
#[track_caller]
pub fn base_weights_or_skip(what: &str) -> Option<PathBuf> {
    let base = rhetor::LoadOptions::from_env().base.dir;
    if rhetor::model::setup::is_complete(&base) {
        return Some(base);
    }
    skip_or_fail(
        what,
        &format!(
            "no base weights in {} (run scripts/setup-model.sh)",
            base.display()
        ),
    );
    None
}
