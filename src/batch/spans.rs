//! `spans.csv` / `spans.parquet`: one row per technique span of the model's
//! span head, derived from the finished run's sentences table (its `spans`
//! column), so that the streamed outputs and their checkpoints stay as they
//! are. Written for every complete run; only the header for models without a
//! span head.

use super::files::{
    partial_path, OutTable, Rows, SENTENCES_FILE, SENTENCES_PARQUET, SPANS_FILE, SPANS_PARQUET,
};
use super::schema::csv_bytes;
use crate::error::{Error, Location, Result};
use crate::io::columns::{Column, ColumnType, Value};
use crate::io::table::{TableFormat, TableReader};
use serde::Deserialize;
use std::path::Path;

/// Rows handed to the table writer at once.
const CHUNK: usize = 4096;

/// The columns of the spans table.
pub fn spans_table() -> Vec<Column> {
    use ColumnType::{Float32, Int64, Utf8};
    [
        ("article_id", Utf8),
        ("sentence_index", Int64),
        ("technique", Utf8),
        ("start", Int64),
        ("end", Int64),
        ("byte_start", Int64),
        ("byte_end", Int64),
        ("probability", Float32),
        ("text", Utf8),
    ]
    .into_iter()
    .map(|(name, kind)| Column::required(name, kind))
    .collect()
}

/// One span as stored in the sentences table's `spans` column.
#[derive(Debug, Deserialize)]
struct SpanJson {
    technique: String,
    start: u64,
    end: u64,
    byte_start: u64,
    byte_end: u64,
    text: String,
    probability: f32,
}

/// Writes the spans table of the complete run in `dir`, in the format of its
/// sentences table; nothing when there is no sentences table with the
/// `article_id`, `sentence_index` and `spans` columns.
pub fn write_spans_table(dir: &Path) -> Result<()> {
    let tables = [
        (SENTENCES_FILE, TableFormat::Csv, SPANS_FILE),
        (SENTENCES_PARQUET, TableFormat::Parquet, SPANS_PARQUET),
    ];
    let Some((sentences, format, name)) = tables.into_iter().find(|t| dir.join(t.0).is_file())
    else {
        return Ok(());
    };
    let mut reader = TableReader::open(&dir.join(sentences))?;
    let position = |n: &str| reader.headers().iter().position(|h| h == n);
    let (Some(id), Some(index), Some(spans)) = (
        position("article_id"),
        position("sentence_index"),
        position("spans"),
    ) else {
        return Ok(());
    };
    reader.keep_only(&[id, index, spans]);
    let source = reader.source().to_string();
    let mut table = OutTable::create(dir, name, format, spans_table())?;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for record in reader {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let at = || Location::file(&source).at_line(line).in_field("spans");
        let cell = record.get(spans).unwrap_or("").trim();
        if cell.is_empty() || cell == "[]" {
            continue;
        }
        let parsed: Vec<SpanJson> = serde_json::from_str(cell)
            .map_err(|e| Error::input(at(), format!("not a JSON array of spans: {e}")))?;
        let sentence_index: i64 = record
            .get(index)
            .unwrap_or("")
            .trim()
            .parse()
            .map_err(|_| Error::input(at(), "sentence_index is not an integer".to_string()))?;
        for sp in parsed {
            rows.push(span_row(record.get(id).unwrap_or(""), sentence_index, sp));
        }
        if rows.len() >= CHUNK {
            table.append(encode(format, std::mem::take(&mut rows))?)?;
        }
    }
    table.append(encode(format, rows)?)?;
    table.finish()?;
    let done = dir.join(name);
    std::fs::rename(partial_path(dir, name), &done).map_err(|e| Error::io(&done, e))
}

fn span_row(article_id: &str, sentence_index: i64, sp: SpanJson) -> Vec<Value> {
    vec![
        Value::Text(article_id.to_string()),
        Value::Int(sentence_index),
        Value::Text(sp.technique),
        Value::count(sp.start),
        Value::count(sp.end),
        Value::count(sp.byte_start),
        Value::count(sp.byte_end),
        Value::Float(sp.probability),
        Value::Text(sp.text),
    ]
}

/// Rows in the form the table of `format` takes.
fn encode(format: TableFormat, rows: Vec<Vec<Value>>) -> Result<Rows> {
    match format {
        TableFormat::Parquet => Ok(Rows::Typed(rows)),
        TableFormat::Csv => {
            csv_bytes(rows.into_iter().map(|r| r.iter().map(cell).collect())).map(Rows::Csv)
        }
    }
}

/// A cell as CSV text.
fn cell(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(l) => l.join(";"),
    }
}
