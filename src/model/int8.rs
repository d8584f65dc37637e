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

use super::bert::{BertEncoder, BertModel, Encoder};
use super::kernels::{self, Kernel, QMatrix, QRows};
use crate::error::{Error, Result};
use crate::tokenize::{Encoded, WordPieceTokenizer};
use candle_core::Tensor;
use std::path::Path;

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
}

/// The int8 BERT encoder (mean-pooled last hidden states).
pub struct Int8Encoder {
    tokenizer: WordPieceTokenizer,
    hidden: usize,
    heads: usize,
    intermediate: usize,
    vocab: usize,
    max_positions: usize,
    eps: f32,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<QLayer>,
    kernel: Kernel,
}

fn floats(t: &Tensor) -> Result<Vec<f32>> {
    t.flatten_all()
        .and_then(|t| t.to_dtype(candle_core::DType::F32))
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(Error::from)
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
        let (r, c) = l.weight().dims2().map_err(Error::from)?;
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
    /// fine-tuned top layers) and quantizes it, using the fastest kernel this
    /// CPU supports.
    pub fn load(base: &Path, max_len: usize, top_layers: Option<&Path>) -> Result<Int8Encoder> {
        let float = BertEncoder::load(base, max_len, top_layers)?;
        Int8Encoder::from_float(float, Kernel::detect())
    }

    /// Quantizes a loaded float encoder; `kernel` must be supported by this CPU.
    pub fn from_float(float: BertEncoder, kernel: Kernel) -> Result<Int8Encoder> {
        if !kernel.is_supported() {
            return Err(Error::Backend(format!(
                "the {} kernel is not supported by this CPU",
                kernel.name()
            )));
        }
        let (model, tokenizer) = float.into_parts();
        Self::quantize_model(&model, tokenizer, kernel)
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
            hidden: cfg.hidden_size,
            heads: cfg.num_attention_heads,
            intermediate: cfg.intermediate_size,
            vocab: cfg.vocab_size,
            max_positions: cfg.max_position_embeddings,
            eps: cfg.layer_norm_eps as f32,
            word: floats(emb.word.embeddings())?,
            position: floats(emb.position.embeddings())?,
            token_type: token_type[..cfg.hidden_size].to_vec(),
            emb_norm: norm_of(&emb.norm)?,
            layers,
            kernel,
        })
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
            if s.len() > self.max_positions {
                return Err(Error::Backend(format!(
                    "sequence of {} tokens exceeds the model's {} positions",
                    s.len(),
                    self.max_positions
                )));
            }
            if let Some(&id) = s.ids.iter().find(|&&id| id as usize >= self.vocab) {
                return Err(Error::Backend(format!(
                    "token id {id} outside the vocabulary ({})",
                    self.vocab
                )));
            }
        }
        Ok(())
    }

    /// Pooled embeddings of one chunk, dispatched to the kernel's code path.
    fn forward_chunk(&self, seqs: &[&Encoded], s: &mut Scratch) -> Vec<Vec<f32>> {
        #[cfg(target_arch = "x86_64")]
        if self.kernel == Kernel::Avx512Vnni {
            // SAFETY: `from_float` only accepts kernels this CPU supports.
            return unsafe { self.forward_chunk_avx512(seqs, s) };
        }
        self.forward_chunk_generic(seqs, s)
    }

    /// The same code compiled with AVX-512 enabled, so the element-wise loops
    /// vectorize (identical float operations, hence identical results).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2")]
    unsafe fn forward_chunk_avx512(&self, seqs: &[&Encoded], s: &mut Scratch) -> Vec<Vec<f32>> {
        self.forward_chunk_generic(seqs, s)
    }

    #[inline(always)]
    fn forward_chunk_generic(&self, seqs: &[&Encoded], s: &mut Scratch) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let m: usize = seqs.iter().map(|e| e.len()).sum();
        self.embed_tokens(seqs, &mut s.x);
        kernels::layer_norm(
            &mut s.x,
            h,
            &self.emb_norm.gamma,
            &self.emb_norm.beta,
            self.eps,
        );
        for layer in &self.layers {
            s.quant.quantize(&s.x, m, h);
            s.qkv.resize(m * 3 * h, 0.0);
            kernels::matmul(self.kernel, &s.quant, &layer.qkv, &mut s.qkv);
            self.attention(seqs, m, &s.qkv, &mut s.ctx, &mut s.attn);
            s.quant.quantize(&s.ctx, m, h);
            s.tmp.resize(m * h, 0.0);
            kernels::matmul(self.kernel, &s.quant, &layer.attn_out, &mut s.tmp);
            add_and_norm(&mut s.tmp, &s.x, &layer.attn_norm, h, self.eps);
            std::mem::swap(&mut s.x, &mut s.tmp);
            s.quant.quantize(&s.x, m, h);
            s.ff.resize(m * self.intermediate, 0.0);
            kernels::matmul(self.kernel, &s.quant, &layer.ff_in, &mut s.ff);
            kernels::gelu(&mut s.ff);
            s.quant.quantize(&s.ff, m, self.intermediate);
            kernels::matmul(self.kernel, &s.quant, &layer.ff_out, &mut s.tmp);
            add_and_norm(&mut s.tmp, &s.x, &layer.out_norm, h, self.eps);
            std::mem::swap(&mut s.x, &mut s.tmp);
        }
        mean_pool(seqs, &s.x, h)
    }

    /// Word + position + token-type embeddings of every token, stacked.
    #[inline(always)]
    fn embed_tokens(&self, seqs: &[&Encoded], x: &mut Vec<f32>) {
        let h = self.hidden;
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
        let h = self.hidden;
        let dh = h / self.heads;
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
            for head in 0..self.heads {
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
        self.hidden
    }

    fn tokenize(&self, texts: &[&str]) -> Result<Vec<Encoded>> {
        self.tokenizer.encode(texts)
    }

    fn mask_token_id(&self) -> Option<u32> {
        self.tokenizer.mask_id()
    }

    fn embed_encoded(&self, seqs: &[&Encoded]) -> Result<Vec<Vec<f32>>> {
        use rayon::prelude::*;
        self.check_ids(seqs)?;
        let (empty, real): (Vec<usize>, Vec<usize>) =
            (0..seqs.len()).partition(|&i| seqs[i].is_empty());
        let real_seqs: Vec<&Encoded> = real.iter().map(|&i| seqs[i]).collect();
        let tokens: usize = real_seqs.iter().map(|e| e.len()).sum();
        let workers = rayon::current_num_threads().max(1);
        let target = (tokens / (2 * workers)).clamp(MIN_CHUNK_TOKENS, MAX_CHUNK_TOKENS);
        let chunks = Self::plan_chunks(&real_seqs, target);
        let pooled: Vec<Vec<Vec<f32>>> = chunks
            .par_iter()
            .map_init(Scratch::default, |scratch, range| {
                self.forward_chunk(&real_seqs[range.clone()], scratch)
            })
            .collect();
        let mut out = vec![Vec::new(); seqs.len()];
        for (i, row) in real.into_iter().zip(pooled.into_iter().flatten()) {
            out[i] = row;
        }
        for i in empty {
            out[i] = vec![0.0; self.hidden];
        }
        Ok(out)
    }
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
        let float = BertEncoder::load(dir.path(), 128, None).unwrap();
        let want = float.embed_texts(&texts()).unwrap();
        let int8 = Int8Encoder::load(dir.path(), 128, None).unwrap();
        let got = int8.embed_texts(&texts()).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.len(), w.len());
            let c = cosine(g, w);
            assert!(c > 0.99, "cosine {c}");
        }
    }

    #[test]
    fn a_sentence_gets_the_same_bits_alone_in_any_batch_and_with_any_kernel() {
        let dir = tempfile::tempdir().unwrap();
        write_tiny_base(dir.path(), 5).unwrap();
        let mut all = Vec::new();
        for kernel in [Kernel::Portable, Kernel::detect()] {
            let float = BertEncoder::load(dir.path(), 128, None).unwrap();
            let enc = Int8Encoder::from_float(float, kernel).unwrap();
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
        assert_eq!(all[0], all[1], "portable and detected kernels differ");
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
