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
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp, mut ap, mut prev_recall) = (0u64, 0u64, 0.0f64, 0.0f64);
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
        let recall = tp as f64 / positives as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
    }
    Some(ap)
}

/// The threshold that maximises F1 when predicting `score >= threshold`, and
/// that F1. Candidates are the distinct scores; ties in F1 keep the higher
/// threshold (fewer positives). `None` when there is no positive example.
pub fn best_f1_threshold(scores: &[f32], gold: &[bool]) -> Option<(f32, f64)> {
    let positives = gold.iter().filter(|g| **g).count() as u64;
    if positives == 0 || scores.len() != gold.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut best: Option<(f32, f64)> = None;
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
        let f1 = prf(tp, fp, positives - tp).f1;
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((threshold, f1));
        }
    }
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
