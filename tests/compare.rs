//! `rhetor compare` and `rhetor report` end to end on generated batch output.

mod common;
mod compare_support;

use common::{ok, read_csv, run as rhetor};
use compare_support::{default_outlets, write_batch};

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

const FAST: [&str; 4] = ["--bootstrap", "300", "--permutations", "999"];

#[test]
fn compare_by_outlet_writes_tidy_tables_and_flags_small_groups() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("batch"), &default_outlets(), 1);
    let out = dir.path().join("cmp");
    let mut args = vec![
        "compare",
        batch.articles.to_str().unwrap(),
        "--by",
        "outlet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(FAST);
    ok(&args);
    let (header, rows) = read_csv(&out.join("compare.csv"));
    assert_eq!(header[..3], ["outlet", "group", "device"]);
    // 4 outlets × (framing + 18 devices).
    assert_eq!(rows.len(), 4 * (1 + rhetor::Device::ALL.len()));
    let (g, d, n, small) = (
        col(&header, "group"),
        col(&header, "device"),
        col(&header, "articles"),
        col(&header, "small_sample"),
    );
    for (name, count) in &batch.outlets {
        let r = rows
            .iter()
            .find(|r| r[g] == *name && r[d] == "framing")
            .unwrap();
        assert_eq!(r[n], count.to_string());
        assert_eq!(r[small], (*count < 5).to_string(), "{r:?}");
    }
    // Rates lie inside their intervals.
    let (rate, lo, hi) = (
        col(&header, "rate_per_100"),
        col(&header, "rate_ci_low"),
        col(&header, "rate_ci_high"),
    );
    for r in &rows {
        let (x, a, b): (f64, f64, f64) = (
            r[rate].parse().unwrap(),
            r[lo].parse().unwrap(),
            r[hi].parse().unwrap(),
        );
        assert!(a <= x + 1e-9 && x <= b + 1e-9, "{r:?}");
    }
    let (ph, pairs) = read_csv(&out.join("pairs.csv"));
    let note = col(&ph, "note");
    let p = col(&ph, "rate_p");
    // C(4,2) = 6 pairs × 19 measures.
    assert_eq!(pairs.len(), 6 * 19);
    let tiny: Vec<_> = pairs
        .iter()
        .filter(|r| r.contains(&"Tiny Times".to_string()))
        .collect();
    assert!(tiny
        .iter()
        .all(|r| r[p].is_empty() && r[note].starts_with("too small")));
    // The two most different outlets differ in framing.
    let framing = pairs
        .iter()
        .find(|r| {
            r[col(&ph, "group_a")] == "Daily Planet"
                && r[col(&ph, "group_b")] == "The Sentinel"
                && r[col(&ph, "device")] == "framing"
        })
        .unwrap();
    let p_holm: f64 = framing[col(&ph, "rate_p_holm")].parse().unwrap();
    assert!(p_holm < 0.05, "{framing:?}");
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(
        md.contains("Too small to test") && md.contains("Tiny Times"),
        "{md}"
    );
    assert!(md.contains("| Daily Planet |"));
}

#[test]
fn sentences_csv_gives_the_same_statistics_as_articles_csv() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("batch"), &default_outlets(), 2);
    let (a, s) = (dir.path().join("a"), dir.path().join("s"));
    for (input, out) in [(&batch.articles, &a), (&batch.sentences, &s)] {
        let mut args = vec![
            "compare",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(FAST);
        ok(&args);
    }
    assert_eq!(
        std::fs::read_to_string(a.join("compare.csv")).unwrap(),
        std::fs::read_to_string(s.join("compare.csv")).unwrap()
    );
}

#[test]
fn compare_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("batch"), &default_outlets(), 3);
    let mut outputs = Vec::new();
    for run in ["r1", "r2"] {
        let out = dir.path().join(run);
        let mut args = vec![
            "compare",
            batch.articles.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(FAST);
        ok(&args);
        outputs.push((
            std::fs::read_to_string(out.join("compare.csv")).unwrap(),
            std::fs::read_to_string(out.join("pairs.csv")).unwrap(),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn month_grouping_keeps_undated_articles_in_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("batch"), &default_outlets(), 4);
    let out = dir.path().join("cmp");
    let mut args = vec![
        "compare",
        batch.articles.to_str().unwrap(),
        "--by",
        "outlet",
        "--by",
        "month",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(FAST);
    let result = ok(&args);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("2 articles have no parseable date"),
        "{stderr}"
    );
    let (header, rows) = read_csv(&out.join("compare.csv"));
    assert_eq!(header[..4], ["outlet", "month", "group", "device"]);
    let (m, d, n) = (
        col(&header, "month"),
        col(&header, "device"),
        col(&header, "articles"),
    );
    let framing: Vec<_> = rows.iter().filter(|r| r[d] == "framing").collect();
    let unknown: usize = framing
        .iter()
        .filter(|r| r[m] == "unknown")
        .map(|r| r[n].parse::<usize>().unwrap())
        .sum();
    assert_eq!(unknown, 2);
    let total: usize = framing.iter().map(|r| r[n].parse::<usize>().unwrap()).sum();
    assert_eq!(total, batch.total_articles, "no article is dropped");
    assert!(framing.iter().any(|r| r[m] == "2024-03"));
    // Pairs compare outlets within a month; the month is the stratum column.
    let (ph, pairs) = read_csv(&out.join("pairs.csv"));
    assert_eq!(ph[0], "month");
    assert!(pairs.iter().all(|r| r[0] != "unknown"));
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(
        md.contains("without a parseable ISO date") && md.contains("**2**"),
        "{md}"
    );
}

#[test]
fn bad_input_is_reported_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("articles.csv");
    std::fs::write(
        &path,
        "article_id,outlet,date,title,sentences,framing_sentences,framing_rate,framing_mean,framing_max,doubt_count\n\
         a,X,2024-01-01,T,10,1,0.1,0.1,0.9,1\n\
         b,X,2024-01-01,T,ten,1,0.1,0.1,0.9,1\n",
    )
    .unwrap();
    let out = rhetor(&[
        "compare",
        path.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("articles.csv:3") && err.contains("`sentences`") && err.contains("ten"),
        "{err}"
    );
    std::fs::write(
        &path,
        "article_id,outlet,date,title,sentences,framing_sentences\na,X,2024-01-01,T,10,1\n",
    )
    .unwrap();
    let out = rhetor(&[
        "compare",
        path.to_str().unwrap(),
        "--by",
        "section",
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column `section`"));
}

#[test]
fn report_is_self_contained_and_escapes_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("batch"), &default_outlets(), 5);
    let html_path = dir.path().join("report.html");
    let mut args = vec![
        "report",
        "--batch",
        batch.dir.to_str().unwrap(),
        "--by",
        "outlet",
        "--by",
        "month",
        "--max-articles",
        "5",
        "--out",
        html_path.to_str().unwrap(),
    ];
    args.extend(FAST);
    ok(&args);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for remote in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "<link",
        "src=\"//",
    ] {
        assert!(!html.contains(remote), "remote reference {remote}");
    }
    // One heat-map cell per outlet × device.
    assert_eq!(
        html.matches("<rect class=\"cell\"").count(),
        4 * rhetor::Device::ALL.len()
    );
    // The fixture's sentence with a script tag and the outlet with <Star> are escaped.
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Morning &lt;Star&gt;") && !html.contains("Morning <Star>"));
    assert_eq!(html.matches("<article class=\"doc\"").count(), 5);
    assert!(html.contains("<mark class=\"cue d-"));
    assert!(
        html.contains("id=\"series\""),
        "a time series for --by month"
    );
    assert!(html.contains("unknown"));
}

#[test]
fn report_without_sentences_still_draws_the_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("batch"), &default_outlets(), 6);
    std::fs::remove_file(&batch.sentences).unwrap();
    let html_path = dir.path().join("r.html");
    let mut args = vec![
        "report",
        "--batch",
        batch.dir.to_str().unwrap(),
        "--out",
        html_path.to_str().unwrap(),
    ];
    args.extend(FAST);
    ok(&args);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("class=\"heatmap\"") && !html.contains("id=\"articles\""));
    assert!(!html.contains("id=\"series\""));
    let out = rhetor(&["report", "--out", html_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--batch"));
}

#[test]
fn score_format_html_highlights_and_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a<b>.txt");
    std::fs::write(
        &file,
        "Let's notice that the minister said nothing. By the way, <script>alert('x')</script> is curious.\n\nThe council met on Tuesday.",
    )
    .unwrap();
    let out = ok(&["score", "--format", "html", file.to_str().unwrap()]);
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(
        !html.contains("<script>alert"),
        "input script must be escaped"
    );
    // (A cue may split the text into marks, e.g. a scare-quote cue on 'x'.)
    assert!(html.contains("&lt;script&gt;alert(") && html.contains("&lt;/script&gt;"));
    assert!(html.contains("&#39;x&#39;"));
    assert_eq!(html.matches("<article class=\"doc\"").count(), 1);
    assert!(
        html.contains("class=\"s flagged"),
        "the editorial aside is highlighted"
    );
    assert!(html.contains("data-devices=\""));
}
