//! Metric assembly: every figure of the evaluation report from a model's
//! scores on a labelled set ([`evaluate`]), with bootstrap intervals by name.

use super::calibration::{calibration, Calibration};
use super::policy::{labels_techniques, scored_devices, scored_output_words, sentence_label};
use super::run::ModelRun;
use super::spans::{evaluate_spans, SpanEvaluation};
use crate::io::labels::GoldSet;
use crate::model::SentenceScores;
use crate::stats::bootstrap::{bootstrap_intervals, DEFAULT_RESAMPLES, DEFAULT_SEED};
use crate::stats::metrics::{at_base_rate, average_precision, BaseRateMetrics, Counts};
use crate::stats::Interval;
use crate::taxonomy::{Device, Label};
use serde::Serialize;

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

/// The sentence-level decision: the scored output's metrics (the `framing`
/// score vs "at least one gold device", or, for a set that labels only the
/// author's voice, the author-voice device vs SUBJ), plus the two-class
/// macro-F1, calibration and, with a base rate, the reweighted metrics.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceLevel {
    /// P/R/F1 of the positive class, its interval, PR-AUC; `label` names the
    /// scored output (`framing` or `evaluative_editorializing`).
    #[serde(flatten)]
    pub metrics: LabelMetrics,
    /// Which output was scored, in words: `any device: framing` or
    /// `author voice: evaluative_editorializing`.
    pub scored_output: String,
    /// Macro-F1: the mean of F1 of the positive and of the negative class
    /// (for CheckThat!, the official measure: mean of F1(SUBJ) and F1(OBJ)).
    pub macro_f1: f64,
    /// 95 % bootstrap interval of the macro-F1 (resampling articles).
    pub macro_f1_ci95: Option<Interval>,
    /// Expected calibration error of the scored probability (= `calibration.ece`).
    pub ece: f64,
    /// Expected calibration error of the `framing` score against the same
    /// gold label (= `ece` where `framing` is the scored output).
    pub framing_ece: f64,
    /// The metrics with the gold positives reweighted to `--base-rate`.
    pub at_base_rate: Option<BaseRateMetrics>,
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
    /// gold device"): for PTC gold this is the NLP4IF-2019 SLC measure. For a
    /// set that labels only the author's voice (CheckThat!), the author-voice
    /// device's probability ≥ its threshold vs SUBJ.
    pub sentence_level: SentenceLevel,
    /// True when the set labels techniques, so that the micro and macro
    /// averages over devices mean something.
    pub techniques_labelled: bool,
    /// Per scored device; `None` (JSON `null`) when the set labels no device
    /// at all (a PTC span-identification folder).
    pub devices: Option<Vec<LabelMetrics>>,
    /// Micro average over the scored devices (pooled counts); `None` when the
    /// set labels no techniques.
    pub micro: Option<Averaged>,
    /// Macro average over the scored devices that have gold support; `None`
    /// when the set labels no techniques.
    pub macro_avg: Option<Averaged>,
    /// Calibration of the scored sentence-level probability against the
    /// binary gold label.
    pub calibration: Calibration,
    /// Bootstrap settings: resamples, seed; the unit is the article.
    pub bootstrap_resamples: usize,
    /// The bootstrap seed.
    pub bootstrap_seed: u64,
    /// True when the labelled set has gold spans (PTC span files).
    pub gold_spans: bool,
    /// The SemEval-2020 Task 11 span measures (SI, TC, per technique);
    /// `None` (JSON `null`, not 0) when the set has no gold spans or the
    /// model no span head.
    pub spans: Option<SpanEvaluation>,
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
                c[devices.len()].add(s.positive, run.decision(gold, sc));
            }
            c
        })
        .collect()
}

/// F1 of each device, of the sentence-level decision, micro F1, macro F1 (over
/// devices with support in the FULL set, given by `supported`) and the
/// sentence-level two-class macro-F1.
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
    out.push(c[n_devices].macro_f1());
    out
}

/// ECE (10 bins) of the sentences' `framing` against `gold`.
fn framing_ece(
    sentences: &[(&crate::io::labels::GoldSentence, &SentenceScores)],
    gold: &[bool],
) -> f64 {
    let framing: Vec<f32> = sentences.iter().map(|(_, s)| s.framing).collect();
    calibration(&framing, gold, 10).ece
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The bootstrap intervals of an evaluation's F1 figures, by what they
/// measure (the statistics of [`f1_statistics`], which the bootstrap returns
/// in that order).
#[derive(Debug, Clone, Default)]
struct F1Intervals {
    /// F1 of each scored device, in order.
    devices: Vec<Interval>,
    /// F1 of the sentence-level decision.
    sentence: Option<Interval>,
    /// Micro F1 over the devices.
    micro: Option<Interval>,
    /// Macro F1 over the devices with support.
    macro_avg: Option<Interval>,
    /// The sentence-level two-class macro-F1.
    sentence_macro_f1: Option<Interval>,
}

impl F1Intervals {
    /// Names the intervals of [`f1_statistics`] over `n_devices` devices
    /// (none when the bootstrap gave none).
    fn new(mut intervals: Vec<Interval>, n_devices: usize) -> F1Intervals {
        if intervals.is_empty() {
            return F1Intervals::default();
        }
        let rest = intervals.split_off(n_devices.min(intervals.len()));
        F1Intervals {
            devices: intervals,
            sentence: rest.first().copied(),
            micro: rest.get(1).copied(),
            macro_avg: rest.get(2).copied(),
            sentence_macro_f1: rest.get(3).copied(),
        }
    }
}

/// Computes every metric of `run` against `gold`. `resamples` = 0 skips the
/// bootstrap intervals.
pub fn evaluate(gold: &GoldSet, run: &ModelRun, resamples: usize) -> Evaluation {
    evaluate_with(gold, run, resamples, None)
}

/// [`evaluate`], and with `base_rate` (in (0, 1)) the sentence-level metrics
/// also with the gold positives reweighted to that prior
/// ([`crate::stats::metrics::at_base_rate`]).
pub fn evaluate_with(
    gold: &GoldSet,
    run: &ModelRun,
    resamples: usize,
    base_rate: Option<f64>,
) -> Evaluation {
    let devices = scored_devices(gold);
    let sentence = sentence_label(gold);
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
        F1Intervals::new(
            bootstrap_intervals(&per_article, resamples, DEFAULT_SEED, |c| {
                f1_statistics(c, devices.len(), &supported)
            }),
            devices.len(),
        )
    } else {
        F1Intervals::default()
    };
    let sentences: Vec<(&crate::io::labels::GoldSentence, &SentenceScores)> = gold
        .articles
        .iter()
        .zip(&run.scores)
        .flat_map(|(a, s)| a.sentences.iter().zip(s))
        .collect();
    let label_metrics = |k: usize, label: Label, threshold: f32, scores: Vec<f32>, g: Vec<bool>| {
        let m = total[k].prf();
        let f1_ci = if k < devices.len() {
            cis.devices.get(k).copied()
        } else {
            cis.sentence
        };
        LabelMetrics {
            label,
            threshold,
            support: total[k].support(),
            predicted: total[k].tp + total[k].fp,
            precision: m.precision,
            recall: m.recall,
            f1: m.f1,
            f1_ci,
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
    let sentence_scores: Vec<f32> = sentences
        .iter()
        .map(|(_, s)| ModelRun::prob(s, sentence))
        .collect();
    let sentence_gold: Vec<bool> = sentences.iter().map(|(g, _)| g.positive).collect();
    let calibration = calibration(&sentence_scores, &sentence_gold, 10);
    let sentence_counts = total[devices.len()];
    let sentence_level = SentenceLevel {
        metrics: label_metrics(
            devices.len(),
            sentence,
            run.threshold(sentence),
            sentence_scores,
            sentence_gold.clone(),
        ),
        scored_output: scored_output_words(sentence),
        macro_f1: sentence_counts.macro_f1(),
        macro_f1_ci95: cis.sentence_macro_f1,
        ece: calibration.ece,
        framing_ece: framing_ece(&sentences, &sentence_gold),
        at_base_rate: base_rate.and_then(|p| at_base_rate(&sentence_counts, p)),
    };
    let techniques = labels_techniques(gold);
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
        f1_ci: cis.macro_avg,
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
        positive_sentences: sentence_gold.iter().filter(|g| **g).count(),
        sentence_level,
        techniques_labelled: techniques,
        devices: (!devices.is_empty()).then_some(device_metrics),
        micro: techniques.then_some(Averaged {
            precision: micro_prf.precision,
            recall: micro_prf.recall,
            f1: micro_prf.f1,
            f1_ci: cis.micro,
            pr_auc: None,
        }),
        macro_avg: techniques.then_some(macro_avg),
        calibration,
        bootstrap_resamples: if cis.sentence.is_none() { 0 } else { resamples },
        bootstrap_seed: DEFAULT_SEED,
        gold_spans: gold.has_spans(),
        spans: evaluate_spans(gold, &run.scores, resamples),
    }
}

/// The default number of bootstrap resamples.
pub const RESAMPLES: usize = DEFAULT_RESAMPLES;
