//! Classification metrics: precision / recall / F1 from counts (with the
//! zero-division conventions of scikit-learn, which the NLP4IF-2019 SLC scorer
//! uses), average precision (PR-AUC), best-F1 thresholds and Cohen's κ.

use serde::Serialize;

/// Confusion counts of one binary decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// False negatives.
    pub fn_: u64,
    /// True negatives.
    pub tn: u64,
}

/// Counts `(gold, predicted)` decisions.
impl FromIterator<(bool, bool)> for Counts {
    fn from_iter<I: IntoIterator<Item = (bool, bool)>>(decisions: I) -> Self {
        let mut counts = Counts::default();
        for (gold, predicted) in decisions {
            counts.add(gold, predicted);
        }
        counts
    }
}

impl Counts {
    /// Adds one decision.
    pub fn add(&mut self, gold: bool, predicted: bool) {
        match (gold, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    /// Adds another table.
    pub fn merge(&mut self, other: &Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
        self.tn += other.tn;
    }
    /// Number of gold positives.
    pub fn support(&self) -> u64 {
        self.tp + self.fn_
    }
    /// Precision, recall and F1 of the positive class.
    pub fn prf(&self) -> Prf {
        prf(self.tp, self.fp, self.fn_)
    }
    /// The same decisions seen from the negative class (gold and predicted
    /// negatives become the positives): tp ↔ tn, fp ↔ fn.
    pub fn negated(&self) -> Counts {
        Counts {
            tp: self.tn,
            fp: self.fn_,
            fn_: self.fp,
            tn: self.tp,
        }
    }
    /// Macro-F1 over the two classes: the mean of F1 of the positive class and
    /// F1 of the negative class (the official CheckThat! subjectivity measure,
    /// scikit-learn's `f1_score(average="macro")` on binary labels).
    pub fn macro_f1(&self) -> f64 {
        (self.prf().f1 + self.negated().prf().f1) / 2.0
    }
}

/// Metrics of a binary decision with the gold positives reweighted to another
/// prior (see [`at_base_rate`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BaseRateMetrics {
    /// The prior the positives were reweighted to.
    pub base_rate: f64,
    /// Weighted precision of the positive class.
    pub precision: f64,
    /// Recall of the positive class (unchanged by the weighting).
    pub recall: f64,
    /// Weighted F1 of the positive class.
    pub f1: f64,
    /// Weighted macro-F1 (mean of the F1 of both classes).
    pub macro_f1: f64,
}

/// Precision, recall, F1 and macro-F1 of `c` as if the gold positives made up
/// `base_rate` of the set instead of its own rate π = (tp + fn) / n:
/// importance weights w₊ = base_rate / π on gold positives (tp, fn) and
/// w₋ = (1 − base_rate) / (1 − π) on gold negatives (fp, tn), then
/// P = w₊tp / (w₊tp + w₋fp), R = tp / (tp + fn), F1 = 2w₊tp / (2w₊tp + w₋fp + w₊fn),
/// F1 of the negative class = 2w₋tn / (2w₋tn + w₊fn + w₋fp) (a zero
/// denominator gives 0, as in [`prf`]). `None` when `base_rate` is not in
/// (0, 1) or the set has no positive or no negative (π ∈ {0, 1}).
pub fn at_base_rate(c: &Counts, base_rate: f64) -> Option<BaseRateMetrics> {
    let n = (c.tp + c.fp + c.fn_ + c.tn) as f64;
    let pos = c.support() as f64;
    if !(base_rate > 0.0 && base_rate < 1.0) || pos == 0.0 || pos == n {
        return None;
    }
    let pi = pos / n;
    let wp = base_rate / pi;
    let wn = (1.0 - base_rate) / (1.0 - pi);
    let (tp, fn_) = (c.tp as f64 * wp, c.fn_ as f64 * wp);
    let (fp, tn) = (c.fp as f64 * wn, c.tn as f64 * wn);
    let div = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
    let f1 = div(2.0 * tp, 2.0 * tp + fp + fn_);
    let f1_neg = div(2.0 * tn, 2.0 * tn + fn_ + fp);
    Some(BaseRateMetrics {
        base_rate,
        precision: div(tp, tp + fp),
        recall: div(tp, tp + fn_),
        f1,
        macro_f1: (f1 + f1_neg) / 2.0,
    })
}

/// Precision, recall and F1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

/// Precision, recall and F1 of the positive class, exactly as
/// scikit-learn's `precision_score` / `recall_score` / `f1_score` with
/// `pos_label` and the default `zero_division="warn"` (which yields 0): the
/// NLP4IF-2019 SLC scorer calls those functions on the pooled sentence labels.
/// - precision = tp / (tp + fp), 0 when nothing is predicted positive;
/// - recall = tp / (tp + fn), 0 when there is no gold positive;
/// - F1 = 2·tp / (2·tp + fp + fn), 0 when that denominator is 0.
pub fn prf(tp: u64, fp: u64, fn_: u64) -> Prf {
    let div = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Prf {
        precision: div(tp, tp + fp),
        recall: div(tp, tp + fn_),
        f1: div(2 * tp, 2 * tp + fp + fn_),
    }
}

/// Average precision (the area under the precision–recall curve, computed as
/// scikit-learn's `average_precision_score`): Σₙ (Rₙ − Rₙ₋₁)·Pₙ over the
/// distinct score thresholds in decreasing order (tied scores enter together).
/// `None` when there is no positive example.
pub fn average_precision(scores: &[f32], gold: &[bool]) -> Option<f64> {
    let positives = gold.iter().filter(|g| **g).count();
    if positives == 0 || scores.len() != gold.len() {
        return None;
    }
    let (mut ap, mut prev_recall) = (0.0f64, 0.0f64);
    sweep(scores, gold, |_, tp, fp| {
        let recall = tp as f64 / positives as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
    });
    Some(ap)
}

/// Calls `visit(threshold, tp, fp)` for every distinct score in decreasing
/// order, with the true and false positives of predicting `score >= threshold`
/// (tied scores enter together).
fn sweep(scores: &[f32], gold: &[bool], mut visit: impl FnMut(f32, u64, u64)) {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut i = 0;
    while i < order.len() {
        let threshold = scores[order[i]];
        while i < order.len() && scores[order[i]] == threshold {
            if gold[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        visit(threshold, tp, fp);
    }
}

/// The threshold that maximises F1 when predicting `score >= threshold`, and
/// that F1. Candidates are the distinct scores; ties in F1 keep the higher
/// threshold (fewer positives). `None` when there is no positive example.
pub fn best_f1_threshold(scores: &[f32], gold: &[bool]) -> Option<(f32, f64)> {
    let positives = gold.iter().filter(|g| **g).count() as u64;
    if positives == 0 {
        return None;
    }
    best_threshold_by(scores, gold, |tp, fp| prf(tp, fp, positives - tp).f1)
}

/// The threshold maximising `objective(tp, fp)` — the true and false
/// positives when predicting `score >= threshold` — and its value.
/// Candidates are the distinct scores in decreasing order; ties keep the
/// higher threshold. `None` on empty or unequal inputs.
pub fn best_threshold_by(
    scores: &[f32],
    gold: &[bool],
    objective: impl Fn(u64, u64) -> f64,
) -> Option<(f32, f64)> {
    if scores.len() != gold.len() {
        return None;
    }
    let mut best: Option<(f32, f64)> = None;
    sweep(scores, gold, |threshold, tp, fp| {
        let value = objective(tp, fp);
        if best.is_none_or(|(_, b)| value > b) {
            best = Some((threshold, value));
        }
    });
    best
}

/// Cohen's κ of two binary labellings of the same items:
/// κ = (pₒ − pₑ) / (1 − pₑ), with pₒ the observed agreement and pₑ the
/// agreement expected from the two marginals. `None` when pₑ = 1 (both
/// labellings constant and equal, where κ is undefined) or on empty or
/// unequal inputs.
pub fn cohen_kappa(a: &[bool], b: &[bool]) -> Option<f64> {
    if a.is_empty() || a.len() != b.len() {
        return None;
    }
    let n = a.len() as f64;
    let agree = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64;
    let pa = a.iter().filter(|x| **x).count() as f64 / n;
    let pb = b.iter().filter(|x| **x).count() as f64 / n;
    let po = agree / n;
    let pe = pa * pb + (1.0 - pa) * (1.0 - pb);
    if (1.0 - pe).abs() < 1e-12 {
        return None;
    }
    Some((po - pe) / (1.0 - pe))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn prf_matches_hand_computed_values() {
        // tp 3, fp 1, fn 2 → P 3/4, R 3/5, F1 6/9.
        let p = prf(3, 1, 2);
        assert!(close(p.precision, 0.75) && close(p.recall, 0.6));
        assert!(close(p.f1, 6.0 / 9.0));
    }

    #[test]
    fn slc_scorer_conventions_on_a_known_case() {
        // The NLP4IF-2019 scorer README's example: 5 gold propaganda sentences,
        // the submission finds 4 and no false positive → P 1, R 0.8, F1 0.888889.
        let gold = [true, true, true, true, true, false, false];
        let pred = [true, true, true, true, false, false, false];
        let mut c = Counts::default();
        for (g, p) in gold.iter().zip(pred) {
            c.add(*g, p);
        }
        let m = c.prf();
        assert!(close(m.precision, 1.0) && close(m.recall, 0.8));
        assert!((m.f1 - 0.888889).abs() < 1e-6);
        // sklearn zero_division: nothing predicted → P 0, F1 0; nothing gold → R 0.
        assert_eq!(prf(0, 0, 3), Prf::default());
        assert_eq!(prf(0, 2, 0), Prf::default());
        assert_eq!(prf(0, 0, 0), Prf::default());
    }

    #[test]
    fn macro_f1_averages_both_classes() {
        // tp 3, fp 1, fn 2, tn 4: F1(pos) = 6/9; negative class tp 4, fp 2,
        // fn 1 → F1(neg) = 8/11; macro = (6/9 + 8/11)/2 = 46/66.
        let c = Counts {
            tp: 3,
            fp: 1,
            fn_: 2,
            tn: 4,
        };
        assert_eq!(
            c.negated(),
            Counts {
                tp: 4,
                fp: 2,
                fn_: 1,
                tn: 3
            }
        );
        assert!(close(c.negated().prf().f1, 8.0 / 11.0));
        assert!(close(c.macro_f1(), 46.0 / 66.0), "{}", c.macro_f1());
        // All negative, nothing predicted: F1(pos) 0, F1(neg) 1 → 0.5.
        let none = Counts {
            tn: 5,
            ..Counts::default()
        };
        assert!(close(none.macro_f1(), 0.5));
    }

    #[test]
    fn base_rate_reweighting_matches_hand_computed_values() {
        // 10 sentences, π = 5/10; tp 4, fn 1, fp 2, tn 3. Prior 0.25:
        // w₊ = 0.25/0.5 = 0.5, w₋ = 0.75/0.5 = 1.5 → tp 2, fn 0.5, fp 3, tn 4.5.
        // P = 2/5 = 0.4; R = 0.8; F1 = 4/(4 + 3 + 0.5) = 8/15;
        // F1(neg) = 9/(9 + 0.5 + 3) = 0.72; macro = (8/15 + 0.72)/2 = 47/75.
        let c = Counts {
            tp: 4,
            fp: 2,
            fn_: 1,
            tn: 3,
        };
        let m = at_base_rate(&c, 0.25).unwrap();
        assert_eq!(m.base_rate, 0.25);
        assert!(close(m.precision, 0.4), "{m:?}");
        assert!(close(m.recall, 0.8), "{m:?}");
        assert!(close(m.f1, 8.0 / 15.0), "{m:?}");
        assert!(close(m.macro_f1, 47.0 / 75.0), "{m:?}");
        // The set's own rate changes nothing.
        let same = at_base_rate(&c, 0.5).unwrap();
        assert!(close(same.precision, c.prf().precision));
        assert!(close(same.f1, c.prf().f1));
        assert!(close(same.macro_f1, c.macro_f1()));
        // Undefined: prior outside (0, 1), or no positive / no negative.
        assert_eq!(at_base_rate(&c, 0.0), None);
        assert_eq!(at_base_rate(&c, 1.0), None);
        let no_pos = Counts {
            fp: 1,
            tn: 3,
            ..Counts::default()
        };
        assert_eq!(at_base_rate(&no_pos, 0.3), None);
    }

    #[test]
    fn average_precision_matches_hand_computed_values() {
        // sklearn docs example: y [0,0,1,1], scores [.1,.4,.35,.8] → 0.8333…
        let ap = average_precision(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap();
        assert!(close(ap, 5.0 / 6.0), "{ap}");
        // Perfect ranking → 1; constant scores → prevalence.
        assert!(close(
            average_precision(&[0.9, 0.1], &[true, false]).unwrap(),
            1.0
        ));
        let ap = average_precision(&[0.5; 4], &[true, false, false, false]).unwrap();
        assert!(close(ap, 0.25));
        assert_eq!(average_precision(&[0.3], &[false]), None);
    }

    #[test]
    fn best_threshold_finds_the_f1_optimum() {
        let scores = [0.9, 0.8, 0.3, 0.2];
        let gold = [true, false, true, false];
        // t=0.9: F1 2/3; t=0.8: 0.5; t=0.3: 0.8; t=0.2: 2/3.
        let (t, f1) = best_f1_threshold(&scores, &gold).unwrap();
        assert_eq!(t, 0.3);
        assert!(close(f1, 0.8));
    }

    #[test]
    fn cohen_kappa_matches_hand_computed_values() {
        // 10 items: both yes 4, A-only 1, B-only 1, both no 4.
        // po = 0.8; pa = pb = 0.5; pe = 0.5; κ = 0.6.
        let a = [
            true, true, true, true, true, false, false, false, false, false,
        ];
        let b = [
            true, true, true, true, false, true, false, false, false, false,
        ];
        assert!(close(cohen_kappa(&a, &b).unwrap(), 0.6));
        assert!(close(cohen_kappa(&a, &a).unwrap(), 1.0));
        assert_eq!(cohen_kappa(&[false, false], &[false, false]), None);
        assert_eq!(cohen_kappa(&[], &[]), None);
    }
}
