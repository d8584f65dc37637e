//! `rhetor train --labels FILE`: trains a user's own labels from a coded file.

use super::{Args, Kind, PoolingArg};
use anyhow::{bail, Context, Result};
use rhetor::io::coded::{read_coded, CodedFile, CodedOptions};
use rhetor::model::bert::Pooling;
use rhetor::model::head::ContextMode;
use rhetor::taxonomy::{LabelDef, LabelLevel, LabelSet};
use rhetor::train::{
    write_label_model, LabelFigures, LabelOutcome, LabelTrainOptions, LabelTrainer, Provenance,
};
use std::path::Path;

/// Runs `rhetor train --labels`.
pub(super) fn run(args: Args) -> Result<i32> {
    refuse_shipped_only_options(&args)?;
    let Some(labels_path) = args.labels.as_deref() else {
        bail!("--labels FILE is required here");
    };
    let read_opts = CodedOptions {
        text_column: args.text_column.clone(),
        labels: args.label.clone(),
    };
    let train = read_coded(labels_path, &read_opts)?;
    report_counts(&train);
    // Dev and test files must have the training file's label columns.
    let same = CodedOptions {
        labels: train.labels.clone(),
        ..read_opts
    };
    let dev = match args.dev.as_slice() {
        [] => None,
        [one] => Some(read_coded(one, &same)?),
        _ => bail!("with --labels, give at most one --dev coded file"),
    };
    let test = args
        .test
        .as_deref()
        .map(|p| read_coded(p, &same))
        .transpose()?;
    let label_set = label_set(&train, &args.definition, labels_path)?;
    let base = match &args.base {
        Some(b) => b.clone(),
        None => rhetor::LoadOptions::from_env()
            .base
            .ensure()
            .context("transformer base weights are needed for training")?,
    };
    let opts = options(&args);
    let trainer = LabelTrainer::new(&base, &label_set, &train, dev.as_ref(), test.as_ref(), opts)?;
    let (outcome, model) = trainer.run(&args.out)?;
    let report = match (outcome, model) {
        (LabelOutcome::Finished(report), Some(model)) => {
            let provenance = Provenance {
                command: command_line(),
                data_licence: args.data_licence.clone(),
            };
            write_label_model(
                &args.out,
                &trainer,
                &train,
                dev.as_ref(),
                &model,
                &provenance,
            )?;
            report
        }
        (LabelOutcome::Stopped { folds, checkpoint }, _) => {
            eprintln!(
                "stopped after fold {folds}; checkpoint in {} (continue with the same command and --resume)",
                checkpoint.display()
            );
            return Ok(super::super::EXIT_OK);
        }
        (LabelOutcome::Finished(_), None) => bail!("training finished without a model"),
    };
    eprintln!(
        "{} figures (head trained for {} epochs, {:.0}s):",
        report.selection, report.epochs, report.seconds
    );
    print_figures(&report.figures);
    if let Some(test) = &report.test {
        eprintln!("held-out --test file:");
        print_figures(test);
    }
    eprintln!(
        "model written to {} (config.json, model.safetensors, MODEL_CARD.md)",
        args.out.display()
    );
    Ok(super::super::EXIT_OK)
}

/// Options of the shipped trainer that a `--labels` model cannot use.
fn refuse_shipped_only_options(args: &Args) -> Result<()> {
    if args.kind == Kind::Baseline {
        bail!("--labels trains the transformer head; --kind baseline is not supported with it");
    }
    if args.context != ContextMode::None {
        bail!("--context is not supported with --labels (a coded file has no article order)");
    }
    if args.stop_after_epochs.is_some() {
        bail!("with --labels, stop with --stop-after-folds N (the frozen head's run is checkpointed per cross-validation fold)");
    }
    if fine_tune_top(args) > 0 && args.pooling == Some(PoolingArg::MeanOfLayers) {
        bail!("--pooling mean-of-layers needs the frozen encoder (--fine-tune-top 0); fine-tuning pools the last layer (mean)");
    }
    if fine_tune_top(args) > 0 && (args.stop_after_folds.is_some() || args.resume) {
        bail!("--stop-after-folds and --resume need the frozen head (--fine-tune-top 0): a fine-tuning run is not checkpointed");
    }
    Ok(())
}

/// Prints per label what was read, used and skipped.
fn report_counts(file: &CodedFile) {
    eprintln!(
        "{}: {} rows read ({}), labels {}",
        file.source,
        file.rows.len(),
        file.format.id(),
        file.labels.join(", ")
    );
    for c in file.counts() {
        eprintln!(
            "  {:<24} {} coded ({} positive), {} empty cells skipped",
            c.name, c.coded, c.positives, c.not_coded
        );
    }
    let uncoded = file.uncoded_rows();
    if uncoded > 0 {
        eprintln!("  {uncoded} rows have no label coded and teach nothing");
    }
}

/// The label set: the file's label columns with their `--definition`s.
fn label_set(file: &CodedFile, definitions: &[String], path: &Path) -> Result<LabelSet> {
    let mut given = std::collections::HashMap::new();
    for d in definitions {
        let Some((name, text)) = d.split_once('=') else {
            bail!("--definition `{d}`: write NAME=TEXT");
        };
        if !file.labels.iter().any(|l| l == name.trim()) {
            bail!(
                "--definition `{d}`: `{}` is not a label column ({})",
                name.trim(),
                file.labels.join(", ")
            );
        }
        given.insert(name.trim().to_string(), text.trim().to_string());
    }
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let defs = file
        .labels
        .iter()
        .map(|name| LabelDef {
            name: name.clone(),
            definition: given
                .get(name)
                .cloned()
                .unwrap_or_else(|| format!("Coded `{name}` in {file_name}")),
            level: LabelLevel::Sentence,
        })
        .collect();
    LabelSet::new(defs)
        .with_context(|| format!("{}: the label columns cannot be model labels", file.source))
}

/// Encoder layers fine-tuned by default with --labels: none. The frozen
/// encoder with every layer's mean (`mean_of_layers`) beat fine-tuning the
/// top 2 layers held out on PTC (1,500 sentences → dev: 0.709 against 0.689
/// macro-F1, in 98 s against 213 s) and on the CheckThat! curve (64, 256,
/// 830 sentences), and its run can be stopped and resumed
/// (docs/training-your-own-labels.md, docs/codebook-curve.md).
pub(super) const DEFAULT_FINE_TUNE_TOP: usize = 0;

/// The encoder layers fine-tuned: --fine-tune-top, or the --labels default.
fn fine_tune_top(args: &Args) -> usize {
    args.fine_tune_top.unwrap_or(DEFAULT_FINE_TUNE_TOP)
}

/// The pooling: --pooling, or mean-of-layers with the frozen encoder and
/// mean when fine-tuning.
fn pooling(args: &Args) -> Pooling {
    match (args.pooling, fine_tune_top(args)) {
        (Some(p), _) => p.into(),
        (None, 0) => Pooling::MeanOfLayers,
        (None, _) => Pooling::Mean,
    }
}

fn options(args: &Args) -> LabelTrainOptions {
    let name = args.name.clone().unwrap_or_else(|| {
        args.out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "rhetor-labels".into())
    });
    LabelTrainOptions {
        name,
        hidden: args.hidden,
        epochs: args.epochs,
        lr: args.lr,
        weight_decay: args.weight_decay,
        dropout: args.dropout,
        batch_size: args.batch_size,
        seed: args.seed,
        folds: args.folds,
        max_pos_weight: args.max_pos_weight,
        framing_weight: 1.0,
        max_len: rhetor::tokenize::DEFAULT_MAX_LEN,
        fine_tune_top: fine_tune_top(args),
        pooling: pooling(args),
        encoder_lr: args.encoder_lr,
        holdout: 0.2,
        cache_dir: args.cache.clone(),
        progress: !args.quiet,
        resume: args.resume,
        stop_after_folds: args.stop_after_folds,
    }
}

fn print_figures(figures: &[LabelFigures]) {
    for f in figures {
        eprintln!("  {f}");
    }
}

/// The command line as typed (arguments with spaces quoted).
fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if a.contains(char::is_whitespace) || a.is_empty() {
                format!("'{a}'")
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
