//! The Compare page's data: `rhetor compare --by outlet` with its default
//! settings on the batch's articles, computed once in the background at
//! start-up: the rates and intervals first, then the pairwise tests (the
//! page says "computing" until each is ready).

use crate::compare::input::Dataset;
use crate::compare::{compare, CompareOptions, Comparison, GroupBy};
use std::sync::{Arc, Mutex};

/// The comparison, once computed.
#[derive(Default)]
pub struct OutletComparison {
    state: Mutex<Option<Result<serde_json::Value, String>>>,
}

impl OutletComparison {
    /// Starts computing the comparison of `data` by `by` in a background thread.
    pub fn start(data: Arc<Dataset>, by: String, bootstrap: usize) -> Arc<OutletComparison> {
        let me = Arc::new(OutletComparison::default());
        let done = Arc::clone(&me);
        std::thread::Builder::new()
            .name("rhetor-compare".into())
            .spawn(move || {
                // The defaults of `rhetor compare` (same numbers), by one
                // column: first the rates and intervals (quick), then again
                // with the pairwise permutation tests (slow on large corpora).
                let full = CompareOptions {
                    by: vec![GroupBy::parse(&by)],
                    bootstrap,
                    ..Default::default()
                };
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
