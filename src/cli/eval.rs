//! `rhetor eval` — evaluate a model against a labelled set (rhetor CSV, a
//! PTC-layout folder or a CheckThat! subjectivity TSV), with baselines, bootstrap intervals, calibration,
//! threshold tuning and error analysis; or `--agreement A.csv B.csv`.

use super::args::{build, ModelArgs};
use super::{warn, EXIT_OK};
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use rhetor::eval::agreement::agreement;
use rhetor::eval::codebook::evaluate_codebook;
use rhetor::eval::report::{summary, write_report_dir, Report};
use rhetor::eval::run::{
    constant_run, error_analysis, evaluate_with, score_gold, scored_devices, Evaluation,
};
use rhetor::eval::spans::{cues_as_spans, evaluate_spans};
use rhetor::eval::tune::{tune_span_decoding, tune_thresholds};
use rhetor::eval::{read_gold, GoldFormat, GoldOptions, GoldSet, ModelRun};
use rhetor::io::coded::{read_coded, CodedOptions};
use rhetor::model::span_head::read_config_span_head;
use rhetor::model::thresholds::{read_config_thresholds, write_config_thresholds};
use rhetor::model::{write_config_key, Thresholds};
use rhetor::{LoadOptions, ModelSpec, Rhetor};
use std::path::{Path, PathBuf};

/// A split of a labelled set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Split {
    /// The development split (tuning allowed).
    Dev,
    /// The held-out test split (tuning refused).
    Test,
}

impl Split {
    fn name(self) -> &'static str {
        match self {
            Split::Dev => "dev",
            Split::Test => "test",
        }
    }
}

/// Arguments of `rhetor eval`.
#[derive(clap::Args)]
#[command(
    after_help = "Labelled sets:\n  a rhetor CSV (article_id,sentence_index,text,devices[,start,end][,split]; devices `;`-separated),\n  a folder holding gold.csv (or a single .csv), or a PTC-layout folder (articleNNN.txt +\n  articleNNN.task-flc-tc.labels / .task-si.labels / .task-SLC.labels), or a CheckThat! subjectivity\n  .tsv (sentence_id, sentence, label SUBJ|OBJ: the author-voice device is scored), or a coded\n  validation sample (`rhetor sample`, filled in by hand or in `rhetor serve`: its coded rows and label columns). See docs/evaluation.md.\n\nExamples:\n  rhetor eval --gold ../shared/ptc/dev --model cues --baselines --out eval/results/ptc-dev-cues\n  rhetor eval --gold eval/gold --split test\n  rhetor eval --gold ../shared/ptc/dev --model models/baseline --tune\n  rhetor eval --gold ../shared/checkthat-subj-en/dev_en.tsv --base-rate 0.27\n  rhetor eval --agreement passA.csv passB.csv"
)]
pub struct Args {
    /// The labelled set: a rhetor gold CSV, a folder with one, a PTC-layout folder, a CheckThat! TSV or a coded validation sample.
    #[arg(long, value_name = "PATH", required_unless_present = "agreement")]
    gold: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    /// Evaluate only the sentences of this split (needs a `split` column).
    #[arg(long, value_enum)]
    split: Option<Split>,
    /// Write metrics.json, report.md and predictions.csv into this folder.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Tune the thresholds (best F1) on this set and write them into the model folder's config.json. Refused on a test split.
    #[arg(long)]
    tune: bool,
    /// Also evaluate all-negative, all-positive, the cue model and the TF-IDF baseline.
    #[arg(long)]
    baselines: bool,
    /// Skip malformed label lines (each one is listed in the report) instead of failing.
    #[arg(long)]
    skip_bad: bool,
    /// Leave sentence texts out of report.md and predictions.csv (for corpora you may not redistribute).
    #[arg(long)]
    redact: bool,
    /// Also report the sentence-level metrics with the gold positives reweighted to this prior (0 < P < 1; real news: 0.25–0.28).
    #[arg(long, value_name = "P", value_parser = parse_base_rate)]
    base_rate: Option<f64>,
    /// Bootstrap resamples for the confidence intervals (0 = none).
    #[arg(long, default_value_t = rhetor::eval::run::RESAMPLES)]
    resamples: usize,
    /// How many false positives / negatives the error analysis lists.
    #[arg(long, default_value_t = 20)]
    errors: usize,
    /// Sentences per model call.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Print Cohen's κ per device between two labelling passes (CSVs with article_id, sentence_index, devices) and exit.
    #[arg(long, num_args = 2, value_names = ["A.csv", "B.csv"], conflicts_with = "gold")]
    agreement: Option<Vec<PathBuf>>,
}

/// Runs `rhetor eval`.
pub fn run(args: Args) -> Result<i32> {
    if let Some(pair) = &args.agreement {
        return run_agreement(&pair[0], &pair[1]);
    }
    let gold_path = args
        .gold
        .clone()
        .context("--gold is required (or --agreement A.csv B.csv)")?;
    let rhetor = build(args.model.builder().batch_size(args.batch_size))?;
    if !rhetor.scorer().labels().is_shipped() {
        return run_codebook(&args, &gold_path, &rhetor);
    }
    let mut gold = read_gold(
        &gold_path,
        GoldOptions {
            skip_bad: args.skip_bad,
        },
    )?;
    if let Some(split) = args.split {
        if gold.format != GoldFormat::RhetorCsv {
            warn("--split is ignored for a PTC folder, a CheckThat file or a validation sample (the file is the split)");
        } else {
            gold.filter_split(split.name())?;
        }
    }
    if gold.sentence_count() == 0 {
        bail!("{}: no sentences to evaluate", gold_path.display());
    }
    if args.tune {
        refuse_tuning_on_test(&gold, &gold_path, args.split)?;
    }
    let thresholds = eval_thresholds(&args.model.model, rhetor.thresholds())?;
    let mut run = score_gold(&gold, rhetor.scorer(), thresholds, args.batch_size)?;
    let mut tuned = Vec::new();
    let mut notes = Vec::new();
    if args.tune {
        let Some(dir) = model_folder(&args.model.model) else {
            bail!("--tune writes the thresholds into a model folder: pass --model with a folder (e.g. --model models/cues or --model baseline)");
        };
        let (t, rows) = tune_thresholds(&gold, &run);
        write_config_thresholds(&dir, &t)?;
        eprintln!(
            "rhetor: tuned {} thresholds written to {}",
            rows.len(),
            dir.join("config.json").display()
        );
        notes.push("Thresholds were tuned on this very set: its figures are optimistic; report figures on a held-out split.".into());
        run.thresholds = t;
        run.score_framing_on(&gold);
        tuned = rows;
        if let Some(note) = tune_spans(&dir, &gold, &mut run)? {
            notes.push(note);
        }
    }
    let evaluation = evaluate_with(&gold, &run, args.resamples, args.base_rate);
    if args.base_rate.is_some() && evaluation.sentence_level.at_base_rate.is_none() {
        notes.push(
            "--base-rate: not applied, the set has no positive or no negative sentence".into(),
        );
    }
    let baselines = if args.baselines {
        baseline_runs(&gold, &run, args.batch_size, &mut notes)?
            .iter()
            .map(|b| evaluate_baseline(&gold, b, args.resamples, args.base_rate))
            .collect()
    } else {
        Vec::new()
    };
    let report = Report {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        gold: gold_path.display().to_string(),
        gold_format: match gold.format {
            GoldFormat::Ptc => "ptc".into(),
            GoldFormat::RhetorCsv => "rhetor_csv".into(),
            GoldFormat::CheckThat => "checkthat".into(),
            GoldFormat::Sample { .. } => "sample".into(),
        },
        split: args.split.map(|s| s.name().to_string()),
        scored_devices: scored_devices(&gold)
            .iter()
            .map(|d| d.id().to_string())
            .collect(),
        errors: error_analysis(&gold, &run, args.errors, args.redact),
        evaluation,
        baselines,
        tuned,
        skipped: gold.skipped.clone(),
        notes,
        redacted: args.redact,
    };
    print!("{}", summary(&report));
    if let Some(dir) = &args.out {
        write_report_dir(dir, &report, &gold, &run, &scored_devices(&gold))?;
        eprintln!(
            "rhetor: wrote metrics.json, report.md and predictions.csv to {}",
            dir.display()
        );
    }
    Ok(EXIT_OK)
}

/// `--tune` on a model with a span head and a set with gold spans: chooses
/// the span decoding with the best SI F1, writes it into the model's
/// `config.json` and re-decodes the run's spans. Returns the report's note.
fn tune_spans(dir: &Path, gold: &GoldSet, run: &mut ModelRun) -> Result<Option<String>> {
    let Some(base) = read_config_span_head(dir)? else {
        return Ok(None);
    };
    let Some((decoding, si_f1)) = tune_span_decoding(&mut [(gold, &mut run.scores)], &base) else {
        return Ok(None);
    };
    write_config_key(dir, "span_head", &decoding)?;
    let what = format!(
        "threshold {}, extension threshold {}, join gap {} words; SI F1 {si_f1:.3}",
        decoding.threshold,
        decoding.extend_threshold.unwrap_or(decoding.threshold),
        decoding.join_gap
    );
    eprintln!(
        "rhetor: span decoding ({what}) written to {}",
        dir.join("config.json").display()
    );
    Ok(Some(format!(
        "The span decoding was tuned on this very set ({what}): its span figures are optimistic."
    )))
}

/// Evaluates a baseline; the cue model's `spans` score its cue spans (SI
/// only) on a set with gold spans, as a span baseline.
fn evaluate_baseline(
    gold: &GoldSet,
    run: &ModelRun,
    resamples: usize,
    base_rate: Option<f64>,
) -> Evaluation {
    let mut e = evaluate_with(gold, run, resamples, base_rate);
    if run.name == ModelSpec::Cues.to_string() && e.spans.is_none() {
        e.spans = evaluate_spans(gold, &cues_as_spans(&run.scores), resamples);
    }
    e
}

/// `--base-rate P`: a number strictly between 0 and 1.
fn parse_base_rate(raw: &str) -> std::result::Result<f64, String> {
    let p: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("`{raw}` is not a number"))?;
    if p > 0.0 && p < 1.0 {
        Ok(p)
    } else {
        Err(format!("{p} is not strictly between 0 and 1"))
    }
}

/// The model folder whose `config.json` thresholds `eval` reads and `--tune`
/// writes: a folder or the baseline, not the default model or the cue model.
fn model_folder(spec: &ModelSpec) -> Option<PathBuf> {
    match spec {
        ModelSpec::Default | ModelSpec::Cues => None,
        ModelSpec::Baseline | ModelSpec::Dir(_) => spec.folder(&LoadOptions::from_env().models_dir),
    }
}

/// `rhetor eval` of a model with labels of its own: `--gold` is a coded file
/// (CSV/TSV/JSONL with `text` and a 0/1 column per label of the model, as
/// `rhetor train --labels` reads); figures per label and `framing` on
/// stdout, and `metrics.json` in `--out`.
fn run_codebook(args: &Args, gold_path: &Path, rhetor: &Rhetor) -> Result<i32> {
    let names: Vec<String> = rhetor.scorer().labels().names().map(String::from).collect();
    if args.tune || args.baselines || args.split.is_some() || args.base_rate.is_some() {
        bail!(
            "--tune, --baselines, --split and --base-rate are for the 18 shipped devices; the model {} has labels of its own ({}): evaluate it on a coded file as it is",
            args.model.model,
            names.join(", ")
        );
    }
    if args.resamples != rhetor::eval::run::RESAMPLES {
        warn("--resamples is ignored for labels of your own (2,000 bootstrap resamples, as the model card's figures)");
    }
    let opts = CodedOptions {
        text_column: "text".into(),
        labels: names,
    };
    let file = read_coded(gold_path, &opts).with_context(|| {
        format!(
            "{}: the model {} has labels of its own, so --gold must be a coded file with a `text` column and one 0/1 column per label",
            gold_path.display(),
            args.model.model
        )
    })?;
    let e = evaluate_codebook(rhetor.scorer(), rhetor.thresholds(), &file, args.batch_size)?;
    println!(
        "{} on {} ({} rows; each text scored as one sentence, at the model's thresholds):",
        e.model, e.gold.path, e.gold.rows
    );
    for (f, skipped) in e.figures.iter().zip(&e.not_coded) {
        println!("  {f}  ({skipped} not coded)");
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        e.write_json(&out.join("metrics.json"))?;
        eprintln!("rhetor: wrote {}", out.join("metrics.json").display());
    }
    Ok(EXIT_OK)
}

/// The thresholds a model is evaluated with: its own, overridden by those in
/// its [`model_folder`]'s `config.json`.
fn eval_thresholds(spec: &ModelSpec, own: &Thresholds) -> Result<Thresholds> {
    Ok(match model_folder(spec) {
        Some(dir) => read_config_thresholds(&dir, own)?,
        None => own.clone(),
    })
}

/// Refuses `--tune` on anything that looks like a test split.
fn refuse_tuning_on_test(gold: &GoldSet, path: &Path, split: Option<Split>) -> Result<()> {
    let named_test = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        n.eq_ignore_ascii_case("test") || n.to_ascii_lowercase().starts_with("test.")
    });
    let has_test_rows = gold
        .articles
        .iter()
        .flat_map(|a| &a.sentences)
        .any(|s| s.split.as_deref() == Some("test"));
    if split == Some(Split::Test) || named_test || has_test_rows {
        bail!("refusing to tune thresholds on a test split: tune on dev (--split dev, or a dev folder) and keep test for the final figures");
    }
    Ok(())
}

/// The baselines evaluated beside the model under test.
fn baseline_runs(
    gold: &GoldSet,
    main: &ModelRun,
    batch_size: usize,
    notes: &mut Vec<String>,
) -> Result<Vec<ModelRun>> {
    let mut runs = vec![
        constant_run(gold, "all-negative", 0.0),
        constant_run(gold, "all-positive", 1.0),
    ];
    for spec in [ModelSpec::Cues, ModelSpec::Baseline] {
        let name = spec.to_string();
        if main.name == name {
            continue;
        }
        let builder = Rhetor::builder()
            .load_options(LoadOptions::from_env())
            .model(spec.clone());
        match builder.build() {
            Ok(rhetor) => {
                let thresholds = eval_thresholds(&spec, rhetor.thresholds())?;
                runs.push(score_gold(gold, rhetor.scorer(), thresholds, batch_size)?);
            }
            Err(e) => notes.push(format!("baseline `{name}` not evaluated: {e}")),
        }
    }
    Ok(runs)
}

fn run_agreement(a: &Path, b: &Path) -> Result<i32> {
    let r = agreement(a, b)?;
    println!(
        "Cohen's kappa between {} and {} ({} sentences)",
        a.display(),
        b.display(),
        r.sentences
    );
    println!(
        "{:<28} {:>6} {:>6} {:>6} {:>8} {:>7}",
        "label", "A", "B", "both", "observed", "kappa"
    );
    for l in &r.labels {
        println!(
            "{:<28} {:>6} {:>6} {:>6} {:>8.3} {:>7}",
            l.label,
            l.positives_a,
            l.positives_b,
            l.both,
            l.observed,
            l.kappa
                .map(|k| format!("{k:.3}"))
                .unwrap_or_else(|| "n/a".into())
        );
    }
    if let Some(k) = r.macro_kappa() {
        println!("macro mean kappa over the devices where it is defined: {k:.3}");
    }
    println!("(n/a: both passes constant and equal, kappa undefined)");
    Ok(EXIT_OK)
}
