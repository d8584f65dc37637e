//! Training data: a labelled set read by [`crate::eval::labels`] turned into
//! model inputs — the deduplicated texts to embed and, per sentence, the text
//! indices of the sentence and its context parts, with one target per output.

use crate::eval::labels::{GoldArticle, GoldFormat, GoldSentence, GoldSet};
use crate::model::head::ContextMode;
use crate::taxonomy::Device;
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
            GoldFormat::RhetorCsv | GoldFormat::CheckThat => h.update(a.id.as_bytes()),
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
    index: HashMap<String, usize>,
}

impl TextTable {
    /// The index of `t`, added when new.
    fn id(&mut self, t: &str) -> usize {
        if let Some(&i) = self.index.get(t) {
            return i;
        }
        self.texts.push(t.to_string());
        self.index.insert(t.to_string(), self.texts.len() - 1);
        self.texts.len() - 1
    }
}

/// One split turned into model inputs.
pub(super) struct Split {
    /// Number of articles.
    pub(super) articles: usize,
    /// Per sentence: text index of the sentence and its context parts (`None` = zeros).
    pub(super) rows: Vec<Vec<Option<usize>>>,
    /// Targets, [`N_OUTPUTS`] per sentence (devices in [`Device::ALL`] order, then `framing`).
    pub(super) targets: Vec<f32>,
    /// Article of each sentence.
    pub(super) article_of: Vec<usize>,
}

impl Split {
    /// The training units of `gold` with their `context`; texts go into `texts`.
    /// The title context is the article's first sentence.
    pub(super) fn build(gold: &GoldSet, context: ContextMode, texts: &mut TextTable) -> Split {
        let mut rows = Vec::new();
        let mut targets = Vec::new();
        let mut article_of = Vec::new();
        for (ai, a) in gold.articles.iter().enumerate() {
            let s = units(a);
            let title = s.first().map(|l| texts.id(&l.text));
            for (i, sentence) in s.iter().enumerate() {
                let mut row = vec![Some(texts.id(&sentence.text))];
                match context {
                    ContextMode::None => {}
                    ContextMode::PrevNext => {
                        row.push(i.checked_sub(1).map(|j| texts.id(&s[j].text)));
                        row.push(s.get(i + 1).map(|n| texts.id(&n.text)));
                    }
                    ContextMode::Title => row.push(title),
                }
                rows.push(row);
                let flag = |b: bool| if b { 1.0 } else { 0.0 };
                targets.extend(
                    Device::ALL
                        .iter()
                        .map(|d| flag(sentence.devices.contains(d))),
                );
                targets.push(flag(sentence.positive));
                article_of.push(ai);
            }
        }
        Split {
            articles: gold.articles.len(),
            rows,
            targets,
            article_of,
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

    /// The targets of one output, per sentence.
    pub(super) fn gold(&self, output: usize) -> Vec<bool> {
        (0..self.len()).map(|i| self.target(i, output)).collect()
    }

    /// The [`N_OUTPUTS`] targets of sentence `line`.
    pub(super) fn targets_of(&self, line: usize) -> &[f32] {
        &self.targets[line * N_OUTPUTS..(line + 1) * N_OUTPUTS]
    }

    /// Which outputs have at least one positive sentence.
    pub(super) fn trained_outputs(&self) -> Vec<bool> {
        (0..N_OUTPUTS)
            .map(|o| (0..self.len()).any(|i| self.target(i, o)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::labels::{read_gold, GoldOptions};

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
        let split = Split::build(&gold, ContextMode::PrevNext, &mut table);
        assert_eq!((split.len(), split.articles, table.texts.len()), (3, 1, 3));
        assert_eq!(split.rows[0], vec![Some(0), None, Some(1)]);
        assert!(split.target(2, Device::LoadedLanguage.index()));
        assert!(split.target(2, N_OUTPUTS - 1) && !split.target(1, N_OUTPUTS - 1));
        assert_eq!(split.gold(N_OUTPUTS - 1), vec![false, false, true]);
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

    /// The shipped model's config records the hashes of its PTC train and dev
    /// data; reading them through `eval::labels` must reproduce both.
    #[test]
    fn data_hash_reproduces_the_shipped_models_record() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let ptc = root.join("../shared/ptc");
        if !ptc.is_dir() {
            eprintln!("SKIPPED: {} is absent", ptc.display());
            return;
        }
        let config =
            std::fs::read_to_string(root.join("models/rhetor-minilm/config.json")).unwrap();
        let config: serde_json::Value = serde_json::from_str(&config).unwrap();
        for (split, key) in [("train", "train_data"), ("dev", "dev_data")] {
            let gold = read_gold(&ptc.join(split), GoldOptions::default()).unwrap();
            let recorded = &config["training"][key];
            let mut table = TextTable::default();
            let units = Split::build(&gold, ContextMode::None, &mut table).len();
            assert_eq!(Some(units as u64), recorded["lines"].as_u64(), "{split}");
            assert_eq!(
                Some(data_hash(&gold).as_str()),
                recorded["sha256"].as_str(),
                "{split}"
            );
        }
    }
}
