//! Training a user's own labels from a coded file (`rhetor train --labels`).
//!
//! With `fine_tune_top` > 0 the top encoder layers are trained with the head
//! and a stratified hold-out chooses the epoch and thresholds (see
//! [`fine_tune`]); what follows describes the frozen encoder (`fine_tune_top` 0).
//!
//! Every sentence is embedded once by the frozen encoder (cached like the
//! shipped trainer's embeddings) and a head with one output per label plus
//! `framing` (= any label positive) is trained with the shipped trainer's
//! pieces: class-weighted BCE (rows not coded for a label add nothing for
//! it), AdamW, seeded dropout.
//!
//! Without a dev file the number of epochs and the thresholds are chosen by
//! k-fold cross-validation on the training file: the sentences (duplicates
//! kept together, stratified by `framing`) are split into `folds` parts; a
//! head trained on the other parts scores each part after every epoch. The
//! epoch count with the best mean out-of-fold macro-F1 is kept, each label's
//! threshold maximises its out-of-fold macro-F1 (over both classes), the
//! out-of-fold decisions at those thresholds give the reported figures with
//! 95 % bootstrap intervals (over sentences), and the final head is trained
//! on every sentence for that many epochs. The figures are slightly
//! optimistic: the epoch count and the thresholds were chosen on the same
//! predictions. With a dev file, the epoch and the thresholds are chosen on
//! dev and the figures are dev's (as optimistic).
//!
//! With a single label, `framing` is made that label (same weights,
//! threshold and figures).
//!
//! After every fold the out-of-fold probabilities are checkpointed in
//! `<out>/checkpoint/`: `resume` continues a stopped run there and
//! `stop_after_folds` stops one early.

mod fine_tune;

pub use fine_tune::{MAX_FINE_TUNE_BATCH, MAX_FINE_TUNE_EPOCHS};

use super::checkpoint;
use super::embed_cache::EmbedCache;
use super::optim::{head_probs, head_train_forward, init_head, weighted_bce, Adam, HeadVars};
use super::transformer::progress_bar;
use super::voice::best_macro_f1_threshold;
use crate::error::{Error, Result};
use crate::io::coded::{CodedFile, LabelCount};
use crate::model::bert::{Batching, BertEncoder, Encoder, Pooling};
use crate::model::head::{Head, HeadConfig};
use crate::model::setup;
use crate::taxonomy::LabelSet;
use candle_core::{DType, Device as CDevice, Tensor};
use candle_nn::{VarBuilder, VarMap};
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `rhetor train --labels`.
#[derive(Debug, Clone, Serialize)]
pub struct LabelTrainOptions {
    /// Model name written into the config.
    pub name: String,
    /// Hidden width of the head (0 = linear).
    pub hidden: usize,
    /// Most epochs tried (the count is chosen by cross-validation or dev).
    pub epochs: usize,
    /// Learning rate of the head.
    pub lr: f64,
    /// AdamW weight decay.
    pub weight_decay: f64,
    /// Dropout on the head's input and hidden layer.
    pub dropout: f32,
    /// Mini-batch size (sentences).
    pub batch_size: usize,
    /// Random seed (folds, initialisation, shuffling, dropout).
    pub seed: u64,
    /// Cross-validation folds (without a dev file).
    pub folds: usize,
    /// Cap of the per-label positive weight (`neg/pos`, capped).
    pub max_pos_weight: f32,
    /// Weight of the `framing` output in the loss relative to each label.
    pub framing_weight: f32,
    /// Maximum sequence length.
    pub max_len: usize,
    /// Encoder layers fine-tuned with the head (0 = frozen encoder).
    pub fine_tune_top: usize,
    /// How token states become the sentence vector the head reads
    /// ([`Pooling::MeanOfLayers`] needs the frozen encoder).
    pub pooling: Pooling,
    /// Learning rate of the fine-tuned layers.
    pub encoder_lr: f64,
    /// Share of the distinct training sentences held out to choose the
    /// epoch and thresholds when fine-tuning without a dev file.
    pub holdout: f64,
    /// Where embeddings are cached.
    #[serde(skip)]
    pub cache_dir: PathBuf,
    /// Show progress.
    #[serde(skip)]
    pub progress: bool,
    /// Continue the stopped run whose checkpoint is in `<out>/checkpoint/`.
    #[serde(skip)]
    pub resume: bool,
    /// Stop after this many folds of this invocation, keeping the checkpoint.
    #[serde(skip)]
    pub stop_after_folds: Option<usize>,
}

impl Default for LabelTrainOptions {
    fn default() -> Self {
        LabelTrainOptions {
            name: "rhetor-labels".into(),
            hidden: 256,
            epochs: 40,
            lr: 1e-3,
            weight_decay: 1e-2,
            dropout: 0.1,
            batch_size: 32,
            seed: 13,
            folds: 5,
            max_pos_weight: 10.0,
            framing_weight: 1.0,
            max_len: crate::tokenize::DEFAULT_MAX_LEN,
            fine_tune_top: 0,
            pooling: Pooling::MeanOfLayers,
            encoder_lr: 5e-5,
            holdout: 0.2,
            cache_dir: PathBuf::from(".cache/rhetor"),
            progress: true,
            resume: false,
            stop_after_folds: None,
        }
    }
}

pub use crate::stats::figures::LabelFigures;

/// What a finished `--labels` run reports.
#[derive(Debug, Clone, Serialize)]
pub struct LabelReport {
    /// `cross-validation (k folds)` or `dev file`.
    pub selection: String,
    /// Epochs the written head was trained for.
    pub epochs: usize,
    /// Per label then `framing`: the figures behind the thresholds
    /// (out-of-fold or dev).
    pub figures: Vec<LabelFigures>,
    /// Per label then `framing`: the figures on a held-out file scored with
    /// the written model, when one was given.
    pub test: Option<Vec<LabelFigures>>,
    /// Per label: rows of the training file coded, positives, not coded.
    pub train_counts: Vec<LabelCount>,
    /// Seconds of the whole run.
    pub seconds: f64,
}

/// How a `--labels` invocation ended.
pub enum LabelOutcome {
    /// The model was written.
    Finished(Box<LabelReport>),
    /// Stopped after `folds` folds; resume continues from `checkpoint`.
    Stopped {
        /// Folds done so far.
        folds: usize,
        /// The checkpoint folder.
        checkpoint: PathBuf,
    },
}

/// The data of one coded file as head inputs.
struct Coded<'a> {
    file: &'a CodedFile,
    /// Embeddings, `rows × dim`, row-major.
    x: Vec<f32>,
    /// Targets and known flags, `rows × outputs` (labels then `framing`).
    y: Vec<f32>,
    known: Vec<f32>,
    outputs: usize,
}

impl<'a> Coded<'a> {
    fn new(file: &'a CodedFile, emb: &[Vec<f32>]) -> Coded<'a> {
        let outputs = file.labels.len() + 1;
        let (y, known) = targets(file);
        Coded {
            file,
            x: emb.iter().flatten().copied().collect(),
            y,
            known,
            outputs,
        }
    }

    fn len(&self) -> usize {
        self.file.rows.len()
    }

    /// Rows coded for output `o` among `rows`, with their gold values.
    fn labelled(&self, o: usize, rows: &[usize]) -> (Vec<usize>, Vec<bool>) {
        rows.iter()
            .filter(|&&i| self.known[i * self.outputs + o] > 0.5)
            .map(|&i| (i, self.y[i * self.outputs + o] > 0.5))
            .unzip()
    }

    fn gather(&self, values: &[f32], rows: &[usize], width: usize) -> Vec<f32> {
        rows.iter()
            .flat_map(|&i| values[i * width..(i + 1) * width].iter().copied())
            .collect()
    }
}

/// Targets and known flags of a coded file (`rows × (labels + 1)`): each
/// label as coded (unknown when empty), then `framing`: positive when some
/// label is 1, negative when every label is 0, else unknown.
fn targets(file: &CodedFile) -> (Vec<f32>, Vec<f32>) {
    let mut y = Vec::new();
    let mut known = Vec::new();
    for row in &file.rows {
        for cell in &row.labels {
            y.push(f32::from(u8::from(*cell == Some(true))));
            known.push(f32::from(u8::from(cell.is_some())));
        }
        let framing = row.framing();
        y.push(f32::from(u8::from(framing == Some(true))));
        known.push(f32::from(u8::from(framing.is_some())));
    }
    (y, known)
}

/// Every label of the training file needs coded positives and negatives.
fn check_learnable(file: &CodedFile) -> Result<()> {
    for c in file.counts() {
        if c.positives == 0 || c.positives == c.coded {
            let missing = if c.positives == 0 { "1" } else { "0" };
            return Err(Error::Config(format!(
                "{}: label `{}` has no row coded {missing} ({} coded, {} positive); a label needs both classes to be learnt",
                file.source, c.name, c.coded, c.positives
            )));
        }
    }
    Ok(())
}

/// Cross-validation folds of `texts`: identical texts share a fold; texts
/// are shuffled with `seed`, then dealt round-robin, positives (`strata`)
/// and negatives separately, so every fold gets its share of each.
pub(super) fn fold_of(texts: &[&str], strata: &[bool], folds: usize, seed: u64) -> Vec<usize> {
    let folds = folds.max(1);
    let groups = DuplicateGroups::new(texts, strata, seed);
    let mut fold_of_group = vec![0; groups.stratum.len()];
    for stratum in [true, false] {
        for (k, g) in groups.shuffled_in(stratum).into_iter().enumerate() {
            fold_of_group[g] = k % folds;
        }
    }
    groups.of_row.iter().map(|&g| fold_of_group[g]).collect()
}

/// Rows grouped by identical text (a group is positive when any of its rows
/// is), and the groups in a seeded random order: the unit that cross-
/// validation folds and the fine-tuning hold-out split, so a duplicate never
/// sits on both sides.
pub(super) struct DuplicateGroups {
    /// The group of each row.
    pub(super) of_row: Vec<usize>,
    /// The stratum (positive or not) of each group.
    pub(super) stratum: Vec<bool>,
    /// The groups in a seeded random order.
    order: Vec<usize>,
}

impl DuplicateGroups {
    /// Groups `texts` (with their `strata`) and shuffles the groups with `seed`.
    pub(super) fn new(texts: &[&str], strata: &[bool], seed: u64) -> DuplicateGroups {
        let mut stratum: Vec<bool> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut of_row = Vec::with_capacity(texts.len());
        for (t, s) in texts.iter().zip(strata) {
            let g = *index.entry(t).or_insert_with(|| {
                stratum.push(false);
                stratum.len() - 1
            });
            stratum[g] |= *s;
            of_row.push(g);
        }
        let mut order: Vec<usize> = (0..stratum.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        DuplicateGroups {
            of_row,
            stratum,
            order,
        }
    }

    /// The groups of one stratum, in the shuffled order.
    pub(super) fn shuffled_in(&self, stratum: bool) -> Vec<usize> {
        self.order
            .iter()
            .copied()
            .filter(|&g| self.stratum[g] == stratum)
            .collect()
    }
}

/// Per output: positive weight `neg/pos` (capped; 1 without positives) and
/// output weight (0 without a positive among `rows`, `framing_weight` for
/// `framing`, else 1).
fn loss_weights(
    data: &Coded,
    rows: &[usize],
    opts: &LabelTrainOptions,
) -> Result<(Tensor, Tensor)> {
    let mut pos_w = Vec::with_capacity(data.outputs);
    let mut out_w = Vec::with_capacity(data.outputs);
    for o in 0..data.outputs {
        let (coded, gold) = data.labelled(o, rows);
        let pos = gold.iter().filter(|g| **g).count() as f32;
        let n = coded.len() as f32;
        pos_w.push(if pos > 0.0 {
            ((n - pos) / pos).clamp(1.0, opts.max_pos_weight)
        } else {
            1.0
        });
        out_w.push(match (pos > 0.0, o + 1 == data.outputs) {
            (false, _) => 0.0,
            (true, true) => opts.framing_weight,
            (true, false) => 1.0,
        });
    }
    let tensor = |v: Vec<f32>| Tensor::new(v.as_slice(), &CDevice::Cpu).map_err(Error::from);
    Ok((tensor(pos_w)?, tensor(out_w)?))
}

/// Trains a head on `rows` of `data` for `opts.epochs` epochs (fewer when
/// `epochs` says), calling `after_epoch(epoch, head)` after each.
fn fit_head(
    data: &Coded,
    rows: &[usize],
    cfg: HeadConfig,
    opts: &LabelTrainOptions,
    epochs: usize,
    seed: u64,
    mut after_epoch: impl FnMut(usize, &Head) -> Result<()>,
) -> Result<Head> {
    let mut rng = StdRng::seed_from_u64(seed);
    let varmap = VarMap::new();
    init_head(&varmap, cfg, &mut rng)?;
    let vars = HeadVars::from_varmap(&varmap, cfg)?;
    let (pos_w, out_w) = loss_weights(data, rows, opts)?;
    let mut opt = Adam::new(&varmap, opts.lr, opts.weight_decay)?;
    let mut order = rows.to_vec();
    let dim = cfg.input_dim;
    let head_now = || {
        Head::new(
            cfg,
            VarBuilder::from_varmap(&varmap, DType::F32, &CDevice::Cpu),
        )
    };
    for epoch in 1..=epochs {
        order.shuffle(&mut rng);
        for chunk in order.chunks(opts.batch_size.max(1)) {
            let x = Tensor::from_vec(
                data.gather(&data.x, chunk, dim),
                (chunk.len(), dim),
                &CDevice::Cpu,
            )?;
            let shape = (chunk.len(), data.outputs);
            let y = Tensor::from_vec(
                data.gather(&data.y, chunk, data.outputs),
                shape,
                &CDevice::Cpu,
            )?;
            let known = Tensor::from_vec(
                data.gather(&data.known, chunk, data.outputs),
                shape,
                &CDevice::Cpu,
            )?;
            let logits = head_train_forward(&vars, &x, opts.dropout, &mut rng)?;
            opt.backward_step(&weighted_bce(&logits, &y, &known, &pos_w, &out_w)?)?;
        }
        after_epoch(epoch, &head_now()?)?;
    }
    let head = head_now()?;
    // A copy, so that the head no longer shares the trainable variables.
    let tensors = head
        .tensors()
        .into_iter()
        .map(|(n, t)| Ok((n, t.copy()?)))
        .collect::<Result<HashMap<_, _>>>()?;
    Head::new(
        cfg,
        VarBuilder::from_tensors(tensors, DType::F32, &CDevice::Cpu),
    )
}

/// With a single label, `framing` ("some label positive") is that label:
/// its output gets the label's weights, threshold and figures, so that a
/// sentence is flagged exactly when the label is.
fn framing_as_the_label(
    head: &Head,
    thresholds: &mut [f32],
    figures: &mut [LabelFigures],
) -> Result<Head> {
    let mut tensors = head.tensors();
    for name in ["head.out.weight", "head.out.bias"] {
        if let Some(t) = tensors.get(name) {
            let first = t.narrow(0, 0, 1)?;
            let tied = Tensor::cat(&[&first, &first], 0)?;
            tensors.insert(name.to_string(), tied);
        }
    }
    thresholds[1] = thresholds[0];
    figures[1] = LabelFigures {
        name: "framing".into(),
        ..figures[0].clone()
    };
    let vb = VarBuilder::from_tensors(tensors, DType::F32, &CDevice::Cpu);
    Head::new(head.config(), vb)
}

/// Probabilities (`rows.len() × outputs`) of `rows` of `data`.
fn probs_of(head: &Head, data: &Coded, rows: &[usize]) -> Result<Vec<Vec<f32>>> {
    let dim = head.config().input_dim;
    let x = Tensor::from_vec(
        data.gather(&data.x, rows, dim),
        (rows.len(), dim),
        &CDevice::Cpu,
    )?;
    head_probs(head, &x)
}

/// Per output: the threshold with the best macro-F1 of `probs` (rows of
/// `data`, all of them) and that macro-F1 (0.5 and 0 when an output lacks
/// one of the classes).
fn best_thresholds(data: &Coded, probs: &[Vec<f32>]) -> Vec<(f32, f64)> {
    let all: Vec<usize> = (0..data.len()).collect();
    (0..data.outputs)
        .map(|o| {
            let (rows, gold) = data.labelled(o, &all);
            let p: Vec<f32> = rows.iter().map(|&i| probs[i][o]).collect();
            best_macro_f1_threshold(&p, &gold, None).unwrap_or((0.5, 0.0))
        })
        .collect()
}

/// The selection score of a set of probabilities: the mean over the labels
/// (not `framing`) of their best macro-F1.
fn selection_score(data: &Coded, probs: &[Vec<f32>]) -> f64 {
    let best = best_thresholds(data, probs);
    let labels = &best[..data.outputs - 1];
    labels.iter().map(|(_, f)| f).sum::<f64>() / labels.len().max(1) as f64
}

/// Figures of every output of `data` at `thresholds`, with 95 % bootstrap
/// intervals over sentences.
fn figures(data: &Coded, probs: &[Vec<f32>], thresholds: &[f32]) -> Vec<LabelFigures> {
    let all: Vec<usize> = (0..data.len()).collect();
    let names = data
        .file
        .labels
        .iter()
        .map(String::as_str)
        .chain(["framing"]);
    names
        .enumerate()
        .map(|(o, name)| {
            let (rows, gold) = data.labelled(o, &all);
            let decisions: Vec<(bool, bool)> = rows
                .iter()
                .zip(&gold)
                .map(|(&i, &g)| (g, probs[i][o] >= thresholds[o]))
                .collect();
            LabelFigures::of(name, thresholds[o], &decisions)
        })
        .collect()
}

/// A trained head with its thresholds and figures, ready to be written.
pub struct LabelModel {
    /// The head (labels then `framing`).
    pub head: Head,
    /// Per output (labels then `framing`): the threshold.
    pub thresholds: Vec<f32>,
    /// The fine-tuned encoder layers (names relative to the layer), from
    /// layer `top_start` on; empty with a frozen encoder.
    pub layers: Vec<HashMap<String, Tensor>>,
    /// Index of the first fine-tuned layer.
    pub top_start: usize,
    /// What the run reports.
    pub report: LabelReport,
}

/// Trains a user's labels: built from the options, the base weights and the
/// coded files, then [`LabelTrainer::run`].
pub struct LabelTrainer<'a> {
    opts: LabelTrainOptions,
    /// SHA-256 of the base weights.
    pub base_sha: String,
    base: PathBuf,
    encoder: BertEncoder,
    labels: &'a LabelSet,
    train: &'a CodedFile,
    dev: Option<&'a CodedFile>,
    test: Option<&'a CodedFile>,
    started: Instant,
}

impl<'a> LabelTrainer<'a> {
    /// Loads the base encoder. `labels` names the coded files' label columns
    /// in order (checked here); `dev` chooses the epoch and thresholds
    /// instead of cross-validation; `test` is only scored, at the end.
    pub fn new(
        base: &Path,
        labels: &'a LabelSet,
        train: &'a CodedFile,
        dev: Option<&'a CodedFile>,
        test: Option<&'a CodedFile>,
        opts: LabelTrainOptions,
    ) -> Result<LabelTrainer<'a>> {
        let names: Vec<&str> = labels.names().collect();
        for file in [Some(train), dev, test].into_iter().flatten() {
            if file.labels != names {
                return Err(Error::Config(format!(
                    "{}: label columns {:?} differ from the labels trained ({:?})",
                    file.source, file.labels, names
                )));
            }
        }
        check_learnable(train)?;
        if opts.fine_tune_top > 0 && opts.pooling != Pooling::Mean {
            return Err(Error::Config(format!(
                "pooling {:?} needs the frozen encoder (fine_tune_top 0); fine-tuning pools the last layer (mean)",
                opts.pooling
            )));
        }
        let started = Instant::now();
        let base_sha = setup::sha256_file(&base.join("model.safetensors"))?;
        let mut encoder = BertEncoder::load(base, opts.max_len, None)?;
        encoder.set_batching(Batching::Bucketed);
        encoder.set_pooling(opts.pooling);
        Ok(LabelTrainer {
            opts,
            base_sha,
            base: base.to_path_buf(),
            encoder,
            labels,
            train,
            dev,
            test,
            started,
        })
    }

    /// The options.
    pub fn options(&self) -> &LabelTrainOptions {
        &self.opts
    }

    /// Trains, choosing the epoch count and thresholds by cross-validation
    /// (or on dev); `out` holds the checkpoint of a stopped run.
    pub fn run(&self, out: &Path) -> Result<(LabelOutcome, Option<LabelModel>)> {
        if self.opts.fine_tune_top > 0 {
            return self.run_fine_tune(out);
        }
        let cache = EmbedCache {
            encoder: &self.encoder,
            base_sha: &self.base_sha,
            max_len: self.opts.max_len,
            dir: &self.opts.cache_dir,
            progress: self.opts.progress,
        };
        let texts =
            |f: &CodedFile| -> Vec<String> { f.rows.iter().map(|r| r.text.clone()).collect() };
        let train = Coded::new(self.train, &cache.embeddings(&texts(self.train))?);
        let cfg = HeadConfig {
            input_dim: self.encoder.dim(),
            hidden: self.opts.hidden,
            outputs: train.outputs,
        };
        let (epochs, thresholds, chosen, selection) = match self.dev {
            Some(dev) => {
                let dev = Coded::new(dev, &cache.embeddings(&texts(dev))?);
                let (epochs, probs) = self.choose_on_dev(&train, &dev, cfg)?;
                let t: Vec<f32> = best_thresholds(&dev, &probs).iter().map(|b| b.0).collect();
                (
                    epochs,
                    t.clone(),
                    figures(&dev, &probs, &t),
                    "dev file".to_string(),
                )
            }
            None => match self.cross_validate(&train, cfg, out)? {
                Err(stopped) => return Ok((stopped, None)),
                Ok((epochs, probs)) => {
                    let t: Vec<f32> = best_thresholds(&train, &probs)
                        .iter()
                        .map(|b| b.0)
                        .collect();
                    let figs = figures(&train, &probs, &t);
                    (
                        epochs,
                        t,
                        figs,
                        format!("cross-validation ({} folds)", self.opts.folds),
                    )
                }
            },
        };
        let all: Vec<usize> = (0..train.len()).collect();
        let pb = progress_bar(epochs, "final head", self.opts.progress);
        let mut head = fit_head(
            &train,
            &all,
            cfg,
            &self.opts,
            epochs,
            self.opts.seed,
            |_, _| {
                pb.inc(1);
                Ok(())
            },
        )?;
        pb.finish_and_clear();
        let (mut thresholds, mut chosen) = (thresholds, chosen);
        if train.outputs == 2 {
            head = framing_as_the_label(&head, &mut thresholds, &mut chosen)?;
        }
        let test = match self.test {
            Some(file) => {
                let data = Coded::new(file, &cache.embeddings(&texts(file))?);
                let rows: Vec<usize> = (0..data.len()).collect();
                Some(figures(&data, &probs_of(&head, &data, &rows)?, &thresholds))
            }
            None => None,
        };
        checkpoint::remove(&checkpoint::dir_of(out))?;
        let report = LabelReport {
            selection,
            epochs,
            figures: chosen,
            test,
            train_counts: self.train.counts(),
            seconds: self.started.elapsed().as_secs_f64(),
        };
        let outcome = LabelOutcome::Finished(Box::new(report.clone()));
        Ok((
            outcome,
            Some(LabelModel {
                head,
                thresholds,
                layers: Vec::new(),
                top_start: 0,
                report,
            }),
        ))
    }

    /// The label set trained.
    pub fn labels(&self) -> &LabelSet {
        self.labels
    }

    /// Trains on all of train for up to `epochs` epochs, scoring dev after
    /// each; the epoch with the best dev score and its dev probabilities.
    fn choose_on_dev(
        &self,
        train: &Coded,
        dev: &Coded,
        cfg: HeadConfig,
    ) -> Result<(usize, Vec<Vec<f32>>)> {
        let all: Vec<usize> = (0..train.len()).collect();
        let dev_rows: Vec<usize> = (0..dev.len()).collect();
        let mut best: Option<(f64, usize, Vec<Vec<f32>>)> = None;
        let pb = progress_bar(self.opts.epochs, "training", self.opts.progress);
        fit_head(
            train,
            &all,
            cfg,
            &self.opts,
            self.opts.epochs,
            self.opts.seed,
            |epoch, head| {
                let probs = probs_of(head, dev, &dev_rows)?;
                let score = selection_score(dev, &probs);
                self.show(&pb, format!("epoch {epoch} dev macro-F1 {score:.3}"), true);
                if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                    best = Some((score, epoch, probs));
                }
                Ok(())
            },
        )?;
        pb.finish_and_clear();
        let (_, epoch, probs) =
            best.ok_or_else(|| Error::Config("no training epoch ran".into()))?;
        Ok((epoch, probs))
    }

    /// k-fold cross-validation: out-of-fold probabilities after every epoch
    /// (checkpointed per fold); the best epoch count and its probabilities,
    /// or the outcome of a stopped run.
    #[allow(clippy::type_complexity)]
    fn cross_validate(
        &self,
        data: &Coded,
        cfg: HeadConfig,
        out: &Path,
    ) -> Result<std::result::Result<(usize, Vec<Vec<f32>>), LabelOutcome>> {
        let (n, k, epochs, width) = (
            data.len(),
            self.opts.folds.max(2),
            self.opts.epochs,
            data.outputs,
        );
        let texts: Vec<&str> = data.file.rows.iter().map(|r| r.text.as_str()).collect();
        let strata: Vec<bool> = (0..n)
            .map(|i| data.y[i * width + width - 1] > 0.5)
            .collect();
        let fold = fold_of(&texts, &strata, k, self.opts.seed);
        // oof[(e * n + i) * width + o]: probability of output o for row i after epoch e + 1.
        let mut oof = vec![0f32; epochs * n * width];
        let ckpt = checkpoint::dir_of(out);
        let fingerprint = self.fingerprint()?;
        let mut done = 0;
        if self.opts.resume {
            let (meta, tensors) = checkpoint::load(&ckpt, &fingerprint)?;
            let t = tensors
                .get("oof")
                .ok_or_else(|| Error::Config("checkpoint lacks `oof`".into()))?;
            oof = t.flatten_all()?.to_vec1()?;
            done = meta.epoch;
        }
        let pb = progress_bar(k * epochs, "cross-validation", self.opts.progress);
        pb.inc((done * epochs) as u64);
        for f in done..k {
            let (train_rows, held): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| fold[i] != f);
            fit_head(
                data,
                &train_rows,
                cfg,
                &self.opts,
                epochs,
                self.opts.seed + 1 + f as u64,
                |epoch, head| {
                    for (row, p) in held.iter().zip(probs_of(head, data, &held)?) {
                        let at = ((epoch - 1) * n + row) * width;
                        oof[at..at + width].copy_from_slice(&p);
                    }
                    pb.inc(1);
                    let message = format!("fold {}/{k} epoch {epoch}/{epochs}", f + 1);
                    self.show(&pb, message, epoch == epochs);
                    Ok(())
                },
            )?;
            let meta = checkpoint::Meta {
                fingerprint: fingerprint.clone(),
                epoch: f + 1,
                steps: Vec::new(),
                best: None,
            };
            let t = Tensor::from_slice(&oof, oof.len(), &CDevice::Cpu)?;
            checkpoint::save(&ckpt, &meta, &HashMap::from([("oof".to_string(), t)]))?;
            if f + 1 < k && self.opts.stop_after_folds == Some(f + 1 - done) {
                pb.finish_and_clear();
                return Ok(Err(LabelOutcome::Stopped {
                    folds: f + 1,
                    checkpoint: ckpt,
                }));
            }
        }
        pb.finish_and_clear();
        let probs_at = |e: usize| -> Vec<Vec<f32>> {
            oof[e * n * width..(e + 1) * n * width]
                .chunks(width)
                .map(<[f32]>::to_vec)
                .collect()
        };
        let mut best = (f64::NEG_INFINITY, 0);
        for e in 0..epochs {
            let score = selection_score(data, &probs_at(e));
            if score > best.0 {
                best = (score, e);
            }
        }
        Ok(Ok((best.1 + 1, probs_at(best.1))))
    }

    /// Shows a progress message in the bar, or as a line on stderr when the
    /// bar is hidden (not a terminal), progress is wanted and `line`.
    fn show(&self, pb: &ProgressBar, message: String, line: bool) {
        if pb.is_hidden() && self.opts.progress && line {
            eprintln!("{message}");
        }
        pb.set_message(message);
    }

    /// What determines a run's result: options, base weights, data, labels.
    fn fingerprint(&self) -> Result<String> {
        let opts = serde_json::to_string(&self.opts)
            .map_err(|e| Error::Config(format!("cannot serialise options: {e}")))?;
        let mut h = Sha256::new();
        h.update(opts.as_bytes());
        h.update(self.base_sha.as_bytes());
        h.update(self.train.sha256.as_bytes());
        for name in self.labels.names() {
            h.update(name.as_bytes());
            h.update([0u8]);
        }
        Ok(format!("{:x}", h.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::coded::{read_coded_bytes, CodedFormat, CodedOptions};

    #[test]
    fn folds_keep_duplicates_together_and_stratify() {
        let texts: Vec<String> = (0..40).map(|i| format!("t{}", i % 30)).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let strata: Vec<bool> = (0..40).map(|i| i % 30 < 10).collect();
        let fold = fold_of(&refs, &strata, 5, 1);
        for i in 0..40 {
            for j in 0..40 {
                if texts[i] == texts[j] {
                    assert_eq!(fold[i], fold[j]);
                }
            }
        }
        // 10 positive and 20 negative distinct texts: 2 and 4 per fold.
        for f in 0..5 {
            let pos = (0..30).filter(|&i| fold[i] == f && strata[i]).count();
            let neg = (0..30).filter(|&i| fold[i] == f && !strata[i]).count();
            assert_eq!((pos, neg), (2, 4), "fold {f}");
        }
        assert_eq!(fold, fold_of(&refs, &strata, 5, 1));
    }

    #[test]
    fn a_label_without_positives_or_negatives_is_refused() {
        let read = |b: &[u8]| {
            read_coded_bytes(b, "f.csv", CodedFormat::Csv, &CodedOptions::default()).unwrap()
        };
        assert!(check_learnable(&read(b"text,a\nA.,1\nB.,0\nC.,\n")).is_ok());
        let err = check_learnable(&read(b"text,a\nA.,0\nB.,0\n")).unwrap_err();
        assert!(err.to_string().contains("no row coded 1"), "{err}");
        let err = check_learnable(&read(b"text,a\nA.,1\nB.,\n")).unwrap_err();
        assert!(err.to_string().contains("no row coded 0"), "{err}");
    }

    #[test]
    fn framing_is_any_label_known_when_decided() {
        let f = read_coded_bytes(
            b"text,a,b\nA.,1,\nB.,0,0\nC.,0,\n",
            "f.csv",
            CodedFormat::Csv,
            &CodedOptions::default(),
        )
        .unwrap();
        let (y, known) = targets(&f);
        assert_eq!(y, [1., 0., 1., 0., 0., 0., 0., 0., 0.]);
        assert_eq!(known, [1., 0., 1., 1., 1., 1., 1., 0., 0.]);
    }

    #[test]
    fn thresholds_maximise_macro_f1_and_figures_have_intervals() {
        let f = read_coded_bytes(
            b"text,a\nA.,1\nB.,1\nC.,0\nD.,0\nE.,0\n",
            "f.csv",
            CodedFormat::Csv,
            &CodedOptions::default(),
        )
        .unwrap();
        let data = Coded::new(&f, &vec![vec![0.0]; 5]);
        let probs: Vec<Vec<f32>> = [0.9, 0.6, 0.7, 0.2, 0.1]
            .iter()
            .map(|&p| vec![p, p])
            .collect();
        let best = best_thresholds(&data, &probs);
        // At 0.6 every positive is found with one false positive.
        assert_eq!(best[0].0, 0.6);
        let t = [best[0].0, best[1].0];
        let figs = figures(&data, &probs, &t);
        assert_eq!(figs[0].name, "a");
        assert_eq!(figs[1].name, "framing");
        assert_eq!((figs[0].sentences, figs[0].positives), (5, 2));
        assert!((figs[0].recall - 1.0).abs() < 1e-12);
        assert!((figs[0].precision - 2.0 / 3.0).abs() < 1e-12);
        let ci = figs[0].macro_f1_ci95;
        assert!(
            ci.low <= figs[0].macro_f1 && figs[0].macro_f1 <= ci.high,
            "{ci:?}"
        );
    }
}
