//! Sentence-level rows of a `rhetor batch` folder, for the articles a caller
//! asks for: the text (to build a validation sample) and the flags (to meet a
//! coder's labels). The rows of other articles are read past, not kept, so
//! memory follows the sample, not the corpus.

use super::input::{batch_table, own_label_columns, split_flagged};
use crate::error::{Error, Location, Result};
use crate::io::table::TableReader;
use crate::taxonomy::Device;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One sentence of a batch output.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceRecord {
    /// The sentence's 0-based index in its article.
    pub index: u64,
    /// The sentence text.
    pub text: String,
    /// The sentence reached the framing threshold.
    pub framing: bool,
    /// Devices flagged in the sentence.
    pub flagged: Vec<Device>,
    /// Labels of a codebook's own model flagged in the sentence.
    pub own_flagged: Vec<&'static str>,
    /// The line of the row in the table (for messages).
    pub line: u64,
}

/// The sentences table of a batch folder (`sentences.csv`, `.csv.gz` or
/// `.parquet`), or `path` itself when it is a file.
pub fn sentences_table(path: &Path) -> Result<PathBuf> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    batch_table(path, "sentences").ok_or_else(|| {
        Error::input(
            Location::file(path.display().to_string()),
            "no sentences.csv, sentences.csv.gz or sentences.parquet in this folder: validation samples need the sentence table of `rhetor batch`",
        )
    })
}

/// The sentences table that goes with a batch input: the folder's, the file
/// itself when it is a sentences table, else the one beside it.
pub fn sentences_beside(input: &Path) -> Result<PathBuf> {
    let name = input.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if input.is_dir() || name.starts_with("sentences") {
        return sentences_table(input);
    }
    match input.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => sentences_table(dir),
        None => sentences_table(Path::new(".")),
    }
}

/// Reads the sentences of `articles` from a batch sentences table, each
/// article's sentences sorted by index. A sentence counts as framing when its
/// `framing` score reaches `framing_threshold` (the threshold of the batch run).
pub fn read_sentences_of(
    table: &Path,
    articles: &HashSet<&str>,
    framing_threshold: f32,
) -> Result<HashMap<String, Vec<SentenceRecord>>> {
    let mut reader = TableReader::open(table)?;
    let source = reader.source().to_string();
    let columns: Vec<String> = reader.headers().to_vec();
    let find = |name: &str| {
        columns.iter().position(|c| c == name).ok_or_else(|| {
            Error::input(
                Location::file(&source).at_line(1).in_field(name),
                format!("missing column `{name}` (is it the sentences table of `rhetor batch`?)"),
            )
        })
    };
    let [id, index, text, framing, flagged] = [
        find("article_id")?,
        find("sentence_index")?,
        find("text")?,
        find("framing")?,
        find("flagged")?,
    ];
    let own_labels = own_label_columns(&columns[flagged + 1..]);
    reader.keep_only(&[id, index, text, framing, flagged]);
    let mut out: HashMap<String, Vec<SentenceRecord>> = HashMap::new();
    for record in reader {
        let record = record?;
        let field = |i: usize| record.get(i).unwrap_or("");
        if !articles.contains(field(id)) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let at = |column: &str| Location::file(&source).at_line(line).in_field(column);
        let sentence_index = field(index).trim().parse::<u64>().map_err(|_| {
            Error::input(
                at("sentence_index"),
                format!("`{}` is not a sentence index", field(index)),
            )
        })?;
        let score: f32 = field(framing).trim().parse().map_err(|_| {
            Error::input(
                at("framing"),
                format!("`{}` is not a number", field(framing)),
            )
        })?;
        let (devices, own) = split_flagged(field(flagged), &own_labels)
            .map_err(|m| Error::input(at("flagged"), m))?;
        out.entry(field(id).to_string())
            .or_default()
            .push(SentenceRecord {
                index: sentence_index,
                text: field(text).to_string(),
                framing: score >= framing_threshold,
                flagged: devices,
                own_flagged: own.into_iter().map(|k| own_labels[k]).collect(),
                line,
            });
    }
    for sentences in out.values_mut() {
        sentences.sort_by_key(|s| s.index);
    }
    Ok(out)
}
