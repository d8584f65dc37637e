//! Inputs found by fuzzing (`fuzz/`, see docs/testing.md), kept as
//! regression tests. Each test names the target that found it and the
//! property it broke.

use rhetor::text::{normalize, segment, segment_lines};

/// Asserts idempotent normalisation and sane sentence spans on `original`.
fn check_text(original: &str) {
    let once = normalize(original).text;
    assert_eq!(
        normalize(&once).text,
        once,
        "not idempotent on {original:?}"
    );
    for sentences in [segment(original), segment_lines(original)] {
        let mut prev_end = 0;
        for s in &sentences {
            assert!(original.is_char_boundary(s.span.byte_start));
            assert!(original.is_char_boundary(s.span.byte_end));
            assert!(prev_end <= s.span.byte_start && s.span.byte_start < s.span.byte_end);
            prev_end = s.span.byte_end;
            assert_eq!(s.original_span(original, 0..s.text.len()), s.span);
        }
    }
}

/// fuzz target `text`: control characters between a hyphen and a line break
/// became spaces only after the first pass, so `t-\x1a\nrio` stayed apart
/// but its normalised form `t- \nrio` joined (normalisation not idempotent).
/// Fixed in `src/text/normalize.rs` (`becomes_space`).
#[test]
fn controls_between_hyphen_and_line_break_count_as_spaces() {
    check_text("The :t-\x1a\x1a\x1a\x1a\nrio]\u{2026} the in-\ne report.");
    for control in ['\u{0}', '\u{1}', '\u{1b}', '\u{7f}', '\u{80}', '\u{9f}'] {
        check_text(&format!(
            "cu-{control}\nrious and in-{control}{control} \ncrease"
        ));
        check_text(&format!("cu-\n{control}rious"));
    }
    assert_eq!(normalize("cu-\u{1a}\nrious").text, "curious");
}

/// fuzz target `text`: in `in-\ncre-ase` the line-break hyphen was kept (its
/// right part `cre` stops at the second hyphen) and `cre-ase` was joined, so a
/// second pass joined `in-\ncrease` (normalisation not idempotent). A hyphen
/// after a kept line-break hyphen is now kept, like an inline chain. Fixed
/// in `src/text/normalize.rs` (`after_kept_line_break_hyphen`).
#[test]
fn a_hyphen_after_a_kept_line_break_hyphen_is_kept() {
    check_text(
        "The U.SE.g. Arm\0\0\0\0\0\0\0 n Monday thaious  case Kf the in-\ncre-ase, eg. 4.5%e U.S.\u{e7}Armyf the in-\ne rep casore.J",
    );
    check_text("in-\ncre-ase");
    check_text("in- \n cre-ase and cu-\nri-ous");
    assert_eq!(normalize("in-\ncre-ase").text, "in-\ncre-ase");
}

/// fuzz target `text`: a figure dash (U+2012) became `-` but was not a
/// hyphenation candidate, so `T\u{2012}rite` stayed `T-rite` and a second pass
/// joined it (normalisation not idempotent). Every character normalised to
/// `-` is now a candidate. Fixed in `src/text/normalize.rs` (`is_hyphen`).
#[test]
fn every_character_normalised_to_a_hyphen_is_a_candidate() {
    check_text(
        "\u{feff}\u{b}Army\u{95}T\u{2012}rite-\u{7f}ft\u{645}.n\u{fffd}0\u{2028}\u{fffd}\u{fffd}",
    );
    for dash in ['\u{2012}', '\u{2013}', '\u{2212}', '\u{fe63}', '\u{ff0d}'] {
        check_text(&format!(
            "T{dash}rite cu{dash}rious in{dash}\ncrease 10{dash}20 Paris{dash}Berlin"
        ));
    }
}

/// fuzz target `text`: a soft hyphen right after a line break joined it with
/// the next one (`t-\n\u{ad}\rs` became `t-\ns`, which a second pass joined),
/// and a soft-hyphen join inside the right part of a line-break hyphen was
/// not seen by its decision (`in-\ncre\u{ad}\nase`). A soft hyphen now joins
/// lines only inside a word, and the right part follows such joins. Fixed in
/// `src/text/normalize.rs` (`soft_hyphen`, `right_part`).
#[test]
fn soft_hyphens_join_lines_only_inside_a_word() {
    check_text("\" \u{fffd}:w--\nofvic\u{fffd}t-\n\u{ad}\rs\u{fffd}oft\u{fffd}\" :w--\nofvicet-\n\u{ad}\rs\u{fffd}ofta\no0ft-\u{fffd}s+\n");
    check_text("t-\n\u{ad}\rs");
    check_text("in-\ncre\u{ad}\nase");
    check_text("a \u{ad}\nb and c\u{ad}\n\u{ad}\nd");
    assert_eq!(normalize("cu\u{ad}\nrious").text, "curious");
}
