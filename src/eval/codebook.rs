//! `rhetor eval` of a model with labels of its own (a declared
//! `label_set`, e.g. trained by `rhetor train --labels`) on a coded file:
//! every row's text is scored as one sentence, without context (as the
//! trainer scores its hold-out and `--test` rows), and each label, then
//! `framing` (= some label of the set), gets precision, recall, F1 and
//! macro-F1 with 95 % bootstrap intervals over the coded sentences, at the
//! model's own thresholds. Rows whose cell is empty are not coded for that
//! label and are left out of its figures (counted in `not_coded`).

use crate::error::{Error, Result};
use crate::io::coded::CodedFile;
use crate::model::{Scorer, SentenceInput, Thresholds};
use crate::stats::figures::LabelFigures;
use serde::Serialize;

/// What `rhetor eval` reports for a model with labels of its own.
#[derive(Debug, Clone, Serialize)]
pub struct CodebookEvaluation {
    /// The model's name.
    pub model: String,
    /// The coded file (path, SHA-256, rows).
    pub gold: GoldFile,
    /// Per label of the model's set, then `framing`.
    pub figures: Vec<LabelFigures>,
    /// Per label, then `framing`: rows whose cell was empty (not coded).
    pub not_coded: Vec<usize>,
}

impl CodebookEvaluation {
    /// Writes the evaluation as JSON to `path` (`metrics.json` of `--out`).
    pub fn write_json(&self, path: &std::path::Path) -> Result<()> {
        crate::json::write_pretty(path, self)
    }
}

/// The coded file an evaluation read.
#[derive(Debug, Clone, Serialize)]
pub struct GoldFile {
    /// Its path.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Data rows.
    pub rows: usize,
}

/// Scores every row of `file` with `scorer` (batches of `batch_size`) and
/// measures its decisions at `thresholds` against the coded labels. The
/// file's label columns must be the scorer's labels, in order (read it with
/// those names).
pub fn evaluate_codebook(
    scorer: &dyn Scorer,
    thresholds: &Thresholds,
    file: &CodedFile,
    batch_size: usize,
) -> Result<CodebookEvaluation> {
    let names: Vec<&str> = scorer.labels().names().collect();
    if file.labels != names {
        return Err(Error::Config(format!(
            "{}: label columns {:?} are not the model's labels {:?}",
            file.source, file.labels, names
        )));
    }
    let mut predicted: Vec<(Vec<bool>, bool)> = Vec::with_capacity(file.rows.len());
    for chunk in file.rows.chunks(batch_size.max(1)) {
        let inputs: Vec<SentenceInput<'_>> = chunk
            .iter()
            .map(|r| SentenceInput {
                text: &r.text,
                prev: None,
                next: None,
                title: None,
            })
            .collect();
        for scores in scorer.score_batch(&inputs)? {
            let labels = (0..names.len())
                .map(|i| thresholds.label_reached(i, &scores.probs))
                .collect();
            predicted.push((labels, scores.framing >= thresholds.framing));
        }
    }
    let mut figures = Vec::with_capacity(names.len() + 1);
    let mut not_coded = Vec::with_capacity(names.len() + 1);
    for (i, name) in names.iter().enumerate() {
        let decisions: Vec<(bool, bool)> = file
            .rows
            .iter()
            .zip(&predicted)
            .filter_map(|(row, (p, _))| row.labels[i].map(|g| (g, p[i])))
            .collect();
        not_coded.push(file.rows.len() - decisions.len());
        figures.push(LabelFigures::of(name, thresholds.label(i), &decisions));
    }
    let decisions: Vec<(bool, bool)> = file
        .rows
        .iter()
        .zip(&predicted)
        .filter_map(|(row, (_, f))| row.framing().map(|g| (g, *f)))
        .collect();
    not_coded.push(file.rows.len() - decisions.len());
    figures.push(LabelFigures::of("framing", thresholds.framing, &decisions));
    Ok(CodebookEvaluation {
        model: scorer.name().to_string(),
        gold: GoldFile {
            path: file.source.clone(),
            sha256: file.sha256.clone(),
            rows: file.rows.len(),
        },
        figures,
        not_coded,
    })
}
