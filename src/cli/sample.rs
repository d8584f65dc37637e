//! `rhetor sample BATCH_DIR --by outlet --per-group N --out sample.csv` — draws
//! a validation sample for hand-coding: within every group a simple random
//! sample of articles, all their sentences, one empty column per device to code.

use super::EXIT_OK;
use anyhow::{bail, Context, Result};
use rhetor::compare::gold::is_label_column;
use rhetor::compare::input::{read_dataset, ReadOptions};
use rhetor::compare::sample::{coded_sample, draw, SampleOptions};
use rhetor::compare::sentences::{read_sentences_of, sentences_table};
use rhetor::compare::{GroupBy, Measure};
use rhetor::io::sample::{read_coded_sample, write_coded_sample};
use rhetor::taxonomy::Device;
use std::collections::HashSet;
use std::path::PathBuf;

/// Arguments of `rhetor sample`.
#[derive(clap::Args)]
#[command(
    after_help = "Writes one row per sampled sentence: article_id, sentence_index, stratum (the group), \
the group columns, inclusion_probability (of the sentence's article), context_before, text, context_after, \
and one empty column per device to code (fill in 1 or 0; leave empty for \"not labelled\"). \
`rhetor compare BATCH_DIR --gold FILE` then corrects the group rates with the labels; `rhetor serve \
--sample FILE` codes it in the browser. The sample is for estimating rates: code every sentence of it.\n\n\
Details: docs/compare.md (\"Validating against human coding\").\n\nExamples:\n  rhetor sample out --by outlet --per-group 40 --seed 1 --out sample.csv\n  \
rhetor sample out --by outlet --per-group 40 --seed 2 --exclude sample.csv --out sample-2.csv"
)]
pub struct Args {
    /// A `rhetor batch` output folder (it needs the sentences table).
    #[arg(value_name = "BATCH_DIR")]
    input: PathBuf,
    /// Group (stratify) by a column or a period of the date column. Repeat to combine.
    #[arg(long = "by", value_name = "KEY", default_value = "outlet")]
    by: Vec<String>,
    /// About how many sentences to draw per group (whole articles are drawn).
    #[arg(long, value_name = "N")]
    per_group: usize,
    /// Seed of the draw (the same seed draws the same sample).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Devices to code, comma-separated device ids (docs/codebook.md) or `framing`.
    #[arg(long, value_delimiter = ',', default_value = "framing")]
    devices: Vec<String>,
    /// Draw this share (0–1) of each group's articles from those with a flagged sentence;
    /// the inclusion probabilities keep every estimate unbiased.
    #[arg(long, value_name = "SHARE")]
    oversample_flagged: Option<f64>,
    /// An earlier sample (labelled or not) whose articles must not be drawn again. Repeatable.
    #[arg(long, value_name = "FILE")]
    exclude: Vec<PathBuf>,
    /// The date column (for --by month and the like).
    #[arg(long, default_value = "date")]
    date_column: String,
    /// A sentence counts as framing when `framing` reaches this score [default: the batch's].
    #[arg(long)]
    framing_threshold: Option<f32>,
    /// The sample file to write (CSV).
    #[arg(short, long, value_name = "FILE")]
    out: PathBuf,
}

fn measures(names: &[String]) -> Result<Vec<Measure>> {
    let mut out = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let m = if name == "framing" {
            Measure::Framing
        } else if let Some(d) = Device::from_id(name) {
            Measure::Device(d)
        } else {
            bail!("--devices: `{name}` is neither `framing` nor a device id (docs/codebook.md)");
        };
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Runs `rhetor sample`.
pub fn run(args: Args) -> Result<i32> {
    let table = sentences_table(&args.input)?;
    let threshold = args
        .framing_threshold
        .unwrap_or_else(|| rhetor::compare::input::batch_framing_threshold(&table).unwrap_or(0.5));
    let data = read_dataset(
        &args.input,
        ReadOptions {
            framing_threshold: threshold,
        },
    )?;
    let measures = measures(&args.devices)?;
    for m in &measures {
        if let Measure::Device(d) = m {
            if !data.devices.contains(d) {
                bail!(
                    "{}: the batch output has no predictions for `{}`",
                    data.source,
                    d.id()
                );
            }
        }
    }
    let mut exclude = HashSet::new();
    for path in &args.exclude {
        let earlier = read_coded_sample(path, &is_label_column)?;
        exclude.extend(earlier.rows.into_iter().map(|r| r.article_id));
    }
    let options = SampleOptions {
        by: args.by.iter().map(|b| GroupBy::parse(b)).collect(),
        date_column: args.date_column.clone(),
        per_group: args.per_group,
        seed: args.seed,
        measures: measures.clone(),
        oversample_flagged: args.oversample_flagged,
        exclude,
    };
    let drawn = draw(&data, &options)?;
    let ids = drawn.article_ids(&data);
    let sentences = read_sentences_of(&table, &ids, threshold)?;
    let sample = coded_sample(&drawn, &data, &sentences, &data.source, &measures)?;
    write_coded_sample(&args.out, &sample)
        .with_context(|| format!("writing the sample to {}", args.out.display()))?;
    for g in &drawn.groups {
        let sentences: usize = sample.rows.iter().filter(|r| r.stratum == g.label).count();
        let note = if g.excluded > 0 {
            format!(", {} excluded as already sampled", g.excluded)
        } else {
            String::new()
        };
        eprintln!(
            "rhetor: {}: {} of {} articles ({} sentences){note}",
            g.label,
            g.drawn.len(),
            g.articles,
            sentences
        );
        if g.drawn.is_empty() {
            super::warn(&format!("group `{}` has no article left to draw", g.label));
        }
    }
    eprintln!(
        "rhetor: {} sentences to code → {} (a random sample: use it to estimate rates with `rhetor compare --gold`)",
        sample.rows.len(),
        args.out.display()
    );
    Ok(EXIT_OK)
}
