//! Statistics for comparing groups of articles: Wilson intervals for
//! proportions, percentile bootstrap intervals for ratio-of-sums rates
//! (resampling articles), two-sided permutation tests over articles (exact when
//! the number of splits is small, Monte Carlo otherwise) and Holm's
//! step-down correction.
//!
//! Every random draw comes from a SplitMix64 stream seeded from the caller's
//! seed and the draw's index, so results are identical across runs and thread
//! counts.

use crate::stats::bootstrap::{column, percentile_interval, resample_articles, Draws, SplitMix64};
use crate::stats::Interval;
use rayon::prelude::*;

/// The z value of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A matrix of per-article counts: `rows` articles × `cols` measures, plus
/// one denominator per article (its sentence count). Counts are integers, so
/// sums are exact; they are stored sparsely (most articles have no or few
/// flagged sentences per device), which makes the resampling loops fast.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleMatrix {
    /// Number of measures per article.
    pub cols: usize,
    /// Start of each article's entries in `entries` (`rows + 1` values).
    offsets: Vec<usize>,
    /// Non-zero counts as (column, count).
    entries: Vec<(u32, u32)>,
    /// The denominator of each article.
    denominators: Vec<u32>,
}

impl ArticleMatrix {
    /// An empty matrix with `cols` measures.
    pub fn new(cols: usize) -> Self {
        ArticleMatrix {
            cols,
            offsets: vec![0],
            entries: Vec::new(),
            denominators: Vec::new(),
        }
    }

    /// Adds one article (missing values count as 0, extra ones are ignored).
    pub fn push(&mut self, denominator: u32, values: &[u32]) {
        self.denominators.push(denominator);
        self.entries.extend(
            values
                .iter()
                .take(self.cols)
                .enumerate()
                .filter(|(_, v)| **v > 0)
                .map(|(j, v)| (j as u32, *v)),
        );
        self.offsets.push(self.entries.len());
    }

    /// Number of articles.
    pub fn rows(&self) -> usize {
        self.denominators.len()
    }

    /// The non-zero (column, count) entries of article `i`.
    fn row(&self, i: usize) -> &[(u32, u32)] {
        &self.entries[self.offsets[i]..self.offsets[i + 1]]
    }

    /// Appends every article of `other` (same number of measures).
    pub fn extend(&mut self, other: &ArticleMatrix) {
        let base = self.entries.len();
        self.entries.extend_from_slice(&other.entries);
        self.offsets
            .extend(other.offsets[1..].iter().map(|o| o + base));
        self.denominators.extend_from_slice(&other.denominators);
    }

    /// Ratio of sums per measure: Σ count / Σ denominator (`None` when the
    /// denominators sum to 0).
    pub fn ratios(&self) -> Vec<Option<f64>> {
        let (sums, denom) = self.sums(0..self.rows());
        sums.into_iter().map(|s| ratio(s, denom)).collect()
    }

    /// Column sums and the denominator sum over the articles `indices`.
    fn sums(&self, indices: impl IntoIterator<Item = usize>) -> (Vec<u64>, u64) {
        self.weighted_sums(indices.into_iter().map(|i| (i, 1)))
    }

    /// Column sums and the denominator sum with article `i` counted `w`
    /// times for every `(i, w)` (one sequential pass).
    fn weighted_sums(&self, weights: impl IntoIterator<Item = (usize, u64)>) -> (Vec<u64>, u64) {
        let mut sums = vec![0u64; self.cols];
        let mut denom = 0u64;
        for (i, w) in weights {
            denom += w * u64::from(self.denominators[i]);
            for (j, v) in self.row(i) {
                sums[*j as usize] += w * u64::from(*v);
            }
        }
        (sums, denom)
    }

    /// Column sums and the denominator sum over a uniformly random subset of
    /// `k` articles, drawn by selection sampling (Knuth's Algorithm S) in one
    /// sequential pass.
    fn random_subset_sums(&self, k: usize, rng: &mut SplitMix64) -> (Vec<u64>, u64) {
        let n = self.rows();
        let mut needed = k;
        self.sums((0..n).filter(|&i| {
            let take = needed > 0 && ((n - i) as f64) * rng.next_f64() < needed as f64;
            needed -= usize::from(take);
            take
        }))
    }

    /// Each article's counts followed by its indicators (1 where the count is
    /// positive): `2 × cols` columns.
    fn with_indicators(&self) -> ArticleMatrix {
        let cols = self.cols as u32;
        let mut m = ArticleMatrix::new(2 * self.cols);
        m.denominators = self.denominators.clone();
        for i in 0..self.rows() {
            m.entries.extend_from_slice(self.row(i));
            m.entries
                .extend(self.row(i).iter().map(|(j, _)| (j + cols, 1)));
            m.offsets.push(m.entries.len());
        }
        m
    }
}

/// Wilson score interval for `successes` out of `n` at normal quantile `z`
/// (use [`Z95`] for 95 %). `None` when `n == 0`.
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = successes.min(n as u64) as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// Percentile bootstrap intervals of the ratio of sums of every measure of
/// `data`, resampling articles with replacement `resamples` times.
/// `level` is the coverage (0.95). A measure gets `None` when the group has
/// no article or no denominator.
pub fn bootstrap_ratio_intervals(
    data: &ArticleMatrix,
    resamples: usize,
    level: f64,
    seed: u64,
) -> Vec<Option<Interval>> {
    let n = data.rows();
    if n == 0 || resamples == 0 {
        return vec![None; data.cols];
    }
    let rows = resample_articles(n, resamples, Draws::Streams(seed), |picks| {
        let mut weights = vec![0u32; n];
        for &p in picks {
            weights[p] += 1;
        }
        let weighted = weights.iter().enumerate().filter(|(_, w)| **w > 0);
        let (sums, denom) = data.weighted_sums(weighted.map(|(i, w)| (i, u64::from(*w))));
        sums.into_iter()
            .map(|s| ratio(s, denom).unwrap_or(f64::NAN))
            .collect()
    });
    let alpha = (1.0 - level) / 2.0;
    (0..data.cols)
        .map(|j| {
            let finite: Vec<f64> = column(&rows, j)
                .into_iter()
                .filter(|x| x.is_finite())
                .collect();
            (!finite.is_empty()).then(|| percentile_interval(finite, alpha, 1.0 - alpha))
        })
        .collect()
}

/// How a permutation p-value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermutationMethod {
    /// Every split of the pooled articles was enumerated; the p-value is exact.
    Exact {
        /// Number of splits enumerated.
        splits: u64,
    },
    /// Random relabellings; p = (1 + #extreme) / (1 + permutations).
    MonteCarlo {
        /// Number of random relabellings.
        permutations: usize,
    },
}

impl std::fmt::Display for PermutationMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PermutationMethod::Exact { splits } => write!(f, "exact ({splits} splits)"),
            PermutationMethod::MonteCarlo { permutations } => {
                write!(f, "monte-carlo ({permutations} permutations)")
            }
        }
    }
}

/// Two-sided permutation p-values, one per measure, for the difference in
/// rates (ratio of sums) and in shares (articles with a positive count).
#[derive(Debug, Clone, PartialEq)]
pub struct PermutationResult {
    /// Observed rate difference `ratio(a) - ratio(b)` per measure.
    pub rate_observed: Vec<f64>,
    /// p-value of the rate difference per measure.
    pub rate_p: Vec<f64>,
    /// Observed share difference `share(a) - share(b)` per measure.
    pub share_observed: Vec<f64>,
    /// p-value of the share difference per measure.
    pub share_p: Vec<f64>,
    /// How they were computed.
    pub method: PermutationMethod,
}

/// Permutation tests of the differences between groups `a` and `b`, for
/// every measure, of (1) the ratio of sums (count / denominator, the rate) and
/// (2) the share of articles with a positive count. The group labels of the
/// pooled articles are shuffled, and p is the share of relabellings whose
/// absolute difference is at least the observed one. When the number of
/// distinct splits is at most `permutations`, all of them are enumerated
/// (exact p); otherwise `permutations` random relabellings are drawn and
/// p = (1 + k) / (1 + N). Both statistics use the same relabellings. A group
/// whose denominators sum to 0 contributes a rate of 0.
pub fn permutation_test(
    a: &ArticleMatrix,
    b: &ArticleMatrix,
    permutations: usize,
    seed: u64,
) -> PermutationResult {
    let cols = a.cols;
    let mut pooled = a.with_indicators();
    pooled.extend(&b.with_indicators());
    let n = pooled.rows();
    // Sum over the smaller side only: the other side is total − subset.
    let k = a.rows().min(b.rows());
    let subset_is_a = a.rows() <= b.rows();
    let (total, total_denom) = pooled.sums(0..n);
    let difference = |sums: &[u64], denom: u64| -> Vec<f64> {
        sums.iter()
            .zip(&total)
            .enumerate()
            .map(|(j, (s, t))| {
                // Rates divide by sentences, shares by articles.
                let (d_subset, d_rest) = if j < cols {
                    (denom, total_denom - denom)
                } else {
                    (k as u64, (n - k) as u64)
                };
                let subset = ratio(*s, d_subset).unwrap_or(0.0);
                let rest = ratio(t - s, d_rest).unwrap_or(0.0);
                if subset_is_a {
                    subset - rest
                } else {
                    rest - subset
                }
            })
            .collect()
    };
    let observed_start = if subset_is_a { 0 } else { a.rows() };
    let (obs_sums, obs_denom) = pooled.sums(observed_start..observed_start + k);
    let observed = difference(&obs_sums, obs_denom);
    let thresholds: Vec<f64> = observed
        .iter()
        .map(|d| d.abs() - 1e-9 * d.abs().max(1e-12))
        .collect();
    let count_extreme = |(sums, denom): (Vec<u64>, u64)| -> Vec<u64> {
        difference(&sums, denom)
            .iter()
            .zip(&thresholds)
            .map(|(d, t)| u64::from(d.abs() >= *t))
            .collect()
    };
    let add = |mut x: Vec<u64>, y: Vec<u64>| {
        x.iter_mut().zip(y).for_each(|(a, b)| *a += b);
        x
    };
    let (extreme, method) = match binomial(n as u64, k as u64) {
        Some(splits) if splits <= permutations as u64 => {
            let mut extreme = vec![0u64; 2 * cols];
            let mut combination: Vec<usize> = (0..k).collect();
            loop {
                extreme = add(
                    extreme,
                    count_extreme(pooled.sums(combination.iter().copied())),
                );
                if !next_combination(&mut combination, n) {
                    break;
                }
            }
            (extreme, PermutationMethod::Exact { splits })
        }
        _ => {
            let extreme = (0..permutations)
                .into_par_iter()
                .map(|i| {
                    let mut rng = SplitMix64::new(seed, i as u64);
                    count_extreme(pooled.random_subset_sums(k, &mut rng))
                })
                .reduce(|| vec![0u64; 2 * cols], add);
            (extreme, PermutationMethod::MonteCarlo { permutations })
        }
    };
    // Exact: k / splits; Monte Carlo: (1 + k) / (1 + N).
    let (plus, total) = match method {
        PermutationMethod::Exact { splits } => (0, splits),
        PermutationMethod::MonteCarlo { permutations } => (1, 1 + permutations as u64),
    };
    let p_values: Vec<f64> = extreme
        .iter()
        .map(|e| (plus + e) as f64 / total as f64)
        .collect();
    PermutationResult {
        rate_observed: observed[..cols].to_vec(),
        share_observed: observed[cols..].to_vec(),
        rate_p: p_values[..cols].to_vec(),
        share_p: p_values[cols..].to_vec(),
        method,
    }
}

/// `sum / denom`, or `None` when `denom` is 0.
fn ratio(sum: u64, denom: u64) -> Option<f64> {
    (denom > 0).then(|| sum as f64 / denom as f64)
}

/// `n choose k`, or `None` when it does not fit in a `u64`.
pub fn binomial(n: u64, k: u64) -> Option<u64> {
    if k > n {
        return Some(0);
    }
    let k = k.min(n - k);
    let mut result: u128 = 1;
    for i in 0..k {
        result = result * u128::from(n - i) / u128::from(i + 1);
        if result > u128::from(u64::MAX) {
            return None;
        }
    }
    u64::try_from(result).ok()
}

/// Advances `c` (a strictly increasing k-subset of `0..n`) to the next one in
/// lexicographic order; false after the last.
fn next_combination(c: &mut [usize], n: usize) -> bool {
    let k = c.len();
    for i in (0..k).rev() {
        if c[i] < n - k + i {
            c[i] += 1;
            for j in i + 1..k {
                c[j] = c[j - 1] + 1;
            }
            return true;
        }
    }
    false
}

/// Holm's step-down adjustment of a family of p-values (same order as the
/// input). NaN p-values are kept as NaN and do not count in the family.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p_values.len())
        .filter(|&i| !p_values[i].is_nan())
        .collect();
    order.sort_by(|&x, &y| p_values[x].total_cmp(&p_values[y]));
    let m = order.len();
    let mut adjusted = vec![f64::NAN; p_values.len()];
    let mut running = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        let value = ((m - rank) as f64 * p_values[i]).min(1.0);
        running = running.max(value);
        adjusted[i] = running;
    }
    adjusted
}

/// Cohen's h between two proportions: `2·asin(√p1) − 2·asin(√p2)`.
pub fn cohens_h(p1: f64, p2: f64) -> f64 {
    2.0 * p1.clamp(0.0, 1.0).sqrt().asin() - 2.0 * p2.clamp(0.0, 1.0).sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn matrix(rows: &[(u32, u32)]) -> ArticleMatrix {
        let mut m = ArticleMatrix::new(1);
        for (d, v) in rows {
            m.push(*d, &[*v]);
        }
        m
    }

    #[test]
    fn wilson_matches_the_textbook_formula_for_8_of_10() {
        // p = 0.8, z² = 3.8415; centre = (0.8 + 0.19208) / 1.38415 = 0.71675,
        // half = 1.96/1.38415 · √(0.016 + 0.0096040) = 0.22656 → [0.4902, 0.9433].
        let ci = wilson_interval(8, 10, Z95).unwrap();
        assert!(close(ci.low, 0.4902, 1e-4), "{ci:?}");
        assert!(close(ci.high, 0.9433, 1e-4), "{ci:?}");
    }

    #[test]
    fn wilson_edges_stay_in_the_unit_interval() {
        let zero = wilson_interval(0, 10, Z95).unwrap();
        assert_eq!(zero.low, 0.0);
        // Upper bound for 0/10 is z²/(n+z²) = 3.8415/13.8415 = 0.2775.
        assert!(close(zero.high, 0.2775, 1e-4), "{zero:?}");
        let all = wilson_interval(10, 10, Z95).unwrap();
        assert!(close(all.low, 1.0 - 0.2775, 1e-4) && close(all.high, 1.0, 1e-12));
        assert!(wilson_interval(0, 0, Z95).is_none());
    }

    #[test]
    fn holm_matches_a_hand_computed_vector() {
        // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max 0.06.
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        let expected = [0.03, 0.06, 0.06, 0.02];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!(close(*a, e, 1e-12), "{adjusted:?}");
        }
        let with_nan = holm(&[0.5, f64::NAN, 0.6]);
        assert!(with_nan[1].is_nan());
        assert!(close(with_nan[0], 1.0, 1e-12) && close(with_nan[2], 1.0, 1e-12));
    }

    #[test]
    fn exact_permutation_p_value_of_a_hand_enumerated_case() {
        // Shares: A = {1,1,1}, B = {0,0,0}; of the C(6,3) = 20 splits only
        // {all ones} and {all zeros} reach |difference| = 1 → p = 2/20.
        let a = matrix(&[(1, 1), (1, 1), (1, 1)]);
        let b = matrix(&[(1, 0), (1, 0), (1, 0)]);
        let r = permutation_test(&a, &b, 10_000, 7);
        assert_eq!(r.method, PermutationMethod::Exact { splits: 20 });
        assert!(close(r.share_observed[0], 1.0, 1e-12));
        assert!(close(r.share_p[0], 0.1, 1e-12), "{r:?}");
        // With one sentence per article the rate test is the same test.
        assert!(close(r.rate_p[0], 0.1, 1e-12), "{r:?}");
    }

    #[test]
    fn exact_permutation_of_rates_with_unequal_denominators() {
        // A = {(2 sentences, 2 flagged)}, B = {(2,0), (4,1)}; pooled counts
        // are 2/2, 0/2, 1/4. Splits with one article in A (k = 1, 3 splits):
        //   A={x1}: 2/2 − 1/6 = 0.8333 (observed)
        //   A={x2}: 0/2 − 3/6 = −0.5
        //   A={x3}: 1/4 − 2/4 = −0.25
        // Only the first reaches 0.8333 → p = 1/3.
        let a = matrix(&[(2, 2)]);
        let b = matrix(&[(2, 0), (4, 1)]);
        let r = permutation_test(&a, &b, 100, 1);
        assert_eq!(r.method, PermutationMethod::Exact { splits: 3 });
        assert!(close(r.rate_observed[0], 1.0 - 1.0 / 6.0, 1e-12));
        assert!(close(r.rate_p[0], 1.0 / 3.0, 1e-12));
        // Shares (has a flagged sentence): x1 = 1, x2 = 0, x3 = 1; observed
        // 1 − 1/2 = 0.5. Splits: {x1}: 1 − 1/2 = 0.5, {x2}: 0 − 1 = −1,
        // {x3}: 1 − 1/2 = 0.5 → all three reach |0.5| → p = 3/3.
        assert!(close(r.share_observed[0], 0.5, 1e-12));
        assert!(close(r.share_p[0], 1.0, 1e-12));
        // The orientation follows the arguments even when a is the larger group.
        let r = permutation_test(&b, &a, 100, 1);
        assert!(close(r.rate_observed[0], -(1.0 - 1.0 / 6.0), 1e-12));
        assert!(close(r.rate_p[0], 1.0 / 3.0, 1e-12));
    }

    #[test]
    fn monte_carlo_permutation_is_deterministic_and_close_to_exact() {
        let a = matrix(&(0..8).map(|i| (10, i % 4)).collect::<Vec<_>>());
        let b = matrix(&(0..8).map(|i| (10, i % 2)).collect::<Vec<_>>());
        let exact = permutation_test(&a, &b, 100_000, 3);
        assert!(matches!(exact.method, PermutationMethod::Exact { .. }));
        let mc1 = permutation_test(&a, &b, 4000, 3);
        let mc2 = permutation_test(&a, &b, 4000, 3);
        assert_eq!(mc1, mc2);
        assert!(matches!(mc1.method, PermutationMethod::MonteCarlo { .. }));
        assert!(
            close(mc1.rate_p[0], exact.rate_p[0], 0.03),
            "{mc1:?} vs {exact:?}"
        );
        assert!(
            close(mc1.share_p[0], exact.share_p[0], 0.03),
            "{mc1:?} vs {exact:?}"
        );
    }

    #[test]
    fn bootstrap_is_deterministic_and_brackets_the_estimate() {
        let data = matrix(&(0..40).map(|i| (10 + i % 5, i % 7)).collect::<Vec<_>>());
        let a = bootstrap_ratio_intervals(&data, 500, 0.95, 42);
        let b = bootstrap_ratio_intervals(&data, 500, 0.95, 42);
        assert_eq!(a, b);
        let c = bootstrap_ratio_intervals(&data, 500, 0.95, 43);
        assert_ne!(a, c);
        let estimate = data.ratios()[0].unwrap();
        let ci = a[0].unwrap();
        assert!(ci.low < estimate && estimate < ci.high, "{ci:?} {estimate}");
        let empty = bootstrap_ratio_intervals(&ArticleMatrix::new(2), 10, 0.95, 1);
        assert_eq!(empty, vec![None, None]);
    }

    #[test]
    fn a_constant_group_has_a_degenerate_bootstrap_interval() {
        let data = matrix(&[(10, 1), (10, 1), (10, 1)]);
        let ci = bootstrap_ratio_intervals(&data, 200, 0.95, 1)[0].unwrap();
        assert!(close(ci.low, 0.1, 1e-12) && close(ci.high, 0.1, 1e-12));
    }

    #[test]
    fn binomials_and_combinations() {
        assert_eq!(binomial(6, 3), Some(20));
        assert_eq!(binomial(5, 0), Some(1));
        assert_eq!(binomial(3, 5), Some(0));
        assert_eq!(binomial(200, 100), None);
        let mut c = vec![0, 1];
        let mut seen = 1;
        while next_combination(&mut c, 4) {
            seen += 1;
        }
        assert_eq!(seen, 6);
    }

    #[test]
    fn cohens_h_of_known_proportions() {
        // 2·asin(√0.5) − 2·asin(0) = π/2.
        assert!(close(
            cohens_h(0.5, 0.0),
            std::f64::consts::FRAC_PI_2,
            1e-12
        ));
        assert!(close(cohens_h(0.3, 0.3), 0.0, 1e-12));
    }
}
