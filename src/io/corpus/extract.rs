//! Turning raw CSV and JSONL records into [`CorpusItem`]s: the column
//! values by role, and the checks that make a record an error.

use super::jsonl::JsonLine;
use super::{ColumnMap, CorpusItem, CorpusOptions, CorpusRecord, CsvRecord, RecordError};

/// Extracts records by the resolved columns.
pub(super) struct Extractor {
    /// The resolved columns.
    pub(super) columns: ColumnMap,
    /// The reader's options.
    pub(super) options: CorpusOptions,
}

impl Extractor {
    fn error(
        record: u64,
        line: u64,
        article_id: Option<String>,
        field: Option<&str>,
        reason: String,
    ) -> CorpusItem {
        CorpusItem::Error(RecordError {
            record,
            line,
            article_id,
            field: field.map(str::to_string),
            reason,
        })
    }

    /// A CSV record: checks its field count and UTF-8, then builds it.
    pub(super) fn csv(&self, record: u64, raw: CsvRecord) -> CorpusItem {
        let fail = |reason| Self::error(record, raw.line, None, None, reason);
        if let Some(problem) = raw.problem {
            return fail(problem);
        }
        let expected = self.columns.names.len();
        if raw.fields.len() != expected {
            let found = raw.fields.len();
            return fail(format!(
                "wrong number of fields: {found} (the header has {expected})"
            ));
        }
        let mut values = Vec::with_capacity(expected);
        for (i, bytes) in raw.fields.into_iter().enumerate() {
            match String::from_utf8(bytes) {
                Ok(s) => values.push(s),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let reason = format!("invalid UTF-8 at byte {at} of the field");
                    let id = self.columns.id.and_then(|id| values.get(id).cloned());
                    let id = id.filter(|s: &String| !s.is_empty());
                    return Self::error(record, raw.line, id, Some(self.columns.name(i)), reason);
                }
            }
        }
        self.build_record(record, raw.line, |i| {
            Ok(values.get_mut(i).map(std::mem::take).unwrap_or_default())
        })
    }

    /// A JSONL line: checks it is a JSON object, then builds the record.
    pub(super) fn json(&self, record: u64, raw: JsonLine) -> CorpusItem {
        let fail = |reason| Self::error(record, raw.line, None, None, reason);
        if raw.oversized {
            let max = self.options.max_record_bytes();
            return fail(format!(
                "line is larger than {max} bytes (raise --max-article-bytes to accept it)"
            ));
        }
        let value: serde_json::Value = match serde_json::from_slice(&raw.bytes) {
            Ok(v) => v,
            Err(e) => return fail(format!("not valid JSON: {e}")),
        };
        let serde_json::Value::Object(mut obj) = value else {
            return fail("not a JSON object (expected one object per line)".to_string());
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
            index.map_or(Ok(String::new()), |i| value(i).map_err(|e| (i, e)))
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
            Err((i, reason)) => return Self::error(record, line, None, Some(c.name(i)), reason),
        };
        let id = Some(id)
            .filter(|id| !id.trim().is_empty())
            .unwrap_or_else(|| record.to_string());
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
            return Self::error(record, line, Some(id), Some(c.name(c.text)), reason);
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
