//! JSON Lines input: the input split into non-blank lines, with a cap on the
//! bytes kept per line.

use std::io::{self, BufRead};

/// A JSONL line splitter with a cap on the bytes kept per line.
pub(super) struct JsonLines {
    pub(super) input: Box<dyn BufRead + Send>,
    /// Lines read so far.
    pub(super) line: u64,
    pub(super) max_line_bytes: usize,
}

/// One non-blank JSONL line.
pub(super) struct JsonLine {
    /// 1-based line number.
    pub(super) line: u64,
    /// The line's bytes (empty when oversized).
    pub(super) bytes: Vec<u8>,
    /// The line is longer than the cap.
    pub(super) oversized: bool,
}

impl JsonLines {
    /// The next non-blank line, `None` at the end of the input.
    pub(super) fn next_line(&mut self) -> io::Result<Option<JsonLine>> {
        loop {
            let start_line = self.line + 1;
            let mut bytes = Vec::new();
            let mut oversized = false;
            let mut any = false;
            loop {
                let buf = self.input.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                any = true;
                let (chunk, used, done) = match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => (&buf[..i], i + 1, true),
                    None => (buf, buf.len(), false),
                };
                oversized |= bytes.len() + chunk.len() > self.max_line_bytes;
                if oversized {
                    bytes = Vec::new();
                } else {
                    bytes.extend_from_slice(chunk);
                }
                self.input.consume(used);
                if done {
                    break;
                }
            }
            if !any {
                return Ok(None);
            }
            self.line += 1;
            if oversized || !bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(JsonLine {
                    line: start_line,
                    bytes,
                    oversized,
                }));
            }
        }
    }
}
