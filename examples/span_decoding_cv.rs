//! How much of the tuned span decoding's SI F1 gain holds on articles it was
//! not tuned on: k-fold cross-validation over the articles of a labelled set
//! with gold spans. Each fold tunes on the other folds, with the full search
//! of `rhetor eval --tune` (threshold, extension threshold, join gap) and with
//! the threshold alone, and scores both on its own articles.
//!
//! `cargo run --release --example span_decoding_cv -- [MODEL_DIR] [GOLD] [K]`
//! (defaults: models/rhetor-minilm-spans, ../shared/ptc/dev, 5; base weights
//! from models/base or RHETOR_BASE_DIR; the engine `auto` picks).

use rhetor::eval::labels::{read_gold, GoldOptions, GoldSet};
use rhetor::eval::spans::evaluate_spans;
use rhetor::eval::tune::{decode_spans, tune_span_decoding};
use rhetor::model::span_head::SpanHeadConfig;
use rhetor::model::transformer::{read_config, Engine, TransformerOptions, TransformerScorer};
use rhetor::SentenceScores;
use std::path::Path;

type Scores = Vec<Vec<SentenceScores>>;

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
    let head = config
        .span_head
        .clone()
        .ok_or("the model has no span head")?;
    let options = TransformerOptions {
        explain: false,
        engine: Engine::Auto,
    };
    let base = rhetor::LoadOptions::from_env().base.dir;
    let scorer = TransformerScorer::load_with(Path::new(&model), &base, options)?;
    let run = rhetor::eval::score_gold(&gold, &scorer, config.thresholds.clone(), 64)?;
    let (mut full_sum, mut only_sum) = (0.0, 0.0);
    for fold in 0..k {
        let (tune_gold, mut tune_scores) = subset(&gold, &run.scores, |i| i % k != fold);
        let (test_gold, mut test_scores) = subset(&gold, &run.scores, |i| i % k == fold);
        let mut tune_set = [(&tune_gold, &mut tune_scores)];
        let (full, _) = tune_span_decoding(&mut tune_set, &head).ok_or("no gold spans")?;
        let only = (1..=19)
            .map(|step| SpanHeadConfig::new(head.devices.clone(), step as f32 * 0.05))
            .max_by(|a, b| si_f1(&mut tune_set, a).total_cmp(&si_f1(&mut tune_set, b)))
            .expect("19 thresholds");
        let mut test_set = [(&test_gold, &mut test_scores)];
        let (f, o) = (si_f1(&mut test_set, &full), si_f1(&mut test_set, &only));
        println!(
            "fold {fold}: tuned threshold {} / extension {:?} / join gap {}: SI F1 {f:.4}; threshold {} alone: {o:.4}",
            full.threshold, full.extend_threshold, full.join_gap, only.threshold
        );
        (full_sum, only_sum) = (full_sum + f, only_sum + o);
    }
    let (f, o) = (full_sum / k as f64, only_sum / k as f64);
    println!("mean over {k} folds of held-out articles: SI F1 {f:.4} (full search) vs {o:.4} (threshold alone): {:+.4}", f - o);
    Ok(())
}

/// The articles whose index passes `keep`, with their scores.
fn subset(gold: &GoldSet, scores: &Scores, keep: impl Fn(usize) -> bool) -> (GoldSet, Scores) {
    let mut g = gold.clone();
    let kept: Vec<_> = (0..gold.articles.len()).filter(|&i| keep(i)).collect();
    g.articles = kept.iter().map(|&i| gold.articles[i].clone()).collect();
    (g, kept.iter().map(|&i| scores[i].clone()).collect())
}

fn si_f1(set: &mut [(&GoldSet, &mut Scores)], config: &SpanHeadConfig) -> f64 {
    decode_spans(set, config);
    evaluate_spans(set[0].0, set[0].1, 0).map_or(0.0, |e| e.si_f1)
}
