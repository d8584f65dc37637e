//! Integration tests of label sets (issue 26): a model folder that declares
//! its own `label_set` in `config.json` gets its own columns and `flagged`
//! from `rhetor score`, through the real binary. The user model is made
//! without training: a cue model folder (the shipped patterns) whose config
//! declares two of the devices, in its own order, with its own definitions.

mod common;

use common::{offline as rhetor, stderr, stdout, write};
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
