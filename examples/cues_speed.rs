//! Measures the cue model's throughput on one core.
//!
//! ```text
//! cargo run --release --example cues_speed -- FILE...   # one sentence per non-empty line
//! ```
//! Without files it uses a built-in set of made-up sentences.

use rhetor::model::cues::CueModel;
use rhetor::model::{Scorer, SentenceInput};
use std::time::Instant;

const BUILT_IN: &[&str] = &[
    "The council approved the budget on Tuesday after a long debate.",
    "Let's notice that the ministry has not answered a single question so far.",
    "By the way, the figures were revised twice in a month.",
    "The so-called \"reform\" raised fees for everyone, the union said in a statement.",
    "Who will pay for this?",
    "Prices rose by four percent in March, according to the statistics office.",
    "It is no secret that the brutal crackdown shocked the whole country.",
    "Officials said the new bridge will open to traffic next spring.",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let mut sentences: Vec<String> = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f)?;
        sentences.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| rhetor::text::normalize(l).text),
        );
    }
    if sentences.is_empty() {
        sentences = BUILT_IN.iter().map(|s| s.to_string()).collect();
    }
    let t0 = Instant::now();
    let model = CueModel::embedded()?;
    println!("model compiled in {:.1?}", t0.elapsed());
    let inputs: Vec<SentenceInput<'_>> = sentences
        .iter()
        .map(|s| SentenceInput {
            text: s,
            ..Default::default()
        })
        .collect();
    model.score_batch(&inputs)?; // warm-up (lazy DFA caches)
    let target = 200_000usize;
    let rounds = target.div_ceil(inputs.len()).max(1);
    let t = Instant::now();
    let mut cues = 0usize;
    for _ in 0..rounds {
        for s in model.score_batch(&inputs)? {
            cues += s.cues.len();
        }
    }
    let n = rounds * inputs.len();
    let secs = t.elapsed().as_secs_f64();
    let bytes: usize = sentences.iter().map(|s| s.len()).sum::<usize>() * rounds;
    println!(
        "{n} sentences ({:.0} bytes avg) in {secs:.2} s on one thread: {:.0} sentences/s, {:.1} MB/s, {cues} cues",
        bytes as f64 / n as f64,
        n as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    // What the pipeline adds per sentence: attribution ranges and the flag.
    let t = Instant::now();
    let mut attributed = 0usize;
    for _ in 0..rounds {
        for s in &sentences {
            let ranges = rhetor::text::attribution::attributed_ranges(s);
            std::hint::black_box(ranges);
            attributed += rhetor::text::attribution::is_attributed(s) as usize;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "attribution (attributed_ranges + is_attributed): {:.0} sentences/s, {attributed} attributed",
        n as f64 / secs
    );
    Ok(())
}
