//! `rhetor score FILE...` — score articles sentence by sentence.

use super::args::{build, ModelArgs};
use super::{EXIT_OK, EXIT_PARTIAL};
use anyhow::{bail, Result};
use clap::ValueEnum;
use is_terminal::IsTerminal;
use rhetor::io::output::{csv_error, csv_fields, json_error, SentenceRow};
use rhetor::io::output::{
    write_csv_article, write_csv_header, write_json, write_jsonl, OutputOptions,
};
use rhetor::io::{read_article, ReadOptions};
use rhetor::report::table::write_table;
use rhetor::score::Unit;
use rhetor::score::{ScoredArticle, ScoredSentence};
use std::io::Write;
use std::path::PathBuf;

/// Output formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Human-readable table (the default on a terminal).
    Table,
    /// CSV, one row per sentence (the default in a pipe).
    Csv,
    /// JSON Lines, one object per sentence.
    Jsonl,
    /// One JSON document.
    Json,
    /// A self-contained HTML page with highlighted sentences.
    Html,
    /// A Parquet file (needs --out): the CSV columns, typed.
    Parquet,
}

/// Arguments of `rhetor score`.
#[derive(clap::Args)]
#[command(
    after_help = "Output schema: see README.md, section \"Output schema\".\n\nExamples:\n  rhetor score data/examples/*.txt\n  rhetor score --format jsonl --devices editorial_aside,scare_quotes article.txt\n  rhetor score --model cues -"
)]
pub struct Args {
    /// Article files, one article per file (UTF-8 text); `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format [default: table on a terminal, csv otherwise].
    #[arg(short, long, value_enum)]
    format: Option<Format>,
    /// Write to this file instead of standard output (required by, and only for, --format parquet).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Flag a device when its probability reaches this value (overrides the model's thresholds).
    #[arg(short, long, value_parser = super::args::parse_probability)]
    threshold: Option<f32>,
    #[command(flatten)]
    labels: super::args::LabelArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// Add token attributions to the cues (transformer model: occlusion of each word, top 3
    /// spans per sentence, pattern `attribution:occlusion`; slower).
    #[arg(long)]
    explain: bool,
    /// Replace invalid UTF-8 bytes with U+FFFD instead of failing.
    #[arg(long)]
    lossy: bool,
    /// Treat every non-empty line as one sentence (the PTC / NLP4IF-2019 unit).
    #[arg(long)]
    lines: bool,
    /// In the table, show every sentence, not only flagged ones.
    #[arg(long)]
    all: bool,
    /// Largest accepted input file, in bytes (0 = no limit).
    #[arg(long, default_value_t = rhetor::io::article::DEFAULT_MAX_BYTES, value_name = "BYTES")]
    max_bytes: u64,
    /// Longest accepted line, in bytes (0 = no limit); longer lines mean the file is not article text.
    #[arg(long, default_value_t = rhetor::io::article::DEFAULT_MAX_LINE_BYTES, value_name = "BYTES")]
    max_line_bytes: usize,
}

/// Runs `rhetor score`.
pub fn run(args: Args) -> Result<i32> {
    let unit = if args.lines {
        Unit::Lines
    } else {
        Unit::Sentences
    };
    let rhetor = build(args.model.builder().explain(args.explain).unit(unit))?;
    let pipeline = rhetor.pipeline();
    let read = ReadOptions {
        lossy: args.lossy,
        max_bytes: args.max_bytes,
        max_line_bytes: args.max_line_bytes,
    };
    let options = OutputOptions::for_labels(
        pipeline.scorer().labels(),
        args.labels.selected(),
        pipeline.thresholds(),
        args.threshold,
    )?;
    let stdout = std::io::stdout();
    let format = args.format.unwrap_or(if stdout.is_terminal() {
        Format::Table
    } else {
        Format::Csv
    });
    let mut sink = match (format, &args.out) {
        (Format::Parquet, Some(path)) => Sink::parquet(path, &options)?,
        (Format::Parquet, None) => bail!("--format parquet needs --out FILE"),
        (_, Some(_)) => {
            bail!("--out is only for --format parquet; redirect standard output for other formats")
        }
        (_, None) => Sink::open(format, &options, stdout.is_terminal())?,
    };
    let mut scored_count = 0;
    let mut failures = 0;
    for file in &args.files {
        let article = match read_article(file, read) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("rhetor: error: {e}");
                failures += 1;
                continue;
            }
        };
        if sink.streams() {
            pipeline
                .stream_article(&article, |s| sink.write_sentence(&article.id, &s, &options))?;
        } else {
            sink.write(pipeline.score_article(&article)?, &options, args.all)?;
        }
        scored_count += 1;
    }
    sink.finish(&options)?;
    if failures == 0 {
        Ok(EXIT_OK)
    } else if scored_count == 0 {
        Ok(super::EXIT_ERROR)
    } else {
        Ok(EXIT_PARTIAL)
    }
}

/// Where scored articles go: streamed article by article for table, CSV and
/// JSONL; collected for the formats that are one document (JSON, HTML).
enum Sink {
    Table(termcolor::StandardStream),
    Csv(Box<csv::Writer<std::io::Stdout>>),
    Jsonl(std::io::BufWriter<std::io::Stdout>),
    Collect(Format, Vec<ScoredArticle>),
    #[cfg(feature = "parquet")]
    Parquet(Box<rhetor::io::parquet::ParquetTableWriter>),
}

impl Sink {
    fn open(format: Format, options: &OutputOptions, terminal: bool) -> Result<Sink> {
        Ok(match format {
            Format::Table => {
                let choice = if terminal {
                    termcolor::ColorChoice::Auto
                } else {
                    termcolor::ColorChoice::Never
                };
                Sink::Table(termcolor::StandardStream::stdout(choice))
            }
            Format::Csv => {
                let mut w = csv::Writer::from_writer(std::io::stdout());
                write_csv_header(&mut w, options)?;
                Sink::Csv(Box::new(w))
            }
            Format::Jsonl => Sink::Jsonl(std::io::BufWriter::new(std::io::stdout())),
            Format::Json | Format::Html | Format::Parquet => Sink::Collect(format, Vec::new()),
        })
    }

    /// A Parquet file of the CSV columns, typed.
    #[cfg(feature = "parquet")]
    fn parquet(path: &std::path::Path, options: &OutputOptions) -> Result<Sink> {
        let columns = rhetor::io::output::sentence_columns(options);
        let writer = rhetor::io::parquet::ParquetTableWriter::create(path, columns)?;
        Ok(Sink::Parquet(Box::new(writer)))
    }

    #[cfg(not(feature = "parquet"))]
    fn parquet(_path: &std::path::Path, _options: &OutputOptions) -> Result<Sink> {
        Err(rhetor::io::table::parquet_unsupported("--format parquet").into())
    }

    /// True for the sinks that take one sentence at a time (CSV, JSONL, Parquet).
    fn streams(&self) -> bool {
        match self {
            Sink::Csv(_) | Sink::Jsonl(_) => true,
            #[cfg(feature = "parquet")]
            Sink::Parquet(_) => true,
            Sink::Table(_) | Sink::Collect(..) => false,
        }
    }

    /// Writes one sentence of a streaming sink.
    fn write_sentence(
        &mut self,
        article_id: &str,
        s: &ScoredSentence,
        options: &OutputOptions,
    ) -> rhetor::Result<()> {
        let row = SentenceRow::new(article_id, s, options);
        match self {
            Sink::Csv(w) => w.write_record(csv_fields(&row)?).map_err(csv_error),
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &row).map_err(json_error)?;
                out.write_all(b"\n").map_err(rhetor::Error::output)
            }
            #[cfg(feature = "parquet")]
            Sink::Parquet(w) => w.append_row(&rhetor::io::output::sentence_values(&row)?),
            Sink::Table(_) | Sink::Collect(..) => Ok(()),
        }
    }

    fn write(&mut self, article: ScoredArticle, options: &OutputOptions, all: bool) -> Result<()> {
        match self {
            Sink::Table(out) => write_table(out, std::slice::from_ref(&article), options, all)?,
            Sink::Csv(w) => write_csv_article(w, &article, options)?,
            Sink::Jsonl(out) => write_jsonl(&mut *out, std::slice::from_ref(&article), options)?,
            Sink::Collect(_, articles) => articles.push(article),
            #[cfg(feature = "parquet")]
            Sink::Parquet(_) => {
                for s in &article.sentences {
                    self.write_sentence(&article.id, s, options)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self, options: &OutputOptions) -> Result<()> {
        match self {
            Sink::Csv(mut w) => w.flush().map_err(rhetor::Error::output)?,
            Sink::Collect(Format::Json, articles) => {
                write_json(std::io::stdout().lock(), &articles, options)?
            }
            Sink::Collect(_, articles) => rhetor::report::html::write_article_page(
                std::io::stdout().lock(),
                &articles,
                options,
            )?,
            Sink::Jsonl(mut out) => out.flush().map_err(rhetor::Error::output)?,
            #[cfg(feature = "parquet")]
            Sink::Parquet(mut w) => {
                w.finish()?;
            }
            Sink::Table(_) => {}
        }
        Ok(())
    }
}
