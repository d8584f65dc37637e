//! Calibration: expected calibration error (ECE) over equal-width bins and
//! the reliability table behind it.

use serde::Serialize;

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin (inclusive).
    pub low: f64,
    /// Upper edge (exclusive, except for the last bin which includes 1).
    pub high: f64,
    /// Number of predictions in the bin.
    pub count: usize,
    /// Mean predicted probability in the bin (0 when empty).
    pub mean_confidence: f64,
    /// Observed fraction of positives in the bin (0 when empty).
    pub observed_rate: f64,
}

/// The reliability table and the expected calibration error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// ECE = Σ_b (n_b / N) · |observed_b − confidence_b|.
    pub ece: f64,
    /// The bins, low to high.
    pub bins: Vec<ReliabilityBin>,
}

/// Computes the reliability table over `n_bins` equal-width bins of [0, 1]
/// (a probability p falls into bin ⌊p·n_bins⌋, and p = 1 into the last bin)
/// and the expected calibration error of binary predictions.
pub fn calibration(probs: &[f32], gold: &[bool], n_bins: usize) -> Calibration {
    let n_bins = n_bins.max(1);
    let mut count = vec![0usize; n_bins];
    let mut conf = vec![0f64; n_bins];
    let mut pos = vec![0usize; n_bins];
    for (&p, &g) in probs.iter().zip(gold) {
        let p = f64::from(p).clamp(0.0, 1.0);
        let b = ((p * n_bins as f64) as usize).min(n_bins - 1);
        count[b] += 1;
        conf[b] += p;
        pos[b] += usize::from(g);
    }
    let total: usize = count.iter().sum();
    let mut ece = 0.0;
    let bins = (0..n_bins)
        .map(|b| {
            let (mean_confidence, observed_rate) = if count[b] == 0 {
                (0.0, 0.0)
            } else {
                (conf[b] / count[b] as f64, pos[b] as f64 / count[b] as f64)
            };
            if total > 0 {
                ece += count[b] as f64 / total as f64 * (observed_rate - mean_confidence).abs();
            }
            ReliabilityBin {
                low: b as f64 / n_bins as f64,
                high: (b + 1) as f64 / n_bins as f64,
                count: count[b],
                mean_confidence,
                observed_rate,
            }
        })
        .collect();
    Calibration { ece, bins }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ece_matches_a_hand_computed_value() {
        // Bin 1 (0.1–0.2): probs .15,.15 gold F,F → conf .15, rate 0, gap .15.
        // Bin 9 (0.9–1.0): probs .95,1.0 gold T,F → conf .975, rate .5, gap .475.
        // ECE = 2/4·0.15 + 2/4·0.475 = 0.3125.
        let c = calibration(&[0.15, 0.15, 0.95, 1.0], &[false, false, true, false], 10);
        assert!((c.ece - 0.3125).abs() < 1e-6, "{}", c.ece);
        assert_eq!(c.bins.len(), 10);
        assert_eq!(c.bins[1].count, 2);
        assert_eq!(c.bins[9].count, 2);
        assert!((c.bins[9].observed_rate - 0.5).abs() < 1e-12);
    }

    #[test]
    fn perfectly_calibrated_bins_have_zero_ece() {
        let c = calibration(&[0.5, 0.5, 0.0, 0.0], &[true, false, false, false], 10);
        assert!(c.ece.abs() < 1e-12);
        assert_eq!(calibration(&[], &[], 10).ece, 0.0);
    }
}
