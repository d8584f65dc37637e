//! Reading one article from a file or standard input, with clear errors.

use crate::error::{Error, Location, Result};
use crate::score::Article;
use std::io::Read;
use std::path::Path;

/// Options for reading article files. [`ReadOptions::default`] gives the
/// command line's safe limits ([`DEFAULT_MAX_BYTES`],
/// [`DEFAULT_MAX_LINE_BYTES`]), strict UTF-8.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Replace invalid UTF-8 with U+FFFD instead of failing.
    pub lossy: bool,
    /// Largest accepted input in bytes (0 = no limit).
    pub max_bytes: u64,
    /// Longest accepted line in bytes (0 = no limit). Prose has line or
    /// paragraph breaks; a single enormous line is almost always a wrong file
    /// (minified data, a dump) and would be scored as one giant paragraph.
    pub max_line_bytes: usize,
}

/// Default for [`ReadOptions::max_line_bytes`]: 1 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Default for [`ReadOptions::max_bytes`]: 256 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            lossy: false,
            max_bytes: DEFAULT_MAX_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Reads an article from `path` (`-` = standard input). The article id is the
/// file name without its extension (`stdin` for standard input).
pub fn read_article(path: &str, options: ReadOptions) -> Result<Article> {
    let (bytes, id) = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .map_err(|e| Error::io("<stdin>", e))?;
        (buf, "stdin".to_string())
    } else {
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        if meta.is_dir() {
            return Err(Error::input(
                Location::file(path),
                "is a directory, not a text file",
            ));
        }
        if options.max_bytes > 0 && meta.len() > options.max_bytes {
            return Err(Error::input(
                Location::file(path),
                format!(
                    "is {} bytes, over the limit of {} bytes",
                    meta.len(),
                    options.max_bytes
                ),
            ));
        }
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
        let id = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string());
        (bytes, id)
    };
    let source = if path == "-" { "<stdin>" } else { path };
    let text = decode_text(&bytes, source, options.lossy)?;
    check_line_lengths(&text, source, options.max_line_bytes)?;
    Ok(Article {
        id,
        title: None,
        text,
    })
}

/// Checks and decodes the bytes of a text input.
pub fn decode_text(bytes: &[u8], source: &str, lossy: bool) -> Result<String> {
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err(Error::input(
            Location::file(source),
            "looks like a binary file (it contains NUL bytes); rhetor reads UTF-8 text",
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) if lossy => String::from_utf8_lossy(bytes).into_owned(),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(Error::input(
                Location::file(source).at_line(line as u64 + 1),
                format!(
                    "not valid UTF-8 (byte offset {}); convert it to UTF-8 or pass --lossy to replace bad bytes",
                    e.valid_up_to()
                ),
            ));
        }
    };
    if text.trim().is_empty() {
        return Err(Error::input(
            Location::file(source),
            "is empty (no text to score)",
        ));
    }
    Ok(text)
}

/// Rejects a text with a line longer than `max` bytes (0 = no limit), naming the line.
pub fn check_line_lengths(text: &str, source: &str, max: usize) -> Result<()> {
    if max == 0 {
        return Ok(());
    }
    let Some((i, line)) = text.split('\n').enumerate().find(|(_, l)| l.len() > max) else {
        return Ok(());
    };
    Err(Error::input(
        Location::file(source).at_line(i as u64 + 1),
        format!(
            "line is {} bytes long, over the limit of {max} bytes: this does not look like article text \
             (raise the limit with --max-line-bytes, 0 = no limit)",
            line.len()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_are_the_command_lines_safe_limits() {
        let o = ReadOptions::default();
        assert!(!o.lossy);
        assert_eq!(o.max_bytes, 256 * 1024 * 1024);
        assert_eq!(o.max_line_bytes, 1 << 20);
    }

    #[test]
    fn binary_empty_and_bad_utf8_are_rejected_with_the_source_named() {
        let e = decode_text(b"ab\0cd", "f.bin", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("f.bin") && e.contains("binary"), "{e}");
        let e = decode_text(b"  \n ", "e.txt", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("e.txt") && e.contains("empty"), "{e}");
        let e = decode_text(b"ok\nbad \xff byte", "l.txt", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("l.txt:2") && e.contains("--lossy"), "{e}");
        assert_eq!(
            decode_text(b"bad \xff", "l.txt", true).unwrap(),
            "bad \u{fffd}"
        );
    }

    #[test]
    fn overlong_lines_are_rejected_with_their_line_number() {
        let text = format!("short\n{}\n", "x".repeat(100));
        let e = check_line_lengths(&text, "big.txt", 50)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("big.txt:2") && e.contains("--max-line-bytes"),
            "{e}"
        );
        assert!(check_line_lengths(&text, "big.txt", 0).is_ok());
        assert!(check_line_lengths(&text, "big.txt", 100).is_ok());
    }
}
