//! Models: the [`Scorer`] trait that every sentence classifier implements, the
//! transparent cue model ([`cues`]), the transformer encoder and head
//! ([`bert`], [`head`]) and the TF-IDF baseline ([`baseline`]).
//!
//! A model is a folder under `models/` with a `config.json` whose `kind` says
//! which implementation reads it; `cues` is also embedded in the binary.

pub mod baseline;
pub mod bert;
pub mod cues;
pub mod head;
pub mod int8;
pub mod kernels;
pub mod setup;
pub mod thresholds;
#[doc(hidden)]
pub mod tiny;
pub mod transformer;

use crate::error::{Error, Result};
use crate::taxonomy::Device;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a scorer sees of one sentence: its normalised text and optional context.
#[derive(Debug, Clone, Copy, Default)]
pub struct SentenceInput<'a> {
    /// The normalised sentence text.
    pub text: &'a str,
    /// The previous sentence of the same article, if any.
    pub prev: Option<&'a str>,
    /// The next sentence of the same article, if any.
    pub next: Option<&'a str>,
    /// The article's title, if known.
    pub title: Option<&'a str>,
}

/// A cue: a span of the sentence text that explains a device's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cue {
    /// The device the cue is evidence for.
    pub device: Device,
    /// Byte range in the sentence's normalised text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// The pattern (or attribution method) that produced the cue.
    pub pattern: String,
    /// The cue's weight in the model (log-odds contribution, or attribution score).
    pub weight: f32,
}

/// A scorer's output for one sentence.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SentenceScores {
    /// Probability of each device, indexed like [`Device::ALL`].
    pub probs: Vec<f32>,
    /// Probability that the sentence carries at least one device.
    pub framing: f32,
    /// Cues explaining the scores.
    pub cues: Vec<Cue>,
}

impl SentenceScores {
    /// The probability of one device.
    pub fn prob(&self, device: Device) -> f32 {
        self.probs.get(device.index()).copied().unwrap_or(0.0)
    }
}

/// Decision thresholds: one per device (indexed like [`Device::ALL`]) and one
/// for the combined `framing` score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Per-device thresholds.
    pub devices: Vec<f32>,
    /// Threshold of the combined framing score.
    pub framing: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            devices: vec![0.5; Device::ALL.len()],
            framing: 0.5,
        }
    }
}

impl Thresholds {
    /// The threshold of one device.
    pub fn device(&self, device: Device) -> f32 {
        self.devices.get(device.index()).copied().unwrap_or(0.5)
    }
}

/// A sentence classifier. Implementations must be deterministic: the same
/// inputs give the same scores whatever the batch size or thread count.
pub trait Scorer: Send + Sync {
    /// A short name for reports (`cues`, `baseline`, `rhetor-minilm`, …).
    fn name(&self) -> &str;
    /// Scores a batch of sentences; returns one [`SentenceScores`] per input, in order.
    fn score_batch(&self, batch: &[SentenceInput<'_>]) -> Result<Vec<SentenceScores>>;
    /// The decision thresholds (tuned on a dev split where the model says so).
    fn thresholds(&self) -> &Thresholds;
    /// True when the scorer uses the `prev`/`next`/`title` context of [`SentenceInput`].
    fn uses_context(&self) -> bool {
        false
    }
}

/// The model folder's `config.json`, as far as loading needs it.
#[derive(Debug, Clone, Deserialize)]
struct ModelKind {
    kind: String,
}

/// A loaded scorer plus the warnings a user should see (e.g. a fallback).
pub struct LoadedModel {
    /// The scorer.
    pub scorer: Box<dyn Scorer>,
    /// Human-readable warnings produced while loading.
    pub warnings: Vec<String>,
}

/// The folder of the models shipped with the project (`models/` in the source tree).
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RHETOR_MODELS_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// Loads a model by name or folder:
/// - `None` or `"default"`: the shipped default model (see [`bert::load_default`]);
/// - `"cues"`: the embedded cue model; `"baseline"`: the TF-IDF baseline;
/// - any other value: a folder with a `config.json`.
pub fn load(spec: Option<&str>) -> Result<LoadedModel> {
    match spec {
        None | Some("default") => bert::load_default(),
        Some("cues") => Ok(LoadedModel {
            scorer: Box::new(cues::CueModel::embedded()?),
            warnings: vec![],
        }),
        Some("baseline") => load_dir(&models_dir().join("baseline")),
        Some(dir) => load_dir(Path::new(dir)),
    }
}

/// Loads a model folder according to the `kind` in its `config.json`.
pub fn load_dir(dir: &Path) -> Result<LoadedModel> {
    if !dir.is_dir() {
        return Err(Error::model(dir, "no such model folder (expected a folder with config.json, or one of: default, cues, baseline)"));
    }
    let config_path = dir.join("config.json");
    let raw = std::fs::read_to_string(&config_path).map_err(|e| Error::io(&config_path, e))?;
    let kind: ModelKind = serde_json::from_str(&raw)
        .map_err(|e| Error::model(&config_path, format!("not a rhetor model config: {e}")))?;
    let scorer: Box<dyn Scorer> = match kind.kind.as_str() {
        "cues" => Box::new(cues::CueModel::from_dir(dir)?),
        "baseline" => Box::new(baseline::BaselineModel::from_dir(dir)?),
        "transformer" => return bert::load_dir(dir),
        other => {
            return Err(Error::model(
                &config_path,
                format!("unknown model kind `{other}`"),
            ))
        }
    };
    Ok(LoadedModel {
        scorer,
        warnings: vec![],
    })
}

/// The logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}
