//! The scoring queue: a fixed number of worker threads take scoring jobs from
//! a bounded channel. A job that does not fit is refused at once (the
//! handler answers 503 with `Retry-After`), so the work waiting is bounded.

use crate::error::{Error, Result};
use crate::facade::Rhetor;
use crate::score::{Article, ScoredArticle};
use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A job: articles to score and where the answer goes.
struct Job {
    articles: Vec<Article>,
    reply: Sender<Result<Vec<ScoredArticle>>>,
}

/// Why a job was not scored.
#[derive(Debug)]
pub enum QueueError {
    /// The queue is full: retry later (503).
    Full,
    /// The answer did not come in time (504).
    Timeout,
    /// Scoring failed (the model's error).
    Failed(Error),
}

/// Counters for `/healthz`.
#[derive(Debug, Default)]
pub struct QueueStats {
    /// Jobs accepted.
    pub accepted: AtomicU64,
    /// Jobs refused because the queue was full.
    pub refused: AtomicU64,
    /// Sentences scored.
    pub sentences: AtomicU64,
}

/// The bounded scoring queue and its workers.
pub struct ScoreQueue {
    tx: Sender<Job>,
    capacity: usize,
    workers: usize,
    timeout: Duration,
    stats: Arc<QueueStats>,
    rhetor: Arc<Rhetor>,
}

impl ScoreQueue {
    /// Starts `workers` threads scoring with `rhetor`; at most `capacity` jobs wait.
    /// `slow` delays every job (a test hook to fill the queue on purpose).
    pub fn start(
        rhetor: Arc<Rhetor>,
        workers: usize,
        capacity: usize,
        timeout: Duration,
        slow: Duration,
    ) -> ScoreQueue {
        let (tx, rx) = bounded::<Job>(capacity.max(1));
        let stats = Arc::new(QueueStats::default());
        for i in 0..workers.max(1) {
            let rx: Receiver<Job> = rx.clone();
            let rhetor = Arc::clone(&rhetor);
            let stats = Arc::clone(&stats);
            std::thread::Builder::new()
                .name(format!("rhetor-score-{i}"))
                .spawn(move || {
                    for job in rx {
                        if !slow.is_zero() {
                            std::thread::sleep(slow);
                        }
                        let result: Result<Vec<ScoredArticle>> = job
                            .articles
                            .iter()
                            .map(|a| rhetor.score_article(a))
                            .collect();
                        if let Ok(scored) = &result {
                            let n: usize = scored.iter().map(|a| a.sentences.len()).sum();
                            stats.sentences.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        // The client may have gone: nobody waits for the answer then.
                        let _ = job.reply.send(result);
                    }
                })
                .expect("spawn a scoring thread");
        }
        ScoreQueue {
            tx,
            capacity: capacity.max(1),
            workers: workers.max(1),
            timeout,
            stats,
            rhetor,
        }
    }

    /// Scores `articles` on a worker, waiting for the answer; refuses at once
    /// when the queue is full.
    pub fn score(
        &self,
        articles: Vec<Article>,
    ) -> std::result::Result<Vec<ScoredArticle>, QueueError> {
        let (reply, answer) = bounded(1);
        match self.tx.try_send(Job { articles, reply }) {
            Ok(()) => {
                self.stats.accepted.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                return Err(QueueError::Full);
            }
        }
        match answer.recv_timeout(self.timeout) {
            Ok(Ok(scored)) => Ok(scored),
            Ok(Err(e)) => Err(QueueError::Failed(e)),
            Err(_) => Err(QueueError::Timeout),
        }
    }

    /// The loaded model.
    pub fn rhetor(&self) -> &Rhetor {
        &self.rhetor
    }

    /// Jobs waiting now.
    pub fn waiting(&self) -> usize {
        self.tx.len()
    }

    /// The queue's capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Worker threads.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The counters.
    pub fn stats(&self) -> &QueueStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelSpec;

    fn article(text: &str) -> Article {
        Article {
            id: "t".into(),
            title: None,
            text: text.into(),
        }
    }

    #[test]
    fn a_full_queue_refuses_at_once() {
        let rhetor = Arc::new(Rhetor::builder().model(ModelSpec::Cues).build().unwrap());
        let q = Arc::new(ScoreQueue::start(
            rhetor,
            1,
            1,
            Duration::from_secs(30),
            Duration::from_millis(300),
        ));
        let mut handles = Vec::new();
        for _ in 0..6 {
            let q = Arc::clone(&q);
            handles.push(std::thread::spawn(move || {
                q.score(vec![article("Let's notice that it rained.")])
            }));
        }
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let full = results
            .iter()
            .filter(|r| matches!(r, Err(QueueError::Full)))
            .count();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert!(full >= 1, "no job was refused");
        assert!(ok >= 1, "no job was scored");
        assert_eq!(full + ok, 6);
    }
}
