//! The TF-IDF + logistic-regression baseline.
//!
//! Features (hashing trick, 2^18 buckets, so the saved model holds no text):
//! - word unigrams and bigrams over lower-cased tokens (runs of letters and
//!   digits, and single punctuation marks such as `!` or `?`);
//! - character 2–5-grams WITHIN word boundaries (scikit-learn's `char_wb`:
//!   each word padded with one space on both sides), letters and digits only.
//!
//! Each block is weighted by sublinear tf (1 + ln tf) × smoothed idf
//! (ln((1+n)/(1+df)) + 1), l2-normalised, and the two blocks are added with
//! weight 1/√2 each. One L2-regularised logistic regression per label
//! (`framing` = any device, and the 14 PTC devices) is trained by SGD with a
//! fixed shuffling seed (deterministic). Cues: the words whose features push a
//! flagged device's logit up the most.
//!
//! Files: `config.json` (`kind: "baseline"`, labels, C, thresholds) and
//! `weights.safetensors` (`idf` [B], `weights` [labels, B], `bias` [labels], f16/f32).

use super::{sigmoid, Cue, Scorer, SentenceInput, SentenceScores, Thresholds};
use crate::error::{Error, Result};
use crate::eval::labels::{read_gold, GoldOptions, GoldSentence};
use crate::eval::metrics::{best_f1_threshold, prf};
use crate::taxonomy::{Device, DeviceMap};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// log2 of the number of hash buckets.
pub const BUCKETS_LOG2: u32 = 18;
const BUCKETS: usize = 1 << BUCKETS_LOG2;

/// A word token: its lower-cased text and byte range in the sentence.
struct Token {
    text: String,
    start: usize,
    end: usize,
    is_word: bool,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(s) = word_start.take() {
            out.push(Token {
                text: text[s..i].to_lowercase(),
                start: s,
                end: i,
                is_word: true,
            });
        }
        if !c.is_whitespace() {
            out.push(Token {
                text: c.to_string(),
                start: i,
                end: i + c.len_utf8(),
                is_word: false,
            });
        }
    }
    if let Some(s) = word_start {
        out.push(Token {
            text: text[s..].to_lowercase(),
            start: s,
            end: text.len(),
            is_word: true,
        });
    }
    out
}

/// FNV-1a over a namespace byte and the feature's bytes.
fn bucket(namespace: u8, parts: &[&str]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(namespace);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            eat(b' ');
        }
        p.bytes().for_each(&mut eat);
    }
    (h % BUCKETS as u64) as u32
}

/// [`bucket`] of the string made of `chars`, without building the string.
fn bucket_chars(namespace: u8, chars: &[char]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(namespace);
    let mut buf = [0u8; 4];
    for c in chars {
        c.encode_utf8(&mut buf).bytes().for_each(&mut eat);
    }
    (h % BUCKETS as u64) as u32
}

/// Raw features of one sentence: for each block (word, char), bucket counts;
/// plus, for cues, the buckets each token contributes to.
struct RawFeatures {
    words: HashMap<u32, f32>,
    chars: HashMap<u32, f32>,
    /// Per token: (word-block buckets, char-block buckets).
    per_token: Vec<(Vec<u32>, Vec<u32>)>,
    tokens: Vec<Token>,
}

fn raw_features(text: &str) -> RawFeatures {
    let toks = tokens(text);
    let mut words = HashMap::new();
    let mut chars = HashMap::new();
    let mut per_token = vec![(Vec::new(), Vec::new()); toks.len()];
    for (i, t) in toks.iter().enumerate() {
        let u = bucket(b'w', &[&t.text]);
        *words.entry(u).or_insert(0.0) += 1.0;
        per_token[i].0.push(u);
        if let Some(next) = toks.get(i + 1) {
            let b = bucket(b'b', &[&t.text, &next.text]);
            *words.entry(b).or_insert(0.0) += 1.0;
            per_token[i].0.push(b);
            per_token[i + 1].0.push(b);
        }
        if t.is_word {
            let padded: Vec<char> = std::iter::once(' ')
                .chain(t.text.chars())
                .chain(std::iter::once(' '))
                .collect();
            for n in 2..=5 {
                for w in padded.windows(n) {
                    let c = bucket_chars(b'c', w);
                    *chars.entry(c).or_insert(0.0) += 1.0;
                    per_token[i].1.push(c);
                }
            }
        }
    }
    RawFeatures {
        words,
        chars,
        per_token,
        tokens: toks,
    }
}

/// A sparse TF-IDF vector.
type Sparse = Vec<(u32, f32)>;

/// Sublinear tf × idf, l2-normalised per block, blocks weighted 1/√2.
fn tfidf(raw: &RawFeatures, idf: &[f32]) -> Sparse {
    let mut out: HashMap<u32, f32> = HashMap::new();
    for block in [&raw.words, &raw.chars] {
        let mut weighted: Vec<(u32, f32)> = block
            .iter()
            .map(|(&j, &tf)| (j, (1.0 + tf.ln()) * idf[j as usize]))
            .collect();
        // Sorted, so that the float sums do not depend on hash-map order.
        weighted.sort_by_key(|(j, _)| *j);
        let norm = weighted.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (j, v) in weighted {
                *out.entry(j).or_insert(0.0) += v / norm * std::f32::consts::FRAC_1_SQRT_2;
            }
        }
    }
    let mut v: Sparse = out.into_iter().collect();
    v.sort_by_key(|(j, _)| *j);
    v
}

/// The labels the baseline models: `framing`, then the PTC devices.
fn baseline_devices() -> Vec<Device> {
    Device::ALL.iter().copied().filter(|d| d.is_ptc()).collect()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct BaselineConfig {
    kind: String,
    name: String,
    /// `framing` first, then device ids, in the row order of `weights`.
    labels: Vec<String>,
    buckets_log2: u32,
    c: f64,
    epochs: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trained_on: Option<String>,
}

/// The TF-IDF baseline model.
pub struct BaselineModel {
    idf: Vec<f32>,
    /// Row-major [labels × BUCKETS].
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Device of each row after the first (`None` for the framing row).
    rows: Vec<Option<Device>>,
    thresholds: Thresholds,
}

impl BaselineModel {
    /// Reads a baseline model folder (`config.json` + `weights.safetensors`).
    pub fn from_dir(dir: &Path) -> Result<BaselineModel> {
        let cfg_path = dir.join("config.json");
        let raw = std::fs::read_to_string(&cfg_path).map_err(|e| Error::io(&cfg_path, e))?;
        let cfg: BaselineConfig = serde_json::from_str(&raw)
            .map_err(|e| Error::model(&cfg_path, format!("not a baseline config: {e}")))?;
        if cfg.buckets_log2 != BUCKETS_LOG2 {
            return Err(Error::model(
                &cfg_path,
                format!(
                    "buckets_log2 {} is not supported (this build uses {BUCKETS_LOG2})",
                    cfg.buckets_log2
                ),
            ));
        }
        let rows = cfg
            .labels
            .iter()
            .map(|l| {
                if l == "framing" {
                    Ok(None)
                } else {
                    Device::from_id(l)
                        .map(Some)
                        .ok_or_else(|| Error::model(&cfg_path, format!("unknown label `{l}`")))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let wpath = dir.join("weights.safetensors");
        let tensors = candle_core::safetensors::load(&wpath, &candle_core::Device::Cpu)
            .map_err(|e| Error::model(&wpath, e.to_string()))?;
        let get = |name: &str, len: usize| -> Result<Vec<f32>> {
            let t = tensors
                .get(name)
                .ok_or_else(|| Error::model(&wpath, format!("missing tensor `{name}`")))?;
            let v = t
                .to_dtype(candle_core::DType::F32)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(|e| Error::model(&wpath, e.to_string()))?;
            if v.len() != len {
                return Err(Error::model(
                    &wpath,
                    format!("tensor `{name}` has {} values, expected {len}", v.len()),
                ));
            }
            Ok(v)
        };
        let idf = get("idf", BUCKETS)?;
        let weights = get("weights", rows.len() * BUCKETS)?;
        let bias = get("bias", rows.len())?;
        let thresholds = crate::eval::tune::read_config_thresholds(dir, &Thresholds::default())?;
        Ok(BaselineModel {
            idf,
            weights,
            bias,
            rows,
            thresholds,
        })
    }

    /// Writes the model folder (weights in f16).
    fn save(&self, dir: &Path, cfg: &BaselineConfig) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let f16 = |v: &[f32], shape: &[usize]| -> Result<candle_core::Tensor> {
            Ok(
                candle_core::Tensor::from_slice(v, shape, &candle_core::Device::Cpu)?
                    .to_dtype(candle_core::DType::F16)?,
            )
        };
        let mut map = HashMap::new();
        map.insert("idf".to_string(), f16(&self.idf, &[BUCKETS])?);
        map.insert(
            "weights".to_string(),
            f16(&self.weights, &[self.rows.len(), BUCKETS])?,
        );
        map.insert(
            "bias".to_string(),
            candle_core::Tensor::from_slice(
                &self.bias,
                &[self.rows.len()],
                &candle_core::Device::Cpu,
            )?,
        );
        let wpath = dir.join("weights.safetensors");
        candle_core::safetensors::save(&map, &wpath)
            .map_err(|e| Error::model(&wpath, e.to_string()))?;
        let cfg_path = dir.join("config.json");
        let text = serde_json::to_string_pretty(cfg).map_err(|e| Error::Output(e.to_string()))?;
        std::fs::write(&cfg_path, text + "\n").map_err(|e| Error::io(&cfg_path, e))?;
        crate::eval::tune::write_config_thresholds(dir, &self.thresholds)
    }

    fn logit(&self, row: usize, x: &Sparse) -> f32 {
        let w = &self.weights[row * BUCKETS..(row + 1) * BUCKETS];
        self.bias[row] + x.iter().map(|(j, v)| w[*j as usize] * v).sum::<f32>()
    }

    fn score_one(&self, text: &str) -> SentenceScores {
        let raw = raw_features(text);
        let x = tfidf(&raw, &self.idf);
        let mut probs = DeviceMap::filled(0.0);
        let mut framing = 0.0;
        let mut cues = Vec::new();
        let mut value: Option<HashMap<u32, f32>> = None;
        for (row, dev) in self.rows.iter().enumerate() {
            let p = sigmoid(self.logit(row, &x));
            match dev {
                None => framing = p,
                Some(d) => {
                    probs[*d] = p;
                    if p >= self.thresholds.device(*d) {
                        let value = value.get_or_insert_with(|| x.iter().copied().collect());
                        cues.extend(self.cues_for(row, *d, &raw, value));
                    }
                }
            }
        }
        SentenceScores {
            probs,
            framing,
            cues,
        }
    }

    /// The (up to 3) words whose features add the most to a row's logit.
    fn cues_for(
        &self,
        row: usize,
        device: Device,
        raw: &RawFeatures,
        value: &HashMap<u32, f32>,
    ) -> Vec<Cue> {
        let w = &self.weights[row * BUCKETS..(row + 1) * BUCKETS];
        let mut scored: Vec<(f32, usize)> = raw
            .per_token
            .iter()
            .enumerate()
            .filter(|(i, _)| raw.tokens[*i].is_word)
            .map(|(i, (wb, cb))| {
                let s: f32 = wb
                    .iter()
                    .chain(cb)
                    .map(|j| w[*j as usize] * value.get(j).copied().unwrap_or(0.0))
                    .sum();
                (s, i)
            })
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored
            .into_iter()
            .take(3)
            .map(|(s, i)| Cue {
                device,
                start: raw.tokens[i].start,
                end: raw.tokens[i].end,
                pattern: "tfidf".into(),
                weight: s,
            })
            .collect()
    }
}

impl Scorer for BaselineModel {
    fn name(&self) -> &str {
        "baseline"
    }
    fn score_batch(&self, batch: &[SentenceInput<'_>]) -> Result<Vec<SentenceScores>> {
        Ok(batch.iter().map(|s| self.score_one(s.text)).collect())
    }
    fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }
}

// ------------------------------------------------------------------ training

/// What [`train_baseline`] measured.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineTraining {
    /// Training sentences.
    pub train_sentences: usize,
    /// Dev sentences (0 without a dev folder).
    pub dev_sentences: usize,
    /// The chosen regularisation constant C.
    pub c: f64,
    /// Sentence-level F1 on dev for each C tried (at the best threshold).
    pub c_grid: Vec<(f64, f64)>,
    /// Sentence-level (framing) F1 on dev at the tuned threshold.
    pub dev_sentence_f1: Option<f64>,
    /// The tuned framing threshold.
    pub framing_threshold: f32,
}

/// Training options.
#[derive(Debug, Clone)]
pub struct BaselineOptions {
    /// Values of C to try (chosen by dev sentence-level F1; the first without dev).
    pub c_grid: Vec<f64>,
    /// SGD epochs.
    pub epochs: usize,
    /// Shuffling seed.
    pub seed: u64,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        BaselineOptions {
            c_grid: vec![0.25, 1.0, 4.0],
            epochs: 8,
            seed: 13,
        }
    }
}

fn labels_of(s: &GoldSentence, devices: &[Device]) -> Vec<bool> {
    std::iter::once(s.positive)
        .chain(devices.iter().map(|d| s.devices.contains(d)))
        .collect()
}

/// Smoothed idf from training documents (raw features).
fn fit_idf(docs: &[RawFeatures]) -> Vec<f32> {
    let mut df = vec![0u32; BUCKETS];
    for d in docs {
        let mut seen: Vec<u32> = d.words.keys().chain(d.chars.keys()).copied().collect();
        seen.sort_unstable();
        seen.dedup();
        for j in seen {
            df[j as usize] += 1;
        }
    }
    let n = docs.len() as f32;
    df.iter()
        .map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
        .collect()
}

/// L2-regularised logistic regression by SGD (λ = 1/(C·n)), learning rate
/// η_t = η₀ / (1 + η₀·λ·t), weight-scale trick for the L2 shrinkage.
fn train_logreg(x: &[Sparse], y: &[bool], c: f64, epochs: usize, seed: u64) -> (Vec<f32>, f32) {
    let n = x.len().max(1);
    let lambda = 1.0 / (c * n as f64);
    let eta0 = 0.5f64;
    let mut v = vec![0f32; BUCKETS];
    let mut scale = 1.0f64;
    let mut bias = 0f64;
    let mut t = 0f64;
    let mut order: Vec<usize> = (0..x.len()).collect();
    for epoch in 0..epochs {
        order.shuffle(&mut StdRng::seed_from_u64(seed.wrapping_add(epoch as u64)));
        for &i in &order {
            let eta = eta0 / (1.0 + eta0 * lambda * t);
            t += 1.0;
            let dot: f64 = x[i]
                .iter()
                .map(|(j, xv)| f64::from(v[*j as usize] * xv))
                .sum();
            let margin = scale * dot + bias;
            let p = 1.0 / (1.0 + (-margin).exp());
            let g = p - if y[i] { 1.0 } else { 0.0 };
            scale *= 1.0 - eta * lambda;
            let step = (eta * g / scale) as f32;
            for (j, xv) in &x[i] {
                v[*j as usize] -= step * xv;
            }
            bias -= eta * g * 0.1;
            if scale < 1e-6 {
                v.iter_mut().for_each(|w| *w *= scale as f32);
                scale = 1.0;
            }
        }
    }
    v.iter_mut().for_each(|w| *w *= scale as f32);
    (v, bias as f32)
}

/// One trained row: weights over the buckets and the bias.
type Row = (Vec<f32>, f32);

/// Trains all rows for one C.
fn train_rows(
    x: &[Sparse],
    y: &[Vec<bool>],
    n_rows: usize,
    c: f64,
    opts: &BaselineOptions,
) -> Vec<Row> {
    (0..n_rows)
        .into_par_iter()
        .map(|r| {
            let yr: Vec<bool> = y.iter().map(|l| l[r]).collect();
            train_logreg(x, &yr, c, opts.epochs, opts.seed)
        })
        .collect()
}

/// Trains the TF-IDF baseline on a PTC-layout folder (or rhetor CSV) and
/// writes it to `out`. With `dev_dir`, C is chosen from the grid by dev
/// sentence-level F1 and every threshold is tuned on dev (best F1).
pub fn train_baseline(
    train_dir: &Path,
    dev_dir: Option<&Path>,
    out: &Path,
) -> Result<BaselineTraining> {
    train_baseline_with(train_dir, dev_dir, out, &BaselineOptions::default())
}

/// [`train_baseline`] with explicit options.
pub fn train_baseline_with(
    train_dir: &Path,
    dev_dir: Option<&Path>,
    out: &Path,
    opts: &BaselineOptions,
) -> Result<BaselineTraining> {
    let devices = baseline_devices();
    let n_rows = devices.len() + 1;
    let train = read_gold(train_dir, GoldOptions::default())?;
    let train_s: Vec<&GoldSentence> = train.articles.iter().flat_map(|a| &a.sentences).collect();
    if train_s.is_empty() {
        return Err(Error::Config(format!(
            "{}: no training sentences",
            train_dir.display()
        )));
    }
    let raw: Vec<RawFeatures> = train_s.par_iter().map(|s| raw_features(&s.text)).collect();
    let idf = fit_idf(&raw);
    let x: Vec<Sparse> = raw.par_iter().map(|r| tfidf(r, &idf)).collect();
    drop(raw);
    let y: Vec<Vec<bool>> = train_s.iter().map(|s| labels_of(s, &devices)).collect();
    let dev = match dev_dir {
        Some(d) => Some(read_gold(d, GoldOptions::default())?),
        None => None,
    };
    let dev_s: Vec<&GoldSentence> = dev
        .iter()
        .flat_map(|g| g.articles.iter().flat_map(|a| &a.sentences))
        .collect();
    let dev_x: Vec<Sparse> = dev_s
        .par_iter()
        .map(|s| tfidf(&raw_features(&s.text), &idf))
        .collect();
    let dev_y: Vec<Vec<bool>> = dev_s.iter().map(|s| labels_of(s, &devices)).collect();
    let mut best: Option<(f64, f64, Vec<Row>)> = None;
    let mut grid = Vec::new();
    let cs = if dev_s.is_empty() {
        opts.c_grid.iter().take(1).copied().collect()
    } else {
        opts.c_grid.clone()
    };
    for c in cs {
        let rows = train_rows(&x, &y, n_rows, c, opts);
        let f1 = if dev_s.is_empty() {
            0.0
        } else {
            let scores = row_probs(&rows[0], &dev_x);
            let gold: Vec<bool> = dev_y.iter().map(|l| l[0]).collect();
            best_f1_threshold(&scores, &gold).map_or(0.0, |(_, f)| f)
        };
        grid.push((c, f1));
        if best.as_ref().is_none_or(|(_, bf, _)| f1 > *bf) {
            best = Some((c, f1, rows));
        }
    }
    let Some((c, _, rows)) = best else {
        return Err(Error::Config("empty C grid".into()));
    };
    let mut thresholds = Thresholds::default();
    let mut dev_sentence_f1 = None;
    if !dev_s.is_empty() {
        for (r, row) in rows.iter().enumerate() {
            let scores = row_probs(row, &dev_x);
            let gold: Vec<bool> = dev_y.iter().map(|l| l[r]).collect();
            if let Some((t, f1)) = best_f1_threshold(&scores, &gold) {
                if r == 0 {
                    thresholds.framing = t;
                    let (tp, fp, fn_) = counts(&scores, &gold, t);
                    dev_sentence_f1 = Some(prf(tp, fp, fn_).f1);
                    debug_assert!((dev_sentence_f1.unwrap_or(0.0) - f1).abs() < 1e-9);
                } else {
                    thresholds.devices[devices[r - 1]] = t;
                }
            }
        }
    }
    let mut weights = Vec::with_capacity(n_rows * BUCKETS);
    let mut bias = Vec::with_capacity(n_rows);
    for (w, b) in &rows {
        weights.extend_from_slice(w);
        bias.push(*b);
    }
    let model = BaselineModel {
        idf,
        weights,
        bias,
        rows: std::iter::once(None)
            .chain(devices.iter().copied().map(Some))
            .collect(),
        thresholds: thresholds.clone(),
    };
    let cfg = BaselineConfig {
        kind: "baseline".into(),
        name: "baseline".into(),
        labels: std::iter::once("framing".to_string())
            .chain(devices.iter().map(|d| d.id().to_string()))
            .collect(),
        buckets_log2: BUCKETS_LOG2,
        c,
        epochs: opts.epochs,
        trained_on: Some(format!(
            "{} ({} sentences); C and thresholds tuned on {}",
            train_dir.display(),
            train_s.len(),
            dev_dir.map_or("nothing".into(), |d| d.display().to_string())
        )),
    };
    model.save(out, &cfg)?;
    Ok(BaselineTraining {
        train_sentences: train_s.len(),
        dev_sentences: dev_s.len(),
        c,
        c_grid: grid,
        dev_sentence_f1,
        framing_threshold: thresholds.framing,
    })
}

fn row_probs(row: &Row, x: &[Sparse]) -> Vec<f32> {
    x.iter()
        .map(|xi| sigmoid(row.1 + xi.iter().map(|(j, v)| row.0[*j as usize] * v).sum::<f32>()))
        .collect()
}

fn counts(scores: &[f32], gold: &[bool], t: f32) -> (u64, u64, u64) {
    let mut c = (0, 0, 0);
    for (s, g) in scores.iter().zip(gold) {
        match (*s >= t, *g) {
            (true, true) => c.0 += 1,
            (true, false) => c.1 += 1,
            (false, true) => c.2 += 1,
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_bucket_equals_string_bucket() {
        let chars: Vec<char> = " héllo ".chars().collect();
        for w in chars.windows(3) {
            let g: String = w.iter().collect();
            assert_eq!(bucket_chars(b'c', w), bucket(b'c', &[&g]));
        }
    }

    #[test]
    fn tokens_and_char_ngrams_stay_within_words() {
        let raw = raw_features("Hi, you!");
        let texts: Vec<&str> = raw.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, vec!["hi", ",", "you", "!"]);
        // "hi": padded " hi " → 3 bigrams + 2 trigrams + 1 4-gram = 6;
        // "you": " you " → 4 + 3 + 2 + 1 = 10 char n-grams.
        assert_eq!(raw.per_token[0].1.len(), 6);
        assert_eq!(raw.per_token[2].1.len(), 10);
        let idf = vec![1.0; BUCKETS];
        let x = tfidf(&raw, &idf);
        let norm: f32 = x.iter().map(|(_, v)| v * v).sum::<f32>();
        // Two unit blocks weighted 1/√2: squared norm ≈ 1 (collisions aside).
        assert!((norm - 1.0).abs() < 0.05, "{norm}");
    }

    #[test]
    fn train_save_load_and_score_a_tiny_set() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("train");
        std::fs::create_dir(&data).unwrap();
        let mut text = String::new();
        let mut labels = String::new();
        for i in 0..40 {
            let start = text.chars().count();
            if i % 2 == 0 {
                text.push_str("These traitors are disgusting idiots!\n");
                labels.push_str(&format!(
                    "1\tName_Calling,Labeling\t{}\t{}\n",
                    start + 6,
                    start + 14
                ));
            } else {
                text.push_str("The committee met on Tuesday.\n");
            }
        }
        std::fs::write(data.join("article1.txt"), &text).unwrap();
        std::fs::write(data.join("article1.task-flc-tc.labels"), &labels).unwrap();
        let out = dir.path().join("model");
        let opts = BaselineOptions {
            c_grid: vec![10.0],
            epochs: 5,
            seed: 1,
        };
        let report = train_baseline_with(&data, Some(&data), &out, &opts).unwrap();
        assert_eq!(report.train_sentences, 40);
        assert_eq!(report.dev_sentence_f1, Some(1.0));
        let m = BaselineModel::from_dir(&out).unwrap();
        let s = m
            .score_batch(&[
                SentenceInput {
                    text: "Those traitors are idiots!",
                    ..Default::default()
                },
                SentenceInput {
                    text: "The committee met on Monday.",
                    ..Default::default()
                },
            ])
            .unwrap();
        assert!(s[0].framing > s[1].framing);
        assert!(s[0].prob(Device::NameCalling) > s[1].prob(Device::NameCalling));
        // Same training → same weights (deterministic).
        let out2 = dir.path().join("model2");
        train_baseline_with(&data, Some(&data), &out2, &opts).unwrap();
        let same = std::fs::read(out.join("weights.safetensors")).unwrap()
            == std::fs::read(out2.join("weights.safetensors")).unwrap();
        assert!(same, "two trainings gave different weights");
    }
}
