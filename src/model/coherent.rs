//! The thresholds of the coherent `framing` decision ("the framing head
//! reaches its threshold or a device is flagged"): device thresholds raised
//! until their flags agree with `framing`, then the framing threshold with
//! the best F1. Pure functions of scores and gold labels, shared by
//! `rhetor eval --tune` and training.

use super::Thresholds;
use crate::stats::metrics::{best_threshold_by, prf, Counts};
use crate::taxonomy::{Device, DeviceMap};

/// Thresholds of the coherent decision "the framing head reaches its
/// threshold or one of `devices` is flagged": those devices' thresholds are
/// raised, never lowered, until their flags agree with `framing`
/// ([`raise_device_thresholds`]), then the framing threshold is the one that
/// maximises the decision's F1, which is returned. `head[i]`, `probs[i]` and
/// `device_gold[i]` are sentence `i`'s framing head probability, device
/// probabilities and gold devices (`None` when the set names no technique).
pub fn tune_coherent(
    head: &[f32],
    probs: &[&DeviceMap<f32>],
    gold: &[bool],
    device_gold: Option<&[Vec<Device>]>,
    devices: &[Device],
    thresholds: &mut Thresholds,
) -> Option<f64> {
    let columns: Vec<Vec<f32>> = probs
        .iter()
        .map(|p| devices.iter().map(|&d| p[d]).collect())
        .collect();
    let labels: Option<Vec<Vec<bool>>> = device_gold.map(|g| {
        g.iter()
            .map(|sentence| devices.iter().map(|d| sentence.contains(d)).collect())
            .collect()
    });
    let mut device_t: Vec<f32> = devices.iter().map(|&d| thresholds.device(d)).collect();
    let (t, f1) = raise_device_thresholds(head, &columns, gold, labels.as_deref(), &mut device_t)?;
    thresholds.framing = t;
    for (&d, t) in devices.iter().zip(device_t) {
        thresholds.devices[d] = t;
    }
    Some(f1)
}

/// F1 of `score >= t` against `gold`.
pub fn f1_at(scores: &[f32], gold: &[bool], t: f32) -> f64 {
    let counts: Counts = gold
        .iter()
        .zip(scores)
        .map(|(&g, &s)| (g, s >= t))
        .collect();
    counts.prf().f1
}

/// The framing threshold maximising the F1 of the coherent decision
/// `framing ≥ t or flagged`, over the distinct framing scores of the
/// unflagged sentences (ties keep the higher threshold), and that F1.
/// `None` without positives or without an unflagged sentence. O(n log n).
pub fn best_coherent_threshold(
    framing: &[f32],
    flagged: &[bool],
    gold: &[bool],
) -> Option<(f32, f64)> {
    let positives = gold.iter().filter(|g| **g).count() as u64;
    if positives == 0 {
        return None;
    }
    let mut always = Counts::default();
    let (mut scores, mut labels) = (Vec::new(), Vec::new());
    for ((&f, &fl), &g) in framing.iter().zip(flagged).zip(gold) {
        if fl {
            always.add(g, true);
        } else {
            scores.push(f);
            labels.push(g);
        }
    }
    best_threshold_by(&scores, &labels, |tp, fp| {
        let tp = always.tp + tp;
        prf(tp, always.fp + fp, positives - tp).f1
    })
}

/// Makes the device flags agree with `framing` on a set that labels it:
/// coordinate ascent (two rounds) that raises — never lowers — the
/// threshold of each device to the candidate (its current
/// threshold, up to 32 quantiles of its scores above it, or 1 = never) that
/// maximises the F1 of the coherent decision at its best framing threshold
/// plus, where `device_gold` labels the devices, their mean F1 (over the
/// devices with a positive), so that the decision never gains by silencing
/// a device that finds its technique. `devices[i]` and `device_gold[i]` hold
/// sentence `i`'s device probabilities and gold labels, one column per
/// device. Returns the framing threshold and the coherent decision's F1.
pub fn raise_device_thresholds(
    framing: &[f32],
    devices: &[Vec<f32>],
    gold: &[bool],
    device_gold: Option<&[Vec<bool>]>,
    thresholds: &mut [f32],
) -> Option<(f32, f64)> {
    let flags_of = |thresholds: &[f32]| -> Vec<u32> {
        devices
            .iter()
            .map(|row| row.iter().zip(thresholds).filter(|(p, t)| *p >= *t).count() as u32)
            .collect()
    };
    let column = |d: usize| -> (Vec<f32>, Vec<bool>) {
        let scores = devices.iter().map(|r| r[d]).collect();
        let labels = device_gold.map_or_else(Vec::new, |g| g.iter().map(|r| r[d]).collect());
        (scores, labels)
    };
    let supported = (0..thresholds.len())
        .filter(|&d| column(d).1.contains(&true))
        .count();
    for _round in 0..2 {
        for d in 0..thresholds.len() {
            let counts = flags_of(thresholds);
            let others: Vec<bool> = counts
                .iter()
                .zip(devices)
                .map(|(&c, row)| c - u32::from(row[d] >= thresholds[d]) > 0)
                .collect();
            let (scores, labels) = column(d);
            let device_share = |c: f32| {
                if labels.contains(&true) {
                    f1_at(&scores, &labels, c) / supported as f64
                } else {
                    0.0
                }
            };
            let evaluate = |c: f32| {
                let flagged: Vec<bool> = others
                    .iter()
                    .zip(&scores)
                    .map(|(&o, &p)| o || p >= c)
                    .collect();
                best_coherent_threshold(framing, &flagged, gold).map_or(0.0, |(_, f)| f)
                    + device_share(c)
            };
            let mut best = (thresholds[d], evaluate(thresholds[d]));
            for c in candidates_above(scores.iter().copied(), thresholds[d]) {
                let objective = evaluate(c);
                if objective > best.1 {
                    best = (c, objective);
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
    fn coherent_threshold_counts_flagged_sentences_as_positive() {
        let framing = [0.9, 0.6, 0.2, 0.1];
        let flagged = [false, false, true, false];
        let gold = [true, false, true, false];
        // t = 0.9: decisions T F T F → F1 1.0.
        let (t, f1) = best_coherent_threshold(&framing, &flagged, &gold).unwrap();
        assert_eq!((t, f1), (0.9, 1.0));
        assert!(best_coherent_threshold(&framing, &flagged, &[false; 4]).is_none());
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
            raise_device_thresholds(&framing, &devices, &gold, None, &mut thresholds).unwrap();
        assert!(thresholds[0] > 0.7, "{thresholds:?}");
        assert_eq!(thresholds[1], 0.5);
        assert_eq!((t, f1), (0.8, 1.0));
    }

    #[test]
    fn a_device_that_finds_its_technique_is_not_silenced_for_the_sentence_decision() {
        // framing alone separates the gold; the device fires on one gold
        // positive that carries its technique and on one negative.
        let framing = [0.9, 0.8, 0.7, 0.1, 0.2];
        let gold = [true, true, true, false, false];
        let devices = vec![vec![0.9], vec![0.1], vec![0.1], vec![0.8], vec![0.1]];
        let named = vec![
            vec![true],
            vec![false],
            vec![false],
            vec![false],
            vec![false],
        ];
        // Without device labels, never flagging it is best for the decision.
        let mut silenced = [0.5];
        raise_device_thresholds(&framing, &devices, &gold, None, &mut silenced);
        assert!(silenced[0] > 0.8, "{silenced:?}");
        // With them, raising it just above the negative keeps its one true
        // flag and the decision's F1.
        let mut kept = [0.5];
        let (_, f1) =
            raise_device_thresholds(&framing, &devices, &gold, Some(&named), &mut kept).unwrap();
        assert!(kept[0] > 0.8 && kept[0] <= 0.9, "{kept:?}");
        assert_eq!(f1, 1.0);
    }
}
