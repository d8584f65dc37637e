//! Scoring a labelled set with a model, and computing every metric of the
//! evaluation report from the scores.

use super::bootstrap::{bootstrap_intervals, DEFAULT_RESAMPLES, DEFAULT_SEED};
use super::calibration::{calibration, Calibration};
use super::labels::{GoldFormat, GoldSet, AUTHOR_VOICE};
use super::metrics::{at_base_rate, average_precision, BaseRateMetrics, Counts};
use super::spans::{evaluate_spans, SpanEvaluation};
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
    let mut run = ModelRun {
        name: scorer.name().to_string(),
        thresholds,
        scores,
    };
    run.score_framing_on(gold);
    Ok(run)
}

/// A trivial baseline that gives every sentence the same probability `p`
/// for every device (`0` = all-negative, `1` = all-positive).
pub fn constant_run(gold: &GoldSet, name: &str, p: f32) -> ModelRun {
    let one = SentenceScores {
        probs: DeviceMap::filled(p),
        framing: p,
        ..Default::default()
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
    sentences: &[(&super::labels::GoldSentence, &SentenceScores)],
    gold: &[bool],
) -> f64 {
    let framing: Vec<f32> = sentences.iter().map(|(_, s)| s.framing).collect();
    calibration(&framing, gold, 10).ece
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The output a gold set's sentence-level decision is scored on: `framing`
/// when the set labels techniques, the author-voice device
/// ([`AUTHOR_VOICE`]) when it labels only the author's voice (CheckThat!).
pub fn sentence_label(gold: &GoldSet) -> Label {
    if gold.labels_framing() {
        Label::Framing
    } else {
        Label::Device(AUTHOR_VOICE)
    }
}

/// The scored output in words, for reports.
pub fn scored_output_words(label: Label) -> String {
    match label {
        Label::Framing => "any device: framing".into(),
        Label::Device(d) => format!("author voice: {}", d.id()),
    }
}

/// True when a gold set labels techniques (PTC with technique names, rhetor
/// CSV), so that device averages are meaningful.
pub fn labels_techniques(gold: &GoldSet) -> bool {
    gold.labels_framing() && !gold.devices.is_empty()
}

/// The devices whose flags lift `framing` when `gold` scores it: PTC labels
/// propaganda techniques only (so rhetor's editorial devices do not count
/// there, whether or not the files name the techniques); a rhetor CSV labels
/// every device.
pub fn framing_devices(gold: &GoldSet) -> Vec<Device> {
    match gold.format {
        GoldFormat::Ptc => Device::ALL.into_iter().filter(|d| d.is_ptc()).collect(),
        GoldFormat::RhetorCsv | GoldFormat::CheckThat | GoldFormat::Sample { framing: true } => {
            Device::ALL.to_vec()
        }
        GoldFormat::Sample { framing: false } => gold.devices.clone(),
    }
}

impl ModelRun {
    /// Scores `framing` on `gold`'s terms: where a model lifted `framing` by
    /// its flagged devices ([`SentenceScores::head_framing`]), it is lifted
    /// again from the head's probability by [`framing_devices`] alone, at
    /// this run's thresholds. Call it again after changing the thresholds.
    /// Sets that do not label `framing` (CheckThat) keep the model's output.
    pub fn score_framing_on(&mut self, gold: &GoldSet) {
        if !gold.labels_framing() {
            return;
        }
        let devices = framing_devices(gold);
        for s in self.scores.iter_mut().flatten() {
            if let Some(head) = s.head_framing {
                s.framing = self
                    .thresholds
                    .coherent_framing_over(head, &s.probs, &devices);
            }
        }
    }

    /// The probability of `label` in `scores`.
    pub fn prob(scores: &SentenceScores, label: Label) -> f32 {
        match label {
            Label::Framing => scores.framing,
            Label::Device(d) => scores.prob(d),
        }
    }
    /// The threshold of `label`.
    pub fn threshold(&self, label: Label) -> f32 {
        match label {
            Label::Framing => self.thresholds.framing,
            Label::Device(d) => self.thresholds.device(d),
        }
    }
    /// The sentence-level probability of `scores` on `gold` ([`sentence_label`]).
    pub fn sentence_prob(gold: &GoldSet, scores: &SentenceScores) -> f32 {
        Self::prob(scores, sentence_label(gold))
    }
    /// The sentence-level decision of `scores` on `gold`.
    pub fn decision(&self, gold: &GoldSet, scores: &SentenceScores) -> bool {
        let label = sentence_label(gold);
        Self::prob(scores, label) >= self.threshold(label)
    }
}

/// The devices a gold set is scored on.
pub fn scored_devices(gold: &GoldSet) -> Vec<Device> {
    match gold.format {
        GoldFormat::Ptc | GoldFormat::CheckThat | GoldFormat::Sample { .. } => gold.devices.clone(),
        GoldFormat::RhetorCsv => Device::ALL.to_vec(),
    }
}

/// Computes every metric of `run` against `gold`. `resamples` = 0 skips the
/// bootstrap intervals.
pub fn evaluate(gold: &GoldSet, run: &ModelRun, resamples: usize) -> Evaluation {
    evaluate_with(gold, run, resamples, None)
}

/// [`evaluate`], and with `base_rate` (in (0, 1)) the sentence-level metrics
/// also with the gold positives reweighted to that prior
/// ([`super::metrics::at_base_rate`]).
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
        macro_f1_ci95: cis.get(devices.len() + 3).copied(),
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
        positive_sentences: sentence_gold.iter().filter(|g| **g).count(),
        sentence_level,
        techniques_labelled: techniques,
        devices: (!devices.is_empty()).then_some(device_metrics),
        micro: techniques.then(|| Averaged {
            precision: micro_prf.precision,
            recall: micro_prf.recall,
            f1: micro_prf.f1,
            f1_ci: cis.get(devices.len() + 1).copied(),
            pr_auc: None,
        }),
        macro_avg: techniques.then_some(macro_avg),
        calibration,
        bootstrap_resamples: if cis.is_empty() { 0 } else { resamples },
        bootstrap_seed: DEFAULT_SEED,
        gold_spans: gold.has_spans(),
        spans: evaluate_spans(gold, &run.scores, resamples),
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
            ..Default::default()
        }
    }

    #[test]
    fn a_ptc_set_scores_framing_lifted_by_its_techniques_only() {
        let gold = GoldSet {
            source: "x".into(),
            format: GoldFormat::Ptc,
            articles: vec![GoldArticle {
                id: "a".into(),
                title: None,
                sentences: vec![sentence(0, vec![]), sentence(1, vec![Device::Doubt])],
                text: None,
                spans: None,
            }],
            devices: vec![Device::Doubt],
            skipped: vec![],
        };
        let thresholds = Thresholds::default();
        // The model lifted both sentences' framing: one by an editorial
        // device (not a PTC technique), one by doubt.
        let lifted = |device: Device| {
            let mut probs = DeviceMap::filled(0.0);
            probs[device] = 0.9;
            SentenceScores {
                framing: thresholds.coherent_framing(0.1, &probs),
                probs,
                head_framing: Some(0.1),
                ..Default::default()
            }
        };
        let model_output = vec![
            lifted(Device::EvaluativeEditorializing),
            lifted(Device::Doubt),
        ];
        assert!(model_output.iter().all(|s| s.framing >= 0.5));
        let mut run = ModelRun {
            name: "m".into(),
            thresholds,
            scores: vec![model_output.clone()],
        };
        run.score_framing_on(&gold);
        assert_eq!(run.scores[0][0].framing, 0.1);
        assert_eq!(run.scores[0][1].framing, model_output[1].framing);
        let e = evaluate(&gold, &run, 0);
        assert_eq!(e.sentence_level.metrics.f1, 1.0);
        // A set that does not label framing keeps the model's output.
        let mut checkthat = gold.clone();
        checkthat.format = GoldFormat::CheckThat;
        let mut kept = run.clone();
        kept.scores = vec![model_output.clone()];
        kept.score_framing_on(&checkthat);
        assert_eq!(kept.scores[0], model_output);
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
                text: None,
                spans: None,
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
            .as_ref()
            .unwrap()
            .iter()
            .find(|m| m.label == Label::Device(Device::Doubt))
            .unwrap();
        assert_eq!(doubt.support, 2);
        assert!((doubt.f1 - 0.5).abs() < 1e-12);
        assert!((e.sentence_level.metrics.f1 - 0.5).abs() < 1e-12);
        assert_eq!(e.sentence_level.metrics.label, Label::Framing);
        assert_eq!(e.sentence_level.scored_output, "any device: framing");
        // Negative class: tn 0, fp 1, fn 1 → F1 0; macro-F1 = (0.5 + 0)/2.
        assert!((e.sentence_level.macro_f1 - 0.25).abs() < 1e-12);
        assert!(e.techniques_labelled);
        // Only doubt has support → macro = doubt; micro equals it too.
        assert!((e.macro_avg.as_ref().unwrap().f1 - 0.5).abs() < 1e-12);
        assert!((e.micro.as_ref().unwrap().f1 - 0.5).abs() < 1e-12);
        // One article → the bootstrap interval is the point.
        let ci = e.sentence_level.metrics.f1_ci.unwrap();
        assert_eq!((ci.low, ci.high), (0.5, 0.5));
        let ci = e.sentence_level.macro_f1_ci95.unwrap();
        assert_eq!((ci.low, ci.high), (0.25, 0.25));
        assert_eq!(e.sentence_level.ece, e.calibration.ece);
        assert!(e.sentence_level.at_base_rate.is_none());
        let errors = error_analysis(&gold, &run, 20, true);
        assert_eq!(errors.false_positives.len(), 1);
        assert_eq!(errors.false_negatives[0].sentence_index, 2);
        assert!(errors.false_negatives[0].text.is_none());
    }

    fn checkthat_gold(subj: &[bool]) -> GoldSet {
        GoldSet {
            source: "dev_en.tsv".into(),
            format: GoldFormat::CheckThat,
            articles: subj
                .iter()
                .enumerate()
                .map(|(i, &p)| GoldArticle {
                    id: format!("s{i}"),
                    title: None,
                    sentences: vec![sentence(0, if p { vec![AUTHOR_VOICE] } else { vec![] })],
                    text: None,
                    spans: None,
                })
                .collect(),
            devices: vec![AUTHOR_VOICE],
            skipped: vec![],
        }
    }

    /// Scores whose author-voice probability is `voice` and whose `framing`
    /// is its opposite, so that scoring the wrong output shows.
    fn voice(voice: f32) -> SentenceScores {
        let mut probs = DeviceMap::filled(0.0);
        probs[AUTHOR_VOICE] = voice;
        SentenceScores {
            probs,
            framing: 1.0 - voice,
            ..Default::default()
        }
    }

    #[test]
    fn checkthat_scores_the_author_voice_with_macro_f1_and_base_rate() {
        // SUBJ, SUBJ, SUBJ, OBJ, OBJ; author voice .9 .8 .2 .7 .1, threshold .5:
        // tp 2, fn 1, fp 1, tn 1 → P 2/3, R 2/3, F1 2/3;
        // OBJ: tp 1, fp 1, fn 1 → F1 1/2; macro-F1 = 7/12.
        let gold = checkthat_gold(&[true, true, true, false, false]);
        let run = ModelRun {
            name: "m".into(),
            // framing ≥ 0 would flag everything: it must not be what is scored.
            thresholds: Thresholds {
                framing: 0.0,
                ..Thresholds::default()
            },
            scores: [0.9, 0.8, 0.2, 0.7, 0.1]
                .iter()
                .map(|p| vec![voice(*p)])
                .collect(),
        };
        // π = 3/5; prior 0.25: w₊ = 5/12, w₋ = 15/8 → tp 10/12, fn 5/12,
        // fp 15/8, tn 15/8. P = (5/6)/(5/6 + 15/8) = 20/65 = 4/13;
        // F1 = (5/3)/(5/3 + 15/8 + 5/12) = 40/95 = 8/19;
        // F1(OBJ) = (15/4)/(15/4 + 5/12 + 15/8) = 90/145 = 18/29.
        let e = evaluate_with(&gold, &run, 100, Some(0.25));
        let s = &e.sentence_level;
        assert_eq!(s.metrics.label, Label::Device(AUTHOR_VOICE));
        assert_eq!(s.scored_output, "author voice: evaluative_editorializing");
        assert_eq!(s.metrics.threshold, 0.5);
        assert_eq!((s.metrics.support, s.metrics.predicted), (3, 3));
        assert!((s.metrics.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.macro_f1 - 7.0 / 12.0).abs() < 1e-12);
        let ci = s.macro_f1_ci95.unwrap();
        assert!(ci.low <= s.macro_f1 && s.macro_f1 <= ci.high, "{ci:?}");
        assert!(ci.low < ci.high, "five one-sentence units resample: {ci:?}");
        let b = s.at_base_rate.unwrap();
        assert!((b.precision - 4.0 / 13.0).abs() < 1e-12, "{b:?}");
        assert!((b.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((b.f1 - 8.0 / 19.0).abs() < 1e-12);
        assert!((b.macro_f1 - (8.0 / 19.0 + 18.0 / 29.0) / 2.0).abs() < 1e-12);
        // Calibration is of the author-voice probability.
        let voices = [0.9, 0.8, 0.2, 0.7, 0.1];
        let expected = calibration(&voices, &[true, true, true, false, false], 10).ece;
        assert!((s.ece - expected).abs() < 1e-12);
        // Techniques are not available; the one device row is the author voice.
        assert!(!e.techniques_labelled);
        assert!(e.micro.is_none() && e.macro_avg.is_none());
        assert_eq!(e.devices.as_ref().unwrap().len(), 1);
        // Errors are ranked by the author voice too.
        let errors = error_analysis(&gold, &run, 5, false);
        assert_eq!(errors.false_positives.len(), 1);
        assert_eq!(errors.false_positives[0].score, 0.7);
        assert_eq!(errors.false_negatives[0].score, 0.2);
    }

    #[test]
    fn a_set_without_technique_labels_has_no_device_metrics() {
        let mut gold = checkthat_gold(&[true, false]);
        gold.format = GoldFormat::Ptc;
        gold.devices = vec![];
        for a in &mut gold.articles {
            for s in &mut a.sentences {
                s.devices.clear();
            }
        }
        let run = ModelRun {
            name: "m".into(),
            thresholds: Thresholds::default(),
            scores: vec![vec![scores(0.9)], vec![scores(0.6)]],
        };
        let e = evaluate(&gold, &run, 0);
        assert!(e.devices.is_none() && e.micro.is_none() && e.macro_avg.is_none());
        assert_eq!(e.sentence_level.metrics.label, Label::Framing);
        // tp 1, fp 1 → F1 2/3; negative class F1 0 → macro 1/3.
        assert!((e.sentence_level.metrics.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.sentence_level.macro_f1 - 1.0 / 3.0).abs() < 1e-12);
        assert!(e.sentence_level.macro_f1_ci95.is_none());
        let json = serde_json::to_value(&e).unwrap();
        assert!(json["devices"].is_null() && json["micro"].is_null());
        assert!(json["sentence_level"]["macro_f1"].is_number());
        assert!(json["sentence_level"]["f1"].is_number());
    }

    #[test]
    fn span_measures_are_filled_from_a_span_head_and_null_without_one() {
        use crate::model::SpanPrediction;
        let dir = tempfile::tempdir().unwrap();
        let text = "Title\nThey lie a lot.\n";
        std::fs::write(dir.path().join("article3.txt"), text).unwrap();
        let start = text.find("lie").unwrap();
        std::fs::write(
            dir.path().join("article3.task-flc-tc.labels"),
            format!("3\tLoaded_Language\t{start}\t{}\n", start + 3),
        )
        .unwrap();
        let gold = crate::eval::read_gold(dir.path(), Default::default()).unwrap();
        let mut run = constant_run(&gold, "m", 0.0);
        let e = evaluate(&gold, &run, 0);
        assert!(e.gold_spans && e.spans.is_none());
        let json = serde_json::to_value(&e).unwrap();
        assert!(json["spans"].is_null(), "{json}");
        // "lie a" predicted: P = 3/5, R = 3/3 → F1 = 2·.6/1.6 = 0.75.
        let b = gold.articles[0].sentences[1].text.find("lie").unwrap();
        run.scores[0][1].spans = vec![SpanPrediction {
            device: Device::LoadedLanguage,
            start: b,
            end: b + 5,
            probability: 0.8,
        }];
        let e = evaluate(&gold, &run, 10);
        let s = e.spans.as_ref().unwrap();
        assert!((s.si_f1 - 0.75).abs() < 1e-12, "{s:?}");
        // No token probabilities: no TC.
        assert!(s.tc_micro_f1.is_none());
        let json = serde_json::to_value(&e).unwrap();
        for key in ["si_precision", "si_recall", "si_f1", "si_f1_ci95"] {
            assert!(
                json["spans"][key].is_number() || json["spans"][key].is_object(),
                "{key}"
            );
        }
        assert!(json["spans"]["tc_micro_f1"].is_null());
        assert_eq!(json["spans"]["n_gold_spans"], 1);
        assert_eq!(json["spans"]["n_predicted_spans"], 1);
        // A set without spans: never any span measure.
        let csv = checkthat_gold(&[true]);
        let e = evaluate(&csv, &constant_run(&csv, "m", 1.0), 0);
        assert!(!e.gold_spans && e.spans.is_none());
    }
}
