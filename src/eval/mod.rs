//! Evaluation against labelled sets.
//!
//! - [`labels`]: readers for rhetor's gold CSV and the PTC folder layout;
//! - [`metrics`]: P/R/F1 (NLP4IF-2019 SLC conventions), PR-AUC, best-F1 thresholds, Cohen's κ;
//! - [`bootstrap`]: confidence intervals resampling articles;
//! - [`calibration`]: expected calibration error and reliability table;
//! - [`run`]: scoring a labelled set with a model and computing the metrics;
//! - [`tune`]: threshold tuning and the `thresholds` of a model's `config.json`;
//! - [`spans`]: the SemEval-2020 Task 11 span measures (SI, TC, per technique);
//! - [`report`]: `metrics.json`, `report.md`, `predictions.csv`;
//! - [`agreement`]: κ between two labelling passes.

pub mod agreement;
pub mod bootstrap;
pub mod calibration;
pub mod labels;
pub mod metrics;
pub mod report;
pub mod run;
pub mod spans;
pub mod tune;

pub use labels::{
    read_gold, GoldArticle, GoldFormat, GoldOptions, GoldSentence, GoldSet, GoldSpan,
    SentenceOffsets,
};
pub use run::{evaluate, score_gold, Evaluation, ModelRun};
