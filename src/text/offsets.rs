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
        let char_start = original[..range.start].chars().count();
        let char_end = char_start + original[range.clone()].chars().count();
        TextSpan {
            byte_start: range.start,
            byte_end: range.end,
            char_start,
            char_end,
        }
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

/// One piece of the map: `norm_len` bytes of normalised text produced from
/// `orig_len` bytes of original text. A piece is `linear` when the bytes were
/// copied unchanged (so inner offsets map one to one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Piece {
    norm_start: usize,
    orig_start: usize,
    norm_len: usize,
    orig_len: usize,
    linear: bool,
}

/// Maps byte offsets of a normalised text back to byte offsets of the
/// original. Copied runs are stored as one piece each, so the map stays small.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetMap {
    pieces: Vec<Piece>,
    norm_len: usize,
    orig_len: usize,
}

impl OffsetMap {
    /// Records `orig` bytes copied unchanged.
    pub fn push_copy(&mut self, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.pieces.last_mut() {
            if last.linear
                && last.norm_start + last.norm_len == self.norm_len
                && last.orig_start + last.orig_len == self.orig_len
            {
                last.norm_len += len;
                last.orig_len += len;
                self.norm_len += len;
                self.orig_len += len;
                return;
            }
        }
        self.push_piece(len, len, true);
    }

    /// Records `orig_len` original bytes replaced by `norm_len` normalised bytes
    /// (either may be zero: a deletion or an insertion).
    pub fn push_replace(&mut self, orig_len: usize, norm_len: usize) {
        if orig_len == 0 && norm_len == 0 {
            return;
        }
        self.push_piece(norm_len, orig_len, false);
    }

    fn push_piece(&mut self, norm_len: usize, orig_len: usize, linear: bool) {
        self.pieces.push(Piece {
            norm_start: self.norm_len,
            orig_start: self.orig_len,
            norm_len,
            orig_len,
            linear,
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

    /// The piece holding normalised byte `n` (skipping empty pieces).
    fn piece_at(&self, n: usize) -> Option<&Piece> {
        let idx = self
            .pieces
            .partition_point(|p| p.norm_start + p.norm_len <= n);
        self.pieces.get(idx)
    }

    /// Original byte offset where the normalised text starting at `n` begins.
    pub fn to_original_start(&self, n: usize) -> usize {
        if n >= self.norm_len {
            return self.orig_len;
        }
        match self.piece_at(n) {
            Some(p) if p.linear => p.orig_start + (n - p.norm_start),
            Some(p) => p.orig_start,
            None => self.orig_len,
        }
    }

    /// Original byte offset where the normalised text ending at `n` (exclusive) ends.
    pub fn to_original_end(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        match self.piece_at(n - 1) {
            Some(p) if p.linear => p.orig_start + (n - p.norm_start),
            Some(p) => p.orig_start + p.orig_len,
            None => self.orig_len,
        }
    }

    /// The part of the map for the normalised range `norm`, re-based so that
    /// offsets are relative to `norm.start` and to its original start.
    pub fn slice(&self, norm: Range<usize>) -> OffsetMap {
        let mut out = OffsetMap::default();
        let base = self.to_original_start(norm.start);
        let first = self
            .pieces
            .partition_point(|p| p.norm_start + p.norm_len <= norm.start);
        for p in &self.pieces[first..] {
            if p.norm_start >= norm.end && !(p.norm_len == 0 && p.norm_start == norm.end) {
                break;
            }
            if p.norm_len == 0 {
                // A deletion strictly inside the range belongs to it.
                if p.norm_start > norm.start && p.norm_start < norm.end {
                    out.push_replace(p.orig_len, 0);
                }
                continue;
            }
            let lo = p.norm_start.max(norm.start);
            let hi = (p.norm_start + p.norm_len).min(norm.end);
            if lo >= hi {
                continue;
            }
            if p.linear {
                out.push_copy(hi - lo);
            } else {
                out.push_replace(p.orig_len, hi - lo);
            }
        }
        debug_assert!(
            out.orig_len <= self.orig_len - base.min(self.orig_len) || out.pieces.is_empty()
        );
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
