//! The article bootstrap: resampling articles (sentences of one article are
//! not independent) with replacement, with a fixed seed so that reports are
//! reproducible, and percentile intervals of the statistics of the draws.
//!
//! [`bootstrap_intervals`] / [`bootstrap_sums`]: intervals of statistics of
//! summed per-article tables (confusion [`Counts`], span sums).
//!
//! Two sources of draws, each kept for the figures it has always given:
//! [`Draws::Sequential`] (one `StdRng` stream, resamples one after another:
//! `rhetor eval` and `rhetor train`) and [`Draws::Streams`] (one SplitMix64
//! stream per resample, computed in parallel with identical results whatever
//! the number of threads: `rhetor compare`).

use super::metrics::Counts;
use super::{quantile, Interval};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

/// Where the article indices of the resamples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draws {
    /// One `StdRng` seeded with the seed; resample after resample, article
    /// after article.
    Sequential(u64),
    /// Resample `b` draws from [`SplitMix64::new`]`(seed, b)`.
    Streams(u64),
}

/// The statistics of `resamples` resamples of `n` articles: each resample
/// draws `n` article indices with replacement, in order, and `statistics`
/// turns them into one value per statistic. One row per resample; no
/// resample when `n` is 0.
pub fn resample_articles<F>(
    n: usize,
    resamples: usize,
    draws: Draws,
    statistics: F,
) -> Vec<Vec<f64>>
where
    F: Fn(&[usize]) -> Vec<f64> + Sync,
{
    if n == 0 {
        return Vec::new();
    }
    match draws {
        Draws::Sequential(seed) => {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut picks = vec![0; n];
            (0..resamples)
                .map(|_| {
                    for p in picks.iter_mut() {
                        *p = rng.gen_range(0..n);
                    }
                    statistics(&picks)
                })
                .collect()
        }
        Draws::Streams(seed) => (0..resamples)
            .into_par_iter()
            .map(|b| {
                let mut rng = SplitMix64::new(seed, b as u64);
                let picks: Vec<usize> = (0..n).map(|_| rng.below(n)).collect();
                statistics(&picks)
            })
            .collect(),
    }
}

/// Statistic `k` of every resample row (rows shorter than `k + 1` give none).
pub fn column(rows: &[Vec<f64>], k: usize) -> Vec<f64> {
    rows.iter().filter_map(|r| r.get(k).copied()).collect()
}

/// The percentile interval `[low_q, high_q]` of `values` (sorted here with
/// `f64::total_cmp`; [`quantile`] interpolates).
pub fn percentile_interval(mut values: Vec<f64>, low_q: f64, high_q: f64) -> Interval {
    values.sort_by(f64::total_cmp);
    Interval {
        low: quantile(&values, low_q),
        high: quantile(&values, high_q),
    }
}

/// A small, fast generator (SplitMix64) for draw `stream` of a computation
/// seeded with `seed`: independent streams per draw keep results identical
/// whatever the number of threads.
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator of stream `stream` of a computation seeded with `seed`.
    pub fn new(seed: u64, stream: u64) -> Self {
        SplitMix64(splitmix64(seed ^ splitmix64(stream)))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let z = splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; bias below 2⁻³² for the sizes used here).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// The SplitMix64 mixing function.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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
    F: Fn(&[Counts]) -> Vec<f64> + Sync,
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
    T: Summable + Sync,
    F: Fn(&[T]) -> Vec<f64> + Sync,
{
    let Some(first) = per_article.first() else {
        return Vec::new();
    };
    let slots = first.len();
    let rows = resample_articles(
        per_article.len(),
        resamples.max(1),
        Draws::Sequential(seed),
        |picks| {
            let mut sum = vec![T::default(); slots];
            for &a in picks {
                for (s, c) in sum.iter_mut().zip(&per_article[a]) {
                    s.add(c);
                }
            }
            statistics(&sum)
        },
    );
    let n_statistics = rows.first().map_or(0, Vec::len);
    (0..n_statistics)
        .map(|k| percentile_interval(column(&rows, k), 0.025, 0.975))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sources_are_reproducible_and_differ_by_seed() {
        let mean = |p: &[usize]| vec![p.iter().sum::<usize>() as f64 / p.len() as f64];
        for draws in [Draws::Sequential(7), Draws::Streams(7)] {
            let a = resample_articles(10, 50, draws, mean);
            assert_eq!(a.len(), 50);
            assert_eq!(a, resample_articles(10, 50, draws, mean));
            assert!(a.iter().all(|r| (0.0..=9.0).contains(&r[0])));
        }
        assert_ne!(
            resample_articles(10, 5, Draws::Streams(1), mean),
            resample_articles(10, 5, Draws::Streams(2), mean)
        );
        assert!(resample_articles(0, 5, Draws::Sequential(1), mean).is_empty());
    }

    #[test]
    fn one_article_gives_a_point_interval() {
        let rows = resample_articles(1, 20, Draws::Sequential(3), |p| vec![p[0] as f64 + 0.5]);
        let ci = percentile_interval(column(&rows, 0), 0.025, 0.975);
        assert_eq!((ci.low, ci.high), (0.5, 0.5));
    }
}

#[cfg(test)]
mod count_tests {
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
