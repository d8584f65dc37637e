//! Drawing a validation sample from a `rhetor batch` output: within every
//! group a simple random sample of articles (without replacement), all of
//! their sentences in the sample, about `per_group` sentences per group.
//!
//! Articles, not sentences, are drawn because sentences of one article are not
//! independent; every sampled article's inclusion probability is written so
//! that estimates stay unbiased. With `oversample_flagged = F` the articles of
//! a group are split into those with a flagged sentence and the others, and a
//! share `F` of the group's articles is drawn from the first; each part's own
//! probability is written. Each group's draw depends only on the seed and the
//! group's label, so adding a group does not change the others.

use super::input::{ArticleRecord, Dataset};
use super::sentences::SentenceRecord;
use super::{group_members, key_label, label_seed, GroupBy, Measure};
use crate::error::{Error, Result};
use crate::io::sample::{CodedRow, CodedSample};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::{HashMap, HashSet};

/// Settings of a draw.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// Grouping keys (strata).
    pub by: Vec<GroupBy>,
    /// The column holding ISO dates (for period keys).
    pub date_column: String,
    /// About how many sentences to draw per group.
    pub per_group: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// The measures the batch predicts among the labels to code (for
    /// `oversample_flagged`; may be empty when every label is a codebook's own).
    pub measures: Vec<Measure>,
    /// Share of each group's drawn articles to take from articles with a
    /// sentence flagged for one of `measures` (`None`: no oversampling).
    pub oversample_flagged: Option<f64>,
    /// Articles that must not be drawn again (already labelled).
    pub exclude: HashSet<String>,
}

/// One drawn article.
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnArticle {
    /// Position in [`Dataset::articles`].
    pub article: usize,
    /// Its probability of being drawn.
    pub inclusion_probability: f64,
}

/// The draw in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupDraw {
    /// The key values.
    pub key: Vec<String>,
    /// The key values joined with ` · ` (the stratum).
    pub label: String,
    /// Articles in the group.
    pub articles: usize,
    /// Articles of the group excluded as already labelled.
    pub excluded: usize,
    /// The drawn articles, in draw order.
    pub drawn: Vec<DrawnArticle>,
}

/// A whole draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Names of the keys.
    pub key_names: Vec<String>,
    /// One entry per group.
    pub groups: Vec<GroupDraw>,
}

impl Draw {
    /// Ids of every drawn article.
    pub fn article_ids<'a>(&self, data: &'a Dataset) -> HashSet<&'a str> {
        self.groups
            .iter()
            .flat_map(|g| g.drawn.iter())
            .map(|d| data.articles[d.article].id.as_str())
            .collect()
    }
}

/// Draws the sample (which articles, with which probabilities).
pub fn draw(data: &Dataset, options: &SampleOptions) -> Result<Draw> {
    if options.per_group == 0 {
        return Err(Error::Config("--per-group must be at least 1".into()));
    }
    if let Some(f) = options.oversample_flagged {
        if !(f > 0.0 && f < 1.0) {
            return Err(Error::Config(format!(
                "--oversample-flagged {f} is not a share strictly between 0 and 1"
            )));
        }
    }
    if options.oversample_flagged.is_some() && options.measures.is_empty() {
        return Err(Error::Config(
            "--oversample-flagged needs a device (or `framing`) among the labels to code: it oversamples the articles the batch flagged for them".into(),
        ));
    }
    let (members, _) = group_members(data, &options.by, &options.date_column)?;
    let position: HashMap<*const ArticleRecord, usize> = data
        .articles
        .iter()
        .enumerate()
        .map(|(i, a)| (a as *const ArticleRecord, i))
        .collect();
    let mut groups = Vec::new();
    for (key, articles) in &members {
        let label = key_label(key);
        let indices: Vec<usize> = articles
            .iter()
            .map(|a| position[&(*a as *const ArticleRecord)])
            .collect();
        groups.push(draw_group(data, &indices, key, label, options)?);
    }
    Ok(Draw {
        key_names: options.by.iter().map(|b| b.name().to_string()).collect(),
        groups,
    })
}

fn draw_group(
    data: &Dataset,
    indices: &[usize],
    key: &[(bool, String)],
    label: String,
    options: &SampleOptions,
) -> Result<GroupDraw> {
    let excluded = indices
        .iter()
        .filter(|&&i| options.exclude.contains(&data.articles[i].id))
        .count();
    let frame: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|&i| !options.exclude.contains(&data.articles[i].id))
        .collect();
    let sentences: u64 = indices.iter().map(|&i| data.articles[i].sentences).sum();
    let mean_length = (sentences as f64 / indices.len().max(1) as f64).max(1.0);
    let wanted = ((options.per_group as f64 / mean_length).round() as usize).max(1);
    let mut rng = StdRng::seed_from_u64(label_seed(options.seed, &label));
    let is_flagged = |i: &usize| {
        options
            .measures
            .iter()
            .any(|m| m.count(&data.articles[*i]) > 0)
    };
    // Each part: its frame, how many of its articles earlier rounds took, how many to draw now.
    let parts: Vec<(Vec<usize>, usize, usize)> = match options.oversample_flagged {
        None => {
            let k = wanted.min(frame.len());
            vec![(frame, excluded, k)]
        }
        Some(share) => {
            let (flagged, other): (Vec<usize>, Vec<usize>) =
                frame.into_iter().partition(is_flagged);
            let excluded_flagged = indices
                .iter()
                .filter(|&&i| options.exclude.contains(&data.articles[i].id) && is_flagged(&i))
                .count();
            let (kf, ko) = split_wanted(wanted, share, flagged.len(), other.len());
            if ko == 0 && !other.is_empty() {
                return Err(Error::Config(format!(
                    "group `{label}`: --oversample-flagged {share} leaves no draw for its {} articles without a flagged sentence, so their sentences could not be estimated; lower the share or raise --per-group",
                    other.len()
                )));
            }
            vec![
                (flagged, excluded_flagged, kf),
                (other, excluded - excluded_flagged, ko),
            ]
        }
    };
    let mut drawn = Vec::new();
    for (part, previously, k) in parts {
        if k == 0 {
            continue;
        }
        // The union of earlier simple random samples and this one is a simple
        // random sample of `previously + k` of the part's articles.
        let probability = (k + previously) as f64 / (part.len() + previously) as f64;
        for j in rand::seq::index::sample(&mut rng, part.len(), k) {
            drawn.push(DrawnArticle {
                article: part[j],
                inclusion_probability: probability,
            });
        }
    }
    Ok(GroupDraw {
        key: key.iter().map(|k| k.1.clone()).collect(),
        label,
        articles: indices.len(),
        excluded,
        drawn,
    })
}

/// How many of `wanted` articles to draw from the flagged part and from the
/// rest, given the share for the flagged part and the parts' sizes; what one
/// part cannot give goes to the other.
fn split_wanted(wanted: usize, share: f64, flagged: usize, other: usize) -> (usize, usize) {
    let wanted = wanted.min(flagged + other);
    let mut f = ((wanted as f64 * share).round() as usize).min(flagged);
    let mut o = (wanted - f).min(other);
    if f + o < wanted {
        f = (wanted - o).min(flagged);
    }
    if o == 0 && other > 0 && wanted >= 2 && f > 1 {
        f -= 1;
        o = 1;
    }
    (f, o)
}

/// The sample file for a draw: every sentence of every drawn article, with
/// its neighbours as context and one empty column per label to code.
pub fn coded_sample(
    draw: &Draw,
    data: &Dataset,
    sentences: &HashMap<String, Vec<SentenceRecord>>,
    source: &str,
    columns: &[String],
) -> Result<CodedSample> {
    let mut rows = Vec::new();
    for group in &draw.groups {
        for d in &group.drawn {
            let article = &data.articles[d.article];
            let Some(list) = sentences.get(&article.id) else {
                return Err(Error::Config(format!(
                    "{source}: article `{}` is in the articles table but has no row in the sentences table",
                    article.id
                )));
            };
            for (j, s) in list.iter().enumerate() {
                let neighbour = |k: Option<usize>| {
                    k.and_then(|k| list.get(k))
                        .filter(|n| n.index.abs_diff(s.index) == 1)
                        .map_or(String::new(), |n| n.text.clone())
                };
                rows.push(CodedRow {
                    line: 0,
                    article_id: article.id.clone(),
                    sentence_index: s.index,
                    stratum: group.label.clone(),
                    meta: group.key.clone(),
                    inclusion_probability: Some(d.inclusion_probability),
                    context_before: neighbour(j.checked_sub(1)),
                    text: s.text.clone(),
                    context_after: neighbour(Some(j + 1)),
                    labels: vec![None; columns.len()],
                });
            }
        }
    }
    Ok(CodedSample {
        source: String::new(),
        meta_columns: draw.key_names.clone(),
        label_columns: columns.to_vec(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::input::InputKind;
    use crate::taxonomy::{Device, DeviceMap};

    fn dataset(outlets: &[(&str, usize, u64)]) -> Dataset {
        let mut articles = Vec::new();
        for (outlet, n, sentences) in outlets {
            for i in 0..*n {
                articles.push(ArticleRecord {
                    id: format!("{outlet}{i}"),
                    meta: vec![outlet.to_string(), "2024-01-01".into()],
                    sentences: *sentences,
                    framing_sentences: u64::from(i % 4 == 0),
                    counts: DeviceMap::filled(0),
                    own_counts: Vec::new(),
                });
            }
        }
        Dataset {
            source: "t".into(),
            kind: InputKind::Articles,
            meta_columns: vec!["outlet".into(), "date".into()],
            devices: vec![Device::Doubt],
            own_labels: Vec::new(),
            articles,
        }
    }

    fn options(per_group: usize) -> SampleOptions {
        SampleOptions {
            by: vec![GroupBy::parse("outlet")],
            date_column: "date".into(),
            per_group,
            seed: 7,
            measures: vec![Measure::Framing],
            oversample_flagged: None,
            exclude: HashSet::new(),
        }
    }

    #[test]
    fn draws_articles_per_group_with_their_probability() {
        let data = dataset(&[("A", 100, 4), ("B", 10, 2)]);
        let d = draw(&data, &options(40)).unwrap();
        assert_eq!(d.groups.len(), 2);
        assert_eq!(d.groups[0].drawn.len(), 10);
        assert!(d.groups[0]
            .drawn
            .iter()
            .all(|a| (a.inclusion_probability - 0.1).abs() < 1e-12));
        // B has only 10 articles: all of them, with probability 1.
        assert_eq!(d.groups[1].drawn.len(), 10);
        assert_eq!(d.groups[1].drawn[0].inclusion_probability, 1.0);
        let ids: HashSet<usize> = d.groups[0].drawn.iter().map(|a| a.article).collect();
        assert_eq!(ids.len(), 10, "no article twice");
        assert_eq!(
            d,
            draw(&data, &options(40)).unwrap(),
            "same seed, same draw"
        );
    }

    #[test]
    fn excluded_articles_are_never_drawn_again() {
        let data = dataset(&[("A", 30, 1)]);
        let first = draw(&data, &options(10)).unwrap();
        let exclude: HashSet<String> = first
            .article_ids(&data)
            .into_iter()
            .map(String::from)
            .collect();
        let second = draw(
            &data,
            &SampleOptions {
                exclude: exclude.clone(),
                seed: 8,
                ..options(10)
            },
        )
        .unwrap();
        assert!(second
            .article_ids(&data)
            .iter()
            .all(|id| !exclude.contains(*id)));
        // The union of both rounds is a simple random sample of 20 of 30.
        assert!((second.groups[0].drawn[0].inclusion_probability - 20.0 / 30.0).abs() < 1e-12);
    }

    #[test]
    fn oversampling_gives_each_part_its_own_probability() {
        // 100 articles, 25 with a framing sentence; 20 drawn, half from the 25.
        let data = dataset(&[("A", 100, 1)]);
        let d = draw(
            &data,
            &SampleOptions {
                oversample_flagged: Some(0.5),
                ..options(20)
            },
        )
        .unwrap();
        let drawn = &d.groups[0].drawn;
        assert_eq!(drawn.len(), 20);
        let flagged: Vec<&DrawnArticle> = drawn
            .iter()
            .filter(|a| data.articles[a.article].framing_sentences > 0)
            .collect();
        assert_eq!(flagged.len(), 10);
        assert!(flagged
            .iter()
            .all(|a| (a.inclusion_probability - 0.4).abs() < 1e-12));
        assert!(drawn
            .iter()
            .filter(|a| data.articles[a.article].framing_sentences == 0)
            .all(|a| (a.inclusion_probability - 10.0 / 75.0).abs() < 1e-12));
    }

    #[test]
    fn split_of_the_wanted_articles() {
        assert_eq!(split_wanted(10, 0.5, 3, 100), (3, 7));
        assert_eq!(split_wanted(10, 0.5, 100, 2), (8, 2));
        assert_eq!(split_wanted(10, 0.95, 100, 50), (9, 1));
        assert_eq!(split_wanted(50, 0.5, 3, 2), (3, 2));
    }
}
