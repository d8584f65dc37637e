//! Readers for labelled sets: rhetor's own CSV and the PTC folder layout
//! (span files `*.task-flc-tc.labels` / `*.task-si.labels`, and the NLP4IF-2019
//! sentence files `*.task-SLC.labels`).
//!
//! The readers live in [`csv`] and [`ptc`]; both produce a [`GoldSet`]: articles of sentences, each with its
//! gold devices and a binary "carries at least one device" label.
//!
//! Malformed lines are errors naming file, line and field. With
//! [`GoldOptions::skip_bad`] they are skipped instead, and every skipped line
//! is listed in [`GoldSet::skipped`] (the report prints them): nothing is
//! dropped silently.

pub mod checkthat;
pub mod csv;
pub mod ptc;
pub mod sample;

pub use checkthat::{read_checkthat_tsv, AUTHOR_VOICE};
pub use csv::{parse_devices_field, read_label_csv, read_rhetor_csv};
pub use ptc::read_ptc_dir;
pub use sample::read_sample_labels;

use crate::error::{Error, Location, Result};
use crate::taxonomy::Device;
use std::path::{Path, PathBuf};

/// Which kind of labelled set a [`GoldSet`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GoldFormat {
    /// rhetor's CSV (`article_id, sentence_index, text, devices[, start, end][, split]`).
    RhetorCsv,
    /// A PTC-layout folder (articles + span or SLC label files).
    Ptc,
    /// A CheckThat! subjectivity TSV (`sentence_id, sentence, label SUBJ|OBJ`):
    /// labels the author's voice only, not techniques or `framing`.
    CheckThat,
    /// A coded validation sample ([`crate::io::sample`]): labels its label
    /// columns only. `framing`: the sample has a `framing` column (else
    /// framing is "at least one of the labelled devices").
    Sample {
        /// The sample has a `framing` column.
        framing: bool,
    },
}

/// One gold sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldSentence {
    /// The sentence index inside its article (as given in the CSV, or the
    /// 0-based index of the non-empty line for PTC).
    pub index: usize,
    /// The 1-based line of the article file (PTC only; counts empty lines too).
    pub line: Option<usize>,
    /// The sentence text that is scored.
    pub text: String,
    /// The gold devices (empty = none).
    pub devices: Vec<Device>,
    /// True when the sentence carries at least one device (for PTC: at least
    /// one span overlaps it, including spans without a technique).
    pub positive: bool,
    /// The split (`dev`, `test`, `train`) when the set says so.
    pub split: Option<String>,
    /// Char offsets of the sentence in its article, when known.
    pub char_span: Option<(usize, usize)>,
}

/// One labelled span of an article (PTC span files): char (Unicode code
/// point) offsets in the ORIGINAL article text, end exclusive, as in the
/// label files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoldSpan {
    /// The technique's device; `None` for a three-column (span
    /// identification) line or a technique rhetor has no device for.
    pub device: Option<Device>,
    /// First char of the span.
    pub start: usize,
    /// One past the last char.
    pub end: usize,
}

/// One gold article: its sentences in order.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldArticle {
    /// The article id (PTC: the number in `articleNNN.txt`).
    pub id: String,
    /// The title (PTC: the first line), used as model context.
    pub title: Option<String>,
    /// Sentences in order.
    pub sentences: Vec<GoldSentence>,
    /// The original article text (PTC only): what the span offsets and the
    /// sentences' `char_span`s point into.
    pub text: Option<String>,
    /// The gold spans, when the article was labelled with span files (PTC
    /// `.task-flc-tc.labels` / `.task-si.labels`; possibly empty); `None` for
    /// sets without spans (rhetor CSV, CheckThat!, SLC sentence files).
    pub spans: Option<Vec<GoldSpan>>,
}

impl GoldArticle {
    /// An article of `sentences` alone: no title, original text or spans (a
    /// CSV or TSV set).
    pub fn new(id: String, sentences: Vec<GoldSentence>) -> GoldArticle {
        GoldArticle {
            id,
            title: None,
            sentences,
            text: None,
            spans: None,
        }
    }

    /// The offset map of sentence `index` back to the article (see
    /// [`SentenceOffsets`]); `None` without the article text or the
    /// sentence's char span, or when the sentence text is not the normalised
    /// line of the article.
    pub fn sentence_offsets(&self, index: usize) -> Option<SentenceOffsets> {
        let text = self.text.as_deref()?;
        let sentence = self.sentences.get(index)?;
        SentenceOffsets::new(text, sentence)
    }
}

/// Maps byte ranges of a [`GoldSentence::text`] (the normalised, trimmed
/// line) back to char offsets of the original article: the line is
/// normalised again and its [`crate::text::OffsetMap`] is used.
#[derive(Debug, Clone)]
pub struct SentenceOffsets {
    /// The trimmed original line.
    line: String,
    /// The line normalised (before the final trim).
    normalized: crate::text::Normalized,
    /// Bytes the final trim removed at the start of the normalised line.
    lead: usize,
    /// Length of the sentence text in bytes.
    len: usize,
    /// Char offset of the trimmed line in the article.
    char_start: usize,
}

impl SentenceOffsets {
    /// The offsets of `sentence` in `article` (its original text); `None`
    /// when the sentence has no char span, the span is outside the text, or
    /// the sentence text is not the normalised trimmed line.
    pub fn new(article: &str, sentence: &GoldSentence) -> Option<SentenceOffsets> {
        let (start, end) = sentence.char_span?;
        let bytes = char_to_byte_range(article, start, end)?;
        let line = article.get(bytes)?.to_string();
        let normalized = crate::text::normalize(&line);
        let lead = normalized.text.len() - normalized.text.trim_start().len();
        if normalized.text.trim() != sentence.text {
            return None;
        }
        Some(SentenceOffsets {
            line,
            normalized,
            lead,
            len: sentence.text.len(),
            char_start: start,
        })
    }

    /// The article char range of a byte range of the sentence text; `None`
    /// when the range is empty, reversed or outside the sentence.
    pub fn to_article_chars(
        &self,
        range: std::ops::Range<usize>,
    ) -> Option<std::ops::Range<usize>> {
        if range.start >= range.end || range.end > self.len {
            return None;
        }
        let norm = range.start + self.lead..range.end + self.lead;
        let orig = self.normalized.original_range(norm);
        let before = self.line.get(..orig.start)?.chars().count();
        let inside = self.line.get(orig.clone())?.chars().count();
        Some(self.char_start + before..self.char_start + before + inside)
    }
}

/// The byte range of the char range `start..end` of `text`.
fn char_to_byte_range(text: &str, start: usize, end: usize) -> Option<std::ops::Range<usize>> {
    if start > end {
        return None;
    }
    let mut it = text
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()));
    let b_start = it.nth(start)?;
    let b_end = if end == start {
        b_start
    } else {
        it.nth(end - start - 1)?
    };
    Some(b_start..b_end)
}

/// A line (or record) that was skipped with `--skip-bad`, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SkippedLine {
    /// `file:line (field)`.
    pub location: String,
    /// What was wrong.
    pub reason: String,
}

/// A labelled set.
#[derive(Debug, Clone)]
pub struct GoldSet {
    /// The path it was read from.
    pub source: PathBuf,
    /// The format it was read from.
    pub format: GoldFormat,
    /// The articles, sorted by id.
    pub articles: Vec<GoldArticle>,
    /// The devices this set annotates (PTC: the 14 PTC devices; CSV: all).
    pub devices: Vec<Device>,
    /// Every line skipped with `--skip-bad`.
    pub skipped: Vec<SkippedLine>,
}

impl GoldSet {
    /// Number of sentences.
    pub fn sentence_count(&self) -> usize {
        self.articles.iter().map(|a| a.sentences.len()).sum()
    }
    /// Does this set label the binary `framing` decision (at least one
    /// technique)? CheckThat labels only the author's voice.
    pub fn labels_framing(&self) -> bool {
        self.format != GoldFormat::CheckThat
    }
    /// True when the set was labelled with span files (PTC), so that the
    /// span measures (SI, TC) can be computed.
    pub fn has_spans(&self) -> bool {
        self.articles.iter().any(|a| a.spans.is_some())
    }
    /// Number of positive sentences.
    pub fn positive_count(&self) -> usize {
        self.articles
            .iter()
            .flat_map(|a| &a.sentences)
            .filter(|s| s.positive)
            .count()
    }
    /// Keeps only the sentences of one split; drops articles left empty.
    /// Errors when the set has no split information at all.
    pub fn filter_split(&mut self, split: &str) -> Result<()> {
        let any_split = self
            .articles
            .iter()
            .flat_map(|a| &a.sentences)
            .any(|s| s.split.is_some());
        if !any_split {
            return Err(Error::input(
                Location::file(self.source.display().to_string()).in_field("split"),
                format!("--split {split} given, but this labelled set has no `split` column"),
            ));
        }
        for a in &mut self.articles {
            a.sentences.retain(|s| s.split.as_deref() == Some(split));
        }
        self.articles.retain(|a| !a.sentences.is_empty());
        Ok(())
    }
}

/// Options of the readers.
#[derive(Debug, Clone, Copy, Default)]
pub struct GoldOptions {
    /// Skip malformed lines (each is listed in [`GoldSet::skipped`]) instead of failing.
    pub skip_bad: bool,
}

/// Collects errors: fails on the first one, or records it with `skip_bad`.
struct Problems {
    skip_bad: bool,
    skipped: Vec<SkippedLine>,
}

impl Problems {
    fn new(options: GoldOptions) -> Problems {
        Problems {
            skip_bad: options.skip_bad,
            skipped: Vec::new(),
        }
    }

    /// The value of `parsed`; an input error is [reported](Self::report)
    /// instead (`None` once skipped), any other error passed on.
    fn recover<T>(&mut self, parsed: Result<T>) -> Result<Option<T>> {
        match parsed {
            Ok(value) => Ok(Some(value)),
            Err(Error::Input { location, message }) => {
                self.report(location, message).map(|()| None)
            }
            Err(e) => Err(e),
        }
    }

    fn report(&mut self, location: Location, reason: impl Into<String>) -> Result<()> {
        let reason = reason.into();
        if self.skip_bad {
            self.skipped.push(SkippedLine {
                location: location.to_string(),
                reason,
            });
            Ok(())
        } else {
            Err(Error::input(location, reason))
        }
    }
}

/// Reads a labelled set from a path:
/// - a folder with `article*.txt` files: the PTC layout;
/// - one `articleNNN.txt` file: that PTC article (label files beside it);
/// - a `.tsv` file: CheckThat! subjectivity (columns `sentence_id`,
///   `sentence`, `label` found by header name, in any order);
/// - a `.csv` file with the columns of a validation sample: its coded rows;
/// - a `.csv` file: rhetor's CSV;
/// - a folder without articles: its `gold.csv`, or its only `.csv` file.
pub fn read_gold(path: &Path, options: GoldOptions) -> Result<GoldSet> {
    if ptc::is_article_file(path) || path.is_dir() && ptc::has_ptc_articles(path)? {
        return read_ptc_dir(path, options);
    }
    if checkthat::is_tsv_file(path) {
        return read_checkthat_tsv(path, options);
    }
    if sample::is_sample_file(path) {
        return read_sample_labels(path, options);
    }
    if path.is_dir() {
        let csv = find_gold_csv(path)?;
        return read_rhetor_csv(&csv, options);
    }
    if !path.exists() {
        return Err(Error::input(
            Location::file(path.display().to_string()),
            "no such file or folder",
        ));
    }
    read_rhetor_csv(path, options)
}

fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        out.push(entry.map_err(|e| Error::io(dir, e))?.path());
    }
    out.sort();
    Ok(out)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn find_gold_csv(dir: &Path) -> Result<PathBuf> {
    let gold = dir.join("gold.csv");
    if gold.is_file() {
        return Ok(gold);
    }
    let csvs: Vec<PathBuf> = list_dir(dir)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    match csvs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::input(
            Location::file(dir.display().to_string()),
            "no labelled set here: expected article*.txt files with *.labels (PTC layout), gold.csv, or one .csv file",
        )),
        many => Err(Error::input(
            Location::file(dir.display().to_string()),
            format!(
                "several .csv files ({}) and no gold.csv: pass the file itself to --gold",
                many.iter().map(|p| file_name(p)).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}
