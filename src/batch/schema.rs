//! The column schemas of `sentences.csv`, `articles.csv` and `errors.csv`
//! (and of their typed `.parquet` twins), and the formatting of their rows.
//! The per-sentence columns reuse [`crate::io::output`]'s single schema
//! definition (without its leading `article_id`, which comes first here
//! together with outlet, date and title). The typed tables
//! ([`sentences_table`], …) have exactly the names of the CSV headers.

use crate::error::{Error, Result};
use crate::io::corpus::{CorpusRecord, RecordError};
use crate::io::output::{self, csv_error, OutputOptions, SentenceRow};
use crate::io::table::{column_names, Column, ColumnType, Value};
use crate::score::{ScoredArticle, ScoredSentence};

/// The leading columns of `sentences.csv` and `articles.csv`.
pub const ARTICLE_KEY_COLUMNS: [&str; 4] = ["article_id", "outlet", "date", "title"];

/// The statistics columns of `articles.csv` (before the per-device counts).
pub const ARTICLE_STAT_COLUMNS: [&str; 5] = [
    "sentences",
    "framing_sentences",
    "framing_rate",
    "framing_mean",
    "framing_max",
];

/// The columns of `errors.csv`.
pub const ERROR_COLUMNS: [&str; 5] = ["record", "line", "article_id", "field", "reason"];

/// The header of `sentences.csv`: the names of [`sentences_table`].
pub fn sentences_header(options: &OutputOptions, carried: &[String]) -> Vec<String> {
    column_names(&sentences_table(options, carried))
}

/// The header of `articles.csv`: the names of [`articles_table`].
pub fn articles_header(options: &OutputOptions, carried: &[String]) -> Vec<String> {
    column_names(&articles_table(options, carried))
}

/// Output names for the carried input columns: a name that would clash with
/// an output column (or an earlier carried column) gets an `input_` prefix;
/// an empty name becomes `column_<n>` (1-based input position).
pub fn carried_output_names(
    names: &[String],
    positions: &[usize],
    options: &OutputOptions,
) -> Vec<String> {
    let mut taken: Vec<String> = sentences_header(options, &[]);
    taken.extend(articles_header(options, &[]));
    taken.extend(ERROR_COLUMNS.iter().map(|s| s.to_string()));
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let mut candidate = if name.trim().is_empty() {
            format!("column_{}", positions.get(i).map_or(i, |p| *p) + 1)
        } else {
            name.clone()
        };
        while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
            candidate = format!("input_{candidate}");
        }
        taken.push(candidate.clone());
        out.push(candidate);
    }
    out
}

/// The typed leading columns: `article_id` (never null), then outlet, date,
/// title and the carried columns (null when empty).
fn key_columns(carried: &[String]) -> Vec<Column> {
    let optional = ARTICLE_KEY_COLUMNS[1..].iter().map(|n| n.to_string());
    let optional = optional
        .chain(carried.iter().cloned())
        .map(Column::optional_text);
    let id = Column::required(ARTICLE_KEY_COLUMNS[0], ColumnType::Utf8);
    std::iter::once(id).chain(optional).collect()
}

/// The typed columns of `sentences.parquet`: the key and carried columns,
/// then [`output::sentence_columns`] without its leading `article_id`.
pub fn sentences_table(options: &OutputOptions, carried: &[String]) -> Vec<Column> {
    let mut c = key_columns(carried);
    c.extend(output::sentence_columns(options).into_iter().skip(1));
    c
}

/// The typed columns of `articles.parquet`: the key and carried columns, the
/// statistics, then a count per device.
pub fn articles_table(options: &OutputOptions, carried: &[String]) -> Vec<Column> {
    use ColumnType::{Float32, Int64};
    let mut c = key_columns(carried);
    let kinds = [Int64, Int64, Float32, Float32, Float32];
    c.extend(
        ARTICLE_STAT_COLUMNS
            .iter()
            .zip(kinds)
            .map(|(n, k)| Column::required(*n, k)),
    );
    c.extend(
        options
            .column_names()
            .into_iter()
            .map(|n| Column::required(format!("{n}_count"), Int64)),
    );
    c
}

/// The typed columns of `errors.parquet` (names = [`ERROR_COLUMNS`]).
pub fn errors_table() -> Vec<Column> {
    vec![
        Column::required("record", ColumnType::Int64),
        Column::required("line", ColumnType::Int64),
        Column::optional_text("article_id"),
        Column::optional_text("field"),
        Column::required("reason", ColumnType::Utf8),
    ]
}

/// Per-article statistics, as written in `articles.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleStats {
    /// Number of sentences.
    pub sentences: u64,
    /// Sentences whose framing score reaches the framing threshold.
    pub framing_sentences: u64,
    /// Mean framing score.
    pub framing_mean: f64,
    /// Largest framing score.
    pub framing_max: f64,
    /// Per selected label: sentences flagged with it.
    pub device_counts: Vec<u64>,
}

impl ArticleStats {
    /// Computes the statistics of a scored article.
    pub fn of(article: &ScoredArticle, options: &OutputOptions) -> ArticleStats {
        let sentences = &article.sentences;
        let count = |flagged: &dyn Fn(&ScoredSentence) -> bool| {
            sentences.iter().filter(|s| flagged(s)).count() as u64
        };
        let framing = sentences.iter().map(|s| f64::from(s.framing));
        ArticleStats {
            sentences: sentences.len() as u64,
            framing_sentences: count(&|s| s.framing >= options.thresholds.framing),
            framing_mean: framing.clone().fold(0.0, |sum, x| sum + x)
                / sentences.len().max(1) as f64,
            framing_max: framing.fold(0.0, f64::max),
            device_counts: options
                .columns
                .iter()
                .map(|&i| count(&|s| options.thresholds.label_reached(i, &s.probs)))
                .collect(),
        }
    }

    /// Share of framing sentences (0 for an article without sentences).
    pub fn framing_rate(&self) -> f64 {
        self.framing_sentences as f64 / self.sentences.max(1) as f64
    }
}

/// The typed leading cells (id, outlet, date, title, carried) of a record's rows.
fn key_values(record: &CorpusRecord) -> Vec<Value> {
    [&record.id, &record.outlet, &record.date, &record.title]
        .into_iter()
        .chain(&record.carried)
        .map(|f| Value::Text(f.clone()))
        .collect()
}

/// The typed `sentences` rows of one article (see [`sentences_table`]).
pub fn sentence_values(
    record: &CorpusRecord,
    article: &ScoredArticle,
    options: &OutputOptions,
) -> Result<Vec<Vec<Value>>> {
    let key = key_values(record);
    article
        .sentences
        .iter()
        .map(|s| {
            let cells = output::sentence_values(&SentenceRow::new(&article.id, s, options))?;
            Ok(key
                .iter()
                .cloned()
                .chain(cells.into_iter().skip(1))
                .collect())
        })
        .collect()
}

/// A statistic as its CSV twin holds it (4 decimals), as a float32.
fn stat(x: f64) -> Value {
    Value::Float(((x * 10_000.0).round() / 10_000.0) as f32)
}

/// The typed `articles` row of one article (see [`articles_table`]).
pub fn article_values(record: &CorpusRecord, stats: &ArticleStats) -> Vec<Value> {
    let mut row = key_values(record);
    row.push(Value::count(stats.sentences));
    row.push(Value::count(stats.framing_sentences));
    row.push(stat(stats.framing_rate()));
    row.push(stat(stats.framing_mean));
    row.push(stat(stats.framing_max));
    row.extend(stats.device_counts.iter().map(|n| Value::count(*n)));
    row
}

/// The typed `errors` row of a record that could not be scored.
pub fn error_values(e: &RecordError) -> Vec<Value> {
    vec![
        Value::count(e.record),
        Value::count(e.line),
        Value::Text(e.article_id.clone().unwrap_or_default()),
        Value::Text(e.field.clone().unwrap_or_default()),
        Value::Text(e.reason.clone()),
    ]
}

/// Encodes rows as CSV bytes.
pub fn csv_bytes<I>(rows: I) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(&row).map_err(csv_error)?;
    }
    w.into_inner()
        .map_err(|e| Error::Output(e.error().to_string()))
}

/// The `sentences.csv` rows of one article, as CSV bytes: the cells of
/// [`sentence_values`] as text.
pub fn sentence_rows(
    record: &CorpusRecord,
    article: &ScoredArticle,
    options: &OutputOptions,
) -> Result<Vec<u8>> {
    csv_bytes(
        sentence_values(record, article, options)?
            .iter()
            .map(|row| row.iter().map(Value::csv_text).collect()),
    )
}

/// The `articles.csv` row of one article, as CSV bytes.
pub fn article_row(record: &CorpusRecord, stats: &ArticleStats) -> Result<Vec<u8>> {
    let mut row: Vec<String> = key_values(record).iter().map(Value::csv_text).collect();
    row.push(stats.sentences.to_string());
    row.push(stats.framing_sentences.to_string());
    row.push(format!("{:.4}", stats.framing_rate()));
    row.push(format!("{:.4}", stats.framing_mean));
    row.push(format!("{:.4}", stats.framing_max));
    row.extend(stats.device_counts.iter().map(u64::to_string));
    csv_bytes([row])
}

/// The `errors.csv` row of a record that could not be scored, as CSV bytes.
pub fn error_row(e: &RecordError) -> Result<Vec<u8>> {
    csv_bytes([error_values(e).iter().map(Value::csv_text).collect()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Thresholds;

    fn options() -> OutputOptions {
        OutputOptions::new(None, &Thresholds::default(), None)
    }

    #[test]
    fn sentence_schema_reuses_the_score_schema() {
        let o = options();
        let full = output::csv_header(&o);
        let h = sentences_header(&o, &["lang".to_string()]);
        assert_eq!(&h[..5], ["article_id", "outlet", "date", "title", "lang"]);
        assert_eq!(&h[5..], &full[1..]);
    }

    #[test]
    fn articles_schema_has_counts_per_device() {
        let o = options();
        let h = articles_header(&o, &[]);
        assert_eq!(h[4], "sentences");
        assert_eq!(h.len(), 4 + 5 + crate::taxonomy::Device::ALL.len());
        assert!(h.last().is_some_and(|c| c.ends_with("_count")));
    }

    #[test]
    fn clashing_carried_names_are_prefixed() {
        let o = options();
        let names = vec![
            "framing".to_string(),
            "lang".to_string(),
            "LANG".to_string(),
            String::new(),
        ];
        let out = carried_output_names(&names, &[2, 3, 4, 5], &o);
        assert_eq!(out, ["input_framing", "lang", "input_LANG", "column_6"]);
    }

    #[test]
    fn typed_tables_have_the_csv_names_and_types() {
        let o = options();
        let carried = ["lang".to_string()];
        let names = |c: &[Column]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        let sentences = sentences_table(&o, &carried);
        let articles = articles_table(&o, &carried);
        assert_eq!(names(&sentences), sentences_header(&o, &carried));
        assert_eq!(names(&articles), articles_header(&o, &carried));
        assert_eq!(names(&errors_table()), ERROR_COLUMNS);
        let kind = |c: &[Column], n: &str| c.iter().find(|c| c.name == n).map(|c| c.kind);
        assert_eq!(kind(&sentences, "start"), Some(ColumnType::Int64));
        assert_eq!(kind(&sentences, "flagged"), Some(ColumnType::Utf8List));
        assert_eq!(kind(&articles, "framing_rate"), Some(ColumnType::Float32));
        assert_eq!(kind(&articles, "doubt_count"), Some(ColumnType::Int64));
        assert!(!sentences[0].nullable && sentences[1..5].iter().all(|c| c.nullable));
    }

    #[test]
    fn typed_rows_match_the_csv_rows() {
        let e = RecordError {
            record: 3,
            line: 7,
            article_id: None,
            field: Some("text".into()),
            reason: "empty".into(),
        };
        let v = error_values(&e);
        assert_eq!(v.len(), errors_table().len());
        assert_eq!(v[0], Value::Int(3));
        assert_eq!(v[2], Value::Text(String::new()));
        assert_eq!(stat(0.123_456), Value::Float(0.1235));
    }

    #[test]
    fn error_rows_are_quoted_csv() {
        let e = RecordError {
            record: 3,
            line: 7,
            article_id: Some("a,b".into()),
            field: None,
            reason: "bad \"x\"".into(),
        };
        let bytes = error_row(&e).expect("row");
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "3,7,\"a,b\",,\"bad \"\"x\"\"\"\n"
        );
    }
}
