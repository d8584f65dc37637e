//! The scoring pipeline: article → sentences → scorer → scored sentences with
//! cue spans mapped back to the original text.

use crate::error::Result;
use crate::model::{Scorer, SentenceInput, Thresholds};
use crate::taxonomy::{Device, LabelMap};
use crate::text::{attribution, segment, segment_lines, Sentence, TextSpan};
use serde::{Deserialize, Serialize};

/// One article to score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// The article's id (file name, CSV id column, …).
    pub id: String,
    /// The title, when known (used as context by some models).
    pub title: Option<String>,
    /// The ORIGINAL text; every offset in the output points into it.
    pub text: String,
}

/// How an article's text is cut into sentence units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unit {
    /// Sentences found by the splitter (the default).
    #[default]
    Sentences,
    /// Every non-empty line is one unit (the NLP4IF-2019 / PTC convention).
    Lines,
}

/// A cue mapped back to the original text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredCue {
    /// The device the cue supports.
    pub device: Device,
    /// Span in the original article text.
    pub span: TextSpan,
    /// Byte range in the sentence's normalised text.
    pub sentence_range: (usize, usize),
    /// The cue's normalised text.
    pub text: String,
    /// The pattern or method that found it.
    pub pattern: String,
    /// Weight or attribution score.
    pub weight: f32,
    /// True when the cue lies inside attributed (quoted or reported) speech.
    pub attributed: bool,
}

/// A technique span of the model's span head, mapped back to the original text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredSpan {
    /// The technique.
    pub device: Device,
    /// Span in the original article text.
    pub span: TextSpan,
    /// Byte range in the sentence's normalised text.
    pub sentence_range: (usize, usize),
    /// The span's normalised text.
    pub text: String,
    /// Mean probability of the span's word pieces.
    pub probability: f32,
}

/// A sentence with its scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredSentence {
    /// The sentence (index, original span, normalised text).
    pub sentence: Sentence,
    /// True when the sentence reports someone else's speech rather than the author's voice.
    pub attributed: bool,
    /// Probability per label of the scorer's label set, in its order (for
    /// the shipped set, position `i` is `Device::ALL[i]`).
    pub probs: LabelMap<f32>,
    /// Probability that the sentence carries at least one device.
    pub framing: f32,
    /// Cues, mapped to the original text.
    pub cues: Vec<ScoredCue>,
    /// Technique spans of the model's span head, mapped to the original text
    /// (empty for models without one).
    #[serde(default)]
    pub spans: Vec<ScoredSpan>,
}

impl ScoredSentence {
    /// The devices whose probability reaches its threshold (shipped set only).
    pub fn flagged(&self, thresholds: &Thresholds) -> Vec<Device> {
        thresholds.flagged(&self.probs)
    }

    /// The probability of one device (shipped set only: position `i` of
    /// `probs` is `Device::ALL[i]`; see [`SentenceScores::prob`]).
    pub fn prob(&self, device: Device) -> f32 {
        self.probs[device.index()]
    }
}

/// A scored article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredArticle {
    /// The article's id.
    pub id: String,
    /// Its title, when known.
    pub title: Option<String>,
    /// The scored sentences, in order.
    pub sentences: Vec<ScoredSentence>,
}

/// Options of the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct PipelineOptions {
    /// How many sentences go to the scorer at once.
    pub batch_size: usize,
    /// How the text is cut into units.
    pub unit: Unit,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            batch_size: 64,
            unit: Unit::Sentences,
        }
    }
}

/// Text → sentences → scores.
pub struct Pipeline {
    scorer: Box<dyn Scorer>,
    options: PipelineOptions,
}

impl Pipeline {
    /// A pipeline over `scorer`.
    pub fn new(scorer: Box<dyn Scorer>, options: PipelineOptions) -> Self {
        Pipeline { scorer, options }
    }

    /// The scorer.
    pub fn scorer(&self) -> &dyn Scorer {
        self.scorer.as_ref()
    }

    /// The scorer's thresholds.
    pub fn thresholds(&self) -> &Thresholds {
        self.scorer.thresholds()
    }

    /// Splits and scores one article.
    pub fn score_article(&self, article: &Article) -> Result<ScoredArticle> {
        let sentences = match self.options.unit {
            Unit::Sentences => segment(&article.text),
            Unit::Lines => segment_lines(&article.text),
        };
        self.score_sentences(article, sentences)
    }

    /// Scores sentences already cut from `article.text`.
    pub fn score_sentences(
        &self,
        article: &Article,
        sentences: Vec<Sentence>,
    ) -> Result<ScoredArticle> {
        let mut scored = Vec::with_capacity(sentences.len());
        self.stream_sentences(article, &sentences, |s| {
            scored.push(s);
            Ok(())
        })?;
        Ok(ScoredArticle {
            id: article.id.clone(),
            title: article.title.clone(),
            sentences: scored,
        })
    }

    /// Splits and scores one article, handing each scored sentence to `sink`
    /// in order as soon as its batch is scored, so memory does not grow with
    /// a second copy of every sentence. Returns the number of sentences.
    pub fn stream_article(
        &self,
        article: &Article,
        sink: impl FnMut(ScoredSentence) -> Result<()>,
    ) -> Result<usize> {
        let sentences = match self.options.unit {
            Unit::Sentences => segment(&article.text),
            Unit::Lines => segment_lines(&article.text),
        };
        self.stream_sentences(article, &sentences, sink)?;
        Ok(sentences.len())
    }

    /// Scores `sentences` batch by batch and hands each result to `sink`.
    fn stream_sentences(
        &self,
        article: &Article,
        sentences: &[Sentence],
        mut sink: impl FnMut(ScoredSentence) -> Result<()>,
    ) -> Result<()> {
        let batch = self.options.batch_size.max(1);
        let title = article.title.as_deref();
        let mut inputs = Vec::with_capacity(batch.min(sentences.len()));
        for start in (0..sentences.len()).step_by(batch) {
            let end = (start + batch).min(sentences.len());
            inputs.clear();
            inputs.extend((start..end).map(|i| SentenceInput {
                text: &sentences[i].text,
                prev: i.checked_sub(1).map(|j| sentences[j].text.as_str()),
                next: sentences.get(i + 1).map(|n| n.text.as_str()),
                title,
            }));
            let scores = self.scorer.score_batch(&inputs)?;
            if scores.len() != inputs.len() {
                return Err(crate::Error::Config(format!(
                    "model `{}` returned {} scores for {} sentences",
                    self.scorer.name(),
                    scores.len(),
                    inputs.len()
                )));
            }
            for (sentence, s) in sentences[start..end].iter().zip(scores) {
                sink(attach_scores(&article.text, sentence.clone(), s))?;
            }
        }
        Ok(())
    }
}

/// Joins a sentence and its scores: maps the cues back to the original text
/// and marks what lies inside attributed speech.
fn attach_scores(
    original: &str,
    sentence: Sentence,
    s: crate::model::SentenceScores,
) -> ScoredSentence {
    let quoted = attribution::attributed_ranges(&sentence.text);
    let cues = s
        .cues
        .into_iter()
        .map(|c| ScoredCue {
            device: c.device,
            span: sentence.original_span(original, c.start..c.end),
            sentence_range: (c.start, c.end),
            text: sentence.text[c.start..c.end].to_string(),
            pattern: c.pattern,
            weight: c.weight,
            attributed: attribution::within(&quoted, &(c.start..c.end)),
        })
        .collect();
    let spans = s
        .spans
        .into_iter()
        .map(|p| ScoredSpan {
            device: p.device,
            span: sentence.original_span(original, p.start..p.end),
            sentence_range: (p.start, p.end),
            text: sentence.text[p.start..p.end].to_string(),
            probability: p.probability,
        })
        .collect();
    ScoredSentence {
        attributed: attribution::mostly_covered(&sentence.text, &quoted),
        sentence,
        probs: s.probs,
        framing: s.framing,
        cues,
        spans,
    }
}
