//! Reading one article from a file or standard input, with clear errors.

use crate::error::{Error, Location, Result};
use crate::score::Article;
use std::io::Read;
use std::path::Path;

/// Options for reading article files.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Replace invalid UTF-8 with U+FFFD instead of failing.
    pub lossy: bool,
    /// Largest accepted input in bytes (0 = no limit).
    pub max_bytes: u64,
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
        Err(e) if lossy => {
            let _ = e;
            String::from_utf8_lossy(bytes).into_owned()
        }
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64
                + 1;
            return Err(Error::input(
                Location::file(source).at_line(line),
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
