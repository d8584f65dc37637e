//! A coded validation sample ([`crate::io::sample`]) met with the batch's
//! predictions: for every labelled sentence its labels and the classifier's
//! flags, for every group and labelled measure the rate from the labels
//! alone, the prediction-powered rate ([`super::ppi`]), and how well the
//! classifier agrees with the coders there.

use super::input::{ArticleRecord, Dataset};
use super::ppi::{self, Agreement, ArticleTotals, GroupData, LabelledArticle, LabelledSentence};
use super::sentences::{read_sentences_of, SentenceRecord};
use super::Measure;
use crate::error::{Error, Location, Result};
use crate::io::sample::{read_coded_sample, CodedSample};
use crate::taxonomy::Device;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The labelled sentences of one article.
#[derive(Debug, Clone, PartialEq)]
struct ArticleLabels {
    inclusion_probability: f64,
    /// Per sentence: per measure of [`GoldLabels::measures`], the label (if
    /// any) and the classifier's flag.
    sentences: Vec<Vec<(Option<bool>, bool)>>,
}

/// The labels of a coded sample, with the classifier's flags beside them.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldLabels {
    /// The labels file (for messages and reports).
    pub source: String,
    /// The labelled measures (the sample's label columns).
    pub measures: Vec<Measure>,
    articles: HashMap<String, ArticleLabels>,
}

/// True for a column name that is a label column of the shipped models: a
/// device id or `framing`.
pub fn is_label_column(name: &str) -> bool {
    name == "framing" || Device::from_id(name).is_some()
}

/// Reads a coded sample and meets it with the batch: `data` (the articles)
/// and the sentences table `table` (for the flags of the labelled
/// sentences, with the batch's `framing_threshold`).
pub fn read_gold(
    labels: &Path,
    data: &Dataset,
    table: &Path,
    framing_threshold: f32,
) -> Result<GoldLabels> {
    let own = |name: &str| is_label_column(name) || data.own_labels.contains(&name);
    let sample = read_coded_sample(labels, &own)?;
    join(&sample, data, table, framing_threshold)
}

/// Meets an already-read coded sample with the batch (see [`read_gold`]).
pub fn join(
    sample: &CodedSample,
    data: &Dataset,
    table: &Path,
    framing_threshold: f32,
) -> Result<GoldLabels> {
    let measures = label_measures(sample, data)?;
    let known: HashMap<&str, &ArticleRecord> =
        data.articles.iter().map(|a| (a.id.as_str(), a)).collect();
    let coded: Vec<_> = sample.rows.iter().filter(|r| r.is_coded()).collect();
    for row in &coded {
        let at = |field: &str| {
            Location::file(&sample.source)
                .at_line(row.line)
                .in_field(field)
        };
        let Some(article) = known.get(row.article_id.as_str()) else {
            return Err(Error::input(
                at("article_id"),
                format!(
                    "article `{}` is not in the batch output {} (was the sample drawn from another batch?)",
                    row.article_id, data.source
                ),
            ));
        };
        if row.sentence_index >= article.sentences {
            return Err(Error::input(
                at("sentence_index"),
                format!(
                    "article `{}` has {} sentences in the batch output; there is no sentence {}",
                    row.article_id, article.sentences, row.sentence_index
                ),
            ));
        }
    }
    let ids: HashSet<&str> = coded.iter().map(|r| r.article_id.as_str()).collect();
    let flags = read_sentences_of(table, &ids, framing_threshold)?;
    let mut articles: HashMap<String, ArticleLabels> = HashMap::new();
    for row in coded {
        let at = |field: &str| {
            Location::file(&sample.source)
                .at_line(row.line)
                .in_field(field)
        };
        let sentence =
            find_sentence(&flags, &row.article_id, row.sentence_index).ok_or_else(|| {
                Error::input(
                    at("sentence_index"),
                    format!(
                        "sentence {} of article `{}` is not in the sentences table {}",
                        row.sentence_index,
                        row.article_id,
                        table.display()
                    ),
                )
            })?;
        let cells: Vec<(Option<bool>, bool)> = measures
            .iter()
            .map(|(m, column)| (row.labels[*column], m.flagged_in(sentence)))
            .collect();
        let inclusion_probability = row.inclusion_probability.ok_or_else(|| {
            Error::input(
                at("inclusion_probability"),
                "no inclusion probability: this sentence was chosen by a model \
                 (`rhetor sample --strategy uncertain`), not drawn at random. Such a sample \
                 trains models (`rhetor train --labels`) but cannot estimate rates; \
                 code a random sample (`rhetor sample` without --strategy) for --gold",
            )
        })?;
        let entry = articles
            .entry(row.article_id.clone())
            .or_insert_with(|| ArticleLabels {
                inclusion_probability,
                sentences: Vec::new(),
            });
        if (entry.inclusion_probability - inclusion_probability).abs()
            > 1e-9 * entry.inclusion_probability
        {
            return Err(Error::input(
                at("inclusion_probability"),
                format!(
                    "article `{}` has two inclusion probabilities ({} and {}); an article is drawn as a whole",
                    row.article_id, entry.inclusion_probability, inclusion_probability
                ),
            ));
        }
        entry.sentences.push(cells);
    }
    Ok(GoldLabels {
        source: sample.source.clone(),
        measures: measures.into_iter().map(|(m, _)| m).collect(),
        articles,
    })
}

/// The measures of the sample's label columns (with their column
/// positions); a device the batch has no predictions for is an error.
fn label_measures(sample: &CodedSample, data: &Dataset) -> Result<Vec<(Measure, usize)>> {
    if sample.label_columns.is_empty() {
        return Err(Error::input(
            Location::file(&sample.source).at_line(1),
            "no label column: a coded sample has a column `framing` or a device id (docs/codebook.md) with 1, 0 or empty cells",
        ));
    }
    sample
        .label_columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let measure = match Device::from_id(name) {
                Some(d) if data.devices.contains(&d) => Measure::Device(d),
                Some(_) => {
                    return Err(Error::input(
                        Location::file(&sample.source).at_line(1).in_field(name),
                        format!(
                            "`{name}` is labelled but the batch output {} has no predictions for it (its devices: {})",
                            data.source,
                            data.devices.iter().map(|d| d.id()).collect::<Vec<_>>().join(", ")
                        ),
                    ))
                }
                None if name == "framing" => Measure::Framing,
                None => match data.own_labels.iter().position(|o| o == name) {
                    Some(index) => Measure::Own(super::OwnLabel {
                        index,
                        name: data.own_labels[index],
                    }),
                    None => {
                        return Err(Error::input(
                            Location::file(&sample.source).at_line(1).in_field(name),
                            format!(
                                "`{name}` is labelled but the batch output {} has no predictions for it",
                                data.source
                            ),
                        ))
                    }
                },
            };
            Ok((measure, i))
        })
        .collect()
}

fn find_sentence<'a>(
    flags: &'a HashMap<String, Vec<SentenceRecord>>,
    article: &str,
    index: u64,
) -> Option<&'a SentenceRecord> {
    let list = flags.get(article)?;
    list.binary_search_by_key(&index, |s| s.index)
        .ok()
        .map(|i| &list[i])
}

impl Measure {
    /// True when the measure is flagged in a batch sentence.
    pub fn flagged_in(self, s: &SentenceRecord) -> bool {
        match self {
            Measure::Framing => s.framing,
            Measure::Device(d) => s.flagged.contains(&d),
            Measure::Own(l) => s.own_flagged.contains(&l.name),
        }
    }
}

/// The validation figures of one group × labelled measure.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldStats {
    /// Counts and the classifier's precision and recall on the labels.
    pub agreement: Agreement,
    /// The rate from the labels alone (0–1).
    pub gold: Option<ppi::RateEstimate>,
    /// The prediction-powered rate (0–1).
    pub ppi: Option<ppi::RateEstimate>,
    /// Labelled articles in all that would halve the prediction-powered interval.
    pub articles_to_halve: Option<usize>,
}

impl GoldLabels {
    /// The position of `measure` among the labelled measures.
    pub fn measure_index(&self, measure: Measure) -> Option<usize> {
        self.measures.iter().position(|m| *m == measure)
    }

    /// The figures of one group (its articles) for one labelled measure.
    pub fn group_stats(&self, articles: &[&ArticleRecord], measure: Measure, z: f64) -> GoldStats {
        let j = self.measure_index(measure).unwrap_or(0);
        let totals: Vec<ArticleTotals> = articles
            .iter()
            .map(|a| ArticleTotals {
                sentences: a.sentences,
                flagged: measure.count(a),
            })
            .collect();
        let labelled: Vec<LabelledArticle> = articles
            .iter()
            .filter_map(|a| self.articles.get(&a.id))
            .map(|l| LabelledArticle {
                inclusion_probability: l.inclusion_probability,
                sentences: l
                    .sentences
                    .iter()
                    .filter_map(|cells| {
                        let (label, flagged) = cells[j];
                        label.map(|label| LabelledSentence { label, flagged })
                    })
                    .collect(),
            })
            .filter(|l| !l.sentences.is_empty())
            .collect();
        let group = GroupData {
            articles: &totals,
            labelled: &labelled,
        };
        let ppi = ppi::ppi_rate(group, z);
        GoldStats {
            agreement: ppi::agreement(&labelled),
            gold: ppi::gold_rate(group, z),
            articles_to_halve: ppi
                .as_ref()
                .and_then(|e| ppi::articles_to_halve(e, labelled.len())),
            ppi,
        }
    }
}
