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
//! shard. While running the outputs are `*.partial`; `checkpoint.json` records
//! how many records are done and the valid byte length of every partial file.
//! A finished run renames the partials into place and writes `summary.json`
//! last; see `docs/batch.md`.

mod files;
pub mod schema;

pub use files::{
    Checkpoint, Counts, ARTICLES_FILE, CHECKPOINT_FILE, ERRORS_FILE, PARTIAL_SUFFIX,
    SENTENCES_FILE, SUMMARY_FILE,
};

use crate::error::{Error, Result};
use crate::io::corpus::{
    ColumnSpec, CorpusFormat, CorpusItem, CorpusOptions, CorpusReader, CorpusRecord, InputStats,
    RecordError,
};
use crate::io::output::OutputOptions;
use crate::score::{Article, Pipeline};
use crossbeam_channel::{bounded, Receiver, Sender};
use files::{OutFile, Start};
use schema::ArticleStats;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("`{i}` is not a shard number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a shard count"))?;
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
    /// Scoring threads.
    pub threads: usize,
    /// One threshold for every device and framing (overrides the model's).
    pub threshold: Option<f32>,
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
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            threshold: None,
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
    pub summary: Option<serde_json::Value>,
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
    // Open the input first: a missing input must not cost an existing run (--force).
    let mut reader = CorpusReader::open(
        &options.input,
        &options.columns,
        CorpusOptions {
            format: options.format,
            max_article_bytes: options.max_article_bytes,
        },
    )?;
    let start = files::prepare_dir(dir, options.resume, options.force)?;
    let output = OutputOptions::new(None, pipeline.thresholds(), options.threshold);
    let columns = reader.columns().clone();
    let carried = schema::carried_output_names(&columns.carried_names(), &columns.carried, &output);
    let settings = settings_json(pipeline, options, &reader, &carried);

    let mut state = match start {
        Start::Fresh => {
            let files = [
                OutFile::create(
                    dir,
                    SENTENCES_FILE,
                    &schema::csv_bytes([schema::sentences_header(&output, &carried)])?,
                )?,
                OutFile::create(
                    dir,
                    ARTICLES_FILE,
                    &schema::csv_bytes([schema::articles_header(&output, &carried)])?,
                )?,
                OutFile::create(
                    dir,
                    ERRORS_FILE,
                    &schema::csv_bytes([schema::ERROR_COLUMNS
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()])?,
                )?,
            ];
            let checkpoint = Checkpoint {
                version: files::CHECKPOINT_VERSION,
                settings: settings.clone(),
                records_done: 0,
                lengths: [0; 3],
                counts: Counts::default(),
                started_unix: unix_now(),
                elapsed_s: 0.0,
                sessions: 1,
                complete: false,
                summary: None,
            };
            let mut state = WriterState::new(dir, files, checkpoint, session_start, options);
            state.checkpoint()?;
            state
        }
        Start::Resume(ck) => {
            check_settings(&ck.settings, &settings)?;
            if ck.complete {
                return finish_complete(dir, *ck);
            }
            let files = [
                OutFile::resume(dir, SENTENCES_FILE, ck.lengths[0])?,
                OutFile::resume(dir, ARTICLES_FILE, ck.lengths[1])?,
                OutFile::resume(dir, ERRORS_FILE, ck.lengths[2])?,
            ];
            let skipped = reader.skip(ck.records_done)?;
            if skipped < ck.records_done {
                return Err(Error::Config(format!(
                    "the input has {skipped} records, fewer than the {} the checkpoint says are done; is it the same input?",
                    ck.records_done
                )));
            }
            let mut ck = *ck;
            ck.sessions += 1;
            WriterState::new(dir, files, ck, session_start, options)
        }
    };
    let resumed_from = state.checkpoint.records_done;
    let input_size = input_size(&options.input);
    observer.started(input_size, resumed_from);
    let stats = reader.stats();

    let end = run_stages(
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
            state.sync_files()?;
            let mut ck = state.snapshot();
            let summary = summary_json(
                pipeline, options, &reader, &stats, input_size, &columns, &carried, &output, &ck,
            );
            ck.complete = true;
            ck.summary = Some(summary);
            files::write_checkpoint(dir, &ck)?;
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
    let summary = ck.summary.clone().unwrap_or_else(|| json!({}));
    let bytes = serde_json::to_vec_pretty(&summary).map_err(|e| Error::Output(e.to_string()))?;
    files::write_atomic(dir, SUMMARY_FILE, &bytes)?;
    files::remove_checkpoint(dir)?;
    Ok(BatchReport {
        counts: ck.counts,
        summary: Some(summary),
        stopped_at: None,
        resumed_from: ck.records_done,
    })
}

/// Runs reader, workers and writer; returns how the writer ended.
fn run_stages(
    pipeline: &Pipeline,
    output: &OutputOptions,
    options: &BatchOptions,
    reader: &mut CorpusReader,
    state: &mut WriterState,
    observer: &dyn BatchObserver,
) -> Result<WriterEnd> {
    let threads = options.threads.max(1);
    let window = if options.window == 0 {
        threads * 4 + 4
    } else {
        options.window
    };
    let stop = AtomicBool::new(false);
    let (work_tx, work_rx) = bounded::<WorkBatch>(threads * 2);
    let (done_tx, done_rx) = bounded::<DoneBatch>(threads * 2);
    let (token_tx, token_rx) = bounded::<()>(window);
    for _ in 0..window {
        // The channel has room for exactly `window` tokens.
        let _ = token_tx.send(());
    }
    let stats = reader.stats();
    let shard = options.shard;
    // A batch never spans more records than a checkpoint interval.
    let max_records = usize::try_from(options.checkpoint_records)
        .unwrap_or(MAX_BATCH_RECORDS)
        .clamp(1, MAX_BATCH_RECORDS);
    std::thread::scope(|scope| {
        let stop_ref = &stop;
        let reader_thread = scope.spawn(move || {
            let window = Window {
                tokens: token_rx,
                size: window,
            };
            read_batches(reader, shard, work_tx, window, stop_ref, max_records)
        });
        for _ in 0..threads {
            let rx = work_rx.clone();
            let tx = done_tx.clone();
            scope.spawn(move || score_batches(pipeline, output, rx, tx));
        }
        drop(work_rx);
        drop(done_tx);
        let written = write_batches(state, done_rx, token_tx, options, &stats, observer);
        if !matches!(written, Ok(WriterEnd::Eof)) {
            stop.store(true, Ordering::Relaxed);
        }
        let read = reader_thread
            .join()
            .unwrap_or_else(|_| Err(Error::Output("the reader thread panicked".into())));
        match (written, read) {
            (Err(e), _) => Err(e),
            (Ok(WriterEnd::Stopped(e)), _) => Ok(WriterEnd::Stopped(e)),
            (Ok(_), Err(e)) => Err(e),
            (Ok(end), Ok(())) => Ok(end),
        }
    })
}

/// Records sent from the reader to the workers.
struct WorkBatch {
    seq: u64,
    /// The last input record consumed for this batch (including other shards').
    last_record: u64,
    /// Records of other shards consumed for this batch.
    other_shards: u64,
    items: Vec<CorpusItem>,
    text_bytes: usize,
    /// Window tokens held by this batch.
    tokens: usize,
    /// The input ends after this batch.
    eof: bool,
}

impl WorkBatch {
    fn new(seq: u64, last_record: u64) -> Self {
        WorkBatch {
            seq,
            last_record,
            other_shards: 0,
            items: Vec::new(),
            text_bytes: 0,
            tokens: 0,
            eof: false,
        }
    }

    fn is_full(&self, max_records: usize) -> bool {
        self.items.len() >= max_records
            || self.text_bytes >= MAX_BATCH_TEXT_BYTES
            || self.other_shards >= 4096
    }
}

/// One record's result, formatted.
enum Outcome {
    Scored {
        sentences_csv: Vec<u8>,
        article_csv: Vec<u8>,
        sentences: u64,
        framing_sentences: u64,
    },
    Failed(RecordError),
}

/// Results sent from the workers to the writer.
struct DoneBatch {
    seq: u64,
    last_record: u64,
    other_shards: u64,
    outcomes: Vec<Outcome>,
    tokens: usize,
    eof: bool,
}

/// The reader thread: reads records, drops other shards' records, groups the
/// rest into batches. Takes the batch's tokens from the window before sending it.
fn read_batches(
    reader: &mut CorpusReader,
    shard: Option<Shard>,
    work: Sender<WorkBatch>,
    window: Window,
    stop: &AtomicBool,
    max_records: usize,
) -> Result<()> {
    let send = |mut batch: WorkBatch| -> bool {
        batch.tokens = window.tokens_for(batch.text_bytes);
        (0..batch.tokens).all(|_| window.tokens.recv().is_ok()) && work.send(batch).is_ok()
    };
    let mut seq = 0;
    let mut batch = WorkBatch::new(seq, reader.records_read());
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let Some(item) = reader.next_item()? else {
            batch.eof = true;
            send(batch);
            return Ok(());
        };
        let record = item.record();
        batch.last_record = record;
        if shard.is_some_and(|s| !s.contains(record)) {
            batch.other_shards += 1;
        } else {
            if let CorpusItem::Article(a) = &item {
                batch.text_bytes += a.text.len();
            }
            batch.items.push(item);
        }
        if batch.is_full(max_records) {
            seq += 1;
            let next = WorkBatch::new(seq, record);
            if !send(std::mem::replace(&mut batch, next)) {
                return Ok(());
            }
        }
    }
}

/// The reader's side of the token window.
struct Window {
    tokens: Receiver<()>,
    size: usize,
}

impl Window {
    /// Tokens a batch with `text_bytes` of text needs: one, plus one per
    /// [`TOKEN_TEXT_BYTES`], at most the whole window.
    fn tokens_for(&self, text_bytes: usize) -> usize {
        (1 + text_bytes / TOKEN_TEXT_BYTES).min(self.size.max(1))
    }
}

/// A scoring worker.
fn score_batches(
    pipeline: &Pipeline,
    output: &OutputOptions,
    work: Receiver<WorkBatch>,
    done: Sender<DoneBatch>,
) {
    for batch in work {
        let outcomes = batch
            .items
            .into_iter()
            .map(|item| match item {
                CorpusItem::Article(record) => score_record(pipeline, output, record),
                CorpusItem::Error(e) => Outcome::Failed(e),
            })
            .collect();
        let result = DoneBatch {
            seq: batch.seq,
            last_record: batch.last_record,
            other_shards: batch.other_shards,
            outcomes,
            tokens: batch.tokens,
            eof: batch.eof,
        };
        if done.send(result).is_err() {
            return;
        }
    }
}

/// Scores one record and formats its rows; a failure becomes an error record.
fn score_record(pipeline: &Pipeline, output: &OutputOptions, mut record: CorpusRecord) -> Outcome {
    let article = Article {
        id: record.id.clone(),
        title: (!record.title.trim().is_empty()).then(|| record.title.clone()),
        text: std::mem::take(&mut record.text),
    };
    let fail = |record: &CorpusRecord, reason: String| {
        Outcome::Failed(RecordError {
            record: record.record,
            line: record.line,
            article_id: Some(record.id.clone()),
            field: None,
            reason,
        })
    };
    let scored = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pipeline.score_article(&article)
    }));
    let scored = match scored {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return fail(&record, format!("scoring failed: {e}")),
        Err(_) => {
            return fail(
                &record,
                "internal error: scoring this article panicked (please report it)".into(),
            )
        }
    };
    if scored.sentences.is_empty() {
        return fail(&record, "no sentence found in the text".into());
    }
    let stats = ArticleStats::of(&scored, output);
    let rows = schema::sentence_rows(&record, &scored, output)
        .and_then(|s| Ok((s, schema::article_row(&record, &stats)?)));
    match rows {
        Ok((sentences_csv, article_csv)) => Outcome::Scored {
            sentences_csv,
            article_csv,
            sentences: stats.sentences,
            framing_sentences: stats.framing_sentences,
        },
        Err(e) => fail(&record, format!("formatting failed: {e}")),
    }
}

/// How the writer ended.
enum WriterEnd {
    /// Every record written.
    Eof,
    /// `--strict` and a record failed.
    Stopped(RecordError),
    /// The workers' channel closed before the end (the reader failed).
    Interrupted,
}

/// The writer's files, counts and checkpoint bookkeeping.
struct WriterState {
    dir: PathBuf,
    files: [OutFile; 3],
    /// The last checkpoint written (or loaded).
    checkpoint: Checkpoint,
    counts: Counts,
    records_done: u64,
    session_start: Instant,
    session_elapsed_before: f64,
    last_checkpoint: Instant,
    records_at_checkpoint: u64,
    every_records: u64,
    every: Duration,
    slow: Duration,
}

impl WriterState {
    fn new(
        dir: &Path,
        files: [OutFile; 3],
        checkpoint: Checkpoint,
        session_start: Instant,
        options: &BatchOptions,
    ) -> Self {
        WriterState {
            dir: dir.to_path_buf(),
            files,
            counts: checkpoint.counts,
            records_done: checkpoint.records_done,
            session_elapsed_before: checkpoint.elapsed_s,
            records_at_checkpoint: checkpoint.records_done,
            checkpoint,
            session_start,
            last_checkpoint: Instant::now(),
            every_records: options.checkpoint_records.max(1),
            every: options.checkpoint_interval,
            slow: options.slow_per_record,
        }
    }

    /// The state as a checkpoint (valid once the files are synced).
    fn snapshot(&self) -> Checkpoint {
        Checkpoint {
            records_done: self.records_done,
            lengths: [
                self.files[0].len(),
                self.files[1].len(),
                self.files[2].len(),
            ],
            counts: self.counts,
            elapsed_s: self.session_elapsed_before + self.session_start.elapsed().as_secs_f64(),
            ..self.checkpoint.clone()
        }
    }

    fn sync_files(&mut self) -> Result<()> {
        self.files.iter_mut().try_for_each(OutFile::sync)
    }

    /// Syncs the outputs, then records them in the checkpoint.
    fn checkpoint(&mut self) -> Result<()> {
        self.sync_files()?;
        let ck = self.snapshot();
        files::write_checkpoint(&self.dir, &ck)?;
        self.checkpoint = ck;
        self.last_checkpoint = Instant::now();
        self.records_at_checkpoint = self.records_done;
        Ok(())
    }

    fn checkpoint_due(&self) -> bool {
        self.records_done - self.records_at_checkpoint >= self.every_records
            || self.last_checkpoint.elapsed() >= self.every
    }

    /// Writes one batch; returns the failing record under `--strict`.
    fn write(&mut self, batch: DoneBatch, strict: bool) -> Result<Option<RecordError>> {
        for outcome in batch.outcomes {
            match outcome {
                Outcome::Scored {
                    sentences_csv,
                    article_csv,
                    sentences,
                    framing_sentences,
                } => {
                    self.files[0].append(&sentences_csv)?;
                    self.files[1].append(&article_csv)?;
                    self.counts.articles_scored += 1;
                    self.counts.sentences += sentences;
                    self.counts.framing_sentences += framing_sentences;
                }
                Outcome::Failed(e) => {
                    self.files[2].append(&schema::error_row(&e)?)?;
                    self.counts.errors += 1;
                    if strict {
                        return Ok(Some(e));
                    }
                }
            }
            self.counts.records_read += 1;
            if !self.slow.is_zero() {
                std::thread::sleep(self.slow);
            }
        }
        self.counts.records_read += batch.other_shards;
        self.counts.other_shards += batch.other_shards;
        self.records_done = batch.last_record;
        Ok(None)
    }
}

/// The writer: puts batches back in input order, appends them, checkpoints.
fn write_batches(
    state: &mut WriterState,
    done: Receiver<DoneBatch>,
    tokens: Sender<()>,
    options: &BatchOptions,
    stats: &InputStats,
    observer: &dyn BatchObserver,
) -> Result<WriterEnd> {
    let mut pending: BTreeMap<u64, DoneBatch> = BTreeMap::new();
    let mut next = 0u64;
    let resumed_from = state.checkpoint.records_done;
    let at_start = state.counts;
    for batch in done {
        pending.insert(batch.seq, batch);
        while let Some(batch) = pending.remove(&next) {
            next += 1;
            let eof = batch.eof;
            let held = batch.tokens;
            if let Some(e) = state.write(batch, options.strict)? {
                return Ok(WriterEnd::Stopped(e));
            }
            // Giving the tokens back lets the reader send more.
            for _ in 0..held {
                let _ = tokens.send(());
            }
            observer.progress(&Progress {
                counts: state.counts,
                bytes_read: stats.bytes_read(),
                resumed_from,
                session_records: state.counts.records_read - at_start.records_read,
                session_sentences: state.counts.sentences - at_start.sentences,
                elapsed: state.session_start.elapsed(),
            });
            if eof {
                return Ok(WriterEnd::Eof);
            }
            if state.checkpoint_due() {
                state.checkpoint()?;
            }
        }
    }
    Ok(WriterEnd::Interrupted)
}

/// The settings that determine the output; a resumed run must match them.
fn settings_json(
    pipeline: &Pipeline,
    options: &BatchOptions,
    reader: &CorpusReader,
    carried: &[String],
) -> serde_json::Value {
    let (size, mtime) = input_identity(&options.input);
    json!({
        "input": absolute(&options.input),
        "input_bytes": size,
        "input_modified_unix": mtime,
        "format": reader.format().name(),
        "columns": columns_json(reader, carried),
        "model": pipeline.scorer().name(),
        "threshold": options.threshold,
        "max_article_bytes": options.max_article_bytes,
        "shard": options.shard,
    })
}

fn columns_json(reader: &CorpusReader, carried: &[String]) -> serde_json::Value {
    let c = reader.columns();
    json!({
        "id": c.role_name(c.id),
        "text": c.name(c.text),
        "outlet": c.role_name(c.outlet),
        "date": c.role_name(c.date),
        "title": c.role_name(c.title),
        "carried": c.carried_names(),
        "carried_as": carried,
    })
}

/// Refuses to resume with different settings, naming what changed.
fn check_settings(saved: &serde_json::Value, now: &serde_json::Value) -> Result<()> {
    if saved == now {
        return Ok(());
    }
    let changed: Vec<String> = match (saved.as_object(), now.as_object()) {
        (Some(a), Some(b)) => b
            .iter()
            .filter(|(k, v)| a.get(*k) != Some(v))
            .map(|(k, v)| {
                format!(
                    "{k}: was {}, now {v}",
                    a.get(k).cloned().unwrap_or(serde_json::Value::Null)
                )
            })
            .collect(),
        _ => vec!["the checkpoint's settings are unreadable".into()],
    };
    Err(Error::Config(format!(
        "cannot resume: the settings differ from the interrupted run ({}); rerun with the same input and options, or pass --force to start over",
        changed.join("; ")
    )))
}

#[allow(clippy::too_many_arguments)]
fn summary_json(
    pipeline: &Pipeline,
    options: &BatchOptions,
    reader: &CorpusReader,
    stats: &InputStats,
    input_size: Option<u64>,
    _columns: &crate::io::corpus::ColumnMap,
    carried: &[String],
    output: &OutputOptions,
    ck: &Checkpoint,
) -> serde_json::Value {
    let counts = ck.counts;
    let elapsed = ck.elapsed_s.max(1e-9);
    let (_, mtime) = input_identity(&options.input);
    let devices: serde_json::Map<String, serde_json::Value> = output
        .devices
        .iter()
        .map(|d| (d.id().to_string(), json!(output.thresholds.device(*d))))
        .collect();
    json!({
        "rhetor_version": env!("CARGO_PKG_VERSION"),
        "complete": true,
        "lossless": counts.balanced(),
        "input": {
            "path": absolute(&options.input),
            "format": reader.format().name(),
            "gzip": reader.is_gzip(),
            "bytes": input_size.unwrap_or_else(|| stats.bytes_read()),
            "modified_unix": mtime,
            "sha256": stats.sha256_hex(),
        },
        "columns": columns_json(reader, carried),
        "model": pipeline.scorer().name(),
        "thresholds": {
            "override": options.threshold,
            "framing": output.thresholds.framing,
            "devices": devices,
        },
        "shard": options.shard,
        "counts": counts,
        "timings": {
            "started_unix": ck.started_unix,
            "finished_unix": unix_now(),
            "elapsed_s": round3(ck.elapsed_s),
            "sessions": ck.sessions,
            "threads": options.threads.max(1),
            "records_per_s": round3(counts.records_read as f64 / elapsed),
            "articles_per_s": round3(counts.articles_scored as f64 / elapsed),
            "sentences_per_s": round3(counts.sentences as f64 / elapsed),
        },
        "outputs": {
            "sentences": SENTENCES_FILE,
            "articles": ARTICLES_FILE,
            "errors": ERRORS_FILE,
        },
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The input's path made absolute (`-` stays `-`).
fn absolute(input: &str) -> String {
    if input == "-" {
        return input.to_string();
    }
    std::path::absolute(input)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| input.to_string())
}

/// Size and modification time (unix seconds) of a file input.
fn input_identity(input: &str) -> (Option<u64>, Option<u64>) {
    if input == "-" {
        return (None, None);
    }
    match std::fs::metadata(input) {
        Ok(m) => (
            Some(m.len()),
            m.modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
        ),
        Err(_) => (None, None),
    }
}

fn input_size(input: &str) -> Option<u64> {
    input_identity(input).0
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

    #[test]
    fn window_tokens_grow_with_text_and_are_capped() {
        let (_tx, rx) = bounded::<()>(1);
        let w = Window {
            tokens: rx,
            size: 12,
        };
        assert_eq!(w.tokens_for(0), 1);
        assert_eq!(w.tokens_for(TOKEN_TEXT_BYTES - 1), 1);
        assert_eq!(w.tokens_for(TOKEN_TEXT_BYTES), 2);
        assert_eq!(w.tokens_for(1 << 20), 9);
        assert_eq!(w.tokens_for(100 << 20), 12);
    }

    #[test]
    fn settings_mismatch_names_the_change() {
        let a = json!({"model": "cues", "threshold": null});
        let b = json!({"model": "cues", "threshold": 0.3});
        let err = check_settings(&a, &b)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("threshold: was null, now 0.3"), "{err}");
    }
}
