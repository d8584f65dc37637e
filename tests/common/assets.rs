//! The one skip-or-fail decision of the tests: a test that cannot run for
//! a missing asset skips loudly on a developer's machine and fails under
//! `RHETOR_REQUIRE_ASSETS=1` (set by `.ci/run`). It depends on nothing but
//! std, so that the library's own unit tests include it too
//! (`#[path = "../../tests/common/assets.rs"]`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The variable under which a test that lacks an asset (base weights,
/// `../shared`, Chromium, root) fails instead of skipping: `.ci/run` sets it
/// to `1` after installing the assets, so that a green CI run proves every
/// test ran.
pub const REQUIRE_ASSETS: &str = "RHETOR_REQUIRE_ASSETS";

/// True when [`REQUIRE_ASSETS`] is set to `1`.
pub fn assets_required() -> bool {
    std::env::var(REQUIRE_ASSETS).is_ok_and(|v| v == "1")
}

/// The one skip-or-fail decision of the integration tests, for a test (or a
/// part of one) that cannot run because `missing` is absent: under
/// `RHETOR_REQUIRE_ASSETS=1` it fails the test naming the asset; otherwise it
/// prints a loud `SKIPPED` line on standard error and the caller returns.
#[track_caller]
pub fn skip_or_fail(what: &str, missing: &str) {
    if assets_required() {
        panic!("{REQUIRE_ASSETS}=1, but {what} cannot run: {missing}");
    }
    eprintln!("SKIPPED {what}: {missing} ({REQUIRE_ASSETS}=1 makes this a failure)");
}

/// `../shared/REL` when it exists; otherwise [`skip_or_fail`] and `None`.
#[track_caller]
pub fn shared_or_skip(what: &str, rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    skip_or_fail(
        what,
        &format!(
            "{} is absent (real data, not part of the repository)",
            path.display()
        ),
    );
    None
}
