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

mod columns;
mod csv_records;
mod extract;
mod jsonl;
mod reader;

pub use columns::{
    ColumnMap, ColumnSpec, DATE_NAMES, ID_NAMES, OUTLET_NAMES, TEXT_NAMES, TITLE_NAMES,
};
pub use csv_records::{CsvRecord, CsvRecords};
pub use reader::{CorpusReader, InputStats};

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
        let fields = [&a.id, &a.outlet, &a.date, &a.title];
        assert_eq!(fields, ["7", "BBC", "2024-01-02", "T"]);
        assert_eq!(a.carried, ["en"]);
    }

    #[test]
    fn missing_text_column_is_a_clear_error() {
        let err = open_error("id,words\n1,a\n", &ColumnSpec::default());
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
        let err = open_error("id,text\n1,a\n", &spec);
        assert!(err.contains("no column `missing`"), "{err}");
    }

    /// The error of opening a CSV corpus holding `content`.
    fn open_error(content: &str, spec: &ColumnSpec) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.csv");
        std::fs::write(&path, content).expect("write");
        CorpusReader::open(&path.to_string_lossy(), spec, CorpusOptions::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }
}
