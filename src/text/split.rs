//! Sentence splitting over normalised text.
//!
//! Rules (see `docs/text.md`): a blank line ends a paragraph; a single line
//! break ends a sentence (headlines, list items) unless the next line starts
//! with a lowercase letter after a line without final punctuation (a wrapped
//! line); within a line, `.`, `!`, `?` (plus closing quotes and brackets)
//! followed by whitespace end a sentence unless an abbreviation, an initial, a
//! list marker, a lowercase continuation or a number after `No.` says
//! otherwise. Sentences longer than [`MAX_SENTENCE_BYTES`] are cut at a space.

use super::abbrev;
use super::normalize::{normalize, normalize_with, NormalizeOptions, Normalized};
use super::offsets::{CharCounter, OffsetMap, TextSpan};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Sentences longer than this many bytes (of normalised text) are cut at the
/// last space before the limit, so that pathological input (a 50 MB line
/// without punctuation) stays linear downstream.
pub const MAX_SENTENCE_BYTES: usize = 4096;

/// Bytes scanned back for the word before a period.
const MAX_TOKEN_BYTES: usize = 64;

/// One sentence of an article: its position, its normalised text, and where it
/// lies in the ORIGINAL text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentence {
    /// 0-based index of the sentence within its article.
    pub index: usize,
    /// 0-based index of the paragraph. With [`segment`]: blocks separated by a
    /// blank line or by a line break that ends a sentence; with
    /// [`segment_lines`]: the 0-based line number.
    pub paragraph: usize,
    /// The normalised sentence text (what models see). Line breaks inside a
    /// sentence (wrapped lines) appear as spaces.
    pub text: String,
    /// The sentence's span in the original text.
    pub span: TextSpan,
    /// Map from bytes of `text` to bytes of the original, relative to `span.byte_start`.
    #[serde(skip)]
    pub map: OffsetMap,
}

impl Sentence {
    /// Builds a sentence from a byte range of the normalised article text.
    pub fn from_normalized(
        normalized: &Normalized,
        chars: &mut CharCounter<'_>,
        norm: Range<usize>,
        index: usize,
        paragraph: usize,
    ) -> Sentence {
        let orig = normalized.original_range(norm.clone());
        let mut text = normalized.text[norm.clone()].to_string();
        if text.contains('\n') {
            // Same byte length, so `map` stays valid.
            text = text.replace('\n', " ");
        }
        Sentence {
            index,
            paragraph,
            text,
            span: chars.span(orig),
            map: normalized.map.slice(norm),
        }
    }

    /// The original span of a byte range of this sentence's normalised `text`.
    /// `original` is the full original article text.
    pub fn original_span(&self, original: &str, range: Range<usize>) -> TextSpan {
        let rel = self.map.to_original(range);
        let bytes = self.span.byte_start + rel.start..self.span.byte_start + rel.end;
        let char_start =
            self.span.char_start + original[self.span.byte_start..bytes.start].chars().count();
        let char_end = char_start + original[bytes.clone()].chars().count();
        TextSpan {
            byte_start: bytes.start,
            byte_end: bytes.end,
            char_start,
            char_end,
        }
    }
}

/// Normalises `original` and splits it into sentences.
pub fn segment(original: &str) -> Vec<Sentence> {
    let normalized = normalize(original);
    split_normalized(original, &normalized)
}

/// Treats every non-empty line as one sentence (the NLP4IF-2019 / PTC unit).
/// Sentence indices count non-empty lines; `paragraph` is the 0-based line
/// number; offsets still point into `original`. Hyphenation is undone within
/// lines only, so lines never merge.
pub fn segment_lines(original: &str) -> Vec<Sentence> {
    let normalized = normalize_with(original, NormalizeOptions::within_lines());
    let mut chars = CharCounter::new(original);
    let mut out = Vec::new();
    let mut start = 0;
    let text = &normalized.text;
    for (i, line) in text.split('\n').enumerate() {
        let range = trim_range(text, start..start + line.len());
        if !range.is_empty() {
            let index = out.len();
            out.push(Sentence::from_normalized(
                &normalized,
                &mut chars,
                range,
                index,
                i,
            ));
        }
        start += line.len() + 1;
    }
    out
}

/// Splits already-normalised text into sentences.
pub fn split_normalized(original: &str, normalized: &Normalized) -> Vec<Sentence> {
    let mut chars = CharCounter::new(original);
    sentence_ranges(&normalized.text)
        .into_iter()
        .enumerate()
        .map(|(index, (range, paragraph))| {
            Sentence::from_normalized(normalized, &mut chars, range, index, paragraph)
        })
        .collect()
}

/// Byte ranges of the sentences of normalised `text`, with paragraph numbers.
pub fn sentence_ranges(text: &str) -> Vec<(Range<usize>, usize)> {
    let mut out = Vec::new();
    let mut paragraph = 0;
    for block in blocks(text) {
        let before = out.len();
        for range in split_block(text, block) {
            for piece in cap_length(text, range) {
                out.push((piece, paragraph));
            }
        }
        if out.len() > before {
            paragraph += 1;
        }
    }
    out
}

/// Blocks of lines that a line break does not separate: a blank line or a
/// line break ends a block, except before a wrapped line (see
/// [`is_wrapped_line`]).
fn blocks(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut prev_line: &str = "";
    let mut start = 0;
    for line in text.split('\n') {
        let range = start..start + line.len();
        start += line.len() + 1;
        if line.trim().is_empty() {
            out.extend(current.take());
            prev_line = "";
            continue;
        }
        current = match current.take() {
            Some(block) if is_wrapped_line(prev_line, line) => Some(block.start..range.end),
            Some(block) => {
                out.push(block);
                Some(range)
            }
            None => Some(range),
        };
        prev_line = line;
    }
    out.extend(current);
    out
}

/// A line continues the previous one (hard-wrapped text) when it starts with
/// a lowercase letter and the previous line has no final punctuation.
fn is_wrapped_line(prev: &str, line: &str) -> bool {
    let starts_lower = line
        .trim_start()
        .chars()
        .next()
        .is_some_and(char::is_lowercase);
    let prev_open = prev
        .trim_end()
        .chars()
        .last()
        .is_some_and(|c| !matches!(c, '.' | '!' | '?' | ':' | ';'));
    starts_lower && prev_open && !starts_with_list_marker(line)
}

/// `a. `, `b) `, `iv. `: a line that starts a list item.
fn starts_with_list_marker(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    first
        .strip_suffix(['.', ')'])
        .is_some_and(abbrev::is_list_marker)
}

fn is_terminal(b: u8) -> bool {
    matches!(b, b'.' | b'!' | b'?')
}

fn is_closer(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b')' | b']')
}

fn is_opener(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'(' | b'[')
}

/// Sentence ranges of one block.
fn split_block(text: &str, block: Range<usize>) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = block.start;
    let mut i = block.start;
    while let Some(p) = bytes[i..block.end].iter().position(|&b| is_terminal(b)) {
        let punct_start = i + p;
        let mut punct_end = punct_start;
        while punct_end < block.end && is_terminal(bytes[punct_end]) {
            punct_end += 1;
        }
        let mut end = punct_end;
        while end < block.end && is_closer(bytes[end]) {
            end += 1;
        }
        i = end;
        if end >= block.end || !bytes[end].is_ascii_whitespace() {
            continue;
        }
        let site = Site {
            text,
            sentence_start: start,
            punct: punct_start..punct_end,
            closers: punct_end..end,
            block_end: block.end,
        };
        if site.ends_sentence() {
            push_trimmed(&mut out, text, start..end);
            start = end;
        }
    }
    push_trimmed(&mut out, text, start..block.end);
    out
}

/// A candidate sentence end: terminal punctuation followed by whitespace.
struct Site<'a> {
    text: &'a str,
    sentence_start: usize,
    punct: Range<usize>,
    closers: Range<usize>,
    block_end: usize,
}

impl Site<'_> {
    /// The word right before the punctuation (after whitespace or an opener).
    fn token(&self) -> (&str, usize) {
        let bytes = self.text.as_bytes();
        let floor = self
            .punct
            .start
            .saturating_sub(MAX_TOKEN_BYTES)
            .max(self.sentence_start);
        let mut s = self.punct.start;
        while s > floor && !bytes[s - 1].is_ascii_whitespace() {
            s -= 1;
        }
        while s < self.punct.start && is_opener(bytes[s]) {
            s += 1;
        }
        let mut e = self.punct.start;
        while e > s && is_closer(bytes[e - 1]) {
            e -= 1;
        }
        // `s` and `e` sit next to ASCII bytes (or the sentence start); `get`
        // guards the case where `floor` cut a character.
        (self.text.get(s..e).unwrap_or(""), s)
    }

    /// The next word after the whitespace (openers skipped), and whether an
    /// opener preceded it.
    fn next_word(&self) -> (&str, bool) {
        let bytes = self.text.as_bytes();
        let mut j = self.closers.end;
        while j < self.block_end && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        let mut opened = false;
        while j < self.block_end && is_opener(bytes[j]) {
            opened = true;
            j += 1;
        }
        let rest = &self.text[j..self.block_end];
        let len = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        (&rest[..len], opened)
    }

    fn ends_sentence(&self) -> bool {
        let (next, opened) = self.next_word();
        let Some(first) = next.chars().next() else {
            // Punctuation or a quote follows: an end unless we are mid-token.
            return opened || !self.token().0.is_empty();
        };
        if first.is_lowercase() {
            return false;
        }
        let punct = &self.text[self.punct.clone()];
        if punct != "." {
            // `!`, `?`, `?!`, `...`: a capital or a number follows.
            return true;
        }
        if self.text[self.closers.clone()].contains(['"', '\'']) {
            return true;
        }
        let (token, token_start) = self.token();
        self.period_ends(token, token_start, next, first, opened)
    }

    /// A single period after `token`, before `next` (which starts with
    /// `first`, not lowercase).
    fn period_ends(
        &self,
        token: &str,
        token_start: usize,
        next: &str,
        first: char,
        opened: bool,
    ) -> bool {
        if token.is_empty() {
            return false;
        }
        let bytes = self.text.as_bytes();
        let mut first_visible = self.sentence_start;
        while first_visible < token_start && bytes[first_visible].is_ascii_whitespace() {
            first_visible += 1;
        }
        let at_start = token_start == first_visible;
        if at_start && abbrev::is_list_marker(token) {
            return false;
        }
        if abbrev::never_final(token) || abbrev::is_initial(token) {
            return false;
        }
        let number_next = first.is_ascii_digit();
        if abbrev::before_number(token) || abbrev::is_ambiguous(token) {
            return !number_next && (opened || abbrev::is_starter(next));
        }
        true
    }
}

/// Cuts a range longer than [`MAX_SENTENCE_BYTES`] at spaces (or, failing
/// that, at char boundaries).
fn cap_length(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    if range.len() <= MAX_SENTENCE_BYTES {
        return vec![range];
    }
    let mut out = Vec::new();
    let mut start = range.start;
    while range.end - start > MAX_SENTENCE_BYTES {
        let mut limit = start + MAX_SENTENCE_BYTES;
        while !text.is_char_boundary(limit) {
            limit -= 1;
        }
        let mut mid = start + MAX_SENTENCE_BYTES / 2;
        while !text.is_char_boundary(mid) {
            mid -= 1;
        }
        let cut = match text[mid..limit].rfind(char::is_whitespace) {
            Some(p) if mid + p > start => mid + p,
            _ => limit,
        };
        push_trimmed(&mut out, text, start..cut);
        start = cut;
    }
    push_trimmed(&mut out, text, start..range.end);
    out
}

/// Pushes `r` [trimmed](trim_range) onto `out`, unless only whitespace is left.
fn push_trimmed(out: &mut Vec<Range<usize>>, text: &str, r: Range<usize>) {
    let r = trim_range(text, r);
    if !r.is_empty() {
        out.push(r);
    }
}

/// Shrinks a range so that it neither starts nor ends with whitespace.
pub(crate) fn trim_range(text: &str, r: Range<usize>) -> Range<usize> {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trimmed = s.trim();
    r.start + lead..r.start + lead + trimmed.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_keep_original_offsets() {
        let original = "First “one”. Second one!\n\nThird";
        let s = segment(original);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].text, "First \"one\".");
        assert_eq!(&original[s[0].span.bytes()], "First “one”.");
        assert_eq!(s[2].paragraph, 1);
        let cue = s[0].text.find("one").unwrap();
        let span = s[0].original_span(original, cue..cue + 3);
        assert_eq!(&original[span.bytes()], "one");
        assert_eq!(span.char_start, 7);
    }

    #[test]
    fn lines_are_units() {
        let s = segment_lines("Title\n\nLine one. Still one.\nTwo");
        assert_eq!(s.len(), 3);
        assert_eq!(s[1].text, "Line one. Still one.");
        assert_eq!(s[2].index, 2);
        assert_eq!(s[2].paragraph, 3);
    }

    #[test]
    fn lines_never_merge_over_hyphens() {
        let s = segment_lines("cu-\nrious");
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn wrapped_lines_join() {
        let s = segment("The coalition said\nthat it would act.\nHeadline");
        let texts: Vec<_> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["The coalition said that it would act.", "Headline"]);
        assert_eq!(s[1].paragraph, 1);
    }

    #[test]
    fn long_sentences_are_capped() {
        let long = "word ".repeat(3000);
        let s = segment(&long);
        assert!(s.len() >= 4);
        assert!(s.iter().all(|s| s.text.len() <= MAX_SENTENCE_BYTES));
    }
}
