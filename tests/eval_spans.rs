//! `rhetor eval` on PTC-layout folders with gold spans: the SemEval-2020
//! Task 11 span measures (`evaluation.spans`), with the real binary.

mod common;

use common::{ok, write};
use std::path::Path;

/// Made-up articles (no PTC text) with technique spans, one crossing a line
/// break; `four_columns` false writes `.task-si.labels` without techniques.
fn write_ptc(dir: &Path, four_columns: bool) {
    let body = "A headline\n\nThese traitors want to destroy everything!\nIs this really a coincidence?\nThe vote is next week.\n";
    let spans = [
        ("Name_Calling,Labeling", "traitors"),
        ("Loaded_Language", "destroy everything!\nIs this"),
        ("Doubt", "Is this really a coincidence?"),
    ];
    write(dir, "article201.txt", body.as_bytes());
    let mut labels = String::new();
    for (technique, needle) in spans {
        let byte = body.find(needle).unwrap();
        let start = body[..byte].chars().count();
        let end = start + needle.chars().count();
        if four_columns {
            labels.push_str(&format!("201\t{technique}\t{start}\t{end}\n"));
        } else {
            labels.push_str(&format!("201\t{start}\t{end}\n"));
        }
    }
    let name = if four_columns {
        "article201.task-flc-tc.labels"
    } else {
        "article201.task-si.labels"
    };
    write(dir, name, labels.as_bytes());
}

fn metrics(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap()
}

fn eval(gold: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "eval",
        "--gold",
        gold.to_str().unwrap(),
        "--resamples",
        "50",
        "--out",
        out.to_str().unwrap(),
    ];
    if !extra.contains(&"--model") {
        args.extend_from_slice(&["--model", "cues"]);
    }
    args.extend_from_slice(extra);
    common::stdout(&ok(&args))
}

#[test]
fn a_model_without_a_span_head_gets_null_span_measures() {
    for four_columns in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        let gold = tmp.path().join("gold");
        std::fs::create_dir(&gold).unwrap();
        write_ptc(&gold, four_columns);
        let out = tmp.path().join("out");
        let stdout = eval(&gold, &out, &[]);
        assert!(
            stdout.contains("spans (SemEval-2020 Task 11): n/a (the model has no span head)"),
            "{stdout}"
        );
        let m = metrics(&out);
        assert_eq!(m["evaluation"]["gold_spans"], true);
        assert!(m["evaluation"]["spans"].is_null(), "{}", m["evaluation"]);
        let report = std::fs::read_to_string(out.join("report.md")).unwrap();
        assert!(
            report.contains("## Spans (SemEval-2020 Task 11)"),
            "{report}"
        );
    }
}

#[test]
fn the_cue_baseline_reports_si_of_its_cue_spans() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = tmp.path().join("gold");
    std::fs::create_dir(&gold).unwrap();
    write_ptc(&gold, true);
    let out = tmp.path().join("out");
    // The TF-IDF baseline under test, so that the cue model runs as a baseline.
    let stdout = eval(&gold, &out, &["--model", "baseline", "--baselines"]);
    let m = metrics(&out);
    assert!(m["evaluation"]["spans"].is_null(), "no span head");
    let baselines = m["baselines"].as_array().unwrap();
    let by_name = |n: &str| baselines.iter().find(|b| b["model"] == n).unwrap();
    assert!(by_name("all-positive")["spans"].is_null());
    let cues = &by_name("cues")["spans"];
    let f1 = cues["si_f1"].as_f64().unwrap_or_else(|| panic!("{cues}"));
    assert!((0.0..=1.0).contains(&f1), "{cues}");
    // The loaded-language span runs into the doubt span: merged for SI.
    assert_eq!(cues["n_gold_spans"], 2, "{cues}");
    assert_eq!(cues["n_tc_spans"], 3, "{cues}");
    assert!(cues["per_technique"]["doubt"]["f1"].is_number(), "{cues}");
    // Cues give no token probabilities: no TC.
    assert!(cues["tc_micro_f1"].is_null(), "{cues}");
    assert!(stdout.contains("span SI F1"), "{stdout}");
}

#[test]
fn a_set_without_spans_prints_no_span_line() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = write(
        tmp.path(),
        "gold.csv",
        b"article_id,sentence_index,text,devices\na,0,They lie.,loaded_language\na,1,The vote is next week.,\n",
    );
    let out = tmp.path().join("out");
    let stdout = eval(&csv, &out, &[]);
    assert!(!stdout.contains("SemEval-2020 Task 11"), "{stdout}");
    let m = metrics(&out);
    assert_eq!(m["evaluation"]["gold_spans"], false);
    assert!(m["evaluation"]["spans"].is_null());
}

/// The official test layout: `.task-flc-tc.labels` files whose lines have
/// three columns (`id start end`: spans, no technique names). Nothing can be
/// said about devices or techniques, so every such figure is n/a / `null`,
/// never 0; the sentence level and span identification (SI) stay.
#[test]
fn three_column_technique_files_give_na_devices_but_keep_si() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = tmp.path().join("gold");
    std::fs::create_dir(&gold).unwrap();
    write_ptc(&gold, false);
    std::fs::rename(
        gold.join("article201.task-si.labels"),
        gold.join("article201.task-flc-tc.labels"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let stdout = eval(&gold, &out, &["--model", "baseline", "--baselines"]);
    assert!(
        stdout.contains("devices: n/a (the gold set labels no techniques)"),
        "{stdout}"
    );
    assert!(!stdout.contains("F1 0.000 [0.000, 0.000]"), "{stdout}");
    assert!(!stdout.contains("micro F1 0.000"), "{stdout}");
    let m = metrics(&out);
    let e = &m["evaluation"];
    assert_eq!(e["techniques_labelled"], false, "{e}");
    assert!(e["devices"].is_null() && e["micro"].is_null() && e["macro_avg"].is_null());
    assert_eq!(m["scored_devices"], serde_json::json!([]));
    assert!(e["sentence_level"]["f1"].is_number(), "{e}");
    let cues = m["baselines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["model"] == "cues")
        .unwrap()["spans"]
        .clone();
    assert!(cues["si_f1"].is_number(), "SI stays: {cues}");
    assert!(cues["tc_micro_f1"].is_null(), "{cues}");
    assert!(cues["per_technique"].is_null(), "{cues}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("Device metrics: n/a (the gold set labels no techniques)"),
        "{report}"
    );
}
