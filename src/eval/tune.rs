//! Threshold tuning on a dev split: best F1 per device and for the binary
//! decision. Reading and writing them in a model folder's `config.json` is
//! [`crate::model::thresholds`].

use super::labels::GoldSet;
use super::metrics::best_f1_threshold;
use super::run::{scored_devices, ModelRun};
use crate::model::Thresholds;
use crate::taxonomy::Label;
use serde::Serialize;

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
/// (CheckThat labels only the author's voice).
pub fn tune_thresholds(gold: &GoldSet, run: &ModelRun) -> (Thresholds, Vec<TunedThreshold>) {
    let mut tuned = run.thresholds.clone();
    let mut rows = Vec::new();
    let flat: Vec<_> = gold
        .articles
        .iter()
        .zip(&run.scores)
        .flat_map(|(a, s)| a.sentences.iter().zip(s))
        .collect();
    let framing: Vec<f32> = flat.iter().map(|(_, s)| s.framing).collect();
    let positive: Vec<bool> = flat.iter().map(|(g, _)| g.positive).collect();
    let framing_tuned = best_f1_threshold(&framing, &positive).filter(|_| gold.labels_framing());
    if let Some((t, f1)) = framing_tuned {
        rows.push(TunedThreshold {
            label: Label::Framing,
            before: tuned.framing,
            after: t,
            f1,
        });
        tuned.framing = t;
    }
    for d in scored_devices(gold) {
        let scores: Vec<f32> = flat.iter().map(|(_, s)| s.prob(d)).collect();
        let g: Vec<bool> = flat.iter().map(|(s, _)| s.devices.contains(&d)).collect();
        if let Some((t, f1)) = best_f1_threshold(&scores, &g) {
            rows.push(TunedThreshold {
                label: Label::Device(d),
                before: tuned.device(d),
                after: t,
                f1,
            });
            tuned.devices[d] = t;
        }
    }
    (tuned, rows)
}
