//! How optimistic a `rhetor eval --tune` figure is: k-fold cross-validation
//! over the articles of a labelled set. Each fold tunes the thresholds on the
//! other folds exactly as `rhetor eval --tune` does (`tune_thresholds`: per
//! device best F1, the binary decision, and for a coherent-framing model the
//! techniques raised until they agree with `framing`) and scores its own
//! articles; the held-out decisions of all folds are pooled into one
//! sentence-level F1, next to the F1 of the model's own thresholds on the
//! same articles.
//!
//! `cargo run --release --example threshold_cv -- [MODEL_DIR] [GOLD] [K]`
//! (defaults: models/rhetor-minilm-spans, ../shared/ptc/dev, 5; base weights
//! from models/base or RHETOR_BASE_DIR; the engine `auto` picks).

use rhetor::eval::labels::{read_gold, GoldOptions, GoldSet};
use rhetor::eval::run::{evaluate, LabelMetrics, ModelRun};
use rhetor::eval::tune::tune_thresholds;
use rhetor::model::transformer::{read_config, Engine, TransformerOptions, TransformerScorer};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or(default.into());
    let model = arg(1, "models/rhetor-minilm-spans");
    let gold = read_gold(
        Path::new(&arg(2, "../shared/ptc/dev")),
        GoldOptions::default(),
    )?;
    let k: usize = arg(3, "5").parse()?;
    let config = read_config(Path::new(&model))?;
    let options = TransformerOptions {
        explain: false,
        engine: Engine::Auto,
    };
    let base = rhetor::LoadOptions::from_env().base.dir;
    let scorer = TransformerScorer::load_with(Path::new(&model), &base, options)?;
    let run = rhetor::eval::score_gold(&gold, &scorer, config.thresholds.clone(), 64)?;
    let (mut tuned, mut own) = (Pooled::default(), Pooled::default());
    for fold in 0..k {
        let (tune_gold, tune_run) = subset(&gold, &run, |i| i % k != fold);
        let (test_gold, mut test_run) = subset(&gold, &run, |i| i % k == fold);
        let before = evaluate(&test_gold, &test_run, 0).sentence_level.metrics;
        let (thresholds, _) = tune_thresholds(&tune_gold, &tune_run);
        test_run.thresholds = thresholds;
        test_run.score_framing_on(&test_gold);
        let after = evaluate(&test_gold, &test_run, 0).sentence_level.metrics;
        println!(
            "fold {fold}: tuned on the other folds F1 {:.4} (decision threshold {:.3}); the model's thresholds {:.4}",
            after.f1, after.threshold, before.f1
        );
        tuned.add(&after);
        own.add(&before);
    }
    println!(
        "pooled over {k} folds of held-out articles: sentence F1 {:.4} with thresholds tuned elsewhere, {:.4} with the model's own",
        tuned.f1(),
        own.f1()
    );
    Ok(())
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
    let r = ModelRun {
        scores,
        ..run.clone()
    };
    (g, r)
}
