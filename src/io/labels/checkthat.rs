//! The CheckThat! lab's subjectivity format: a tab-separated file with a
//! header row naming the columns `sentence_id`, `sentence` and `label` (the
//! 2024 release orders them `sentence_id, sentence, label[, solved_conflict]`,
//! the 2025 test files `sentence, label, sentence_id`; any order is read, and
//! other columns are ignored), one news sentence per row labelled `SUBJ` (the
//! author's subjective voice) or `OBJ`.
//!
//! rhetor reads a `SUBJ` sentence as carrying [`AUTHOR_VOICE`]; the set
//! annotates that device only (no techniques, no `framing`). Each sentence is
//! its own unit of resampling (an "article" of one sentence): the sentences
//! of the CheckThat splits come from many articles and carry no article id.

use super::{GoldArticle, GoldFormat, GoldOptions, GoldSentence, GoldSet, Problems};
use crate::error::{Error, Location, Result};
use crate::taxonomy::Device;
use crate::text::normalize;
use std::collections::HashSet;
use std::path::Path;

/// The device a CheckThat `SUBJ` label stands for: the author's own
/// subjective, evaluative voice (docs/codebook.md).
pub const AUTHOR_VOICE: Device = Device::EvaluativeEditorializing;

/// The columns a CheckThat file must have, by header name.
const REQUIRED: [&str; 3] = ["sentence_id", "sentence", "label"];

/// Positions of the required columns in a header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    sentence_id: usize,
    sentence: usize,
    label: usize,
}

impl Columns {
    /// Finds the required columns by name (any order, extra columns
    /// ignored); the error names the first missing one.
    fn find(header: &str) -> std::result::Result<Columns, &'static str> {
        let names: Vec<&str> = header.split('\t').map(str::trim).collect();
        let position = |name: &'static str| {
            names
                .iter()
                .position(|n| n.trim_start_matches('\u{feff}') == name)
                .ok_or(name)
        };
        Ok(Columns {
            sentence_id: position("sentence_id")?,
            sentence: position("sentence")?,
            label: position("label")?,
        })
    }

    /// The number of fields a row needs to hold every required column.
    fn width(&self) -> usize {
        self.sentence_id.max(self.sentence).max(self.label) + 1
    }
}

/// Is `path` an existing `.tsv` file? Labelled sets in that format are read
/// as CheckThat files, so that a missing column is named as such.
pub(super) fn is_tsv_file(path: &Path) -> bool {
    path.is_file() && path.extension().is_some_and(|e| e == "tsv")
}

/// Is `path` a CheckThat subjectivity file (a `.tsv` whose header row names
/// `sentence_id`, `sentence` and `label`, in any order)?
pub fn is_checkthat_file(path: &Path) -> bool {
    if !is_tsv_file(path) {
        return false;
    }
    let Ok(text) = std::fs::read(path) else {
        return false;
    };
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    Columns::find(String::from_utf8_lossy(first).trim_end()).is_ok()
}

/// Reads a CheckThat subjectivity TSV. Errors name the file, line and field;
/// with [`GoldOptions::skip_bad`] bad rows are skipped and listed.
pub fn read_checkthat_tsv(path: &Path, options: GoldOptions) -> Result<GoldSet> {
    let source = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::input(
            Location::file(&source),
            format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        )
    })?;
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l).unwrap_or("");
    let cols = Columns::find(header).map_err(|missing| {
        Error::input(
            Location::file(&source).at_line(1).in_field(missing),
            format!(
                "missing required column `{missing}` (a CheckThat header names {}, in any order; found `{header}`)",
                REQUIRED.join(", ")
            ),
        )
    })?;
    let mut problems = Problems::new(options);
    let mut seen = HashSet::new();
    let mut articles = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let loc = |field: &str| {
            Location::file(&source)
                .at_line(i as u64 + 1)
                .in_field(field)
        };
        match problems.recover(parse_row(line, cols, &loc))? {
            Some((id, sentence)) if seen.insert(id.clone()) => {
                articles.push(GoldArticle::new(id, vec![sentence]))
            }
            Some((id, _)) => problems.report(loc("sentence_id"), format!("duplicate id `{id}`"))?,
            None => {}
        }
    }
    Ok(GoldSet {
        source: path.to_path_buf(),
        format: GoldFormat::CheckThat,
        articles,
        devices: vec![AUTHOR_VOICE],
        skipped: problems.skipped,
    })
}

/// One data row: its id and its sentence.
fn parse_row(
    line: &str,
    cols: Columns,
    loc: &dyn Fn(&str) -> Location,
) -> Result<(String, GoldSentence)> {
    let fields: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
    if fields.len() < cols.width() {
        return Err(Error::input(
            loc("columns"),
            format!(
                "{} tab-separated fields, expected at least {}",
                fields.len(),
                cols.width()
            ),
        ));
    }
    let id = fields[cols.sentence_id].trim().to_string();
    if id.is_empty() {
        return Err(Error::input(loc("sentence_id"), "empty sentence id"));
    }
    // The scored text is the normalised sentence, as for PTC lines.
    let text = normalize(fields[cols.sentence].trim())
        .text
        .trim()
        .to_string();
    if text.is_empty() {
        return Err(Error::input(loc("sentence"), "empty sentence"));
    }
    let subjective = match fields[cols.label].trim() {
        "SUBJ" => true,
        "OBJ" => false,
        other => {
            return Err(Error::input(
                loc("label"),
                format!("`{other}` is not SUBJ or OBJ"),
            ))
        }
    };
    let sentence = GoldSentence {
        index: 0,
        line: None,
        text,
        devices: if subjective {
            vec![AUTHOR_VOICE]
        } else {
            vec![]
        },
        positive: subjective,
        split: None,
        char_span: None,
    };
    Ok((id, sentence))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dev_en.tsv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_subj_and_obj_rows_with_quotes_left_alone() {
        let (_d, path) = write(
            "sentence_id\tsentence\tlabel\tsolved_conflict\n\
             a1\tIt is \u{201c}curious\u{201d}, isn't it?\tSUBJ\tFalse\n\
             a2\tThe vote is on Tuesday.\tOBJ\tTrue\n",
        );
        assert!(is_checkthat_file(&path));
        let gold = read_checkthat_tsv(&path, GoldOptions::default()).unwrap();
        assert_eq!(gold.format, GoldFormat::CheckThat);
        assert_eq!(gold.devices, vec![AUTHOR_VOICE]);
        assert_eq!((gold.sentence_count(), gold.positive_count()), (2, 1));
        let s = &gold.articles[0].sentences[0];
        assert_eq!(
            s.text, "It is \"curious\", isn't it?",
            "curly quotes normalised"
        );
        assert_eq!(s.devices, vec![AUTHOR_VOICE]);
        assert!(gold.articles[1].sentences[0].devices.is_empty());
    }

    #[test]
    fn bad_rows_name_line_and_field_or_are_listed_when_skipped() {
        let text = "sentence_id\tsentence\tlabel\n\
                    a1\tFine.\tOBJ\n\
                    a2\tWrong label.\tMAYBE\n\
                    a1\tDuplicate.\tSUBJ\n";
        let (_d, path) = write(text);
        let err = read_checkthat_tsv(&path, GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dev_en.tsv:3") && err.contains("label"),
            "{err}"
        );
        assert!(err.contains("MAYBE"), "{err}");
        let gold = read_checkthat_tsv(&path, GoldOptions { skip_bad: true }).unwrap();
        assert_eq!(gold.sentence_count(), 1);
        assert_eq!(gold.skipped.len(), 2);
        assert!(gold.skipped[1].reason.contains("duplicate"));
    }

    #[test]
    fn a_header_without_a_required_column_names_it() {
        let (_d, path) = write("id\tsentence\tlabel\nx\ty\tSUBJ\n");
        assert!(!is_checkthat_file(&path));
        let err = read_checkthat_tsv(&path, GoldOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dev_en.tsv:1") && err.contains("missing required column `sentence_id`"),
            "{err}"
        );
    }

    #[test]
    fn both_official_column_orders_read_the_same_set() {
        // 2024: sentence_id, sentence, label, solved_conflict.
        let (_a, old) = write(
            "sentence_id\tsentence\tlabel\tsolved_conflict\n\
             a1\tIt is a shame.\tSUBJ\tFalse\n\
             a2\tThe vote is on Tuesday.\tOBJ\tTrue\n",
        );
        // 2025: sentence, label, sentence_id (and an extra column first).
        let (_b, new) = write(
            "note\tsentence\tlabel\tsentence_id\n\
             x\tIt is a shame.\tSUBJ\ta1\n\
             y\tThe vote is on Tuesday.\tOBJ\ta2\n",
        );
        assert!(is_checkthat_file(&old) && is_checkthat_file(&new));
        let old = read_checkthat_tsv(&old, GoldOptions::default()).unwrap();
        let new = read_checkthat_tsv(&new, GoldOptions::default()).unwrap();
        assert_eq!(old.articles, new.articles);
        assert_eq!(new.articles[0].id, "a1");
        assert_eq!(new.articles[0].sentences[0].devices, vec![AUTHOR_VOICE]);
    }
}
