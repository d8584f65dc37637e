//! The Compare page's data: `rhetor compare --by outlet` with its default
//! settings on the batch's articles, computed once in the background at
//! start-up: the rates and intervals first, then the pairwise tests (the
//! page says "computing" until each is ready). With a coded sample, the
//! corrected rates of `rhetor compare --gold` beside them: the
//! prediction-powered rate and the rate from the labels alone of every
//! labelled measure ([`crate::compare::compare_with_gold`] on one coder's
//! labels, recomputed when they change).

use crate::compare::gold::{join, GoldStats};
use crate::compare::input::{batch_framing_threshold, Dataset};
use crate::compare::{compare, compare_with_gold, CompareOptions, Comparison, GroupBy};
use crate::io::sample::CodedSample;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A computed figure as JSON, or why there is none.
type Computed = Result<serde_json::Value, String>;

/// The comparison, once computed.
pub struct OutletComparison {
    state: Mutex<Option<Computed>>,
    data: Arc<Dataset>,
    options: CompareOptions,
    /// The batch's sentences table (the flags of the labelled sentences).
    sentences: PathBuf,
    /// Per coder: the labels' version and the corrected figures from them.
    corrected: Mutex<HashMap<String, (u64, Computed)>>,
}

impl OutletComparison {
    /// Starts computing the comparison of `data` by `by` in a background
    /// thread; `sentences` is the batch's sentences table (for the corrected
    /// rates).
    pub fn start(
        data: Arc<Dataset>,
        sentences: PathBuf,
        by: String,
        bootstrap: usize,
    ) -> Arc<OutletComparison> {
        let me = Arc::new(OutletComparison {
            state: Mutex::new(None),
            data: Arc::clone(&data),
            options: CompareOptions {
                by: vec![GroupBy::parse(&by)],
                bootstrap,
                ..Default::default()
            },
            sentences,
            corrected: Mutex::new(HashMap::new()),
        });
        let done = Arc::clone(&me);
        std::thread::Builder::new()
            .name("rhetor-compare".into())
            .spawn(move || {
                // The defaults of `rhetor compare` (same numbers), by one
                // column: first the rates and intervals (quick), then again
                // with the pairwise permutation tests (slow on large corpora).
                let full = done.options.clone();
                let quick = CompareOptions {
                    pairwise: false,
                    ..full.clone()
                };
                for (options, tests_done) in [(quick, false), (full, true)] {
                    let result = compare(&data, &options)
                        .map(|c| to_json(&c, tests_done))
                        .map_err(|e| e.to_string());
                    let failed = result.is_err();
                    *done.state.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    if failed {
                        return;
                    }
                }
            })
            .expect("spawn the comparison thread");
        me
    }

    /// The comparison as JSON, `{"status": "computing"}` until it is ready.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        match &*self.state.lock().unwrap_or_else(|e| e.into_inner()) {
            None => Ok(serde_json::json!({"status": "computing"})),
            Some(r) => r.clone(),
        }
    }

    /// The corrected figures of one coder's labels (`sample`, at `version`),
    /// computed by [`compare_with_gold`] with the page's grouping and level
    /// (no bootstrap, no pairwise tests: only the labelled figures are
    /// taken), and kept until the coder's labels change. `Err` says why
    /// there are none (e.g. the sample was drawn from another batch).
    pub fn corrected(
        &self,
        coder: &str,
        version: u64,
        sample: &CodedSample,
    ) -> Result<serde_json::Value, String> {
        let mut cache = self.corrected.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((v, result)) = cache.get(coder) {
            if *v == version {
                return result.clone();
            }
        }
        let result = self.compute_corrected(sample);
        cache.insert(coder.to_string(), (version, result.clone()));
        result
    }

    fn compute_corrected(&self, sample: &CodedSample) -> Result<serde_json::Value, String> {
        let threshold = batch_framing_threshold(&self.sentences).unwrap_or(0.5);
        let gold =
            join(sample, &self.data, &self.sentences, threshold).map_err(|e| e.to_string())?;
        let options = CompareOptions {
            bootstrap: 0,
            pairwise: false,
            ..self.options.clone()
        };
        let c = compare_with_gold(&self.data, &options, Some(&gold)).map_err(|e| e.to_string())?;
        let groups: Vec<serde_json::Value> = c
            .groups
            .iter()
            .map(|g| {
                let measures: serde_json::Map<String, serde_json::Value> = g
                    .measures
                    .iter()
                    .filter_map(|m| {
                        m.gold
                            .as_ref()
                            .map(|s| (m.measure.id().to_string(), gold_json(s)))
                    })
                    .collect();
                serde_json::json!({"label": g.label, "measures": measures})
            })
            .collect();
        Ok(serde_json::json!({
            "labelled": gold.measures.iter().map(|m| m.id()).collect::<Vec<_>>(),
            "groups": groups,
        }))
    }
}

/// A rate estimate (0–1) as a rate per 100 sentences and its interval.
fn per_100(
    e: Option<&crate::compare::ppi::RateEstimate>,
) -> (serde_json::Value, serde_json::Value) {
    match e {
        Some(e) => (
            serde_json::json!(100.0 * e.rate),
            serde_json::json!([100.0 * e.interval.low, 100.0 * e.interval.high]),
        ),
        None => (serde_json::Value::Null, serde_json::Value::Null),
    }
}

/// One group × labelled measure: the prediction-powered (corrected) rate,
/// the rate from the labels alone, both per 100 sentences with their
/// intervals, and the classifier against the labels.
fn gold_json(s: &GoldStats) -> serde_json::Value {
    let (corrected_rate, corrected_ci) = per_100(s.ppi.as_ref());
    let (gold_rate, gold_ci) = per_100(s.gold.as_ref());
    let a = &s.agreement;
    serde_json::json!({
        "corrected_rate": corrected_rate,
        "corrected_ci": corrected_ci,
        "gold_rate": gold_rate,
        "gold_ci": gold_ci,
        "labelled_sentences": a.sentences,
        "labelled_articles": a.articles,
        "positives": a.positives,
        "precision": a.precision,
        "recall": a.recall,
        "articles_to_halve": s.articles_to_halve,
    })
}

/// Puts the corrected figures (from [`OutletComparison::corrected`]) into
/// the naive comparison's JSON: every measure of a group gains the fields of
/// its labelled figures, and the document `corrected: true`.
pub fn merge_corrected(naive: &mut serde_json::Value, corrected: &serde_json::Value) {
    let by_label: HashMap<&str, &serde_json::Value> = corrected["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| Some((g["label"].as_str()?, &g["measures"])))
        .collect();
    if let Some(groups) = naive["groups"].as_array_mut() {
        for g in groups {
            let Some(extra) = g["label"].as_str().and_then(|l| by_label.get(l)).copied() else {
                continue;
            };
            if let Some(measures) = g["measures"].as_array_mut() {
                for m in measures {
                    let id = m["measure"].as_str().unwrap_or("").to_string();
                    if let (Some(fields), Some(target)) =
                        (extra[id.as_str()].as_object(), m.as_object_mut())
                    {
                        target.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                }
            }
        }
    }
    naive["corrected"] = serde_json::json!(true);
    naive["labelled"] = corrected["labelled"].clone();
}

fn interval(i: Option<&crate::stats::Interval>) -> serde_json::Value {
    match i {
        Some(i) => serde_json::json!([i.low, i.high]),
        None => serde_json::Value::Null,
    }
}

/// The groups with their rates per measure, and the significant pairs.
/// `tests_done`: false while the pairwise tests are still computing.
pub fn to_json(c: &Comparison, tests_done: bool) -> serde_json::Value {
    let groups: Vec<serde_json::Value> = c
        .groups
        .iter()
        .map(|g| {
            serde_json::json!({
                "label": g.label,
                "articles": g.articles,
                "sentences": g.sentences,
                "small": g.small,
                "measures": g.measures.iter().map(|m| serde_json::json!({
                    "measure": m.measure.id(),
                    "count": m.count,
                    "rate": m.rate,
                    "rate_ci": interval(m.rate_ci.as_ref()),
                    "share": m.share,
                    "share_ci": interval(m.share_ci.as_ref()),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let significant: Vec<serde_json::Value> = c
        .significant_pairs()
        .iter()
        .map(|p| {
            serde_json::json!({
                "a": c.groups[p.a].label,
                "b": c.groups[p.b].label,
                "measure": p.measure.id(),
                "rate_diff": p.rate_diff,
                "rate_p_holm": p.rate_p_holm,
            })
        })
        .collect();
    serde_json::json!({
        "status": "ready",
        "by": c.key_names,
        "measures": c.measures.iter().map(|m| serde_json::json!({"id": m.id(), "label": m.label()})).collect::<Vec<_>>(),
        "groups": groups,
        "significant": significant,
        "tests": if tests_done { "ready" } else { "computing" },
        "articles": c.total_articles,
        "sentences": c.total_sentences,
        "corrected": false,
    })
}
