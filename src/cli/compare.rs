//! `rhetor compare FILE --by outlet [--by month] --out DIR` — device rates per
//! group with confidence intervals, and pairwise permutation tests.

use super::args::StatsArgs;
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
    /// `articles.csv` or `sentences.csv` written by `rhetor batch` (.gz accepted), their
    /// `.parquet` twins, or a batch output folder (its articles table, else its sentences table).
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
