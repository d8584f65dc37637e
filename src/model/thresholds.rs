//! The `thresholds` of a model folder's `config.json`, read on top of a
//! model's own thresholds and written back by training and `rhetor eval --tune`:
//!
//! ```json
//! "thresholds": { "framing": 0.42, "devices": { "doubt": 0.31, "loaded_language": 0.55 } }
//! ```
//! Devices missing from `devices` keep the model's own threshold.

use super::Thresholds;
use crate::error::{Error, Result};
use crate::taxonomy::Device;
use std::path::Path;

/// Thresholds as stored in `config.json`: `devices` is either a list in
/// [`Device::ALL`] order (the form [`Thresholds`] serialises to, written by
/// `rhetor train`) or a map from device id to threshold.
#[derive(Debug, Clone, serde::Deserialize)]
struct StoredThresholds {
    framing: f64,
    #[serde(default)]
    devices: StoredDevices,
}

/// The two accepted forms of per-device thresholds.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
enum StoredDevices {
    List(Vec<f64>),
    Map(std::collections::BTreeMap<String, f64>),
}

impl Default for StoredDevices {
    fn default() -> Self {
        StoredDevices::Map(Default::default())
    }
}

impl StoredDevices {
    /// (device id, threshold) pairs; a list longer than [`Device::ALL`] is an error.
    fn pairs(self, path: &Path) -> Result<Vec<(String, f64)>> {
        match self {
            StoredDevices::Map(m) => Ok(m.into_iter().collect()),
            StoredDevices::List(v) if v.len() <= Device::ALL.len() => Ok(v
                .into_iter()
                .zip(Device::ALL)
                .map(|(t, d)| (d.id().to_string(), t))
                .collect()),
            StoredDevices::List(v) => Err(Error::model(
                path,
                format!(
                    "`thresholds.devices` has {} values, more than the {} devices",
                    v.len(),
                    Device::ALL.len()
                ),
            )),
        }
    }
}

/// Reads `thresholds` from a model folder's `config.json`, on top of `base`.
/// Returns `base` unchanged when the config has no `thresholds`.
pub fn read_config_thresholds(dir: &Path, base: &Thresholds) -> Result<Thresholds> {
    let path = dir.join("config.json");
    let value: serde_json::Value = super::read_json(&path, "invalid JSON")?;
    let Some(t) = value.get("thresholds") else {
        return Ok(base.clone());
    };
    let stored: StoredThresholds = serde_json::from_value(t.clone())
        .map_err(|e| Error::model(&path, format!("invalid `thresholds`: {e}")))?;
    let mut out = base.clone();
    out.framing = check_probability(stored.framing as f32, "framing", &path)?;
    for (id, t) in stored.devices.pairs(&path)? {
        let d = Device::from_id(&id)
            .ok_or_else(|| Error::model(&path, format!("unknown device `{id}` in `thresholds`")))?;
        out.devices[d] = check_probability(t as f32, &id, &path)?;
    }
    Ok(out)
}

fn check_probability(t: f32, label: &str, path: &Path) -> Result<f32> {
    if (0.0..=1.0).contains(&t) {
        Ok(t)
    } else {
        Err(Error::model(
            path,
            format!("threshold of `{label}` is {t}, not a probability"),
        ))
    }
}

/// Writes `thresholds` into a model folder's `config.json`, keeping every other key.
pub fn write_config_thresholds(dir: &Path, thresholds: &Thresholds) -> Result<()> {
    super::write_config_key(dir, "thresholds", thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_round_trip_through_config_json() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"kind":"cues","name":"x"}"#,
        )
        .unwrap();
        let base = Thresholds::default();
        assert_eq!(read_config_thresholds(dir.path(), &base).unwrap(), base);
        let mut t = base.clone();
        t.framing = 0.25;
        t.devices[Device::Doubt] = 0.125;
        write_config_thresholds(dir.path(), &t).unwrap();
        let back = read_config_thresholds(dir.path(), &base).unwrap();
        assert_eq!(back, t);
        let raw = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
        assert!(raw.contains("\"kind\": \"cues\""), "{raw}");
    }
}
