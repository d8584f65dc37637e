//! What the HTML article view needs of an article, built either from
//! [`ScoredArticle`]s (`rhetor score --format html`) or from the rows of a
//! batch `sentences.csv` (`rhetor report`).

use crate::error::{Error, Location, Result};
use crate::io::output::OutputOptions;
use crate::io::sentences::{SentenceColumns, SentenceRecord};
use crate::io::table::TableReader;
use crate::score::ScoredArticle;
use crate::taxonomy::Device;
use std::collections::HashSet;
use std::path::Path;

/// An article ready to be rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleView {
    /// Article id.
    pub id: String,
    /// Title, when known.
    pub title: Option<String>,
    /// Other metadata shown under the title (`outlet`, `date`, …).
    pub meta: Vec<(String, String)>,
    /// Sentences in order.
    pub sentences: Vec<SentenceView>,
}

/// A sentence with its flagged devices and cues.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceView {
    /// 0-based paragraph index.
    pub paragraph: usize,
    /// The (normalised) sentence text.
    pub text: String,
    /// Combined framing score.
    pub framing: f32,
    /// Reported speech rather than the author's voice.
    pub attributed: bool,
    /// Flagged labels (devices, or a codebook's own labels) with their probabilities.
    pub flagged: Vec<(FlaggedLabel, f32)>,
    /// Cues.
    pub cues: Vec<CueView>,
    /// Technique spans of the model's span head.
    pub spans: Vec<SpanView>,
}

/// A label flagged in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum FlaggedLabel {
    /// One of the shipped devices.
    Device(Device),
    /// A label of a codebook's own model (no colour, cues or spans of its own).
    Own(String),
}

impl FlaggedLabel {
    /// The id: the device id or the label's name.
    pub fn id(&self) -> &str {
        match self {
            FlaggedLabel::Device(d) => d.id(),
            FlaggedLabel::Own(name) => name,
        }
    }

    /// The label of `name` (a device when it is a device id).
    pub fn named(name: &str) -> FlaggedLabel {
        match Device::from_id(name) {
            Some(d) => FlaggedLabel::Device(d),
            None => FlaggedLabel::Own(name.to_string()),
        }
    }
}

/// A model span (span head) located in its sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanView {
    /// The technique.
    pub device: Device,
    /// Byte range in [`SentenceView::text`], when it could be located.
    pub range: Option<(usize, usize)>,
    /// The span text.
    pub text: String,
    /// Mean probability of its word pieces.
    pub probability: f32,
}

/// A cue located in its sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct CueView {
    /// The device it supports.
    pub device: Device,
    /// Byte range in [`SentenceView::text`], when it could be located.
    pub range: Option<(usize, usize)>,
    /// The cue text.
    pub text: String,
    /// Pattern or method.
    pub pattern: String,
    /// Weight.
    pub weight: f32,
    /// Inside attributed speech.
    pub attributed: bool,
}

impl ArticleView {
    /// Builds the view of a scored article, keeping the devices and
    /// thresholds of `options`.
    pub fn from_scored(article: &ScoredArticle, options: &OutputOptions) -> ArticleView {
        let sentences = article
            .sentences
            .iter()
            .map(|s| SentenceView {
                paragraph: s.sentence.paragraph,
                text: s.sentence.text.clone(),
                framing: s.framing,
                attributed: s.attributed,
                flagged: options
                    .flagged(s)
                    .into_iter()
                    .map(|i| {
                        let label = FlaggedLabel::named(&options.labels.labels()[i].name);
                        (label, s.probs[i])
                    })
                    .collect(),
                cues: options
                    .cues(s)
                    .into_iter()
                    .map(|c| CueView {
                        device: c.device,
                        range: valid_range(&s.sentence.text, c.sentence_range),
                        text: c.text.clone(),
                        pattern: c.pattern.clone(),
                        weight: c.weight,
                        attributed: c.attributed,
                    })
                    .collect(),
                spans: s
                    .spans
                    .iter()
                    .filter(|sp| options.reports_device(sp.device))
                    .map(|sp| SpanView {
                        device: sp.device,
                        range: valid_range(&s.sentence.text, sp.sentence_range),
                        text: sp.text.clone(),
                        probability: sp.probability,
                    })
                    .collect(),
            })
            .collect();
        ArticleView {
            id: article.id.clone(),
            title: article.title.clone(),
            meta: Vec::new(),
            sentences,
        }
    }

    /// Number of sentences with at least one flagged device.
    pub fn flagged_sentences(&self) -> usize {
        self.sentences
            .iter()
            .filter(|s| !s.flagged.is_empty())
            .count()
    }
}

/// The range when it lies on character boundaries of `text`.
fn valid_range(text: &str, (start, end): (usize, usize)) -> Option<(usize, usize)> {
    (start < end && text.get(start..end).is_some()).then_some((start, end))
}

/// Which articles of `sentences.csv` are shown in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pick {
    /// The articles with the most flagged sentences (ties: file order), most first.
    #[default]
    MostFlagged,
    /// The first articles of the file.
    First,
}

/// Reads up to `max_articles` articles of a batch `sentences.csv`, chosen by
/// `pick`. The rows of one article must be together (an article whose rows
/// reappear after another article is an error). Metadata columns (between
/// `article_id` and `sentence_index`) are kept for display.
pub fn read_sentence_views(
    path: &Path,
    max_articles: usize,
    pick: Pick,
) -> Result<Vec<ArticleView>> {
    match pick {
        Pick::First => read_views(path, max_articles, None),
        Pick::MostFlagged => {
            let order = most_flagged(path, max_articles)?;
            let keep: HashSet<String> = order.iter().cloned().collect();
            let mut views = read_views(path, max_articles, Some(&keep))?;
            views.sort_by_key(|v| order.iter().position(|id| *id == v.id));
            Ok(views)
        }
    }
}

/// The ids of the `n` articles with the most flagged sentences.
fn most_flagged(path: &Path, n: usize) -> Result<Vec<String>> {
    let mut reader = TableReader::open(path)?;
    let cols = SentenceColumns::find(reader.headers().iter().map(String::as_str), reader.source())?;
    let (id_col, flagged_col) = (cols.id, cols.flagged);
    reader.keep_only(&[id_col, flagged_col]);
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut counts: Vec<(String, u64)> = Vec::new();
    for record in reader {
        let record = record?;
        let id = record.get(id_col).unwrap_or("");
        let slot = *index.entry(id.to_string()).or_insert_with(|| {
            counts.push((id.to_string(), 0));
            counts.len() - 1
        });
        counts[slot].1 += u64::from(!record.get(flagged_col).unwrap_or("").trim().is_empty());
    }
    // A stable sort keeps file order among ties.
    counts.sort_by_key(|(_, c)| std::cmp::Reverse(*c));
    Ok(counts.into_iter().take(n).map(|(id, _)| id).collect())
}

/// Reads the articles of `sentences.csv` (those in `keep`, if given) until
/// `max_articles` are collected.
fn read_views(
    path: &Path,
    max_articles: usize,
    keep: Option<&HashSet<String>>,
) -> Result<Vec<ArticleView>> {
    let reader = TableReader::open(path)?;
    let source = reader.source().to_string();
    let header = reader.headers().to_vec();
    let cols = SentenceColumns::find(header.iter().map(String::as_str), &source)?;
    let meta: Vec<(usize, String)> = (cols.id + 1..cols.index)
        .filter(|i| Some(*i) != cols.title)
        .map(|i| (i, header[i].to_string()))
        .collect();
    let mut views: Vec<ArticleView> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut current: Option<String> = None;
    let mut wanted = false;
    for record in reader {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let id = record.get(cols.id).unwrap_or("");
        if current.as_deref() != Some(id) {
            if !seen.insert(id.to_string()) {
                return Err(Error::input(
                    Location::file(&source).at_line(line).in_field("article_id"),
                    format!("the rows of article `{id}` are not together"),
                ));
            }
            current = Some(id.to_string());
            wanted = keep.is_none_or(|k| k.contains(id));
            if wanted {
                if views.len() == max_articles {
                    break;
                }
                views.push(ArticleView {
                    id: id.to_string(),
                    title: cols
                        .title
                        .and_then(|i| record.get(i))
                        .filter(|t| !t.is_empty())
                        .map(str::to_string),
                    meta: meta
                        .iter()
                        .map(|(i, name)| (name.clone(), record.get(*i).unwrap_or("").to_string()))
                        .collect(),
                    sentences: Vec::new(),
                });
            }
        }
        if wanted {
            let sentence = sentence_view(cols.read(&record, &source, line)?);
            if let Some(view) = views.last_mut() {
                view.sentences.push(sentence);
            }
        }
    }
    Ok(views)
}

/// A `sentences.csv` row as the article view shows it: cues and spans
/// located in the sentence text.
fn sentence_view(r: SentenceRecord) -> SentenceView {
    let devices = r
        .flagged
        .iter()
        .map(|&d| (FlaggedLabel::Device(d), r.score(d).unwrap_or(f32::NAN)));
    let own = r.own_flagged.iter().map(|name| {
        let p = r.own_scores.iter().find(|(n, _)| n == name);
        (
            FlaggedLabel::Own(name.clone()),
            p.map_or(f32::NAN, |(_, p)| *p),
        )
    });
    let flagged = devices.chain(own).collect();
    let expected = |start: usize| start.saturating_sub(r.start);
    let cues = r
        .cues
        .into_iter()
        .map(|c| CueView {
            device: c.device,
            range: locate(&r.text, &c.text, expected(c.start)),
            text: c.text,
            pattern: c.pattern,
            weight: c.weight,
            attributed: c.attributed,
        })
        .collect();
    let spans = r
        .spans
        .into_iter()
        .map(|sp| SpanView {
            device: sp.device,
            range: locate(&r.text, &sp.text, expected(sp.start)),
            text: sp.text,
            probability: sp.probability,
        })
        .collect();
    SentenceView {
        paragraph: r.paragraph,
        framing: r.framing,
        attributed: r.attributed,
        text: r.text,
        flagged,
        cues,
        spans,
    }
}

/// Finds `needle` in `text`, choosing the occurrence whose character offset is
/// closest to `expected_char`; returns its byte range. (The cue offsets of
/// `sentences.csv` point into the original text, the sentence text is
/// normalised, so the two may differ slightly.)
pub fn locate(text: &str, needle: &str, expected_char: usize) -> Option<(usize, usize)> {
    if needle.is_empty() {
        return None;
    }
    text.match_indices(needle)
        .map(|(byte, _)| (byte, text[..byte].chars().count()))
        .min_by_key(|(_, chars)| chars.abs_diff(expected_char))
        .map(|(byte, _)| (byte, byte + needle.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_prefers_the_occurrence_nearest_the_offset() {
        let text = "so-called experts and so-called facts";
        assert_eq!(locate(text, "so-called", 0), Some((0, 9)));
        assert_eq!(locate(text, "so-called", 20), Some((22, 31)));
        assert_eq!(locate(text, "absent", 0), None);
        assert_eq!(locate("é so", "so", 2), Some((3, 5)));
    }

    #[test]
    fn reads_views_from_sentences_csv() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sentences.csv");
        std::fs::write(
            &path,
            "article_id,outlet,date,title,sentence_index,paragraph,start,end,byte_start,byte_end,attributed,text,framing,flagged,doubt,cues,spans\n\
             a1,X,2024-01-01,Title,0,0,0,19,0,19,false,Allegedly it works.,0.8,doubt,0.8,\"[{\"\"device\"\":\"\"doubt\"\",\"\"start\"\":0,\"\"end\"\":9,\"\"text\"\":\"\"Allegedly\"\",\"\"pattern\"\":\"\"p\"\",\"\"weight\"\":1.5,\"\"attributed\"\":false}]\",\"[{\"\"technique\"\":\"\"doubt\"\",\"\"start\"\":0,\"\"end\"\":12,\"\"byte_start\"\":0,\"\"byte_end\"\":12,\"\"text\"\":\"\"Allegedly it\"\",\"\"probability\"\":0.7}]\"\n\
             a1,X,2024-01-01,Title,1,1,20,25,20,25,false,Fine.,0.1,,0.1,[],[]\n\
             a2,Y,2024-01-02,,0,0,0,3,0,3,false,Ok.,0.1,,0.1,[],\n",
        )
        .unwrap();
        let views = read_sentence_views(&path, 1, Pick::First).unwrap();
        assert_eq!(views.len(), 1);
        let v = &views[0];
        assert_eq!(v.title.as_deref(), Some("Title"));
        assert_eq!(
            v.meta,
            vec![
                ("outlet".into(), "X".into()),
                ("date".into(), "2024-01-01".into())
            ]
        );
        assert_eq!(v.sentences.len(), 2);
        assert_eq!(
            v.sentences[0].flagged,
            vec![(FlaggedLabel::Device(Device::Doubt), 0.8)]
        );
        assert_eq!(v.sentences[0].cues[0].range, Some((0, 9)));
        assert_eq!(v.sentences[0].spans[0].range, Some((0, 12)));
        assert_eq!(v.sentences[0].spans[0].device, Device::Doubt);
        assert!(v.sentences[1].spans.is_empty());
        assert_eq!(v.sentences[1].paragraph, 1);
        assert_eq!(
            read_sentence_views(&path, 10, Pick::First).unwrap().len(),
            2
        );
        // a2 has no flagged sentence, a1 has one: a1 comes first either way,
        // and with room for both, both are shown, most flagged first.
        let most = read_sentence_views(&path, 1, Pick::MostFlagged).unwrap();
        assert_eq!(most.len(), 1);
        assert_eq!(most[0].id, "a1");
        let both = read_sentence_views(&path, 5, Pick::MostFlagged).unwrap();
        assert_eq!(
            both.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
            ["a1", "a2"]
        );
    }
}
