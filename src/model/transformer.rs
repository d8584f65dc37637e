//! The transformer [`Scorer`]: BERT encoder ([`super::bert`]) → mean-pooled
//! embeddings (plus context embeddings when the model uses them) → head
//! ([`super::head`]) → per-device probabilities and the combined `framing`
//! probability. The embedded cue model runs alongside: its spans explain every
//! device the transformer flags, and it supplies the probabilities of devices
//! the transformer was not trained on (those without labelled data).
//! Optional occlusion attributions add the word spans that move the score most.
//!
//! A model whose `config.json` declares a `label_set` scores those labels
//! instead of the devices: head output `i` is label `i` (then `framing`), and
//! the device-only parts (cue-model fallback and cues, the attributed-voice
//! discount, coherent framing, attributions) are off.

use super::bert::{BertEncoder, Encoder, TokenStates};
use super::cues::CueModel;
use super::head::{ContextMode, Head, HeadConfig};
use super::int8::Int8Encoder;
use super::kernels::Kernel;
use super::span_head::{continuation, words, SpanHead, SpanHeadConfig};
use super::{setup, sigmoid, Cue, Scorer, SentenceInput, SentenceScores, Thresholds, TokenProbs};
use crate::error::{Error, Result};
use crate::taxonomy::{Device, DeviceMap, Label, LabelMap, LabelSet};
use crate::text::attribution::is_attributed;
use crate::tokenize::Encoded;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

/// The devices of the author's own voice, discounted in attributed speech.
pub const AUTHOR_VOICE_DEVICES: [Device; 2] =
    [Device::EditorialAside, Device::EvaluativeEditorializing];

/// Per text of a batch: the probabilities of its word pieces (empty for
/// texts that only serve as context, or without a span head).
type PieceProbs = Vec<Vec<TokenProbs>>;

/// A window of a long sentence: where it starts in the text and from which
/// byte on its pieces are kept (earlier ones belong to the window before).
struct Window {
    text: usize,
    start: usize,
    keep_from: usize,
}

/// The `kind` of a transformer model's `config.json` (always `transformer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TransformerKind {
    /// `transformer`.
    #[default]
    #[serde(rename = "transformer")]
    Transformer,
}

pub use super::bert::Pooling;

/// The outputs of a head over every device then `framing`, in that order
/// (the `labels` of a shipped-set model's config).
pub fn all_labels() -> Vec<String> {
    Device::ALL
        .into_iter()
        .map(Label::Device)
        .chain([Label::Framing])
        .map(|l| l.id().to_string())
        .collect()
}

/// The `config.json` of a transformer model folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransformerConfig {
    /// Always `transformer`.
    pub kind: TransformerKind,
    /// Model name (for reports).
    pub name: String,
    /// The base encoder (hub id and SHA-256 of its `model.safetensors`).
    pub base: BaseInfo,
    /// The declared codebook (`label_set`); `None`: the shipped devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_set: Option<LabelSet>,
    /// Output labels, in head order: device ids then `framing`, or, with a
    /// declared `label_set`, its names in order then `framing`.
    pub labels: Vec<String>,
    /// Labels the head was trained on (other devices come from the cue
    /// model; other labels of a declared set score 0).
    pub trained_labels: Vec<String>,
    /// Pooling of the token states.
    pub pooling: Pooling,
    /// Maximum sequence length in word pieces.
    pub max_len: usize,
    /// Context fed to the head.
    pub context: ContextMode,
    /// Head shape.
    pub head: HeadConfig,
    /// Encoder layers replaced by fine-tuned copies stored in `model.safetensors`.
    #[serde(default)]
    pub fine_tuned_layers: Vec<usize>,
    /// Decision thresholds chosen on the dev split.
    pub thresholds: Thresholds,
    /// Platt scaling of the `framing` logit fitted on dev (`None`: the raw sigmoid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framing_calibration: Option<Platt>,
    /// Factor on the author-voice probabilities (`editorial_aside`,
    /// `evaluative_editorializing`) of a sentence that mostly reports someone
    /// else's words ([`crate::text::attribution::is_attributed`]): a quote is
    /// not the author's voice. `None`: no discount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_voice_factor: Option<f32>,
    /// Make `framing` coherent with the device decisions
    /// ([`Thresholds::coherent_framing`]); off for models trained before it.
    #[serde(default)]
    pub coherent_framing: bool,
    /// The token-level span head (tensors `span_head.*` in
    /// `model.safetensors`); `None` for models without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_head: Option<SpanHeadConfig>,
    /// Provenance: training data hash, hyper-parameters, metrics.
    #[serde(default)]
    pub training: serde_json::Value,
}

impl TransformerConfig {
    /// The label set the model scores: the declared one or the shipped devices.
    pub fn label_set(&self) -> &LabelSet {
        match &self.label_set {
            Some(set) => set,
            None => LabelSet::shipped(),
        }
    }

    /// Checks `labels` and `trained_labels` against the label set (declared
    /// set: its names in order, then `framing`; shipped: device ids and
    /// `framing`) and aligns the thresholds to the set
    /// ([`Thresholds::aligned_to`]). The error says what is wrong.
    pub fn check_labels(&mut self) -> std::result::Result<(), String> {
        match &self.label_set {
            Some(set) => {
                let expected: Vec<&str> = set.names().chain(["framing"]).collect();
                if self.labels != expected {
                    return Err(format!(
                        "`labels` must be the `label_set` names in order, then `framing` ({}); found {}",
                        expected.join(", "),
                        self.labels.join(", ")
                    ));
                }
            }
            None => {
                if let Some(l) = self.labels.iter().find(|l| Label::from_id(l).is_none()) {
                    return Err(format!(
                        "unknown label `{l}` in `labels` (without a `label_set`, labels are device ids and `framing`; see docs/codebook.md)"
                    ));
                }
            }
        }
        if let Some(l) = self
            .trained_labels
            .iter()
            .find(|l| !self.labels.contains(l))
        {
            return Err(format!(
                "`trained_labels` names `{l}`, which is not one of `labels`"
            ));
        }
        self.thresholds = self.thresholds.clone().aligned_to(self.label_set())?;
        Ok(())
    }
}

/// Platt scaling: a calibrated probability `σ(a·z + b)` from a logit `z`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Slope.
    pub a: f32,
    /// Intercept.
    pub b: f32,
}

impl Platt {
    /// The calibrated probability of logit `z`.
    pub fn probability(&self, z: f32) -> f32 {
        sigmoid(self.a * z + self.b)
    }
}

/// Identity of the base encoder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaseInfo {
    /// Hugging Face hub id.
    pub hf_id: String,
    /// SHA-256 of `model.safetensors` (checked on load when present).
    pub safetensors_sha256: Option<String>,
}

/// Options of the transformer scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransformerOptions {
    /// Add occlusion attributions (top 3 word spans per sentence, pattern
    /// `attribution:occlusion`). Costs one extra forward pass per word.
    pub explain: bool,
    /// Which inference engine runs the encoder.
    pub engine: Engine,
}

/// The inference engine of the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// `Int8` where this CPU has a fast int8 kernel, else `Float`: the default.
    #[default]
    Auto,
    /// int8 linear layers, no padding ([`super::int8::Int8Encoder`]).
    Int8,
    /// float32 candle BERT ([`BertEncoder`]): the engine training uses.
    Float,
}

impl Engine {
    /// The engine that runs: `Auto` becomes `Int8` or `Float` for this CPU.
    pub fn resolve(self) -> Engine {
        match self {
            Engine::Auto if Kernel::detect().is_fast() => Engine::Int8,
            Engine::Auto => Engine::Float,
            concrete => concrete,
        }
    }

    /// One line saying which engine a transformer runs on and why.
    pub fn explain(self) -> String {
        let kernel = Kernel::detect();
        match (self, self.resolve()) {
            (Engine::Auto, Engine::Int8) => format!(
                "engine int8 (chosen automatically: this CPU has the fast {} int8 kernel)",
                kernel.name()
            ),
            (Engine::Auto, _) => format!(
                "engine float (chosen automatically: this CPU has no fast int8 kernel, only the {} one)",
                kernel.name()
            ),
            (_, Engine::Int8) => format!("engine int8 ({} kernel)", kernel.name()),
            _ => "engine float (candle, float32)".to_string(),
        }
    }
}

/// The transformer sentence classifier.
pub struct TransformerScorer {
    name: String,
    encoder: Box<dyn Encoder>,
    head: Head,
    span_head: Option<SpanHead>,
    config: TransformerConfig,
    /// Head output index of every device, or `None` when it comes from the
    /// cue model (all `None` for a declared label set).
    device_outputs: DeviceMap<Option<usize>>,
    /// The labels scored, and the head output of each (`None`: untrained).
    labels: LabelSet,
    label_outputs: Vec<Option<usize>>,
    framing_output: usize,
    cues: CueModel,
    options: TransformerOptions,
}

impl TransformerScorer {
    /// Loads a model folder over the base weights in `base`.
    pub fn load_with(
        dir: &Path,
        base: &Path,
        options: TransformerOptions,
    ) -> Result<TransformerScorer> {
        let config = read_config(dir)?;
        if !setup::is_complete(base) {
            return Err(Error::model(
                base,
                "transformer base weights missing (run scripts/setup-model.sh, or set RHETOR_BASE_DIR)",
            ));
        }
        let weights = dir.join("model.safetensors");
        let top = (!config.fine_tuned_layers.is_empty()).then_some(weights.as_path());
        let encoder: Box<dyn Encoder> = match options.engine.resolve() {
            Engine::Float | Engine::Auto => {
                let mut e = BertEncoder::load(base, config.max_len, top)?;
                e.set_pooling(config.pooling);
                Box::new(e)
            }
            Engine::Int8 => {
                let mut e = Int8Encoder::load(base, config.max_len, top)?;
                e.set_pooling(config.pooling);
                Box::new(e)
            }
        };
        let head = Head::load(config.head, &weights)?;
        let span_head = match &config.span_head {
            Some(c) => Some(SpanHead::load(c.clone(), &weights)?),
            None => None,
        };
        let mut scorer = Self::from_parts(config, encoder, head, options)?;
        scorer.set_span_head(span_head)?;
        Ok(scorer)
    }

    /// Assembles a scorer from an encoder and a head.
    pub fn from_parts(
        config: TransformerConfig,
        encoder: Box<dyn Encoder>,
        head: Head,
        options: TransformerOptions,
    ) -> Result<TransformerScorer> {
        let mut config = config;
        config
            .check_labels()
            .map_err(|e| Error::Config(format!("model {}: {e}", config.name)))?;
        let label_index = |l: &str| config.labels.iter().position(|x| x == l);
        let trained = |l: &str| config.trained_labels.iter().any(|x| x == l);
        let output_of = |l: &str| label_index(l).filter(|_| trained(l));
        let labels = config.label_set().clone();
        let label_outputs: Vec<Option<usize>> = labels.names().map(output_of).collect();
        let device_outputs = match config.label_set {
            None => DeviceMap::from_fn(|d| output_of(d.id())),
            Some(_) => DeviceMap::filled(None),
        };
        let framing_output = label_index("framing").ok_or_else(|| {
            Error::Config(format!("model {} has no `framing` label", config.name))
        })?;
        if config.labels.len() != head.config().outputs {
            return Err(Error::Config(format!(
                "model {}: {} labels but the head has {} outputs",
                config.name,
                config.labels.len(),
                head.config().outputs
            )));
        }
        if head.config().input_dim != encoder.dim() * config.context.parts() {
            return Err(Error::Config(format!(
                "model {}: head input {} does not match encoder width {} × {} context parts",
                config.name,
                head.config().input_dim,
                encoder.dim(),
                config.context.parts()
            )));
        }
        Ok(TransformerScorer {
            name: config.name.clone(),
            encoder,
            head,
            span_head: None,
            config,
            device_outputs,
            labels,
            label_outputs,
            framing_output,
            cues: CueModel::embedded()?,
            options,
        })
    }

    /// Adds (or removes) the span head; its width must match the encoder's.
    pub fn set_span_head(&mut self, span_head: Option<SpanHead>) -> Result<()> {
        if let Some(h) = &span_head {
            if h.dim() != self.encoder.dim() {
                return Err(Error::Config(format!(
                    "model {}: span head reads {} wide states but the encoder gives {}",
                    self.config.name,
                    h.dim(),
                    self.encoder.dim()
                )));
            }
        }
        self.config.span_head = span_head.as_ref().map(|h| h.config().clone());
        self.span_head = span_head;
        Ok(())
    }

    /// Pooled embeddings of `texts` and, with a span head, the piece
    /// probabilities of every text some sentence of `batch` is (context-only
    /// texts get none). Long sentences are read in several windows.
    fn encode_batch(
        &self,
        texts: &[&str],
        batch: &[SentenceInput<'_>],
        index: &HashMap<&str, usize>,
    ) -> Result<(Vec<Vec<f32>>, PieceProbs)> {
        let Some(head) = &self.span_head else {
            return Ok((self.encoder.embed_texts(texts)?, Vec::new()));
        };
        let enc = self.encoder.tokenize(texts)?;
        let refs: Vec<&Encoded> = enc.iter().collect();
        let states = self.encoder.encode_tokens(&refs)?;
        let mut probs = vec![Vec::new(); texts.len()];
        let mut next = Vec::new();
        let mut is_sentence = vec![false; texts.len()];
        for s in batch {
            is_sentence[index[s.text]] = true;
        }
        for i in (0..texts.len()).filter(|&i| is_sentence[i]) {
            let window = Window {
                text: i,
                start: 0,
                keep_from: 0,
            };
            self.read_window(
                head,
                texts[i],
                &window,
                &enc[i],
                &states[i],
                &mut probs[i],
                &mut next,
            );
        }
        self.read_continuations(head, texts, next, &mut probs)?;
        let emb = states.into_iter().map(|s| s.pooled).collect();
        Ok((emb, probs))
    }

    /// Reads continuation windows of long sentences until none is left.
    fn read_continuations(
        &self,
        head: &SpanHead,
        texts: &[&str],
        mut pending: Vec<Window>,
        probs: &mut [Vec<TokenProbs>],
    ) -> Result<()> {
        while !pending.is_empty() {
            let slices: Vec<&str> = pending.iter().map(|w| &texts[w.text][w.start..]).collect();
            let enc = self.encoder.tokenize(&slices)?;
            let refs: Vec<&Encoded> = enc.iter().collect();
            let states = self.encoder.encode_tokens(&refs)?;
            let mut next = Vec::new();
            for ((w, e), st) in pending.iter().zip(&enc).zip(&states) {
                self.read_window(head, texts[w.text], w, e, st, &mut probs[w.text], &mut next);
            }
            pending = next;
        }
        Ok(())
    }

    /// Adds one window's piece probabilities (those it owns) to `out` and
    /// queues the window after it, if the text goes on.
    #[allow(clippy::too_many_arguments)]
    fn read_window(
        &self,
        head: &SpanHead,
        text: &str,
        window: &Window,
        enc: &Encoded,
        states: &TokenStates,
        out: &mut Vec<TokenProbs>,
        next: &mut Vec<Window>,
    ) {
        let cont = continuation(text, window.start, enc);
        let keep_until = cont.map_or(usize::MAX, |(_, handover)| handover);
        out.extend(
            head.token_probs(enc, states, window.start)
                .into_iter()
                .filter(|t| t.start >= window.keep_from && t.start < keep_until),
        );
        if let Some((start, handover)) = cont {
            next.push(Window {
                text: window.text,
                start,
                keep_from: handover,
            });
        }
    }

    /// The model's configuration.
    pub fn config(&self) -> &TransformerConfig {
        &self.config
    }

    /// Head logits of `n` feature rows built from embeddings.
    fn head_logits(&self, features: Vec<f32>, n: usize) -> Result<Vec<Vec<f32>>> {
        let logits = self.head.logits(&features);
        if logits.len() != n {
            return Err(Error::Backend(format!(
                "head produced {} rows for {n} sentences",
                logits.len()
            )));
        }
        Ok(logits)
    }

    /// Builds the head's input of one sentence from the embeddings table.
    fn features_of(
        &self,
        input: &SentenceInput<'_>,
        emb: &[Vec<f32>],
        index: &HashMap<&str, usize>,
        out: &mut Vec<f32>,
    ) {
        let dim = self.encoder.dim();
        let mut push = |t: Option<&str>| match t.and_then(|t| index.get(t)) {
            Some(&i) => out.extend_from_slice(&emb[i]),
            None => out.extend(std::iter::repeat_n(0.0, dim)),
        };
        push(Some(input.text));
        match self.config.context {
            ContextMode::None => {}
            ContextMode::PrevNext => {
                push(input.prev);
                push(input.next);
            }
            ContextMode::Title => push(input.title),
        }
    }

    /// The texts the batch needs embedded (deduplicated).
    fn unique_texts<'a>(
        &self,
        batch: &[SentenceInput<'a>],
    ) -> (Vec<&'a str>, HashMap<&'a str, usize>) {
        let mut texts = Vec::new();
        let mut index = HashMap::new();
        let mut add = |t: Option<&'a str>| {
            if let Some(t) = t {
                index.entry(t).or_insert_with(|| {
                    texts.push(t);
                    texts.len() - 1
                });
            }
        };
        for s in batch {
            add(Some(s.text));
            match self.config.context {
                ContextMode::None => {}
                ContextMode::PrevNext => {
                    add(s.prev);
                    add(s.next);
                }
                ContextMode::Title => add(s.title),
            }
        }
        (texts, index)
    }

    /// True when the model scores a declared label set (not the devices).
    fn declared(&self) -> bool {
        self.config.label_set.is_some()
    }

    /// The calibrated `framing` probability of a row of head logits.
    fn framing_of(&self, logits: &[f32]) -> f32 {
        let z = logits[self.framing_output];
        match self.config.framing_calibration {
            Some(platt) => platt.probability(z),
            None => sigmoid(z),
        }
    }

    /// The scores of a declared label set: head output per label (0 for a
    /// label the head was not trained on), the head's `framing`, no cues.
    fn label_scores(&self, logits: &[f32]) -> SentenceScores {
        let values = self
            .label_outputs
            .iter()
            .map(|o| o.map_or(0.0, |o| sigmoid(logits[o])))
            .collect();
        SentenceScores {
            probs: LabelMap::try_from_vec(&self.labels, values).expect("one output per label"),
            framing: self.framing_of(logits),
            ..Default::default()
        }
    }

    /// Turns head logits and cue-model scores into the sentence's scores.
    fn combine(&self, text: &str, logits: &[f32], cue_scores: SentenceScores) -> SentenceScores {
        let mut probs = self.device_outputs.map(|d, out| match out {
            Some(o) => sigmoid(logits[*o]),
            None => cue_scores.prob(d),
        });
        if let Some(factor) = self.config.attributed_voice_factor {
            if is_attributed(text) {
                for d in AUTHOR_VOICE_DEVICES {
                    if self.device_outputs[d].is_some() {
                        probs[d] *= factor;
                    }
                }
            }
        }
        let thresholds = &self.config.thresholds;
        let cues = cue_scores
            .cues
            .into_iter()
            .filter(|c| probs[c.device] >= thresholds.device(c.device))
            .collect();
        let framing = self.framing_of(logits);
        let (framing, head_framing) = if self.config.coherent_framing {
            (thresholds.coherent_framing(framing, &probs), Some(framing))
        } else {
            (framing, None)
        };
        SentenceScores {
            probs: LabelMap::from_device_order(&probs),
            framing,
            cues,
            head_framing,
            ..Default::default()
        }
    }

    /// Occlusion attributions of one sentence: every word (maximal run of
    /// word pieces without whitespace between them) is replaced by `[MASK]`
    /// and the drop in the target logit is its attribution. Returns up to 3
    /// spans with a positive attribution, strongest first.
    pub fn occlusion(
        &self,
        input: &SentenceInput<'_>,
        scores: &SentenceScores,
    ) -> Result<Vec<Cue>> {
        let (device, output) = self.attribution_target(scores);
        let enc = self.encoder.tokenize(&[input.text])?;
        let Some(enc) = enc.into_iter().next() else {
            return Ok(vec![]);
        };
        // Real pieces only: special tokens have empty byte ranges.
        let words = words(
            (enc.offsets.iter().map(|&(s, e)| s..e).enumerate()).filter(|(_, b)| b.end > b.start),
        );
        if words.is_empty() {
            return Ok(vec![]);
        }
        let mask_id = self.encoder.mask_token_id();
        let variants: Vec<Encoded> = words.iter().map(|w| occlude(&enc, w, mask_id)).collect();
        let mut seqs: Vec<&Encoded> = vec![&enc];
        seqs.extend(variants.iter());
        let emb = self.encoder.embed_encoded(&seqs)?;
        let context = self.context_rows(input)?;
        let dim = self.head.config().input_dim;
        let mut feats = Vec::with_capacity(emb.len() * dim);
        for e in &emb {
            feats.extend_from_slice(e);
            feats.extend_from_slice(&context);
        }
        let logits = self.head_logits(feats, emb.len())?;
        let base = logits[0][output];
        let mut attributions: Vec<(f32, Range<usize>)> = words
            .iter()
            .zip(&logits[1..])
            .map(|(w, l)| {
                (
                    base - l[output],
                    enc.offsets[w.start].0..enc.offsets[w.end - 1].1,
                )
            })
            .filter(|(a, _)| *a > 0.0)
            .collect();
        attributions.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.start.cmp(&b.1.start)));
        Ok(attributions
            .into_iter()
            .take(3)
            .map(|(a, r)| Cue {
                device,
                start: r.start,
                end: r.end,
                pattern: "attribution:occlusion".to_string(),
                weight: a,
            })
            .collect())
    }

    /// The embeddings of the context parts of a sentence, concatenated.
    fn context_rows(&self, input: &SentenceInput<'_>) -> Result<Vec<f32>> {
        let parts: Vec<Option<&str>> = match self.config.context {
            ContextMode::None => vec![],
            ContextMode::PrevNext => vec![input.prev, input.next],
            ContextMode::Title => vec![input.title],
        };
        let dim = self.encoder.dim();
        let mut out = Vec::with_capacity(parts.len() * dim);
        for p in parts {
            match p {
                Some(t) => {
                    let e = self.encoder.embed_texts(&[t])?;
                    out.extend_from_slice(&e[0]);
                }
                None => out.extend(std::iter::repeat_n(0.0, dim)),
            }
        }
        Ok(out)
    }

    /// The device (and head output) attributions explain: the trained device
    /// with the highest probability relative to its threshold, or `framing`.
    fn attribution_target(&self, scores: &SentenceScores) -> (Device, usize) {
        let mut best: Option<(f32, Device, usize)> = None;
        for (d, out) in self.device_outputs.iter() {
            if let Some(o) = out {
                let ratio = scores.prob(d) / self.config.thresholds.device(d).max(1e-3);
                if best.is_none_or(|b| ratio > b.0) {
                    best = Some((ratio, d, *o));
                }
            }
        }
        match best {
            Some((_, d, o)) => (d, o),
            None => (Device::LoadedLanguage, self.framing_output),
        }
    }
}

fn occlude(enc: &Encoded, word: &Range<usize>, mask_id: Option<u32>) -> Encoded {
    match mask_id {
        Some(m) => {
            let mut ids = enc.ids.clone();
            for id in &mut ids[word.clone()] {
                *id = m;
            }
            Encoded {
                ids,
                offsets: enc.offsets.clone(),
            }
        }
        None => {
            let keep = |i: &usize| !word.contains(i);
            Encoded {
                ids: (0..enc.ids.len())
                    .filter(keep)
                    .map(|i| enc.ids[i])
                    .collect(),
                offsets: (0..enc.offsets.len())
                    .filter(keep)
                    .map(|i| enc.offsets[i])
                    .collect(),
            }
        }
    }
}

/// Reads and checks a transformer model's `config.json` (labels against
/// the label set, thresholds aligned to it: [`TransformerConfig::check_labels`]).
pub fn read_config(dir: &Path) -> Result<TransformerConfig> {
    let path = dir.join("config.json");
    let mut config: TransformerConfig = super::read_json(&path, "not a transformer model config")?;
    config.check_labels().map_err(|e| Error::model(&path, e))?;
    Ok(config)
}

impl Scorer for TransformerScorer {
    fn name(&self) -> &str {
        &self.name
    }

    fn score_batch(&self, batch: &[SentenceInput<'_>]) -> Result<Vec<SentenceScores>> {
        if batch.is_empty() {
            return Ok(vec![]);
        }
        let (texts, index) = self.unique_texts(batch);
        let (emb, token_probs) = self.encode_batch(&texts, batch, &index)?;
        let dim = self.head.config().input_dim;
        let mut feats = Vec::with_capacity(batch.len() * dim);
        for s in batch {
            self.features_of(s, &emb, &index, &mut feats);
        }
        let logits = self.head_logits(feats, batch.len())?;
        if self.declared() {
            return Ok(logits.iter().map(|l| self.label_scores(l)).collect());
        }
        let cue_scores = self.cues.score_batch(batch)?;
        let mut out = Vec::with_capacity(batch.len());
        for ((s, l), c) in batch.iter().zip(&logits).zip(cue_scores) {
            let mut scores = self.combine(s.text, l, c);
            if let Some(head) = &self.span_head {
                scores.tokens = token_probs[index[s.text]].clone();
                scores.spans = head.config().decode(s.text, &scores.tokens);
            }
            if self.options.explain {
                let extra = self.occlusion(s, &scores)?;
                scores.cues.extend(extra);
            }
            out.push(scores);
        }
        Ok(out)
    }

    fn thresholds(&self) -> &Thresholds {
        &self.config.thresholds
    }

    fn uses_context(&self) -> bool {
        self.config.context != ContextMode::None
    }

    fn labels(&self) -> &LabelSet {
        &self.labels
    }
}
