//! Property tests (proptest, bounded case counts) of the promises rhetor makes
//! about data: offsets into the original, nothing dropped, idempotent
//! normalisation, no dehyphenation across paragraph breaks, and scoring that
//! does not depend on batch size, thread count or the run.
//!
//! The inputs are hostile on purpose: combining marks, emoji (with ZWJ and
//! variation selectors), RTL text and marks, NUL and other controls, lone CR,
//! BOM, zero-width characters, soft hyphens, hyphens before line breaks.
//! `docs/testing.md` lists what each test proves.

mod common;

use common::offsets::{check_coverage, check_offsets, check_renormalise};
use common::rhetor;
use proptest::prelude::*;
use rhetor::model;
use rhetor::score::{Article, Pipeline, PipelineOptions};
use rhetor::text::{normalize, segment, segment_lines, MAX_SENTENCE_BYTES};
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

/// The case count: `default`, or `RHETOR_PROPTEST_CASES` for a long run by
/// hand (see docs/testing.md).
fn cases(default: u32) -> u32 {
    std::env::var("RHETOR_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ------------------------------------------------------------- generators

/// Pieces of hostile text: words, punctuation and every class of character
/// the normaliser treats specially.
fn hostile_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z]{1,9}".prop_map(|s| s),
        2 => Just(" ".to_string()),
        1 => prop::sample::select(vec![
            ". ", "! ", "? ", "... ", ".\" ", "?' ", ", ", "; ", ": ", "Mr. ", "U.S. ", "e.g. ",
            "3.5 ", "\n", "\n\n", "\r", "\r\n", "\t", "\u{0}", "\u{7}", "\u{1b}",
            "\u{feff}", "\u{200b}", "\u{200d}", "\u{2060}", "\u{00ad}", "\u{00ad}\n",
            "-\n", "- \n", "-\r\n", "-\n\n", "-\u{2029}", "\u{2010}\n", "\u{2028}", "\u{2029}",
            "\u{85}", "\u{a0}", "\u{3000}", "\u{2014}", "\u{2013}", "\u{2026}", "\u{201c}",
            "\u{201d}", "\u{2018}", "\u{2019}", "\u{fb01}", "\u{fb03}",
            "e\u{301}", "a\u{308}\u{323}", "\u{301}", "n\u{303}\u{303}\u{303}",
            "\u{1f600}", "\u{1f469}\u{200d}\u{1f4bb}", "\u{2764}\u{fe0f}", "\u{1f1fa}\u{1f1f8}",
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd} ", "\u{627}\u{644}\u{633}\u{644}\u{627}\u{645}. ",
            "\u{200e}", "\u{200f}", "\u{202e}", "\u{4e2d}\u{6587}\u{3002}", "\u{d55c}\u{ad6d}\u{c5b4}",
        ])
        .prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_piece(), 0..80).prop_map(|v| v.concat())
}

// ------------------------------------------------------------- checks

fn alphabetic_words(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect()
}

// ------------------------------------------------------------- properties

/// The cue-model pipeline with `batch_size` (1, 3 or 64), loaded once.
fn pipeline(batch_size: usize) -> &'static Pipeline {
    static PIPELINES: OnceLock<Vec<(usize, Pipeline)>> = OnceLock::new();
    let all = PIPELINES.get_or_init(|| {
        [1, 3, 64]
            .into_iter()
            .map(|b| {
                let scorer = model::load(&model::ModelSpec::Cues, &Default::default())
                    .expect("cue model")
                    .scorer;
                let options = PipelineOptions {
                    batch_size: b,
                    ..PipelineOptions::default()
                };
                (b, Pipeline::new(scorer, options))
            })
            .collect()
    });
    &all.iter()
        .find(|(b, _)| *b == batch_size)
        .expect("known batch size")
        .1
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn sentence_offsets_slice_the_original_on_hostile_text(original in hostile_text()) {
        check_offsets(&original, &segment(&original))?;
        check_offsets(&original, &segment_lines(&original))?;
    }

    #[test]
    fn every_visible_character_is_in_a_sentence(original in hostile_text()) {
        check_coverage(&original, &segment(&original))?;
    }

    #[test]
    fn normalisation_is_idempotent_on_hostile_text(original in hostile_text()) {
        let once = normalize(&original).text;
        prop_assert_eq!(normalize(&once).text, once);
    }

    #[test]
    fn dehyphenation_never_joins_across_a_paragraph_break(
        words in prop::collection::vec("[a-z]{1,8}", 2..12),
        breaks in prop::collection::vec(prop::sample::select(vec![
            "-\n\n", "-\n \n", "- \n\n", "-\r\n\r\n", "-\r\r", "-\u{2029}", "\u{2010}\n\n",
            "\u{00ad}\n\n", "-\n\t\n",
        ]), 11),
    ) {
        let mut original = String::new();
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                original.push_str(breaks[i - 1]);
            }
            original.push_str(w);
        }
        let n = normalize(&original);
        prop_assert_eq!(alphabetic_words(&n.text), alphabetic_words(&original));
        let sentences = segment(&original);
        prop_assert_eq!(sentences.len(), words.len());
        for (s, w) in sentences.iter().zip(&words) {
            prop_assert!(s.text.starts_with(w.as_str()), "{:?} vs {}", s.text, w);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(96)))]

    #[test]
    fn sentences_renormalise_to_their_text(
        pieces in prop::collection::vec(prop::sample::select(vec![
            "The ", "council ", "said ", "\u{201c}nobody\u{201d} ", "cu-\nrious ", "in-\ncrease ",
            "e\u{301}te\u{301} ", "\u{1f600} ", "\u{5e9}\u{5dc}\u{5d5}\u{5dd} ", "\u{feff}",
            "\u{200b}", "\u{fb01}ne ", "\u{2014} ", "Mr. Smith ", "wrapped\nline ",
            "\u{0}", "\r", ". ", "! ", "? ", ".\n\n", "\u{2026} ", "\t",
        ]), 0..60),
    ) {
        let original = pieces.concat();
        check_renormalise(&original, &segment(&original))?;
    }

    #[test]
    fn scores_do_not_depend_on_batch_size(original in hostile_text()) {
        let article = Article { id: "a".into(), title: Some("T".into()), text: original };
        let score = |batch_size: usize| {
            pipeline(batch_size).score_article(&article).expect("scored")
        };
        let one = score(1);
        prop_assert_eq!(&one, &score(64));
        prop_assert_eq!(&one, &score(3));
        for s in &one.sentences {
            prop_assert!((0.0..=1.0).contains(&s.framing));
            for c in &s.cues {
                prop_assert_eq!(&article.text[c.span.bytes()].is_empty(), &false);
                prop_assert!(s.sentence.span.byte_start <= c.span.byte_start);
                prop_assert!(c.span.byte_end <= s.sentence.span.byte_end);
            }
        }
    }
}

#[test]
fn a_100k_char_line_keeps_every_guarantee() {
    let unit = "word\u{301} \u{1f600}\u{5e9} \u{0}x-\u{200b}y ";
    let mut original = String::new();
    while original.chars().count() < 100_000 {
        original.push_str(unit);
    }
    original.push('\r');
    original.push_str(&"b".repeat(5000));
    let sentences = segment(&original);
    check_offsets(&original, &sentences).expect("offsets");
    check_coverage(&original, &sentences).expect("coverage");
    // The length cap of `segment` cuts the long line into bounded sentences.
    assert!(sentences.len() > 20, "{} sentences", sentences.len());
    assert!(sentences.iter().all(|s| s.text.len() <= MAX_SENTENCE_BYTES));
    // `segment_lines` keeps each line whole (the PTC unit): two lines here.
    let lines = segment_lines(&original);
    check_offsets(&original, &lines).expect("offsets");
    check_coverage(&original, &lines).expect("coverage");
    assert_eq!(lines.len(), 2);
    let once = normalize(&original).text;
    assert_eq!(normalize(&once).text, once);
}

// ------------------------------------------------------------- through the binary

fn ok(o: Output) -> Output {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A small article mixing framing cues with hostile characters.
fn mixed_article(i: usize) -> String {
    let lines = [
        "By the way, nobody asked the residents \u{1f600}.",
        "The council approved item {i} on Monday\u{00ad}.",
        "Officials said \u{201c}this is a disaster\u{201d}, a so-called plan.",
        "Let's notice that the promised re-\nport never arrived \u{5e9}\u{5dc}\u{5d5}\u{5dd}.",
        "Cafe\u{301} owners were outraged\u{2014}utterly outraged!",
    ];
    (0..3 + i % 4)
        .map(|k| lines[(i + k) % lines.len()].replace("{i}", &i.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn scoring_the_same_file_twice_gives_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("a.txt");
    let text: String = (0..12).map(mixed_article).collect::<Vec<_>>().join("\n\n");
    std::fs::write(&file, text).expect("write");
    for format in ["csv", "jsonl"] {
        let run = || {
            ok(rhetor()
                .args(["score", "--all", "--model", "cues", "--format", format])
                .arg(&file)
                .output()
                .expect("run rhetor"))
            .stdout
        };
        let first = run();
        assert!(first.len() > 500, "{format}: output too small");
        assert_eq!(first, run(), "{format}: two runs differ");
    }
}

fn write_csv_corpus(path: &Path, n: usize) {
    let mut s = String::from("id,title,text\n");
    for i in 0..n {
        let body = mixed_article(i).replace('"', "\"\"");
        s.push_str(&format!("a{i},T{i},\"{body}\"\n"));
    }
    s.push_str("empty,T,\"\"\n");
    std::fs::write(path, s).expect("write corpus");
}

#[test]
fn batch_output_does_not_depend_on_thread_count() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("corpus.csv");
    write_csv_corpus(&input, 40);
    let run = |threads: &str| {
        let out = tmp.path().join(format!("t{threads}"));
        let o = rhetor()
            .arg("batch")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .args(["--model", "cues", "--threads", threads, "--quiet"])
            .output()
            .expect("run rhetor");
        // Exit 3 = finished with error records (the empty article).
        assert_eq!(
            o.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        out
    };
    let (one, four) = (run("1"), run("4"));
    for f in ["sentences.csv", "articles.csv", "errors.csv"] {
        let a = std::fs::read(one.join(f)).expect("read");
        let b = std::fs::read(four.join(f)).expect("read");
        assert!(!a.is_empty());
        assert_eq!(a, b, "{f} differs between --threads 1 and --threads 4");
    }
}

/// One physical CSV line of a given kind: `(bytes, is_valid)`.
fn csv_line(kind: u8, i: usize, text: &str) -> (Vec<u8>, bool) {
    let quoted = text.replace('"', "\"\"");
    match kind {
        0..=2 => (
            format!("r{i},\"{quoted}\"").into_bytes(),
            !text.trim().is_empty(),
        ),
        3 => (format!("r{i},").into_bytes(), false),
        4 => (format!("r{i},te\"xt").into_bytes(), false),
        5 => (format!("r{i},\"a\"b").into_bytes(), false),
        6 => (format!("r{i},x,y").into_bytes(), false),
        _ => {
            let mut b = format!("r{i},\"").into_bytes();
            b.extend_from_slice(&[0xff, 0xfe, b'x']);
            b.push(b'"');
            (b, false)
        }
    }
}

fn csv_column(rows: &[csv::StringRecord], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).expect("column");
    rows[1..].iter().map(|r| r[i].to_string()).collect()
}

fn read_rows(path: &Path) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .expect("output csv")
        .records()
        .map(|r| r.expect("valid output row"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(32)))]

    /// Every input record is in articles.csv or errors.csv, exactly once, in
    /// input order; errors name the record and line.
    #[test]
    fn every_record_is_in_articles_or_errors(
        lines in prop::collection::vec((0u8..8, "\\PC{0,40}"), 1..30),
        crlf in any::<bool>(),
    ) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let input = tmp.path().join("in.csv");
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut bytes = b"id,text".to_vec();
        let mut expected_ok = Vec::new();
        let mut expected_err = Vec::new();
        for (i, (kind, text)) in lines.iter().enumerate() {
            let (line, valid) = csv_line(*kind, i, text);
            bytes.extend_from_slice(eol);
            bytes.extend_from_slice(&line);
            if valid { expected_ok.push(format!("r{i}")) } else { expected_err.push((i + 1).to_string()) }
        }
        std::fs::write(&input, bytes).expect("write");
        let out = tmp.path().join("out");
        let o = rhetor()
            .arg("batch").arg(&input).arg("--out").arg(&out)
            .args(["--model", "cues", "--quiet", "--threads", "2"])
            .output().expect("run rhetor");
        let code = if expected_err.is_empty() { 0 } else { 3 };
        prop_assert_eq!(o.status.code(), Some(code), "{}", String::from_utf8_lossy(&o.stderr));
        let articles = read_rows(&out.join("articles.csv"));
        let errors = read_rows(&out.join("errors.csv"));
        prop_assert_eq!(csv_column(&articles, "article_id"), expected_ok);
        prop_assert_eq!(csv_column(&errors, "record"), expected_err);
        for reason in csv_column(&errors, "reason") {
            prop_assert!(!reason.is_empty());
        }
    }
}
