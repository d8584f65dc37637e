//! The column schemas of `sentences.csv`, `articles.csv` and `errors.csv`,
//! and the formatting of their rows. The per-sentence columns reuse
//! [`crate::io::output`]'s single schema definition (without its leading
//! `article_id`, which comes first here together with outlet, date and title).

use crate::error::{Error, Result};
use crate::io::corpus::{CorpusRecord, RecordError};
use crate::io::output::{csv_error, csv_fields, csv_header, OutputOptions, SentenceRow};
use crate::score::ScoredArticle;

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

/// The per-sentence columns that follow the carried columns in `sentences.csv`:
/// [`csv_header`] without its leading `article_id`.
pub fn sentence_columns(options: &OutputOptions) -> Vec<String> {
    let mut header = csv_header(options);
    if header.first().map(String::as_str) == Some("article_id") {
        header.remove(0);
    }
    header
}

/// The header of `sentences.csv`.
pub fn sentences_header(options: &OutputOptions, carried: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ARTICLE_KEY_COLUMNS.iter().map(|s| s.to_string()).collect();
    h.extend(carried.iter().cloned());
    h.extend(sentence_columns(options));
    h
}

/// The names of the per-device count columns of `articles.csv`.
pub fn device_count_columns(options: &OutputOptions) -> Vec<String> {
    options
        .devices
        .iter()
        .map(|d| format!("{}_count", d.id()))
        .collect()
}

/// The header of `articles.csv`.
pub fn articles_header(options: &OutputOptions, carried: &[String]) -> Vec<String> {
    let mut h: Vec<String> = ARTICLE_KEY_COLUMNS.iter().map(|s| s.to_string()).collect();
    h.extend(carried.iter().cloned());
    h.extend(ARTICLE_STAT_COLUMNS.iter().map(|s| s.to_string()));
    h.extend(device_count_columns(options));
    h
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
    /// Per selected device: sentences flagged with it.
    pub device_counts: Vec<u64>,
}

impl ArticleStats {
    /// Computes the statistics of a scored article.
    pub fn of(article: &ScoredArticle, options: &OutputOptions) -> ArticleStats {
        let mut stats = ArticleStats {
            sentences: article.sentences.len() as u64,
            framing_sentences: 0,
            framing_mean: 0.0,
            framing_max: 0.0,
            device_counts: vec![0; options.devices.len()],
        };
        let mut sum = 0.0f64;
        for s in &article.sentences {
            let framing = f64::from(s.framing);
            sum += framing;
            stats.framing_max = stats.framing_max.max(framing);
            if s.framing >= options.thresholds.framing {
                stats.framing_sentences += 1;
            }
            for (count, d) in stats.device_counts.iter_mut().zip(&options.devices) {
                if options.thresholds.reached(*d, &s.probs) {
                    *count += 1;
                }
            }
        }
        if stats.sentences > 0 {
            stats.framing_mean = sum / stats.sentences as f64;
        }
        stats
    }

    /// Share of framing sentences (0 for an article without sentences).
    pub fn framing_rate(&self) -> f64 {
        if self.sentences == 0 {
            0.0
        } else {
            self.framing_sentences as f64 / self.sentences as f64
        }
    }
}

/// The leading fields (id, outlet, date, title, carried) of a record's rows.
fn key_fields(record: &CorpusRecord) -> Vec<String> {
    let mut f = vec![
        record.id.clone(),
        record.outlet.clone(),
        record.date.clone(),
        record.title.clone(),
    ];
    f.extend(record.carried.iter().cloned());
    f
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

/// The `sentences.csv` rows of one article, as CSV bytes.
pub fn sentence_rows(
    record: &CorpusRecord,
    article: &ScoredArticle,
    options: &OutputOptions,
) -> Result<Vec<u8>> {
    let key = key_fields(record);
    let mut w = csv::Writer::from_writer(Vec::new());
    for s in &article.sentences {
        let fields = csv_fields(&SentenceRow::new(&article.id, s, options))?;
        w.write_record(key.iter().chain(fields.iter().skip(1)))
            .map_err(csv_error)?;
    }
    w.into_inner()
        .map_err(|e| Error::Output(e.error().to_string()))
}

/// The `articles.csv` row of one article, as CSV bytes.
pub fn article_row(record: &CorpusRecord, stats: &ArticleStats) -> Result<Vec<u8>> {
    let mut row = key_fields(record);
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
    csv_bytes([vec![
        e.record.to_string(),
        e.line.to_string(),
        e.article_id.clone().unwrap_or_default(),
        e.field.clone().unwrap_or_default(),
        e.reason.clone(),
    ]])
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
        let full = csv_header(&o);
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
