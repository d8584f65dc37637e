//! `rhetor sample BATCH_DIR --by outlet --per-group N --out sample.csv` — draws
//! a validation sample for hand-coding: within every group a simple random
//! sample of articles, all their sentences, one empty column per device to code.
//! With `--strategy uncertain --model DIR` it proposes instead the sentences
//! the model is least sure of (for training, not for estimating rates).

use super::args::{build, ModelArgs};
use super::EXIT_OK;
use anyhow::{bail, Context, Result};
use rhetor::compare::active::{uncertain_sample, UncertainOptions};
use rhetor::compare::gold::is_label_column;
use rhetor::compare::input::{read_dataset, ReadOptions};
use rhetor::compare::sample::{coded_sample, draw, SampleOptions};
use rhetor::compare::sentences::{read_sentences_of, sentences_table};
use rhetor::compare::{GroupBy, Measure};
use rhetor::io::sample::{read_coded_sample, write_coded_sample, CodedSample};
use rhetor::taxonomy::{Device, LabelDef, LabelLevel, LabelSet};
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
With --strategy uncertain --model DIR it proposes, per group, the sentences the model is least sure of \
(probability nearest its threshold) from a random pool of articles: code them to train the model \
(`rhetor train --labels`). Such rows have no inclusion probability and `compare --gold` refuses them; \
rates come from a random sample.\n\n\
Details: docs/compare.md (\"Validating against human coding\"), docs/training-your-own-labels.md.\n\nExamples:\n  rhetor sample out --by outlet --per-group 40 --seed 1 --out sample.csv\n  \
rhetor sample out --by outlet --per-group 40 --seed 2 --exclude sample.csv --out sample-2.csv\n  \
rhetor sample out --strategy uncertain --model models/mine --per-group 50 --exclude coded.csv --out next.csv"
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
    /// Labels to code, comma-separated: device ids (docs/codebook.md), `framing`, or the
    /// names of your own codebook's labels (columns to code for `rhetor train --labels`)
    /// [default: `framing`; with --strategy uncertain, the model's labels].
    #[arg(long, visible_alias = "labels", value_delimiter = ',')]
    devices: Vec<String>,
    /// `random`: a probability sample of articles, for estimating rates (the default);
    /// `uncertain`: the sentences --model is least sure of, for training.
    #[arg(long, value_enum, default_value_t = Strategy::Random)]
    strategy: Strategy,
    /// With --strategy uncertain: about how many sentences per group to score (a random pool of articles).
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pool: usize,
    /// With --strategy uncertain: at most this many proposals from one article.
    #[arg(long, value_name = "N", default_value_t = 2)]
    max_per_article: usize,
    /// The model whose uncertainty chooses the sentences (--strategy uncertain).
    #[command(flatten)]
    model: ModelArgs,
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

/// The labels to code, in the order given: the measures the batch predicts
/// (`framing`, device ids) and the names of a codebook's own labels (columns
/// to code for training; rates need predictions, so `compare --gold` reads
/// only the measures).
fn labels_to_code(names: &[String]) -> Result<(Vec<Measure>, Vec<String>)> {
    let mut measures = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if columns.iter().any(|c| c == name) {
            continue;
        }
        if name == "framing" {
            measures.push(Measure::Framing);
        } else if let Some(d) = Device::from_id(name) {
            measures.push(Measure::Device(d));
        } else {
            let own = LabelDef {
                name: name.to_string(),
                definition: "coded by hand".into(),
                level: LabelLevel::Sentence,
            };
            LabelSet::new(vec![own]).map_err(|e| anyhow::anyhow!("--labels: {e}"))?;
        }
        columns.push(name.to_string());
    }
    if columns.is_empty() {
        bail!("--labels: name at least one label to code");
    }
    Ok((measures, columns))
}

/// `--strategy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Strategy {
    /// A random sample of articles (for estimating rates).
    Random,
    /// The sentences the model is least sure of (for training).
    Uncertain,
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
    if args.strategy == Strategy::Uncertain {
        return run_uncertain(&args, &data, &table, threshold);
    }
    let devices = if args.devices.is_empty() {
        vec!["framing".to_string()]
    } else {
        args.devices.clone()
    };
    let (measures, columns) = labels_to_code(&devices)?;
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
        refuse_chosen_rows(&earlier)?;
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
    let sample = coded_sample(&drawn, &data, &sentences, &data.source, &columns)?;
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

/// A random draw's `--exclude` must be earlier random draws: the inclusion
/// probabilities of the union assume it.
fn refuse_chosen_rows(earlier: &CodedSample) -> Result<()> {
    if let Some(row) = earlier
        .rows
        .iter()
        .find(|r| r.inclusion_probability.is_none())
    {
        bail!(
            "{}:{}: this sentence was chosen by a model (--strategy uncertain); a random draw's \
             --exclude takes earlier random samples only (their union must stay a random sample)",
            earlier.source,
            row.line
        );
    }
    Ok(())
}

/// `--strategy uncertain`: the sentences the model is least sure of.
fn run_uncertain(
    args: &Args,
    data: &rhetor::compare::input::Dataset,
    table: &std::path::Path,
    threshold: f32,
) -> Result<i32> {
    if args.oversample_flagged.is_some() {
        bail!(
            "--oversample-flagged draws a random sample; it does not go with --strategy uncertain"
        );
    }
    let rhetor = build(args.model.builder())?;
    let scorer = rhetor.scorer();
    let labels: Vec<String> = if args.devices.is_empty() {
        scorer.labels().names().map(str::to_string).collect()
    } else {
        args.devices.iter().map(|d| d.trim().to_string()).collect()
    };
    let mut exclude = HashSet::new();
    for path in &args.exclude {
        let earlier = read_coded_sample(path, &|name: &str| labels.iter().any(|l| l == name))?;
        exclude.extend(
            earlier
                .rows
                .into_iter()
                .map(|r| (r.article_id, r.sentence_index)),
        );
    }
    let options = UncertainOptions {
        by: args.by.iter().map(|b| GroupBy::parse(b)).collect(),
        date_column: args.date_column.clone(),
        per_group: args.per_group,
        pool: args.pool,
        max_per_article: args.max_per_article,
        seed: args.seed,
        labels,
        exclude,
    };
    let sample = uncertain_sample(data, table, threshold, scorer, &options)?;
    write_coded_sample(&args.out, &sample)
        .with_context(|| format!("writing the sample to {}", args.out.display()))?;
    let mut per_group: Vec<(&str, usize)> = Vec::new();
    for row in &sample.rows {
        match per_group.last_mut() {
            Some((g, n)) if *g == row.stratum => *n += 1,
            _ => per_group.push((&row.stratum, 1)),
        }
    }
    for (group, n) in per_group {
        eprintln!("rhetor: {group}: {n} sentences the model is least sure of");
    }
    eprintln!(
        "rhetor: {} sentences to code → {} (chosen by the model {}: code them to TRAIN it with \
         `rhetor train --labels`; they are not a random sample and cannot estimate rates — \
         `rhetor compare --gold` refuses them)",
        sample.rows.len(),
        args.out.display(),
        scorer.name()
    );
    Ok(EXIT_OK)
}
