//! Integration tests of `rhetor batch`, driving the real binary on small
//! generated corpora in temporary folders.

mod common;

use common::batch::{self, csv_field, run_batch, spawn_slow, wait_for_checkpoint};
use common::{rhetor, stderr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// Asserts that two runs wrote the same three tables, byte for byte.
fn assert_same_tables(a: &Path, b: &Path, what: &str) {
    for f in ["sentences.csv", "articles.csv", "errors.csv"] {
        assert_eq!(read(a.join(f)), read(b.join(f)), "{what}: {f} differs");
    }
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses a CSV file into rows of fields (header first).
fn csv_rows(path: PathBuf) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|rec| rec.expect("valid csv").iter().map(str::to_string).collect())
        .collect()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&read(out.join("summary.json"))).expect("summary.json is JSON")
}

fn count(summary: &serde_json::Value, key: &str) -> u64 {
    summary["counts"][key].as_u64().unwrap_or(u64::MAX)
}

/// A news-like article whose length and framing vary with `i`.
fn article_text(i: usize) -> String {
    let mut s = Vec::new();
    for k in 0..(2 + i % 7) {
        s.push(match (i + k) % 4 {
            0 => format!("The council approved budget item {i} on Monday."),
            1 => "By the way, nobody asked the residents.".to_string(),
            2 => format!("Officials said about {k} thousand people were affected."),
            _ => "Let's notice that the promised report never arrived.".to_string(),
        });
    }
    s.join(" ")
}

/// A clean CSV corpus of `n` articles with a carried `section` column.
fn write_corpus(dir: &Path, n: usize) -> PathBuf {
    batch::write_corpus(
        dir,
        "Doc_ID,Headline,Media_Name,publish_date,section,Body",
        1..=n,
        |i| {
            format!(
                "d{i},Title {i},Outlet {},2024-01-{:02},sec{},{}",
                i % 3,
                1 + i % 28,
                i % 2,
                csv_field(&article_text(i))
            )
        },
    )
}

#[test]
fn writes_all_tables_with_detected_and_carried_columns() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 12);
    let out = tmp.path().join("run");
    let o = run_batch(&input, &out, &["--threads", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("read 12 records: 12 scored, 0 errors"),
        "{}",
        stderr(&o)
    );
    let articles = csv_rows(out.join("articles.csv"));
    assert_eq!(
        &articles[0][..10],
        [
            "article_id",
            "outlet",
            "date",
            "title",
            "section",
            "sentences",
            "framing_sentences",
            "framing_rate",
            "framing_mean",
            "framing_max"
        ]
    );
    assert!(articles[0].contains(&"editorial_aside_count".to_string()));
    assert_eq!(articles.len(), 13);
    assert_eq!(
        articles[1][..5],
        ["d1", "Outlet 1", "2024-01-02", "Title 1", "sec1"]
    );
    // The per-article sentence counts add up to the rows of sentences.csv.
    let sentences = csv_rows(out.join("sentences.csv"));
    let total: usize = column(&articles, "sentences")
        .iter()
        .map(|n| n.parse::<usize>().expect("count"))
        .sum();
    assert_eq!(sentences.len() - 1, total);
    // sentences.csv = keys, carried, then the `rhetor score` schema from sentence_index on.
    assert_eq!(
        sentences[0][..6],
        [
            "article_id",
            "outlet",
            "date",
            "title",
            "section",
            "sentence_index"
        ]
    );
    let n = sentences[0].len();
    assert_eq!(sentences[0][n - 2..], ["cues", "spans"]);
    // The cue model has no span head: every spans cell is an empty list,
    // and spans.csv holds only its header.
    assert!(column(&sentences, "spans").iter().all(|s| s == "[]"));
    assert_eq!(
        std::fs::read_to_string(out.join("spans.csv")).unwrap(),
        "article_id,sentence_index,technique,start,end,byte_start,byte_end,probability,text\n"
    );
    // The editorial aside in article 1 is flagged and counted.
    let flagged = column(&sentences, "flagged");
    assert!(flagged.iter().any(|f| f.contains("editorial_aside")));
    let s = summary(&out);
    assert_eq!(count(&s, "records_read"), 12);
    assert_eq!(count(&s, "sentences"), total as u64);
    assert_eq!(s["model"], "cues");
    assert_eq!(s["lossless"], true);
    assert_eq!(s["input"]["sha256"].as_str().map(str::len), Some(64));
    assert!(!out.join("checkpoint.json").exists());
    assert!(!out.join("sentences.csv.partial").exists());
}

#[test]
fn every_malformed_record_lands_in_errors_csv() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut bytes: Vec<u8> = b"id,title,text\n".to_vec();
    bytes.extend_from_slice(b"ok1,T,\"The council met. By the way, it rained.\"\n"); // record 1, line 2
    bytes.extend_from_slice(b"stray,T,The \"quoted\" word\n"); // 2: stray quote
    bytes.extend_from_slice(b"after,T,\"closed\"trailing\n"); // 3: text after closing quote
    bytes.extend_from_slice(b"fields,T,a,b\n"); // 4: wrong field count
    bytes.extend_from_slice(b"utf,T,\"bad \xff byte\"\n"); // 5: invalid UTF-8
    bytes.extend_from_slice(b"empty,T,\"   \"\n"); // 6: empty text
    bytes.extend_from_slice(format!("big,T,\"{}\"\n", "Word ".repeat(400)).as_bytes()); // 7: oversized
    bytes.extend_from_slice(b"ok2,T,\"Multi\nline text is fine.\"\n"); // 8: lines 9-10
    bytes.extend_from_slice(b"open,T,\"never closed\nok3,T,lost\n"); // 9: unterminated (runs to EOF)
    let input = tmp.path().join("bad.csv");
    std::fs::write(&input, &bytes).expect("write");
    let out = tmp.path().join("run");
    let o = run_batch(&input, &out, &["--max-article-bytes", "1000"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("read 9 records: 2 scored, 7 errors"),
        "{}",
        stderr(&o)
    );
    let errors = csv_rows(out.join("errors.csv"));
    assert_eq!(
        errors[0],
        ["record", "line", "article_id", "field", "reason"]
    );
    let by_record = |r: &str| -> Vec<String> {
        errors[1..]
            .iter()
            .find(|e| e[0] == r)
            .cloned()
            .unwrap_or_else(|| panic!("record {r} missing from {errors:?}"))
    };
    assert!(by_record("2")[4].contains("stray quote"));
    assert_eq!(by_record("2")[1], "3");
    assert!(by_record("3")[4].contains("after the closing quote"));
    assert!(by_record("4")[4].contains("wrong number of fields"));
    assert_eq!(by_record("5")[2..4], ["utf", "text"]);
    assert!(by_record("5")[4].contains("UTF-8"));
    assert_eq!(by_record("6")[3..], ["text", "empty text"]);
    assert!(by_record("7")[4].contains("--max-article-bytes"));
    assert_eq!(by_record("9")[1], "11");
    assert!(by_record("9")[4].contains("never closed"));
    let articles = csv_rows(out.join("articles.csv"));
    assert_eq!(column(&articles, "article_id"), ["ok1", "ok2"]);
    let s = summary(&out);
    assert_eq!(
        count(&s, "records_read"),
        count(&s, "articles_scored") + count(&s, "errors")
    );
}

#[test]
fn bad_jsonl_lines_are_errors_and_gzip_stdin_works() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let lines = [
        r#"{"id": "j1", "content": "The mayor spoke. By the way, it was late.", "outlet": "A", "lang": "en"}"#,
        r#"{"id": "j2", "content": "unterminated"#,
        "",
        r#"{"id": "j3", "content": 42}"#,
        r#"["not", "an", "object"]"#,
        r#"{"id": "j4", "content": "Officials met on Monday.", "lang": {"code": "en"}}"#,
    ];
    let text = lines.join("\n") + "\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, text.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let out = tmp.path().join("run");
    let mut child = rhetor()
        .args(["batch", "-", "--model", "cues", "--out"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &gz).expect("feed stdin");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let errors = csv_rows(out.join("errors.csv"));
    let summary_of = |r: &Vec<String>| (r[0].clone(), r[1].clone(), r[3].clone());
    let got: Vec<(String, String, String)> = errors[1..].iter().map(summary_of).collect();
    assert_eq!(
        got,
        [
            ("2".into(), "2".into(), String::new()),
            ("3".into(), "4".into(), "content".into()),
            ("4".into(), "5".into(), String::new())
        ]
    );
    assert!(errors[1][4].contains("not valid JSON"));
    let articles = csv_rows(out.join("articles.csv"));
    assert_eq!(column(&articles, "article_id"), ["j1", "j4"]);
    assert_eq!(column(&articles, "lang"), ["en", r#"{"code":"en"}"#]);
    let s = summary(&out);
    assert_eq!(s["input"]["gzip"], true);
    assert_eq!(s["input"]["format"], "jsonl");
}

#[test]
fn large_article_within_the_limit_is_scored() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let long = "The committee reviewed the annual report in detail. ".repeat(4000); // ~210 kB
    let input = tmp.path().join("long.csv");
    std::fs::write(&input, format!("id,text\nlong,{}\n", csv_field(&long))).expect("write");
    let out = tmp.path().join("run");
    let o = run_batch(&input, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let articles = csv_rows(out.join("articles.csv"));
    assert_eq!(column(&articles, "sentences"), ["4000"]);
}

#[test]
fn strict_stops_at_the_first_error_without_a_summary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("c.csv");
    std::fs::write(&input, "id,text\n1,Fine text.\n2,\n3,More text.\n").expect("write");
    let out = tmp.path().join("run");
    let o = run_batch(&input, &out, &["--strict"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("record 2 (line 3)"), "{}", stderr(&o));
    assert!(!out.join("summary.json").exists());
    assert!(!out.join("articles.csv").exists());
    // The unfinished run is neither overwritten nor taken for a finished one.
    let again = run_batch(&input, &out, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--resume"), "{}", stderr(&again));
    let resumed = run_batch(&input, &out, &["--resume"]);
    assert_eq!(resumed.status.code(), Some(3), "{}", stderr(&resumed));
    assert_eq!(count(&summary(&out), "articles_scored"), 2);
}

#[test]
fn finished_folder_is_not_overwritten_without_force() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 3);
    let out = tmp.path().join("run");
    assert_eq!(run_batch(&input, &out, &[]).status.code(), Some(0));
    let second = run_batch(&input, &out, &[]);
    assert_eq!(second.status.code(), Some(1));
    assert!(stderr(&second).contains("--force"), "{}", stderr(&second));
    let forced = run_batch(&input, &out, &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
}

#[test]
fn output_order_is_input_order_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 300);
    let one = tmp.path().join("one");
    let four = tmp.path().join("four");
    assert_eq!(
        run_batch(&input, &one, &["--threads", "1"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run_batch(&input, &four, &["--threads", "4"]).status.code(),
        Some(0)
    );
    let ids = column(&csv_rows(four.join("articles.csv")), "article_id");
    let expected: Vec<String> = (1..=300).map(|i| format!("d{i}")).collect();
    assert_eq!(ids, expected);
    assert_same_tables(&one, &four, "threads");
}

#[test]
fn shards_partition_the_input() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut s = std::fs::read_to_string(write_corpus(tmp.path(), 20)).expect("read");
    s.push_str("e21,T,O,2024-01-01,sec,\"\"\n"); // record 21: an error
    let input = tmp.path().join("corpus.csv");
    std::fs::write(&input, s).expect("write");
    let mut ids = Vec::new();
    let mut error_records = Vec::new();
    for i in 0..3 {
        let out = tmp.path().join(format!("shard{i}"));
        let o = run_batch(&input, &out, &["--shard", &format!("{i}/3")]);
        assert!(matches!(o.status.code(), Some(0 | 3)), "{}", stderr(&o));
        let sm = summary(&out);
        assert_eq!(count(&sm, "records_read"), 21);
        let mine = column(&csv_rows(out.join("articles.csv")), "article_id");
        for id in &mine {
            let n: u64 = id[1..].parse().expect("numeric id");
            assert_eq!((n - 1) % 3, i, "{id} in shard {i}");
        }
        ids.extend(mine);
        error_records.extend(column(&csv_rows(out.join("errors.csv")), "record"));
    }
    ids.sort_by_key(|id| id[1..].parse::<u32>().unwrap_or(0));
    let expected: Vec<String> = (1..=20).map(|i| format!("d{i}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(error_records, ["21"]);
}

/// Waits until the checkpoint of the run in `out` reports at least `records` done.
#[test]
fn killed_runs_resume_to_byte_identical_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut s = std::fs::read_to_string(write_corpus(tmp.path(), 60)).expect("read");
    s.push_str("bad,T,O,2024-01-01,sec,\"\"\n");
    for i in 62..=80 {
        s.push_str(&format!(
            "d{i},T,O,2024-01-01,sec,{}\n",
            csv_field(&article_text(i))
        ));
    }
    let input = tmp.path().join("corpus.csv");
    std::fs::write(&input, s).expect("write");
    let reference = tmp.path().join("reference");
    assert_eq!(run_batch(&input, &reference, &[]).status.code(), Some(3));

    for (k, kill_after) in [(0, 0u64), (1, 5), (2, 33), (3, 64)] {
        let out = tmp.path().join(format!("killed{k}"));
        let mut child = spawn_slow(
            &input,
            &out,
            "15",
            &["--threads", "2", "--checkpoint-every", "2"],
        );
        assert!(
            wait_for_checkpoint(&out, kill_after, &mut child),
            "the run ended before {kill_after} records were checkpointed"
        );
        // Let the writer run past the checkpoint so the partial files hold unconfirmed rows.
        std::thread::sleep(Duration::from_millis(25));
        child.kill().expect("kill -9");
        let _ = child.wait();
        assert!(
            !out.join("summary.json").exists(),
            "kill {k}: unfinished run looks finished"
        );
        assert!(!out.join("articles.csv").exists());
        let resumed = run_batch(&input, &out, &["--resume", "--threads", "3"]);
        assert_eq!(
            resumed.status.code(),
            Some(3),
            "kill {k}: {}",
            stderr(&resumed)
        );
        assert_same_tables(&reference, &out, &format!("kill {k}"));
        let (a, b) = (summary(&reference), summary(&out));
        assert_eq!(a["counts"], b["counts"], "kill {k}");
        assert_eq!(a["input"]["sha256"], b["input"]["sha256"], "kill {k}");
    }
}

#[test]
fn partials_without_checkpoint_restart_and_changed_settings_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = write_corpus(tmp.path(), 40);
    let reference = tmp.path().join("reference");
    assert_eq!(run_batch(&input, &reference, &[]).status.code(), Some(0));
    let out = tmp.path().join("run");
    let mut child = spawn_slow(&input, &out, "20", &["--checkpoint-every", "1"]);
    assert!(
        wait_for_checkpoint(&out, 3, &mut child),
        "the run ended before 3 records were checkpointed"
    );
    child.kill().expect("kill");
    let _ = child.wait();
    let changed = run_batch(&input, &out, &["--resume", "--threshold", "0.3"]);
    assert_eq!(changed.status.code(), Some(1));
    assert!(
        stderr(&changed).contains("threshold"),
        "{}",
        stderr(&changed)
    );
    std::fs::remove_file(out.join("checkpoint.json")).expect("remove checkpoint");
    let restarted = run_batch(&input, &out, &["--resume"]);
    assert_eq!(restarted.status.code(), Some(0), "{}", stderr(&restarted));
    assert_same_tables(&reference, &out, "restarted");
}

#[test]
fn unreadable_input_stops_the_run_without_presenting_it_as_complete() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut csv = String::from("id,text\n");
    for i in 0..400 {
        csv.push_str(&format!("{i},{}\n", csv_field(&article_text(i))));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, csv.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let input = tmp.path().join("truncated.csv.gz");
    std::fs::write(&input, &gz[..gz.len() / 2]).expect("write");
    let out = tmp.path().join("run");
    let o = run_batch(&input, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot read further"), "{}", stderr(&o));
    assert!(!out.join("summary.json").exists());
    assert!(!out.join("articles.csv").exists());
    assert!(out.join("articles.csv.partial").exists());
}
