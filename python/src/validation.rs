//! Prediction-powered estimates for the Python package (`rhetor.compare`):
//! the library's estimators ([`rhetor::compare::ppi`]) on one group's arrays.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rhetor::compare::normal_quantile_two_sided;
use rhetor::compare::ppi::{
    agreement, articles_to_halve, gold_rate, ppi_rate, ArticleTotals, GroupData,
    LabelledArticle, LabelledSentence,
};
use std::collections::HashMap;

/// Estimates one group's rate from the predictions on all its articles
/// (`sentences[i]`, `flagged[i]` per article) and its labelled sentences
/// (`label_article[j]`: an article key, `label_probability[j]`: its inclusion
/// probability, `label[j]`, `label_flagged[j]`). Returns a dict of the
/// `compare.csv` gold columns (rates per 100 sentences; `None` where there is
/// no label).
#[pyfunction]
#[pyo3(signature = (sentences, flagged, label_article, label_probability, label, label_flagged, level=0.95))]
#[allow(clippy::too_many_arguments)]
pub fn ppi_group<'py>(
    py: Python<'py>,
    sentences: Vec<u64>,
    flagged: Vec<u64>,
    label_article: Vec<String>,
    label_probability: Vec<f64>,
    label: Vec<bool>,
    label_flagged: Vec<bool>,
    level: f64,
) -> PyResult<Bound<'py, PyDict>> {
    if sentences.len() != flagged.len() {
        return Err(PyValueError::new_err("sentences and flagged differ in length"));
    }
    let n = label_article.len();
    if [label_probability.len(), label.len(), label_flagged.len()]
        .iter()
        .any(|&k| k != n)
    {
        return Err(PyValueError::new_err("the label arrays differ in length"));
    }
    if !(0.5..1.0).contains(&level) {
        return Err(PyValueError::new_err(format!(
            "level {level} is not between 0.5 and 1"
        )));
    }
    let totals: Vec<ArticleTotals> = sentences
        .iter()
        .zip(&flagged)
        .map(|(&sentences, &flagged)| ArticleTotals { sentences, flagged })
        .collect();
    let mut order: Vec<String> = Vec::new();
    let mut articles: HashMap<String, LabelledArticle> = HashMap::new();
    for j in 0..n {
        let p = label_probability[j];
        if !(p > 0.0 && p <= 1.0) {
            return Err(PyValueError::new_err(format!(
                "inclusion probability {p} of article `{}` is not in (0, 1]",
                label_article[j]
            )));
        }
        let entry = articles.entry(label_article[j].clone()).or_insert_with(|| {
            order.push(label_article[j].clone());
            LabelledArticle {
                inclusion_probability: p,
                sentences: Vec::new(),
            }
        });
        entry.sentences.push(LabelledSentence {
            label: label[j],
            flagged: label_flagged[j],
        });
    }
    let labelled: Vec<LabelledArticle> = order
        .iter()
        .filter_map(|k| articles.remove(k))
        .collect();
    let group = GroupData {
        articles: &totals,
        labelled: &labelled,
    };
    let z = normal_quantile_two_sided(level);
    let gold = gold_rate(group, z);
    let ppi = ppi_rate(group, z);
    let a = agreement(&labelled);
    let per100 = |x: Option<f64>| x.map(|v| 100.0 * v);
    let out = PyDict::new(py);
    out.set_item("n_gold", a.sentences)?;
    out.set_item("gold_articles", a.articles)?;
    out.set_item("gold_positives", a.positives)?;
    out.set_item("gold_rate", per100(gold.map(|e| e.rate)))?;
    out.set_item("gold_ci_low", per100(gold.map(|e| e.interval.low)))?;
    out.set_item("gold_ci_high", per100(gold.map(|e| e.interval.high)))?;
    out.set_item("ppi_rate", per100(ppi.map(|e| e.rate)))?;
    out.set_item("ppi_ci_low", per100(ppi.map(|e| e.interval.low)))?;
    out.set_item("ppi_ci_high", per100(ppi.map(|e| e.interval.high)))?;
    out.set_item("ppi_lambda", ppi.map(|e| e.lambda))?;
    out.set_item("precision", a.precision)?;
    out.set_item("recall", a.recall)?;
    out.set_item(
        "articles_to_halve_ci",
        ppi.and_then(|e| articles_to_halve(&e, a.articles)),
    )?;
    Ok(out)
}

/// The device ids of the shipped models, in output order.
#[pyfunction]
pub fn device_ids() -> Vec<&'static str> {
    rhetor::Device::ALL.iter().map(|d| d.id()).collect()
}
