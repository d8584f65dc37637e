//! The offset checks that the text tests share (`tests/props.rs`,
//! `tests/text_split.rs`): the guarantees of docs/text.md, as proptest
//! assertions, so that a failing case is shrunk.

use proptest::prelude::*;
use rhetor::text::{normalize, Sentence};

/// Offsets: char boundaries, exact char counts, ordered, non-overlapping,
/// indexed 0..n, the whole sentence maps back to its span, every cue-sized
/// sub-range maps inside it.
pub fn check_offsets(original: &str, sentences: &[Sentence]) -> Result<(), TestCaseError> {
    let mut prev_end = 0;
    for (i, s) in sentences.iter().enumerate() {
        let span = s.span;
        prop_assert_eq!(s.index, i);
        prop_assert!(original.is_char_boundary(span.byte_start));
        prop_assert!(original.is_char_boundary(span.byte_end));
        prop_assert!(prev_end <= span.byte_start && span.byte_start < span.byte_end);
        prev_end = span.byte_end;
        prop_assert_eq!(span.char_start, original[..span.byte_start].chars().count());
        prop_assert_eq!(
            span.char_end - span.char_start,
            original[span.bytes()].chars().count()
        );
        prop_assert!(!s.text.trim().is_empty());
        prop_assert_eq!(s.original_span(original, 0..s.text.len()), span);
        for (b, _) in s.text.char_indices().step_by(3) {
            let part = s.original_span(original, b..s.text.len());
            prop_assert!(original.is_char_boundary(part.byte_start));
            prop_assert!(span.byte_start <= part.byte_start && part.byte_end <= span.byte_end);
        }
    }
    Ok(())
}

/// Chars the normaliser deletes by design (docs/text.md): BOM, zero-width
/// space / joiner / non-joiner, word joiner, LRM/RLM, soft hyphen; and chars
/// that normalise to whitespace. Everything else must lie inside a sentence.
pub fn deleted_or_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{00ad}' || normalize(&c.to_string()).text.trim().is_empty()
}

/// Every character of `original` lies inside a sentence, but those
/// [`deleted_or_blank`].
pub fn check_coverage(original: &str, sentences: &[Sentence]) -> Result<(), TestCaseError> {
    let mut k = 0;
    for (i, c) in original.char_indices() {
        if deleted_or_blank(c) {
            continue;
        }
        while k < sentences.len() && sentences[k].span.byte_end <= i {
            k += 1;
        }
        let covered = sentences
            .get(k)
            .is_some_and(|s| s.span.byte_start <= i && i < s.span.byte_end);
        prop_assert!(covered, "{:?} at byte {} is in no sentence", c, i);
    }
    Ok(())
}

/// The documented slice property: normalising a sentence's original slice
/// gives its text, reading line breaks inside the sentence as spaces
/// (docs/text.md, "Offset guarantees"), for sentences below the length cap.
pub fn check_renormalise(original: &str, sentences: &[Sentence]) -> Result<(), TestCaseError> {
    for s in sentences {
        let again = normalize(&original[s.span.bytes()]).text.replace('\n', " ");
        prop_assert_eq!(
            again.trim(),
            s.text.as_str(),
            "slice {:?}",
            &original[s.span.bytes()]
        );
    }
    Ok(())
}
