//! Classification heads on top of sentence embeddings: a linear layer or a
//! one-hidden-layer MLP producing one logit per output label (every device of
//! [`crate::Device::ALL`] plus the combined `framing` logit).
//!
//! The same [`Head`] code runs in training (weights in a `candle_nn::VarMap`)
//! and inference (weights read from the model's `model.safetensors`, stored in
//! fp16 to keep the shipped model small).

use crate::error::{Error, Result};
use candle_core::{DType, Device as CDevice, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Which neighbouring texts are embedded with a sentence and fed to the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ContextMode {
    /// The sentence alone.
    #[default]
    None,
    /// The sentence, the previous and the next sentence (zeros at article edges).
    PrevNext,
    /// The sentence and the article title.
    Title,
}

impl ContextMode {
    /// How many embeddings make up the head's input.
    pub fn parts(self) -> usize {
        match self {
            ContextMode::None => 1,
            ContextMode::PrevNext => 3,
            ContextMode::Title => 2,
        }
    }

    /// Parses `none`, `prev_next` or `title`.
    pub fn parse(s: &str) -> Option<ContextMode> {
        match s {
            "none" => Some(ContextMode::None),
            "prev_next" | "prev-next" => Some(ContextMode::PrevNext),
            "title" => Some(ContextMode::Title),
            _ => None,
        }
    }
}

/// Shape of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadConfig {
    /// Width of the input features (embedding width × context parts).
    pub input_dim: usize,
    /// Width of the hidden layer; 0 for a linear head.
    pub hidden: usize,
    /// Number of output logits.
    pub outputs: usize,
}

/// A linear or MLP head.
pub struct Head {
    config: HeadConfig,
    hidden: Option<Linear>,
    out: Linear,
    /// Row-major copies of the weights for [`Head::logits`].
    dense: DenseHead,
}

/// Plain-Rust copy of a head's weights: inference row by row, so that a
/// sentence's logits never depend on which other rows share its batch.
struct DenseHead {
    hidden: Option<(Vec<f32>, Vec<f32>)>,
    out: (Vec<f32>, Vec<f32>),
}

fn dense_of(l: &Linear) -> candle_core::Result<(Vec<f32>, Vec<f32>)> {
    let w = l.weight().flatten_all()?.to_vec1::<f32>()?;
    let b = match l.bias() {
        Some(b) => b.to_vec1::<f32>()?,
        None => vec![0.0; l.weight().dim(0)?],
    };
    Ok((w, b))
}

/// `y = W x + b` for one row (`W` is `out × in`, row-major).
fn affine(w: &[f32], b: &[f32], x: &[f32], out: &mut Vec<f32>) {
    out.clear();
    let n_in = x.len();
    for (o, bias) in b.iter().enumerate() {
        let row = &w[o * n_in..(o + 1) * n_in];
        let dot: f32 = row.iter().zip(x).map(|(a, b)| a * b).sum();
        out.push(dot + bias);
    }
}

impl Head {
    /// Builds the head from `vb` (tensor names `head.hidden.*`, `head.out.*`).
    pub fn new(config: HeadConfig, vb: VarBuilder) -> Result<Head> {
        let vb = vb.pp("head");
        let (hidden, out_in) = if config.hidden > 0 {
            let l = candle_nn::linear(config.input_dim, config.hidden, vb.pp("hidden"))?;
            (Some(l), config.hidden)
        } else {
            (None, config.input_dim)
        };
        let out = candle_nn::linear(out_in, config.outputs, vb.pp("out"))?;
        let dense = DenseHead {
            hidden: hidden.as_ref().map(dense_of).transpose()?,
            out: dense_of(&out)?,
        };
        Ok(Head {
            config,
            hidden,
            out,
            dense,
        })
    }

    /// Loads the head from a safetensors file (any float dtype; computed in f32).
    pub fn load(config: HeadConfig, path: &Path) -> Result<Head> {
        let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let vb = VarBuilder::from_buffered_safetensors(data, DType::F32, &CDevice::Cpu)
            .map_err(|e| Error::model(path, format!("cannot read head weights: {e}")))?;
        Head::new(config, vb).map_err(|e| Error::model(path, format!("bad head weights: {e}")))
    }

    /// The head's shape.
    pub fn config(&self) -> HeadConfig {
        self.config
    }

    /// Logits (`n × outputs`) of features (`n × input_dim`).
    pub fn forward(&self, features: &Tensor) -> candle_core::Result<Tensor> {
        let x = match &self.hidden {
            Some(h) => h.forward(features)?.relu()?,
            None => features.clone(),
        };
        self.out.forward(&x)
    }

    /// Logits of feature rows (`rows.len() / input_dim` rows), computed row by
    /// row in plain Rust: deterministic whatever the number of rows.
    pub fn logits(&self, rows: &[f32]) -> Vec<Vec<f32>> {
        let dim = self.config.input_dim.max(1);
        let mut hidden = Vec::new();
        rows.chunks(dim)
            .map(|x| {
                let mut out = Vec::with_capacity(self.config.outputs);
                match &self.dense.hidden {
                    Some((w, b)) => {
                        affine(w, b, x, &mut hidden);
                        hidden.iter_mut().for_each(|v| *v = v.max(0.0));
                        affine(&self.dense.out.0, &self.dense.out.1, &hidden, &mut out);
                    }
                    None => affine(&self.dense.out.0, &self.dense.out.1, x, &mut out),
                }
                out
            })
            .collect()
    }

    /// The head's tensors by name (for saving).
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        let mut map = HashMap::new();
        let layers = self.hidden.iter().map(|h| ("head.hidden", h));
        for (name, layer) in layers.chain([("head.out", &self.out)]) {
            map.insert(format!("{name}.weight"), layer.weight().clone());
            if let Some(b) = layer.bias() {
                map.insert(format!("{name}.bias"), b.clone());
            }
        }
        map
    }
}

/// Saves tensors to a safetensors file, converted to `dtype` (e.g. F16).
pub fn save_tensors(tensors: &HashMap<String, Tensor>, dtype: DType, path: &Path) -> Result<()> {
    let converted = tensors
        .iter()
        .map(|(name, t)| Ok((name.clone(), t.to_dtype(dtype)?)))
        .collect::<Result<HashMap<_, _>>>()?;
    candle_core::safetensors::save(&converted, path)
        .map_err(|e| Error::model(path, format!("cannot write weights: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_nn::VarMap;

    #[test]
    fn head_round_trips_through_fp16_safetensors() {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &CDevice::Cpu);
        let cfg = HeadConfig {
            input_dim: 6,
            hidden: 4,
            outputs: 3,
        };
        let head = Head::new(cfg, vb).unwrap();
        let x = Tensor::new(&[[0.1f32, -0.2, 0.3, 0.4, -0.5, 0.6]], &CDevice::Cpu).unwrap();
        let before = head.forward(&x).unwrap().to_vec2::<f32>().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.safetensors");
        save_tensors(&head.tensors(), DType::F16, &path).unwrap();
        let loaded = Head::load(cfg, &path).unwrap();
        let after = loaded.forward(&x).unwrap().to_vec2::<f32>().unwrap();
        for (a, b) in before[0].iter().zip(&after[0]) {
            assert!((a - b).abs() < 1e-2, "{a} vs {b}");
        }
    }

    #[test]
    fn context_modes_parse() {
        assert_eq!(ContextMode::parse("prev_next"), Some(ContextMode::PrevNext));
        assert_eq!(ContextMode::PrevNext.parts(), 3);
        assert_eq!(ContextMode::parse("x"), None);
    }
}
