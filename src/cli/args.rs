//! Flags shared by several subcommands, defined once (ripgrep style): the
//! model choice (`score`, `batch`, `eval`) and the statistics (`compare`,
//! `report`).

use rhetor::compare::CompareOptions;
use rhetor::compare::GroupBy;
use rhetor::{Engine, LoadOptions, ModelSpec, Rhetor, RhetorBuilder};
use std::path::Path;

/// `--model` and `--engine`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// Model: `default`, `cues`, `baseline`, or a model folder.
    #[arg(short, long, value_name = "MODEL", default_value = "default")]
    pub model: ModelSpec,
    /// Inference engine of transformer models: `auto` (int8 where this CPU has a fast int8
    /// kernel, else float; see `rhetor doctor`), `int8`, or `float` (float32, as in training).
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,
    /// Say on standard error which engine and int8 kernel run, and why.
    #[arg(short, long)]
    pub verbose: bool,
}

/// `--labels` (alias `--devices`): which of the model's labels to report.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LabelArgs {
    /// Only report these labels (comma-separated names of the model's labels: the device ids
    /// of docs/codebook.md for the shipped models, or the names a model folder's `label_set`
    /// declares). `--devices` is the older name.
    #[arg(short = 'd', long = "labels", visible_alias = "devices", value_delimiter = ',', value_name = "NAMES", value_parser = parse_label_name)]
    pub labels: Vec<String>,
}

impl LabelArgs {
    /// The selected label names, or `None` for all of the model's labels.
    pub fn selected(&self) -> Option<Vec<String>> {
        (!self.labels.is_empty()).then(|| self.labels.clone())
    }
}

/// Parses a label name (`--labels`): lower-case ASCII letters, digits and
/// `_`, starting with a letter. Whether the model has it is checked once the
/// model is loaded.
pub fn parse_label_name(s: &str) -> Result<String, String> {
    let s = s.trim();
    let valid = s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a label name (lower-case letters, digits and `_`, starting with a letter)"
        ))
    }
}

/// `--engine` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// int8 where this CPU has a fast int8 kernel, else float.
    Auto,
    /// int8 linear layers, no padding.
    Int8,
    /// float32 (the training engine).
    Float,
}

impl ModelArgs {
    /// A façade builder for this model and engine, with the environment's
    /// defaults for where models and base weights live.
    pub fn builder(&self) -> RhetorBuilder {
        let engine = match self.engine {
            EngineArg::Auto => Engine::Auto,
            EngineArg::Int8 => Engine::Int8,
            EngineArg::Float => Engine::Float,
        };
        if self.verbose {
            eprintln!("rhetor: {}", engine.explain());
        }
        Rhetor::builder()
            .load_options(LoadOptions::from_env())
            .model(self.model.clone())
            .engine(engine)
    }
}

/// Builds the model and prints its warnings.
pub fn build(builder: RhetorBuilder) -> anyhow::Result<Rhetor> {
    let rhetor = builder.build()?;
    for w in rhetor.warnings() {
        super::warn(w);
    }
    Ok(rhetor)
}

/// Parses a probability (`--threshold`).
pub fn parse_probability(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not a probability between 0 and 1"))
    }
}

/// The statistical options shared by `rhetor compare` and `rhetor report`, so
/// that both compute the same numbers from the same flags.
#[derive(clap::Args)]
pub struct StatsArgs {
    /// The column with ISO dates (YYYY-MM-DD, optionally with a time).
    #[arg(long, default_value = "date")]
    pub date_column: String,
    /// Bootstrap resamples (articles) for the rate intervals.
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
    /// Permutations per pairwise test (exact enumeration when fewer splits exist).
    #[arg(long, default_value_t = 10_000)]
    pub permutations: usize,
    /// Seed of the bootstrap and permutations.
    #[arg(long, default_value_t = CompareOptions::default().seed)]
    pub seed: u64,
    /// Groups with fewer articles are reported but not tested.
    #[arg(long, default_value_t = 5)]
    pub min_articles: usize,
    /// Groups with fewer sentences are reported but not tested.
    #[arg(long, default_value_t = 50)]
    pub min_sentences: u64,
    /// For sentences.csv: a sentence counts as framing when `framing` reaches this score
    /// [default: `thresholds.framing` of the batch's summary.json beside the file, else 0.5].
    #[arg(long)]
    pub framing_threshold: Option<f32>,
}

impl StatsArgs {
    /// The comparison settings for grouping keys `by`.
    pub fn options(&self, by: Vec<GroupBy>) -> CompareOptions {
        CompareOptions {
            by,
            date_column: self.date_column.clone(),
            bootstrap: self.bootstrap,
            permutations: self.permutations,
            seed: self.seed,
            min_articles: self.min_articles,
            min_sentences: self.min_sentences,
            ..Default::default()
        }
    }

    /// The framing threshold for `input`: `--framing-threshold`, else the one in
    /// the batch's summary.json beside it, else 0.5 (with a warning for a
    /// sentences file, whose rows need it).
    pub fn framing_threshold(&self, input: &Path) -> f32 {
        if let Some(t) = self.framing_threshold {
            return t;
        }
        if let Some(t) = rhetor::compare::input::batch_framing_threshold(input) {
            return t;
        }
        let name = input.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("sentences") {
            super::warn(&format!(
                "no summary.json beside {}: counting framing sentences at framing >= 0.5 (set --framing-threshold to the model's threshold)",
                input.display()
            ));
        }
        0.5
    }
}
