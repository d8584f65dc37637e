//! Text layer: normalisation with an offset map back to the original, and
//! sentence splitting. Every [`Sentence`] knows its span in the ORIGINAL text
//! (bytes and chars) and can map any span of its normalised text back.
//!
//! See `docs/text.md` for the normalisation table, the offset guarantees and
//! the splitter rules.

pub mod abbrev;
pub mod attribution;
pub mod dehyphen;
pub mod normalize;
pub mod offsets;
pub mod split;

pub use normalize::{normalize, normalize_with, NormalizeOptions, Normalized};
pub use offsets::{CharCounter, OffsetMap, TextSpan};
pub use split::{segment, segment_lines, split_normalized, Sentence, MAX_SENTENCE_BYTES};
