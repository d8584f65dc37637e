//! Figures of one label's binary decisions (precision, recall, F1 of the
//! positive class, macro-F1 over both classes) with 95 % bootstrap
//! intervals over sentences: what `rhetor train --labels` reports for its
//! cross-validated, hold-out or `--test` decisions and what `rhetor eval`
//! reports for a model with labels of its own on a coded file.

use super::bootstrap::{bootstrap_intervals, DEFAULT_RESAMPLES};
use super::metrics::Counts;
use super::Interval;
use serde::Serialize;

/// Seed of the bootstrap intervals.
pub const CI_SEED: u64 = 7;

/// Figures of one output's decisions at its threshold.
#[derive(Debug, Clone, Serialize)]
pub struct LabelFigures {
    /// The label (or `framing`).
    pub name: String,
    /// Sentences coded for it that were scored.
    pub sentences: usize,
    /// Of which positive.
    pub positives: usize,
    /// The threshold.
    pub threshold: f32,
    /// Precision of the positive class.
    pub precision: f64,
    /// Recall of the positive class.
    pub recall: f64,
    /// F1 of the positive class.
    pub f1: f64,
    /// Macro-F1 over both classes.
    pub macro_f1: f64,
    /// 95 % bootstrap intervals (over sentences) of precision, recall, F1, macro-F1.
    pub precision_ci95: Interval,
    /// See `precision_ci95`.
    pub recall_ci95: Interval,
    /// See `precision_ci95`.
    pub f1_ci95: Interval,
    /// See `precision_ci95`.
    pub macro_f1_ci95: Interval,
}

impl LabelFigures {
    /// The figures of `decisions` (gold, predicted), one per coded sentence,
    /// at `threshold`, with [`DEFAULT_RESAMPLES`] bootstrap resamples of the
    /// sentences (seed [`CI_SEED`]; `NaN` bounds when there is nothing to resample).
    pub fn of(name: &str, threshold: f32, decisions: &[(bool, bool)]) -> LabelFigures {
        let per_sentence: Vec<Vec<Counts>> = decisions
            .iter()
            .map(|&d| vec![[d].into_iter().collect()])
            .collect();
        let total: Counts = decisions.iter().copied().collect();
        let stats = |c: &[Counts]| {
            let p = c[0].prf();
            vec![p.precision, p.recall, p.f1, c[0].macro_f1()]
        };
        let ci = bootstrap_intervals(&per_sentence, DEFAULT_RESAMPLES, CI_SEED, stats);
        let nan = Interval {
            low: f64::NAN,
            high: f64::NAN,
        };
        let ci_at = |k: usize| ci.get(k).copied().unwrap_or(nan);
        let prf = total.prf();
        LabelFigures {
            name: name.to_string(),
            sentences: decisions.len(),
            positives: decisions.iter().filter(|(g, _)| *g).count(),
            threshold,
            precision: prf.precision,
            recall: prf.recall,
            f1: prf.f1,
            macro_f1: total.macro_f1(),
            precision_ci95: ci_at(0),
            recall_ci95: ci_at(1),
            f1_ci95: ci_at(2),
            macro_f1_ci95: ci_at(3),
        }
    }
}

impl std::fmt::Display for LabelFigures {
    /// One line: the label, macro-F1 with its interval, P, R, F1 with its
    /// interval, the threshold, and the sentences counted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<24} macro-F1 {:.3} (95% CI {:.3}–{:.3})  P {:.3} R {:.3} F1 {:.3} (95% CI {:.3}–{:.3})  threshold {:.3}  [{} sentences, {} positive]",
            self.name,
            self.macro_f1,
            self.macro_f1_ci95.low,
            self.macro_f1_ci95.high,
            self.precision,
            self.recall,
            self.f1,
            self.f1_ci95.low,
            self.f1_ci95.high,
            self.threshold,
            self.sentences,
            self.positives
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_count_the_decisions_and_bracket_them_with_intervals() {
        // 6 positives (4 found), 6 negatives (1 false alarm).
        let mut d = vec![(true, true); 4];
        d.extend([(true, false); 2]);
        d.extend([(false, true); 1]);
        d.extend([(false, false); 5]);
        let f = LabelFigures::of("blame", 0.4, &d);
        assert_eq!((f.sentences, f.positives), (12, 6));
        assert!((f.precision - 0.8).abs() < 1e-12);
        assert!((f.recall - 4.0 / 6.0).abs() < 1e-12);
        // Negative class: P 5/7, R 5/6.
        let f1_neg = 2.0 * (5.0 / 7.0) * (5.0 / 6.0) / (5.0 / 7.0 + 5.0 / 6.0);
        assert!((f.macro_f1 - (f.f1 + f1_neg) / 2.0).abs() < 1e-12);
        for (v, ci) in [
            (f.precision, f.precision_ci95),
            (f.recall, f.recall_ci95),
            (f.f1, f.f1_ci95),
            (f.macro_f1, f.macro_f1_ci95),
        ] {
            assert!(ci.low <= v && v <= ci.high, "{v} outside {ci:?}");
            assert!(ci.low < ci.high);
        }
        let empty = LabelFigures::of("x", 0.5, &[]);
        assert_eq!(empty.sentences, 0);
        assert!(empty.macro_f1_ci95.low.is_nan() || empty.macro_f1_ci95.low == 0.0);
    }
}
