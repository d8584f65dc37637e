//! Integration tests of `rhetor score`, driving the real binary on temp dirs.

mod common;

use common::{offline as rhetor, stderr, write};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Output, Stdio};

fn run(args: &[&str]) -> Output {
    rhetor().args(args).output().expect("rhetor runs")
}

const ARTICLE: &str = "Officials met on Monday.\n\nLet\u{2019}s notice that the \u{201c}experts\u{201d} were absent. By the way, nobody asked them.\n";

#[test]
fn scores_a_file_as_csv_with_offsets_into_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let o = run(&[
        "score",
        "--model",
        "cues",
        "--format",
        "csv",
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_reader(&o.stdout[..]);
    let headers = r.headers().unwrap().clone();
    for col in [
        "article_id",
        "sentence_index",
        "start",
        "end",
        "text",
        "framing",
        "editorial_aside",
        "cues",
    ] {
        assert!(headers.iter().any(|h| h == col), "missing column {col}");
    }
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    let chars: Vec<char> = ARTICLE.chars().collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    for row in &rows {
        assert_eq!(&row[col("article_id")], "a");
        let start: usize = row[col("start")].parse().unwrap();
        let end: usize = row[col("end")].parse().unwrap();
        let original: String = chars[start..end].iter().collect();
        let normalised = original
            .replace(['\u{2019}'], "'")
            .replace(['\u{201c}', '\u{201d}'], "\"");
        assert_eq!(normalised, row[col("text")]);
    }
}

#[test]
fn jsonl_rows_carry_scores_and_cues() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let o = run(&[
        "score",
        "--model",
        "cues",
        "--format",
        "jsonl",
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for v in &lines {
        assert!(v["framing"].as_f64().unwrap() >= 0.0);
        assert_eq!(
            v["scores"].as_object().unwrap().len(),
            rhetor::Device::ALL.len()
        );
    }
    let aside = &lines[2];
    let cue = &aside["cues"][0];
    assert_eq!(cue["device"], "editorial_aside");
    let chars: Vec<char> = ARTICLE.chars().collect();
    let text: String = chars
        [cue["start"].as_u64().unwrap() as usize..cue["end"].as_u64().unwrap() as usize]
        .iter()
        .collect();
    assert_eq!(text, cue["text"].as_str().unwrap());
}

#[test]
fn reads_standard_input() {
    let mut child = rhetor()
        .args(["score", "--model", "cues", "--format", "csv", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ARTICLE.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("stdin,0,"));
}

#[test]
fn device_subset_limits_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.txt", ARTICLE.as_bytes());
    let o = run(&[
        "score",
        "--model",
        "cues",
        "-f",
        "csv",
        "--devices",
        "scare_quotes,doubt",
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let header = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        header.ends_with("flagged,scare_quotes,doubt,cues,spans"),
        "{header}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let o = run(&["score", "--devices", "Not-A-Name", "x.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`Not-A-Name` is not a label name"));
    // A well-formed name the model does not have: named, with the model's labels.
    let o = run(&["score", "--model", "cues", "--labels", "nonsense", "x.txt"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("no label `nonsense`; its labels are: editorial_aside,"),
        "{e}"
    );
    let o = run(&["score", "--threshold", "1.5", "x.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a probability"));
}

/// Each bad input gives exit 1 and a message naming the file and the problem.
#[test]
fn bad_inputs_give_clear_errors_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(PathBuf, &str)> = vec![
        (d.join("missing.txt"), "No such file"),
        (d.to_path_buf(), "is a directory"),
        (
            write(d, "bin.dat", b"\x7fELF\x02\x01\x01\x00\x00\x00"),
            "binary",
        ),
        (write(d, "empty.txt", b""), "empty"),
        (write(d, "blank.txt", b"  \n\n \t\n"), "empty"),
        (
            write(d, "latin1.txt", b"Caf\xe9 society met.\n"),
            "not valid UTF-8",
        ),
    ];
    for (path, expected) in cases {
        let o = run(&["score", "--model", "cues", path.to_str().unwrap()]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{}: {err}", path.display());
        assert!(err.contains(expected), "{}: {err}", path.display());
        assert!(
            err.contains(path.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn lossy_accepts_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "latin1.txt",
        b"Caf\xe9 society met on Monday.\n",
    );
    let o = run(&[
        "score",
        "--model",
        "cues",
        "--lossy",
        "-f",
        "csv",
        f.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .contains("Caf\u{fffd} society"));
}

#[test]
fn a_50_mb_single_line_is_rejected_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "oneline.txt", &vec![b'a'; 50 * 1024 * 1024]);
    let o = run(&["score", "--model", "cues", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("oneline.txt:1") && err.contains("--max-line-bytes"),
        "{err}"
    );
}

#[test]
fn one_bad_file_among_good_ones_exits_3_and_keeps_the_good_output() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.txt", ARTICLE.as_bytes());
    let bad = write(dir.path(), "empty.txt", b"");
    let o = run(&[
        "score",
        "--model",
        "cues",
        "-f",
        "csv",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("empty.txt"));
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 4);
}

#[test]
fn a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "long.txt", ARTICLE.repeat(3000).as_bytes());
    let mut child = rhetor()
        .args([
            "score",
            "--model",
            "cues",
            "-f",
            "jsonl",
            f.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

#[test]
fn help_explains_the_command() {
    let o = run(&["score", "--help"]);
    assert!(o.status.success());
    let help = String::from_utf8(o.stdout).unwrap();
    for word in [
        "--format",
        "--threshold",
        "--devices",
        "--model",
        "--lossy",
        "Output schema",
    ] {
        assert!(help.contains(word), "help lacks {word}");
    }
}
