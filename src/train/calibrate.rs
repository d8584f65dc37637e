//! Calibration of `framing` after training: Platt scaling of its logit
//! fitted on dev (so that a framing probability of 0.7 means about 70 % of
//! such sentences carry a technique). The thresholds of the coherent
//! decision are [`crate::model::coherent::tune_coherent`]'s.

use crate::model::transformer::Platt;

/// Fits Platt scaling `σ(a·z + b)` to logits `z` and binary targets by
/// Newton's method on the log-loss (Platt's smoothed targets
/// `(n₊+1)/(n₊+2)` and `1/(n₋+2)` keep it finite on separable data).
/// `None` without both classes.
pub(super) fn fit_platt(logits: &[f32], gold: &[bool]) -> Option<Platt> {
    let pos = gold.iter().filter(|g| **g).count() as f64;
    let neg = gold.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 || logits.len() != gold.len() {
        return None;
    }
    let (t_pos, t_neg) = ((pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0));
    let (mut a, mut b) = (1.0f64, 0.0f64);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&z, &g) in logits.iter().zip(gold) {
            let z = f64::from(z);
            let p = 1.0 / (1.0 + (-(a * z + b)).exp());
            let t = if g { t_pos } else { t_neg };
            let w = (p * (1.0 - p)).max(1e-12);
            ga += (p - t) * z;
            gb += p - t;
            haa += w * z * z;
            hab += w * z;
            hbb += w;
        }
        // Newton step with a small ridge on the Hessian.
        let (haa, hbb) = (haa + 1e-9, hbb + 1e-9);
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        a -= da;
        b -= db;
        if da.abs() < 1e-10 && db.abs() < 1e-10 {
            break;
        }
    }
    Some(Platt {
        a: a as f32,
        b: b as f32,
    })
}

/// The logit of a probability (clamped away from 0 and 1).
pub(super) fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platt_recovers_a_known_scaling() {
        // Targets drawn deterministically with P(y) = σ(2z − 1).
        let mut logits = Vec::new();
        let mut gold = Vec::new();
        for i in 0..4000 {
            let z = (i % 200) as f32 / 40.0 - 2.5;
            let p = 1.0 / (1.0 + (-(2.0 * z - 1.0)).exp());
            let u = ((i * 7919) % 4000) as f32 / 4000.0;
            logits.push(z);
            gold.push(u < p);
        }
        let platt = fit_platt(&logits, &gold).unwrap();
        assert!((platt.a - 2.0).abs() < 0.3, "{platt:?}");
        assert!((platt.b + 1.0).abs() < 0.3, "{platt:?}");
        assert!(fit_platt(&[0.0, 1.0], &[true, true]).is_none());
    }

    #[test]
    fn logit_of_a_half_is_zero() {
        assert!((logit(0.5)).abs() < 1e-6);
    }
}
