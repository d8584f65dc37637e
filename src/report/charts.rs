//! SVG charts of a [`Comparison`] for the HTML report.
//!
//! The rate charts and the time series are drawn with `plotters` (SVG
//! backend, into a string). The heat map is emitted directly as SVG `rect`
//! elements, because each cell needs `class` and `data-*` attributes (for the
//! tooltip and for tests), which plotters' SVG backend cannot attach.

use super::escape;
use crate::compare::{Comparison, GroupStats, Measure};
use crate::error::{Error, Result};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Colours of the series (Tableau 10).
const SERIES: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

/// The colour of groups too small to test.
const GREY: RGBColor = RGBColor(170, 170, 170);

/// Maps a plotters drawing error.
fn chart_error<E: std::fmt::Debug>(e: E) -> Error {
    Error::Output(format!("drawing a chart: {e:?}"))
}

/// Shortens a label for an axis.
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let cut: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The heat map: one row per group, one column per device, the colour
/// proportional to the rate per 100 sentences (hand-emitted SVG; see the
/// module doc). Each cell is a `rect.cell` with `data-group`,
/// `data-device`, `data-rate` and a `data-tip` for the tooltip.
pub fn heat_map(c: &Comparison) -> String {
    let devices: Vec<(usize, Measure)> = c
        .measures
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, m)| !matches!(m, Measure::Framing))
        .collect();
    // Labels are shortened to 28 characters.
    let longest = c
        .groups
        .iter()
        .map(|g| g.label.chars().count().min(28))
        .max();
    let label_width = longest.unwrap_or(5) as u32 * 7 + 16;
    let (cell_w, cell_h, top) = (44u32, 28u32, 150u32);
    let width = label_width + cell_w * devices.len() as u32 + 20;
    let height = top + cell_h * c.groups.len() as u32 + 10;
    let max_rate = c
        .groups
        .iter()
        .flat_map(|g| devices.iter().filter_map(|(j, _)| g.measures[*j].rate))
        .fold(0.0_f64, f64::max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Heat map of device rates per group\">\n"
    );
    for (col, (_, m)) in devices.iter().enumerate() {
        let x = label_width + col as u32 * cell_w + cell_w / 2;
        svg.push_str(&format!(
            "<text class=\"col-label\" transform=\"translate({x},{}) rotate(-50)\" font-size=\"11\">{}</text>\n",
            top - 6,
            escape(m.id())
        ));
    }
    for (row, g) in c.groups.iter().enumerate() {
        let y = top + row as u32 * cell_h;
        svg.push_str(&format!(
            "<text class=\"row-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}{}</text>\n",
            label_width - 8,
            y + cell_h / 2 + 4,
            escape(&short(&g.label, 28)),
            if g.small { " ⚠" } else { "" }
        ));
        for (col, (j, m)) in devices.iter().enumerate() {
            svg.push_str(&heat_cell(
                g,
                *j,
                *m,
                label_width + col as u32 * cell_w,
                y,
                (cell_w, cell_h),
                max_rate,
            ));
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn heat_cell(
    g: &GroupStats,
    j: usize,
    m: Measure,
    x: u32,
    y: u32,
    (w, h): (u32, u32),
    max_rate: f64,
) -> String {
    let stats = &g.measures[j];
    let rate = stats.rate.unwrap_or(0.0);
    let t = if max_rate > 0.0 { rate / max_rate } else { 0.0 };
    let fill = heat_colour(t);
    let ci = stats
        .rate_ci
        .map(|i| format!(" [{:.2}, {:.2}]", i.low, i.high))
        .unwrap_or_default();
    let tip = format!(
        "{} — {}: {:.2} per 100 sentences{} · {} of {} articles{}",
        g.label,
        m.label(),
        rate,
        ci,
        stats.articles_with,
        g.articles,
        if g.small { " · too small to test" } else { "" }
    );
    let text_colour = if t > 0.55 { "#fff" } else { "#222" };
    format!(
        "<g><rect class=\"cell\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" data-group=\"{}\" data-device=\"{}\" data-rate=\"{rate:.4}\" data-tip=\"{}\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{text_colour}\" pointer-events=\"none\">{}</text></g>\n",
        w - 2,
        h - 2,
        escape(&g.label),
        m.id(),
        escape(&tip),
        x + w / 2 - 1,
        y + h / 2 + 3,
        if stats.count > 0 { format!("{rate:.1}") } else { String::new() }
    )
}

/// A sequential colour from near-white (0) to dark purple (1).
fn heat_colour(t: f64) -> String {
    let t = t.clamp(0.0, 1.0).sqrt();
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        lerp(247.0, 84.0),
        lerp(244.0, 39.0),
        lerp(249.0, 143.0)
    )
}

/// A horizontal dot-and-whisker chart of one measure: one row per group,
/// the rate per 100 sentences with its bootstrap interval.
pub fn rate_chart(c: &Comparison, measure: Measure) -> Result<String> {
    let j = c
        .measure_index(measure)
        .ok_or_else(|| Error::Output(format!("no measure {}", measure.id())))?;
    let n = c.groups.len();
    let labels: Vec<String> = c.groups.iter().map(|g| short(&g.label, 22)).collect();
    let x_max = c
        .groups
        .iter()
        .filter_map(|g| {
            let m = &g.measures[j];
            m.rate_ci.map(|i| i.high).or(m.rate)
        })
        .fold(0.0_f64, f64::max)
        .max(0.1)
        * 1.1;
    let label_area = labels.iter().map(|l| l.chars().count()).max().unwrap_or(4) as u32 * 7 + 10;
    let height = 60 + 24 * n as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (420, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(measure.label(), ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(label_area)
            // plotters' discrete integer ranges include their end.
            .build_cartesian_2d(0.0..x_max, (0..n.saturating_sub(1)).into_segmented())
            .map_err(chart_error)?;
        let formatter = |v: &SegmentValue<usize>| match v {
            // Row 0 is at the bottom: list the groups top-down, like the heat map.
            SegmentValue::CenterOf(i) => labels
                .get(n.saturating_sub(1 + *i))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .y_labels(n + 1)
            .y_label_formatter(&formatter)
            .x_labels(5)
            .x_desc("per 100 sentences")
            .disable_y_mesh()
            .light_line_style(RGBColor(242, 242, 242))
            .draw()
            .map_err(chart_error)?;
        for (position, g) in c.groups.iter().enumerate() {
            let i = n - 1 - position;
            let m = &g.measures[j];
            let Some(rate) = m.rate else { continue };
            let colour = if g.small { GREY } else { SERIES[0] };
            if let Some(ci) = m.rate_ci {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![
                            (ci.low, SegmentValue::CenterOf(i)),
                            (ci.high, SegmentValue::CenterOf(i)),
                        ],
                        colour.stroke_width(2),
                    )))
                    .map_err(chart_error)?;
            }
            chart
                .draw_series(std::iter::once(Circle::new(
                    (rate, SegmentValue::CenterOf(i)),
                    4,
                    colour.filled(),
                )))
                .map_err(chart_error)?;
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// A point of a time series: period index, rate, interval (none for a group
/// too small to test), too small.
type SeriesPoint = (usize, f64, Option<(f64, f64)>, bool);

/// A time series of one measure: x = the periods of the last period key,
/// one line per value of the other keys, with the intervals as error bars
/// (not for groups too small to test: their points are hollow). `None` when the comparison has no period key.
pub fn time_series(c: &Comparison, measure: Measure) -> Result<Option<String>> {
    let Some(period_key) = c.options.by.iter().rposition(|b| b.is_period()) else {
        return Ok(None);
    };
    let j = c
        .measure_index(measure)
        .ok_or_else(|| Error::Output(format!("no measure {}", measure.id())))?;
    let known = c.groups.iter().filter(|g| !g.is_unknown());
    let periods: BTreeSet<&String> = known.clone().map(|g| &g.key[period_key]).collect();
    let periods: Vec<String> = periods.into_iter().cloned().collect();
    if periods.is_empty() {
        return Ok(None);
    }
    let mut lines: BTreeMap<String, Vec<SeriesPoint>> = BTreeMap::new();
    for g in known {
        let series: Vec<&str> = g
            .key
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != period_key)
            .map(|(_, v)| v.as_str())
            .collect();
        let name = if series.is_empty() {
            "all".to_string()
        } else {
            series.join(" · ")
        };
        let m = &g.measures[j];
        if let (Some(rate), Some(x)) =
            (m.rate, periods.iter().position(|p| *p == g.key[period_key]))
        {
            let ci = m.rate_ci.filter(|_| !g.small).map(|i| (i.low, i.high));
            lines.entry(name).or_default().push((x, rate, ci, g.small));
        }
    }
    let y_max = lines
        .values()
        .flatten()
        .map(|(_, r, ci, _)| ci.map_or(*r, |c| c.1))
        .fold(0.0_f64, f64::max)
        .max(0.1)
        * 1.1;
    let n = periods.len();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 340)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{} per 100 sentences over time", measure.label()),
                ("sans-serif", 15),
            )
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(44)
            // plotters' discrete integer ranges include their end.
            .build_cartesian_2d((0..n.saturating_sub(1)).into_segmented(), 0.0..y_max)
            .map_err(chart_error)?;
        let step = n.div_ceil(12).max(1);
        let formatter = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) if i % step == 0 => {
                periods.get(*i).cloned().unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&formatter)
            .y_desc("per 100 sentences")
            .disable_x_mesh()
            .light_line_style(RGBColor(242, 242, 242))
            .draw()
            .map_err(chart_error)?;
        for (k, (name, points)) in lines.iter().enumerate() {
            let colour = SERIES[k % SERIES.len()];
            let mut points = points.clone();
            points.sort_by_key(|p| p.0);
            chart
                .draw_series(LineSeries::new(
                    points
                        .iter()
                        .map(|(x, y, _, _)| (SegmentValue::CenterOf(*x), *y)),
                    colour.stroke_width(2),
                ))
                .map_err(chart_error)?
                .label(short(name, 24))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(points.iter().filter_map(|(x, _, ci, _)| {
                    ci.map(|(lo, hi)| {
                        PathElement::new(
                            vec![
                                (SegmentValue::CenterOf(*x), lo),
                                (SegmentValue::CenterOf(*x), hi),
                            ],
                            colour.mix(0.6).stroke_width(1),
                        )
                    })
                }))
                .map_err(chart_error)?;
            chart
                .draw_series(points.iter().map(|(x, y, _, small)| {
                    let style = if *small {
                        colour.stroke_width(1)
                    } else {
                        colour.filled()
                    };
                    Circle::new((SegmentValue::CenterOf(*x), *y), 3, style)
                }))
                .map_err(chart_error)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_colours_run_from_light_to_dark() {
        assert_eq!(heat_colour(0.0), "#f7f4f9");
        assert_eq!(heat_colour(1.0), "#54278f");
    }

    #[test]
    fn labels_are_shortened_on_characters() {
        assert_eq!(short("abc", 5), "abc");
        assert_eq!(short("ééééééé", 4), "ééé…");
    }
}
