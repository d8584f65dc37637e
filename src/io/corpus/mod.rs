//! Reading article corpora (CSV, JSONL, either gzip-compressed) record by
//! record, streaming: only one record is held at a time.
//!
//! A *record* is one CSV row after the header, or one non-blank JSONL line.
//! Records are numbered from 1 in input order; blank lines are not records.
//! Every record comes out either as a [`CorpusRecord`] (ready to score) or as a
//! [`RecordError`] that says why it cannot be scored, so a caller can account
//! for every record.
//!
//! Columns are found by name (case-insensitive), see [`ColumnSpec`]; every
//! column that is not mapped to a role (and is not the text) is *carried*
//! through to the output unchanged.

mod csv_records;

pub use csv_records::{CsvRecord, CsvRecords};

use crate::error::{Error, Location, Result};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Names tried, in order, when a role's column is not given explicitly.
pub const ID_NAMES: &[&str] = &["id", "article_id", "doc_id", "stories_id"];
/// Candidate names of the text column.
pub const TEXT_NAMES: &[&str] = &["text", "body", "content", "article"];
/// Candidate names of the outlet column.
pub const OUTLET_NAMES: &[&str] = &["outlet", "source", "media", "media_name", "publisher"];
/// Candidate names of the date column.
pub const DATE_NAMES: &[&str] = &["date", "publish_date", "published", "timestamp"];
/// Candidate names of the title column.
pub const TITLE_NAMES: &[&str] = &["title", "headline"];

/// The corpus file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorpusFormat {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// JSON Lines: one JSON object per line.
    Jsonl,
}

impl CorpusFormat {
    /// The format's name as written in summaries.
    pub fn name(self) -> &'static str {
        match self {
            CorpusFormat::Csv => "csv",
            CorpusFormat::Jsonl => "jsonl",
        }
    }

    /// The format implied by a file name (`.csv[.gz]`, `.jsonl[.gz]`, `.ndjson[.gz]`).
    pub fn from_path(path: &str) -> Option<CorpusFormat> {
        let lower = path.to_ascii_lowercase();
        let stem = lower.strip_suffix(".gz").unwrap_or(&lower);
        if stem.ends_with(".csv") {
            Some(CorpusFormat::Csv)
        } else if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") {
            Some(CorpusFormat::Jsonl)
        } else {
            None
        }
    }
}

/// Which input column plays which role. `None` = detect by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The article id column.
    pub id: Option<String>,
    /// The article text column.
    pub text: Option<String>,
    /// The outlet column.
    pub outlet: Option<String>,
    /// The date column.
    pub date: Option<String>,
    /// The title column.
    pub title: Option<String>,
}

/// The resolved columns of a corpus: names of the columns playing each role,
/// and the carried columns, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// Every input column name, in order.
    pub names: Vec<String>,
    /// Index of the id column.
    pub id: Option<usize>,
    /// Index of the text column.
    pub text: usize,
    /// Index of the outlet column.
    pub outlet: Option<usize>,
    /// Index of the date column.
    pub date: Option<usize>,
    /// Index of the title column.
    pub title: Option<usize>,
    /// Indices of the carried columns.
    pub carried: Vec<usize>,
}

impl ColumnMap {
    /// Resolves `spec` against the column `names`. Fails when an explicitly
    /// named column is missing or no text column can be found.
    pub fn resolve(names: Vec<String>, spec: &ColumnSpec, source: &str) -> Result<ColumnMap> {
        let find =
            |role: &str, given: &Option<String>, candidates: &[&str]| -> Result<Option<usize>> {
                match given {
                    Some(name) => match find_column(&names, &[name.as_str()]) {
                        Some(i) => Ok(Some(i)),
                        None => Err(Error::input(
                            Location::file(source),
                            format!(
                                "no column `{name}` for the {role} (columns: {})",
                                names.join(", ")
                            ),
                        )),
                    },
                    None => Ok(find_column(&names, candidates)),
                }
            };
        let text = find("text", &spec.text, TEXT_NAMES)?.ok_or_else(|| {
            Error::input(
                Location::file(source),
                format!(
                    "no text column found (looked for {}; columns: {}); name it with --text-col",
                    TEXT_NAMES.join(", "),
                    names.join(", ")
                ),
            )
        })?;
        let id = find("id", &spec.id, ID_NAMES)?;
        let outlet = find("outlet", &spec.outlet, OUTLET_NAMES)?;
        let date = find("date", &spec.date, DATE_NAMES)?;
        let title = find("title", &spec.title, TITLE_NAMES)?;
        let mapped = [Some(text), id, outlet, date, title];
        let carried = (0..names.len())
            .filter(|i| !mapped.contains(&Some(*i)))
            .collect();
        Ok(ColumnMap {
            names,
            id,
            text,
            outlet,
            date,
            title,
            carried,
        })
    }

    /// The name of the column at `index`.
    pub fn name(&self, index: usize) -> &str {
        self.names.get(index).map(String::as_str).unwrap_or("")
    }

    /// The names of the carried columns.
    pub fn carried_names(&self) -> Vec<String> {
        self.carried
            .iter()
            .map(|&i| self.name(i).to_string())
            .collect()
    }

    /// The name of the column at an optional index.
    pub fn role_name(&self, index: Option<usize>) -> Option<&str> {
        index.map(|i| self.name(i))
    }
}

/// Index of the first candidate (in candidate order) present in `names`, case-insensitively.
fn find_column(names: &[String], candidates: &[&str]) -> Option<usize> {
    candidates.iter().find_map(|c| {
        names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(c.trim()))
    })
}

/// One article read from a corpus, ready to score.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorpusRecord {
    /// 1-based record number.
    pub record: u64,
    /// 1-based input line on which the record starts.
    pub line: u64,
    /// The article id (the record number when the id is missing or empty).
    pub id: String,
    /// The outlet (empty when not mapped).
    pub outlet: String,
    /// The date, as written in the input (empty when not mapped).
    pub date: String,
    /// The title (empty when not mapped).
    pub title: String,
    /// The carried columns' values, in [`ColumnMap::carried`] order.
    pub carried: Vec<String>,
    /// The article text.
    pub text: String,
}

/// A record that cannot be scored, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordError {
    /// 1-based record number.
    pub record: u64,
    /// 1-based input line on which the record starts.
    pub line: u64,
    /// The article id, when it could be read.
    pub article_id: Option<String>,
    /// The field (column) concerned, when there is one.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record {} (line {})", self.record, self.line)?;
        if let Some(id) = &self.article_id {
            write!(f, ", article `{id}`")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// One record of a corpus: an article or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorpusItem {
    /// A record that can be scored.
    Article(CorpusRecord),
    /// A record that cannot be scored.
    Error(RecordError),
}

impl CorpusItem {
    /// The record number.
    pub fn record(&self) -> u64 {
        match self {
            CorpusItem::Article(a) => a.record,
            CorpusItem::Error(e) => e.record,
        }
    }
}

/// Options of the corpus reader.
#[derive(Debug, Clone, Copy)]
pub struct CorpusOptions {
    /// The format; `None` = from the file name, else sniffed from the first byte.
    pub format: Option<CorpusFormat>,
    /// Largest accepted article text in bytes; larger ones become errors.
    pub max_article_bytes: usize,
}

impl Default for CorpusOptions {
    fn default() -> Self {
        CorpusOptions {
            format: None,
            max_article_bytes: 1 << 20,
        }
    }
}

impl CorpusOptions {
    /// The most bytes kept for one raw record (text plus the other fields).
    fn max_record_bytes(&self) -> usize {
        self.max_article_bytes
            .saturating_mul(2)
            .saturating_add(1 << 20)
    }
}

/// What the reader has consumed of the raw input: bytes (before
/// decompression) and their SHA-256. Shared so a progress bar can follow it.
#[derive(Debug, Default)]
pub struct InputStats {
    bytes: AtomicU64,
    sha: Mutex<Sha256>,
}

impl InputStats {
    /// Raw bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The hex SHA-256 of the raw bytes read so far (of the whole input once it is read to the end).
    pub fn sha256_hex(&self) -> String {
        let digest = match self.sha.lock() {
            Ok(sha) => sha.clone().finalize(),
            Err(poisoned) => poisoned.into_inner().clone().finalize(),
        };
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A reader that counts and hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    stats: Arc<InputStats>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
        if let Ok(mut sha) = self.stats.sha.lock() {
            sha.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The record sources behind a [`CorpusReader`].
enum Source {
    Csv(CsvRecords<Box<dyn BufRead + Send>>),
    Jsonl(JsonLines),
}

/// A JSONL line splitter with a cap on the bytes kept per line.
struct JsonLines {
    input: Box<dyn BufRead + Send>,
    line: u64,
    max_line_bytes: usize,
}

/// One non-blank JSONL line.
struct JsonLine {
    line: u64,
    bytes: Vec<u8>,
    oversized: bool,
}

impl JsonLines {
    fn next_line(&mut self) -> io::Result<Option<JsonLine>> {
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
                if !oversized {
                    if bytes.len() + chunk.len() > self.max_line_bytes {
                        oversized = true;
                        bytes = Vec::new();
                    } else {
                        bytes.extend_from_slice(chunk);
                    }
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

/// A raw record before column extraction.
enum Raw {
    Csv(CsvRecord),
    Json(JsonLine),
}

/// Streams the records of a corpus. See the module documentation.
pub struct CorpusReader {
    source: Source,
    name: String,
    format: CorpusFormat,
    gzip: bool,
    columns: ColumnMap,
    options: CorpusOptions,
    next_record: u64,
    /// JSONL records read ahead while looking for the column names.
    pending: VecDeque<Raw>,
    stats: Arc<InputStats>,
}

impl CorpusReader {
    /// Opens `path` (`-` = standard input). Gzip input is recognised by its
    /// magic bytes. Reads the header (CSV) or looks ahead to the first valid
    /// object (JSONL) to resolve the columns.
    pub fn open(path: &str, spec: &ColumnSpec, options: CorpusOptions) -> Result<CorpusReader> {
        let name = if path == "-" { "<stdin>" } else { path }.to_string();
        let raw: Box<dyn Read + Send> = if path == "-" {
            Box::new(io::stdin())
        } else {
            let p = Path::new(path);
            if p.is_dir() {
                return Err(Error::input(
                    Location::file(path),
                    "is a directory, not a corpus file",
                ));
            }
            Box::new(File::open(p).map_err(|e| Error::io(p, e))?)
        };
        let stats = Arc::new(InputStats::default());
        let hashed = HashingReader {
            inner: raw,
            stats: Arc::clone(&stats),
        };
        let mut buffered = BufReader::with_capacity(1 << 16, hashed);
        let head = buffered.fill_buf().map_err(|e| Error::io(&name, e))?;
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let mut input: Box<dyn BufRead + Send> = if gzip {
            Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::bufread::MultiGzDecoder::new(buffered),
            ))
        } else {
            Box::new(buffered)
        };
        let format = match options.format.or_else(|| CorpusFormat::from_path(path)) {
            Some(f) => f,
            None => sniff_format(&mut input).map_err(|e| Error::io(&name, e))?,
        };
        let mut reader = CorpusReader {
            source: match format {
                CorpusFormat::Csv => {
                    Source::Csv(CsvRecords::new(input, options.max_record_bytes()))
                }
                CorpusFormat::Jsonl => Source::Jsonl(JsonLines {
                    input,
                    line: 0,
                    max_line_bytes: options.max_record_bytes(),
                }),
            },
            name,
            format,
            gzip,
            columns: ColumnMap::default(),
            options,
            next_record: 1,
            pending: VecDeque::new(),
            stats,
        };
        let names = reader.read_column_names()?;
        reader.columns = ColumnMap::resolve(names, spec, &reader.name)?;
        Ok(reader)
    }

    /// The resolved columns.
    pub fn columns(&self) -> &ColumnMap {
        &self.columns
    }

    /// The input's format.
    pub fn format(&self) -> CorpusFormat {
        self.format
    }

    /// True when the input is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The input's name (`<stdin>` for standard input).
    pub fn source_name(&self) -> &str {
        &self.name
    }

    /// Bytes read and hash of the raw input, shared.
    pub fn stats(&self) -> Arc<InputStats> {
        Arc::clone(&self.stats)
    }

    /// Number of records returned or skipped so far.
    pub fn records_read(&self) -> u64 {
        self.next_record - 1
    }

    /// The next record, `None` at the end of the input. An `Err` is fatal
    /// (the input cannot be read any further); bad records are `Ok(Some(CorpusItem::Error))`.
    pub fn next_item(&mut self) -> Result<Option<CorpusItem>> {
        let Some(raw) = self.next_raw()? else {
            return Ok(None);
        };
        let record = self.next_record;
        self.next_record += 1;
        Ok(Some(match raw {
            Raw::Csv(r) => self.extract_csv(record, r),
            Raw::Json(l) => self.extract_json(record, l),
        }))
    }

    /// Skips `n` records without extracting them (used to resume). Returns how many were skipped.
    pub fn skip(&mut self, n: u64) -> Result<u64> {
        let mut skipped = 0;
        while skipped < n {
            if self.next_raw()?.is_none() {
                break;
            }
            self.next_record += 1;
            skipped += 1;
        }
        Ok(skipped)
    }

    fn next_raw(&mut self) -> Result<Option<Raw>> {
        if let Some(raw) = self.pending.pop_front() {
            return Ok(Some(raw));
        }
        let name = &self.name;
        match &mut self.source {
            Source::Csv(c) => c
                .next_record()
                .map(|r| r.map(Raw::Csv))
                .map_err(|e| read_error(name, c.line(), e)),
            Source::Jsonl(j) => j
                .next_line()
                .map(|l| l.map(Raw::Json))
                .map_err(|e| read_error(name, j.line + 1, e)),
        }
    }

    /// CSV: the header row. JSONL: the keys of the first valid object
    /// (earlier lines stay queued and become error records).
    fn read_column_names(&mut self) -> Result<Vec<String>> {
        match &mut self.source {
            Source::Csv(c) => {
                let header = c
                    .next_record()
                    .map_err(|e| read_error(&self.name, 1, e))?
                    .ok_or_else(|| {
                        Error::input(
                            Location::file(&self.name),
                            "is empty (expected a header row)",
                        )
                    })?;
                csv_header_names(header, &self.name)
            }
            Source::Jsonl(j) => loop {
                let line = j
                    .next_line()
                    .map_err(|e| read_error(&self.name, j.line + 1, e))?;
                let Some(line) = line else {
                    return Err(Error::input(
                        Location::file(&self.name),
                        "contains no JSON object (expected one object per line)",
                    ));
                };
                let keys = (!line.oversized)
                    .then(|| {
                        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(
                            &line.bytes,
                        )
                        .ok()
                    })
                    .flatten()
                    .map(|obj| obj.keys().cloned().collect::<Vec<_>>());
                self.pending.push_back(Raw::Json(line));
                if let Some(keys) = keys {
                    return Ok(keys);
                }
            },
        }
    }

    fn error(&self, record: u64, line: u64, field: Option<&str>, reason: String) -> CorpusItem {
        CorpusItem::Error(RecordError {
            record,
            line,
            article_id: None,
            field: field.map(str::to_string),
            reason,
        })
    }

    fn extract_csv(&self, record: u64, raw: CsvRecord) -> CorpusItem {
        if let Some(problem) = raw.problem {
            return self.error(record, raw.line, None, problem);
        }
        let expected = self.columns.names.len();
        if raw.fields.len() != expected {
            return self.error(
                record,
                raw.line,
                None,
                format!(
                    "wrong number of fields: {} (the header has {expected})",
                    raw.fields.len()
                ),
            );
        }
        let mut values = Vec::with_capacity(expected);
        for (i, bytes) in raw.fields.into_iter().enumerate() {
            match String::from_utf8(bytes) {
                Ok(s) => values.push(s),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let mut err = self.error(
                        record,
                        raw.line,
                        Some(self.columns.name(i)),
                        format!("invalid UTF-8 at byte {at} of the field"),
                    );
                    if let (CorpusItem::Error(re), Some(id)) = (&mut err, self.columns.id) {
                        re.article_id = values.get(id).cloned().filter(|s: &String| !s.is_empty());
                    }
                    return err;
                }
            }
        }
        self.build_record(record, raw.line, |i| {
            Ok(values.get_mut(i).map(std::mem::take).unwrap_or_default())
        })
    }

    fn extract_json(&self, record: u64, raw: JsonLine) -> CorpusItem {
        if raw.oversized {
            return self.error(
                record,
                raw.line,
                None,
                format!(
                    "line is larger than {} bytes (raise --max-article-bytes to accept it)",
                    self.options.max_record_bytes()
                ),
            );
        }
        let value: serde_json::Value = match serde_json::from_slice(&raw.bytes) {
            Ok(v) => v,
            Err(e) => return self.error(record, raw.line, None, format!("not valid JSON: {e}")),
        };
        let serde_json::Value::Object(mut obj) = value else {
            return self.error(
                record,
                raw.line,
                None,
                "not a JSON object (expected one object per line)".to_string(),
            );
        };
        let columns = &self.columns;
        self.build_record(record, raw.line, |i| {
            let name = columns.name(i);
            match obj.get_mut(name).map(std::mem::take) {
                None | Some(serde_json::Value::Null) => Ok(String::new()),
                Some(serde_json::Value::String(s)) => Ok(s),
                Some(v) if i == columns.text => {
                    Err(format!("expected a string, found {}", json_kind(&v)))
                }
                Some(v) => Ok(v.to_string()),
            }
        })
    }

    /// Builds the record from column values, checking the text.
    fn build_record(
        &self,
        record: u64,
        line: u64,
        mut value: impl FnMut(usize) -> std::result::Result<String, String>,
    ) -> CorpusItem {
        let c = &self.columns;
        let mut get = |index: Option<usize>| -> std::result::Result<String, (usize, String)> {
            match index {
                Some(i) => value(i).map_err(|e| (i, e)),
                None => Ok(String::new()),
            }
        };
        let fields = (|| {
            let id = get(c.id)?;
            let outlet = get(c.outlet)?;
            let date = get(c.date)?;
            let title = get(c.title)?;
            let carried = c
                .carried
                .iter()
                .map(|&i| get(Some(i)))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let text = get(Some(c.text))?;
            Ok((id, outlet, date, title, carried, text))
        })();
        let (id, outlet, date, title, carried, text) = match fields {
            Ok(f) => f,
            Err((i, reason)) => return self.error(record, line, Some(c.name(i)), reason),
        };
        let id = if id.trim().is_empty() {
            record.to_string()
        } else {
            id
        };
        let text_field = c.name(c.text);
        let problem = if text.trim().is_empty() {
            Some("empty text".to_string())
        } else if text.len() > self.options.max_article_bytes {
            Some(format!(
                "text is {} bytes, over the --max-article-bytes limit of {}",
                text.len(),
                self.options.max_article_bytes
            ))
        } else {
            None
        };
        if let Some(reason) = problem {
            return CorpusItem::Error(RecordError {
                record,
                line,
                article_id: Some(id),
                field: Some(text_field.to_string()),
                reason,
            });
        }
        CorpusItem::Article(CorpusRecord {
            record,
            line,
            id,
            outlet,
            date,
            title,
            carried,
            text,
        })
    }
}

/// Decodes the header row's names.
fn csv_header_names(header: CsvRecord, source: &str) -> Result<Vec<String>> {
    if let Some(problem) = header.problem {
        return Err(Error::input(
            Location::file(source).at_line(1),
            format!("header row: {problem}"),
        ));
    }
    header
        .fields
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i == 0 {
                f.strip_prefix(b"\xEF\xBB\xBF")
                    .map(<[u8]>::to_vec)
                    .unwrap_or(f)
            } else {
                f
            };
            String::from_utf8(f).map_err(|_| {
                Error::input(
                    Location::file(source).at_line(1),
                    format!("header column {} is not valid UTF-8", i + 1),
                )
            })
        })
        .collect()
}

/// Guesses CSV or JSONL from the first non-blank byte (`{` = JSONL).
fn sniff_format(input: &mut Box<dyn BufRead + Send>) -> io::Result<CorpusFormat> {
    let head = input.fill_buf()?;
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    Ok(if first == Some(&b'{') {
        CorpusFormat::Jsonl
    } else {
        CorpusFormat::Csv
    })
}

fn read_error(source: &str, line: u64, e: io::Error) -> Error {
    Error::input(
        Location::file(source).at_line(line),
        format!("cannot read further: {e}"),
    )
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(content: &[u8], name: &str, spec: &ColumnSpec) -> (ColumnMap, Vec<CorpusItem>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        let path = path.to_string_lossy().into_owned();
        let mut r = CorpusReader::open(&path, spec, CorpusOptions::default()).expect("open");
        let mut items = Vec::new();
        while let Some(item) = r.next_item().expect("read") {
            items.push(item);
        }
        (r.columns().clone(), items)
    }

    #[test]
    fn detects_columns_case_insensitively() {
        let csv = b"Stories_ID,Headline,Body,Media_Name,publish_date,lang\n7,T,Some text.,BBC,2024-01-02,en\n";
        let (cols, items) = read_all(csv, "c.csv", &ColumnSpec::default());
        assert_eq!(cols.role_name(cols.id), Some("Stories_ID"));
        assert_eq!(cols.name(cols.text), "Body");
        assert_eq!(cols.carried_names(), ["lang"]);
        let CorpusItem::Article(a) = &items[0] else {
            panic!("expected an article, got {:?}", items[0]);
        };
        assert_eq!(
            (
                a.id.as_str(),
                a.outlet.as_str(),
                a.date.as_str(),
                a.title.as_str()
            ),
            ("7", "BBC", "2024-01-02", "T")
        );
        assert_eq!(a.carried, ["en"]);
    }

    #[test]
    fn missing_text_column_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "id,words\n1,a\n").expect("write");
        let err = CorpusReader::open(
            &path.to_string_lossy(),
            &ColumnSpec::default(),
            CorpusOptions::default(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("no text column"), "{err}");
        assert!(err.contains("--text-col"), "{err}");
    }

    #[test]
    fn csv_errors_name_record_line_and_field() {
        let csv = b"id,text\n1,ok.\n2,\n3,a,b\n4,\"bad\xff\"\n";
        let (_, items) = read_all(csv, "c.csv", &ColumnSpec::default());
        let errors: Vec<&RecordError> = items
            .iter()
            .filter_map(|i| match i {
                CorpusItem::Error(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(errors.len(), 3);
        assert_eq!((errors[0].record, errors[0].line), (2, 3));
        assert_eq!(errors[0].reason, "empty text");
        assert!(errors[1].reason.contains("wrong number of fields"));
        assert_eq!(errors[2].field.as_deref(), Some("text"));
        assert_eq!(errors[2].article_id.as_deref(), Some("4"));
        assert!(errors[2].reason.contains("UTF-8"));
    }

    #[test]
    fn jsonl_reads_objects_and_reports_bad_lines() {
        let jsonl = b"not json\n{\"id\": 5, \"text\": \"Hello.\", \"extra\": [1]}\n\n{\"id\": 6, \"text\": 3}\n[1]\n";
        let (cols, items) = read_all(jsonl, "c.jsonl", &ColumnSpec::default());
        assert_eq!(cols.carried_names(), ["extra"]);
        assert_eq!(items.len(), 4);
        assert!(
            matches!(&items[0], CorpusItem::Error(e) if e.line == 1 && e.reason.contains("not valid JSON"))
        );
        let CorpusItem::Article(a) = &items[1] else {
            panic!("expected an article, got {:?}", items[1]);
        };
        assert_eq!((a.id.as_str(), a.carried[0].as_str()), ("5", "[1]"));
        assert!(
            matches!(&items[2], CorpusItem::Error(e) if e.line == 4 && e.field.as_deref() == Some("text"))
        );
        assert!(
            matches!(&items[3], CorpusItem::Error(e) if e.record == 4 && e.reason.contains("not a JSON object"))
        );
    }

    #[test]
    fn reads_gzip_and_skips_records() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"id,text\n1,a.\n2,b.\n3,c.\n").expect("gzip");
        let bytes = gz.finish().expect("gzip");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.csv.gz");
        std::fs::write(&path, &bytes).expect("write");
        let mut r = CorpusReader::open(
            &path.to_string_lossy(),
            &ColumnSpec::default(),
            CorpusOptions::default(),
        )
        .expect("open");
        assert!(r.is_gzip());
        assert_eq!(r.skip(2).expect("skip"), 2);
        let item = r.next_item().expect("read");
        assert!(matches!(item, Some(CorpusItem::Article(ref a)) if a.id == "3" && a.record == 3));
        assert!(r.next_item().expect("read").is_none());
        assert_eq!(r.stats().bytes_read(), bytes.len() as u64);
    }

    #[test]
    fn explicit_column_must_exist() {
        let spec = ColumnSpec {
            text: Some("missing".into()),
            ..Default::default()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "id,text\n1,a\n").expect("write");
        let err = CorpusReader::open(&path.to_string_lossy(), &spec, CorpusOptions::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("no column `missing`"), "{err}");
    }
}
