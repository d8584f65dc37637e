//! What to code next (active learning): the sentences of a `rhetor batch`
//! output that a model is least sure of, to hand-code and train on.
//!
//! Within every group a random pool of articles is scored with the model
//! (about `pool` sentences per group, so that a 50,000-article corpus is not
//! scored again in full), and the sentences whose probability lies nearest
//! to the model's threshold for one of the labels to code are proposed —
//! at most `max_per_article` per article, so the proposals spread over
//! articles. Such a sample is **not** a probability sample: its rows carry
//! no inclusion probability, and `rhetor compare --gold` refuses them. It is
//! for training (`rhetor train --labels`); rates are estimated from a random
//! sample ([`super::sample`]).

use super::input::{ArticleRecord, Dataset};
use super::sentences::{read_sentences_of, SentenceRecord};
use super::{group_members, key_label, label_seed, GroupBy};
use crate::error::{Error, Result};
use crate::io::sample::{CodedRow, CodedSample, CHOSEN_COLUMNS};
use crate::model::{Scorer, SentenceInput, SentenceScores};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The value of the `selection` column of a sample chosen by a model.
pub const UNCERTAIN_SELECTION: &str = "uncertain: for training, not for estimating rates";

/// Settings of an uncertainty sample.
#[derive(Debug, Clone)]
pub struct UncertainOptions {
    /// Grouping keys (each group gets its own proposals).
    pub by: Vec<GroupBy>,
    /// The column holding ISO dates (for period keys).
    pub date_column: String,
    /// How many sentences to propose per group.
    pub per_group: usize,
    /// About how many sentences per group to score (a random pool of whole articles).
    pub pool: usize,
    /// At most this many proposals from one article.
    pub max_per_article: usize,
    /// Seed of the pool's draw.
    pub seed: u64,
    /// The labels to code (names of the model's labels, or `framing`).
    pub labels: Vec<String>,
    /// Sentences already coded (article id, sentence index): never proposed.
    pub exclude: HashSet<(String, u64)>,
}

/// One label the model decides: `framing`, or the label at a position of
/// the model's label set.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decision {
    Framing,
    Label(usize),
}

/// A scored candidate sentence.
#[derive(Debug, Clone)]
struct Candidate<'a> {
    article: &'a ArticleRecord,
    sentence: usize,
    margin: f32,
}

/// Proposes the sentences `scorer` is least sure of, one block per group,
/// as a sample file to code (label columns empty, `selection` and `margin`
/// columns added, no inclusion probability).
pub fn uncertain_sample(
    data: &Dataset,
    table: &Path,
    framing_threshold: f32,
    scorer: &dyn Scorer,
    options: &UncertainOptions,
) -> Result<CodedSample> {
    if options.per_group == 0 || options.max_per_article == 0 {
        return Err(Error::Config(
            "--per-group and --max-per-article must be at least 1".into(),
        ));
    }
    let decisions = decisions(scorer, &options.labels)?;
    let (members, _) = group_members(data, &options.by, &options.date_column)?;
    let pools: Vec<(String, Vec<String>, Vec<&ArticleRecord>)> = members
        .iter()
        .map(|(key, articles)| {
            let label = key_label(key);
            let pool = pool_articles(articles, options.pool, options.seed, &label);
            (label, key.iter().map(|k| k.1.clone()).collect(), pool)
        })
        .collect();
    let ids: HashSet<&str> = pools
        .iter()
        .flat_map(|(_, _, pool)| pool.iter().map(|a| a.id.as_str()))
        .collect();
    let sentences = read_sentences_of(table, &ids, framing_threshold)?;
    let mut rows = Vec::new();
    for (label, key, pool) in &pools {
        let candidates = score_pool(pool, &sentences, scorer, &decisions, &options.exclude)?;
        for c in pick(candidates, options.per_group, options.max_per_article) {
            rows.push(coded_row(&c, &sentences, label, key, options.labels.len()));
        }
    }
    let mut meta_columns: Vec<String> = options.by.iter().map(|b| b.name().to_string()).collect();
    meta_columns.extend(CHOSEN_COLUMNS.map(String::from));
    Ok(CodedSample {
        source: String::new(),
        meta_columns,
        label_columns: options.labels.clone(),
        rows,
    })
}

/// How each label to code is decided by the model; a name the model does
/// not score is an error listing the ones it does.
fn decisions(scorer: &dyn Scorer, labels: &[String]) -> Result<Vec<Decision>> {
    let set = scorer.labels();
    labels
        .iter()
        .map(|name| {
            if name == "framing" {
                return Ok(Decision::Framing);
            }
            set.names()
                .position(|n| n == name)
                .map(Decision::Label)
                .ok_or_else(|| {
                    let known: Vec<&str> = set.names().collect();
                    Error::Config(format!(
                        "`{name}` is not a label of the model {} (its labels: {}, framing)",
                        scorer.name(),
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

/// A random pool of whole articles with about `pool` sentences in all.
fn pool_articles<'a>(
    articles: &[&'a ArticleRecord],
    pool: usize,
    seed: u64,
    label: &str,
) -> Vec<&'a ArticleRecord> {
    let mut shuffled = articles.to_vec();
    shuffled.shuffle(&mut StdRng::seed_from_u64(label_seed(seed, label)));
    let mut taken = Vec::new();
    let mut sentences = 0;
    for a in shuffled {
        if sentences >= pool as u64 {
            break;
        }
        sentences += a.sentences;
        taken.push(a);
    }
    taken
}

/// Scores every sentence of the pool not yet coded; returns each with its
/// margin (the smallest distance of a label's probability from its threshold).
fn score_pool<'a>(
    pool: &[&'a ArticleRecord],
    sentences: &HashMap<String, Vec<SentenceRecord>>,
    scorer: &dyn Scorer,
    decisions: &[Decision],
    exclude: &HashSet<(String, u64)>,
) -> Result<Vec<Candidate<'a>>> {
    const BATCH: usize = 64;
    let mut wanted: Vec<(&'a ArticleRecord, usize)> = Vec::new();
    for a in pool {
        let list = sentences.get(&a.id).map_or(&[][..], Vec::as_slice);
        for (j, s) in list.iter().enumerate() {
            if !exclude.contains(&(a.id.clone(), s.index)) {
                wanted.push((a, j));
            }
        }
    }
    let mut out = Vec::with_capacity(wanted.len());
    for chunk in wanted.chunks(BATCH) {
        let inputs: Vec<SentenceInput<'_>> = chunk
            .iter()
            .map(|(a, j)| input_of(&sentences[&a.id], *j))
            .collect();
        let scores = scorer.score_batch(&inputs)?;
        for ((a, j), s) in chunk.iter().zip(&scores) {
            out.push(Candidate {
                article: a,
                sentence: *j,
                margin: margin(scorer, decisions, s),
            });
        }
    }
    Ok(out)
}

/// The scorer's input for sentence `j` of an article, with its neighbours.
fn input_of(list: &[SentenceRecord], j: usize) -> SentenceInput<'_> {
    let s = &list[j];
    let neighbour = |k: Option<usize>| {
        k.and_then(|k| list.get(k))
            .filter(|n| n.index.abs_diff(s.index) == 1)
            .map(|n| n.text.as_str())
    };
    SentenceInput {
        text: &s.text,
        prev: neighbour(j.checked_sub(1)),
        next: neighbour(Some(j + 1)),
        title: None,
    }
}

/// The smallest distance between a label's probability and its threshold.
fn margin(scorer: &dyn Scorer, decisions: &[Decision], scores: &SentenceScores) -> f32 {
    let t = scorer.thresholds();
    decisions
        .iter()
        .map(|d| match d {
            Decision::Framing => (scores.framing - t.framing).abs(),
            Decision::Label(i) => (scores.probs[*i] - t.label(*i)).abs(),
        })
        .fold(f32::INFINITY, f32::min)
}

/// The `n` candidates with the smallest margins, at most `per_article` from
/// one article; ties broken by article id and sentence, so the choice is
/// the same on every run.
fn pick(mut candidates: Vec<Candidate<'_>>, n: usize, per_article: usize) -> Vec<Candidate<'_>> {
    candidates.sort_by(|a, b| {
        a.margin
            .total_cmp(&b.margin)
            .then_with(|| a.article.id.cmp(&b.article.id))
            .then_with(|| a.sentence.cmp(&b.sentence))
    });
    let mut per: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for c in candidates {
        if out.len() == n {
            break;
        }
        let taken = per.entry(c.article.id.as_str()).or_default();
        if *taken < per_article {
            *taken += 1;
            out.push(c);
        }
    }
    out
}

/// The sample row of a proposed sentence.
fn coded_row(
    c: &Candidate<'_>,
    sentences: &HashMap<String, Vec<SentenceRecord>>,
    stratum: &str,
    key: &[String],
    labels: usize,
) -> CodedRow {
    let list = &sentences[&c.article.id];
    let input = input_of(list, c.sentence);
    let mut meta = key.to_vec();
    meta.extend([UNCERTAIN_SELECTION.to_string(), format!("{:.4}", c.margin)]);
    CodedRow {
        line: 0,
        article_id: c.article.id.clone(),
        sentence_index: list[c.sentence].index,
        stratum: stratum.to_string(),
        meta,
        inclusion_probability: None,
        context_before: input.prev.unwrap_or("").to_string(),
        text: input.text.to_string(),
        context_after: input.next.unwrap_or("").to_string(),
        labels: vec![None; labels],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::DeviceMap;

    fn article(id: &str, sentences: u64) -> ArticleRecord {
        ArticleRecord {
            id: id.into(),
            meta: vec![],
            sentences,
            framing_sentences: 0,
            counts: DeviceMap::filled(0),
            own_counts: Vec::new(),
        }
    }

    fn candidate(article: &ArticleRecord, sentence: usize, margin: f32) -> Candidate<'_> {
        Candidate {
            article,
            sentence,
            margin,
        }
    }

    #[test]
    fn picks_the_smallest_margins_spread_over_articles() {
        let (a, b) = (article("a", 3), article("b", 3));
        let candidates = vec![
            candidate(&a, 0, 0.01),
            candidate(&a, 1, 0.02),
            candidate(&a, 2, 0.03),
            candidate(&b, 0, 0.40),
            candidate(&b, 1, 0.05),
        ];
        let picked = pick(candidates, 3, 2);
        let got: Vec<(&str, usize)> = picked
            .iter()
            .map(|c| (c.article.id.as_str(), c.sentence))
            .collect();
        // a's third sentence is skipped (two per article at most): b's best comes in.
        assert_eq!(got, [("a", 0), ("a", 1), ("b", 1)]);
    }

    #[test]
    fn the_pool_takes_whole_articles_until_it_has_enough_sentences() {
        let arts: Vec<ArticleRecord> = (0..10).map(|i| article(&format!("x{i}"), 5)).collect();
        let refs: Vec<&ArticleRecord> = arts.iter().collect();
        let pool = pool_articles(&refs, 12, 3, "A");
        assert_eq!(pool.len(), 3, "5 + 5 < 12 ≤ 15");
        assert_eq!(
            pool_articles(&refs, 12, 3, "A")
                .iter()
                .map(|a| &a.id)
                .collect::<Vec<_>>(),
            pool.iter().map(|a| &a.id).collect::<Vec<_>>(),
            "same seed, same pool"
        );
        assert_eq!(pool_articles(&refs, 1000, 3, "A").len(), 10);
    }
}
