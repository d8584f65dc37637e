//! How optimistic the figures of `rhetor eval --tune` are: k-fold
//! cross-validation over the articles of a labelled set. Each fold tunes on
//! the other folds exactly as `rhetor eval --tune` does and scores its own
//! articles:
//! * sentence level: the thresholds (`tune_thresholds`: per device best F1,
//!   the binary decision, and for a coherent-framing model the techniques
//!   raised until they agree with `framing`); the held-out decisions of all
//!   folds are pooled into one F1, next to the model's own thresholds;
//! * spans, for a model with a span head on a set with gold spans: the span
//!   decoding (`tune_span_decoding`: threshold, extension threshold, join gap)
//!   against the threshold alone; mean held-out SI F1 over the folds.
//!
//! `cargo run --release --example tuning_cv -- [MODEL_DIR] [GOLD] [K]`
//! (defaults: models/rhetor-minilm-spans, ../shared/ptc/dev, 5; base weights
//! from models/base or RHETOR_BASE_DIR; the engine `auto` picks).

use rhetor::eval::run::{evaluate, score_gold, LabelMetrics, ModelRun};
use rhetor::eval::spans::evaluate_spans;
use rhetor::eval::tune::{decode_spans, tune_span_decoding, tune_thresholds};
use rhetor::io::labels::{read_gold, GoldOptions, GoldSet};
use rhetor::model::span_head::{read_config_span_head, SpanHeadConfig};
use rhetor::{ModelSpec, Rhetor};
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or(default.into());
    let model = PathBuf::from(arg(1, "models/rhetor-minilm-spans"));
    let gold = read_gold(
        Path::new(&arg(2, "../shared/ptc/dev")),
        GoldOptions::default(),
    )?;
    let k: usize = arg(3, "5").parse()?;
    let rhetor = Rhetor::builder()
        .model(ModelSpec::Dir(model.clone()))
        .build()?;
    let run = score_gold(&gold, rhetor.scorer(), rhetor.thresholds().clone(), 64)?;
    let folds: Vec<_> = (0..k)
        .map(|fold| {
            let tune = subset(&gold, &run, |i| i % k != fold);
            let test = subset(&gold, &run, |i| i % k == fold);
            (tune, test)
        })
        .collect();
    sentence_level(&folds);
    match read_config_span_head(&model)? {
        Some(head) if gold.has_spans() => spans(folds, &head),
        _ => println!("spans: the model has no span head or the set no gold spans"),
    }
    Ok(())
}

type Fold = ((GoldSet, ModelRun), (GoldSet, ModelRun));

/// Sentence-level F1 with thresholds tuned on the other folds, pooled.
fn sentence_level(folds: &[Fold]) {
    let (mut tuned, mut own) = (Pooled::default(), Pooled::default());
    for (fold, ((tune_gold, tune_run), (test_gold, test_run))) in folds.iter().enumerate() {
        let before = evaluate(test_gold, test_run, 0).sentence_level.metrics;
        let mut test_run = test_run.clone();
        test_run.thresholds = tune_thresholds(tune_gold, tune_run).0;
        test_run.score_framing_on(test_gold);
        let after = evaluate(test_gold, &test_run, 0).sentence_level.metrics;
        println!(
            "fold {fold}: thresholds tuned on the other folds F1 {:.4} (decision threshold {:.3}); the model's thresholds {:.4}",
            after.f1, after.threshold, before.f1
        );
        tuned.add(&after);
        own.add(&before);
    }
    println!(
        "sentence level, pooled over {} folds of held-out articles: F1 {:.4} with thresholds tuned elsewhere, {:.4} with the model's own",
        folds.len(),
        tuned.f1(),
        own.f1()
    );
}

/// Mean held-out SI F1 of the tuned span decoding and of the threshold alone.
fn spans(folds: Vec<Fold>, head: &SpanHeadConfig) {
    let (mut full_sum, mut only_sum, mut n) = (0.0, 0.0, 0);
    for (fold, ((tune_gold, mut tune_run), (test_gold, mut test_run))) in
        folds.into_iter().enumerate()
    {
        let mut tune_set = [(&tune_gold, &mut tune_run.scores)];
        let Some((full, _)) = tune_span_decoding(&mut tune_set, head) else {
            continue;
        };
        let only = (1..=19)
            .map(|step| SpanHeadConfig::new(head.devices.clone(), step as f32 * 0.05))
            .max_by(|a, b| si_f1(&mut tune_set, a).total_cmp(&si_f1(&mut tune_set, b)))
            .expect("19 thresholds");
        let mut test_set = [(&test_gold, &mut test_run.scores)];
        let (f, o) = (si_f1(&mut test_set, &full), si_f1(&mut test_set, &only));
        println!(
            "fold {fold}: tuned threshold {} / extension {:?} / join gap {}: SI F1 {f:.4}; threshold {} alone: {o:.4}",
            full.threshold, full.extend_threshold, full.join_gap, only.threshold
        );
        (full_sum, only_sum, n) = (full_sum + f, only_sum + o, n + 1);
    }
    let (f, o) = (full_sum / n as f64, only_sum / n as f64);
    println!(
        "spans, mean over {n} folds of held-out articles: SI F1 {f:.4} (full search) vs {o:.4} (threshold alone): {:+.4}",
        f - o
    );
}

fn si_f1(
    set: &mut [(&GoldSet, &mut Vec<Vec<rhetor::SentenceScores>>)],
    config: &SpanHeadConfig,
) -> f64 {
    decode_spans(set, config);
    evaluate_spans(set[0].0, set[0].1, 0).map_or(0.0, |e| e.si_f1)
}

/// Decision counts pooled over folds.
#[derive(Default)]
struct Pooled {
    true_positives: f64,
    predicted: f64,
    support: f64,
}

impl Pooled {
    fn add(&mut self, m: &LabelMetrics) {
        self.true_positives += (m.recall * m.support as f64).round();
        self.predicted += m.predicted as f64;
        self.support += m.support as f64;
    }

    fn f1(&self) -> f64 {
        2.0 * self.true_positives / (self.predicted + self.support)
    }
}

/// The articles whose index passes `keep`, with their scores.
fn subset(gold: &GoldSet, run: &ModelRun, keep: impl Fn(usize) -> bool) -> (GoldSet, ModelRun) {
    let kept: Vec<usize> = (0..gold.articles.len()).filter(|&i| keep(i)).collect();
    let mut g = gold.clone();
    g.articles = kept.iter().map(|&i| gold.articles[i].clone()).collect();
    let scores = kept.iter().map(|&i| run.scores[i].clone()).collect();
    (
        g,
        ModelRun {
            scores,
            ..run.clone()
        },
    )
}
