//! Evaluation against labelled sets.
//!
//! - [`labels`]: the labelled-set readers (rhetor CSV, PTC folders, CheckThat!
//!   TSV), which live in [`crate::io::labels`] and are re-exported here;
//! - [`metrics`]: P/R/F1 (NLP4IF-2019 SLC conventions), PR-AUC, best-F1 thresholds, Cohen's κ
//!   (in [`crate::stats::metrics`], re-exported here);
//! - [`bootstrap`]: confidence intervals resampling articles (the one article
//!   bootstrap, [`crate::stats::bootstrap`], re-exported here);
//! - [`calibration`]: expected calibration error and reliability table;
//! - [`run`]: scoring a labelled set with a model, and (re-exported there)
//!   the metric assembly, the label-set policy and the error analysis;
//! - [`tune`]: threshold tuning and the `thresholds` of a model's `config.json`;
//! - [`spans`]: the SemEval-2020 Task 11 span measures (SI, TC, per technique);
//! - [`report`]: `metrics.json`, `report.md`, `predictions.csv`;
//! - [`agreement`]: κ between two labelling passes.

pub mod agreement;
mod assemble;
pub mod calibration;
pub mod codebook;
mod errors;
mod policy;
pub mod report;
pub mod run;
pub mod spans;
pub mod tune;

pub use crate::io::labels;
pub use crate::stats::{bootstrap, metrics};
pub use labels::{
    read_gold, GoldArticle, GoldFormat, GoldOptions, GoldSentence, GoldSet, GoldSpan,
    SentenceOffsets,
};
pub use run::{evaluate, score_gold, Evaluation, ModelRun};
