//! The span head: a linear layer over the encoder's last-layer token states
//! giving, for every word piece, the probability that it lies inside a span
//! of each technique and inside a span of any technique (SemEval-2020 Task 11
//! span identification). Decoding ([`SpanHeadConfig::decode`]): a word whose
//! `any` probability reaches the head's threshold starts a span, which
//! extends over neighbouring words above a lower threshold; spans a few words
//! apart are joined, and punctuation at their edges is trimmed. A span's
//! technique is the one with the highest mean probability over its pieces.
//!
//! Sentences longer than the encoder's window are read in overlapping
//! windows ([`windows_of`]) so that every word gets a probability.

use super::bert::TokenStates;
use super::{sigmoid, SpanPrediction, TokenProbs};
use crate::error::{Error, Result};
use crate::taxonomy::{Device, DeviceMap};
use crate::tokenize::Encoded;
use candle_core::{DType, Device as CDevice, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

/// Tensor names of the span head in a model's `model.safetensors`.
pub const WEIGHT: &str = "span_head.weight";
/// Bias tensor name.
pub const BIAS: &str = "span_head.bias";

/// Word pieces of left context a continuation window repeats.
pub const WINDOW_OVERLAP: usize = 32;

/// The `span_head` section of a transformer model's `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanHeadConfig {
    /// Devices with an output, in output order; one `any` output follows them.
    pub devices: Vec<Device>,
    /// A word whose highest piece `any` probability reaches this starts a
    /// span (chosen on dev for SI F1, as are the two fields below).
    pub threshold: f32,
    /// A span extends over neighbouring words whose `any` probability reaches
    /// this (hysteresis); `None`: `threshold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_threshold: Option<f32>,
    /// Spans of a sentence at most this many words apart become one span.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub join_gap: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl SpanHeadConfig {
    /// A configuration with a single threshold (no extension, no joining).
    pub fn new(devices: Vec<Device>, threshold: f32) -> SpanHeadConfig {
        SpanHeadConfig {
            devices,
            threshold,
            extend_threshold: None,
            join_gap: 0,
        }
    }

    /// Number of outputs: one per device plus `any`.
    pub fn outputs(&self) -> usize {
        self.devices.len() + 1
    }

    /// The spans of a sentence from its pieces' probabilities (`tokens`'
    /// byte ranges index `text`): runs of words whose highest piece `any`
    /// probability reaches the extension threshold and one of which reaches
    /// `threshold`; runs at most `join_gap` words apart are joined; the
    /// technique is the device of `devices` with the highest mean piece
    /// probability over the span, the probability the mean `any`; edge
    /// punctuation is trimmed (a span of punctuation alone is dropped).
    pub fn decode(&self, text: &str, tokens: &[TokenProbs]) -> Vec<SpanPrediction> {
        let words = words(tokens.iter().map(|t| t.start..t.end).enumerate());
        let runs = self.started_runs(&words, tokens);
        self.join(runs, &words)
            .into_iter()
            .filter_map(|r| span_of(&tokens[r], &self.devices))
            .filter_map(|s| trim_punctuation(text, s))
            .collect()
    }

    /// Piece ranges of the maximal runs of words reaching the extension
    /// threshold that hold a word reaching `threshold`.
    fn started_runs(&self, words: &[Range<usize>], tokens: &[TokenProbs]) -> Vec<Range<usize>> {
        let word_any =
            |w: &Range<usize>| tokens[w.clone()].iter().map(|t| t.any).fold(0.0, f32::max);
        let extend = self
            .extend_threshold
            .map_or(self.threshold, |e| e.min(self.threshold));
        let mut runs: Vec<(Range<usize>, bool)> = Vec::new();
        let mut last_word = None;
        for (i, w) in words.iter().enumerate() {
            let p = word_any(w);
            if p < extend {
                continue;
            }
            match runs.last_mut() {
                Some((r, starts)) if last_word.map(|l| l + 1) == Some(i) => {
                    r.end = w.end;
                    *starts |= p >= self.threshold;
                }
                _ => runs.push((w.clone(), p >= self.threshold)),
            }
            last_word = Some(i);
        }
        runs.into_iter()
            .filter_map(|(r, starts)| starts.then_some(r))
            .collect()
    }

    /// `runs` with those at most `join_gap` words apart joined.
    fn join(&self, runs: Vec<Range<usize>>, words: &[Range<usize>]) -> Vec<Range<usize>> {
        let mut joined: Vec<Range<usize>> = Vec::new();
        for r in runs {
            let gap = |prev: &Range<usize>| {
                words
                    .iter()
                    .filter(|w| w.start >= prev.end && w.end <= r.start)
                    .count()
            };
            match joined.last_mut() {
                Some(prev) if gap(prev) <= self.join_gap => prev.end = r.end,
                _ => joined.push(r),
            }
        }
        joined
    }
}

/// The `span_head` section of a model folder's `config.json`; `None` when
/// the model has no span head (the writer is [`super::write_config_key`]).
pub fn read_config_span_head(dir: &Path) -> Result<Option<SpanHeadConfig>> {
    let path = dir.join("config.json");
    let config: serde_json::Value = super::read_json(&path, "invalid JSON")?;
    config
        .get("span_head")
        .map(|h| {
            serde_json::from_value(h.clone())
                .map_err(|e| Error::model(&path, format!("invalid `span_head`: {e}")))
        })
        .transpose()
}

/// A loaded span head.
#[derive(Debug, Clone)]
pub struct SpanHead {
    config: SpanHeadConfig,
    /// `outputs × dim`, row-major.
    weight: Vec<f32>,
    bias: Vec<f32>,
    dim: usize,
}

impl SpanHead {
    /// A head from its weights (`outputs × dim` row-major, and `outputs` biases).
    pub fn new(config: SpanHeadConfig, weight: Vec<f32>, bias: Vec<f32>) -> Result<SpanHead> {
        let outputs = config.outputs();
        if bias.len() != outputs || weight.is_empty() || !weight.len().is_multiple_of(outputs) {
            return Err(Error::Config(format!(
                "span head: {} weights and {} biases do not fit {} outputs",
                weight.len(),
                bias.len(),
                outputs
            )));
        }
        let dim = weight.len() / outputs;
        Ok(SpanHead {
            config,
            weight,
            bias,
            dim,
        })
    }

    /// Reads `span_head.weight` / `span_head.bias` from a safetensors file.
    pub fn load(config: SpanHeadConfig, path: &Path) -> Result<SpanHead> {
        let tensors = candle_core::safetensors::load(path, &CDevice::Cpu)
            .map_err(|e| Error::model(path, format!("cannot read span head weights: {e}")))?;
        let read = |name: &str| -> Result<Vec<f32>> {
            let t = tensors
                .get(name)
                .ok_or_else(|| Error::model(path, format!("missing tensor `{name}`")))?;
            t.to_dtype(DType::F32)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(|e| Error::model(path, format!("bad tensor `{name}`: {e}")))
        };
        SpanHead::new(config, read(WEIGHT)?, read(BIAS)?)
            .map_err(|e| Error::model(path, e.to_string()))
    }

    /// The head's tensors by name (for saving).
    pub fn tensors(&self) -> Result<HashMap<String, Tensor>> {
        let w = Tensor::from_vec(
            self.weight.clone(),
            (self.config.outputs(), self.dim),
            &CDevice::Cpu,
        )?;
        let b = Tensor::from_vec(self.bias.clone(), self.config.outputs(), &CDevice::Cpu)?;
        Ok(HashMap::from([
            (WEIGHT.to_string(), w),
            (BIAS.to_string(), b),
        ]))
    }

    /// The head's configuration.
    pub fn config(&self) -> &SpanHeadConfig {
        &self.config
    }

    /// Width of the token states the head reads.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Probabilities of every real word piece of `enc` (special tokens
    /// skipped) from its token states; byte ranges are shifted by `shift`.
    pub fn token_probs(
        &self,
        enc: &Encoded,
        states: &TokenStates,
        shift: usize,
    ) -> Vec<TokenProbs> {
        let mut out = Vec::new();
        let mut logits = Vec::with_capacity(self.config.outputs());
        for (t, &(s, e)) in enc.offsets.iter().enumerate() {
            let Some(row) = states.tokens.get(t * self.dim..(t + 1) * self.dim) else {
                break;
            };
            if e <= s {
                continue;
            }
            self.logits(row, &mut logits);
            let mut devices = DeviceMap::filled(0.0);
            for (d, z) in self.config.devices.iter().zip(&logits) {
                devices[*d] = sigmoid(*z);
            }
            out.push(TokenProbs {
                start: s + shift,
                end: e + shift,
                devices,
                any: sigmoid(logits[self.config.devices.len()]),
            });
        }
        out
    }

    fn logits(&self, row: &[f32], out: &mut Vec<f32>) {
        out.clear();
        for (w, b) in self.weight.chunks_exact(self.dim).zip(&self.bias) {
            out.push(w.iter().zip(row).map(|(a, x)| a * x).sum::<f32>() + b);
        }
    }
}

/// Words: maximal runs of consecutive pieces with no gap between them
/// (`"self", "##-", "##made"` is one word; punctuation split off by the
/// tokenizer but touching the word stays with it). `pieces` are (position,
/// byte range) pairs in order; returns position ranges.
pub fn words(pieces: impl IntoIterator<Item = (usize, Range<usize>)>) -> Vec<Range<usize>> {
    let mut out: Vec<(Range<usize>, usize)> = Vec::new();
    for (i, bytes) in pieces {
        match out.last_mut() {
            Some((w, end)) if w.end == i && *end == bytes.start => {
                w.end = i + 1;
                *end = bytes.end;
            }
            _ => out.push((i..i + 1, bytes.end)),
        }
    }
    out.into_iter().map(|(w, _)| w).collect()
}

fn span_of(pieces: &[TokenProbs], devices: &[Device]) -> Option<SpanPrediction> {
    let (first, last) = (pieces.first()?, pieces.last()?);
    let n = pieces.len() as f32;
    let mean = |d: Device| pieces.iter().map(|t| t.devices[d]).sum::<f32>() / n;
    let device = devices.iter().copied().max_by(|a, b| {
        mean(*a)
            .total_cmp(&mean(*b))
            .then(b.index().cmp(&a.index()))
    })?;
    Some(SpanPrediction {
        device,
        start: first.start,
        end: last.end,
        probability: pieces.iter().map(|t| t.any).sum::<f32>() / n,
    })
}

/// `span` without punctuation at its edges; `None` when nothing else is left.
fn trim_punctuation(text: &str, mut span: SpanPrediction) -> Option<SpanPrediction> {
    let is_punctuation = |c: char| c.is_ascii_punctuation() || "“”‘’«»–—…".contains(c);
    let inner = text.get(span.start..span.end)?;
    let trimmed = inner.trim_start_matches(is_punctuation);
    span.start += inner.len() - trimmed.len();
    span.end = span.start + trimmed.trim_end_matches(is_punctuation).len();
    (span.end > span.start).then_some(span)
}

/// Where a sentence's windows start (byte offsets into its text) and up to
/// where each one's pieces are kept, for a text whose first window was
/// tokenized as `first`. A window is truncated when its last real piece ends
/// before the text does; the next one starts [`WINDOW_OVERLAP`] pieces back,
/// at a word start, and takes over halfway into the overlap.
pub fn continuation(text: &str, window_start: usize, enc: &Encoded) -> Option<(usize, usize)> {
    let real: Vec<(usize, usize)> = enc.offsets.iter().copied().filter(|(s, e)| e > s).collect();
    let last_end = real.last()?.1 + window_start;
    if text[last_end..].trim().is_empty() || real.len() <= WINDOW_OVERLAP {
        return None;
    }
    let word_start = |mut i: usize| {
        while i > 0 && real[i - 1].1 == real[i].0 {
            i -= 1;
        }
        real[i].0 + window_start
    };
    let next = word_start(real.len() - WINDOW_OVERLAP);
    let handover = word_start(real.len() - WINDOW_OVERLAP / 2).max(next);
    (next > window_start).then_some((next, handover))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(start: usize, end: usize, any: f32, doubt: f32) -> TokenProbs {
        let mut devices = DeviceMap::filled(0.0);
        devices[Device::Doubt] = doubt;
        devices[Device::LoadedLanguage] = 1.0 - doubt;
        TokenProbs {
            start,
            end,
            devices,
            any,
        }
    }

    const DEVICES: [Device; 2] = [Device::LoadedLanguage, Device::Doubt];

    #[test]
    fn words_join_pieces_without_gaps() {
        // "so-called hero": so | - | called | hero
        let t = [
            piece(0, 2, 0.0, 0.0),
            piece(2, 3, 0.0, 0.0),
            piece(3, 9, 0.0, 0.0),
            piece(10, 14, 0.0, 0.0),
        ];
        assert_eq!(
            words(t.iter().map(|p| p.start..p.end).enumerate()),
            vec![0..3, 3..4]
        );
    }

    #[test]
    fn a_run_of_words_above_threshold_is_one_span_with_the_likeliest_technique() {
        // "They are evil traitors , he said": pieces of 5 words + comma.
        let t = [
            piece(0, 4, 0.1, 0.0),
            piece(5, 8, 0.2, 0.0),
            piece(9, 13, 0.9, 0.2),
            piece(14, 22, 0.7, 0.4),
            piece(22, 23, 0.1, 0.0),
            piece(24, 26, 0.1, 0.0),
        ];
        let spans = config(0.5, None, 0).decode("They are evil traitors, he said", &t);
        // "traitors" and "," touch: one word, inside because a piece is;
        // the comma is trimmed from the span's end.
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!((s.start, s.end), (9, 22));
        assert_eq!(s.device, Device::LoadedLanguage);
        assert!((s.probability - (0.9 + 0.7 + 0.1) / 3.0).abs() < 1e-6);
    }

    #[test]
    fn separate_runs_give_separate_spans() {
        let t = [
            piece(0, 3, 0.8, 0.9),
            piece(4, 6, 0.2, 0.9),
            piece(7, 9, 0.6, 0.9),
        ];
        let text = "bad is us";
        let spans = config(0.5, None, 0).decode(text, &t);
        assert_eq!(ranges(&spans), vec![(0, 3), (7, 9)]);
        assert!(spans.iter().all(|s| s.device == Device::Doubt));
        assert!(config(0.95, None, 0).decode(text, &t).is_empty());
        // Joined when at most one word apart; the joined span's technique and
        // probability are over all its pieces.
        let joined = config(0.5, None, 1).decode(text, &t);
        assert_eq!(ranges(&joined), vec![(0, 9)]);
        assert!((joined[0].probability - (0.8 + 0.2 + 0.6) / 3.0).abs() < 1e-6);
    }

    #[test]
    fn a_span_extends_over_neighbours_above_the_lower_threshold_only_from_a_start() {
        // "a b c d e": b starts a span (0.9), a and c extend it (0.6), e is
        // above the lower threshold but no word of its run reaches 0.8.
        let t = [
            piece(0, 1, 0.6, 0.0),
            piece(2, 3, 0.9, 0.0),
            piece(4, 5, 0.6, 0.0),
            piece(6, 7, 0.1, 0.0),
            piece(8, 9, 0.6, 0.0),
        ];
        assert_eq!(
            ranges(&config(0.8, Some(0.5), 0).decode("a b c d e", &t)),
            vec![(0, 5)]
        );
        assert_eq!(
            ranges(&config(0.8, None, 0).decode("a b c d e", &t)),
            vec![(2, 3)]
        );
        // An extension threshold above the threshold is the threshold.
        assert_eq!(
            ranges(&config(0.8, Some(0.95), 0).decode("a b c d e", &t)),
            vec![(2, 3)]
        );
    }

    #[test]
    fn edge_punctuation_is_trimmed_and_punctuation_alone_is_no_span() {
        // "“Evil” — he": pieces “ | Evil | ” and — and he.
        let text = "“Evil” — he";
        let t = [
            piece(0, 3, 0.9, 0.0),
            piece(3, 7, 0.9, 0.0),
            piece(7, 10, 0.9, 0.0),
            piece(11, 14, 0.1, 0.0),
            piece(15, 17, 0.1, 0.0),
        ];
        let spans = config(0.5, None, 0).decode(text, &t);
        assert_eq!(ranges(&spans), vec![(3, 7)]);
        assert_eq!(&text[3..7], "Evil");
        let dash = [piece(11, 14, 0.9, 0.0)];
        assert!(config(0.5, None, 0).decode(text, &dash).is_empty());
    }

    #[test]
    fn the_span_head_section_round_trips_through_config_json() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), r#"{"kind":"cues"}"#).unwrap();
        assert_eq!(read_config_span_head(dir.path()).unwrap(), None);
        let c = config(0.8, Some(0.75), 3);
        super::super::write_config_key(dir.path(), "span_head", &c).unwrap();
        assert_eq!(read_config_span_head(dir.path()).unwrap(), Some(c));
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"span_head":{"threshold":1}}"#,
        )
        .unwrap();
        let e = read_config_span_head(dir.path()).unwrap_err().to_string();
        assert!(e.contains("invalid `span_head`"), "{e}");
    }

    fn config(threshold: f32, extend: Option<f32>, join_gap: usize) -> SpanHeadConfig {
        SpanHeadConfig {
            extend_threshold: extend,
            join_gap,
            ..SpanHeadConfig::new(DEVICES.to_vec(), threshold)
        }
    }

    fn ranges(spans: &[SpanPrediction]) -> Vec<(usize, usize)> {
        spans.iter().map(|s| (s.start, s.end)).collect()
    }

    #[test]
    fn the_head_computes_sigmoid_of_affine_per_piece_and_skips_special_tokens() {
        let config = SpanHeadConfig::new(vec![Device::Doubt], 0.5);
        // dim 2, outputs 2 (doubt, any).
        let head = SpanHead::new(config, vec![1.0, 0.0, 0.0, -1.0], vec![0.0, 0.5]).unwrap();
        let enc = Encoded {
            ids: vec![101, 7, 102],
            offsets: vec![(0, 0), (0, 4), (0, 0)],
        };
        let states = TokenStates {
            pooled: vec![0.0, 0.0],
            tokens: vec![9.0, 9.0, 2.0, 0.5, 9.0, 9.0],
        };
        let probs = head.token_probs(&enc, &states, 10);
        assert_eq!(probs.len(), 1);
        assert_eq!((probs[0].start, probs[0].end), (10, 14));
        assert!((probs[0].devices[Device::Doubt] - sigmoid(2.0)).abs() < 1e-6);
        assert!((probs[0].any - sigmoid(0.0)).abs() < 1e-6);
        assert_eq!(probs[0].devices[Device::LoadedLanguage], 0.0);
        assert!(SpanHead::new(head.config().clone(), vec![1.0; 3], vec![0.0; 2]).is_err());
    }

    #[test]
    fn a_truncated_window_continues_at_a_word_start_with_overlap() {
        // 40 one-byte words "a a a …", window holds 36 of them.
        let text = "a ".repeat(40);
        let mut offsets = vec![(0, 0)];
        offsets.extend((0..36).map(|i| (2 * i, 2 * i + 1)));
        offsets.push((0, 0));
        let enc = Encoded {
            ids: vec![1; offsets.len()],
            offsets,
        };
        let (next, handover) = continuation(&text, 0, &enc).unwrap();
        assert_eq!(next, 2 * (36 - WINDOW_OVERLAP));
        assert_eq!(handover, 2 * (36 - WINDOW_OVERLAP / 2));
        // A window reaching the end of the text has no continuation.
        let short = "a ".repeat(36);
        assert!(continuation(&short, 0, &enc).is_none());
    }
}
