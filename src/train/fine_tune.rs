//! Fine-tuning of the encoder's top layers together with the head: the
//! hidden states entering the top `k` layers are computed once and cached
//! (fp16), then each epoch runs only those layers, with seeded dropout.

use super::checkpoint;
use super::data::Split;
use super::optim::{
    head_probs, head_train_forward, init_head, init_linear, linear_vars, loss_weights,
    seeded_dropout, vars_of, weighted_bce, Adam, HeadVars,
};
use super::transformer::{progress_bar, BestEpoch, FineTuned, Fitted, Trainer};
use crate::error::{Error, Result};
use crate::model::bert::{
    mean_pool, plan_batches, BertEncoder, BertLayer, BertModel, Encoder, MAX_BATCH_TOKENS,
};
use crate::model::head::{ContextMode, Head};
use crate::model::span_head::{self, SpanHead, SpanHeadConfig};
use crate::taxonomy::Device;
use crate::tokenize::Encoded;
use candle_core::{DType, Device as CDevice, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

impl Trainer {
    /// Fine-tunes the top `fine_tune_top` layers, the head and (with span
    /// labels) the span head together; keeps the epoch with the best dev
    /// score. Checkpoints after every epoch into `<out>/checkpoint/`; with
    /// `resume` it continues from there, or stops early with `stop_after`.
    pub(super) fn fine_tune(&mut self, out: &Path) -> Result<FineTuned> {
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
        let span_devices = self.span_devices();
        let cache = self.cached_hidden(&needed, &span_devices)?;
        let dim = self.encoder.dim();
        let cfg = self.head_config(dim);
        let head_map = VarMap::new();
        init_head(&head_map, cfg, &mut self.rng)?;
        let head_vars = HeadVars::from_varmap(&head_map, cfg)?;
        let span_map = VarMap::new();
        if !span_devices.is_empty() {
            init_linear(
                &span_map,
                "span_head",
                span_devices.len() + 1,
                dim,
                &mut self.rng,
            )?;
        }
        let span_vars = (!span_devices.is_empty())
            .then(|| linear_vars(&span_map, "span_head"))
            .transpose()?;
        // Sentences → text ids (context none: one text per sentence).
        let line_text: Vec<usize> = self.train.rows.iter().map(|r| r[0].unwrap_or(0)).collect();
        let total_steps = self.opts.epochs * self.batches_per_epoch(&line_text, &cache.lens);
        let schedule = self.opts.schedule;
        let mut opts = [
            Adam::new(&head_map, self.opts.lr, self.opts.weight_decay)?,
            Adam::new(&top.varmap, self.opts.encoder_lr, self.opts.weight_decay)?,
            Adam::new(&span_map, self.opts.lr, self.opts.weight_decay)?,
        ]
        .map(|opt| opt.with_schedule(schedule, total_steps));
        let maps = [&head_map, &top.varmap, &span_map];
        let (pos_w, out_w) = loss_weights(&self.train, &self.trained, &self.opts)?;
        let span_pos_w = span_pos_weights(&cache, &span_devices, self.opts.max_pos_weight)?;
        let dev_texts = self.dev.needed_texts();
        let mut best = BestEpoch::new(self.opts.patience);
        let ckpt = checkpoint::dir_of(out);
        let fingerprint = self.fingerprint()?;
        let mut first_epoch = 1;
        if self.opts.resume {
            let (meta, tensors) = checkpoint::load(&ckpt, &fingerprint)?;
            restore_vars(&maps, &tensors)?;
            for (i, opt) in opts.iter_mut().enumerate() {
                opt.restore(&format!("opt{i}."), &tensors, meta.steps[i])?;
            }
            best.restore(meta.best, prefixed(&tensors, "best."));
            first_epoch = meta.epoch + 1;
        }
        let epoch_rows = self.train.epoch_rows(self.opts.voice_oversample).len();
        let pb = progress_bar(
            self.opts.epochs * epoch_rows,
            "fine-tuning",
            self.opts.progress,
        );
        pb.inc(((first_epoch - 1) * epoch_rows) as u64);
        let mut finished = first_epoch > self.opts.epochs;
        let mut last_epoch = first_epoch - 1;
        for epoch in first_epoch..=self.opts.epochs {
            self.rng = checkpoint::epoch_rng(self.opts.seed, epoch);
            let mut total_loss = 0.0;
            let mut n = 0;
            for batch in &self.epoch_batches(&line_text, &cache.lens) {
                let group: Vec<usize> = batch.iter().map(|&l| line_text[l]).collect();
                let dropout = self.opts.dropout;
                let (states, mask) =
                    forward_top(&top, &cache, &group, true, dropout, Some(&mut self.rng))?;
                let pooled = mean_pool(&states, &mask)?;
                let logits = head_train_forward(&head_vars, &pooled, dropout, &mut self.rng)?;
                let (y, known) = self.train.batch_targets(batch)?;
                let mut loss = weighted_bce(&logits, &y, &known, &pos_w, &out_w)?;
                if let Some(vars) = &span_vars {
                    if let Some(span) = span_loss(vars, &states, &cache, &group, &span_pos_w)? {
                        loss = (loss + (span * f64::from(self.opts.span_weight))?)?;
                    }
                }
                let grads = loss.backward()?;
                for opt in &mut opts {
                    opt.step(&grads)?;
                }
                total_loss += loss.to_scalar::<f32>()? as f64;
                n += 1;
                pb.inc(batch.len() as u64);
            }
            let emb = embed_through(&top, &cache, self.texts.len(), Some(&dev_texts))?;
            let x = self.dev.features(&emb, dim);
            let xt = Tensor::from_vec(x, (self.dev.len(), dim), &CDevice::Cpu)?;
            let head = Head::new(
                cfg,
                VarBuilder::from_varmap(&head_map, DType::F32, &CDevice::Cpu),
            )?;
            let f1 = self.dev_score(&head_probs(&head, &xt)?);
            self.report_epoch(&pb, epoch, total_loss / n.max(1) as f64, f1);
            let go_on = best.record(epoch, f1, || snapshot(&maps))?;
            if !go_on || epoch == self.opts.epochs {
                finished = true;
                break;
            }
            let mut tensors = snapshot(&maps)?;
            let mut steps = Vec::new();
            for (i, opt) in opts.iter().enumerate() {
                let (state, step) = opt.state(&format!("opt{i}."));
                tensors.extend(state);
                steps.push(step);
            }
            let best_state = best.state();
            if let Some((_, _, weights)) = &best_state {
                tensors.extend(
                    weights
                        .iter()
                        .map(|(n, t)| (format!("best.{n}"), t.clone())),
                );
            }
            let meta = checkpoint::Meta {
                fingerprint: fingerprint.clone(),
                epoch,
                steps,
                best: best_state.map(|(f, e, _)| (f, e)),
            };
            checkpoint::save(&ckpt, &meta, &tensors)?;
            last_epoch = epoch;
            if self.opts.stop_after == Some(epoch + 1 - first_epoch) {
                break;
            }
        }
        pb.finish_and_clear();
        if !finished {
            return Ok(FineTuned::Stopped { epoch: last_epoch });
        }
        let (epoch, weights) = best.into_best()?;
        let head_t = prefixed(&weights, "head.");
        let head_t = head_t
            .into_iter()
            .map(|(n, t)| (format!("head.{n}"), t))
            .collect();
        let vb = VarBuilder::from_tensors(head_t, DType::F32, &CDevice::Cpu);
        let head = Head::new(cfg, vb)?;
        let layers = (0..k)
            .map(|i| prefixed(&weights, &format!("encoder.layer.{i}.")))
            .collect();
        let span_head = (!span_devices.is_empty())
            .then(|| span_head_of(&weights, &span_devices))
            .transpose()?;
        Ok(FineTuned::Fitted(Box::new(Fitted {
            head,
            layers,
            span_head,
            epoch,
        })))
    }

    /// The devices the span head learns: the trained PTC techniques, when
    /// some training text has span labels and the span loss counts.
    fn span_devices(&self) -> Vec<Device> {
        if self.opts.span_weight <= 0.0 || !self.span_labels.iter().any(Option::is_some) {
            return Vec::new();
        }
        Device::ALL
            .into_iter()
            .filter(|d| d.is_ptc() && self.trained[d.index()])
            .collect()
    }

    /// The training sentences of one epoch grouped by bucket length (the
    /// groups [`Trainer::epoch_batches`] cuts into batches).
    fn length_groups(&self, line_text: &[usize], lens: &[usize]) -> BTreeMap<usize, Vec<usize>> {
        let mut by_len: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for l in self.train.epoch_rows(self.opts.voice_oversample) {
            by_len.entry(lens[line_text[l]]).or_default().push(l);
        }
        by_len
    }

    /// How many batches [`Trainer::epoch_batches`] makes (the same every
    /// epoch: the grouping by length does not depend on the shuffle).
    fn batches_per_epoch(&self, line_text: &[usize], lens: &[usize]) -> usize {
        let size = self.opts.batch_size.max(1);
        self.length_groups(line_text, lens)
            .values()
            .map(|group| group.len().div_ceil(size))
            .sum()
    }

    /// One epoch's mini-batches of training sentences: sentences of the same
    /// bucket length, shuffled within and across lengths.
    fn epoch_batches(&mut self, line_text: &[usize], lens: &[usize]) -> Vec<Vec<usize>> {
        let size = self.opts.batch_size.max(1);
        let mut batches: Vec<Vec<usize>> = Vec::new();
        for mut group in self.length_groups(line_text, lens).into_values() {
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
        let hidden = self.cached_hidden(&split.needed_texts(), &[])?;
        embed_through(&top, &hidden, self.texts.len(), None)
    }

    /// Hidden states entering the fine-tuned layers for the `needed` texts,
    /// with the span head's per-piece targets of texts that have span labels.
    fn cached_hidden(&self, needed: &[usize], span_devices: &[Device]) -> Result<HiddenCache> {
        let layers = self.encoder.model().num_layers();
        let upto = layers - self.opts.fine_tune_top.min(layers);
        let mut cache = cache_hidden(
            &self.encoder,
            &self.texts,
            needed,
            upto,
            self.opts.progress,
            |text, seq| match (span_devices.is_empty(), &self.span_labels[text]) {
                (false, Some(labels)) => Some(labels.piece_targets(seq, span_devices)),
                _ => None,
            },
        )?;
        cache.span_width = span_devices.len() + 1;
        Ok(cache)
    }
}

/// Hidden states entering layer `upto` of the `needed` texts (indices into
/// `texts`; other texts get no entry), with per-text span targets from
/// `span_of` (text index, its encoding). `span_width` is 1 (set it when
/// `span_of` gives targets).
pub(super) fn cache_hidden(
    encoder: &BertEncoder,
    texts: &[String],
    needed: &[usize],
    upto: usize,
    progress: bool,
    mut span_of: impl FnMut(usize, &Encoded) -> Option<(Vec<f32>, Vec<f32>)>,
) -> Result<HiddenCache> {
    let refs: Vec<&str> = needed.iter().map(|&i| texts[i].as_str()).collect();
    let enc = encoder.tokenize(&refs)?;
    let seqs: Vec<&Encoded> = enc.iter().collect();
    let mut states = vec![None; texts.len()];
    let mut spans = vec![None; texts.len()];
    let mut lens = vec![0; texts.len()];
    let pb = progress_bar(seqs.len(), "caching lower layers", progress);
    for plan in plan_batches(&seqs, MAX_BATCH_TOKENS) {
        let group: Vec<&Encoded> = plan.iter().map(|&i| seqs[i]).collect();
        let (h, m) = encoder.hidden_states(&group, upto)?;
        let h = h.to_dtype(DType::F16)?;
        for (row, &i) in plan.iter().enumerate() {
            let text = needed[i];
            states[text] = Some((h.get(row)?, m.get(row)?));
            lens[text] = seqs[i].bucket_len();
            spans[text] = span_of(text, seqs[i]);
        }
        pb.inc(plan.len() as u64);
    }
    pb.finish_and_clear();
    Ok(HiddenCache {
        states,
        spans,
        lens,
        span_width: 1,
    })
}

/// Hidden states entering the top layers, per text (`t × h`, real tokens only, padded
/// to the text's bucket length so batches reproduce inference exactly).
pub(super) struct HiddenCache {
    /// Per text: (hidden `bucket × h`, float mask `bucket`), `None` if not needed.
    states: Vec<Option<(Tensor, Tensor)>>,
    /// Per text with span labels: per-piece span targets (`bucket × span_width`)
    /// and their mask (`bucket`), see `SpanLabels::piece_targets`.
    spans: Vec<Option<(Vec<f32>, Vec<f32>)>>,
    /// Per text: its bucket length (0 when not needed).
    pub(super) lens: Vec<usize>,
    /// Span head outputs: span devices + `any`.
    span_width: usize,
}

/// Trainable copies of the top layers.
pub(super) struct TopLayers {
    layers: Vec<BertLayer>,
    pub(super) varmap: VarMap,
}

pub(super) fn build_layers(
    encoder: &BertEncoder,
    layers: &[HashMap<String, Tensor>],
) -> Result<TopLayers> {
    let varmap = VarMap::new();
    {
        let mut data = vars_of(&varmap)?;
        for (k, layer) in layers.iter().enumerate() {
            for (name, t) in layer {
                let t = t.to_dtype(DType::F32)?;
                data.insert(format!("encoder.layer.{k}.{name}"), Var::from_tensor(&t)?);
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
pub(super) fn base_top_layers(
    base: &Path,
    total: usize,
    k: usize,
) -> Result<Vec<HashMap<String, Tensor>>> {
    let weights = base.join("model.safetensors");
    let all = candle_core::safetensors::load(&weights, &CDevice::Cpu)
        .map_err(|e| Error::model(&weights, format!("cannot read weights: {e}")))?;
    let layer = |i: usize| {
        let prefix = format!("encoder.layer.{i}.");
        all.iter()
            .filter_map(|(n, t)| {
                let n = n.strip_prefix("bert.").unwrap_or(n);
                n.strip_prefix(&prefix).map(|r| (r.to_string(), t.clone()))
            })
            .collect()
    };
    Ok((total - k..total).map(layer).collect())
}

/// Runs cached hidden states of some texts through the top layers and pools
/// them; returns an embeddings table indexed by text (empty rows for others).
pub(super) fn embed_through(
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
        let (states, mask) = forward_top(top, cache, &group, false, 0.0, None)?;
        let rows = mean_pool(&states, &mask).and_then(|p| p.to_vec2::<f32>())?;
        for (row, &i) in rows.into_iter().zip(&group) {
            out[i] = row;
        }
    }
    Ok(out)
}

pub(super) fn group_by_len(ids: &[usize], lens: &[usize], max_tokens: usize) -> Vec<Vec<usize>> {
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

/// Last-layer states (`n × t × h`) and the float mask (`n × t`) of the top
/// layers for a group of same-length texts.
pub(super) fn forward_top(
    top: &TopLayers,
    cache: &HiddenCache,
    group: &[usize],
    train: bool,
    dropout: f32,
    rng: Option<&mut StdRng>,
) -> candle_core::Result<(Tensor, Tensor)> {
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
    Ok((x, mask))
}

/// Current values of every trainable variable, by name (`head.*`,
/// `encoder.layer.{k}.*`, `span_head.*`), copied.
pub(super) fn snapshot(maps: &[&VarMap]) -> Result<HashMap<String, Tensor>> {
    let mut out = HashMap::new();
    for map in maps {
        for (name, var) in vars_of(map)?.iter() {
            out.insert(name.clone(), var.as_tensor().copy()?);
        }
    }
    Ok(out)
}

/// Sets every variable of `maps` from a checkpoint's tensors of the same name.
pub(super) fn restore_vars(maps: &[&VarMap], tensors: &HashMap<String, Tensor>) -> Result<()> {
    for map in maps {
        for (name, var) in vars_of(map)?.iter() {
            let t = tensors
                .get(name)
                .ok_or_else(|| Error::Config(format!("checkpoint lacks `{name}`")))?;
            var.set(t)?;
        }
    }
    Ok(())
}

/// The tensors whose names start with `prefix`, with the prefix removed.
pub(super) fn prefixed(tensors: &HashMap<String, Tensor>, prefix: &str) -> HashMap<String, Tensor> {
    tensors
        .iter()
        .filter_map(|(n, t)| n.strip_prefix(prefix).map(|r| (r.to_string(), t.clone())))
        .collect()
}

/// The span head of a snapshot (threshold 0.5 until tuned on dev).
fn span_head_of(weights: &HashMap<String, Tensor>, devices: &[Device]) -> Result<SpanHead> {
    let get = |name: &str| -> Result<Vec<f32>> {
        let t = weights.get(name);
        let t = t.ok_or_else(|| Error::Backend(format!("missing variable {name}")))?;
        Ok(t.flatten_all()?.to_vec1()?)
    };
    let config = SpanHeadConfig::new(devices.to_vec(), 0.5);
    SpanHead::new(config, get(span_head::WEIGHT)?, get(span_head::BIAS)?)
}

/// Positive weights of the span outputs: `neg/pos` over the labelled
/// training pieces, capped.
fn span_pos_weights(cache: &HiddenCache, devices: &[Device], cap: f32) -> Result<Tensor> {
    let width = devices.len() + 1;
    let mut pos = vec![0f64; width];
    let mut n = 0f64;
    for (targets, mask) in cache.spans.iter().flatten() {
        for (row, m) in targets.chunks(width).zip(mask) {
            if *m > 0.0 {
                n += 1.0;
                for (p, t) in pos.iter_mut().zip(row) {
                    *p += f64::from(*t);
                }
            }
        }
    }
    let w: Vec<f32> = pos
        .iter()
        .map(|&p| {
            if p > 0.0 {
                (((n - p) / p) as f32).clamp(1.0, cap)
            } else {
                1.0
            }
        })
        .collect();
    Ok(Tensor::new(w.as_slice(), &CDevice::Cpu)?)
}

/// The span loss of a batch: class-weighted BCE of the span head's logits
/// on every labelled piece, averaged over those pieces; `None` when no text
/// of the batch has span labels.
fn span_loss(
    vars: &(Var, Var),
    states: &Tensor,
    cache: &HiddenCache,
    group: &[usize],
    pos_w: &Tensor,
) -> Result<Option<Tensor>> {
    if group.iter().all(|&i| cache.spans[i].is_none()) {
        return Ok(None);
    }
    let (b, t, _) = states.dims3()?;
    let width = cache.span_width;
    let mut y = Vec::with_capacity(b * t * width);
    let mut mask = Vec::with_capacity(b * t);
    for &i in group {
        match &cache.spans[i] {
            Some((targets, m)) => {
                y.extend_from_slice(targets);
                mask.extend_from_slice(m);
            }
            None => {
                y.extend(std::iter::repeat_n(0.0, t * width));
                mask.extend(std::iter::repeat_n(0.0, t));
            }
        }
    }
    let labelled: f32 = mask.iter().sum();
    if labelled == 0.0 {
        return Ok(None);
    }
    let loss = || -> candle_core::Result<Tensor> {
        let (w, bias) = vars;
        let x = states.reshape((b * t, states.dim(2)?))?;
        let logits = x
            .matmul(&w.as_tensor().t()?)?
            .broadcast_add(bias.as_tensor())?;
        let y = Tensor::from_vec(y, (b * t, width), &CDevice::Cpu)?;
        let known = Tensor::from_vec(mask, (b * t, 1), &CDevice::Cpu)?
            .broadcast_as((b * t, width))?
            .contiguous()?;
        let out_w = Tensor::ones(width, DType::F32, &CDevice::Cpu)?;
        weighted_bce(&logits, &y, &known, pos_w, &out_w)? * ((b * t) as f64 / f64::from(labelled))
    };
    loss().map(Some).map_err(Error::from)
}
