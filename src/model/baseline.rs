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

use super::{sigmoid, Cue, DeviceLabels, Scorer, SentenceInput, SentenceScores, Thresholds};
use crate::error::{Error, Result};
use crate::taxonomy::{Device, DeviceMap, LabelMap, LabelSet};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// log2 of the number of hash buckets.
pub const BUCKETS_LOG2: u32 = 18;
pub(crate) const BUCKETS: usize = 1 << BUCKETS_LOG2;

/// A word token: its lower-cased text and byte range in the sentence.
struct Token {
    text: String,
    start: usize,
    end: usize,
    is_word: bool,
}

fn tokens(text: &str) -> Vec<Token> {
    let word = |start: usize, end: usize| Token {
        text: text[start..end].to_lowercase(),
        start,
        end,
        is_word: true,
    };
    let mut out = Vec::new();
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            word_start.get_or_insert(i);
            continue;
        }
        out.extend(word_start.take().map(|s| word(s, i)));
        if !c.is_whitespace() {
            out.push(Token {
                text: c.to_string(),
                start: i,
                end: i + c.len_utf8(),
                is_word: false,
            });
        }
    }
    out.extend(word_start.map(|s| word(s, text.len())));
    out
}

/// FNV-1a over a namespace byte and the feature's bytes.
fn bucket(namespace: u8, bytes: impl IntoIterator<Item = u8>) -> u32 {
    let h = std::iter::once(namespace)
        .chain(bytes)
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    (h % BUCKETS as u64) as u32
}

/// [`bucket`] of the string made of `chars`, without building the string.
fn bucket_chars(namespace: u8, chars: &[char]) -> u32 {
    bucket(
        namespace,
        chars.iter().flat_map(|c| {
            let mut buf = [0u8; 4];
            let len = c.encode_utf8(&mut buf).len();
            buf.into_iter().take(len)
        }),
    )
}

/// Raw features of one sentence: for each block (word, char), bucket counts;
/// plus, for cues, the buckets each token contributes to.
pub(crate) struct RawFeatures {
    pub(crate) words: HashMap<u32, f32>,
    pub(crate) chars: HashMap<u32, f32>,
    /// Per token: (word-block buckets, char-block buckets).
    per_token: Vec<(Vec<u32>, Vec<u32>)>,
    tokens: Vec<Token>,
}

pub(crate) fn raw_features(text: &str) -> RawFeatures {
    let toks = tokens(text);
    let mut words = HashMap::new();
    let mut chars = HashMap::new();
    let mut per_token = vec![(Vec::new(), Vec::new()); toks.len()];
    for (i, t) in toks.iter().enumerate() {
        let u = bucket(b'w', t.text.bytes());
        *words.entry(u).or_insert(0.0) += 1.0;
        per_token[i].0.push(u);
        if let Some(next) = toks.get(i + 1) {
            let b = bucket(b'b', t.text.bytes().chain([b' ']).chain(next.text.bytes()));
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
pub(crate) type Sparse = Vec<(u32, f32)>;

/// Sublinear tf × idf, l2-normalised per block, blocks weighted 1/√2.
pub(crate) fn tfidf(raw: &RawFeatures, idf: &[f32]) -> Sparse {
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
pub(crate) fn baseline_devices() -> Vec<Device> {
    Device::ALL.iter().copied().filter(|d| d.is_ptc()).collect()
}

/// The baseline's `config.json` (thresholds are added by
/// [`crate::model::thresholds::write_config_thresholds`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BaselineConfig {
    pub(crate) kind: String,
    pub(crate) name: String,
    /// `framing` first, then device ids, in the row order of `weights`.
    pub(crate) labels: Vec<String>,
    pub(crate) buckets_log2: u32,
    pub(crate) c: f64,
    pub(crate) epochs: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trained_on: Option<String>,
}

/// The TF-IDF baseline model.
pub struct BaselineModel {
    pub(crate) idf: Vec<f32>,
    /// Row-major [labels × BUCKETS].
    pub(crate) weights: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    /// Device of each row after the first (`None` for the framing row); the first is `framing`.
    pub(crate) rows: Vec<Option<Device>>,
    pub(crate) thresholds: Thresholds,
    /// The declared label set (device ids) of the model folder, if any.
    pub(crate) labels: Option<DeviceLabels>,
}

impl BaselineModel {
    /// Reads a baseline model folder (`config.json` + `weights.safetensors`).
    pub fn from_dir(dir: &Path) -> Result<BaselineModel> {
        let cfg_path = dir.join("config.json");
        let cfg: BaselineConfig = super::read_json(&cfg_path, "not a baseline config")?;
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
        let thresholds = super::thresholds::read_config_thresholds(dir, &Thresholds::default())?;
        Ok(BaselineModel {
            idf,
            weights,
            bias,
            rows,
            thresholds,
            labels: None,
        })
    }

    /// This model reporting its scores under `set`, a declared label set
    /// whose names are device ids, in the set's order; a label that is not a
    /// device id is an error.
    pub fn with_label_set(
        mut self,
        set: LabelSet,
    ) -> std::result::Result<BaselineModel, crate::taxonomy::LabelSetError> {
        self.labels = Some(DeviceLabels::new(set, &self.thresholds)?);
        Ok(self)
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
            probs: LabelMap::from_device_order(&probs),
            framing,
            cues,
            ..Default::default()
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
        let scores = batch.iter().map(|s| self.score_one(s.text));
        Ok(match &self.labels {
            Some(labels) => scores.map(|s| labels.remap(s)).collect(),
            None => scores.collect(),
        })
    }
    fn thresholds(&self) -> &Thresholds {
        match &self.labels {
            Some(labels) => labels.thresholds(),
            None => &self.thresholds,
        }
    }
    fn labels(&self) -> &LabelSet {
        match &self.labels {
            Some(labels) => labels.set(),
            None => LabelSet::shipped(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_bucket_equals_string_bucket() {
        let chars: Vec<char> = " héllo ".chars().collect();
        for w in chars.windows(3) {
            let g: String = w.iter().collect();
            assert_eq!(bucket_chars(b'c', w), bucket(b'c', g.bytes()));
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
}
