//! The transformer encoder: a compact BERT implementation on `candle-nn`,
//! behind the [`Encoder`] trait (texts → pooled sentence embeddings). Loading
//! whole models is [`super::load`]'s job.
//!
//! Why our own BERT rather than `candle-transformers`' one: it is ~250 lines,
//! avoids compiling the whole `candle-transformers` model zoo, and exposes what
//! training needs — running a *range* of layers (so the frozen lower layers'
//! outputs can be cached and only the top layers fine-tuned) and a training
//! mode whose ops all have gradients (`softmax` / `layer_norm` composed from
//! differentiable primitives instead of the fused inference kernels).

use crate::error::{Error, Result};
use crate::tokenize::{Encoded, TokenBatch, WordPieceTokenizer};
use candle_core::{DType, Device as CDevice, Module, Tensor, D};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

/// The part of a Hugging Face BERT `config.json` the encoder needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Width of the hidden states.
    pub hidden_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Number of attention heads.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Number of position embeddings.
    pub max_position_embeddings: usize,
    /// Number of token types (segments).
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    /// Epsilon of the layer norms.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// Activation of the feed-forward layer.
    #[serde(default)]
    pub hidden_act: Activation,
}

/// The feed-forward activation. Only the exact (erf) GELU is implemented, by
/// both engines; a config naming another (`gelu_new`, `relu`, …) is rejected
/// on load rather than run with the wrong function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Activation {
    /// `gelu`: x · Φ(x) with the error function.
    #[default]
    #[serde(rename = "gelu")]
    Gelu,
}

fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

impl BertConfig {
    /// Reads a `config.json`.
    pub fn from_file(path: &Path) -> Result<BertConfig> {
        let cfg: BertConfig = super::read_json(path, "not a BERT config rhetor can run")?;
        if cfg.num_attention_heads == 0 || !cfg.hidden_size.is_multiple_of(cfg.num_attention_heads)
        {
            return Err(Error::model(
                path,
                "hidden_size must be a multiple of num_attention_heads",
            ));
        }
        Ok(cfg)
    }
}

fn layer_norm(size: usize, eps: f64, vb: VarBuilder) -> candle_core::Result<LayerNorm> {
    let weight = vb.get(size, "weight")?;
    let bias = vb.get(size, "bias")?;
    Ok(LayerNorm::new(weight, bias, eps))
}

/// Layer norm; in training mode composed of differentiable primitives.
fn apply_layer_norm(ln: &LayerNorm, x: &Tensor, train: bool) -> candle_core::Result<Tensor> {
    if train {
        let bias = ln.bias().cloned().unwrap_or(ln.weight().zeros_like()?);
        candle_nn::ops::layer_norm_slow(x, ln.weight(), &bias, 1e-12)
    } else {
        ln.forward(x)
    }
}

/// The embedding layer (word + position + token type, then layer norm).
pub(crate) struct BertEmbeddings {
    pub(crate) word: Embedding,
    pub(crate) position: Embedding,
    pub(crate) token_type: Embedding,
    pub(crate) norm: LayerNorm,
}

impl BertEmbeddings {
    fn load(cfg: &BertConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let embedding =
            |rows: usize, name: &str| candle_nn::embedding(rows, cfg.hidden_size, vb.pp(name));
        Ok(BertEmbeddings {
            word: embedding(cfg.vocab_size, "word_embeddings")?,
            position: embedding(cfg.max_position_embeddings, "position_embeddings")?,
            token_type: embedding(cfg.type_vocab_size, "token_type_embeddings")?,
            norm: layer_norm(cfg.hidden_size, cfg.layer_norm_eps, vb.pp("LayerNorm"))?,
        })
    }

    fn forward(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        let (_b, t) = ids.dims2()?;
        let positions = Tensor::arange(0u32, t as u32, ids.device())?;
        let types = ids.zeros_like()?;
        let x = self.word.forward(ids)?;
        let x = x.broadcast_add(&self.position.forward(&positions)?.unsqueeze(0)?)?;
        let x = x.broadcast_add(&self.token_type.forward(&types)?)?;
        self.norm.forward(&x)
    }
}

/// One transformer layer (self-attention + feed-forward, post-norm).
pub struct BertLayer {
    pub(crate) query: Linear,
    pub(crate) key: Linear,
    pub(crate) value: Linear,
    pub(crate) attn_out: Linear,
    pub(crate) attn_norm: LayerNorm,
    pub(crate) intermediate: Linear,
    pub(crate) output: Linear,
    pub(crate) out_norm: LayerNorm,
    heads: usize,
}

impl BertLayer {
    /// Loads layer weights under `vb` (`attention.self.query`, …).
    pub fn load(cfg: &BertConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let h = cfg.hidden_size;
        let i = cfg.intermediate_size;
        Ok(BertLayer {
            query: candle_nn::linear(h, h, vb.pp("attention.self.query"))?,
            key: candle_nn::linear(h, h, vb.pp("attention.self.key"))?,
            value: candle_nn::linear(h, h, vb.pp("attention.self.value"))?,
            attn_out: candle_nn::linear(h, h, vb.pp("attention.output.dense"))?,
            attn_norm: layer_norm(h, cfg.layer_norm_eps, vb.pp("attention.output.LayerNorm"))?,
            intermediate: candle_nn::linear(h, i, vb.pp("intermediate.dense"))?,
            output: candle_nn::linear(i, h, vb.pp("output.dense"))?,
            out_norm: layer_norm(h, cfg.layer_norm_eps, vb.pp("output.LayerNorm"))?,
            heads: cfg.num_attention_heads,
        })
    }

    /// Runs the layer on `x` (`b × t × h`) with the additive attention bias
    /// `bias` (`b × 1 × 1 × t`: 0 for tokens, a large negative for padding).
    pub fn forward(&self, x: &Tensor, bias: &Tensor, train: bool) -> candle_core::Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let dh = h / self.heads;
        let split = |y: Tensor| -> candle_core::Result<Tensor> {
            y.reshape((b, t, self.heads, dh))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.query.forward(x)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (dh as f64).sqrt())?.broadcast_add(bias)?;
        let probs = if train {
            candle_nn::ops::softmax(&scores, D::Minus1)?
        } else {
            candle_nn::ops::softmax_last_dim(&scores)?
        };
        let ctx = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, t, h))?;
        let attn = apply_layer_norm(&self.attn_norm, &(self.attn_out.forward(&ctx)? + x)?, train)?;
        let ff = self.intermediate.forward(&attn)?.gelu_erf()?;
        let out = (self.output.forward(&ff)? + &attn)?;
        apply_layer_norm(&self.out_norm, &out, train)
    }
}

/// A BERT encoder.
pub struct BertModel {
    pub(crate) embeddings: BertEmbeddings,
    pub(crate) layers: Vec<BertLayer>,
    config: BertConfig,
    device: CDevice,
}

impl BertModel {
    /// Loads the model from `vb` (tensor names as in Hugging Face `BertModel`,
    /// with or without a `bert.` prefix). Layers listed in `overrides` are
    /// taken from the given builders instead (fine-tuned top layers).
    pub fn load(
        cfg: &BertConfig,
        vb: VarBuilder,
        overrides: &[(usize, VarBuilder)],
    ) -> candle_core::Result<BertModel> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let embeddings = BertEmbeddings::load(cfg, vb.pp("embeddings"))?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let layer = match overrides.iter().find(|(j, _)| *j == i) {
                Some((_, ovb)) => BertLayer::load(cfg, ovb.pp(format!("encoder.layer.{i}")))?,
                None => BertLayer::load(cfg, vb.pp(format!("encoder.layer.{i}")))?,
            };
            layers.push(layer);
        }
        Ok(BertModel {
            embeddings,
            layers,
            config: cfg.clone(),
            device: vb.device().clone(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The candle device the weights live on.
    pub fn device(&self) -> &CDevice {
        &self.device
    }

    /// Number of layers.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Token ids and attention bias tensors of a batch.
    pub fn batch_tensors(&self, batch: &TokenBatch) -> candle_core::Result<(Tensor, Tensor)> {
        let ids = Tensor::from_slice(&batch.ids, (batch.batch, batch.seq_len), &self.device)?;
        let mask = Tensor::from_slice(&batch.mask, (batch.batch, batch.seq_len), &self.device)?
            .to_dtype(DType::F32)?;
        Ok((ids, mask))
    }

    /// The additive attention bias (`b × 1 × 1 × t`) of a float mask (`b × t`).
    pub fn attention_bias(mask: &Tensor) -> candle_core::Result<Tensor> {
        ((mask.ones_like()? - mask)? * -1e4)?
            .unsqueeze(1)?
            .unsqueeze(1)
    }

    /// The embedding layer's output (`b × t × h`).
    pub fn embed(&self, ids: &Tensor) -> candle_core::Result<Tensor> {
        self.embeddings.forward(ids)
    }

    /// Runs layers `range` on hidden states `x`.
    pub fn run_layers(
        &self,
        x: &Tensor,
        bias: &Tensor,
        range: Range<usize>,
    ) -> candle_core::Result<Tensor> {
        let mut x = x.clone();
        for layer in &self.layers[range.start..range.end.min(self.layers.len())] {
            x = layer.forward(&x, bias, false)?;
        }
        Ok(x)
    }

    /// The last hidden states of a batch (`b × t × h`) and its float mask (`b × t`).
    pub fn forward(&self, batch: &TokenBatch) -> candle_core::Result<(Tensor, Tensor)> {
        let (ids, mask) = self.batch_tensors(batch)?;
        let bias = Self::attention_bias(&mask)?;
        let x = self.embed(&ids)?;
        let x = self.run_layers(&x, &bias, 0..self.layers.len())?;
        Ok((x, mask))
    }
}

/// How token states become one sentence vector (`pooling` in a model's
/// `config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Pooling {
    /// `mean`: the mean of the last layer's token states under the attention
    /// mask (`hidden` wide).
    #[default]
    #[serde(rename = "mean")]
    Mean,
    /// `mean_of_layers`: the mean token state after every encoder layer, each
    /// scaled to unit length, concatenated from the first layer to the last
    /// (`layers × hidden` wide). The lower layers keep surface and syntactic
    /// cues that the last one has partly given up; measured in
    /// docs/codebook-curve.md.
    #[serde(rename = "mean_of_layers")]
    MeanOfLayers,
}

impl Pooling {
    /// Width of the pooled vector of an encoder `hidden` wide with `layers` layers.
    pub fn width(self, hidden: usize, layers: usize) -> usize {
        match self {
            Pooling::Mean => hidden,
            Pooling::MeanOfLayers => hidden * layers,
        }
    }
}

/// Rows of `x` (`b × d`) scaled to unit Euclidean length (a zero row stays zero).
pub fn l2_normalize_rows(x: &Tensor) -> candle_core::Result<Tensor> {
    let norm = x.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    x.broadcast_div(&norm)
}

/// Mean of the hidden states over real tokens: `b × t × h`, `b × t` → `b × h`.
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let m = mask.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&m)?.sum(1)?;
    let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
    summed.broadcast_div(&counts)
}

/// Texts (or token batches) → pooled sentence embeddings. Implemented by the
/// candle BERT ([`BertEncoder`]); another backend (e.g. rust-bert behind a
/// cargo feature) would implement the same trait.
pub trait Encoder: Send + Sync {
    /// Width of the embeddings.
    fn dim(&self) -> usize;
    /// Tokenizes texts.
    fn tokenize(&self, texts: &[&str]) -> Result<Vec<Encoded>>;
    /// Id of the mask token used by occlusion attributions (`None`: occlude by deletion).
    fn mask_token_id(&self) -> Option<u32> {
        None
    }
    /// Pooled embeddings of already tokenized sequences, one row per sequence, in order.
    fn embed_encoded(&self, seqs: &[&Encoded]) -> Result<Vec<Vec<f32>>>;
    /// Pooled embeddings of texts, one row per text, in order.
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let enc = self.tokenize(texts)?;
        let refs: Vec<&Encoded> = enc.iter().collect();
        self.embed_encoded(&refs)
    }
    /// Pooled embeddings and last-layer token states of already tokenized
    /// sequences, one per sequence, in order. The pooled rows are exactly
    /// those of [`Encoder::embed_encoded`].
    fn encode_tokens(&self, seqs: &[&Encoded]) -> Result<Vec<TokenStates>>;
}

/// One sequence's encoder output: its pooled embedding and the last layer's
/// state of every token (special tokens included), as the span head reads them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TokenStates {
    /// The mean-pooled embedding (`dim`).
    pub pooled: Vec<f32>,
    /// Token states, row-major `len × dim` (`len` = the sequence's tokens).
    pub tokens: Vec<f32>,
}

/// Maximum number of (padded) tokens in one forward batch.
pub const MAX_BATCH_TOKENS: usize = 4096;

/// Groups sequence indices into batches: sorted by length, each batch holding
/// sequences of one bucket length and at most [`MAX_BATCH_TOKENS`] tokens.
pub fn plan_batches(seqs: &[&Encoded], max_tokens: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..seqs.len()).collect();
    order.sort_by_key(|&i| (seqs[i].bucket_len(), i));
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut current_len = 0;
    for i in order {
        let len = seqs[i].bucket_len();
        let full = (current.len() + 1) * len > max_tokens.max(len);
        if !current.is_empty() && (len != current_len || full) {
            batches.push(std::mem::take(&mut current));
        }
        current_len = len;
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// How [`BertEncoder`] groups sequences into forward passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Batching {
    /// One forward pass per sequence, sequences spread over the CPU cores:
    /// a sequence's embedding is bit-for-bit the same whatever else is
    /// encoded with it (the matrix-multiply blocking depends on the number of
    /// rows, so batching changes float rounding in the last bits).
    #[default]
    Exact,
    /// Sequences of the same padded length share forward passes (up to
    /// [`MAX_BATCH_TOKENS`] tokens): a little faster, equal up to float rounding.
    Bucketed,
}

/// The BERT encoder with its tokenizer: pooled hidden states ([`Pooling`]).
pub struct BertEncoder {
    model: BertModel,
    tokenizer: WordPieceTokenizer,
    max_batch_tokens: usize,
    batching: Batching,
    pooling: Pooling,
}

impl BertEncoder {
    /// Loads a base model folder (`config.json`, `tokenizer.json`,
    /// `model.safetensors`, memory-mapped), optionally replacing some layers by
    /// fine-tuned ones from `top_layers` (a safetensors file).
    pub fn load(base: &Path, max_len: usize, top_layers: Option<&Path>) -> Result<BertEncoder> {
        let config = BertConfig::from_file(&base.join("config.json"))?;
        let tokenizer = WordPieceTokenizer::from_file(&base.join("tokenizer.json"), max_len)?;
        let weights = base.join("model.safetensors");
        if !weights.is_file() {
            return Err(Error::model(&weights, "missing base weights"));
        }
        let device = CDevice::Cpu;
        // SAFETY: the file is only read; rhetor never writes model files while
        // they are mapped (a concurrent external writer is the user's problem,
        // as with any mmap-based loader).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
            .map_err(|e| Error::model(&weights, format!("cannot map weights: {e}")))?;
        let mut overrides = Vec::new();
        if let Some(top) = top_layers {
            // SAFETY: as above.
            let tvb = unsafe { VarBuilder::from_mmaped_safetensors(&[top], DType::F32, &device) }
                .map_err(|e| Error::model(top, format!("cannot map weights: {e}")))?;
            for i in 0..config.num_hidden_layers {
                if tvb.contains_tensor(&format!("encoder.layer.{i}.attention.self.query.weight")) {
                    overrides.push((i, tvb.clone()));
                }
            }
        }
        let model = BertModel::load(&config, vb, &overrides)
            .map_err(|e| Error::model(&weights, format!("bad weights: {e}")))?;
        if max_len > config.max_position_embeddings {
            return Err(Error::model(
                base,
                "max_len exceeds the model's max_position_embeddings",
            ));
        }
        Ok(BertEncoder {
            model,
            tokenizer,
            max_batch_tokens: MAX_BATCH_TOKENS,
            batching: Batching::default(),
            pooling: Pooling::default(),
        })
    }

    /// The underlying model.
    pub fn model(&self) -> &BertModel {
        &self.model
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &WordPieceTokenizer {
        &self.tokenizer
    }

    /// The model and the tokenizer (for building another engine from them).
    pub(crate) fn into_parts(self) -> (BertModel, WordPieceTokenizer) {
        (self.model, self.tokenizer)
    }

    /// Chooses how sequences are grouped into forward passes.
    pub fn set_batching(&mut self, batching: Batching) {
        self.batching = batching;
    }

    /// Chooses how token states become the sentence vector.
    pub fn set_pooling(&mut self, pooling: Pooling) {
        self.pooling = pooling;
    }

    /// How token states become the sentence vector.
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// The last hidden states (`b × t × h`) of a batch and its pooled
    /// sentence vectors (`b × dim`).
    fn forward_pooled(&self, batch: &TokenBatch) -> Result<(Tensor, Tensor)> {
        match self.pooling {
            Pooling::Mean => {
                let (hidden, mask) = self.model.forward(batch)?;
                let pooled = mean_pool(&hidden, &mask)?;
                Ok((hidden, pooled))
            }
            Pooling::MeanOfLayers => {
                let (ids, mask) = self.model.batch_tensors(batch)?;
                let bias = BertModel::attention_bias(&mask)?;
                let mut x = self.model.embed(&ids)?;
                let mut parts = Vec::with_capacity(self.model.num_layers());
                for layer in &self.model.layers {
                    x = layer.forward(&x, &bias, false)?;
                    parts.push(l2_normalize_rows(&mean_pool(&x, &mask)?)?);
                }
                Ok((x, Tensor::cat(&parts, 1)?))
            }
        }
    }

    /// The last hidden states (`1 × t × h`) and the pooled embedding of one
    /// sequence (its own forward pass).
    fn forward_one(&self, seq: &Encoded) -> Result<(Tensor, Vec<f32>)> {
        let (hidden, pooled) = self.forward_pooled(&TokenBatch::from_encoded(&[seq]))?;
        Ok((hidden, pooled.squeeze(0)?.to_vec1::<f32>()?))
    }

    /// Pooled embedding and token states of one sequence (its own forward pass).
    fn encode_one(&self, seq: &Encoded) -> Result<TokenStates> {
        let (hidden, pooled) = self.forward_one(seq)?;
        let tokens = hidden
            .squeeze(0)?
            .narrow(0, 0, seq.len())?
            .flatten_all()?
            .to_vec1::<f32>()?;
        Ok(TokenStates { pooled, tokens })
    }

    /// Runs one uniform-length batch and returns the hidden states after layer
    /// `upto` (exclusive end of the layer range) plus the float mask.
    pub fn hidden_states(&self, seqs: &[&Encoded], upto: usize) -> Result<(Tensor, Tensor)> {
        let batch = TokenBatch::from_encoded(seqs);
        let (ids, mask) = self.model.batch_tensors(&batch)?;
        let bias = BertModel::attention_bias(&mask)?;
        let x = self.model.embed(&ids)?;
        Ok((self.model.run_layers(&x, &bias, 0..upto)?, mask))
    }
}

impl Encoder for BertEncoder {
    fn dim(&self) -> usize {
        self.pooling
            .width(self.model.config.hidden_size, self.model.num_layers())
    }

    fn tokenize(&self, texts: &[&str]) -> Result<Vec<Encoded>> {
        self.tokenizer.encode(texts)
    }

    fn mask_token_id(&self) -> Option<u32> {
        self.tokenizer.mask_id()
    }

    fn embed_encoded(&self, seqs: &[&Encoded]) -> Result<Vec<Vec<f32>>> {
        if self.batching == Batching::Exact {
            use rayon::prelude::*;
            return seqs
                .par_iter()
                .map(|s| Ok(self.forward_one(s)?.1))
                .collect();
        }
        let mut out = vec![Vec::new(); seqs.len()];
        for plan in plan_batches(seqs, self.max_batch_tokens) {
            let group: Vec<&Encoded> = plan.iter().map(|&i| seqs[i]).collect();
            let (_, pooled) = self.forward_pooled(&TokenBatch::from_encoded(&group))?;
            let pooled = pooled.to_vec2::<f32>()?;
            for (row, i) in pooled.into_iter().zip(plan) {
                out[i] = row;
            }
        }
        Ok(out)
    }

    fn encode_tokens(&self, seqs: &[&Encoded]) -> Result<Vec<TokenStates>> {
        use rayon::prelude::*;
        seqs.par_iter().map(|s| self.encode_one(s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_of_layers_concatenates_every_layer_at_unit_length_ending_with_the_last() {
        let dir = tempfile::tempdir().unwrap();
        crate::model::tiny::write_tiny_base(dir.path(), 3).unwrap();
        let texts = ["Let us note that the plan is a disaster.", "It is."];
        let mut enc = BertEncoder::load(dir.path(), 128, None).unwrap();
        let last = enc.embed_texts(&texts).unwrap();
        let h = enc.dim();
        enc.set_pooling(Pooling::MeanOfLayers);
        let layers = enc.model().num_layers();
        assert_eq!(enc.dim(), h * layers);
        for batching in [Batching::Exact, Batching::Bucketed] {
            enc.set_batching(batching);
            let got = enc.embed_texts(&texts).unwrap();
            for (row, last) in got.iter().zip(&last) {
                assert_eq!(row.len(), h * layers);
                for block in row.chunks(h) {
                    let norm: f32 = block.iter().map(|x| x * x).sum::<f32>().sqrt();
                    assert!((norm - 1.0).abs() < 1e-4, "block norm {norm}");
                }
                let n: f32 = last.iter().map(|x| x * x).sum::<f32>().sqrt();
                for (a, b) in row[(layers - 1) * h..].iter().zip(last) {
                    assert!((a - b / n).abs() < 1e-4, "{batching:?}: {a} vs {}", b / n);
                }
            }
        }
    }

    fn config_with(act: &str) -> Result<BertConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let json = format!(
            r#"{{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
                "num_attention_heads": 2, "intermediate_size": 16,
                "max_position_embeddings": 16{act}}}"#
        );
        std::fs::write(&path, json).unwrap();
        BertConfig::from_file(&path)
    }

    #[test]
    fn gelu_is_read_and_is_the_default() {
        assert_eq!(
            config_with(r#", "hidden_act": "gelu""#).unwrap().hidden_act,
            Activation::Gelu
        );
        assert_eq!(config_with("").unwrap().hidden_act, Activation::Gelu);
    }

    #[test]
    fn other_activations_are_rejected_by_name() {
        for act in ["gelu_new", "gelu_pytorch_tanh", "relu"] {
            let err = config_with(&format!(r#", "hidden_act": "{act}""#))
                .unwrap_err()
                .to_string();
            assert!(err.contains(act), "{err}");
        }
    }
}
