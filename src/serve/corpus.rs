//! The Corpus page's index of a `rhetor batch` output folder, built once at
//! start-up: the articles of `articles.csv` (metadata and counts, read by
//! `compare`'s reader) and, from one pass over `sentences.csv`, each
//! article's highest score per device and the byte position of its first
//! sentence row. Queries filter and sort the index in memory and return one
//! page; opening an article reads only its rows.

use super::api::{Mark, SentenceOut};
use crate::compare::input::{read_dataset, Dataset, ReadOptions};
use crate::compare::Measure;
use crate::error::{Error, Location, Result};
use crate::io::sentences::{SentenceColumns, SentenceRecord};
use crate::report::view::locate;
use crate::taxonomy::{Device, DeviceMap};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Group columns with more distinct values than this are not offered as filters.
const MAX_GROUP_VALUES: usize = 500;
/// The largest page.
pub const MAX_PAGE: usize = 200;

/// Where an article's sentences are and how high they score.
#[derive(Debug, Clone)]
struct Scores {
    framing_max: f32,
    device_max: DeviceMap<f32>,
    /// Per label of the codebook's own model ([`Dataset::own_labels`]).
    own_max: Vec<f32>,
    offset: u64,
    rows: u32,
}

/// The index.
pub struct Corpus {
    /// The articles (also the input of the Compare page).
    pub data: std::sync::Arc<Dataset>,
    scores: Vec<Option<Scores>>,
    by_id: HashMap<String, usize>,
    sentences_path: PathBuf,
    date_col: Option<usize>,
    title_col: Option<usize>,
    /// Group columns offered as filters: (meta column index, name, sorted values).
    groups: Vec<(usize, String, Vec<String>)>,
}

/// A corpus query (from the query string).
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// `group column → value` filters.
    pub groups: Vec<(String, String)>,
    /// Dates from (inclusive, ISO prefix).
    pub from: Option<String>,
    /// Dates to (inclusive, ISO prefix).
    pub to: Option<String>,
    /// Device or label of the model's own (or none: framing).
    pub device: Option<Measure>,
    /// Minimum score (of the device, else the framing score).
    pub min_score: Option<f32>,
    /// Title contains (case-insensitive).
    pub text: Option<String>,
    /// First row of the page.
    pub offset: usize,
    /// Rows per page.
    pub limit: usize,
}

/// One row of a result page.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleRow {
    /// Article id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Date.
    pub date: String,
    /// Metadata column → value.
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// Sentences.
    pub sentences: u64,
    /// Framing sentences.
    pub framing_sentences: u64,
    /// Sentences flagged with the queried device (or framing).
    pub flagged: u64,
    /// The highest score of the queried device (or framing) in the article.
    pub score: f32,
}

/// A result page.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// Matching articles.
    pub total: usize,
    /// First row.
    pub offset: usize,
    /// Rows asked for.
    pub limit: usize,
    /// The rows.
    pub articles: Vec<ArticleRow>,
}

impl Corpus {
    /// Builds the index of a batch folder.
    pub fn open(dir: &Path) -> Result<Corpus> {
        let articles = dir.join("articles.csv");
        let sentences_path = dir.join("sentences.csv");
        for p in [&articles, &sentences_path] {
            if !p.is_file() {
                return Err(Error::input(
                    Location::file(p.display().to_string()),
                    "missing: --batch needs the folder `rhetor batch --format csv` writes (articles.csv, sentences.csv)",
                ));
            }
        }
        let data = std::sync::Arc::new(read_dataset(&articles, ReadOptions::default())?);
        let by_id: HashMap<String, usize> = data
            .articles
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        let scores = scan_sentences(&sentences_path, &by_id, &data.own_labels)?;
        let date_col = data.meta_index("date");
        let title_col = data.meta_index("title");
        let mut groups = Vec::new();
        for (k, name) in data.meta_columns.iter().enumerate() {
            if Some(k) == date_col || Some(k) == title_col {
                continue;
            }
            let mut values: Vec<String> = data.articles.iter().map(|a| a.meta[k].clone()).collect();
            values.sort();
            values.dedup();
            // A column with a value per article (a URL, an id) is not a group.
            if values.len() <= MAX_GROUP_VALUES
                && values.len() > 1
                && values.len() < data.articles.len()
            {
                groups.push((k, name.clone(), values));
            }
        }
        Ok(Corpus {
            data,
            scores,
            by_id,
            sentences_path,
            date_col,
            title_col,
            groups,
        })
    }

    /// The batch's sentences table.
    pub fn sentences_path(&self) -> &std::path::Path {
        &self.sentences_path
    }

    /// What the filters offer: group columns and their values, the date range.
    pub fn meta(&self) -> serde_json::Value {
        let dates: Vec<&str> = self
            .date_col
            .map(|k| {
                self.data
                    .articles
                    .iter()
                    .map(|a| a.meta[k].get(..10).unwrap_or(a.meta[k].as_str()))
                    .filter(|d| !d.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        serde_json::json!({
            "articles": self.data.articles.len(),
            "sentences": self.data.articles.iter().map(|a| a.sentences).sum::<u64>(),
            "groups": self.groups.iter().map(|(_, n, v)| serde_json::json!({"column": n, "values": v})).collect::<Vec<_>>(),
            "date_min": dates.iter().min(),
            "date_max": dates.iter().max(),
            "devices": Measure::labels_of(&self.data).iter().map(|m| m.id()).collect::<Vec<_>>(),
        })
    }

    /// Filters, sorts by score (highest first, then file order) and pages.
    pub fn query(&self, q: &Query) -> std::result::Result<Page, String> {
        let mut filters: Vec<(usize, &str)> = Vec::new();
        for (name, value) in &q.groups {
            let k = self
                .data
                .meta_index(name)
                .ok_or_else(|| format!("no column `{name}`"))?;
            filters.push((k, value.as_str()));
        }
        let limit = q.limit.clamp(1, MAX_PAGE);
        let needle = q.text.as_ref().map(|t| t.to_lowercase());
        let mut hits: Vec<(usize, f32)> = Vec::new();
        for (i, a) in self.data.articles.iter().enumerate() {
            if !filters.iter().all(|(k, v)| a.meta[*k] == *v) {
                continue;
            }
            if q.from.is_some() || q.to.is_some() {
                let Some(k) = self.date_col else { continue };
                let d = a.meta[k].get(..10).unwrap_or(a.meta[k].as_str());
                if d.is_empty()
                    || q.from.as_deref().is_some_and(|f| d < f)
                    || q.to.as_deref().is_some_and(|t| d > t)
                {
                    continue;
                }
            }
            if let Some(n) = &needle {
                let title = self.title_col.map_or("", |k| a.meta[k].as_str());
                if !title.to_lowercase().contains(n) && !a.id.to_lowercase().contains(n) {
                    continue;
                }
            }
            let score = self.score(i, q.device);
            match (q.device, q.min_score) {
                (_, Some(m)) if score < m => continue,
                (Some(m), None) if m.count(a) == 0 => continue,
                _ => {}
            }
            hits.push((i, score));
        }
        hits.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let total = hits.len();
        let articles = hits
            .iter()
            .skip(q.offset)
            .take(limit)
            .map(|(i, score)| self.row(*i, *score, q.device))
            .collect();
        Ok(Page {
            total,
            offset: q.offset,
            limit,
            articles,
        })
    }

    fn score(&self, i: usize, device: Option<Measure>) -> f32 {
        match (&self.scores[i], device) {
            (Some(s), Some(Measure::Device(d))) => s.device_max[d],
            (Some(s), Some(Measure::Own(l))) => s.own_max.get(l.index).copied().unwrap_or(0.0),
            (Some(s), Some(Measure::Framing)) => s.framing_max,
            (Some(s), None) => s.framing_max,
            (None, _) => 0.0,
        }
    }

    fn row(&self, i: usize, score: f32, device: Option<Measure>) -> ArticleRow {
        let a = &self.data.articles[i];
        let get = |k: Option<usize>| k.map_or(String::new(), |k| a.meta[k].clone());
        ArticleRow {
            id: a.id.clone(),
            title: get(self.title_col),
            date: get(self.date_col),
            meta: self
                .data
                .meta_columns
                .iter()
                .zip(&a.meta)
                .map(|(n, v)| (n.clone(), v.clone().into()))
                .collect(),
            sentences: a.sentences,
            framing_sentences: a.framing_sentences,
            flagged: device.map_or(a.framing_sentences, |m| m.count(a)),
            score,
        }
    }

    /// An article with its sentences and marks; `None` for an unknown id.
    pub fn article(&self, id: &str) -> Result<Option<serde_json::Value>> {
        let Some(&i) = self.by_id.get(id) else {
            return Ok(None);
        };
        let row = self.row(i, self.score(i, None), None);
        let sentences = match &self.scores[i] {
            Some(s) => read_rows(&self.sentences_path, s.offset, s.rows)?,
            None => Vec::new(),
        };
        Ok(Some(
            serde_json::json!({"article": row, "sentences": sentences}),
        ))
    }
}

fn reader(path: &Path) -> Result<csv::Reader<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(csv::ReaderBuilder::new().flexible(true).from_reader(file))
}

/// One pass over `sentences.csv`: per article, the highest framing, device
/// and own-label scores (`own_labels`: the dataset's, in its order), and
/// where its rows start.
fn scan_sentences(
    path: &Path,
    by_id: &HashMap<String, usize>,
    own_labels: &[&str],
) -> Result<Vec<Option<Scores>>> {
    let source = path.display().to_string();
    let mut r = reader(path)?;
    let header = r.headers().map_err(|e| csv_err(&source, e))?.clone();
    let cols = SentenceColumns::find(header.iter(), &source)?;
    // (position in own_labels, column) of each own label the table has.
    let own_cols: Vec<(usize, usize)> = cols
        .other_labels
        .iter()
        .filter_map(|(name, k)| Some((own_labels.iter().position(|o| o == name)?, *k)))
        .collect();
    let mut scores: Vec<Option<Scores>> = vec![None; by_id.len()];
    let mut record = csv::ByteRecord::new();
    let mut current: Option<usize> = None;
    let num = |b: Option<&[u8]>| -> f32 {
        b.and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0.0)
    };
    loop {
        let offset = r.position().byte();
        if !r
            .read_byte_record(&mut record)
            .map_err(|e| csv_err(&source, e))?
        {
            break;
        }
        let id = std::str::from_utf8(record.get(cols.id).unwrap_or_default()).unwrap_or("");
        let same = current.is_some_and(|c| scores[c].is_some() && by_id.get(id) == Some(&c));
        if !same {
            current = by_id.get(id).copied();
            if let Some(c) = current {
                if scores[c].is_some() {
                    return Err(Error::input(
                        Location::file(&source).at_line(record.position().map_or(0, |p| p.line())),
                        format!("the rows of article `{id}` are not together"),
                    ));
                }
                scores[c] = Some(Scores {
                    framing_max: 0.0,
                    device_max: DeviceMap::filled(0.0),
                    own_max: vec![0.0; own_labels.len()],
                    offset,
                    rows: 0,
                });
            }
        }
        let Some(c) = current else { continue };
        let s = scores[c].as_mut().expect("set above");
        s.rows += 1;
        s.framing_max = s.framing_max.max(num(record.get(cols.framing)));
        for (d, k) in &cols.devices {
            s.device_max[*d] = s.device_max[*d].max(num(record.get(*k)));
        }
        for (j, k) in &own_cols {
            s.own_max[*j] = s.own_max[*j].max(num(record.get(*k)));
        }
    }
    Ok(scores)
}

fn csv_err(source: &str, e: csv::Error) -> Error {
    Error::input(Location::file(source), e.to_string())
}

/// Reads `rows` sentence rows starting at byte `offset`.
fn read_rows(path: &Path, offset: u64, rows: u32) -> Result<Vec<SentenceOut>> {
    let source = path.display().to_string();
    let mut r = reader(path)?;
    let header = r.headers().map_err(|e| csv_err(&source, e))?.clone();
    let cols = SentenceColumns::find(header.iter(), &source)?;
    let mut pos = csv::Position::new();
    pos.set_byte(offset);
    r.seek(pos).map_err(|e| csv_err(&source, e))?;
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    for _ in 0..rows {
        if !r
            .read_record(&mut record)
            .map_err(|e| csv_err(&source, e))?
        {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        out.push(sentence_out(cols.read(&record, &source, line)?));
    }
    Ok(out)
}

/// A `sentences.csv` row as the Corpus page shows it: cues and spans located
/// in the sentence text, with character offsets.
fn sentence_out(r: SentenceRecord) -> SentenceOut {
    let text = &r.text;
    let mark = |device: Device, kind: &'static str, needle: &str, start: usize| {
        let (a, b) = locate(text, needle, start.saturating_sub(r.start))?;
        let start = text[..a].chars().count();
        Some(Mark {
            device: device.id(),
            kind,
            start,
            end: start + text[a..b].chars().count(),
        })
    };
    let cues = r
        .cues
        .iter()
        .filter_map(|c| mark(c.device, "cue", &c.text, c.start));
    let spans = r
        .spans
        .iter()
        .filter_map(|sp| mark(sp.device, "span", &sp.text, sp.start));
    let marks = cues.chain(spans).collect();
    SentenceOut {
        index: r.sentence_index,
        paragraph: r.paragraph,
        attributed: r.attributed,
        framing: r.framing,
        scores: r
            .scores
            .iter()
            .map(|(d, p)| (d.id().to_string(), (*p).into()))
            .chain(r.own_scores.iter().map(|(n, p)| (n.clone(), (*p).into())))
            .collect(),
        flagged: r
            .flagged
            .iter()
            .map(|d| d.id().to_string())
            .chain(r.own_flagged.iter().cloned())
            .collect(),
        marks,
        text: r.text,
    }
}
