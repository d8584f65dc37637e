//! The output folder of a batch run: `*.partial` files while running, an
//! atomic checkpoint (temp file + fsync + rename + fsync of the folder) that
//! says how much of them is valid, and the final renames.

use crate::error::{Error, Result};
use crate::io::table::{column_names, Column, TableFormat, Value};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Per-sentence output.
pub const SENTENCES_FILE: &str = "sentences.csv";
/// Per-article output.
pub const ARTICLES_FILE: &str = "articles.csv";
/// Records that could not be scored.
pub const ERRORS_FILE: &str = "errors.csv";
/// Written last, only when the run is complete.
pub const SUMMARY_FILE: &str = "summary.json";
/// The checkpoint of an unfinished run.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
/// Suffix of outputs while the run is unfinished.
pub const PARTIAL_SUFFIX: &str = ".partial";

/// Per-sentence output of a `--format parquet` run.
pub const SENTENCES_PARQUET: &str = "sentences.parquet";
/// Per-article output of a `--format parquet` run.
pub const ARTICLES_PARQUET: &str = "articles.parquet";
/// Records that could not be scored, in a `--format parquet` run.
pub const ERRORS_PARQUET: &str = "errors.parquet";

/// The spans table of a CSV run (derived from `sentences.csv` at the end).
pub const SPANS_FILE: &str = "spans.csv";
/// The spans table of a Parquet run.
pub const SPANS_PARQUET: &str = "spans.parquet";

/// The three streamed outputs, in a fixed order.
pub const OUTPUT_FILES: [&str; 3] = [SENTENCES_FILE, ARTICLES_FILE, ERRORS_FILE];
/// The three streamed outputs of a `--format parquet` run, in the same order.
pub const PARQUET_OUTPUT_FILES: [&str; 3] = [SENTENCES_PARQUET, ARTICLES_PARQUET, ERRORS_PARQUET];

/// The streamed outputs of a run writing `format`.
pub fn output_files(format: TableFormat) -> [&'static str; 3] {
    match format {
        TableFormat::Csv => OUTPUT_FILES,
        TableFormat::Parquet => PARQUET_OUTPUT_FILES,
    }
}

/// The streamed outputs of either format.
pub fn any_output_files() -> impl Iterator<Item = &'static str> {
    OUTPUT_FILES
        .into_iter()
        .chain(PARQUET_OUTPUT_FILES)
        .chain([SPANS_FILE, SPANS_PARQUET])
}

/// Removes rhetor's outputs (either format), partials and checkpoint from
/// `dir` (nothing else).
pub fn remove_own_files(dir: &Path) -> Result<()> {
    let mut names: Vec<String> = any_output_files()
        .flat_map(|f| [f.to_string(), format!("{f}{PARTIAL_SUFFIX}")])
        .collect();
    names.extend([
        SUMMARY_FILE.to_string(),
        CHECKPOINT_FILE.to_string(),
        tmp_name(CHECKPOINT_FILE),
        tmp_name(SUMMARY_FILE),
    ]);
    names
        .iter()
        .try_for_each(|name| remove_if_present(dir, name).map(drop))
}

/// Removes `dir/name`; true when it was there.
fn remove_if_present(dir: &Path, name: &str) -> Result<bool> {
    let path = dir.join(name);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn tmp_name(name: &str) -> String {
    format!(".{name}.tmp")
}

/// The path of an output while the run is unfinished.
pub fn partial_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{PARTIAL_SUFFIX}"))
}

/// Writes `bytes` to `dir/name` atomically: temp file, fsync, rename, fsync of the folder.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = dir.join(tmp_name(name));
    let target = dir.join(name);
    let at_tmp = |e| Error::io(&tmp, e);
    let mut f = File::create(&tmp).map_err(at_tmp)?;
    f.write_all(bytes).map_err(at_tmp)?;
    f.sync_all().map_err(at_tmp)?;
    drop(f);
    std::fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))?;
    sync_dir(dir)
}

/// Makes renames and creations in `dir` durable (a no-op where folders cannot be opened).
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let d = File::open(dir).map_err(|e| Error::io(dir, e))?;
        d.sync_all().map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// One streamed output file (written as `*.partial`).
pub struct OutFile {
    path: PathBuf,
    writer: BufWriter<File>,
    len: u64,
}

impl OutFile {
    /// Creates `dir/name.partial` holding `header`.
    pub fn create(dir: &Path, name: &str, header: &[u8]) -> Result<OutFile> {
        let path = partial_path(dir, name);
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut out = OutFile::new(path, file, 0);
        out.append(header)?;
        Ok(out)
    }

    /// Reopens `dir/name.partial`, cut back to the checkpointed `len`.
    pub fn resume(dir: &Path, name: &str, len: u64) -> Result<OutFile> {
        let path = partial_path(dir, name);
        let at_path = |e| Error::io(&path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(at_path)?;
        let actual = file.metadata().map_err(at_path)?.len();
        if actual < len {
            return Err(Error::Config(format!(
                "{}: {actual} bytes, shorter than the {len} bytes the checkpoint recorded; the folder was modified — pass --force to start over",
                path.display()
            )));
        }
        file.set_len(len).map_err(at_path)?;
        file.seek(SeekFrom::End(0)).map_err(at_path)?;
        Ok(OutFile::new(path, file, len))
    }

    fn new(path: PathBuf, file: File, len: u64) -> OutFile {
        let writer = BufWriter::with_capacity(1 << 17, file);
        OutFile { path, writer, len }
    }

    /// Appends bytes.
    pub fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, e))?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written (valid once [`OutFile::sync`] returns).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Flushes and fsyncs the data.
    pub fn sync(&mut self) -> Result<()> {
        let at_path = |e| Error::io(&self.path, e);
        self.writer.flush().map_err(at_path)?;
        self.writer.get_ref().sync_data().map_err(at_path)
    }
}

/// One streamed output table: CSV bytes appended to a [`OutFile`], or typed
/// rows to a Parquet writer (which becomes readable only once finished).
pub enum OutTable {
    /// A CSV table.
    Csv(OutFile),
    /// A Parquet table.
    #[cfg(feature = "parquet")]
    Parquet(Box<crate::io::parquet::ParquetTableWriter>),
}

/// Rows for an [`OutTable`], formatted by a scoring worker.
#[derive(Debug)]
pub enum Rows {
    /// CSV-encoded rows.
    Csv(Vec<u8>),
    /// Typed rows (Parquet; without the `parquet` feature never written).
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Typed(Vec<Vec<Value>>),
}

impl OutTable {
    /// Creates `dir/name.partial` for `columns` in `format` (CSV: with its header row).
    pub fn create(
        dir: &Path,
        name: &str,
        format: TableFormat,
        columns: Vec<Column>,
    ) -> Result<OutTable> {
        match format {
            TableFormat::Csv => {
                let header = super::schema::csv_bytes([column_names(&columns)])?;
                OutFile::create(dir, name, &header).map(OutTable::Csv)
            }
            #[cfg(feature = "parquet")]
            TableFormat::Parquet => {
                crate::io::parquet::ParquetTableWriter::create(&partial_path(dir, name), columns)
                    .map(|w| OutTable::Parquet(Box::new(w)))
            }
            #[cfg(not(feature = "parquet"))]
            TableFormat::Parquet => Err(crate::io::table::parquet_unsupported("--format parquet")),
        }
    }

    /// Appends rows; their kind must match the table's format.
    pub fn append(&mut self, rows: Rows) -> Result<()> {
        match (self, rows) {
            (OutTable::Csv(f), Rows::Csv(bytes)) => f.append(&bytes),
            #[cfg(feature = "parquet")]
            (OutTable::Parquet(w), Rows::Typed(rows)) => {
                rows.iter().try_for_each(|row| w.append_row(row))
            }
            _ => Err(Error::Output(
                "internal error: rows formatted for another output format".into(),
            )),
        }
    }

    /// The length recorded in checkpoints: CSV bytes written; for Parquet,
    /// bytes of the row groups written so far (informative only: a Parquet run
    /// cannot be resumed).
    pub fn len(&self) -> u64 {
        match self {
            OutTable::Csv(f) => f.len(),
            #[cfg(feature = "parquet")]
            OutTable::Parquet(w) => w.bytes_written(),
        }
    }

    /// Makes the rows durable before a checkpoint (CSV); nothing for Parquet,
    /// whose row groups are written as they fill.
    pub fn sync(&mut self) -> Result<()> {
        match self {
            OutTable::Csv(f) => f.sync(),
            #[cfg(feature = "parquet")]
            OutTable::Parquet(_) => Ok(()),
        }
    }

    /// Completes the table once every row is appended: CSV is synced,
    /// Parquet gets its last row group and footer, then is synced.
    pub fn finish(&mut self) -> Result<()> {
        match self {
            OutTable::Csv(f) => f.sync(),
            #[cfg(feature = "parquet")]
            OutTable::Parquet(w) => w.finish().map(drop),
        }
    }
}

/// Renames the partial outputs that are still partial into their final names.
pub fn promote_partials(dir: &Path) -> Result<()> {
    for name in any_output_files() {
        let partial = partial_path(dir, name);
        if partial.exists() {
            let target = dir.join(name);
            std::fs::rename(&partial, &target).map_err(|e| Error::io(&target, e))?;
        }
    }
    sync_dir(dir)
}

/// Removes the checkpoint of a finished run.
pub fn remove_checkpoint(dir: &Path) -> Result<()> {
    if remove_if_present(dir, CHECKPOINT_FILE)? {
        sync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::summary::{prepare_dir, Start};

    #[test]
    fn finished_folder_is_refused_without_force() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(SUMMARY_FILE), "{}").expect("write");
        let err = prepare_dir(dir.path(), false, false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("--force"), "{err}");
        std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
        assert!(matches!(
            prepare_dir(dir.path(), false, true),
            Ok(Start::Fresh)
        ));
        assert!(!dir.path().join(SUMMARY_FILE).exists());
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn outfile_resume_truncates_to_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut f = OutFile::create(dir.path(), ERRORS_FILE, b"h\n").expect("create");
        f.append(b"row1\nrow2-partial").expect("append");
        f.sync().expect("sync");
        drop(f);
        let mut f = OutFile::resume(dir.path(), ERRORS_FILE, 7).expect("resume");
        f.append(b"row2\n").expect("append");
        f.sync().expect("sync");
        let text = std::fs::read_to_string(partial_path(dir.path(), ERRORS_FILE)).expect("read");
        assert_eq!(text, "h\nrow1\nrow2\n");
        assert_eq!(f.len(), 12);
    }
}
