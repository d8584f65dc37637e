//! Offset bookkeeping between normalised text and the original text.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A span of the ORIGINAL text, as byte offsets and as char (Unicode scalar)
/// offsets; ends are exclusive. Char offsets are what Python's `str` indices
/// and the PTC label files use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TextSpan {
    /// First byte of the span in the original text.
    pub byte_start: usize,
    /// One past the last byte.
    pub byte_end: usize,
    /// First char of the span in the original text.
    pub char_start: usize,
    /// One past the last char.
    pub char_end: usize,
}

impl TextSpan {
    /// The byte range of the span.
    pub fn bytes(&self) -> Range<usize> {
        self.byte_start..self.byte_end
    }
    /// The char range of the span.
    pub fn chars(&self) -> Range<usize> {
        self.char_start..self.char_end
    }
    /// Builds a span from a byte range of `original`, counting chars from the start.
    /// Prefer [`CharCounter`] when converting many ordered ranges.
    pub fn from_bytes(original: &str, range: Range<usize>) -> TextSpan {
        CharCounter::new(original).span(range)
    }
}

/// Converts byte offsets to char offsets quickly for offsets that mostly
/// increase (it remembers the last position).
#[derive(Debug, Clone)]
pub struct CharCounter<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharCounter<'a> {
    /// A counter over `text`, starting at offset 0.
    pub fn new(text: &'a str) -> Self {
        CharCounter {
            text,
            byte: 0,
            chars: 0,
        }
    }
    /// The char offset of byte offset `byte` (which must be a char boundary).
    pub fn char_offset(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
    /// A [`TextSpan`] for a byte range.
    pub fn span(&mut self, range: Range<usize>) -> TextSpan {
        let char_start = self.char_offset(range.start);
        let char_end = self.char_offset(range.end);
        TextSpan {
            byte_start: range.start,
            byte_end: range.end,
            char_start,
            char_end,
        }
    }
}

/// One edit of the map: `orig_len` original bytes at `orig_start` became
/// `norm_len` normalised bytes at `norm_start`. Bytes between edits were
/// copied unchanged, so they are not stored: a sentence without changes has
/// an empty map (no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Edit {
    norm_start: usize,
    orig_start: usize,
    norm_len: usize,
    orig_len: usize,
}

impl Edit {
    fn norm_end(&self) -> usize {
        self.norm_start + self.norm_len
    }
    fn orig_end(&self) -> usize {
        self.orig_start + self.orig_len
    }
}

/// Maps byte offsets of a normalised text back to byte offsets of the
/// original. Only replacements are stored; copied runs are implicit, so the
/// map stays small (one entry per replaced character or hyphen join).
///
/// Conventions: a range's start maps after any deletion at that position and
/// its end before any deletion at that position, so leading/trailing deleted
/// characters (a BOM, a zero-width space) fall outside a sentence span, while
/// deletions strictly inside a range belong to it. A range that starts or ends
/// inside a replacement maps to the whole replaced original text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetMap {
    edits: Vec<Edit>,
    norm_len: usize,
    orig_len: usize,
}

impl OffsetMap {
    /// Records `len` original bytes copied unchanged.
    pub fn push_copy(&mut self, len: usize) {
        self.norm_len += len;
        self.orig_len += len;
    }

    /// Records `orig_len` original bytes replaced by `norm_len` normalised bytes
    /// (either may be zero: a deletion or an insertion).
    pub fn push_replace(&mut self, orig_len: usize, norm_len: usize) {
        if orig_len == 0 && norm_len == 0 {
            return;
        }
        self.edits.push(Edit {
            norm_start: self.norm_len,
            orig_start: self.orig_len,
            norm_len,
            orig_len,
        });
        self.norm_len += norm_len;
        self.orig_len += orig_len;
    }

    /// Length of the normalised text covered by the map.
    pub fn norm_len(&self) -> usize {
        self.norm_len
    }

    /// Length of the original text covered by the map.
    pub fn orig_len(&self) -> usize {
        self.orig_len
    }

    /// Number of stored edits (replacements, deletions, insertions).
    pub fn edit_count(&self) -> usize {
        self.edits.len()
    }

    /// Original offset of normalised offset `n`, counting from the last edit
    /// that ends at or before `n` (or from the start).
    fn linear_from(&self, idx: usize, n: usize) -> usize {
        match idx.checked_sub(1).and_then(|i| self.edits.get(i)) {
            Some(e) => e.orig_end() + (n - e.norm_end()),
            None => n,
        }
    }

    /// Original byte offset where the normalised text starting at `n` begins.
    pub fn to_original_start(&self, n: usize) -> usize {
        if n >= self.norm_len {
            return self.orig_len;
        }
        let idx = self.edits.partition_point(|e| e.norm_end() <= n);
        match self.edits.get(idx) {
            Some(e) if e.norm_start <= n => e.orig_start,
            _ => self.linear_from(idx, n),
        }
    }

    /// Original byte offset where the normalised text ending at `n` (exclusive) ends.
    pub fn to_original_end(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        if n > self.norm_len {
            return self.orig_len;
        }
        let idx = self.edits.partition_point(|e| e.norm_end() < n);
        match self.edits.get(idx) {
            Some(e) if e.norm_start < n => e.orig_end(),
            _ => self.linear_from(idx, n),
        }
    }

    /// The part of the map for the normalised range `norm`, re-based so that
    /// offsets are relative to `norm.start` and to its original start.
    pub fn slice(&self, norm: Range<usize>) -> OffsetMap {
        let mut out = OffsetMap::default();
        let end = norm.end.min(self.norm_len);
        if norm.start >= end {
            return out;
        }
        let first = self.edits.partition_point(|e| e.norm_end() <= norm.start);
        let last = first + self.edits[first..].partition_point(|e| e.norm_start < end);
        // Exact capacity: sentences keep their maps for the whole run.
        out.edits.reserve_exact(last - first);
        let mut cur = norm.start;
        for e in &self.edits[first..last] {
            let lo = e.norm_start.max(norm.start);
            let hi = e.norm_end().min(end);
            if e.norm_len == 0 && lo == norm.start {
                // A deletion at the very start lies outside the range.
                continue;
            }
            out.push_copy(lo - cur);
            out.push_replace(e.orig_len, hi - lo);
            cur = hi;
        }
        out.push_copy(end - cur);
        out
    }

    /// The original byte range of a normalised byte range.
    pub fn to_original(&self, norm: Range<usize>) -> Range<usize> {
        if norm.is_empty() {
            let at = self.to_original_start(norm.start);
            return at..at;
        }
        self.to_original_start(norm.start)..self.to_original_end(norm.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_and_replace_map_back() {
        // original: "a’b" (’ is 3 bytes) -> normalised "a'b"
        let mut m = OffsetMap::default();
        m.push_copy(1);
        m.push_replace(3, 1);
        m.push_copy(1);
        assert_eq!(m.norm_len(), 3);
        assert_eq!(m.orig_len(), 5);
        assert_eq!(m.to_original(0..1), 0..1);
        assert_eq!(m.to_original(1..2), 1..4);
        assert_eq!(m.to_original(2..3), 4..5);
        assert_eq!(m.to_original(0..3), 0..5);
    }

    #[test]
    fn deletions_are_skipped() {
        // "cu-\nrious" -> "curious"
        let mut m = OffsetMap::default();
        m.push_copy(2);
        m.push_replace(2, 0);
        m.push_copy(5);
        assert_eq!(m.to_original(0..7), 0..9);
        assert_eq!(m.to_original(2..7), 4..9);
        assert_eq!(m.to_original(0..2), 0..2);
        assert_eq!(m.edit_count(), 1);
    }

    #[test]
    fn slices_rebase_and_skip_edge_deletions() {
        // "\u{feff}a’b\u{200b}c" -> "a'bc"
        let mut m = OffsetMap::default();
        m.push_replace(3, 0);
        m.push_copy(1);
        m.push_replace(3, 1);
        m.push_copy(1);
        m.push_replace(3, 0);
        m.push_copy(1);
        assert_eq!(m.to_original(0..4), 3..12);
        assert_eq!(m.to_original(2..3), 7..8);
        let s = m.slice(1..4);
        assert_eq!(s.norm_len(), 3);
        assert_eq!(s.orig_len(), 8);
        assert_eq!(s.to_original(0..1), 0..3);
        assert_eq!(s.to_original(2..3), 7..8);
        let plain = m.slice(3..4);
        assert_eq!(plain.edit_count(), 0);
        assert_eq!(plain.to_original(0..1), 0..1);
    }

    #[test]
    fn char_counter_counts_multibyte() {
        let t = "é“x”";
        let mut c = CharCounter::new(t);
        assert_eq!(
            c.span(2..5),
            TextSpan {
                byte_start: 2,
                byte_end: 5,
                char_start: 1,
                char_end: 2
            }
        );
        assert_eq!(TextSpan::from_bytes(t, 5..6).char_start, 2);
    }
}
