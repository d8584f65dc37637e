//! The int8 inference engine: the same BERT as [`super::bert`], with every
//! linear layer quantized to int8 (per-output-row weight scales, per-token
//! activation scales, int32 accumulation; see [`super::kernels`]) and no
//! padding at all.
//!
//! Sequences are not padded: the tokens of several sentences are stacked into
//! one matrix for the linear layers (which act token by token) and attention
//! runs sentence by sentence. Every number a sentence gets therefore depends
//! on that sentence alone — bit for bit, whatever batch, chunk, thread or
//! kernel (VNNI or portable) computes it.
//!
//! The float engine ([`super::bert::BertEncoder`], candle) stays the one that
//! trains; this one serves. The loss of accuracy from quantization is measured
//! in `docs/model.md` (embedding cosine and PTC dev F1).

use super::bert::{BertConfig, BertEncoder, BertModel, Encoder, Pooling, TokenStates};
use super::kernels::{self, Kernel, QMatrix, QRows};
use crate::error::{Error, Result};
use crate::tokenize::{Encoded, WordPieceTokenizer};
use candle_core::Tensor;
use std::path::Path;

use super::tensor_file::TensorFile;

/// Tokens per chunk of stacked sentences: large enough to amortise the
/// weights' trips through the cache, small enough for the activations to stay
/// in L2.
const MAX_CHUNK_TOKENS: usize = 512;
const MIN_CHUNK_TOKENS: usize = 64;

/// One quantized transformer layer.
struct QLayer {
    /// Query, key and value projections stacked (`3h × h`).
    qkv: QMatrix,
    attn_out: QMatrix,
    attn_norm: Norm,
    ff_in: QMatrix,
    ff_out: QMatrix,
    out_norm: Norm,
}

/// Layer-norm parameters.
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl QLayer {
    /// Reads and quantizes the layer whose tensors are named `name.…` in
    /// `file` (Hugging Face `BertLayer` names, `Linear` weights as
    /// `outputs × inputs`), one linear layer at a time.
    fn read(file: &TensorFile, name: &str, cfg: &BertConfig) -> Result<QLayer> {
        let (h, i) = (cfg.hidden_size, cfg.intermediate_size);
        let linears = |parts: &[&str], inputs: usize, outputs: usize| {
            let mut weight = Vec::with_capacity(parts.len() * inputs * outputs);
            let mut bias = Vec::with_capacity(parts.len() * outputs);
            for part in parts {
                weight.extend(file.floats(&format!("{name}.{part}.weight"), &[outputs, inputs])?);
                bias.extend(file.floats(&format!("{name}.{part}.bias"), &[outputs])?);
            }
            Ok::<_, Error>(QMatrix::quantize(
                &weight,
                parts.len() * outputs,
                inputs,
                &bias,
            ))
        };
        Ok(QLayer {
            qkv: linears(
                &[
                    "attention.self.query",
                    "attention.self.key",
                    "attention.self.value",
                ],
                h,
                h,
            )?,
            attn_out: linears(&["attention.output.dense"], h, h)?,
            attn_norm: Norm::read(file, &format!("{name}.attention.output.LayerNorm"), h)?,
            ff_in: linears(&["intermediate.dense"], h, i)?,
            ff_out: linears(&["output.dense"], i, h)?,
            out_norm: Norm::read(file, &format!("{name}.output.LayerNorm"), h)?,
        })
    }
}

impl Norm {
    /// Reads `name.weight` and `name.bias` (`width` values each).
    fn read(file: &TensorFile, name: &str, width: usize) -> Result<Norm> {
        Ok(Norm {
            gamma: file.floats(&format!("{name}.weight"), &[width])?,
            beta: file.floats(&format!("{name}.bias"), &[width])?,
        })
    }
}

/// Reusable buffers of one forward pass over a chunk (one set per worker).
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    tmp: Vec<f32>,
    ff: Vec<f32>,
    quant: QRows,
    attn: AttnBuf,
    /// With [`Pooling::MeanOfLayers`]: each sequence's pooled vector
    /// (`layers × hidden`, sequences stacked), filled layer by layer.
    layer_pools: Vec<f32>,
}

/// The int8 BERT encoder (pooled hidden states, [`Pooling`]).
pub struct Int8Encoder {
    tokenizer: WordPieceTokenizer,
    config: BertConfig,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<QLayer>,
    kernel: Kernel,
    pooling: Pooling,
}

fn floats(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?
        .to_dtype(candle_core::DType::F32)?
        .to_vec1()?)
}

fn norm_of(ln: &candle_nn::LayerNorm) -> Result<Norm> {
    let gamma = floats(ln.weight())?;
    let beta = match ln.bias() {
        Some(b) => floats(b)?,
        None => vec![0.0; gamma.len()],
    };
    Ok(Norm { gamma, beta })
}

/// Quantizes stacked linear layers (their outputs concatenated).
fn quantize_linears(parts: &[&candle_nn::Linear]) -> Result<QMatrix> {
    let mut weight = Vec::new();
    let mut bias = Vec::new();
    let mut rows = 0;
    let mut cols = 0;
    for l in parts {
        let (r, c) = l.weight().dims2()?;
        if cols != 0 && c != cols {
            return Err(Error::Backend("stacked layers differ in width".into()));
        }
        cols = c;
        rows += r;
        weight.extend(floats(l.weight())?);
        match l.bias() {
            Some(b) => bias.extend(floats(b)?),
            None => bias.extend(std::iter::repeat_n(0.0, r)),
        }
    }
    Ok(QMatrix::quantize(&weight, rows, cols, &bias))
}

impl Int8Encoder {
    /// Loads a base model folder like [`BertEncoder::load`] (optionally with
    /// fine-tuned top layers, which take precedence over the base's layers of
    /// the same index) straight into the quantized form, tensor by tensor,
    /// without building the float model; runs the kernel `RHETOR_KERNEL`
    /// names ([`Kernel::from_env`], an error when it is invalid), else
    /// [`Kernel::best`]. Gives the same encoder, bit for bit, as quantizing
    /// `BertEncoder::load(base, max_len, top_layers)` with [`Self::from_float`].
    pub fn load(base: &Path, max_len: usize, top_layers: Option<&Path>) -> Result<Int8Encoder> {
        let kernel = Kernel::from_env()?.unwrap_or_else(Kernel::best);
        Self::load_with_kernel(base, max_len, top_layers, kernel)
    }

    /// [`Self::load`] with an explicit kernel (which this CPU must support);
    /// the environment is not read: an explicit kernel is never overridden
    /// or refused because of `RHETOR_KERNEL`.
    pub fn load_with_kernel(
        base: &Path,
        max_len: usize,
        top_layers: Option<&Path>,
        kernel: Kernel,
    ) -> Result<Int8Encoder> {
        kernel.ensure_supported()?;
        let config = BertConfig::from_file(&base.join("config.json"))?;
        let tokenizer = WordPieceTokenizer::from_file(&base.join("tokenizer.json"), max_len)?;
        let weights = base.join("model.safetensors");
        if !weights.is_file() {
            return Err(Error::model(&weights, "missing base weights"));
        }
        if max_len > config.max_position_embeddings {
            return Err(Error::model(
                base,
                "max_len exceeds the model's max_position_embeddings",
            ));
        }
        let base_file = TensorFile::open(&weights)?;
        let top_file = top_layers.map(TensorFile::open).transpose()?;
        // The same precedence as `BertModel::load`: base names with or
        // without a `bert.` prefix; a layer comes from the top-layers file
        // (unprefixed names) when that file has its query weight.
        let prefix = if base_file.contains("bert.embeddings.word_embeddings.weight") {
            "bert."
        } else {
            ""
        };
        let (h, v) = (config.hidden_size, config.vocab_size);
        let emb = |name: &str, rows: usize| {
            base_file.floats(&format!("{prefix}embeddings.{name}.weight"), &[rows, h])
        };
        let word = emb("word_embeddings", v)?;
        let position = emb("position_embeddings", config.max_position_embeddings)?;
        let token_type = emb("token_type_embeddings", config.type_vocab_size)?;
        let emb_norm = Norm::read(&base_file, &format!("{prefix}embeddings.LayerNorm"), h)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let top_name = format!("encoder.layer.{i}");
            let (file, name) = match &top_file {
                Some(top) if top.contains(&format!("{top_name}.attention.self.query.weight")) => {
                    (top, top_name)
                }
                _ => (&base_file, format!("{prefix}encoder.layer.{i}")),
            };
            layers.push(QLayer::read(file, &name, &config)?);
        }
        if token_type.len() < h {
            return Err(Error::model(
                &weights,
                "bad weights: no token type embedding",
            ));
        }
        Ok(Int8Encoder {
            tokenizer,
            config,
            word,
            position,
            token_type: token_type[..h].to_vec(),
            emb_norm,
            layers,
            kernel,
            pooling: Pooling::default(),
        })
    }

    /// Quantizes a loaded float encoder (keeping its pooling); `kernel` must
    /// be supported by this CPU (the environment is not read).
    pub fn from_float(float: BertEncoder, kernel: Kernel) -> Result<Int8Encoder> {
        kernel.ensure_supported()?;
        let pooling = float.pooling();
        let (model, tokenizer) = float.into_parts();
        let mut encoder = Self::quantize_model(&model, tokenizer, kernel)?;
        encoder.set_pooling(pooling);
        Ok(encoder)
    }

    fn quantize_model(
        model: &BertModel,
        tokenizer: WordPieceTokenizer,
        kernel: Kernel,
    ) -> Result<Int8Encoder> {
        let cfg = model.config();
        let emb = &model.embeddings;
        let mut layers = Vec::with_capacity(model.layers.len());
        for l in &model.layers {
            layers.push(QLayer {
                qkv: quantize_linears(&[&l.query, &l.key, &l.value])?,
                attn_out: quantize_linears(&[&l.attn_out])?,
                attn_norm: norm_of(&l.attn_norm)?,
                ff_in: quantize_linears(&[&l.intermediate])?,
                ff_out: quantize_linears(&[&l.output])?,
                out_norm: norm_of(&l.out_norm)?,
            });
        }
        let token_type = floats(emb.token_type.embeddings())?;
        Ok(Int8Encoder {
            tokenizer,
            config: cfg.clone(),
            word: floats(emb.word.embeddings())?,
            position: floats(emb.position.embeddings())?,
            token_type: token_type[..cfg.hidden_size].to_vec(),
            emb_norm: norm_of(&emb.norm)?,
            layers,
            kernel,
            pooling: Pooling::default(),
        })
    }

    /// Chooses how token states become the sentence vector.
    pub fn set_pooling(&mut self, pooling: Pooling) {
        self.pooling = pooling;
    }

    /// The matrix-multiply kernel in use.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Bytes held by the quantized layer weights.
    pub fn quantized_bytes(&self) -> usize {
        self.layers
            .iter()
            .map(|l| {
                l.qkv.weight_bytes()
                    + l.attn_out.weight_bytes()
                    + l.ff_in.weight_bytes()
                    + l.ff_out.weight_bytes()
            })
            .sum()
    }

    /// Groups consecutive sequences into chunks of roughly `target` tokens.
    fn plan_chunks(seqs: &[&Encoded], target: usize) -> Vec<std::ops::Range<usize>> {
        let mut chunks = Vec::new();
        let mut start = 0;
        let mut tokens = 0;
        for (i, s) in seqs.iter().enumerate() {
            tokens += s.len();
            if tokens >= target {
                chunks.push(start..i + 1);
                start = i + 1;
                tokens = 0;
            }
        }
        if start < seqs.len() {
            chunks.push(start..seqs.len());
        }
        chunks
    }

    fn check_ids(&self, seqs: &[&Encoded]) -> Result<()> {
        for s in seqs {
            if s.len() > self.config.max_position_embeddings {
                return Err(Error::Backend(format!(
                    "sequence of {} tokens exceeds the model's {} positions",
                    s.len(),
                    self.config.max_position_embeddings
                )));
            }
            if let Some(&id) = s
                .ids
                .iter()
                .find(|&&id| id as usize >= self.config.vocab_size)
            {
                return Err(Error::Backend(format!(
                    "token id {id} outside the vocabulary ({})",
                    self.config.vocab_size
                )));
            }
        }
        Ok(())
    }

    /// Runs one chunk through the encoder, through the code path compiled for
    /// the kernel's instruction set; the last layer's token states are left
    /// in `s.x` (`tokens × hidden`, sequences stacked).
    fn forward_chunk(&self, seqs: &[&Encoded], s: &mut Scratch) {
        match self.kernel {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the constructors only accept kernels this CPU supports,
            // and AVX-512 VNNI implies the features enabled there.
            Kernel::Avx512Vnni => unsafe { self.forward_chunk_avx512(seqs, s) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above; both kernels imply AVX2.
            Kernel::Avx2 | Kernel::AvxVnni => unsafe { self.forward_chunk_avx2(seqs, s) },
            _ => self.forward_chunk_generic(seqs, s),
        }
    }

    /// The same code compiled with AVX-512 enabled, so the element-wise loops
    /// vectorize (identical float operations, hence identical results).
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512 F/BW/VNNI and AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2")]
    unsafe fn forward_chunk_avx512(&self, seqs: &[&Encoded], s: &mut Scratch) {
        self.forward_chunk_generic(seqs, s)
    }

    /// The same code compiled with AVX2 enabled (no FMA: the float
    /// operations stay exactly those of the other paths).
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn forward_chunk_avx2(&self, seqs: &[&Encoded], s: &mut Scratch) {
        self.forward_chunk_generic(seqs, s)
    }

    #[inline(always)]
    fn forward_chunk_generic(&self, seqs: &[&Encoded], s: &mut Scratch) {
        let (h, eps) = (self.config.hidden_size, self.config.layer_norm_eps as f32);
        let intermediate = self.config.intermediate_size;
        let m: usize = seqs.iter().map(|e| e.len()).sum();
        let pool_layers = self.pooling == Pooling::MeanOfLayers;
        let width = self.pooling.width(h, self.layers.len());
        if pool_layers {
            s.layer_pools.clear();
            s.layer_pools.resize(seqs.len() * width, 0.0);
        }
        self.embed_tokens(seqs, &mut s.x);
        kernels::layer_norm(&mut s.x, h, &self.emb_norm.gamma, &self.emb_norm.beta, eps);
        for (l, layer) in self.layers.iter().enumerate() {
            s.quant.quantize(&s.x, m, h);
            s.qkv.resize(m * 3 * h, 0.0);
            kernels::matmul(self.kernel, &s.quant, &layer.qkv, &mut s.qkv);
            self.attention(seqs, m, &s.qkv, &mut s.ctx, &mut s.attn);
            s.quant.quantize(&s.ctx, m, h);
            s.tmp.resize(m * h, 0.0);
            kernels::matmul(self.kernel, &s.quant, &layer.attn_out, &mut s.tmp);
            add_and_norm(&mut s.tmp, &s.x, &layer.attn_norm, h, eps);
            std::mem::swap(&mut s.x, &mut s.tmp);
            s.quant.quantize(&s.x, m, h);
            s.ff.resize(m * intermediate, 0.0);
            kernels::matmul(self.kernel, &s.quant, &layer.ff_in, &mut s.ff);
            kernels::gelu(&mut s.ff);
            s.quant.quantize(&s.ff, m, intermediate);
            kernels::matmul(self.kernel, &s.quant, &layer.ff_out, &mut s.tmp);
            add_and_norm(&mut s.tmp, &s.x, &layer.out_norm, h, eps);
            std::mem::swap(&mut s.x, &mut s.tmp);
            if pool_layers {
                let rows = s.layer_pools.chunks_exact_mut(width);
                for (pooled, out) in mean_pool(seqs, &s.x, h).into_iter().zip(rows) {
                    normalize_into(&pooled, &mut out[l * h..(l + 1) * h]);
                }
            }
        }
    }

    /// Word + position + token-type embeddings of every token, stacked.
    #[inline(always)]
    fn embed_tokens(&self, seqs: &[&Encoded], x: &mut Vec<f32>) {
        let h = self.config.hidden_size;
        x.clear();
        for seq in seqs {
            for (t, &id) in seq.ids.iter().enumerate() {
                let word = &self.word[id as usize * h..(id as usize + 1) * h];
                let pos = &self.position[t * h..(t + 1) * h];
                x.extend(
                    word.iter()
                        .zip(pos)
                        .zip(&self.token_type)
                        .map(|((w, p), ty)| (w + p) + ty),
                );
            }
        }
    }

    /// Self-attention of every sequence, head by head, from the stacked
    /// `q | k | v` rows into `ctx` (`m × h`). The keys of a head are first
    /// transposed so that a query's scores are one vectorized loop over the
    /// keys (no horizontal sums).
    #[inline(always)]
    fn attention(
        &self,
        seqs: &[&Encoded],
        m: usize,
        qkv: &[f32],
        ctx: &mut Vec<f32>,
        buf: &mut AttnBuf,
    ) {
        let (h, heads) = (self.config.hidden_size, self.config.num_attention_heads);
        let dh = h / heads;
        let width = 3 * h;
        let scale = 1.0 / (dh as f32).sqrt();
        ctx.clear();
        ctx.resize(m * h, 0.0);
        let mut start = 0;
        for seq in seqs {
            let len = seq.len();
            // Keys padded with zeros to whole 16-lane blocks.
            let padded = len.div_ceil(ATTN_LANES) * ATTN_LANES;
            let rows = &qkv[start * width..(start + len) * width];
            buf.keys_t.clear();
            buf.keys_t.resize(dh * padded, 0.0);
            buf.scores.resize(padded, 0.0);
            for head in 0..heads {
                let (qo, ko, vo) = (head * dh, h + head * dh, 2 * h + head * dh);
                for j in 0..len {
                    let k = &rows[j * width + ko..j * width + ko + dh];
                    for (d, &v) in k.iter().enumerate() {
                        buf.keys_t[d * padded + j] = v;
                    }
                }
                for i in 0..len {
                    let q = &rows[i * width + qo..i * width + qo + dh];
                    let scores = &mut buf.scores[..padded];
                    // Each 16-key block of scores stays in registers over d.
                    for (b, block) in scores
                        .as_chunks_mut::<ATTN_LANES>()
                        .0
                        .iter_mut()
                        .enumerate()
                    {
                        let mut acc = [0f32; ATTN_LANES];
                        for (d, &qd) in q.iter().enumerate() {
                            let start = d * padded + b * ATTN_LANES;
                            let k: &[f32; ATTN_LANES] = buf.keys_t[start..start + ATTN_LANES]
                                .try_into()
                                .expect("16-key block");
                            for l in 0..ATTN_LANES {
                                acc[l] += qd * k[l];
                            }
                        }
                        *block = acc;
                    }
                    let scores = &mut scores[..len];
                    for sc in scores.iter_mut() {
                        *sc *= scale;
                    }
                    kernels::softmax(scores);
                    let out = &mut ctx[(start + i) * h + qo..(start + i) * h + qo + dh];
                    kernels::weighted_sum(out, scores, |j| {
                        &rows[j * width + vo..j * width + vo + dh]
                    });
                }
            }
            start += len;
        }
    }
}

/// Lanes of the attention loops.
const ATTN_LANES: usize = 16;

/// Buffers of the attention step.
#[derive(Default)]
struct AttnBuf {
    keys_t: Vec<f32>,
    scores: Vec<f32>,
}

/// `out = layer_norm(out + residual)`.
#[inline(always)]
fn add_and_norm(out: &mut [f32], residual: &[f32], norm: &Norm, h: usize, eps: f32) {
    for (o, r) in out.iter_mut().zip(residual) {
        *o += r;
    }
    kernels::layer_norm(out, h, &norm.gamma, &norm.beta, eps);
}

/// `out = v / |v|` (zero stays zero), the float encoder's [`super::bert::l2_normalize_rows`].
#[inline(always)]
fn normalize_into(v: &[f32], out: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    for (o, x) in out.iter_mut().zip(v) {
        *o = x / norm;
    }
}

/// Mean of each sequence's token rows.
#[inline(always)]
fn mean_pool(seqs: &[&Encoded], x: &[f32], h: usize) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(seqs.len());
    let mut start = 0;
    for seq in seqs {
        let len = seq.len();
        let mut pooled = vec![0f32; h];
        for row in x[start * h..(start + len) * h].chunks_exact(h) {
            for (p, v) in pooled.iter_mut().zip(row) {
                *p += v;
            }
        }
        let inv = 1.0 / len.max(1) as f32;
        for p in &mut pooled {
            *p *= inv;
        }
        out.push(pooled);
        start += len;
    }
    out
}

impl Encoder for Int8Encoder {
    fn dim(&self) -> usize {
        self.pooling
            .width(self.config.hidden_size, self.layers.len())
    }

    fn tokenize(&self, texts: &[&str]) -> Result<Vec<Encoded>> {
        self.tokenizer.encode(texts)
    }

    fn mask_token_id(&self) -> Option<u32> {
        self.tokenizer.mask_id()
    }

    fn embed_encoded(&self, seqs: &[&Encoded]) -> Result<Vec<Vec<f32>>> {
        let width = self.dim();
        let rows = self.map_chunks(seqs, |chunk, s| self.pooled(chunk, s))?;
        Ok(rows
            .into_iter()
            .map(|r| r.unwrap_or_else(|| vec![0.0; width]))
            .collect())
    }

    fn encode_tokens(&self, seqs: &[&Encoded]) -> Result<Vec<TokenStates>> {
        let (h, width) = (self.config.hidden_size, self.dim());
        let rows = self.map_chunks(seqs, |chunk, s| {
            token_states(chunk, &s.x, h, self.pooled(chunk, s))
        })?;
        Ok(rows
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| TokenStates {
                    pooled: vec![0.0; width],
                    tokens: Vec::new(),
                })
            })
            .collect())
    }
}

impl Int8Encoder {
    /// Each sequence's pooled vector after a chunk's forward pass.
    fn pooled(&self, seqs: &[&Encoded], s: &Scratch) -> Vec<Vec<f32>> {
        match self.pooling {
            Pooling::Mean => mean_pool(seqs, &s.x, self.config.hidden_size),
            Pooling::MeanOfLayers => s
                .layer_pools
                .chunks_exact(self.dim())
                .map(<[f32]>::to_vec)
                .collect(),
        }
    }

    /// Runs the non-empty sequences through the encoder in parallel chunks
    /// and turns each chunk's buffers (last-layer states in `x`, sequences
    /// stacked) into one output per sequence with `outputs`; `None` for
    /// empty sequences.
    fn map_chunks<T: Send>(
        &self,
        seqs: &[&Encoded],
        outputs: impl Fn(&[&Encoded], &Scratch) -> Vec<T> + Sync,
    ) -> Result<Vec<Option<T>>> {
        use rayon::prelude::*;
        self.check_ids(seqs)?;
        let real: Vec<usize> = (0..seqs.len()).filter(|&i| !seqs[i].is_empty()).collect();
        let real_seqs: Vec<&Encoded> = real.iter().map(|&i| seqs[i]).collect();
        let tokens: usize = real_seqs.iter().map(|e| e.len()).sum();
        let workers = rayon::current_num_threads().max(1);
        let target = (tokens / (2 * workers)).clamp(MIN_CHUNK_TOKENS, MAX_CHUNK_TOKENS);
        let chunks = Self::plan_chunks(&real_seqs, target);
        let results: Vec<Vec<T>> = chunks
            .par_iter()
            .map_init(Scratch::default, |scratch, range| {
                let chunk = &real_seqs[range.clone()];
                self.forward_chunk(chunk, scratch);
                outputs(chunk, scratch)
            })
            .collect();
        let mut out: Vec<Option<T>> = (0..seqs.len()).map(|_| None).collect();
        for (i, row) in real.into_iter().zip(results.into_iter().flatten()) {
            out[i] = Some(row);
        }
        Ok(out)
    }
}

/// Each sequence's token rows, from the stacked states `x`, with its pooled vector.
fn token_states(seqs: &[&Encoded], x: &[f32], h: usize, pooled: Vec<Vec<f32>>) -> Vec<TokenStates> {
    let mut start = 0;
    seqs.iter()
        .zip(pooled)
        .map(|(seq, pooled)| {
            let tokens = x[start * h..(start + seq.len()) * h].to_vec();
            start += seq.len();
            TokenStates { pooled, tokens }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tiny::write_tiny_base;

    fn texts() -> Vec<&'static str> {
        vec![
            "Let us note that the evil plan is a disaster.",
            "It is.",
            "The 3 ministers said, \"this is it!\" and left; a 12-point plan (in 7 parts) followed.",
            "a",
        ]
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
        dot / (na * nb)
    }

    #[test]
    fn int8_embeddings_track_the_float_encoder() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_base(dir.path(), 3).unwrap();
        for pooling in [Pooling::Mean, Pooling::MeanOfLayers] {
            let mut float = BertEncoder::load(dir.path(), 128, None).unwrap();
            float.set_pooling(pooling);
            let want = float.embed_texts(&texts()).unwrap();
            let mut int8 = Int8Encoder::load(dir.path(), 128, None).unwrap();
            int8.set_pooling(pooling);
            assert_eq!(int8.dim(), float.dim());
            let got = int8.embed_texts(&texts()).unwrap();
            let h = int8.config.hidden_size;
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.len(), float.dim());
                assert_eq!(w.len(), float.dim());
                // Every layer's block on its own, not only the whole vector.
                for (gb, wb) in g.chunks(h).zip(w.chunks(h)) {
                    let c = cosine(gb, wb);
                    assert!(c > 0.99, "{pooling:?}: cosine {c}");
                }
            }
        }
    }

    #[test]
    fn a_sentence_gets_the_same_bits_alone_in_any_batch_and_with_any_kernel() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_base(dir.path(), 5).unwrap();
        let mut all = Vec::new();
        for (kernel, pooling) in Kernel::supported()
            .into_iter()
            .flat_map(|k| [(k, Pooling::Mean), (k, Pooling::MeanOfLayers)])
        {
            let mut enc = Int8Encoder::load_with_kernel(dir.path(), 128, None, kernel).unwrap();
            enc.set_pooling(pooling);
            let batch = enc.embed_texts(&texts()).unwrap();
            for (i, t) in texts().iter().enumerate() {
                let alone = enc.embed_texts(&[t]).unwrap();
                assert_eq!(alone[0], batch[i], "{} kernel, sentence {i}", kernel.name());
            }
            // Many copies force several chunks on several workers.
            let many: Vec<&str> = texts().iter().cycle().take(200).copied().collect();
            let big = enc.embed_texts(&many).unwrap();
            for (i, row) in big.iter().enumerate() {
                assert_eq!(row, &batch[i % texts().len()]);
            }
            all.push(batch);
        }
        // all[2k] / all[2k + 1]: kernel k's mean / mean-of-layers rows.
        let first = Kernel::supported()[0];
        for (k, pair) in Kernel::supported().iter().zip(all.chunks(2)) {
            assert_eq!(pair[0], all[0], "mean: the {k} and {first} kernels differ");
            assert_eq!(
                pair[1], all[1],
                "mean_of_layers: the {k} and {first} kernels differ"
            );
        }
    }

    /// Asserts that two encoders hold the same numbers, bit for bit.
    fn assert_same_weights(a: &Int8Encoder, b: &Int8Encoder) {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.word), bits(&b.word));
        assert_eq!(bits(&a.position), bits(&b.position));
        assert_eq!(bits(&a.token_type), bits(&b.token_type));
        assert_eq!(bits(&a.emb_norm.gamma), bits(&b.emb_norm.gamma));
        assert_eq!(bits(&a.emb_norm.beta), bits(&b.emb_norm.beta));
        assert_eq!(a.layers.len(), b.layers.len());
        for (x, y) in a.layers.iter().zip(&b.layers) {
            assert!(x.qkv == y.qkv && x.attn_out == y.attn_out);
            assert!(x.ff_in == y.ff_in && x.ff_out == y.ff_out);
            for (n, m) in [(&x.attn_norm, &y.attn_norm), (&x.out_norm, &y.out_norm)] {
                assert_eq!(bits(&n.gamma), bits(&m.gamma));
                assert_eq!(bits(&n.beta), bits(&m.beta));
            }
        }
        assert_eq!(a.config, b.config);
    }

    /// Rewrites `dir`'s weights with every name prefixed by `bert.`, and
    /// writes layer `layer` of another random base, as F16, to `top`.
    fn prefixed_base_and_f16_top(dir: &Path, top: &Path, layer: usize) {
        use candle_core::safetensors::{load, save};
        let weights = dir.join("model.safetensors");
        let tensors = load(&weights, &candle_core::Device::Cpu).unwrap();
        let prefixed: std::collections::HashMap<String, Tensor> = tensors
            .into_iter()
            .map(|(k, v)| (format!("bert.{k}"), v))
            .collect();
        save(&prefixed, &weights).unwrap();
        let other = tempfile::tempdir().unwrap();
        write_tiny_base(other.path(), 9).unwrap();
        let theirs = load(
            other.path().join("model.safetensors"),
            &candle_core::Device::Cpu,
        )
        .unwrap();
        let wanted = format!("encoder.layer.{layer}.");
        let top_layer: std::collections::HashMap<String, Tensor> = theirs
            .into_iter()
            .filter(|(k, _)| k.starts_with(&wanted))
            .map(|(k, v)| (k, v.to_dtype(candle_core::DType::F16).unwrap()))
            .collect();
        assert!(top_layer.len() >= 16);
        save(&top_layer, top).unwrap();
    }

    #[test]
    fn loading_directly_gives_the_same_encoder_as_quantizing_the_float_one() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        let top = dir.path().join("top.safetensors");
        write_tiny_base(&base, 4).unwrap();
        // Plain names, no top layers.
        let float = BertEncoder::load(&base, 128, None).unwrap();
        let via_float = Int8Encoder::from_float(float, Kernel::Portable).unwrap();
        let direct = Int8Encoder::load_with_kernel(&base, 128, None, Kernel::Portable).unwrap();
        assert_same_weights(&direct, &via_float);
        // `bert.` prefix in the base, an F16 fine-tuned layer 1 on top.
        prefixed_base_and_f16_top(&base, &top, 1);
        let float = BertEncoder::load(&base, 128, Some(&top)).unwrap();
        let via_float = Int8Encoder::from_float(float, Kernel::Portable).unwrap();
        let direct =
            Int8Encoder::load_with_kernel(&base, 128, Some(&top), Kernel::Portable).unwrap();
        assert_same_weights(&direct, &via_float);
        assert!(direct.layers[1].qkv != direct.layers[0].qkv);
        let a = direct.embed_texts(&texts()).unwrap();
        let b = via_float.embed_texts(&texts()).unwrap();
        assert_eq!(a, b);
        // The top layer really replaced the base's: without it, results differ.
        let base_only = Int8Encoder::load_with_kernel(&base, 128, None, Kernel::Portable).unwrap();
        assert!(base_only.layers[1].qkv != direct.layers[1].qkv);
        assert!(base_only.layers[0].qkv == direct.layers[0].qkv);
    }

    #[test]
    fn loading_rejects_missing_tensors_and_wrong_shapes() {
        use candle_core::safetensors::{load, save};
        let dir = tempfile::tempdir().unwrap();
        write_tiny_base(dir.path(), 2).unwrap();
        let weights = dir.path().join("model.safetensors");
        let mut tensors = load(&weights, &candle_core::Device::Cpu).unwrap();
        tensors.remove("encoder.layer.1.output.dense.bias");
        save(&tensors, &weights).unwrap();
        let e = Int8Encoder::load_with_kernel(dir.path(), 128, None, Kernel::Portable)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("encoder.layer.1.output.dense.bias"), "{e}");
        let wrong = Tensor::zeros(7, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
        tensors.insert("encoder.layer.1.output.dense.bias".into(), wrong);
        save(&tensors, &weights).unwrap();
        let e = Int8Encoder::load_with_kernel(dir.path(), 128, None, Kernel::Portable)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("shape mismatch"), "{e}");
    }

    #[test]
    fn f16_conversion_is_exact() {
        use crate::model::tensor_file::f16_to_f32;
        // Every finite f16 converts to the f32 of the same value.
        for h in 0..=u16::MAX {
            let exp = (h >> 10) & 0x1f;
            let man = f64::from(h & 0x3ff);
            let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
            let got = f16_to_f32(h);
            match exp {
                0x1f if man == 0.0 => assert_eq!(got, sign as f32 * f32::INFINITY),
                0x1f => assert!(got.is_nan()),
                0 => assert_eq!(f64::from(got), sign * man * 2f64.powi(-24), "{h:#x}"),
                _ => assert_eq!(
                    f64::from(got),
                    sign * (1.0 + man / 1024.0) * 2f64.powi(i32::from(exp) - 15),
                    "{h:#x}"
                ),
            }
        }
        assert_eq!(f16_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn chunks_cover_every_sequence_in_order() {
        let seqs: Vec<Encoded> = (1..20)
            .map(|n| Encoded {
                ids: vec![1; n],
                offsets: vec![(0, 0); n],
            })
            .collect();
        let refs: Vec<&Encoded> = seqs.iter().collect();
        let chunks = Int8Encoder::plan_chunks(&refs, 30);
        let flat: Vec<usize> = chunks.iter().flat_map(|r| r.clone()).collect();
        assert_eq!(flat, (0..refs.len()).collect::<Vec<_>>());
        assert!(chunks.len() > 3);
    }

    #[test]
    fn out_of_vocabulary_ids_are_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_base(dir.path(), 1).unwrap();
        let enc = Int8Encoder::load(dir.path(), 128, None).unwrap();
        let bad = Encoded {
            ids: vec![2, 999_999, 3],
            offsets: vec![(0, 0); 3],
        };
        assert!(enc.embed_encoded(&[&bad]).is_err());
    }
}
