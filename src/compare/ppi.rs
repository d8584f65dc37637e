//! Prediction-powered estimates of a group's rate: the classifier's flags on
//! every sentence of the group, corrected by what a hand-labelled random
//! sample of the group's articles says about the classifier's errors.
//!
//! The point estimate is PPI++ (Angelopoulos, Duchi & Zrnic 2023), exactly as
//! `ppi_py.ppi_mean_pointestimate` computes it with sentence weights `w` (the
//! inverse inclusion probabilities of their articles) and the flags of every
//! sentence of the group as the "unlabelled" predictions:
//!
//! ```text
//! θ̂(λ) = λ · F/M + Σ_s w_s (Y_s − λ f_s) / Σ_s w_s
//! ```
//!
//! where `M` is the group's number of sentences, `F` its flagged sentences,
//! and `s` runs over the labelled sentences (`Y` the label, `f` the flag). The
//! power-tuning `λ ∈ [0, 1]` is PPI++'s variance-minimising choice (`_calc_lam_glm`
//! with clipping); `λ = 0` is the labels-alone estimate.
//!
//! The interval is `θ̂ ± t·SE` with an article-level (cluster) variance: the
//! sentences of one article are not independent, so both parts of the variance
//! are sums over articles (the linearisation that an article bootstrap
//! approximates), the labelled part stratified by inclusion probability (the
//! sub-strata of `--oversample-flagged`). With a few dozen labels the plain
//! variance is too small when errors are rare (no disagreement in the sample
//! gives a zero variance), so the labelled part is widened by the ratio of a
//! regularised sentence variance — half a pseudo-sentence in each of the four
//! (label, flag) cells, Jeffreys' add-½ — to the plain one. The widening fades
//! as labels grow (at 500 labels it changes the width by well under 1 %).
//! `t` is Student's quantile with one degree of freedom fewer than the
//! labelled articles (the usual small-sample correction of a cluster
//! variance with few clusters); it is the normal `z` for many articles.
//! docs/compare.md gives the coverage this reaches.

use crate::stats::Interval;

/// A labelled sentence: its label and the classifier's flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelledSentence {
    /// The human label (`Y`).
    pub label: bool,
    /// The classifier's flag (`f`).
    pub flagged: bool,
}

/// A labelled article: its inclusion probability and its labelled sentences.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledArticle {
    /// The probability that the article was drawn (0 < p ≤ 1); its weight is `1/p`.
    pub inclusion_probability: f64,
    /// The sentences that carry a label for the measure.
    pub sentences: Vec<LabelledSentence>,
}

/// One article's totals over all its sentences (labelled or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleTotals {
    /// Number of sentences.
    pub sentences: u64,
    /// Flagged sentences.
    pub flagged: u64,
}

/// What one group contributes to an estimate.
#[derive(Debug, Clone, Copy)]
pub struct GroupData<'a> {
    /// Every article of the group (the predictions on every sentence).
    pub articles: &'a [ArticleTotals],
    /// The labelled articles.
    pub labelled: &'a [LabelledArticle],
}

/// An estimated rate (a share of sentences, 0–1) with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateEstimate {
    /// The estimate.
    pub rate: f64,
    /// Its interval at the requested level, clipped to [0, 1].
    pub interval: Interval,
    /// Its standard error, scaled by `t/z` so that `rate ± z·se` is the
    /// Student-t interval (what [`difference`] combines).
    pub se: f64,
    /// The power-tuning weight of the predictions (0 for labels alone).
    pub lambda: f64,
    /// The variance contributed by the labelled sentences (the part that more labels shrink).
    pub labelled_variance: f64,
    /// The variance contributed by the predictions (`λ²·Var(F/M)`).
    pub prediction_variance: f64,
}

/// The classifier measured against the labels, weighted by inverse inclusion
/// probabilities (so oversampling does not flatter it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    /// Labelled sentences.
    pub sentences: usize,
    /// Labelled articles.
    pub articles: usize,
    /// Labelled sentences with label 1.
    pub positives: usize,
    /// Precision of the flags on the labelled sentences (`None` when nothing is flagged).
    pub precision: Option<f64>,
    /// Recall of the flags (`None` when no label is 1).
    pub recall: Option<f64>,
}

/// Summary counts and weighted precision/recall of the labelled sentences.
pub fn agreement(labelled: &[LabelledArticle]) -> Agreement {
    let (mut tp, mut fp, mut fneg) = (0.0, 0.0, 0.0);
    let mut sentences = 0;
    let mut positives = 0;
    for a in labelled {
        let w = 1.0 / a.inclusion_probability;
        for s in &a.sentences {
            sentences += 1;
            positives += usize::from(s.label);
            match (s.label, s.flagged) {
                (true, true) => tp += w,
                (false, true) => fp += w,
                (true, false) => fneg += w,
                (false, false) => {}
            }
        }
    }
    let ratio = |num: f64, den: f64| (den > 0.0).then(|| num / den);
    Agreement {
        sentences,
        articles: labelled.iter().filter(|a| !a.sentences.is_empty()).count(),
        positives,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fneg),
    }
}

/// Labelled sentences with their normalised weights (mean 1, as `ppi_py` normalises).
struct Labelled {
    y: Vec<f64>,
    f: Vec<f64>,
    w: Vec<f64>,
    /// The article of each sentence (index into `articles`).
    article: Vec<usize>,
    /// Per labelled article: inclusion probability.
    probabilities: Vec<f64>,
}

impl Labelled {
    fn new(labelled: &[LabelledArticle]) -> Option<Labelled> {
        let mut out = Labelled {
            y: Vec::new(),
            f: Vec::new(),
            w: Vec::new(),
            article: Vec::new(),
            probabilities: Vec::new(),
        };
        for a in labelled.iter().filter(|a| !a.sentences.is_empty()) {
            let i = out.probabilities.len();
            out.probabilities.push(a.inclusion_probability);
            for s in &a.sentences {
                out.y.push(f64::from(u8::from(s.label)));
                out.f.push(f64::from(u8::from(s.flagged)));
                out.w.push(1.0 / a.inclusion_probability);
                out.article.push(i);
            }
        }
        if out.y.is_empty() {
            return None;
        }
        let mean = out.w.iter().sum::<f64>() / out.w.len() as f64;
        out.w.iter_mut().for_each(|w| *w /= mean);
        Some(out)
    }

    fn n(&self) -> f64 {
        self.y.len() as f64
    }

    /// `Σ w (Y − λ f) / n` (the weights have mean 1).
    fn rectifier(&self, lambda: f64) -> f64 {
        let sum: f64 = (0..self.y.len())
            .map(|s| self.w[s] * (self.y[s] - lambda * self.f[s]))
            .sum();
        sum / self.n()
    }
}

/// Totals of the predictions over every sentence of the group.
struct Predictions {
    sentences: f64,
    flagged: f64,
}

impl Predictions {
    fn new(articles: &[ArticleTotals]) -> Predictions {
        Predictions {
            sentences: articles.iter().map(|a| a.sentences as f64).sum(),
            flagged: articles.iter().map(|a| a.flagged as f64).sum(),
        }
    }

    fn mean(&self) -> f64 {
        self.flagged / self.sentences
    }
}

/// PPI++'s power-tuning weight, as `ppi_py._calc_lam_glm` computes it for a
/// mean (one coordinate, `clip=True`): `cov(g, ĝ) / ((1 + n/N) · var(ĝ ∪ ĝ_U))`
/// with gradients centred at the `λ = 1` estimate; 0 when the predictions do
/// not vary.
fn power_tuning(l: &Labelled, p: &Predictions) -> f64 {
    let n = l.n();
    let big_n = p.sentences;
    let theta1 = p.mean() + l.rectifier(1.0);
    let g: Vec<f64> = (0..l.y.len()).map(|s| l.w[s] * (l.y[s] - theta1)).collect();
    let gh: Vec<f64> = (0..l.y.len()).map(|s| l.w[s] * (l.f[s] - theta1)).collect();
    let mean_g = g.iter().sum::<f64>() / n;
    let mean_gh = gh.iter().sum::<f64>() / n;
    let cov = g
        .iter()
        .zip(&gh)
        .map(|(a, b)| (a - mean_g) * (b - mean_gh))
        .sum::<f64>()
        / n;
    // var (ddof 1) of the labelled ĝ together with the unlabelled f − θ1
    // (flags are 0/1, so the unlabelled sums come from the totals).
    let (f1, f0) = (p.flagged, p.sentences - p.flagged);
    let sum = gh.iter().sum::<f64>() + f1 * (1.0 - theta1) + f0 * (-theta1);
    let sum_sq =
        gh.iter().map(|x| x * x).sum::<f64>() + f1 * (1.0 - theta1).powi(2) + f0 * theta1 * theta1;
    let count = n + big_n;
    let var = (sum_sq - sum * sum / count) / (count - 1.0);
    if var.is_nan() || var <= 1e-300 || !cov.is_finite() {
        return 0.0;
    }
    (cov / ((1.0 + n / big_n) * var)).clamp(0.0, 1.0)
}

/// The cluster variance of `F/M` over the group's articles:
/// `N/(N−1) · Σ (F_i − F/M · n_i)² / M²`.
fn prediction_variance(articles: &[ArticleTotals], p: &Predictions) -> f64 {
    let k = articles.len() as f64;
    if k < 2.0 || p.sentences <= 0.0 {
        return 0.0;
    }
    let mean = p.mean();
    let ss: f64 = articles
        .iter()
        .map(|a| (a.flagged as f64 - mean * a.sentences as f64).powi(2))
        .sum();
    k / (k - 1.0) * ss / (p.sentences * p.sentences)
}

/// The variance of the weighted rectifier mean `R = Σ w r / Σ w`
/// (`r = Y − λ f`): linearised over labelled articles, stratified by
/// inclusion probability, widened by the regularised-to-plain ratio of the
/// sentence variance (see the module documentation).
fn labelled_variance(l: &Labelled, lambda: f64) -> f64 {
    let r: Vec<f64> = (0..l.y.len()).map(|s| l.y[s] - lambda * l.f[s]).collect();
    let total_w: f64 = l.w.iter().sum();
    let mean_r = (0..r.len()).map(|s| l.w[s] * r[s]).sum::<f64>() / total_w;
    let plain = (0..r.len())
        .map(|s| l.w[s] * (r[s] - mean_r).powi(2))
        .sum::<f64>()
        / total_w;
    let regularised = regularised_variance(&r, &l.w, lambda);
    let linearised = linearised_variance(l, &r, mean_r, total_w);
    if plain > 1e-300 && linearised.is_finite() {
        linearised * regularised / plain
    } else {
        let sum_w2: f64 = l.w.iter().map(|w| w * w).sum();
        regularised / (total_w * total_w / sum_w2)
    }
}

/// The weighted variance of `r` with half a pseudo-sentence (at the mean
/// weight) in each of the four (label, flag) cells.
fn regularised_variance(r: &[f64], w: &[f64], lambda: f64) -> f64 {
    let pseudo_w = 0.5 * w.iter().sum::<f64>() / w.len() as f64;
    let cells = [1.0 - lambda, 1.0, -lambda, 0.0];
    let total = w.iter().sum::<f64>() + 4.0 * pseudo_w;
    let mean = (r.iter().zip(w).map(|(r, w)| r * w).sum::<f64>()
        + cells.iter().map(|c| c * pseudo_w).sum::<f64>())
        / total;
    (r.iter()
        .zip(w)
        .map(|(r, w)| w * (r - mean).powi(2))
        .sum::<f64>()
        + cells
            .iter()
            .map(|c| pseudo_w * (c - mean).powi(2))
            .sum::<f64>())
        / total
}

/// `Σ_h n_h/(n_h−1) Σ_{i∈h} (u_i − ū_h)²` with `u_i = Σ_{s∈i} w_s (r_s − R) / W`;
/// strata are the distinct inclusion probabilities (all one stratum when a
/// stratum has a single article).
fn linearised_variance(l: &Labelled, r: &[f64], mean_r: f64, total_w: f64) -> f64 {
    let articles = l.probabilities.len();
    let mut u = vec![0.0; articles];
    for s in 0..r.len() {
        u[l.article[s]] += l.w[s] * (r[s] - mean_r) / total_w;
    }
    let mut strata: Vec<(f64, Vec<f64>)> = Vec::new();
    for (i, &p) in l.probabilities.iter().enumerate() {
        match strata
            .iter_mut()
            .find(|(q, _)| (q - p).abs() <= 1e-12 * p.max(*q))
        {
            Some((_, members)) => members.push(u[i]),
            None => strata.push((p, vec![u[i]])),
        }
    }
    if strata.iter().any(|(_, m)| m.len() < 2) {
        strata = vec![(1.0, u)];
    }
    strata
        .iter()
        .map(|(_, m)| {
            let n = m.len() as f64;
            if n < 2.0 {
                return f64::INFINITY;
            }
            let mean = m.iter().sum::<f64>() / n;
            n / (n - 1.0) * m.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
        })
        .sum()
}

/// The prediction-powered (PPI++) estimate of the group's rate; `None` without labels.
pub fn ppi_rate(group: GroupData<'_>, z: f64) -> Option<RateEstimate> {
    estimate(group, z, None)
}

/// The estimate from the labels alone (the weighted share of label 1, `λ = 0`),
/// with the same kind of interval; `None` without labels.
pub fn gold_rate(group: GroupData<'_>, z: f64) -> Option<RateEstimate> {
    estimate(group, z, Some(0.0))
}

fn estimate(group: GroupData<'_>, z: f64, lambda: Option<f64>) -> Option<RateEstimate> {
    let l = Labelled::new(group.labelled)?;
    let p = Predictions::new(group.articles);
    if p.sentences <= 0.0 {
        return None;
    }
    let lambda = lambda.unwrap_or_else(|| power_tuning(&l, &p));
    let rate = lambda * p.mean() + l.rectifier(lambda);
    let prediction_variance = lambda * lambda * prediction_variance(group.articles, &p);
    let labelled_variance = labelled_variance(&l, lambda);
    let t = student_quantile(z, l.probabilities.len().saturating_sub(1).max(1));
    let se = (prediction_variance + labelled_variance).sqrt() * t / z;
    Some(RateEstimate {
        rate,
        interval: Interval {
            low: (rate - z * se).max(0.0),
            high: (rate + z * se).min(1.0),
        },
        se,
        lambda,
        labelled_variance,
        prediction_variance,
    })
}

/// The difference `a − b` of two independent groups' estimates with its
/// interval and two-sided p-value (normal approximation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// `a.rate − b.rate`.
    pub diff: f64,
    /// Its interval.
    pub interval: Interval,
    /// Two-sided p-value of "no difference".
    pub p: f64,
}

/// Compares two estimates of independent groups.
pub fn difference(a: &RateEstimate, b: &RateEstimate, z: f64) -> Difference {
    let diff = a.rate - b.rate;
    let se = (a.se * a.se + b.se * b.se).sqrt();
    let p = if se > 0.0 {
        2.0 * normal_upper_tail((diff / se).abs())
    } else if diff == 0.0 {
        1.0
    } else {
        0.0
    };
    Difference {
        diff,
        interval: Interval {
            low: diff - z * se,
            high: diff + z * se,
        },
        p: p.min(1.0),
    }
}

/// How many labelled articles in all (now plus more) would halve the
/// interval's width, from the variance formula: the labelled part shrinks
/// as `1/n`, the prediction part does not. `None` when labels alone cannot
/// halve it (the prediction part is already over a quarter of the variance).
pub fn articles_to_halve(estimate: &RateEstimate, labelled_articles: usize) -> Option<usize> {
    let total = estimate.labelled_variance + estimate.prediction_variance;
    let room = total / 4.0 - estimate.prediction_variance;
    if room <= 0.0 || estimate.labelled_variance <= 0.0 {
        return None;
    }
    let needed = labelled_articles as f64 * estimate.labelled_variance / room;
    Some(needed.ceil() as usize)
}

/// Student's t quantile at the two-sided level whose normal quantile is `z`,
/// with `df` degrees of freedom: exact for 1 and 2, else the Cornish–Fisher
/// expansion in `z` to the fourth order (error below 0.004 at 3 degrees of
/// freedom and below 1e-4 from 15).
pub fn student_quantile(z: f64, df: usize) -> f64 {
    let p = 1.0 - normal_upper_tail(z);
    match df {
        0 | 1 => (std::f64::consts::PI * (p - 0.5)).tan(),
        2 => (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt(),
        _ => {
            let v = df as f64;
            let z2 = z * z;
            let g1 = (z2 + 1.0) * z / 4.0;
            let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
            let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
            let g4 =
                ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
            z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v)
        }
    }
}

/// `P(Z > x)` for a standard normal `Z` (Numerical Recipes' `erfcc`, relative
/// error below 1.2e-7).
pub fn normal_upper_tail(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Z: f64 = 1.959_963_984_540_054;

    fn one_sentence_articles(pairs: &[(bool, bool)]) -> Vec<LabelledArticle> {
        pairs
            .iter()
            .map(|&(label, flagged)| LabelledArticle {
                inclusion_probability: 0.1,
                sentences: vec![LabelledSentence { label, flagged }],
            })
            .collect()
    }

    fn totals(flags: &[bool]) -> Vec<ArticleTotals> {
        flags
            .iter()
            .map(|&f| ArticleTotals {
                sentences: 1,
                flagged: u64::from(f),
            })
            .collect()
    }

    #[test]
    fn matches_ppi_py_on_a_worked_example() {
        // Y = [1,0,1,0,0,1], Yhat = [1,1,1,0,0,0], Yhat_unlabeled = 6 labelled
        // predictions + [1,0,0,0]. By hand (ppi_py's formulas): θ1 = 0.4 + 0 = 0.4;
        // cov_n(Y, Yhat) = 1/12 · ... computed below independently.
        let y = [true, false, true, false, false, true];
        let f = [true, true, true, false, false, false];
        let unl = [
            true, true, true, false, false, false, true, false, false, false,
        ];
        let labelled = one_sentence_articles(&y.iter().copied().zip(f).collect::<Vec<_>>());
        let articles = totals(&unl);
        let e = ppi_rate(
            GroupData {
                articles: &articles,
                labelled: &labelled,
            },
            Z,
        )
        .unwrap();
        // Independent computation of λ: cov_n(Y, f) = E[Yf] − E[Y]E[f] = 2/6 − 0.25 = 1/12;
        // var_ddof1 of the 16 values f − θ1 (labelled 6 + unlabelled 10) = var of 0/1 with
        // 7 ones of 16: 7·9/(16·15) = 0.2625; λ = (1/12) / ((1 + 6/10) · 0.2625).
        let lambda = (1.0 / 12.0) / (1.6 * 0.2625);
        assert!((e.lambda - lambda).abs() < 1e-12, "{}", e.lambda);
        let rate = lambda * 0.4 + (3.0 - lambda * 3.0) / 6.0;
        assert!((e.rate - rate).abs() < 1e-12);
        assert!(e.interval.low < e.rate && e.rate < e.interval.high);
    }

    #[test]
    fn without_labels_there_is_no_estimate() {
        let articles = totals(&[true, false]);
        let g = GroupData {
            articles: &articles,
            labelled: &[],
        };
        assert!(ppi_rate(g, Z).is_none() && gold_rate(g, Z).is_none());
    }

    #[test]
    fn an_informative_classifier_narrows_the_interval() {
        // 400 articles, 60 labelled; the classifier agrees with the label 90 % of the time.
        let mut pairs = Vec::new();
        for i in 0..60 {
            let label = i % 5 == 0;
            let flagged = if i % 10 == 3 { !label } else { label };
            pairs.push((label, flagged));
        }
        let labelled = one_sentence_articles(&pairs);
        let flags: Vec<bool> = (0..400).map(|i| i % 5 == 0 || i % 10 == 3).collect();
        let articles = totals(&flags);
        let g = GroupData {
            articles: &articles,
            labelled: &labelled,
        };
        let ppi = ppi_rate(g, Z).unwrap();
        let gold = gold_rate(g, Z).unwrap();
        assert!(ppi.lambda > 0.5, "{ppi:?}");
        let width = |e: &RateEstimate| e.interval.high - e.interval.low;
        assert!(width(&ppi) < 0.8 * width(&gold), "{ppi:?} {gold:?}");
    }

    #[test]
    fn no_disagreement_still_gives_an_interval() {
        let pairs: Vec<(bool, bool)> = (0..40).map(|i| (i < 4, i < 4)).collect();
        let labelled = one_sentence_articles(&pairs);
        let articles = totals(&(0..400).map(|i| i < 40).collect::<Vec<_>>());
        let e = ppi_rate(
            GroupData {
                articles: &articles,
                labelled: &labelled,
            },
            Z,
        )
        .unwrap();
        assert!(e.interval.high - e.interval.low > 0.04, "{e:?}");
    }

    #[test]
    fn halving_needs_about_four_times_the_labels() {
        let e = RateEstimate {
            rate: 0.1,
            interval: Interval {
                low: 0.0,
                high: 0.2,
            },
            se: 0.05,
            lambda: 0.0,
            labelled_variance: 0.0025,
            prediction_variance: 0.0,
        };
        assert_eq!(articles_to_halve(&e, 40), Some(160));
        let dominated = RateEstimate {
            prediction_variance: 0.01,
            ..e
        };
        assert_eq!(articles_to_halve(&dominated, 40), None);
    }

    #[test]
    fn student_quantiles_match_tables() {
        // t_{0.975} for 1, 2, 3, 15, 39 and 1000 degrees of freedom.
        for (df, t, tol) in [
            (1, 12.706_204_7, 1e-4),
            (2, 4.302_652_7, 1e-5),
            (3, 3.182_446_3, 4e-3),
            (15, 2.131_449_5, 1e-4),
            (39, 2.022_690_9, 1e-5),
            (1000, 1.962_339_1, 1e-6),
        ] {
            let q = student_quantile(Z, df);
            assert!((q - t).abs() < tol, "df {df}: {q} vs {t}");
        }
    }

    #[test]
    fn normal_tail() {
        assert!((normal_upper_tail(1.959_964) - 0.025).abs() < 1e-7);
        assert!((normal_upper_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_upper_tail(-1.0) - 0.841_344_746).abs() < 1e-7);
    }

    #[test]
    fn weighted_agreement() {
        let labelled = vec![
            LabelledArticle {
                inclusion_probability: 0.5,
                sentences: vec![
                    LabelledSentence {
                        label: true,
                        flagged: true,
                    },
                    LabelledSentence {
                        label: false,
                        flagged: true,
                    },
                ],
            },
            LabelledArticle {
                inclusion_probability: 0.25,
                sentences: vec![LabelledSentence {
                    label: true,
                    flagged: false,
                }],
            },
        ];
        let a = agreement(&labelled);
        assert_eq!((a.sentences, a.articles, a.positives), (3, 2, 2));
        assert_eq!(a.precision, Some(0.5));
        assert!((a.recall.unwrap() - 2.0 / 6.0).abs() < 1e-12);
    }
}
