//! The scoring endpoints: `POST /api/score` (the document of `rhetor score
//! --format json`, written by the same function) and `POST /api/analyse`
//! (what the Analyse page draws), and `GET /api/devices`.

use super::codebook::{definition, FRAMING_DEFINITION};
use super::http::{Request, Response};
use super::queue::{QueueError, ScoreQueue};
use crate::io::article::{check_line_lengths, decode_text, DEFAULT_MAX_LINE_BYTES};
use crate::io::output::{write_json, OutputOptions};
use crate::score::{Article, ScoredArticle};
use crate::taxonomy::Device;
use serde::{Deserialize, Serialize};

/// Limits of the scoring endpoints.
#[derive(Debug, Clone, Copy)]
pub struct TextLimits {
    /// Largest text, in bytes (over it: 413).
    pub max_text: usize,
    /// Most texts in one request (over it: 413).
    pub max_texts: usize,
}

impl Default for TextLimits {
    fn default() -> Self {
        TextLimits {
            max_text: 1024 * 1024,
            max_texts: 256,
        }
    }
}

/// The body of `POST /api/score`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoreBody {
    text: Option<String>,
    texts: Option<Vec<String>>,
    /// Only these labels (as `--labels`): names of the model's labels.
    devices: Option<Vec<String>>,
    /// One threshold for every device (as `--threshold`).
    threshold: Option<f32>,
}

/// Parses a JSON body, answering 415/400 for what is not JSON.
pub fn json_body<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, Response> {
    let ct = req.header("content-type").unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/json") {
        return Err(Response::error(
            415,
            "send the body as JSON with Content-Type: application/json",
        ));
    }
    let text = std::str::from_utf8(&req.body)
        .map_err(|e| Response::error(400, &format!("the body is not valid UTF-8: {e}")))?;
    serde_json::from_str(text).map_err(|e| Response::error(400, &format!("malformed JSON: {e}")))
}

/// Checks the texts and makes articles of them (ids `text`, or `1`…`n`).
fn articles(
    texts: Vec<String>,
    single: bool,
    limits: &TextLimits,
) -> Result<Vec<Article>, Response> {
    if texts.is_empty() {
        return Err(Response::error(
            400,
            "no text: send {\"text\": \"…\"} or {\"texts\": [\"…\"]}",
        ));
    }
    if texts.len() > limits.max_texts {
        return Err(Response::error(
            413,
            &format!(
                "{} texts, over the limit of {}",
                texts.len(),
                limits.max_texts
            ),
        ));
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let id = if single {
                "text".to_string()
            } else {
                (i + 1).to_string()
            };
            if text.len() > limits.max_text {
                return Err(Response::error(
                    413,
                    &format!(
                        "text {id} is {} bytes, over the limit of {} bytes",
                        text.len(),
                        limits.max_text
                    ),
                ));
            }
            // The checks of `rhetor score` on a file: not empty, not binary, no overlong line.
            let text = decode_text(text.as_bytes(), &id, false)
                .and_then(|t| check_line_lengths(&t, &id, DEFAULT_MAX_LINE_BYTES).map(|_| t))
                .map_err(|e| Response::error(422, &e.to_string()))?;
            Ok(Article {
                id,
                title: None,
                text,
            })
        })
        .collect()
}

/// Scores through the queue, mapping its refusals to 503/504/500.
pub fn score_queued(
    queue: &ScoreQueue,
    articles: Vec<Article>,
) -> Result<Vec<ScoredArticle>, Response> {
    queue.score(articles).map_err(|e| match e {
        QueueError::Full => Response::error(503, "the scoring queue is full; retry shortly")
            .with_header("Retry-After", "1"),
        QueueError::Timeout => Response::error(504, "scoring took too long"),
        QueueError::Failed(e) => Response::error(500, &format!("scoring failed: {e}")),
    })
}

/// `POST /api/score`.
pub fn score(req: &Request, queue: &ScoreQueue, limits: &TextLimits) -> Response {
    let run = || -> Result<Response, Response> {
        let body: ScoreBody = json_body(req)?;
        let (texts, single) =
            match (body.text, body.texts) {
                (Some(t), None) => (vec![t], true),
                (None, Some(ts)) => (ts, false),
                _ => return Err(Response::error(
                    400,
                    "send exactly one of \"text\" (a string) and \"texts\" (an array of strings)",
                )),
            };
        let devices = body.devices;
        if body.threshold.is_some_and(|t| !(0.0..=1.0).contains(&t)) {
            return Err(Response::error(400, "threshold must be between 0 and 1"));
        }
        let articles = articles(texts, single, limits)?;
        let scored = score_queued(queue, articles)?;
        let rhetor = queue.rhetor();
        let options = OutputOptions::for_labels(
            rhetor.scorer().labels(),
            devices,
            rhetor.thresholds(),
            body.threshold,
        )
        .map_err(|e| Response::error(400, &e.to_string()))?;
        let mut out = Vec::new();
        write_json(&mut out, &scored, &options)
            .map_err(|e| Response::error(500, &e.to_string()))?;
        Ok(Response::new(200, "application/json", out))
    };
    run().unwrap_or_else(|r| r)
}

/// The body of `POST /api/analyse`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyseBody {
    text: String,
}

/// A highlighted stretch of a sentence: code-point offsets in its text.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mark {
    /// Device id.
    pub device: &'static str,
    /// `cue` (the cue model's evidence) or `span` (the span head's technique span).
    pub kind: &'static str,
    /// Start, in Unicode code points of the sentence text.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
}

/// A sentence as the pages draw it.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceOut {
    /// 0-based index.
    pub index: usize,
    /// 0-based paragraph.
    pub paragraph: usize,
    /// The sentence as it stands in the original text (Analyse), or the normalised text (Corpus).
    pub text: String,
    /// Attributed speech rather than the author's voice.
    pub attributed: bool,
    /// The combined framing score.
    pub framing: f32,
    /// Probability per label.
    pub scores: serde_json::Map<String, serde_json::Value>,
    /// Labels flagged at the model's thresholds.
    pub flagged: Vec<String>,
    /// Cues and spans located in `text`.
    pub marks: Vec<Mark>,
}

/// `POST /api/analyse`: the sentences of one text, each with its original
/// text, scores and marks (cue and span offsets relative to the sentence).
pub fn analyse(req: &Request, queue: &ScoreQueue, limits: &TextLimits) -> Response {
    let run = || -> Result<Response, Response> {
        let body: AnalyseBody = json_body(req)?;
        let articles = articles(vec![body.text], true, limits)?;
        let text = articles[0].text.clone();
        let scored = score_queued(queue, articles)?;
        let thresholds = queue.rhetor().thresholds();
        let options =
            OutputOptions::for_labels(queue.rhetor().scorer().labels(), None, thresholds, None)
                .map_err(|e| Response::error(500, &e.to_string()))?;
        let sentences: Vec<SentenceOut> = scored[0]
            .sentences
            .iter()
            .map(|s| {
                let span = &s.sentence.span;
                let original = &text[span.byte_start..span.byte_end];
                let rel = |start: usize, end: usize| {
                    let a = start.saturating_sub(span.char_start);
                    let b = end.saturating_sub(span.char_start);
                    (a, b.min(span.char_end - span.char_start))
                };
                let mut marks: Vec<Mark> = s
                    .cues
                    .iter()
                    .map(|c| {
                        let (start, end) = rel(c.span.char_start, c.span.char_end);
                        Mark {
                            device: c.device.id(),
                            kind: "cue",
                            start,
                            end,
                        }
                    })
                    .collect();
                marks.extend(s.spans.iter().map(|sp| {
                    let (start, end) = rel(sp.span.char_start, sp.span.char_end);
                    Mark {
                        device: sp.device.id(),
                        kind: "span",
                        start,
                        end,
                    }
                }));
                marks.retain(|m| m.start < m.end);
                SentenceOut {
                    index: s.sentence.index,
                    paragraph: s.sentence.paragraph,
                    text: original.to_string(),
                    attributed: s.attributed,
                    framing: crate::io::output::round4(s.framing),
                    scores: options
                        .columns
                        .iter()
                        .map(|&i| {
                            (
                                options.labels.labels()[i].name.clone(),
                                crate::io::output::round4(s.probs[i]).into(),
                            )
                        })
                        .collect(),
                    flagged: options
                        .flagged_names(s)
                        .into_iter()
                        .map(String::from)
                        .collect(),
                    marks,
                }
            })
            .collect();
        Ok(Response::json(
            200,
            &serde_json::json!({"model": queue.rhetor().scorer().name(), "sentences": sentences}),
        ))
    };
    run().unwrap_or_else(|r| r)
}

/// `GET /api/devices`: ids, labels, codebook definitions, colours and the
/// model's thresholds, for the model's labels in their order: the shipped
/// devices with their names and `docs/codebook.md` definitions, or the
/// labels a model folder declares, with its own definitions.
pub fn devices(queue: &ScoreQueue) -> Response {
    let t = queue.rhetor().thresholds();
    let labels = queue.rhetor().scorer().labels();
    let shipped = labels.is_shipped();
    let devices: Vec<serde_json::Value> = labels
        .labels()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (label, definition) = match Device::from_id(&l.name) {
                Some(d) if shipped => (d.label().to_string(), definition(d)),
                _ => (l.name.clone(), l.definition.clone()),
            };
            serde_json::json!({
                "id": l.name,
                "label": label,
                "definition": definition,
                "threshold": t.label(i),
            })
        })
        .collect();
    Response::json(
        200,
        &serde_json::json!({
            "model": queue.rhetor().scorer().name(),
            "devices": devices,
            "framing": {"threshold": t.framing, "definition": FRAMING_DEFINITION},
        }),
    )
}
