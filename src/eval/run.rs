//! Scoring a labelled set with a model ([`ModelRun`]). The metrics are
//! assembled in [`super::assemble`], the label-set policy is
//! [`super::policy`], the error analysis [`super::errors`]; their items are
//! re-exported here.

pub use super::assemble::{
    evaluate, evaluate_with, Averaged, Evaluation, LabelMetrics, SentenceLevel, RESAMPLES,
};
pub use super::errors::{error_analysis, ErrorAnalysis, ErrorCase};
pub use super::policy::{
    framing_devices, labels_techniques, scored_devices, scored_output_words, sentence_label,
};

use crate::error::Result;
use crate::io::labels::GoldSet;
use crate::model::{Scorer, SentenceInput, SentenceScores, Thresholds};
use crate::taxonomy::{DeviceMap, Label, LabelMap};
use rayon::prelude::*;

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
        probs: LabelMap::from_device_order(&DeviceMap::filled(p)),
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
                s.framing =
                    self.thresholds
                        .coherent_framing_over(head, &s.device_probs(), &devices);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::calibration::calibration;
    use crate::io::labels::{GoldArticle, GoldFormat, GoldSentence, AUTHOR_VOICE};
    use crate::taxonomy::Device;

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
            probs: LabelMap::from_device_order(&probs),
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
                probs: LabelMap::from_device_order(&probs),
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
            probs: LabelMap::from_device_order(&probs),
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
