//! The transformer encoder (BERT family, on candle) behind the [`Encoder`] trait,
//! and the transformer [`Scorer`]. (Implemented in the transformer issue.)

use super::{cues::CueModel, LoadedModel};
use crate::error::{Error, Result};
use std::path::Path;

/// Loads the shipped default model: the transformer when its base weights are
/// available, else the cue model with a warning.
pub fn load_default() -> Result<LoadedModel> {
    Ok(LoadedModel {
        scorer: Box::new(CueModel::embedded()?),
        warnings: vec![],
    })
}

/// Loads a transformer model folder.
pub fn load_dir(dir: &Path) -> Result<LoadedModel> {
    Err(Error::model(
        dir,
        "transformer models are not supported yet",
    ))
}
