//! Normalisation of pasted or PDF-extracted text, keeping an [`OffsetMap`]
//! back to the original.
//!
//! What it does (see `docs/text.md` for the full table):
//! - removes a BOM, zero-width spaces, word joiners, LRM/RLM marks and soft
//!   hyphens (a soft hyphen before a line break also joins the lines);
//! - turns CRLF, lone CR, NEL, U+2028, vertical tab and form feed into LF,
//!   U+2029 into a blank line;
//! - curly quotes, guillemets and primes into `'` / `"`; hyphen and dash
//!   variants into `-` (en dash, minus) or `--` (em dash); `…` into `...`;
//!   ligatures (`ﬁ`, `ﬂ`, ...) into letters;
//! - tabs, non-breaking and other exotic spaces, and other control characters
//!   (NUL, ...) into a plain space;
//! - undoes line-break hyphenation (`cu-\nrious`, or `cu-rious` where the PDF
//!   lost the line break) while keeping real compounds (`build-up`,
//!   `so-called`, `23-year-old`); see [`super::dehyphen::decide`].
//!
//! Normalisation is idempotent (`normalize(normalize(x).text).text ==
//! normalize(x).text`), runs in linear time, and never joins across a blank
//! line.

use super::dehyphen::{decide, HyphenSite, MAX_PART_CHARS};
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

/// What [`normalize_with`] does besides the character mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NormalizeOptions {
    /// Undo hyphenation (`cu-rious` → `curious`).
    pub dehyphenate: bool,
    /// Also undo hyphenation across a single line break (`cu-\nrious`). Off
    /// for line-based units, where every line must stay one unit.
    pub join_lines: bool,
}

impl Default for NormalizeOptions {
    fn default() -> Self {
        NormalizeOptions {
            dehyphenate: true,
            join_lines: true,
        }
    }
}

impl NormalizeOptions {
    /// Options for line-based units: dehyphenate within lines only.
    pub fn within_lines() -> Self {
        NormalizeOptions {
            dehyphenate: true,
            join_lines: false,
        }
    }
}

/// Normalises `original` with the default options. See the module
/// documentation for what changes.
pub fn normalize(original: &str) -> Normalized {
    normalize_with(original, NormalizeOptions::default())
}

/// Normalises `original` with explicit `options`.
pub fn normalize_with(original: &str, options: NormalizeOptions) -> Normalized {
    let mut n = Normalizer {
        original,
        options,
        out: Normalized {
            text: String::with_capacity(original.len() + original.len() / 64),
            map: OffsetMap::default(),
        },
    };
    n.run();
    n.out
}

/// Bytes the fast copy loop must stop at.
fn needs_attention(b: u8) -> bool {
    b >= 0x80 || b == b'-' || (b < 0x20 && b != b'\n')
}

/// Characters removed outright.
fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{feff}' | '\u{200b}' | '\u{2060}' | '\u{200e}' | '\u{200f}' | '\u{00ad}'
    )
}

/// Characters that become a plain space.
fn is_exotic_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{00a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

/// Hyphen characters that may be a line-break hyphenation: every character
/// normalised to `-` (a figure or en dash left as `-` would be a candidate on
/// a second pass, so normalisation would not be idempotent: `T\u{2012}rite`).
fn is_hyphen(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2013}' | '\u{2212}' | '\u{fe63}' | '\u{ff0d}'
    )
}

/// Replacement text for a character, or `None` to copy it unchanged.
fn replacement(c: char) -> Option<&'static str> {
    let r = match c {
        c if is_ignorable(c) => "",
        c if is_exotic_space(c) => " ",
        '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' => "\n",
        '\u{2029}' => "\n\n",
        '\u{0}'..='\u{1f}' if c != '\n' => " ",
        '\u{80}'..='\u{9f}' => " ",
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '\u{2039}'
        | '\u{203a}' => "'",
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{00ab}' | '\u{00bb}'
        | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2212}' | '\u{fe63}'
        | '\u{ff0d}' => "-",
        '\u{2014}' | '\u{2015}' => "--",
        '\u{2026}' => "...",
        '\u{fb00}' => "ff",
        '\u{fb01}' => "fi",
        '\u{fb02}' => "fl",
        '\u{fb03}' => "ffi",
        '\u{fb04}' => "ffl",
        '\u{fb05}' | '\u{fb06}' => "st",
        _ => return None,
    };
    Some(r)
}

/// Length in bytes of a line break starting at `at` (`\n`, `\r\n`, `\r`, and
/// the characters normalised to one line break), or 0.
fn line_break_len(s: &str, at: usize) -> usize {
    let b = s.as_bytes();
    match b.get(at) {
        Some(b'\n') | Some(0x0b) | Some(0x0c) => 1,
        Some(b'\r') => 1 + usize::from(b.get(at + 1) == Some(&b'\n')),
        Some(_) => match s[at..].chars().next() {
            Some(c @ ('\u{85}' | '\u{2028}')) => c.len_utf8(),
            _ => 0,
        },
        None => 0,
    }
}

/// Characters that normalise to a plain space: spaces, exotic spaces and the
/// control characters that are not line breaks. (Controls must count as
/// spaces here too, or `t-\u{1a}\nrio` would stay apart and its normalised
/// form `t- \nrio` would join: normalisation would not be idempotent.)
fn becomes_space(c: char) -> bool {
    c == ' ' || (c != '\r' && replacement(c) == Some(" "))
}

/// Skips horizontal spaces and ignorable characters from `at`; returns the new
/// position and whether any space was skipped.
fn skip_spaces(s: &str, mut at: usize) -> (usize, bool) {
    let mut spaced = false;
    for c in s[at..].chars() {
        if becomes_space(c) {
            spaced = true;
        } else if !is_ignorable(c) {
            break;
        }
        at += c.len_utf8();
    }
    (at, spaced)
}

/// Where a hyphen's continuation starts: the first letter after it, whether a
/// line break was crossed, or `None` when it cannot be a hyphenation.
struct Continuation {
    start: usize,
    line_break: bool,
}

fn continuation(s: &str, after_hyphen: usize, join_lines: bool) -> Option<Continuation> {
    let (at, spaced) = skip_spaces(s, after_hyphen);
    let lb = line_break_len(s, at);
    if lb == 0 {
        return (!spaced).then_some(Continuation {
            start: at,
            line_break: false,
        });
    }
    if !join_lines {
        return None;
    }
    let (at, _) = skip_spaces(s, at + lb);
    if line_break_len(s, at) > 0 || s[at..].starts_with('\u{2029}') {
        return None;
    }
    Some(Continuation {
        start: at,
        line_break: true,
    })
}

/// The letters starting at `at` (ligatures expanded, ignorables skipped, and
/// a soft hyphen before a single line break followed when `join_lines`, as
/// the normaliser joins it), up to one more than [`MAX_PART_CHARS`]; and
/// whether a digit follows them.
fn right_part(s: &str, mut at: usize, join_lines: bool) -> (String, bool) {
    let mut part = String::new();
    let mut count = 0;
    while let Some(c) = s[at..].chars().next() {
        if count > MAX_PART_CHARS {
            return (part, false);
        }
        at += c.len_utf8();
        if c == '\u{00ad}' && join_lines && count > 0 {
            if let Some(cont) = continuation(s, at, true).filter(|c| c.line_break) {
                at = cont.start;
            }
            continue;
        }
        if is_ignorable(c) {
            continue;
        }
        if !c.is_alphabetic() {
            return (part, c.is_numeric());
        }
        match replacement(c) {
            Some(r) => part.push_str(r),
            None => part.push(c),
        }
        count += 1;
    }
    (part, false)
}

/// The letters at the end of `text` (at most one more than
/// [`MAX_PART_CHARS`]), and the char before them.
fn left_part(text: &str) -> (&str, Option<char>) {
    let mut start = text.len();
    let mut before = None;
    for (count, (i, c)) in text.char_indices().rev().enumerate() {
        if count > MAX_PART_CHARS || !c.is_alphabetic() {
            before = Some(c);
            break;
        }
        start = i;
    }
    (&text[start..], before)
}

/// True when `text` ends with a letter, a hyphen, optional spaces, one line
/// break and optional spaces: the left part of the next hyphen then continues
/// a kept line-break hyphen (`in-\ncre-ase`). Such a chain is kept like an
/// inline one (`state-of-the-art`); joining `cre-ase` would let a second pass
/// join `in-\ncrease` (normalisation would not be idempotent).
fn after_kept_line_break_hyphen(text: &str) -> bool {
    let text = text.trim_end_matches(' ');
    let Some(text) = text.strip_suffix('\n') else {
        return false;
    };
    let mut rev = text.trim_end_matches(' ').chars().rev();
    rev.next().is_some_and(is_hyphen) && rev.next().is_some_and(char::is_alphabetic)
}

struct Normalizer<'a> {
    original: &'a str,
    options: NormalizeOptions,
    out: Normalized,
}

impl Normalizer<'_> {
    fn run(&mut self) {
        let s = self.original;
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let run = bytes[i..]
                .iter()
                .position(|&b| needs_attention(b))
                .unwrap_or(bytes.len() - i);
            if run > 0 {
                self.copy(i..i + run);
                i += run;
                continue;
            }
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            i = self.special(i, c);
        }
    }

    /// Copies `range` of the original unchanged.
    fn copy(&mut self, range: Range<usize>) {
        let len = range.len();
        self.out.text.push_str(&self.original[range]);
        self.out.map.push_copy(len);
    }

    /// Replaces `orig_len` original bytes by `with`.
    fn replace(&mut self, orig_len: usize, with: &str) {
        self.out.text.push_str(with);
        self.out.map.push_replace(orig_len, with.len());
    }

    /// Handles the character `c` at `i`; returns where to continue.
    fn special(&mut self, i: usize, c: char) -> usize {
        let len = c.len_utf8();
        if c == '\r' {
            let lb = line_break_len(self.original, i);
            self.replace(lb, "\n");
            return i + lb;
        }
        if c == '\u{00ad}' {
            return self.soft_hyphen(i);
        }
        if is_hyphen(c) && self.options.dehyphenate {
            if let Some(next) = self.try_join(i, len) {
                return next;
            }
        }
        match replacement(c) {
            Some(r) => self.replace(len, r),
            None => self.copy(i..i + len),
        }
        i + len
    }

    /// A soft hyphen is removed; before a single line break it joins the lines.
    fn soft_hyphen(&mut self, i: usize) -> usize {
        let after = i + '\u{00ad}'.len_utf8();
        // Only inside a word: after a line break or a space the soft hyphen
        // is just removed (joining there could merge a paragraph break).
        let in_word = self.out.text.ends_with(char::is_alphabetic);
        let joined = (self.options.join_lines && in_word)
            .then(|| continuation(self.original, after, true))
            .flatten()
            .filter(|c| c.line_break);
        let end = joined.map_or(after, |c| c.start);
        self.replace(end - i, "");
        end
    }

    /// Undoes the hyphenation at `i` if [`decide`] says so; returns where to
    /// continue, or `None` to keep the hyphen.
    fn try_join(&mut self, i: usize, hyphen_len: usize) -> Option<usize> {
        let (left, before) = left_part(&self.out.text);
        if left.is_empty() {
            return None;
        }
        let cont = continuation(self.original, i + hyphen_len, self.options.join_lines)?;
        let (right, digit_after) = right_part(self.original, cont.start, self.options.join_lines);
        let site = HyphenSite {
            left,
            right: &right,
            line_break: cont.line_break,
            chained: before.is_some_and(is_hyphen)
                || after_kept_line_break_hyphen(&self.out.text[..self.out.text.len() - left.len()]),
            digit_adjacent: digit_after || before.is_some_and(char::is_numeric),
        };
        if !decide(&site) {
            return None;
        }
        self.replace(cont.start - i, "");
        Some(cont.start)
    }
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
    fn line_breaks_become_lf() {
        assert_eq!(normalize("a\r\nb\rc\u{2028}d").text, "a\nb\nc\nd");
        assert_eq!(normalize("a\u{2029}b").text, "a\n\nb");
    }

    #[test]
    fn invisible_and_space_characters() {
        let n = normalize("\u{feff}a\u{00a0}b\u{200b}c\td\u{0}e");
        assert_eq!(n.text, "a bc d e");
    }

    #[test]
    fn dashes_ellipsis_ligatures() {
        assert_eq!(
            normalize("1990–2000 — so … ﬁne").text,
            "1990-2000 -- so ... fine"
        );
    }

    /// (original, normalised)
    const DEHYPHEN: &[(&str, &str)] = &[
        ("cu-\nrious", "curious"),
        ("cu- \nrious", "curious"),
        ("cu-\r\n  rious", "curious"),
        ("cu-rious", "curious"),
        ("cu\u{00ad}\nrious", "curious"),
        ("cu\u{00ad}rious", "curious"),
        ("This could in-crease.", "This could increase."),
        ("Operation Inherent Re-solve", "Operation Inherent Resolve"),
        ("killing civil-ians", "killing civilians"),
        ("meth-ods-for example", "methods-for example"),
        ("a build-up of", "a build-up of"),
        ("a build-\nup of", "a build-\nup of"),
        ("the so-called", "the so-called"),
        ("a 23-year-old man", "a 23-year-old man"),
        ("Secretary-General", "Secretary-General"),
        ("state-of-the-art", "state-of-the-art"),
        ("U.S.-led", "U.S.-led"),
        ("cu-\n\nrious", "cu-\n\nrious"),
        ("cu-\r\n\r\nrious", "cu-\n\nrious"),
        ("pre- and post-war", "pre- and post-war"),
        ("cu‐rious", "curious"),
    ];

    #[test]
    fn dehyphenation_table() {
        for &(original, expected) in DEHYPHEN {
            let n = normalize(original);
            assert_eq!(n.text, expected, "input {original:?}");
            assert_eq!(n.map.orig_len(), original.len());
            assert_eq!(normalize(&n.text).text, n.text, "idempotent {original:?}");
        }
    }

    #[test]
    fn joins_map_back_over_the_removed_hyphen() {
        let original = "very cu-\nrious indeed";
        let n = normalize(original);
        let at = n.text.find("curious").unwrap();
        let r = n.original_range(at..at + "curious".len());
        assert_eq!(&original[r], "cu-\nrious");
    }

    #[test]
    fn within_lines_keeps_line_breaks() {
        let n = normalize_with("cu-\nrious cu-rious", NormalizeOptions::within_lines());
        assert_eq!(n.text, "cu-\nrious curious");
    }
}
