//! Integration tests of label sets (issue 26): a model folder that declares
//! its own `label_set` in `config.json` gets its own columns and `flagged`
//! from `rhetor score`, through the real binary. The user model is made
//! without training: a cue model folder (the shipped patterns) whose config
//! declares two of the devices, in its own order, with its own definitions;
//! and a tiny random transformer whose labels are its own (`blame`,
//! `us_vs_them`, written by `rhetor::model::tiny::write_tiny_labelled_model`
//! in the on-disk form `rhetor train --labels` writes).

mod common;

use common::{offline as rhetor, read_csv, stderr, stdout, write};
use rhetor::model::tiny::{write_tiny_base, write_tiny_labelled_model};
use std::path::{Path, PathBuf};
use std::process::Output;

const ARTICLE: &str = "Officials met on Monday.\n\nLet\u{2019}s notice that the \u{201c}experts\u{201d} were absent. By the way, nobody asked them.\n\nWho could possibly believe that?\n";

/// The fixed columns of every per-sentence output, before and after the labels.
const LEADING: [&str; 11] = [
    "article_id",
    "sentence_index",
    "paragraph",
    "start",
    "end",
    "byte_start",
    "byte_end",
    "attributed",
    "text",
    "framing",
    "flagged",
];

fn shipped_cues() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cues")
}

/// A cue model folder whose `config.json` has `label_set` = `label_set` (JSON).
fn user_model(root: &Path, label_set: &str) -> PathBuf {
    let dir = root.join("my-model");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        shipped_cues().join("patterns.toml"),
        dir.join("patterns.toml"),
    )
    .unwrap();
    let config = format!(
        r#"{{"kind": "cues", "name": "mine", "patterns": "patterns.toml", "label_set": {label_set}}}"#
    );
    std::fs::write(dir.join("config.json"), config).unwrap();
    dir
}

const TWO_LABELS: &str = r#"[
  {"name": "scare_quotes", "definition": "Quotes that keep a term at a distance.", "level": "span"},
  {"name": "editorial_aside", "definition": "The author talks to the reader.", "level": "sentence"}
]"#;

fn score(model: &Path, format: &str, file: &Path, extra: &[&str]) -> Output {
    rhetor()
        .args([
            "score",
            "--model",
            model.to_str().unwrap(),
            "--format",
            format,
        ])
        .args(extra)
        .arg(file)
        .output()
        .expect("rhetor runs")
}

/// The CSV rows as (header → cell) maps, plus the header.
fn csv_rows(o: &Output) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(o.status.success(), "{}", stderr(o));
    let mut r = csv::Reader::from_reader(&o.stdout[..]);
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header.iter().position(|h| h == name).unwrap();
    &row[i]
}

#[test]
fn a_declared_label_set_gives_the_csv_its_columns_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let model = user_model(dir.path(), TWO_LABELS);
    let article = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let (header, rows) = csv_rows(&score(&model, "csv", &article, &[]));
    let mut expected: Vec<&str> = LEADING.to_vec();
    expected.extend(["scare_quotes", "editorial_aside", "cues", "spans"]);
    assert_eq!(header, expected);

    // Same scores as the shipped cue model's columns; flagged is the
    // shipped model's flagged restricted to the two labels, in set order.
    let (full_header, full_rows) = csv_rows(&score(&shipped_cues(), "csv", &article, &[]));
    assert_eq!(rows.len(), full_rows.len());
    let mut flagged_any = false;
    for (row, full) in rows.iter().zip(&full_rows) {
        for label in ["scare_quotes", "editorial_aside", "framing", "text"] {
            assert_eq!(
                cell(&header, row, label),
                cell(&full_header, full, label),
                "{label}"
            );
        }
        let full_flagged: Vec<&str> = cell(&full_header, full, "flagged").split(';').collect();
        let want: Vec<&str> = ["scare_quotes", "editorial_aside"]
            .into_iter()
            .filter(|l| full_flagged.contains(l))
            .collect();
        assert_eq!(cell(&header, row, "flagged"), want.join(";"));
        flagged_any |= !want.is_empty();
    }
    assert!(flagged_any, "the article flags one of the two labels");
}

#[test]
fn jsonl_and_json_carry_only_the_declared_labels() {
    let dir = tempfile::tempdir().unwrap();
    let model = user_model(dir.path(), TWO_LABELS);
    let article = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let o = score(&model, "jsonl", &article, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let labels = ["scare_quotes", "editorial_aside"];
    for line in stdout(&o).lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = row["scores"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, labels);
        for f in row["flagged"].as_array().unwrap() {
            assert!(labels.contains(&f.as_str().unwrap()), "{line}");
        }
        for c in row["cues"].as_array().unwrap() {
            assert!(labels.contains(&c["device"].as_str().unwrap()), "{line}");
        }
    }
    let o = score(&model, "json", &article, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["devices"], serde_json::json!(labels));
}

#[test]
fn devices_outside_the_label_set_are_refused_naming_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let model = user_model(dir.path(), TWO_LABELS);
    let article = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let (header, _) = csv_rows(&score(
        &model,
        "csv",
        &article,
        &["--devices", "editorial_aside"],
    ));
    assert!(header.contains(&"editorial_aside".to_string()));
    assert!(!header.contains(&"scare_quotes".to_string()));
    let o = score(&model, "csv", &article, &["--devices", "repetition"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("no label `repetition`; its labels are: scare_quotes, editorial_aside"),
        "{e}"
    );
}

#[test]
fn a_broken_label_set_fails_naming_the_config_and_the_label() {
    let cases = [
        (
            r#"[{"name": "doubt", "definition": "x.", "level": "sentence"},
                {"name": "doubt", "definition": "y.", "level": "sentence"}]"#,
            "label `doubt` is declared twice (labels 1 and 2)",
        ),
        (
            r#"[{"name": "", "definition": "x.", "level": "sentence"}]"#,
            "label 1 has an empty name",
        ),
        (
            r#"[{"name": "doubt", "definition": "x.", "level": "paragraph"}]"#,
            "unknown variant `paragraph`, expected `sentence` or `span`",
        ),
        (
            r#"[{"name": "blame", "definition": "Blames a named actor.", "level": "sentence"}]"#,
            "label `blame` is not one of the 18 shipped devices",
        ),
    ];
    for (label_set, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let model = user_model(dir.path(), label_set);
        let article = write(dir.path(), "a.txt", ARTICLE.as_bytes());
        let o = score(&model, "csv", &article, &[]);
        assert!(!o.status.success(), "{label_set}");
        let e = stderr(&o);
        assert!(
            e.contains("config.json") && e.contains("label_set: "),
            "{e}"
        );
        assert!(e.contains(expected), "{e}\n  want: {expected}");
    }
}

#[test]
fn batch_tables_take_their_label_columns_from_the_label_set() {
    let dir = tempfile::tempdir().unwrap();
    let model = user_model(dir.path(), TWO_LABELS);
    let corpus = dir.path().join("corpus.csv");
    let text = ARTICLE.replace('"', "\"\"");
    std::fs::write(&corpus, format!("id,text\na1,\"{text}\"\n")).unwrap();
    let out = dir.path().join("out");
    let o = rhetor()
        .arg("batch")
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .args(["--model", model.to_str().unwrap()])
        .output()
        .expect("rhetor runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let header = |file: &str| -> Vec<String> {
        let mut r = csv::Reader::from_path(out.join(file)).unwrap();
        r.headers().unwrap().iter().map(String::from).collect()
    };
    let articles = header("articles.csv");
    let counts: Vec<&str> = articles
        .iter()
        .filter(|h| h.ends_with("_count"))
        .map(String::as_str)
        .collect();
    assert_eq!(counts, ["scare_quotes_count", "editorial_aside_count"]);
    let sentences = header("sentences.csv");
    let flagged = sentences.iter().position(|h| h == "flagged").unwrap();
    assert_eq!(
        sentences[flagged + 1..],
        ["scare_quotes", "editorial_aside", "cues", "spans"]
    );
}

/// A tiny random transformer folder declaring `blame` (threshold 0: always
/// flagged) and `us_vs_them` (threshold 1: never flagged), and the tiny base
/// it runs on: `(base, model)`.
fn tiny_labelled(root: &Path) -> (PathBuf, PathBuf) {
    let base = root.join("base");
    let model = root.join("labelled");
    write_tiny_base(&base, 1).unwrap();
    write_tiny_labelled_model(&model, &[("blame", 0.0), ("us_vs_them", 1.0)], 3).unwrap();
    (base, model)
}

/// `rhetor score --lines --model MODEL --format FORMAT EXTRA FILE` on the tiny base.
fn score_tiny(base: &Path, model: &Path, format: &str, file: &Path, extra: &[&str]) -> Output {
    rhetor()
        .env("RHETOR_BASE_DIR", base)
        .args(["score", "--lines", "--model", model.to_str().unwrap()])
        .args(["--format", format])
        .args(extra)
        .arg(file)
        .output()
        .expect("rhetor runs")
}

/// `rhetor batch` of the sample corpus with `model` into `out` (`base`:
/// the base weights of a transformer, else none needed).
fn batch_sample_corpus(model: &Path, base: Option<&Path>, out: &Path) {
    let mut cmd = rhetor();
    if let Some(base) = base {
        cmd.env("RHETOR_BASE_DIR", base);
    }
    common::succeed(
        cmd.arg("batch")
            .arg(common::batch::sample_corpus())
            .arg("--out")
            .arg(out)
            .args(["--model", model.to_str().unwrap(), "--quiet"]),
    );
}

/// `rhetor compare INPUT` with few resamples into `out`: compare.csv's
/// header and rows, and the measures of its first group in output order.
fn compare_first_group(input: &Path, out: &Path) -> (Vec<String>, Vec<Vec<String>>, Vec<String>) {
    common::succeed(
        rhetor()
            .arg("compare")
            .arg(input)
            .arg("--out")
            .arg(out)
            .args(["--bootstrap", "20", "--permutations", "20"]),
    );
    let (header, rows) = read_csv(&out.join("compare.csv"));
    let device = header.iter().position(|h| h == "device").unwrap();
    let first_group = rows
        .iter()
        .take_while(|r| r[1] == rows[0][1])
        .map(|r| r[device].clone())
        .collect();
    (header, rows, first_group)
}

#[test]
fn a_transformer_with_labels_of_its_own_scores_them_in_csv_and_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let (base, model) = tiny_labelled(dir.path());
    let article = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let (header, rows) = csv_rows(&score_tiny(&base, &model, "csv", &article, &[]));
    let mut expected: Vec<&str> = LEADING.to_vec();
    expected.extend(["blame", "us_vs_them", "cues", "spans"]);
    assert_eq!(header, expected);
    assert_eq!(rows.len(), 3, "one row per non-empty line");
    for row in &rows {
        assert_eq!(cell(&header, row, "flagged"), "blame");
        for label in ["blame", "us_vs_them", "framing"] {
            let p: f32 = cell(&header, row, label).parse().unwrap();
            assert!((0.0..1.0).contains(&p), "{label} = {p}");
        }
        assert_eq!(
            cell(&header, row, "cues"),
            "[]",
            "no cue model behind own labels"
        );
    }

    let o = score_tiny(&base, &model, "jsonl", &article, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    for line in lines {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = row["scores"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["blame", "us_vs_them"]);
        assert_eq!(row["flagged"], serde_json::json!(["blame"]));
    }

    // The HTML page highlights the sentences flagged with a label of its own.
    let o = score_tiny(&base, &model, "html", &article, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert_eq!(page.matches("data-devices=\"blame\"").count(), 3, "{page}");
    assert!(
        page.contains("blame 0."),
        "no blame probability in the tooltips"
    );
}

#[test]
fn labels_of_its_own_are_selected_by_name_and_unknown_names_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (base, model) = tiny_labelled(dir.path());
    let article = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let (header, rows) = csv_rows(&score_tiny(
        &base,
        &model,
        "csv",
        &article,
        &["--labels", "us_vs_them"],
    ));
    let flagged = header.iter().position(|h| h == "flagged").unwrap();
    assert_eq!(header[flagged + 1..], ["us_vs_them", "cues", "spans"]);
    assert!(
        rows.iter().all(|r| r[flagged].is_empty()),
        "us_vs_them is never flagged"
    );
    // The older flag name selects by label name too.
    let (header, _) = csv_rows(&score_tiny(
        &base,
        &model,
        "csv",
        &article,
        &["--devices", "blame"],
    ));
    assert_eq!(header[flagged + 1..], ["blame", "cues", "spans"]);
    let o = score_tiny(&base, &model, "csv", &article, &["--labels", "doubt"]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("the model has no label `doubt`; its labels are: blame, us_vs_them"),
        "{e}"
    );
}

#[test]
fn batch_on_the_sample_corpus_counts_labels_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (base, model) = tiny_labelled(dir.path());
    let out = dir.path().join("out");
    batch_sample_corpus(&model, Some(&base), &out);
    let (header, rows) = read_csv(&out.join("articles.csv"));
    let counts: Vec<&str> = header
        .iter()
        .filter(|h| h.ends_with("_count"))
        .map(String::as_str)
        .collect();
    assert_eq!(counts, ["blame_count", "us_vs_them_count"]);
    assert_eq!(rows.len(), 38);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in &rows {
        // blame's threshold is 0: every sentence is flagged with it.
        assert_eq!(row[col("blame_count")], row[col("sentences")]);
        assert_eq!(row[col("us_vs_them_count")], "0");
    }
    let (sentences, _) = read_csv(&out.join("sentences.csv"));
    let flagged = sentences.iter().position(|h| h == "flagged").unwrap();
    assert_eq!(
        sentences[flagged + 1..],
        ["blame", "us_vs_them", "cues", "spans"]
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["thresholds"]["devices"],
        serde_json::json!({"blame": 0.0, "us_vs_them": 1.0})
    );
}

#[test]
fn a_transformer_whose_labels_disagree_with_its_label_set_fails_naming_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let (base, model) = tiny_labelled(dir.path());
    let article = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let config_path = model.join("config.json");
    let original: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    let cases = [
        (
            "labels",
            serde_json::json!(["us_vs_them", "blame", "framing"]),
            "`labels` must be the `label_set` names in order, then `framing` (blame, us_vs_them, framing)",
        ),
        (
            "thresholds",
            serde_json::json!({"labels": {"blame": 0.5, "doubt": 0.5}, "framing": 0.5}),
            "`thresholds.labels` names `doubt`, which is not a label of the model (blame, us_vs_them)",
        ),
        (
            "thresholds",
            serde_json::json!({"devices": vec![0.5; 18], "framing": 0.5}),
            "a declared label set needs its thresholds by label (`thresholds.labels`)",
        ),
    ];
    for (key, value, expected) in cases {
        let mut config = original.clone();
        config[key] = value;
        std::fs::write(&config_path, config.to_string()).unwrap();
        let o = score_tiny(&base, &model, "csv", &article, &[]);
        assert!(!o.status.success(), "{key}");
        let e = stderr(&o);
        assert!(
            e.contains("config.json") && e.contains(expected),
            "{e}\n  want: {expected}"
        );
    }
}

#[test]
fn compare_keeps_the_label_set_order_of_the_batch_output() {
    let dir = tempfile::tempdir().unwrap();
    let model = user_model(dir.path(), TWO_LABELS);
    let batch = dir.path().join("batch");
    batch_sample_corpus(&model, None, &batch);
    // The set's order (scare_quotes first), not Device::ALL's, from either table.
    for input in [batch.join("articles.csv"), batch.join("sentences.csv")] {
        let (_, _, first_group) = compare_first_group(&input, &dir.path().join("compare"));
        assert_eq!(
            first_group,
            ["framing", "scare_quotes", "editorial_aside"],
            "{}",
            input.display()
        );
    }
}

#[test]
fn eval_of_a_model_with_labels_of_its_own_needs_a_coded_file_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let (base, model) = tiny_labelled(dir.path());
    // A device gold CSV has no `blame` or `us_vs_them` column.
    let gold = write(
        dir.path(),
        "gold.csv",
        b"article_id,sentence_index,text,devices\na1,0,Officials met on Monday.,\na1,1,Who could possibly believe that?,rhetorical_question\n",
    );
    let o = eval_tiny(&base, &model, &gold, &[]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("has labels of its own"), "{e}");
    assert!(e.contains("blame"), "{e}");
    assert!(e.contains("gold.csv"), "{e}");
    // Options about the shipped devices are refused, naming the labels.
    let coded = write(dir.path(), "coded.csv", b"text,blame,us_vs_them\nA.,1,0\n");
    let o = eval_tiny(&base, &model, &coded, &["--baselines"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("(blame, us_vs_them)"), "{}", stderr(&o));
}

/// `rhetor eval --model MODEL --gold GOLD EXTRA` on the tiny base.
fn eval_tiny(base: &Path, model: &Path, gold: &Path, extra: &[&str]) -> Output {
    rhetor()
        .env("RHETOR_BASE_DIR", base)
        .args(["eval", "--model", model.to_str().unwrap()])
        .arg("--gold")
        .arg(gold)
        .args(extra)
        .output()
        .expect("rhetor runs")
}

#[test]
fn eval_measures_labels_of_its_own_on_a_coded_file_at_the_model_thresholds() {
    let dir = tempfile::tempdir().unwrap();
    // Thresholds: blame 0 (always flagged), us_vs_them 1 (never).
    let (base, model) = tiny_labelled(dir.path());
    let coded = write(
        dir.path(),
        "coded.csv",
        b"text,blame,us_vs_them\nOfficials met on Monday.,0,0\nThey ruined everything as always.,1,1\nThe council voted.,0,\nThose people caused this.,1,0\n",
    );
    let out = dir.path().join("E");
    let o = eval_tiny(&base, &model, &coded, &["--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("4 rows"), "{text}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["gold"]["rows"], 4);
    let f = m["figures"].as_array().unwrap();
    let names: Vec<&str> = f.iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["blame", "us_vs_them", "framing"]);
    // blame: every row flagged; 2 of 4 positive.
    assert_eq!(
        (f[0]["sentences"].as_u64(), f[0]["positives"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(f[0]["precision"], 0.5);
    assert_eq!(f[0]["recall"], 1.0);
    // us_vs_them: the empty cell is not coded; nothing flagged.
    assert_eq!(
        (f[1]["sentences"].as_u64(), f[1]["positives"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(f[1]["recall"], 0.0);
    assert_eq!(m["not_coded"], serde_json::json!([0, 1, 1]));
    // framing (some label): rows 1, 2, 4 are decided (2 positive); row 3 is not.
    assert_eq!(
        (f[2]["sentences"].as_u64(), f[2]["positives"].as_u64()),
        (Some(3), Some(2))
    );
    for line in ["blame", "us_vs_them", "framing"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(line)
                && l.contains("macro-F1")
                && l.contains("95% CI")),
            "{text}"
        );
    }
}

#[test]
fn compare_report_and_gold_give_labels_of_its_own_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (base, model) = tiny_labelled(dir.path());
    let batch = dir.path().join("batch");
    batch_sample_corpus(&model, Some(&base), &batch);
    // From either table: framing, then the set's labels, with their rates
    // (blame's threshold is 0: every sentence; us_vs_them's is 1: none).
    for input in [batch.join("articles.csv"), batch.join("sentences.csv")] {
        let (header, rows, first_group) = compare_first_group(&input, &dir.path().join("compare"));
        let device = header.iter().position(|h| h == "device").unwrap();
        let rate = header.iter().position(|h| h == "rate_per_100").unwrap();
        assert_eq!(
            first_group,
            ["framing", "blame", "us_vs_them"],
            "{}",
            input.display()
        );
        for r in &rows {
            match r[device].as_str() {
                "blame" => assert_eq!(r[rate].parse::<f64>().unwrap(), 100.0, "{r:?}"),
                "us_vs_them" => assert_eq!(r[rate].parse::<f64>().unwrap(), 0.0, "{r:?}"),
                _ => {}
            }
        }
    }
    let html = dir.path().join("report.html");
    common::succeed(
        rhetor()
            .arg("report")
            .arg("--batch")
            .arg(&batch)
            .arg("--out")
            .arg(&html)
            .args(["--bootstrap", "20", "--permutations", "20"]),
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("data-device=\"blame\""),
        "no blame column in the heat map"
    );
    // The highlighted articles: every sentence flagged with blame.
    assert!(
        page.contains("data-devices=\"blame\""),
        "no sentence flagged with blame"
    );

    // A random sample with a `blame` column, coded by hand (here: every
    // sentence of an article is blame when its index is even), then the
    // corrected rates.
    let sample = dir.path().join("s.csv");
    common::succeed(
        rhetor()
            .arg("sample")
            .arg(&batch)
            .args([
                "--per-group",
                "3",
                "--seed",
                "1",
                "--labels",
                "blame",
                "--out",
            ])
            .arg(&sample),
    );
    let (header, mut rows) = read_csv(&sample);
    let blame = header.iter().position(|h| h == "blame").unwrap();
    let index = header.iter().position(|h| h == "sentence_index").unwrap();
    for r in &mut rows {
        let even = r[index].parse::<u64>().unwrap() % 2 == 0;
        r[blame] = if even { "1" } else { "0" }.into();
    }
    common::write_csv(&sample, &header, &rows);
    let out = dir.path().join("gold");
    common::succeed(
        rhetor()
            .arg("compare")
            .arg(&batch)
            .arg("--gold")
            .arg(&sample)
            .arg("--out")
            .arg(&out)
            .args(["--bootstrap", "20", "--permutations", "20"]),
    );
    let (header, rows) = read_csv(&out.join("compare.csv"));
    let device = header.iter().position(|h| h == "device").unwrap();
    let precision = header
        .iter()
        .position(|h| h == "precision")
        .unwrap_or_else(|| panic!("no precision in {header:?}"));
    let labelled: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[device] == "blame" && !r[precision].is_empty())
        .collect();
    assert!(!labelled.is_empty(), "no gold figures for blame: {rows:?}");
    for r in labelled {
        // Every sentence is flagged: precision = the share coded 1.
        let p: f64 = r[precision].parse().unwrap();
        assert!(p > 0.0 && p < 1.0, "{r:?}");
    }
}
