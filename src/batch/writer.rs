//! The writer: puts scored batches back in input order, appends their rows
//! to the `*.partial` outputs, keeps the counts and writes checkpoints.

use super::files::{output_files, OutFile, OutTable, Rows};
use super::summary::{self, Checkpoint, Counts};
use super::{schema, BatchObserver, BatchOptions, Progress};
use crate::error::Result;
use crate::io::corpus::{InputStats, RecordError};
use crate::io::table::{Column, TableFormat};
use crossbeam_channel::{Receiver, Sender};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One record's result, formatted.
pub(super) enum Outcome {
    Scored {
        sentence_rows: Rows,
        article_row: Rows,
        sentences: u64,
        framing_sentences: u64,
    },
    Failed(RecordError),
}

/// A batch of consecutive records: read (`WorkBatch`) on its way to the
/// workers, scored ([`DoneBatch`]) on its way to the writer.
pub(super) struct Batch<T> {
    pub(super) seq: u64,
    /// The last input record consumed for this batch (including other shards').
    pub(super) last_record: u64,
    /// Records of other shards consumed for this batch.
    pub(super) other_shards: u64,
    pub(super) items: Vec<T>,
    pub(super) text_bytes: usize,
    /// Window tokens held by this batch (given back once it is written).
    pub(super) tokens: usize,
    /// The input ends after this batch.
    pub(super) eof: bool,
}

impl<T> Batch<T> {
    /// The same batch with every item mapped by `f`.
    pub(super) fn map<U>(self, f: impl FnMut(T) -> U) -> Batch<U> {
        Batch {
            items: self.items.into_iter().map(f).collect(),
            seq: self.seq,
            last_record: self.last_record,
            other_shards: self.other_shards,
            text_bytes: self.text_bytes,
            tokens: self.tokens,
            eof: self.eof,
        }
    }
}

/// Results sent from the workers to the writer.
pub(super) type DoneBatch = Batch<Outcome>;

/// How the writer ended.
pub(super) enum WriterEnd {
    /// Every record written.
    Eof,
    /// `--strict` and a record failed.
    Stopped(RecordError),
    /// The workers' channel closed before the end (the reader failed).
    Interrupted,
}

/// The writer's files, counts and checkpoint bookkeeping.
pub(super) struct WriterState {
    dir: PathBuf,
    /// The outputs, in [`super::files::OUTPUT_FILES`] order.
    files: Vec<OutTable>,
    format: TableFormat,
    /// The last checkpoint written (or loaded).
    pub(super) checkpoint: Checkpoint,
    pub(super) counts: Counts,
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
    /// Starts a fresh run: creates the partial outputs of these `tables`
    /// (CSV: each holding its header row), and writes the first checkpoint.
    pub(super) fn create(
        dir: &Path,
        tables: [Vec<Column>; 3],
        checkpoint: Checkpoint,
        session_start: Instant,
        options: &BatchOptions,
    ) -> Result<Self> {
        let format = options.output_format;
        let files = output_files(format)
            .iter()
            .zip(tables)
            .map(|(name, columns)| OutTable::create(dir, name, format, columns))
            .collect::<Result<_>>()?;
        let mut state = Self::new(dir, files, checkpoint, session_start, options);
        state.checkpoint()?;
        Ok(state)
    }

    /// Continues a CSV run: reopens the partial outputs cut back to the checkpoint.
    pub(super) fn reopen(
        dir: &Path,
        checkpoint: Checkpoint,
        session_start: Instant,
        options: &BatchOptions,
    ) -> Result<Self> {
        let files = output_files(TableFormat::Csv)
            .iter()
            .zip(checkpoint.lengths)
            .map(|(name, len)| OutFile::resume(dir, name, len).map(OutTable::Csv))
            .collect::<Result<_>>()?;
        Ok(Self::new(dir, files, checkpoint, session_start, options))
    }

    fn new(
        dir: &Path,
        files: Vec<OutTable>,
        checkpoint: Checkpoint,
        session_start: Instant,
        options: &BatchOptions,
    ) -> Self {
        WriterState {
            dir: dir.to_path_buf(),
            files,
            format: options.output_format,
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
    pub(super) fn snapshot(&self) -> Checkpoint {
        Checkpoint {
            records_done: self.records_done,
            lengths: [0, 1, 2].map(|i| self.files[i].len()),
            counts: self.counts,
            elapsed_s: self.session_elapsed_before + self.session_start.elapsed().as_secs_f64(),
            ..self.checkpoint.clone()
        }
    }

    /// Completes the outputs once every record is written (Parquet: footers).
    pub(super) fn finish_files(&mut self) -> Result<()> {
        self.files.iter_mut().try_for_each(OutTable::finish)
    }

    /// Syncs the outputs, then records them in the checkpoint.
    fn checkpoint(&mut self) -> Result<()> {
        self.files.iter_mut().try_for_each(OutTable::sync)?;
        let ck = self.snapshot();
        summary::write_checkpoint(&self.dir, &ck)?;
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
        for outcome in batch.items {
            match outcome {
                Outcome::Scored {
                    sentence_rows,
                    article_row,
                    sentences,
                    framing_sentences,
                } => {
                    self.files[0].append(sentence_rows)?;
                    self.files[1].append(article_row)?;
                    self.counts.articles_scored += 1;
                    self.counts.sentences += sentences;
                    self.counts.framing_sentences += framing_sentences;
                }
                Outcome::Failed(e) => {
                    let row = match self.format {
                        TableFormat::Csv => Rows::Csv(schema::error_row(&e)?),
                        TableFormat::Parquet => Rows::Typed(vec![schema::error_values(&e)]),
                    };
                    self.files[2].append(row)?;
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
pub(super) fn write_batches(
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
