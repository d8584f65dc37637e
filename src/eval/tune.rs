//! Threshold tuning on a dev split: best F1 per device and for the binary
//! decision, and the thresholds of the coherent `framing` decision (also
//! used by training). Reading and writing them in a model folder's `config.json` is
//! [`crate::model::thresholds`].

use super::run::{framing_devices, labels_techniques, scored_devices, ModelRun};
use super::spans::evaluate_spans;
use crate::io::labels::GoldSet;
use crate::model::coherent::{f1_at, tune_coherent};
use crate::model::span_head::SpanHeadConfig;
use crate::model::{SentenceScores, Thresholds};
use crate::stats::metrics::best_f1_threshold;
use crate::taxonomy::{Device, DeviceMap, Label};
use serde::Serialize;

/// Chooses the span head's decoding ([`SpanHeadConfig::decode`]) with the
/// best SI F1 (mean over `sets`, labelled sets with gold spans and the
/// scores of a model with a span head): thresholds 0.05 … 0.95, extension
/// thresholds 0 to 0.15 below, joining spans 0 to 3 words apart. Leaves the
/// scores' spans decoded with the choice and returns it with its SI F1;
/// `None` when no set can be scored for spans.
pub fn tune_span_decoding(
    sets: &mut [(&GoldSet, &mut Vec<Vec<SentenceScores>>)],
    base: &SpanHeadConfig,
) -> Option<(SpanHeadConfig, f64)> {
    let mut best: Option<(SpanHeadConfig, f64)> = None;
    for step in 1..=19 {
        let threshold = step as f32 * 0.05;
        for below in [0u8, 5, 10, 15] {
            for join_gap in 0..=3 {
                let config = SpanHeadConfig {
                    threshold,
                    extend_threshold: (below > 0)
                        .then(|| (step as f32 * 5.0 - f32::from(below)) / 100.0),
                    join_gap,
                    ..base.clone()
                };
                let f1 = mean_si_f1(sets, &config)?;
                if best.as_ref().is_none_or(|(_, b)| f1 > *b) {
                    best = Some((config, f1));
                }
            }
        }
    }
    let best = best?;
    decode_spans(sets, &best.0);
    Some(best)
}

/// Re-decodes the spans of every scored sentence with `config`.
pub fn decode_spans(
    sets: &mut [(&GoldSet, &mut Vec<Vec<SentenceScores>>)],
    config: &SpanHeadConfig,
) {
    for (gold, scores) in sets.iter_mut() {
        let sentences = gold.articles.iter().flat_map(|a| &a.sentences);
        for (sentence, s) in sentences.zip(scores.iter_mut().flatten()) {
            s.spans = config.decode(&sentence.text, &s.tokens);
        }
    }
}

fn mean_si_f1(
    sets: &mut [(&GoldSet, &mut Vec<Vec<SentenceScores>>)],
    config: &SpanHeadConfig,
) -> Option<f64> {
    decode_spans(sets, config);
    let f1: Vec<f64> = sets
        .iter()
        .filter_map(|(gold, scores)| evaluate_spans(gold, scores, 0))
        .map(|e| e.si_f1)
        .collect();
    (!f1.is_empty()).then(|| f1.iter().sum::<f64>() / f1.len() as f64)
}

/// One tuned threshold.
#[derive(Debug, Clone, Serialize)]
pub struct TunedThreshold {
    /// The device, or `framing`.
    pub label: Label,
    /// The threshold before tuning.
    pub before: f32,
    /// The tuned threshold.
    pub after: f32,
    /// F1 on the tuning set at the tuned threshold.
    pub f1: f64,
}

/// Picks, for the binary decision and for every scored device with gold
/// support, the threshold that maximises F1 on `gold`. Devices without support
/// keep their threshold, and so does `framing` when the set does not label it
/// (CheckThat labels only the author's voice). For a model whose `framing`
/// is lifted by its flagged devices ([`crate::model::SentenceScores::head_framing`])
/// the set's framing devices are then raised until their flags agree with
/// `framing` ([`tune_coherent`]).
pub fn tune_thresholds(gold: &GoldSet, run: &ModelRun) -> (Thresholds, Vec<TunedThreshold>) {
    let mut tuned = run.thresholds.clone();
    let flat: Vec<_> = gold
        .articles
        .iter()
        .zip(&run.scores)
        .flat_map(|(a, s)| a.sentences.iter().zip(s))
        .collect();
    let positive: Vec<bool> = flat.iter().map(|(g, _)| g.positive).collect();
    let mut device_rows = Vec::new();
    for d in scored_devices(gold) {
        let scores: Vec<f32> = flat.iter().map(|(_, s)| s.prob(d)).collect();
        let g: Vec<bool> = flat.iter().map(|(s, _)| s.devices.contains(&d)).collect();
        if let Some((t, _)) = best_f1_threshold(&scores, &g) {
            tuned.devices[d] = t;
            device_rows.push((d, scores, g));
        }
    }
    let head: Option<Vec<f32>> = flat.iter().map(|(_, s)| s.head_framing).collect();
    let framing_f1 = match head.filter(|_| gold.labels_framing()) {
        Some(head) => {
            let owned: Vec<DeviceMap<f32>> = flat.iter().map(|(_, s)| s.device_probs()).collect();
            let probs: Vec<&DeviceMap<f32>> = owned.iter().collect();
            let named: Vec<Vec<Device>> = flat.iter().map(|(g, _)| g.devices.clone()).collect();
            let named = labels_techniques(gold).then_some(named.as_slice());
            let devices = framing_devices(gold);
            tune_coherent(&head, &probs, &positive, named, &devices, &mut tuned)
        }
        None => {
            let framing: Vec<f32> = flat.iter().map(|(_, s)| s.framing).collect();
            best_f1_threshold(&framing, &positive)
                .filter(|_| gold.labels_framing())
                .map(|(t, f1)| {
                    tuned.framing = t;
                    f1
                })
        }
    };
    let mut rows: Vec<TunedThreshold> = framing_f1
        .map(|f1| TunedThreshold {
            label: Label::Framing,
            before: run.thresholds.framing,
            after: tuned.framing,
            f1,
        })
        .into_iter()
        .collect();
    rows.extend(
        device_rows
            .into_iter()
            .map(|(d, scores, g)| TunedThreshold {
                label: Label::Device(d),
                before: run.thresholds.device(d),
                after: tuned.device(d),
                f1: f1_at(&scores, &g, tuned.device(d)),
            }),
    );
    (tuned, rows)
}

/// After training: chooses the span head's decoding (thresholds and joining)
/// of the model written in `model_dir` with the best SI F1 (the SemEval-2020
/// task scorer's formula, [`tune_span_decoding`]) on the labelled sets in
/// `dev` that label `framing` and have gold spans, scoring them with that
/// model exactly as `rhetor eval` does (float engine, base weights in
/// `base`), and rewrites its `config.json` with it (`training.metrics.dev_spans`
/// too). Returns the dev span figures (`resamples` for their intervals);
/// `None` without a span head or span-labelled dev data.
pub fn choose_span_decoding(
    model_dir: &std::path::Path,
    base: &std::path::Path,
    dev: &[std::path::PathBuf],
    resamples: usize,
) -> crate::error::Result<Option<serde_json::Value>> {
    use crate::io::labels::{read_gold, GoldOptions};
    use crate::model::transformer::{read_config, Engine, TransformerOptions, TransformerScorer};
    let mut config = read_config(model_dir)?;
    let Some(span_config) = config.span_head.clone() else {
        return Ok(None);
    };
    let options = TransformerOptions {
        explain: false,
        engine: Engine::Float,
    };
    let scorer = TransformerScorer::load_with(model_dir, base, options)?;
    let mut runs = Vec::new();
    for path in dev {
        let gold = read_gold(path, GoldOptions::default())?;
        if gold.labels_framing() && gold.has_spans() {
            let run = super::score_gold(&gold, &scorer, config.thresholds.clone(), 64)?;
            runs.push((gold, run.scores));
        }
    }
    if runs.is_empty() {
        return Ok(None);
    }
    let mut sets: Vec<_> = runs.iter_mut().map(|(g, s)| (&*g, s)).collect();
    let Some((decoding, _)) = tune_span_decoding(&mut sets, &span_config) else {
        return Ok(None);
    };
    let evals: Vec<_> = runs
        .iter()
        .map(|(gold, scores)| evaluate_spans(gold, scores, resamples))
        .collect();
    config.span_head = Some(decoding.clone());
    let dev_spans = serde_json::json!({
        "threshold": decoding.threshold,
        "extend_threshold": decoding.extend_threshold,
        "join_gap": decoding.join_gap,
        "dev": evals,
    });
    if let Some(metrics) = config.training.get_mut("metrics") {
        metrics["dev_spans"] = dev_spans.clone();
    }
    crate::json::write_pretty(&model_dir.join("config.json"), &config)?;
    Ok(Some(dev_spans))
}
