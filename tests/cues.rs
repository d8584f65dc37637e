//! Table tests of the cue model's patterns, driving the real binary
//! (`rhetor score --model cues --lines --format jsonl`): for every device,
//! positive examples (from docs/codebook.md) must be flagged for it and
//! negative examples must not. All sentences are made up for these tests.

mod common;

use common::{rhetor, succeed};
use std::collections::HashMap;

/// (device id, sentence, expected to be flagged for that device)
const CASES: &[(&str, &str, bool)] = &[
    // editorial_aside
    (
        "editorial_aside",
        "Let's notice that the ministry has not answered a single letter.",
        true,
    ),
    (
        "editorial_aside",
        "By the way, the same contractor built the collapsed bridge.",
        true,
    ),
    (
        "editorial_aside",
        "It is worth recalling that the plant was sold twice in a decade.",
        true,
    ),
    (
        "editorial_aside",
        "It should be noted that the mayor chairs the board that approved the deal.",
        true,
    ),
    (
        "editorial_aside",
        "Recall that the tariff was supposed to be temporary.",
        true,
    ),
    (
        "editorial_aside",
        "The ministry noted that exports rose in May.",
        false,
    ),
    (
        "editorial_aside",
        "The committee will take note of the findings next week.",
        false,
    ),
    (
        "editorial_aside",
        "He lost his way in the fog near the harbour.",
        false,
    ),
    // evaluative_editorializing
    (
        "evaluative_editorializing",
        "The timing of the announcement is curious.",
        true,
    ),
    (
        "evaluative_editorializing",
        "Tellingly, the report omits the figures for the northern districts.",
        true,
    ),
    (
        "evaluative_editorializing",
        "It is no secret that the governor wants a second term.",
        true,
    ),
    (
        "evaluative_editorializing",
        "Predictably, the company blamed the weather.",
        true,
    ),
    (
        "evaluative_editorializing",
        "The museum bought a curious collection of clocks.",
        false,
    ),
    (
        "evaluative_editorializing",
        "The governor signed the bill on Friday.",
        false,
    ),
    (
        "evaluative_editorializing",
        "\"The timing of all this is curious,\" the senator said.",
        false,
    ),
    // loaded_language
    (
        "loaded_language",
        "The regime unleashed a brutal crackdown on peaceful students.",
        true,
    ),
    (
        "loaded_language",
        "The senator's shameful betrayal stunned his own party.",
        true,
    ),
    (
        "loaded_language",
        "The committee published its annual report on Monday.",
        false,
    ),
    (
        "loaded_language",
        "Rainfall in April was close to the long-term average.",
        false,
    ),
    // name_calling
    (
        "name_calling",
        "The self-proclaimed reformer surrounded himself with cronies.",
        true,
    ),
    (
        "name_calling",
        "These globalist elites despise ordinary workers.",
        true,
    ),
    (
        "name_calling",
        "The prime minister met the president of the bank.",
        false,
    ),
    (
        "name_calling",
        "Farmers protested against the new water rules.",
        false,
    ),
    // scare_quotes
    (
        "scare_quotes",
        "The company prefers to call the layoffs a \"restructuring\".",
        true,
    ),
    (
        "scare_quotes",
        "Residents were moved to \"temporary\" shelters that have stood for six years.",
        true,
    ),
    (
        "scare_quotes",
        "The exercise \"Northern Shield\" began on Monday.",
        false,
    ),
    (
        "scare_quotes",
        "\"We will rebuild every house on this street,\" the mayor said.",
        false,
    ),
    (
        "scare_quotes",
        "He said the talks were \"going well\".",
        false,
    ),
    // doubt
    (
        "doubt",
        "The agency has yet to explain where the money went.",
        true,
    ),
    (
        "doubt",
        "There is no evidence that the vaccine caused the outbreak.",
        true,
    ),
    (
        "doubt",
        "The agency explained where the money went in a detailed report.",
        false,
    ),
    (
        "doubt",
        "The evidence was presented to the court on Thursday.",
        false,
    ),
    // appeal_to_fear
    (
        "appeal_to_fear",
        "If we do not close the border now, our cities will be overrun.",
        true,
    ),
    ("appeal_to_fear", "Act before it is too late.", true),
    (
        "appeal_to_fear",
        "The border crossing closes at midnight.",
        false,
    ),
    (
        "appeal_to_fear",
        "Officials expect traffic to ease by the weekend.",
        false,
    ),
    // exaggeration
    (
        "exaggeration",
        "This is the worst trade deal in history.",
        true,
    ),
    (
        "exaggeration",
        "The plan is an absolutely staggering waste of money.",
        true,
    ),
    ("exaggeration", "The trade deal was signed in 2019.", false),
    ("exaggeration", "The cost rose by two percent.", false),
    // flag_waving
    (
        "flag_waving",
        "We will defend our nation and our way of life.",
        true,
    ),
    (
        "flag_waving",
        "Every true patriot should stand up for national sovereignty.",
        true,
    ),
    (
        "flag_waving",
        "The nation's largest bank reported higher profits.",
        false,
    ),
    (
        "flag_waving",
        "Our reporter visited the factory on Tuesday.",
        false,
    ),
    // whataboutism
    (
        "whataboutism",
        "And what about the senator's own unpaid taxes?",
        true,
    ),
    (
        "whataboutism",
        "Where were the protesters when the other party raised fees?",
        true,
    ),
    (
        "whataboutism",
        "The senator paid his taxes in March.",
        false,
    ),
    (
        "whataboutism",
        "Protesters gathered outside the town hall.",
        false,
    ),
    // causal_oversimplification
    (
        "causal_oversimplification",
        "The only reason prices are rising is the new tax.",
        true,
    ),
    (
        "causal_oversimplification",
        "Crime went up solely because of the new judges.",
        true,
    ),
    (
        "causal_oversimplification",
        "Prices rose after a poor harvest and higher fuel costs.",
        false,
    ),
    (
        "causal_oversimplification",
        "The judges were appointed in June.",
        false,
    ),
    // appeal_to_authority
    (
        "appeal_to_authority",
        "Leading scientists agree that the policy is safe.",
        true,
    ),
    (
        "appeal_to_authority",
        "A renowned economist has called the plan the best option.",
        true,
    ),
    (
        "appeal_to_authority",
        "The economy grew by one percent in the third quarter.",
        false,
    ),
    (
        "appeal_to_authority",
        "Scientists from the university collected samples.",
        false,
    ),
    // black_and_white
    (
        "black_and_white",
        "You are either with us or against us.",
        true,
    ),
    (
        "black_and_white",
        "There are only two choices: surrender or fight.",
        true,
    ),
    (
        "black_and_white",
        "Voters can choose among five candidates.",
        false,
    ),
    (
        "black_and_white",
        "Either way, the vote is on Sunday.",
        false,
    ),
    // slogans
    ("slogans", "Make America Great Again!", true),
    ("slogans", "Take back control!", true),
    ("slogans", "The campaign printed new posters.", false),
    (
        "slogans",
        "The slogan was registered as a trademark.",
        false,
    ),
    // thought_terminating_cliche
    (
        "thought_terminating_cliche",
        "It is what it is, and nothing will change that.",
        true,
    ),
    (
        "thought_terminating_cliche",
        "The science is settled, end of story.",
        true,
    ),
    (
        "thought_terminating_cliche",
        "The study was published in March.",
        false,
    ),
    (
        "thought_terminating_cliche",
        "The hearing ended on Tuesday.",
        false,
    ),
    // repetition
    (
        "repetition",
        "Never, never, never will we accept this.",
        true,
    ),
    (
        "repetition",
        "Taxes here, taxes there, taxes everywhere.",
        true,
    ),
    (
        "repetition",
        "The plan promises new jobs in the north.",
        false,
    ),
    ("repetition", "The council met, and the mayor spoke.", false),
    // rhetorical_question
    ("rhetorical_question", "Who benefits from this war?", true),
    (
        "rhetorical_question",
        "Isn't it time the minister resigned?",
        true,
    ),
    (
        "rhetorical_question",
        "The minister resigned on Friday.",
        false,
    ),
    (
        "rhetorical_question",
        "\"Will the bridge open in May?\" a reporter asked.",
        false,
    ),
    // bandwagon
    (
        "bandwagon",
        "Everyone knows the vote was rigged, and millions of voters agree.",
        true,
    ),
    (
        "bandwagon",
        "His policies come straight out of the Nazi playbook.",
        true,
    ),
    ("bandwagon", "The election was held in November.", false),
    (
        "bandwagon",
        "Most of the ballots were counted by midnight.",
        false,
    ),
];

/// Scores every case as one line of a temporary file; returns the flagged
/// devices of each line, keyed by the line's text.
fn flagged_by_line(lines: &[&str]) -> HashMap<String, Vec<String>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cases.txt");
    std::fs::write(&path, lines.join("\n")).expect("write cases");
    let out = succeed(
        rhetor()
            .args(["score", "--model", "cues", "--lines", "--format", "jsonl"])
            .arg(&path),
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).expect("one JSON object per line");
            let text = row["text"].as_str().expect("text").to_string();
            let flagged = row["flagged"]
                .as_array()
                .expect("flagged")
                .iter()
                .map(|d| d.as_str().expect("device id").to_string())
                .collect();
            (text, flagged)
        })
        .collect()
}

#[test]
fn every_device_has_two_positive_and_two_negative_cases() {
    for device in rhetor::Device::ALL {
        let pos = CASES.iter().filter(|c| c.0 == device.id() && c.2).count();
        let neg = CASES.iter().filter(|c| c.0 == device.id() && !c.2).count();
        assert!(
            pos >= 2 && neg >= 2,
            "{device}: {pos} positive, {neg} negative cases"
        );
    }
}

#[test]
fn codebook_examples_are_flagged_and_counter_examples_are_not() {
    let lines: Vec<&str> = CASES.iter().map(|c| c.1).collect();
    let flagged = flagged_by_line(&lines);
    let mut failures = Vec::new();
    for (device, text, expected) in CASES {
        let got = flagged
            .get(*text)
            .unwrap_or_else(|| panic!("no output row for {text:?}"));
        if got.iter().any(|d| d == device) != *expected {
            failures.push(format!(
                "{device}: expected {} for {text:?}; flagged {got:?}",
                if *expected { "flagged" } else { "not flagged" }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Copies the shipped cue model into a temporary folder, with `edit` applied
/// to its pattern file.
fn model_copy(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cues");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(src.join("config.json"), dir.path().join("config.json")).expect("copy config");
    let patterns = std::fs::read_to_string(src.join("patterns.toml")).expect("read patterns");
    std::fs::write(dir.path().join("patterns.toml"), edit(&patterns)).expect("write patterns");
    dir
}

fn score_with_model(model: &std::path::Path, text: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("a.txt");
    std::fs::write(&input, text).expect("write input");
    rhetor()
        .args(["score", "--format", "jsonl", "--model"])
        .arg(model)
        .arg(&input)
        .output()
        .expect("run rhetor")
}

#[test]
fn an_edited_model_folder_changes_the_scores() {
    let text = "By the way, the bridge was sold twice.";
    let same = model_copy(|p| p.to_string());
    let out = score_with_model(same.path(), text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"flagged\":[\"editorial_aside\"]"));
    // Setting the weight of the `By the way` pattern to zero un-flags the sentence.
    let edited = model_copy(|p| {
        let at = p
            .find("name = \"aside.by_the_way\"")
            .expect("pattern present");
        let weight = at + p[at..].find("weight = ").expect("weight present");
        let end = weight + p[weight..].find('\n').expect("line end");
        format!("{}weight = 0.0{}", &p[..weight], &p[end..])
    });
    let out = score_with_model(edited.path(), text);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"flagged\":[]"), "{stdout}");
    assert!(
        stdout.contains("aside.by_the_way"),
        "the cue is still reported: {stdout}"
    );
}

#[test]
fn a_broken_pattern_file_is_a_clear_error() {
    let broken = model_copy(|p| p.replacen("regex = '''", "regex = '''(", 1));
    let out = score_with_model(broken.path(), "Some text.");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("patterns.toml"), "names the file: {stderr}");
    assert!(
        stderr.contains("aside.lets_notice"),
        "names the pattern: {stderr}"
    );
}
