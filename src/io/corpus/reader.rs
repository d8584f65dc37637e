//! [`CorpusReader`]: opens a corpus (gzip or not, CSV or JSONL), resolves its
//! columns and streams its records, hashing the raw bytes as they pass.

use super::columns::csv_header_names;
use super::extract::Extractor;
use super::jsonl::{JsonLine, JsonLines};
use super::{
    ColumnMap, ColumnSpec, CorpusFormat, CorpusItem, CorpusOptions, CsvRecord, CsvRecords,
};
use crate::error::{Error, Location, Result};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    extract: Extractor,
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
            extract: Extractor {
                columns: ColumnMap::default(),
                options,
            },
            next_record: 1,
            pending: VecDeque::new(),
            stats,
        };
        let names = reader.read_column_names()?;
        reader.extract.columns = ColumnMap::resolve(names, spec, &reader.name)?;
        Ok(reader)
    }

    /// The resolved columns.
    pub fn columns(&self) -> &ColumnMap {
        &self.extract.columns
    }

    /// The input's format.
    pub fn format(&self) -> CorpusFormat {
        self.format
    }

    /// True when the input is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
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
            Raw::Csv(r) => self.extract.csv(record, r),
            Raw::Json(l) => self.extract.json(record, l),
        }))
    }

    /// Skips `n` records without extracting them (used to resume). Returns how many were skipped.
    pub fn skip(&mut self, n: u64) -> Result<u64> {
        for skipped in 0..n {
            if self.next_raw()?.is_none() {
                return Ok(skipped);
            }
            self.next_record += 1;
        }
        Ok(n)
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
                type Object = serde_json::Map<String, serde_json::Value>;
                let object = serde_json::from_slice::<Object>(&line.bytes).ok();
                let keys = object
                    .filter(|_| !line.oversized)
                    .map(|o| o.keys().cloned().collect());
                self.pending.push_back(Raw::Json(line));
                if let Some(keys) = keys {
                    return Ok(keys);
                }
            },
        }
    }
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
