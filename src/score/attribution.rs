//! Author's voice versus attributed speech: a quote from a ministry is
//! reported, not authored.

use std::ops::Range;

const SPEECH_VERBS: &[&str] = &[
    "said",
    "says",
    "stated",
    "told",
    "according to",
    "claimed",
    "added",
];

/// True when the sentence reports someone else's speech.
pub fn is_attributed(text: &str) -> bool {
    let lower = text.to_lowercase();
    SPEECH_VERBS.iter().any(|v| lower.contains(v)) && text.contains('"')
}

/// Byte ranges of the sentence that are quoted speech (inside double quotes).
pub fn attributed_ranges(text: &str) -> Vec<Range<usize>> {
    if !is_attributed(text) {
        return Vec::new();
    }
    let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
    quotes
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| c[0]..c[1] + 1)
        .collect()
}
