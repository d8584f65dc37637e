//! Sentence splitter and normaliser: a table of hard cases, offset properties
//! (proptest, bounded), and one end-to-end check through the `rhetor` binary.

mod common;

use common::offsets::{check_coverage, check_offsets, check_renormalise};
use common::{rhetor, succeed};
use proptest::prelude::*;
use rhetor::text::{normalize, segment, segment_lines, Sentence};

/// (input, expected sentence texts)
const CASES: &[(&str, &[&str])] = &[
    // plain boundaries
    ("One. Two. Three.", &["One.", "Two.", "Three."]),
    ("Is it? Yes! Fine.", &["Is it?", "Yes!", "Fine."]),
    ("Really?! Yes.", &["Really?!", "Yes."]),
    ("No end here", &["No end here"]),
    ("  Padded.   Spaces.  ", &["Padded.", "Spaces."]),
    // paragraphs and headlines
    ("Para one.\n\nPara two.", &["Para one.", "Para two."]),
    (
        "Syria war toll rises\nThe coalition admitted deaths.",
        &["Syria war toll rises", "The coalition admitted deaths."],
    ),
    (
        "BREAKING NEWS\n\nTroops move in.",
        &["BREAKING NEWS", "Troops move in."],
    ),
    (
        "A line wrapped\nin the middle ends here.",
        &["A line wrapped in the middle ends here."],
    ),
    (
        "Title: Subtitle\nBody text.",
        &["Title: Subtitle", "Body text."],
    ),
    // abbreviations
    (
        "The U.S. Army left. Then it rained.",
        &["The U.S. Army left.", "Then it rained."],
    ),
    (
        "He lives in the U.S. The rest live abroad.",
        &["He lives in the U.S.", "The rest live abroad."],
    ),
    (
        "The U.N. Security Council met.",
        &["The U.N. Security Council met."],
    ),
    ("Mr. Smith met Mrs. Jones.", &["Mr. Smith met Mrs. Jones."]),
    (
        "Dr. Watson arrived. He sat.",
        &["Dr. Watson arrived.", "He sat."],
    ),
    (
        "Gen. Mattis spoke to Sen. Graham.",
        &["Gen. Mattis spoke to Sen. Graham."],
    ),
    ("Gov. Newsom vetoed it.", &["Gov. Newsom vetoed it."]),
    (
        "Use tools, e.g. hammers, here.",
        &["Use tools, e.g. hammers, here."],
    ),
    (
        "Fruit, i.e. apples, sold out.",
        &["Fruit, i.e. apples, sold out."],
    ),
    (
        "Apples, pears, etc. are sold here.",
        &["Apples, pears, etc. are sold here."],
    ),
    (
        "Apples, pears, etc. The rest rotted.",
        &["Apples, pears, etc.", "The rest rotted."],
    ),
    ("See No. 5 on the list.", &["See No. 5 on the list."]),
    (
        "It began on Jan. 5 in Kyiv.",
        &["It began on Jan. 5 in Kyiv."],
    ),
    (
        "Apple Inc. said profits rose.",
        &["Apple Inc. said profits rose."],
    ),
    (
        "He works for Apple Inc. The firm grew.",
        &["He works for Apple Inc.", "The firm grew."],
    ),
    ("It was Ali vs. Frazier.", &["It was Ali vs. Frazier."]),
    ("At 9 a.m. he left.", &["At 9 a.m. he left."]),
    (
        "He left at 9 p.m. The others stayed.",
        &["He left at 9 p.m.", "The others stayed."],
    ),
    (
        "She has a Ph.D. in physics.",
        &["She has a Ph.D. in physics."],
    ),
    (
        "Smith et al. found this. They agreed.",
        &["Smith et al. found this.", "They agreed."],
    ),
    (
        "Prof. Lee and Capt. Kirk met Lt. Uhura.",
        &["Prof. Lee and Capt. Kirk met Lt. Uhura."],
    ),
    ("Washington, D.C. is hot.", &["Washington, D.C. is hot."]),
    // numbers
    (
        "It cost 1.5 million dollars.",
        &["It cost 1.5 million dollars."],
    ),
    ("Prices rose 3.2% in May.", &["Prices rose 3.2% in May."]),
    (
        "A coffee is $4.50. Tea is less.",
        &["A coffee is $4.50.", "Tea is less."],
    ),
    (
        "It ended in 2017. Then peace came.",
        &["It ended in 2017.", "Then peace came."],
    ),
    ("Version 2.0.1 shipped.", &["Version 2.0.1 shipped."]),
    ("Turnout was 67.3 percent.", &["Turnout was 67.3 percent."]),
    // initials
    (
        "J. R. R. Tolkien wrote it.",
        &["J. R. R. Tolkien wrote it."],
    ),
    ("George W. Bush spoke.", &["George W. Bush spoke."]),
    (
        "The author J.K. Rowling spoke.",
        &["The author J.K. Rowling spoke."],
    ),
    // quotations
    (
        "\"We will win.\" The crowd cheered.",
        &["\"We will win.\"", "The crowd cheered."],
    ),
    (
        "\"Why?\" he asked. Nobody knew.",
        &["\"Why?\" he asked.", "Nobody knew."],
    ),
    (
        "\"Stop!\" shouted the guard. We stopped.",
        &["\"Stop!\" shouted the guard.", "We stopped."],
    ),
    (
        "He said \"enough.\" Then he left.",
        &["He said \"enough.\"", "Then he left."],
    ),
    (
        "She called it \u{201c}a disaster.\u{201d} Others disagreed.",
        &["She called it \"a disaster.\"", "Others disagreed."],
    ),
    (
        "\"Is it over?\" She nodded.",
        &["\"Is it over?\"", "She nodded."],
    ),
    ("It's 'final.' Move on.", &["It's 'final.'", "Move on."]),
    (
        "He said: \"No.\" Then silence.",
        &["He said: \"No.\"", "Then silence."],
    ),
    // ellipses
    (
        "And then... nothing happened.",
        &["And then... nothing happened."],
    ),
    (
        "We waited... The bus never came.",
        &["We waited...", "The bus never came."],
    ),
    (
        "It trailed off\u{2026} and stopped.",
        &["It trailed off... and stopped."],
    ),
    ("The end...", &["The end..."]),
    // lists
    (
        "1. Open the box.\n2. Remove the lid.",
        &["1. Open the box.", "2. Remove the lid."],
    ),
    (
        "- first point\n- second point",
        &["- first point", "- second point"],
    ),
    (
        "a. One option\nb. Another",
        &["a. One option", "b. Another"],
    ),
    (
        "Steps: 1. Open it. 2. Close it.",
        &["Steps: 1.", "Open it.", "2. Close it."],
    ),
    ("Steps:\n* Mix\n* Bake", &["Steps:", "* Mix", "* Bake"]),
    // URLs and emails
    (
        "Visit www.example.com for more.",
        &["Visit www.example.com for more."],
    ),
    (
        "See https://example.org/a.b?x=1. Then leave.",
        &["See https://example.org/a.b?x=1.", "Then leave."],
    ),
    (
        "Mail john.doe@example.com today.",
        &["Mail john.doe@example.com today."],
    ),
    (
        "Go to example.com. It is free.",
        &["Go to example.com.", "It is free."],
    ),
    // parentheses
    (
        "He left (quietly). Then he ran.",
        &["He left (quietly).", "Then he ran."],
    ),
    (
        "(This is an aside.) The story goes on.",
        &["(This is an aside.)", "The story goes on."],
    ),
    (
        "The group (see Fig. 3) grew.",
        &["The group (see Fig. 3) grew."],
    ),
    (
        "Costs rose (approx. 5 percent) last year.",
        &["Costs rose (approx. 5 percent) last year."],
    ),
    // hyphenation and normalisation inside sentences
    (
        "This figure could in-crease. It is cu-\nrious.",
        &["This figure could increase.", "It is curious."],
    ),
    (
        "The build-up continued. So-called experts agreed.",
        &["The build-up continued.", "So-called experts agreed."],
    ),
    (
        "A 23-year-old was hurt.\r\nPolice came.",
        &["A 23-year-old was hurt.", "Police came."],
    ),
    ("Tab\there.\u{00a0}Next one.", &["Tab here.", "Next one."]),
    // lowercase continuation keeps the sentence
    (
        "It rose by 5 p.c. and fell.",
        &["It rose by 5 p.c. and fell."],
    ),
    ("They said no. but why", &["They said no. but why"]),
];

fn texts(s: &[Sentence]) -> Vec<&str> {
    s.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn splitter_table() {
    assert!(CASES.len() >= 60, "need at least 60 cases");
    let mut failures = Vec::new();
    for (input, expected) in CASES {
        let got = segment(input);
        if texts(&got) != *expected {
            failures.push(format!(
                "input {input:?}\n  expected {expected:?}\n  got      {:?}",
                texts(&got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

fn news_piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "The U.S. Army said",
        " \u{201c}we will win.\u{201d} ",
        "Mr. Smith",
        " left. ",
        "It cost $4.50 and 3.2% more",
        "... ",
        "!\n",
        "?\" he asked. ",
        "\n\n",
        "cu-\nrious ",
        "in-crease ",
        "build-up ",
        "J. R. R. Tolkien",
        " e.g. ",
        "\r\n",
        "\u{00a0}",
        "\u{feff}",
        "\u{200b}",
        "caf\u{e9} ",
        "e\u{301} ",
        "\u{1f600} ",
        "\u{5e9}\u{5dc}\u{5d5}\u{5dd}. ",
        "\u{0} ",
        "\r",
        "\t",
        "(see No. 5). ",
        "www.example.com. ",
        "- item\n",
        "\u{2014}",
        "\u{00ad}",
        "\u{fb01}ne ",
        "Headline\n",
        " a-\n\nb ",
        "self-\ndefense ",
    ])
}

fn news_text() -> impl Strategy<Value = String> {
    prop::collection::vec(news_piece(), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn offsets_hold_on_news_like_text(original in news_text()) {
        let sentences = segment(&original);
        check_offsets(&original, &sentences)?;
        check_coverage(&original, &sentences)?;
    }

    #[test]
    fn offsets_hold_on_arbitrary_unicode(original in "\\PC{0,200}|[\\s\\S]{0,200}") {
        let sentences = segment(&original);
        check_offsets(&original, &sentences)?;
        check_coverage(&original, &sentences)?;
        let lines = segment_lines(&original);
        check_offsets(&original, &lines)?;
    }

    #[test]
    fn normalisation_is_idempotent(original in news_text()) {
        let once = normalize(&original).text;
        prop_assert_eq!(normalize(&once).text, once);
    }

    #[test]
    fn normalisation_is_idempotent_around_hyphens(
        parts in prop::collection::vec(prop::sample::select(vec![
            "a", "cu", "rious", "in", "crease", "Re", "solve", "build", "up", "pre", "war", "self",
            "-", "\u{2010}", "\u{ad}", "\n", "\r", " ", "\u{200b}", "\u{fb01}", "\u{2029}",
            "\u{a0}", "1", "\u{2014}", "\u{0c}",
        ]), 0..16),
    ) {
        let original = parts.concat();
        let once = normalize(&original);
        prop_assert_eq!(once.map.orig_len(), original.len());
        prop_assert_eq!(once.map.norm_len(), once.text.len());
        prop_assert_eq!(normalize(&once.text).text, once.text.clone());
    }

    #[test]
    fn normalisation_is_idempotent_on_arbitrary_unicode(original in "[\\s\\S]{0,200}") {
        let once = normalize(&original).text;
        prop_assert_eq!(normalize(&once).text, once);
    }

    #[test]
    fn sentences_renormalise_to_their_text(
        parts in prop::collection::vec(prop::sample::select(vec![
            "The U.S. Army said \u{201c}we will win.\u{201d}",
            "Mr. Smith left.",
            "It is cu-\nrious.",
            "This could in-crease.",
            "A build-up\u{00a0}began.",
            "Why?",
            "Caf\u{e9} \u{1f600} ok!",
        ]), 0..20),
        seps in prop::collection::vec(prop::sample::select(vec![" ", "\n", "\n\n", "\r\n", "  "]), 20),
    ) {
        let mut original = String::new();
        for (p, s) in parts.iter().zip(&seps) {
            original.push_str(p);
            original.push_str(s);
        }
        let sentences = segment(&original);
        check_renormalise(&original, &sentences)?;
        prop_assert_eq!(sentences.len(), parts.len());
    }
}

#[test]
fn pathological_inputs_do_not_panic() {
    let long_line = "word".repeat(25_000) + "." + &"x ".repeat(50_000);
    let combining = "e\u{301}\u{302}\u{303}".repeat(1000);
    let cr_only = "one.\rtwo.\r\rthree".to_string();
    let nul = "a\0b.\0 C".to_string();
    let hyphens = "-".repeat(10_000) + &"a-".repeat(10_000);
    for input in [long_line, combining, cr_only, nul, hyphens] {
        let s = segment(&input);
        check_offsets(&input, &s).unwrap();
        check_coverage(&input, &s).unwrap();
        let l = segment_lines(&input);
        check_offsets(&input, &l).unwrap();
    }
}

#[test]
fn lines_mode_counts_non_empty_lines() {
    let original = "Title\n\n  \nFirst line. Still first.\ncu-\nrious\n";
    let s = segment_lines(original);
    assert_eq!(
        texts(&s),
        ["Title", "First line. Still first.", "cu-", "rious"]
    );
    assert_eq!(s.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
    check_offsets(original, &s).unwrap();
}

#[test]
fn binary_reports_original_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("article.txt");
    let original = "\u{feff}Caf\u{e9} news\r\nThe coalition\u{2019}s toll could in-crease. \u{201c}We regret it.\u{201d} Mr. Smith said.\r\n";
    std::fs::write(&path, original).unwrap();
    let out = succeed(
        rhetor()
            .args(["score", "--model", "cues", "--format", "jsonl"])
            .arg(&path),
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<&str> = rows.iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert_eq!(
        got,
        [
            "Caf\u{e9} news",
            "The coalition's toll could increase.",
            "\"We regret it.\"",
            "Mr. Smith said."
        ]
    );
    let chars: Vec<char> = original.chars().collect();
    for row in &rows {
        let (b0, b1) = (
            row["byte_start"].as_u64().unwrap() as usize,
            row["byte_end"].as_u64().unwrap() as usize,
        );
        let (c0, c1) = (
            row["start"].as_u64().unwrap() as usize,
            row["end"].as_u64().unwrap() as usize,
        );
        let by_chars: String = chars[c0..c1].iter().collect();
        assert_eq!(&original[b0..b1], by_chars);
        assert_eq!(
            normalize(&original[b0..b1]).text,
            row["text"].as_str().unwrap()
        );
    }
}
