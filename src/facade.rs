//! The library façade: configure ([`RhetorBuilder`]), load ([`Rhetor`]),
//! score ([`Rhetor::score_text`]). The command line and the Python package
//! load and run models only through it.

use crate::error::Result;
use crate::model::{load, Engine, LoadOptions, ModelSpec, Scorer, Thresholds};
use crate::score::{Article, Pipeline, PipelineOptions, ScoredArticle, ScoredSentence, Unit};
use crate::taxonomy::Device;

/// A loaded model and its scoring pipeline.
pub struct Rhetor {
    pipeline: Pipeline,
    warnings: Vec<String>,
}

/// Configures a [`Rhetor`]: which model, how it is loaded, how text is cut.
#[derive(Debug, Clone, Default)]
pub struct RhetorBuilder {
    model: ModelSpec,
    load: LoadOptions,
    /// [`engine`](Self::engine), kept apart so that [`load_options`](Self::load_options) never replaces it.
    engine: Option<Engine>,
    /// [`explain`](Self::explain), likewise.
    explain: Option<bool>,
    pipeline: PipelineOptions,
}

impl RhetorBuilder {
    /// The model to load (default: [`ModelSpec::Default`]).
    pub fn model(mut self, model: ModelSpec) -> Self {
        self.model = model;
        self
    }

    /// Where models and base weights come from, and the engine and `explain`
    /// unless [`engine`](Self::engine) or [`explain`](Self::explain) set
    /// them, in any order (default: [`LoadOptions::default`], which reads no
    /// environment variable; [`LoadOptions::from_env`] is the command line's).
    pub fn load_options(mut self, options: LoadOptions) -> Self {
        self.load = options;
        self
    }

    /// The transformer's inference engine (default: [`Engine::Auto`]).
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// Adds occlusion attributions to a transformer's cues (slower).
    pub fn explain(mut self, explain: bool) -> Self {
        self.explain = Some(explain);
        self
    }

    /// How text is cut into units: sentences (default) or non-empty lines.
    pub fn unit(mut self, unit: Unit) -> Self {
        self.pipeline.unit = unit;
        self
    }

    /// Sentences per model call (default 64; results do not depend on it).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.pipeline.batch_size = batch_size.max(1);
        self
    }

    /// Loads the model.
    pub fn build(self) -> Result<Rhetor> {
        let mut options = self.load;
        options.engine = self.engine.unwrap_or(options.engine);
        options.explain = self.explain.unwrap_or(options.explain);
        let loaded = load(&self.model, &options)?;
        Ok(Rhetor {
            pipeline: Pipeline::new(loaded.scorer, self.pipeline),
            warnings: loaded.warnings,
        })
    }
}

impl Rhetor {
    /// A builder with the defaults: the shipped model, automatic engine, sentences.
    pub fn builder() -> RhetorBuilder {
        RhetorBuilder::default()
    }

    /// Scores one text (id `text`, no title).
    pub fn score_text(&self, text: &str) -> Result<ScoredArticle> {
        self.score_article(&Article {
            id: "text".into(),
            title: None,
            text: text.into(),
        })
    }

    /// Scores one article; every offset points into `article.text`.
    pub fn score_article(&self, article: &Article) -> Result<ScoredArticle> {
        self.pipeline.score_article(article)
    }

    /// The devices of a scored sentence whose probability reaches the
    /// model's threshold, in the model's label order (labels of a declared
    /// set that are not devices are left out: see [`Rhetor::flagged_labels`]).
    pub fn flagged(&self, sentence: &ScoredSentence) -> Vec<Device> {
        self.flagged_labels(sentence)
            .into_iter()
            .filter_map(Device::from_id)
            .collect()
    }

    /// The names of the model's labels whose probability reaches their
    /// threshold in a scored sentence, in the model's label order.
    pub fn flagged_labels(&self, sentence: &ScoredSentence) -> Vec<&str> {
        let t = self.thresholds();
        self.pipeline
            .scorer()
            .labels()
            .names()
            .enumerate()
            .filter(|(i, _)| t.label_reached(*i, &sentence.probs))
            .map(|(_, name)| name)
            .collect()
    }

    /// The model's decision thresholds.
    pub fn thresholds(&self) -> &Thresholds {
        self.pipeline.thresholds()
    }

    /// The loaded scorer.
    pub fn scorer(&self) -> &dyn Scorer {
        self.pipeline.scorer()
    }

    /// Warnings from loading (e.g. the default model fell back to the cue model).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The scoring pipeline (for streaming and corpus batches).
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Gives up the façade for its pipeline.
    pub fn into_pipeline(self) -> Pipeline {
        self.pipeline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_options_never_replace_an_engine_or_explain_set_before_them() {
        let before = Rhetor::builder()
            .engine(Engine::Float)
            .explain(true)
            .load_options(LoadOptions::default());
        let after = Rhetor::builder()
            .load_options(LoadOptions::default())
            .engine(Engine::Float)
            .explain(true);
        for b in [before, after] {
            assert_eq!((b.engine, b.explain), (Some(Engine::Float), Some(true)));
        }
        // Without them, the load options' own values hold.
        let options = LoadOptions {
            engine: Engine::Int8,
            ..LoadOptions::default()
        };
        let b = Rhetor::builder().load_options(options);
        assert_eq!((b.engine, b.load.engine), (None, Engine::Int8));
    }

    #[test]
    fn cue_model_flags_an_editorial_aside_with_offsets_into_the_original() {
        let rhetor = Rhetor::builder().model(ModelSpec::Cues).build().unwrap();
        let text = "Rain fell. Let\u{2019}s notice that the minister is silent.";
        let scored = rhetor.score_text(text).unwrap();
        assert_eq!(scored.sentences.len(), 2);
        let aside = &scored.sentences[1];
        assert!(rhetor.flagged(aside).contains(&Device::EditorialAside));
        assert!(rhetor.flagged(&scored.sentences[0]).is_empty());
        let span = &aside.sentence.span;
        assert_eq!(&text[span.byte_start..span.byte_end], &text[11..]);
    }

    #[test]
    fn line_unit_scores_every_non_empty_line() {
        let rhetor = Rhetor::builder()
            .model(ModelSpec::Cues)
            .unit(Unit::Lines)
            .build()
            .unwrap();
        let scored = rhetor.score_text("One. Two.\n\nThree").unwrap();
        assert_eq!(scored.sentences.len(), 2);
    }
}
