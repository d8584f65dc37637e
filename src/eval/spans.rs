//! The span measures of SemEval-2020 Task 11 on a PTC-layout set:
//!
//! - **SI** (span identification): the task scorer's partial-overlap
//!   precision and recall. Per article, overlapping gold spans are merged (as
//!   the scorer does with the gold file), and so are overlapping predicted
//!   spans (the scorer's `-m` option; predictions of different techniques may
//!   overlap). Then, summed over the corpus,
//!   `P = Σ_s Σ_t |s∩t| / |s|  ÷  #predicted` and
//!   `R = Σ_s Σ_t |s∩t| / |t|  ÷  #gold` (s predicted, t gold, both in the
//!   same article; sizes in chars), `F1 = 2PR/(P+R)`, 0 when P or R is 0,
//!   and 1 when there is neither a gold nor a predicted span.
//! - **TC** (technique classification given the gold spans): for every gold
//!   span with a technique, the predicted technique is the PTC device with
//!   the highest mean token probability ([`crate::model::TokenProbs`]) over
//!   the word pieces that overlap the span, in every sentence the span
//!   touches. One prediction per gold span makes the official micro-F1
//!   equal to the accuracy. A span labelled with k techniques (k gold rows
//!   with the same offsets) gets the k most probable devices.
//! - **per technique**: the SI formula restricted to one technique's gold and
//!   predicted spans (each merged within the technique).
//!
//! Bootstrap intervals resample articles, like the sentence metrics.

use crate::io::labels::{GoldArticle, GoldSet, GoldSpan};
use crate::model::{SentenceScores, SpanPrediction};
use crate::stats::bootstrap::{bootstrap_sums, Summable, DEFAULT_SEED};
use crate::stats::Interval;
use crate::taxonomy::{Device, DeviceMap};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Range;

/// The SI sums of a set of articles (summable over articles).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpanSums {
    /// `Σ |s∩t| / |s|` over predicted spans `s` and gold spans `t`.
    pub precision_credit: f64,
    /// Number of predicted spans (after merging).
    pub predicted: usize,
    /// `Σ |s∩t| / |t|` over predicted spans `s` and gold spans `t`.
    pub recall_credit: f64,
    /// Number of gold spans (after merging).
    pub gold: usize,
}

/// Precision, recall and F1 of spans.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpanPrf {
    /// Precision (0 without predicted spans).
    pub precision: f64,
    /// Recall (0 without gold spans).
    pub recall: f64,
    /// F1: harmonic mean; 0 when P or R is 0; 1 without any span at all.
    pub f1: f64,
}

impl SpanSums {
    /// P, R and F1 with the task scorer's conventions.
    pub fn prf(&self) -> SpanPrf {
        let ratio = |num: f64, den: usize| if den > 0 { num / den as f64 } else { 0.0 };
        let precision = ratio(self.precision_credit, self.predicted);
        let recall = ratio(self.recall_credit, self.gold);
        let f1 = if self.predicted == 0 && self.gold == 0 {
            1.0
        } else if precision > 0.0 && recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        SpanPrf {
            precision,
            recall,
            f1,
        }
    }
}

impl Summable for SpanSums {
    fn add(&mut self, other: &Self) {
        self.precision_credit += other.precision_credit;
        self.predicted += other.predicted;
        self.recall_credit += other.recall_credit;
        self.gold += other.gold;
    }
}

/// Merges spans that share at least one char (touching spans, `a.end ==
/// b.start`, stay apart, as in the task scorer); empty spans are dropped.
/// The result is sorted and disjoint.
pub fn merge_overlapping(spans: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut sorted: Vec<Range<usize>> = spans.iter().filter(|s| s.start < s.end).cloned().collect();
    sorted.sort_by_key(|s| (s.start, s.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match out.last_mut() {
            Some(last) if s.start < last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

fn overlap(a: &Range<usize>, b: &Range<usize>) -> usize {
    a.end.min(b.end).saturating_sub(a.start.max(b.start))
}

/// The SI sums of one article: `predicted` and `gold` are char ranges of the
/// article; each side is merged with [`merge_overlapping`] first.
pub fn si_sums(predicted: &[Range<usize>], gold: &[Range<usize>]) -> SpanSums {
    let predicted = merge_overlapping(predicted);
    let gold = merge_overlapping(gold);
    let mut sums = SpanSums {
        predicted: predicted.len(),
        gold: gold.len(),
        ..SpanSums::default()
    };
    for s in &predicted {
        for t in &gold {
            let common = overlap(s, t) as f64;
            if common > 0.0 {
                sums.precision_credit += common / s.len() as f64;
                sums.recall_credit += common / t.len() as f64;
            }
        }
    }
    sums
}

/// A predicted span placed in its article.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleSpan {
    /// The technique.
    pub device: Device,
    /// Char range in the original article.
    pub chars: Range<usize>,
}

/// A word piece's span-head probabilities placed in its article.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleToken {
    /// Char range in the original article.
    pub chars: Range<usize>,
    /// Probability of lying inside a span of each device.
    pub devices: DeviceMap<f32>,
}

/// The per-technique SI sums of one article: gold spans of `device` against
/// predicted spans of `device`.
pub fn technique_sums(predicted: &[ArticleSpan], gold: &[GoldSpan], device: Device) -> SpanSums {
    let p: Vec<Range<usize>> = predicted
        .iter()
        .filter(|s| s.device == device)
        .map(|s| s.chars.clone())
        .collect();
    let g: Vec<Range<usize>> = gold
        .iter()
        .filter(|s| s.device == Some(device))
        .map(|s| s.start..s.end)
        .collect();
    si_sums(&p, &g)
}

/// TC counts: gold spans with a technique, and how many got it right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcCounts {
    /// Gold spans whose technique was predicted.
    pub correct: usize,
    /// Gold spans with a technique.
    pub total: usize,
}

impl TcCounts {
    /// Micro-F1 (= accuracy with one prediction per gold span); 0 without
    /// gold spans.
    pub fn micro_f1(&self) -> f64 {
        self.correct as f64 / self.total.max(1) as f64
    }
}

/// The PTC devices ranked by their mean probability over the tokens that
/// overlap `span` (most probable first; ties in [`Device::ALL`] order);
/// empty when no token overlaps the span.
pub fn rank_techniques(span: &Range<usize>, tokens: &[ArticleToken]) -> Vec<Device> {
    let inside: Vec<&ArticleToken> = tokens
        .iter()
        .filter(|t| overlap(&t.chars, span) > 0)
        .collect();
    if inside.is_empty() {
        return Vec::new();
    }
    let mut ranked: Vec<(Device, f32)> = Device::ALL
        .iter()
        .filter(|d| d.is_ptc())
        .map(|d| {
            let sum: f32 = inside.iter().map(|t| t.devices[*d]).sum();
            (*d, sum / inside.len() as f32)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.into_iter().map(|(d, _)| d).collect()
}

/// The TC counts of one article: every gold span with a device is classified
/// with [`rank_techniques`]; a span with k gold techniques (k rows with the
/// same offsets) gets the k best-ranked devices.
pub fn tc_counts(gold: &[GoldSpan], tokens: &[ArticleToken]) -> TcCounts {
    let mut groups: BTreeMap<(usize, usize), Vec<Device>> = BTreeMap::new();
    for g in gold {
        if let Some(d) = g.device {
            groups.entry((g.start, g.end)).or_default().push(d);
        }
    }
    let mut counts = TcCounts::default();
    for ((start, end), mut devices) in groups {
        counts.total += devices.len();
        let k = devices.len();
        for d in rank_techniques(&(start..end), tokens).into_iter().take(k) {
            if let Some(i) = devices.iter().position(|g| *g == d) {
                devices.swap_remove(i);
                counts.correct += 1;
            }
        }
    }
    counts
}

/// One article's gold spans and the model's spans and tokens, all in char
/// offsets of the original article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleSpans {
    /// The gold spans.
    pub gold: Vec<GoldSpan>,
    /// The predicted spans.
    pub predicted: Vec<ArticleSpan>,
    /// The word pieces with their probabilities.
    pub tokens: Vec<ArticleToken>,
}

/// Places the spans and tokens of `scores` (one per sentence of `article`,
/// byte ranges of the normalised sentence texts) in the article; `None` when
/// the article has no gold spans. Ranges that cannot be mapped (a sentence
/// without offsets, a range outside its sentence) are left out.
pub fn article_spans(article: &GoldArticle, scores: &[SentenceScores]) -> Option<ArticleSpans> {
    let gold = article.spans.clone()?;
    let mut out = ArticleSpans {
        gold,
        ..ArticleSpans::default()
    };
    for (i, sc) in scores.iter().enumerate() {
        if sc.spans.is_empty() && sc.tokens.is_empty() {
            continue;
        }
        let Some(offsets) = article.sentence_offsets(i) else {
            continue;
        };
        out.predicted.extend(sc.spans.iter().filter_map(|s| {
            Some(ArticleSpan {
                device: s.device,
                chars: offsets.to_article_chars(s.start..s.end)?,
            })
        }));
        out.tokens.extend(sc.tokens.iter().filter_map(|t| {
            Some(ArticleToken {
                chars: offsets.to_article_chars(t.start..t.end)?,
                devices: t.devices,
            })
        }));
    }
    Some(out)
}

/// True when the scores come from a model with a span head (some sentence
/// has predicted spans or token probabilities).
pub fn has_span_head(scores: &[Vec<SentenceScores>]) -> bool {
    scores
        .iter()
        .flatten()
        .any(|s| !s.spans.is_empty() || !s.tokens.is_empty())
}

/// The cues of a model's scores turned into predicted spans, for the SI of
/// the cue model as a baseline: cues of PTC devices with a positive weight
/// (evidence for the device) become [`SpanPrediction`]s; everything else is
/// left out (token probabilities too, so TC is not computed).
pub fn cues_as_spans(scores: &[Vec<SentenceScores>]) -> Vec<Vec<SentenceScores>> {
    scores
        .iter()
        .map(|article| {
            article
                .iter()
                .map(|s| SentenceScores {
                    spans: s
                        .cues
                        .iter()
                        .filter(|c| c.device.is_ptc() && c.weight > 0.0 && c.start < c.end)
                        .map(|c| SpanPrediction {
                            device: c.device,
                            start: c.start,
                            end: c.end,
                            probability: s.prob(c.device),
                        })
                        .collect(),
                    ..SentenceScores::default()
                })
                .collect()
        })
        .collect()
}

/// Span metrics of one technique.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TechniqueSpanMetrics {
    /// Precision, recall and F1 (SI formula on this technique's spans).
    #[serde(flatten)]
    pub prf: SpanPrf,
    /// Gold spans of the technique (after merging).
    pub gold_spans: usize,
    /// Predicted spans of the technique (after merging).
    pub predicted_spans: usize,
}

/// The span measures of a model on a set with gold spans:
/// `metrics.json`'s `evaluation.spans`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanEvaluation {
    /// SI precision (task scorer formula).
    pub si_precision: f64,
    /// SI recall.
    pub si_recall: f64,
    /// SI F1.
    pub si_f1: f64,
    /// 95 % bootstrap interval of SI F1 (resampling articles).
    pub si_f1_ci95: Option<Interval>,
    /// TC micro-F1 given the gold spans; `None` when the gold spans name no
    /// technique (three-column `.task-si.labels`) or the model gives no
    /// token probabilities.
    pub tc_micro_f1: Option<f64>,
    /// 95 % bootstrap interval of the TC micro-F1.
    pub tc_micro_f1_ci95: Option<Interval>,
    /// Span P/R/F1 per PTC technique (device id) with gold or predicted
    /// spans; `None` when the gold spans name no technique.
    pub per_technique: Option<BTreeMap<String, TechniqueSpanMetrics>>,
    /// Gold spans (overlapping ones merged, per article): the SI recall denominator.
    pub n_gold_spans: usize,
    /// Predicted spans (overlapping ones merged): the SI precision denominator.
    pub n_predicted_spans: usize,
    /// Gold spans with a technique: the TC denominator.
    pub n_tc_spans: usize,
}

/// What one article contributes to the resampled statistics.
#[derive(Debug, Clone, Copy, Default)]
struct ArticleSlot {
    si: SpanSums,
    tc: TcCounts,
}

impl Summable for ArticleSlot {
    fn add(&mut self, other: &Self) {
        self.si.add(&other.si);
        self.tc.correct += other.tc.correct;
        self.tc.total += other.tc.total;
    }
}

/// The span measures of `scores` (indexed like `gold`'s articles and
/// sentences) on `gold`. `None` (JSON `null`, not 0) when the set has no gold
/// spans or the model no span head. `resamples` = 0 skips the intervals.
pub fn evaluate_spans(
    gold: &GoldSet,
    scores: &[Vec<SentenceScores>],
    resamples: usize,
) -> Option<SpanEvaluation> {
    if !gold.has_spans() || !has_span_head(scores) {
        return None;
    }
    let articles: Vec<ArticleSpans> = gold
        .articles
        .iter()
        .zip(scores)
        .filter_map(|(a, s)| article_spans(a, s))
        .collect();
    let techniques = !gold.devices.is_empty();
    let tc = techniques && articles.iter().any(|a| !a.tokens.is_empty());
    let slots: Vec<Vec<ArticleSlot>> = articles
        .iter()
        .map(|a| {
            vec![ArticleSlot {
                si: si_sums(&predicted_ranges(a), &gold_ranges(a)),
                tc: if tc {
                    tc_counts(&a.gold, &a.tokens)
                } else {
                    TcCounts::default()
                },
            }]
        })
        .collect();
    let mut total = ArticleSlot::default();
    for s in &slots {
        total.add(&s[0]);
    }
    let cis = if resamples > 0 {
        bootstrap_sums(&slots, resamples, DEFAULT_SEED, |s| {
            vec![s[0].si.prf().f1, s[0].tc.micro_f1()]
        })
    } else {
        Vec::new()
    };
    let si = total.si.prf();
    Some(SpanEvaluation {
        si_precision: si.precision,
        si_recall: si.recall,
        si_f1: si.f1,
        si_f1_ci95: cis.first().copied(),
        tc_micro_f1: tc.then(|| total.tc.micro_f1()),
        tc_micro_f1_ci95: if tc { cis.get(1).copied() } else { None },
        per_technique: techniques.then(|| per_technique(&articles)),
        n_gold_spans: total.si.gold,
        n_predicted_spans: total.si.predicted,
        n_tc_spans: articles
            .iter()
            .flat_map(|a| &a.gold)
            .filter(|g| g.device.is_some())
            .count(),
    })
}

fn predicted_ranges(a: &ArticleSpans) -> Vec<Range<usize>> {
    a.predicted.iter().map(|s| s.chars.clone()).collect()
}

fn gold_ranges(a: &ArticleSpans) -> Vec<Range<usize>> {
    a.gold.iter().map(|s| s.start..s.end).collect()
}

/// Per-technique span metrics over all articles, for the PTC devices with
/// gold or predicted spans.
fn per_technique(articles: &[ArticleSpans]) -> BTreeMap<String, TechniqueSpanMetrics> {
    let mut out = BTreeMap::new();
    for d in Device::ALL.iter().filter(|d| d.is_ptc()) {
        let mut sums = SpanSums::default();
        for a in articles {
            sums.add(&technique_sums(&a.predicted, &a.gold, *d));
        }
        if sums.gold > 0 || sums.predicted > 0 {
            out.insert(
                d.id().to_string(),
                TechniqueSpanMetrics {
                    prf: sums.prf(),
                    gold_spans: sums.gold,
                    predicted_spans: sums.predicted,
                },
            );
        }
    }
    out
}

#[cfg(test)]
// One-span lists of ranges are the point of these tests.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use crate::io::labels::{read_gold, GoldOptions};
    use crate::model::{Cue, TokenProbs};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    const ZERO: SpanPrf = SpanPrf {
        precision: 0.0,
        recall: 0.0,
        f1: 0.0,
    };

    fn prf(pred: &[Range<usize>], gold: &[Range<usize>]) -> SpanPrf {
        si_sums(pred, gold).prf()
    }

    #[test]
    fn si_disjoint_spans_score_zero() {
        let s = si_sums(&[0..5], &[10..20]);
        assert_eq!((s.predicted, s.gold), (1, 1));
        assert_eq!(s.prf(), ZERO);
    }

    #[test]
    fn si_partial_overlap_is_normalised_by_each_length() {
        // |∩| = 5: P = 5/10, R = 5/20, F1 = 2·.5·.25/.75 = 1/3.
        let p = prf(&[0..10], &[5..25]);
        assert!(close(p.precision, 0.5) && close(p.recall, 0.25));
        assert!(close(p.f1, 1.0 / 3.0), "{p:?}");
    }

    #[test]
    fn si_nested_prediction_has_full_precision() {
        // 10..15 inside 0..20: P = 5/5, R = 5/20, F1 = 0.4.
        let p = prf(&[10..15], &[0..20]);
        assert!(close(p.precision, 1.0) && close(p.recall, 0.25));
        assert!(close(p.f1, 0.4));
        // And the other way round: P = 5/20, R = 5/5.
        let p = prf(&[0..20], &[10..15]);
        assert!(close(p.precision, 0.25) && close(p.recall, 1.0));
    }

    #[test]
    fn si_overlapping_gold_spans_are_merged_touching_ones_are_not() {
        // Gold 0..10 and 5..20 merge into 0..20 (one span): P = 10/10, R = 10/20.
        let s = si_sums(&[0..10], &[0..10, 5..20]);
        assert_eq!(s.gold, 1);
        let p = s.prf();
        assert!(close(p.precision, 1.0) && close(p.recall, 0.5));
        assert!(close(p.f1, 2.0 / 3.0));
        // Touching gold spans stay two: P = (10/20 + 10/20)/1, R = (10/10 + 10/10)/2.
        let s = si_sums(&[0..20], &[0..10, 10..20]);
        assert_eq!(s.gold, 2);
        assert!(close(s.prf().precision, 1.0) && close(s.prf().recall, 1.0));
        // Nested gold spans (a span inside another, two techniques) merge too.
        assert_eq!(
            merge_overlapping(&[3..8, 0..20, 25..30, 29..31]),
            vec![0..20, 25..31]
        );
    }

    #[test]
    fn si_two_predictions_on_one_gold_span() {
        // Gold 0..20; predicted 0..5 and 10..20: P = (5/5 + 10/10)/2 = 1,
        // R = (5/20 + 10/20)/1 = 0.75, F1 = 1.5/1.75 = 6/7.
        let p = prf(&[0..5, 10..20], &[0..20]);
        assert!(close(p.precision, 1.0) && close(p.recall, 0.75));
        assert!(close(p.f1, 6.0 / 7.0));
        // Overlapping predictions are merged (the scorer's -m): 0..12 and 5..20 → 0..20.
        let s = si_sums(&[0..12, 5..20], &[0..20]);
        assert_eq!(s.predicted, 1);
        assert!(close(s.prf().f1, 1.0));
    }

    #[test]
    fn si_empty_prediction_sets() {
        let s = si_sums(&[], &[0..10]);
        assert_eq!(s.prf(), ZERO);
        // Neither gold nor predicted spans: F1 1, as in the task scorer.
        assert_eq!(si_sums(&[], &[]).prf().f1, 1.0);
        // Predictions without gold: P 0.
        assert_eq!(si_sums(&[0..3], &[]).prf().f1, 0.0);
    }

    #[test]
    fn si_sums_over_the_corpus_not_averaged_over_articles() {
        // Article A: perfect; article B: one false span. P = 1/2, R = 1/1 → F1 2/3
        // (the mean of the per-article F1s would be 1/2).
        let mut total = si_sums(&[0..10], &[0..10]);
        total.add(&si_sums(&[0..10], &[]));
        let p = total.prf();
        assert!(close(p.precision, 0.5) && close(p.recall, 1.0));
        assert!(close(p.f1, 2.0 / 3.0));
    }

    fn token(chars: Range<usize>, probs: &[(Device, f32)]) -> ArticleToken {
        let mut devices = DeviceMap::filled(0.0);
        for (d, p) in probs {
            devices[*d] = *p;
        }
        ArticleToken { chars, devices }
    }

    fn gold(device: Option<Device>, chars: Range<usize>) -> GoldSpan {
        GoldSpan {
            device,
            start: chars.start,
            end: chars.end,
        }
    }

    #[test]
    fn tc_takes_the_argmax_of_the_mean_over_overlapping_pieces() {
        let tokens = vec![
            token(0..4, &[(Device::Doubt, 0.9), (Device::LoadedLanguage, 0.1)]),
            token(5..9, &[(Device::Doubt, 0.1), (Device::LoadedLanguage, 0.7)]),
            token(
                10..14,
                &[(Device::Doubt, 0.0), (Device::LoadedLanguage, 0.6)],
            ),
            // Not a PTC device: never predicted however high.
            token(5..14, &[(Device::ScareQuotes, 1.0)]),
        ];
        // 0..9: doubt mean .5, loaded .4 → doubt. 3..14 (overlaps all three):
        // doubt 1/3, loaded 1.4/3 → loaded.
        assert_eq!(rank_techniques(&(0..9), &tokens)[0], Device::Doubt);
        assert!(!rank_techniques(&(0..9), &tokens).contains(&Device::ScareQuotes));
        assert_eq!(
            rank_techniques(&(3..14), &tokens)[0],
            Device::LoadedLanguage
        );
        assert!(rank_techniques(&(20..30), &tokens).is_empty());
        let spans = [
            gold(Some(Device::Doubt), 0..9),         // right
            gold(Some(Device::Doubt), 3..14),        // wrong (loaded)
            gold(Some(Device::NameCalling), 20..30), // no piece: wrong
            gold(None, 0..14),                       // no technique: not counted
        ];
        let c = tc_counts(&spans, &tokens);
        assert_eq!((c.correct, c.total), (1, 3));
        assert!(close(c.micro_f1(), 1.0 / 3.0));
        assert_eq!(TcCounts::default().micro_f1(), 0.0);
    }

    #[test]
    fn tc_gives_a_span_with_two_techniques_the_two_best_devices() {
        let tokens = vec![token(
            0..10,
            &[
                (Device::Doubt, 0.9),
                (Device::LoadedLanguage, 0.8),
                (Device::FlagWaving, 0.1),
            ],
        )];
        let both = [
            gold(Some(Device::Doubt), 0..10),
            gold(Some(Device::LoadedLanguage), 0..10),
        ];
        let c = tc_counts(&both, &tokens);
        assert_eq!((c.correct, c.total), (2, 2));
        let one_wrong = [
            gold(Some(Device::Doubt), 0..10),
            gold(Some(Device::FlagWaving), 0..10),
        ];
        let c = tc_counts(&one_wrong, &tokens);
        assert_eq!((c.correct, c.total), (1, 2));
    }

    #[test]
    fn per_technique_uses_the_si_formula_on_one_techniques_spans() {
        let g = [
            gold(Some(Device::Doubt), 0..10),
            gold(Some(Device::LoadedLanguage), 20..30),
        ];
        let predicted = |device, chars| ArticleSpan { device, chars };
        let p = [
            predicted(Device::Doubt, 0..5),
            predicted(Device::LoadedLanguage, 40..50),
        ];
        let doubt = technique_sums(&p, &g, Device::Doubt).prf();
        assert!(close(doubt.precision, 1.0) && close(doubt.recall, 0.5));
        assert!(close(doubt.f1, 2.0 / 3.0));
        assert_eq!(technique_sums(&p, &g, Device::LoadedLanguage).prf().f1, 0.0);
        // A right span with the wrong technique counts for SI, not per technique.
        let wrong = [predicted(Device::FlagWaving, 0..10)];
        assert_eq!(technique_sums(&wrong, &g, Device::Doubt).prf().f1, 0.0);
        let articles = [ArticleSpans {
            gold: g.to_vec(),
            predicted: p.to_vec(),
            tokens: vec![],
        }];
        let table = per_technique(&articles);
        assert_eq!(table.len(), 2);
        assert!(close(table["doubt"].prf.f1, 2.0 / 3.0));
        assert_eq!(table["loaded_language"].predicted_spans, 1);
    }

    fn write(dir: &std::path::Path, name: &str, content: &str) {
        std::fs::write(dir.join(name), content).unwrap();
    }

    /// Char offsets of `needle` in `text`.
    fn chars_of(text: &str, needle: &str) -> Range<usize> {
        let b = text.find(needle).unwrap();
        let start = text[..b].chars().count();
        start..start + needle.chars().count()
    }

    fn scores_with(
        text: &str,
        spans: &[(Device, &str)],
        tokens: &[(&str, Device, f32)],
    ) -> SentenceScores {
        SentenceScores {
            spans: spans
                .iter()
                .map(|(d, s)| {
                    let b = text.find(s).unwrap();
                    SpanPrediction {
                        device: *d,
                        start: b,
                        end: b + s.len(),
                        probability: 0.9,
                    }
                })
                .collect(),
            tokens: tokens
                .iter()
                .map(|(s, d, p)| {
                    let b = text.find(s).unwrap();
                    let mut devices = DeviceMap::filled(0.0);
                    devices[*d] = *p;
                    TokenProbs {
                        start: b,
                        end: b + s.len(),
                        devices,
                        any: *p,
                    }
                })
                .collect(),
            ..SentenceScores::default()
        }
    }

    #[test]
    fn tuning_the_span_decoding_joins_fragments_of_a_gold_span() {
        use crate::eval::tune::tune_span_decoding;
        use crate::model::span_head::SpanHeadConfig;
        let dir = tempfile::tempdir().unwrap();
        let text = "A title\n\nThey are evil and lying traitors today.\n";
        write(dir.path(), "article1.txt", text);
        let gold_span = chars_of(text, "evil and lying traitors");
        write(
            dir.path(),
            "article1.task-flc-tc.labels",
            &format!(
                "1\tName_Calling,Labeling\t{}\t{}\n",
                gold_span.start, gold_span.end
            ),
        );
        let g = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let sentence = &g.articles[0].sentences[1].text;
        let words = ["They", "are", "evil", "and", "lying", "traitors", "today."];
        let any = [0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 0.1];
        let tokens: Vec<_> = words
            .iter()
            .zip(any)
            .map(|(w, p)| (*w, Device::NameCalling, p))
            .collect();
        let mut scores = vec![vec![
            SentenceScores::default(),
            scores_with(sentence, &[], &tokens),
        ]];
        let base = SpanHeadConfig::new(vec![Device::NameCalling], 0.5);
        // The threshold alone finds "evil" and "lying traitors": P 1, R 18/23.
        let (tuned, f1) = tune_span_decoding(&mut [(&g, &mut scores)], &base).unwrap();
        assert!(tuned.join_gap >= 1, "{tuned:?}");
        assert!(close(f1, 1.0), "{f1}");
        // The scores are left decoded with the choice: one span, the gold one,
        // without the sentence's final punctuation.
        let spans = &scores[0][1].spans;
        assert_eq!(spans.len(), 1);
        assert_eq!(
            &sentence[spans[0].start..spans[0].end],
            "evil and lying traitors"
        );
        assert_eq!(spans[0].device, Device::NameCalling);
    }

    #[test]
    fn evaluate_spans_maps_sentence_ranges_to_the_article() {
        let dir = tempfile::tempdir().unwrap();
        // Curly quotes (3 bytes, 1 char) and a span crossing the line break.
        let text = "A title\n\nThey “always” lie to you.\nTotal disaster ahead.\n";
        write(dir.path(), "article1.txt", text);
        let lie = chars_of(text, "always” lie");
        let cross = chars_of(text, "you.\nTotal disaster");
        write(
            dir.path(),
            "article1.task-flc-tc.labels",
            &format!(
                "1\tLoaded_Language\t{}\t{}\n1\tExaggeration,Minimisation\t{}\t{}\n",
                lie.start, lie.end, cross.start, cross.end
            ),
        );
        let g = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let s = &g.articles[0].sentences;
        assert_eq!(s[1].text, "They \"always\" lie to you.");
        let scores = vec![vec![
            SentenceScores::default(),
            // Predicted `always" lie` exactly (normalised quote inside).
            scores_with(
                &s[1].text,
                &[(Device::LoadedLanguage, "always\" lie")],
                &[
                    ("always", Device::LoadedLanguage, 0.8),
                    ("you", Device::Exaggeration, 0.6),
                ],
            ),
            scores_with(&s[2].text, &[], &[("Total", Device::Exaggeration, 0.9)]),
        ]];
        let e = evaluate_spans(&g, &scores, 20).unwrap();
        // Prediction = gold span 1 exactly; gold span 2 missed:
        // P = 1/1, R = (1 + 0)/2 → F1 = 2/3.
        assert_eq!(
            (e.n_gold_spans, e.n_predicted_spans, e.n_tc_spans),
            (2, 1, 2)
        );
        assert!(close(e.si_precision, 1.0) && close(e.si_recall, 0.5));
        assert!(close(e.si_f1, 2.0 / 3.0));
        // TC: loaded right; the crossing span sees `you` and `Total` → exaggeration.
        assert_eq!(e.tc_micro_f1, Some(1.0));
        let ci = e.si_f1_ci95.unwrap();
        assert_eq!((ci.low, ci.high), (e.si_f1, e.si_f1));
        let table = e.per_technique.as_ref().unwrap();
        assert!(close(table["loaded_language"].prf.f1, 1.0));
        assert_eq!(table["exaggeration"].prf.f1, 0.0);
        // No span head: null, not 0.
        let none = vec![vec![SentenceScores::default(); 3]];
        assert!(evaluate_spans(&g, &none, 0).is_none());
        let json = serde_json::to_value(&e).unwrap();
        assert!(json["si_f1"].is_number() && json["per_technique"]["doubt"].is_null());
    }

    #[test]
    fn three_column_gold_gives_si_but_no_tc() {
        let dir = tempfile::tempdir().unwrap();
        let text = "Title\nThey lie.\n";
        write(dir.path(), "article2.txt", text);
        let lie = chars_of(text, "lie");
        write(
            dir.path(),
            "article2.task-si.labels",
            &format!("2\t{}\t{}\n", lie.start, lie.end),
        );
        let g = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let s = &g.articles[0].sentences;
        let scores = vec![vec![
            SentenceScores::default(),
            scores_with(
                &s[1].text,
                &[(Device::Doubt, "They lie")],
                &[("lie", Device::Doubt, 0.9)],
            ),
        ]];
        let e = evaluate_spans(&g, &scores, 0).unwrap();
        // P = 3/8, R = 3/3 → F1 = 2·(3/8)/(11/8) = 6/11.
        assert!(close(e.si_precision, 3.0 / 8.0) && close(e.si_recall, 1.0));
        assert!(close(e.si_f1, 6.0 / 11.0));
        assert!(e.tc_micro_f1.is_none() && e.tc_micro_f1_ci95.is_none());
        assert!(e.per_technique.is_none() && e.si_f1_ci95.is_none());
        let json = serde_json::to_value(&e).unwrap();
        assert!(json["tc_micro_f1"].is_null() && json["per_technique"].is_null());
    }

    #[test]
    fn cue_spans_keep_positive_ptc_cues_only() {
        let cue = |device, start, end, weight| Cue {
            device,
            start,
            end,
            pattern: "p".into(),
            weight,
        };
        let scores = vec![vec![SentenceScores {
            cues: vec![
                cue(Device::LoadedLanguage, 0, 4, 1.5),
                cue(Device::Doubt, 5, 9, -0.5),
                cue(Device::ScareQuotes, 0, 9, 2.0),
            ],
            ..SentenceScores::default()
        }]];
        let spans = &cues_as_spans(&scores)[0][0];
        assert_eq!(spans.spans.len(), 1);
        assert_eq!(spans.spans[0].device, Device::LoadedLanguage);
        assert_eq!((spans.spans[0].start, spans.spans[0].end), (0, 4));
        assert!(spans.tokens.is_empty() && spans.cues.is_empty());
        assert!(has_span_head(&cues_as_spans(&scores)) && !has_span_head(&scores));
    }
}
