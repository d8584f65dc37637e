//! Writing a [`Comparison`]: `compare.csv` (tidy, one row per group ×
//! measure), `pairs.csv` (one row per pairwise test) and `compare.md`
//! (readable tables).

use super::{Comparison, GroupStats, Measure, PairTest, PERMUTATION_FLOOR_WARNING};
use crate::error::{Error, Result};
use crate::io::output::csv_error;
use std::io::Write;
use std::path::Path;

/// Header of `compare.csv` (the key columns come first).
pub fn groups_header(c: &Comparison) -> Vec<String> {
    let mut h = c.key_names.clone();
    h.extend(
        [
            "group",
            "device",
            "articles",
            "sentences",
            "flagged_sentences",
            "rate_per_100",
            "rate_ci_low",
            "rate_ci_high",
            "articles_with_device",
            "share_articles",
            "share_ci_low",
            "share_ci_high",
            "small_sample",
        ]
        .map(String::from),
    );
    if c.gold.is_some() {
        h.extend(GOLD_COLUMNS.map(String::from));
    }
    h
}

/// The columns `compare --gold` adds to `compare.csv` (rates per 100 sentences).
pub const GOLD_COLUMNS: [&str; 14] = [
    "n_gold",
    "gold_articles",
    "gold_positives",
    "gold_rate",
    "gold_ci_low",
    "gold_ci_high",
    "ppi_rate",
    "ppi_ci_low",
    "ppi_ci_high",
    "ppi_lambda",
    "precision",
    "recall",
    "articles_to_halve_ci",
    "gold_note",
];

/// The cells of [`GOLD_COLUMNS`] for one group × measure (empty for a measure
/// without labels; a stated note for a group without labels).
fn gold_cells(m: &super::MeasureStats) -> Vec<String> {
    let Some(g) = &m.gold else {
        return vec![String::new(); GOLD_COLUMNS.len()];
    };
    let per100 = |x: Option<f64>| num(x.map(|v| 100.0 * v), 4);
    let a = &g.agreement;
    vec![
        a.sentences.to_string(),
        a.articles.to_string(),
        a.positives.to_string(),
        per100(g.gold.map(|e| e.rate)),
        per100(g.gold.map(|e| e.interval.low)),
        per100(g.gold.map(|e| e.interval.high)),
        per100(g.ppi.map(|e| e.rate)),
        per100(g.ppi.map(|e| e.interval.low)),
        per100(g.ppi.map(|e| e.interval.high)),
        num(g.ppi.map(|e| e.lambda), 4),
        num(a.precision, 4),
        num(a.recall, 4),
        g.articles_to_halve
            .map(|n| n.to_string())
            .unwrap_or_default(),
        if a.sentences == 0 {
            "no labels in this group".into()
        } else {
            String::new()
        },
    ]
}

/// Writes `compare.csv`.
pub fn write_groups_csv<W: Write>(out: W, c: &Comparison) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(groups_header(c)).map_err(csv_error)?;
    for g in &c.groups {
        for m in &g.measures {
            let mut row = g.key.clone();
            row.extend([
                g.label.clone(),
                m.measure.id().to_string(),
                g.articles.to_string(),
                g.sentences.to_string(),
                m.count.to_string(),
                num(m.rate, 4),
                num(m.rate_ci.map(|i| i.low), 4),
                num(m.rate_ci.map(|i| i.high), 4),
                m.articles_with.to_string(),
                num(m.share, 4),
                num(m.share_ci.map(|i| i.low), 4),
                num(m.share_ci.map(|i| i.high), 4),
                g.small.to_string(),
            ]);
            if c.gold.is_some() {
                row.extend(gold_cells(m));
            }
            w.write_record(row).map_err(csv_error)?;
        }
    }
    w.flush().map_err(Error::output)
}

/// Header of `pairs.csv`.
pub fn pairs_header(c: &Comparison) -> Vec<String> {
    let mut h: Vec<String> = c.key_names[1..].to_vec();
    h.extend(
        [
            "key",
            "group_a",
            "group_b",
            "device",
            "articles_a",
            "articles_b",
            "rate_a",
            "rate_b",
            "rate_diff",
            "rate_ratio",
            "rate_p",
            "rate_p_holm",
            "share_a",
            "share_b",
            "share_diff",
            "cohens_h",
            "share_p",
            "share_p_holm",
            "method",
            "note",
        ]
        .map(String::from),
    );
    if c.gold.is_some() {
        h.extend(PPI_PAIR_COLUMNS.map(String::from));
    }
    h
}

/// The columns `compare --gold` adds to `pairs.csv` (per 100 sentences).
pub const PPI_PAIR_COLUMNS: [&str; 5] = [
    "ppi_diff",
    "ppi_diff_ci_low",
    "ppi_diff_ci_high",
    "ppi_p",
    "ppi_p_holm",
];

/// Writes `pairs.csv`.
pub fn write_pairs_csv<W: Write>(out: W, c: &Comparison) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(pairs_header(c)).map_err(csv_error)?;
    for p in &c.pairs {
        let (ga, gb) = (&c.groups[p.a], &c.groups[p.b]);
        let j = c.measure_index(p.measure).unwrap_or(0);
        let (ma, mb) = (&ga.measures[j], &gb.measures[j]);
        let mut row = p.stratum.clone();
        row.extend([
            c.key_names[0].clone(),
            ga.key[0].clone(),
            gb.key[0].clone(),
            p.measure.id().to_string(),
            ga.articles.to_string(),
            gb.articles.to_string(),
            num(ma.rate, 4),
            num(mb.rate, 4),
            num(p.rate_diff, 4),
            num(p.rate_ratio, 4),
            num(p.rate_p, 6),
            num(p.rate_p_holm, 6),
            num(ma.share, 4),
            num(mb.share, 4),
            num(p.share_diff, 4),
            num(p.cohens_h, 4),
            num(p.share_p, 6),
            num(p.share_p_holm, 6),
            p.method.map(|m| m.to_string()).unwrap_or_default(),
            p.note.clone(),
        ]);
        if c.gold.is_some() {
            let per100 = |x: Option<f64>| num(x.map(|v| 100.0 * v), 4);
            row.extend([
                per100(p.ppi.map(|d| d.diff)),
                per100(p.ppi.map(|d| d.interval.low)),
                per100(p.ppi.map(|d| d.interval.high)),
                num(p.ppi.map(|d| d.p), 6),
                num(p.ppi_p_holm, 6),
            ]);
        }
        w.write_record(row).map_err(csv_error)?;
    }
    w.flush().map_err(Error::output)
}

/// A number with `digits` decimals, or an empty field.
fn num(x: Option<f64>, digits: usize) -> String {
    x.map(|v| format!("{v:.digits$}")).unwrap_or_default()
}

/// Writes `compare.csv`, `pairs.csv` and `compare.md` into `dir` (created if needed).
pub fn write_all(dir: &Path, c: &Comparison) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let create = |name: &str| {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .map(std::io::BufWriter::new)
            .map_err(|e| Error::io(path, e))
    };
    write_groups_csv(create("compare.csv")?, c)?;
    write_pairs_csv(create("pairs.csv")?, c)?;
    let md = dir.join("compare.md");
    std::fs::write(&md, markdown(c)).map_err(|e| Error::io(md, e))
}

/// Formats a p-value for people.
pub fn format_p(p: Option<f64>) -> String {
    match p {
        None => "–".into(),
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

/// The device, the differences and the Holm-adjusted p-values of a pair, as
/// the readable tables show them.
pub fn pair_cells(p: &PairTest) -> [String; 7] {
    [
        p.measure.id().to_string(),
        p.rate_diff.map_or("–".into(), |x| format!("{x:+.2}")),
        p.rate_ratio.map_or("–".into(), |x| format!("{x:.2}")),
        format_p(p.rate_p_holm),
        p.share_diff
            .map_or("–".into(), |x| format!("{:+.1}", 100.0 * x)),
        p.cohens_h.map_or("–".into(), |x| format!("{x:+.2}")),
        format_p(p.share_p_holm),
    ]
}

/// `rate [low, high]` per 100 sentences.
pub fn format_rate(m: &super::MeasureStats) -> String {
    match (m.rate, m.rate_ci) {
        (Some(r), Some(ci)) => format!("{r:.2} [{:.2}, {:.2}]", ci.low, ci.high),
        (Some(r), None) => format!("{r:.2}"),
        _ => "–".into(),
    }
}

/// `share% [low, high]`.
pub fn format_share(m: &super::MeasureStats) -> String {
    match (m.share, m.share_ci) {
        (Some(s), Some(ci)) => format!(
            "{:.1} % [{:.1}, {:.1}]",
            100.0 * s,
            100.0 * ci.low,
            100.0 * ci.high
        ),
        _ => "–".into(),
    }
}

/// Escapes `|`, `<`, `>` and line breaks for a Markdown table cell (so that
/// renderers do not read input text as HTML).
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// The readable report `compare.md`.
pub fn markdown(c: &Comparison) -> String {
    let o = &c.options;
    let mut s = String::from("# rhetor compare\n\n");
    s.push_str(&format!(
        "Input: `{}` — {} articles, {} sentences, {} groups (by {}).\n\n",
        c.source,
        c.total_articles,
        c.total_sentences,
        c.groups.len(),
        c.key_names.join(" × ")
    ));
    s.push_str(&format!(
        "Rates are flagged sentences per 100 sentences with {:.0} % percentile bootstrap intervals \
         ({} resamples of articles); shares are the percentage of articles with at least one flagged \
         sentence, with Wilson intervals. Pairwise tests are two-sided permutation tests over articles \
         ({} permutations, or exact enumeration when fewer splits exist), Holm-corrected across all \
         rate tests and, separately, all share tests. Seed {}.\n\n",
        100.0 * o.level,
        o.bootstrap,
        o.permutations,
        o.seed
    ));
    if c.options.by.iter().any(|b| b.is_period()) {
        s.push_str(&format!(
            "Articles without a parseable ISO date (`{}` column): **{}** — grouped as `unknown`, not dropped, and not tested against dated groups.\n\n",
            o.date_column, c.unknown_dates
        ));
    }
    let small: Vec<&GroupStats> = c.groups.iter().filter(|g| g.small).collect();
    if !small.is_empty() {
        s.push_str(&format!(
            "**Too small to test** (fewer than {} articles or {} sentences): {}. Their intervals are wide and no p-value is given.\n\n",
            o.min_articles,
            o.min_sentences,
            small
                .iter()
                .map(|g| format!("`{}` ({} articles, {} sentences)", g.label, g.articles, g.sentences))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    overview_table(&mut s, c);
    measure_table(&mut s, c, "Rate per 100 sentences [95 % CI]", format_rate);
    measure_table(
        &mut s,
        c,
        "Articles with the device, % [95 % CI]",
        format_share,
    );
    pairs_table(&mut s, c);
    if let Some((source, measures)) = &c.gold {
        validation_section(&mut s, c, source, measures);
    }
    s
}

/// `rate [low, high]` per 100 sentences of an estimate (0–1).
pub fn format_estimate(e: Option<&super::ppi::RateEstimate>) -> String {
    e.map_or("–".into(), |e| {
        format!(
            "{:.2} [{:.2}, {:.2}]",
            100.0 * e.rate,
            100.0 * e.interval.low,
            100.0 * e.interval.high
        )
    })
}

/// The sentence that says which rate to cite.
pub const WHICH_RATE_TO_CITE: &str = "Cite the prediction-powered rate: it is unbiased whatever the classifier's errors (the labelled random sample corrects them), and its interval covers both the sampling of articles and the classification error; the naive rate counts the classifier's flags as if they were true.";

fn validation_section(s: &mut String, c: &Comparison, source: &str, measures: &[Measure]) {
    s.push_str(&format!(
        "## Corrected by the labelled sample\n\nLabels: `{}`. {WHICH_RATE_TO_CITE} Rates per 100 sentences with {:.0} % intervals (article-level variance; see docs/compare.md, \"Validating against human coding\").\n\n",
        cell(source),
        100.0 * c.options.level
    ));
    for m in measures {
        let Some(j) = c.measure_index(*m) else {
            continue;
        };
        s.push_str(&format!(
            "### {}\n\n| group | naive (classifier) | labels alone | prediction-powered | labelled sentences (articles) | precision | recall | labelled articles to halve the interval |\n|---|---|---|---|---:|---:|---:|---:|\n",
            m.id()
        ));
        for g in &c.groups {
            let stats = &g.measures[j];
            let Some(gold) = &stats.gold else { continue };
            let a = &gold.agreement;
            let pct = |x: Option<f64>| x.map_or("–".into(), |v| format!("{:.2}", v));
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} ({}) | {} | {} | {} |\n",
                cell(&g.label),
                format_rate(stats),
                format_estimate(gold.gold.as_ref()),
                format_estimate(gold.ppi.as_ref()),
                a.sentences,
                a.articles,
                pct(a.precision),
                pct(a.recall),
                gold.articles_to_halve.map_or("–".into(), |n| n.to_string())
            ));
        }
        s.push('\n');
    }
    let tested: Vec<&PairTest> = c.pairs.iter().filter(|p| p.ppi.is_some()).collect();
    if !tested.is_empty() {
        s.push_str("### Prediction-powered differences\n\n| a | b | device | difference / 100 [CI] | p | p (Holm) |\n|---|---|---|---|---:|---:|\n");
        for p in tested {
            let d = p.ppi.expect("filtered");
            s.push_str(&format!(
                "| {} | {} | {} | {:+.2} [{:+.2}, {:+.2}] | {} | {} |\n",
                cell(&c.groups[p.a].label),
                cell(&c.groups[p.b].label),
                p.measure.id(),
                100.0 * d.diff,
                100.0 * d.interval.low,
                100.0 * d.interval.high,
                format_p(Some(d.p)),
                format_p(p.ppi_p_holm)
            ));
        }
        s.push('\n');
    }
}

fn overview_table(s: &mut String, c: &Comparison) {
    s.push_str("## Groups\n\n| group | articles | sentences | framing rate / 100 [CI] | articles with framing [CI] | note |\n|---|---:|---:|---|---|---|\n");
    let framing = c.measure_index(Measure::Framing).unwrap_or(0);
    for g in &c.groups {
        let m = &g.measures[framing];
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            cell(&g.label),
            g.articles,
            g.sentences,
            format_rate(m),
            format_share(m),
            if g.small { "too small to test" } else { "" }
        ));
    }
    s.push('\n');
}

/// One row per measure, one column per group.
fn measure_table(
    s: &mut String,
    c: &Comparison,
    title: &str,
    format: fn(&super::MeasureStats) -> String,
) {
    s.push_str(&format!("## {title}\n\n| device |"));
    for g in &c.groups {
        let warning = if g.small { " ⚠" } else { "" };
        s.push_str(&format!(" {}{warning} |", cell(&g.label)));
    }
    s.push_str(&format!("\n|---|{}\n", "---|".repeat(c.groups.len())));
    for (j, m) in c.measures.iter().enumerate() {
        let cells: String = c
            .groups
            .iter()
            .map(|g| format!(" {} |", format(&g.measures[j])))
            .collect();
        s.push_str(&format!("| {} |{cells}\n", m.id()));
    }
    s.push('\n');
}

fn pairs_table(s: &mut String, c: &Comparison) {
    let tested: Vec<&PairTest> = c.pairs.iter().filter(|p| p.rate_p.is_some()).collect();
    s.push_str(&format!(
        "## Pairwise differences\n\n{} tests per family ({} pair rows in `pairs.csv`; untested rows say why). Rows with a Holm-adjusted p < 0.05 for the rate or the share:\n\n",
        tested.len(),
        c.pairs.len()
    ));
    if !tested.is_empty() && c.smallest_attainable_p() >= PERMUTATION_FLOOR_WARNING {
        s.push_str(&format!(
            "**Warning:** with {} tests and {} permutations, a Monte Carlo p-value cannot go below 1/{}, so no Holm-adjusted p can go below {:.3}. Raise `--permutations` to at least {} to make small differences detectable.\n\n",
            tested.len(),
            c.options.permutations,
            c.options.permutations + 1,
            c.smallest_attainable_p(),
            100 * tested.len()
        ));
    }
    let significant = c.significant_pairs();
    if significant.is_empty() {
        s.push_str("None.\n\n");
    } else {
        s.push_str("| a | b | device | rate diff / 100 | rate ratio | p (Holm) | share diff (pp) | Cohen's h | p (Holm) |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        for p in significant {
            let (a, b) = (cell(&c.groups[p.a].label), cell(&c.groups[p.b].label));
            s.push_str(&format!("| {a} | {b} | {} |\n", pair_cells(p).join(" | ")));
        }
        s.push('\n');
    }
    let untested_small = c
        .pairs
        .iter()
        .filter(|p| p.note.starts_with("too small"))
        .count();
    if untested_small > 0 {
        s.push_str(&format!(
            "{untested_small} pair rows were not tested because a group is too small (see `note` in `pairs.csv`).\n\n"
        ));
    }
    if c.groups.iter().any(|g| g.is_unknown()) {
        s.push_str("Groups with an `unknown` key are described above but not tested.\n");
    }
}
