//! The transformer [`Trainer`]: options, data and encoder in one place; head
//! fitting on cached frozen-encoder embeddings, dev evaluation, thresholds and
//! writing the model folder. Fine-tuning of the top layers is in `fine_tune`.

use super::augment;
use super::calibrate::{fit_platt, logit};
use super::checkpoint;
use super::data::SpanLabels;
use super::data::{Silver, Split, TextTable, N_OUTPUTS};
use super::optim::{
    head_probs, head_train_forward, init_head, loss_weights, weighted_bce, Adam, HeadVars,
};
use super::voice::{best_macro_f1_threshold, macro_f1};
use super::{TrainOptions, TrainOutcome, TrainReport, VoiceReport};
use crate::error::{Error, Result};
use crate::eval::bootstrap::bootstrap_intervals;
use crate::eval::labels::{read_gold, GoldOptions, GoldSet, AUTHOR_VOICE};
use crate::eval::metrics::{best_f1_threshold, Counts};
use crate::eval::tune::tune_coherent;
use crate::model::bert::{Batching, BertEncoder, Encoder};
use crate::model::cues::CueModel;
use crate::model::head::{save_tensors, Head, HeadConfig};
use crate::model::setup;
use crate::model::span_head::SpanHead;
use crate::model::transformer::{
    all_labels, BaseInfo, Platt, Pooling, TransformerConfig, TransformerKind, AUTHOR_VOICE_DEVICES,
};
use crate::model::{Scorer, Thresholds};
use crate::stats::Interval;
use crate::taxonomy::{Device, DeviceMap};
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
const CI_RESAMPLES: usize = 1000;
const CI_SEED: u64 = 7;

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
    started: Instant,
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
        let (thresholds, platt, mut report) = self.evaluate(&probs, fitted.epoch);
        let mut config = self.config(&fitted, thresholds, &report);
        config.framing_calibration = platt;
        config.attributed_voice_factor = Some(self.opts.attributed_voice_factor);
        config.coherent_framing = self.opts.coherent_framing;
        config.span_head = fitted.span_head.as_ref().map(|h| h.config().clone());
        write_model(out, &config, &fitted)?;
        if let Some(spans) = self.choose_span_decoding(out)? {
            report.dev_spans = Some(spans);
        }
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

    /// Dev F1 and dev positives of every trained device at `thresholds`.
    fn per_device_f1(
        &self,
        probs: &[Vec<f32>],
        thresholds: &Thresholds,
    ) -> Vec<(String, f64, usize)> {
        Device::ALL
            .iter()
            .filter(|d| self.trained[d.index()])
            .map(|d| {
                let (rows, gold) = self.dev.labelled(d.index(), 0..self.dev.len());
                let c: Counts = (rows.iter().zip(&gold))
                    .map(|(&i, &g)| (g, probs[i][d.index()] >= thresholds.device(*d)))
                    .collect();
                (
                    d.id().to_string(),
                    c.prf().f1,
                    gold.iter().filter(|g| **g).count(),
                )
            })
            .collect()
    }

    /// The gold devices among `devices` of each dev row in `rows`, in order.
    fn gold_devices(&self, rows: &[usize], devices: &[Device]) -> Vec<Vec<Device>> {
        let position: std::collections::HashMap<usize, usize> =
            rows.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        let mut named = vec![Vec::new(); rows.len()];
        for &d in devices {
            let (labelled, gold) = self.dev.labelled(d.index(), 0..self.dev.len());
            for (i, _) in labelled.iter().zip(&gold).filter(|(_, g)| **g) {
                if let Some(&k) = position.get(i) {
                    named[k].push(d);
                }
            }
        }
        named
    }

    /// The dev rows of the CheckThat-style sets (they label only the author's voice).
    fn voice_dev_rows(&self) -> Vec<usize> {
        self.dev
            .sources
            .iter()
            .filter(|s| !s.labels_framing)
            .flat_map(|s| s.rows.clone())
            .collect()
    }

    /// The author-voice threshold (best macro-F1 at the realistic base rate
    /// on the CheckThat dev rows) and its dev report; `None` without such rows.
    fn voice_threshold(&self, probs: &[Vec<f32>]) -> Option<VoiceReport> {
        let o = AUTHOR_VOICE.index();
        let rows = self.voice_dev_rows();
        let gold: Vec<bool> = rows.iter().map(|&i| self.dev.target(i, o)).collect();
        let p: Vec<f32> = rows.iter().map(|&i| probs[i][o]).collect();
        let base_rate = self.opts.voice_base_rate;
        let (threshold, at_base_rate) = best_macro_f1_threshold(&p, &gold, Some(base_rate))?;
        let best = best_macro_f1_threshold(&p, &gold, None).map_or(0.0, |(_, f)| f);
        let decisions: Vec<bool> = p.iter().map(|x| *x >= threshold).collect();
        let per_sentence: Vec<Vec<Counts>> = gold
            .iter()
            .zip(&decisions)
            .map(|(&g, &d)| {
                let mut c = Counts::default();
                c.add(g, d);
                vec![c]
            })
            .collect();
        let ci = bootstrap_intervals(&per_sentence, CI_RESAMPLES, CI_SEED, |c| {
            vec![c[0].macro_f1()]
        });
        Some(VoiceReport {
            threshold,
            base_rate,
            macro_f1: macro_f1(&decisions, &gold, None),
            macro_f1_ci95: ci.first().copied().unwrap_or(Interval {
                low: 0.0,
                high: 0.0,
            }),
            macro_f1_at_base_rate: at_base_rate,
            best_macro_f1: best,
            sentences: gold.len(),
            subjective: gold.iter().filter(|g| **g).count(),
        })
    }

    /// Thresholds per output (best dev F1; 0.5 for outputs without training
    /// or dev positives) and the report.
    fn evaluate(
        &self,
        probs: &[Vec<f32>],
        best_epoch: usize,
    ) -> (Thresholds, Option<Platt>, TrainReport) {
        let mut thresholds = Thresholds::default();
        let voice = self.voice_threshold(probs);
        for (o, &is_trained) in self.trained.iter().enumerate() {
            let (rows, g) = self.dev.labelled(o, 0..self.dev.len());
            let p: Vec<f32> = rows.iter().map(|&i| probs[i][o]).collect();
            let (t, _) = best_f1_threshold(&p, &g)
                .filter(|_| is_trained)
                .unwrap_or((0.5, 0.0));
            if o < Device::ALL.len() {
                thresholds.devices[Device::ALL[o]] = t;
            } else {
                thresholds.framing = t;
            }
        }
        if let Some(v) = &voice {
            thresholds.devices[AUTHOR_VOICE] = v.threshold;
        }
        let o = N_OUTPUTS - 1;
        let (rows, gold) = self.dev.labelled(o, 0..self.dev.len());
        let raw: Vec<f32> = rows.iter().map(|&i| probs[i][o]).collect();
        let platt = fit_platt(&raw.iter().map(|&p| logit(p)).collect::<Vec<_>>(), &gold);
        let calibrated: Vec<f32> = match platt {
            Some(platt) => raw.iter().map(|&p| platt.probability(logit(p))).collect(),
            None => raw.clone(),
        };
        // Device probabilities as the scorer will see them: the head's for
        // trained devices, the cue model's for the others.
        let cues = CueModel::embedded();
        let device_probs: Vec<DeviceMap<f32>> = rows
            .iter()
            .map(|&i| {
                let cue = cues
                    .as_ref()
                    .ok()
                    .map(|c| c.score_one(&self.texts[self.dev.rows[i][0].unwrap_or(0)]));
                DeviceMap::from_fn(|d| match (&cue, self.trained[d.index()]) {
                    (Some(c), false) => c.probs[d],
                    _ => probs[i][d.index()],
                })
            })
            .collect();
        if let Ok(c) = &cues {
            for d in Device::ALL.iter().filter(|d| !self.trained[d.index()]) {
                thresholds.devices[*d] = c.thresholds().device(*d);
            }
        }
        // The dev set scoring `framing` is PTC's: only its techniques lift
        // `framing` there (as in `rhetor eval`), and only they are raised.
        let ptc_devices: Vec<Device> = Device::ALL.into_iter().filter(|d| d.is_ptc()).collect();
        let coherent = self.opts.coherent_framing;
        if coherent {
            let probs_of: Vec<&DeviceMap<f32>> = device_probs.iter().collect();
            let named = self.gold_devices(&rows, &ptc_devices);
            tune_coherent(
                &calibrated,
                &probs_of,
                &gold,
                Some(&named),
                &ptc_devices,
                &mut thresholds,
            );
        } else if let Some((t, _)) = best_f1_threshold(&calibrated, &gold) {
            thresholds.framing = t;
        }
        let flagged: Vec<bool> = device_probs
            .iter()
            .map(|p| coherent && ptc_devices.iter().any(|&d| thresholds.reached(d, p)))
            .collect();
        let per_device = self.per_device_f1(probs, &thresholds);
        let counts_at = |t: f32, coherent: bool| {
            let mut per_article = vec![vec![Counts::default()]; self.dev.articles];
            let mut total = Counts::default();
            for (k, (&i, &g)) in rows.iter().zip(&gold).enumerate() {
                let decision = if coherent {
                    calibrated[k] >= t || flagged[k]
                } else {
                    raw[k] >= t
                };
                per_article[self.dev.article_of[i]][0].add(g, decision);
                total.add(g, decision);
            }
            per_article.retain(|c| c[0] != Counts::default());
            (per_article, total)
        };
        let (per_article, total) = counts_at(thresholds.framing, true);
        let ci = bootstrap_intervals(&per_article, CI_RESAMPLES, CI_SEED, |c| vec![c[0].prf().f1]);
        let prf = total.prf();
        let report = TrainReport {
            dev_f1: prf.f1,
            dev_f1_ci95: ci.first().copied().unwrap_or(Interval {
                low: 0.0,
                high: 0.0,
            }),
            dev_precision: prf.precision,
            dev_recall: prf.recall,
            dev_f1_at_05: counts_at(0.5, false).1.prf().f1,
            per_device_f1: per_device,
            dev_voice: voice,
            best_epoch,
            dev_spans: None,
            seconds: self.started.elapsed().as_secs_f64(),
        };
        (thresholds, platt, report)
    }

    /// The model's `config.json`, with provenance and metrics under `training`.
    fn config(
        &self,
        fitted: &Fitted,
        thresholds: Thresholds,
        report: &TrainReport,
    ) -> TransformerConfig {
        let labels = all_labels();
        let trained_labels = labels
            .iter()
            .zip(&self.trained)
            .filter(|(_, t)| **t)
            .map(|(l, _)| *l)
            .collect();
        let top_start = self.top_start(fitted);
        let data = |split: &Split| {
            let sets: Vec<serde_json::Value> = split
                .sources
                .iter()
                .map(|s| {
                    serde_json::json!({"path": s.path.display().to_string(), "sha256": s.sha256,
                                       "articles": s.articles, "lines": s.rows.len()})
                })
                .collect();
            serde_json::Value::Array(sets)
        };
        TransformerConfig {
            kind: TransformerKind::Transformer,
            name: self.opts.name.clone(),
            base: BaseInfo {
                hf_id: setup::BASE_HF_ID.into(),
                safetensors_sha256: Some(self.base_sha.clone()),
            },
            labels,
            trained_labels,
            pooling: Pooling::Mean,
            max_len: self.opts.max_len,
            context: self.opts.context,
            head: fitted.head.config(),
            fine_tuned_layers: (top_start..top_start + fitted.layers.len()).collect(),
            thresholds,
            framing_calibration: None,
            attributed_voice_factor: None,
            coherent_framing: false,
            span_head: None,
            training: serde_json::json!({
                "train_data": data(&self.train),
                "dev_data": data(&self.dev),
                "options": self.opts,
                "metrics": report,
                "note": "thresholds and early stopping use the dev split; dev figures are therefore optimistic",
            }),
        }
    }

    /// Index of the first fine-tuned encoder layer.
    fn top_start(&self, fitted: &Fitted) -> usize {
        self.encoder.model().num_layers() - fitted.layers.len()
    }

    /// Sentence embeddings of all texts, from the cache when possible.
    fn cached_embeddings(&self) -> Result<Vec<Vec<f32>>> {
        let mut h = Sha256::new();
        h.update(self.base_sha.as_bytes());
        h.update(self.opts.max_len.to_le_bytes());
        for t in &self.texts {
            h.update(t.as_bytes());
            h.update([0u8]);
        }
        let key = format!("{:x}", h.finalize());
        let cache_dir = &self.opts.cache_dir;
        let path = cache_dir.join(format!("emb-{}.f32", &key[..16]));
        let dim = self.encoder.dim();
        if let Ok(bytes) = std::fs::read(&path) {
            if bytes.len() == self.texts.len() * dim * 4 {
                let flat: Vec<f32> = bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                return Ok(flat.chunks(dim).map(|c| c.to_vec()).collect());
            }
        }
        let emb = self.embed_with_progress()?;
        std::fs::create_dir_all(cache_dir).map_err(|e| Error::io(cache_dir, e))?;
        let bytes: Vec<u8> = emb.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        Ok(emb)
    }

    fn embed_with_progress(&self) -> Result<Vec<Vec<f32>>> {
        let pb = progress_bar(self.texts.len(), "embedding", self.opts.progress);
        let mut out = Vec::with_capacity(self.texts.len());
        for chunk in self.texts.chunks(512) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            out.extend(self.encoder.embed_texts(&refs)?);
            pb.inc(chunk.len() as u64);
        }
        pb.finish_and_clear();
        Ok(out)
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

/// Writes `config.json` and `model.safetensors` (fp16 head + fine-tuned layers).
fn write_model(out: &Path, config: &TransformerConfig, fitted: &Fitted) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut tensors = fitted.head.tensors();
    let top_start = config.fine_tuned_layers.first().copied().unwrap_or(0);
    for (k, layer) in fitted.layers.iter().enumerate() {
        for (name, t) in layer {
            tensors.insert(format!("encoder.layer.{}.{name}", top_start + k), t.clone());
        }
    }
    if let Some(span_head) = &fitted.span_head {
        tensors.extend(span_head.tensors()?);
    }
    save_tensors(&tensors, DType::F16, &out.join("model.safetensors"))?;
    let json = serde_json::to_string_pretty(config)
        .map_err(|e| Error::Config(format!("cannot serialise config: {e}")))?;
    let path = out.join("config.json");
    std::fs::write(&path, json + "\n").map_err(|e| Error::io(&path, e))
}

impl Trainer {
    /// Chooses the span head's decoding (thresholds and joining) with the
    /// best SI F1 (the SemEval-2020 task scorer's formula,
    /// [`crate::eval::tune::tune_span_decoding`]) on the dev sets with gold
    /// spans, scoring them with the written model exactly as `rhetor eval`
    /// does (float engine); rewrites `config.json` with it. Returns the dev
    /// span figures with that decoding; `None` without a span head or
    /// span-labelled dev data.
    fn choose_span_decoding(&self, out: &Path) -> Result<Option<serde_json::Value>> {
        use crate::eval::spans::evaluate_spans;
        use crate::eval::tune::tune_span_decoding;
        use crate::model::transformer::{
            read_config, Engine, TransformerOptions, TransformerScorer,
        };
        let mut config = read_config(out)?;
        let Some(span_config) = config.span_head.clone() else {
            return Ok(None);
        };
        let options = TransformerOptions {
            explain: false,
            engine: Engine::Float,
        };
        let scorer = TransformerScorer::load_with(out, &self.base, options)?;
        let mut runs = Vec::new();
        for source in self.dev.sources.iter().filter(|s| s.labels_framing) {
            let gold = read_gold(&source.path, GoldOptions::default())?;
            if gold.has_spans() {
                let run = crate::eval::score_gold(&gold, &scorer, config.thresholds.clone(), 64)?;
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
            .map(|(gold, scores)| evaluate_spans(gold, scores, CI_RESAMPLES))
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
        let json = serde_json::to_string_pretty(&config)
            .map_err(|e| Error::Config(format!("cannot serialise config: {e}")))?;
        let path = out.join("config.json");
        std::fs::write(&path, json + "\n").map_err(|e| Error::io(&path, e))?;
        Ok(Some(dev_spans))
    }
}
