//! Coverage of the prediction-powered intervals in a simulation where the
//! truth is known for every sentence (docs/compare.md, "Validating against
//! human coding", quotes the printed figures).
//!
//! Each of 1,000 replications generates a fresh corpus of two outlets (400
//! articles each, 1–7 sentences, article-level propensities so that sentences
//! of one article are correlated) with true framing rates near 10 % and 16 %,
//! and a classifier whose false-positive rate differs by outlet (4 % and 22 %)
//! with a recall of 75 %. Each replication then draws a validation sample of
//! about 60 sentences per outlet with `rhetor sample`'s drawing code, labels
//! it with the truth, and computes the naive (classifier-only) and the
//! prediction-powered 95 % intervals of each outlet's rate and of the
//! difference between the outlets. Run: `cargo test --test validation_simulation -- --nocapture`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rhetor::compare::input::{ArticleRecord, Dataset, InputKind};
use rhetor::compare::ppi::{
    difference, gold_rate, ppi_rate, ArticleTotals, GroupData, LabelledArticle, LabelledSentence,
    RateEstimate,
};
use rhetor::compare::sample::{draw, SampleOptions};
use rhetor::compare::{compare, CompareOptions, GroupBy, Measure};
use rhetor::taxonomy::DeviceMap;
use std::collections::HashSet;

const Z: f64 = 1.959_963_984_540_054;
const REPLICATIONS: usize = 1000;

/// One simulated outlet: true base rate, the classifier's recall and false-positive rate.
struct Spec {
    name: &'static str,
    rate: f64,
    recall: f64,
    false_positive: f64,
}

const OUTLETS: [Spec; 2] = [
    Spec {
        name: "A",
        rate: 0.10,
        recall: 0.75,
        false_positive: 0.04,
    },
    Spec {
        name: "B",
        rate: 0.16,
        recall: 0.75,
        false_positive: 0.22,
    },
];

/// Per sentence of an article: (true label, classifier flag).
type Article = Vec<(bool, bool)>;

fn corpus(rng: &mut StdRng) -> Vec<Vec<Article>> {
    OUTLETS
        .iter()
        .map(|spec| {
            (0..400)
                .map(|_| {
                    // Article propensity: the base rate scaled by a factor in [0.25, 1.75].
                    let p = (spec.rate * rng.gen_range(0.25..1.75)).min(1.0);
                    let n = rng.gen_range(1..=7);
                    (0..n)
                        .map(|_| {
                            let truth = rng.gen_bool(p);
                            let flag = if truth {
                                rng.gen_bool(spec.recall)
                            } else {
                                rng.gen_bool(spec.false_positive)
                            };
                            (truth, flag)
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn dataset(corpus: &[Vec<Article>]) -> Dataset {
    let mut articles = Vec::new();
    for (o, outlet) in corpus.iter().enumerate() {
        for (i, a) in outlet.iter().enumerate() {
            articles.push(ArticleRecord {
                id: format!("{}-{i}", OUTLETS[o].name),
                meta: vec![OUTLETS[o].name.to_string(), "2024-01-01".into()],
                sentences: a.len() as u64,
                framing_sentences: a.iter().filter(|s| s.1).count() as u64,
                counts: DeviceMap::filled(0),
                own_counts: Vec::new(),
            });
        }
    }
    Dataset {
        source: "simulation".into(),
        kind: InputKind::Articles,
        meta_columns: vec!["outlet".into(), "date".into()],
        devices: Vec::new(),
        own_labels: Vec::new(),
        articles,
    }
}

fn true_rate(outlet: &[Article]) -> f64 {
    let (n, y) = outlet
        .iter()
        .flatten()
        .fold((0, 0), |(n, y), s| (n + 1, y + usize::from(s.0)));
    y as f64 / n as f64
}

struct Tally {
    hits: usize,
    width: f64,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            hits: 0,
            width: 0.0,
        }
    }
    fn add(&mut self, low: f64, high: f64, truth: f64) {
        self.hits += usize::from(low <= truth && truth <= high);
        self.width += high - low;
    }
    fn coverage(&self) -> f64 {
        self.hits as f64 / REPLICATIONS as f64
    }
    fn mean_width(&self) -> f64 {
        100.0 * self.width / REPLICATIONS as f64
    }
}

#[test]
fn prediction_powered_intervals_cover_the_true_rates_where_naive_ones_do_not() {
    let mut rng = StdRng::seed_from_u64(2023);
    let mut ppi = [Tally::new(), Tally::new()];
    let mut gold = [Tally::new(), Tally::new()];
    let mut naive = [Tally::new(), Tally::new()];
    let (mut ppi_diff, mut naive_diff) = (Tally::new(), Tally::new());
    for rep in 0..REPLICATIONS {
        let corpus = corpus(&mut rng);
        let data = dataset(&corpus);
        let truth: Vec<f64> = corpus.iter().map(|o| true_rate(o)).collect();
        // The naive interval: `rhetor compare`'s bootstrap of the flags.
        let naive_cmp = compare(
            &data,
            &CompareOptions {
                bootstrap: 200,
                pairwise: false,
                seed: rep as u64,
                ..CompareOptions::default()
            },
        )
        .unwrap();
        let sample = draw(
            &data,
            &SampleOptions {
                by: vec![GroupBy::parse("outlet")],
                date_column: "date".into(),
                per_group: 60,
                seed: rep as u64,
                measures: vec![Measure::Framing],
                oversample_flagged: None,
                exclude: HashSet::new(),
            },
        )
        .unwrap();
        let mut estimates: Vec<RateEstimate> = Vec::new();
        let mut naive_se = Vec::new();
        for (o, outlet) in corpus.iter().enumerate() {
            let offset: usize = corpus[..o].iter().map(|x| x.len()).sum();
            let totals: Vec<ArticleTotals> = outlet
                .iter()
                .map(|a| ArticleTotals {
                    sentences: a.len() as u64,
                    flagged: a.iter().filter(|s| s.1).count() as u64,
                })
                .collect();
            let labelled: Vec<LabelledArticle> = sample.groups[o]
                .drawn
                .iter()
                .map(|d| LabelledArticle {
                    inclusion_probability: d.inclusion_probability,
                    sentences: outlet[d.article - offset]
                        .iter()
                        .map(|&(label, flagged)| LabelledSentence { label, flagged })
                        .collect(),
                })
                .collect();
            let group = GroupData {
                articles: &totals,
                labelled: &labelled,
            };
            let e = ppi_rate(group, Z).unwrap();
            ppi[o].add(e.interval.low, e.interval.high, truth[o]);
            let g = gold_rate(group, Z).unwrap();
            gold[o].add(g.interval.low, g.interval.high, truth[o]);
            estimates.push(e);
            let ci = naive_cmp.groups[o].measures[0].rate_ci.unwrap();
            naive[o].add(ci.low / 100.0, ci.high / 100.0, truth[o]);
            naive_se.push((ci.high - ci.low) / 100.0 / (2.0 * Z));
        }
        let true_diff = truth[0] - truth[1];
        let d = difference(&estimates[0], &estimates[1], Z);
        ppi_diff.add(d.interval.low, d.interval.high, true_diff);
        let naive_rates: Vec<f64> = (0..2)
            .map(|o| naive_cmp.groups[o].measures[0].rate.unwrap() / 100.0)
            .collect();
        let nd = naive_rates[0] - naive_rates[1];
        let nse = (naive_se[0].powi(2) + naive_se[1].powi(2)).sqrt();
        naive_diff.add(nd - Z * nse, nd + Z * nse, true_diff);
    }
    println!("coverage of 95 % intervals over {REPLICATIONS} simulated validation samples (about 60 labelled sentences per outlet):");
    println!("| quantity | prediction-powered | naive (classifier only) | labels alone |");
    println!("|---|---|---|---|");
    for o in 0..2 {
        println!(
            "| rate of outlet {} | {:.3} (mean width {:.2}) | {:.3} (mean width {:.2}) | {:.3} (mean width {:.2}) |",
            OUTLETS[o].name,
            ppi[o].coverage(),
            ppi[o].mean_width(),
            naive[o].coverage(),
            naive[o].mean_width(),
            gold[o].coverage(),
            gold[o].mean_width()
        );
    }
    println!(
        "| difference A − B | {:.3} (mean width {:.2}) | {:.3} (mean width {:.2}) | |",
        ppi_diff.coverage(),
        ppi_diff.mean_width(),
        naive_diff.coverage(),
        naive_diff.mean_width()
    );
    for o in 0..2 {
        assert!(
            ppi[o].coverage() >= 0.93,
            "outlet {o}: {}",
            ppi[o].coverage()
        );
        assert!(ppi[o].mean_width() < gold[o].mean_width(), "outlet {o}");
    }
    assert!(ppi_diff.coverage() >= 0.93, "{}", ppi_diff.coverage());
    // Outlet B's classifier flags many false positives: the naive interval misses.
    assert!(naive[1].coverage() < 0.5, "{}", naive[1].coverage());
    assert!(naive_diff.coverage() < 0.5, "{}", naive_diff.coverage());
}
