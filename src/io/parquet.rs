//! Parquet tables (cargo feature `parquet`): a streaming writer of typed rows
//! ([`ParquetTableWriter`]) and a row reader that yields text records like a
//! CSV reader ([`ParquetRows`], used through `rhetor::io::TableReader`).
//!
//! Types: [`ColumnType::Utf8`] → Utf8, `Int64` → Int64, `Float32` → Float32,
//! `Boolean` → Boolean, `Utf8List` → List<Utf8> (non-null items). Snappy
//! compression; rows are buffered in Arrow builders and handed to the Parquet
//! writer every [`BATCH_ROWS`] rows, which closes a row group every
//! [`ROW_GROUP_ROWS`] rows, so memory stays bounded whatever the table size.

use super::columns::{Column, ColumnType, Value};
use crate::error::{Error, Location, Result};
use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float32Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows buffered in the Arrow builders before they go to the Parquet writer.
pub const BATCH_ROWS: usize = 8192;
/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// The item field of list columns.
fn list_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Utf8, false))
}

/// The Arrow type of a column type.
pub fn arrow_type(kind: ColumnType) -> DataType {
    match kind {
        ColumnType::Utf8 => DataType::Utf8,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float32 => DataType::Float32,
        ColumnType::Boolean => DataType::Boolean,
        ColumnType::Utf8List => DataType::List(list_item()),
    }
}

/// The Arrow schema of `columns`.
pub fn arrow_schema(columns: &[Column]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(c.kind), c.nullable))
            .collect::<Vec<_>>(),
    ))
}

/// One column's builder.
enum Builder {
    Utf8(StringBuilder),
    Int64(Int64Builder),
    Float32(Float32Builder),
    Boolean(BooleanBuilder),
    List(ListBuilder<StringBuilder>),
}

impl Builder {
    fn new(kind: ColumnType) -> Builder {
        match kind {
            ColumnType::Utf8 => Builder::Utf8(StringBuilder::new()),
            ColumnType::Int64 => Builder::Int64(Int64Builder::new()),
            ColumnType::Float32 => Builder::Float32(Float32Builder::new()),
            ColumnType::Boolean => Builder::Boolean(BooleanBuilder::new()),
            ColumnType::Utf8List => {
                Builder::List(ListBuilder::new(StringBuilder::new()).with_field(list_item()))
            }
        }
    }

    /// Appends a cell; false when its type does not fit the column.
    fn append(&mut self, value: &Value, nullable: bool) -> bool {
        match (self, value) {
            (Builder::Utf8(b), Value::Text(s)) if nullable && s.is_empty() => b.append_null(),
            (Builder::Utf8(b), Value::Text(s)) => b.append_value(s),
            (Builder::Int64(b), Value::Int(n)) => b.append_value(*n),
            (Builder::Float32(b), Value::Float(x)) => b.append_value(*x),
            (Builder::Boolean(b), Value::Bool(x)) => b.append_value(*x),
            (Builder::List(b), Value::List(items)) => {
                items.iter().for_each(|s| b.values().append_value(s));
                b.append(true);
            }
            _ => return false,
        }
        true
    }

    fn inner(&mut self) -> &mut dyn ArrayBuilder {
        match self {
            Builder::Utf8(b) => b,
            Builder::Int64(b) => b,
            Builder::Float32(b) => b,
            Builder::Boolean(b) => b,
            Builder::List(b) => b,
        }
    }
}

/// Writes typed rows to a Parquet file, streaming (see the module docs).
pub struct ParquetTableWriter {
    path: PathBuf,
    columns: Vec<Column>,
    schema: SchemaRef,
    builders: Vec<Builder>,
    writer: Option<ArrowWriter<File>>,
}

impl ParquetTableWriter {
    /// Creates (truncates) `path` for a table of `columns`.
    pub fn create(path: &Path, columns: Vec<Column>) -> Result<ParquetTableWriter> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let schema = arrow_schema(&columns);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_size(ROW_GROUP_ROWS)
            .set_created_by(format!("rhetor {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| write_error(path, e))?;
        Ok(ParquetTableWriter {
            path: path.to_path_buf(),
            builders: columns.iter().map(|c| Builder::new(c.kind)).collect(),
            columns,
            schema,
            writer: Some(writer),
        })
    }

    /// Appends one row; its cells must match the columns in number and type.
    pub fn append_row(&mut self, row: &[Value]) -> Result<()> {
        if row.len() != self.columns.len() {
            return Err(Error::Output(format!(
                "{}: a row of {} cells for {} columns",
                self.path.display(),
                row.len(),
                self.columns.len()
            )));
        }
        for ((builder, column), value) in self.builders.iter_mut().zip(&self.columns).zip(row) {
            if !builder.append(value, column.nullable) {
                return Err(Error::Output(format!(
                    "{}: column `{}` ({:?}) cannot hold {value:?}",
                    self.path.display(),
                    column.name,
                    column.kind
                )));
            }
        }
        if self.builders.first_mut().map_or(0, |b| b.inner().len()) >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    /// Bytes handed to the file so far (closed row groups).
    pub fn bytes_written(&self) -> u64 {
        self.writer.as_ref().map_or(0, |w| w.bytes_written() as u64)
    }

    /// Hands the buffered rows to the Parquet writer.
    fn flush_batch(&mut self) -> Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(Error::Output(format!(
                "{}: written after it was finished",
                self.path.display()
            )));
        };
        if self.builders.first_mut().map_or(0, |b| b.inner().len()) == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| b.inner().finish())
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| Error::Output(format!("{}: {e}", self.path.display())))?;
        writer.write(&batch).map_err(|e| write_error(&self.path, e))
    }

    /// Writes the remaining rows and the footer, and fsyncs the file;
    /// returns its size. Calling it again does nothing.
    pub fn finish(&mut self) -> Result<u64> {
        if self.writer.is_some() {
            self.flush_batch()?;
        }
        let Some(mut writer) = self.writer.take() else {
            return std::fs::metadata(&self.path)
                .map(|m| m.len())
                .map_err(|e| Error::io(&self.path, e));
        };
        writer.finish().map_err(|e| write_error(&self.path, e))?;
        let size = writer.bytes_written() as u64;
        writer
            .inner_mut()
            .sync_all()
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(size)
    }
}

fn write_error(path: &Path, e: parquet::errors::ParquetError) -> Error {
    match e {
        parquet::errors::ParquetError::External(inner) => {
            match inner.downcast::<std::io::Error>() {
                Ok(io) => Error::io(path, *io),
                Err(other) => Error::Output(format!("{}: {other}", path.display())),
            }
        }
        other => Error::Output(format!("{}: {other}", path.display())),
    }
}

/// The rows of a Parquet table as text records, each cell as its CSV twin
/// holds it (see `rhetor::io::TableReader`).
pub struct ParquetRows {
    source: String,
    schema: SchemaRef,
    /// The reader before the first row (the columns to decode may still change).
    builder: Option<ParquetRecordBatchReaderBuilder<File>>,
    batches: Option<ParquetRecordBatchReader>,
    /// Per column: decode it (else its cells read as empty).
    keep: Vec<bool>,
    /// Rows of the current batch, not yet returned, in reverse order.
    pending: Vec<csv::StringRecord>,
    /// Rows returned so far.
    row: u64,
    failed: bool,
}

impl ParquetRows {
    /// Opens `path`; an unreadable or non-Parquet file is an error naming it.
    pub fn open(path: &Path) -> Result<ParquetRows> {
        let source = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| not_parquet(&source, &e.to_string()))?;
        let schema = builder.schema().clone();
        for field in schema.fields() {
            if !readable(field.data_type()) {
                return Err(Error::input(
                    Location::file(&source).in_field(field.name()),
                    format!(
                        "column type {} is not one rhetor writes (Utf8, Int64, Float32, Boolean, List<Utf8>)",
                        field.data_type()
                    ),
                ));
            }
        }
        Ok(ParquetRows {
            source,
            keep: vec![true; schema.fields().len()],
            schema,
            builder: Some(builder),
            batches: None,
            pending: Vec::new(),
            row: 0,
            failed: false,
        })
    }

    /// The column names.
    pub fn headers(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Decodes only the columns at `positions`; the others read as empty
    /// cells (same positions). Only before the first row is read.
    pub fn keep_only(&mut self, positions: &[usize]) {
        if self.builder.is_some() {
            self.keep = (0..self.keep.len())
                .map(|i| positions.contains(&i))
                .collect();
        }
    }

    /// The record batch reader, built at the first row.
    fn batches(&mut self) -> Result<&mut ParquetRecordBatchReader> {
        if let Some(builder) = self.builder.take() {
            let kept = self
                .keep
                .iter()
                .enumerate()
                .filter(|(_, k)| **k)
                .map(|(i, _)| i);
            let mask = ProjectionMask::roots(builder.parquet_schema(), kept);
            let reader = builder
                .with_projection(mask)
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| not_parquet(&self.source, &e.to_string()))?;
            self.batches = Some(reader);
        }
        self.batches
            .as_mut()
            .ok_or_else(|| not_parquet(&self.source, "the reader is gone"))
    }

    /// Converts the next record batch into pending rows; false at the end.
    fn refill(&mut self) -> Result<bool> {
        let Some(batch) = self.batches()?.next() else {
            return Ok(false);
        };
        let batch = batch.map_err(|e| not_parquet(&self.source, &e.to_string()))?;
        let mut rows = Vec::with_capacity(batch.num_rows());
        for r in 0..batch.num_rows() {
            let mut record = csv::StringRecord::new();
            let mut columns = batch.columns().iter();
            for keep in &self.keep {
                // The batch holds only the kept columns, in order.
                let cell = keep
                    .then(|| columns.next())
                    .flatten()
                    .map(|c| cell_text(c.as_ref(), r));
                record.push_field(cell.as_deref().unwrap_or(""));
            }
            let mut position = csv::Position::new();
            position.set_line(self.row + rows.len() as u64 + 2);
            record.set_position(Some(position));
            rows.push(record);
        }
        rows.reverse();
        self.pending = rows;
        Ok(true)
    }
}

impl Iterator for ParquetRows {
    type Item = Result<csv::StringRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        while self.pending.is_empty() {
            match self.refill() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        self.row += 1;
        self.pending.pop().map(Ok)
    }
}

fn not_parquet(source: &str, detail: &str) -> Error {
    Error::input(
        Location::file(source),
        format!("not a readable Parquet file: {detail}"),
    )
}

fn readable(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::Int64 | DataType::Float32 | DataType::Boolean => true,
        DataType::List(item) => item.data_type() == &DataType::Utf8,
        _ => false,
    }
}

/// The text of cell `row` of `array`, as its CSV twin holds it.
fn cell_text(array: &dyn Array, row: usize) -> String {
    if array.is_null(row) {
        return String::new();
    }
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Float32 => format!("{:.4}", array.as_primitive::<Float32Type>().value(row)),
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            let strings = items.as_string::<i32>();
            (0..strings.len())
                .map(|i| strings.value(i))
                .collect::<Vec<_>>()
                .join(";")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        vec![
            Column::required("id", ColumnType::Utf8),
            Column::optional_text("outlet"),
            Column::required("n", ColumnType::Int64),
            Column::required("p", ColumnType::Float32),
            Column::required("ok", ColumnType::Boolean),
            Column::required("flags", ColumnType::Utf8List),
        ]
    }

    fn row(i: i64) -> Vec<Value> {
        vec![
            Value::Text(format!("a{i}")),
            Value::Text(if i % 2 == 0 {
                String::new()
            } else {
                "X".into()
            }),
            Value::Int(i),
            Value::Float(0.25),
            Value::Bool(i % 3 == 0),
            Value::List(if i % 2 == 0 {
                vec![]
            } else {
                vec!["doubt".into(), "scare_quotes".into()]
            }),
        ]
    }

    #[test]
    fn schema_maps_types() {
        let s = arrow_schema(&columns());
        let types: Vec<DataType> = s.fields().iter().map(|f| f.data_type().clone()).collect();
        assert_eq!(types[0], DataType::Utf8);
        assert!(s.field(1).is_nullable() && !s.field(0).is_nullable());
        assert_eq!(types[2], DataType::Int64);
        assert_eq!(types[3], DataType::Float32);
        assert_eq!(types[4], DataType::Boolean);
        assert!(matches!(&types[5], DataType::List(f) if f.data_type() == &DataType::Utf8));
    }

    #[test]
    fn rows_round_trip_as_csv_text_across_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut w = ParquetTableWriter::create(&path, columns()).unwrap();
        let n = BATCH_ROWS as i64 + 5;
        for i in 0..n {
            w.append_row(&row(i)).unwrap();
        }
        assert!(w.finish().unwrap() > 0);
        let reader = ParquetRows::open(&path).unwrap();
        assert_eq!(reader.headers(), ["id", "outlet", "n", "p", "ok", "flags"]);
        let rows: Vec<csv::StringRecord> = reader.collect::<Result<_>>().unwrap();
        assert_eq!(rows.len() as i64, n);
        let fields = |r: &csv::StringRecord| r.iter().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(fields(&rows[0]), ["a0", "", "0", "0.2500", "true", ""]);
        assert_eq!(
            fields(&rows[1]),
            ["a1", "X", "1", "0.2500", "false", "doubt;scare_quotes"]
        );
        let last = &rows[rows.len() - 1];
        assert_eq!(last.get(0), Some(format!("a{}", n - 1).as_str()));
        assert_eq!(last.position().map(|p| p.line()), Some(n as u64 + 1));
    }

    #[test]
    fn unkept_columns_read_as_empty_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut w = ParquetTableWriter::create(&path, columns()).unwrap();
        (0..3).for_each(|i| w.append_row(&row(i)).unwrap());
        w.finish().unwrap();
        let mut reader = ParquetRows::open(&path).unwrap();
        reader.keep_only(&[0, 5]);
        let rows: Vec<csv::StringRecord> = reader.collect::<Result<_>>().unwrap();
        let fields: Vec<&str> = rows[1].iter().collect();
        assert_eq!(fields, ["a1", "", "", "", "", "doubt;scare_quotes"]);
    }

    #[test]
    fn wrong_cells_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut w = ParquetTableWriter::create(&path, columns()).unwrap();
        let mut bad = row(1);
        bad[2] = Value::Text("x".into());
        let e = w.append_row(&bad).unwrap_err().to_string();
        assert!(e.contains("`n`"), "{e}");
        assert!(w.append_row(&bad[..2]).is_err());
    }

    #[test]
    fn a_file_that_is_not_parquet_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        std::fs::write(&path, b"PAR1 this is not parquet at all").unwrap();
        let e = ParquetRows::open(&path).err().unwrap().to_string();
        assert!(
            e.contains("bad.parquet") && e.contains("not a readable Parquet file"),
            "{e}"
        );
    }
}
