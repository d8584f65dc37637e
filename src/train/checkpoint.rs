//! Checkpoints of a training run: after every epoch the trainable variables,
//! the optimisers' moments, the best epoch so far (its score and weights) and
//! the epoch count are written to `<out>/checkpoint/`, so that
//! `rhetor train --resume` continues a stopped run. Every epoch draws its
//! random numbers from a generator seeded by (seed, epoch), so the resumed run
//! ends with the same model as an uninterrupted one.
//!
//! The tensors go to `state.safetensors` (f32), the rest to `state.json`;
//! each file is written to a temporary name and renamed, the JSON last, so a
//! run stopped mid-write leaves the previous checkpoint whole.

use crate::error::{Error, Result};
use candle_core::{Device as CDevice, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a checkpoint records besides tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Meta {
    /// Hash of everything that determines the run (options, data, base).
    pub(super) fingerprint: String,
    /// Epochs completed.
    pub(super) epoch: usize,
    /// Steps taken by each optimiser, in the trainer's order.
    pub(super) steps: Vec<usize>,
    /// Best early-stopping score so far and its epoch.
    pub(super) best: Option<(f64, usize)>,
}

/// The checkpoint folder of a model output folder.
pub(super) fn dir_of(out: &Path) -> PathBuf {
    out.join("checkpoint")
}

/// The random generator of one epoch: a function of the seed and the epoch
/// only, so a resumed run draws what an uninterrupted one would.
pub(super) fn epoch_rng(seed: u64, epoch: usize) -> StdRng {
    StdRng::seed_from_u64(seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Writes a checkpoint (replacing the previous one).
pub(super) fn save(dir: &Path, meta: &Meta, tensors: &HashMap<String, Tensor>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let st = dir.join("state.safetensors");
    let st_tmp = dir.join("state.safetensors.tmp");
    candle_core::safetensors::save(tensors, &st_tmp)
        .map_err(|e| Error::model(&st_tmp, format!("cannot write checkpoint: {e}")))?;
    std::fs::rename(&st_tmp, &st).map_err(|e| Error::io(&st, e))?;
    let js = dir.join("state.json");
    let js_tmp = dir.join("state.json.tmp");
    crate::json::write_pretty(&js_tmp, meta)?;
    std::fs::rename(&js_tmp, &js).map_err(|e| Error::io(&js, e))
}

/// Reads the checkpoint in `dir`; errors when there is none or when it was
/// written by a run with another fingerprint (other options or data).
pub(super) fn load(dir: &Path, fingerprint: &str) -> Result<(Meta, HashMap<String, Tensor>)> {
    let js = dir.join("state.json");
    let raw = std::fs::read_to_string(&js).map_err(|e| {
        Error::io(
            &js,
            std::io::Error::new(
                e.kind(),
                format!("no checkpoint to resume from ({e}); run without --resume"),
            ),
        )
    })?;
    let meta: Meta = serde_json::from_str(&raw)
        .map_err(|e| Error::model(&js, format!("unreadable checkpoint: {e}")))?;
    if meta.fingerprint != fingerprint {
        return Err(Error::model(
            &js,
            "the checkpoint was written by a run with other options, data or base weights; \
             resume with exactly the same command, or start afresh without --resume",
        ));
    }
    let st = dir.join("state.safetensors");
    let tensors = candle_core::safetensors::load(&st, &CDevice::Cpu)
        .map_err(|e| Error::model(&st, format!("unreadable checkpoint: {e}")))?;
    Ok((meta, tensors))
}

/// Removes the checkpoint folder once the model is written.
pub(super) fn remove(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(dir, e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn a_checkpoint_round_trips_and_refuses_another_run() {
        let dir = tempfile::tempdir().unwrap();
        let meta = Meta {
            fingerprint: "abc".into(),
            epoch: 2,
            steps: vec![10, 10],
            best: Some((0.5, 1)),
        };
        let t = Tensor::new(&[1.0f32, 2.0, 3.0], &CDevice::Cpu).unwrap();
        let tensors = HashMap::from([("var.x".to_string(), t)]);
        save(dir.path(), &meta, &tensors).unwrap();
        let (m, back) = load(dir.path(), "abc").unwrap();
        assert_eq!(m, meta);
        assert_eq!(back["var.x"].to_vec1::<f32>().unwrap(), vec![1.0, 2.0, 3.0]);
        let err = load(dir.path(), "other").unwrap_err().to_string();
        assert!(err.contains("other options"), "{err}");
        let none = tempfile::tempdir().unwrap();
        let err = load(none.path(), "abc").unwrap_err().to_string();
        assert!(err.contains("no checkpoint"), "{err}");
        remove(dir.path()).unwrap();
        assert!(!dir.path().exists());
        remove(dir.path()).unwrap();
    }

    #[test]
    fn epoch_generators_depend_on_seed_and_epoch_only() {
        let draw = |seed, epoch| epoch_rng(seed, epoch).gen::<u64>();
        assert_eq!(draw(13, 3), draw(13, 3));
        assert_ne!(draw(13, 3), draw(13, 4));
        assert_ne!(draw(13, 3), draw(14, 3));
    }
}
