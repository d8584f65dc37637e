//! Tables in either output format: the typed column schema shared by the CSV
//! and Parquet writers, and a reader that gives the rows of a CSV (optionally
//! gzipped) or Parquet table as text records, so that `rhetor compare` and
//! `rhetor report` read both formats with one code path.
//!
//! A Parquet cell reads as the text its CSV twin holds: floats with 4
//! decimals, booleans as `true`/`false`, lists joined by `;`, nulls empty.

pub use super::columns::{column_names, Column, ColumnType, Value};
use crate::error::{Error, Location, Result};
use std::io::Read;
use std::path::Path;

/// The on-disk format of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TableFormat {
    /// Comma-separated values with a header row.
    #[default]
    Csv,
    /// Apache Parquet with typed columns (cargo feature `parquet`).
    Parquet,
}

impl TableFormat {
    /// The file extension (`csv` or `parquet`).
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }

    /// The format of the file at `path`: Parquet when its name ends in
    /// `.parquet` or it starts with the Parquet magic bytes, else CSV.
    pub fn of_path(path: &Path) -> TableFormat {
        if path.extension().is_some_and(|e| e == "parquet") || starts_with_parquet_magic(path) {
            TableFormat::Parquet
        } else {
            TableFormat::Csv
        }
    }
}

/// True when this build can write and read Parquet.
pub const PARQUET_SUPPORTED: bool = cfg!(feature = "parquet");

/// The error for Parquet in a build without the `parquet` feature.
pub fn parquet_unsupported(what: &str) -> Error {
    Error::Config(format!(
        "{what}: this rhetor binary was built without Parquet support (rebuild with the default cargo feature `parquet`, or use CSV)"
    ))
}

fn starts_with_parquet_magic(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"PAR1")
}

/// A stream of rows, each as text fields, from a CSV or Parquet table.
pub struct TableReader {
    source: String,
    headers: Vec<String>,
    rows: Rows,
}

enum Rows {
    Csv(csv::StringRecordsIntoIter<Box<dyn Read>>),
    #[cfg(feature = "parquet")]
    Parquet(Box<super::parquet::ParquetRows>),
}

impl TableReader {
    /// Opens a CSV (gzip-compressed when it ends in `.gz`) or Parquet table;
    /// see [`TableFormat::of_path`].
    pub fn open(path: &Path) -> Result<TableReader> {
        let source = path.display().to_string();
        match TableFormat::of_path(path) {
            TableFormat::Csv => {
                let mut reader = open_csv(path)?;
                let headers = reader
                    .headers()
                    .map_err(|e| csv_read_error(&source, e))?
                    .iter()
                    .map(str::to_string)
                    .collect();
                Ok(TableReader {
                    source,
                    headers,
                    rows: Rows::Csv(reader.into_records()),
                })
            }
            TableFormat::Parquet => Self::open_parquet(path, source),
        }
    }

    #[cfg(feature = "parquet")]
    fn open_parquet(path: &Path, source: String) -> Result<TableReader> {
        let rows = Box::new(super::parquet::ParquetRows::open(path)?);
        Ok(TableReader {
            source,
            headers: rows.headers(),
            rows: Rows::Parquet(rows),
        })
    }

    #[cfg(not(feature = "parquet"))]
    fn open_parquet(_path: &Path, source: String) -> Result<TableReader> {
        Err(parquet_unsupported(&source))
    }

    /// Reads only the columns at `positions` (others give empty cells at
    /// their usual positions): for Parquet, the others are not decoded at
    /// all; CSV rows are read whole. Call it before reading rows.
    #[cfg_attr(not(feature = "parquet"), allow(unused_variables))]
    pub fn keep_only(&mut self, positions: &[usize]) {
        match &mut self.rows {
            Rows::Csv(_) => {}
            #[cfg(feature = "parquet")]
            Rows::Parquet(rows) => rows.keep_only(positions),
        }
    }

    /// The column names.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The table's name for messages.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Iterator for TableReader {
    /// A row, with its position: the CSV line, or for Parquet the row number
    /// counted as in the CSV twin (the header is line 1, the first row line 2).
    type Item = Result<csv::StringRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.rows {
            Rows::Csv(records) => records
                .next()
                .map(|r| r.map_err(|e| csv_read_error(&self.source, e))),
            #[cfg(feature = "parquet")]
            Rows::Parquet(rows) => rows.next(),
        }
    }
}

/// Opens a CSV file (gzip-compressed when it ends in `.gz`).
pub fn open_csv(path: &Path) -> Result<csv::Reader<Box<dyn Read>>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            file,
        )))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    Ok(csv::Reader::from_reader(reader))
}

/// Converts a CSV error into an input error with its line.
pub fn csv_read_error(source: &str, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("this row has {len} fields but the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        _ => e.to_string(),
    };
    let mut location = Location::file(source);
    if let Some(line) = line {
        location = location.at_line(line);
    }
    Error::input(location, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_extension_then_magic() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "a,b\n1,2\n").unwrap();
        assert_eq!(TableFormat::of_path(&csv), TableFormat::Csv);
        let disguised = dir.path().join("t.dat");
        std::fs::write(&disguised, b"PAR1rest").unwrap();
        assert_eq!(TableFormat::of_path(&disguised), TableFormat::Parquet);
        let named = dir.path().join("missing.parquet");
        assert_eq!(TableFormat::of_path(&named), TableFormat::Parquet);
        assert_eq!(TableFormat::Parquet.extension(), "parquet");
    }

    #[test]
    fn csv_rows_read_with_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,2\n3,4\n").unwrap();
        let reader = TableReader::open(&path).unwrap();
        assert_eq!(reader.headers(), ["a", "b"]);
        let rows: Vec<csv::StringRecord> = reader.collect::<Result<_>>().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].get(0), Some("3"));
        assert_eq!(rows[1].position().map(|p| p.line()), Some(3));
    }

    #[cfg(not(feature = "parquet"))]
    #[test]
    fn parquet_without_the_feature_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, b"PAR1").unwrap();
        let e = TableReader::open(&path).err().unwrap().to_string();
        assert!(e.contains("without Parquet support"), "{e}");
    }
}
