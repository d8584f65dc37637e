//! Fine-tuning of the encoder's top layers together with the head: the
//! hidden states entering the top `k` layers are computed once and cached
//! (fp16), then each epoch runs only those layers, with seeded dropout.

use super::data::Split;
use super::optim::{
    adamw, head_probs, head_train_forward, init_head, loss_weights, seeded_dropout, vars_of,
    weighted_bce, HeadVars,
};
use super::transformer::{progress_bar, BestEpoch, Fitted, Trainer};
use crate::error::{Error, Result};
use crate::model::bert::{
    mean_pool, plan_batches, BertEncoder, BertLayer, BertModel, Encoder, MAX_BATCH_TOKENS,
};
use crate::model::head::{ContextMode, Head};
use crate::tokenize::Encoded;
use candle_core::{DType, Device as CDevice, Tensor, Var};
use candle_nn::{Optimizer, VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

impl Trainer {
    /// Fine-tunes the top `fine_tune_top` layers and the head together; keeps
    /// the epoch with the best dev framing F1.
    pub(super) fn fine_tune(&mut self) -> Result<Fitted> {
        if self.opts.context != ContextMode::None {
            return Err(Error::Config(
                "fine-tuning supports only --context none".into(),
            ));
        }
        let total = self.encoder.model().num_layers();
        let k = self.opts.fine_tune_top.min(total);
        let top = build_layers(&self.encoder, &base_top_layers(&self.base, total, k)?)?;
        let mut needed = [self.train.needed_texts(), self.dev.needed_texts()].concat();
        needed.sort_unstable();
        needed.dedup();
        let cache = self.cached_hidden(&needed)?;
        let dim = self.encoder.dim();
        let cfg = self.head_config(dim);
        let head_map = VarMap::new();
        init_head(&head_map, cfg, &mut self.rng)?;
        let head_vars = HeadVars::from_varmap(&head_map, cfg)?;
        let mut head_opt = adamw(head_map.all_vars(), self.opts.lr, self.opts.weight_decay)?;
        let mut enc_opt = adamw(
            top.varmap.all_vars(),
            self.opts.encoder_lr,
            self.opts.weight_decay,
        )?;
        let (pos_w, out_w) = loss_weights(&self.train, &self.trained, &self.opts)?;
        // Sentences → text ids (context none: one text per sentence).
        let line_text: Vec<usize> = self.train.rows.iter().map(|r| r[0].unwrap_or(0)).collect();
        let dev_texts = self.dev.needed_texts();
        let mut best = BestEpoch::new(self.opts.patience);
        let pb = progress_bar(
            self.opts.epochs * self.train.epoch_rows(self.opts.voice_oversample).len(),
            "fine-tuning",
            self.opts.progress,
        );
        for epoch in 1..=self.opts.epochs {
            let mut total_loss = 0.0;
            let mut n = 0;
            for batch in &self.epoch_batches(&line_text, &cache.lens) {
                let group: Vec<usize> = batch.iter().map(|&l| line_text[l]).collect();
                let dropout = self.opts.dropout;
                let pooled = forward_top(&top, &cache, &group, true, dropout, Some(&mut self.rng))
                    .map_err(Error::from)?;
                let logits = head_train_forward(&head_vars, &pooled, dropout, &mut self.rng)
                    .map_err(Error::from)?;
                let (y, known) = self.train.batch_targets(batch)?;
                let loss =
                    weighted_bce(&logits, &y, &known, &pos_w, &out_w).map_err(Error::from)?;
                let grads = loss.backward().map_err(Error::from)?;
                head_opt.step(&grads).map_err(Error::from)?;
                enc_opt.step(&grads).map_err(Error::from)?;
                total_loss += loss.to_scalar::<f32>().map_err(Error::from)? as f64;
                n += 1;
                pb.inc(batch.len() as u64);
            }
            let emb = embed_through(&top, &cache, self.texts.len(), Some(&dev_texts))?;
            let x = self.dev.features(&emb, dim);
            let xt =
                Tensor::from_vec(x, (self.dev.len(), dim), &CDevice::Cpu).map_err(Error::from)?;
            let head = Head::new(
                cfg,
                VarBuilder::from_varmap(&head_map, DType::F32, &CDevice::Cpu),
            )?;
            let f1 = self.dev_score(&head_probs(&head, &xt)?);
            self.report_epoch(&pb, epoch, total_loss / n.max(1) as f64, f1);
            if !best.record(epoch, f1, || Ok((head.tensors(), layer_tensors(&top, k)?)))? {
                break;
            }
        }
        pb.finish_and_clear();
        let (epoch, (head_t, layers)) = best.into_best()?;
        let vb = VarBuilder::from_tensors(head_t, DType::F32, &CDevice::Cpu);
        let head = Head::new(cfg, vb)?;
        Ok(Fitted {
            head,
            layers,
            epoch,
        })
    }

    /// One epoch's mini-batches of training sentences: sentences of the same
    /// bucket length, shuffled within and across lengths.
    fn epoch_batches(&mut self, line_text: &[usize], lens: &[usize]) -> Vec<Vec<usize>> {
        let mut by_len: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for l in self.train.epoch_rows(self.opts.voice_oversample) {
            by_len.entry(lens[line_text[l]]).or_default().push(l);
        }
        let size = self.opts.batch_size.max(1);
        let mut batches: Vec<Vec<usize>> = Vec::new();
        for mut group in by_len.into_values() {
            group.shuffle(&mut self.rng);
            batches.extend(group.chunks(size).map(<[usize]>::to_vec));
        }
        batches.shuffle(&mut self.rng);
        batches
    }

    /// Embeddings of the texts `split` needs through fine-tuned top layers
    /// (other rows empty).
    pub(super) fn fine_tuned_embeddings(
        &self,
        layers: &[HashMap<String, Tensor>],
        split: &Split,
    ) -> Result<Vec<Vec<f32>>> {
        let top = build_layers(&self.encoder, layers)?;
        let hidden = self.cached_hidden(&split.needed_texts())?;
        embed_through(&top, &hidden, self.texts.len(), None)
    }

    /// Hidden states entering the fine-tuned layers for the `needed` texts.
    fn cached_hidden(&self, needed: &[usize]) -> Result<HiddenCache> {
        let encoder = &self.encoder;
        let layers = encoder.model().num_layers();
        let upto = layers - self.opts.fine_tune_top.min(layers);
        let refs: Vec<&str> = needed.iter().map(|&i| self.texts[i].as_str()).collect();
        let enc = encoder.tokenize(&refs)?;
        let seqs: Vec<&Encoded> = enc.iter().collect();
        let mut states = vec![None; self.texts.len()];
        let mut lens = vec![0; self.texts.len()];
        let pb = progress_bar(seqs.len(), "caching lower layers", self.opts.progress);
        for plan in plan_batches(&seqs, MAX_BATCH_TOKENS) {
            let group: Vec<&Encoded> = plan.iter().map(|&i| seqs[i]).collect();
            let (h, m) = encoder.hidden_states(&group, upto)?;
            let h = h.to_dtype(DType::F16).map_err(Error::from)?;
            for (row, &i) in plan.iter().enumerate() {
                let text = needed[i];
                let hr = h.get(row).map_err(Error::from)?;
                let mr = m.get(row).map_err(Error::from)?;
                states[text] = Some((hr, mr));
                lens[text] = seqs[i].bucket_len();
            }
            pb.inc(plan.len() as u64);
        }
        pb.finish_and_clear();
        Ok(HiddenCache { states, lens })
    }
}

/// Hidden states entering the top layers, per text (`t × h`, real tokens only, padded
/// to the text's bucket length so batches reproduce inference exactly).
struct HiddenCache {
    /// Per text: (hidden `bucket × h`, float mask `bucket`), `None` if not needed.
    states: Vec<Option<(Tensor, Tensor)>>,
    lens: Vec<usize>,
}

/// Trainable copies of the top layers.
struct TopLayers {
    layers: Vec<BertLayer>,
    varmap: VarMap,
}

fn build_layers(encoder: &BertEncoder, layers: &[HashMap<String, Tensor>]) -> Result<TopLayers> {
    let varmap = VarMap::new();
    {
        let mut data = vars_of(&varmap)?;
        for (k, layer) in layers.iter().enumerate() {
            for (name, t) in layer {
                let t = t.to_dtype(DType::F32).map_err(Error::from)?;
                data.insert(
                    format!("encoder.layer.{k}.{name}"),
                    Var::from_tensor(&t).map_err(Error::from)?,
                );
            }
        }
    }
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &CDevice::Cpu);
    let cfg = encoder.model().config();
    let layers = (0..layers.len())
        .map(|k| BertLayer::load(cfg, vb.pp(format!("encoder.layer.{k}"))).map_err(Error::from))
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
        let pooled = forward_top(top, cache, &group, false, 0.0, None).map_err(Error::from)?;
        let rows = pooled.to_vec2::<f32>().map_err(Error::from)?;
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

/// Current values of the trainable layers (names relative to each layer).
fn layer_tensors(top: &TopLayers, k: usize) -> Result<Vec<HashMap<String, Tensor>>> {
    let data = vars_of(&top.varmap)?;
    let mut out = vec![HashMap::new(); k];
    for (name, var) in data.iter() {
        if let Some(rest) = name.strip_prefix("encoder.layer.") {
            if let Some((idx, field)) = rest.split_once('.') {
                if let Ok(i) = idx.parse::<usize>() {
                    if i < k {
                        out[i].insert(
                            field.to_string(),
                            var.as_tensor().copy().map_err(Error::from)?,
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}
