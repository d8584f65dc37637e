//! `rhetor eval` end to end: PTC-layout folders, rhetor CSV, CheckThat! TSV,
//! reports, malformed labels, tuning rules and inter-annotator agreement.

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

fn metrics_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap()
}

fn close(v: &serde_json::Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

/// A small CheckThat! subjectivity TSV: 3 SUBJ, 3 OBJ.
fn write_checkthat(path: &Path) {
    std::fs::write(
        path,
        "sentence_id\tsentence\tlabel\tsolved_conflict\n\
         s1\tIt is, frankly, a disgrace.\tSUBJ\tFalse\n\
         s2\tThis is obviously the worst plan ever devised.\tSUBJ\tFalse\n\
         s3\tThe minister's curious choice deserves scrutiny.\tSUBJ\tTrue\n\
         s4\tThe vote is on Tuesday.\tOBJ\tFalse\n\
         s5\tThe company reported revenue of 3 million dollars.\tOBJ\tFalse\n\
         s6\tThe meeting ended at noon.\tOBJ\tFalse\n",
    )
    .unwrap();
}

#[test]
fn checkthat_scores_the_author_voice_with_macro_f1_and_base_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = tmp.path().join("dev_en.tsv");
    write_checkthat(&gold);
    let out = tmp.path().join("out");
    let o = rhetor(&[
        "eval",
        "--gold",
        gold.to_str().unwrap(),
        "--model",
        "cues",
        "--baselines",
        "--base-rate",
        "0.25",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("6 articles, 6 sentences, 3 positive"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sentence-level (author voice: evaluative_editorializing)"),
        "{stdout}"
    );
    assert!(stdout.contains("macro-F1"), "{stdout}");
    assert!(
        stdout.contains("at base rate 0.250 (set: 0.500)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("devices: n/a (the gold set labels no techniques)"),
        "{stdout}"
    );
    let m = metrics_json(&out);
    assert_eq!(m["gold_format"], "checkthat");
    let s = &m["evaluation"]["sentence_level"];
    assert_eq!(s["label"], "evaluative_editorializing", "{s}");
    assert_eq!(
        s["scored_output"],
        "author voice: evaluative_editorializing"
    );
    assert_eq!(s["support"], 3);
    // Macro-F1 from the reported counts: tp = R·3, predicted = tp + fp.
    let tp = (s["recall"].as_f64().unwrap() * 3.0).round();
    let fp = s["predicted"].as_f64().unwrap() - tp;
    let (fn_, tn) = (3.0 - tp, 3.0 - fp);
    let f1 = |tp: f64, fp: f64, fn_: f64| {
        if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fn_)
        }
    };
    let macro_f1 = (f1(tp, fp, fn_) + f1(tn, fn_, fp)) / 2.0;
    assert!(close(&s["macro_f1"], macro_f1), "{s} vs {macro_f1}");
    let ci = &s["macro_f1_ci95"];
    assert!(ci["low"].as_f64().unwrap() <= macro_f1 + 1e-12, "{ci}");
    assert!(ci["high"].as_f64().unwrap() >= macro_f1 - 1e-12, "{ci}");
    assert!(s["ece"].is_number());
    assert_eq!(s["ece"], m["evaluation"]["calibration"]["ece"]);
    // π = 0.5, prior 0.25: w₊ = 0.5, w₋ = 1.5.
    let b = &s["at_base_rate"];
    assert!(close(&b["base_rate"], 0.25), "{b}");
    let (wtp, wfp, wfn, wtn) = (0.5 * tp, 1.5 * fp, 0.5 * fn_, 1.5 * tn);
    assert!(close(&b["recall"], s["recall"].as_f64().unwrap()), "{b}");
    assert!(close(&b["f1"], f1(wtp, wfp, wfn)), "{b}");
    assert!(
        close(
            &b["macro_f1"],
            (f1(wtp, wfp, wfn) + f1(wtn, wfn, wfp)) / 2.0
        ),
        "{b}"
    );
    // Techniques: not available; the one device row is the author voice.
    assert_eq!(m["evaluation"]["techniques_labelled"], false);
    assert!(m["evaluation"]["micro"].is_null() && m["evaluation"]["macro_avg"].is_null());
    assert_eq!(
        m["scored_devices"],
        serde_json::json!(["evaluative_editorializing"])
    );
    // Baselines: all-positive predicts SUBJ everywhere: F1(SUBJ) 2/3,
    // F1(OBJ) 0 → macro-F1 1/3; at prior 0.25: P 0.25, F1 0.4, macro 0.2.
    let all_pos = m["baselines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["model"] == "all-positive")
        .unwrap();
    let s = &all_pos["sentence_level"];
    assert!(close(&s["f1"], 2.0 / 3.0), "{s}");
    assert!(close(&s["macro_f1"], 1.0 / 3.0), "{s}");
    assert!(close(&s["at_base_rate"]["precision"], 0.25), "{s}");
    assert!(close(&s["at_base_rate"]["f1"], 0.4), "{s}");
    assert!(close(&s["at_base_rate"]["macro_f1"], 0.2), "{s}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("## Sentence level (author voice: evaluative_editorializing)"),
        "{report}"
    );
    assert!(report.contains("macro-F1"), "{report}");
    assert!(report.contains("at base rate 0.250"), "{report}");
    assert!(report.contains("n/a (the gold set labels no techniques)"));
    assert!(!report.contains("| **micro**"), "{report}");
}

#[test]
fn base_rate_outside_zero_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = tmp.path().join("dev_en.tsv");
    write_checkthat(&gold);
    for bad in ["0", "1", "1.5", "x"] {
        let o = rhetor(&[
            "eval",
            "--gold",
            gold.to_str().unwrap(),
            "--model",
            "cues",
            "--base-rate",
            bad,
        ]);
        assert_eq!(o.status.code(), Some(2), "--base-rate {bad}");
        assert!(
            text(&o.stderr).contains("--base-rate"),
            "{}",
            text(&o.stderr)
        );
    }
}

#[test]
fn checkthat_tune_writes_the_author_voice_threshold_not_framing() {
    let tmp = tempfile::tempdir().unwrap();
    let gold = tmp.path().join("dev_en.tsv");
    write_checkthat(&gold);
    let model = tmp.path().join("model");
    std::fs::create_dir(&model).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cues");
    for f in ["config.json", "patterns.toml"] {
        std::fs::copy(repo.join(f), model.join(f)).unwrap();
    }
    let out = tmp.path().join("out");
    let o = rhetor(&[
        "eval",
        "--gold",
        gold.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--tune",
        "--resamples",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let tuned = metrics_json(&out)["tuned"].clone();
    let labels: Vec<&str> = tuned
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["evaluative_editorializing"], "{tuned}");
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("config.json")).unwrap()).unwrap();
    let t = &cfg["thresholds"];
    let after = tuned[0]["after"].as_f64().unwrap();
    // `devices` is a map by id or an array in `Device::ALL` order.
    let k = rhetor::taxonomy::Device::ALL
        .iter()
        .position(|d| d.id() == "evaluative_editorializing")
        .unwrap();
    let written = match &t["devices"] {
        serde_json::Value::Array(v) => v[k].clone(),
        map => map["evaluative_editorializing"].clone(),
    };
    assert!((written.as_f64().unwrap() - after).abs() < 1e-6, "{cfg}");
    // The framing threshold is the model's own, not tuned on SUBJ/OBJ: the
    // framing threshold of the untouched cue model on a rhetor CSV.
    let csv = tmp.path().join("gold.csv");
    write_csv_gold(&csv);
    let plain = tmp.path().join("plain");
    let o = rhetor(&[
        "eval",
        "--gold",
        csv.to_str().unwrap(),
        "--model",
        "cues",
        "--resamples",
        "0",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let framing = metrics_json(&plain)["evaluation"]["sentence_level"]["threshold"]
        .as_f64()
        .unwrap();
    assert!(
        (t["framing"].as_f64().unwrap() - framing).abs() < 1e-6,
        "{cfg} vs {framing}"
    );
}

/// A PTC span-identification folder: three-column `.task-si.labels`.
fn write_ptc_si(dir: &Path) {
    let articles = [
        (
            "201",
            "A headline\n\nThe minister spoke on Monday.\nThese traitors want to destroy everything!\n",
            vec!["traitors"],
        ),
        (
            "202",
            "Second headline\n\nOfficials released the figures.\nIs this really a coincidence?\n",
            vec![],
        ),
    ];
    for (id, body, spans) in articles {
        std::fs::write(dir.join(format!("article{id}.txt")), body).unwrap();
        let mut labels = String::new();
        for needle in spans {
            let byte = body.find(needle).unwrap();
            let start = body[..byte].chars().count();
            let end = start + needle.chars().count();
            labels.push_str(&format!("{id}\t{start}\t{end}\n"));
        }
        std::fs::write(dir.join(format!("article{id}.task-si.labels")), labels).unwrap();
    }
}

#[test]
fn ptc_span_identification_folder_has_no_device_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    write_ptc_si(tmp.path());
    let out = tmp.path().join("out");
    let o = rhetor(&[
        "eval",
        "--gold",
        tmp.path().to_str().unwrap(),
        "--model",
        "cues",
        "--baselines",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("2 articles, 6 sentences, 1 positive"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sentence-level (any device: framing)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("devices: n/a (the gold set labels no techniques)"),
        "{stdout}"
    );
    assert!(!stdout.contains("micro F1 0.000"), "{stdout}");
    let m = metrics_json(&out);
    let e = &m["evaluation"];
    assert!(e["devices"].is_null(), "{e}");
    assert!(e["micro"].is_null() && e["macro_avg"].is_null(), "{e}");
    assert_eq!(e["techniques_labelled"], false);
    assert_eq!(m["scored_devices"], serde_json::json!([]));
    assert_eq!(e["sentence_level"]["label"], "framing");
    assert!(e["sentence_level"]["ece"].is_number());
    // All-positive: 1 of 6 positive → F1 2/7, F1(negative) 0 → macro-F1 1/7;
    // all-negative: F1 0, F1(negative) = 2·5/(2·5 + 1) = 10/11 → 5/11.
    let baseline = |name: &str| {
        m["baselines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["model"] == name)
            .unwrap()["sentence_level"]
            .clone()
    };
    let all_pos = baseline("all-positive");
    assert!(close(&all_pos["f1"], 2.0 / 7.0), "{all_pos}");
    assert!(close(&all_pos["macro_f1"], 1.0 / 7.0), "{all_pos}");
    let all_neg = baseline("all-negative");
    assert!(close(&all_neg["macro_f1"], 5.0 / 11.0), "{all_neg}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("Device metrics: n/a (the gold set labels no techniques)"),
        "{report}"
    );
    assert!(!report.contains("| **micro**"), "{report}");
    let preds = std::fs::read_to_string(out.join("predictions.csv")).unwrap();
    assert_eq!(preds.lines().count(), 1 + 6);
    assert!(!preds.lines().next().unwrap().contains("p_"), "{preds}");
}

/// The CheckThat! 2025 test files order their columns `sentence, label,
/// sentence_id`; `rhetor eval` reads them by header name, to the same figures
/// as the 2024 order.
#[test]
fn checkthat_2025_column_order_evaluates_like_the_2024_order() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("dev_en.tsv");
    write_checkthat(&old);
    let reordered: String = std::fs::read_to_string(&old)
        .unwrap()
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            format!("{}\t{}\t{}\n", f[1], f[2], f[0])
        })
        .collect();
    assert!(reordered.starts_with("sentence\tlabel\tsentence_id\n"));
    let new = tmp.path().join("test_en.tsv");
    std::fs::write(&new, reordered).unwrap();
    let eval = |gold: &Path, out: &str| {
        let out = tmp.path().join(out);
        let o = rhetor(&[
            "eval",
            "--gold",
            gold.to_str().unwrap(),
            "--model",
            "cues",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        metrics_json(&out)["evaluation"].clone()
    };
    let (a, b) = (eval(&old, "a"), eval(&new, "b"));
    assert_eq!(b["sentences"], 6, "{b}");
    assert_eq!(a, b);
    // A missing column is named.
    let bad = tmp.path().join("bad.tsv");
    std::fs::write(&bad, "sentence\tlabel\nIt is bad.\tSUBJ\n").unwrap();
    let o = rhetor(&["eval", "--gold", bad.to_str().unwrap(), "--model", "cues"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("bad.tsv:1") && err.contains("missing required column `sentence_id`"),
        "{err}"
    );
}
