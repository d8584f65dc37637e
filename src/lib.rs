//! rhetor — finds rhetorical framing devices in news text.
//!
//! Configure, load, score:
//!
//! ```
//! use rhetor::{Device, ModelSpec, Rhetor};
//!
//! // `ModelSpec::Default` is the shipped transformer; the cue model needs nothing.
//! let rhetor = Rhetor::builder().model(ModelSpec::Cues).build()?;
//! let text = "The talks ended on Monday. Let's notice that the minister is curious.";
//! let scored = rhetor.score_text(text)?;
//! let aside = &scored.sentences[1];
//! assert!(rhetor.flagged(aside).contains(&Device::EditorialAside));
//! // Offsets point into the original text.
//! assert_eq!(&text[aside.sentence.span.bytes()], "Let's notice that the minister is curious.");
//! # Ok::<(), rhetor::Error>(())
//! ```
//!
//! The modules follow the data, and each imports only from those before it
//! (`tests/architecture.rs` checks it; docs/architecture.md draws it):
//!
//! ```text
//! error, stats, taxonomy, text, tokenize    offsets, sentences, word pieces
//!   → model      Scorer trait, cue model, transformer (float and int8), baseline, loading
//!   → score      Pipeline: article → scored sentences, cues mapped to the original
//!   → io         reading articles, corpora and tables; CSV / JSONL / JSON / Parquet writers
//!   → batch, eval, compare, train    corpus runs, metrics, outlet statistics, training
//!   → report     table and HTML
//!   → facade     Rhetor::builder() → Rhetor → score_text()
//!   → serve      `rhetor serve`: local web pages and JSON API on the façade
//!   → cli        the `rhetor` binary (anyhow only here)
//! ```
//!
//! The library returns [`Error`] (built with `thiserror`).

#![deny(unsafe_op_in_unsafe_fn)]

// The public surface is the façade and the types it hands out, re-exported
// below. The modules are the implementation: the `rhetor` binary, the
// integration tests, the benches, the fuzz targets and the Python package
// reach into them, so they stay `pub` but hidden from the documentation, and
// they may change without notice.
#[doc(hidden)]
pub mod batch;
#[doc(hidden)]
pub mod compare;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod eval;
mod facade;
#[doc(hidden)]
pub mod io;
pub(crate) mod json;
#[doc(hidden)]
pub mod model;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod score;
#[doc(hidden)]
pub mod serve;
#[doc(hidden)]
pub mod stats;
#[doc(hidden)]
pub mod taxonomy;
#[doc(hidden)]
pub mod text;
#[doc(hidden)]
pub mod tokenize;
#[doc(hidden)]
pub mod train;

pub use error::{Error, Location, Result};
pub use facade::{Rhetor, RhetorBuilder};
pub use model::{
    Engine, LoadOptions, ModelSpec, Scorer, SentenceInput, SentenceScores, Thresholds,
};
pub use score::{Article, Pipeline, ScoredArticle, ScoredCue, ScoredSentence, ScoredSpan, Unit};
pub use taxonomy::{Device, DeviceMap, Label};
pub use text::{Sentence, TextSpan};

/// Outlet comparison corrected by a hand-coded validation sample
/// (docs/compare.md, "Validating against human coding"): draw the sample with
/// [`compare::sample::draw`], read the coded file with [`compare::gold::read_gold`],
/// and get naive, labels-alone and prediction-powered rates per group from
/// [`compare_with_gold`]; [`ppi_rate`] and [`gold_rate`] are the estimators.
pub use compare::ppi::{gold_rate, ppi_rate, RateEstimate};
pub use compare::{compare_with_gold, CompareOptions, Comparison};
