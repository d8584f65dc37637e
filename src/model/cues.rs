//! The transparent cue model: weighted regular-expression patterns per device,
//! combined by a small logistic layer. Its weights live in a readable TOML file
//! (`models/cues/patterns.toml`), which is also embedded in the binary.

use super::{sigmoid, Cue, Scorer, SentenceInput, SentenceScores, Thresholds};
use crate::error::{Error, Result};
use crate::taxonomy::Device;
use regex::Regex;
use serde::Deserialize;
use std::path::Path;

const EMBEDDED_PATTERNS: &str = include_str!("../../models/cues/patterns.toml");

#[derive(Debug, Deserialize)]
struct PatternFile {
    framing_bias: f32,
    #[serde(default)]
    device: Vec<DeviceEntry>,
    #[serde(default)]
    pattern: Vec<PatternEntry>,
}

#[derive(Debug, Deserialize)]
struct DeviceEntry {
    id: String,
    bias: f32,
}

#[derive(Debug, Deserialize)]
struct PatternEntry {
    device: String,
    regex: String,
    weight: f32,
}

struct Pattern {
    device: Device,
    regex: Regex,
    source: String,
    weight: f32,
}

/// The cue model.
pub struct CueModel {
    patterns: Vec<Pattern>,
    biases: Vec<f32>,
    framing_bias: f32,
    thresholds: Thresholds,
}

impl CueModel {
    /// The cue model embedded in the binary.
    pub fn embedded() -> Result<CueModel> {
        CueModel::parse(
            EMBEDDED_PATTERNS,
            Path::new("<embedded>/models/cues/patterns.toml"),
        )
    }

    /// Reads a cue model folder (`config.json` + `patterns.toml`).
    pub fn from_dir(dir: &Path) -> Result<CueModel> {
        let path = dir.join("patterns.toml");
        let raw = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        CueModel::parse(&raw, &path)
    }

    fn parse(raw: &str, path: &Path) -> Result<CueModel> {
        let file: PatternFile = toml::from_str(raw)
            .map_err(|e| Error::model(path, format!("invalid pattern file: {e}")))?;
        let mut biases = vec![-4.0; Device::ALL.len()];
        for d in &file.device {
            let device = Device::from_id(&d.id)
                .ok_or_else(|| Error::model(path, format!("unknown device `{}`", d.id)))?;
            biases[device.index()] = d.bias;
        }
        let patterns = file
            .pattern
            .iter()
            .map(|p| {
                let device = Device::from_id(&p.device)
                    .ok_or_else(|| Error::model(path, format!("unknown device `{}`", p.device)))?;
                let regex = Regex::new(&p.regex)
                    .map_err(|e| Error::model(path, format!("bad regex `{}`: {e}", p.regex)))?;
                Ok(Pattern {
                    device,
                    regex,
                    source: p.regex.clone(),
                    weight: p.weight,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CueModel {
            patterns,
            biases,
            framing_bias: file.framing_bias,
            thresholds: Thresholds::default(),
        })
    }

    fn score_one(&self, text: &str) -> SentenceScores {
        let mut logits = self.biases.clone();
        let mut cues = Vec::new();
        for p in &self.patterns {
            for m in p.regex.find_iter(text) {
                logits[p.device.index()] += p.weight;
                cues.push(Cue {
                    device: p.device,
                    start: m.start(),
                    end: m.end(),
                    pattern: p.source.clone(),
                    weight: p.weight,
                });
            }
        }
        let probs: Vec<f32> = logits.iter().map(|&l| sigmoid(l)).collect();
        let none: f32 = probs.iter().map(|p| 1.0 - p).product();
        let framing = (1.0 - none).max(sigmoid(self.framing_bias));
        SentenceScores {
            probs,
            framing,
            cues,
        }
    }
}

impl Scorer for CueModel {
    fn name(&self) -> &str {
        "cues"
    }
    fn score_batch(&self, batch: &[SentenceInput<'_>]) -> Result<Vec<SentenceScores>> {
        Ok(batch.iter().map(|s| self.score_one(s.text)).collect())
    }
    fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }
}
