//! Scoring a labelled set with a model, and computing every metric of the
//! evaluation report from the scores.

use super::bootstrap::{bootstrap_intervals, DEFAULT_RESAMPLES, DEFAULT_SEED};
use super::calibration::{calibration, Calibration};
use super::labels::{GoldFormat, GoldSet};
use super::metrics::{average_precision, Counts};
use crate::error::Result;
use crate::model::{Scorer, SentenceInput, SentenceScores, Thresholds};
use crate::stats::Interval;
use crate::taxonomy::{Device, DeviceMap, Label};
use rayon::prelude::*;
use serde::Serialize;

/// A model's scores for every sentence of a [`GoldSet`] (indexed like its
/// articles and sentences) and the thresholds that turn them into decisions.
#[derive(Debug, Clone)]
pub struct ModelRun {
    /// The model's name in reports.
    pub name: String,
    /// The decision thresholds.
    pub thresholds: Thresholds,
    /// `scores[article][sentence]`.
    pub scores: Vec<Vec<SentenceScores>>,
}

/// Scores every sentence of `gold` with `scorer` (articles in parallel; the
/// context of a sentence is its neighbours in the same article and the title).
pub fn score_gold(
    gold: &GoldSet,
    scorer: &dyn Scorer,
    thresholds: Thresholds,
    batch_size: usize,
) -> Result<ModelRun> {
    let scores = gold
        .articles
        .par_iter()
        .map(|a| {
            let inputs: Vec<SentenceInput<'_>> = a
                .sentences
                .iter()
                .enumerate()
                .map(|(i, s)| SentenceInput {
                    text: &s.text,
                    prev: i.checked_sub(1).map(|j| a.sentences[j].text.as_str()),
                    next: a.sentences.get(i + 1).map(|n| n.text.as_str()),
                    title: a.title.as_deref(),
                })
                .collect();
            let mut out = Vec::with_capacity(inputs.len());
            for chunk in inputs.chunks(batch_size.max(1)) {
                out.extend(scorer.score_batch(chunk)?);
            }
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ModelRun {
        name: scorer.name().to_string(),
        thresholds,
        scores,
    })
}

/// A trivial baseline that gives every sentence the same probability `p`
/// for every device (`0` = all-negative, `1` = all-positive).
pub fn constant_run(gold: &GoldSet, name: &str, p: f32) -> ModelRun {
    let one = SentenceScores {
        probs: DeviceMap::filled(p),
        framing: p,
        cues: Vec::new(),
    };
    ModelRun {
        name: name.to_string(),
        thresholds: Thresholds::default(),
        scores: gold
            .articles
            .iter()
            .map(|a| vec![one.clone(); a.sentences.len()])
            .collect(),
    }
}

/// Metrics of one decision (a device, or the binary `framing` decision).
#[derive(Debug, Clone, Serialize)]
pub struct LabelMetrics {
    /// Device id, or `framing` for the binary sentence-level decision.
    pub label: Label,
    /// The decision threshold.
    pub threshold: f32,
    /// Gold positives.
    pub support: u64,
    /// Predicted positives.
    pub predicted: u64,
    /// Precision at the threshold.
    pub precision: f64,
    /// Recall at the threshold.
    pub recall: f64,
    /// F1 at the threshold.
    pub f1: f64,
    /// 95 % bootstrap interval of F1 (resampling articles).
    pub f1_ci: Option<Interval>,
    /// Average precision (PR-AUC); `None` without gold positives.
    pub pr_auc: Option<f64>,
}

/// Micro- or macro-averaged metrics over the scored devices.
#[derive(Debug, Clone, Serialize)]
pub struct Averaged {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// 95 % bootstrap interval of F1.
    pub f1_ci: Option<Interval>,
    /// Mean PR-AUC (macro only).
    pub pr_auc: Option<f64>,
}

/// Every metric of one model on one labelled set.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// The model's name.
    pub model: String,
    /// Articles, sentences and positive sentences evaluated.
    pub articles: usize,
    /// Sentences evaluated.
    pub sentences: usize,
    /// Sentences with at least one gold device (or span).
    pub positive_sentences: usize,
    /// The binary sentence-level decision (`framing` ≥ its threshold vs "any
    /// gold device"): for PTC gold this is the NLP4IF-2019 SLC measure.
    pub sentence_level: LabelMetrics,
    /// Per scored device.
    pub devices: Vec<LabelMetrics>,
    /// Micro average over the scored devices (pooled counts).
    pub micro: Averaged,
    /// Macro average over the scored devices that have gold support.
    pub macro_avg: Averaged,
    /// Calibration of the `framing` probability against the binary gold label.
    pub calibration: Calibration,
    /// Bootstrap settings: resamples, seed; the unit is the article.
    pub bootstrap_resamples: usize,
    /// The bootstrap seed.
    pub bootstrap_seed: u64,
}

/// Gold and predicted decisions of every slot (scored devices, then framing)
/// counted per article.
fn per_article_counts(gold: &GoldSet, run: &ModelRun, devices: &[Device]) -> Vec<Vec<Counts>> {
    gold.articles
        .iter()
        .zip(&run.scores)
        .map(|(a, scores)| {
            let mut c = vec![Counts::default(); devices.len() + 1];
            for (s, sc) in a.sentences.iter().zip(scores) {
                for (k, d) in devices.iter().enumerate() {
                    c[k].add(
                        s.devices.contains(d),
                        sc.prob(*d) >= run.thresholds.device(*d),
                    );
                }
                c[devices.len()].add(s.positive, sc.framing >= run.thresholds.framing);
            }
            c
        })
        .collect()
}

/// F1 of each device, of the framing decision, micro F1 and macro F1 (over
/// devices with support in the FULL set, given by `supported`).
fn f1_statistics(c: &[Counts], n_devices: usize, supported: &[bool]) -> Vec<f64> {
    let mut out: Vec<f64> = c.iter().map(|x| x.prf().f1).collect();
    let mut micro = Counts::default();
    for x in &c[..n_devices] {
        micro.merge(x);
    }
    out.push(micro.prf().f1);
    let macro_f1: Vec<f64> = c[..n_devices]
        .iter()
        .zip(supported)
        .filter(|(_, s)| **s)
        .map(|(x, _)| x.prf().f1)
        .collect();
    out.push(mean(&macro_f1).unwrap_or(0.0));
    out
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The devices a gold set is scored on.
pub fn scored_devices(gold: &GoldSet) -> Vec<Device> {
    match gold.format {
        GoldFormat::Ptc | GoldFormat::CheckThat => gold.devices.clone(),
        GoldFormat::RhetorCsv => Device::ALL.to_vec(),
    }
}

/// Computes every metric of `run` against `gold`. `resamples` = 0 skips the
/// bootstrap intervals.
pub fn evaluate(gold: &GoldSet, run: &ModelRun, resamples: usize) -> Evaluation {
    let devices = scored_devices(gold);
    let per_article = per_article_counts(gold, run, &devices);
    let mut total = vec![Counts::default(); devices.len() + 1];
    for a in &per_article {
        for (t, c) in total.iter_mut().zip(a) {
            t.merge(c);
        }
    }
    let supported: Vec<bool> = total[..devices.len()]
        .iter()
        .map(|c| c.support() > 0)
        .collect();
    let cis = if resamples > 0 {
        bootstrap_intervals(&per_article, resamples, DEFAULT_SEED, |c| {
            f1_statistics(c, devices.len(), &supported)
        })
    } else {
        Vec::new()
    };
    let sentences: Vec<(&super::labels::GoldSentence, &SentenceScores)> = gold
        .articles
        .iter()
        .zip(&run.scores)
        .flat_map(|(a, s)| a.sentences.iter().zip(s))
        .collect();
    let label_metrics = |k: usize, label: Label, threshold: f32, scores: Vec<f32>, g: Vec<bool>| {
        let m = total[k].prf();
        LabelMetrics {
            label,
            threshold,
            support: total[k].support(),
            predicted: total[k].tp + total[k].fp,
            precision: m.precision,
            recall: m.recall,
            f1: m.f1,
            f1_ci: cis.get(k).copied(),
            pr_auc: average_precision(&scores, &g),
        }
    };
    let device_metrics: Vec<LabelMetrics> = devices
        .iter()
        .enumerate()
        .map(|(k, d)| {
            label_metrics(
                k,
                Label::Device(*d),
                run.thresholds.device(*d),
                sentences.iter().map(|(_, s)| s.prob(*d)).collect(),
                sentences
                    .iter()
                    .map(|(g, _)| g.devices.contains(d))
                    .collect(),
            )
        })
        .collect();
    let framing_scores: Vec<f32> = sentences.iter().map(|(_, s)| s.framing).collect();
    let framing_gold: Vec<bool> = sentences.iter().map(|(g, _)| g.positive).collect();
    let sentence_level = label_metrics(
        devices.len(),
        Label::Framing,
        run.thresholds.framing,
        framing_scores.clone(),
        framing_gold.clone(),
    );
    let mut micro_counts = Counts::default();
    for c in &total[..devices.len()] {
        micro_counts.merge(c);
    }
    let micro_prf = micro_counts.prf();
    let with_support: Vec<&LabelMetrics> =
        device_metrics.iter().filter(|m| m.support > 0).collect();
    let pick = |f: fn(&LabelMetrics) -> f64| {
        mean(&with_support.iter().map(|m| f(m)).collect::<Vec<_>>()).unwrap_or(0.0)
    };
    let macro_avg = Averaged {
        precision: pick(|m| m.precision),
        recall: pick(|m| m.recall),
        f1: pick(|m| m.f1),
        f1_ci: cis.get(devices.len() + 2).copied(),
        pr_auc: mean(
            &with_support
                .iter()
                .filter_map(|m| m.pr_auc)
                .collect::<Vec<_>>(),
        ),
    };
    Evaluation {
        model: run.name.clone(),
        articles: gold.articles.len(),
        sentences: sentences.len(),
        positive_sentences: framing_gold.iter().filter(|g| **g).count(),
        sentence_level,
        devices: device_metrics,
        micro: Averaged {
            precision: micro_prf.precision,
            recall: micro_prf.recall,
            f1: micro_prf.f1,
            f1_ci: cis.get(devices.len() + 1).copied(),
            pr_auc: None,
        },
        macro_avg,
        calibration: calibration(&framing_scores, &framing_gold, 10),
        bootstrap_resamples: if cis.is_empty() { 0 } else { resamples },
        bootstrap_seed: DEFAULT_SEED,
    }
}

/// The default number of bootstrap resamples.
pub const RESAMPLES: usize = DEFAULT_RESAMPLES;

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
    /// Gold negative, predicted positive; highest framing probability first.
    pub false_positives: Vec<ErrorCase>,
    /// Gold positive, predicted negative; lowest framing probability first.
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
            let predicted = sc.framing >= run.thresholds.framing;
            if predicted == s.positive {
                continue;
            }
            let case = ErrorCase {
                article_id: a.id.clone(),
                sentence_index: s.index,
                line: s.line,
                framing: sc.framing,
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
    fps.sort_by(|a, b| b.framing.total_cmp(&a.framing));
    fns.sort_by(|a, b| a.framing.total_cmp(&b.framing));
    fps.truncate(n);
    fns.truncate(n);
    ErrorAnalysis {
        false_positives: fps,
        false_negatives: fns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::labels::{GoldArticle, GoldSentence};

    fn sentence(index: usize, devices: Vec<Device>) -> GoldSentence {
        GoldSentence {
            index,
            line: None,
            text: format!("s{index}"),
            positive: !devices.is_empty(),
            devices,
            split: None,
            char_span: None,
        }
    }

    fn scores(p_doubt: f32) -> SentenceScores {
        let mut probs = DeviceMap::filled(0.0);
        probs[Device::Doubt] = p_doubt;
        SentenceScores {
            probs,
            framing: p_doubt,
            cues: Vec::new(),
        }
    }

    #[test]
    fn evaluation_counts_devices_and_the_binary_decision() {
        let gold = GoldSet {
            source: "x".into(),
            format: GoldFormat::RhetorCsv,
            articles: vec![GoldArticle {
                id: "a".into(),
                title: None,
                sentences: vec![
                    sentence(0, vec![Device::Doubt]),
                    sentence(1, vec![]),
                    sentence(2, vec![Device::Doubt]),
                ],
            }],
            devices: Device::ALL.to_vec(),
            skipped: vec![],
        };
        let run = ModelRun {
            name: "m".into(),
            thresholds: Thresholds::default(),
            scores: vec![vec![scores(0.9), scores(0.6), scores(0.1)]],
        };
        let e = evaluate(&gold, &run, 50);
        // Doubt: tp 1, fp 1, fn 1 → F1 0.5.
        let doubt = e
            .devices
            .iter()
            .find(|m| m.label == Label::Device(Device::Doubt))
            .unwrap();
        assert_eq!(doubt.support, 2);
        assert!((doubt.f1 - 0.5).abs() < 1e-12);
        assert!((e.sentence_level.f1 - 0.5).abs() < 1e-12);
        // Only doubt has support → macro = doubt; micro equals it too.
        assert!((e.macro_avg.f1 - 0.5).abs() < 1e-12);
        assert!((e.micro.f1 - 0.5).abs() < 1e-12);
        // One article → the bootstrap interval is the point.
        let ci = e.sentence_level.f1_ci.unwrap();
        assert_eq!((ci.low, ci.high), (0.5, 0.5));
        let errors = error_analysis(&gold, &run, 20, true);
        assert_eq!(errors.false_positives.len(), 1);
        assert_eq!(errors.false_negatives[0].sentence_index, 2);
        assert!(errors.false_negatives[0].text.is_none());
    }
}
