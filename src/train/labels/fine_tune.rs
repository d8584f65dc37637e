//! `rhetor train --labels … --fine-tune-top K`: the top `k` encoder layers
//! are trained together with the head.
//!
//! The hidden states entering the top layers are computed once and cached
//! (fp16, see [`cache_hidden`]); each epoch runs only those layers. One run
//! chooses the epoch (early stopping on the selection macro-F1) and each
//! label's threshold on a stratified hold-out of the training file (a share
//! of the distinct sentences, duplicates kept together, stratified by
//! `framing`), or on the dev file when one is given. The model of the best
//! epoch is written as it is (trained on the rest of the file): retraining
//! on every row would double the time. The figures are the hold-out's (or
//! dev's), slightly optimistic as the epoch and thresholds were chosen on them.

use super::{
    best_thresholds, figures, framing_as_the_label, loss_weights, selection_score, Coded,
    DuplicateGroups, LabelModel, LabelOutcome, LabelReport, LabelTrainer,
};
use crate::error::{Error, Result};
use crate::io::coded::CodedFile;
use crate::model::bert::{mean_pool, Encoder};
use crate::model::head::{Head, HeadConfig};
use crate::train::checkpoint;
use crate::train::fine_tune::{
    base_top_layers, build_layers, cache_hidden, embed_through, forward_top, prefixed, snapshot,
    HiddenCache, TopLayers,
};
use crate::train::optim::{
    head_probs, head_train_forward, init_head, weighted_bce, Adam, HeadVars,
};
use crate::train::transformer::progress_bar;
use candle_core::{DType, Device as CDevice, Tensor};
use candle_nn::{VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Epochs without a better selection score before stopping.
const PATIENCE: usize = 2;
/// Most sentences per fine-tuning batch.
pub const MAX_FINE_TUNE_BATCH: usize = 16;
/// Most fine-tuning epochs.
pub const MAX_FINE_TUNE_EPOCHS: usize = 6;

/// A stratified hold-out of `texts`: `true` for the rows held out. Identical
/// texts are held out together; the distinct texts are shuffled with `seed`,
/// then `share` of the positive (`strata`) and of the negative ones are held
/// out (rounded, at least one of a stratum with two or more texts).
pub(super) fn holdout_of(texts: &[&str], strata: &[bool], share: f64, seed: u64) -> Vec<bool> {
    let groups = DuplicateGroups::new(texts, strata, seed);
    let mut held = vec![false; groups.stratum.len()];
    for stratum in [true, false] {
        let members = groups.shuffled_in(stratum);
        let mut n = (share * members.len() as f64).round() as usize;
        if n == 0 && share > 0.0 && members.len() >= 2 {
            n = 1;
        }
        for &g in members.iter().take(n.min(members.len().saturating_sub(1))) {
            held[g] = true;
        }
    }
    groups.of_row.iter().map(|&g| held[g]).collect()
}

/// `file` with only the rows `keep` says.
fn subset(file: &CodedFile, keep: impl Fn(usize) -> bool) -> CodedFile {
    let mut out = file.clone();
    out.rows = file
        .rows
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, r)| r.clone())
        .collect();
    out
}

/// What fine-tuning produced: the best epoch's head and layers (names
/// relative to the layer), with the selection probabilities.
struct Best {
    score: f64,
    epoch: usize,
    weights: HashMap<String, Tensor>,
    probs: Vec<Vec<f32>>,
}

impl LabelTrainer<'_> {
    /// Fine-tunes the top `opts.fine_tune_top` layers and the head (see the
    /// module documentation).
    pub(super) fn run_fine_tune(&self, out: &Path) -> Result<(LabelOutcome, Option<LabelModel>)> {
        let opts = &self.opts;
        let total = self.encoder.model().num_layers();
        let k = opts.fine_tune_top.min(total);
        let n = self.train.rows.len();
        // The rows trained on, and the rows choosing the epoch and thresholds.
        let (fit_file, sel_file, selection) = match self.dev {
            Some(dev) => (self.train.clone(), dev.clone(), "dev file".to_string()),
            None => {
                let strata: Vec<bool> = self
                    .train
                    .rows
                    .iter()
                    .map(|r| r.labels.contains(&Some(true)))
                    .collect();
                let texts: Vec<&str> = self.train.rows.iter().map(|r| r.text.as_str()).collect();
                let held = holdout_of(&texts, &strata, opts.holdout, opts.seed);
                (
                    subset(self.train, |i| !held[i]),
                    subset(self.train, |i| held[i]),
                    format!(
                        "a stratified hold-out of the training file ({} of {n} rows)",
                        held.iter().filter(|h| **h).count()
                    ),
                )
            }
        };
        let fit = Coded::new(&fit_file, &[]);
        let sel = Coded::new(&sel_file, &[]);
        let test_file = self.test;
        // Text ids: fit rows, then selection rows, then test rows.
        let mut texts: Vec<String> = Vec::new();
        for f in [Some(&fit_file), Some(&sel_file), test_file]
            .into_iter()
            .flatten()
        {
            texts.extend(f.rows.iter().map(|r| r.text.clone()));
        }
        let fit_ids: Vec<usize> = (0..fit.len()).collect();
        let sel_ids: Vec<usize> = (fit.len()..fit.len() + sel.len()).collect();
        let test_ids: Vec<usize> = (fit.len() + sel.len()..texts.len()).collect();
        let all_ids: Vec<usize> = (0..texts.len()).collect();
        let cache = cache_hidden(
            &self.encoder,
            &texts,
            &all_ids,
            total - k,
            opts.progress,
            |_, _| None,
        )?;
        let top = build_layers(&self.encoder, &base_top_layers(&self.base, total, k)?)?;
        let cfg = HeadConfig {
            input_dim: self.encoder.dim(),
            hidden: opts.hidden,
            outputs: fit.outputs,
        };
        let best = self.fine_tune_epochs(&fit, &sel, &cache, &top, cfg, &fit_ids, &sel_ids)?;
        let head_t: HashMap<String, Tensor> = prefixed(&best.weights, "head.")
            .into_iter()
            .map(|(n, t)| (format!("head.{n}"), t))
            .collect();
        let mut head = Head::new(
            cfg,
            VarBuilder::from_tensors(head_t, DType::F32, &CDevice::Cpu),
        )?;
        let layers: Vec<HashMap<String, Tensor>> = (0..k)
            .map(|i| prefixed(&best.weights, &format!("encoder.layer.{i}.")))
            .collect();
        let mut thresholds: Vec<f32> = best_thresholds(&sel, &best.probs)
            .iter()
            .map(|b| b.0)
            .collect();
        let mut chosen = figures(&sel, &best.probs, &thresholds);
        if fit.outputs == 2 {
            head = framing_as_the_label(&head, &mut thresholds, &mut chosen)?;
        }
        let test = match test_file {
            Some(file) => {
                let data = Coded::new(file, &[]);
                let top = build_layers(&self.encoder, &layers)?;
                let probs = probs_through(&head, &top, &cache, texts.len(), &test_ids)?;
                Some(figures(&data, &probs, &thresholds))
            }
            None => None,
        };
        checkpoint::remove(&checkpoint::dir_of(out))?;
        let report = LabelReport {
            selection,
            epochs: best.epoch,
            figures: chosen,
            test,
            train_counts: self.train.counts(),
            seconds: self.started.elapsed().as_secs_f64(),
        };
        let outcome = LabelOutcome::Finished(Box::new(report.clone()));
        Ok((
            outcome,
            Some(LabelModel {
                head,
                thresholds,
                layers,
                top_start: total - k,
                report,
            }),
        ))
    }

    /// Trains the head and the top layers on `fit_ids` for up to
    /// [`MAX_FINE_TUNE_EPOCHS`] epochs (at most `opts.epochs`), scoring the
    /// selection rows after each; the best epoch's weights and probabilities.
    #[allow(clippy::too_many_arguments)]
    fn fine_tune_epochs(
        &self,
        fit: &Coded,
        sel: &Coded,
        cache: &HiddenCache,
        top: &TopLayers,
        cfg: HeadConfig,
        fit_ids: &[usize],
        sel_ids: &[usize],
    ) -> Result<Best> {
        let opts = &self.opts;
        let mut rng = StdRng::seed_from_u64(opts.seed);
        let head_map = VarMap::new();
        init_head(&head_map, cfg, &mut rng)?;
        let head_vars = HeadVars::from_varmap(&head_map, cfg)?;
        let mut optims = [
            Adam::new(&head_map, opts.lr, opts.weight_decay)?,
            Adam::new(&top.varmap, opts.encoder_lr, opts.weight_decay)?,
        ];
        let (pos_w, out_w) = loss_weights(fit, fit_ids, opts)?;
        let epochs = opts.epochs.clamp(1, MAX_FINE_TUNE_EPOCHS);
        let size = opts.batch_size.clamp(1, MAX_FINE_TUNE_BATCH);
        let pb = progress_bar(epochs * fit_ids.len(), "fine-tuning", opts.progress);
        let mut best: Option<Best> = None;
        for epoch in 1..=epochs {
            // Batches of same-length sentences, shuffled within and across lengths.
            let mut by_len: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for &i in fit_ids {
                by_len.entry(cache.lens[i]).or_default().push(i);
            }
            let mut batches: Vec<Vec<usize>> = Vec::new();
            for mut group in by_len.into_values() {
                group.shuffle(&mut rng);
                batches.extend(group.chunks(size).map(<[usize]>::to_vec));
            }
            batches.shuffle(&mut rng);
            let (mut loss_sum, mut steps) = (0.0, 0usize);
            for batch in &batches {
                let (states, mask) =
                    forward_top(top, cache, batch, true, opts.dropout, Some(&mut rng))?;
                let pooled = mean_pool(&states, &mask)?;
                let logits = head_train_forward(&head_vars, &pooled, opts.dropout, &mut rng)?;
                let shape = (batch.len(), fit.outputs);
                let y =
                    Tensor::from_vec(fit.gather(&fit.y, batch, fit.outputs), shape, &CDevice::Cpu)?;
                let known = Tensor::from_vec(
                    fit.gather(&fit.known, batch, fit.outputs),
                    shape,
                    &CDevice::Cpu,
                )?;
                let loss = weighted_bce(&logits, &y, &known, &pos_w, &out_w)?;
                let grads = loss.backward()?;
                for opt in &mut optims {
                    opt.step(&grads)?;
                }
                loss_sum += f64::from(loss.to_scalar::<f32>()?);
                steps += 1;
                pb.inc(batch.len() as u64);
            }
            let head = Head::new(
                cfg,
                VarBuilder::from_varmap(&head_map, DType::F32, &CDevice::Cpu),
            )?;
            let probs = probs_through(&head, top, cache, cache.lens.len(), sel_ids)?;
            let score = selection_score(sel, &probs);
            let message = format!(
                "epoch {epoch}/{epochs}: loss {:.4}, selection macro-F1 {score:.3}",
                loss_sum / steps.max(1) as f64
            );
            self.show(&pb, message, true);
            if best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Best {
                    score,
                    epoch,
                    weights: snapshot(&[&head_map, &top.varmap])?,
                    probs,
                });
            } else if best.as_ref().is_some_and(|b| epoch - b.epoch >= PATIENCE) {
                break;
            }
        }
        pb.finish_and_clear();
        best.ok_or_else(|| Error::Config("no training epoch ran".into()))
    }
}

/// Probabilities of the texts `ids` through the top layers and the head.
fn probs_through(
    head: &Head,
    top: &TopLayers,
    cache: &HiddenCache,
    n_texts: usize,
    ids: &[usize],
) -> Result<Vec<Vec<f32>>> {
    let emb = embed_through(top, cache, n_texts, Some(ids))?;
    let dim = head.config().input_dim;
    let x: Vec<f32> = ids.iter().flat_map(|&i| emb[i].iter().copied()).collect();
    head_probs(head, &Tensor::from_vec(x, (ids.len(), dim), &CDevice::Cpu)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holdout_keeps_duplicates_together_and_stratifies() {
        // 30 distinct texts (10 positive), 10 of them twice.
        let texts: Vec<String> = (0..40).map(|i| format!("t{}", i % 30)).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let strata: Vec<bool> = (0..40).map(|i| i % 30 < 10).collect();
        let held = holdout_of(&refs, &strata, 0.2, 3);
        for i in 0..40 {
            for j in 0..40 {
                if texts[i] == texts[j] {
                    assert_eq!(held[i], held[j]);
                }
            }
        }
        let pos = (0..30).filter(|&i| held[i] && strata[i]).count();
        let neg = (0..30).filter(|&i| held[i] && !strata[i]).count();
        assert_eq!((pos, neg), (2, 4));
        assert_eq!(held, holdout_of(&refs, &strata, 0.2, 3));
        assert_ne!(held, holdout_of(&refs, &strata, 0.2, 4));
    }

    #[test]
    fn a_small_stratum_keeps_a_training_row_and_gives_one() {
        let refs = ["a", "b", "c", "d", "e", "f"];
        let strata = [true, true, false, false, false, false];
        let held = holdout_of(&refs, &strata, 0.1, 1);
        // 10 % of 2 positives rounds to 0: one is held, one kept.
        assert_eq!((0..2).filter(|&i| held[i]).count(), 1);
        assert_eq!((2..6).filter(|&i| held[i]).count(), 1);
        let single = holdout_of(&["a", "b"], &[true, false], 0.5, 1);
        assert_eq!(single, [false, false]);
    }
}
