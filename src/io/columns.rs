//! The typed column schema of output tables, shared by the CSV writers (which
//! use only the names) and the Parquet writer (which uses the types too).

/// The type of a column, as stored in Parquet (CSV stores its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Utf8,
    /// 64-bit integer (offsets, indices, counts).
    Int64,
    /// 32-bit float (probabilities, rates).
    Float32,
    /// Boolean.
    Boolean,
    /// A list of UTF-8 strings (`;`-joined in CSV).
    Utf8List,
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column name (the CSV header).
    pub name: String,
    /// Its type.
    pub kind: ColumnType,
    /// Whether cells may be null (an empty cell in CSV).
    pub nullable: bool,
}

impl Column {
    /// A column that is never null.
    pub fn required(name: impl Into<String>, kind: ColumnType) -> Column {
        Column {
            name: name.into(),
            kind,
            nullable: false,
        }
    }

    /// A text column whose empty cells are null.
    pub fn optional_text(name: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            kind: ColumnType::Utf8,
            nullable: true,
        }
    }
}

/// The names of `columns` (the CSV header).
pub fn column_names(columns: &[Column]) -> Vec<String> {
    columns.iter().map(|c| c.name.clone()).collect()
}

/// One typed cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text; in a nullable column an empty string is written as null.
    Text(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f32),
    /// A boolean.
    Bool(bool),
    /// A list of strings.
    List(Vec<String>),
}

impl Value {
    /// An integer cell from an unsigned count or offset (saturating).
    pub fn count(n: impl TryInto<i64>) -> Value {
        Value::Int(n.try_into().unwrap_or(i64::MAX))
    }

    /// The cell as its CSV twin holds it: floats with 4 decimals, booleans
    /// as `true`/`false`, lists joined by `;`.
    pub fn csv_text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Int(n) => n.to_string(),
            Value::Float(x) => format!("{x:.4}"),
            Value::Bool(b) => b.to_string(),
            Value::List(l) => l.join(";"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_saturate() {
        assert_eq!(Value::count(5u64), Value::Int(5));
        assert_eq!(Value::count(u64::MAX), Value::Int(i64::MAX));
    }
}
