//! The transformer [`Trainer`]: options, data and encoder in one place; head
//! fitting on cached frozen-encoder embeddings, dev evaluation, thresholds and
//! writing the model folder. Fine-tuning of the top layers is in `fine_tune`.

use super::augment;
use super::checkpoint;
use super::data::SpanLabels;
use super::data::{Silver, Split, TextTable, N_OUTPUTS};
use super::optim::{
    head_probs, head_train_forward, init_head, loss_weights, weighted_bce, Adam, HeadVars,
};
use super::voice::best_macro_f1_threshold;
use super::{TrainOptions, TrainOutcome};
use crate::error::{Error, Result};
use crate::io::labels::{read_gold, GoldOptions, GoldSet, AUTHOR_VOICE};
use crate::model::bert::{Batching, BertEncoder, Encoder};
use crate::model::cues::CueModel;
use crate::model::head::{Head, HeadConfig};
use crate::model::setup;
use crate::model::span_head::SpanHead;
use crate::model::transformer::AUTHOR_VOICE_DEVICES;
use crate::stats::metrics::best_f1_threshold;
use crate::text::attribution::is_attributed;
use candle_core::{DType, Device as CDevice, Tensor};
use candle_nn::{VarBuilder, VarMap};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Tensors of fine-tuned layers, one map per layer (names relative to the layer).
pub(super) type LayerTensors = Vec<HashMap<String, Tensor>>;

/// Resamples and seed of the dev F1 bootstrap interval.
pub(super) const CI_RESAMPLES: usize = 1000;
pub(super) const CI_SEED: u64 = 7;

/// A trained head, the fine-tuned top layers (empty for a frozen encoder)
/// and the epoch whose weights were kept.
pub(super) struct Fitted {
    pub(super) head: Head,
    pub(super) layers: LayerTensors,
    /// The span head (fine-tuning with span labels only).
    pub(super) span_head: Option<SpanHead>,
    pub(super) epoch: usize,
}

/// How a fine-tuning invocation ended.
pub(super) enum FineTuned {
    /// Training finished: the best epoch's weights.
    Fitted(Box<Fitted>),
    /// Stopped by `stop_after` after this epoch, with a checkpoint.
    Stopped {
        /// The last epoch completed (and checkpointed).
        epoch: usize,
    },
}

/// Early stopping: the epoch with the best dev framing F1 so far, and its weights.
pub(super) struct BestEpoch<T> {
    best: Option<(f64, usize, T)>,
    patience: usize,
}

impl<T> BestEpoch<T> {
    pub(super) fn new(patience: usize) -> Self {
        BestEpoch {
            best: None,
            patience,
        }
    }

    /// Records an epoch (its weights are taken only when its F1 improves);
    /// `false` once `patience` epochs passed without improvement.
    pub(super) fn record(
        &mut self,
        epoch: usize,
        f1: f64,
        weights: impl FnOnce() -> Result<T>,
    ) -> Result<bool> {
        match &self.best {
            Some((best_f1, best_epoch, _)) if f1 <= *best_f1 => {
                Ok(epoch - best_epoch < self.patience)
            }
            _ => {
                self.best = Some((f1, epoch, weights()?));
                Ok(true)
            }
        }
    }

    /// The best score, epoch and weights so far (for a checkpoint).
    pub(super) fn state(&self) -> Option<(f64, usize, &T)> {
        self.best.as_ref().map(|(f, e, w)| (*f, *e, w))
    }

    /// Restores what [`BestEpoch::state`] gave (from a checkpoint).
    pub(super) fn restore(&mut self, best: Option<(f64, usize)>, weights: T) {
        self.best = best.map(|(f, e)| (f, e, weights));
    }

    /// The best epoch and its weights.
    pub(super) fn into_best(self) -> Result<(usize, T)> {
        self.best
            .map(|(_, epoch, weights)| (epoch, weights))
            .ok_or_else(|| Error::Config("no training epoch ran".into()))
    }
}

/// Trains the transformer classifier: built from the options, the base
/// weights and the two labelled sets, then [`Trainer::run`].
pub struct Trainer {
    pub(super) opts: TrainOptions,
    pub(super) base: PathBuf,
    pub(super) base_sha: String,
    pub(super) encoder: BertEncoder,
    /// Deduplicated texts of both splits.
    pub(super) texts: Vec<String>,
    /// Gold technique spans per text (span-labelled sets only).
    pub(super) span_labels: Vec<Option<SpanLabels>>,
    pub(super) train: Split,
    pub(super) dev: Split,
    /// Outputs with at least one positive training sentence.
    pub(super) trained: Vec<bool>,
    pub(super) rng: StdRng,
    pub(super) started: Instant,
}

impl Trainer {
    /// Reads the training and dev sets (each one or several labelled sets:
    /// PTC folders, rhetor CSVs, CheckThat TSVs) and loads the base encoder.
    pub fn new(
        base: &Path,
        train_paths: &[PathBuf],
        dev_paths: &[PathBuf],
        opts: TrainOptions,
    ) -> Result<Trainer> {
        let started = Instant::now();
        let read_all = |paths: &[PathBuf]| -> Result<Vec<(PathBuf, GoldSet)>> {
            paths
                .iter()
                .map(|p| Ok((p.clone(), read_gold(p, GoldOptions::default())?)))
                .collect()
        };
        let (mut train_golds, dev_golds) = (read_all(train_paths)?, read_all(dev_paths)?);
        let asides = augment::aside_sets(&train_golds, opts.aside_augment, opts.seed);
        train_golds.extend(asides);
        let cues = CueModel::embedded()?;
        let silver = Silver(&cues);
        let mut table = TextTable::default();
        let train = Split::build(&train_golds, opts.context, &mut table, Some(&silver));
        let dev = Split::build(&dev_golds, opts.context, &mut table, Some(&silver));
        if train.len() == 0 || dev.len() == 0 {
            return Err(Error::Config(
                "training and dev data must not be empty".into(),
            ));
        }
        let base_sha = setup::sha256_file(&base.join("model.safetensors"))?;
        let mut encoder = BertEncoder::load(base, opts.max_len, None)?;
        encoder.set_batching(Batching::Bucketed);
        Ok(Trainer {
            trained: train.trained_outputs(),
            rng: StdRng::seed_from_u64(opts.seed),
            opts,
            base: base.to_path_buf(),
            base_sha,
            encoder,
            texts: table.texts,
            span_labels: table.span_labels,
            train,
            dev,
            started,
        })
    }

    /// Trains, picks thresholds on dev and writes the model folder to `out`
    /// (or stops early with a checkpoint, see [`TrainOptions::stop_after`]).
    pub fn run(mut self, out: &Path) -> Result<TrainOutcome> {
        let fitted = if self.opts.fine_tune_top == 0 {
            self.fit_head()?
        } else {
            match self.fine_tune(out)? {
                FineTuned::Fitted(f) => *f,
                FineTuned::Stopped { epoch } => {
                    return Ok(TrainOutcome::Stopped {
                        epoch,
                        checkpoint: checkpoint::dir_of(out),
                    })
                }
            }
        };
        let probs = self.discount_attributed(self.dev_probs(&fitted)?);
        let (thresholds, platt, report) = self.evaluate(&probs, fitted.epoch);
        let mut config = self.config(&fitted, thresholds, &report);
        config.framing_calibration = platt;
        config.attributed_voice_factor = Some(self.opts.attributed_voice_factor);
        config.coherent_framing = self.opts.coherent_framing;
        config.span_head = fitted.span_head.as_ref().map(|h| h.config().clone());
        Trainer::write_model(out, &config, &fitted)?;
        checkpoint::remove(&checkpoint::dir_of(out))?;
        Ok(TrainOutcome::Finished(Box::new(report)))
    }

    /// What determines a run's result: the options (but where caches go and
    /// whether progress shows), the data and the base weights. A checkpoint
    /// resumes only a run with the same fingerprint.
    pub(super) fn fingerprint(&self) -> Result<String> {
        let mut opts = serde_json::to_value(&self.opts)
            .map_err(|e| Error::Config(format!("cannot serialise options: {e}")))?;
        if let Some(map) = opts.as_object_mut() {
            map.remove("cache_dir");
            map.remove("progress");
        }
        let mut h = Sha256::new();
        h.update(opts.to_string().as_bytes());
        h.update(self.base_sha.as_bytes());
        for source in self.train.sources.iter().chain(&self.dev.sources) {
            h.update(source.sha256.as_bytes());
        }
        Ok(format!("{:x}", h.finalize()))
    }

    /// Dev probabilities as the scorer gives them: the author-voice outputs
    /// of sentences in attributed speech times `attributed_voice_factor`.
    fn discount_attributed(&self, mut probs: Vec<Vec<f32>>) -> Vec<Vec<f32>> {
        for (i, row) in probs.iter_mut().enumerate() {
            let text = &self.texts[self.dev.rows[i][0].unwrap_or(0)];
            if is_attributed(text) {
                for d in AUTHOR_VOICE_DEVICES {
                    row[d.index()] *= self.opts.attributed_voice_factor;
                }
            }
        }
        probs
    }

    /// The head's configuration for input rows of `input_dim` values.
    pub(super) fn head_config(&self, input_dim: usize) -> HeadConfig {
        HeadConfig {
            input_dim,
            hidden: self.opts.hidden,
            outputs: N_OUTPUTS,
        }
    }

    /// Trains the head on frozen-encoder embeddings; keeps the epoch with the
    /// best dev framing F1.
    fn fit_head(&mut self) -> Result<Fitted> {
        let emb = self.cached_embeddings()?;
        let dim = self.encoder.dim();
        let xtr = self.train.features(&emb, dim);
        let xdev = self.dev.features(&emb, dim);
        let input_dim = dim * self.opts.context.parts();
        let cfg = self.head_config(input_dim);
        let varmap = VarMap::new();
        init_head(&varmap, cfg, &mut self.rng)?;
        let vars = HeadVars::from_varmap(&varmap, cfg)?;
        let (pos_w, out_w) = loss_weights(&self.train, &self.trained, &self.opts)?;
        let xdev = Tensor::from_slice(&xdev, (self.dev.len(), input_dim), &CDevice::Cpu)?;
        let mut order = self.train.epoch_rows(self.opts.voice_oversample);
        let total_steps = self.opts.epochs * order.len().div_ceil(self.opts.batch_size.max(1));
        let mut opt = Adam::new(&varmap, self.opts.lr, self.opts.weight_decay)?
            .with_schedule(self.opts.schedule, total_steps);
        let mut best = BestEpoch::new(self.opts.patience);
        let pb = progress_bar(self.opts.epochs, "training", self.opts.progress);
        for epoch in 1..=self.opts.epochs {
            order.shuffle(&mut self.rng);
            let mut total = 0.0;
            let mut batches = 0;
            for chunk in order.chunks(self.opts.batch_size.max(1)) {
                let mut xb = Vec::with_capacity(chunk.len() * input_dim);
                for &i in chunk {
                    xb.extend_from_slice(&xtr[i * input_dim..(i + 1) * input_dim]);
                }
                let x = Tensor::from_vec(xb, (chunk.len(), input_dim), &CDevice::Cpu)?;
                let (y, known) = self.train.batch_targets(chunk)?;
                let logits = head_train_forward(&vars, &x, self.opts.dropout, &mut self.rng)?;
                let loss = weighted_bce(&logits, &y, &known, &pos_w, &out_w)?;
                opt.backward_step(&loss)?;
                total += loss.to_scalar::<f32>()? as f64;
                batches += 1;
            }
            let head = Head::new(
                cfg,
                VarBuilder::from_varmap(&varmap, DType::F32, &CDevice::Cpu),
            )?;
            let f1 = self.dev_score(&head_probs(&head, &xdev)?);
            let loss = total / batches.max(1) as f64;
            self.report_epoch(&pb, epoch, loss, f1);
            pb.inc(1);
            if !best.record(epoch, f1, || Ok(head.tensors()))? {
                break;
            }
        }
        pb.finish_and_clear();
        let (epoch, tensors) = best.into_best()?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &CDevice::Cpu);
        let (head, layers) = (Head::new(cfg, vb)?, Vec::new());
        Ok(Fitted {
            head,
            layers,
            span_head: None,
            epoch,
        })
    }

    /// Dev probabilities of a trained model (frozen or with fine-tuned layers).
    fn dev_probs(&self, fitted: &Fitted) -> Result<Vec<Vec<f32>>> {
        let emb = if fitted.layers.is_empty() {
            self.cached_embeddings()?
        } else {
            self.fine_tuned_embeddings(&fitted.layers, &self.dev)?
        };
        let x = self.dev.features(&emb, self.encoder.dim());
        let input_dim = fitted.head.config().input_dim;
        let xt = Tensor::from_vec(x, (self.dev.len(), input_dim), &CDevice::Cpu)?;
        head_probs(&fitted.head, &xt)
    }

    /// The early-stopping score: the mean over the dev sets of their
    /// headline figure at its best threshold — `framing` F1 for sets that
    /// label framing, author-voice macro-F1 for CheckThat.
    pub(super) fn dev_score(&self, probs: &[Vec<f32>]) -> f64 {
        let scores: Vec<f64> = self
            .dev
            .sources
            .iter()
            .map(|source| {
                let output = if source.labels_framing {
                    N_OUTPUTS - 1
                } else {
                    AUTHOR_VOICE.index()
                };
                let (rows, gold) = self.dev.labelled(output, source.rows.clone());
                let p: Vec<f32> = rows.iter().map(|&i| probs[i][output]).collect();
                let best = if source.labels_framing {
                    best_f1_threshold(&p, &gold)
                } else {
                    best_macro_f1_threshold(&p, &gold, None)
                };
                best.map_or(0.0, |(_, f)| f)
            })
            .collect();
        scores.iter().sum::<f64>() / scores.len().max(1) as f64
    }

    /// Shows an epoch summary: in the progress bar, or as a line on stderr
    /// when the bar is hidden (not a terminal) and progress is wanted.
    pub(super) fn report_epoch(&self, pb: &ProgressBar, epoch: usize, loss: f64, dev_f1: f64) {
        let message = format!("epoch {epoch} loss {loss:.4} dev F1 {dev_f1:.3}");
        if pb.is_hidden() && self.opts.progress {
            eprintln!("{message}");
        }
        pb.set_message(message);
    }
}

/// A progress bar over `n` steps (hidden unless `show`).
pub(super) fn progress_bar(n: usize, what: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(n as u64);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{what} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} ({{per_sec}}, ETA {{eta}}) {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}
