//! The pipeline of a batch run: a reader thread groups records into
//! [`WorkBatch`]es, scoring workers turn them into [`DoneBatch`]es of formatted
//! rows, and the writer ([`super::writer`]) appends them in input order.

use super::files::Rows;
use super::schema::{self, ArticleStats};
use super::writer::{write_batches, Batch, DoneBatch, Outcome, WriterEnd, WriterState};
use super::{BatchObserver, BatchOptions, Shard};
use super::{MAX_BATCH_RECORDS, MAX_BATCH_TEXT_BYTES, TOKEN_TEXT_BYTES};
use crate::error::{Error, Result};
use crate::io::corpus::{CorpusItem, CorpusReader, CorpusRecord, RecordError};
use crate::io::output::OutputOptions;
use crate::io::table::TableFormat;
use crate::score::{Article, Pipeline};
use crossbeam_channel::{bounded, Receiver, Sender};
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs reader, workers and writer; returns how the writer ended.
pub(super) fn run_stages(
    pipeline: &Pipeline,
    output: &OutputOptions,
    options: &BatchOptions,
    reader: &mut CorpusReader,
    state: &mut WriterState,
    observer: &dyn BatchObserver,
) -> Result<WriterEnd> {
    let threads = options.threads.max(1);
    let window = match options.window {
        0 => threads * 4 + 4,
        w => w,
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
    let format = options.output_format;
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
            let (rx, tx) = (work_rx.clone(), done_tx.clone());
            scope.spawn(move || score_batches(pipeline, output, format, rx, tx));
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
        // The writer's error or stop comes first, then the reader's error.
        match written? {
            stopped @ WriterEnd::Stopped(_) => Ok(stopped),
            end => read.map(|()| end),
        }
    })
}

/// Records sent from the reader to the workers.
type WorkBatch = Batch<CorpusItem>;

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
    format: TableFormat,
    work: Receiver<WorkBatch>,
    done: Sender<DoneBatch>,
) {
    for batch in work {
        let scored = batch.map(|item| match item {
            CorpusItem::Article(record) => score_record(pipeline, output, format, record),
            CorpusItem::Error(e) => Outcome::Failed(e),
        });
        if done.send(scored).is_err() {
            return;
        }
    }
}

/// Scores one record and formats its rows; a failure becomes an error record.
fn score_record(
    pipeline: &Pipeline,
    output: &OutputOptions,
    format: TableFormat,
    mut record: CorpusRecord,
) -> Outcome {
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
    match format_rows(&record, &scored, &stats, output, format) {
        Ok((sentence_rows, article_row)) => Outcome::Scored {
            sentence_rows,
            article_row,
            sentences: stats.sentences,
            framing_sentences: stats.framing_sentences,
        },
        Err(e) => fail(&record, format!("formatting failed: {e}")),
    }
}

/// The sentence rows and the article row of a scored record, in `format`.
fn format_rows(
    record: &CorpusRecord,
    scored: &crate::score::ScoredArticle,
    stats: &ArticleStats,
    output: &OutputOptions,
    format: TableFormat,
) -> Result<(Rows, Rows)> {
    Ok(match format {
        TableFormat::Csv => (
            Rows::Csv(schema::sentence_rows(record, scored, output)?),
            Rows::Csv(schema::article_row(record, stats)?),
        ),
        TableFormat::Parquet => (
            Rows::Typed(schema::sentence_values(record, scored, output)?),
            Rows::Typed(vec![schema::article_values(record, stats)]),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
