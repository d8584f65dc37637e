//! `rhetor report --batch DIR --out report.html` — a self-contained HTML
//! report (heat map, rate charts, time series, highlighted articles) from the
//! output of `rhetor batch`.

use super::EXIT_OK;
use anyhow::{bail, Context, Result};
use rhetor::compare::input::{read_dataset, ReadOptions};
use rhetor::compare::{compare, compare_with_gold, CompareOptions, GroupBy};
use rhetor::report::html::{write_report, Report};
use rhetor::report::view::{read_sentence_views, Pick};
use std::path::{Path, PathBuf};

/// Arguments of `rhetor report`.
#[derive(clap::Args)]
#[command(
    after_help = "Inputs: --batch DIR reads DIR/articles.csv (statistics; DIR/sentences.csv is used when it is \
missing) and DIR/sentences.csv (highlighted articles), or their .csv.gz or .parquet twins. \
--articles/--sentences name the files instead (CSV or Parquet).\n\n\
The statistics are recomputed with the same code, defaults and seed as `rhetor compare`, so the \
numbers match its compare.csv for the same --by keys and options. With a period key \
(--by outlet --by month) the heat map and the tests use the other keys and the time series uses all of them.\n\n\
The page needs no network: CSS, JavaScript and SVG charts are inline.\n\nExamples:\n  \
rhetor report --batch out --out report.html\n  rhetor report --batch out --by outlet --by month --max-articles 50 --out report.html"
)]
pub struct Args {
    /// Folder written by `rhetor batch` (articles and sentences tables, CSV or Parquet).
    #[arg(long, value_name = "DIR")]
    batch: Option<PathBuf>,
    /// articles.csv (or .parquet) to compute the statistics from (overrides --batch).
    #[arg(long, value_name = "FILE")]
    articles: Option<PathBuf>,
    /// sentences.csv (or .parquet) with the sentences to show (overrides --batch).
    #[arg(long, value_name = "FILE")]
    sentences: Option<PathBuf>,
    /// The HTML file to write.
    #[arg(short, long, value_name = "FILE")]
    out: PathBuf,
    /// Grouping keys, as in `rhetor compare` (column, or year/month/week/day).
    #[arg(long = "by", value_name = "KEY", default_value = "outlet")]
    by: Vec<String>,
    /// How many articles to show in full; 0 shows none.
    #[arg(long, default_value_t = 20)]
    max_articles: usize,
    /// Which articles to show: `flagged` (most flagged sentences first) or `first` (file order).
    #[arg(long, value_parser = parse_pick, default_value = "flagged")]
    pick: Pick,
    /// A coded validation sample (`rhetor sample`, filled in): shows the rates from the labels
    /// alone and the prediction-powered rates beside the naive ones, as `rhetor compare --gold`.
    #[arg(long, value_name = "FILE")]
    gold: Option<PathBuf>,
    /// Page title.
    #[arg(long, default_value = "rhetor report")]
    title: String,
    #[command(flatten)]
    stats: super::args::StatsArgs,
}

fn parse_pick(s: &str) -> Result<Pick, String> {
    match s {
        "flagged" => Ok(Pick::MostFlagged),
        "first" => Ok(Pick::First),
        other => Err(format!("`{other}`: use `flagged` or `first`")),
    }
}

/// The table `stem` (`.csv`, `.csv.gz` or `.parquet`) under `--batch` when it exists.
fn in_batch(batch: &Option<PathBuf>, stem: &str) -> Option<PathBuf> {
    rhetor::compare::input::batch_table(batch.as_ref()?, stem)
}

/// Runs `rhetor report`.
pub fn run(args: Args) -> Result<i32> {
    if let Some(dir) = &args.batch {
        if !dir.is_dir() {
            bail!("--batch {}: not a folder", dir.display());
        }
    }
    let sentences = args
        .sentences
        .clone()
        .or_else(|| in_batch(&args.batch, "sentences"));
    let stats_file = args
        .articles
        .clone()
        .or_else(|| in_batch(&args.batch, "articles"))
        .or_else(|| sentences.clone());
    let Some(stats_file) = stats_file else {
        bail!("give --batch DIR (with articles.csv or sentences.csv, or their .parquet twins) or --articles FILE");
    };
    let data = read_dataset(
        &stats_file,
        ReadOptions {
            framing_threshold: args.stats.framing_threshold(&stats_file),
        },
    )?;
    let by: Vec<GroupBy> = args.by.iter().map(|b| GroupBy::parse(b)).collect();
    let base = args.stats.options(by.clone());
    let has_period = by.iter().any(GroupBy::is_period);
    let main_keys: Vec<GroupBy> = by.iter().filter(|b| !b.is_period()).cloned().collect();
    // With a period and other keys, the heat map and tests use the other keys
    // and the time series uses all keys; with only a period, one comparison serves both.
    let split = has_period && !main_keys.is_empty();
    let main_options = if split {
        CompareOptions {
            by: main_keys,
            ..base.clone()
        }
    } else {
        base.clone()
    };
    let gold = match &args.gold {
        Some(path) => Some(super::compare::read_labels(
            &stats_file,
            &args.stats,
            &data,
            path,
        )?),
        None => None,
    };
    let main = compare_with_gold(&data, &main_options, gold.as_ref())?;
    // The time series shows groups only: no pairwise tests to run.
    let series_options = CompareOptions {
        pairwise: false,
        ..base.clone()
    };
    let series_owned = split.then(|| compare(&data, &series_options)).transpose()?;
    let series = series_owned.as_ref().or(has_period.then_some(&main));
    let views = match (&sentences, args.max_articles) {
        (Some(path), n) if n > 0 => read_sentence_views(path, n, args.pick)?,
        _ => Vec::new(),
    };
    let report = Report {
        title: args.title.clone(),
        main: &main,
        series,
        articles: &views,
        articles_available: Some(data.articles.len()),
        articles_note: match args.pick {
            Pick::MostFlagged => ", those with the most flagged sentences first".into(),
            Pick::First => ", the first ones of sentences.csv".into(),
        },
    };
    write_html(&args.out, &report)?;
    eprintln!(
        "rhetor: report of {} articles in {} groups ({} shown in full) → {}",
        main.total_articles,
        main.groups.len(),
        views.len(),
        args.out.display()
    );
    Ok(EXIT_OK)
}

fn write_html(path: &Path, report: &Report<'_>) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    write_report(std::io::BufWriter::new(file), report)
        .with_context(|| format!("writing {}", path.display()))
}
