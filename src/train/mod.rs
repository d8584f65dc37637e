//! Training: the transformer classifier ([`Trainer`], `rhetor train`) and the
//! TF-IDF baseline ([`baseline`], `rhetor train --kind baseline`).
//!
//! Data: a labelled set as [`crate::io::labels::read_gold`] reads it — for
//! the Propaganda Techniques Corpus (`articleNNN.txt` + `.task-flc-tc.labels`)
//! one unit per non-blank line (the NLP4IF-2019 sentence-level unit), positive
//! for a technique when a span of that technique overlaps it. Both trainers
//! pick thresholds with [`crate::stats::metrics::best_f1_threshold`] on dev.
//!
//! Transformer procedure: every sentence (and, for context models, its
//! neighbours / title) is embedded once by the frozen encoder — mean-pooled
//! hidden states, cached in `.cache/rhetor/` keyed by base weights + texts —
//! and a multi-label head (one logit per device + `framing`) is trained with
//! class-weighted binary cross-entropy (`pos_weight` per label), AdamW,
//! dropout, fixed seeds, early stopping on the dev `framing` F1. With
//! `fine_tune_top = k > 0` the hidden states entering the top `k` layers are
//! cached instead and those layers are trained together with the head.
//! Thresholds are chosen per label on dev.
//!
//! A user's own labels (`rhetor train --labels`, [`LabelTrainer`]): a coded
//! file read by [`crate::io::coded`], the same frozen-encoder embeddings and
//! head pieces, with the epoch count and thresholds chosen by k-fold
//! cross-validation (see `labels`).

mod augment;
pub mod baseline;
mod calibrate;
mod checkpoint;
mod data;
mod embed_cache;
mod fine_tune;
mod labels;
mod labels_write;
mod optim;
mod thresholds;
mod transformer;
mod voice;
mod write;

pub use data::{data_hash, N_OUTPUTS};
pub use labels::{
    LabelFigures, LabelModel, LabelOutcome, LabelReport, LabelTrainOptions, LabelTrainer,
    MAX_FINE_TUNE_BATCH, MAX_FINE_TUNE_EPOCHS,
};
pub use labels_write::{labels_config, model_card, write_label_model, Provenance};
pub use transformer::Trainer;

use crate::model::head::ContextMode;
use crate::stats::Interval;
use serde::Serialize;
use std::path::PathBuf;

/// Hyper-parameters of `rhetor train`.
#[derive(Debug, Clone, Serialize)]
pub struct TrainOptions {
    /// Model name written into the config.
    pub name: String,
    /// Context fed to the head.
    pub context: ContextMode,
    /// Hidden width of the head (0 = linear).
    pub hidden: usize,
    /// Maximum epochs.
    pub epochs: usize,
    /// Stop after this many epochs without dev F1 improvement.
    pub patience: usize,
    /// Learning rate of the head.
    pub lr: f64,
    /// Learning rate of fine-tuned encoder layers.
    pub encoder_lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Dropout on the head's input and hidden layer.
    pub dropout: f32,
    /// Mini-batch size (sentences).
    pub batch_size: usize,
    /// Random seed (initialisation, shuffling, dropout).
    pub seed: u64,
    /// Cap of the per-label positive weight (`neg/pos`, capped).
    pub max_pos_weight: f32,
    /// Weight of the `framing` output in the loss relative to each device.
    pub framing_weight: f32,
    /// Weight of the author-voice output (`evaluative_editorializing`) in the loss.
    pub voice_weight: f32,
    /// Times each sentence of a set labelling only the author's voice
    /// (CheckThat, ~5 % of the multi-task data) is seen per epoch.
    pub voice_oversample: usize,
    /// Training sentences rewritten as sure editorial asides ("Let's notice
    /// that …") and paired with their originals, to teach `editorial_aside`
    /// (see `augment`); 0 = none.
    pub aside_augment: usize,
    /// Make `framing` coherent with the device flags (raise the PTC techniques'
    /// thresholds until their flags agree with framing:
    /// [`crate::model::coherent::tune_coherent`]; docs/model.md).
    pub coherent_framing: bool,
    /// Factor on the author-voice probabilities of attributed sentences
    /// (quotes, reported speech), written into the model's config.
    pub attributed_voice_factor: f32,
    /// Base rate of the author's subjective voice the author-voice threshold
    /// is chosen for (CheckThat dev is 52 % SUBJ, news 25–28 %).
    pub voice_base_rate: f64,
    /// Fine-tune the top k encoder layers (0 = frozen encoder).
    pub fine_tune_top: usize,
    /// How the learning rates move over the run (not recorded when constant,
    /// so that the fingerprints of earlier runs stay the same).
    #[serde(skip_serializing_if = "LrSchedule::is_constant")]
    pub schedule: LrSchedule,
    /// Weight of the span head's loss (token-level technique spans, learnt
    /// from PTC span files when fine-tuning); 0 = no span head.
    pub span_weight: f32,
    /// Continue the stopped run whose checkpoint is in `<out>/checkpoint/`
    /// (same command otherwise); not recorded in the model.
    #[serde(skip)]
    pub resume: bool,
    /// Stop after this many epochs of this invocation, leaving a checkpoint
    /// to `--resume` from (for time-boxed runs); not recorded in the model.
    #[serde(skip)]
    pub stop_after: Option<usize>,
    /// Maximum sequence length.
    pub max_len: usize,
    /// Where embeddings are cached.
    pub cache_dir: PathBuf,
    /// Show progress bars.
    pub progress: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            name: "rhetor-minilm".to_string(),
            context: ContextMode::None,
            hidden: 256,
            epochs: 40,
            patience: 6,
            lr: 1e-3,
            encoder_lr: 5e-5,
            weight_decay: 1e-2,
            dropout: 0.1,
            batch_size: 64,
            seed: 13,
            max_pos_weight: 10.0,
            framing_weight: 2.0,
            voice_weight: 2.0,
            voice_oversample: 1,
            aside_augment: 0,
            attributed_voice_factor: 0.5,
            coherent_framing: false,
            voice_base_rate: 0.27,
            fine_tune_top: 0,
            schedule: LrSchedule::Constant,
            span_weight: 1.0,
            resume: false,
            stop_after: None,
            max_len: crate::tokenize::DEFAULT_MAX_LEN,
            cache_dir: PathBuf::from(".cache/rhetor"),
            progress: true,
        }
    }
}

/// How the learning rates move over a run: each optimiser step uses its base
/// rate (`lr`, `encoder_lr`) times [`LrSchedule::factor`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    /// The base rate at every step.
    #[default]
    Constant,
    /// Linear warm-up over the first `warmup` share of the run's steps, then
    /// linear decay towards zero at the last step (the usual BERT
    /// fine-tuning schedule).
    Linear {
        /// Share of the steps spent warming up, in [0, 1).
        warmup: f64,
    },
}

impl LrSchedule {
    /// True for [`LrSchedule::Constant`].
    pub fn is_constant(&self) -> bool {
        *self == LrSchedule::Constant
    }

    /// The factor on the base rate at `step` (1-based) of a run of `total`
    /// steps: 1 when constant; for linear, `step / w` during the `w =
    /// ceil(warmup · total)` warm-up steps, then `(total − step + 1) / (total
    /// − w + 1)`, down to `1 / (total − w + 1)` at the last step; 0 past
    /// `total`.
    pub fn factor(&self, step: usize, total: usize) -> f64 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Linear { warmup } => {
                let total = total.max(1);
                let warm = (warmup * total as f64).ceil() as usize;
                if step <= warm {
                    step as f64 / warm as f64
                } else {
                    let left = (total + 1).saturating_sub(step);
                    left as f64 / (total + 1 - warm) as f64
                }
            }
        }
    }
}

/// How a training invocation ended.
#[derive(Debug, Clone)]
pub enum TrainOutcome {
    /// The model was written.
    Finished(Box<TrainReport>),
    /// Stopped after `epoch` by `stop_after`; `--resume` continues from the
    /// checkpoint in `checkpoint`.
    Stopped {
        /// Epochs completed so far.
        epoch: usize,
        /// The checkpoint folder.
        checkpoint: PathBuf,
    },
}

/// What `train` reports back.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Dev F1 of the coherent `framing` decision (calibrated framing at its
    /// threshold, or with `coherent_framing` a PTC technique flagged) on the sets that label framing.
    pub dev_f1: f64,
    /// 95% bootstrap CI (over articles) of that F1.
    pub dev_f1_ci95: Interval,
    /// Dev precision / recall of `framing`.
    pub dev_precision: f64,
    /// Dev recall of `framing`.
    pub dev_recall: f64,
    /// Dev F1 of the raw `framing` output at a fixed 0.5 threshold (no tuning, no coherence).
    pub dev_f1_at_05: f64,
    /// Per-device dev F1 (trained devices only), at thresholds chosen on dev.
    pub per_device_f1: Vec<(String, f64, usize)>,
    /// The author's voice on dev sets that label only it (CheckThat), if any.
    pub dev_voice: Option<VoiceReport>,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// The span head's threshold and dev span figures, when it has one.
    pub dev_spans: Option<serde_json::Value>,
    /// Seconds spent embedding / training.
    pub seconds: f64,
}

/// Dev figures of the author-voice output on a CheckThat-style set.
#[derive(Debug, Clone, Serialize)]
pub struct VoiceReport {
    /// Threshold chosen for the realistic base rate.
    pub threshold: f32,
    /// The base rate the threshold was chosen for.
    pub base_rate: f64,
    /// Official macro-F1 (mean of SUBJ and OBJ F1) on dev as it is.
    pub macro_f1: f64,
    /// 95% bootstrap CI of that macro-F1 (over sentences).
    pub macro_f1_ci95: Interval,
    /// Macro-F1 with the classes reweighted to `base_rate`.
    pub macro_f1_at_base_rate: f64,
    /// Best macro-F1 on dev as it is (threshold chosen for dev's own 52 %).
    pub best_macro_f1: f64,
    /// Sentences and SUBJ sentences of the dev set.
    pub sentences: usize,
    /// SUBJ sentences.
    pub subjective: usize,
}

#[cfg(test)]
mod tests {
    use super::LrSchedule;

    #[test]
    fn a_constant_schedule_keeps_the_base_rate() {
        for step in [1, 5, 100, 1000] {
            assert_eq!(LrSchedule::Constant.factor(step, 100), 1.0);
        }
    }

    #[test]
    fn the_linear_schedule_warms_up_then_decays_to_zero() {
        let s = LrSchedule::Linear { warmup: 0.1 };
        // 10 warm-up steps of 100: 0.1, 0.2, … 1.0.
        assert!((s.factor(1, 100) - 0.1).abs() < 1e-12);
        assert!((s.factor(5, 100) - 0.5).abs() < 1e-12);
        assert_eq!(s.factor(10, 100), 1.0);
        // Then (101 − step) / 91: 90/91 at step 11, 1/91 at the last step.
        assert!((s.factor(11, 100) - 90.0 / 91.0).abs() < 1e-12);
        assert!((s.factor(100, 100) - 1.0 / 91.0).abs() < 1e-12);
        assert_eq!(s.factor(101, 100), 0.0);
        assert_eq!(s.factor(500, 100), 0.0);
        let rates: Vec<f64> = (1..=100).map(|t| s.factor(t, 100)).collect();
        assert!(rates[..10].windows(2).all(|w| w[0] < w[1]));
        assert!(rates[10..].windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn the_linear_schedule_without_warm_up_decays_from_the_first_step() {
        let s = LrSchedule::Linear { warmup: 0.0 };
        let rates: Vec<f64> = (1..=4).map(|t| s.factor(t, 4)).collect();
        assert_eq!(rates, [0.8, 0.6, 0.4, 0.2]);
    }
}
