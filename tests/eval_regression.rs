//! Regression guard: every entry of `eval/results/regression.json` names a
//! model, a labelled set and the sentence-level F1 recorded for it; the test
//! re-runs `rhetor eval` and fails when F1 drops more than `tolerance` (0.02)
//! below the recorded figure. Entries whose labelled set is absent (the gold
//! set not yet written, or `../shared` missing) are skipped with a message.
//! To add a model (e.g. the transformer), add an entry to the JSON file.

mod common;

use common::offline;
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Entry {
    model: String,
    /// Path relative to the repository root.
    gold: String,
    #[serde(default)]
    split: Option<String>,
    /// `null` until a figure is recorded: the test then prints the measured
    /// F1 (to be recorded) instead of checking it.
    sentence_f1: Option<f64>,
    /// True for transformer models, which need the base weights (`models/base`,
    /// set up by `scripts/setup-model.sh`); skipped with a message without them.
    #[serde(default)]
    needs_base: bool,
}

#[derive(Deserialize)]
struct Recorded {
    tolerance: f64,
    entries: Vec<Entry>,
}

#[test]
fn recorded_sentence_f1_does_not_regress() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read_to_string(root.join("eval/results/regression.json"))
        .expect("eval/results/regression.json");
    let recorded: Recorded = serde_json::from_str(&raw).expect("valid regression.json");
    assert!(!recorded.entries.is_empty());
    let mut checked = 0;
    for e in &recorded.entries {
        let gold = root.join(&e.gold);
        let has_labels = gold.is_file()
            || (gold.is_dir()
                && std::fs::read_dir(&gold)
                    .map(|d| {
                        d.flatten().any(|f| {
                            let n = f.file_name().to_string_lossy().into_owned();
                            n.ends_with(".csv") || n.ends_with(".labels")
                        })
                    })
                    .unwrap_or(false));
        let what = format!("{} on {}", e.model, gold.display());
        if !has_labels {
            common::skip_or_fail(&what, "labelled set absent");
            continue;
        }
        if e.needs_base && common::base_weights_or_skip(&what).is_none() {
            continue;
        }
        let out = tempfile::tempdir().unwrap();
        let mut cmd = offline();
        cmd.current_dir(root)
            .args(["eval", "--gold", &e.gold, "--model", &e.model])
            .args(["--resamples", "0", "--redact", "--out"])
            .arg(out.path());
        if let Some(s) = &e.split {
            cmd.args(["--split", s]);
        }
        let o = cmd.output().expect("run rhetor eval");
        assert!(
            o.status.success(),
            "rhetor eval failed for {} on {}: {}",
            e.model,
            e.gold,
            String::from_utf8_lossy(&o.stderr)
        );
        let metrics: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join("metrics.json")).unwrap(),
        )
        .unwrap();
        let f1 = metrics["evaluation"]["sentence_level"]["f1"]
            .as_f64()
            .unwrap();
        let Some(expected) = e.sentence_f1 else {
            eprintln!(
                "NOT CHECKED: {} on {}: sentence F1 {f1:.4}; no figure recorded yet in eval/results/regression.json",
                e.model, e.gold
            );
            continue;
        };
        eprintln!(
            "{} on {}: sentence F1 {f1:.4} (recorded {expected:.4})",
            e.model, e.gold
        );
        assert!(
            f1 >= expected - recorded.tolerance,
            "{} on {}: sentence F1 {f1:.4} fell more than {} below the recorded {expected:.4}",
            e.model,
            e.gold,
            recorded.tolerance,
        );
        checked += 1;
    }
    eprintln!("{checked} regression entries checked");
}
