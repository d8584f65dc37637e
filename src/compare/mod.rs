//! Comparing outlets and periods: device rates per 100 sentences with
//! bootstrap confidence intervals (resampling articles), shares of articles
//! with at least one device with Wilson intervals, and pairwise permutation
//! tests over articles with Holm correction. See `docs/compare.md`.
//!
//! The unit of resampling and permutation is the article, because sentences
//! of one article are not independent.

pub mod active;
pub mod dates;
pub mod gold;
pub mod input;
pub mod output;
pub mod ppi;
pub mod sample;
pub mod sentences;
pub mod stats;

use crate::error::{Error, Result};
use crate::stats::Interval;
use crate::taxonomy::Device;
use dates::{Date, Period, UNKNOWN};
use input::{ArticleRecord, Dataset};
use stats::{ArticleMatrix, PermutationMethod};
use std::collections::BTreeMap;

/// Warn when the smallest attainable Holm-adjusted p-value
/// ([`Comparison::smallest_attainable_p`]) reaches this value.
pub const PERMUTATION_FLOOR_WARNING: f64 = 0.02;

/// One grouping key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// The value of a metadata column (`outlet`, or any carried column).
    Column(String),
    /// A period derived from the date column.
    Period(Period),
}

impl GroupBy {
    /// Parses a `--by` value: `year`, `month`, `week`, `day` (or `date`) are
    /// periods of the date column; anything else names a column.
    pub fn parse(s: &str) -> GroupBy {
        match s.trim() {
            "year" => GroupBy::Period(Period::Year),
            "month" => GroupBy::Period(Period::Month),
            "week" => GroupBy::Period(Period::Week),
            "day" | "date" => GroupBy::Period(Period::Day),
            other => GroupBy::Column(other.to_string()),
        }
    }

    /// The key's name in output headers.
    pub fn name(&self) -> &str {
        match self {
            GroupBy::Column(c) => c,
            GroupBy::Period(p) => p.name(),
        }
    }

    /// True for date periods.
    pub fn is_period(&self) -> bool {
        matches!(self, GroupBy::Period(_))
    }
}

/// Settings of a comparison.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Grouping keys; groups are their combinations. Pairwise tests compare
    /// the levels of the first key within each combination of the others.
    pub by: Vec<GroupBy>,
    /// The column holding ISO dates.
    pub date_column: String,
    /// Bootstrap resamples for the rate intervals.
    pub bootstrap: usize,
    /// Permutations per pairwise test (exact enumeration when fewer splits exist).
    pub permutations: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Groups with fewer articles are "too small" and get no test.
    pub min_articles: usize,
    /// Groups with fewer sentences are "too small" and get no test.
    pub min_sentences: u64,
    /// Run the pairwise tests (off: groups only, e.g. for a time series).
    pub pairwise: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            by: vec![GroupBy::Column("outlet".into())],
            date_column: "date".into(),
            bootstrap: 2000,
            permutations: 10_000,
            seed: 20_240_229,
            level: 0.95,
            min_articles: 5,
            min_sentences: 50,
            pairwise: true,
        }
    }
}

/// What is measured: the combined framing flag, one device, or one label of
/// a codebook's own model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Sentences flagged as framing (any device, or any label of the set).
    Framing,
    /// Sentences flagged with one device.
    Device(Device),
    /// Sentences flagged with one label of the model's own codebook.
    Own(OwnLabel),
}

/// A label of a codebook's own model, as a batch file has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OwnLabel {
    /// Its position in [`Dataset::own_labels`] (and `ArticleRecord::own_counts`).
    pub index: usize,
    /// Its name ([`crate::taxonomy::intern_label_name`]).
    pub name: &'static str,
}

impl Measure {
    /// `framing`, the device id or the label's name.
    pub fn id(self) -> &'static str {
        match self {
            Measure::Framing => "framing",
            Measure::Device(d) => d.id(),
            Measure::Own(l) => l.name,
        }
    }

    /// A human-readable name (a label of one's own: its name).
    pub fn label(self) -> &'static str {
        match self {
            Measure::Framing => "Any framing",
            Measure::Device(d) => d.label(),
            Measure::Own(l) => l.name,
        }
    }

    pub(crate) fn count(self, a: &ArticleRecord) -> u64 {
        match self {
            Measure::Framing => a.framing_sentences,
            Measure::Device(d) => a.counts[d],
            Measure::Own(l) => a.own_counts.get(l.index).copied().unwrap_or(0),
        }
    }

    /// The label measures of `data`, in output order: its devices, then its
    /// own labels (each in the file's column order).
    pub fn labels_of(data: &Dataset) -> Vec<Measure> {
        let devices = data.devices.iter().map(|d| Measure::Device(*d));
        let own = data
            .own_labels
            .iter()
            .enumerate()
            .map(|(index, name)| Measure::Own(OwnLabel { index, name }));
        devices.chain(own).collect()
    }
}

/// Statistics of one measure in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureStats {
    /// The measure.
    pub measure: Measure,
    /// Flagged sentences.
    pub count: u64,
    /// Flagged sentences per 100 sentences (`None` without sentences).
    pub rate: Option<f64>,
    /// Bootstrap interval of the rate (per 100 sentences).
    pub rate_ci: Option<Interval>,
    /// Articles with at least one flagged sentence.
    pub articles_with: u64,
    /// Share of articles with at least one (0–1; `None` without articles).
    pub share: Option<f64>,
    /// Wilson interval of the share.
    pub share_ci: Option<Interval>,
    /// Figures from the labelled validation sample (`compare --gold`), for labelled measures.
    pub gold: Option<gold::GoldStats>,
}

/// One group's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStats {
    /// The value of each key (`unknown` when missing or unparseable).
    pub key: Vec<String>,
    /// The key values joined with ` · `.
    pub label: String,
    /// Number of articles.
    pub articles: usize,
    /// Number of sentences.
    pub sentences: u64,
    /// Too few articles or sentences to test.
    pub small: bool,
    /// One entry per measure of [`Comparison::measures`].
    pub measures: Vec<MeasureStats>,
}

impl GroupStats {
    /// True when a key value is `unknown`.
    pub fn is_unknown(&self) -> bool {
        self.key.iter().any(|k| k == UNKNOWN)
    }
}

/// A pairwise test of one measure between two groups.
#[derive(Debug, Clone, PartialEq)]
pub struct PairTest {
    /// Values of the other keys (the stratum within which `a` and `b` differ).
    pub stratum: Vec<String>,
    /// Index of the first group in [`Comparison::groups`].
    pub a: usize,
    /// Index of the second group.
    pub b: usize,
    /// The measure.
    pub measure: Measure,
    /// Rate of `a` minus rate of `b`, per 100 sentences.
    pub rate_diff: Option<f64>,
    /// Rate of `a` / rate of `b` (`None` when `b`'s rate is 0).
    pub rate_ratio: Option<f64>,
    /// Permutation p-value of the rate difference.
    pub rate_p: Option<f64>,
    /// Holm-adjusted over every rate test.
    pub rate_p_holm: Option<f64>,
    /// Share of `a` minus share of `b`.
    pub share_diff: Option<f64>,
    /// Cohen's h of the shares.
    pub cohens_h: Option<f64>,
    /// Permutation p-value of the share difference.
    pub share_p: Option<f64>,
    /// Holm-adjusted over every share test.
    pub share_p_holm: Option<f64>,
    /// How the p-values were computed (`None` when not tested).
    pub method: Option<PermutationMethod>,
    /// Why a test was not run, if it was not.
    pub note: String,
    /// The prediction-powered difference (`compare --gold`), when both groups have labels.
    pub ppi: Option<ppi::Difference>,
    /// Holm-adjusted over every prediction-powered test.
    pub ppi_p_holm: Option<f64>,
}

/// The result of [`compare`].
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The input file.
    pub source: String,
    /// The settings used.
    pub options: CompareOptions,
    /// Names of the keys, as in output headers.
    pub key_names: Vec<String>,
    /// Measures, in output order (`framing` first, then the devices of the
    /// input, then its own labels).
    pub measures: Vec<Measure>,
    /// Groups, sorted by key (`unknown` last).
    pub groups: Vec<GroupStats>,
    /// Pairwise tests.
    pub pairs: Vec<PairTest>,
    /// Articles whose date could not be parsed (only counted when grouping by a period).
    pub unknown_dates: usize,
    /// All articles.
    pub total_articles: usize,
    /// All sentences.
    pub total_sentences: u64,
    /// The labels file of `compare --gold` and its labelled measures.
    pub gold: Option<(String, Vec<Measure>)>,
}

impl Comparison {
    /// Number of tests in each Holm family (rate tests; the share family has
    /// the same size).
    pub fn family_size(&self) -> usize {
        self.pairs.iter().filter(|p| p.rate_p.is_some()).count()
    }

    /// The smallest Holm-adjusted p-value that Monte Carlo tests can reach:
    /// `m / (N + 1)` for a family of `m` tests and `N` permutations. When it
    /// is not well below 0.05, more permutations are needed to find anything.
    pub fn smallest_attainable_p(&self) -> f64 {
        (self.family_size() as f64 / (self.options.permutations as f64 + 1.0)).min(1.0)
    }

    /// The pairs with a Holm-adjusted p < 0.05 for the rate or the share,
    /// smallest rate p first.
    pub fn significant_pairs(&self) -> Vec<&PairTest> {
        let below = |p: Option<f64>| p.is_some_and(|x| x < 0.05);
        let mut significant: Vec<&PairTest> = self
            .pairs
            .iter()
            .filter(|p| below(p.rate_p_holm) || below(p.share_p_holm))
            .collect();
        let rate_p = |p: &&PairTest| p.rate_p_holm.unwrap_or(1.0);
        significant.sort_by(|x, y| rate_p(x).total_cmp(&rate_p(y)));
        significant
    }

    /// The position of a measure.
    pub fn measure_index(&self, measure: Measure) -> Option<usize> {
        self.measures.iter().position(|m| *m == measure)
    }
}

/// Groups the articles of `data` and computes every statistic.
pub fn compare(data: &Dataset, options: &CompareOptions) -> Result<Comparison> {
    compare_with_gold(data, options, None)
}

/// [`compare`], and with a labelled validation sample also the rates from the
/// labels alone and the prediction-powered rates of every labelled measure,
/// and the prediction-powered pairwise differences.
pub fn compare_with_gold(
    data: &Dataset,
    options: &CompareOptions,
    gold: Option<&gold::GoldLabels>,
) -> Result<Comparison> {
    if options.by.is_empty() {
        return Err(Error::Config("give at least one --by key".into()));
    }
    if !(0.5..1.0).contains(&options.level) {
        return Err(Error::Config(format!(
            "confidence level {} is not between 0.5 and 1",
            options.level
        )));
    }
    if data.articles.is_empty() {
        return Err(Error::input(
            crate::error::Location::file(&data.source),
            "no articles to compare (the file has a header but no rows)",
        ));
    }
    let mut measures = vec![Measure::Framing];
    measures.extend(Measure::labels_of(data));
    let (members, unknown_dates) = group_members(data, &options.by, &options.date_column)?;
    let groups: Vec<GroupStats> = members
        .iter()
        .map(|(key, articles)| {
            let key: Vec<String> = key.iter().map(|k| k.1.clone()).collect();
            group_stats(key, articles, &measures, options, gold)
        })
        .collect();
    let matrices: Vec<ArticleMatrix> = members
        .values()
        .map(|articles| rate_matrix(articles, &measures))
        .collect();
    let mut pairs = if options.pairwise {
        pairwise_tests(&groups, &matrices, &measures, options)
    } else {
        Vec::new()
    };
    if gold.is_some() {
        ppi_pair_differences(&mut pairs, &groups, &measures, options.level);
    }
    Ok(Comparison {
        source: data.source.clone(),
        options: options.clone(),
        key_names: options.by.iter().map(|b| b.name().to_string()).collect(),
        measures,
        total_articles: data.articles.len(),
        total_sentences: data.articles.iter().map(|a| a.sentences).sum(),
        groups,
        pairs,
        unknown_dates,
        gold: gold.map(|g| (g.source.clone(), g.measures.clone())),
    })
}

/// Fills the prediction-powered difference of every pair whose groups both
/// have a prediction-powered rate, with Holm's correction over them.
fn ppi_pair_differences(
    pairs: &mut [PairTest],
    groups: &[GroupStats],
    measures: &[Measure],
    level: f64,
) {
    let z = normal_quantile_two_sided(level);
    for p in pairs.iter_mut() {
        let j = measures.iter().position(|m| *m == p.measure).unwrap_or(0);
        let estimate = |g: usize| {
            groups[g].measures[j]
                .gold
                .as_ref()
                .and_then(|s| s.ppi.as_ref())
        };
        p.ppi = estimate(p.a)
            .zip(estimate(p.b))
            .map(|(a, b)| ppi::difference(a, b, z));
    }
    let p_values: Vec<f64> = pairs
        .iter()
        .map(|p| p.ppi.map_or(f64::NAN, |d| d.p))
        .collect();
    for (pair, adjusted) in pairs.iter_mut().zip(stats::holm(&p_values)) {
        pair.ppi_p_holm = (!adjusted.is_nan()).then_some(adjusted);
    }
}

/// The articles of every group, keyed by their key values (sorted
/// alphabetically with `unknown` last), and the number of articles whose date
/// could not be parsed when a key is a period.
#[allow(clippy::type_complexity)]
pub fn group_members<'a>(
    data: &'a Dataset,
    by: &[GroupBy],
    date_column: &str,
) -> Result<(BTreeMap<Vec<(bool, String)>, Vec<&'a ArticleRecord>>, usize)> {
    let keyers = by
        .iter()
        .map(|b| Keyer::new(b, data, date_column))
        .collect::<Result<Vec<_>>>()?;
    let mut members: BTreeMap<Vec<(bool, String)>, Vec<&ArticleRecord>> = BTreeMap::new();
    let mut unknown_dates = 0;
    for article in &data.articles {
        let key: Vec<String> = keyers.iter().map(|k| k.key(article)).collect();
        let undated = keyers
            .iter()
            .zip(&key)
            .any(|(k, v)| k.period.is_some() && v == UNKNOWN);
        unknown_dates += usize::from(undated);
        members
            .entry(key.into_iter().map(|k| (k == UNKNOWN, k)).collect())
            .or_default()
            .push(article);
    }
    Ok((members, unknown_dates))
}

/// The label of a group key: its values joined with ` · `.
pub fn key_label(key: &[(bool, String)]) -> String {
    key.iter()
        .map(|k| k.1.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Computes one key of an article.
struct Keyer {
    column: usize,
    period: Option<Period>,
}

impl Keyer {
    fn new(by: &GroupBy, data: &Dataset, date_column: &str) -> Result<Keyer> {
        let (name, period) = match by {
            GroupBy::Column(c) => (c.as_str(), None),
            GroupBy::Period(p) => (date_column, Some(*p)),
        };
        let column = data.meta_index(name).ok_or_else(|| {
            Error::Config(format!(
                "{}: cannot group by `{}`: no column `{name}` (columns: {})",
                data.source,
                by.name(),
                data.meta_columns.join(", ")
            ))
        })?;
        Ok(Keyer { column, period })
    }

    fn key(&self, article: &ArticleRecord) -> String {
        let value = article.meta.get(self.column).map_or("", |v| v.trim());
        match self.period {
            Some(p) => Date::parse(value).map_or_else(|| UNKNOWN.to_string(), |d| p.label(d)),
            None if value.is_empty() => UNKNOWN.to_string(),
            None => value.to_string(),
        }
    }
}

/// Per-article counts of every measure, with sentences as denominators.
fn rate_matrix(articles: &[&ArticleRecord], measures: &[Measure]) -> ArticleMatrix {
    let mut m = ArticleMatrix::new(measures.len());
    for a in articles {
        let values: Vec<u32> = measures.iter().map(|x| saturate(x.count(a))).collect();
        m.push(saturate(a.sentences), &values);
    }
    m
}

fn saturate(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// A seed that depends on the run's seed and a label, so that a group's
/// interval does not change when other groups are added.
pub fn label_seed(seed: u64, label: &str) -> u64 {
    // FNV-1a.
    label.bytes().fold(0xcbf2_9ce4_8422_2325 ^ seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn group_stats(
    key: Vec<String>,
    articles: &[&ArticleRecord],
    measures: &[Measure],
    options: &CompareOptions,
    gold: Option<&gold::GoldLabels>,
) -> GroupStats {
    let label = key.join(" · ");
    let sentences: u64 = articles.iter().map(|a| a.sentences).sum();
    let rates = rate_matrix(articles, measures);
    let intervals = stats::bootstrap_ratio_intervals(
        &rates,
        options.bootstrap,
        options.level,
        label_seed(options.seed, &label),
    );
    let z = normal_quantile_two_sided(options.level);
    let n = articles.len() as u64;
    let measure_stats = measures
        .iter()
        .zip(intervals)
        .map(|(m, ci)| {
            let count: u64 = articles.iter().map(|a| m.count(a)).sum();
            let with = articles.iter().filter(|a| m.count(a) > 0).count() as u64;
            MeasureStats {
                measure: *m,
                count,
                rate: (sentences > 0).then(|| 100.0 * count as f64 / sentences as f64),
                rate_ci: rate_interval(count, sentences, ci, z),
                articles_with: with,
                share: (n > 0).then(|| with as f64 / n as f64),
                share_ci: stats::wilson_interval(with, n, z),
                gold: gold
                    .filter(|g| g.measure_index(*m).is_some())
                    .map(|g| g.group_stats(articles, *m, z)),
            }
        })
        .collect();
    GroupStats {
        small: articles.len() < options.min_articles || sentences < options.min_sentences,
        key,
        label,
        articles: articles.len(),
        sentences,
        measures: measure_stats,
    }
}

/// The rate interval per 100 sentences: the bootstrap interval, except when
/// the device never occurs in the group, where the bootstrap collapses to
/// [0, 0]; then the Wilson interval of 0 out of `sentences` gives the upper
/// bound.
fn rate_interval(
    count: u64,
    sentences: u64,
    bootstrap: Option<Interval>,
    z: f64,
) -> Option<Interval> {
    let interval = if count == 0 {
        stats::wilson_interval(0, sentences, z)
    } else {
        bootstrap
    };
    interval.map(|i| Interval {
        low: 100.0 * i.low,
        high: 100.0 * i.high,
    })
}

/// The z of a two-sided interval at `level` (exact for 0.90/0.95/0.99,
/// otherwise Acklam's rational approximation).
pub fn normal_quantile_two_sided(level: f64) -> f64 {
    if (level - 0.95).abs() < 1e-12 {
        return stats::Z95;
    }
    inverse_normal_cdf(1.0 - (1.0 - level) / 2.0)
}

/// Acklam's approximation of the standard normal quantile (|error| < 1.2e-9).
fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Tests every pair of groups that differ only in the first key, skipping
/// `unknown` groups; then applies Holm's correction to all rate tests and,
/// separately, to all share tests.
fn pairwise_tests(
    groups: &[GroupStats],
    matrices: &[ArticleMatrix],
    measures: &[Measure],
    options: &CompareOptions,
) -> Vec<PairTest> {
    let mut pairs = Vec::new();
    for a in 0..groups.len() {
        for b in a + 1..groups.len() {
            let (ga, gb) = (&groups[a], &groups[b]);
            if ga.key[1..] != gb.key[1..] || ga.is_unknown() || gb.is_unknown() {
                continue;
            }
            pairs.extend(test_pair(a, b, groups, matrices, measures, options));
        }
    }
    let rate_p: Vec<f64> = pairs.iter().map(|p| p.rate_p.unwrap_or(f64::NAN)).collect();
    let share_p: Vec<f64> = pairs
        .iter()
        .map(|p| p.share_p.unwrap_or(f64::NAN))
        .collect();
    let holm = stats::holm(&rate_p).into_iter().zip(stats::holm(&share_p));
    for (pair, (r, s)) in pairs.iter_mut().zip(holm) {
        pair.rate_p_holm = (!r.is_nan()).then_some(r);
        pair.share_p_holm = (!s.is_nan()).then_some(s);
    }
    pairs
}

fn test_pair(
    a: usize,
    b: usize,
    groups: &[GroupStats],
    matrices: &[ArticleMatrix],
    measures: &[Measure],
    options: &CompareOptions,
) -> Vec<PairTest> {
    let (ga, gb) = (&groups[a], &groups[b]);
    let too_small: Vec<String> = [ga, gb]
        .iter()
        .filter(|g| g.small)
        .map(|g| {
            format!(
                "too small to test: `{}` has {} articles and {} sentences (minimum {} and {})",
                g.label, g.articles, g.sentences, options.min_articles, options.min_sentences
            )
        })
        .collect();
    let tests = too_small.is_empty().then(|| {
        let seed = label_seed(options.seed, &format!("{}\u{0}{}", ga.label, gb.label));
        stats::permutation_test(&matrices[a], &matrices[b], options.permutations, seed)
    });
    measures
        .iter()
        .enumerate()
        .map(|(j, m)| {
            let (sa, sb) = (&ga.measures[j], &gb.measures[j]);
            let rate_diff = sa.rate.zip(sb.rate).map(|(x, y)| x - y);
            let rate_ratio = sa
                .rate
                .zip(sb.rate)
                .and_then(|(x, y)| (y > 0.0).then(|| x / y));
            let share_diff = sa.share.zip(sb.share).map(|(x, y)| x - y);
            let cohens_h = sa.share.zip(sb.share).map(|(x, y)| stats::cohens_h(x, y));
            let never = sa.count == 0 && sb.count == 0;
            let test = tests.as_ref().filter(|_| !never);
            PairTest {
                stratum: ga.key[1..].to_vec(),
                a,
                b,
                measure: *m,
                rate_diff,
                rate_ratio,
                rate_p: test.map(|t| t.rate_p[j]),
                rate_p_holm: None,
                share_diff,
                cohens_h,
                share_p: test.map(|t| t.share_p[j]),
                share_p_holm: None,
                method: test.map(|t| t.method),
                ppi: None,
                ppi_p_holm: None,
                note: if tests.is_some() && never {
                    "no occurrences in either group: not tested".into()
                } else {
                    too_small.join("; ")
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::DeviceMap;
    use input::InputKind;

    fn article(id: &str, outlet: &str, date: &str, sentences: u64, doubt: u64) -> ArticleRecord {
        let mut counts = DeviceMap::filled(0);
        counts[Device::Doubt] = doubt;
        ArticleRecord {
            id: id.into(),
            meta: vec![outlet.into(), date.into(), "t".into()],
            sentences,
            framing_sentences: doubt,
            counts,
            own_counts: Vec::new(),
        }
    }

    fn dataset(articles: Vec<ArticleRecord>) -> Dataset {
        Dataset {
            source: "test".into(),
            kind: InputKind::Articles,
            meta_columns: vec!["outlet".into(), "date".into(), "title".into()],
            devices: vec![Device::ScareQuotes, Device::Doubt],
            own_labels: Vec::new(),
            articles,
        }
    }

    fn quick() -> CompareOptions {
        CompareOptions {
            bootstrap: 200,
            permutations: 500,
            ..Default::default()
        }
    }

    #[test]
    fn groups_rates_and_shares() {
        let mut arts = Vec::new();
        for i in 0..6 {
            arts.push(article(&format!("a{i}"), "A", "2024-01-05", 10, 2));
            arts.push(article(
                &format!("b{i}"),
                "B",
                "2024-02-05",
                10,
                u64::from(i == 0),
            ));
        }
        let c = compare(&dataset(arts), &quick()).unwrap();
        assert_eq!(c.groups.len(), 2);
        let doubt = c.measure_index(Measure::Device(Device::Doubt)).unwrap();
        let a = &c.groups[0].measures[doubt];
        assert_eq!(a.count, 12);
        assert!((a.rate.unwrap() - 20.0).abs() < 1e-9);
        assert_eq!(a.share, Some(1.0));
        let b = &c.groups[1].measures[doubt];
        assert!((b.share.unwrap() - 1.0 / 6.0).abs() < 1e-9);
        // A device that never occurs gets Wilson's upper bound for 0 of 60 sentences:
        // z²/(n + z²) = 3.8415/63.8415 = 6.017 per 100.
        let sq = c
            .measure_index(Measure::Device(Device::ScareQuotes))
            .unwrap();
        let ci = c.groups[0].measures[sq].rate_ci.unwrap();
        assert!(ci.low == 0.0 && (ci.high - 6.017).abs() < 1e-3, "{ci:?}");
        // framing, scare_quotes, doubt → 3 pair rows; scare_quotes never occurs.
        assert_eq!(c.pairs.len(), 3);
        let sq = &c.pairs[1];
        assert_eq!(sq.measure, Measure::Device(Device::ScareQuotes));
        assert!(sq.rate_p.is_none() && sq.note.contains("no occurrences"));
        let d = &c.pairs[2];
        assert!(d.rate_p.unwrap() < 0.01, "{d:?}");
        assert!((d.rate_diff.unwrap() - (20.0 - 100.0 / 60.0)).abs() < 1e-9);
        // Holm over the two tested rate p-values (framing and doubt).
        assert!(d.rate_p_holm.unwrap() >= d.rate_p.unwrap());
    }

    #[test]
    fn small_groups_are_flagged_and_not_tested() {
        let arts = vec![
            article("a", "A", "2024-01-01", 100, 3),
            article("b", "B", "2024-01-01", 100, 0),
        ];
        let c = compare(&dataset(arts), &quick()).unwrap();
        assert!(c.groups.iter().all(|g| g.small));
        assert!(c.pairs.iter().all(|p| p.rate_p.is_none()));
        assert!(c.pairs[0].note.contains("too small"), "{:?}", c.pairs[0]);
    }

    #[test]
    fn unparseable_dates_form_an_unknown_group_that_is_counted() {
        let arts = vec![
            article("a", "A", "2024-01-01", 10, 1),
            article("b", "A", "yesterday", 10, 1),
            article("c", "A", "", 10, 1),
            article("d", "A", "2024-02-01T08:00", 10, 1),
        ];
        let options = CompareOptions {
            by: vec![GroupBy::parse("month")],
            ..quick()
        };
        let c = compare(&dataset(arts), &options).unwrap();
        let labels: Vec<&str> = c.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["2024-01", "2024-02", "unknown"]);
        assert_eq!(c.unknown_dates, 2);
        assert_eq!(c.groups[2].articles, 2);
        assert_eq!(c.total_articles, 4);
        // The unknown group is never tested against real periods.
        assert!(c.pairs.iter().all(|p| p.b != 2 && p.a != 2));
    }

    #[test]
    fn second_key_stratifies_the_pairs() {
        let mut arts = Vec::new();
        for (i, (o, d)) in [
            ("A", "2024-01-01"),
            ("B", "2024-01-02"),
            ("A", "2024-02-01"),
            ("B", "2024-02-02"),
        ]
        .iter()
        .enumerate()
        {
            arts.push(article(&i.to_string(), o, d, 10, 1));
        }
        let options = CompareOptions {
            by: vec![GroupBy::parse("outlet"), GroupBy::parse("month")],
            ..quick()
        };
        let c = compare(&dataset(arts), &options).unwrap();
        assert_eq!(c.groups.len(), 4);
        let strata: Vec<&Vec<String>> = c.pairs.iter().map(|p| &p.stratum).collect();
        // A·2024-01 vs B·2024-01 and A·2024-02 vs B·2024-02, 3 measures each.
        assert_eq!(c.pairs.len(), 6);
        assert!(strata.iter().all(|s| s.len() == 1));
    }

    #[test]
    fn an_empty_file_is_an_error() {
        let e = compare(&dataset(vec![]), &quick()).unwrap_err().to_string();
        assert!(e.contains("no articles"), "{e}");
    }

    #[test]
    fn unknown_column_is_a_clear_error() {
        let e = compare(
            &dataset(vec![article("a", "A", "2024-01-01", 10, 1)]),
            &CompareOptions {
                by: vec![GroupBy::parse("section")],
                ..quick()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("section") && e.contains("outlet, date, title"),
            "{e}"
        );
    }

    #[test]
    fn normal_quantiles() {
        assert!((normal_quantile_two_sided(0.90) - 1.644_853_6).abs() < 1e-6);
        assert!((normal_quantile_two_sided(0.99) - 2.575_829_3).abs() < 1e-6);
    }
}
