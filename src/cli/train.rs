//! `rhetor train` — trains the transformer sentence classifier's head (and
//! optionally the encoder's top layers) on PTC-format data.

use anyhow::{Context, Result};
use rhetor::model::head::ContextMode;
use rhetor::train::{LrSchedule, TrainOptions, TrainOutcome, Trainer};
use std::path::PathBuf;

mod labels;

/// Arguments of `rhetor train`.
#[derive(clap::Args)]
#[command(
    about = "Train the transformer classifier on labelled sets: PTC folders, rhetor CSVs, CheckThat! subjectivity TSVs",
    after_help = "Examples:\n  rhetor train --train ../shared/ptc/train --dev ../shared/ptc/dev --out models/rhetor-minilm\n  rhetor train --train ../shared/ptc/train --train ../shared/checkthat-subj-en/train_en.tsv \\\n    --dev ../shared/ptc/dev --dev ../shared/checkthat-subj-en/dev_en.tsv --out models/multi --fine-tune-top 4\n  rhetor train --train T --dev D --out models/ft2 --fine-tune-top 2 --epochs 4\n  rhetor train --labels coded.csv --label biased --out models/biased\n\nThresholds and early stopping use --dev; report figures on a split not used here.\nWith --labels (your own codebook, docs/training-your-own-labels.md) they use k-fold\ncross-validation on the coded file, or --dev FILE (a coded file too)."
)]
pub struct Args {
    /// What to train: the transformer head (default) or the TF-IDF + logistic-regression baseline.
    #[arg(long, value_enum, default_value = "transformer")]
    kind: Kind,
    /// Training data: a PTC folder or article file, a rhetor CSV, or a CheckThat TSV
    /// (repeat for multi-task training; the baseline takes one).
    #[arg(
        long,
        value_name = "PATH",
        required_unless_present = "labels",
        conflicts_with = "labels"
    )]
    train: Vec<PathBuf>,
    /// Development data (early stopping, thresholds); repeat like --train.
    /// With --labels: one coded file like it, used instead of cross-validation.
    #[arg(long, value_name = "PATH", required_unless_present = "labels")]
    dev: Vec<PathBuf>,
    /// Train your own labels from a coded file: CSV, TSV or JSONL with a text
    /// column and 0/1 label columns (e.g. the file `rhetor sample` writes,
    /// once coded); see docs/training-your-own-labels.md.
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// With --labels: a label column to train (repeat; output order) [default:
    /// every column holding only 1, 0 or empty cells].
    #[arg(long = "label", value_name = "NAME", requires = "labels")]
    label: Vec<String>,
    /// With --labels: the column holding the sentence.
    #[arg(long, value_name = "NAME", default_value = "text", requires = "labels")]
    text_column: String,
    /// With --labels: a label's one-line definition, NAME=TEXT (repeat)
    /// [default: "Coded `NAME` in FILE"].
    #[arg(long, value_name = "NAME=TEXT", requires = "labels")]
    definition: Vec<String>,
    /// With --labels: the training data's licence, for the model card [default: unknown].
    #[arg(long, value_name = "TEXT", requires = "labels")]
    data_licence: Option<String>,
    /// With --labels: cross-validation folds (without --dev).
    #[arg(long, value_name = "K", default_value_t = 5, requires = "labels")]
    folds: usize,
    /// With --labels: stop after N cross-validation folds of this invocation,
    /// keeping the checkpoint (continue with --resume).
    #[arg(long, value_name = "N", requires = "labels")]
    stop_after_folds: Option<usize>,
    /// With --labels: a coded file scored with the written model at the end
    /// (figures only; for measuring).
    #[arg(long, value_name = "FILE", requires = "labels", hide = true)]
    test: Option<PathBuf>,
    /// Output model folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Base model folder [default: RHETOR_BASE_DIR or models/base, set up if missing].
    #[arg(long, value_name = "DIR")]
    base: Option<PathBuf>,
    /// Context given to the head: none, prev_next, title.
    #[arg(long, default_value = "none", value_parser = parse_context)]
    context: ContextMode,
    /// Hidden width of the head (0 = linear head).
    #[arg(long, default_value_t = 256)]
    hidden: usize,
    /// Maximum epochs.
    #[arg(long, default_value_t = 40)]
    epochs: usize,
    /// Early-stopping patience (epochs without dev F1 improvement).
    #[arg(long, default_value_t = 6)]
    patience: usize,
    /// Learning rate of the head.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Learning rate of fine-tuned encoder layers.
    #[arg(long, default_value_t = 5e-5)]
    encoder_lr: f64,
    /// Dropout.
    #[arg(long, default_value_t = 0.1)]
    dropout: f32,
    /// Weight decay.
    #[arg(long, default_value_t = 1e-2)]
    weight_decay: f64,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Cap of the per-label positive weight.
    #[arg(long, default_value_t = 10.0)]
    max_pos_weight: f32,
    /// Loss weight of the combined `framing` output.
    #[arg(long, default_value_t = 2.0)]
    framing_weight: f32,
    /// Loss weight of the author-voice output (evaluative_editorializing, CheckThat SUBJ).
    #[arg(long, default_value_t = 2.0)]
    voice_weight: f32,
    /// Times each sentence of a CheckThat set is seen per epoch (oversampling).
    #[arg(long, default_value_t = 1, value_name = "N")]
    voice_oversample: usize,
    /// Training sentences rewritten as sure editorial asides ("Let's notice
    /// that …", "By the way, …") next to their originals, labelled only for
    /// editorial_aside (0 = none; docs/model.md).
    #[arg(long, default_value_t = 0, value_name = "N")]
    aside_augment: usize,
    /// Factor on the author-voice probabilities of sentences in attributed
    /// speech (1 = no discount; measured on CheckThat dev, docs/model.md).
    #[arg(long, default_value_t = 0.5, value_parser = crate::cli::args::parse_probability)]
    attributed_voice_factor: f32,
    /// Make `framing` coherent with the device flags (every flagged sentence at
    /// or above the framing threshold; PTC techniques raised to agree, docs/model.md).
    #[arg(long)]
    coherent_framing: bool,
    /// Share of author-voice sentences the author-voice threshold is chosen for
    /// (CheckThat dev is 52 % SUBJ, news 25–28 %).
    #[arg(long, default_value_t = 0.27, value_parser = crate::cli::args::parse_probability)]
    voice_base_rate: f32,
    /// Fine-tune the top K encoder layers (0 = frozen encoder) [default: 0;
    /// with --labels, K > 0 trains at most 6 epochs and pools the last layer;
    /// docs/training-your-own-labels.md].
    #[arg(long, value_name = "K")]
    fine_tune_top: Option<usize>,
    /// With --labels: the sentence vector the head reads. `mean-of-layers`:
    /// every encoder layer's mean token state, each of unit length,
    /// concatenated (frozen encoder only); `mean`: the last layer's mean
    /// [default: mean-of-layers with the frozen encoder, mean when fine-tuning].
    #[arg(long, value_enum)]
    pooling: Option<PoolingArg>,
    /// Learning-rate schedule: `constant`, or `linear` (warm-up over the
    /// --warmup share of the steps, then linear decay to 0 at the last step).
    #[arg(long, value_enum, default_value_t = Schedule::Constant)]
    schedule: Schedule,
    /// Share of the steps spent warming up with --schedule linear.
    #[arg(long, default_value_t = 0.1, value_parser = parse_warmup)]
    warmup: f64,
    /// Loss weight of the span head (token-level technique spans, learnt from
    /// PTC span files while fine-tuning; 0 = no span head).
    #[arg(long, default_value_t = 1.0)]
    span_weight: f32,
    /// Continue a stopped run from the checkpoint in OUT/checkpoint/ (the
    /// command must otherwise be the same); ends with the same model as an
    /// uninterrupted run.
    #[arg(long)]
    resume: bool,
    /// Stop after N epochs of this invocation, keeping the checkpoint
    /// (continue later with --resume): for time-boxed runs.
    #[arg(long, value_name = "N")]
    stop_after_epochs: Option<usize>,
    /// Random seed.
    #[arg(long, default_value_t = 13)]
    seed: u64,
    /// Cache folder for embeddings.
    #[arg(long, default_value = ".cache/rhetor")]
    cache: PathBuf,
    /// Model name written into config.json [default: the output folder's name].
    #[arg(long)]
    name: Option<String>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

/// `--pooling` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum PoolingArg {
    /// The last layer's mean token state.
    Mean,
    /// Every layer's mean token state, unit length each, concatenated.
    MeanOfLayers,
}

impl From<PoolingArg> for rhetor::model::bert::Pooling {
    fn from(p: PoolingArg) -> Self {
        match p {
            PoolingArg::Mean => Self::Mean,
            PoolingArg::MeanOfLayers => Self::MeanOfLayers,
        }
    }
}

/// `--schedule` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Schedule {
    /// The same rate at every step.
    Constant,
    /// Linear warm-up, then linear decay to 0.
    Linear,
}

fn parse_warmup(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(w) if (0.0..1.0).contains(&w) => Ok(w),
        _ => Err(format!("`{s}`: expected a share of the steps in [0, 1)")),
    }
}

fn parse_context(s: &str) -> Result<ContextMode, String> {
    ContextMode::parse(s).ok_or_else(|| format!("`{s}`: expected none, prev_next or title"))
}

/// Runs `rhetor train`.
pub fn run(args: Args) -> Result<i32> {
    if args.labels.is_some() {
        return labels::run(args);
    }
    if args.pooling.is_some() {
        anyhow::bail!(
            "--pooling is for --labels models; the shipped trainer pools the last layer (mean)"
        );
    }
    if args.kind == Kind::Baseline {
        return run_baseline(&args);
    }
    let base = match args.base {
        Some(b) => b,
        None => rhetor::LoadOptions::from_env()
            .base
            .ensure()
            .context("transformer base weights are needed for training")?,
    };
    let name = args.name.unwrap_or_else(|| {
        args.out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "rhetor-transformer".into())
    });
    let opts = TrainOptions {
        name,
        context: args.context,
        hidden: args.hidden,
        epochs: args.epochs,
        patience: args.patience,
        lr: args.lr,
        encoder_lr: args.encoder_lr,
        weight_decay: args.weight_decay,
        dropout: args.dropout,
        batch_size: args.batch_size,
        seed: args.seed,
        max_pos_weight: args.max_pos_weight,
        framing_weight: args.framing_weight,
        voice_weight: args.voice_weight,
        voice_oversample: args.voice_oversample,
        aside_augment: args.aside_augment,
        attributed_voice_factor: args.attributed_voice_factor,
        coherent_framing: args.coherent_framing,
        voice_base_rate: f64::from(args.voice_base_rate),
        fine_tune_top: args.fine_tune_top.unwrap_or(0),
        schedule: match args.schedule {
            Schedule::Linear => LrSchedule::Linear {
                warmup: args.warmup,
            },
            Schedule::Constant => LrSchedule::Constant,
        },
        span_weight: args.span_weight,
        resume: args.resume,
        stop_after: args.stop_after_epochs,
        max_len: rhetor::tokenize::DEFAULT_MAX_LEN,
        cache_dir: args.cache,
        progress: !args.quiet,
    };
    let mut report = match Trainer::new(&base, &args.train, &args.dev, opts)?.run(&args.out)? {
        TrainOutcome::Finished(report) => report,
        TrainOutcome::Stopped { epoch, checkpoint } => {
            eprintln!(
                "stopped after epoch {epoch}; checkpoint in {} (continue with the same command and --resume)",
                checkpoint.display()
            );
            return Ok(0);
        }
    };
    // The span decoding is chosen by evaluating the written model on dev.
    report.dev_spans =
        rhetor::eval::tune::choose_span_decoding(&args.out, &base, &args.dev, SPAN_RESAMPLES)?;
    eprintln!(
        "dev framing F1 {:.3} (95% CI {:.3}–{:.3}; P {:.3} R {:.3}; F1 at 0.5: {:.3}), best epoch {}, {:.0}s",
        report.dev_f1,
        report.dev_f1_ci95.low,
        report.dev_f1_ci95.high,
        report.dev_precision,
        report.dev_recall,
        report.dev_f1_at_05,
        report.best_epoch,
        report.seconds
    );
    if let Some(v) = &report.dev_voice {
        eprintln!(
            "dev author voice ({} sentences, {} SUBJ): macro-F1 {:.3} (95% CI {:.3}–{:.3}) at threshold {:.3} chosen for base rate {:.2} (macro-F1 there {:.3}); best on dev as it is {:.3}",
            v.sentences, v.subjective, v.macro_f1, v.macro_f1_ci95.low, v.macro_f1_ci95.high,
            v.threshold, v.base_rate, v.macro_f1_at_base_rate, v.best_macro_f1
        );
    }
    for (device, f1, n) in &report.per_device_f1 {
        eprintln!("  {device:<28} F1 {f1:.3}  (dev positives {n})");
    }
    if let Some(spans) = &report.dev_spans {
        eprintln!("dev spans (span threshold chosen for SI F1): {spans}");
    }
    eprintln!("model written to {}", args.out.display());
    Ok(0)
}

/// Resamples of the intervals of the dev span figures (as for the other dev figures).
const SPAN_RESAMPLES: usize = 1000;

/// The kinds of model `rhetor train` builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Classification head on the MiniLM encoder (optionally fine-tuning its top layers).
    Transformer,
    /// TF-IDF word + char n-grams (hashed) with logistic regression (`--model baseline`).
    Baseline,
}

/// Trains the TF-IDF baseline (C and thresholds chosen on `--dev`).
fn run_baseline(args: &Args) -> Result<i32> {
    let ([train], [dev]) = (args.train.as_slice(), args.dev.as_slice()) else {
        anyhow::bail!("the baseline trains on one --train and one --dev set");
    };
    let report = rhetor::train::baseline::train_baseline(train, Some(dev), &args.out)
        .context("training the TF-IDF baseline")?;
    eprintln!(
        "rhetor: baseline trained on {} sentences (C = {}); dev sentence F1 {} at threshold {:.3} → {}",
        report.train_sentences,
        report.c,
        report.dev_sentence_f1.map_or("n/a".to_string(), |f| format!("{f:.3}")),
        report.framing_threshold,
        args.out.display()
    );
    Ok(super::EXIT_OK)
}
