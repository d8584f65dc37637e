//! Text layer: normalisation with an offset map back to the original, and
//! sentence splitting. Every [`Sentence`] knows its span in the ORIGINAL text
//! (bytes and chars) and can map any span of its normalised text back.

pub mod normalize;
pub mod offsets;
pub mod split;

pub use normalize::{normalize, Normalized};
pub use offsets::{OffsetMap, TextSpan};
pub use split::{segment, segment_lines, Sentence};
