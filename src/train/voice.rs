//! The author-voice threshold: the official CheckThat measure is macro-F1
//! over {SUBJ, OBJ}; dev is 52 % SUBJ but news 25–28 %, so the threshold is
//! chosen to maximise macro-F1 with the two classes reweighted to a realistic
//! base rate (importance weights: SUBJ × b/π, OBJ × (1−b)/(1−π), π = dev's
//! own SUBJ share). With `base_rate = None` the counts are taken as they are.

use crate::stats::metrics::{at_base_rate, best_threshold_by, Counts};

/// Macro-F1 (mean of the positive and the negative class's F1) of `c`, with
/// the classes reweighted to `base_rate` when given ([`at_base_rate`]).
fn macro_f1_of(c: &Counts, base_rate: Option<f64>) -> f64 {
    match base_rate.and_then(|b| at_base_rate(c, b)) {
        Some(m) => m.macro_f1,
        None => c.macro_f1(),
    }
}

/// Macro-F1 of binary decisions, with the classes reweighted to `base_rate`
/// when given.
pub(super) fn macro_f1(decisions: &[bool], gold: &[bool], base_rate: Option<f64>) -> f64 {
    let c: Counts = gold
        .iter()
        .copied()
        .zip(decisions.iter().copied())
        .collect();
    macro_f1_of(&c, base_rate)
}

/// The threshold on `scores` maximising [`macro_f1`] (candidates: the
/// distinct scores; ties keep the higher threshold), and that macro-F1.
/// `None` without both classes.
pub(super) fn best_macro_f1_threshold(
    scores: &[f32],
    gold: &[bool],
    base_rate: Option<f64>,
) -> Option<(f32, f64)> {
    let positives = gold.iter().filter(|g| **g).count() as u64;
    let negatives = gold.len() as u64 - positives;
    if positives == 0 || negatives == 0 || scores.len() != gold.len() {
        return None;
    }
    best_threshold_by(scores, gold, |tp, fp| {
        let c = Counts {
            tp,
            fp,
            fn_: positives - tp,
            tn: negatives - fp,
        };
        macro_f1_of(&c, base_rate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_f1_by_hand() {
        // gold: P P N N; decisions: P N P N → tp 1 fn 1 fp 1 tn 1:
        // F1(SUBJ) = 2/(2+2) = 0.5, F1(OBJ) = 0.5.
        let gold = [true, true, false, false];
        let dec = [true, false, true, false];
        assert!((macro_f1(&dec, &gold, None) - 0.5).abs() < 1e-12);
        // Base rate 0.25 (π = 0.5): positives ×0.5, negatives ×1.5:
        // tp .5 fn .5 fp 1.5 tn 1.5 → F1s = 1/(1+2) = 1/3 and 3/(3+2) = 0.6.
        let m = macro_f1(&dec, &gold, Some(0.25));
        assert!((m - (1.0 / 3.0 + 0.6) / 2.0).abs() < 1e-12, "{m}");
    }

    #[test]
    fn best_threshold_sweeps_distinct_scores_and_agrees_with_macro_f1() {
        let scores = [0.9, 0.8, 0.4, 0.3, 0.2];
        let gold = [true, true, false, true, false];
        let (t, m) = best_macro_f1_threshold(&scores, &gold, None).unwrap();
        let dec: Vec<bool> = scores.iter().map(|s| *s >= t).collect();
        assert!((macro_f1(&dec, &gold, None) - m).abs() < 1e-12);
        // At 0.8: tp 2 fn 1 fp 0 tn 2 → 0.8 and 0.8 = 0.8; at 0.3: tp 3 fp 1
        // tn 1 → 6/7 and 2/3 ≈ 0.762. The best is 0.8.
        assert_eq!(t, 0.8);
        assert!((m - 0.8).abs() < 1e-12);
        assert!(best_macro_f1_threshold(&scores, &[true; 5], None).is_none());
    }

    #[test]
    fn a_lower_base_rate_raises_the_threshold() {
        let scores: Vec<f32> = (0..20).map(|i| i as f32 / 20.0).collect();
        let gold: Vec<bool> = (0..20).map(|i| i % 3 != 0 && i > 6 || i == 2).collect();
        let (t_dev, _) = best_macro_f1_threshold(&scores, &gold, None).unwrap();
        let (t_news, _) = best_macro_f1_threshold(&scores, &gold, Some(0.1)).unwrap();
        assert!(t_news >= t_dev, "{t_news} < {t_dev}");
    }
}
