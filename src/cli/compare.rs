//! `rhetor compare FILE --by outlet [--by month] --out DIR` — device rates per
//! group with confidence intervals, and pairwise permutation tests.

use super::EXIT_OK;
use anyhow::{Context, Result};
use rhetor::compare::input::{read_dataset, ReadOptions};
use rhetor::compare::{compare, output, CompareOptions, GroupBy, PERMUTATION_FLOOR_WARNING};
use std::path::PathBuf;

/// Arguments of `rhetor compare`.
#[derive(clap::Args)]
#[command(
    after_help = "Groups are the combinations of the --by keys. Pairwise tests compare the levels of the \
first key within each combination of the others (e.g. --by outlet --by month compares outlets month by month).\n\n\
Writes DIR/compare.csv (one row per group × device), DIR/pairs.csv (one row per test) and DIR/compare.md.\n\
Details: docs/compare.md.\n\nExamples:\n  rhetor compare out/articles.csv --by outlet --out cmp\n  rhetor compare out/articles.csv --by outlet --by month --out cmp-monthly"
)]
pub struct Args {
    /// `articles.csv` or `sentences.csv` written by `rhetor batch` (.gz accepted).
    #[arg(value_name = "FILE")]
    input: PathBuf,
    /// Group by a column (`outlet`, any carried column) or a period of the date column
    /// (`year`, `month`, `week`, `day`). Repeat to combine.
    #[arg(long = "by", value_name = "KEY", default_value = "outlet")]
    by: Vec<String>,
    /// Output folder (created if needed).
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    stats: StatsArgs,
}

/// The statistical options shared by `rhetor compare` and `rhetor report`, so
/// that both compute the same numbers from the same flags.
#[derive(clap::Args)]
pub struct StatsArgs {
    /// The column with ISO dates (YYYY-MM-DD, optionally with a time).
    #[arg(long, default_value = "date")]
    pub date_column: String,
    /// Bootstrap resamples (articles) for the rate intervals.
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
    /// Permutations per pairwise test (exact enumeration when fewer splits exist).
    #[arg(long, default_value_t = 10_000)]
    pub permutations: usize,
    /// Seed of the bootstrap and permutations.
    #[arg(long, default_value_t = CompareOptions::default().seed)]
    pub seed: u64,
    /// Groups with fewer articles are reported but not tested.
    #[arg(long, default_value_t = 5)]
    pub min_articles: usize,
    /// Groups with fewer sentences are reported but not tested.
    #[arg(long, default_value_t = 50)]
    pub min_sentences: u64,
    /// For sentences.csv: a sentence counts as framing when `framing` reaches this score
    /// [default: `thresholds.framing` of the batch's summary.json beside the file, else 0.5].
    #[arg(long)]
    pub framing_threshold: Option<f32>,
}

impl StatsArgs {
    /// The comparison settings for grouping keys `by`.
    pub fn options(&self, by: Vec<GroupBy>) -> CompareOptions {
        CompareOptions {
            by,
            date_column: self.date_column.clone(),
            bootstrap: self.bootstrap,
            permutations: self.permutations,
            seed: self.seed,
            min_articles: self.min_articles,
            min_sentences: self.min_sentences,
            ..Default::default()
        }
    }
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
            framing_threshold: super::report::framing_threshold(
                args.stats.framing_threshold,
                &args.input,
            ),
        },
    )?;
    let comparison = compare(&data, &args.options())?;
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
    if small > 0 {
        super::warn(&format!(
            "{small} groups are too small to test (fewer than {} articles or {} sentences)",
            args.stats.min_articles, args.stats.min_sentences
        ));
    }
    Ok(EXIT_OK)
}
