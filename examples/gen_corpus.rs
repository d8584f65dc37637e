//! Generates a synthetic, news-like article corpus as CSV for batch
//! benchmarks and demos. The sentences are built from templates (no real
//! articles, no PTC text); some carry framing cues (editorial asides,
//! evaluative words, scare quotes) so the scores are not all zero.
//!
//! ```text
//! cargo run --release --example gen_corpus -- --articles 100000 --out corpus.csv
//! cargo run --release --example gen_corpus -- --articles 1000 --seed 7 > small.csv
//! ```
//!
//! Columns: id, outlet, date, title, section, text. Output is deterministic for a given seed.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::io::{BufWriter, Write};

const OUTLETS: &[&str] = &[
    "Daily Ledger",
    "Morning Courier",
    "The Civic Post",
    "Harbor Times",
    "National Observer",
    "Valley Gazette",
];
const SECTIONS: &[&str] = &["politics", "economy", "world", "health", "local"];
const ACTORS: &[&str] = &[
    "the finance minister",
    "the city council",
    "opposition leaders",
    "the central bank",
    "regional officials",
    "the health ministry",
    "union representatives",
    "the prime minister's office",
    "local business owners",
    "independent analysts",
];
const TOPICS: &[&str] = &[
    "the new budget",
    "the housing plan",
    "fuel prices",
    "the hospital reform",
    "the trade agreement",
    "the transit strike",
    "the school funding bill",
    "the flood defences",
    "interest rates",
    "the election timetable",
];
const VERBS: &[&str] = &[
    "announced",
    "criticised",
    "defended",
    "postponed",
    "reviewed",
    "approved",
    "questioned",
    "welcomed",
];
const NEUTRAL: &[&str] = &[
    "{A} {V} {T} on {D}.",
    "According to {A}, {T} will be discussed again next week.",
    "{A} said the details of {T} would be published in {M}.",
    "The vote on {T} is expected before the end of {M}.",
    "Figures released on {D} show a change of {N} percent compared with last year.",
    "{A} met with {B} to discuss {T}.",
    "Officials estimate that about {N} thousand residents are affected by {T}.",
    "The proposal was first presented in {M} and has been revised twice since.",
    "{A} declined to comment on {T}.",
    "A spokesperson for {A} said the talks were constructive.",
];
const FRAMED: &[&str] = &[
    "By the way, {A} had promised the opposite only a year ago.",
    "Let's notice that {A} never explained who would pay for {T}.",
    "The so-called \"reform\" of {T} is, frankly, a disgrace.",
    "{A} once again chose chaos over common sense on {T}.",
    "Is anyone surprised that {T} has turned into a fiasco?",
    "This reckless gamble with {T} will hurt every family in the country.",
    "Critics call {T} an outrageous betrayal of ordinary voters.",
];

fn fill(template: &str, rng: &mut StdRng) -> String {
    let months = ["January", "March", "May", "July", "September", "November"];
    let mut s = template.to_string();
    let actor = *ACTORS.choose(rng).unwrap_or(&"officials");
    let other = *ACTORS.choose(rng).unwrap_or(&"officials");
    let replacements = [
        ("{A}", actor.to_string()),
        ("{B}", other.to_string()),
        ("{T}", TOPICS.choose(rng).unwrap_or(&"the plan").to_string()),
        ("{V}", VERBS.choose(rng).unwrap_or(&"discussed").to_string()),
        ("{M}", months.choose(rng).unwrap_or(&"May").to_string()),
        (
            "{D}",
            format!(
                "{} {}",
                rng.gen_range(1..=28),
                months.choose(rng).unwrap_or(&"May")
            ),
        ),
        ("{N}", rng.gen_range(2..=40).to_string()),
    ];
    for (k, v) in replacements {
        s = s.replace(k, &v);
    }
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => s,
    }
}

fn article(rng: &mut StdRng, framing_share: f64) -> String {
    let paragraphs = rng.gen_range(2..=6);
    let mut out = Vec::new();
    for _ in 0..paragraphs {
        let n = rng.gen_range(2..=5);
        let sentences: Vec<String> = (0..n)
            .map(|_| {
                let pool = if rng.gen_bool(framing_share) {
                    FRAMED
                } else {
                    NEUTRAL
                };
                fill(pool.choose(rng).unwrap_or(&"{A} {V} {T}."), rng)
            })
            .collect();
        out.push(sentences.join(" "));
    }
    out.join("\n\n")
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn main() -> std::io::Result<()> {
    let mut articles: u64 = 100_000;
    let mut seed: u64 = 42;
    let mut out_path: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--articles" => articles = args.next().and_then(|v| v.parse().ok()).unwrap_or(articles),
            "--seed" => seed = args.next().and_then(|v| v.parse().ok()).unwrap_or(seed),
            "--out" => out_path = args.next(),
            other => {
                eprintln!(
                    "gen_corpus: unknown argument `{other}` (use --articles N --seed S --out FILE)"
                );
                std::process::exit(2);
            }
        }
    }
    let sink: Box<dyn Write> = match &out_path {
        Some(p) => Box::new(std::fs::File::create(p)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    let mut rng = StdRng::seed_from_u64(seed);
    writeln!(w, "id,outlet,date,title,section,text")?;
    for i in 1..=articles {
        let outlet_index = rng.gen_range(0..OUTLETS.len());
        // Outlets differ in how much framing they use, so comparisons have something to find.
        let framing_share = 0.03 + 0.04 * outlet_index as f64;
        let date = format!(
            "2024-{:02}-{:02}",
            rng.gen_range(1..=12),
            rng.gen_range(1..=28)
        );
        let title = fill(
            &format!(
                "{{A}} {} {{T}}",
                VERBS.choose(&mut rng).unwrap_or(&"discussed")
            ),
            &mut rng,
        );
        let section = SECTIONS.choose(&mut rng).unwrap_or(&"news");
        let text = article(&mut rng, framing_share);
        writeln!(
            w,
            "a{i:06},{},{date},{},{section},{}",
            csv_field(OUTLETS[outlet_index]),
            csv_field(&title),
            csv_field(&text)
        )?;
    }
    w.flush()?;
    if let Some(p) = out_path {
        eprintln!("gen_corpus: wrote {articles} articles to {p}");
    }
    Ok(())
}
