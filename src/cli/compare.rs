//! `rhetor compare FILE --by outlet [--by month] --out DIR` — device rates per
//! group with confidence intervals, and pairwise permutation tests.

use super::args::StatsArgs;
use super::EXIT_OK;
use anyhow::{Context, Result};
use rhetor::compare::gold::{read_gold, GoldLabels};
use rhetor::compare::input::{read_dataset, Dataset, ReadOptions};
use rhetor::compare::sentences::sentences_beside;
use rhetor::compare::{
    compare_with_gold, output, CompareOptions, Comparison, GroupBy, PERMUTATION_FLOOR_WARNING,
};
use std::path::{Path, PathBuf};

/// Arguments of `rhetor compare`.
#[derive(clap::Args)]
#[command(
    after_help = "Groups are the combinations of the --by keys. Pairwise tests compare the levels of the \
first key within each combination of the others (e.g. --by outlet --by month compares outlets month by month).\n\n\
Writes DIR/compare.csv (one row per group × device), DIR/pairs.csv (one row per test) and DIR/compare.md.\n\
Details: docs/compare.md.\n\nExamples:\n  rhetor compare out/articles.csv --by outlet --out cmp\n  rhetor compare out/articles.csv --by outlet --by month --out cmp-monthly"
)]
pub struct Args {
    /// `articles.csv` or `sentences.csv` written by `rhetor batch` (.gz accepted), their
    /// `.parquet` twins, or a batch output folder (its articles table, else its sentences table).
    #[arg(value_name = "FILE")]
    input: PathBuf,
    /// Group by a column (`outlet`, any carried column) or a period of the date column
    /// (`year`, `month`, `week`, `day`). Repeat to combine.
    #[arg(long = "by", value_name = "KEY", default_value = "outlet")]
    by: Vec<String>,
    /// A coded validation sample (`rhetor sample`, 0/1 filled in; empty = not labelled):
    /// adds the rate from the labels alone and the prediction-powered rate of every labelled
    /// device, and the classifier's precision and recall per group. Needs the batch's
    /// sentences table (give the batch folder).
    #[arg(long, value_name = "FILE")]
    gold: Option<PathBuf>,
    /// Output folder (created if needed).
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    stats: StatsArgs,
}

impl Args {
    /// The comparison settings.
    fn options(&self) -> CompareOptions {
        self.stats
            .options(self.by.iter().map(|b| GroupBy::parse(b)).collect())
    }
}

/// Runs `rhetor compare`.
pub fn run(args: Args) -> Result<i32> {
    let data = read_dataset(
        &args.input,
        ReadOptions {
            framing_threshold: args.stats.framing_threshold(&args.input),
        },
    )?;
    let gold = match &args.gold {
        Some(path) => Some(read_labels(&args.input, &args.stats, &data, path)?),
        None => None,
    };
    let comparison = compare_with_gold(&data, &args.options(), gold.as_ref())?;
    output::write_all(&args.out, &comparison)
        .with_context(|| format!("writing the comparison to {}", args.out.display()))?;
    let small = comparison.groups.iter().filter(|g| g.small).count();
    eprintln!(
        "rhetor: {} articles in {} groups; {} pairwise rows → {}",
        comparison.total_articles,
        comparison.groups.len(),
        comparison.pairs.len(),
        args.out.display()
    );
    if comparison.unknown_dates > 0 {
        super::warn(&format!(
            "{} articles have no parseable date in `{}`: grouped as `unknown`",
            comparison.unknown_dates, args.stats.date_column
        ));
    }
    if comparison.family_size() > 0
        && comparison.smallest_attainable_p() >= PERMUTATION_FLOOR_WARNING
    {
        super::warn(&format!(
            "{} tests with {} permutations: no Holm-adjusted p-value can go below {:.3}; use --permutations {} or more",
            comparison.family_size(),
            args.stats.permutations,
            comparison.smallest_attainable_p(),
            100 * comparison.family_size()
        ));
    }
    if gold.is_some() {
        report_labels_needed(&comparison);
    }
    if small > 0 {
        super::warn(&format!(
            "{small} groups are too small to test (fewer than {} articles or {} sentences)",
            args.stats.min_articles, args.stats.min_sentences
        ));
    }
    Ok(EXIT_OK)
}

/// Reads the coded sample and meets it with the batch's sentence flags.
pub fn read_labels(
    input: &Path,
    stats: &StatsArgs,
    data: &Dataset,
    path: &Path,
) -> Result<GoldLabels> {
    let table = sentences_beside(input)?;
    let threshold = stats.framing_threshold(&table);
    Ok(read_gold(path, data, &table, threshold)?)
}

/// Prints, per group and labelled device, the labels so far and how many
/// labelled articles in all would halve the prediction-powered interval.
pub fn report_labels_needed(c: &Comparison) {
    for g in &c.groups {
        for m in &g.measures {
            let Some(gold) = &m.gold else { continue };
            let a = &gold.agreement;
            let message = match (&gold.ppi, gold.articles_to_halve) {
                (None, _) => "no labels: no corrected rate".to_string(),
                (Some(_), Some(total)) if total > g.articles => format!(
                    "{} labelled sentences in {} articles; halving the interval would take more than the group's {} articles: code them all",
                    a.sentences, a.articles, g.articles
                ),
                (Some(_), Some(total)) => format!(
                    "{} labelled sentences in {} articles; about {} more labelled articles would halve the interval",
                    a.sentences,
                    a.articles,
                    total.saturating_sub(a.articles)
                ),
                (Some(_), None) => format!(
                    "{} labelled sentences in {} articles; more labels cannot halve the interval (the predictions' own sampling error dominates)",
                    a.sentences, a.articles
                ),
            };
            eprintln!("rhetor: {} · {}: {message}", g.label, m.measure.id());
        }
    }
}
