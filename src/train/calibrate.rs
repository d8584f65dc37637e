//! Calibration of `framing` after training: Platt scaling of its logit
//! fitted on dev (so that a framing probability of 0.7 means about 70 % of
//! such sentences carry a technique), and the framing threshold chosen for
//! the coherent decision "framing reaches its threshold or a device is
//! flagged" ([`crate::model::Thresholds::coherent_framing`]).

use crate::eval::metrics::Counts;
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

/// The framing threshold maximising the F1 of the coherent decision
/// `framing ≥ t or flagged`, over the distinct framing scores of the
/// unflagged sentences (ties keep the higher threshold), and that F1.
/// `None` without positives or without an unflagged sentence. O(n log n).
pub(super) fn best_coherent_threshold(
    framing: &[f32],
    flagged: &[bool],
    gold: &[bool],
) -> Option<(f32, f64)> {
    let positives = gold.iter().filter(|g| **g).count() as u64;
    if positives == 0 {
        return None;
    }
    let mut always = Counts::default();
    let mut order = Vec::with_capacity(framing.len());
    for (i, (&fl, &g)) in flagged.iter().zip(gold).enumerate() {
        if fl {
            always.add(g, true);
        } else {
            order.push(i);
        }
    }
    order.sort_by(|&a, &b| framing[b].total_cmp(&framing[a]));
    let (mut tp, mut fp) = (always.tp, always.fp);
    let mut best: Option<(f32, f64)> = None;
    let mut k = 0;
    while k < order.len() {
        let t = framing[order[k]];
        while k < order.len() && framing[order[k]] == t {
            if gold[order[k]] {
                tp += 1;
            } else {
                fp += 1;
            }
            k += 1;
        }
        let f1 = Counts {
            tp,
            fp,
            fn_: positives - tp,
            tn: 0,
        }
        .prf()
        .f1;
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((t, f1));
        }
    }
    best
}

/// Makes the device flags agree with `framing` on a set that labels it:
/// coordinate ascent (two rounds) that raises — never lowers — the
/// threshold of each `adjustable` device to the candidate (its current
/// threshold, up to 32 quantiles of its scores above it, or 1 = never) that
/// maximises the F1 of the coherent decision at its best framing threshold.
/// `devices[i]` holds sentence `i`'s device probabilities in
/// [`crate::taxonomy::Device::ALL`] order. Returns the framing threshold and
/// its F1.
pub(super) fn raise_device_thresholds(
    framing: &[f32],
    devices: &[Vec<f32>],
    gold: &[bool],
    thresholds: &mut [f32],
    adjustable: &[bool],
) -> Option<(f32, f64)> {
    let flags_of = |thresholds: &[f32]| -> Vec<u32> {
        devices
            .iter()
            .map(|row| row.iter().zip(thresholds).filter(|(p, t)| *p >= *t).count() as u32)
            .collect()
    };
    for _round in 0..2 {
        for d in (0..thresholds.len()).filter(|&d| adjustable[d]) {
            let counts = flags_of(thresholds);
            let others: Vec<bool> = counts
                .iter()
                .zip(devices)
                .map(|(&c, row)| c - u32::from(row[d] >= thresholds[d]) > 0)
                .collect();
            let evaluate = |c: f32| {
                let flagged: Vec<bool> = others
                    .iter()
                    .zip(devices)
                    .map(|(&o, row)| o || row[d] >= c)
                    .collect();
                best_coherent_threshold(framing, &flagged, gold).map_or(0.0, |(_, f)| f)
            };
            let mut best = (thresholds[d], evaluate(thresholds[d]));
            for c in candidates_above(devices.iter().map(|r| r[d]), thresholds[d]) {
                let f1 = evaluate(c);
                if f1 > best.1 {
                    best = (c, f1);
                }
            }
            thresholds[d] = best.0;
        }
    }
    let counts = flags_of(thresholds);
    let flagged: Vec<bool> = counts.iter().map(|&c| c > 0).collect();
    best_coherent_threshold(framing, &flagged, gold)
}

/// Up to 32 quantiles of the scores at or above `current` (ascending), and 1.
fn candidates_above(scores: impl Iterator<Item = f32>, current: f32) -> Vec<f32> {
    let mut above: Vec<f32> = scores.filter(|&p| p > current).collect();
    above.sort_by(f32::total_cmp);
    let mut out: Vec<f32> = (0..32)
        .filter_map(|q| above.get(q * above.len() / 32).copied())
        .collect();
    out.dedup();
    out.push(1.0);
    out
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
    fn coherent_threshold_counts_flagged_sentences_as_positive() {
        let framing = [0.9, 0.6, 0.2, 0.1];
        let flagged = [false, false, true, false];
        let gold = [true, false, true, false];
        // t = 0.9: decisions T F T F → F1 1.0.
        let (t, f1) = best_coherent_threshold(&framing, &flagged, &gold).unwrap();
        assert_eq!((t, f1), (0.9, 1.0));
        assert!(best_coherent_threshold(&framing, &flagged, &[false; 4]).is_none());
        assert!((logit(0.5)).abs() < 1e-6);
    }

    #[test]
    fn a_device_that_only_adds_false_positives_is_raised_and_a_useful_one_kept() {
        // framing separates the gold perfectly at 0.7; device 0 fires on two
        // negatives (hurting), device 1 on a positive framing misses.
        let framing = [0.9, 0.8, 0.1, 0.2, 0.3, 0.4];
        let gold = [true, true, false, false, false, true];
        let devices = vec![
            vec![0.1, 0.1],
            vec![0.1, 0.1],
            vec![0.6, 0.1],
            vec![0.7, 0.1],
            vec![0.1, 0.1],
            vec![0.1, 0.9],
        ];
        let mut thresholds = [0.5, 0.5];
        let (t, f1) =
            raise_device_thresholds(&framing, &devices, &gold, &mut thresholds, &[true, true])
                .unwrap();
        assert!(thresholds[0] > 0.7, "{thresholds:?}");
        assert_eq!(thresholds[1], 0.5);
        assert_eq!((t, f1), (0.8, 1.0));
        // Not adjustable: kept, at a cost.
        let mut fixed = [0.5, 0.5];
        let (_, f1) =
            raise_device_thresholds(&framing, &devices, &gold, &mut fixed, &[false, true]).unwrap();
        assert_eq!(fixed[0], 0.5);
        assert!(f1 < 1.0);
    }
}
