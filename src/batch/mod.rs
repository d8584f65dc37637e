//! Batch scoring of article corpora (CSV / JSONL, optionally gzipped):
//! streaming, parallel, resumable, lossless.
//!
//! ```text
//! reader thread ──bounded queue──▶ N scoring workers ──bounded queue──▶ ordered writer
//!   (CorpusReader,                  (split, score, format               (reorders by batch
//!    shard filter,                   CSV rows)                           number, appends to
//!    batches of records)                                                 *.partial, checkpoints)
//! ```
//!
//! Memory is bounded: the reader needs a *token* per batch, and one more per
//! [`TOKEN_TEXT_BYTES`] of article text in it; the writer gives the tokens back
//! once the batch is written. With [`BatchOptions::window`] tokens, at most that
//! many batches (each at most [`MAX_BATCH_RECORDS`] records or
//! [`MAX_BATCH_TEXT_BYTES`] of text), and at most `window ×`
//! [`TOKEN_TEXT_BYTES`] of text, are in flight between reader and writer.
//!
//! Every input record ends up in exactly one of `articles.csv` (scored) or
//! `errors.csv` (could not be scored), or is counted as belonging to another
//! shard. With [`BatchOptions::output_format`] Parquet the tables are
//! `*.parquet` with typed columns (same names and order) instead. While running the outputs are `*.partial`; `checkpoint.json` records
//! how many records are done and the valid byte length of every partial file.
//! A finished run renames the partials into place and writes `summary.json`
//! last; see `docs/batch.md`.

mod files;
pub mod schema;
pub mod spans;
mod stages;
mod summary;
mod writer;

pub use files::{
    output_files, ARTICLES_FILE, ARTICLES_PARQUET, CHECKPOINT_FILE, ERRORS_FILE, ERRORS_PARQUET,
    PARTIAL_SUFFIX, SENTENCES_FILE, SENTENCES_PARQUET, SUMMARY_FILE,
};
pub use summary::{
    read_summary, BatchSettings, Checkpoint, ColumnSettings, Counts, DeviceThresholds, Summary,
    SummaryInput, SummaryOutputs, SummaryThresholds, SummaryTimings,
};

use crate::error::{Error, Result};
use crate::io::corpus::{ColumnSpec, CorpusFormat, CorpusOptions, CorpusReader, RecordError};
use crate::io::output::OutputOptions;
use crate::io::table::{parquet_unsupported, TableFormat, PARQUET_SUPPORTED};
use crate::score::Pipeline;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use summary::Start;
use writer::{WriterEnd, WriterState};

/// Most records in one work batch (fewer when checkpoints are more frequent).
pub const MAX_BATCH_RECORDS: usize = 32;
/// Most article text bytes in one work batch.
pub const MAX_BATCH_TEXT_BYTES: usize = 1 << 20;
/// Article text covered by one window token (a scored article's rows take
/// about 10–15 times its text).
pub const TOKEN_TEXT_BYTES: usize = 128 << 10;

/// A deterministic share of the input: records whose number `r` (1-based)
/// satisfies `(r - 1) % count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Parses `I/N` (0 ≤ I < N).
    pub fn parse(s: &str) -> std::result::Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not I/N (e.g. 0/4)"))?;
        let number = |s: &str, what: &str| -> std::result::Result<u64, String> {
            s.trim()
                .parse()
                .map_err(|_| format!("`{s}` is not a shard {what}"))
        };
        let (index, count) = (number(i, "number")?, number(n, "count")?);
        if count == 0 || index >= count {
            return Err(format!(
                "shard {index}/{count}: the index must be between 0 and {}",
                count.saturating_sub(1)
            ));
        }
        Ok(Shard { index, count })
    }

    /// True when record `record` (1-based) belongs to this shard.
    pub fn contains(&self, record: u64) -> bool {
        record.saturating_sub(1) % self.count == self.index
    }
}

/// Options of a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// The corpus path (`-` = standard input).
    pub input: String,
    /// The output folder.
    pub out_dir: PathBuf,
    /// Column roles (`None` = detect).
    pub columns: ColumnSpec,
    /// Input format (`None` = from the name, else sniffed).
    pub format: Option<CorpusFormat>,
    /// Output format of the three tables: CSV (resumable) or Parquet
    /// (`*.parquet`, typed columns; a Parquet run cannot be resumed).
    pub output_format: TableFormat,
    /// Scoring threads.
    pub threads: usize,
    /// One threshold for every device and framing (overrides the model's).
    pub threshold: Option<f32>,
    /// Only these of the model's labels (by name) get columns and counts;
    /// `None`: all of them.
    pub labels: Option<Vec<String>>,
    /// Longest accepted article text in bytes.
    pub max_article_bytes: usize,
    /// Stop at the first record that cannot be scored.
    pub strict: bool,
    /// Continue an unfinished run in `out_dir`.
    pub resume: bool,
    /// Replace rhetor's files in `out_dir`.
    pub force: bool,
    /// Only this share of the records.
    pub shard: Option<Shard>,
    /// Checkpoint at least every this many records…
    pub checkpoint_records: u64,
    /// …and at least this often.
    pub checkpoint_interval: Duration,
    /// Tokens in the window between reader and writer (0 = 4 × threads + 4); see the module docs.
    pub window: usize,
    /// Test hook: sleep this long after writing each record (0 = off).
    pub slow_per_record: Duration,
}

impl BatchOptions {
    /// Defaults for `input` → `out_dir`.
    pub fn new(input: impl Into<String>, out_dir: impl Into<PathBuf>) -> Self {
        BatchOptions {
            input: input.into(),
            out_dir: out_dir.into(),
            columns: ColumnSpec::default(),
            format: None,
            output_format: TableFormat::Csv,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            threshold: None,
            labels: None,
            max_article_bytes: 1 << 20,
            strict: false,
            resume: false,
            force: false,
            shard: None,
            checkpoint_records: 10_000,
            checkpoint_interval: Duration::from_secs(5),
            window: 0,
            slow_per_record: Duration::ZERO,
        }
    }
}

/// A progress report, sent after every written batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Counts so far (including earlier sessions).
    pub counts: Counts,
    /// Raw input bytes read so far in this session.
    pub bytes_read: u64,
    /// Records already done when this session started.
    pub resumed_from: u64,
    /// Records written in this session.
    pub session_records: u64,
    /// Sentences written in this session.
    pub session_sentences: u64,
    /// Time since this session started.
    pub elapsed: Duration,
}

/// Receives progress reports (e.g. to draw a progress bar).
pub trait BatchObserver: Sync {
    /// Called once the input is open; `input_bytes` is the input's size when known.
    fn started(&self, _input_bytes: Option<u64>, _resumed_from: u64) {}
    /// Called after every written batch.
    fn progress(&self, _progress: &Progress) {}
}

/// An observer that ignores everything.
pub struct NoProgress;

impl BatchObserver for NoProgress {}

/// How a batch run ended.
#[derive(Debug, Clone)]
pub struct BatchReport {
    /// Final counts.
    pub counts: Counts,
    /// The summary written to `summary.json` (`None` when the run stopped early).
    pub summary: Option<Summary>,
    /// With `--strict`: the record that stopped the run.
    pub stopped_at: Option<RecordError>,
    /// Records done before this session (0 for a fresh run).
    pub resumed_from: u64,
}

/// Runs a batch: see the module documentation.
pub fn run_batch(
    pipeline: &Pipeline,
    options: &BatchOptions,
    observer: &dyn BatchObserver,
) -> Result<BatchReport> {
    let session_start = Instant::now();
    let dir = options.out_dir.as_path();
    if options.output_format == TableFormat::Parquet && !PARQUET_SUPPORTED {
        return Err(parquet_unsupported("--format parquet"));
    }
    // Open the input first: a missing input must not cost an existing run (--force).
    let mut reader = CorpusReader::open(
        &options.input,
        &options.columns,
        CorpusOptions {
            format: options.format,
            max_article_bytes: options.max_article_bytes,
        },
    )?;
    let start = summary::prepare_dir(dir, options.resume, options.force)?;
    let output = OutputOptions::for_labels(
        pipeline.scorer().labels(),
        options.labels.clone(),
        pipeline.thresholds(),
        options.threshold,
    )?;
    let columns = reader.columns();
    let carried = schema::carried_output_names(&columns.carried_names(), &columns.carried, &output);
    let settings = BatchSettings::new(pipeline, options, &reader, carried);

    let mut state = match start {
        Start::Fresh => {
            let carried = &settings.columns.carried_as;
            let tables = [
                schema::sentences_table(&output, carried),
                schema::articles_table(&output, carried),
                schema::errors_table(),
            ];
            let checkpoint = Checkpoint::new(settings.clone());
            WriterState::create(dir, tables, checkpoint, session_start, options)?
        }
        Start::Resume(mut ck) => {
            ck.settings.check_resume(&settings)?;
            if ck.complete {
                return finish_complete(dir, *ck);
            }
            if options.output_format == TableFormat::Parquet {
                return Err(Error::Config(format!(
                    "{} holds an unfinished Parquet run, which cannot be resumed (a Parquet file is readable only once complete); pass --force to start over, or use --format csv for resumable runs",
                    dir.display()
                )));
            }
            ck.sessions += 1;
            let state = WriterState::reopen(dir, *ck, session_start, options)?;
            let done = state.checkpoint.records_done;
            let skipped = reader.skip(done)?;
            if skipped < done {
                return Err(Error::Config(format!(
                    "the input has {skipped} records, fewer than the {done} the checkpoint says are done; is it the same input?"
                )));
            }
            state
        }
    };
    let resumed_from = state.checkpoint.records_done;
    let input_size = summary::input_identity(&options.input).0;
    observer.started(input_size, resumed_from);

    let end = stages::run_stages(
        pipeline,
        &output,
        options,
        &mut reader,
        &mut state,
        observer,
    )?;
    match end {
        WriterEnd::Stopped(error) => Ok(BatchReport {
            counts: state.counts,
            summary: None,
            stopped_at: Some(error),
            resumed_from,
        }),
        WriterEnd::Interrupted => Err(Error::Output(
            "the scoring workers stopped before the end of the input".into(),
        )),
        WriterEnd::Eof => {
            state.finish_files()?;
            let mut ck = state.snapshot();
            let summary = Summary::new(&settings, options, &reader, input_size, &output, &ck);
            ck.complete = true;
            ck.summary = Some(summary);
            summary::write_checkpoint(dir, &ck)?;
            let report = finish_complete(dir, ck)?;
            Ok(BatchReport {
                resumed_from,
                ..report
            })
        }
    }
}

/// The last steps of a complete run: renames, summary, checkpoint removal. Idempotent.
fn finish_complete(dir: &Path, ck: Checkpoint) -> Result<BatchReport> {
    files::promote_partials(dir)?;
    spans::write_spans_table(dir)?;
    let summary = ck.summary.ok_or_else(|| {
        Error::Config(format!(
            "{}: the checkpoint says the run is complete but holds no summary; pass --force to start over",
            dir.display()
        ))
    })?;
    summary::write_json(dir, SUMMARY_FILE, &summary)?;
    files::remove_checkpoint(dir)?;
    Ok(BatchReport {
        counts: ck.counts,
        summary: Some(summary),
        stopped_at: None,
        resumed_from: ck.records_done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_record_numbers() {
        let shards: Vec<Shard> = (0..3)
            .map(|i| Shard::parse(&format!("{i}/3")).expect("valid"))
            .collect();
        for record in 1..=30 {
            let owners = shards.iter().filter(|s| s.contains(record)).count();
            assert_eq!(owners, 1, "record {record}");
        }
        assert!(shards[0].contains(1) && shards[1].contains(2) && shards[0].contains(4));
    }

    #[test]
    fn shard_parse_rejects_bad_values() {
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("0/0").is_err());
        assert!(Shard::parse("x").is_err());
    }
}
