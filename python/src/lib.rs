//! `rhetor._rhetor`: the native half of the `rhetor` Python package.
//!
//! It loads a model once through the library façade ([`rhetor::Rhetor`]) and
//! scores lists of articles with the GIL released, returning the columns of
//! `rhetor score --format csv`: the fields are built by the same functions as
//! the command line's ([`sentence_columns`], [`csv_fields`]) and converted to
//! Python values by the column types of that schema (integers, booleans,
//! floats parsed from the printed text), so
//! a DataFrame equals the CLI's CSV read back with pandas. The Python-facing
//! API (`rhetor.score`, `rhetor.Scorer`, …) lives in `rhetor/__init__.py`.

use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList, PyString};
use rayon::prelude::*;
use rhetor::error::Location;
use rhetor::io::article::{check_line_lengths, decode_text, DEFAULT_MAX_LINE_BYTES};
use rhetor::io::columns::ColumnType;
use rhetor::io::output::{csv_fields, sentence_columns, OutputOptions, SentenceRow};
use rhetor::text::{segment, segment_lines};
use rhetor::{Article, Engine, LoadOptions, ModelSpec, Rhetor};

mod validation;

create_exception!(
    _rhetor,
    RhetorError,
    PyValueError,
    "An error from rhetor (bad input, a model that cannot be loaded); the message is the command line's."
);

/// The largest accepted article, in bytes: the default of `rhetor score --max-bytes`.
const MAX_ARTICLE_BYTES: usize = rhetor::io::article::DEFAULT_MAX_BYTES as usize;

/// One article as handed over by Python.
enum Input {
    Text(String),
    Bytes(Vec<u8>),
}

impl Input {
    fn bytes(&self) -> &[u8] {
        match self {
            Input::Text(s) => s.as_bytes(),
            Input::Bytes(b) => b,
        }
    }
}

/// How the values of a CSV column become Python values.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    Float,
}

/// How a column of the library's schema ([`sentence_columns`]) reaches
/// Python: the CSV text of a list column (`flagged`) stays a string.
fn kind(column: ColumnType) -> Kind {
    match column {
        ColumnType::Utf8 | ColumnType::Utf8List => Kind::Str,
        ColumnType::Int64 => Kind::Int,
        ColumnType::Boolean => Kind::Bool,
        ColumnType::Float32 => Kind::Float,
    }
}

/// The values of one column.
enum Column {
    Str(Vec<String>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Float(Vec<f64>),
}

impl Column {
    fn new(kind: Kind) -> Column {
        match kind {
            Kind::Str => Column::Str(Vec::new()),
            Kind::Int => Column::Int(Vec::new()),
            Kind::Bool => Column::Bool(Vec::new()),
            Kind::Float => Column::Float(Vec::new()),
        }
    }

    /// Appends a field as the command line printed it.
    fn push(&mut self, field: String) -> Result<(), String> {
        match self {
            Column::Str(v) => v.push(field),
            Column::Int(v) => v.push(field.parse().map_err(|_| bad(&field))?),
            Column::Bool(v) => v.push(match field.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(bad(&field)),
            }),
            Column::Float(v) => v.push(field.parse().map_err(|_| bad(&field))?),
        }
        Ok(())
    }

    fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
        match self {
            Column::Str(v) => PyList::new(py, v),
            Column::Int(v) => PyList::new(py, v),
            Column::Bool(v) => PyList::new(py, v),
            Column::Float(v) => PyList::new(py, v),
        }
    }
}

fn bad(field: &str) -> String {
    format!("internal error: unexpected CSV field `{field}`")
}

/// The error chain joined by `: `, leaving out a cause whose text the message
/// already ends with: what `rhetor` prints after `rhetor: error: `.
fn message(e: &rhetor::Error) -> String {
    let mut message = String::new();
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.ends_with(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}

fn rhetor_error(e: &rhetor::Error) -> PyErr {
    RhetorError::new_err(message(e))
}

/// A loaded model (the Python class `rhetor.Scorer` wraps it).
#[pyclass(module = "rhetor._rhetor", frozen)]
struct NativeScorer {
    rhetor: Rhetor,
    pool: Option<rayon::ThreadPool>,
    header: Vec<String>,
    /// How each column's values become Python values, from the schema.
    kinds: Vec<Kind>,
    options: OutputOptions,
}

/// The rows of one scored article: the CSV fields of each sentence.
type Rows = Vec<Vec<String>>;

impl NativeScorer {
    /// Checks and decodes an article as `rhetor score` reads a file, then scores it.
    fn score_one(
        &self,
        input: &Input,
        id: &str,
        title: Option<&str>,
        lines: bool,
        lossy: bool,
    ) -> rhetor::Result<Rows> {
        let bytes = input.bytes();
        if bytes.len() > MAX_ARTICLE_BYTES {
            return Err(rhetor::Error::input(
                Location::file(id),
                format!(
                    "is {} bytes, over the limit of {MAX_ARTICLE_BYTES} bytes",
                    bytes.len()
                ),
            ));
        }
        let text = decode_text(bytes, id, lossy)?;
        check_line_lengths(&text, id, DEFAULT_MAX_LINE_BYTES)?;
        let sentences = if lines {
            segment_lines(&text)
        } else {
            segment(&text)
        };
        // As `rhetor batch` passes a record's title: a blank one is no title.
        let article = Article {
            id: id.to_string(),
            title: title.filter(|t| !t.trim().is_empty()).map(str::to_string),
            text,
        };
        let scored = self
            .rhetor
            .pipeline()
            .score_sentences(&article, sentences)?;
        scored
            .sentences
            .iter()
            .map(|s| csv_fields(&SentenceRow::new(&scored.id, s, &self.options)))
            .collect()
    }

    /// Runs `f` in this scorer's thread pool (or rayon's global one).
    fn install<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }
}

/// Reads `texts` (a sequence of `str` or `bytes`, not one string).
fn read_texts(texts: &Bound<'_, PyAny>) -> PyResult<Vec<Input>> {
    if texts.is_instance_of::<PyString>() || texts.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "texts must be a list of articles (str or bytes), not a single string: wrap it in a list",
        ));
    }
    let mut out = Vec::new();
    let iter = texts.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "texts must be a list of articles (str or bytes), not {}",
            type_name(texts)
        ))
    })?;
    for (i, item) in iter.enumerate() {
        let item = item?;
        out.push(if let Ok(s) = item.cast::<PyString>() {
            Input::Text(s.to_cow()?.into_owned())
        } else if let Ok(b) = item.cast::<PyBytes>() {
            Input::Bytes(b.as_bytes().to_vec())
        } else if let Ok(b) = item.cast::<PyByteArray>() {
            Input::Bytes(b.to_vec())
        } else {
            return Err(PyTypeError::new_err(format!(
                "texts[{i}] must be str or bytes, not {}",
                type_name(&item)
            )));
        });
    }
    Ok(out)
}

/// Reads `titles` (`None`: no titles; else one `str` or `None` per article).
fn read_titles(titles: Option<&Bound<'_, PyAny>>, n: usize) -> PyResult<Vec<Option<String>>> {
    let Some(titles) = titles.filter(|t| !t.is_none()) else {
        return Ok(vec![None; n]);
    };
    if titles.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "titles must be a list of titles (str or None), not a single string",
        ));
    }
    let iter = titles.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "titles must be a list of titles (str or None), not {}",
            type_name(titles)
        ))
    })?;
    let mut out = Vec::with_capacity(n);
    for (i, item) in iter.enumerate() {
        let item = item?;
        if item.is_none() {
            out.push(None);
        } else if let Ok(s) = item.cast::<PyString>() {
            out.push(Some(s.to_cow()?.into_owned()));
        } else {
            return Err(PyTypeError::new_err(format!(
                "titles[{i}] must be str or None, not {}",
                type_name(&item)
            )));
        }
    }
    if out.len() != n {
        return Err(PyValueError::new_err(format!(
            "titles has {} items but texts has {n}",
            out.len()
        )));
    }
    Ok(out)
}

/// Reads `ids` (`None`: "0", "1", …; else one `str` or `int` per article).
fn read_ids(ids: Option<&Bound<'_, PyAny>>, n: usize) -> PyResult<Vec<String>> {
    let Some(ids) = ids.filter(|i| !i.is_none()) else {
        return Ok((0..n).map(|i| i.to_string()).collect());
    };
    if ids.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "ids must be a list of ids (str or int), not a single string",
        ));
    }
    let iter = ids.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "ids must be a list of ids (str or int), not {}",
            type_name(ids)
        ))
    })?;
    let mut out = Vec::with_capacity(n);
    for (i, item) in iter.enumerate() {
        let item = item?;
        if let Ok(s) = item.cast::<PyString>() {
            out.push(s.to_cow()?.into_owned());
        } else if item.is_instance_of::<pyo3::types::PyInt>()
            && !item.is_instance_of::<pyo3::types::PyBool>()
        {
            out.push(item.str()?.to_cow()?.into_owned());
        } else if let (false, Ok(n)) = (
            item.is_instance_of::<pyo3::types::PyBool>(),
            item.extract::<i64>(),
        ) {
            // Integers that are not Python ints (numpy.int64, …): through __index__.
            out.push(n.to_string());
        } else {
            return Err(PyTypeError::new_err(format!(
                "ids[{i}] must be str or int, not {}",
                type_name(&item)
            )));
        }
    }
    if out.len() != n {
        return Err(PyValueError::new_err(format!(
            "ids has {} items but texts has {n}",
            out.len()
        )));
    }
    Ok(out)
}

fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

#[pymethods]
impl NativeScorer {
    /// Loads `model` (`default`, `cues`, `baseline` or a model folder) as
    /// `rhetor score --model MODEL --engine ENGINE` does, with the same
    /// environment variables (`RHETOR_MODELS_DIR`, `RHETOR_BASE_DIR`, …).
    #[new]
    #[pyo3(signature = (model = "default", threads = None, engine = "auto"))]
    fn new(py: Python<'_>, model: &str, threads: Option<usize>, engine: &str) -> PyResult<Self> {
        let engine = match engine {
            "auto" => Engine::Auto,
            "int8" => Engine::Int8,
            "float" => Engine::Float,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown engine `{other}` (expected auto, int8 or float)"
                )))
            }
        };
        if model.is_empty() {
            return Err(PyValueError::new_err(
                "model must be `default`, `cues`, `baseline` or a model folder, not an empty string",
            ));
        }
        let pool = match threads {
            None => None,
            Some(0) => return Err(PyValueError::new_err("threads must be at least 1")),
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| RhetorError::new_err(format!("thread pool: {e}")))?,
            ),
        };
        let spec: ModelSpec = model.parse().expect("infallible");
        let rhetor = py
            .detach(|| {
                Rhetor::builder()
                    .load_options(LoadOptions::from_env())
                    .model(spec)
                    .engine(engine)
                    .build()
            })
            .map_err(|e| rhetor_error(&e))?;
        let options =
            OutputOptions::for_labels(rhetor.scorer().labels(), None, rhetor.thresholds(), None)
                .map_err(|e| rhetor_error(&e))?;
        let schema = sentence_columns(&options);
        Ok(NativeScorer {
            header: schema.iter().map(|c| c.name.clone()).collect(),
            kinds: schema.iter().map(|c| kind(c.kind)).collect(),
            rhetor,
            pool,
            options,
        })
    }

    /// The loaded model's name (`cues`, `baseline`, `rhetor-minilm`, …).
    #[getter]
    fn model(&self) -> String {
        self.rhetor.scorer().name().to_string()
    }

    /// Warnings from loading (e.g. the default model fell back to the cue model).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.rhetor.warnings().to_vec()
    }

    /// The output columns, as in `rhetor score --format csv`.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.header.clone()
    }

    /// The model's labels in column order, each `{"name", "definition",
    /// "level"}`: the `label_set` its folder declares, or the 18 devices.
    #[getter]
    fn labels(&self) -> Vec<std::collections::BTreeMap<&'static str, String>> {
        self.rhetor
            .scorer()
            .labels()
            .labels()
            .iter()
            .map(|l| {
                std::collections::BTreeMap::from([
                    ("name", l.name.clone()),
                    ("definition", l.definition.clone()),
                    ("level", l.level.id().to_string()),
                ])
            })
            .collect()
    }

    /// Scores articles; returns `(columns, values, article_positions, skipped)`:
    /// the column names, one list of values per column, the position in
    /// `texts` of each row's article, and the error messages of the articles
    /// skipped (`skip_errors`; otherwise the first error raises `RhetorError`).
    /// `titles` (one `str` or `None` per article) are passed to the model as
    /// context, as `rhetor batch` passes a corpus's title column.
    #[pyo3(signature = (texts, ids = None, lines = false, lossy = false, skip_errors = false, titles = None))]
    #[allow(clippy::type_complexity)]
    fn score_columns<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyAny>,
        ids: Option<&Bound<'py, PyAny>>,
        lines: bool,
        lossy: bool,
        skip_errors: bool,
        titles: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<(
        Vec<String>,
        Vec<Bound<'py, PyList>>,
        Vec<usize>,
        Vec<String>,
    )> {
        let inputs = read_texts(texts)?;
        let ids = read_ids(ids, inputs.len())?;
        let titles = read_titles(titles, inputs.len())?;
        let (columns, positions, skipped) = py.detach(|| -> PyResult<_> {
            let results: Vec<rhetor::Result<Rows>> = self.install(|| {
                inputs
                    .par_iter()
                    .zip(ids.par_iter())
                    .zip(titles.par_iter())
                    .with_max_len(1)
                    .map(|((input, id), title)| {
                        self.score_one(input, id, title.as_deref(), lines, lossy)
                    })
                    .collect()
            });
            let mut columns: Vec<Column> = self.kinds.iter().map(|k| Column::new(*k)).collect();
            let mut positions = Vec::new();
            let mut skipped = Vec::new();
            for (position, result) in results.into_iter().enumerate() {
                match result {
                    Ok(rows) => {
                        for row in rows {
                            positions.push(position);
                            for (column, field) in columns.iter_mut().zip(row) {
                                column.push(field).map_err(RhetorError::new_err)?;
                            }
                        }
                    }
                    Err(e) if skip_errors => skipped.push(message(&e)),
                    Err(e) => return Err(rhetor_error(&e)),
                }
            }
            Ok((columns, positions, skipped))
        })?;
        let values = columns
            .into_iter()
            .map(|c| c.into_py(py))
            .collect::<PyResult<Vec<_>>>()?;
        Ok((self.header.clone(), values, positions, skipped))
    }
}

/// The native module `rhetor._rhetor`.
#[pymodule]
fn _rhetor(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeScorer>()?;
    m.add_function(wrap_pyfunction!(validation::ppi_group, m)?)?;
    m.add_function(wrap_pyfunction!(validation::device_ids, m)?)?;
    m.add_function(wrap_pyfunction!(validation::gold_columns, m)?)?;
    m.add("RhetorError", m.py().get_type::<RhetorError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
