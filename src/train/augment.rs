//! Aside augmentation (`rhetor train --aside-augment N`).
//!
//! The codebook's sure editorial asides ("Let's notice that …", "By the way,
//! …", "It is worth recalling that …") are rare in the labelled corpora: the
//! cue model finds about 60 in PTC and CheckThat train, too few for the
//! classifier to learn them (it gave "Let's notice that …" a probability near
//! 0). This module turns `N` training sentences into asides by prefixing one
//! of the sure openers of the cue model's `aside.*` patterns, and pairs each
//! with its unchanged original, in a synthetic labelled set that labels only
//! `editorial_aside` (rewritten → positive, original → negative). Nothing
//! else is known for these rows, so they teach no technique and no `framing`.
//!
//! What it can show: that the classifier agrees with the cue model where the
//! cue model is sure (the openers are the codebook's). It cannot show that the
//! classifier finds asides the patterns miss; dev figures against the silver
//! labels of natural dev sentences say how far it generalises.

use crate::eval::labels::{GoldArticle, GoldFormat, GoldSentence, GoldSet};
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
/// opening with a capital letter and closing with a full stop, no quotes?
fn is_candidate(text: &str) -> bool {
    (40..=250).contains(&text.len())
        && text.chars().next().is_some_and(char::is_uppercase)
        && text.ends_with('.')
        && !text.contains(['"', '“', '”'])
        && !text.contains('?')
}

/// The synthetic labelled set: `n` candidate sentences of `golds` (drawn with
/// `seed`), each as an article of two sentences, the aside (positive for
/// `editorial_aside`) and the original (negative). `None` when `n` is 0 or no
/// sentence qualifies.
pub fn aside_set(golds: &[(PathBuf, GoldSet)], n: usize, seed: u64) -> Option<(PathBuf, GoldSet)> {
    let mut pool: Vec<&str> = golds
        .iter()
        .flat_map(|(_, g)| &g.articles)
        .flat_map(|a| &a.sentences)
        .map(|s| s.text.as_str())
        .filter(|t| is_candidate(t))
        .collect();
    pool.sort_unstable();
    pool.dedup();
    if n == 0 || pool.is_empty() {
        return None;
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0xA51D_E5);
    pool.shuffle(&mut rng);
    let sentence = |index: usize, text: String, aside: bool| GoldSentence {
        index,
        line: None,
        text,
        devices: if aside {
            vec![Device::EditorialAside]
        } else {
            Vec::new()
        },
        positive: aside,
        split: Some("train".to_string()),
        char_span: None,
    };
    let articles = pool
        .iter()
        .take(n)
        .enumerate()
        .map(|(i, original)| GoldArticle {
            id: format!("aside-{i}"),
            title: None,
            sentences: vec![
                sentence(
                    0,
                    as_aside(ASIDE_OPENERS[i % ASIDE_OPENERS.len()], original),
                    true,
                ),
                sentence(1, original.to_string(), false),
            ],
            text: None,
            spans: None,
        })
        .collect();
    let set = GoldSet {
        source: PathBuf::from(ASIDE_SET_PATH),
        // Like CheckThat, the set labels no technique and not `framing`.
        format: GoldFormat::CheckThat,
        articles,
        devices: vec![Device::EditorialAside],
        skipped: Vec::new(),
    };
    Some((PathBuf::from(ASIDE_SET_PATH), set))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cues::CueModel;

    fn gold(texts: &[&str]) -> GoldSet {
        GoldSet {
            source: PathBuf::from("t.csv"),
            format: GoldFormat::RhetorCsv,
            articles: vec![GoldArticle {
                id: "a".into(),
                title: None,
                sentences: texts
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
                text: None,
                spans: None,
            }],
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
            s.probs[Device::EditorialAside] >= cues.thresholds().device(Device::EditorialAside)
        };
        assert!(!flagged(original));
        for opener in ASIDE_OPENERS {
            let aside = as_aside(opener, original);
            assert!(flagged(&aside), "{aside:?} not flagged by the cue model");
        }
    }

    #[test]
    fn the_set_pairs_asides_with_their_originals_and_labels_only_asides() {
        let texts = [
            "The ministry published the figures on Monday morning.",
            "Short.",
            "Officials said the talks would resume next week in Geneva.",
            "Is this a question that should be rewritten at all?",
        ];
        let golds = vec![(PathBuf::from("t.csv"), gold(&texts))];
        let (_, set) = aside_set(&golds, 10, 13).expect("a set");
        assert_eq!(set.articles.len(), 2, "two candidates qualify");
        assert!(!set.labels_framing());
        assert_eq!(set.devices, vec![Device::EditorialAside]);
        for a in &set.articles {
            let (aside, original) = (&a.sentences[0], &a.sentences[1]);
            assert!(texts.contains(&original.text.as_str()));
            assert!(aside.text.len() > original.text.len());
            assert_eq!(aside.devices, vec![Device::EditorialAside]);
            assert!(original.devices.is_empty() && !original.positive);
        }
        // Deterministic for a seed; n = 0 gives no set.
        let again = aside_set(&golds, 10, 13).expect("a set").1;
        assert_eq!(again.articles[0].sentences, set.articles[0].sentences);
        assert!(aside_set(&golds, 0, 13).is_none());
    }
}
