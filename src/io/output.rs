//! Per-sentence output rows and their writers. The CSV and JSONL schemas are
//! documented in README.md ("Output schema") and are stable.

use crate::error::{Error, Result};
use crate::io::table::{column_names, Column, ColumnType, Value};
use crate::model::Thresholds;
use crate::score::{ScoredArticle, ScoredCue, ScoredSentence};
use crate::taxonomy::{Device, LabelSet};
use serde::Serialize;
use std::io::Write;

/// What to include in the output: the columns (labels of the model's label
/// set, in the set's order or as selected) and the thresholds of `flagged`.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// The model's label set (what `probs` of a scored sentence is over).
    pub labels: LabelSet,
    /// The reported labels (probability columns), as positions in `labels`,
    /// in output order: the whole set, or those selected among it.
    pub columns: Vec<usize>,
    /// Thresholds that decide `flagged`.
    pub thresholds: Thresholds,
}

impl OutputOptions {
    /// The shipped devices (or the `devices` given) as columns, with the
    /// given thresholds; a single `threshold` overrides all. For a loaded
    /// model, use [`OutputOptions::for_labels`] with its label set.
    pub fn new(
        devices: Option<Vec<Device>>,
        thresholds: &Thresholds,
        threshold: Option<f32>,
    ) -> Self {
        let devices = devices.unwrap_or_else(|| Device::ALL.to_vec());
        let columns = devices.iter().map(|d| d.index()).collect();
        OutputOptions::with_columns(LabelSet::shipped().clone(), columns, thresholds, threshold)
    }

    /// The options of a model whose labels are `labels`: one probability
    /// column per label in the set's order, or per `selected` label (by
    /// name) in the order given; `flagged` lists the labels among them that
    /// reach their thresholds; a single `threshold` overrides all. A
    /// selected name that is not one of the model's labels is an error
    /// naming the labels.
    pub fn for_labels(
        labels: &LabelSet,
        selected: Option<Vec<String>>,
        thresholds: &Thresholds,
        threshold: Option<f32>,
    ) -> Result<Self> {
        let columns = match selected {
            None => (0..labels.len()).collect(),
            Some(selected) => selected
                .iter()
                .map(|name| {
                    labels.names().position(|n| n == name).ok_or_else(|| {
                        let names: Vec<&str> = labels.names().collect();
                        Error::Config(format!(
                            "the model has no label `{name}`; its labels are: {}",
                            names.join(", ")
                        ))
                    })
                })
                .collect::<Result<Vec<usize>>>()?,
        };
        Ok(OutputOptions::with_columns(
            labels.clone(),
            columns,
            thresholds,
            threshold,
        ))
    }

    fn with_columns(
        labels: LabelSet,
        columns: Vec<usize>,
        thresholds: &Thresholds,
        threshold: Option<f32>,
    ) -> Self {
        let mut thresholds = thresholds.clone();
        if let Some(t) = threshold {
            thresholds.set_all(t);
        }
        OutputOptions {
            labels,
            columns,
            thresholds,
        }
    }

    /// The names of the reported labels, in output order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns
            .iter()
            .map(|&i| self.labels.labels()[i].name.as_str())
            .collect()
    }

    /// The reported labels that are shipped devices, in output order (the
    /// device-only views: report colours, cues and spans).
    pub fn devices(&self) -> Vec<Device> {
        self.column_names()
            .into_iter()
            .filter_map(Device::from_id)
            .collect()
    }

    /// True when `device` is one of the reported labels (cues and spans name
    /// devices).
    pub fn reports_device(&self, device: Device) -> bool {
        self.columns
            .iter()
            .any(|&i| self.labels.labels()[i].name == device.id())
    }

    /// The threshold of the label at position `i` of the set.
    pub fn threshold(&self, i: usize) -> f32 {
        self.thresholds.label(i)
    }

    /// Positions (in the set) of the reported labels flagged in a sentence:
    /// those whose probability reaches their threshold, in output order.
    pub fn flagged(&self, s: &ScoredSentence) -> Vec<usize> {
        self.columns
            .iter()
            .copied()
            .filter(|&i| self.thresholds.label_reached(i, &s.probs))
            .collect()
    }

    /// Names of the labels flagged in a sentence (see [`OutputOptions::flagged`]).
    pub fn flagged_names(&self, s: &ScoredSentence) -> Vec<&str> {
        self.flagged(s)
            .into_iter()
            .map(|i| self.labels.labels()[i].name.as_str())
            .collect()
    }

    /// The flagged labels that are shipped devices (see [`OutputOptions::devices`]).
    pub fn flagged_devices(&self, s: &ScoredSentence) -> Vec<Device> {
        self.flagged_names(s)
            .into_iter()
            .filter_map(Device::from_id)
            .collect()
    }

    /// Cues of the reported labels.
    pub fn cues<'a>(&self, s: &'a ScoredSentence) -> Vec<&'a ScoredCue> {
        s.cues
            .iter()
            .filter(|c| self.reports_device(c.device))
            .collect()
    }
}

/// Parses a `flagged` cell as [`SentenceRow::flagged`] writes it (and the
/// `devices` column of a labelled CSV): `;`-separated device ids, possibly
/// empty; each device counts once even if repeated. The error names the
/// unknown id and lists the known ones.
pub fn parse_flagged(value: &str) -> std::result::Result<Vec<Device>, String> {
    let mut devices = Vec::new();
    for id in value.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let d: Device = id.parse()?;
        if !devices.contains(&d) {
            devices.push(d);
        }
    }
    Ok(devices)
}

/// A cue as written in CSV/JSONL output.
#[derive(Debug, Clone, Serialize)]
pub struct CueRow<'a> {
    /// Device id.
    pub device: &'static str,
    /// Char offsets in the original text.
    pub start: usize,
    /// End char offset (exclusive).
    pub end: usize,
    /// The cue text (normalised).
    pub text: &'a str,
    /// The pattern or method.
    pub pattern: &'a str,
    /// Weight or attribution score.
    pub weight: f32,
    /// Inside attributed speech.
    pub attributed: bool,
}

/// A technique span of the model's span head as written in CSV/JSONL output.
#[derive(Debug, Clone, Serialize)]
pub struct SpanRow<'a> {
    /// Device id of the technique.
    pub technique: &'static str,
    /// Char offsets in the original text.
    pub start: usize,
    /// End char offset (exclusive).
    pub end: usize,
    /// Byte offset of the start in the original text.
    pub byte_start: usize,
    /// Byte offset of the end (exclusive).
    pub byte_end: usize,
    /// The span text (normalised).
    pub text: &'a str,
    /// Mean probability of its word pieces (rounded to 4 decimals).
    pub probability: f32,
}

/// One sentence as written in JSONL/JSON output.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceRow<'a> {
    /// Article id.
    pub article_id: &'a str,
    /// 0-based sentence index within the article.
    pub sentence_index: usize,
    /// 0-based paragraph index.
    pub paragraph: usize,
    /// Char offset of the sentence start in the original text.
    pub start: usize,
    /// Char offset of the sentence end (exclusive).
    pub end: usize,
    /// Byte offset of the start in the original text.
    pub byte_start: usize,
    /// Byte offset of the end (exclusive).
    pub byte_end: usize,
    /// Attributed speech rather than the author's voice.
    pub attributed: bool,
    /// The normalised sentence text.
    pub text: &'a str,
    /// Probability that the sentence carries at least one device.
    pub framing: f32,
    /// Labels whose score reaches their threshold.
    pub flagged: Vec<&'a str>,
    /// Probability per selected label.
    pub scores: serde_json::Map<String, serde_json::Value>,
    /// Cues of the selected devices.
    pub cues: Vec<CueRow<'a>>,
    /// Technique spans of the model's span head (selected devices; empty
    /// for models without one).
    pub spans: Vec<SpanRow<'a>>,
}

impl<'a> SentenceRow<'a> {
    /// Builds the row of one sentence.
    pub fn new(article_id: &'a str, s: &'a ScoredSentence, options: &'a OutputOptions) -> Self {
        let names = options.labels.labels();
        let score = |&i: &usize| (names[i].name.clone(), round4(s.probs[i]).into());
        let scores = options.columns.iter().map(score).collect();
        SentenceRow {
            article_id,
            sentence_index: s.sentence.index,
            paragraph: s.sentence.paragraph,
            start: s.sentence.span.char_start,
            end: s.sentence.span.char_end,
            byte_start: s.sentence.span.byte_start,
            byte_end: s.sentence.span.byte_end,
            attributed: s.attributed,
            text: &s.sentence.text,
            framing: round4(s.framing),
            flagged: options.flagged_names(s),
            scores,
            cues: options
                .cues(s)
                .into_iter()
                .map(|c| CueRow {
                    device: c.device.id(),
                    start: c.span.char_start,
                    end: c.span.char_end,
                    text: &c.text,
                    pattern: &c.pattern,
                    weight: c.weight,
                    attributed: c.attributed,
                })
                .collect(),
            spans: s
                .spans
                .iter()
                .filter(|sp| options.reports_device(sp.device))
                .map(|sp| SpanRow {
                    technique: sp.device.id(),
                    start: sp.span.char_start,
                    end: sp.span.char_end,
                    byte_start: sp.span.byte_start,
                    byte_end: sp.span.byte_end,
                    text: &sp.text,
                    probability: round4(sp.probability),
                })
                .collect(),
        }
    }
}

/// Rounds a probability to 4 decimals for output.
pub fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// The CSV header for the selected devices: the names of [`sentence_columns`].
pub fn csv_header(options: &OutputOptions) -> Vec<String> {
    column_names(&sentence_columns(options))
}

/// The CSV fields of one row, matching [`csv_header`]: the cells of
/// [`sentence_values`] as text.
pub fn csv_fields(row: &SentenceRow<'_>) -> Result<Vec<String>> {
    Ok(sentence_values(row)?.iter().map(Value::csv_text).collect())
}

/// The typed per-sentence columns (their names are [`csv_header`]), for Parquet:
/// indices and offsets Int64, `attributed` Boolean, `text` and the `cues`
/// JSON Utf8, probabilities Float32, `flagged` a list of device ids.
pub fn sentence_columns(options: &OutputOptions) -> Vec<Column> {
    use ColumnType::{Boolean, Float32, Int64, Utf8, Utf8List};
    let leading = [
        ("article_id", Utf8),
        ("sentence_index", Int64),
        ("paragraph", Int64),
        ("start", Int64),
        ("end", Int64),
        ("byte_start", Int64),
        ("byte_end", Int64),
        ("attributed", Boolean),
        ("text", Utf8),
        ("framing", Float32),
        ("flagged", Utf8List),
    ];
    let devices = options.column_names().into_iter().map(|n| (n, Float32));
    leading
        .into_iter()
        .chain(devices)
        .chain([("cues", Utf8), ("spans", Utf8)])
        .map(|(name, kind)| Column::required(name, kind))
        .collect()
}

/// The typed cells of one row, matching [`sentence_columns`] (the values of
/// [`csv_fields`], unformatted).
pub fn sentence_values(row: &SentenceRow<'_>) -> Result<Vec<Value>> {
    let mut v = vec![
        Value::Text(row.article_id.to_string()),
        Value::count(row.sentence_index),
        Value::count(row.paragraph),
        Value::count(row.start),
        Value::count(row.end),
        Value::count(row.byte_start),
        Value::count(row.byte_end),
        Value::Bool(row.attributed),
        Value::Text(row.text.to_string()),
        Value::Float(row.framing),
        Value::List(row.flagged.iter().map(|d| d.to_string()).collect()),
    ];
    v.extend(
        row.scores
            .values()
            .map(|x| Value::Float(x.as_f64().unwrap_or(0.0) as f32)),
    );
    for json in [
        serde_json::to_string(&row.cues),
        serde_json::to_string(&row.spans),
    ] {
        v.push(Value::Text(json.map_err(|e| Error::Output(e.to_string()))?));
    }
    Ok(v)
}

/// Writes the CSV header row (see [`csv_header`]).
pub fn write_csv_header<W: Write>(w: &mut csv::Writer<W>, options: &OutputOptions) -> Result<()> {
    w.write_record(csv_header(options)).map_err(csv_error)
}

/// Writes the CSV rows of one article (no header), so callers can stream
/// article by article.
pub fn write_csv_article<W: Write>(
    w: &mut csv::Writer<W>,
    article: &ScoredArticle,
    options: &OutputOptions,
) -> Result<()> {
    for s in &article.sentences {
        w.write_record(csv_fields(&SentenceRow::new(&article.id, s, options))?)
            .map_err(csv_error)?;
    }
    Ok(())
}

/// Writes scored articles as JSON Lines (one sentence per line).
pub fn write_jsonl<W: Write>(
    mut out: W,
    articles: &[ScoredArticle],
    options: &OutputOptions,
) -> Result<()> {
    for a in articles {
        for s in &a.sentences {
            serde_json::to_writer(&mut out, &SentenceRow::new(&a.id, s, options))
                .map_err(json_error)?;
            out.write_all(b"\n").map_err(Error::output)?;
        }
    }
    out.flush().map_err(Error::output)
}

/// Writes scored articles as one JSON document: `{"articles":[{"id":…,"sentences":[…]}]}`.
pub fn write_json<W: Write>(
    mut out: W,
    articles: &[ScoredArticle],
    options: &OutputOptions,
) -> Result<()> {
    #[derive(Serialize)]
    struct ArticleOut<'a> {
        id: &'a str,
        title: Option<&'a str>,
        sentences: Vec<SentenceRow<'a>>,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        devices: Vec<&'a str>,
        articles: Vec<ArticleOut<'a>>,
    }
    let doc = Doc {
        devices: options.column_names(),
        articles: articles
            .iter()
            .map(|a| ArticleOut {
                id: &a.id,
                title: a.title.as_deref(),
                sentences: a
                    .sentences
                    .iter()
                    .map(|s| SentenceRow::new(&a.id, s, options))
                    .collect(),
            })
            .collect(),
    };
    out.write_all(&crate::json::pretty_text(&doc)?.into_bytes())
        .map_err(Error::output)?;
    out.flush().map_err(Error::output)
}

/// Maps a CSV error, keeping broken pipes recognisable.
pub fn csv_error(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::output(io),
        other => Error::Output(format!("{other:?}")),
    }
}

/// Maps a JSON serialisation error, keeping broken pipes recognisable.
pub fn json_error(e: serde_json::Error) -> Error {
    if let Some(kind) = e.io_error_kind() {
        return Error::output(std::io::Error::from(kind));
    }
    Error::Output(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_sentence_columns_match_the_csv_header() {
        let o = OutputOptions::new(None, &Thresholds::default(), None);
        let columns = sentence_columns(&o);
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        assert_eq!(names, csv_header(&o));
        let kind = |name: &str| columns.iter().find(|c| c.name == name).map(|c| c.kind);
        assert_eq!(kind("byte_end"), Some(ColumnType::Int64));
        assert_eq!(kind("attributed"), Some(ColumnType::Boolean));
        assert_eq!(kind("framing"), Some(ColumnType::Float32));
        assert_eq!(kind("flagged"), Some(ColumnType::Utf8List));
        assert_eq!(kind(Device::ALL[0].id()), Some(ColumnType::Float32));
        assert_eq!(kind("cues"), Some(ColumnType::Utf8));
        assert!(columns.iter().all(|c| !c.nullable));
    }

    #[test]
    fn the_fixed_columns_are_the_reserved_label_names() {
        let o = OutputOptions::new(Some(vec![]), &Thresholds::default(), None);
        assert_eq!(csv_header(&o), crate::taxonomy::RESERVED_LABEL_NAMES);
    }

    #[test]
    fn the_columns_follow_the_model_label_set() {
        let t = Thresholds::default();
        let shipped = OutputOptions::for_labels(LabelSet::shipped(), None, &t, None).unwrap();
        assert_eq!(
            csv_header(&shipped),
            csv_header(&OutputOptions::new(None, &t, None))
        );
        let def = |name: &str| crate::taxonomy::LabelDef {
            name: name.into(),
            definition: "A definition.".into(),
            level: crate::taxonomy::LabelLevel::Sentence,
        };
        let two = LabelSet::new(vec![def("slogans"), def("doubt")]).unwrap();
        let two_t = t.clone().aligned_to(&two).unwrap();
        let o = OutputOptions::for_labels(&two, None, &two_t, Some(0.3)).unwrap();
        assert_eq!(o.column_names(), ["slogans", "doubt"]);
        assert_eq!(o.devices(), [Device::Slogans, Device::Doubt]);
        assert_eq!(o.threshold(1), 0.3);
        let picked = OutputOptions::for_labels(&two, Some(vec!["doubt".into()]), &two_t, None);
        assert_eq!(picked.unwrap().column_names(), ["doubt"]);
        let e = OutputOptions::for_labels(&two, Some(vec!["repetition".into()]), &two_t, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no label `repetition`; its labels are: slogans, doubt"),
            "{e}"
        );
        // Labels of its own: columns by name, `flagged` by per-label thresholds.
        let own = LabelSet::new(vec![def("blame"), def("us_vs_them")]).unwrap();
        let own_t = Thresholds {
            labels: Some(vec![("us_vs_them".into(), 0.2), ("blame".into(), 0.7)]),
            ..Thresholds::default()
        }
        .aligned_to(&own)
        .unwrap();
        let o = OutputOptions::for_labels(&own, None, &own_t, None).unwrap();
        assert_eq!(o.column_names(), ["blame", "us_vs_them"]);
        assert_eq!((o.threshold(0), o.threshold(1)), (0.7, 0.2));
        assert!(o.devices().is_empty());
        let mut header = csv_header(&o);
        header.retain(|h| !crate::taxonomy::RESERVED_LABEL_NAMES.contains(&h.as_str()));
        assert_eq!(header, ["blame", "us_vs_them"]);
    }
}
