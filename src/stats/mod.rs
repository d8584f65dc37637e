//! Statistics shared by `eval`, `compare` and `train`: a closed
//! [`Interval`], the linearly interpolated [`quantile`] of sorted values, the
//! one article [`bootstrap`], the [`metrics`] of binary decisions
//! (P/R/F1, PR-AUC, best thresholds, base rates, Cohen's κ), and one label's
//! decision [`figures`] with intervals.

pub mod bootstrap;
pub mod figures;
pub mod metrics;

use serde::Serialize;

/// A closed interval `[low, high]` (e.g. a 95 % percentile bootstrap interval).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// The `q`-quantile (`q` clamped to 0..=1) of sorted values, interpolating
/// linearly between neighbours (NumPy's default, R type 7). `NaN` on empty input.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let frac = pos - lo as f64;
    if frac == 0.0 {
        return sorted[lo];
    }
    sorted[lo] + frac * (sorted[lo + 1] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates_between_neighbours_and_clamps_q() {
        assert_eq!(quantile(&[0.0, 1.0], 0.5), 0.5);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 0.0), 1.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 2.0), 3.0);
        assert_eq!(quantile(&[1.0, f64::INFINITY], 0.0), 1.0);
        assert_eq!(quantile(&[7.0], 0.3), 7.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
