//! `rhetor batch INPUT --out DIR` — score a corpus (CSV, JSONL, gzipped or
//! not) into per-sentence and per-article tables: streaming, parallel,
//! resumable, lossless. See docs/batch.md.

use super::args::{build, ModelArgs};
use super::{EXIT_ERROR, EXIT_OK, EXIT_PARTIAL};
use anyhow::{Context, Result};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use is_terminal::IsTerminal;
use rhetor::batch::{run_batch, BatchObserver, BatchOptions, Progress, Shard};
use rhetor::io::corpus::{ColumnSpec, CorpusFormat};
use rhetor::io::TableFormat;
use std::path::PathBuf;
use std::time::Duration;

/// Input formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum InputFormat {
    /// CSV with a header row.
    Csv,
    /// JSON Lines (one object per line).
    Jsonl,
}

/// Output formats of the tables.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OutputFormat {
    /// CSV tables (`*.csv`), resumable.
    Csv,
    /// Parquet tables (`*.parquet`): typed columns, Snappy-compressed; not resumable.
    Parquet,
}

/// Arguments of `rhetor batch`.
#[derive(clap::Args)]
#[command(
    after_help = "Writes in DIR: sentences.csv (one row per sentence), articles.csv (one row per \
article), errors.csv (records that could not be scored, with record number, line and reason) and \
summary.json (counts, model, thresholds, input SHA-256, timings). Every input record is in \
articles.csv or errors.csv. Until the run finishes the tables are *.partial and checkpoint.json says \
how much of them is valid; --resume continues from there. With --format parquet the tables are \
sentences.parquet, articles.parquet and errors.parquet (same columns, typed; see docs/batch.md), \
and an interrupted run cannot be resumed.\n\n\
Columns are detected by name (case-insensitive): id/article_id/doc_id/stories_id, \
text/body/content/article, outlet/source/media/media_name/publisher, \
date/publish_date/published/timestamp, title/headline. Other columns are carried through.\n\n\
Examples:\n  rhetor batch corpus.csv.gz --out runs/cues --model cues\n  \
rhetor batch corpus.jsonl --out runs/x --text-col story --threads 8\n  \
rhetor batch corpus.csv --out runs/x --resume\n  \
rhetor batch corpus.csv --out runs/shard3 --shard 3/10\n\n\
Exit codes: 0 all records scored, 3 some records in errors.csv, 1 error (or --strict stop)."
)]
pub struct Args {
    /// The corpus: a .csv, .csv.gz, .jsonl or .jsonl.gz file, or `-` for standard input.
    #[arg(value_name = "INPUT")]
    input: String,
    /// Output folder (created if missing).
    #[arg(short, long, value_name = "DIR")]
    out: PathBuf,
    /// Column with the article id [default: id, article_id, doc_id, stories_id; else the record number].
    #[arg(long, value_name = "NAME")]
    id_col: Option<String>,
    /// Column with the article text [default: text, body, content, article].
    #[arg(long, value_name = "NAME")]
    text_col: Option<String>,
    /// Column with the outlet [default: outlet, source, media, media_name, publisher].
    #[arg(long, value_name = "NAME")]
    outlet_col: Option<String>,
    /// Column with the date [default: date, publish_date, published, timestamp].
    #[arg(long, value_name = "NAME")]
    date_col: Option<String>,
    /// Column with the title [default: title, headline].
    #[arg(long, value_name = "NAME")]
    title_col: Option<String>,
    /// Input format [default: from the file name; for `-`, JSONL if the input starts with `{`].
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormat>,
    /// Output format of the tables.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "csv")]
    format: OutputFormat,
    #[command(flatten)]
    model: ModelArgs,
    /// Flag a device (and count a framing sentence) when its probability reaches this value
    /// (overrides the model's thresholds).
    #[arg(short, long, value_parser = super::args::parse_probability)]
    threshold: Option<f32>,
    #[command(flatten)]
    labels: super::args::LabelArgs,
    /// Scoring threads [default: number of cores].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Articles with more text than this (bytes) go to errors.csv.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20)]
    max_article_bytes: usize,
    /// Stop at the first record that cannot be scored (exit 1) instead of listing it in errors.csv.
    #[arg(long)]
    strict: bool,
    /// Continue an interrupted run in DIR from its checkpoint.
    #[arg(long)]
    resume: bool,
    /// Replace rhetor's files in DIR (a finished or unfinished run).
    #[arg(long, conflicts_with = "resume")]
    force: bool,
    /// Process only shard I of N (0-based): records whose number r satisfies (r-1) mod N = I.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Checkpoint at least every N records (and at least every 5 seconds).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    checkpoint_every: u64,
    /// No progress bar and no summary line.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs `rhetor batch`.
pub fn run(args: Args) -> Result<i32> {
    let pipeline = build(args.model.builder())?.into_pipeline();
    let options = batch_options(&args);
    let bar = ProgressObserver::new(!args.quiet && std::io::stderr().is_terminal());
    let report = run_batch(&pipeline, &options, &bar);
    bar.finish();
    let report =
        report.with_context(|| format!("batch {} → {}", args.input, args.out.display()))?;
    let c = report.counts;
    if let Some(e) = &report.stopped_at {
        eprintln!("rhetor: error: {e}");
        let how = match options.output_format {
            TableFormat::Csv => "rerun with --resume, without --strict, to continue",
            TableFormat::Parquet => "a Parquet run cannot be resumed: rerun with --force",
        };
        eprintln!(
            "rhetor: stopped by --strict after {} records ({} scored); {} is unfinished ({how})",
            c.records_read,
            c.articles_scored,
            args.out.display()
        );
        return Ok(EXIT_ERROR);
    }
    if !args.quiet {
        let shards = if c.other_shards > 0 {
            format!(", {} in other shards", c.other_shards)
        } else {
            String::new()
        };
        let resumed = if report.resumed_from > 0 {
            format!(" (resumed after record {})", report.resumed_from)
        } else {
            String::new()
        };
        eprintln!(
            "rhetor: read {} records: {} scored, {} errors{shards} → {}{resumed}",
            c.records_read,
            c.articles_scored,
            c.errors,
            args.out.display()
        );
        if c.errors > 0 {
            eprintln!(
                "rhetor: {} records could not be scored: see {}",
                c.errors,
                args.out
                    .join(rhetor::batch::output_files(options.output_format)[2])
                    .display()
            );
        }
    }
    Ok(if c.errors > 0 { EXIT_PARTIAL } else { EXIT_OK })
}

fn batch_options(args: &Args) -> BatchOptions {
    let mut o = BatchOptions::new(args.input.clone(), args.out.clone());
    o.columns = ColumnSpec {
        id: args.id_col.clone(),
        text: args.text_col.clone(),
        outlet: args.outlet_col.clone(),
        date: args.date_col.clone(),
        title: args.title_col.clone(),
    };
    o.format = args.input_format.map(|f| match f {
        InputFormat::Csv => CorpusFormat::Csv,
        InputFormat::Jsonl => CorpusFormat::Jsonl,
    });
    if let Some(n) = args.threads {
        o.threads = n.max(1);
    }
    o.output_format = match args.format {
        OutputFormat::Csv => TableFormat::Csv,
        OutputFormat::Parquet => TableFormat::Parquet,
    };
    o.threshold = args.threshold;
    o.labels = args.labels.selected();
    o.max_article_bytes = args.max_article_bytes;
    o.strict = args.strict;
    o.resume = args.resume;
    o.force = args.force;
    o.shard = args.shard;
    o.checkpoint_records = args.checkpoint_every.max(1);
    o.slow_per_record = test_slowdown();
    o
}

/// Test hook: `RHETOR_TEST_SLOW_MS` slows the writer down per record so tests
/// can interrupt a run at a chosen point. Read only by `rhetor batch`.
fn test_slowdown() -> Duration {
    std::env::var("RHETOR_TEST_SLOW_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::ZERO, Duration::from_millis)
}

/// A progress bar on standard error (hidden when it is not a terminal).
struct ProgressObserver {
    bar: ProgressBar,
}

impl ProgressObserver {
    fn new(visible: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            None,
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        ProgressObserver { bar }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for ProgressObserver {
    fn drop(&mut self) {
        // Also on errors: leave no half-drawn bar above the error message.
        self.finish();
    }
}

impl BatchObserver for ProgressObserver {
    fn started(&self, input_bytes: Option<u64>, resumed_from: u64) {
        let style = match input_bytes {
            Some(total) => {
                self.bar.set_length(total);
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% ETA {eta} {msg}",
                )
            }
            None => ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}"),
        };
        if let Ok(style) = style {
            self.bar.set_style(style);
        }
        if resumed_from > 0 {
            self.bar
                .println(format!("resuming after record {resumed_from}"));
        }
        self.bar.enable_steady_tick(Duration::from_millis(200));
    }

    fn progress(&self, p: &Progress) {
        let secs = p.elapsed.as_secs_f64().max(1e-3);
        self.bar.set_position(p.bytes_read);
        self.bar.set_message(format!(
            "{} records ({:.0}/s), {} sentences ({:.0}/s), {} errors",
            p.counts.records_read,
            p.session_records as f64 / secs,
            p.counts.sentences,
            p.session_sentences as f64 / secs,
            p.counts.errors,
        ));
    }
}
