//! Models: the [`Scorer`] trait that every sentence classifier implements, the
//! transparent cue model ([`cues`]), the transformer encoder and head
//! ([`bert`], [`head`]) and the TF-IDF baseline ([`baseline`]).
//!
//! A model is a folder under `models/` with a `config.json` whose `kind` says
//! which implementation reads it; `cues` is also embedded in the binary.
//! [`load`] picks one by [`ModelSpec`] with [`LoadOptions`].

pub mod baseline;
pub mod bert;
pub mod coherent;
pub mod cues;
pub mod head;
pub mod int8;
pub mod kernels;
pub mod load;
pub mod setup;
pub mod span_head;
mod tensor_file;
pub mod thresholds;
#[doc(hidden)]
pub mod tiny;
pub mod transformer;

use crate::error::{Error, Result};
use crate::taxonomy::{Device, DeviceMap, LabelMap, LabelSet};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub use load::{load, load_dir, LoadOptions, LoadedModel, ModelSpec};
pub use transformer::Engine;

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

/// A technique span found by a token-level head: a run of words whose
/// probability of lying inside a span of `device` reaches the model's span
/// threshold, merged across word pieces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanPrediction {
    /// The technique.
    pub device: Device,
    /// Byte range in the sentence's normalised text (word-aligned, edge punctuation trimmed).
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// Mean probability of the span's word pieces for `device`.
    pub probability: f32,
}

/// Token-level probabilities of one word piece (models with a span head).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenProbs {
    /// Byte range of the piece in the sentence's normalised text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// Probability that the piece lies inside a span of each device (0 for
    /// devices the span head was not trained on).
    pub devices: DeviceMap<f32>,
    /// Probability that the piece lies inside a span of any technique.
    pub any: f32,
}

/// A scorer's output for one sentence. Its default has every probability
/// 0 over the shipped set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentenceScores {
    /// Probability of each label of the scorer's [`Scorer::labels`], in the
    /// set's order (for the shipped set, position `i` is `Device::ALL[i]`).
    pub probs: LabelMap<f32>,
    /// Probability that the sentence carries at least one label.
    pub framing: f32,
    /// Cues explaining the scores.
    pub cues: Vec<Cue>,
    /// Technique spans from the model's span head (empty without one).
    #[serde(default)]
    pub spans: Vec<SpanPrediction>,
    /// Per-piece probabilities of the span head (empty without one), for
    /// evaluation (technique classification of given spans); not serialised.
    #[serde(skip)]
    pub tokens: Vec<TokenProbs>,
    /// The framing head's own probability when `framing` was lifted by the
    /// device decisions ([`Thresholds::coherent_framing`]); `None` when
    /// `framing` is the head's probability itself. Evaluation on a set that
    /// labels only some devices lifts it again by those alone; not serialised.
    #[serde(skip)]
    pub head_framing: Option<f32>,
}

impl Default for SentenceScores {
    fn default() -> Self {
        SentenceScores {
            probs: LabelMap::from_device_order(&DeviceMap::default()),
            framing: 0.0,
            cues: Vec::new(),
            spans: Vec::new(),
            tokens: Vec::new(),
            head_framing: None,
        }
    }
}

impl SentenceScores {
    /// The probability of one device. Only meaningful for a scorer whose
    /// labels are the shipped set ([`LabelSet::shipped`]), where label `i`
    /// is `Device::ALL[i]` (the device-only paths: PTC evaluation, cues,
    /// spans).
    pub fn prob(&self, device: Device) -> f32 {
        self.probs[device.index()]
    }

    /// The probabilities as a device map (shipped set only, as [`SentenceScores::prob`]).
    pub fn device_probs(&self) -> DeviceMap<f32> {
        DeviceMap::from_fn(|d| self.probs[d.index()])
    }
}

/// Decision thresholds: one per label and one for the combined `framing`
/// score. A model of the shipped set keeps them per device (`devices`,
/// stored as `"thresholds": {"devices": [...18], "framing": …}`); a model
/// with a declared label set keeps them per label (`labels`, stored as
/// `"thresholds": {"labels": {"blame": 0.41}, "framing": …}`, a map by name).
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Per-device thresholds (the shipped set; ignored for the output of a
    /// declared set, whose thresholds are `labels`).
    pub devices: DeviceMap<f32>,
    /// Per-label thresholds of a declared label set, `(name, threshold)` in
    /// the set's order once the model aligned them
    /// ([`Thresholds::aligned_to`]); `None` for the shipped set.
    pub labels: Option<Vec<(String, f32)>>,
    /// Threshold of the combined framing score.
    pub framing: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            devices: DeviceMap::filled(0.5),
            labels: None,
            framing: 0.5,
        }
    }
}

/// The default threshold of a label a model's config gives none.
pub const DEFAULT_THRESHOLD: f32 = 0.5;

impl Thresholds {
    /// The threshold of one device.
    pub fn device(&self, device: Device) -> f32 {
        self.devices[device]
    }

    /// The threshold of the label at position `i` of the model's label set:
    /// its per-label threshold for a declared set, else device `i`'s.
    pub fn label(&self, i: usize) -> f32 {
        match &self.labels {
            Some(labels) => labels[i].1,
            None => self.devices.values()[i],
        }
    }

    /// True when the label at position `i` reaches its threshold.
    pub fn label_reached(&self, i: usize, probs: &LabelMap<f32>) -> bool {
        probs[i] >= self.label(i)
    }

    /// Every threshold (labels and `framing`) set to `t`.
    pub fn set_all(&mut self, t: f32) {
        self.devices = DeviceMap::filled(t);
        if let Some(labels) = &mut self.labels {
            for (_, v) in labels {
                *v = t;
            }
        }
        self.framing = t;
    }

    /// These thresholds for a model whose labels are `set`: for a declared
    /// set, one per label in the set's order, from `labels` by name (a label
    /// without one gets [`DEFAULT_THRESHOLD`]; a name outside the set is an
    /// error), or, for a set of device ids without `labels`, from `devices`.
    /// For the shipped set, `labels` given by device id move to `devices`.
    pub fn aligned_to(mut self, set: &LabelSet) -> std::result::Result<Thresholds, String> {
        if let Some(named) = &self.labels {
            if let Some((name, _)) = named.iter().find(|(n, _)| set.get(n).is_none()) {
                let names: Vec<&str> = set.names().collect();
                return Err(format!(
                    "`thresholds.labels` names `{name}`, which is not a label of the model ({})",
                    names.join(", ")
                ));
            }
        }
        if set.is_shipped() {
            if let Some(named) = self.labels.take() {
                for (name, t) in named {
                    if let Some(d) = Device::from_id(&name) {
                        self.devices[d] = t;
                    }
                }
            }
            return Ok(self);
        }
        let aligned =
            match &self.labels {
                Some(named) => set
                    .names()
                    .map(|n| {
                        let t = named.iter().find(|(m, _)| m == n).map(|(_, t)| *t);
                        (n.to_string(), t.unwrap_or(DEFAULT_THRESHOLD))
                    })
                    .collect(),
                None => match set.as_devices() {
                    Ok(devices) => devices
                        .iter()
                        .map(|d| (d.id().to_string(), self.devices[*d]))
                        .collect(),
                    Err(_) => return Err(
                        "a declared label set needs its thresholds by label (`thresholds.labels`)"
                            .into(),
                    ),
                },
            };
        self.labels = Some(aligned);
        Ok(self)
    }

    /// True when `device`'s probability reaches its threshold.
    pub fn reached(&self, device: Device, probs: &DeviceMap<f32>) -> bool {
        probs[device] >= self.devices[device]
    }

    /// A `framing` score coherent with the device decisions: at least the
    /// `framing` threshold whenever a device is flagged. Each flagged device
    /// lifts `framing` to its probability mapped linearly from `[t_d, 1]` onto
    /// `[t_framing, 1]` (monotone, so a surer device lifts more); unflagged
    /// devices leave `framing` as it is.
    pub fn coherent_framing(&self, framing: f32, probs: &DeviceMap<f32>) -> f32 {
        self.coherent_framing_over(framing, probs, &Device::ALL)
    }

    /// [`Thresholds::coherent_framing`] lifted by the flagged devices among
    /// `devices` only (those a labelled set scores `framing` on).
    pub fn coherent_framing_over(
        &self,
        framing: f32,
        probs: &DeviceMap<f32>,
        devices: &[Device],
    ) -> f32 {
        let tf = self.framing;
        devices
            .iter()
            .filter(|d| self.reached(**d, probs))
            .map(|&d| {
                let td = self.devices[d];
                let above = if td < 1.0 {
                    (probs[d] - td) / (1.0 - td)
                } else {
                    0.0
                };
                tf + above.clamp(0.0, 1.0) * (1.0 - tf)
            })
            .fold(framing, f32::max)
    }

    /// The devices whose probability reaches its threshold, in
    /// [`Device::ALL`] order; `probs` is over the shipped set (over another
    /// set the answer means nothing: use [`Thresholds::label_reached`]).
    pub fn flagged(&self, probs: &LabelMap<f32>) -> Vec<Device> {
        Device::ALL
            .into_iter()
            .filter(|d| {
                let p = probs.values().get(d.index());
                p.is_some_and(|p| *p >= self.devices[*d])
            })
            .collect()
    }
}

impl Serialize for Thresholds {
    /// `{"devices": [...], "framing": …}` for the shipped set (as ever);
    /// `{"labels": {name: threshold, …}, "framing": …}` for a declared one.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeStruct};
        struct Named<'a>(&'a [(String, f32)]);
        impl Serialize for Named<'_> {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (name, t) in self.0 {
                    map.serialize_entry(name, t)?;
                }
                map.end()
            }
        }
        let mut st = s.serialize_struct("Thresholds", 2)?;
        match &self.labels {
            None => st.serialize_field("devices", &self.devices)?,
            Some(labels) => st.serialize_field("labels", &Named(labels))?,
        }
        st.serialize_field("framing", &self.framing)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Thresholds {
    /// Either form [`Thresholds`] serialises to (`devices` or `labels`, not
    /// both); a `labels` map keeps its order until the model aligns it.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            #[serde(default)]
            devices: Option<DeviceMap<f32>>,
            #[serde(default)]
            labels: Option<serde_json::Map<String, serde_json::Value>>,
            framing: f32,
        }
        let stored = Stored::deserialize(d)?;
        let labels = match stored.labels {
            None => None,
            Some(map) => Some(
                map.into_iter()
                    .map(|(name, v)| match v.as_f64() {
                        Some(t) if (0.0..=1.0).contains(&t) => Ok((name, t as f32)),
                        _ => Err(serde::de::Error::custom(format!(
                            "threshold of `{name}` is {v}, not a probability"
                        ))),
                    })
                    .collect::<std::result::Result<Vec<_>, D::Error>>()?,
            ),
        };
        match (stored.devices, labels) {
            (Some(_), Some(_)) => Err(serde::de::Error::custom(
                "`devices` and `labels` thresholds together; give one of them",
            )),
            (None, None) => Err(serde::de::Error::missing_field("devices")),
            (devices, labels) => Ok(Thresholds {
                devices: devices.unwrap_or_else(|| DeviceMap::filled(DEFAULT_THRESHOLD)),
                labels,
                framing: stored.framing,
            }),
        }
    }
}

/// A declared label set of device ids over a model whose scores come per
/// device (the cue model, the baseline): the model owns it and reports its
/// scores, thresholds and cues under these labels, in the set's order.
#[derive(Debug, Clone)]
pub(crate) struct DeviceLabels {
    set: LabelSet,
    devices: Vec<Device>,
    thresholds: Thresholds,
}

impl DeviceLabels {
    /// The set `set` over a model with per-device `thresholds`; a label that
    /// is not a device id is an error (such a model cannot score it).
    pub(crate) fn new(
        set: LabelSet,
        thresholds: &Thresholds,
    ) -> std::result::Result<DeviceLabels, crate::taxonomy::LabelSetError> {
        let devices = set.as_devices()?;
        let thresholds = Thresholds {
            labels: Some(
                devices
                    .iter()
                    .map(|d| (d.id().to_string(), thresholds.device(*d)))
                    .collect(),
            ),
            ..thresholds.clone()
        };
        Ok(DeviceLabels {
            set,
            devices,
            thresholds,
        })
    }

    /// The declared set.
    pub(crate) fn set(&self) -> &LabelSet {
        &self.set
    }

    /// The thresholds, per label of the set.
    pub(crate) fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// Per-device scores (over the shipped set) reported under the set's
    /// labels: their probabilities in the set's order, and the cues of
    /// their devices only.
    pub(crate) fn remap(&self, mut s: SentenceScores) -> SentenceScores {
        let values = self.devices.iter().map(|d| s.prob(*d)).collect();
        s.probs = LabelMap::try_from_vec(&self.set, values).expect("one value per label");
        s.cues.retain(|c| self.devices.contains(&c.device));
        s.spans.retain(|p| self.devices.contains(&p.device));
        s
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
    /// The labels the scorer scores, in output order: the model folder's
    /// declared `label_set`, or the shipped devices ([`LabelSet::shipped`]).
    fn labels(&self) -> &LabelSet {
        LabelSet::shipped()
    }
}

/// Reads the JSON file at `path` as a `T`; one that does not parse is a
/// model error saying `what` it is not.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let raw = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&raw).map_err(|e| Error::model(path, format!("{what}: {e}")))
}

/// Sets `key` of a model folder's `config.json` to `value`, keeping every other key.
pub fn write_config_key<T: Serialize>(dir: &Path, key: &str, value: &T) -> Result<()> {
    let path = dir.join("config.json");
    let mut config: serde_json::Value = read_json(&path, "invalid JSON")?;
    let obj = config
        .as_object_mut()
        .ok_or_else(|| Error::model(&path, "config.json is not a JSON object"))?;
    let value = serde_json::to_value(value).map_err(|e| Error::Output(e.to_string()))?;
    obj.insert(key.into(), value);
    crate::json::write_pretty(&path, &config)
}

/// The logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_keep_the_device_form_and_read_and_write_the_label_form() {
        // The shipped form: written as before, read back the same.
        let mut t = Thresholds::default();
        t.devices[Device::Doubt] = 0.25;
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.starts_with(r#"{"devices":[0.5,"#), "{json}");
        assert!(json.ends_with(r#"],"framing":0.5}"#), "{json}");
        assert_eq!(serde_json::from_str::<Thresholds>(&json).unwrap(), t);
        // The label form: a map by name, aligned to the set's order.
        let def = |name: &str| crate::taxonomy::LabelDef {
            name: name.into(),
            definition: "A definition.".into(),
            level: crate::taxonomy::LabelLevel::Sentence,
        };
        let set = LabelSet::new(vec![def("blame"), def("us_vs_them"), def("hope")]).unwrap();
        let stored: Thresholds = serde_json::from_str(
            r#"{"labels": {"us_vs_them": 0.3, "blame": 0.41}, "framing": 0.6}"#,
        )
        .unwrap();
        let t = stored.aligned_to(&set).unwrap();
        assert_eq!(
            (t.label(0), t.label(1), t.label(2)),
            (0.41, 0.3, DEFAULT_THRESHOLD)
        );
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#"{"labels":{"blame":0.41,"us_vs_them":0.3,"hope":0.5},"framing":0.6}"#
        );
        let mut probs = LabelMap::filled(&set, 0.4f32);
        probs[1] = 0.3;
        assert!(!t.label_reached(0, &probs) && t.label_reached(1, &probs));
        // Errors: both forms, a non-probability, an unknown name, no labels for own names.
        let both = format!(
            r#"{{"labels": {{}}, "devices": {}, "framing": 0.5}}"#,
            serde_json::to_string(&DeviceMap::filled(0.5f32)).unwrap()
        );
        for (json, want) in [
            (both.as_str(), "together"),
            (
                r#"{"labels": {"blame": 2}, "framing": 0.5}"#,
                "not a probability",
            ),
            (r#"{"framing": 0.5}"#, "missing field `devices`"),
        ] {
            let e = serde_json::from_str::<Thresholds>(json)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{json}: {e}");
        }
        let unknown: Thresholds =
            serde_json::from_str(r#"{"labels": {"doubt": 0.3}, "framing": 0.5}"#).unwrap();
        let e = unknown.aligned_to(&set).unwrap_err();
        assert!(
            e.contains(
                "names `doubt`, which is not a label of the model (blame, us_vs_them, hope)"
            ),
            "{e}"
        );
        let e = Thresholds::default().aligned_to(&set).unwrap_err();
        assert!(e.contains("needs its thresholds by label"), "{e}");
        // A device-named set without `labels` takes the device thresholds.
        let two = LabelSet::new(vec![def("slogans"), def("doubt")]).unwrap();
        let mut d = Thresholds::default();
        d.devices[Device::Doubt] = 0.2;
        let d = d.aligned_to(&two).unwrap();
        assert_eq!((d.label(0), d.label(1)), (0.5, 0.2));
    }

    #[test]
    fn coherent_framing_lifts_flagged_sentences_to_the_threshold_and_above() {
        let mut t = Thresholds {
            framing: 0.4,
            ..Thresholds::default()
        };
        t.devices[Device::Doubt] = 0.6;
        let mut probs = DeviceMap::filled(0.1);
        // Nothing flagged: framing unchanged.
        assert_eq!(t.coherent_framing(0.2, &probs), 0.2);
        // Doubt exactly at its threshold: lifted to the framing threshold.
        probs[Device::Doubt] = 0.6;
        assert!((t.coherent_framing(0.2, &probs) - 0.4).abs() < 1e-6);
        // Halfway between its threshold and 1: halfway between 0.4 and 1.
        probs[Device::Doubt] = 0.8;
        assert!((t.coherent_framing(0.2, &probs) - 0.7).abs() < 1e-6);
        // A framing score already higher is kept.
        assert_eq!(t.coherent_framing(0.95, &probs), 0.95);
        // Lifted only by the devices asked for.
        assert_eq!(
            t.coherent_framing_over(0.2, &probs, &[Device::Slogans]),
            0.2
        );
        let over_doubt = t.coherent_framing_over(0.2, &probs, &[Device::Doubt]);
        assert_eq!(over_doubt, t.coherent_framing(0.2, &probs));
    }
}
