//! The validation-sample file: `rhetor sample` writes it, coders fill in its
//! label columns (`1`, `0`, or empty for "not labelled yet"), and
//! `rhetor compare --gold`, `rhetor eval` and `rhetor serve` read it.
//!
//! Columns, found by their header names (any order; other columns are kept
//! and written back unchanged):
//!
//! | column | meaning |
//! |---|---|
//! | `article_id` | the article, as in the batch output |
//! | `sentence_index` | the sentence's 0-based index in its article |
//! | `stratum` | the sampling stratum (the group: `--by` values joined with ` · `) |
//! | `inclusion_probability` | the probability that the sentence's article was drawn (0 < p ≤ 1); empty in a sample chosen by a model (`rhetor sample --strategy uncertain`), which is for training, not for estimating rates |
//! | `context_before`, `text`, `context_after` | the previous sentence, the sentence, the next one |
//! | one column per label | `1`, `0`, or empty (not labelled) |
//!
//! Which of the other columns are labels is the reader's choice
//! ([`read_coded_sample`] takes a predicate): the device ids and `framing`
//! for the shipped models. Every other column (the group columns, a `coder`
//! column…) is carried as metadata.

use crate::error::{Error, Location, Result};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The fixed columns every sample file has, in the order they are written
/// (the metadata columns go between `stratum` and `inclusion_probability`,
/// the label columns at the end).
pub const FIXED_COLUMNS: [&str; 7] = [
    "article_id",
    "sentence_index",
    "stratum",
    "inclusion_probability",
    "context_before",
    "text",
    "context_after",
];

/// The metadata columns of a sample chosen by a model
/// (`rhetor sample --strategy uncertain`): `selection` says it is for
/// training, `margin` how near the model's threshold the sentence lies.
pub const CHOSEN_COLUMNS: [&str; 2] = ["selection", "margin"];

/// One sentence of a validation sample.
#[derive(Debug, Clone, PartialEq)]
pub struct CodedRow {
    /// The 1-based line of the record in the file it was read from (0 when built in memory).
    pub line: u64,
    /// The article id.
    pub article_id: String,
    /// The sentence's 0-based index in its article.
    pub sentence_index: u64,
    /// The sampling stratum (the group label).
    pub stratum: String,
    /// Values of [`CodedSample::meta_columns`].
    pub meta: Vec<String>,
    /// The inclusion probability of the sentence's article (0 < p ≤ 1);
    /// `None` for a sentence chosen by a model rather than drawn at random
    /// (`rhetor sample --strategy uncertain`): such rows train models but
    /// cannot estimate rates.
    pub inclusion_probability: Option<f64>,
    /// The previous sentence of the article (empty for the first).
    pub context_before: String,
    /// The sentence.
    pub text: String,
    /// The next sentence of the article (empty for the last).
    pub context_after: String,
    /// One cell per [`CodedSample::label_columns`]: `Some(true)` for 1,
    /// `Some(false)` for 0, `None` when not labelled.
    pub labels: Vec<Option<bool>>,
}

impl CodedRow {
    /// The sentence's key: article id and sentence index.
    pub fn key(&self) -> (&str, u64) {
        (&self.article_id, self.sentence_index)
    }

    /// True when at least one label cell is filled in.
    pub fn is_coded(&self) -> bool {
        self.labels.iter().any(Option::is_some)
    }
}

/// A validation sample, coded or not.
#[derive(Debug, Clone, PartialEq)]
pub struct CodedSample {
    /// The file it was read from (for messages).
    pub source: String,
    /// Names of the metadata columns (group columns and any other column), in file order.
    pub meta_columns: Vec<String>,
    /// Names of the label columns, in file order.
    pub label_columns: Vec<String>,
    /// The sentences, in file order.
    pub rows: Vec<CodedRow>,
}

impl CodedSample {
    /// The position of label column `name`.
    pub fn label_index(&self, name: &str) -> Option<usize> {
        self.label_columns.iter().position(|c| c == name)
    }

    /// The header, in the order [`write_coded_sample`] writes it.
    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = FIXED_COLUMNS[..3].iter().map(|s| s.to_string()).collect();
        h.extend(self.meta_columns.iter().cloned());
        h.extend(FIXED_COLUMNS[3..].iter().map(|s| s.to_string()));
        h.extend(self.label_columns.iter().cloned());
        h
    }
}

/// The text of a label cell: `1`, `0` or empty.
pub fn label_cell(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "1",
        Some(false) => "0",
        None => "",
    }
}

/// Parses a label cell: `1`/`0` (also `1.0`/`0.0`, `true`/`false`, `yes`/`no`),
/// empty (or whitespace) for "not labelled".
pub fn parse_label_cell(raw: &str) -> std::result::Result<Option<bool>, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "1" | "1.0" | "true" | "yes" => Ok(Some(true)),
        "0" | "0.0" | "false" | "no" => Ok(Some(false)),
        other => Err(format!(
            "`{other}` is not a label: write 1, 0, or leave the cell empty for \"not labelled\""
        )),
    }
}

/// Positions of the columns of a sample file, found by name.
struct SampleColumns {
    fixed: [usize; 7],
    meta: Vec<usize>,
    labels: Vec<usize>,
}

fn sample_columns(
    headers: &csv::StringRecord,
    source: &str,
    is_label: &dyn Fn(&str) -> bool,
) -> Result<SampleColumns> {
    let names: Vec<&str> = headers.iter().map(str::trim).collect();
    let mut fixed = [0usize; 7];
    for (slot, want) in fixed.iter_mut().zip(FIXED_COLUMNS) {
        *slot = names.iter().position(|h| *h == want).ok_or_else(|| {
            Error::input(
                Location::file(source).at_line(1).in_field(want),
                format!(
                    "missing required column `{want}` (a sample file has {}; header: {})",
                    FIXED_COLUMNS.join(", "),
                    names.join(",")
                ),
            )
        })?;
    }
    let mut seen = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if let Some(first) = seen.insert(*name, i) {
            return Err(Error::input(
                Location::file(source).at_line(1).in_field(*name),
                format!(
                    "column `{name}` appears twice (columns {} and {})",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    let (mut meta, mut labels) = (Vec::new(), Vec::new());
    for (i, name) in names.iter().enumerate() {
        if fixed.contains(&i) {
            continue;
        }
        if is_label(name) {
            labels.push(i);
        } else {
            meta.push(i);
        }
    }
    Ok(SampleColumns {
        fixed,
        meta,
        labels,
    })
}

/// Reads a sample file. `is_label` says which non-fixed columns hold labels.
/// Every bad cell is an error naming the file, line and column; a sentence
/// that appears twice is an error naming both lines.
pub fn read_coded_sample(path: &Path, is_label: &dyn Fn(&str) -> bool) -> Result<CodedSample> {
    let source = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    read_coded_sample_from(file, &source, is_label)
}

/// [`read_coded_sample`] from any reader; `source` names it in messages.
pub fn read_coded_sample_from<R: std::io::Read>(
    reader: R,
    source: &str,
    is_label: &dyn Fn(&str) -> bool,
) -> Result<CodedSample> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers = csv.headers().map_err(|e| read_error(source, 1, e))?.clone();
    let columns = sample_columns(&headers, source, is_label)?;
    let name = |i: usize| headers.get(i).unwrap_or("").trim().to_string();
    let mut sample = CodedSample {
        source: source.to_string(),
        meta_columns: columns.meta.iter().map(|&i| name(i)).collect(),
        label_columns: columns.labels.iter().map(|&i| name(i)).collect(),
        rows: Vec::new(),
    };
    let mut lines: HashMap<(String, u64), u64> = HashMap::new();
    for record in csv.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            read_error(source, line, e)
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let row = parse_row(&record, &columns, &headers, source, line)?;
        if let Some(first) = lines.insert((row.article_id.clone(), row.sentence_index), line) {
            return Err(Error::input(
                Location::file(source).at_line(line),
                format!(
                    "sentence {} of article `{}` appears twice (lines {first} and {line}); keep one row per sentence (one file per coder)",
                    row.sentence_index, row.article_id
                ),
            ));
        }
        sample.rows.push(row);
    }
    Ok(sample)
}

fn read_error(source: &str, line: u64, e: csv::Error) -> Error {
    Error::input(Location::file(source).at_line(line), e.to_string())
}

fn parse_row(
    record: &csv::StringRecord,
    columns: &SampleColumns,
    headers: &csv::StringRecord,
    source: &str,
    line: u64,
) -> Result<CodedRow> {
    let cell = |i: usize| record.get(i).unwrap_or("");
    let at = |i: usize| {
        Location::file(source)
            .at_line(line)
            .in_field(headers.get(i).unwrap_or("").trim())
    };
    let [article, index, stratum, prob, before, text, after] = columns.fixed;
    let article_id = cell(article).trim().to_string();
    if article_id.is_empty() {
        return Err(Error::input(at(article), "empty article id"));
    }
    let sentence_index = cell(index).trim().parse::<u64>().map_err(|_| {
        Error::input(
            at(index),
            format!(
                "`{}` is not a sentence index (a whole number from 0)",
                cell(index)
            ),
        )
    })?;
    let inclusion_probability =
        parse_inclusion_probability(cell(prob)).map_err(|m| Error::input(at(prob), m))?;
    let labels = columns
        .labels
        .iter()
        .map(|&i| parse_label_cell(cell(i)).map_err(|m| Error::input(at(i), m)))
        .collect::<Result<Vec<_>>>()?;
    Ok(CodedRow {
        line,
        article_id,
        sentence_index,
        stratum: cell(stratum).to_string(),
        meta: columns.meta.iter().map(|&i| cell(i).to_string()).collect(),
        inclusion_probability,
        context_before: cell(before).to_string(),
        text: cell(text).to_string(),
        context_after: cell(after).to_string(),
        labels,
    })
}

/// An inclusion-probability cell: empty for a sentence chosen by a model
/// (`None`), else a number in (0, 1].
fn parse_inclusion_probability(raw: &str) -> std::result::Result<Option<f64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<f64>()
        .ok()
        .filter(|p| *p > 0.0 && *p <= 1.0)
        .map(Some)
        .ok_or_else(|| format!("`{raw}` is not an inclusion probability (a number in (0, 1])"))
}

/// Writes `sample` as CSV to `out` (header from [`CodedSample::header`]).
pub fn write_coded_sample_to<W: Write>(out: W, sample: &CodedSample) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(sample.header())
        .map_err(super::output::csv_error)?;
    for row in &sample.rows {
        let mut record: Vec<String> = vec![
            row.article_id.clone(),
            row.sentence_index.to_string(),
            row.stratum.clone(),
        ];
        record.extend(row.meta.iter().cloned());
        record.push(
            row.inclusion_probability
                .map_or(String::new(), format_probability),
        );
        record.extend([
            row.context_before.clone(),
            row.text.clone(),
            row.context_after.clone(),
        ]);
        record.extend(row.labels.iter().map(|l| label_cell(*l).to_string()));
        w.write_record(&record).map_err(super::output::csv_error)?;
    }
    w.flush().map_err(Error::output)
}

/// Writes `sample` to `path` atomically: a temporary file in the same folder,
/// flushed to disk, then renamed over `path`. A reader (or a crash) sees the
/// old file or the new one, never a half-written one.
pub fn write_coded_sample(path: &Path, sample: &CodedSample) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sample.csv".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut buffered = std::io::BufWriter::new(file);
        write_coded_sample_to(&mut buffered, sample)?;
        let file = buffered
            .into_inner()
            .map_err(|e| Error::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        sync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Flushes a folder's entries (the rename) to disk where the platform allows it.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An inclusion probability as written: up to 12 significant digits, no
/// trailing zeros, so that reading it back gives the same weights to within
/// 1e-12.
pub fn format_probability(p: f64) -> String {
    let s = format!("{p:.12}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_label(name: &str) -> bool {
        name == "framing" || name == "doubt"
    }

    fn read(text: &str) -> Result<CodedSample> {
        read_coded_sample_from(text.as_bytes(), "s.csv", &is_label)
    }

    const HEADER: &str =
        "article_id,sentence_index,stratum,outlet,inclusion_probability,context_before,text,context_after,framing,doubt";

    #[test]
    fn round_trips_and_keeps_other_columns() {
        let text = format!(
            "{HEADER}\na1,0,A,A,0.25,,\"First, with a comma.\",Second.,1,\na1,1,A,A,0.25,\"First, with a comma.\",Second.,,0,1\n"
        );
        let s = read(&text).unwrap();
        assert_eq!(s.meta_columns, ["outlet"]);
        assert_eq!(s.label_columns, ["framing", "doubt"]);
        assert_eq!(s.rows[0].labels, [Some(true), None]);
        assert_eq!(s.rows[1].labels, [Some(false), Some(true)]);
        assert_eq!(s.rows[1].line, 3);
        let mut out = Vec::new();
        write_coded_sample_to(&mut out, &s).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let text = "doubt,text,article_id,context_after,sentence_index,note,inclusion_probability,stratum,context_before\n1,Hi.,a,,3,x,1,A,\n";
        let s = read(text).unwrap();
        assert_eq!(s.rows[0].sentence_index, 3);
        assert_eq!(s.rows[0].text, "Hi.");
        assert_eq!(s.label_columns, ["doubt"]);
        assert_eq!(s.meta_columns, ["note"]);
    }

    #[test]
    fn bad_cells_name_file_line_and_column() {
        let e = read(&format!("{HEADER}\na,0,A,A,0.5,,x,,2,\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.csv:2") && e.contains("`framing`") && e.contains("`2`"),
            "{e}"
        );
        let e = read(&format!("{HEADER}\na,zero,A,A,0.5,,x,,1,\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sentence_index"), "{e}");
        let e = read(&format!("{HEADER}\na,0,A,A,0,,x,,1,\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("inclusion_probability"), "{e}");
        let e = read("article_id,text\na,x\n").unwrap_err().to_string();
        assert!(
            e.contains("missing required column `sentence_index`"),
            "{e}"
        );
        let e = read(&format!("{HEADER}\na,0,A,A,1,,x,,1,\na,0,A,A,1,,x,,0,\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("lines 2 and 3"), "{e}");
    }

    #[test]
    fn an_empty_inclusion_probability_marks_a_chosen_not_drawn_sentence() {
        let text = format!("{HEADER}\na,0,uncertain,A,,,x,,1,\n");
        let s = read(&text).unwrap();
        assert_eq!(s.rows[0].inclusion_probability, None);
        let mut out = Vec::new();
        write_coded_sample_to(&mut out, &s).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text, "written back empty");
    }

    #[test]
    fn label_cells() {
        assert_eq!(parse_label_cell(" 1 "), Ok(Some(true)));
        assert_eq!(parse_label_cell("FALSE"), Ok(Some(false)));
        assert_eq!(parse_label_cell(""), Ok(None));
        assert!(parse_label_cell("0.5").is_err());
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.csv");
        let s = read(&format!("{HEADER}\na,0,A,A,0.5,,x,,1,\n")).unwrap();
        write_coded_sample(&path, &s).unwrap();
        let mut t = s.clone();
        t.rows[0].labels[1] = Some(false);
        write_coded_sample(&path, &t).unwrap();
        let back = read_coded_sample(&path, &is_label).unwrap();
        assert_eq!(back.rows[0].labels, [Some(true), Some(false)]);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1);
    }

    #[test]
    fn probabilities_are_written_compactly() {
        assert_eq!(format_probability(0.25), "0.25");
        assert_eq!(format_probability(1.0), "1");
        assert_eq!(format_probability(1.0 / 3.0), "0.333333333333");
    }
}
