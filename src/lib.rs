//! rhetor — finds rhetorical framing devices in news text.
//!
//! The modules mirror the data flow:
//!
//! ```text
//! original text ──text::normalize──▶ Normalized (offset map back to the original)
//!               ──text::split──────▶ Sentence (index, original byte/char offsets, normalised text)
//!               ──tokenize─────────▶ TokenBatch (ids, masks, per-token offsets)
//!               ──model::Scorer────▶ SentenceScores (per-device probabilities, framing, cues)
//!               ──score::Pipeline──▶ ScoredArticle / ScoredSentence
//!               ──report / io──────▶ table, CSV, JSONL, JSON, HTML
//!               ──eval / compare───▶ metrics against gold labels, outlet statistics
//! ```
//!
//! The library returns [`Error`] (built with `thiserror`); only the binary's
//! `cli/` layer uses `anyhow`.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod compare;
pub mod error;
pub mod eval;
pub mod io;
pub mod model;
pub mod report;
pub mod score;
pub mod taxonomy;
pub mod text;
pub mod tokenize;

pub use error::{Error, Result};
pub use model::{Scorer, SentenceInput, SentenceScores};
pub use score::{Pipeline, ScoredArticle, ScoredSentence};
pub use taxonomy::Device;
pub use text::{Sentence, TextSpan};
