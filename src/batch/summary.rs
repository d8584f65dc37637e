//! What a batch run records about itself: its [`Counts`], the
//! [`BatchSettings`] a resume must match, the [`Checkpoint`] of an unfinished
//! run and the `summary.json` of a finished one.

use super::files::{
    any_output_files, output_files, partial_path, remove_own_files, write_atomic, CHECKPOINT_FILE,
    SUMMARY_FILE,
};
use super::{BatchOptions, Shard};
use crate::error::{Error, Result};
use crate::io::corpus::CorpusReader;
use crate::io::output::OutputOptions;
use crate::score::Pipeline;
use serde::{Deserialize, Serialize};
use std::fmt::Display;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// How a run starts in its folder.
#[derive(Debug)]
pub enum Start {
    /// From the first record.
    Fresh,
    /// From a checkpoint.
    Resume(Box<Checkpoint>),
}

/// Checks the output folder and decides how the run starts.
///
/// A folder holding a finished run (final outputs or `summary.json`) is
/// refused unless `force`; one holding an unfinished run is resumed with
/// `resume`, restarted with `force`, and refused otherwise. `force` removes
/// only rhetor's own files.
pub fn prepare_dir(dir: &Path, resume: bool, force: bool) -> Result<Start> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    if force {
        remove_own_files(dir)?;
        return Ok(Start::Fresh);
    }
    let checkpoint = read_checkpoint(dir)?;
    let shown = dir.display();
    if let Some(ck) = checkpoint {
        if resume {
            return Ok(Start::Resume(Box::new(ck)));
        }
        return Err(Error::Config(format!(
            "{shown} holds an unfinished run ({} records done); pass --resume to continue it or --force to start over",
            ck.records_done
        )));
    }
    let finished = any_output_files()
        .chain([SUMMARY_FILE])
        .any(|f| dir.join(f).exists());
    if finished {
        return Err(Error::Config(format!(
            "{shown} already holds a finished run; pass --force to overwrite it (or choose another --out)"
        )));
    }
    let partials = any_output_files().any(|f| partial_path(dir, f).exists());
    if partials && !resume {
        return Err(Error::Config(format!(
            "{shown} holds partial outputs of an interrupted run; pass --resume to continue it or --force to start over"
        )));
    }
    // Partial files without a checkpoint hold nothing known to be valid.
    remove_own_files(dir)?;
    Ok(Start::Fresh)
}

/// Counts of a run (cumulative over resumed sessions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Input records read (= articles_scored + errors + other_shards).
    pub records_read: u64,
    /// Articles scored (rows of `articles.csv`).
    pub articles_scored: u64,
    /// Records that could not be scored (rows of `errors.csv`).
    pub errors: u64,
    /// Sentences scored (rows of `sentences.csv`).
    pub sentences: u64,
    /// Sentences whose framing score reaches the framing threshold.
    pub framing_sentences: u64,
    /// Records left to other shards (`--shard`).
    pub other_shards: u64,
}

impl Counts {
    /// True when every record read is accounted for.
    pub fn balanced(&self) -> bool {
        self.records_read == self.articles_scored + self.errors + self.other_shards
    }
}

/// The settings that determine a run's output; a resumed run must match them.
/// Stored as `settings` in `checkpoint.json` (field names as in earlier versions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSettings {
    /// The input's absolute path (`-` = standard input).
    pub input: String,
    /// The input file's size in bytes.
    pub input_bytes: Option<u64>,
    /// The input file's modification time (unix seconds).
    pub input_modified_unix: Option<u64>,
    /// The input format's name.
    pub format: String,
    /// The resolved columns.
    pub columns: ColumnSettings,
    /// The scorer's name.
    pub model: String,
    /// One threshold for every device and framing (`None` = the model's).
    pub threshold: Option<f32>,
    /// Longest accepted article text in bytes.
    pub max_article_bytes: usize,
    /// The share of the records.
    pub shard: Option<Shard>,
    /// The output format (`csv` or `parquet`; runs of earlier versions wrote CSV).
    #[serde(default = "csv_output")]
    pub output: String,
}

fn csv_output() -> String {
    "csv".to_string()
}

/// The input columns of a run, by name (also written to `summary.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSettings {
    /// The id column.
    pub id: Option<String>,
    /// The text column.
    pub text: String,
    /// The outlet column.
    pub outlet: Option<String>,
    /// The date column.
    pub date: Option<String>,
    /// The title column.
    pub title: Option<String>,
    /// The carried columns.
    pub carried: Vec<String>,
    /// The carried columns' names in the outputs.
    pub carried_as: Vec<String>,
}

impl BatchSettings {
    /// The settings of a run of `pipeline` over `reader`'s input.
    pub fn new(
        pipeline: &Pipeline,
        options: &BatchOptions,
        reader: &CorpusReader,
        carried_as: Vec<String>,
    ) -> Self {
        let (input_bytes, input_modified_unix) = input_identity(&options.input);
        let c = reader.columns();
        let name = |index| c.role_name(index).map(str::to_string);
        BatchSettings {
            input: absolute(&options.input),
            input_bytes,
            input_modified_unix,
            format: reader.format().name().to_string(),
            columns: ColumnSettings {
                id: name(c.id),
                text: c.name(c.text).to_string(),
                outlet: name(c.outlet),
                date: name(c.date),
                title: name(c.title),
                carried: c.carried_names(),
                carried_as,
            },
            model: pipeline.scorer().name().to_string(),
            threshold: options.threshold,
            max_article_bytes: options.max_article_bytes,
            shard: options.shard,
            output: options.output_format.extension().to_string(),
        }
    }

    /// Every setting as (its name for the user, its value in words).
    fn described(&self) -> [(&'static str, String); 16] {
        let c = &self.columns;
        [
            ("input path", self.input.clone()),
            ("input size (bytes)", shown(self.input_bytes)),
            (
                "input modification time (unix s)",
                shown(self.input_modified_unix),
            ),
            ("input format (--input-format)", self.format.clone()),
            ("id column (--id-col)", shown(c.id.as_ref())),
            ("text column (--text-col)", c.text.clone()),
            ("outlet column (--outlet-col)", shown(c.outlet.as_ref())),
            ("date column (--date-col)", shown(c.date.as_ref())),
            ("title column (--title-col)", shown(c.title.as_ref())),
            ("carried columns", format!("{:?}", c.carried)),
            (
                "carried columns' output names",
                format!("{:?}", c.carried_as),
            ),
            ("model (--model)", self.model.clone()),
            ("threshold (--threshold)", shown(self.threshold)),
            ("--max-article-bytes", self.max_article_bytes.to_string()),
            (
                "shard (--shard)",
                shown(self.shard.map(|s| format!("{}/{}", s.index, s.count))),
            ),
            ("output format (--format)", self.output.clone()),
        ]
    }

    /// Refuses to resume a run saved with these settings under `now`,
    /// naming every setting that differs.
    pub fn check_resume(&self, now: &BatchSettings) -> Result<()> {
        if self == now {
            return Ok(());
        }
        let changed: Vec<String> = self
            .described()
            .into_iter()
            .zip(now.described())
            .filter(|(was, now)| was.1 != now.1)
            .map(|((name, was), (_, now))| format!("{name} was {was}, now {now}"))
            .collect();
        Err(Error::Config(format!(
            "cannot resume: settings differ from the interrupted run: {}; rerun with the same input and options, or pass --force to start over",
            changed.join("; ")
        )))
    }
}

/// An optional value in words (`none` when absent).
fn shown(value: Option<impl Display>) -> String {
    value.map_or_else(|| "none".to_string(), |v| v.to_string())
}

/// What an unfinished (or finishing) run has durably written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Checkpoint format version.
    pub version: u32,
    /// The settings that determine the output; a resume must match them.
    pub settings: BatchSettings,
    /// Input records fully handled: every output row of records `1..=records_done` is written.
    pub records_done: u64,
    /// Valid byte lengths of the partial outputs: sentences, articles, errors.
    pub lengths: [u64; 3],
    /// Counts up to `records_done`.
    pub counts: Counts,
    /// Unix time the run started (first session).
    pub started_unix: u64,
    /// Seconds spent in earlier sessions and this one up to the checkpoint.
    pub elapsed_s: f64,
    /// Number of sessions (1 + resumes).
    pub sessions: u32,
    /// True once every record is written; only the final renames remain.
    pub complete: bool,
    /// The summary to write once complete.
    pub summary: Option<Summary>,
}

/// The current checkpoint format.
pub const CHECKPOINT_VERSION: u32 = 1;

impl Checkpoint {
    /// The checkpoint of a run that starts now with `settings`.
    pub fn new(settings: BatchSettings) -> Self {
        Checkpoint {
            version: CHECKPOINT_VERSION,
            settings,
            records_done: 0,
            lengths: [0; 3],
            counts: Counts::default(),
            started_unix: unix_now(),
            elapsed_s: 0.0,
            sessions: 1,
            complete: false,
            summary: None,
        }
    }
}

/// Reads `checkpoint.json` if present.
pub fn read_checkpoint(dir: &Path) -> Result<Option<Checkpoint>> {
    let path = dir.join(CHECKPOINT_FILE);
    let raw = match std::fs::read(&path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let ck: Checkpoint = serde_json::from_slice(&raw).map_err(|e| {
        Error::Config(format!(
            "{}: unreadable checkpoint ({e}); pass --force to start over",
            path.display()
        ))
    })?;
    if ck.version != CHECKPOINT_VERSION {
        return Err(Error::Config(format!(
            "{}: checkpoint version {} is not supported (expected {CHECKPOINT_VERSION}); pass --force to start over",
            path.display(),
            ck.version
        )));
    }
    Ok(Some(ck))
}

/// Writes `value` as pretty JSON to `dir/name`, atomically.
pub fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> Result<()> {
    write_atomic(dir, name, &crate::json::pretty_bytes(value)?)
}

/// Writes the checkpoint atomically.
pub fn write_checkpoint(dir: &Path, ck: &Checkpoint) -> Result<()> {
    write_json(dir, CHECKPOINT_FILE, ck)
}

/// `summary.json`: what a finished run records about itself. Written and
/// read with serde; the field order is the file's key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The rhetor version that wrote it.
    pub rhetor_version: String,
    /// Always true: the file is written only once every record is written.
    pub complete: bool,
    /// Every record read is in an output table ([`Counts::balanced`]).
    pub lossless: bool,
    /// The input.
    pub input: SummaryInput,
    /// The input columns used.
    pub columns: ColumnSettings,
    /// The scorer's name.
    pub model: String,
    /// The thresholds that decided `flagged` and `framing_sentences`.
    pub thresholds: SummaryThresholds,
    /// The share of the records (`--shard`).
    pub shard: Option<Shard>,
    /// Final counts.
    pub counts: Counts,
    /// Times and rates.
    pub timings: SummaryTimings,
    /// The output tables.
    pub outputs: SummaryOutputs,
}

/// The input of a run, as `summary.json` records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryInput {
    /// The input's absolute path (`-` = standard input).
    pub path: String,
    /// The input format's name.
    pub format: String,
    /// The input was gzip-compressed.
    pub gzip: bool,
    /// Input size in bytes (bytes read, for standard input).
    pub bytes: u64,
    /// The input file's modification time (unix seconds).
    pub modified_unix: Option<u64>,
    /// SHA-256 of the input bytes.
    pub sha256: String,
}

/// The thresholds of a run (the f32 thresholds widened to f64, as written
/// since the first version of the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryThresholds {
    /// `--threshold`: one threshold for every device and framing.
    #[serde(rename = "override")]
    pub override_all: Option<f64>,
    /// The framing threshold.
    pub framing: f64,
    /// The threshold of every output device, in output order.
    pub devices: DeviceThresholds,
}

/// Device id → threshold, in the order of the output's device columns
/// (a JSON object).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceThresholds(pub Vec<(String, f64)>);

impl Serialize for DeviceThresholds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (id, t) in &self.0 {
            map.serialize_entry(id, t)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for DeviceThresholds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = DeviceThresholds;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of device ids and thresholds")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<DeviceThresholds, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(DeviceThresholds(entries))
            }
        }
        d.deserialize_map(Entries)
    }
}

/// Times and rates of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryTimings {
    /// Unix time the run started (first session).
    pub started_unix: u64,
    /// Unix time it finished.
    pub finished_unix: u64,
    /// Seconds spent, over all sessions.
    pub elapsed_s: f64,
    /// Number of sessions (1 + resumes).
    pub sessions: u32,
    /// Scoring threads.
    pub threads: usize,
    /// Input records per second.
    pub records_per_s: f64,
    /// Articles scored per second.
    pub articles_per_s: f64,
    /// Sentences scored per second.
    pub sentences_per_s: f64,
}

/// The output tables of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryOutputs {
    /// `csv` or `parquet`.
    pub format: String,
    /// The sentences table's file name.
    pub sentences: String,
    /// The articles table's file name.
    pub articles: String,
    /// The errors table's file name.
    pub errors: String,
}

impl Summary {
    /// The summary of a run once every record is written.
    pub(super) fn new(
        settings: &BatchSettings,
        options: &BatchOptions,
        reader: &CorpusReader,
        input_size: Option<u64>,
        output: &OutputOptions,
        ck: &Checkpoint,
    ) -> Summary {
        let counts = ck.counts;
        let elapsed = ck.elapsed_s.max(1e-9);
        let [sentences_file, articles_file, errors_file] = output_files(options.output_format);
        let stats = reader.stats();
        let (_, mtime) = input_identity(&options.input);
        let devices = output
            .columns
            .iter()
            .map(|&i| {
                let name = output.labels.labels()[i].name.clone();
                (name, f64::from(output.threshold(i)))
            })
            .collect();
        Summary {
            rhetor_version: env!("CARGO_PKG_VERSION").to_string(),
            complete: true,
            lossless: counts.balanced(),
            input: SummaryInput {
                path: settings.input.clone(),
                format: settings.format.clone(),
                gzip: reader.is_gzip(),
                bytes: input_size.unwrap_or_else(|| stats.bytes_read()),
                modified_unix: mtime,
                sha256: stats.sha256_hex(),
            },
            columns: settings.columns.clone(),
            model: settings.model.clone(),
            thresholds: SummaryThresholds {
                override_all: options.threshold.map(f64::from),
                framing: f64::from(output.thresholds.framing),
                devices: DeviceThresholds(devices),
            },
            shard: options.shard,
            counts,
            timings: SummaryTimings {
                started_unix: ck.started_unix,
                finished_unix: unix_now(),
                elapsed_s: round3(ck.elapsed_s),
                sessions: ck.sessions,
                threads: options.threads.max(1),
                records_per_s: round3(counts.records_read as f64 / elapsed),
                articles_per_s: round3(counts.articles_scored as f64 / elapsed),
                sentences_per_s: round3(counts.sentences as f64 / elapsed),
            },
            outputs: SummaryOutputs {
                format: options.output_format.extension().to_string(),
                sentences: sentences_file.to_string(),
                articles: articles_file.to_string(),
                errors: errors_file.to_string(),
            },
        }
    }
}

/// Reads the `summary.json` of a finished run in `dir`.
pub fn read_summary(dir: &Path) -> Result<Summary> {
    let path = dir.join(SUMMARY_FILE);
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::input(
            crate::error::Location::file(path.display().to_string()),
            format!("not a rhetor batch summary: {e}"),
        )
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The input's path made absolute (`-` stays `-`).
fn absolute(input: &str) -> String {
    if input == "-" {
        return input.to_string();
    }
    std::path::absolute(input)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| input.to_string())
}

/// Size and modification time (unix seconds) of a file input.
pub(super) fn input_identity(input: &str) -> (Option<u64>, Option<u64>) {
    let meta = (input != "-")
        .then(|| std::fs::metadata(input).ok())
        .flatten();
    let modified = meta.as_ref().and_then(|m| m.modified().ok());
    let since_epoch = modified.and_then(|t| t.duration_since(UNIX_EPOCH).ok());
    (meta.map(|m| m.len()), since_epoch.map(|d| d.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `settings` of a real `checkpoint.json` written before [`BatchSettings`]
    /// existed (a `json!` value: the f32 threshold widened to f64).
    const OLD_SETTINGS: &str = r#"{"input": "/work/data/corpus-sample.csv", "input_bytes": 39678,
      "input_modified_unix": 1795942535, "format": "csv", "columns": {"id": "id", "text": "text",
      "outlet": "outlet", "date": "date", "title": "title", "carried": ["url", "author"],
      "carried_as": ["url", "author"]}, "model": "cues", "threshold": 0.30000001192092896,
      "max_article_bytes": 1048576, "shard": {"index": 1, "count": 3}}"#;

    fn old_settings() -> BatchSettings {
        serde_json::from_str(OLD_SETTINGS).expect("old settings are readable")
    }

    #[test]
    fn settings_written_before_the_type_still_match() {
        let old = old_settings();
        assert_eq!(old.threshold, Some(0.3));
        assert_eq!(old.shard, Some(Shard { index: 1, count: 3 }));
        assert_eq!(old.output, "csv");
        let now = old.clone();
        assert!(old.check_resume(&now).is_ok());
        let written = serde_json::to_string(&now).expect("serialize");
        let reread: BatchSettings = serde_json::from_str(&written).expect("reread");
        assert_eq!(reread, old);
    }

    /// A `summary.json` written by the `json!` version of the writer (a
    /// default-model run on data/corpus-sample.csv).
    const WRITTEN_BEFORE_THE_TYPE: &str = include_str!("../../tests/data/summary.json");

    #[test]
    fn a_summary_reads_and_writes_back_to_the_same_bytes() {
        let summary: Summary = serde_json::from_str(WRITTEN_BEFORE_THE_TYPE).unwrap();
        assert_eq!(summary.thresholds.framing as f32, 0.459_048_9);
        assert_eq!(summary.thresholds.devices.0.len(), 18);
        assert_eq!(summary.thresholds.devices.0[0].0, "editorial_aside");
        assert_eq!(summary.counts.sentences, 368);
        // The thresholds are f32 values widened to f64; serde_json's default
        // float parser may miss such a value by one ulp, so the written form
        // is checked from the f32 values, as the writer has them.
        let mut from_f32 = summary.clone();
        let widened = |t: f64| f64::from(t as f32);
        from_f32.thresholds.framing = widened(from_f32.thresholds.framing);
        for (_, t) in &mut from_f32.thresholds.devices.0 {
            *t = widened(*t);
        }
        let written = crate::json::pretty_bytes(&from_f32).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), WRITTEN_BEFORE_THE_TYPE);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SUMMARY_FILE), WRITTEN_BEFORE_THE_TYPE).unwrap();
        assert_eq!(read_summary(dir.path()).unwrap(), summary);
        std::fs::write(dir.path().join(SUMMARY_FILE), "{}").unwrap();
        let err = read_summary(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("summary.json") && err.contains("missing field"),
            "{err}"
        );
    }

    #[test]
    fn settings_mismatch_names_each_change() {
        let old = old_settings();
        let mut now = old.clone();
        now.threshold = None;
        now.shard = None;
        let err = old
            .check_resume(&now)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains(
                "threshold (--threshold) was 0.3, now none; shard (--shard) was 1/3, now none;"
            ),
            "{err}"
        );
        assert!(!err.contains("--model"), "{err}");
    }
}
