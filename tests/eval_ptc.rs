//! The PTC reader on the shared corpus (skipped, visibly, when `../shared` is
//! absent; a failure under `RHETOR_REQUIRE_ASSETS=1`).

mod common;

use std::path::PathBuf;

fn shared_ptc(split: &str) -> Option<PathBuf> {
    common::shared_or_skip("a PTC reader test", &format!("ptc/{split}"))
}

#[test]
fn ptc_dev_has_75_articles_3177_sentences_791_positive() {
    let Some(dir) = shared_ptc("dev") else {
        return;
    };
    let gold = rhetor::eval::read_gold(&dir, rhetor::eval::GoldOptions::default()).unwrap();
    assert_eq!(gold.articles.len(), 75);
    assert_eq!(gold.sentence_count(), 3177);
    assert_eq!(gold.positive_count(), 791);
    assert!(gold.skipped.is_empty());
    assert_eq!(gold.devices.len(), 14);
}

#[test]
fn ptc_train_has_16673_sentences_4753_positive() {
    let Some(dir) = shared_ptc("train") else {
        return;
    };
    let gold = rhetor::eval::read_gold(&dir, rhetor::eval::GoldOptions::default()).unwrap();
    assert_eq!(gold.articles.len(), 371);
    assert_eq!(gold.sentence_count(), 16673);
    assert_eq!(gold.positive_count(), 4753);
}

#[test]
fn ptc_dev_sentence_ranges_map_back_to_the_article() {
    let Some(dir) = shared_ptc("dev") else {
        return;
    };
    let gold = rhetor::eval::read_gold(&dir, rhetor::eval::GoldOptions::default()).unwrap();
    let mut words = 0;
    for a in &gold.articles {
        let text = a.text.as_deref().unwrap();
        let chars: Vec<char> = text.chars().collect();
        assert!(a.spans.is_some());
        for (i, s) in a.sentences.iter().enumerate() {
            let offsets = a.sentence_offsets(i).expect("every PTC line maps");
            let (cs, ce) = s.char_span.unwrap();
            if s.text.is_empty() {
                // A line that normalisation empties (a lone byte-order mark).
                continue;
            }
            let whole = offsets.to_article_chars(0..s.text.len()).unwrap();
            assert!(
                cs <= whole.start && whole.end <= ce,
                "{} line {:?}",
                a.id,
                s.line
            );
            // Every word without a hyphen maps to original text that normalises to it.
            let mut at = 0;
            for w in s.text.split(' ') {
                let range = at..at + w.len();
                at += w.len() + 1;
                if w.is_empty() || w.contains('-') {
                    continue;
                }
                let r = offsets
                    .to_article_chars(range.clone())
                    .unwrap_or_else(|| panic!("{} {:?} {w:?} {range:?}", a.id, s.text));
                let original: String = chars[r].iter().collect();
                assert_eq!(rhetor::text::normalize(&original).text, w, "{}", a.id);
                words += 1;
            }
        }
    }
    assert!(words > 50_000, "{words}");
}

/// Word-aligned "oracle" predictions built from the gold spans themselves,
/// through the sentence → article offset maps: SI must come out near 1.
#[test]
fn ptc_dev_word_aligned_gold_spans_score_near_one() {
    use rhetor::model::{SentenceScores, SpanPrediction, TokenProbs};
    use rhetor::taxonomy::{Device, DeviceMap};
    let Some(dir) = shared_ptc("dev") else {
        return;
    };
    let gold = rhetor::eval::read_gold(&dir, rhetor::eval::GoldOptions::default()).unwrap();
    let overlaps = |a: &std::ops::Range<usize>, s: usize, e: usize| a.start < e && s < a.end;
    let scores: Vec<Vec<SentenceScores>> = gold
        .articles
        .iter()
        .map(|a| {
            let spans = a.spans.as_ref().unwrap();
            (0..a.sentences.len())
                .map(|i| {
                    let text = &a.sentences[i].text;
                    let Some(offsets) = a.sentence_offsets(i) else {
                        return SentenceScores::default();
                    };
                    let mut words = Vec::new();
                    let mut at = 0;
                    for w in text.split(' ') {
                        if let Some(c) = offsets.to_article_chars(at..at + w.len()) {
                            words.push((at..at + w.len(), c));
                        }
                        at += w.len() + 1;
                    }
                    let mut out = SentenceScores::default();
                    for g in spans {
                        let inside: Vec<_> = words
                            .iter()
                            .filter(|(_, c)| overlaps(c, g.start, g.end))
                            .collect();
                        if let (Some(first), Some(last)) = (inside.first(), inside.last()) {
                            out.spans.push(SpanPrediction {
                                device: g.device.unwrap_or(Device::LoadedLanguage),
                                start: first.0.start,
                                end: last.0.end,
                                probability: 1.0,
                            });
                        }
                    }
                    for (b, c) in &words {
                        let mut devices = DeviceMap::filled(0.0);
                        for g in spans.iter().filter(|g| overlaps(c, g.start, g.end)) {
                            if let Some(d) = g.device {
                                devices[d] += 1.0;
                            }
                        }
                        out.tokens.push(TokenProbs {
                            start: b.start,
                            end: b.end,
                            devices,
                            any: 1.0,
                        });
                    }
                    out
                })
                .collect()
        })
        .collect();
    let e = rhetor::eval::spans::evaluate_spans(&gold, &scores, 0).unwrap();
    eprintln!(
        "oracle on PTC dev: SI P {:.4} R {:.4} F1 {:.4}, TC {:?}, {} gold / {} predicted spans",
        e.si_precision, e.si_recall, e.si_f1, e.tc_micro_f1, e.n_gold_spans, e.n_predicted_spans
    );
    assert!(e.si_f1 > 0.95, "{e:?}");
    assert!(e.tc_micro_f1.unwrap() > 0.5, "{e:?}");
}
