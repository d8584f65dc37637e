//! Validation samples end to end through the binary: `rhetor sample` draws
//! whole articles per group, `rhetor compare --gold` reads the coded file and
//! adds the labels-alone and prediction-powered rates; bad label files are
//! clear errors, a group without labels is a stated row.

mod common;
mod compare_support;

use common::batch::batch_sample_corpus;
use common::{ok, read_csv, run as rhetor, stderr, write_csv};
use compare_support::{default_outlets, write_batch, Batch};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

fn sample(batch: &Batch, out: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "sample",
        batch.dir.to_str().unwrap(),
        "--by",
        "outlet",
        "--per-group",
        "30",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    ok(&args);
    out.to_path_buf()
}

/// The batch fixture's sentences: (article, index) → (flagged devices, framing score).
fn batch_sentences(batch: &Batch) -> HashMap<(String, String), (String, f64)> {
    let (h, rows) = read_csv(&batch.sentences);
    let (a, i, f, s) = (
        col(&h, "article_id"),
        col(&h, "sentence_index"),
        col(&h, "flagged"),
        col(&h, "framing"),
    );
    rows.iter()
        .map(|r| {
            (
                (r[a].clone(), r[i].clone()),
                (r[f].clone(), r[s].parse().unwrap()),
            )
        })
        .collect()
}

/// Fills the label columns: `framing` = the batch's flag, flipped on every
/// seventh row; `doubt` left empty in rows of `skip_outlet`.
fn code(path: &Path, batch: &Batch, out: &Path, skip_outlet: Option<&str>) {
    let truth = batch_sentences(batch);
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    let pos = |n: &str| header.iter().position(|h| h == n).unwrap();
    let mut w = csv::Writer::from_path(out).unwrap();
    w.write_record(&header).unwrap();
    for (k, rec) in r.records().enumerate() {
        let mut rec: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        let key = (
            rec[pos("article_id")].clone(),
            rec[pos("sentence_index")].clone(),
        );
        let (flagged, score) = &truth[&key];
        let framing = (*score >= 0.5) ^ (k % 7 == 3);
        rec[pos("framing")] = u8::from(framing).to_string();
        if header.iter().any(|h| h == "doubt") && skip_outlet != Some(rec[pos("outlet")].as_str()) {
            rec[pos("doubt")] = u8::from(flagged.contains("doubt")).to_string();
        }
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn sample_draws_whole_articles_per_group_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("b"), &default_outlets(), 3);
    let s1 = sample(
        &batch,
        &dir.path().join("s1.csv"),
        &["--seed", "9", "--devices", "framing,doubt"],
    );
    let s2 = sample(
        &batch,
        &dir.path().join("s2.csv"),
        &["--seed", "9", "--devices", "framing,doubt"],
    );
    assert_eq!(
        std::fs::read(&s1).unwrap(),
        std::fs::read(&s2).unwrap(),
        "same seed, same file"
    );
    let (h, rows) = read_csv(&s1);
    assert_eq!(
        h,
        [
            "article_id",
            "sentence_index",
            "stratum",
            "outlet",
            "inclusion_probability",
            "context_before",
            "text",
            "context_after",
            "framing",
            "doubt"
        ]
    );
    // Every sentence of every sampled article, labels empty, one probability per group.
    let per_article = batch_sentences(&batch);
    let sampled: HashSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    for id in &sampled {
        let in_batch = per_article.keys().filter(|k| k.0 == *id).count();
        let in_sample = rows.iter().filter(|r| r[0] == *id).count();
        assert_eq!(in_batch, in_sample, "article {id}");
    }
    assert!(rows.iter().all(|r| r[8].is_empty() && r[9].is_empty()));
    for (outlet, articles) in &batch.outlets {
        let group: Vec<&Vec<String>> = rows.iter().filter(|r| r[3] == *outlet).collect();
        let drawn: HashSet<&str> = group.iter().map(|r| r[0].as_str()).collect();
        let p: f64 = group[0][4].parse().unwrap();
        assert!(
            (p - drawn.len() as f64 / *articles as f64).abs() < 1e-9,
            "{outlet}: {p}"
        );
        assert!(group.iter().all(|r| r[2] == *outlet && r[4] == group[0][4]));
    }
    // Context: the neighbours within the article.
    let second = rows.iter().find(|r| r[1] == "1").unwrap();
    let first = rows
        .iter()
        .find(|r| r[0] == second[0] && r[1] == "0")
        .unwrap();
    assert_eq!(second[5], first[6]);
    assert_eq!(first[5], "");
    // A second round never repeats the first one's articles.
    let s3 = sample(
        &batch,
        &dir.path().join("s3.csv"),
        &["--seed", "10", "--exclude", s1.to_str().unwrap()],
    );
    let (_, rows3) = read_csv(&s3);
    assert!(!rows3.is_empty());
    assert!(rows3.iter().all(|r| !sampled.contains(r[0].as_str())));
}

#[test]
fn compare_with_gold_adds_corrected_rates_beside_the_naive_ones() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("b"), &default_outlets(), 3);
    let s = sample(
        &batch,
        &dir.path().join("s.csv"),
        &["--seed", "4", "--devices", "framing,doubt"],
    );
    let labels = dir.path().join("labels.csv");
    code(&s, &batch, &labels, Some("Tiny Times"));
    let plain = dir.path().join("plain");
    let cmp = dir.path().join("cmp");
    let base = [
        "compare",
        batch.dir.to_str().unwrap(),
        "--by",
        "outlet",
        "--bootstrap",
        "300",
        "--permutations",
        "199",
    ];
    let mut args = base.to_vec();
    args.extend(["--out", plain.to_str().unwrap()]);
    ok(&args);
    let mut args = base.to_vec();
    args.extend([
        "--gold",
        labels.to_str().unwrap(),
        "--out",
        cmp.to_str().unwrap(),
    ]);
    let out = ok(&args);
    assert!(
        stderr(&out).contains("would halve the interval"),
        "{}",
        stderr(&out)
    );

    let (ph, prows) = read_csv(&plain.join("compare.csv"));
    let (h, rows) = read_csv(&cmp.join("compare.csv"));
    // Today's columns first and unchanged; the gold columns after them.
    assert_eq!(h[..ph.len()], ph[..]);
    assert!(!ph.iter().any(|c| c == "ppi_rate"));
    for (a, b) in prows.iter().zip(&rows) {
        assert_eq!(a[..], b[..ph.len()]);
    }
    let (g, d) = (col(&h, "group"), col(&h, "device"));
    let (n_gold, gold, ppi, lo, hi, note, precision) = (
        col(&h, "n_gold"),
        col(&h, "gold_rate"),
        col(&h, "ppi_rate"),
        col(&h, "ppi_ci_low"),
        col(&h, "ppi_ci_high"),
        col(&h, "gold_note"),
        col(&h, "precision"),
    );
    let (sh, srows) = read_csv(&labels);
    let outlet = col(&sh, "outlet");
    for (name, _) in &batch.outlets {
        let r = rows
            .iter()
            .find(|r| r[g] == *name && r[d] == "framing")
            .unwrap();
        let coded = srows.iter().filter(|s| s[outlet] == *name).count();
        assert_eq!(r[n_gold], coded.to_string(), "{name}");
        let (x, a, b): (f64, f64, f64) = (
            r[ppi].parse().unwrap(),
            r[lo].parse().unwrap(),
            r[hi].parse().unwrap(),
        );
        assert!(a <= x && x <= b, "{r:?}");
        assert!(r[gold].parse::<f64>().unwrap() >= 0.0);
        assert!(!r[precision].is_empty());
        // A device without any label cell keeps its cells empty.
        let other = rows
            .iter()
            .find(|r| r[g] == *name && r[d] == "scare_quotes")
            .unwrap();
        assert!(other[n_gold].is_empty() && other[ppi].is_empty());
    }
    // The tiny outlet has no doubt labels: a stated row, no number.
    let tiny = rows
        .iter()
        .find(|r| r[g] == "Tiny Times" && r[d] == "doubt")
        .unwrap();
    assert_eq!(tiny[n_gold], "0");
    assert!(tiny[ppi].is_empty() && tiny[gold].is_empty());
    assert_eq!(tiny[note], "no labels in this group");

    let (pheader, pairs) = read_csv(&cmp.join("pairs.csv"));
    let (pd, pp, pdev) = (
        col(&pheader, "ppi_diff"),
        col(&pheader, "ppi_p_holm"),
        col(&pheader, "device"),
    );
    assert!(pairs
        .iter()
        .any(|p| p[pdev] == "framing" && !p[pd].is_empty() && !p[pp].is_empty()));
    let md = std::fs::read_to_string(cmp.join("compare.md")).unwrap();
    assert!(md.contains("## Corrected by the labelled sample"));
    assert!(md.contains("Cite the prediction-powered rate"));
    assert!(md.contains("| Daily Planet |"));

    // The HTML report shows the same corrected rates.
    let html = dir.path().join("report.html");
    ok(&[
        "report",
        "--batch",
        batch.dir.to_str().unwrap(),
        "--gold",
        labels.to_str().unwrap(),
        "--bootstrap",
        "300",
        "--permutations",
        "199",
        "--out",
        html.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("id=\"corrected\""));
    assert!(page.contains("Cite the prediction-powered rate"));
    let planet = rows
        .iter()
        .find(|r| r[g] == "Daily Planet" && r[d] == "framing")
        .unwrap();
    let shown = format!(
        "{:.2} [{:.2}, {:.2}]",
        planet[ppi].parse::<f64>().unwrap(),
        planet[lo].parse::<f64>().unwrap(),
        planet[hi].parse::<f64>().unwrap()
    );
    assert!(page.contains(&shown), "{shown}");
}

fn gold_error(batch: &Batch, labels: &Path) -> String {
    let dir = labels.parent().unwrap().join("err-out");
    let o = rhetor(&[
        "compare",
        batch.dir.to_str().unwrap(),
        "--gold",
        labels.to_str().unwrap(),
        "--permutations",
        "99",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    stderr(&o)
}

/// Rewrites one cell of row `row` (0-based, after the header) of a CSV file.
fn edit(path: &Path, out: &Path, row: usize, column: &str, value: &str) -> PathBuf {
    let (h, mut rows) = read_csv(path);
    rows[row][col(&h, column)] = value.to_string();
    write_csv(out, &h, &rows);
    out.to_path_buf()
}

/// Copies a CSV file without the columns named in `drop`.
fn drop_columns(path: &Path, out: &Path, drop: &[&str]) {
    let (h, rows) = read_csv(path);
    let keep: Vec<usize> = (0..h.len())
        .filter(|&i| !drop.contains(&h[i].as_str()))
        .collect();
    let mut w = csv::Writer::from_path(out).unwrap();
    w.write_record(keep.iter().map(|&i| &h[i])).unwrap();
    for r in rows {
        w.write_record(keep.iter().map(|&i| &r[i])).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn bad_label_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(&dir.path().join("b"), &default_outlets(), 3);
    let s = sample(
        &batch,
        &dir.path().join("s.csv"),
        &["--seed", "4", "--devices", "framing,doubt"],
    );
    let labels = dir.path().join("labels.csv");
    code(&s, &batch, &labels, None);

    // (file, row, column, value, what the error must say)
    let cases = [
        (
            "bad-value.csv",
            2,
            "framing",
            "2",
            ["bad-value.csv:4", "`framing`", "`2`"],
        ),
        (
            "bad-article.csv",
            0,
            "article_id",
            "nope",
            [
                "bad-article.csv:2",
                "article `nope` is not in the batch",
                "",
            ],
        ),
        (
            "bad-index.csv",
            0,
            "sentence_index",
            "999",
            ["bad-index.csv:2", "no sentence 999", ""],
        ),
    ];
    for (file, row, column, value, needles) in cases {
        let bad = edit(&labels, &dir.path().join(file), row, column, value);
        let e = gold_error(&batch, &bad);
        assert!(needles.iter().all(|n| e.contains(n)), "{file}: {e}");
    }

    // A device the batch has no predictions for: drop `doubt` from the batch.
    let trimmed = dir.path().join("trimmed");
    std::fs::create_dir_all(&trimmed).unwrap();
    for name in ["articles.csv", "sentences.csv"] {
        drop_columns(
            &batch.dir.join(name),
            &trimmed.join(name),
            &["doubt", "doubt_count"],
        );
    }
    let trimmed_batch = Batch {
        dir: trimmed.clone(),
        articles: trimmed.join("articles.csv"),
        sentences: trimmed.join("sentences.csv"),
        outlets: batch.outlets.clone(),
        total_articles: batch.total_articles,
    };
    let e = gold_error(&trimmed_batch, &labels);
    assert!(
        e.contains("`doubt` is labelled but the batch output") && e.contains("no predictions"),
        "{e}"
    );

    // Without any label column.
    let none = dir.path().join("no-labels.csv");
    drop_columns(&labels, &none, &["framing", "doubt"]);
    let e = gold_error(&batch, &none);
    assert!(e.contains("no label column"), "{e}");
}

/// The whole workflow on a real `rhetor batch` output (cue model, the sample
/// corpus): batch → sample → code → compare --gold. The coder here copies the
/// classifier's own framing flags (score ≥ the batch's framing threshold), so on every outlet precision and recall must be 1,
/// the labels-alone rate must be the sample's flag rate, and every sampled
/// sentence must be counted as labelled.
#[test]
fn batch_sample_code_compare_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("B");
    batch_sample_corpus(&b);
    let s = dir.path().join("s.csv");
    ok(&[
        "sample",
        b.to_str().unwrap(),
        "--by",
        "outlet",
        "--per-group",
        "25",
        "--seed",
        "11",
        "--out",
        s.to_str().unwrap(),
    ]);

    let (sh, srows) = read_csv(&b.join("sentences.csv"));
    let (aid, idx, score) = (
        col(&sh, "article_id"),
        col(&sh, "sentence_index"),
        col(&sh, "framing"),
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("summary.json")).unwrap()).unwrap();
    let threshold = summary["thresholds"]["framing"].as_f64().unwrap();
    let flags: HashMap<(String, String), bool> = srows
        .iter()
        .map(|r| {
            let framing: f64 = r[score].parse().unwrap();
            ((r[aid].clone(), r[idx].clone()), framing >= threshold)
        })
        .collect();

    let (h, mut rows) = read_csv(&s);
    let (sa, si, so, fr) = (
        col(&h, "article_id"),
        col(&h, "sentence_index"),
        col(&h, "outlet"),
        col(&h, "framing"),
    );
    let mut per_outlet: HashMap<String, (usize, usize)> = HashMap::new();
    for r in &mut rows {
        let flag = flags[&(r[sa].clone(), r[si].clone())];
        r[fr] = if flag { "1" } else { "0" }.into();
        let e = per_outlet.entry(r[so].clone()).or_default();
        e.0 += 1;
        e.1 += usize::from(flag);
    }
    let coded = dir.path().join("coded.csv");
    write_csv(&coded, &h, &rows);

    let c = dir.path().join("C");
    ok(&[
        "compare",
        b.to_str().unwrap(),
        "--by",
        "outlet",
        "--gold",
        coded.to_str().unwrap(),
        "--permutations",
        "100",
        "--out",
        c.to_str().unwrap(),
    ]);
    let (ch, crows) = read_csv(&c.join("compare.csv"));
    let framing: Vec<&Vec<String>> = crows
        .iter()
        .filter(|r| r[col(&ch, "device")] == "framing")
        .collect();
    assert_eq!(
        framing.len(),
        per_outlet.len(),
        "one framing row per outlet"
    );
    for r in framing {
        let outlet = &r[col(&ch, "outlet")];
        let (n, positives) = per_outlet[outlet];
        assert_eq!(r[col(&ch, "n_gold")], n.to_string(), "{outlet}");
        let gold_rate: f64 = r[col(&ch, "gold_rate")].parse().unwrap();
        let want = 100.0 * positives as f64 / n as f64;
        assert!(
            (gold_rate - want).abs() < 1e-3,
            "{outlet}: {gold_rate} vs {want}"
        );
        let ppi: f64 = r[col(&ch, "ppi_rate")].parse().unwrap();
        let (lo, hi): (f64, f64) = (
            r[col(&ch, "ppi_ci_low")].parse().unwrap(),
            r[col(&ch, "ppi_ci_high")].parse().unwrap(),
        );
        assert!(lo <= ppi && ppi <= hi, "{outlet}: {lo} {ppi} {hi}");
        if positives > 0 {
            assert_eq!(r[col(&ch, "precision")], "1.0000", "{outlet}");
            assert_eq!(r[col(&ch, "recall")], "1.0000", "{outlet}");
        }
    }
}

/// Fills every empty label cell of a sample file with `1`.
fn code_all_ones(path: &Path, out: &Path, labels: &[&str]) {
    let (h, mut rows) = read_csv(path);
    for r in &mut rows {
        for l in labels {
            r[col(&h, l)] = "1".into();
        }
    }
    write_csv(out, &h, &rows);
}

/// `--strategy uncertain`: per outlet, the sentences nearest the model's
/// thresholds (recomputed here from the batch's own scores, which the cue
/// model reproduces), at most two per article, none already coded, no
/// inclusion probability, marked as a training sample; `compare --gold` and
/// a random draw's `--exclude` refuse such a file.
#[test]
fn uncertain_samples_propose_the_least_sure_sentences_for_training_only() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("B");
    batch_sample_corpus(&b);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("summary.json")).unwrap()).unwrap();
    let threshold = summary["thresholds"]["framing"].as_f64().unwrap();
    let random = dir.path().join("random.csv");
    ok(&[
        "sample",
        b.to_str().unwrap(),
        "--per-group",
        "20",
        "--seed",
        "3",
        "--out",
        random.to_str().unwrap(),
    ]);
    let s = dir.path().join("next.csv");
    let o = ok(&[
        "sample",
        b.to_str().unwrap(),
        "--strategy",
        "uncertain",
        "--model",
        "cues",
        "--labels",
        "framing",
        "--per-group",
        "4",
        "--exclude",
        random.to_str().unwrap(),
        "--out",
        s.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).contains("cannot estimate rates"),
        "{}",
        stderr(&o)
    );

    // Every sentence's distance from the framing threshold, from the batch.
    let (bh, brows) = read_csv(&b.join("sentences.csv"));
    let margin_of: HashMap<(String, String), f64> = brows
        .iter()
        .map(|r| {
            let p: f64 = r[col(&bh, "framing")].parse().unwrap();
            (
                (
                    r[col(&bh, "article_id")].clone(),
                    r[col(&bh, "sentence_index")].clone(),
                ),
                (p - threshold).abs(),
            )
        })
        .collect();
    let (rh, rrows) = read_csv(&random);
    let coded: HashSet<(String, String)> = rrows
        .iter()
        .map(|r| {
            (
                r[col(&rh, "article_id")].clone(),
                r[col(&rh, "sentence_index")].clone(),
            )
        })
        .collect();

    let (h, rows) = read_csv(&s);
    assert!(!rows.is_empty());
    let mut per_outlet: HashMap<String, Vec<f64>> = HashMap::new();
    let mut per_article: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        let key = (
            r[col(&h, "article_id")].clone(),
            r[col(&h, "sentence_index")].clone(),
        );
        assert!(
            !coded.contains(&key),
            "an already coded sentence proposed: {key:?}"
        );
        assert_eq!(
            r[col(&h, "inclusion_probability")],
            "",
            "no inclusion probability"
        );
        assert!(r[col(&h, "selection")].contains("not for estimating rates"));
        assert_eq!(r[col(&h, "framing")], "", "left to code");
        let margin: f64 = r[col(&h, "margin")].parse().unwrap();
        assert!(
            (margin - margin_of[&key]).abs() < 1e-3,
            "{margin} vs {}",
            margin_of[&key]
        );
        per_outlet
            .entry(r[col(&h, "outlet")].clone())
            .or_default()
            .push(margin);
        *per_article.entry(key.0).or_default() += 1;
    }
    assert!(per_article.values().all(|&n| n <= 2), "{per_article:?}");
    for (outlet, margins) in &per_outlet {
        assert!(margins.len() <= 4, "{outlet}: {margins:?}");
        assert!(
            margins.windows(2).all(|w| w[0] <= w[1]),
            "{outlet}: nearest first {margins:?}"
        );
    }

    // Coded, such a file trains models but cannot estimate rates.
    let filled = dir.path().join("next-coded.csv");
    code_all_ones(&s, &filled, &["framing"]);
    let e = stderr(&rhetor(&[
        "compare",
        b.to_str().unwrap(),
        "--by",
        "outlet",
        "--gold",
        filled.to_str().unwrap(),
        "--out",
        dir.path().join("C").to_str().unwrap(),
    ]));
    assert!(
        e.contains("chosen by a model") && e.contains("next-coded.csv:2"),
        "{e}"
    );
    let e = stderr(&rhetor(&[
        "sample",
        b.to_str().unwrap(),
        "--per-group",
        "10",
        "--exclude",
        filled.to_str().unwrap(),
        "--out",
        dir.path().join("r2.csv").to_str().unwrap(),
    ]));
    assert!(e.contains("earlier random samples only"), "{e}");
    // A label the model does not score is a clear error.
    let e = stderr(&rhetor(&[
        "sample",
        b.to_str().unwrap(),
        "--strategy",
        "uncertain",
        "--model",
        "cues",
        "--labels",
        "blame",
        "--per-group",
        "4",
        "--out",
        dir.path().join("x.csv").to_str().unwrap(),
    ]));
    assert!(e.contains("`blame` is not a label of the model"), "{e}");
}

/// A codebook's own labels (not predicted by the batch's model) are columns
/// to code in a random sample too; a name no label may have is refused, and
/// oversampling flagged articles needs a predicted label.
#[test]
fn a_random_sample_can_carry_a_codebooks_own_label_columns() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("B");
    batch_sample_corpus(&b);
    let s = dir.path().join("s.csv");
    let args = |labels: &'static str, out: &Path| -> Vec<String> {
        [
            "sample",
            b.to_str().unwrap(),
            "--per-group",
            "10",
            "--labels",
            labels,
            "--out",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |a: &[String]| rhetor(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run(&args("blame,framing", &s)).status.success());
    let (h, rows) = read_csv(&s);
    assert_eq!(&h[h.len() - 2..], ["blame", "framing"], "{h:?}");
    assert!(!rows.is_empty() && rows.iter().all(|r| r[col(&h, "blame")].is_empty()));
    let e = stderr(&run(&args("Blame!", &dir.path().join("x.csv"))));
    assert!(e.contains("Blame!"), "{e}");
    let mut oversample = args("blame", &dir.path().join("y.csv"));
    oversample.extend(["--oversample-flagged".into(), "0.5".into()]);
    let e = stderr(&run(&oversample));
    assert!(e.contains("--oversample-flagged needs a device"), "{e}");
}
