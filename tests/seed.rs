//! The seed article (`../shared/seed/seed-article.txt`, outside the repository)
//! scored by the real binary with the cue model: the editorial asides and the
//! evaluative sentence are flagged with cues at the right ORIGINAL offsets, the
//! plain factual sentences are not flagged at all. Skips, with a message, when
//! the file is absent.

mod common;

use common::{rhetor, succeed};
use regex::Regex;
use serde_json::Value;
use std::path::PathBuf;

fn seed_path() -> Option<PathBuf> {
    common::shared_or_skip("a seed-article test", "seed/seed-article.txt")
}

/// The JSONL rows of `rhetor score --model cues --format jsonl` on the seed.
fn score_seed(path: &PathBuf) -> Vec<Value> {
    let out = succeed(
        rhetor()
            .args(["score", "--model", "cues", "--format", "jsonl"])
            .arg(path),
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// The row whose normalised text starts with `prefix`.
fn sentence<'a>(rows: &'a [Value], prefix: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["text"].as_str().is_some_and(|t| t.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no sentence starts with {prefix:?}"))
}

/// Straight quotes, as the normaliser writes them.
fn fold_quotes(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            other => other,
        })
        .collect()
}

/// The original text between two char offsets.
fn slice_chars(original: &str, start: usize, end: usize) -> String {
    original.chars().skip(start).take(end - start).collect()
}

/// Asserts the row is flagged for `device` and has a cue of that device whose
/// text matches `cue` and whose char offsets slice the original file to the
/// cue text (modulo quote normalisation).
fn assert_flagged_with_cue(row: &Value, original: &str, device: &str, cue: &str) {
    let text = row["text"].as_str().unwrap_or_default();
    let flagged: Vec<&str> = row["flagged"]
        .as_array()
        .expect("flagged")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        flagged.contains(&device),
        "{text:?} not flagged {device}: {flagged:?}"
    );
    let re = Regex::new(cue).expect("test regex");
    let found = row["cues"]
        .as_array()
        .expect("cues")
        .iter()
        .find(|c| c["device"] == device && re.is_match(c["text"].as_str().unwrap_or_default()))
        .unwrap_or_else(|| panic!("no {device} cue matching {cue:?} in {}", row["cues"]));
    let (start, end) = (
        found["start"].as_u64().expect("start") as usize,
        found["end"].as_u64().expect("end") as usize,
    );
    let in_original = slice_chars(original, start, end);
    // Modulo quote normalisation, and modulo the line-break hyphens that the
    // normaliser may join (`cu-rious` -> `curious`).
    let unhyphen = |s: &str| s.replace('-', "");
    assert_eq!(
        unhyphen(&fold_quotes(&in_original)),
        unhyphen(found["text"].as_str().expect("cue text")),
        "cue offsets {start}..{end} do not slice the original to the cue"
    );
    assert_eq!(
        found["attributed"], false,
        "author-voice cue marked attributed"
    );
}

#[test]
fn seed_asides_and_evaluations_are_flagged_at_the_right_offsets() {
    let Some(path) = seed_path() else { return };
    let original = std::fs::read_to_string(&path).expect("read seed");
    let rows = score_seed(&path);
    let lets_notice = sentence(&rows, "Let's notice that Russia");
    assert_flagged_with_cue(
        lets_notice,
        &original,
        "editorial_aside",
        r"(?i)^let's notice$",
    );
    // The slice of the original keeps the curly apostrophe.
    let start = lets_notice["cues"][0]["start"].as_u64().unwrap_or(0) as usize;
    assert_eq!(
        slice_chars(&original, start, start + 12),
        "Let\u{2019}s notice"
    );

    let curious = sentence(&rows, "The position of the command");
    assert_flagged_with_cue(
        curious,
        &original,
        "evaluative_editorializing",
        r"is cu-?rious$",
    );

    let by_the_way: Vec<&Value> = rows
        .iter()
        .filter(|r| {
            r["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("By the way,"))
        })
        .collect();
    assert_eq!(by_the_way.len(), 2, "two \"By the way\" sentences");
    for row in by_the_way {
        assert_flagged_with_cue(row, &original, "editorial_aside", r"(?i)^by the way$");
    }

    let note = sentence(&rows, "Note that the forces");
    assert_flagged_with_cue(note, &original, "editorial_aside", r"(?i)^note that$");

    let collateral = sentence(&rows, "It is slow in recognizing");
    assert_flagged_with_cue(
        collateral,
        &original,
        "scare_quotes",
        r#"^"collateral damage"$"#,
    );
}

#[test]
fn seed_factual_sentences_are_not_flagged() {
    let Some(path) = seed_path() else { return };
    let rows = score_seed(&path);
    for prefix in [
        "The international coalition against",
        "During this pe",
        "This figure could",
        "The Syrian government sent letters",
    ] {
        let row = sentence(&rows, prefix);
        let flagged = row["flagged"].as_array().expect("flagged");
        assert!(
            flagged.is_empty(),
            "{prefix:?} flagged {flagged:?}; scores {}",
            row["scores"]
        );
    }
}

#[test]
fn seed_ministry_quote_is_attributed_and_asides_are_not() {
    let Some(path) = seed_path() else { return };
    let rows = score_seed(&path);
    let quote = sentence(&rows, "\"The international coalition kills");
    assert_eq!(
        quote["attributed"], true,
        "the Foreign Ministry's statement is reported speech"
    );
    let aside = sentence(&rows, "Let's notice that Russia");
    assert_eq!(aside["attributed"], false);
}
