//! Readers for labelled sets: rhetor's own CSV and the PTC folder layout
//! (span files `*.task-flc-tc.labels` / `*.task-si.labels`, and the NLP4IF-2019
//! sentence files `*.task-SLC.labels`).
//!
//! Both readers produce a [`GoldSet`]: articles of sentences, each with its
//! gold devices and a binary "carries at least one device" label.
//!
//! Malformed lines are errors naming file, line and field. With
//! [`GoldOptions::skip_bad`] they are skipped instead, and every skipped line
//! is listed in [`GoldSet::skipped`] (the report prints them): nothing is
//! dropped silently.

use crate::error::{Error, Location, Result};
use crate::taxonomy::Device;
use crate::text::normalize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Which kind of labelled set a [`GoldSet`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GoldFormat {
    /// rhetor's CSV (`article_id, sentence_index, text, devices[, start, end][, split]`).
    RhetorCsv,
    /// A PTC-layout folder (articles + span or SLC label files).
    Ptc,
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

/// One gold article: its sentences in order.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldArticle {
    /// The article id (PTC: the number in `articleNNN.txt`).
    pub id: String,
    /// The title (PTC: the first line), used as model context.
    pub title: Option<String>,
    /// Sentences in order.
    pub sentences: Vec<GoldSentence>,
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
/// - a `.csv` file: rhetor's CSV;
/// - a folder without articles: its `gold.csv`, or its only `.csv` file.
pub fn read_gold(path: &Path, options: GoldOptions) -> Result<GoldSet> {
    if path.is_dir() {
        if has_ptc_articles(path)? {
            return read_ptc_dir(path, options);
        }
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

fn has_ptc_articles(dir: &Path) -> Result<bool> {
    Ok(list_dir(dir)?
        .iter()
        .any(|p| ptc_article_id(&file_name(p)).is_some()))
}

/// `article123.txt` → `123`.
fn ptc_article_id(name: &str) -> Option<&str> {
    let id = name.strip_prefix("article")?.strip_suffix(".txt")?;
    (!id.is_empty() && !id.contains('.')).then_some(id)
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

// ---------------------------------------------------------------- rhetor CSV

/// Column positions of a rhetor gold CSV.
struct CsvColumns {
    article_id: usize,
    sentence_index: usize,
    text: Option<usize>,
    devices: usize,
    start: Option<usize>,
    end: Option<usize>,
    split: Option<usize>,
}

fn csv_columns(
    headers: &csv::StringRecord,
    source: &str,
    require_text: bool,
) -> Result<CsvColumns> {
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| {
            Error::input(
                Location::file(source).at_line(1).in_field(name),
                format!(
                    "missing required column `{name}` (header: {})",
                    headers.iter().collect::<Vec<_>>().join(",")
                ),
            )
        })
    };
    Ok(CsvColumns {
        article_id: need("article_id")?,
        sentence_index: need("sentence_index")?,
        text: if require_text {
            Some(need("text")?)
        } else {
            find("text")
        },
        devices: need("devices")?,
        start: find("start"),
        end: find("end"),
        split: find("split"),
    })
}

/// Parses a `;`-separated device list (empty = none).
pub fn parse_devices_field(raw: &str) -> std::result::Result<Vec<Device>, String> {
    let mut out = Vec::new();
    for id in raw.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let d = Device::from_id(id).ok_or_else(|| {
            format!("unknown device `{id}` (device ids are listed in docs/codebook.md)")
        })?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// One parsed CSV row.
struct CsvRow {
    article_id: String,
    sentence: GoldSentence,
}

fn parse_csv_row(
    rec: &csv::StringRecord,
    cols: &CsvColumns,
    loc: &dyn Fn(&str) -> Location,
) -> Result<CsvRow> {
    let field = |i: usize| rec.get(i).unwrap_or("");
    let article_id = field(cols.article_id).trim().to_string();
    if article_id.is_empty() {
        return Err(Error::input(loc("article_id"), "empty article id"));
    }
    let raw_index = field(cols.sentence_index).trim();
    let index: usize = raw_index.parse().map_err(|_| {
        Error::input(
            loc("sentence_index"),
            format!("`{raw_index}` is not a non-negative integer"),
        )
    })?;
    let text = cols.text.map(field).unwrap_or("").trim().to_string();
    if cols.text.is_some() && text.is_empty() {
        return Err(Error::input(loc("text"), "empty sentence text"));
    }
    let devices =
        parse_devices_field(field(cols.devices)).map_err(|m| Error::input(loc("devices"), m))?;
    let offset = |col: Option<usize>, name: &str| -> Result<Option<usize>> {
        match col.map(field).map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                Error::input(loc(name), format!("`{v}` is not a non-negative integer"))
            }),
        }
    };
    let start = offset(cols.start, "start")?;
    let end = offset(cols.end, "end")?;
    let char_span = match (start, end) {
        (Some(s), Some(e)) if s <= e => Some((s, e)),
        (Some(s), Some(e)) => {
            return Err(Error::input(
                loc("end"),
                format!("end {e} is before start {s}"),
            ))
        }
        (None, None) => None,
        _ => {
            return Err(Error::input(
                loc("start"),
                "give both `start` and `end`, or neither",
            ))
        }
    };
    let split = match cols.split.map(field).map(str::trim) {
        None | Some("") => None,
        Some(s @ ("dev" | "test" | "train")) => Some(s.to_string()),
        Some(other) => {
            return Err(Error::input(
                loc("split"),
                format!("unknown split `{other}` (expected dev, test or train)"),
            ))
        }
    };
    Ok(CsvRow {
        article_id,
        sentence: GoldSentence {
            index,
            line: None,
            text,
            positive: !devices.is_empty(),
            devices,
            split,
            char_span,
        },
    })
}

/// Reads rhetor's gold CSV. Articles are sorted by id, their sentences by
/// `sentence_index`.
pub fn read_rhetor_csv(path: &Path, options: GoldOptions) -> Result<GoldSet> {
    read_csv_labels(path, options, true)
}

/// Reads a labels-only CSV (`article_id, sentence_index, devices`, `text`
/// optional), as written by a labelling pass.
pub fn read_label_csv(path: &Path, options: GoldOptions) -> Result<GoldSet> {
    read_csv_labels(path, options, false)
}

fn read_csv_labels(path: &Path, options: GoldOptions, require_text: bool) -> Result<GoldSet> {
    let source = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| Error::input(Location::file(&source).at_line(1), e.to_string()))?
        .clone();
    let cols = csv_columns(&headers, &source, require_text)?;
    let mut problems = Problems {
        skip_bad: options.skip_bad,
        skipped: Vec::new(),
    };
    let mut articles: BTreeMap<String, Vec<GoldSentence>> = BTreeMap::new();
    let mut seen: HashSet<(String, usize)> = HashSet::new();
    for rec in reader.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.report(Location::file(&source).at_line(line), e.to_string())?;
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let loc = |f: &str| Location::file(&source).at_line(line).in_field(f);
        match parse_csv_row(&rec, &cols, &loc) {
            Ok(row) => {
                if !seen.insert((row.article_id.clone(), row.sentence.index)) {
                    problems.report(
                        loc("sentence_index"),
                        format!(
                            "duplicate sentence {} of article `{}`",
                            row.sentence.index, row.article_id
                        ),
                    )?;
                    continue;
                }
                articles
                    .entry(row.article_id)
                    .or_default()
                    .push(row.sentence);
            }
            Err(Error::Input { location, message }) => problems.report(location, message)?,
            Err(e) => return Err(e),
        }
    }
    let articles = articles
        .into_iter()
        .map(|(id, mut sentences)| {
            sentences.sort_by_key(|s| s.index);
            GoldArticle {
                id,
                title: None,
                sentences,
            }
        })
        .collect::<Vec<_>>();
    if articles.is_empty() && problems.skipped.is_empty() {
        return Err(Error::input(
            Location::file(&source),
            "no labelled sentences",
        ));
    }
    Ok(GoldSet {
        source: path.to_path_buf(),
        format: GoldFormat::RhetorCsv,
        articles,
        devices: Device::ALL.to_vec(),
        skipped: problems.skipped,
    })
}

// ---------------------------------------------------------------- PTC layout

/// One labelled span of a PTC article (char offsets, end exclusive).
#[derive(Debug, Clone, PartialEq)]
struct Span {
    device: Option<Device>,
    start: usize,
    end: usize,
}

/// Technique names of the NLP4IF-2019 18-class release that have no rhetor
/// device: their spans still make a sentence positive.
const UNMAPPED_TECHNIQUES: &[&str] = &["Obfuscation,Intentional_Vagueness,Confusion"];

/// Reads a PTC-layout folder.
pub fn read_ptc_dir(dir: &Path, options: GoldOptions) -> Result<GoldSet> {
    let files = list_dir(dir)?;
    let mut problems = Problems {
        skip_bad: options.skip_bad,
        skipped: Vec::new(),
    };
    let mut articles = Vec::new();
    for txt in &files {
        let name = file_name(txt);
        let Some(id) = ptc_article_id(&name) else {
            continue;
        };
        let prefix = format!("article{id}.");
        let labels: Vec<&PathBuf> = files
            .iter()
            .filter(|p| {
                let n = file_name(p);
                n.starts_with(&prefix) && n.ends_with(".labels")
            })
            .collect();
        if labels.is_empty() {
            problems.report(
                Location::file(txt.display().to_string()),
                format!("no label file (expected {prefix}task-flc-tc.labels, {prefix}task-si.labels or {prefix}task-SLC.labels beside it)"),
            )?;
            continue;
        }
        articles.push(read_ptc_article(txt, id, &labels, &mut problems)?);
    }
    articles.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(GoldSet {
        source: dir.to_path_buf(),
        format: GoldFormat::Ptc,
        articles,
        devices: Device::ALL.iter().copied().filter(|d| d.is_ptc()).collect(),
        skipped: problems.skipped,
    })
}

fn is_slc_file(p: &Path) -> bool {
    file_name(p).to_ascii_lowercase().contains("slc")
}

fn read_ptc_article(
    txt: &Path,
    id: &str,
    labels: &[&PathBuf],
    problems: &mut Problems,
) -> Result<GoldArticle> {
    let bytes = std::fs::read(txt).map_err(|e| Error::io(txt, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            Location::file(txt.display().to_string()),
            format!("not valid UTF-8: {e}"),
        )
    })?;
    let n_chars = text.chars().count();
    let title = text
        .lines()
        .next()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let mut sentences = ptc_lines(&text);
    let (slc, span_files): (Vec<&PathBuf>, Vec<&PathBuf>) =
        labels.iter().copied().partition(|p| is_slc_file(p));
    if span_files.is_empty() {
        for f in &slc {
            apply_slc_file(f, id, &text, &mut sentences, problems)?;
        }
    } else {
        let mut spans = Vec::new();
        for f in &span_files {
            spans.extend(read_span_file(f, id, n_chars, problems)?);
        }
        apply_spans(&spans, &mut sentences);
    }
    Ok(GoldArticle {
        id: id.to_string(),
        title,
        sentences,
    })
}

/// The NLP4IF-2019 sentence unit: every line that is not blank (Python's
/// `line.strip()` is non-empty) is one sentence, numbered by its 1-based line.
/// The scored text is the normalised line. (This differs from
/// `text::segment_lines` only for lines that normalisation empties, such as a
/// line holding just a byte-order mark, which NLP4IF-2019 counts as a sentence.)
fn ptc_lines(text: &str) -> Vec<GoldSentence> {
    let mut out = Vec::new();
    let mut char_pos = 0;
    for (i, line) in text.split('\n').enumerate() {
        let n = line.chars().count();
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let lead = line[..line.len() - line.trim_start().len()].chars().count();
            let start = char_pos + lead;
            out.push(GoldSentence {
                index: out.len(),
                line: Some(i + 1),
                text: normalize(trimmed).text.trim().to_string(),
                devices: Vec::new(),
                positive: false,
                split: None,
                char_span: Some((start, start + trimmed.chars().count())),
            });
        }
        char_pos += n + 1;
    }
    out
}

/// Marks sentences overlapped by spans (half-open char ranges).
fn apply_spans(spans: &[Span], sentences: &mut [GoldSentence]) {
    for s in sentences.iter_mut() {
        let Some((cs, ce)) = s.char_span else {
            continue;
        };
        for sp in spans.iter().filter(|sp| sp.start < ce && sp.end > cs) {
            s.positive = true;
            if let Some(d) = sp.device {
                if !s.devices.contains(&d) {
                    s.devices.push(d);
                }
            }
        }
        s.devices.sort();
    }
}

/// Reads a span file: `id technique start end` or `id start end`, tab-separated.
fn read_span_file(
    path: &Path,
    id: &str,
    n_chars: usize,
    problems: &mut Problems,
) -> Result<Vec<Span>> {
    let source = path.display().to_string();
    let raw = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut spans = Vec::new();
    for (i, line) in raw.lines().enumerate() {
        let loc = |f: &str| Location::file(&source).at_line(i as u64 + 1).in_field(f);
        if line.trim().is_empty() {
            continue;
        }
        match parse_span_line(line, id, n_chars, &loc) {
            Ok(s) => spans.push(s),
            Err(Error::Input { location, message }) => problems.report(location, message)?,
            Err(e) => return Err(e),
        }
    }
    Ok(spans)
}

fn parse_offset(raw: &str, loc: Location) -> Result<usize> {
    raw.trim()
        .parse()
        .map_err(|_| Error::input(loc, format!("`{raw}` is not a non-negative integer")))
}

fn parse_span_line(
    line: &str,
    id: &str,
    n_chars: usize,
    loc: &dyn Fn(&str) -> Location,
) -> Result<Span> {
    let cols: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
    let (technique, start, end) = match cols.as_slice() {
        [_, t, s, e] => (Some(*t), *s, *e),
        [_, s, e] => (None, *s, *e),
        _ => {
            return Err(Error::input(
                loc("columns"),
                format!(
                    "expected 4 tab-separated columns (id technique start end) or 3 (id start end), found {}",
                    cols.len()
                ),
            ))
        }
    };
    if cols[0].trim() != id {
        return Err(Error::input(
            loc("id"),
            format!(
                "article id `{}` does not match the file's id `{id}`",
                cols[0]
            ),
        ));
    }
    let device = match technique {
        None => None,
        Some(t) => match Device::from_ptc_technique(t) {
            Some(d) => Some(d),
            None if UNMAPPED_TECHNIQUES
                .iter()
                .any(|u| u.eq_ignore_ascii_case(t.trim())) =>
            {
                None
            }
            None => {
                return Err(Error::input(
                    loc("technique"),
                    format!("unknown PTC technique `{t}`"),
                ))
            }
        },
    };
    let start = parse_offset(start, loc("start"))?;
    let end = parse_offset(end, loc("end"))?;
    if start >= end {
        return Err(Error::input(
            loc("end"),
            format!("empty or reversed span {start}..{end}"),
        ));
    }
    if end > n_chars {
        return Err(Error::input(
            loc("end"),
            format!("span end {end} is past the end of the article ({n_chars} chars)"),
        ));
    }
    Ok(Span { device, start, end })
}

/// Applies an NLP4IF-2019 `task-SLC.labels` file: `id line label`, where
/// `line` is 1-based over ALL lines of the article (empty lines included, as
/// in the NLP4IF-2019 release, whose label files have one row per line).
/// Rows for empty lines must say `non-propaganda`; every non-empty line needs a row.
fn apply_slc_file(
    path: &Path,
    id: &str,
    text: &str,
    sentences: &mut [GoldSentence],
    problems: &mut Problems,
) -> Result<()> {
    let source = path.display().to_string();
    let raw = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let n_lines = text.split('\n').count();
    let mut labelled = HashSet::new();
    for (i, row) in raw.lines().enumerate() {
        let loc = |f: &str| Location::file(&source).at_line(i as u64 + 1).in_field(f);
        if row.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = row.trim_end_matches('\r').split('\t').collect();
        let [rid, line, label] = cols.as_slice() else {
            problems.report(
                loc("columns"),
                format!(
                    "expected 3 tab-separated columns (id line label), found {}",
                    cols.len()
                ),
            )?;
            continue;
        };
        if rid.trim() != id {
            problems.report(
                loc("id"),
                format!("article id `{rid}` does not match the file's id `{id}`"),
            )?;
            continue;
        }
        let line_no = match line.trim().parse::<usize>() {
            Ok(n) if (1..=n_lines).contains(&n) => n,
            _ => {
                problems.report(
                    loc("line"),
                    format!("`{line}` is not a line number of the article (1..={n_lines})"),
                )?;
                continue;
            }
        };
        let positive = match label.trim() {
            "propaganda" => true,
            "non-propaganda" => false,
            other => {
                problems.report(
                    loc("label"),
                    format!("unknown label `{other}` (expected propaganda or non-propaganda)"),
                )?;
                continue;
            }
        };
        match sentences.iter_mut().find(|s| s.line == Some(line_no)) {
            Some(s) => {
                s.positive = positive;
                labelled.insert(line_no);
            }
            None if positive => problems.report(
                loc("label"),
                format!("line {line_no} of the article is empty but labelled propaganda"),
            )?,
            None => {}
        }
    }
    for s in sentences.iter() {
        if let Some(l) = s.line.filter(|l| !labelled.contains(l)) {
            problems.report(
                Location::file(&source).in_field("line"),
                format!("no label for line {l} of the article"),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, content: &str) {
        std::fs::write(dir.join(name), content).unwrap();
    }

    #[test]
    fn ptc_spans_mark_overlapping_lines_in_code_points() {
        let dir = tempfile::tempdir().unwrap();
        // Title line, empty line, two sentences; "é" is 2 bytes but 1 code point.
        let text = "Tïtle here\n\nCafé people are idiots.\nA calm line.\n";
        write(dir.path(), "article1.txt", text);
        let start = text.chars().take_while(|_| true).count(); // sanity
        assert!(start > 0);
        let idiots = text.find("idiots").unwrap();
        let cstart = text[..idiots].chars().count();
        write(
            dir.path(),
            "article1.task-flc-tc.labels",
            &format!("1\tName_Calling,Labeling\t{cstart}\t{}\n", cstart + 6),
        );
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        assert_eq!(gold.format, GoldFormat::Ptc);
        assert_eq!(gold.sentence_count(), 3);
        let s = &gold.articles[0].sentences;
        assert_eq!(s[1].line, Some(3));
        assert!(s[1].positive);
        assert_eq!(s[1].devices, vec![Device::NameCalling]);
        assert!(!s[0].positive && !s[2].positive);
        assert_eq!(gold.devices.len(), 14);
    }

    #[test]
    fn three_column_spans_make_positive_lines_without_devices() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article7.txt", "One.\nTwo.\n");
        write(dir.path(), "article7.task-si.labels", "7\t5\t9\n");
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let s = &gold.articles[0].sentences;
        assert!(!s[0].positive);
        assert!(s[1].positive && s[1].devices.is_empty());
    }

    #[test]
    fn slc_line_numbers_count_empty_lines() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article2.txt", "Title\n\nBad stuff.\nFine.\n");
        write(
            dir.path(),
            "article2.task-SLC.labels",
            "2\t1\tnon-propaganda\n2\t2\tnon-propaganda\n2\t3\tpropaganda\n2\t4\tnon-propaganda\n",
        );
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let s = &gold.articles[0].sentences;
        assert_eq!(s.len(), 3);
        assert!(!s[0].positive && s[1].positive && !s[2].positive);
    }

    #[test]
    fn malformed_span_lines_name_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article3.txt", "One.\nTwo.\n");
        write(
            dir.path(),
            "article3.task-flc-tc.labels",
            "3\tDoubt\t0\t3\n3\tDoubt\tx\t4\n",
        );
        let err = read_gold(dir.path(), GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("article3.task-flc-tc.labels:2"), "{err}");
        assert!(err.contains("start"), "{err}");
        let gold = read_gold(dir.path(), GoldOptions { skip_bad: true }).unwrap();
        assert_eq!(gold.skipped.len(), 1);
        assert!(gold.articles[0].sentences[0].positive);
    }

    #[test]
    fn unknown_techniques_and_out_of_range_spans_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "article4.txt", "One.\n");
        write(
            dir.path(),
            "article4.task-flc-tc.labels",
            "4\tMagic\t0\t3\n",
        );
        let err = read_gold(dir.path(), GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("technique") && err.contains("Magic"), "{err}");
        write(
            dir.path(),
            "article4.task-flc-tc.labels",
            "4\tDoubt\t0\t99\n",
        );
        let err = read_gold(dir.path(), GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("past the end"), "{err}");
    }

    #[test]
    fn rhetor_csv_reads_orders_and_validates() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gold.csv");
        std::fs::write(
            &p,
            "article_id,sentence_index,text,devices,split\n\
             a,1,Second one.,doubt;loaded_language,test\n\
             a,0,First one.,,test\n\
             b,0,Other.,editorial_aside,dev\n",
        )
        .unwrap();
        let mut gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        assert_eq!(gold.format, GoldFormat::RhetorCsv);
        assert_eq!(gold.articles[0].sentences[0].text, "First one.");
        assert_eq!(
            gold.articles[0].sentences[1].devices,
            vec![Device::Doubt, Device::LoadedLanguage]
        );
        gold.filter_split("test").unwrap();
        assert_eq!(gold.articles.len(), 1);
        std::fs::write(
            &p,
            "article_id,sentence_index,text,devices\na,0,Text.,nonsense\n",
        )
        .unwrap();
        let err = read_gold(&p, GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("gold.csv:2") && err.contains("devices"),
            "{err}"
        );
        std::fs::write(&p, "article_id,text,devices\na,Text.,\n").unwrap();
        let err = read_gold(&p, GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("sentence_index"), "{err}");
    }
}
