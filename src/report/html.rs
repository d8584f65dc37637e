//! Self-contained HTML pages (inline CSS, JS and SVG; no network): the
//! per-article view with framing sentences highlighted and cue spans marked
//! (`rhetor score --format html`), and the comparison report (`rhetor
//! report`) with a heat map, rate charts, a time series and article views.
//!
//! Every piece of text from the input goes through [`escape`]; data reaches
//! the script only through escaped `data-*` attributes, never inside
//! `<script>`.

use super::view::{ArticleView, CueView, FlaggedLabel, SentenceView, SpanView};
use super::{charts, escape};
use crate::compare::output::{
    format_estimate, format_rate, format_share, pair_cells, WHICH_RATE_TO_CITE,
};
use crate::compare::{Comparison, Measure, PERMUTATION_FLOOR_WARNING};
use crate::error::{Error, Result};
use crate::io::output::OutputOptions;
use crate::score::ScoredArticle;
use crate::taxonomy::Device;
use std::fmt::Write as _;
use std::io::Write;

const STYLE: &str = r#"
:root { --ink:#1d1d1f; --muted:#666; --line:#ddd; --hl:255,190,0; }
* { box-sizing:border-box; }
body { font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--ink); margin:0; background:#fafafa; }
main { max-width:1100px; margin:0 auto; padding:24px 28px 60px; background:#fff; }
h1 { font-size:1.6em; margin:0 0 4px; } h2 { font-size:1.25em; margin:36px 0 8px; border-bottom:1px solid var(--line); padding-bottom:4px; }
h3 { font-size:1.05em; margin:22px 0 4px; }
.muted, .meta { color:var(--muted); font-size:0.92em; }
nav a { margin-right:14px; }
table { border-collapse:collapse; font-size:0.9em; margin:8px 0; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
svg { max-width:100%; height:auto; }
.charts { display:flex; flex-wrap:wrap; gap:8px; }
.charts > div { border:1px solid var(--line); }
.heatmap rect.cell { stroke:#fff; stroke-width:1; cursor:default; }
.heatmap rect.cell:hover { stroke:#000; stroke-width:2; }
.warn { background:#fff4e5; border-left:4px solid #f0a020; padding:6px 10px; }
article.doc { border-top:2px solid var(--line); margin-top:26px; }
article.doc p { margin:0 0 10px; max-width:46em; }
.s.flagged { background:rgba(var(--hl), calc(0.12 + 0.45 * var(--f, 0.5))); border-radius:3px; cursor:help; }
.s.flagged:focus { outline:2px solid #333; }
.s.attributed { font-style:italic; }
mark.cue { background:none; color:inherit; border-bottom:3px solid var(--c, #c00); padding-bottom:1px; cursor:help; }
mark.span { color:inherit; background:color-mix(in srgb, var(--c, #c00) 28%, transparent); border-radius:2px; cursor:help; }
.legend b { display:inline-block; width:14px; height:12px; background:color-mix(in srgb, var(--c) 28%, transparent); vertical-align:middle; margin-right:4px; }
.legend span { display:inline-block; margin:2px 10px 2px 0; font-size:0.85em; }
.legend i { display:inline-block; width:18px; height:4px; background:var(--c); vertical-align:middle; margin-right:4px; }
#tip { position:fixed; z-index:10; max-width:420px; background:#222; color:#fff; padding:6px 9px; border-radius:4px; font-size:0.85em; line-height:1.4; pointer-events:none; white-space:pre-line; box-shadow:0 2px 8px rgba(0,0,0,.3); }
#tip[hidden] { display:none; }
"#;

const SCRIPT: &str = r#"
(function () {
  'use strict';
  var tip = document.getElementById('tip');
  function target(e) {
    var t = e.target;
    return t && t.closest ? t.closest('[data-tip]') : null;
  }
  function place(x, y) {
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var left = Math.min(x + 14, window.innerWidth - w - 8);
    var top = y + 16 + h > window.innerHeight ? y - h - 10 : y + 16;
    tip.style.left = Math.max(4, left) + 'px';
    tip.style.top = Math.max(4, top) + 'px';
  }
  function show(el, x, y) {
    tip.textContent = el.getAttribute('data-tip');
    tip.setAttribute('data-for', el.getAttribute('data-devices') || el.getAttribute('data-device') || '');
    tip.hidden = false;
    place(x, y);
  }
  function hide() { tip.hidden = true; }
  document.addEventListener('mouseover', function (e) {
    var el = target(e);
    if (el) { show(el, e.clientX || 0, e.clientY || 0); } else { hide(); }
  });
  document.addEventListener('mousemove', function (e) {
    if (!tip.hidden) { place(e.clientX || 0, e.clientY || 0); }
  });
  document.addEventListener('mouseout', function (e) {
    if (!e.relatedTarget || !(e.relatedTarget.closest && e.relatedTarget.closest('[data-tip]'))) { hide(); }
  });
  document.addEventListener('focusin', function (e) {
    var el = target(e);
    if (el) { var r = el.getBoundingClientRect(); show(el, r.left, r.bottom); }
  });
  document.addEventListener('focusout', hide);
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') { hide(); } });
})();
"#;

/// A colour per device (for cue underlines and the legend).
pub fn device_colour(d: Device) -> String {
    let i = d.index();
    let hue = (i * 360 / Device::ALL.len() + (i % 2) * 180) % 360;
    format!(
        "hsl({hue},70%,{}%)",
        if i.is_multiple_of(3) { 38 } else { 45 }
    )
}

/// Wraps `body` in a complete page.
fn page(title: &str, body: &str) -> String {
    let mut css = String::from(STYLE);
    for d in Device::ALL {
        let _ = writeln!(css, ".d-{} {{ --c:{}; }}", d.id(), device_colour(d));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
<title>{}</title>\n<style>{css}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n\
<div id=\"tip\" role=\"tooltip\" hidden></div>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(title)
    )
}

/// The colour legend of the devices that occur in `views`: model spans are
/// shaded in the technique's colour, cues underlined in it.
fn legend(devices: &[Device]) -> String {
    let mut s = String::from(
        "<div class=\"legend\">Technique colours (shaded: span found by the model's span head; underlined: cue that explains a score): ",
    );
    for d in devices {
        let _ = write!(
            s,
            "<span class=\"d-{}\"><b></b><i></i>{}</span>",
            d.id(),
            escape(d.label())
        );
    }
    s.push_str("</div>\n");
    s
}

/// The tooltip text of a sentence.
fn sentence_tip(s: &SentenceView) -> String {
    let mut tip = s
        .flagged
        .iter()
        .map(|(d, p)| format!("{} {:.2}", d.id(), p))
        .collect::<Vec<_>>()
        .join(" · ");
    let _ = write!(tip, "\nframing {:.2}", s.framing);
    if s.attributed {
        tip.push_str(" · attributed speech");
    }
    for c in &s.cues {
        let _ = write!(
            tip,
            "\ncue “{}” → {} (weight {:.2}{})",
            c.text,
            c.device.id(),
            c.weight,
            if c.attributed { ", attributed" } else { "" }
        );
    }
    tip
}

/// One sentence: a `span.s` (flagged ones carry `data-devices` and a tooltip),
/// with the locatable, non-overlapping cues as `mark.cue` elements.
fn sentence_html(s: &SentenceView) -> String {
    let flagged = if s.flagged.is_empty() { "" } else { " flagged" };
    let attributed = if s.attributed { " attributed" } else { "" };
    let mut html = format!("<span class=\"s{flagged}{attributed}\"");
    if !s.flagged.is_empty() {
        let ids: Vec<&str> = s.flagged.iter().map(|(d, _)| d.id()).collect();
        let _ = write!(
            html,
            " data-devices=\"{}\" data-tip=\"{}\" style=\"--f:{:.3}\" tabindex=\"0\"",
            ids.join(" "),
            escape(&sentence_tip(s)),
            s.framing.clamp(0.0, 1.0)
        );
    }
    html.push('>');
    let cues = placed_cues(s);
    let spans = located(&s.text, s.spans.iter().map(|sp| (sp.range, sp)));
    let ranges = cues.iter().map(|c| c.0).chain(spans.iter().map(|sp| sp.0));
    let mut cuts: Vec<usize> = ranges.flat_map(|(a, b)| [a, b]).collect();
    cuts.extend([0, s.text.len()]);
    cuts.sort_unstable();
    cuts.dedup();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let covers = |(x, y): &(usize, usize)| *x <= a && b <= *y;
        let mut piece = escape(&s.text[a..b]);
        if let Some((_, c)) = cues.iter().find(|(r, _)| covers(r)) {
            piece = cue_mark(c, &piece);
        }
        let span = spans
            .iter()
            .filter(|(r, _)| covers(r))
            .max_by(|x, y| x.1.probability.total_cmp(&y.1.probability));
        if let Some((_, sp)) = span {
            piece = span_mark(sp, &piece);
        }
        html.push_str(&piece);
    }
    html.push_str("</span>");
    html
}

/// The items whose range lies on character boundaries of `text`, with their range.
fn located<'a, T>(
    text: &str,
    items: impl Iterator<Item = (Option<(usize, usize)>, &'a T)>,
) -> Vec<((usize, usize), &'a T)> {
    let items = items.filter_map(|(range, item)| range.map(|r| (r, item)));
    items
        .filter(|((a, b), _)| text.get(*a..*b).is_some())
        .collect()
}

/// The locatable cues of a sentence that do not overlap an earlier one.
fn placed_cues(s: &SentenceView) -> Vec<((usize, usize), &CueView)> {
    let mut cues = located(&s.text, s.cues.iter().map(|c| (c.range, c)));
    cues.sort_by_key(|(r, _)| *r);
    let mut at = 0;
    cues.retain(|((a, b), _)| {
        let keep = *a >= at;
        if keep {
            at = *b;
        }
        keep
    });
    cues
}

/// A `mark` of `class` (`cue` or `span`) for device `d` with tooltip `tip`
/// around already escaped `inner` HTML.
fn mark(class: &str, d: Device, tip: &str, inner: &str) -> String {
    let (id, label) = (d.id(), d.label());
    let tip = escape(&format!("{id} ({label}) — {tip}"));
    format!("<mark class=\"{class} d-{id}\" data-device=\"{id}\" data-tip=\"{tip}\">{inner}</mark>")
}

/// A cue's underline around already escaped `inner` HTML.
fn cue_mark(c: &CueView, inner: &str) -> String {
    let (text, pattern, weight) = (&c.text, &c.pattern, c.weight);
    let mut tip = format!("cue “{text}”\npattern {pattern} · weight {weight:.2}");
    if c.attributed {
        tip.push_str(" · inside attributed speech");
    }
    mark("cue", c.device, &tip, inner)
}

/// A model span's shading around already escaped `inner` HTML.
fn span_mark(sp: &SpanView, inner: &str) -> String {
    let (text, p) = (&sp.text, sp.probability);
    let tip = format!("span “{text}”\nfound by the model's span head · probability {p:.2}");
    mark("span", sp.device, &tip, inner)
}

/// One article: title, metadata and paragraphs of sentences.
pub fn article_html(view: &ArticleView, anchor: &str) -> String {
    let mut html = format!("<article class=\"doc\" id=\"{}\">\n", escape(anchor));
    let title = view.title.as_deref().unwrap_or(&view.id);
    let _ = writeln!(html, "<h3>{}</h3>", escape(title));
    let mut meta = vec![format!("id {}", view.id)];
    meta.extend(
        view.meta
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k} {v}")),
    );
    meta.push(format!(
        "{} of {} sentences flagged",
        view.flagged_sentences(),
        view.sentences.len()
    ));
    let _ = writeln!(
        html,
        "<div class=\"meta\">{}</div>",
        escape(&meta.join(" · "))
    );
    for paragraph in view.sentences.chunk_by(|a, b| a.paragraph == b.paragraph) {
        let sentences: Vec<String> = paragraph.iter().map(sentence_html).collect();
        let _ = writeln!(html, "<p>{}</p>", sentences.join(" "));
    }
    html.push_str("</article>\n");
    html
}

/// The devices flagged or cued anywhere in `views`, in [`Device::ALL`] order.
fn devices_in(views: &[ArticleView]) -> Vec<Device> {
    Device::ALL
        .iter()
        .copied()
        .filter(|d| {
            views.iter().flat_map(|v| &v.sentences).any(|s| {
                s.flagged
                    .iter()
                    .any(|(x, _)| *x == FlaggedLabel::Device(*d))
                    || s.cues.iter().any(|c| c.device == *d)
                    || s.spans.iter().any(|sp| sp.device == *d)
            })
        })
        .collect()
}

/// The article views with an index table and the legend.
fn articles_section(views: &[ArticleView]) -> String {
    let mut html = legend(&devices_in(views));
    html.push_str("<p class=\"muted\">Highlighted sentences carry at least one flagged device (the stronger the colour, the higher the framing score); underlined spans are the cues that explain the score. Hover or focus them for device, score and cue.</p>\n");
    if views.len() > 1 {
        html.push_str("<table class=\"index\"><tr><th>article</th><th>outlet · date</th><th class=\"num\">sentences</th><th class=\"num\">flagged</th></tr>\n");
        for (i, v) in views.iter().enumerate() {
            let where_when: Vec<&str> = v
                .meta
                .iter()
                .filter(|(k, value)| (k == "outlet" || k == "date") && !value.is_empty())
                .map(|(_, value)| value.as_str())
                .collect();
            let _ = writeln!(
                html,
                "<tr><td><a href=\"#article-{i}\">{}</a></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(v.title.as_deref().unwrap_or(&v.id)),
                escape(&where_when.join(" · ")),
                v.sentences.len(),
                v.flagged_sentences()
            );
        }
        html.push_str("</table>\n");
    }
    for (i, v) in views.iter().enumerate() {
        html.push_str(&article_html(v, &format!("article-{i}")));
    }
    html
}

/// Writes one page with every scored article (`rhetor score --format html`).
pub fn write_article_page<W: Write>(
    out: W,
    articles: &[ScoredArticle],
    options: &OutputOptions,
) -> Result<()> {
    let views: Vec<ArticleView> = articles
        .iter()
        .map(|a| ArticleView::from_scored(a, options))
        .collect();
    let title = match views.as_slice() {
        [one] => format!("rhetor — {}", one.title.as_deref().unwrap_or(&one.id)),
        _ => format!("rhetor — {} articles", views.len()),
    };
    let body = format!("<h1>{}</h1>\n{}", escape(&title), articles_section(&views));
    write_page(out, &title, &body)
}

/// Writes `body` as a complete page.
fn write_page<W: Write>(mut out: W, title: &str, body: &str) -> Result<()> {
    out.write_all(page(title, body).as_bytes())
        .map_err(Error::output)?;
    out.flush().map_err(Error::output)
}

/// What the comparison report shows.
pub struct Report<'a> {
    /// Page title.
    pub title: String,
    /// The comparison drawn in the heat map, rate charts and pairs table.
    pub main: &'a Comparison,
    /// A comparison with a period key for the time series, if any.
    pub series: Option<&'a Comparison>,
    /// Articles shown in full.
    pub articles: &'a [ArticleView],
    /// How many articles the source had (to say how many are shown).
    pub articles_available: Option<usize>,
    /// How the shown articles were chosen (e.g. ", those with the most flagged sentences").
    pub articles_note: String,
}

/// Writes the comparison report (`rhetor report`).
pub fn write_report<W: Write>(out: W, report: &Report<'_>) -> Result<()> {
    let c = report.main;
    let mut body = format!("<h1>{}</h1>\n", escape(&report.title));
    let _ = writeln!(
        body,
        "<p class=\"muted\">{} — {} articles, {} sentences, {} groups by {}.</p>",
        escape(&c.source),
        c.total_articles,
        c.total_sentences,
        c.groups.len(),
        escape(&c.key_names.join(" × "))
    );
    body.push_str("<nav><a href=\"#heatmap\">Heat map</a><a href=\"#rates\">Rates</a>");
    if report.series.is_some() {
        body.push_str("<a href=\"#series\">Over time</a>");
    }
    if c.gold.is_some() {
        body.push_str("<a href=\"#corrected\">Corrected</a>");
    }
    body.push_str("<a href=\"#pairs\">Differences</a><a href=\"#groups\">Groups</a>");
    if !report.articles.is_empty() {
        body.push_str("<a href=\"#articles\">Articles</a>");
    }
    body.push_str("<a href=\"#method\">Method</a></nav>\n");
    body.push_str(&warnings(c, report.series));
    body.push_str("<h2 id=\"heatmap\">Devices per 100 sentences</h2>\n<p class=\"muted\">One cell per group × device; darker = more flagged sentences per 100 sentences (scale relative to the largest cell). Hover a cell for its interval and article share.</p>\n");
    body.push_str(&charts::heat_map(c));
    body.push_str(&rates_section(c)?);
    body.push_str(&corrected_section(c));
    if let Some(series) = report.series {
        body.push_str(&series_section(series)?);
    }
    body.push_str(&pairs_section(c));
    body.push_str(&groups_section(c));
    if !report.articles.is_empty() {
        let _ = writeln!(
            body,
            "<h2 id=\"articles\">Articles</h2>\n<p class=\"muted\">Showing {} of {} articles{}.</p>",
            report.articles.len(),
            report
                .articles_available
                .map_or("?".to_string(), |n| n.to_string()),
            report.articles_note
        );
        body.push_str(&articles_section(report.articles));
    }
    body.push_str(&method_section(c));
    write_page(out, &report.title, &body)
}

/// Unknown dates (from whichever comparison has a period), the main
/// comparison's small groups by name and the time series' by count.
fn warnings(c: &Comparison, series: Option<&Comparison>) -> String {
    let mut html = String::new();
    let dated = series.unwrap_or(c);
    if dated.options.by.iter().any(|b| b.is_period()) && dated.unknown_dates > 0 {
        let _ = writeln!(
            html,
            "<p class=\"warn\">{} articles have no parseable ISO date in <code>{}</code>; they form the <code>unknown</code> group (counted, not dropped).</p>",
            dated.unknown_dates,
            escape(&dated.options.date_column)
        );
    }
    if let Some(s) = series.filter(|s| !std::ptr::eq(*s, c)) {
        let small = s.groups.iter().filter(|g| g.small).count();
        if small > 0 {
            let _ = writeln!(
                html,
                "<p class=\"warn\">{small} of {} groups of the time series ({}) are too small to test; read their intervals with care.</p>",
                s.groups.len(),
                escape(&s.key_names.join(" × "))
            );
        }
    }
    let small: Vec<String> = c
        .groups
        .iter()
        .filter(|g| g.small)
        .map(|g| {
            format!(
                "{} ({} articles, {} sentences)",
                g.label, g.articles, g.sentences
            )
        })
        .collect();
    if !small.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"warn\">⚠ Too small to test (fewer than {} articles or {} sentences): {}.</p>",
            c.options.min_articles,
            c.options.min_sentences,
            escape(&small.join(", "))
        );
    }
    html
}

/// Measures worth a chart: framing, and devices flagged at least once.
fn charted_measures(c: &Comparison) -> Vec<Measure> {
    c.measures
        .iter()
        .enumerate()
        .filter(|(j, m)| {
            **m == Measure::Framing || c.groups.iter().any(|g| g.measures[*j].count > 0)
        })
        .map(|(_, m)| *m)
        .collect()
}

fn rates_section(c: &Comparison) -> Result<String> {
    let mut html = String::from("<h2 id=\"rates\">Rates with 95 % intervals</h2>\n<p class=\"muted\">Dots: flagged sentences per 100 sentences; bars: bootstrap interval over articles. Grey: group too small to test.</p>\n<div class=\"charts\">\n");
    let charted = charted_measures(c);
    for m in &charted {
        let _ = writeln!(
            html,
            "<div class=\"chart\" data-measure=\"{}\">{}</div>",
            m.id(),
            charts::rate_chart(c, *m)?
        );
    }
    html.push_str("</div>\n");
    let silent: Vec<&str> = c
        .measures
        .iter()
        .filter(|m| !charted.contains(m))
        .map(|m| m.id())
        .collect();
    if !silent.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"muted\">Never flagged in any group: {}.</p>",
            silent.join(", ")
        );
    }
    Ok(html)
}

fn series_section(series: &Comparison) -> Result<String> {
    let mut html = String::from("<h2 id=\"series\">Over time</h2>\n<p class=\"muted\">Points: flagged sentences per 100 sentences per period; bars: 95 % interval. Hollow points without bars: groups too small to test.</p>\n");
    // Framing plus the four devices with the highest overall counts.
    let mut devices: Vec<(u64, Measure)> = charted_measures(series)
        .iter()
        .filter(|m| **m != Measure::Framing)
        .map(|m| {
            let j = series.measure_index(*m).unwrap_or(0);
            (series.groups.iter().map(|g| g.measures[j].count).sum(), *m)
        })
        .collect();
    devices.sort_by_key(|d| std::cmp::Reverse(d.0));
    let top_devices = devices.into_iter().take(4).map(|(_, m)| m);
    for m in std::iter::once(Measure::Framing).chain(top_devices) {
        if let Some(svg) = charts::time_series(series, m)? {
            let _ = writeln!(
                html,
                "<div class=\"chart series\" data-measure=\"{}\">{svg}</div>",
                m.id()
            );
        }
    }
    Ok(html)
}

fn pairs_section(c: &Comparison) -> String {
    let mut html = String::from("<h2 id=\"pairs\">Differences between groups</h2>\n");
    let tested = c.pairs.iter().filter(|p| p.rate_p.is_some()).count();
    let significant = c.significant_pairs();
    let _ = writeln!(
        html,
        "<p class=\"muted\">{tested} permutation tests per family; {} with a Holm-adjusted p &lt; 0.05 for the rate or the share. The full list is in <code>pairs.csv</code> (<code>rhetor compare</code>).</p>",
        significant.len()
    );
    if tested > 0 && c.smallest_attainable_p() >= PERMUTATION_FLOOR_WARNING {
        let _ = writeln!(
            html,
            "<p class=\"warn\">With {tested} tests and {} permutations no Holm-adjusted p-value can go below {:.3}: rerun with <code>--permutations {}</code> or more.</p>",
            c.options.permutations,
            c.smallest_attainable_p(),
            100 * tested
        );
    }
    if significant.is_empty() {
        return html;
    }
    html.push_str("<table><tr><th>group a</th><th>group b</th><th>device</th><th class=\"num\">rate diff / 100</th><th class=\"num\">ratio</th><th class=\"num\">p (Holm)</th><th class=\"num\">share diff (pp)</th><th class=\"num\">Cohen's h</th><th class=\"num\">p (Holm)</th></tr>\n");
    for p in significant.iter().take(60) {
        let [device, numbers @ ..] = pair_cells(p);
        let numbers: String = numbers
            .iter()
            .map(|x| format!("<td class=\"num\">{x}</td>"))
            .collect();
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{device}</td>{numbers}</tr>",
            escape(&c.groups[p.a].label),
            escape(&c.groups[p.b].label),
        );
    }
    html.push_str("</table>\n");
    if significant.len() > 60 {
        let _ = writeln!(
            html,
            "<p class=\"muted\">… and {} more.</p>",
            significant.len() - 60
        );
    }
    html
}

/// With `--gold`: per labelled measure, the naive, labels-alone and
/// prediction-powered rates side by side, and which one to cite.
fn corrected_section(c: &Comparison) -> String {
    let Some((source, measures)) = &c.gold else {
        return String::new();
    };
    let mut html = format!(
        "<h2 id=\"corrected\">Corrected by the labelled sample</h2>\n<p><strong>{}</strong></p>\n<p class=\"muted\">Labels: {}. Per 100 sentences with 95 % intervals; precision and recall of the classifier on each group's labels.</p>\n",
        escape(WHICH_RATE_TO_CITE),
        escape(source)
    );
    for m in measures {
        let Some(j) = c.measure_index(*m) else {
            continue;
        };
        let _ = writeln!(
            html,
            "<h3>{}</h3>\n<table><tr><th>group</th><th>naive (classifier)</th><th>labels alone</th><th>prediction-powered</th><th class=\"num\">labelled sentences</th><th class=\"num\">precision</th><th class=\"num\">recall</th></tr>",
            escape(m.id())
        );
        for g in &c.groups {
            let stats = &g.measures[j];
            let Some(gold) = &stats.gold else { continue };
            let a = &gold.agreement;
            let ratio = |x: Option<f64>| x.map_or("–".into(), |v| format!("{v:.2}"));
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><strong>{}</strong></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&g.label),
                format_rate(stats),
                format_estimate(gold.gold.as_ref()),
                format_estimate(gold.ppi.as_ref()),
                a.sentences,
                ratio(a.precision),
                ratio(a.recall)
            );
        }
        html.push_str("</table>\n");
    }
    html
}

fn groups_section(c: &Comparison) -> String {
    let mut html = String::from("<h2 id=\"groups\">Groups</h2>\n<table><tr><th>group</th><th class=\"num\">articles</th><th class=\"num\">sentences</th><th>framing / 100 [CI]</th><th>articles with framing [CI]</th><th></th></tr>\n");
    let j = c.measure_index(Measure::Framing).unwrap_or(0);
    for g in &c.groups {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&g.label),
            g.articles,
            g.sentences,
            format_rate(&g.measures[j]),
            format_share(&g.measures[j]),
            if g.small { "too small to test" } else { "" }
        );
    }
    html.push_str("</table>\n");
    html
}

fn method_section(c: &Comparison) -> String {
    let o = &c.options;
    format!(
        "<h2 id=\"method\">Method</h2>\n<p class=\"muted\">A sentence counts for a device when the model flagged it (its probability reached the device threshold); \
<em>framing</em> counts sentences flagged as framing. Rates are flagged sentences per 100 sentences, with {:.0} % percentile bootstrap intervals from {} resamples of articles. \
Shares are the percentage of articles with at least one flagged sentence, with Wilson intervals. Pairwise differences are two-sided permutation tests that shuffle \
articles between the two groups ({} permutations, exact enumeration when fewer splits exist), Holm-corrected across all rate tests and, separately, all share tests. \
Groups with fewer than {} articles or {} sentences are described but not tested. Seed {}. Flags come from an automatic model: read the highlighted articles before trusting a difference.</p>\n",
        100.0 * o.level,
        o.bootstrap,
        o.permutations,
        o.min_articles,
        o.min_sentences,
        o.seed
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(text: &str) -> ArticleView {
        ArticleView {
            id: "a<1>".into(),
            title: Some("<script>alert('t')</script>".into()),
            meta: vec![("outlet".into(), "O&P".into())],
            sentences: vec![SentenceView {
                paragraph: 0,
                text: text.into(),
                framing: 0.9,
                attributed: false,
                flagged: vec![(FlaggedLabel::Device(Device::Doubt), 0.9)],
                cues: vec![CueView {
                    device: Device::Doubt,
                    range: Some((0, 9)),
                    text: "Allegedly".into(),
                    pattern: "\"><img>".into(),
                    weight: 1.0,
                    attributed: false,
                }],
                spans: Vec::new(),
            }],
        }
    }

    #[test]
    fn escapes_everything_from_the_input() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let html = article_html(
            &view("Allegedly <script>alert(1)</script> works."),
            "article-0",
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<img>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("<mark class=\"cue d-doubt\" data-device=\"doubt\""));
        assert!(html.contains("O&amp;P"));
    }

    #[test]
    fn model_spans_are_shaded_and_nest_with_cues_without_losing_text() {
        // "Allegedly the traitors lie." — cue "Allegedly" (0..9), model spans
        // "Allegedly the" (doubt, 0..13) and "traitors lie" (name calling, 14..26).
        let mut v = view("Allegedly the traitors lie.");
        v.sentences[0].spans = vec![
            SpanView {
                device: Device::Doubt,
                range: Some((0, 13)),
                text: "Allegedly the".into(),
                probability: 0.8,
            },
            SpanView {
                device: Device::NameCalling,
                range: Some((14, 26)),
                text: "traitors lie".into(),
                probability: 0.7,
            },
            SpanView {
                device: Device::LoadedLanguage,
                range: Some((3, 99)),
                text: "out of range".into(),
                probability: 0.99,
            },
        ];
        let html = article_html(&v, "a");
        // The cue sits inside the doubt span's first piece; the span goes on.
        assert!(html.contains("<mark class=\"span d-doubt\" data-device=\"doubt\" data-tip=\"doubt (Doubt) — span “Allegedly the”"), "{html}");
        assert!(html.contains("><mark class=\"cue d-doubt\""), "{html}");
        assert!(
            html.contains(">Allegedly</mark></mark><mark class=\"span d-doubt\""),
            "{html}"
        );
        assert!(
            html.contains("> the</mark> <mark class=\"span d-name_calling\""),
            "{html}"
        );
        assert!(html.contains(">traitors lie</mark>.</span>"), "{html}");
        assert!(!html.contains("loaded_language"), "{html}");
        // Without the marks, the sentence reads as it was.
        let text: String = {
            let mut out = String::new();
            let mut in_tag = false;
            let body = &html[html.find("<span class=\"s").unwrap()..];
            for ch in body.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => out.push(c),
                    _ => {}
                }
            }
            out
        };
        assert!(text.starts_with("Allegedly the traitors lie."), "{text}");
    }

    #[test]
    fn cues_that_do_not_fit_are_not_marked_but_the_text_stays() {
        let mut v = view("Short.");
        v.sentences[0].cues[0].range = Some((0, 99));
        let html = article_html(&v, "a");
        assert!(html.contains("Short.") && !html.contains("<mark"), "{html}");
    }
}
