//! Reading `rhetor batch` output into per-article counts.
//!
//! Two inputs are understood, recognised by their header:
//! - `articles.csv`: `article_id, outlet, date, title, <carried…>, sentences,
//!   framing_sentences, framing_rate, framing_mean, framing_max,
//!   <device>_count…` — one row per article;
//! - `sentences.csv`: `article_id, outlet, date, title, <carried…>,
//!   sentence_index, …, framing, flagged, <device>…, cues` — one row per
//!   sentence, aggregated here per article (rows of one article need not be
//!   adjacent).
//!
//! Files ending in `.gz` are decompressed; `articles.parquet` and
//! `sentences.parquet` (same columns, typed) are read through
//! [`crate::io::table::TableReader`], with the same results. Every bad value
//! is an error naming the file, the line (for Parquet: the row number + 1, as
//! in the CSV twin) and the column.

use crate::error::{Error, Location, Result};
use crate::io::output::parse_flagged;
use crate::io::table::TableReader;
use crate::taxonomy::{intern_label_name, Device, DeviceMap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which kind of batch file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One row per article (`articles.csv`).
    Articles,
    /// One row per sentence (`sentences.csv`).
    Sentences,
}

/// One article's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleRecord {
    /// The article id.
    pub id: String,
    /// Values of [`Dataset::meta_columns`] (outlet, date, title, carried columns).
    pub meta: Vec<String>,
    /// Number of sentences.
    pub sentences: u64,
    /// Number of framing sentences.
    pub framing_sentences: u64,
    /// Sentences flagged with each device, indexed like [`Device::ALL`].
    pub counts: DeviceMap<u64>,
    /// Sentences flagged with each of the model's own labels, indexed like
    /// [`Dataset::own_labels`].
    pub own_counts: Vec<u64>,
}

/// Every article of a batch file.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The file read (for messages).
    pub source: String,
    /// Which kind of file it was.
    pub kind: InputKind,
    /// Names of the metadata columns (between `article_id` and the counts).
    pub meta_columns: Vec<String>,
    /// Devices that have a column in the file, in the file's column order
    /// (the label-set order of the model that wrote it).
    pub devices: Vec<Device>,
    /// Labels of the model's own codebook (not device ids) that have a
    /// column in the file, in the file's column order.
    pub own_labels: Vec<&'static str>,
    /// The articles, in file order.
    pub articles: Vec<ArticleRecord>,
}

impl Dataset {
    /// The position of metadata column `name`.
    pub fn meta_index(&self, name: &str) -> Option<usize> {
        self.meta_columns.iter().position(|c| c == name)
    }
}

/// Options for reading.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// In `sentences.csv`, a sentence counts as framing when its `framing`
    /// score reaches this value.
    pub framing_threshold: f32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            framing_threshold: 0.5,
        }
    }
}

/// The framing threshold that `rhetor batch` used, read from the
/// `summary.json` beside `input` (`thresholds.framing`); `None` when there is
/// no such file or field. `sentences.csv` needs it to count framing sentences
/// the way `articles.csv` does.
pub fn batch_framing_threshold(input: &Path) -> Option<f32> {
    let dir = if input.is_dir() {
        input
    } else {
        input.parent()?
    };
    let summary = crate::batch::read_summary(dir).ok()?;
    Some(summary.thresholds.framing as f32)
}

/// The table to read for `path`: `path` itself, or for a `rhetor batch`
/// output folder its articles table (`articles.csv`, `.csv.gz` or
/// `.parquet`), else its sentences table.
pub fn resolve_batch_input(path: &Path) -> Result<PathBuf> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    batch_table(path, "articles")
        .or_else(|| batch_table(path, "sentences"))
        .ok_or_else(|| {
            Error::input(
                Location::file(path.display().to_string()),
                "a folder without articles.csv, articles.parquet, sentences.csv or sentences.parquet (is it a `rhetor batch` output folder?)",
            )
        })
}

/// `dir/<stem>.csv`, `.csv.gz` or `.parquet`, the first that exists.
pub fn batch_table(dir: &Path, stem: &str) -> Option<PathBuf> {
    ["csv", "csv.gz", "parquet"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
}

/// Reads `articles.csv` or `sentences.csv`, or their `.parquet` twins
/// (recognised by their columns), or the table of a batch folder (see
/// [`resolve_batch_input`]).
pub fn read_dataset(path: &Path, options: ReadOptions) -> Result<Dataset> {
    let path = resolve_batch_input(path)?;
    let reader = TableReader::open(&path)?;
    let source = reader.source().to_string();
    let columns: Vec<String> = reader.headers().to_vec();
    if columns.iter().any(|c| c == "sentence_index") {
        read_sentences(reader, source, &columns, options)
    } else if columns.iter().any(|c| c == "framing_sentences") {
        read_articles(reader, source, &columns)
    } else {
        Err(Error::input(
            Location::file(source).at_line(1),
            "not a `rhetor batch` file: expected the header of articles.csv \
             (with `sentences`, `framing_sentences`, `<device>_count`) or of \
             sentences.csv (with `sentence_index`, `flagged`)",
        ))
    }
}

fn required(columns: &[String], name: &str, source: &str) -> Result<usize> {
    columns.iter().position(|c| c == name).ok_or_else(|| {
        Error::input(
            Location::file(source).at_line(1).in_field(name),
            format!("missing column `{name}`"),
        )
    })
}

/// Metadata columns: everything strictly between `article_id` and `end`.
fn meta_range(columns: &[String], id: usize, end: usize, source: &str) -> Result<Vec<usize>> {
    if end <= id {
        return Err(Error::input(
            Location::file(source).at_line(1),
            format!(
                "column `{}` must come after `article_id` and the metadata columns",
                columns[end]
            ),
        ));
    }
    Ok((id + 1..end).collect())
}

fn read_articles(mut reader: TableReader, source: String, columns: &[String]) -> Result<Dataset> {
    let id_col = required(columns, "article_id", &source)?;
    let sentences_col = required(columns, "sentences", &source)?;
    let framing_col = required(columns, "framing_sentences", &source)?;
    let meta_cols = meta_range(columns, id_col, sentences_col, &source)?;
    // In the file's order: the model's label-set order.
    let device_cols: Vec<(Device, usize)> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let d = Device::from_id(c.strip_suffix("_count")?)?;
            Some((d, i))
        })
        .collect();
    // `<label>_count` columns after `sentences` that name no device: the
    // labels of a codebook's own model.
    let own_cols: Vec<(&'static str, usize)> = columns
        .iter()
        .enumerate()
        .skip(sentences_col + 1)
        .filter_map(|(i, c)| {
            let name = c.strip_suffix("_count").filter(|n| !n.is_empty())?;
            Device::from_id(name)
                .is_none()
                .then(|| (intern_label_name(name), i))
        })
        .collect();
    let mut used = vec![id_col, sentences_col, framing_col];
    used.extend(&meta_cols);
    used.extend(device_cols.iter().map(|(_, i)| *i));
    used.extend(own_cols.iter().map(|(_, i)| *i));
    reader.keep_only(&used);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut articles = Vec::new();
    for record in reader {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("");
        let id = field(id_col).to_string();
        if let Some(first) = seen.insert(id.clone(), line) {
            return Err(Error::input(
                Location::file(&source).at_line(line).in_field("article_id"),
                format!("article `{id}` appears twice (first on line {first})"),
            ));
        }
        let count = |i: usize| parse_count(field(i), &source, line, &columns[i]);
        let mut counts = DeviceMap::filled(0u64);
        for (d, i) in &device_cols {
            counts[*d] = count(*i)?;
        }
        let own_counts = own_cols
            .iter()
            .map(|(_, i)| count(*i))
            .collect::<Result<Vec<u64>>>()?;
        let record = ArticleRecord {
            id,
            meta: meta_cols.iter().map(|i| field(*i).to_string()).collect(),
            sentences: count(sentences_col)?,
            framing_sentences: count(framing_col)?,
            counts,
            own_counts,
        };
        let own_names: Vec<&str> = own_cols.iter().map(|(n, _)| *n).collect();
        check_counts(&record, &own_names, &source, line)?;
        articles.push(record);
    }
    Ok(Dataset {
        source,
        kind: InputKind::Articles,
        meta_columns: meta_cols.iter().map(|i| columns[*i].clone()).collect(),
        devices: device_cols.iter().map(|(d, _)| *d).collect(),
        own_labels: own_cols.iter().map(|(n, _)| *n).collect(),
        articles,
    })
}

/// A device, own label or framing count larger than the number of
/// sentences is an error (`own` names the own labels' counts in order).
fn check_counts(record: &ArticleRecord, own: &[&str], source: &str, line: u64) -> Result<()> {
    let too_many = |what: &str, n: u64| {
        Error::input(
            Location::file(source).at_line(line).in_field(what),
            format!(
                "{n} flagged sentences but the article has only {} sentences",
                record.sentences
            ),
        )
    };
    if record.framing_sentences > record.sentences {
        return Err(too_many("framing_sentences", record.framing_sentences));
    }
    for d in Device::ALL {
        let n = record.counts[d];
        if n > record.sentences {
            return Err(too_many(&format!("{}_count", d.id()), n));
        }
    }
    for (name, &n) in own.iter().zip(&record.own_counts) {
        if n > record.sentences {
            return Err(too_many(&format!("{name}_count"), n));
        }
    }
    Ok(())
}

fn parse_count(value: &str, source: &str, line: u64, column: &str) -> Result<u64> {
    value.trim().parse().map_err(|_| {
        Error::input(
            Location::file(source).at_line(line).in_field(column),
            format!("`{value}` is not a non-negative whole number"),
        )
    })
}

fn read_sentences(
    mut reader: TableReader,
    source: String,
    columns: &[String],
    options: ReadOptions,
) -> Result<Dataset> {
    let id_col = required(columns, "article_id", &source)?;
    let index_col = required(columns, "sentence_index", &source)?;
    let framing_col = required(columns, "framing", &source)?;
    let flagged_col = required(columns, "flagged", &source)?;
    let meta_cols = meta_range(columns, id_col, index_col, &source)?;
    // The label columns after `flagged`, in the file's order (the model's
    // label-set order).
    let devices: Vec<Device> = columns[flagged_col + 1..]
        .iter()
        .filter_map(|c| Device::from_id(c))
        .collect();
    let own_labels = own_label_columns(&columns[flagged_col + 1..]);
    let mut used = vec![id_col, framing_col, flagged_col];
    used.extend(&meta_cols);
    reader.keep_only(&used);
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut articles: Vec<ArticleRecord> = Vec::new();
    for record in reader {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("");
        let at = |column: &str| Location::file(&source).at_line(line).in_field(column);
        let framing: f32 = field(framing_col).trim().parse().map_err(|_| {
            Error::input(
                at("framing"),
                format!("`{}` is not a number", field(framing_col)),
            )
        })?;
        // Labels of the model's own (not devices) are counted by name; any
        // other unknown name is an error.
        let (flagged, own_flagged) = split_flagged(field(flagged_col), &own_labels)
            .map_err(|m| Error::input(at("flagged"), m))?;
        let id = field(id_col);
        let slot = match index.get(id) {
            Some(i) => *i,
            None => {
                index.insert(id.to_string(), articles.len());
                articles.push(ArticleRecord {
                    id: id.to_string(),
                    meta: meta_cols.iter().map(|i| field(*i).to_string()).collect(),
                    sentences: 0,
                    framing_sentences: 0,
                    counts: DeviceMap::filled(0),
                    own_counts: vec![0; own_labels.len()],
                });
                articles.len() - 1
            }
        };
        let article = &mut articles[slot];
        article.sentences += 1;
        article.framing_sentences += u64::from(framing >= options.framing_threshold);
        for d in flagged {
            article.counts[d] += 1;
        }
        for k in own_flagged {
            article.own_counts[k] += 1;
        }
    }
    Ok(Dataset {
        source,
        kind: InputKind::Sentences,
        meta_columns: meta_cols.iter().map(|i| columns[*i].clone()).collect(),
        devices,
        own_labels,
        articles,
    })
}

/// The label columns of a sentences table (those after `flagged`) that name
/// no device: a codebook's own labels, in the file's order (`cues` and
/// `spans`, which follow the labels, are not labels).
pub(crate) fn own_label_columns(after_flagged: &[String]) -> Vec<&'static str> {
    after_flagged
        .iter()
        .map(String::as_str)
        .filter(|c| Device::from_id(c).is_none() && !matches!(*c, "cues" | "spans"))
        .map(intern_label_name)
        .collect()
}

/// A `flagged` cell split into its devices (in [`Device::ALL`] order, as
/// [`parse_flagged`] gives them) and the positions in `own` of the own
/// labels it names; a name that is neither is an error message.
pub(crate) fn split_flagged(
    cell: &str,
    own: &[&str],
) -> std::result::Result<(Vec<Device>, Vec<usize>), String> {
    let mut own_found = Vec::new();
    let mut devices = Vec::new();
    for name in cell.split(';').map(str::trim).filter(|n| !n.is_empty()) {
        match own.iter().position(|o| *o == name) {
            Some(k) if Device::from_id(name).is_none() => {
                if !own_found.contains(&k) {
                    own_found.push(k);
                }
            }
            _ => devices.push(name),
        }
    }
    let devices = parse_flagged(&devices.join(";"))?;
    Ok((devices, own_found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(path: &Path) -> String {
        read_dataset(path, ReadOptions::default())
            .unwrap_err()
            .to_string()
    }

    fn write(dir: &Path, name: &str, content: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn reads_articles_csv_with_carried_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "articles.csv",
            "article_id,outlet,date,title,section,sentences,framing_sentences,framing_rate,framing_mean,framing_max,doubt_count,scare_quotes_count\n\
             a1,Daily,2024-01-02,T,politics,10,3,0.3,0.2,0.9,2,1\n",
        );
        let d = read_dataset(&path, ReadOptions::default()).unwrap();
        assert_eq!(d.kind, InputKind::Articles);
        assert_eq!(d.meta_columns, ["outlet", "date", "title", "section"]);
        // In the file's column order.
        assert_eq!(d.devices, vec![Device::Doubt, Device::ScareQuotes]);
        let a = &d.articles[0];
        assert_eq!((a.sentences, a.framing_sentences), (10, 3));
        assert_eq!(a.counts[Device::Doubt], 2);
        assert_eq!(a.meta[3], "politics");
    }

    #[test]
    fn bad_counts_name_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "articles.csv",
            "article_id,outlet,date,title,sentences,framing_sentences,doubt_count\n\
             a1,X,2024-01-02,T,10,3,2\n\
             a2,X,2024-01-02,T,10,3,many\n",
        );
        let e = error_of(&path);
        assert!(
            e.contains(":3") && e.contains("doubt_count") && e.contains("many"),
            "{e}"
        );
        let path = write(
            dir.path(),
            "dup.csv",
            "article_id,outlet,date,title,sentences,framing_sentences\n\
             a1,X,,T,1,0\na1,X,,T,1,0\n",
        );
        let e = error_of(&path);
        assert!(e.contains("twice"), "{e}");
        let path = write(
            dir.path(),
            "over.csv",
            "article_id,outlet,date,title,sentences,framing_sentences\na1,X,,T,1,2\n",
        );
        let e = error_of(&path);
        assert!(e.contains("framing_sentences") && e.contains(":2"), "{e}");
    }

    #[test]
    fn aggregates_sentences_csv_per_article() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "sentences.csv",
            "article_id,outlet,date,title,sentence_index,paragraph,start,end,byte_start,byte_end,attributed,text,framing,flagged,doubt,scare_quotes,cues\n\
             a1,X,2024-01-02,T,0,0,0,5,0,5,false,Hello,0.9,doubt;scare_quotes,0.9,0.8,[]\n\
             a2,Y,2024-01-03,U,0,0,0,5,0,5,false,Hello,0.1,,0.1,0.1,[]\n\
             a1,X,2024-01-02,T,1,0,6,9,6,9,false,Bye,0.6,doubt,0.7,0.1,[]\n",
        );
        let d = read_dataset(&path, ReadOptions::default()).unwrap();
        assert_eq!(d.kind, InputKind::Sentences);
        assert_eq!(d.articles.len(), 2);
        let a1 = &d.articles[0];
        assert_eq!((a1.sentences, a1.framing_sentences), (2, 2));
        assert_eq!(a1.counts[Device::Doubt], 2);
        assert_eq!(a1.counts[Device::ScareQuotes], 1);
        assert_eq!(d.articles[1].framing_sentences, 0);
    }

    #[test]
    fn labels_of_a_codebook_of_ones_own_are_counted_from_either_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "articles.csv",
            "article_id,outlet,date,title,sentences,framing_sentences,framing_rate,framing_mean,framing_max,blame_count,us_vs_them_count\n\
             a1,Daily,2024-01-02,T,10,3,0.3,0.2,0.9,2,1\n",
        );
        let d = read_dataset(&path, ReadOptions::default()).unwrap();
        assert!(d.devices.is_empty());
        assert_eq!(d.own_labels, ["blame", "us_vs_them"]);
        assert_eq!(d.articles[0].own_counts, [2, 1]);
        let over = write(
            dir.path(),
            "over.csv",
            "article_id,outlet,date,title,sentences,framing_sentences,blame_count\na1,X,,T,1,0,2\n",
        );
        let e = error_of(&over);
        assert!(e.contains("blame_count") && e.contains(":2"), "{e}");

        let path = write(
            dir.path(),
            "sentences.csv",
            "article_id,outlet,date,title,sentence_index,paragraph,start,end,byte_start,byte_end,attributed,text,framing,flagged,blame,us_vs_them,cues,spans\n\
             a1,X,2024-01-02,T,0,0,0,5,0,5,false,Hello,0.9,blame;us_vs_them,0.9,0.8,[],[]\n\
             a1,X,2024-01-02,T,1,0,6,9,6,9,false,Bye,0.6,blame,0.7,0.1,[],[]\n",
        );
        let d = read_dataset(&path, ReadOptions::default()).unwrap();
        assert_eq!(d.own_labels, ["blame", "us_vs_them"]);
        assert_eq!(d.articles[0].own_counts, [2, 1]);
        // A flagged name that is neither a device nor a label column is an error.
        let bad = write(
            dir.path(),
            "bad.csv",
            "article_id,outlet,date,title,sentence_index,text,framing,flagged,blame,cues\n\
             a1,X,,T,0,Hello,0.9,blame;nonsense,0.9,[]\n",
        );
        let e = error_of(&bad);
        assert!(e.contains("flagged") && e.contains("nonsense"), "{e}");
    }

    #[test]
    fn the_batch_framing_threshold_comes_from_summary_json() {
        let dir = tempfile::tempdir().unwrap();
        let input = write(dir.path(), "sentences.csv", "");
        assert_eq!(batch_framing_threshold(&input), None);
        let summary = include_str!("../../tests/data/summary.json")
            .replace("\"framing\": 0.45904889702796936", "\"framing\": 0.14");
        write(dir.path(), "summary.json", &summary);
        assert_eq!(batch_framing_threshold(&input), Some(0.14));
    }

    #[test]
    fn unknown_flagged_device_is_an_error() {
        assert!(parse_flagged("doubt;nonsense").is_err());
        assert_eq!(parse_flagged("doubt; doubt;").unwrap(), vec![Device::Doubt]);
    }

    #[test]
    fn other_files_are_rejected_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.csv", "id,text\n1,hello\n");
        let e = error_of(&path);
        assert!(e.contains("not a `rhetor batch` file"), "{e}");
    }
}
