//! Normaliser + sentence splitter: no panic, and the offset guarantees of
//! `docs/text.md` hold for any UTF-8 input (invalid UTF-8 is decoded lossily
//! first, as `rhetor score` would reject it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhetor::text::{normalize, normalize_with, segment, segment_lines, NormalizeOptions};

fuzz_target!(|data: &[u8]| {
    let original = String::from_utf8_lossy(data);
    let original: &str = &original;

    let n = normalize(original);
    assert_eq!(
        normalize(&n.text).text,
        n.text,
        "normalisation is not idempotent"
    );
    let w = normalize_with(original, NormalizeOptions::within_lines());
    assert!(w.text.matches('\n').count() >= n.text.matches("\n\n").count());

    for sentences in [segment(original), segment_lines(original)] {
        let mut last_end = 0;
        for (i, s) in sentences.iter().enumerate() {
            assert_eq!(s.index, i);
            let sp = s.span;
            assert!(sp.byte_start <= sp.byte_end && sp.byte_end <= original.len());
            assert!(original.is_char_boundary(sp.byte_start));
            assert!(original.is_char_boundary(sp.byte_end));
            assert!(sp.byte_start >= last_end, "sentences overlap");
            last_end = sp.byte_end;
            assert_eq!(original[..sp.byte_start].chars().count(), sp.char_start);
            assert_eq!(
                original[sp.byte_start..sp.byte_end].chars().count(),
                sp.char_end - sp.char_start
            );
            assert!(!s.text.trim().is_empty(), "empty sentence");
            // Any range of the sentence text maps inside the sentence's span.
            let whole = s.original_span(original, 0..s.text.len());
            assert_eq!(whole, sp);
            if let Some((b, _)) = s.text.char_indices().nth(1) {
                let part = s.original_span(original, b..s.text.len());
                assert!(part.byte_start >= sp.byte_start && part.byte_end <= sp.byte_end);
                assert!(original.is_char_boundary(part.byte_start));
            }
        }
    }
});
