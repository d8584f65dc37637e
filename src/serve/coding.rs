//! Hand-coding a validation sample: one labels file per coder
//! (`<sample stem>.labels.<coder>.csv`, exactly the sample format with the
//! coder's cells filled, what `rhetor compare --gold` and `rhetor eval`
//! read) and one journal per coder (`<sample stem>.journal.<coder>.jsonl`,
//! [`crate::io::journal`]).
//!
//! Saving an answer appends it to the journal and waits for the disk, then
//! rewrites the labels file atomically; only then is it acknowledged. On
//! start-up every coder's journal is replayed over its labels file.

use crate::compare::gold::is_label_column;
use crate::error::{Error, Location, Result};
use crate::eval::agreement::{agreement_of, Agreement};
use crate::io::journal::{read_journal, Journal, JournalEntry, JOURNAL_VERSION};
use crate::io::sample::{read_coded_sample, write_coded_sample, CodedSample};
use crate::taxonomy::Device;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A coder name: 1–32 ASCII letters, digits, `_` or `-`. Anything else is
/// refused (never turned into a path).
pub fn valid_coder(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// One coder's answers.
struct Coder {
    /// Row → label cells (`None`: not labelled).
    labels: Vec<Vec<Option<bool>>>,
    /// Row → whether the suggestion was shown before the last answer.
    shown: Vec<bool>,
    journal: Journal,
    labels_path: PathBuf,
    /// Answers saved since start-up (changes whenever the labels do).
    saves: u64,
}

/// The sample and every coder's answers.
pub struct CodingStore {
    sample: CodedSample,
    dir: PathBuf,
    stem: String,
    index: HashMap<(String, u64), usize>,
    coders: Mutex<BTreeMap<String, Coder>>,
    /// Warnings from start-up (torn journal lines).
    pub warnings: Vec<String>,
}

/// One coder's progress in one stratum.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StratumProgress {
    /// The stratum.
    pub stratum: String,
    /// Sentences coded.
    pub coded: usize,
    /// Sentences in the stratum.
    pub total: usize,
}

impl CodingStore {
    /// Reads the sample and loads every coder found beside it (or in `dir`).
    /// Its label columns are those named after a device, `framing`, or one
    /// of `model_labels` (the served model's own labels).
    pub fn open(
        sample_path: &Path,
        dir: Option<&Path>,
        model_labels: &[&str],
    ) -> Result<CodingStore> {
        let is_label = |name: &str| is_label_column(name) || model_labels.contains(&name);
        let sample = read_coded_sample(sample_path, &is_label)?;
        if sample.label_columns.is_empty() {
            return Err(Error::input(
                Location::file(sample_path.display().to_string()),
                format!(
                    "no label column to code (device ids, `framing`, or the model's labels: {})",
                    model_labels.join(", ")
                ),
            ));
        }
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => sample_path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        };
        let stem = sample_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sample".into());
        let index = sample
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.article_id.clone(), r.sentence_index), i))
            .collect();
        let mut store = CodingStore {
            sample,
            dir,
            stem,
            index,
            coders: Mutex::new(BTreeMap::new()),
            warnings: Vec::new(),
        };
        for name in store.existing_coders()? {
            store.load_coder(&name)?;
        }
        Ok(store)
    }

    /// Coders with a labels file or a journal in the folder.
    fn existing_coders(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            for (prefix, suffix) in [(".labels.", ".csv"), (".journal.", ".jsonl")] {
                let prefix = format!("{}{prefix}", self.stem);
                if let Some(coder) = name
                    .strip_prefix(&prefix)
                    .and_then(|r| r.strip_suffix(suffix))
                {
                    if valid_coder(coder) && !names.iter().any(|n| n == coder) {
                        names.push(coder.to_string());
                    }
                }
            }
        }
        names.sort();
        Ok(names)
    }

    fn labels_path(&self, coder: &str) -> PathBuf {
        self.dir.join(format!("{}.labels.{coder}.csv", self.stem))
    }

    fn journal_path(&self, coder: &str) -> PathBuf {
        self.dir
            .join(format!("{}.journal.{coder}.jsonl", self.stem))
    }

    /// Loads a coder: its labels file, then its journal replayed over it;
    /// rewrites the labels file when the journal had more.
    fn load_coder(&mut self, name: &str) -> Result<()> {
        let rows = self.sample.rows.len();
        let width = self.sample.label_columns.len();
        let mut labels = vec![vec![None; width]; rows];
        let labels_path = self.labels_path(name);
        if labels_path.is_file() {
            let columns = self.sample.label_columns.clone();
            let file = read_coded_sample(&labels_path, &|n: &str| columns.iter().any(|c| c == n))?;
            for row in &file.rows {
                let Some(&i) = self
                    .index
                    .get(&(row.article_id.clone(), row.sentence_index))
                else {
                    continue;
                };
                for (j, col) in file.label_columns.iter().enumerate() {
                    if let Some(k) = self.sample.label_index(col) {
                        labels[i][k] = row.labels[j];
                    }
                }
            }
        }
        let journal_path = self.journal_path(name);
        let replay = read_journal(&journal_path)?;
        if let Some(w) = &replay.warning {
            self.warnings.push(w.clone());
        }
        let mut shown = vec![false; rows];
        let replayed = !replay.entries.is_empty();
        for e in &replay.entries {
            if let Some(&i) = self.index.get(&(e.article_id.clone(), e.sentence_index)) {
                apply(&self.sample, &mut labels[i], &e.labels);
                shown[i] = e.suggestion_shown;
            }
        }
        let journal = Journal::open(&journal_path, replay.valid_len)?;
        let coder = Coder {
            labels,
            shown,
            journal,
            labels_path,
            saves: 0,
        };
        if replayed {
            write_labels(&self.sample, &coder)?;
        }
        self.coders
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), coder);
        Ok(())
    }

    /// The sample.
    pub fn sample(&self) -> &CodedSample {
        &self.sample
    }

    /// The coders known so far.
    pub fn coders(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Coder>> {
        self.coders.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A coder's cells of row `i` and whether the suggestion was shown
    /// (empty cells for an unknown coder).
    pub fn answer(&self, coder: &str, i: usize) -> (Vec<Option<bool>>, bool) {
        let coders = self.lock();
        match coders.get(coder) {
            Some(c) if i < c.labels.len() => (c.labels[i].clone(), c.shown[i]),
            _ => (vec![None; self.sample.label_columns.len()], false),
        }
    }

    /// The first row the coder has not coded (`rows` when all are coded).
    pub fn next_uncoded(&self, coder: &str) -> usize {
        let coders = self.lock();
        match coders.get(coder) {
            Some(c) => c
                .labels
                .iter()
                .position(|l| l.iter().all(Option::is_none))
                .unwrap_or(c.labels.len()),
            None => 0,
        }
    }

    /// Sentences coded per stratum (strata in order of first appearance).
    pub fn progress(&self, coder: &str) -> Vec<StratumProgress> {
        let coders = self.lock();
        let c = coders.get(coder);
        let mut out: Vec<StratumProgress> = Vec::new();
        for (i, row) in self.sample.rows.iter().enumerate() {
            let pos = match out.iter().position(|p| p.stratum == row.stratum) {
                Some(p) => p,
                None => {
                    out.push(StratumProgress {
                        stratum: row.stratum.clone(),
                        coded: 0,
                        total: 0,
                    });
                    out.len() - 1
                }
            };
            out[pos].total += 1;
            if c.is_some_and(|c| c.labels[i].iter().any(Option::is_some)) {
                out[pos].coded += 1;
            }
        }
        out
    }

    /// Saves a coder's answer for row `i`: journal (on disk) first, then the
    /// labels file. Creates the coder on its first answer. `labels` maps
    /// label columns to values; columns left out become "not labelled".
    pub fn save(
        &self,
        coder: &str,
        i: usize,
        labels: &BTreeMap<String, Option<bool>>,
        suggestion_shown: bool,
    ) -> Result<()> {
        if !valid_coder(coder) {
            return Err(Error::Config(format!("invalid coder name `{coder}`")));
        }
        let row = self
            .sample
            .rows
            .get(i)
            .ok_or_else(|| Error::Config(format!("no row {i} in the sample")))?;
        if let Some(unknown) = labels.keys().find(|k| self.sample.label_index(k).is_none()) {
            return Err(Error::Config(format!("`{unknown}` is not a label column")));
        }
        let mut coders = self.lock();
        if !coders.contains_key(coder) {
            let journal = Journal::open(&self.journal_path(coder), 0)?;
            coders.insert(
                coder.to_string(),
                Coder {
                    labels: vec![
                        vec![None; self.sample.label_columns.len()];
                        self.sample.rows.len()
                    ],
                    shown: vec![false; self.sample.rows.len()],
                    journal,
                    labels_path: self.labels_path(coder),
                    saves: 0,
                },
            );
        }
        let c = coders.get_mut(coder).expect("inserted above");
        let mut full: BTreeMap<String, Option<bool>> = self
            .sample
            .label_columns
            .iter()
            .map(|l| (l.clone(), None))
            .collect();
        full.extend(labels.iter().map(|(k, v)| (k.clone(), *v)));
        let entry = JournalEntry {
            v: JOURNAL_VERSION,
            coder: coder.to_string(),
            article_id: row.article_id.clone(),
            sentence_index: row.sentence_index,
            labels: full.clone(),
            suggestion_shown,
            at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        };
        c.journal.append(&entry)?;
        apply(&self.sample, &mut c.labels[i], &full);
        c.shown[i] = suggestion_shown;
        c.saves += 1;
        write_labels(&self.sample, c)
    }

    /// A coder's labels as a coded sample (what their labels file holds, the
    /// input of [`crate::compare::gold::join`]) and a version that changes
    /// with every answer saved; `None` for an unknown coder.
    pub fn coded_sample(&self, coder: &str) -> Option<(CodedSample, u64)> {
        let coders = self.lock();
        let c = coders.get(coder)?;
        Some((with_labels(&self.sample, &c.labels), c.saves))
    }

    /// Every coder with the number of sentences they have coded.
    pub fn coded_counts(&self) -> Vec<(String, usize)> {
        self.lock()
            .iter()
            .map(|(name, c)| {
                let coded = c
                    .labels
                    .iter()
                    .filter(|cells| cells.iter().any(Option::is_some))
                    .count();
                (name.clone(), coded)
            })
            .collect()
    }

    /// Cohen's κ between two coders over the sentences both have coded
    /// (the devices; `any` = at least one device).
    pub fn agreement(&self, a: &str, b: &str) -> Option<Agreement> {
        let coders = self.lock();
        let (ca, cb) = (coders.get(a)?, coders.get(b)?);
        let devices: Vec<(usize, Device)> = self
            .sample
            .label_columns
            .iter()
            .enumerate()
            .filter_map(|(k, l)| Device::from_id(l).map(|d| (k, d)))
            .collect();
        let positives = |cells: &[Option<bool>]| -> Vec<Device> {
            devices
                .iter()
                .filter(|(k, _)| cells[*k] == Some(true))
                .map(|(_, d)| *d)
                .collect()
        };
        let coded = |cells: &[Option<bool>]| cells.iter().any(Option::is_some);
        let pairs: Vec<(Vec<Device>, Vec<Device>)> = (0..self.sample.rows.len())
            .filter(|i| coded(&ca.labels[*i]) && coded(&cb.labels[*i]))
            .map(|i| (positives(&ca.labels[i]), positives(&cb.labels[i])))
            .collect();
        Some(agreement_of(&pairs))
    }

    /// The coder's labels file as it is on disk.
    pub fn labels_file(&self, coder: &str) -> Option<PathBuf> {
        let coders = self.lock();
        coders.get(coder).map(|c| c.labels_path.clone())
    }
}

fn apply(
    sample: &CodedSample,
    cells: &mut [Option<bool>],
    labels: &BTreeMap<String, Option<bool>>,
) {
    for (k, v) in labels {
        if let Some(j) = sample.label_index(k) {
            cells[j] = *v;
        }
    }
}

/// Rewrites the coder's labels file (atomically: temp file, fsync, rename).
fn write_labels(sample: &CodedSample, coder: &Coder) -> Result<()> {
    write_coded_sample(&coder.labels_path, &with_labels(sample, &coder.labels))
}

/// The sample with a coder's cells in its label columns.
fn with_labels(sample: &CodedSample, labels: &[Vec<Option<bool>>]) -> CodedSample {
    let mut out = sample.clone();
    for (row, cells) in out.rows.iter_mut().zip(labels) {
        row.labels = cells.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "article_id,sentence_index,stratum,inclusion_probability,context_before,text,context_after,doubt,framing\n\
a,0,A,0.5,,One.,Two.,,\na,1,A,0.5,One.,Two.,,,\nb,0,B,1,,Three.,,,\n";

    #[test]
    fn answers_survive_a_restart_and_the_labels_file_has_the_sample_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(&path, SAMPLE).unwrap();
        let store = CodingStore::open(&path, None, &[]).unwrap();
        let mut l = BTreeMap::new();
        l.insert("doubt".to_string(), Some(true));
        l.insert("framing".to_string(), Some(true));
        store.save("ana", 1, &l, true).unwrap();
        assert!(store.save("../x", 0, &l, false).is_err());
        assert_eq!(store.next_uncoded("ana"), 0);
        drop(store);
        // The labels file is lost: the journal alone restores the answer.
        std::fs::remove_file(dir.path().join("s.labels.ana.csv")).unwrap();
        let store = CodingStore::open(&path, None, &[]).unwrap();
        assert_eq!(store.coders(), vec!["ana"]);
        assert_eq!(store.answer("ana", 1), (vec![Some(true), Some(true)], true));
        let file =
            read_coded_sample(&dir.path().join("s.labels.ana.csv"), &is_label_column).unwrap();
        assert_eq!(file.rows[1].labels, vec![Some(true), Some(true)]);
        assert_eq!(file.rows[0].labels, vec![None, None]);
        let p = store.progress("ana");
        assert_eq!((p[0].coded, p[0].total, p[1].total), (1, 2, 1));
    }
}
