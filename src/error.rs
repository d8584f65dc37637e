//! The library's error type. Every error that concerns input names the file
//! (or source), and where it applies the row/line and the field.

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input a problem was found: file, row or line (1-based), field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// File path or a source name such as `<stdin>`.
    pub source: String,
    /// 1-based row (CSV record) or line number, when known.
    pub line: Option<u64>,
    /// Field or column name, when known.
    pub field: Option<String>,
}

impl Location {
    /// A location that names only the source.
    pub fn file(source: impl Into<String>) -> Self {
        Location {
            source: source.into(),
            ..Location::default()
        }
    }
    /// Adds a 1-based row or line number.
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    /// Adds a field (column) name.
    pub fn in_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " (field `{field}`)")?;
        }
        Ok(())
    }
}

/// Every error the library can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An operating-system error while reading or writing a path.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Input that cannot be used, with its location.
    #[error("{location}: {message}")]
    Input {
        /// File, row/line and field.
        location: Location,
        /// What is wrong, in words a user understands.
        message: String,
    },
    /// A model folder or model file that is missing or malformed.
    #[error("model {path}: {message}")]
    Model {
        /// The model folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An error from the tokenizer.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// An error from the tensor backend (candle).
    #[error("tensor backend: {0}")]
    Backend(String),
    /// An invalid option or combination of options.
    #[error("{0}")]
    Config(String),
    /// An error while writing output (CSV, JSON, HTML).
    #[error("writing output: {0}")]
    Output(String),
    /// A write to a closed pipe (e.g. `rhetor score ... | head`); the CLI exits quietly.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    /// Wraps an I/O error with its path; a broken pipe becomes [`Error::BrokenPipe`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        Error::Io {
            path: path.into(),
            source,
        }
    }
    /// An input error at `location`.
    pub fn input(location: Location, message: impl Into<String>) -> Self {
        Error::Input {
            location,
            message: message.into(),
        }
    }
    /// A model error for `path`.
    pub fn model(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            message: message.into(),
        }
    }
    /// Maps an error raised while writing to standard output or a file.
    pub fn output(source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Output(source.to_string())
        }
    }
}

impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Self {
        Error::Backend(e.to_string())
    }
}
