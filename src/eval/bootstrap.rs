//! Bootstrap confidence intervals that resample ARTICLES (sentences of one
//! article are not independent), with a fixed seed so reports are reproducible.

use super::metrics::Counts;
use crate::stats::{quantile, Interval};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The seed used by `rhetor eval`.
pub const DEFAULT_SEED: u64 = 20_191_103;
/// The number of resamples used by `rhetor eval`.
pub const DEFAULT_RESAMPLES: usize = 1000;

/// Per-article quantities that resampled articles are summed over.
pub trait Summable: Clone + Default {
    /// Adds `other` to `self`.
    fn add(&mut self, other: &Self);
}

impl Summable for Counts {
    fn add(&mut self, other: &Self) {
        self.merge(other);
    }
}

/// 95 % percentile intervals of statistics computed from summed counts.
///
/// `per_article[a][k]` is the confusion table of slot `k` (a device, or the
/// binary framing decision) in article `a`. Each resample draws as many
/// articles as there are, with replacement, sums their tables, and applies
/// `statistics`, which returns one value per statistic of interest. The result
/// has one [`Interval`] per statistic. Empty input gives an empty result.
pub fn bootstrap_intervals<F>(
    per_article: &[Vec<Counts>],
    resamples: usize,
    seed: u64,
    statistics: F,
) -> Vec<Interval>
where
    F: Fn(&[Counts]) -> Vec<f64>,
{
    bootstrap_sums(per_article, resamples, seed, statistics)
}

/// [`bootstrap_intervals`] for any [`Summable`] per-article quantity (the
/// same draws for the same seed and number of articles).
pub fn bootstrap_sums<T, F>(
    per_article: &[Vec<T>],
    resamples: usize,
    seed: u64,
    statistics: F,
) -> Vec<Interval>
where
    T: Summable,
    F: Fn(&[T]) -> Vec<f64>,
{
    let Some(first) = per_article.first() else {
        return Vec::new();
    };
    let slots = first.len();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draws: Vec<Vec<f64>> = Vec::new();
    for _ in 0..resamples.max(1) {
        let mut sum = vec![T::default(); slots];
        for _ in 0..per_article.len() {
            let a = &per_article[rng.gen_range(0..per_article.len())];
            for (s, c) in sum.iter_mut().zip(a) {
                s.add(c);
            }
        }
        let values = statistics(&sum);
        if draws.is_empty() {
            draws = vec![Vec::with_capacity(resamples); values.len()];
        }
        for (d, v) in draws.iter_mut().zip(values) {
            d.push(v);
        }
    }
    draws
        .into_iter()
        .map(|mut d| {
            d.sort_by(f64::total_cmp);
            Interval {
                low: quantile(&d, 0.025),
                high: quantile(&d, 0.975),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f1(c: &[Counts]) -> Vec<f64> {
        vec![c[0].prf().f1]
    }

    fn counts(tp: u64, fp: u64, fn_: u64, tn: u64) -> Counts {
        Counts { tp, fp, fn_, tn }
    }

    #[test]
    fn one_article_gives_a_point_interval() {
        let ci = bootstrap_intervals(&[vec![counts(3, 1, 2, 10)]], 200, 1, f1);
        assert_eq!(ci.len(), 1);
        assert!((ci[0].low - 6.0 / 9.0).abs() < 1e-12);
        assert!((ci[0].high - 6.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn identical_articles_give_a_point_interval_and_mixed_ones_do_not() {
        let (good, bad) = (counts(2, 0, 0, 1), counts(0, 2, 2, 1));
        let same = bootstrap_intervals(&vec![vec![good]; 5], 100, 7, f1);
        assert_eq!((same[0].low, same[0].high), (1.0, 1.0));
        let mixed: Vec<Vec<Counts>> = (0..10)
            .map(|i| vec![if i % 2 == 0 { good } else { bad }])
            .collect();
        let ci = bootstrap_intervals(&mixed, 500, 7, f1);
        assert!(ci[0].low < 0.5 && ci[0].high > 0.5, "{ci:?}");
        // Fixed seed → identical result.
        assert_eq!(ci, bootstrap_intervals(&mixed, 500, 7, f1));
    }
}
