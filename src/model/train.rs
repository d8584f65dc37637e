//! Training of the transformer head (`rhetor train`).
//!
//! Data: the Propaganda Techniques Corpus layout (`articleNNN.txt` +
//! `articleNNN.task-flc-tc.labels`), one unit per non-empty line (the
//! NLP4IF-2019 sentence-level unit); a line is positive for a technique when a
//! span of that technique overlaps it. See [`read_ptc`].
//!
//! Procedure: every line (and, for context models, its neighbours / title) is
//! embedded once by the frozen encoder — mean-pooled hidden states, cached in
//! `.cache/rhetor/` keyed by base weights + texts — and a multi-label head (one
//! logit per device + `framing`) is trained with class-weighted binary
//! cross-entropy (`pos_weight` per label), AdamW, dropout, fixed seeds, early
//! stopping on the dev `framing` F1. With `fine_tune_top = k > 0` the hidden
//! states entering the top `k` layers are cached instead and those layers are
//! trained together with the head. Thresholds are chosen per label on dev.

use super::bert::{backend, mean_pool, plan_batches, BertEncoder, BertLayer, BertModel, Encoder};
use super::head::{save_tensors, ContextMode, Head, HeadConfig};
use super::setup;
use super::transformer::{all_labels, BaseInfo, Pooling, TransformerConfig, TransformerKind};
use super::Thresholds;
use crate::error::{Error, Location, Result};
use crate::taxonomy::Device;
use crate::text::segment_lines;
use crate::tokenize::{Encoded, TokenBatch};
use candle_core::{DType, Device as CDevice, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Number of head outputs: every device plus `framing`.
pub const N_OUTPUTS: usize = Device::ALL.len() + 1;

/// One labelled line of a PTC article.
#[derive(Debug, Clone, PartialEq)]
pub struct PtcLine {
    /// The line's normalised text (as the scoring pipeline sees it).
    pub text: String,
    /// Per device (indexed like [`Device::ALL`]): does a span of a technique mapped to it overlap the line?
    pub devices: Vec<bool>,
    /// Does any technique span overlap the line?
    pub positive: bool,
}

/// A PTC article split into labelled lines.
#[derive(Debug, Clone, PartialEq)]
pub struct PtcArticle {
    /// Article id (file stem, e.g. `article111111111`).
    pub id: String,
    /// Labelled non-empty lines; the first is the title.
    pub lines: Vec<PtcLine>,
}

/// Reads a PTC folder (every `*.txt` with its `.task-flc-tc.labels`) or a
/// single article file. A missing labels file means no spans.
pub fn read_ptc(path: &Path) -> Result<Vec<PtcArticle>> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        files
    } else if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        ));
    };
    files.iter().map(|f| read_ptc_article(f)).collect()
}

/// A technique span: device, char start, char end (exclusive).
type Span = (Device, usize, usize);

fn read_ptc_article(txt: &Path) -> Result<PtcArticle> {
    let original = std::fs::read_to_string(txt).map_err(|e| Error::io(txt, e))?;
    let stem = txt
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let labels_path = txt.with_file_name(format!("{stem}.task-flc-tc.labels"));
    let spans = if labels_path.is_file() {
        read_ptc_spans(&labels_path)?
    } else {
        vec![]
    };
    let lines = segment_lines(&original)
        .into_iter()
        .map(|s| {
            let (a, b) = (s.span.char_start, s.span.char_end);
            let mut devices = vec![false; Device::ALL.len()];
            let mut positive = false;
            for &(d, start, end) in &spans {
                if start < b && end > a {
                    devices[d.index()] = true;
                    positive = true;
                }
            }
            PtcLine {
                text: s.text,
                devices,
                positive,
            }
        })
        .collect();
    Ok(PtcArticle { id: stem, lines })
}

fn read_ptc_spans(path: &Path) -> Result<Vec<Span>> {
    let raw = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut spans = Vec::new();
    for (n, line) in raw.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |field: &str| {
            Location::file(path.display().to_string())
                .at_line(n as u64 + 1)
                .in_field(field)
        };
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 4 {
            return Err(Error::input(
                at("line"),
                format!("expected 4 tab-separated fields, found {}", cols.len()),
            ));
        }
        let device = Device::from_ptc_technique(cols[1]).ok_or_else(|| {
            Error::input(at("technique"), format!("unknown technique `{}`", cols[1]))
        })?;
        let start: usize = cols[2]
            .trim()
            .parse()
            .map_err(|_| Error::input(at("start"), format!("`{}` is not an offset", cols[2])))?;
        let end: usize = cols[3]
            .trim()
            .parse()
            .map_err(|_| Error::input(at("end"), format!("`{}` is not an offset", cols[3])))?;
        if end < start {
            return Err(Error::input(at("end"), "end before start"));
        }
        spans.push((device, start, end));
    }
    Ok(spans)
}

/// SHA-256 of a labelled data set (ids, texts and labels).
pub fn data_hash(articles: &[PtcArticle]) -> String {
    let mut h = Sha256::new();
    for a in articles {
        h.update(a.id.as_bytes());
        for l in &a.lines {
            h.update([0u8]);
            h.update(l.text.as_bytes());
            for &d in &l.devices {
                h.update([d as u8]);
            }
        }
    }
    format!("{:x}", h.finalize())
}

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
    /// Fine-tune the top k encoder layers (0 = frozen encoder).
    pub fine_tune_top: usize,
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
            fine_tune_top: 0,
            max_len: crate::tokenize::DEFAULT_MAX_LEN,
            cache_dir: PathBuf::from(".cache/rhetor"),
            progress: true,
        }
    }
}

use serde::Serialize;

/// Binary F1 counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct F1 {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub fn_: usize,
}

impl F1 {
    /// Counts over paired predictions and golds.
    pub fn count(pred: impl Iterator<Item = bool>, gold: impl Iterator<Item = bool>) -> F1 {
        let mut c = F1::default();
        for (p, g) in pred.zip(gold) {
            match (p, g) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                _ => {}
            }
        }
        c
    }
    /// Precision (0 when nothing predicted).
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    /// Recall (0 when nothing gold).
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// F1 of the positive class.
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The threshold in 0.02..0.98 that maximises F1 of `probs` against `gold`.
pub fn best_threshold(probs: &[f32], gold: &[bool]) -> (f32, f64) {
    let mut best = (0.5f32, -1.0f64);
    for step in 1..50 {
        let t = (step * 2) as f32 / 100.0;
        let f = F1::count(probs.iter().map(|&p| p >= t), gold.iter().copied()).f1();
        if f > best.1 + 1e-12 {
            best = (t, f);
        }
    }
    best
}

/// 95% bootstrap confidence interval of the F1 over articles (resampling
/// articles with replacement). `per_article` holds (pred, gold) per line.
pub fn bootstrap_f1_ci(per_article: &[Vec<(bool, bool)>], samples: usize, seed: u64) -> (f64, f64) {
    if per_article.is_empty() {
        return (0.0, 0.0);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let counts: Vec<F1> = per_article
        .iter()
        .map(|a| F1::count(a.iter().map(|x| x.0), a.iter().map(|x| x.1)))
        .collect();
    let mut f1s: Vec<f64> = (0..samples)
        .map(|_| {
            let mut c = F1::default();
            for _ in 0..counts.len() {
                let a = counts[rng.gen_range(0..counts.len())];
                c.tp += a.tp;
                c.fp += a.fp;
                c.fn_ += a.fn_;
            }
            c.f1()
        })
        .collect();
    f1s.sort_by(f64::total_cmp);
    let q = |p: f64| f1s[((p * (f1s.len() - 1) as f64).round() as usize).min(f1s.len() - 1)];
    (q(0.025), q(0.975))
}

/// A split turned into model inputs: the texts to embed and, per line, the
/// text indices of the sentence and its context parts (`None` = zeros).
struct Split {
    articles: Vec<PtcArticle>,
    /// Text index of each line's sentence and context parts.
    rows: Vec<Vec<Option<usize>>>,
    /// Targets, `N_OUTPUTS` per line.
    targets: Vec<f32>,
    /// Article of each line.
    article_of: Vec<usize>,
}

impl Split {
    fn build(articles: Vec<PtcArticle>, context: ContextMode, texts: &mut TextTable) -> Split {
        let mut rows = Vec::new();
        let mut targets = Vec::new();
        let mut article_of = Vec::new();
        for (ai, a) in articles.iter().enumerate() {
            let title = a.lines.first().map(|l| texts.id(&l.text));
            for (i, l) in a.lines.iter().enumerate() {
                let mut row = vec![Some(texts.id(&l.text))];
                match context {
                    ContextMode::None => {}
                    ContextMode::PrevNext => {
                        row.push(i.checked_sub(1).map(|j| texts.id(&a.lines[j].text)));
                        row.push(a.lines.get(i + 1).map(|n| texts.id(&n.text)));
                    }
                    ContextMode::Title => row.push(title),
                }
                rows.push(row);
                targets.extend(l.devices.iter().map(|&d| if d { 1.0 } else { 0.0 }));
                targets.push(if l.positive { 1.0 } else { 0.0 });
                article_of.push(ai);
            }
        }
        Split {
            articles,
            rows,
            targets,
            article_of,
        }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn target(&self, line: usize, output: usize) -> bool {
        self.targets[line * N_OUTPUTS + output] > 0.5
    }
}

/// Deduplicated texts of all splits.
#[derive(Default)]
struct TextTable {
    texts: Vec<String>,
    index: HashMap<String, usize>,
}

impl TextTable {
    fn id(&mut self, t: &str) -> usize {
        if let Some(&i) = self.index.get(t) {
            return i;
        }
        self.texts.push(t.to_string());
        self.index.insert(t.to_string(), self.texts.len() - 1);
        self.texts.len() - 1
    }
}

/// What `train` reports back.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Dev F1 of `framing` at the threshold chosen on dev.
    pub dev_f1: f64,
    /// 95% bootstrap CI (over articles) of that F1.
    pub dev_f1_ci95: (f64, f64),
    /// Dev precision / recall of `framing`.
    pub dev_precision: f64,
    /// Dev recall of `framing`.
    pub dev_recall: f64,
    /// Dev F1 of `framing` at a fixed 0.5 threshold (no threshold tuning).
    pub dev_f1_at_05: f64,
    /// Per-device dev F1 (trained devices only), at thresholds chosen on dev.
    pub per_device_f1: Vec<(String, f64, usize)>,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Seconds spent embedding / training.
    pub seconds: f64,
}

/// Trains a model on `train`, tunes on `dev`, writes it to `out`.
pub fn train(
    base: &Path,
    train_path: &Path,
    dev_path: &Path,
    out: &Path,
    opts: &TrainOptions,
) -> Result<TrainReport> {
    let started = std::time::Instant::now();
    let train_articles = read_ptc(train_path)?;
    let dev_articles = read_ptc(dev_path)?;
    let train_hash = data_hash(&train_articles);
    let dev_hash = data_hash(&dev_articles);
    let mut table = TextTable::default();
    let train_split = Split::build(train_articles, opts.context, &mut table);
    let dev_split = Split::build(dev_articles, opts.context, &mut table);
    if train_split.len() == 0 || dev_split.len() == 0 {
        return Err(Error::Config(
            "training and dev data must not be empty".into(),
        ));
    }
    let base_sha = setup::sha256_file(&base.join("model.safetensors"))?;
    let mut encoder = BertEncoder::load(base, opts.max_len, None)?;
    encoder.set_batching(super::bert::Batching::Bucketed);
    let trained = trained_outputs(&train_split);
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let (head, layers, best_epoch) = if opts.fine_tune_top == 0 {
        let emb = cached_embeddings(&encoder, &table.texts, &base_sha, opts)?;
        let dim = encoder.dim();
        let xtr = features(&train_split, &emb, dim);
        let xdev = features(&dev_split, &emb, dim);
        let (head, epoch) = fit_head(
            &xtr,
            &train_split,
            &xdev,
            &dev_split,
            &trained,
            dim * opts.context.parts(),
            opts,
            &mut rng,
        )?;
        (head, vec![], epoch)
    } else {
        fine_tune(
            base,
            &encoder,
            &table.texts,
            &train_split,
            &dev_split,
            &trained,
            &base_sha,
            opts,
            &mut rng,
        )?
    };
    let (dev_probs, _) = layers_and_head_probs(
        &encoder,
        &table.texts,
        &dev_split,
        &head,
        &layers,
        &base_sha,
        opts,
    )?;
    let (thresholds, report) = evaluate(&dev_probs, &dev_split, &trained, best_epoch, started);
    let labels = all_labels();
    let trained_labels = labels
        .iter()
        .zip(&trained)
        .filter(|(_, t)| **t)
        .map(|(l, _)| *l)
        .collect();
    let top_start = encoder.model().num_layers() - layers.len();
    let config = TransformerConfig {
        kind: TransformerKind::Transformer,
        name: opts.name.clone(),
        base: BaseInfo {
            hf_id: setup::BASE_HF_ID.into(),
            safetensors_sha256: Some(base_sha),
        },
        labels,
        trained_labels,
        pooling: Pooling::Mean,
        max_len: opts.max_len,
        context: opts.context,
        head: head.config(),
        fine_tuned_layers: (top_start..top_start + layers.len()).collect(),
        thresholds,
        training: serde_json::json!({
            "train_data": {"path": train_path.display().to_string(), "sha256": train_hash,
                           "articles": train_split.articles.len(), "lines": train_split.len()},
            "dev_data": {"path": dev_path.display().to_string(), "sha256": dev_hash,
                         "articles": dev_split.articles.len(), "lines": dev_split.len()},
            "options": opts,
            "metrics": report,
            "note": "thresholds and early stopping use the dev split; dev figures are therefore optimistic",
        }),
    };
    write_model(out, &config, &head, &layers, top_start)?;
    Ok(report)
}

/// Which outputs have at least one positive training line.
fn trained_outputs(split: &Split) -> Vec<bool> {
    (0..N_OUTPUTS)
        .map(|o| (0..split.len()).any(|i| split.target(i, o)))
        .collect()
}

/// Sentence embeddings of all texts, from the cache when possible.
fn cached_embeddings(
    encoder: &BertEncoder,
    texts: &[String],
    base_sha: &str,
    opts: &TrainOptions,
) -> Result<Vec<Vec<f32>>> {
    let mut h = Sha256::new();
    h.update(base_sha.as_bytes());
    h.update(opts.max_len.to_le_bytes());
    for t in texts {
        h.update(t.as_bytes());
        h.update([0u8]);
    }
    let key = format!("{:x}", h.finalize());
    let path = opts.cache_dir.join(format!("emb-{}.f32", &key[..16]));
    let dim = encoder.dim();
    if let Ok(bytes) = std::fs::read(&path) {
        if bytes.len() == texts.len() * dim * 4 {
            let flat: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            return Ok(flat.chunks(dim).map(|c| c.to_vec()).collect());
        }
    }
    let emb = embed_with_progress(encoder, texts, opts.progress)?;
    std::fs::create_dir_all(&opts.cache_dir).map_err(|e| Error::io(&opts.cache_dir, e))?;
    let bytes: Vec<u8> = emb.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    Ok(emb)
}

fn progress_bar(n: usize, what: &str, show: bool) -> ProgressBar {
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

/// Shows an epoch summary: in the progress bar, or as a line on stderr when
/// the bar is hidden (not a terminal) and progress is wanted.
fn report_epoch(pb: &ProgressBar, opts: &TrainOptions, message: String) {
    if pb.is_hidden() && opts.progress {
        eprintln!("{message}");
    }
    pb.set_message(message);
}

fn embed_with_progress(
    encoder: &BertEncoder,
    texts: &[String],
    show: bool,
) -> Result<Vec<Vec<f32>>> {
    let pb = progress_bar(texts.len(), "embedding", show);
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(512) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        out.extend(encoder.embed_texts(&refs)?);
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    Ok(out)
}

/// Head input rows of a split (`len × dim·parts`, flattened).
fn features(split: &Split, emb: &[Vec<f32>], dim: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(split.len() * dim * split.rows[0].len());
    for row in &split.rows {
        for part in row {
            match part {
                Some(i) => out.extend_from_slice(&emb[*i]),
                None => out.extend(std::iter::repeat_n(0.0, dim)),
            }
        }
    }
    out
}

/// Per-label positive weights (`neg/pos`, capped), times the output weights
/// (0 for untrained outputs, `framing_weight` for `framing`).
fn loss_weights(split: &Split, trained: &[bool], opts: &TrainOptions) -> (Vec<f32>, Vec<f32>) {
    let n = split.len() as f32;
    let mut pos_w = Vec::with_capacity(N_OUTPUTS);
    let mut out_w = Vec::with_capacity(N_OUTPUTS);
    for (o, &is_trained) in trained.iter().enumerate() {
        let pos = (0..split.len()).filter(|&i| split.target(i, o)).count() as f32;
        pos_w.push(if pos > 0.0 {
            ((n - pos) / pos).clamp(1.0, opts.max_pos_weight)
        } else {
            1.0
        });
        out_w.push(if !is_trained {
            0.0
        } else if o == N_OUTPUTS - 1 {
            opts.framing_weight
        } else {
            1.0
        });
    }
    (pos_w, out_w)
}

/// Weighted BCE with logits: mean over rows of Σ_o w_o·(p_o·y·softplus(−z) + (1−y)·softplus(z)).
fn weighted_bce(
    logits: &Tensor,
    y: &Tensor,
    pos_w: &Tensor,
    out_w: &Tensor,
) -> candle_core::Result<Tensor> {
    // softplus(z) = relu(z) + log(1 + exp(−|z|))
    let softplus = |z: &Tensor| -> candle_core::Result<Tensor> {
        z.relu()? + ((z.abs()?.neg()?.exp()? + 1.0)?.log()?)
    };
    let sp_pos = softplus(&logits.neg()?)?;
    let sp_neg = softplus(logits)?;
    let pos_term = (y * sp_pos)?.broadcast_mul(pos_w)?;
    let neg_term = ((y.ones_like()? - y)? * sp_neg)?;
    let per = (pos_term + neg_term)?.broadcast_mul(out_w)?;
    per.sum(D::Minus1)?.mean_all()
}

/// An AdamW optimiser over `vars` (learning rate and weight decay only; the
/// other hyper-parameters keep candle's defaults).
fn adamw(vars: Vec<Var>, lr: f64, weight_decay: f64) -> Result<AdamW> {
    AdamW::new(
        vars,
        ParamsAdamW {
            lr,
            weight_decay,
            ..Default::default()
        },
    )
    .map_err(backend)
}

/// Seeded Xavier-uniform initialisation of the head's variables.
fn init_head(varmap: &VarMap, cfg: HeadConfig, rng: &mut StdRng) -> Result<()> {
    let mut init = |name: &str, rows: usize, cols: usize| -> Result<()> {
        let bound = (6.0 / (rows + cols) as f32).sqrt();
        let w: Vec<f32> = (0..rows * cols)
            .map(|_| rng.gen_range(-bound..bound))
            .collect();
        let t = Tensor::from_vec(w, (rows, cols), &CDevice::Cpu).map_err(backend)?;
        let b = Tensor::zeros(rows, DType::F32, &CDevice::Cpu).map_err(backend)?;
        let mut data = varmap
            .data()
            .lock()
            .map_err(|_| Error::Backend("poisoned lock".into()))?;
        data.insert(
            format!("head.{name}.weight"),
            Var::from_tensor(&t).map_err(backend)?,
        );
        data.insert(
            format!("head.{name}.bias"),
            Var::from_tensor(&b).map_err(backend)?,
        );
        Ok(())
    };
    if cfg.hidden > 0 {
        init("hidden", cfg.hidden, cfg.input_dim)?;
        init("out", cfg.outputs, cfg.hidden)?;
    } else {
        init("out", cfg.outputs, cfg.input_dim)?;
    }
    Ok(())
}

/// Seeded dropout: zeroes a fraction `p` of the entries and rescales the rest.
fn seeded_dropout(x: &Tensor, p: f32, rng: &mut StdRng) -> candle_core::Result<Tensor> {
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let n = x.elem_count();
    let keep: Vec<f32> = (0..n)
        .map(|_| {
            if rng.gen::<f32>() >= p {
                1.0 / (1.0 - p)
            } else {
                0.0
            }
        })
        .collect();
    let mask = Tensor::from_vec(keep, x.shape(), x.device())?;
    x * mask
}

/// Head forward with seeded dropout on its input and hidden layer.
fn head_train_forward(
    head_vars: &HeadVars,
    x: &Tensor,
    p: f32,
    rng: &mut StdRng,
) -> candle_core::Result<Tensor> {
    let x = seeded_dropout(x, p, rng)?;
    match &head_vars.hidden {
        Some((w, b)) => {
            let h = x
                .matmul(&w.as_tensor().t()?)?
                .broadcast_add(b.as_tensor())?
                .relu()?;
            let h = seeded_dropout(&h, p, rng)?;
            h.matmul(&head_vars.out.0.as_tensor().t()?)?
                .broadcast_add(head_vars.out.1.as_tensor())
        }
        None => x
            .matmul(&head_vars.out.0.as_tensor().t()?)?
            .broadcast_add(head_vars.out.1.as_tensor()),
    }
}

/// The head's trainable variables.
struct HeadVars {
    hidden: Option<(Var, Var)>,
    out: (Var, Var),
}

impl HeadVars {
    fn from_varmap(varmap: &VarMap, cfg: HeadConfig) -> Result<HeadVars> {
        let data = varmap
            .data()
            .lock()
            .map_err(|_| Error::Backend("poisoned lock".into()))?;
        let get = |n: &str| {
            data.get(n)
                .cloned()
                .ok_or_else(|| Error::Backend(format!("missing variable {n}")))
        };
        Ok(HeadVars {
            hidden: if cfg.hidden > 0 {
                Some((get("head.hidden.weight")?, get("head.hidden.bias")?))
            } else {
                None
            },
            out: (get("head.out.weight")?, get("head.out.bias")?),
        })
    }
}

/// Trains the head on fixed features; returns the best head (by dev framing F1) and its epoch.
#[allow(clippy::too_many_arguments)]
fn fit_head(
    xtr: &[f32],
    train: &Split,
    xdev: &[f32],
    dev: &Split,
    trained: &[bool],
    input_dim: usize,
    opts: &TrainOptions,
    rng: &mut StdRng,
) -> Result<(Head, usize)> {
    let cfg = HeadConfig {
        input_dim,
        hidden: opts.hidden,
        outputs: N_OUTPUTS,
    };
    let dev_t = CDevice::Cpu;
    let varmap = VarMap::new();
    init_head(&varmap, cfg, rng)?;
    let vars = HeadVars::from_varmap(&varmap, cfg)?;
    let mut opt = adamw(varmap.all_vars(), opts.lr, opts.weight_decay)?;
    let (pos_w, out_w) = loss_weights(train, trained, opts);
    let pos_w = Tensor::new(pos_w.as_slice(), &dev_t).map_err(backend)?;
    let out_w = Tensor::new(out_w.as_slice(), &dev_t).map_err(backend)?;
    let xdev_t = Tensor::from_slice(xdev, (dev.len(), input_dim), &dev_t).map_err(backend)?;
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut best: Option<(f64, usize, HashMap<String, Tensor>)> = None;
    let pb = progress_bar(opts.epochs, "training", opts.progress);
    for epoch in 1..=opts.epochs {
        order.shuffle(rng);
        let mut total = 0.0;
        let mut batches = 0;
        for chunk in order.chunks(opts.batch_size.max(1)) {
            let mut xb = Vec::with_capacity(chunk.len() * input_dim);
            let mut yb = Vec::with_capacity(chunk.len() * N_OUTPUTS);
            for &i in chunk {
                xb.extend_from_slice(&xtr[i * input_dim..(i + 1) * input_dim]);
                yb.extend_from_slice(&train.targets[i * N_OUTPUTS..(i + 1) * N_OUTPUTS]);
            }
            let x = Tensor::from_vec(xb, (chunk.len(), input_dim), &dev_t).map_err(backend)?;
            let y = Tensor::from_vec(yb, (chunk.len(), N_OUTPUTS), &dev_t).map_err(backend)?;
            let logits = head_train_forward(&vars, &x, opts.dropout, rng).map_err(backend)?;
            let loss = weighted_bce(&logits, &y, &pos_w, &out_w).map_err(backend)?;
            opt.backward_step(&loss).map_err(backend)?;
            total += loss.to_scalar::<f32>().map_err(backend)? as f64;
            batches += 1;
        }
        let head = Head::new(cfg, VarBuilder::from_varmap(&varmap, DType::F32, &dev_t))?;
        let probs = head_probs(&head, &xdev_t)?;
        let f1 = framing_f1(&probs, dev);
        report_epoch(
            &pb,
            opts,
            format!(
                "epoch {epoch} loss {:.4} dev F1 {:.3}",
                total / batches.max(1) as f64,
                f1
            ),
        );
        pb.inc(1);
        if best.as_ref().is_none_or(|b| f1 > b.0) {
            best = Some((f1, epoch, head.tensors()));
        } else if best.as_ref().is_some_and(|b| epoch - b.1 >= opts.patience) {
            break;
        }
    }
    pb.finish_and_clear();
    let (_, epoch, tensors) = best.ok_or_else(|| Error::Config("no training epoch ran".into()))?;
    let head = Head::new(cfg, VarBuilder::from_tensors(tensors, DType::F32, &dev_t))?;
    Ok((head, epoch))
}

fn head_probs(head: &Head, x: &Tensor) -> Result<Vec<Vec<f32>>> {
    head.forward(x)
        .and_then(|l| candle_nn::ops::sigmoid(&l))
        .and_then(|p| p.to_vec2::<f32>())
        .map_err(backend)
}

/// Dev framing F1 at the best threshold.
fn framing_f1(probs: &[Vec<f32>], split: &Split) -> f64 {
    let o = N_OUTPUTS - 1;
    let p: Vec<f32> = probs.iter().map(|r| r[o]).collect();
    let g: Vec<bool> = (0..split.len()).map(|i| split.target(i, o)).collect();
    best_threshold(&p, &g).1
}

/// Thresholds per label and the report.
fn evaluate(
    probs: &[Vec<f32>],
    dev: &Split,
    trained: &[bool],
    best_epoch: usize,
    started: std::time::Instant,
) -> (Thresholds, TrainReport) {
    let mut thresholds = Thresholds::default();
    let mut per_device = Vec::new();
    for (o, &is_trained) in trained.iter().enumerate() {
        let p: Vec<f32> = probs.iter().map(|r| r[o]).collect();
        let g: Vec<bool> = (0..dev.len()).map(|i| dev.target(i, o)).collect();
        let (t, f) = if is_trained {
            best_threshold(&p, &g)
        } else {
            (0.5, 0.0)
        };
        if o < Device::ALL.len() {
            thresholds.devices[Device::ALL[o]] = t;
            if is_trained {
                per_device.push((
                    Device::ALL[o].id().to_string(),
                    f,
                    g.iter().filter(|x| **x).count(),
                ));
            }
        } else {
            thresholds.framing = t;
        }
    }
    let o = N_OUTPUTS - 1;
    let t = thresholds.framing;
    let pred: Vec<bool> = probs.iter().map(|r| r[o] >= t).collect();
    let gold: Vec<bool> = (0..dev.len()).map(|i| dev.target(i, o)).collect();
    let counts = F1::count(pred.iter().copied(), gold.iter().copied());
    let at05 = F1::count(probs.iter().map(|r| r[o] >= 0.5), gold.iter().copied()).f1();
    let mut per_article: Vec<Vec<(bool, bool)>> = vec![Vec::new(); dev.articles.len()];
    for i in 0..dev.len() {
        per_article[dev.article_of[i]].push((pred[i], gold[i]));
    }
    let ci = bootstrap_f1_ci(&per_article, 1000, 7);
    let report = TrainReport {
        dev_f1: counts.f1(),
        dev_f1_ci95: ci,
        dev_precision: counts.precision(),
        dev_recall: counts.recall(),
        dev_f1_at_05: at05,
        per_device_f1: per_device,
        best_epoch,
        seconds: started.elapsed().as_secs_f64(),
    };
    (thresholds, report)
}

/// Writes `config.json` and `model.safetensors` (fp16 head + fine-tuned layers).
fn write_model(
    out: &Path,
    config: &TransformerConfig,
    head: &Head,
    layers: &[HashMap<String, Tensor>],
    top_start: usize,
) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut tensors = head.tensors();
    for (k, layer) in layers.iter().enumerate() {
        for (name, t) in layer {
            tensors.insert(format!("encoder.layer.{}.{name}", top_start + k), t.clone());
        }
    }
    save_tensors(&tensors, DType::F16, &out.join("model.safetensors"))?;
    let json = serde_json::to_string_pretty(config)
        .map_err(|e| Error::Config(format!("cannot serialise config: {e}")))?;
    let path = out.join("config.json");
    std::fs::write(&path, json + "\n").map_err(|e| Error::io(&path, e))
}

/// Dev probabilities of a trained model (frozen or with fine-tuned layers).
#[allow(clippy::too_many_arguments)]
fn layers_and_head_probs(
    encoder: &BertEncoder,
    texts: &[String],
    split: &Split,
    head: &Head,
    layers: &[HashMap<String, Tensor>],
    base_sha: &str,
    opts: &TrainOptions,
) -> Result<(Vec<Vec<f32>>, ())> {
    let dim = encoder.dim();
    let emb = if layers.is_empty() {
        cached_embeddings(encoder, texts, base_sha, opts)?
    } else {
        let top = build_layers(encoder, layers)?;
        let needed = needed_texts(split);
        let hidden = cached_hidden(encoder, texts, &needed, base_sha, opts)?;
        embed_through(&top, &hidden, texts.len(), None)?
    };
    let x = features(split, &emb, dim);
    let xt = Tensor::from_vec(x, (split.len(), head.config().input_dim), &CDevice::Cpu)
        .map_err(backend)?;
    Ok((head_probs(head, &xt)?, ()))
}

// ---------------------------------------------------------------------------
// Fine-tuning of the top layers.

/// Texts a split needs (sentence and context parts).
fn needed_texts(split: &Split) -> Vec<usize> {
    let mut v: Vec<usize> = split.rows.iter().flatten().flatten().copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Hidden states entering the top layers, per text (`t × h`, real tokens only, padded
/// to the text's bucket length so batches reproduce inference exactly).
struct HiddenCache {
    /// Per text: (hidden `bucket × h`, float mask `bucket`), `None` if not needed.
    states: Vec<Option<(Tensor, Tensor)>>,
    lens: Vec<usize>,
}

fn cached_hidden(
    encoder: &BertEncoder,
    texts: &[String],
    needed: &[usize],
    _base_sha: &str,
    opts: &TrainOptions,
) -> Result<HiddenCache> {
    let upto = encoder.model().num_layers() - opts.fine_tune_top.min(encoder.model().num_layers());
    let refs: Vec<&str> = needed.iter().map(|&i| texts[i].as_str()).collect();
    let enc = encoder.tokenize(&refs)?;
    let seqs: Vec<&Encoded> = enc.iter().collect();
    let mut states = vec![None; texts.len()];
    let mut lens = vec![0; texts.len()];
    let pb = progress_bar(seqs.len(), "caching lower layers", opts.progress);
    for plan in plan_batches(&seqs, super::bert::MAX_BATCH_TOKENS) {
        let group: Vec<&Encoded> = plan.iter().map(|&i| seqs[i]).collect();
        let (h, m) = encoder.hidden_states(&group, upto)?;
        let h = h.to_dtype(DType::F16).map_err(backend)?;
        for (row, &i) in plan.iter().enumerate() {
            let text = needed[i];
            let hr = h.get(row).map_err(backend)?;
            let mr = m.get(row).map_err(backend)?;
            states[text] = Some((hr, mr));
            lens[text] = seqs[i].bucket_len();
        }
        pb.inc(plan.len() as u64);
    }
    pb.finish_and_clear();
    Ok(HiddenCache { states, lens })
}

/// Tensors of fine-tuned layers, one map per layer (names relative to the layer).
type LayerTensors = Vec<HashMap<String, Tensor>>;

/// Trainable copies of the top layers.
struct TopLayers {
    layers: Vec<BertLayer>,
    varmap: VarMap,
}

fn build_layers(encoder: &BertEncoder, layers: &[HashMap<String, Tensor>]) -> Result<TopLayers> {
    let varmap = VarMap::new();
    {
        let mut data = varmap
            .data()
            .lock()
            .map_err(|_| Error::Backend("poisoned lock".into()))?;
        for (k, layer) in layers.iter().enumerate() {
            for (name, t) in layer {
                let t = t.to_dtype(DType::F32).map_err(backend)?;
                data.insert(
                    format!("encoder.layer.{k}.{name}"),
                    Var::from_tensor(&t).map_err(backend)?,
                );
            }
        }
    }
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &CDevice::Cpu);
    let cfg = encoder.model().config();
    let layers = (0..layers.len())
        .map(|k| BertLayer::load(cfg, vb.pp(format!("encoder.layer.{k}"))).map_err(backend))
        .collect::<Result<Vec<_>>>()?;
    Ok(TopLayers { layers, varmap })
}

/// The base weights of the top `k` layers (names relative to the layer).
fn base_top_layers(base: &Path, total: usize, k: usize) -> Result<Vec<HashMap<String, Tensor>>> {
    let weights = base.join("model.safetensors");
    let all = candle_core::safetensors::load(&weights, &CDevice::Cpu)
        .map_err(|e| Error::model(&weights, format!("cannot read weights: {e}")))?;
    let mut out = Vec::new();
    for i in total - k..total {
        let prefix = format!("encoder.layer.{i}.");
        let layer: HashMap<String, Tensor> = all
            .iter()
            .filter_map(|(n, t)| {
                let n = n.strip_prefix("bert.").unwrap_or(n);
                n.strip_prefix(&prefix).map(|r| (r.to_string(), t.clone()))
            })
            .collect();
        out.push(layer);
    }
    Ok(out)
}

/// Runs cached hidden states of some texts through the top layers and pools
/// them; returns an embeddings table indexed by text (empty rows for others).
fn embed_through(
    top: &TopLayers,
    cache: &HiddenCache,
    n_texts: usize,
    only: Option<&[usize]>,
) -> Result<Vec<Vec<f32>>> {
    let mut out = vec![Vec::new(); n_texts];
    let ids: Vec<usize> = match only {
        Some(o) => o.to_vec(),
        None => (0..n_texts)
            .filter(|&i| cache.states[i].is_some())
            .collect(),
    };
    for group in group_by_len(&ids, &cache.lens, 4096) {
        let pooled = forward_top(top, cache, &group, false, 0.0, None).map_err(backend)?;
        let rows = pooled.to_vec2::<f32>().map_err(backend)?;
        for (row, &i) in rows.into_iter().zip(&group) {
            out[i] = row;
        }
    }
    Ok(out)
}

fn group_by_len(ids: &[usize], lens: &[usize], max_tokens: usize) -> Vec<Vec<usize>> {
    let mut sorted = ids.to_vec();
    sorted.sort_by_key(|&i| (lens[i], i));
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in sorted {
        match out.last_mut() {
            Some(g) if lens[g[0]] == lens[i] && (g.len() + 1) * lens[i] <= max_tokens => g.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// Pooled outputs (`n × h`) of the top layers for a group of same-length texts.
fn forward_top(
    top: &TopLayers,
    cache: &HiddenCache,
    group: &[usize],
    train: bool,
    dropout: f32,
    rng: Option<&mut StdRng>,
) -> candle_core::Result<Tensor> {
    let mut hs = Vec::with_capacity(group.len());
    let mut ms = Vec::with_capacity(group.len());
    for &i in group {
        if let Some((h, m)) = &cache.states[i] {
            hs.push(h.clone());
            ms.push(m.clone());
        }
    }
    let mut x = Tensor::stack(&hs, 0)?.to_dtype(DType::F32)?;
    let mask = Tensor::stack(&ms, 0)?;
    let bias = BertModel::attention_bias(&mask)?;
    let mut rng = rng;
    for layer in &top.layers {
        x = layer.forward(&x, &bias, train)?;
        if train && dropout > 0.0 {
            if let Some(r) = rng.as_deref_mut() {
                x = seeded_dropout(&x, dropout, r)?;
            }
        }
    }
    mean_pool(&x, &mask)
}

/// Fine-tunes the top layers and the head together.
#[allow(clippy::too_many_arguments)]
fn fine_tune(
    base: &Path,
    encoder: &BertEncoder,
    texts: &[String],
    train: &Split,
    dev: &Split,
    trained: &[bool],
    base_sha: &str,
    opts: &TrainOptions,
    rng: &mut StdRng,
) -> Result<(Head, LayerTensors, usize)> {
    if opts.context != ContextMode::None {
        return Err(Error::Config(
            "fine-tuning supports only --context none".into(),
        ));
    }
    let total = encoder.model().num_layers();
    let k = opts.fine_tune_top.min(total);
    let init_layers = base_top_layers(base, total, k)?;
    let top = build_layers(encoder, &init_layers)?;
    let mut needed = needed_texts(train);
    needed.extend(needed_texts(dev));
    needed.sort_unstable();
    needed.dedup();
    let cache = cached_hidden(encoder, texts, &needed, base_sha, opts)?;
    let dim = encoder.dim();
    let cfg = HeadConfig {
        input_dim: dim,
        hidden: opts.hidden,
        outputs: N_OUTPUTS,
    };
    let head_map = VarMap::new();
    init_head(&head_map, cfg, rng)?;
    let head_vars = HeadVars::from_varmap(&head_map, cfg)?;
    let mut head_opt = adamw(head_map.all_vars(), opts.lr, opts.weight_decay)?;
    let mut enc_opt = adamw(top.varmap.all_vars(), opts.encoder_lr, opts.weight_decay)?;
    let (pos_w, out_w) = loss_weights(train, trained, opts);
    let pos_w = Tensor::new(pos_w.as_slice(), &CDevice::Cpu).map_err(backend)?;
    let out_w = Tensor::new(out_w.as_slice(), &CDevice::Cpu).map_err(backend)?;
    // Lines → text ids (context none: one text per line).
    let line_text: Vec<usize> = train.rows.iter().map(|r| r[0].unwrap_or(0)).collect();
    let dev_texts = needed_texts(dev);
    let mut best: Option<(f64, usize, HashMap<String, Tensor>, LayerTensors)> = None;
    let pb = progress_bar(opts.epochs * train.len(), "fine-tuning", opts.progress);
    for epoch in 1..=opts.epochs {
        // Batches of lines with the same bucket length, shuffled.
        let lines: Vec<usize> = (0..train.len()).collect();
        let mut by_len: HashMap<usize, Vec<usize>> = HashMap::new();
        for &l in &lines {
            by_len.entry(cache.lens[line_text[l]]).or_default().push(l);
        }
        let mut batches: Vec<Vec<usize>> = Vec::new();
        let mut keys: Vec<usize> = by_len.keys().copied().collect();
        keys.sort_unstable();
        for key in keys {
            let mut group = by_len.remove(&key).unwrap_or_default();
            group.shuffle(rng);
            batches.extend(group.chunks(opts.batch_size.max(1)).map(|c| c.to_vec()));
        }
        batches.shuffle(rng);
        let mut total_loss = 0.0;
        let mut n = 0;
        for batch in &batches {
            let group: Vec<usize> = batch.iter().map(|&l| line_text[l]).collect();
            let pooled = forward_top(&top, &cache, &group, true, opts.dropout, Some(rng))
                .map_err(backend)?;
            let logits =
                head_train_forward(&head_vars, &pooled, opts.dropout, rng).map_err(backend)?;
            let mut yb = Vec::with_capacity(batch.len() * N_OUTPUTS);
            for &l in batch {
                yb.extend_from_slice(&train.targets[l * N_OUTPUTS..(l + 1) * N_OUTPUTS]);
            }
            let y =
                Tensor::from_vec(yb, (batch.len(), N_OUTPUTS), &CDevice::Cpu).map_err(backend)?;
            let loss = weighted_bce(&logits, &y, &pos_w, &out_w).map_err(backend)?;
            let grads = loss.backward().map_err(backend)?;
            head_opt.step(&grads).map_err(backend)?;
            enc_opt.step(&grads).map_err(backend)?;
            total_loss += loss.to_scalar::<f32>().map_err(backend)? as f64;
            n += 1;
            pb.inc(batch.len() as u64);
        }
        let emb = embed_through(&top, &cache, texts.len(), Some(&dev_texts))?;
        let x = features(dev, &emb, dim);
        let xt = Tensor::from_vec(x, (dev.len(), dim), &CDevice::Cpu).map_err(backend)?;
        let head = Head::new(
            cfg,
            VarBuilder::from_varmap(&head_map, DType::F32, &CDevice::Cpu),
        )?;
        let probs = head_probs(&head, &xt)?;
        let f1 = framing_f1(&probs, dev);
        report_epoch(
            &pb,
            opts,
            format!(
                "epoch {epoch} loss {:.4} dev F1 {:.3}",
                total_loss / n.max(1) as f64,
                f1
            ),
        );
        if best.as_ref().is_none_or(|b| f1 > b.0) {
            best = Some((f1, epoch, head.tensors(), layer_tensors(&top, k)?));
        } else if best.as_ref().is_some_and(|b| epoch - b.1 >= opts.patience) {
            break;
        }
    }
    pb.finish_and_clear();
    let (_, epoch, head_t, layers) =
        best.ok_or_else(|| Error::Config("no training epoch ran".into()))?;
    let head = Head::new(
        cfg,
        VarBuilder::from_tensors(head_t, DType::F32, &CDevice::Cpu),
    )?;
    Ok((head, layers, epoch))
}

/// Current values of the trainable layers (names relative to each layer).
fn layer_tensors(top: &TopLayers, k: usize) -> Result<Vec<HashMap<String, Tensor>>> {
    let data = top
        .varmap
        .data()
        .lock()
        .map_err(|_| Error::Backend("poisoned lock".into()))?;
    let mut out = vec![HashMap::new(); k];
    for (name, var) in data.iter() {
        if let Some(rest) = name.strip_prefix("encoder.layer.") {
            if let Some((idx, field)) = rest.split_once('.') {
                if let Ok(i) = idx.parse::<usize>() {
                    if i < k {
                        out[i].insert(field.to_string(), var.as_tensor().copy().map_err(backend)?);
                    }
                }
            }
        }
    }
    Ok(out)
}

#[allow(dead_code)]
fn unused(_: TokenBatch) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_counts() {
        let c = F1::count(
            [true, true, false, false].into_iter(),
            [true, false, true, false].into_iter(),
        );
        assert_eq!((c.tp, c.fp, c.fn_), (1, 1, 1));
        assert!((c.f1() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn best_threshold_separates() {
        let (t, f) = best_threshold(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]);
        assert!(f > 0.99 && t > 0.2 && t <= 0.8);
    }

    #[test]
    fn ptc_reader_labels_overlapping_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("article1.txt"),
            "Title here\n\nA calm line.\nA wild, evil line.\n",
        )
        .unwrap();
        // "A wild, evil line." starts at char 25.
        std::fs::write(
            dir.path().join("article1.task-flc-tc.labels"),
            "1\tLoaded_Language\t33\t37\n",
        )
        .unwrap();
        let arts = read_ptc(dir.path()).unwrap();
        assert_eq!(arts.len(), 1);
        let lines = &arts[0].lines;
        assert_eq!(lines.len(), 3);
        assert!(!lines[1].positive);
        assert!(lines[2].positive);
        assert!(lines[2].devices[Device::LoadedLanguage.index()]);
    }

    #[test]
    fn ptc_reader_rejects_bad_labels() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "x\n").unwrap();
        std::fs::write(dir.path().join("a.task-flc-tc.labels"), "1\tNope\t0\t1\n").unwrap();
        let err = read_ptc(dir.path()).unwrap_err().to_string();
        assert!(err.contains("technique"), "{err}");
    }

    #[test]
    fn bootstrap_ci_brackets_point_estimate() {
        let arts: Vec<Vec<(bool, bool)>> = (0..20)
            .map(|i| vec![(i % 2 == 0, true), (false, i % 3 == 0), (true, i % 4 == 0)])
            .collect();
        let (lo, hi) = bootstrap_f1_ci(&arts, 200, 1);
        assert!(lo <= hi);
    }
}
