//! Integration tests of Parquet output (`rhetor batch --format parquet`,
//! `rhetor score --format parquet --out FILE`) and input (`rhetor compare`,
//! `rhetor report`), driving the real binary on temporary folders and reading
//! the files back with the `parquet` crate's Arrow reader.
#![cfg(feature = "parquet")]

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use common::{ok, read_csv, rhetor, stderr, succeed};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};

const FAST: [&str; 4] = ["--bootstrap", "300", "--permutations", "999"];

/// A small corpus: varied framing, a carried `section` column, some empty
/// outlets (null in Parquet) and one record without text (an error row).
fn write_corpus(dir: &Path, n: usize) -> PathBuf {
    common::batch::write_corpus(dir, "id,outlet,date,title,section,text", 1..=n, |i| {
        let outlet = if i % 5 == 0 {
            String::new()
        } else {
            format!("Outlet {}", i % 3)
        };
        let text = if i == 7 {
            String::new()
        } else {
            article_text(i)
        };
        format!(
            "d{i},{outlet},2024-0{}-{:02},\"Title, {i}\",sec{},\"{text}\"",
            1 + i % 3,
            1 + i % 28,
            i % 2,
        )
    })
}

fn article_text(i: usize) -> String {
    (0..(2 + i % 6))
        .map(|k| match (i + k) % 5 {
            0 => format!("The council approved budget item {i} on Monday."),
            1 => "By the way, nobody asked the residents.".to_string(),
            2 => "Critics say the so-called \"\"reform\"\" is a disaster.".to_string(),
            3 => format!("Officials said about {k} thousand people were affected."),
            _ => "Let's notice that the promised report never arrived.".to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `rhetor batch` with the cue model; exit 3 (an error row) is expected.
fn batch(input: &Path, out: &Path, format: &str) {
    let o = common::batch::run_batch(input, out, &["--threads", "2", "--format", format]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

/// Every record batch of a Parquet file.
fn parquet_batches(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// Checks that a typed cell holds the value of its CSV twin.
fn assert_cell(array: &dyn Array, row: usize, csv: &str, at: &str) {
    if array.is_null(row) {
        assert_eq!(csv, "", "{at}: null in Parquet, `{csv}` in CSV");
        return;
    }
    match array.data_type() {
        DataType::Utf8 => assert_eq!(array.as_string::<i32>().value(row), csv, "{at}"),
        DataType::Int64 => {
            let v = array.as_primitive::<Int64Type>().value(row);
            assert_eq!(v.to_string(), csv, "{at}");
        }
        DataType::Float32 => {
            let v = array.as_primitive::<Float32Type>().value(row);
            let want: f32 = csv.parse().unwrap_or_else(|_| panic!("{at}: `{csv}`"));
            assert!((v - want).abs() <= 1e-4, "{at}: {v} vs {csv}");
        }
        DataType::Boolean => {
            assert_eq!(array.as_boolean().value(row).to_string(), csv, "{at}")
        }
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            let items = items.as_string::<i32>();
            let joined: Vec<&str> = (0..items.len()).map(|i| items.value(i)).collect();
            assert_eq!(joined.join(";"), csv, "{at}");
        }
        other => panic!("{at}: unexpected type {other}"),
    }
}

/// Asserts that a Parquet table holds exactly the CSV table: same column
/// names in the same order, same number of rows, same values; returns the
/// Parquet columns' types by name.
fn assert_same_table(parquet: &Path, csv: &Path) -> Vec<(String, DataType, bool)> {
    let (header, rows) = read_csv(csv);
    let batches = parquet_batches(parquet);
    let schema = batches.first().expect("at least one batch").schema();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(
        names,
        header,
        "{}: column names and order",
        parquet.display()
    );
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(total, rows.len(), "{}: row count", parquet.display());
    let mut row_index = 0;
    for batch in &batches {
        for r in 0..batch.num_rows() {
            for (c, name) in header.iter().enumerate() {
                let at = format!("{} row {row_index} `{name}`", parquet.display());
                assert_cell(batch.column(c).as_ref(), r, &rows[row_index][c], &at);
            }
            row_index += 1;
        }
    }
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
        .collect()
}

fn type_of(types: &[(String, DataType, bool)], name: &str) -> (DataType, bool) {
    types
        .iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, t, nullable)| (t.clone(), *nullable))
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// Two batch runs of the same corpus, one per format.
struct Runs {
    _tmp: tempfile::TempDir,
    csv: PathBuf,
    parquet: PathBuf,
    root: PathBuf,
}

fn runs(n: usize) -> Runs {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let input = write_corpus(&root, n);
    let (csv, parquet) = (root.join("csv"), root.join("parquet"));
    batch(&input, &csv, "csv");
    batch(&input, &parquet, "parquet");
    Runs {
        _tmp: tmp,
        csv,
        parquet,
        root,
    }
}

#[test]
fn batch_parquet_holds_the_csv_tables_typed() {
    let r = runs(40);
    for stem in ["sentences", "articles", "errors"] {
        assert!(!r.parquet.join(format!("{stem}.csv")).exists());
        assert!(!r.parquet.join(format!("{stem}.parquet.partial")).exists());
    }
    let sentences = assert_same_table(
        &r.parquet.join("sentences.parquet"),
        &r.csv.join("sentences.csv"),
    );
    for (name, want) in [
        ("article_id", DataType::Utf8),
        ("section", DataType::Utf8),
        ("sentence_index", DataType::Int64),
        ("start", DataType::Int64),
        ("byte_end", DataType::Int64),
        ("attributed", DataType::Boolean),
        ("text", DataType::Utf8),
        ("framing", DataType::Float32),
        ("scare_quotes", DataType::Float32),
        ("cues", DataType::Utf8),
    ] {
        assert_eq!(type_of(&sentences, name).0, want, "sentences `{name}`");
    }
    assert!(
        matches!(type_of(&sentences, "flagged").0, DataType::List(f) if f.data_type() == &DataType::Utf8)
    );
    assert!(type_of(&sentences, "outlet").1 && !type_of(&sentences, "article_id").1);

    let articles = assert_same_table(
        &r.parquet.join("articles.parquet"),
        &r.csv.join("articles.csv"),
    );
    assert_eq!(type_of(&articles, "sentences").0, DataType::Int64);
    assert_eq!(type_of(&articles, "framing_rate").0, DataType::Float32);
    assert_eq!(type_of(&articles, "doubt_count").0, DataType::Int64);

    let errors = assert_same_table(&r.parquet.join("errors.parquet"), &r.csv.join("errors.csv"));
    assert_eq!(type_of(&errors, "record").0, DataType::Int64);

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.parquet.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["outputs"]["format"], "parquet");
    assert_eq!(summary["outputs"]["sentences"], "sentences.parquet");
    assert_eq!(summary["counts"]["errors"], 1);
    assert_eq!(summary["counts"]["articles_scored"], 39);
}

/// Runs `rhetor compare INPUT --by outlet` into `out` (small groups tested)
/// and returns its three files, without compare.md's line naming the input.
fn compare(input: &Path, out: &Path) -> Vec<String> {
    let mut cmd = rhetor();
    cmd.arg("compare")
        .arg(input)
        .args([
            "--by",
            "outlet",
            "--min-articles",
            "2",
            "--min-sentences",
            "5",
        ])
        .arg("--out")
        .arg(out)
        .args(FAST);
    succeed(&mut cmd);
    ["compare.csv", "pairs.csv", "compare.md"]
        .iter()
        .map(|f| std::fs::read_to_string(out.join(f)).expect("compare output"))
        .map(|t| {
            t.lines()
                .filter(|l| !l.starts_with("Input: `"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// Asserts two texts are equal, showing the first differing line only.
fn assert_same_text(a: &[String], b: &[String], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (i, (a, b)) in a.iter().zip(b).enumerate() {
        if a != b {
            let diff = a.lines().zip(b.lines()).position(|(x, y)| x != y);
            let line = |t: &str, n: Option<usize>| {
                n.and_then(|n| t.lines().nth(n)).unwrap_or("").to_string()
            };
            panic!(
                "{what}: output {i} differs at line {diff:?}:\n{}\n{}",
                line(a, diff),
                line(b, diff)
            );
        }
    }
}

#[test]
fn compare_and_report_give_the_same_results_from_either_format() {
    let r = runs(30);
    let from_csv = compare(&r.csv.join("articles.csv"), &r.root.join("c1"));
    assert!(
        from_csv[1].lines().count() > 1,
        "the fixture should give pairwise tests"
    );
    let from_parquet = compare(&r.parquet.join("articles.parquet"), &r.root.join("c2"));
    assert_same_text(&from_csv, &from_parquet, "articles");
    let from_sentences_csv = compare(&r.csv.join("sentences.csv"), &r.root.join("c3"));
    let from_sentences_parquet = compare(&r.parquet.join("sentences.parquet"), &r.root.join("c4"));
    assert_same_text(&from_sentences_csv, &from_sentences_parquet, "sentences");
    // A batch folder reads its articles table, whichever the format.
    let from_folder = compare(&r.parquet, &r.root.join("c5"));
    assert_same_text(&from_csv, &from_folder, "folder");

    let report = |dir: &Path, name: &str| {
        let html = r.root.join(name);
        let mut cmd = rhetor();
        cmd.arg("report")
            .arg("--batch")
            .arg(dir)
            .args(["--by", "outlet", "--max-articles", "4", "--out"])
            .arg(&html)
            .args(FAST);
        succeed(&mut cmd);
        // The page names its statistics file; that is the only allowed difference.
        let mut page = std::fs::read_to_string(html).expect("report");
        for table in ["articles.csv", "articles.parquet"] {
            page = page.replace(&dir.join(table).display().to_string(), "SOURCE");
        }
        page
    };
    let html_csv = report(&r.csv, "csv.html");
    let html_parquet = report(&r.parquet, "parquet.html");
    assert_eq!(html_csv.matches("<article class=\"doc\"").count(), 4);
    assert_same_text(&[html_csv], &[html_parquet], "report");
}

#[test]
fn score_parquet_writes_the_score_csv_columns_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let text = common::write(tmp.path(), "a.txt", article_text(3).as_bytes());
    let file = tmp.path().join("scores.parquet");
    let csv_out = ok(&[
        "score",
        "--model",
        "cues",
        "--format",
        "csv",
        text.to_str().unwrap(),
    ]);
    let csv_path = common::write(tmp.path(), "scores.csv", &csv_out.stdout);
    let o = ok(&[
        "score",
        "--model",
        "cues",
        "--format",
        "parquet",
        "--out",
        file.to_str().unwrap(),
        text.to_str().unwrap(),
    ]);
    assert!(o.stdout.is_empty());
    let types = assert_same_table(&file, &csv_path);
    assert_eq!(type_of(&types, "end").0, DataType::Int64);
    assert_eq!(type_of(&types, "framing").0, DataType::Float32);

    let missing_out = common::run(&["score", "--format", "parquet", text.to_str().unwrap()]);
    assert_eq!(missing_out.status.code(), Some(1));
    assert!(
        stderr(&missing_out).contains("needs --out"),
        "{}",
        stderr(&missing_out)
    );
}

#[test]
fn corrupt_parquet_is_a_clear_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = common::write(
        tmp.path(),
        "articles.parquet",
        b"PAR1 not really parquet PAR1",
    );
    let out = tmp.path().join("cmp");
    let o = common::run(&[
        "compare",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("articles.parquet") && err.contains("not a readable Parquet file"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // A truncated real file (as left by a killed run) is refused the same way.
    let r = runs(8);
    let good = std::fs::read(r.parquet.join("articles.parquet")).unwrap();
    let cut = common::write(tmp.path(), "cut.parquet", &good[..good.len() / 2]);
    let html = tmp.path().join("r.html");
    let o = common::run(&[
        "report",
        "--articles",
        cut.to_str().unwrap(),
        "--out",
        html.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cut.parquet"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn an_interrupted_parquet_run_is_refused_by_resume_and_restarted_by_force() {
    let tmp = tempfile::tempdir().unwrap();
    let input = write_corpus(tmp.path(), 8);
    let out = tmp.path().join("run");
    let mut child = common::batch::spawn_slow(&input, &out, "2000", &["--format", "parquet"]);
    let started = std::time::Instant::now();
    while !out.join("checkpoint.json").exists() {
        assert!(started.elapsed().as_secs() < 60, "no checkpoint");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(out.join("sentences.parquet.partial").exists());
    assert!(!out.join("summary.json").exists());

    let again = |extra: &[&str]| common::batch::run_batch(&input, &out, extra);
    let o = again(&["--format", "parquet", "--resume"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot be resumed"), "{}", stderr(&o));
    let o = again(&["--format", "csv", "--resume"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("output format (--format) was parquet, now csv"),
        "{}",
        stderr(&o)
    );
    let o = again(&["--format", "parquet", "--force"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let rows: usize = parquet_batches(&out.join("articles.parquet"))
        .iter()
        .map(RecordBatch::num_rows)
        .sum();
    assert_eq!(rows, 7);
    assert!(!out.join("checkpoint.json").exists());
}
