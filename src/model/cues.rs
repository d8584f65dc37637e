//! The transparent cue model: weighted patterns per device, combined by a
//! small logistic layer. Its weights live in a readable TOML file
//! (`models/cues/patterns.toml`), which is also embedded in the binary.
//!
//! Every *feature* is one named entry of the file:
//! - `[[pattern]]`: a regular expression (all of them run as one `RegexSet`
//!   pass; only the patterns that match are run again for their spans);
//! - `[[lexicon]]`: a word list (all lists run as one Aho-Corasick pass,
//!   ASCII case-insensitive, whole words only; `word*` also matches any
//!   word that starts with `word`);
//! - `[[detector]]`: a built-in structural test with a weight
//!   (`scare_quote`, `author_question`, `repeated_word`).
//!
//! Scores:
//! `p(device) = sigmoid(bias_d + Σ_f weight_f · x_f)` where `x_f` is the number
//! of distinct matches of feature `f` (capped at `max_hits`), each match
//! counting `attributed_factor` instead of 1 when the device is an author-voice
//! device and the match lies inside attributed speech
//! ([`crate::text::attribution`]).
//! `framing = sigmoid(framing_bias + Σ_d gain_d · (logit_d − bias_d))`: a
//! logistic layer over the evidence of every device.

use super::{sigmoid, Cue, DeviceLabels, Scorer, SentenceInput, SentenceScores, Thresholds};
use crate::error::{Error, Result};
use crate::taxonomy::{Device, DeviceMap, LabelMap, LabelSet};
use crate::text::attribution;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

/// The pattern file embedded in the binary (the `cues` model).
pub const EMBEDDED_PATTERNS: &str = include_str!("../../models/cues/patterns.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternFile {
    #[serde(default)]
    version: u32,
    framing_bias: f32,
    #[serde(default = "default_threshold")]
    framing_threshold: f32,
    #[serde(default = "default_attributed_factor")]
    attributed_factor: f32,
    #[serde(default = "default_max_hits")]
    max_hits: u32,
    #[serde(default)]
    device: Vec<DeviceEntry>,
    #[serde(default)]
    pattern: Vec<PatternEntry>,
    #[serde(default)]
    lexicon: Vec<LexiconEntry>,
    #[serde(default)]
    detector: Vec<DetectorEntry>,
}

fn default_threshold() -> f32 {
    0.5
}
fn default_attributed_factor() -> f32 {
    0.25
}
fn default_max_hits() -> u32 {
    2
}
fn default_gain() -> f32 {
    1.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceEntry {
    id: String,
    bias: f32,
    #[serde(default = "default_threshold")]
    threshold: f32,
    #[serde(default)]
    author_voice: bool,
    #[serde(default = "default_gain")]
    gain: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternEntry {
    name: String,
    device: String,
    regex: String,
    weight: f32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconEntry {
    name: String,
    device: String,
    weight: f32,
    words: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorEntry {
    name: String,
    device: String,
    kind: String,
    weight: f32,
}

/// The built-in structural detectors a `[[detector]]` entry can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DetectorKind {
    /// A 1–4 word quoted phrase in the author's voice that is not a name or title.
    ScareQuote,
    /// A question (`?`) outside attributed speech.
    AuthorQuestion,
    /// A content word (4+ letters) used three times or more, or a word doubled (`never, never`).
    RepeatedWord,
}

impl DetectorKind {
    fn parse(kind: &str) -> Option<DetectorKind> {
        match kind {
            "scare_quote" => Some(DetectorKind::ScareQuote),
            "author_question" => Some(DetectorKind::AuthorQuestion),
            "repeated_word" => Some(DetectorKind::RepeatedWord),
            _ => None,
        }
    }
}

/// One named, weighted feature of the model.
#[derive(Debug, Clone)]
struct Feature {
    name: String,
    device: Device,
    /// `device.index()`, precomputed.
    slot: usize,
    weight: f32,
}

/// A lexicon word in the Aho-Corasick automaton: which features it feeds and
/// whether it is a prefix (`word*`).
#[derive(Debug, Clone)]
struct LexWord {
    features: Vec<usize>,
    prefix: bool,
}

/// The cue model.
pub struct CueModel {
    features: Vec<Feature>,
    regex_set: RegexSet,
    /// Per regex of the set: (compiled regex, feature index).
    regexes: Vec<(Regex, usize)>,
    lexicon: Option<AhoCorasick>,
    lex_words: Vec<LexWord>,
    detectors: Vec<(DetectorKind, usize)>,
    biases: Vec<f32>,
    gains: Vec<f32>,
    author_voice: Vec<bool>,
    framing_bias: f32,
    attributed_factor: f32,
    max_hits: u32,
    thresholds: Thresholds,
    /// The declared label set (device ids) of a cue model folder, if any.
    labels: Option<DeviceLabels>,
}

/// One match of a feature in a sentence.
#[derive(Debug, Clone)]
struct Hit {
    feature: usize,
    range: Range<usize>,
}

impl CueModel {
    /// The cue model embedded in the binary.
    pub fn embedded() -> Result<CueModel> {
        CueModel::parse(
            EMBEDDED_PATTERNS,
            Path::new("<embedded>/models/cues/patterns.toml"),
        )
    }

    /// Reads a cue model folder (`config.json` + `patterns.toml`).
    pub fn from_dir(dir: &Path) -> Result<CueModel> {
        let path = dir.join("patterns.toml");
        let raw = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        CueModel::parse(&raw, &path)
    }

    /// Parses a pattern file; `path` names it in errors.
    pub fn parse(raw: &str, path: &Path) -> Result<CueModel> {
        let file: PatternFile = toml::from_str(raw)
            .map_err(|e| Error::model(path, format!("invalid pattern file: {e}")))?;
        if file.version > 1 {
            return Err(Error::model(
                path,
                format!(
                    "pattern file version {} is newer than this rhetor understands (1)",
                    file.version
                ),
            ));
        }
        let device_of = |id: &str, what: &str| {
            Device::from_id(id)
                .ok_or_else(|| Error::model(path, format!("unknown device `{id}` in {what}")))
        };
        let n = Device::ALL.len();
        let mut biases = vec![-4.0; n];
        let mut gains = vec![1.0; n];
        let mut author_voice = vec![false; n];
        let mut thresholds = Thresholds {
            devices: DeviceMap::filled(0.5),
            labels: None,
            framing: file.framing_threshold,
        };
        for d in &file.device {
            let device = device_of(&d.id, "[[device]]")?;
            let i = device.index();
            biases[i] = d.bias;
            gains[i] = d.gain;
            author_voice[i] = d.author_voice;
            thresholds.devices[device] = d.threshold;
        }
        let mut features = Vec::new();
        let mut seen = HashMap::new();
        let mut add_feature = |name: &str, device: &str, weight: f32, what: &str| {
            let device = device_of(device, what)?;
            if seen.insert(name.to_string(), features.len()).is_some() {
                return Err(Error::model(
                    path,
                    format!("duplicate feature name `{name}`"),
                ));
            }
            if !weight.is_finite() {
                return Err(Error::model(
                    path,
                    format!("weight of `{name}` is not a number"),
                ));
            }
            features.push(Feature {
                name: name.to_string(),
                device,
                slot: device.index(),
                weight,
            });
            Ok(features.len() - 1)
        };
        let mut regexes = Vec::with_capacity(file.pattern.len());
        for p in &file.pattern {
            let f = add_feature(&p.name, &p.device, p.weight, "[[pattern]]")?;
            let regex = ascii_regex(&p.regex).map_err(|e| {
                Error::model(path, format!("bad regex in pattern `{}`: {e}", p.name))
            })?;
            regexes.push((regex, f));
        }
        let regex_set = RegexSetBuilder::new(file.pattern.iter().map(|p| p.regex.as_str()))
            .unicode(false)
            .dfa_size_limit(32 << 20)
            .build()
            .map_err(|e| Error::model(path, format!("patterns do not compile together: {e}")))?;
        let mut word_index: HashMap<String, usize> = HashMap::new();
        let mut lex_words: Vec<LexWord> = Vec::new();
        let mut needles: Vec<String> = Vec::new();
        for l in &file.lexicon {
            let f = add_feature(&l.name, &l.device, l.weight, "[[lexicon]]")?;
            for word in &l.words {
                let prefix = word.ends_with('*');
                let needle = word.trim_end_matches('*').trim().to_ascii_lowercase();
                if needle.is_empty() {
                    return Err(Error::model(
                        path,
                        format!("empty word in lexicon `{}`", l.name),
                    ));
                }
                let key = format!("{needle}{}", if prefix { "*" } else { "" });
                let i = *word_index.entry(key).or_insert_with(|| {
                    needles.push(needle);
                    lex_words.push(LexWord {
                        features: Vec::new(),
                        prefix,
                    });
                    lex_words.len() - 1
                });
                if !lex_words[i].features.contains(&f) {
                    lex_words[i].features.push(f);
                }
            }
        }
        let lexicon = (!needles.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&needles)
                    .map_err(|e| Error::model(path, format!("lexicons do not compile: {e}")))
            })
            .transpose()?;
        let mut detectors = Vec::new();
        for d in &file.detector {
            let kind = DetectorKind::parse(&d.kind).ok_or_else(|| {
                Error::model(
                    path,
                    format!(
                        "unknown detector kind `{}` in `{}` (known: scare_quote, author_question, repeated_word)",
                        d.kind, d.name
                    ),
                )
            })?;
            let f = add_feature(&d.name, &d.device, d.weight, "[[detector]]")?;
            detectors.push((kind, f));
        }
        Ok(CueModel {
            features,
            regex_set,
            regexes,
            lexicon,
            lex_words,
            detectors,
            biases,
            gains,
            author_voice,
            framing_bias: file.framing_bias,
            attributed_factor: file.attributed_factor,
            max_hits: file.max_hits,
            thresholds,
            labels: None,
        })
    }

    /// This model reporting its scores under `set`, a declared label set
    /// whose names are device ids (the patterns name devices), in the set's
    /// order; a label that is not a device id is an error.
    pub fn with_label_set(
        mut self,
        set: LabelSet,
    ) -> std::result::Result<CueModel, crate::taxonomy::LabelSetError> {
        self.labels = Some(DeviceLabels::new(set, &self.thresholds)?);
        Ok(self)
    }

    /// The names of the model's features, in feature order.
    pub fn feature_names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// The device of each feature, in feature order.
    pub fn feature_devices(&self) -> Vec<Device> {
        self.features.iter().map(|f| f.device).collect()
    }

    /// The weight of each feature, in feature order.
    pub fn feature_weights(&self) -> Vec<f32> {
        self.features.iter().map(|f| f.weight).collect()
    }

    /// The bias of each device, indexed like [`Device::ALL`].
    pub fn biases(&self) -> &[f32] {
        &self.biases
    }

    /// The framing layer: its bias and the gain of each device.
    pub fn framing_layer(&self) -> (f32, &[f32]) {
        (self.framing_bias, &self.gains)
    }

    /// The feature vector of a sentence (one value per feature: capped,
    /// attribution-discounted match count). This is what the logistic layer sees.
    pub fn features(&self, text: &str) -> Vec<f32> {
        self.evaluate(text).0
    }

    /// Finds every match of every feature in the sentence.
    fn hits(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        for i in self.regex_set.matches(text.as_bytes()).iter() {
            let (regex, feature) = &self.regexes[i];
            hits.extend(
                regex
                    .find_iter(text.as_bytes())
                    .filter(|m| !m.is_empty())
                    .map(|m| Hit {
                        feature: *feature,
                        range: snap_to_chars(text, m.range()),
                    }),
            );
        }
        self.lexicon_hits(text, &mut hits);
        for (kind, feature) in &self.detectors {
            let ranges = match kind {
                DetectorKind::ScareQuote => scare_quotes(text),
                DetectorKind::AuthorQuestion => author_questions(text),
                DetectorKind::RepeatedWord => repeated_words(text),
            };
            hits.extend(ranges.into_iter().map(|range| Hit {
                feature: *feature,
                range,
            }));
        }
        hits
    }

    fn lexicon_hits(&self, text: &str, hits: &mut Vec<Hit>) {
        let Some(ac) = &self.lexicon else {
            return;
        };
        let bytes = text.as_bytes();
        for m in ac.find_iter(text) {
            let word = &self.lex_words[m.pattern().as_usize()];
            if !starts_word(bytes, m.start()) {
                continue;
            }
            let end = if word.prefix {
                extend_word(bytes, m.end())
            } else if ends_word(bytes, m.end()) {
                m.end()
            } else {
                continue;
            };
            for &feature in &word.features {
                hits.push(Hit {
                    feature,
                    range: m.start()..end,
                });
            }
        }
    }

    /// Feature vector, logits and cues of one sentence.
    fn evaluate(&self, text: &str) -> (Vec<f32>, Vec<f32>, Vec<Cue>) {
        let mut hits = self.hits(text);
        hits.sort_by_key(|h| (h.feature, h.range.start, h.range.end));
        hits.dedup_by(|a, b| a.feature == b.feature && a.range == b.range);
        let needs_attribution = hits
            .iter()
            .any(|h| self.author_voice[self.features[h.feature].slot]);
        let attributed = if needs_attribution {
            attribution::attributed_ranges(text)
        } else {
            Vec::new()
        };
        let mut x = vec![0.0f32; self.features.len()];
        let mut counts = vec![0u32; self.features.len()];
        let mut cues = Vec::with_capacity(hits.len());
        for h in hits {
            let feature = &self.features[h.feature];
            let inside = attribution::within(&attributed, &h.range);
            let discount = if inside && self.author_voice[feature.slot] {
                self.attributed_factor
            } else {
                1.0
            };
            counts[h.feature] += 1;
            let counted = counts[h.feature] <= self.max_hits;
            if counted {
                x[h.feature] += discount;
            }
            cues.push(Cue {
                device: feature.device,
                start: h.range.start,
                end: h.range.end,
                pattern: feature.name.clone(),
                weight: if counted {
                    feature.weight * discount
                } else {
                    0.0
                },
            });
        }
        let mut logits = self.biases.clone();
        for (f, value) in self.features.iter().zip(&x) {
            logits[f.slot] += f.weight * value;
        }
        cues.sort_by_key(|c| (c.start, c.end));
        (x, logits, cues)
    }

    /// The scores of one (normalised) sentence.
    pub fn score_one(&self, text: &str) -> SentenceScores {
        let (_, logits, cues) = self.evaluate(text);
        let evidence: f32 = logits
            .iter()
            .zip(&self.biases)
            .zip(&self.gains)
            .map(|((l, b), g)| g * (l - b))
            .sum();
        SentenceScores {
            probs: LabelMap::from_device_order(&DeviceMap::from_fn(|d| sigmoid(logits[d.index()]))),
            framing: sigmoid(self.framing_bias + evidence),
            cues,
            ..Default::default()
        }
    }
}

/// Compiles a pattern of the file. Patterns run byte-wise with Unicode
/// classes off (`\w`, `\b`, `(?i)` are ASCII), which keeps one `RegexSet`
/// pass per sentence fast; non-ASCII literals still match.
fn ascii_regex(pattern: &str) -> std::result::Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).unicode(false).build()
}

/// Widens a byte range to the nearest char boundaries of `text` (a byte-wise
/// pattern may start or end inside a multi-byte char).
fn snap_to_chars(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end.min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// True when byte `at` starts a word (no letter or digit just before it).
fn starts_word(bytes: &[u8], at: usize) -> bool {
    at == 0 || !is_word_byte(bytes[at - 1])
}

/// True when byte `at` ends a word (no letter or digit at it).
fn ends_word(bytes: &[u8], at: usize) -> bool {
    bytes.get(at).is_none_or(|&b| !is_word_byte(b))
}

/// Extends `at` to the end of the word it is in.
fn extend_word(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|&b| is_word_byte(b)) {
        at += 1;
    }
    at
}

/// Letters, digits and any non-ASCII byte (part of a non-ASCII letter) are word bytes.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Scare quotes: short quoted phrases (1–4 words) that are neither speech nor
/// a name/title (see [`attribution::quotes`]); the cue is the quoted phrase
/// with its marks.
fn scare_quotes(text: &str) -> Vec<Range<usize>> {
    attribution::quotes(text)
        .into_iter()
        .filter(|q| q.kind == attribution::QuoteKind::ScareQuote && (1..=4).contains(&q.words))
        .map(|q| q.outer)
        .collect()
}

/// Questions: the clause ending at each `?`, from the previous sentence
/// boundary (`.`, `!`, `?`, `:`, `;` or a quote mark) or the start. Questions
/// inside attributed speech are found too; the model discounts them.
fn author_questions(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    for (i, c) in text.char_indices() {
        match c {
            '?' => {
                let start = from + (text[from..i].len() - text[from..i].trim_start().len());
                if start < i {
                    out.push(start..i + 1);
                }
                from = i + 1;
            }
            '.' | '!' | ':' | ';' | '"' => from = i + 1,
            _ => {}
        }
    }
    out
}

/// Words too common to count as repetition.
const STOP_WORDS: &[&str] = &[
    "that", "this", "with", "from", "have", "were", "they", "them", "their", "there", "these",
    "those", "which", "while", "would", "should", "could", "where", "other", "under", "about",
    "after", "again", "against", "being", "before", "between", "through", "during", "because",
    "without", "within", "been", "will", "what", "when", "also", "than", "then", "into", "more",
    "most", "some", "such", "only", "over", "very", "just", "said", "says", "does", "each", "both",
    "here", "your", "ours", "whom", "whose",
];

/// Repetition inside a sentence: a content word (4+ letters, not a function
/// word) used three times or more (cue: its third use), or a word doubled in a
/// row (`never, never`). Compares in place (no allocation per word).
fn repeated_words(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let words: Vec<Range<usize>> = word_ranges(text).collect();
    let same =
        |a: &Range<usize>, b: &Range<usize>| text[a.clone()].eq_ignore_ascii_case(&text[b.clone()]);
    for (i, range) in words.iter().enumerate() {
        let word = &text[range.clone()];
        if i > 0 && word.len() >= 3 && same(&words[i - 1], range) {
            out.push(words[i - 1].start..range.end);
        }
        if word.len() >= 4
            && words[..i].iter().filter(|w| same(w, range)).count() == 2
            && !STOP_WORDS.iter().any(|s| s.eq_ignore_ascii_case(word))
        {
            out.push(range.clone());
        }
    }
    out
}

/// Byte ranges of the alphabetic words of `text`.
fn word_ranges(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start: Option<usize> = None;
    let mut chars = text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')));
    std::iter::from_fn(move || {
        for (i, c) in chars.by_ref() {
            let letter = c.is_alphabetic();
            match (start, letter) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    start = None;
                    return Some(s..i);
                }
                _ => {}
            }
        }
        None
    })
}

impl Scorer for CueModel {
    fn name(&self) -> &str {
        "cues"
    }
    fn score_batch(&self, batch: &[SentenceInput<'_>]) -> Result<Vec<SentenceScores>> {
        let scores = batch.iter().map(|s| self.score_one(s.text));
        Ok(match &self.labels {
            Some(labels) => scores.map(|s| labels.remap(s)).collect(),
            None => scores.collect(),
        })
    }
    fn thresholds(&self) -> &Thresholds {
        match &self.labels {
            Some(labels) => labels.thresholds(),
            None => &self.thresholds,
        }
    }
    fn labels(&self) -> &LabelSet {
        match &self.labels {
            Some(labels) => labels.set(),
            None => LabelSet::shipped(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded model, compiled once for all tests.
    fn model() -> &'static CueModel {
        static MODEL: std::sync::OnceLock<CueModel> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| CueModel::embedded().expect("embedded pattern file loads"))
    }

    #[test]
    fn embedded_model_loads_and_covers_every_device() {
        let m = model();
        for d in Device::ALL {
            assert!(
                m.feature_devices().contains(&d),
                "no feature for device {d}"
            );
        }
    }

    #[test]
    fn lexicon_matches_whole_words_only() {
        let raw = r#"
            framing_bias = -3.0
            [[lexicon]]
            name = "t"
            device = "loaded_language"
            weight = 2.0
            words = ["evil", "terror*"]
        "#;
        let m = CueModel::parse(raw, Path::new("t.toml")).unwrap();
        assert_eq!(m.features("Medieval times.")[0], 0.0);
        assert_eq!(m.features("An Evil plan.")[0], 1.0);
        let s = m.score_one("Terrorists and terrorism.");
        assert_eq!(s.cues.len(), 2);
        assert_eq!(
            &"Terrorists and terrorism."[s.cues[0].start..s.cues[0].end],
            "Terrorists"
        );
        assert_eq!(
            m.features("Terrorists and terrorism and terror.")[0],
            2.0,
            "capped at max_hits"
        );
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let error = |raw: &str| {
            CueModel::parse(raw, Path::new("p.toml"))
                .err()
                .unwrap()
                .to_string()
        };
        let e =
            error("framing_bias = 0\n[[pattern]]\nname='x'\ndevice='doubt'\nregex='('\nweight=1\n");
        assert!(e.contains("p.toml") && e.contains("`x`"), "{e}");
        let e =
            error("framing_bias = 0\n[[pattern]]\nname='x'\ndevice='nope'\nregex='a'\nweight=1\n");
        assert!(e.contains("nope"), "{e}");
        let dup = "framing_bias = 0\n[[pattern]]\nname='x'\ndevice='doubt'\nregex='a'\nweight=1\n[[pattern]]\nname='x'\ndevice='doubt'\nregex='b'\nweight=1\n";
        let e = error(dup);
        assert!(e.contains("duplicate"), "{e}");
        let e = error("nonsense");
        assert!(e.contains("p.toml"), "{e}");
    }

    #[test]
    fn detectors_find_their_spans() {
        let t = "The firm calls the cuts a \"restructuring\" again.";
        assert_eq!(&t[scare_quotes(t)[0].clone()], "\"restructuring\"");
        let q = "Prices rose. Who pays for this? Nobody knows.";
        assert_eq!(&q[author_questions(q)[0].clone()], "Who pays for this?");
        let r = "Never, never, never give up.";
        assert!(!repeated_words(r).is_empty());
        assert!(repeated_words("A plain sentence with no repeats.").is_empty());
    }

    #[test]
    fn cues_in_attributed_speech_are_discounted_for_author_voice_devices() {
        let m = model();
        let own = m.score_one("Who will pay for this?");
        let quoted =
            m.score_one("\"Who will pay for this?\" the mayor asked reporters, the paper said.");
        let d = Device::RhetoricalQuestion;
        assert!(
            own.prob(d) > quoted.prob(d),
            "{} vs {}",
            own.prob(d),
            quoted.prob(d)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_gives_probabilities_and_cues_on_char_boundaries(text in "[a-zA-Z \"',.:;?!#é’-]{0,120}") {
            let m = model();
            let s = m.score_one(&text);
            proptest::prop_assert!(s.probs.values().iter().all(|p| (0.0..=1.0).contains(p)));
            for c in &s.cues {
                proptest::prop_assert!(c.start <= c.end && c.end <= text.len());
                proptest::prop_assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
            }
        }
    }

    #[test]
    fn scores_are_probabilities_and_cues_are_in_bounds() {
        let m = model();
        for t in ["", "?", "\"", "Let's notice that é\u{301} \"x\"?", "!!!"] {
            let s = m.score_one(t);
            assert!(s.probs.values().iter().all(|p| (0.0..=1.0).contains(p)));
            assert!((0.0..=1.0).contains(&s.framing));
            for c in &s.cues {
                assert!(c.start <= c.end && c.end <= t.len());
                assert!(t.is_char_boundary(c.start) && t.is_char_boundary(c.end));
            }
        }
    }
}
