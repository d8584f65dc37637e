//! rhetor's own labelled CSV (`article_id, sentence_index, text, devices[, start, end][, split]`)
//! and the labels-only CSV a labelling pass writes.

use super::{GoldArticle, GoldFormat, GoldOptions, GoldSentence, GoldSet, Problems};
use crate::error::{Error, Location, Result};
use crate::taxonomy::Device;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

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
    headers: &::csv::StringRecord,
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

/// Parses a `;`-separated device list (empty = none): the `flagged` cell
/// format of rhetor's outputs, with the same parser.
pub use crate::io::output::parse_flagged as parse_devices_field;

/// One parsed CSV row.
struct CsvRow {
    article_id: String,
    sentence: GoldSentence,
}

fn parse_csv_row(
    rec: &::csv::StringRecord,
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
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let headers = reader
        .headers()
        .map_err(|e| Error::input(Location::file(&source).at_line(1), e.to_string()))?
        .clone();
    let cols = csv_columns(&headers, &source, require_text)?;
    let mut problems = Problems::new(options);
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
        let Some(row) = problems.recover(parse_csv_row(&rec, &cols, &loc))? else {
            continue;
        };
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
    let articles = articles
        .into_iter()
        .map(|(id, mut sentences)| {
            sentences.sort_by_key(|s| s.index);
            GoldArticle::new(id, sentences)
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

#[cfg(test)]
mod tests {
    use super::super::read_gold;
    use super::*;

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

    #[test]
    fn columns_are_found_by_header_name_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let b = dir.path().join("b.csv");
        std::fs::write(
            &a,
            "article_id,sentence_index,text,devices\nx,0,One.,doubt\nx,1,Two.,\n",
        )
        .unwrap();
        std::fs::write(
            &b,
            "devices,extra,text,sentence_index,article_id\ndoubt,?,One.,0,x\n,?,Two.,1,x\n",
        )
        .unwrap();
        let a = read_rhetor_csv(&a, GoldOptions::default()).unwrap();
        let b = read_rhetor_csv(&b, GoldOptions::default()).unwrap();
        assert_eq!(a.articles, b.articles);
        std::fs::write(
            dir.path().join("c.csv"),
            "article_id,text,devices\nx,One.,\n",
        )
        .unwrap();
        let err = read_rhetor_csv(&dir.path().join("c.csv"), GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("c.csv:1") && err.contains("missing required column `sentence_index`"),
            "{err}"
        );
    }
}
