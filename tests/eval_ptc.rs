//! The PTC reader on the shared corpus (skipped, visibly, when `../shared` is absent).

use std::path::{Path, PathBuf};

fn shared_ptc(split: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/ptc")
        .join(split);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (the PTC is not part of the repository)",
            dir.display()
        );
        None
    }
}

#[test]
fn ptc_dev_has_75_articles_3177_sentences_791_positive() {
    let Some(dir) = shared_ptc("dev") else {
        return;
    };
    let gold = rhetor::eval::read_gold(&dir, rhetor::eval::GoldOptions::default()).unwrap();
    assert_eq!(gold.articles.len(), 75);
    assert_eq!(gold.sentence_count(), 3177);
    assert_eq!(gold.positive_count(), 791);
    assert!(gold.skipped.is_empty());
    assert_eq!(gold.devices.len(), 14);
}

#[test]
fn ptc_train_has_16673_sentences_4753_positive() {
    let Some(dir) = shared_ptc("train") else {
        return;
    };
    let gold = rhetor::eval::read_gold(&dir, rhetor::eval::GoldOptions::default()).unwrap();
    assert_eq!(gold.articles.len(), 371);
    assert_eq!(gold.sentence_count(), 16673);
    assert_eq!(gold.positive_count(), 4753);
}
