//! Training data: a labelled set read by [`crate::io::labels`] turned into
//! model inputs — the deduplicated texts to embed and, per sentence, the text
//! indices of the sentence and its context parts, with one target per output.

use crate::io::labels::{
    GoldArticle, GoldFormat, GoldSentence, GoldSet, GoldSpan, SentenceOffsets, AUTHOR_VOICE,
};
use crate::model::cues::CueModel;
use crate::model::head::ContextMode;
use crate::model::Scorer;
use crate::taxonomy::Device;
use crate::tokenize::Encoded;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Number of head outputs: every device plus `framing`.
pub const N_OUTPUTS: usize = Device::ALL.len() + 1;

/// The training units of an article: its sentences with a non-empty text
/// (NLP4IF-2019 counts a line holding only a byte-order mark as a sentence;
/// normalised, it is empty and carries nothing to learn from).
fn units(article: &GoldArticle) -> Vec<&GoldSentence> {
    article
        .sentences
        .iter()
        .filter(|s| !s.text.is_empty())
        .collect()
}

/// SHA-256 of a labelled set's training units (article ids, sentence texts
/// and per-device labels in [`Device::ALL`] order), recorded in a trained
/// model's config. PTC articles are hashed under their file stem
/// (`articleNNN`), so the hash of a PTC folder is the one earlier trainers recorded.
pub fn data_hash(gold: &GoldSet) -> String {
    let mut h = Sha256::new();
    for a in &gold.articles {
        match gold.format {
            GoldFormat::Ptc => h.update(format!("article{}", a.id).as_bytes()),
            GoldFormat::RhetorCsv | GoldFormat::CheckThat | GoldFormat::Sample { .. } => {
                h.update(a.id.as_bytes())
            }
        }
        for s in units(a) {
            h.update([0u8]);
            h.update(s.text.as_bytes());
            for d in Device::ALL {
                h.update([u8::from(s.devices.contains(&d))]);
            }
        }
    }
    format!("{:x}", h.finalize())
}

/// Deduplicated texts of all splits.
#[derive(Default)]
pub(super) struct TextTable {
    pub(super) texts: Vec<String>,
    /// Gold technique spans of each text, when a span-labelled set has it
    /// (the first such sentence wins for duplicated texts).
    pub(super) span_labels: Vec<Option<SpanLabels>>,
    index: HashMap<String, usize>,
}

impl TextTable {
    /// The index of `t`, added when new.
    fn id(&mut self, t: &str) -> usize {
        if let Some(&i) = self.index.get(t) {
            return i;
        }
        self.texts.push(t.to_string());
        self.span_labels.push(None);
        self.index.insert(t.to_string(), self.texts.len() - 1);
        self.texts.len() - 1
    }

    /// Records the gold spans of the sentence behind text `id` (PTC span
    /// files), unless the text already has some.
    fn add_span_labels(&mut self, id: usize, article: &GoldArticle, sentence: &GoldSentence) {
        if self.span_labels[id].is_some() {
            return;
        }
        let (Some(spans), Some((cs, ce))) = (&article.spans, sentence.char_span) else {
            return;
        };
        let Some(offsets) = article.sentence_offsets(sentence.index) else {
            return;
        };
        let spans = spans
            .iter()
            .filter(|sp| sp.start < ce && sp.end > cs)
            .copied()
            .collect();
        self.span_labels[id] = Some(SpanLabels { offsets, spans });
    }
}

/// The gold spans overlapping one sentence and the map from its text back to
/// the article, from which the span head's per-piece targets are read.
#[derive(Debug, Clone)]
pub(super) struct SpanLabels {
    offsets: SentenceOffsets,
    spans: Vec<GoldSpan>,
}

impl SpanLabels {
    /// Per-piece targets (`bucket_len × (devices + 1)`, row-major: one per
    /// device of `devices`, then `any`) and the mask (`bucket_len`: 1 for the
    /// real pieces, 0 for special tokens and padding) of the tokenized text.
    /// A piece is inside a span when their article char ranges overlap.
    pub(super) fn piece_targets(&self, enc: &Encoded, devices: &[Device]) -> (Vec<f32>, Vec<f32>) {
        let width = devices.len() + 1;
        let len = enc.bucket_len();
        let mut targets = vec![0.0; len * width];
        let mut mask = vec![0.0; len];
        for (i, &(s, e)) in enc.offsets.iter().enumerate().take(len) {
            let Some(chars) = (e > s)
                .then(|| self.offsets.to_article_chars(s..e))
                .flatten()
            else {
                continue;
            };
            mask[i] = 1.0;
            let row = &mut targets[i * width..(i + 1) * width];
            for sp in self
                .spans
                .iter()
                .filter(|sp| sp.start < chars.end && sp.end > chars.start)
            {
                row[width - 1] = 1.0;
                if let Some(k) = devices.iter().position(|d| Some(*d) == sp.device) {
                    row[k] = 1.0;
                }
            }
        }
        (targets, mask)
    }
}

/// Which sentences of a split came from which labelled set.
#[derive(Debug, Clone)]
pub(super) struct Source {
    /// Path of the labelled set (provenance).
    pub(super) path: std::path::PathBuf,
    /// [`data_hash`] of the set.
    pub(super) sha256: String,
    /// Does the set label `framing` (PTC, rhetor CSV) or only the author's
    /// voice (CheckThat)?
    pub(super) labels_framing: bool,
    /// Its articles and sentences (training units).
    pub(super) articles: usize,
    /// Its sentence rows in the split: `rows.start..rows.end`.
    pub(super) rows: std::ops::Range<usize>,
}

/// Silver labels from the cue model for the author-voice devices no human
/// set labels everywhere: `editorial_aside` (cue flagged → positive, else
/// negative) and, outside CheckThat, `evaluative_editorializing` (cue flagged
/// → positive, else unknown). Human labels always win.
pub(super) struct Silver<'a>(pub(super) &'a CueModel);

impl Silver<'_> {
    /// The silver targets of one sentence: `(device, positive, known)`.
    fn labels(&self, text: &str) -> [(Device, bool, bool); 2] {
        let scores = self.0.score_one(text);
        let flagged = |d: Device| scores.prob(d) >= self.0.thresholds().device(d);
        let aside = flagged(Device::EditorialAside);
        let voice = flagged(AUTHOR_VOICE);
        [
            (Device::EditorialAside, aside, true),
            (AUTHOR_VOICE, voice, voice),
        ]
    }
}

/// One split (one or several labelled sets) turned into model inputs.
#[derive(Default)]
pub(super) struct Split {
    /// Number of articles.
    pub(super) articles: usize,
    /// Per sentence: text index of the sentence and its context parts (`None` = zeros).
    pub(super) rows: Vec<Vec<Option<usize>>>,
    /// Targets, [`N_OUTPUTS`] per sentence (devices in [`Device::ALL`] order, then `framing`).
    pub(super) targets: Vec<f32>,
    /// 1 where the target is known (labelled by the set or by silver labels), else 0.
    pub(super) known: Vec<f32>,
    /// Article of each sentence (numbered across all sources).
    pub(super) article_of: Vec<usize>,
    /// The labelled sets, in order.
    pub(super) sources: Vec<Source>,
}

impl Split {
    /// The training units of the labelled sets with their `context`; texts go
    /// into `texts`. The title context is the article's first sentence.
    pub(super) fn build(
        golds: &[(std::path::PathBuf, GoldSet)],
        context: ContextMode,
        texts: &mut TextTable,
        silver: Option<&Silver<'_>>,
    ) -> Split {
        let mut split = Split::default();
        for (path, gold) in golds {
            let first = split.rows.len();
            split.add(gold, context, texts, silver);
            split.sources.push(Source {
                path: path.clone(),
                sha256: data_hash(gold),
                labels_framing: gold.labels_framing(),
                articles: gold.articles.len(),
                rows: first..split.rows.len(),
            });
        }
        split
    }

    fn add(
        &mut self,
        gold: &GoldSet,
        context: ContextMode,
        texts: &mut TextTable,
        silver: Option<&Silver<'_>>,
    ) {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        for a in &gold.articles {
            let s = units(a);
            let title = s.first().map(|l| texts.id(&l.text));
            for (i, sentence) in s.iter().enumerate() {
                let text_id = texts.id(&sentence.text);
                texts.add_span_labels(text_id, a, sentence);
                let mut row = vec![Some(text_id)];
                match context {
                    ContextMode::None => {}
                    ContextMode::PrevNext => {
                        row.push(i.checked_sub(1).map(|j| texts.id(&s[j].text)));
                        row.push(s.get(i + 1).map(|n| texts.id(&n.text)));
                    }
                    ContextMode::Title => row.push(title),
                }
                self.rows.push(row);
                let mut target: Vec<f32> = Device::ALL
                    .iter()
                    .map(|d| flag(sentence.devices.contains(d)))
                    .collect();
                let mut known: Vec<f32> = Device::ALL
                    .iter()
                    .map(|d| flag(gold.devices.contains(d)))
                    .collect();
                for (d, positive, is_known) in silver
                    .map(|s| s.labels(&sentence.text))
                    .into_iter()
                    .flatten()
                {
                    if known[d.index()] == 0.0 && is_known {
                        target[d.index()] = flag(positive);
                        known[d.index()] = 1.0;
                    }
                }
                target.push(flag(sentence.positive && gold.labels_framing()));
                known.push(flag(gold.labels_framing()));
                self.targets.extend(target);
                self.known.extend(known);
                self.article_of.push(self.articles);
            }
            self.articles += 1;
        }
    }

    /// Number of sentences.
    pub(super) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Is output `output` positive for sentence `line`?
    pub(super) fn target(&self, line: usize, output: usize) -> bool {
        self.targets[line * N_OUTPUTS + output] > 0.5
    }

    /// Is output `output` labelled for sentence `line`?
    pub(super) fn is_known(&self, line: usize, output: usize) -> bool {
        self.known[line * N_OUTPUTS + output] > 0.5
    }

    /// The sentences labelled for one output (among `rows`), with their targets.
    pub(super) fn labelled(
        &self,
        output: usize,
        rows: std::ops::Range<usize>,
    ) -> (Vec<usize>, Vec<bool>) {
        rows.filter(|&i| self.is_known(i, output))
            .map(|i| (i, self.target(i, output)))
            .unzip()
    }

    /// Targets and known-flags of a mini-batch of sentences (`n × N_OUTPUTS` tensors).
    pub(super) fn batch_targets(
        &self,
        lines: &[usize],
    ) -> crate::error::Result<(candle_core::Tensor, candle_core::Tensor)> {
        let gather = |values: &[f32]| {
            let v: Vec<f32> = lines
                .iter()
                .flat_map(|&l| values[l * N_OUTPUTS..(l + 1) * N_OUTPUTS].iter().copied())
                .collect();
            candle_core::Tensor::from_vec(v, (lines.len(), N_OUTPUTS), &candle_core::Device::Cpu)
                .map_err(crate::error::Error::from)
        };
        Ok((gather(&self.targets)?, gather(&self.known)?))
    }

    /// The sentence rows of one epoch: every row once, the rows of the sets
    /// that label only the author's voice (CheckThat) `voice_oversample` times.
    pub(super) fn epoch_rows(&self, voice_oversample: usize) -> Vec<usize> {
        let mut rows = Vec::with_capacity(self.len());
        for source in &self.sources {
            let times = if source.labels_framing {
                1
            } else {
                voice_oversample.max(1)
            };
            for _ in 0..times {
                rows.extend(source.rows.clone());
            }
        }
        rows
    }

    /// Which outputs have at least one known positive sentence.
    pub(super) fn trained_outputs(&self) -> Vec<bool> {
        (0..N_OUTPUTS)
            .map(|o| (0..self.len()).any(|i| self.is_known(i, o) && self.target(i, o)))
            .collect()
    }

    /// Text indices this split needs (sentences and context parts), sorted.
    pub(super) fn needed_texts(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.rows.iter().flatten().flatten().copied().collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Head input rows (`len × dim·parts`, flattened) from text embeddings.
    pub(super) fn features(&self, emb: &[Vec<f32>], dim: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.len() * dim * self.rows[0].len());
        for row in &self.rows {
            for part in row {
                match part {
                    Some(i) => out.extend_from_slice(&emb[*i]),
                    None => out.extend(std::iter::repeat_n(0.0, dim)),
                }
            }
        }
        out
    }
}

/// The tests' one skip-or-fail decision (`RHETOR_REQUIRE_ASSETS`).
#[cfg(test)]
#[path = "../../tests/common/assets.rs"]
mod test_assets;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::labels::{read_gold, GoldOptions};

    fn ptc_folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        // The last line holds only a byte-order mark: a sentence for
        // NLP4IF-2019, not a training unit.
        let text = "Title here\n\nA calm line.\nA wild, evil line.\n\u{feff}\n";
        std::fs::write(dir.path().join("article1.txt"), text).unwrap();
        // "evil" in "A wild, evil line." (chars 33..37).
        std::fs::write(
            dir.path().join("article1.task-flc-tc.labels"),
            "1\tLoaded_Language\t33\t37\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn split_and_data_hash_follow_the_gold_set() {
        let dir = ptc_folder();
        let gold = read_gold(dir.path(), GoldOptions::default()).unwrap();
        let mut table = TextTable::default();
        assert_eq!(gold.sentence_count(), 4);
        let sets = [(dir.path().to_path_buf(), gold.clone())];
        let split = Split::build(&sets, ContextMode::PrevNext, &mut table, None);
        assert_eq!((split.len(), split.articles, table.texts.len()), (3, 1, 3));
        assert_eq!(split.rows[0], vec![Some(0), None, Some(1)]);
        assert!(split.target(2, Device::LoadedLanguage.index()));
        assert!(split.target(2, N_OUTPUTS - 1) && !split.target(1, N_OUTPUTS - 1));
        assert_eq!(
            split.labelled(N_OUTPUTS - 1, 0..3),
            (vec![0, 1, 2], vec![false, false, true])
        );
        // PTC labels its 14 techniques and framing, not the author's voice.
        assert!(!split.is_known(0, AUTHOR_VOICE.index()));
        assert!(split.is_known(0, Device::Doubt.index()));
        let trained = split.trained_outputs();
        assert_eq!(trained.iter().filter(|t| **t).count(), 2);
        let emb = vec![vec![1.0], vec![2.0], vec![3.0]];
        assert_eq!(
            split.features(&emb, 1),
            vec![1.0, 0.0, 2.0, 2.0, 1.0, 3.0, 3.0, 2.0, 0.0]
        );
        let mut relabelled = gold.clone();
        relabelled.articles[0].sentences[1].devices = vec![Device::Doubt];
        assert_eq!(data_hash(&gold), data_hash(&gold.clone()));
        assert_ne!(data_hash(&gold), data_hash(&relabelled));
    }

    /// Multi-task data: a PTC folder and a CheckThat file in one split. Each
    /// set's rows know only the outputs the set labels; the cue model's
    /// silver labels add `editorial_aside` everywhere and author-voice
    /// positives outside CheckThat.
    #[test]
    fn multi_task_split_masks_what_each_set_does_not_label() {
        let ptc = ptc_folder();
        let ct_dir = tempfile::tempdir().unwrap();
        let ct = ct_dir.path().join("dev_en.tsv");
        std::fs::write(
            &ct,
            "sentence_id\tsentence\tlabel\n\
             s1\tLet's notice that the minister is curious.\tOBJ\n\
             s2\tThe vote is on Tuesday.\tSUBJ\n",
        )
        .unwrap();
        let mut sets = Vec::new();
        for p in [ptc.path().to_path_buf(), ct.clone()] {
            let gold = read_gold(&p, GoldOptions::default()).unwrap();
            sets.push((p, gold));
        }
        let cues = CueModel::embedded().unwrap();
        let silver = Silver(&cues);
        let mut table = TextTable::default();
        let split = Split::build(&sets, ContextMode::None, &mut table, Some(&silver));
        assert_eq!(split.len(), 5);
        assert_eq!(split.sources.len(), 2);
        assert_eq!(split.sources[1].rows, 3..5);
        assert!(split.sources[0].labels_framing && !split.sources[1].labels_framing);
        assert_eq!((split.articles, split.article_of[4]), (3, 2));
        let (voice, framing, aside, doubt) = (
            AUTHOR_VOICE.index(),
            N_OUTPUTS - 1,
            Device::EditorialAside.index(),
            Device::Doubt.index(),
        );
        // CheckThat rows: gold author voice wins over the cue model (s1 is
        // OBJ although the cues flag "is curious"), no framing, no techniques.
        assert!(split.is_known(3, voice) && !split.target(3, voice));
        assert!(split.is_known(4, voice) && split.target(4, voice));
        assert!(!split.is_known(3, framing) && !split.is_known(3, doubt));
        // Silver: editorial_aside known on every row, positive for "Let's notice".
        assert!((0..5).all(|i| split.is_known(i, aside)));
        assert!(split.target(3, aside) && !split.target(4, aside));
        // PTC rows: author voice unknown unless the cues flag it.
        assert!(!split.is_known(0, voice));
        assert_eq!(split.epoch_rows(1), vec![0, 1, 2, 3, 4]);
        assert_eq!(split.epoch_rows(2), vec![0, 1, 2, 3, 4, 3, 4]);
        let (y, known) = split.batch_targets(&[3, 0]).unwrap();
        assert_eq!(y.dims(), &[2, N_OUTPUTS]);
        let known = known.to_vec2::<f32>().unwrap();
        assert_eq!((known[0][voice], known[1][voice]), (1.0, 0.0));
        assert_eq!((known[0][framing], known[1][framing]), (0.0, 1.0));
    }

    /// The shipped model's config records the hashes of its PTC train and dev
    /// data; reading them through `io::labels` must reproduce both.
    #[test]
    fn data_hash_reproduces_the_shipped_models_record() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let Some(ptc) = super::test_assets::shared_or_skip(
            "data_hash_reproduces_the_shipped_models_record",
            "ptc",
        ) else {
            return;
        };
        let config =
            std::fs::read_to_string(root.join("models/rhetor-minilm/config.json")).unwrap();
        let config: serde_json::Value = serde_json::from_str(&config).unwrap();
        for (split, key) in [("train", "train_data"), ("dev", "dev_data")] {
            let path = ptc.join(split);
            let gold = read_gold(&path, GoldOptions::default()).unwrap();
            // One entry per labelled set (the PTC one first), or one object
            // for models trained on PTC alone.
            let recorded = match &config["training"][key] {
                serde_json::Value::Array(sets) => &sets[0],
                one => one,
            };
            let mut table = TextTable::default();
            let units =
                Split::build(&[(path, gold.clone())], ContextMode::None, &mut table, None).len();
            assert_eq!(Some(units as u64), recorded["lines"].as_u64(), "{split}");
            assert_eq!(
                Some(data_hash(&gold).as_str()),
                recorded["sha256"].as_str(),
                "{split}"
            );
        }
    }
}
