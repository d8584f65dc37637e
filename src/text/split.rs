//! Sentence splitting over normalised text.

use super::normalize::{normalize, Normalized};
use super::offsets::{CharCounter, OffsetMap, TextSpan};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// One sentence of an article: its position, its normalised text, and where it
/// lies in the ORIGINAL text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentence {
    /// 0-based index of the sentence within its article.
    pub index: usize,
    /// 0-based index of the paragraph (blank-line or line separated block).
    pub paragraph: usize,
    /// The normalised sentence text (what models see).
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
        Sentence {
            index,
            paragraph,
            text: normalized.text[norm.clone()].to_string(),
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
/// Sentence indices count non-empty lines; offsets still point into `original`.
pub fn segment_lines(original: &str) -> Vec<Sentence> {
    let normalized = normalize(original);
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
    let text = normalized.text.as_str();
    let mut chars = CharCounter::new(original);
    let mut out = Vec::new();
    let mut paragraph = 0;
    let mut para_start = 0;
    for block in text.split("\n\n") {
        let block_range = para_start..para_start + block.len();
        para_start += block.len() + 2;
        let mut had_sentence = false;
        for range in sentence_ranges(text, block_range) {
            let index = out.len();
            out.push(Sentence::from_normalized(
                normalized, &mut chars, range, index, paragraph,
            ));
            had_sentence = true;
        }
        if had_sentence {
            paragraph += 1;
        }
    }
    out
}

/// Naive boundaries: after `.`, `!` or `?` (plus closing quotes) followed by
/// whitespace, and at every line break.
fn sentence_ranges(text: &str, block: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = block.start;
    let mut i = block.start;
    while i < block.end {
        let b = bytes[i];
        let boundary = if b == b'\n' {
            Some(i)
        } else if matches!(b, b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < block.end && matches!(bytes[j], b'"' | b'\'' | b')') {
                j += 1;
            }
            if j >= block.end || bytes[j].is_ascii_whitespace() {
                Some(j)
            } else {
                None
            }
        } else {
            None
        };
        if let Some(end) = boundary {
            let r = trim_range(text, start..end);
            if !r.is_empty() {
                out.push(r);
            }
            start = end;
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    let r = trim_range(text, start..block.end);
    if !r.is_empty() {
        out.push(r);
    }
    out
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
    }
}
