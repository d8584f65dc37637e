//! The evaluation report: `metrics.json`, `report.md`, `predictions.csv`, and
//! the short terminal summary.

use super::run::{Averaged, ErrorAnalysis, Evaluation, LabelMetrics, ModelRun};
use super::tune::TunedThreshold;
use crate::error::{Error, Result};
use crate::io::labels::{GoldSet, SkippedLine};
use crate::io::output::csv_error;
use crate::taxonomy::Device;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// Everything `rhetor eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The command line that produced the report.
    pub command: String,
    /// The labelled set (path).
    pub gold: String,
    /// `rhetor_csv`, `ptc` or `checkthat`.
    pub gold_format: String,
    /// The split evaluated, when one was selected.
    pub split: Option<String>,
    /// The devices scored.
    pub scored_devices: Vec<String>,
    /// The model under test.
    pub evaluation: Evaluation,
    /// Baselines evaluated on the same set (with `--baselines`).
    pub baselines: Vec<Evaluation>,
    /// The most confident errors of the model under test.
    pub errors: ErrorAnalysis,
    /// Thresholds tuned on this set (with `--tune`).
    pub tuned: Vec<TunedThreshold>,
    /// Lines skipped with `--skip-bad`.
    pub skipped: Vec<SkippedLine>,
    /// Notes (e.g. a baseline that could not be loaded).
    pub notes: Vec<String>,
    /// True when sentence texts were left out of the report.
    pub redacted: bool,
}

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

fn opt3(x: Option<f64>) -> String {
    x.map(f3).unwrap_or_else(|| "–".into())
}

fn interval(c: Option<crate::stats::Interval>) -> String {
    c.map(|c| format!("[{:.3}, {:.3}]", c.low, c.high))
        .unwrap_or_else(|| "–".into())
}

fn ci(m: &LabelMetrics) -> String {
    interval(m.f1_ci)
}

/// What device metrics say when the gold set labels no techniques.
pub const NOT_AVAILABLE: &str = "n/a (the gold set labels no techniques)";

/// An averaged F1, or [`NOT_AVAILABLE`].
fn avg_f1(a: &Option<Averaged>) -> String {
    a.as_ref()
        .map(|a| f3(a.f1))
        .unwrap_or_else(|| NOT_AVAILABLE.into())
}

/// The base-rate line of the summary, if any.
fn base_rate_line(e: &Evaluation) -> Option<String> {
    let b = e.sentence_level.at_base_rate?;
    Some(format!(
        "at base rate {:.3} (set: {:.3}): P {} R {} F1 {} macro-F1 {}",
        b.base_rate,
        e.positive_sentences as f64 / e.sentences.max(1) as f64,
        f3(b.precision),
        f3(b.recall),
        f3(b.f1),
        f3(b.macro_f1)
    ))
}

/// The short summary printed on the terminal.
pub fn summary(report: &Report) -> String {
    let e = &report.evaluation;
    let s = &e.sentence_level;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "rhetor eval: model `{}` on {} ({}{}): {} articles, {} sentences, {} positive",
        e.model,
        report.gold,
        report.gold_format,
        report
            .split
            .as_deref()
            .map(|s| format!(", split {s}"))
            .unwrap_or_default(),
        e.articles,
        e.sentences,
        e.positive_sentences
    );
    let m = &s.metrics;
    let _ = writeln!(
        out,
        "  sentence-level ({}): P {} R {} F1 {} 95% CI {}  macro-F1 {} 95% CI {}  PR-AUC {}  ECE {:.3}  (threshold {:.3})",
        s.scored_output,
        f3(m.precision),
        f3(m.recall),
        f3(m.f1),
        ci(m),
        f3(s.macro_f1),
        interval(s.macro_f1_ci95),
        opt3(m.pr_auc),
        s.ece,
        m.threshold
    );
    if let Some(line) = base_rate_line(e) {
        let _ = writeln!(out, "  sentence-level {line}");
    }
    match (&e.micro, &e.macro_avg) {
        (Some(micro), Some(macro_avg)) => {
            let _ = writeln!(
                out,
                "  devices: micro F1 {}  macro F1 {}  macro PR-AUC {}",
                f3(micro.f1),
                f3(macro_avg.f1),
                opt3(macro_avg.pr_auc)
            );
        }
        _ => {
            let _ = writeln!(out, "  devices: {NOT_AVAILABLE}");
        }
    }
    if let Some(line) = spans_line(e) {
        let _ = writeln!(out, "  {line}");
    }
    for b in &report.baselines {
        let _ = writeln!(
            out,
            "  baseline {:<14} sentence F1 {}  macro-F1 {}  micro F1 {}  macro F1 {}{}",
            b.model,
            f3(b.sentence_level.metrics.f1),
            f3(b.sentence_level.macro_f1),
            avg_f1(&b.micro),
            avg_f1(&b.macro_avg),
            b.spans
                .as_ref()
                .map(|s| format!("  span SI F1 {}", f3(s.si_f1)))
                .unwrap_or_default()
        );
    }
    for n in &report.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(
            out,
            "  {} malformed lines skipped (listed in report.md)",
            report.skipped.len()
        );
    }
    out
}

/// What the span measures say when the set has gold spans but the model no span head.
pub const NO_SPAN_HEAD: &str = "n/a (the model has no span head)";

/// The TC micro-F1, or why it is not available.
fn tc_text(s: &crate::eval::spans::SpanEvaluation) -> String {
    match (s.tc_micro_f1, &s.per_technique) {
        (Some(f1), _) => f3(f1),
        (None, None) => "n/a (gold spans name no technique)".into(),
        (None, Some(_)) => "n/a (the model gives no token probabilities)".into(),
    }
}

/// The span line of the summary: `None` when the set has no gold spans.
fn spans_line(e: &Evaluation) -> Option<String> {
    if !e.gold_spans {
        return None;
    }
    let Some(s) = &e.spans else {
        return Some(format!("spans (SemEval-2020 Task 11): {NO_SPAN_HEAD}"));
    };
    Some(format!(
        "spans (SemEval-2020 Task 11): SI P {} R {} F1 {} 95% CI {}  TC micro-F1 {} 95% CI {}  ({} gold, {} predicted spans)",
        f3(s.si_precision),
        f3(s.si_recall),
        f3(s.si_f1),
        interval(s.si_f1_ci95),
        tc_text(s),
        interval(s.tc_micro_f1_ci95),
        s.n_gold_spans,
        s.n_predicted_spans
    ))
}

/// The span section of `report.md` (nothing when the set has no gold spans).
fn spans_markdown(out: &mut String, e: &Evaluation) {
    if !e.gold_spans {
        return;
    }
    let _ = writeln!(out, "## Spans (SemEval-2020 Task 11)\n");
    let Some(s) = &e.spans else {
        let _ = writeln!(out, "SI and TC: {NO_SPAN_HEAD}.\n");
        return;
    };
    let _ = writeln!(out, "SI: the task scorer's partial-overlap measure (overlapping spans merged per article; credit |s∩t|/|s| for precision and |s∩t|/|t| for recall, summed over the corpus). TC: the most probable PTC technique over the word pieces of each gold span; micro-F1 (= accuracy). See docs/evaluation.md.\n");
    let _ = writeln!(out, "| measure | value | 95 % CI |\n|---|---:|---|");
    let _ = writeln!(out, "| SI precision | {} | |", f3(s.si_precision));
    let _ = writeln!(out, "| SI recall | {} | |", f3(s.si_recall));
    let _ = writeln!(
        out,
        "| **SI F1** | {} | {} |",
        f3(s.si_f1),
        interval(s.si_f1_ci95)
    );
    let _ = writeln!(
        out,
        "| **TC micro-F1** | {} | {} |",
        tc_text(s),
        interval(s.tc_micro_f1_ci95)
    );
    let _ = writeln!(
        out,
        "\n{} gold spans, {} predicted spans (overlaps merged); {} gold spans with a technique.\n",
        s.n_gold_spans, s.n_predicted_spans, s.n_tc_spans
    );
    if let Some(table) = &s.per_technique {
        let _ = writeln!(out, "| technique | gold spans | predicted spans | span P | span R | span F1 |\n|---|---:|---:|---:|---:|---:|");
        for (id, m) in table {
            let _ = writeln!(
                out,
                "| {id} | {} | {} | {} | {} | {} |",
                m.gold_spans,
                m.predicted_spans,
                f3(m.prf.precision),
                f3(m.prf.recall),
                f3(m.prf.f1)
            );
        }
        let _ = writeln!(out);
    }
}

fn metrics_row(m: &LabelMetrics) -> String {
    format!(
        "| {} | {} | {} | {:.3} | {} | {} | {} | {} | {} |",
        m.label,
        m.support,
        m.predicted,
        m.threshold,
        f3(m.precision),
        f3(m.recall),
        f3(m.f1),
        ci(m),
        opt3(m.pr_auc)
    )
}

/// Renders `report.md`.
pub fn markdown(report: &Report) -> String {
    let e = &report.evaluation;
    let mut out = String::new();
    let _ = writeln!(out, "# rhetor evaluation: `{}`\n", e.model);
    let _ = writeln!(out, "- command: `{}`", report.command);
    let _ = writeln!(
        out,
        "- labelled set: `{}` ({}){}",
        report.gold,
        report.gold_format,
        report
            .split
            .as_deref()
            .map(|s| format!(", split `{s}`"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "- {} articles, {} sentences, {} positive ({:.1} %)",
        e.articles,
        e.sentences,
        e.positive_sentences,
        100.0 * e.positive_sentences as f64 / e.sentences.max(1) as f64
    );
    let _ = writeln!(
        out,
        "- scored devices: {}",
        if report.scored_devices.is_empty() {
            NOT_AVAILABLE.to_string()
        } else {
            report.scored_devices.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "- sentence level scores: {}",
        e.sentence_level.scored_output
    );
    let _ = writeln!(
        out,
        "- confidence intervals: 95 % percentile bootstrap over ARTICLES, {} resamples, seed {}\n",
        e.bootstrap_resamples, e.bootstrap_seed
    );
    let s = &e.sentence_level;
    let _ = writeln!(out, "## Sentence level ({})\n", s.scored_output);
    if e.sentence_level.metrics.label == crate::taxonomy::Label::Framing {
        let _ = writeln!(out, "The `framing` probability vs \"at least one gold device or span\". F1 of the positive class, computed like the NLP4IF-2019 SLC scorer (scikit-learn conventions: a zero denominator gives 0).\n");
    } else {
        let _ = writeln!(out, "The labelled set marks only the author's voice (CheckThat! SUBJ/OBJ): the author-voice device's probability (`{}`) vs SUBJ, not `framing`. P/R/F1 are of SUBJ; macro-F1 (the official CheckThat! measure) is the mean of F1(SUBJ) and F1(OBJ).\n", s.metrics.label);
    }
    let header = "| label | support | predicted | threshold | precision | recall | F1 | F1 95 % CI | PR-AUC |\n|---|---:|---:|---:|---:|---:|---:|---|---:|";
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "{}\n", metrics_row(&s.metrics));
    let _ = writeln!(
        out,
        "- macro-F1 (mean of the F1 of both classes): **{}**, 95 % CI {}",
        f3(s.macro_f1),
        interval(s.macro_f1_ci95)
    );
    let _ = writeln!(out, "- ECE of the scored probability: {:.4}", s.ece);
    if s.framing_ece != s.ece {
        let _ = writeln!(
            out,
            "- ECE of `framing` against the same gold label: {:.4}",
            s.framing_ece
        );
    }
    if let Some(line) = base_rate_line(e) {
        let _ = writeln!(
            out,
            "- {line} (positives reweighted to the prior; recall is unchanged)"
        );
    }
    let _ = writeln!(out);
    if !report.baselines.is_empty() {
        let _ = writeln!(out, "## Baselines on the same set\n");
        let _ = writeln!(out, "| model | sentence P | sentence R | sentence F1 | F1 95 % CI | sentence macro-F1 | sentence PR-AUC | micro F1 | macro F1 | macro PR-AUC | span SI F1 |\n|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
        for b in report.baselines.iter().chain(std::iter::once(e)) {
            let s = &b.sentence_level.metrics;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                b.model,
                f3(s.precision),
                f3(s.recall),
                f3(s.f1),
                ci(s),
                f3(b.sentence_level.macro_f1),
                opt3(s.pr_auc),
                avg_f1(&b.micro),
                avg_f1(&b.macro_avg),
                b.macro_avg
                    .as_ref()
                    .map(|m| opt3(m.pr_auc))
                    .unwrap_or_else(|| NOT_AVAILABLE.into()),
                opt3(b.spans.as_ref().map(|s| s.si_f1))
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Per device\n");
    if let Some(devices) = &e.devices {
        if !e.techniques_labelled {
            let _ = writeln!(
                out,
                "Techniques: {NOT_AVAILABLE}; only the author-voice device is scored.\n"
            );
        }
        let _ = writeln!(out, "{header}");
        for m in devices {
            let _ = writeln!(out, "{}", metrics_row(m));
        }
    }
    match (&e.micro, &e.macro_avg) {
        (Some(micro), Some(macro_avg)) => {
            let _ = writeln!(
                out,
                "| **micro** | | | | {} | {} | {} | {} | |",
                f3(micro.precision),
                f3(micro.recall),
                f3(micro.f1),
                micro
                    .f1_ci
                    .map(|c| format!("[{:.3}, {:.3}]", c.low, c.high))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                out,
                "| **macro** (devices with support) | | | | {} | {} | {} | {} | {} |\n",
                f3(macro_avg.precision),
                f3(macro_avg.recall),
                f3(macro_avg.f1),
                macro_avg
                    .f1_ci
                    .map(|c| format!("[{:.3}, {:.3}]", c.low, c.high))
                    .unwrap_or_default(),
                opt3(macro_avg.pr_auc)
            );
        }
        _ if e.devices.is_some() => {
            let _ = writeln!(
                out,
                "\nmicro and macro averages over techniques: {NOT_AVAILABLE}\n"
            );
        }
        _ => {
            let _ = writeln!(out, "Device metrics: {NOT_AVAILABLE}\n");
        }
    }
    spans_markdown(&mut out, e);
    let _ = writeln!(
        out,
        "## Calibration of the scored probability (`{}`)\n",
        e.sentence_level.metrics.label
    );
    let _ = writeln!(
        out,
        "Expected calibration error (10 equal-width bins): **{:.4}**\n",
        e.calibration.ece
    );
    let _ = writeln!(
        out,
        "| bin | n | mean predicted | observed rate |\n|---|---:|---:|---:|"
    );
    for b in &e.calibration.bins {
        let _ = writeln!(
            out,
            "| {:.1}–{:.1} | {} | {:.3} | {:.3} |",
            b.low, b.high, b.count, b.mean_confidence, b.observed_rate
        );
    }
    let _ = writeln!(out);
    if !report.tuned.is_empty() {
        let _ = writeln!(out, "## Tuned thresholds (best F1 on this set)\n");
        let _ = writeln!(
            out,
            "| label | before | after | F1 at tuned |\n|---|---:|---:|---:|"
        );
        for t in &report.tuned {
            let _ = writeln!(
                out,
                "| {} | {:.3} | {:.3} | {:.3} |",
                t.label, t.before, t.after, t.f1
            );
        }
        let _ = writeln!(out);
    }
    for (title, cases) in [
        (
            "Most confident false positives",
            &report.errors.false_positives,
        ),
        (
            "Most confident false negatives",
            &report.errors.false_negatives,
        ),
    ] {
        let _ = writeln!(out, "## {title}\n");
        if report.redacted {
            let _ = writeln!(out, "(sentence texts left out: `--redact`)\n");
        }
        let _ = writeln!(out, "| article | sentence | line | score | framing | gold | flagged | cues | text |\n|---|---:|---:|---:|---:|---|---|---|---|");
        for c in cases {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.3} | {:.3} | {} | {} | {} | {} |",
                c.article_id,
                c.sentence_index,
                c.line.map(|l| l.to_string()).unwrap_or_default(),
                c.score,
                c.framing,
                c.gold_devices.join(", "),
                c.predicted_devices.join(", "),
                md_cell(&c.cues.join("; ")),
                md_cell(c.text.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out);
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "## Notes\n");
        for n in &report.notes {
            let _ = writeln!(out, "- {n}");
        }
        let _ = writeln!(out);
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(out, "## Skipped malformed lines (`--skip-bad`)\n");
        for s in &report.skipped {
            let _ = writeln!(out, "- {}: {}", s.location, s.reason);
        }
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Writes `predictions.csv`: one row per sentence with gold labels, the
/// model's decisions and its probability for every scored device.
/// `predicted_positive` is the sentence-level decision (`framing`, or the
/// author-voice device for a set that labels only the author's voice).
pub fn write_predictions<W: Write>(
    w: W,
    gold: &GoldSet,
    run: &ModelRun,
    devices: &[Device],
    redact: bool,
) -> Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let mut header: Vec<String> = [
        "article_id",
        "sentence_index",
        "line",
        "gold_positive",
        "gold_devices",
        "framing",
        "predicted_positive",
        "predicted_devices",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(devices.iter().map(|d| format!("p_{}", d.id())));
    if !redact {
        header.push("text".into());
    }
    csv.write_record(&header).map_err(csv_error)?;
    for (a, scores) in gold.articles.iter().zip(&run.scores) {
        for (s, sc) in a.sentences.iter().zip(scores) {
            let mut row = vec![
                a.id.clone(),
                s.index.to_string(),
                s.line.map(|l| l.to_string()).unwrap_or_default(),
                u8::from(s.positive).to_string(),
                ids(&s.devices),
                format!("{:.4}", sc.framing),
                u8::from(run.decision(gold, sc)).to_string(),
                ids(&run.thresholds.flagged(&sc.probs)),
            ];
            row.extend(devices.iter().map(|d| format!("{:.4}", sc.prob(*d))));
            if !redact {
                row.push(s.text.clone());
            }
            csv.write_record(&row).map_err(csv_error)?;
        }
    }
    csv.flush().map_err(Error::output)
}

fn ids(devices: &[Device]) -> String {
    devices.iter().map(|d| d.id()).collect::<Vec<_>>().join(";")
}

/// Writes `metrics.json`, `report.md` and `predictions.csv` into `dir`.
pub fn write_report_dir(
    dir: &Path,
    report: &Report,
    gold: &GoldSet,
    run: &ModelRun,
    devices: &[Device],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    crate::json::write_pretty(&dir.join("metrics.json"), report)?;
    let p = dir.join("report.md");
    std::fs::write(&p, markdown(report)).map_err(|e| Error::io(&p, e))?;
    let p = dir.join("predictions.csv");
    let f = std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?;
    write_predictions(
        std::io::BufWriter::new(f),
        gold,
        run,
        devices,
        report.redacted,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::run::{constant_run, error_analysis, evaluate};
    use crate::eval::spans::{SpanEvaluation, SpanPrf, TechniqueSpanMetrics};
    use crate::eval::{GoldArticle, GoldFormat, GoldSentence};
    use std::collections::BTreeMap;

    fn report(gold_spans: bool, spans: Option<SpanEvaluation>) -> Report {
        let gold = GoldSet {
            source: "x".into(),
            format: GoldFormat::Ptc,
            articles: vec![GoldArticle {
                id: "1".into(),
                title: None,
                sentences: vec![GoldSentence {
                    index: 0,
                    line: Some(1),
                    text: "s".into(),
                    devices: vec![],
                    positive: false,
                    split: None,
                    char_span: Some((0, 1)),
                }],
                text: Some("s".into()),
                spans: gold_spans.then(Vec::new),
            }],
            devices: vec![],
            skipped: vec![],
        };
        let run = constant_run(&gold, "m", 0.0);
        let mut evaluation = evaluate(&gold, &run, 0);
        evaluation.spans = spans;
        Report {
            command: "rhetor eval".into(),
            gold: "x".into(),
            gold_format: "ptc".into(),
            split: None,
            scored_devices: vec![],
            errors: error_analysis(&gold, &run, 5, true),
            evaluation,
            baselines: vec![],
            tuned: vec![],
            skipped: vec![],
            notes: vec![],
            redacted: true,
        }
    }

    #[test]
    fn span_measures_are_printed_or_said_to_be_missing() {
        let none = report(true, None);
        assert!(summary(&none)
            .contains("spans (SemEval-2020 Task 11): n/a (the model has no span head)"));
        assert!(markdown(&none).contains("SI and TC: n/a (the model has no span head)."));
        let no_gold = report(false, None);
        assert!(!summary(&no_gold).contains("SemEval-2020"));
        assert!(!markdown(&no_gold).contains("## Spans"));
        let mut per_technique = BTreeMap::new();
        per_technique.insert(
            "doubt".to_string(),
            TechniqueSpanMetrics {
                prf: SpanPrf {
                    precision: 0.5,
                    recall: 0.25,
                    f1: 1.0 / 3.0,
                },
                gold_spans: 4,
                predicted_spans: 2,
            },
        );
        let some = report(
            true,
            Some(SpanEvaluation {
                si_precision: 0.5,
                si_recall: 0.25,
                si_f1: 1.0 / 3.0,
                si_f1_ci95: None,
                tc_micro_f1: None,
                tc_micro_f1_ci95: None,
                per_technique: Some(per_technique),
                n_gold_spans: 4,
                n_predicted_spans: 2,
                n_tc_spans: 4,
            }),
        );
        let line = summary(&some);
        assert!(line.contains("SI P 0.500 R 0.250 F1 0.333"), "{line}");
        assert!(
            line.contains("TC micro-F1 n/a (the model gives no token probabilities)"),
            "{line}"
        );
        let md = markdown(&some);
        assert!(md.contains("| **SI F1** | 0.333 | – |"), "{md}");
        assert!(
            md.contains("| doubt | 4 | 2 | 0.500 | 0.250 | 0.333 |"),
            "{md}"
        );
    }
}
