//! `rhetor eval` end to end: PTC-layout folders, rhetor CSV, reports,
//! malformed labels, tuning rules and inter-annotator agreement.

mod common;

use common::run as rhetor;
use std::path::Path;

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// A small PTC-layout folder with made-up sentences (no PTC text).
fn write_ptc(dir: &Path) {
    let articles = [
        (
            "101",
            "A headline\n\nThe minister spoke on Monday.\nThese traitors want to destroy everything!\nThe vote is next week.\n",
            vec![("Name_Calling,Labeling", "traitors"), ("Loaded_Language", "destroy everything")],
        ),
        (
            "102",
            "Second headline\n\nOfficials released the figures.\nIs this really a coincidence?\n",
            vec![("Doubt", "Is this really a coincidence?")],
        ),
    ];
    for (id, body, spans) in articles {
        std::fs::write(dir.join(format!("article{id}.txt")), body).unwrap();
        let mut labels = String::new();
        for (technique, needle) in spans {
            let byte = body.find(needle).unwrap();
            let start = body[..byte].chars().count();
            let end = start + needle.chars().count();
            labels.push_str(&format!("{id}\t{technique}\t{start}\t{end}\n"));
        }
        std::fs::write(dir.join(format!("article{id}.task-flc-tc.labels")), labels).unwrap();
    }
}

#[test]
fn ptc_folder_gives_summary_and_three_report_files() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = tmp.path().join("gold");
    std::fs::create_dir(&gold).unwrap();
    write_ptc(&gold);
    let out = tmp.path().join("out");
    let o = rhetor(&[
        "eval",
        "--gold",
        gold.to_str().unwrap(),
        "--model",
        "cues",
        "--baselines",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("2 articles, 7 sentences, 2 positive"),
        "{stdout}"
    );
    assert!(stdout.contains("all-positive"), "{stdout}");
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["evaluation"]["sentences"], 7);
    assert_eq!(metrics["gold_format"], "ptc");
    // All-positive: P 2/7, R 1 → F1 = 2·2/(2·2+5) = 4/9.
    let all_pos = metrics["baselines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["model"] == "all-positive")
        .unwrap();
    let f1 = all_pos["sentence_level"]["f1"].as_f64().unwrap();
    assert!((f1 - 4.0 / 9.0).abs() < 1e-9, "{f1}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Expected calibration error"));
    assert!(report.contains("Most confident false negatives"));
    let preds = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    assert_eq!(preds.lines().count(), 1 + 7);
    assert!(preds.lines().next().unwrap().contains("p_loaded_language"));
    assert!(preds.contains("These traitors"));
}

#[test]
fn redact_keeps_texts_out_of_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    write_ptc(tmp.path());
    let out = tmp.path().join("out");
    let o = rhetor(&[
        "eval",
        "--gold",
        tmp.path().to_str().unwrap(),
        "--model",
        "cues",
        "--redact",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    for f in ["predictions.csv", "report.md", "metrics.json"] {
        let body = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(!body.contains("traitors"), "{f} leaks text");
    }
}

#[test]
fn malformed_label_lines_fail_with_location_or_are_listed_with_skip_bad() {
    let tmp = tempfile::tempdir().unwrap();
    write_ptc(tmp.path());
    let labels = tmp.path().join("article102.task-flc-tc.labels");
    let mut body = std::fs::read_to_string(&labels).unwrap();
    body.push_str("102\tDoubt\tseven\t9\n");
    std::fs::write(&labels, body).unwrap();
    let gold = tmp.path().to_str().unwrap();
    let o = rhetor(&["eval", "--gold", gold, "--model", "cues"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("article102.task-flc-tc.labels:2") && err.contains("start"),
        "{err}"
    );
    let out = tmp.path().join("out");
    let o = rhetor(&[
        "eval",
        "--gold",
        gold,
        "--model",
        "cues",
        "--skip-bad",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("1 malformed lines skipped"));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("article102.task-flc-tc.labels:2"),
        "{report}"
    );
}

fn write_csv_gold(path: &Path) {
    std::fs::write(
        path,
        "article_id,sentence_index,text,devices,split\n\
         a,0,Let's notice that the figures were late.,editorial_aside,dev\n\
         a,1,The report was published on Friday.,,dev\n\
         b,0,\"These so-called \"\"experts\"\" are clueless.\",scare_quotes;name_calling,test\n\
         b,1,The meeting ended at noon.,,test\n",
    )
    .unwrap();
}

#[test]
fn csv_gold_split_selection_and_tuning_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = tmp.path().join("gold.csv");
    write_csv_gold(&gold);
    let g = gold.to_str().unwrap();
    let o = rhetor(&["eval", "--gold", g, "--model", "cues", "--split", "test"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("1 articles, 2 sentences, 1 positive"));
    // A folder holding gold.csv works too.
    let o = rhetor(&[
        "eval",
        "--gold",
        tmp.path().to_str().unwrap(),
        "--model",
        "cues",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("4 sentences"));
    // Tuning on test is refused.
    let model = tmp.path().join("model");
    std::fs::create_dir(&model).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cues");
    for f in ["config.json", "patterns.toml"] {
        std::fs::copy(repo.join(f), model.join(f)).unwrap();
    }
    let m = model.to_str().unwrap();
    let o = rhetor(&[
        "eval", "--gold", g, "--model", m, "--split", "test", "--tune",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("refusing to tune"),
        "{}",
        text(&o.stderr)
    );
    // Tuning on dev writes thresholds into the model folder's config.
    let o = rhetor(&[
        "eval", "--gold", g, "--model", m, "--split", "dev", "--tune",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("config.json")).unwrap()).unwrap();
    assert!(cfg["thresholds"]["framing"].is_number(), "{cfg}");
    assert_eq!(cfg["kind"], "cues");
    // The embedded cue model has no folder to write into.
    let o = rhetor(&[
        "eval", "--gold", g, "--model", "cues", "--split", "dev", "--tune",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn csv_errors_name_file_row_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = tmp.path().join("bad.csv");
    std::fs::write(
        &gold,
        "article_id,sentence_index,text,devices\na,0,Fine.,\na,x,Broken index.,\n",
    )
    .unwrap();
    let o = rhetor(&["eval", "--gold", gold.to_str().unwrap(), "--model", "cues"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("bad.csv:3") && err.contains("sentence_index"),
        "{err}"
    );
}

#[test]
fn agreement_prints_kappa_per_device() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.csv");
    let b = tmp.path().join("b.csv");
    let head = "article_id,sentence_index,text,devices\n";
    std::fs::write(
        &a,
        format!("{head}x,0,One.,doubt\nx,1,Two.,\nx,2,Three.,doubt\nx,3,Four.,\n"),
    )
    .unwrap();
    std::fs::write(
        &b,
        format!("{head}x,0,One.,doubt\nx,1,Two.,doubt\nx,2,Three.,doubt\nx,3,Four.,\n"),
    )
    .unwrap();
    let o = rhetor(&[
        "eval",
        "--agreement",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let doubt = out.lines().find(|l| l.starts_with("doubt")).unwrap();
    assert!(doubt.trim_end().ends_with("0.500"), "{doubt}");
    assert!(out.contains("4 sentences"));
}
