//! Coded files: sentences with the user's own 0/1 labels, the input of
//! `rhetor train --labels`.
//!
//! Formats (by extension, else by sniffing the first line):
//!
//! - CSV (`.csv`) and TSV (`.tsv`, `.tab`) with a header row; columns are
//!   found by header name, in any order, and other columns are ignored — so
//!   the file `rhetor sample` writes (and the coding page fills in) and any
//!   spreadsheet export read as they are;
//! - JSONL (`.jsonl`, `.ndjson`): one JSON object per line, fields by key.
//!
//! The text column is `text` unless [`CodedOptions::text_column`] says
//! otherwise. The label columns are [`CodedOptions::labels`] when given;
//! when none is given, every column other than the text column, the sample
//! file's fixed columns ([`super::sample::FIXED_COLUMNS`], and
//! [`super::sample::CHOSEN_COLUMNS`] of a sample chosen by a model) and the names no
//! label may have (`framing`, `flagged`, …:
//! [`crate::taxonomy::RESERVED_LABEL_NAMES`]) whose non-empty cells
//! are all label cells, with at least one non-empty cell.
//!
//! A label cell is read by [`super::sample::parse_label_cell`]: `1` / `0`
//! (also `1.0`/`0.0`, `true`/`false`, `yes`/`no`, any case; in JSONL also the
//! numbers and booleans), or empty (JSONL: `null` or a missing key) for "not
//! coded": that row does not count for that label. Anything else is an error
//! naming the file, line and column; so is an empty text. No row is dropped
//! silently: [`CodedFile::counts`] gives per label the rows coded and not
//! coded.

use super::sample::{parse_label_cell, CHOSEN_COLUMNS, FIXED_COLUMNS};
use crate::error::{Error, Location, Result};
use crate::taxonomy::RESERVED_LABEL_NAMES;
use sha2::{Digest, Sha256};
use std::path::Path;

/// How to read a coded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedOptions {
    /// Name of the column holding the sentence.
    pub text_column: String,
    /// Label columns, in output order; empty = every 0/1 column (see the module docs).
    pub labels: Vec<String>,
}

impl Default for CodedOptions {
    fn default() -> Self {
        CodedOptions {
            text_column: "text".into(),
            labels: Vec::new(),
        }
    }
}

/// The on-disk format of a coded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodedFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// One JSON object per line.
    Jsonl,
}

impl CodedFormat {
    /// The format's id (`csv`, `tsv`, `jsonl`).
    pub fn id(self) -> &'static str {
        match self {
            CodedFormat::Csv => "csv",
            CodedFormat::Tsv => "tsv",
            CodedFormat::Jsonl => "jsonl",
        }
    }

    /// The format of `bytes` read from `path`: by the extension, else JSONL
    /// when the first non-blank character is `{`, TSV when the first line has
    /// more tabs than commas, else CSV.
    pub fn detect(path: &Path, bytes: &[u8]) -> CodedFormat {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("csv") => return CodedFormat::Csv,
            Some("tsv" | "tab") => return CodedFormat::Tsv,
            Some("jsonl" | "ndjson") => return CodedFormat::Jsonl,
            _ => {}
        }
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
        let text = text.trim_start_matches('\u{feff}');
        if text.trim_start().starts_with('{') {
            return CodedFormat::Jsonl;
        }
        let first = text.lines().next().unwrap_or("");
        if first.matches('\t').count() > first.matches(',').count() {
            CodedFormat::Tsv
        } else {
            CodedFormat::Csv
        }
    }
}

/// One coded sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedText {
    /// 1-based line of the row in the file.
    pub line: u64,
    /// The sentence.
    pub text: String,
    /// Per label column (in [`CodedFile::labels`] order): `Some(positive)`, or `None` = not coded.
    pub labels: Vec<Option<bool>>,
}

impl CodedText {
    /// The gold `framing` (= some label of the set) of the row: positive
    /// when a label is coded 1, negative when every label is coded 0,
    /// unknown otherwise.
    pub fn framing(&self) -> Option<bool> {
        if self.labels.contains(&Some(true)) {
            Some(true)
        } else if self.labels.iter().all(Option::is_some) {
            Some(false)
        } else {
            None
        }
    }
}

/// How many rows a label has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LabelCount {
    /// The label column.
    pub name: String,
    /// Rows coded 0 or 1.
    pub coded: usize,
    /// Rows coded 1.
    pub positives: usize,
    /// Rows whose cell is empty (skipped for this label).
    pub not_coded: usize,
}

/// A coded file as read.
#[derive(Debug, Clone)]
pub struct CodedFile {
    /// The path (or source name) it was read from.
    pub source: String,
    /// Its format.
    pub format: CodedFormat,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// The label columns, in output order.
    pub labels: Vec<String>,
    /// Every data row, in file order.
    pub rows: Vec<CodedText>,
}

impl CodedFile {
    /// Per label: rows coded, positives, rows not coded.
    pub fn counts(&self) -> Vec<LabelCount> {
        self.labels
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let cells = self.rows.iter().map(|r| r.labels[k]);
                let coded = cells.clone().flatten().count();
                LabelCount {
                    name: name.clone(),
                    coded,
                    positives: cells.flatten().filter(|p| *p).count(),
                    not_coded: self.rows.len() - coded,
                }
            })
            .collect()
    }

    /// Rows with no label coded at all (they teach nothing).
    pub fn uncoded_rows(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.labels.iter().all(Option::is_none))
            .count()
    }
}

/// Reads a coded file (see the module docs).
pub fn read_coded(path: &Path, opts: &CodedOptions) -> Result<CodedFile> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let format = CodedFormat::detect(path, &bytes);
    read_coded_bytes(&bytes, &path.display().to_string(), format, opts)
}

/// [`read_coded`] from bytes in a known format; `source` names them in messages.
pub fn read_coded_bytes(
    bytes: &[u8],
    source: &str,
    format: CodedFormat,
    opts: &CodedOptions,
) -> Result<CodedFile> {
    let table = match format {
        CodedFormat::Csv => delimited(bytes, source, b',')?,
        CodedFormat::Tsv => delimited(bytes, source, b'\t')?,
        CodedFormat::Jsonl => jsonl(bytes, source)?,
    };
    let text_col = table.column(&opts.text_column).ok_or_else(|| {
        Error::input(
            Location::file(source).at_line(1),
            format!(
                "no text column `{}` (columns: {}); name it with --text-column",
                opts.text_column,
                table.columns.join(", ")
            ),
        )
    })?;
    let label_cols = label_columns(&table, text_col, opts, source)?;
    let rows = table
        .rows
        .iter()
        .map(|row| coded_row(&table, row, text_col, &label_cols, source))
        .collect::<Result<Vec<_>>>()?;
    Ok(CodedFile {
        source: source.to_string(),
        format,
        sha256: format!("{:x}", Sha256::digest(bytes)),
        labels: label_cols
            .iter()
            .map(|&c| table.columns[c].clone())
            .collect(),
        rows,
    })
}

/// Cells of a file as text, by column.
struct RawTable {
    columns: Vec<String>,
    /// Per data row: its 1-based line and its cells (`None` = absent).
    rows: Vec<(u64, Vec<Option<String>>)>,
}

impl RawTable {
    fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    fn cell<'r>(&self, row: &'r [Option<String>], col: usize) -> &'r str {
        row.get(col).and_then(|c| c.as_deref()).unwrap_or("")
    }
}

fn delimited(bytes: &[u8], source: &str, delimiter: u8) -> Result<RawTable> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(bytes);
    let bad = |line: u64, e: csv::Error| {
        Error::input(Location::file(source).at_line(line), e.to_string())
    };
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| bad(1, e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    check_unique(&columns, source)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            bad(line, e)
        })?;
        let line = record.position().map_or(0, |p| p.line());
        rows.push((line, record.iter().map(|c| Some(c.to_string())).collect()));
    }
    Ok(RawTable { columns, rows })
}

fn check_unique(columns: &[String], source: &str) -> Result<()> {
    for (i, name) in columns.iter().enumerate() {
        if let Some(first) = columns[..i].iter().position(|c| c == name) {
            return Err(Error::input(
                Location::file(source).at_line(1).in_field(name),
                format!(
                    "column `{name}` appears twice (columns {} and {})",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(())
}

fn jsonl(bytes: &[u8], source: &str) -> Result<RawTable> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::input(Location::file(source), format!("not UTF-8: {e}")))?;
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        let at = || Location::file(source).at_line(line_no);
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| Error::input(at(), format!("not a JSON object: {e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(Error::input(at(), "each line must be a JSON object"));
        };
        for key in map.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        objects.push((line_no, map));
    }
    let rows = objects
        .into_iter()
        .map(|(line, map)| {
            let cells = columns
                .iter()
                .map(|c| map.get(c).and_then(json_cell))
                .collect();
            (line, cells)
        })
        .collect();
    Ok(RawTable { columns, rows })
}

/// A JSON value as the text of a cell: strings as they are, numbers and
/// booleans as written, `null` absent, arrays and objects as JSON (which no
/// label cell accepts).
fn json_cell(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The label columns: the named ones (each must exist and differ from the
/// text column), or every 0/1 column.
fn label_columns(
    table: &RawTable,
    text_col: usize,
    opts: &CodedOptions,
    source: &str,
) -> Result<Vec<usize>> {
    let at_header = |name: &str| Location::file(source).at_line(1).in_field(name);
    if opts.labels.is_empty() {
        let auto: Vec<usize> = (0..table.columns.len())
            .filter(|&c| c != text_col && !is_reserved(&table.columns[c]))
            .filter(|&c| is_label_column(table, c))
            .collect();
        if auto.is_empty() {
            return Err(Error::input(
                Location::file(source).at_line(1),
                format!(
                    "no label column: no column holds only 1, 0 or empty cells (columns: {}); name the labels with --label",
                    table.columns.join(", ")
                ),
            ));
        }
        return Ok(auto);
    }
    opts.labels
        .iter()
        .map(|name| match table.column(name) {
            Some(c) if c == text_col => Err(Error::input(
                at_header(name),
                "the text column cannot also be a label",
            )),
            Some(c) => Ok(c),
            None => Err(Error::input(
                at_header(name),
                format!(
                    "no label column `{name}` (columns: {})",
                    table.columns.join(", ")
                ),
            )),
        })
        .collect()
}

/// Is `name` a column auto-detection never takes: the sample file's fixed
/// columns and the names no label may have (`framing`, `flagged`, …).
fn is_reserved(name: &str) -> bool {
    FIXED_COLUMNS.contains(&name)
        || CHOSEN_COLUMNS.contains(&name)
        || RESERVED_LABEL_NAMES.contains(&name)
}

/// Does column `c` hold only label cells, at least one of them non-empty?
fn is_label_column(table: &RawTable, c: usize) -> bool {
    let mut any = false;
    for (_, row) in &table.rows {
        match parse_label_cell(table.cell(row, c)) {
            Ok(Some(_)) => any = true,
            Ok(None) => {}
            Err(_) => return false,
        }
    }
    any
}

fn coded_row(
    table: &RawTable,
    (line, row): &(u64, Vec<Option<String>>),
    text_col: usize,
    label_cols: &[usize],
    source: &str,
) -> Result<CodedText> {
    let at = |c: usize| {
        Location::file(source)
            .at_line(*line)
            .in_field(table.columns[c].as_str())
    };
    let text = table.cell(row, text_col).trim().to_string();
    if text.is_empty() {
        return Err(Error::input(
            at(text_col),
            "empty text: every row needs its sentence (delete the row if it has none)",
        ));
    }
    let labels = label_cols
        .iter()
        .map(|&c| parse_label_cell(table.cell(row, c)).map_err(|m| Error::input(at(c), m)))
        .collect::<Result<Vec<_>>>()?;
    Ok(CodedText {
        line: *line,
        text,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &str, format: CodedFormat, labels: &[&str]) -> Result<CodedFile> {
        let opts = CodedOptions {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            ..CodedOptions::default()
        };
        read_coded_bytes(bytes.as_bytes(), "f.csv", format, &opts)
    }

    #[test]
    fn a_good_csv_reads_with_its_labels_and_counts() {
        let f = read(
            "id,text,biased,blame\n1,\"A, b.\",1,0\n2,C.,0,\n3,D.,TRUE,no\n",
            CodedFormat::Csv,
            &["biased", "blame"],
        )
        .unwrap();
        assert_eq!(f.labels, ["biased", "blame"]);
        assert_eq!(f.rows.len(), 3);
        assert_eq!(f.rows[0].text, "A, b.");
        assert_eq!(f.rows[0].line, 2);
        assert_eq!(f.rows[1].labels, [Some(false), None]);
        assert_eq!(f.rows[2].labels, [Some(true), Some(false)]);
        let counts = f.counts();
        assert_eq!(
            (counts[0].coded, counts[0].positives, counts[0].not_coded),
            (3, 2, 0)
        );
        assert_eq!(
            (counts[1].coded, counts[1].positives, counts[1].not_coded),
            (2, 0, 1)
        );
        assert_eq!(f.uncoded_rows(), 0);
        assert_eq!(f.sha256.len(), 64);
    }

    #[test]
    fn a_bad_cell_is_an_error_naming_file_line_and_column() {
        let err = read(
            "text,biased\nA.,1\nB.,maybe\n",
            CodedFormat::Csv,
            &["biased"],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("f.csv:3"), "{err}");
        assert!(err.contains("`biased`"), "{err}");
        assert!(err.contains("maybe"), "{err}");
    }

    #[test]
    fn an_empty_text_and_a_missing_column_are_errors() {
        let err = read("text,biased\n ,1\n", CodedFormat::Csv, &["biased"]).unwrap_err();
        assert!(err.to_string().contains("f.csv:2"), "{err}");
        assert!(err.to_string().contains("empty text"), "{err}");
        let err = read("text,biased\nA.,1\n", CodedFormat::Csv, &["blame"]).unwrap_err();
        assert!(err.to_string().contains("no label column `blame`"), "{err}");
        let err = read("sentence,biased\nA.,1\n", CodedFormat::Csv, &[]).unwrap_err();
        assert!(err.to_string().contains("--text-column"), "{err}");
    }

    #[test]
    fn empty_cells_are_kept_as_not_coded() {
        let f = read("text,biased\nA.,\nB.,1\n", CodedFormat::Csv, &["biased"]).unwrap();
        assert_eq!(f.rows.len(), 2);
        assert_eq!(f.rows[0].labels, [None]);
        assert_eq!(f.uncoded_rows(), 1);
        assert_eq!(f.counts()[0].not_coded, 1);
    }

    #[test]
    fn tsv_reads_by_extension_or_sniffing() {
        let bytes = "sentence_id\ttext\tsubjective\nx\tIt is, sadly, true.\t1\n";
        for name in ["f.tsv", "f.txt"] {
            let format = CodedFormat::detect(Path::new(name), bytes.as_bytes());
            assert_eq!(format, CodedFormat::Tsv, "{name}");
            let f = read(bytes, format, &[]).unwrap();
            assert_eq!(f.labels, ["subjective"]);
            assert_eq!(f.rows[0].text, "It is, sadly, true.");
        }
    }

    #[test]
    fn jsonl_reads_numbers_booleans_nulls_and_missing_keys() {
        let bytes =
            "{\"text\":\"A.\",\"biased\":1,\"blame\":false}\n\n{\"text\":\"B.\",\"biased\":null}\n";
        assert_eq!(
            CodedFormat::detect(Path::new("x"), bytes.as_bytes()),
            CodedFormat::Jsonl
        );
        let f = read(bytes, CodedFormat::Jsonl, &[]).unwrap();
        assert_eq!(f.labels, ["biased", "blame"]);
        assert_eq!(f.rows[0].labels, [Some(true), Some(false)]);
        assert_eq!(f.rows[1].labels, [None, None]);
        assert_eq!(f.rows[1].line, 3);
        let err = read(
            "{\"text\":\"A.\",\"biased\":[1]}\n",
            CodedFormat::Jsonl,
            &["biased"],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(":1") && err.contains("`biased`"), "{err}");
    }

    #[test]
    fn auto_label_columns_are_the_0_1_columns_outside_the_sample_fixed_ones() {
        let bytes = "article_id,sentence_index,stratum,inclusion_probability,context_before,text,context_after,coder,biased,blame,empty,framing\n\
                     a,0,s,1,,A.,,ann,1,,,1\n\
                     a,1,s,1,,B.,,ann,0,1,,1\n";
        let f = read(bytes, CodedFormat::Csv, &[]).unwrap();
        assert_eq!(f.labels, ["biased", "blame"]);
        assert_eq!(f.rows[0].labels, [Some(true), None]);
    }
}
