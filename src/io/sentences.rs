//! Reading the `sentences.csv` that `rhetor batch` writes (its writer is
//! [`crate::io::output`]): the columns found by header name, and one row as a
//! typed [`SentenceRecord`] with its `flagged`, `cues` and `spans` cells
//! parsed. The HTML report's article view and `rhetor serve`'s Corpus page
//! read the file through it.

use crate::error::{Error, Location, Result};
use crate::io::output::parse_flagged;
use crate::taxonomy::Device;
use serde::Deserialize;

/// Column positions of a `sentences.csv`, found by header name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentenceColumns {
    /// `article_id`.
    pub id: usize,
    /// `sentence_index`.
    pub index: usize,
    /// `paragraph`.
    pub paragraph: usize,
    /// `start` (byte offset of the sentence in the original article).
    pub start: usize,
    /// `attributed`.
    pub attributed: usize,
    /// `text`.
    pub text: usize,
    /// `framing`.
    pub framing: usize,
    /// `flagged`.
    pub flagged: usize,
    /// `cues`.
    pub cues: usize,
    /// `spans` (files written before the span head have none).
    pub spans: Option<usize>,
    /// `title`, when the corpus had one.
    pub title: Option<usize>,
    /// The device probability columns present (between `flagged` and
    /// `cues`), in the file's order (the label-set order of the model).
    pub devices: Vec<(Device, usize)>,
    /// The label columns that are not devices (a model's own labels), with
    /// their positions: their names in `flagged` are not devices.
    pub other_labels: Vec<(String, usize)>,
}

impl SentenceColumns {
    /// Finds the columns in `header`; a missing required column is an error
    /// naming `source`, line 1 and the column.
    pub fn find<'a>(header: impl IntoIterator<Item = &'a str>, source: &str) -> Result<Self> {
        let names: Vec<&str> = header.into_iter().collect();
        let pos = |name: &str| names.iter().position(|h| *h == name);
        let need = |name: &str| {
            pos(name).ok_or_else(|| {
                Error::input(
                    Location::file(source).at_line(1).in_field(name),
                    format!(
                        "missing column `{name}` (is this a sentences.csv from `rhetor batch`?)"
                    ),
                )
            })
        };
        let (id, index, paragraph, start) = (
            need("article_id")?,
            need("sentence_index")?,
            need("paragraph")?,
            need("start")?,
        );
        let (attributed, text, framing) = (need("attributed")?, need("text")?, need("framing")?);
        let flagged = need("flagged")?;
        let cues = need("cues")?;
        let labels = names.get(flagged + 1..cues).unwrap_or_default();
        Ok(SentenceColumns {
            id,
            index,
            paragraph,
            start,
            attributed,
            text,
            framing,
            flagged,
            cues,
            spans: pos("spans"),
            title: pos("title"),
            devices: labels
                .iter()
                .enumerate()
                .filter_map(|(k, name)| Some((Device::from_id(name)?, flagged + 1 + k)))
                .collect(),
            other_labels: labels
                .iter()
                .enumerate()
                .filter(|(_, name)| Device::from_id(name).is_none())
                .map(|(k, name)| (name.to_string(), flagged + 1 + k))
                .collect(),
        })
    }

    /// Parses one row; a bad cell is an error naming `source`, `line` and the column.
    pub fn read(
        &self,
        record: &csv::StringRecord,
        source: &str,
        line: u64,
    ) -> Result<SentenceRecord> {
        let field = |i: usize| record.get(i).unwrap_or("");
        let at = |name: &str| Location::file(source).at_line(line).in_field(name);
        let number = |i: usize, name: &str| -> Result<f64> {
            field(i)
                .trim()
                .parse()
                .map_err(|_| Error::input(at(name), format!("`{}` is not a number", field(i))))
        };
        let count = |i: usize, name: &str| -> Result<usize> {
            field(i).trim().parse().map_err(|_| {
                Error::input(
                    at(name),
                    format!("`{}` is not a non-negative integer", field(i)),
                )
            })
        };
        let own = |n: &str| self.other_labels.iter().find(|(o, _)| o == n);
        let names: Vec<&str> = field(self.flagged)
            .split(';')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        let devices_only: Vec<&str> = names.iter().copied().filter(|n| own(n).is_none()).collect();
        let own_flagged: Vec<String> = names
            .iter()
            .filter_map(|n| own(n))
            .map(|(name, _)| name.clone())
            .collect();
        let own_scores = self
            .other_labels
            .iter()
            .filter(|(_, i)| !field(*i).trim().is_empty())
            .map(|(name, i)| Ok((name.clone(), number(*i, name)? as f32)))
            .collect::<Result<Vec<_>>>()?;
        let flagged =
            parse_flagged(&devices_only.join(";")).map_err(|m| Error::input(at("flagged"), m))?;
        let scores = self
            .devices
            .iter()
            .filter(|&&(_, i)| !field(i).trim().is_empty())
            .map(|&(d, i)| Ok((d, number(i, d.id())? as f32)))
            .collect::<Result<Vec<_>>>()?;
        Ok(SentenceRecord {
            article_id: field(self.id).to_string(),
            sentence_index: count(self.index, "sentence_index")?,
            paragraph: count(self.paragraph, "paragraph")?,
            start: count(self.start, "start")?,
            attributed: field(self.attributed).trim() == "true",
            text: field(self.text).to_string(),
            framing: number(self.framing, "framing")? as f32,
            scores,
            flagged,
            own_scores,
            own_flagged,
            cues: cue_cells(field(self.cues), &at("cues"))?,
            spans: match self.spans {
                Some(i) => span_cells(field(i), &at("spans"))?,
                None => Vec::new(),
            },
        })
    }
}

/// One row of `sentences.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceRecord {
    /// `article_id`.
    pub article_id: String,
    /// `sentence_index`.
    pub sentence_index: usize,
    /// `paragraph`.
    pub paragraph: usize,
    /// Byte offset of the sentence in the original article.
    pub start: usize,
    /// The sentence is attributed speech.
    pub attributed: bool,
    /// The sentence text.
    pub text: String,
    /// The `framing` score.
    pub framing: f32,
    /// The device probabilities present in the file (an empty cell is absent).
    pub scores: Vec<(Device, f32)>,
    /// The devices that reached their thresholds.
    pub flagged: Vec<Device>,
    /// The probabilities of a codebook's own labels present in the file
    /// (an empty cell is absent).
    pub own_scores: Vec<(String, f32)>,
    /// The labels of a codebook's own model that reached their thresholds,
    /// in `flagged`'s order.
    pub own_flagged: Vec<String>,
    /// The cue matches.
    pub cues: Vec<CueCell>,
    /// The model's spans.
    pub spans: Vec<SpanCell>,
}

impl SentenceRecord {
    /// The probability of `device`, when the file has its column.
    pub fn score(&self, device: Device) -> Option<f32> {
        self.scores
            .iter()
            .find(|(d, _)| *d == device)
            .map(|(_, p)| *p)
    }
}

/// A cue of the `cues` JSON cell. `start` is a byte offset in the original
/// article (the sentence's own `start` subtracted gives its place in the
/// sentence, up to normalisation).
#[derive(Debug, Clone, PartialEq)]
pub struct CueCell {
    /// The device.
    pub device: Device,
    /// Byte offset in the original article.
    pub start: usize,
    /// The matched text.
    pub text: String,
    /// The pattern that matched.
    pub pattern: String,
    /// The cue's weight.
    pub weight: f32,
    /// The cue lies in attributed speech.
    pub attributed: bool,
}

/// A model span of the `spans` JSON cell.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanCell {
    /// The technique.
    pub device: Device,
    /// Byte offset in the original article.
    pub start: usize,
    /// The span's text.
    pub text: String,
    /// The span's probability.
    pub probability: f32,
}

#[derive(Deserialize)]
struct CueJson {
    device: String,
    start: usize,
    text: String,
    #[serde(default)]
    pattern: String,
    #[serde(default)]
    weight: f32,
    #[serde(default)]
    attributed: bool,
}

#[derive(Deserialize)]
struct SpanJson {
    technique: String,
    start: usize,
    text: String,
    probability: f32,
}

fn unknown(at: &Location, what: &str, id: &str) -> Error {
    Error::input(at.clone(), format!("unknown device `{id}` in a {what}"))
}

/// The cues of one `cues` cell (an empty cell has none).
fn cue_cells(cell: &str, at: &Location) -> Result<Vec<CueCell>> {
    if cell.trim().is_empty() {
        return Ok(Vec::new());
    }
    let cues: Vec<CueJson> = serde_json::from_str(cell.trim())
        .map_err(|e| Error::input(at.clone(), format!("not a JSON array of cues: {e}")))?;
    cues.into_iter()
        .map(|c| {
            Ok(CueCell {
                device: Device::from_id(&c.device).ok_or_else(|| unknown(at, "cue", &c.device))?,
                start: c.start,
                text: c.text,
                pattern: c.pattern,
                weight: c.weight,
                attributed: c.attributed,
            })
        })
        .collect()
}

/// The spans of one `spans` cell (an empty cell has none).
fn span_cells(cell: &str, at: &Location) -> Result<Vec<SpanCell>> {
    if cell.trim().is_empty() {
        return Ok(Vec::new());
    }
    let spans: Vec<SpanJson> = serde_json::from_str(cell.trim())
        .map_err(|e| Error::input(at.clone(), format!("not a JSON array of spans: {e}")))?;
    spans
        .into_iter()
        .map(|s| {
            Ok(SpanCell {
                device: Device::from_id(&s.technique)
                    .ok_or_else(|| unknown(at, "span", &s.technique))?,
                start: s.start,
                text: s.text,
                probability: s.probability,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 12] = [
        "article_id",
        "outlet",
        "sentence_index",
        "paragraph",
        "start",
        "attributed",
        "text",
        "framing",
        "flagged",
        "doubt",
        "cues",
        "spans",
    ];

    fn row(cells: [&str; 12]) -> csv::StringRecord {
        csv::StringRecord::from(cells.to_vec())
    }

    #[test]
    fn reads_a_row_by_header_name() {
        let cols = SentenceColumns::find(HEADER, "s.csv").unwrap();
        let r = cols
            .read(
                &row([
                    "a1",
                    "X",
                    "2",
                    "1",
                    "40",
                    "false",
                    "Some doubt here.",
                    "0.7",
                    "doubt",
                    "0.81",
                    r#"[{"device":"doubt","start":45,"end":50,"text":"doubt","pattern":"doubt","weight":1.0}]"#,
                    r#"[{"technique":"doubt","start":45,"end":50,"text":"doubt","probability":0.6}]"#,
                ]),
                "s.csv",
                3,
            )
            .unwrap();
        assert_eq!((r.article_id.as_str(), r.sentence_index), ("a1", 2));
        assert_eq!((r.paragraph, r.start, r.attributed), (1, 40, false));
        assert_eq!(r.flagged, vec![Device::Doubt]);
        assert_eq!(r.score(Device::Doubt), Some(0.81));
        assert_eq!(r.score(Device::Slogans), None);
        assert_eq!(r.cues[0].device, Device::Doubt);
        assert_eq!((r.cues[0].start, r.cues[0].text.as_str()), (45, "doubt"));
        assert_eq!(r.spans[0].probability, 0.6);
    }

    #[test]
    fn labels_of_a_model_s_own_are_columns_but_not_devices() {
        let header = [
            "article_id",
            "sentence_index",
            "paragraph",
            "start",
            "attributed",
            "text",
            "framing",
            "flagged",
            "blame",
            "doubt",
            "cues",
            "spans",
        ];
        let cols = SentenceColumns::find(header, "s.csv").unwrap();
        assert_eq!(cols.devices, [(Device::Doubt, 9)]);
        let names: Vec<&str> = cols.other_labels.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["blame"]);
        let r = cols
            .read(
                &row([
                    "a1",
                    "0",
                    "0",
                    "0",
                    "false",
                    "t",
                    "0.7",
                    "blame;doubt",
                    "0.9",
                    "0.6",
                    "[]",
                    "[]",
                ]),
                "s.csv",
                2,
            )
            .unwrap();
        assert_eq!(r.flagged, [Device::Doubt]);
        let bad = row([
            "a1", "0", "0", "0", "false", "t", "0.7", "hope", "0.9", "0.6", "[]", "[]",
        ]);
        let e = cols.read(&bad, "s.csv", 3).unwrap_err().to_string();
        assert!(e.contains("hope"), "{e}");
    }

    #[test]
    fn names_the_missing_column_and_the_bad_cell() {
        let e = SentenceColumns::find(["article_id", "text"], "s.csv").unwrap_err();
        assert!(e.to_string().contains("sentence_index"), "{e}");
        let cols = SentenceColumns::find(HEADER, "s.csv").unwrap();
        let cells = |framing: &'static str, cues: &'static str| {
            row([
                "a1", "X", "0", "0", "0", "false", "t", framing, "", "0.1", cues, "",
            ])
        };
        let e = cols.read(&cells("high", "[]"), "s.csv", 7).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("s.csv") && m.contains('7') && m.contains("framing"),
            "{m}"
        );
        let e = cols
            .read(
                &cells("0.2", r#"[{"device":"nope","start":0,"end":1,"text":"t"}]"#),
                "s.csv",
                8,
            )
            .unwrap_err();
        assert!(e.to_string().contains("unknown device `nope`"), "{e}");
    }
}
