//! Error analysis: the most confident false positives and false negatives
//! of the sentence-level decision.

use super::run::ModelRun;
use crate::io::labels::GoldSet;
use serde::Serialize;

/// One sentence in the error analysis.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorCase {
    /// Article id.
    pub article_id: String,
    /// Sentence index in the article.
    pub sentence_index: usize,
    /// 1-based line in the article file (PTC).
    pub line: Option<usize>,
    /// The model's framing probability.
    pub framing: f32,
    /// The scored sentence-level probability (`framing`, or the author-voice
    /// device for CheckThat!): the errors are ranked by it.
    pub score: f32,
    /// Gold devices.
    pub gold_devices: Vec<String>,
    /// Devices the model flagged.
    pub predicted_devices: Vec<String>,
    /// Cues: `device: "text" (pattern)`; texts are dropped when redacted.
    pub cues: Vec<String>,
    /// The sentence (absent when redacted).
    pub text: Option<String>,
}

/// The most confident errors of the binary decision.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorAnalysis {
    /// Gold negative, predicted positive; highest score first.
    pub false_positives: Vec<ErrorCase>,
    /// Gold positive, predicted negative; lowest score first.
    pub false_negatives: Vec<ErrorCase>,
}

/// Collects the `n` most confident false positives and false negatives.
/// With `redact`, sentence and cue texts are left out (for reports on
/// corpora whose text may not be redistributed).
pub fn error_analysis(gold: &GoldSet, run: &ModelRun, n: usize, redact: bool) -> ErrorAnalysis {
    let mut fps = Vec::new();
    let mut fns = Vec::new();
    for (a, scores) in gold.articles.iter().zip(&run.scores) {
        for (s, sc) in a.sentences.iter().zip(scores) {
            let predicted = run.decision(gold, sc);
            if predicted == s.positive {
                continue;
            }
            let case = ErrorCase {
                article_id: a.id.clone(),
                sentence_index: s.index,
                line: s.line,
                framing: sc.framing,
                score: ModelRun::sentence_prob(gold, sc),
                gold_devices: s.devices.iter().map(|d| d.id().to_string()).collect(),
                predicted_devices: run
                    .thresholds
                    .flagged(&sc.probs)
                    .iter()
                    .map(|d| d.id().to_string())
                    .collect(),
                cues: sc
                    .cues
                    .iter()
                    .map(|c| {
                        let text = s.text.get(c.start..c.end).unwrap_or("");
                        if redact {
                            format!("{} ({}, {:+.2})", c.device, c.pattern, c.weight)
                        } else {
                            format!(
                                "{}: \"{}\" ({}, {:+.2})",
                                c.device, text, c.pattern, c.weight
                            )
                        }
                    })
                    .collect(),
                text: (!redact).then(|| s.text.clone()),
            };
            if predicted {
                fps.push(case);
            } else {
                fns.push(case);
            }
        }
    }
    fps.sort_by(|a, b| b.score.total_cmp(&a.score));
    fns.sort_by(|a, b| a.score.total_cmp(&b.score));
    fps.truncate(n);
    fns.truncate(n);
    ErrorAnalysis {
        false_positives: fps,
        false_negatives: fns,
    }
}
