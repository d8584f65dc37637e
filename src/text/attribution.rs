//! Author's voice versus attributed speech: a quote from a ministry is
//! reported, not authored.
//!
//! The rules (see `docs/codebook.md`, section "Author's voice and attributed
//! speech"):
//!
//! - a quoted span of more than four words, or one that holds sentence
//!   punctuation (`"… blood,"`), is **speech** — someone else's words;
//! - a quoted span of one to four words is a **scare quote** when a naming verb
//!   or marker precedes it (`so-called`, `call … "…"`, `dubbed`, `what they
//!   call`), a **name or title** when every content word is capitalised
//!   (`"Inherent Resolve"`), **speech** (a partial quotation) when the sentence
//!   has a speech verb (`said`, `told`, `according to` …), and otherwise a
//!   scare quote;
//! - reported speech without quotes is attributed too: the clause after
//!   `X said (that)`, `X claimed that`, `X told reporters that`, `according to
//!   X,`, `X said:`; and the clause before a trailing `…, the ministry said in a
//!   statement.`
//!
//! [`attributed_ranges`] returns the byte ranges of the sentence that are
//! someone else's words; [`is_attributed`] says whether they cover most of the
//! sentence (at least half of its non-space bytes).

use regex::bytes::{Regex, RegexBuilder};
use std::ops::Range;
use std::sync::OnceLock;

/// What a quoted span is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteKind {
    /// Quoted speech: someone else's words.
    Speech,
    /// A short quoted term the author distances themself from.
    ScareQuote,
    /// A name or title in quotes (`"Inherent Resolve"`).
    Title,
}

/// A quoted span of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// Byte range including the quote marks.
    pub outer: Range<usize>,
    /// Byte range of the quoted text, without the marks.
    pub inner: Range<usize>,
    /// Number of whitespace-separated words inside.
    pub words: usize,
    /// What the quote is used for.
    pub kind: QuoteKind,
}

/// Verbs and phrases that report speech (past, present and base forms).
const SPEECH_VERBS: &str = "said|says|say|stated|states|told|tells|claimed|claims|added|adds|argued|argues|insisted|insists|warned|warns|alleged|alleges|announced|announces|declared|declares|explained|explains|wrote|writes|reported|reports|asserted|asserts|maintained|maintains|admitted|admits|acknowledged|acknowledges|stressed|stresses|emphasized|emphasised|emphasizes|emphasises|noted|notes|suggested|suggests|denied|denies|confirmed|confirms|tweeted|commented|replied|responded|testified|concluded|recalled|quoted|insisted|complained|boasted|vowed|promised|predicted|described|describes|describing|saying|quoted as saying";

/// Speech verbs that are not also common nouns (`reports`, `claims`, `notes`
/// are left out): `X said …` without `that` is attributed with these only.
const SUBJECT_VERBS: &str = "said|says|told|stated|claimed|added|argued|insisted|warned|alleged|announced|declared|explained|wrote|asserted|admitted|stressed|emphasized|emphasised|tweeted|vowed|predicted|complained|boasted|replied|responded|testified|concluded";

/// Words before a speech verb that make it a passive or an impersonal phrase
/// (`it should be noted that`), which is the author's voice.
const IMPERSONAL_BEFORE_VERB: &[&str] = &[
    "be", "been", "being", "is", "was", "are", "were", "the", "a", "an", "to", "it", "not", "never",
];

struct Rules {
    speech_verb: Regex,
    verb_that: Regex,
    subject_verb: Regex,
    verb_colon: Regex,
    according_to: Regex,
    trailing: Regex,
    naming_before: Regex,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        // Byte-wise, ASCII classes: fast, and every rule starts and ends on
        // ASCII, so match offsets are char boundaries.
        let re = |p: String| {
            RegexBuilder::new(&p)
                .unicode(false)
                .build()
                .expect("attribution rules are valid regexes")
        };
        Rules {
            speech_verb: re(format!(r"(?i)\b(?:{SPEECH_VERBS}|according to)\b")),
            verb_that: re(format!(
                r"(?i)\b(?:{SPEECH_VERBS})(?:\s+(?:reporters|journalists|lawmakers|the\s+press|the\s+media|him|her|them|us|me|[A-Z][\w.-]*))?(?:\s+(?:on|in|at|last|this)\s+\w+)?,?\s+that\b"
            )),
            subject_verb: re(format!(r"(?i)\b[\w.'-]+\s+(?:also\s+|later\s+|then\s+)?(?:{SUBJECT_VERBS})\b,?")),
            verb_colon: re(format!(r"(?i)\b(?:{SPEECH_VERBS})\b[^:\x22]{{0,40}}:\s*")),
            according_to: re(r"(?i)\baccording to\b".to_string()),
            trailing: re(format!(
                r"(?i),\s*(?:[\w'.-]+\s+){{0,7}}(?P<verb>{SUBJECT_VERBS})\b[^,;\x22]{{0,80}}$"
            )),
            naming_before: re(r"(?i)(?:\bso-called|\bself-(?:styled|proclaimed|declared|appointed)|\b(?:call|calls|called|calling|dub|dubs|dubbed|term|terms|termed|label|labels|labeled|labelled|brand|brands|branded|nicknamed|refer to|refers to|referred to)\b[^\x22]{0,40}?(?:\bas)?)\s*$"
                .to_string()),
        }
    })
}

/// Small words that may stay lowercase inside a title (`"Defenders of the Faith"`).
const TITLE_SMALL_WORDS: &[&str] = &[
    "a", "an", "the", "of", "and", "or", "for", "in", "on", "to", "at", "by", "de", "la", "al",
];

/// True when every content word of `inner` starts with a capital letter (a name or title).
fn is_title_case(inner: &str) -> bool {
    let mut any_capital = false;
    for word in inner.split_whitespace() {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        let Some(first) = word.chars().next() else {
            continue;
        };
        if first.is_uppercase() || first.is_numeric() {
            any_capital |= first.is_uppercase();
        } else if !TITLE_SMALL_WORDS.contains(&word.to_lowercase().as_str()) {
            return false;
        }
    }
    any_capital
}

/// True when the quoted text ends like a sentence or clause (`"…,"`, `"…."`).
fn has_speech_punctuation(inner: &str) -> bool {
    let trimmed = inner.trim_end();
    trimmed.ends_with([',', '.', '!', '?', ';', ':'])
        || trimmed.contains(". ")
        || trimmed.contains("? ")
        || trimmed.contains("! ")
}

/// Byte ranges of double-quoted spans (`"…"`; an unbalanced mark extends to
/// the start or the end of the sentence) and of single-quoted spans
/// (`'…'`, at most six words, where the opening mark starts a word and the
/// closing mark ends one) — apostrophes are not quotes.
fn quote_pairs(text: &str) -> Vec<(Range<usize>, bool)> {
    let mut pairs = Vec::new();
    let mut doubles: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
    if doubles.len() % 2 == 1 {
        // An unbalanced quote: the quotation began in an earlier sentence or
        // goes on in the next one. A mark at the very start opens a quotation
        // that runs to the end (any other marks are inside it); otherwise the
        // first mark closes a quotation that began before the sentence.
        let first = doubles.remove(0);
        if first == text.len() - text.trim_start().len() {
            pairs.push((first..text.len(), false));
            doubles.clear();
        } else {
            pairs.push((0..first + 1, false));
        }
    }
    for pair in doubles.chunks(2) {
        if let [open, close] = pair {
            pairs.push((*open..*close + 1, true));
        }
    }
    pairs.extend(single_quote_pairs(text).into_iter().map(|r| (r, true)));
    pairs.sort_by_key(|(r, _)| r.start);
    pairs
}

fn single_quote_pairs(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
    let mut pairs = Vec::new();
    let mut open: Option<usize> = None;
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'\'' {
            continue;
        }
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + 1).copied();
        let opens = before.is_none_or(|c| c == b' ' || c == b'(' || c == b'\n')
            && after.is_some_and(is_word);
        let closes = before
            .is_some_and(|c| is_word(c) || c == b'.' || c == b',' || c == b'!' || c == b'?')
            && after.is_none_or(|c| !is_word(c));
        match open {
            Some(start) if closes => {
                let words = text[start + 1..i].split_whitespace().count();
                if (1..=6).contains(&words) {
                    pairs.push(start..i + 1);
                }
                open = None;
            }
            None if opens => open = Some(i),
            _ => {}
        }
    }
    pairs
}

/// The quoted text of a quote range: without its marks, where it has them.
fn inner_range(text: &str, outer: &Range<usize>) -> Range<usize> {
    let bytes = text.as_bytes();
    let is_mark = |i: usize| matches!(bytes.get(i), Some(b'"') | Some(b'\''));
    let start = outer.start + usize::from(is_mark(outer.start));
    let end = outer.end - usize::from(outer.end > start && is_mark(outer.end - 1));
    start..end.max(start)
}

/// Finds and classifies the quoted spans of a sentence.
pub fn quotes(text: &str) -> Vec<Quote> {
    if !text.contains(['"', '\'']) {
        return Vec::new();
    }
    let rules = rules();
    let pairs = quote_pairs(text);
    let has_speech_verb = rules.speech_verb.find_iter(text.as_bytes()).any(|m| {
        !pairs
            .iter()
            .any(|(p, _)| p.start <= m.start() && m.end() <= p.end)
    });
    pairs
        .into_iter()
        .map(|(outer, balanced)| {
            let inner = inner_range(text, &outer);
            let inner_text = &text[inner.clone()];
            let words = inner_text.split_whitespace().count();
            let named = rules
                .naming_before
                .is_match(&text.as_bytes()[..outer.start]);
            let kind = if !balanced || words > 4 || has_speech_punctuation(inner_text) {
                QuoteKind::Speech
            } else if named {
                QuoteKind::ScareQuote
            } else if is_title_case(inner_text) {
                QuoteKind::Title
            } else if has_speech_verb {
                QuoteKind::Speech
            } else {
                QuoteKind::ScareQuote
            };
            Quote {
                outer,
                inner,
                words,
                kind,
            }
        })
        .collect()
}

/// True when the word before byte `at` makes a following speech verb impersonal
/// (`it should be noted that`).
fn impersonal_before(text: &str, at: usize) -> bool {
    let word = text[..at]
        .split_whitespace()
        .next_back()
        .unwrap_or("")
        .to_lowercase();
    IMPERSONAL_BEFORE_VERB.contains(&word.as_str())
}

/// Byte ranges of reported speech without quotes.
fn reported_speech_ranges(text: &str) -> Vec<Range<usize>> {
    let rules = rules();
    let end = text.trim_end().len();
    let mut ranges = Vec::new();
    let bytes = text.as_bytes();
    for m in rules.verb_that.find_iter(bytes) {
        if !impersonal_before(text, m.start()) {
            ranges.push(m.end()..end);
        }
    }
    for m in rules.subject_verb.find_iter(bytes) {
        let subject_end = text[m.range()]
            .find(char::is_whitespace)
            .map_or(m.end(), |i| m.start() + i);
        let subject = &text[m.start()..subject_end];
        if !IMPERSONAL_BEFORE_VERB.contains(&subject.to_lowercase().as_str()) && m.end() < end {
            ranges.push(m.end()..end);
        }
    }
    for m in rules.verb_colon.find_iter(bytes) {
        ranges.push(m.end()..end);
    }
    if let Some(m) = rules.according_to.find(bytes) {
        if m.start() <= 8 {
            let clause = text[m.end()..].find(',').map(|i| m.end() + i + 1);
            if let Some(start) = clause {
                ranges.push(start..end);
            }
        } else {
            ranges.push(0..m.start());
        }
    }
    if let Some(c) = rules.trailing.captures(bytes) {
        if let (Some(all), Some(verb)) = (c.get(0), c.name("verb")) {
            if !impersonal_before(text, verb.start()) {
                ranges.push(0..all.start());
            }
        }
    }
    ranges
}

/// Merges overlapping or touching ranges; the result is sorted.
fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.retain(|r| r.start < r.end);
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Byte ranges of the sentence that are someone else's words: quoted speech
/// (with its quote marks) and reported speech. Scare quotes and quoted titles
/// are not attributed. Sorted, non-overlapping.
pub fn attributed_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = quotes(text)
        .into_iter()
        .filter(|q| q.kind == QuoteKind::Speech)
        .map(|q| q.outer)
        .collect();
    if rules().speech_verb.is_match(text.as_bytes()) {
        let reported = reported_speech_ranges(text);
        // Scare quotes and titles inside reported speech stay what they are,
        // but the reported clause as a whole is attributed.
        ranges.extend(reported);
    }
    merge(ranges)
}

/// True when attributed speech covers at least half of the sentence's
/// non-space bytes: the sentence reports someone else's words rather than
/// speaking in the author's voice.
pub fn is_attributed(text: &str) -> bool {
    mostly_covered(text, &attributed_ranges(text))
}

/// [`is_attributed`] for a caller that already has the sentence's
/// [`attributed_ranges`]: true when they cover at least half of its non-space bytes.
pub fn mostly_covered(text: &str, ranges: &[Range<usize>]) -> bool {
    let total = non_space_bytes(text, 0..text.len());
    if total == 0 {
        return false;
    }
    let covered: usize = ranges
        .iter()
        .map(|r| non_space_bytes(text, r.clone()))
        .sum();
    covered * 2 >= total
}

fn non_space_bytes(text: &str, range: Range<usize>) -> usize {
    text.as_bytes()
        .get(range)
        .map_or(0, |b| b.iter().filter(|c| !c.is_ascii_whitespace()).count())
}

/// True when byte range `inner` lies inside one of `ranges`.
pub fn within(ranges: &[Range<usize>], inner: &Range<usize>) -> bool {
    ranges
        .iter()
        .any(|r| r.start <= inner.start && inner.end <= r.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slices<'a>(text: &'a str, ranges: &[Range<usize>]) -> Vec<&'a str> {
        ranges.iter().map(|r| &text[r.clone()]).collect()
    }

    #[test]
    fn attribution_table() {
        // (sentence, attributed?, a substring that must be inside an attributed range or "")
        let cases: &[(&str, bool, &str)] = &[
            ("\"The bridge will reopen in May, and not a day later,\" the mayor said.", true, "not a day later"),
            ("The mayor said the bridge would reopen in May.", true, "the bridge would reopen"),
            ("The mayor told reporters that the bridge would reopen in May.", true, "would reopen"),
            ("According to the agency, prices rose by four percent in March.", true, "prices rose"),
            ("Prices rose by four percent in March, according to the agency.", true, "Prices rose"),
            ("Prices rose by four percent in March, the agency said in a statement.", true, "Prices rose"),
            ("The union claimed that the vote had been rigged from the start.", true, "rigged"),
            ("The minister said: the plan is dead and buried.", true, "dead and buried"),
            ("The council approved the budget on Tuesday.", false, ""),
            ("The company prefers to call the layoffs a \"restructuring\".", false, ""),
            ("The so-called \"reform\" raised fees for everyone.", false, ""),
            ("The exercise \"Northern Shield\" began on Monday.", false, ""),
            ("It should be noted that the plant was closed for a week.", false, ""),
            ("Note that the figures were revised twice.", false, ""),
            ("Officials have not said how long the road will stay closed.", false, ""),
            ("In May, 90 claims were filed, of which 12 were officially confirmed.", false, ""),
            ("Critics called the plan \"reckless\", and the opposition said it would vote against it.", true, "would vote against"),
        ];
        for (text, attributed, inside) in cases {
            let ranges = attributed_ranges(text);
            assert_eq!(
                is_attributed(text),
                *attributed,
                "is_attributed({text:?}); ranges {:?}",
                slices(text, &ranges)
            );
            if !inside.is_empty() {
                let at = text.find(inside).expect("test substring present");
                let r = at..at + inside.len();
                assert!(
                    within(&ranges, &r),
                    "{inside:?} should be attributed in {text:?}; ranges {:?}",
                    slices(text, &ranges)
                );
            }
        }
    }

    #[test]
    fn quote_kinds_table() {
        let cases: &[(&str, QuoteKind)] = &[
            (
                "The company prefers to call the layoffs a \"restructuring\".",
                QuoteKind::ScareQuote,
            ),
            (
                "Officials praised the \"humane\" conditions of the camp.",
                QuoteKind::ScareQuote,
            ),
            (
                "The exercise \"Northern Shield\" began on Monday.",
                QuoteKind::Title,
            ),
            (
                "\"We will not leave,\" a resident told the paper.",
                QuoteKind::Speech,
            ),
            ("He said the talks were \"going well\".", QuoteKind::Speech),
            (
                "So-called \"Islamic State\" fighters left the town.",
                QuoteKind::ScareQuote,
            ),
            (
                "The 'moderate' rebels shelled the road again.",
                QuoteKind::ScareQuote,
            ),
        ];
        for (text, kind) in cases {
            let q = quotes(text);
            assert_eq!(q.len(), 1, "one quote in {text:?}: {q:?}");
            assert_eq!(q[0].kind, *kind, "{text:?}");
        }
    }

    #[test]
    fn unbalanced_quotes_are_speech_to_the_sentence_edge() {
        let opened = "\"We have waited long enough.";
        assert_eq!(attributed_ranges(opened), vec![0..opened.len()]);
        assert!(is_attributed(opened));
        let closed = "It is not our fault.\" Then the meeting ended.";
        let r = attributed_ranges(closed);
        assert_eq!(&closed[r[0].clone()], "It is not our fault.\"");
    }

    #[test]
    fn partial_quotes_after_describe_are_speech() {
        let t = "He described the strikes as \"a warning shot\" and left.";
        assert_eq!(quotes(t)[0].kind, QuoteKind::Speech);
    }

    #[test]
    fn apostrophes_are_not_quotes() {
        assert!(quotes("The workers' union didn't strike; it's Bob's call.").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn ranges_are_sorted_in_bounds_and_on_char_boundaries(text in "[a-zA-Z \"',.:;?!é’-]{0,80}") {
            let ranges = attributed_ranges(&text);
            for pair in ranges.windows(2) {
                proptest::prop_assert!(pair[0].end < pair[1].start);
            }
            for r in &ranges {
                proptest::prop_assert!(r.start < r.end && r.end <= text.len());
                proptest::prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            }
            for q in quotes(&text) {
                proptest::prop_assert!(text.is_char_boundary(q.inner.start) && text.is_char_boundary(q.inner.end));
            }
            let _ = is_attributed(&text);
        }
    }

    #[test]
    fn empty_and_plain_text_are_not_attributed() {
        assert!(!is_attributed(""));
        assert!(attributed_ranges("").is_empty());
        assert!(attributed_ranges("Snow fell overnight.").is_empty());
    }
}
