//! Training of the TF-IDF + logistic-regression baseline
//! ([`crate::model::baseline`] holds the model and its features): one
//! L2-regularised logistic regression per label by SGD with a fixed shuffling
//! seed, C chosen from a grid and thresholds tuned on dev with
//! [`best_f1_threshold`].

use crate::error::{Error, Result};
use crate::io::labels::{read_gold, GoldOptions, GoldSentence};
use crate::model::baseline::{
    baseline_devices, raw_features, tfidf, BaselineConfig, BaselineModel, RawFeatures, Sparse,
    BUCKETS, BUCKETS_LOG2,
};
use crate::model::sigmoid;
use crate::model::thresholds::write_config_thresholds;
use crate::model::Thresholds;
use crate::stats::metrics::best_f1_threshold;
use crate::taxonomy::Device;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

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
    let dev = dev_dir
        .map(|d| read_gold(d, GoldOptions::default()))
        .transpose()?;
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
    for (r, row) in rows.iter().enumerate().filter(|_| !dev_s.is_empty()) {
        let gold: Vec<bool> = dev_y.iter().map(|l| l[r]).collect();
        match (r, best_f1_threshold(&row_probs(row, &dev_x), &gold)) {
            (_, None) => {}
            (0, Some((t, f1))) => (thresholds.framing, dev_sentence_f1) = (t, Some(f1)),
            (_, Some((t, _))) => thresholds.devices[devices[r - 1]] = t,
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
        labels: None,
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
    save(&model, out, &cfg)?;
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

/// Writes a baseline model folder (weights in f16).
fn save(model: &BaselineModel, dir: &Path, cfg: &BaselineConfig) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let f16 = |v: &[f32], shape: &[usize]| -> Result<candle_core::Tensor> {
        Ok(
            candle_core::Tensor::from_slice(v, shape, &candle_core::Device::Cpu)?
                .to_dtype(candle_core::DType::F16)?,
        )
    };
    let rows = model.rows.len();
    let map = HashMap::from([
        ("idf".to_string(), f16(&model.idf, &[BUCKETS])?),
        (
            "weights".to_string(),
            f16(&model.weights, &[rows, BUCKETS])?,
        ),
        (
            "bias".to_string(),
            candle_core::Tensor::from_slice(&model.bias, &[rows], &candle_core::Device::Cpu)?,
        ),
    ]);
    let wpath = dir.join("weights.safetensors");
    candle_core::safetensors::save(&map, &wpath)
        .map_err(|e| Error::model(&wpath, e.to_string()))?;
    let cfg_path = dir.join("config.json");
    crate::json::write_pretty(&cfg_path, cfg)?;
    write_config_thresholds(dir, &model.thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Scorer, SentenceInput};

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
