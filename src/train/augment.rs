//! Aside augmentation (`rhetor train --aside-augment N`).
//!
//! The codebook's sure editorial asides ("Let's notice that …", "By the way,
//! …", "It is worth recalling that …") are rare in the labelled corpora: the
//! cue model finds about 60 in PTC and CheckThat train, too few for the
//! classifier to learn them (it gave "Let's notice that …" a probability near
//! 0). This module turns `N` training sentences into asides by prefixing one
//! of the sure openers of the cue model's `aside.*` patterns: positives for
//! `editorial_aside` that keep the labels of the sentence they were made from
//! (its originals, already in the data, are the negatives).
//!
//! What it can show: that the classifier agrees with the cue model where the
//! cue model is sure (the openers are the codebook's). It cannot show that the
//! classifier finds asides the patterns miss; dev figures against the silver
//! labels of natural dev sentences say how far it generalises.

use crate::io::labels::{GoldArticle, GoldSentence, GoldSet};
use crate::taxonomy::Device;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::PathBuf;

/// Sentence-initial asides, each followed by a clause (`"Let's notice that"`)
/// or by a comma (`"By the way,"`): the sure openers of the cue model's
/// `aside.*` patterns (models/cues/patterns.toml).
pub const ASIDE_OPENERS: [&str; 24] = [
    "Let's notice that",
    "Let's note that",
    "Let's recall that",
    "Let's not forget that",
    "Let us recall that",
    "Let us remember that",
    "Let me point out that",
    "Let me remind you that",
    "Note that",
    "Notice that",
    "Remember that",
    "Mind you,",
    "By the way,",
    "And by the way,",
    "It is worth recalling that",
    "It is worth noting that",
    "It is worth mentioning that",
    "It is important to note that",
    "It should be noted that",
    "It must be recalled that",
    "Incidentally,",
    "Needless to say,",
    "For the record,",
    "As a reminder,",
];

/// First words that are not names, lower-cased after an opener ("Note that
/// the …"); any other first word keeps its case ("Note that Russia …").
const COMMON_STARTS: [&str; 40] = [
    "The", "A", "An", "This", "That", "These", "Those", "It", "In", "On", "At", "For", "But",
    "And", "However", "Many", "Some", "Most", "Such", "Its", "Their", "His", "Her", "Our", "We",
    "They", "He", "She", "There", "When", "While", "After", "Before", "As", "If", "Although",
    "Since", "Both", "All", "Only",
];

/// Path under which the synthetic set is recorded in a model's config.
pub const ASIDE_SET_PATH: &str = "<aside augmentation>";

/// `sentence` rewritten as an aside opened by `opener`.
pub fn as_aside(opener: &str, sentence: &str) -> String {
    let first = sentence.split_whitespace().next().unwrap_or("");
    let body = if COMMON_STARTS.contains(&first) {
        let mut chars = sentence.chars();
        chars
            .next()
            .map(|c| c.to_lowercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        sentence.to_string()
    };
    format!("{opener} {body}")
}

/// Is `text` a plain declarative sentence worth rewriting: 40–250 bytes,
/// opening with a capital letter and closing with a full stop, no quotes
/// and no question mark?
fn is_candidate(text: &str) -> bool {
    (40..=250).contains(&text.len())
        && text.chars().next().is_some_and(char::is_uppercase)
        && text.ends_with('.')
        && !text.contains(['"', '“', '”', '?'])
}

/// The synthetic labelled sets: `n` candidate sentences of `golds` (drawn
/// with `seed`) rewritten as asides, one set per source set. A rewritten
/// sentence keeps what its source labels (PTC: its techniques and `framing`,
/// since an opener adds no technique) and is positive for `editorial_aside`;
/// outputs its source does not label stay unknown (CheckThat: the author's
/// voice, since "Note that …" need not be subjective). The originals are in
/// the training data already, as negatives for `editorial_aside`.
pub fn aside_sets(golds: &[(PathBuf, GoldSet)], n: usize, seed: u64) -> Vec<(PathBuf, GoldSet)> {
    let mut pool: Vec<(usize, &GoldSentence)> = golds
        .iter()
        .enumerate()
        .flat_map(|(g, (_, set))| set.articles.iter().map(move |a| (g, a)))
        .flat_map(|(g, a)| a.sentences.iter().map(move |s| (g, s)))
        .filter(|(_, s)| is_candidate(&s.text))
        .collect();
    pool.sort_by(|a, b| (a.0, &a.1.text).cmp(&(b.0, &b.1.text)));
    pool.dedup_by(|a, b| a.1.text == b.1.text);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00A5_1DE5);
    pool.shuffle(&mut rng);
    pool.truncate(n);
    golds
        .iter()
        .enumerate()
        .filter_map(|(g, (path, source))| {
            let chosen: Vec<&GoldSentence> = pool
                .iter()
                .filter(|(from, _)| *from == g)
                .map(|(_, s)| *s)
                .collect();
            (!chosen.is_empty()).then(|| rewritten_set(path, source, &chosen))
        })
        .collect()
}

/// The asides made of `chosen` (sentences of `source`), one article each.
fn rewritten_set(
    path: &std::path::Path,
    source: &GoldSet,
    chosen: &[&GoldSentence],
) -> (PathBuf, GoldSet) {
    let keeps_labels = source.labels_framing();
    let with_aside = |devices: &[Device]| {
        let mut d: Vec<Device> = if keeps_labels {
            devices.to_vec()
        } else {
            Vec::new()
        };
        if !d.contains(&Device::EditorialAside) {
            d.push(Device::EditorialAside);
        }
        d
    };
    let articles = chosen
        .iter()
        .enumerate()
        .map(|(i, original)| {
            let aside = GoldSentence {
                index: 0,
                line: None,
                text: as_aside(ASIDE_OPENERS[i % ASIDE_OPENERS.len()], &original.text),
                devices: with_aside(&original.devices),
                positive: keeps_labels && original.positive,
                split: Some("train".to_string()),
                char_span: None,
            };
            GoldArticle::new(format!("aside-{i}"), vec![aside])
        })
        .collect();
    let name = PathBuf::from(format!("{ASIDE_SET_PATH} {}", path.display()));
    let set = GoldSet {
        source: name.clone(),
        // The source's format: PTC-derived sets label techniques and `framing`,
        // CheckThat-derived ones only what is added here.
        format: source.format,
        articles,
        devices: with_aside(&source.devices),
        skipped: Vec::new(),
    };
    (name, set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::labels::GoldFormat;
    use crate::model::cues::CueModel;
    use crate::model::Scorer;

    fn gold(texts: &[&str]) -> GoldSet {
        GoldSet {
            source: PathBuf::from("t.csv"),
            format: GoldFormat::RhetorCsv,
            articles: vec![GoldArticle::new(
                "a".into(),
                texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| GoldSentence {
                        index: i,
                        line: None,
                        text: t.to_string(),
                        devices: Vec::new(),
                        positive: false,
                        split: None,
                        char_span: None,
                    })
                    .collect(),
            )],
            devices: Device::ALL.to_vec(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn openers_lower_case_common_first_words_only() {
        assert_eq!(
            as_aside("Note that", "The port was closed for a week."),
            "Note that the port was closed for a week."
        );
        assert_eq!(
            as_aside("By the way,", "Russia sent no reply."),
            "By the way, Russia sent no reply."
        );
    }

    /// Every opener is one the cue model is sure about: the rewritten
    /// sentence is flagged `editorial_aside` by the cue model, the original
    /// factual sentence is not.
    #[test]
    fn every_opener_is_a_sure_cue_model_aside() {
        let cues = CueModel::embedded().expect("cue model");
        let original = "The committee published its report on Tuesday.";
        let flagged = |t: &str| {
            let s = cues.score_one(t);
            s.prob(Device::EditorialAside) >= cues.thresholds().device(Device::EditorialAside)
        };
        assert!(!flagged(original));
        for opener in ASIDE_OPENERS {
            let aside = as_aside(opener, original);
            assert!(flagged(&aside), "{aside:?} not flagged by the cue model");
        }
    }

    #[test]
    fn asides_keep_the_labels_their_source_set_gives() {
        let mut ptc = gold(&[
            "The ministry published the figures on Monday morning.",
            "Short.",
            "Officials said the talks would resume next week in Geneva.",
        ]);
        ptc.articles[0].sentences[0].devices = vec![Device::LoadedLanguage];
        ptc.articles[0].sentences[0].positive = true;
        ptc.devices = vec![Device::LoadedLanguage];
        let mut subj = gold(&[
            "Is this a question that should be rewritten at all?",
            "The committee never answered the letter from the union.",
        ]);
        subj.format = GoldFormat::CheckThat;
        subj.devices = vec![Device::EvaluativeEditorializing];
        subj.articles[0].sentences[1].devices = vec![Device::EvaluativeEditorializing];
        let golds = vec![(PathBuf::from("ptc"), ptc), (PathBuf::from("ct.tsv"), subj)];
        let sets = aside_sets(&golds, 10, 13);
        assert_eq!(sets.len(), 2, "one set per source with candidates");
        let (ptc_set, ct_set) = (&sets[0].1, &sets[1].1);
        assert_eq!(ptc_set.articles.len(), 2, "two PTC candidates qualify");
        assert!(ptc_set.labels_framing());
        assert_eq!(
            ptc_set.devices,
            vec![Device::LoadedLanguage, Device::EditorialAside]
        );
        let loaded = ptc_set
            .articles
            .iter()
            .map(|a| &a.sentences[0])
            .find(|s| s.text.contains("the ministry published"))
            .expect("the rewritten first sentence");
        assert_eq!(
            loaded.devices,
            vec![Device::LoadedLanguage, Device::EditorialAside]
        );
        assert!(loaded.positive, "framing kept");
        // CheckThat: only the aside is known; the SUBJ label is not carried.
        assert!(!ct_set.labels_framing());
        assert_eq!(ct_set.devices, vec![Device::EditorialAside]);
        assert_eq!(ct_set.articles.len(), 1);
        assert_eq!(
            ct_set.articles[0].sentences[0].devices,
            vec![Device::EditorialAside]
        );
        // Deterministic for a seed; n = 0 gives no set.
        let again = aside_sets(&golds, 10, 13);
        assert_eq!(
            again[0].1.articles[0].sentences,
            ptc_set.articles[0].sentences
        );
        assert!(aside_sets(&golds, 0, 13).is_empty());
    }
}
