//! The TF-IDF (word + char n-grams) + logistic-regression baseline.
//! (Implemented in the evaluation issue.)

use super::{Scorer, SentenceInput, SentenceScores, Thresholds};
use crate::error::{Error, Result};
use std::path::Path;

/// The TF-IDF baseline model.
pub struct BaselineModel {
    thresholds: Thresholds,
}

impl BaselineModel {
    /// Reads a baseline model folder.
    pub fn from_dir(dir: &Path) -> Result<BaselineModel> {
        Err(Error::model(dir, "the TF-IDF baseline is not built yet"))
    }
}

impl Scorer for BaselineModel {
    fn name(&self) -> &str {
        "baseline"
    }
    fn score_batch(&self, _batch: &[SentenceInput<'_>]) -> Result<Vec<SentenceScores>> {
        Err(Error::Config("baseline not built".into()))
    }
    fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }
}
