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

pub mod batch;
pub mod compare;
pub mod error;
pub mod eval;
pub mod facade;
pub mod io;
pub mod model;
pub mod report;
pub mod score;
pub mod serve;
pub mod stats;
pub mod taxonomy;
pub mod text;
pub mod tokenize;
pub mod train;

pub use error::{Error, Result};
pub use facade::{Rhetor, RhetorBuilder};
pub use model::{Engine, LoadOptions, ModelSpec, Scorer, SentenceInput, SentenceScores};
pub use score::{Article, Pipeline, ScoredArticle, ScoredSentence, Unit};
pub use taxonomy::Device;
pub use text::{Sentence, TextSpan};

/// Outlet comparison corrected by a hand-coded validation sample
/// (docs/compare.md, "Validating against human coding"): draw the sample with
/// [`compare::sample::draw`], read the coded file with [`compare::gold::read_gold`],
/// and get naive, labels-alone and prediction-powered rates per group from
/// [`compare_with_gold`]; [`ppi_rate`] and [`gold_rate`] are the estimators.
pub use compare::ppi::{gold_rate, ppi_rate, RateEstimate};
pub use compare::{compare_with_gold, CompareOptions, Comparison};
