//! The coding journal of `rhetor serve`: an append-only JSON Lines file, one
//! answer of one coder per line, each line written and `fsync`ed before the
//! answer is acknowledged. Replaying it rebuilds every acknowledged answer,
//! whatever happened to the labels file.
//!
//! A line:
//!
//! ```json
//! {"v":1,"coder":"ana","article_id":"a7","sentence_index":3,
//!  "labels":{"doubt":true,"framing":true,"loaded_language":false},
//!  "suggestion_shown":false,"at_ms":1765090000000}
//! ```
//!
//! `labels` maps label columns to `true`, `false` or `null` (not labelled);
//! a later line for the same sentence replaces the earlier one. A last line
//! cut short by a crash (no newline, or not JSON) was never acknowledged: it
//! is ignored with a warning and cut off before the next append. A bad line
//! anywhere else is an error.

use crate::error::{Error, Location, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The version written in every line.
pub const JOURNAL_VERSION: u32 = 1;

/// One answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Format version ([`JOURNAL_VERSION`]).
    pub v: u32,
    /// The coder's name.
    pub coder: String,
    /// The sentence's article.
    pub article_id: String,
    /// The sentence's index in its article.
    pub sentence_index: u64,
    /// Label column → value (`None`: not labelled).
    pub labels: BTreeMap<String, Option<bool>>,
    /// Whether the model's suggestion was shown before the answer.
    pub suggestion_shown: bool,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
}

/// What [`read_journal`] found.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// The complete entries, in order.
    pub entries: Vec<JournalEntry>,
    /// Bytes of the file up to the end of the last complete line.
    pub valid_len: u64,
    /// A warning about a torn last line.
    pub warning: Option<String>,
}

/// Reads a journal; a missing file is an empty journal.
pub fn read_journal(path: &Path) -> Result<Replay> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Replay::default()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut replay = Replay::default();
    let mut offset = 0usize;
    let mut line_no = 0u64;
    while offset < bytes.len() {
        line_no += 1;
        let rest = &bytes[offset..];
        let (line, complete) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], true),
            None => (rest, false),
        };
        let next = offset + line.len() + usize::from(complete);
        let parsed = std::str::from_utf8(line)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str::<JournalEntry>(s).map_err(|e| e.to_string()));
        match parsed {
            Ok(entry) if complete => {
                replay.entries.push(entry);
                replay.valid_len = next as u64;
            }
            result => {
                let last = next >= bytes.len();
                if !last {
                    let why = result.err().unwrap_or_default();
                    return Err(Error::input(
                        Location::file(path.display().to_string()).at_line(line_no),
                        format!("corrupt journal line: {why}"),
                    ));
                }
                if !line.iter().all(|b| b.is_ascii_whitespace()) {
                    replay.warning = Some(format!(
                        "{}:{line_no}: ignoring a torn last line ({} bytes; never acknowledged)",
                        path.display(),
                        line.len()
                    ));
                }
            }
        }
        offset = next;
    }
    Ok(replay)
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Opens (creating) the journal at `path` for appending, first cutting it
    /// to `valid_len` (the end of its last complete line, from [`read_journal`]).
    pub fn open(path: &Path, valid_len: u64) -> Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len > valid_len {
            file.set_len(valid_len).map_err(|e| Error::io(path, e))?;
            file.sync_all().map_err(|e| Error::io(path, e))?;
        }
        let mut journal = Journal {
            path: path.to_path_buf(),
            file,
        };
        use std::io::Seek;
        journal
            .file
            .seek(std::io::SeekFrom::End(0))
            .map_err(|e| Error::io(path, e))?;
        Ok(journal)
    }

    /// Appends one entry and waits until it is on disk.
    pub fn append(&mut self, entry: &JournalEntry) -> Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(|e| Error::Output(e.to_string()))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u64) -> JournalEntry {
        JournalEntry {
            v: JOURNAL_VERSION,
            coder: "ana".into(),
            article_id: "a".into(),
            sentence_index: i,
            labels: [("doubt".to_string(), Some(i.is_multiple_of(2)))].into(),
            suggestion_shown: false,
            at_ms: 1,
        }
    }

    #[test]
    fn replays_complete_lines_and_cuts_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut j = Journal::open(&path, 0).unwrap();
        j.append(&entry(0)).unwrap();
        j.append(&entry(1)).unwrap();
        drop(j);
        // A crash in the middle of a write.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"v\":1,\"coder\":\"ana\",\"arti").unwrap();
        drop(f);
        let r = read_journal(&path).unwrap();
        assert_eq!(r.entries, vec![entry(0), entry(1)]);
        assert!(r.warning.unwrap().contains("torn"));
        let mut j = Journal::open(&path, r.valid_len).unwrap();
        j.append(&entry(2)).unwrap();
        let r = read_journal(&path).unwrap();
        assert_eq!(r.entries, vec![entry(0), entry(1), entry(2)]);
        assert!(r.warning.is_none());
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let good = serde_json::to_string(&entry(0)).unwrap();
        std::fs::write(&path, format!("{good}\nnot json\n{good}\n")).unwrap();
        let e = read_journal(&path).unwrap_err().to_string();
        assert!(e.contains(":2") && e.contains("corrupt"), "{e}");
        assert!(read_journal(&dir.path().join("none"))
            .unwrap()
            .entries
            .is_empty());
    }
}
