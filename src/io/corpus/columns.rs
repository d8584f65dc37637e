//! Which input column plays which role: detection by name, explicit names,
//! and the carried columns.

use super::CsvRecord;
use crate::error::{Error, Location, Result};

/// Names tried, in order, when a role's column is not given explicitly.
pub const ID_NAMES: &[&str] = &["id", "article_id", "doc_id", "stories_id"];
/// Candidate names of the text column.
pub const TEXT_NAMES: &[&str] = &["text", "body", "content", "article"];
/// Candidate names of the outlet column.
pub const OUTLET_NAMES: &[&str] = &["outlet", "source", "media", "media_name", "publisher"];
/// Candidate names of the date column.
pub const DATE_NAMES: &[&str] = &["date", "publish_date", "published", "timestamp"];
/// Candidate names of the title column.
pub const TITLE_NAMES: &[&str] = &["title", "headline"];

/// Which input column plays which role. `None` = detect by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The article id column.
    pub id: Option<String>,
    /// The article text column.
    pub text: Option<String>,
    /// The outlet column.
    pub outlet: Option<String>,
    /// The date column.
    pub date: Option<String>,
    /// The title column.
    pub title: Option<String>,
}

/// The resolved columns of a corpus: names of the columns playing each role,
/// and the carried columns, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// Every input column name, in order.
    pub names: Vec<String>,
    /// Index of the id column.
    pub id: Option<usize>,
    /// Index of the text column.
    pub text: usize,
    /// Index of the outlet column.
    pub outlet: Option<usize>,
    /// Index of the date column.
    pub date: Option<usize>,
    /// Index of the title column.
    pub title: Option<usize>,
    /// Indices of the carried columns.
    pub carried: Vec<usize>,
}

impl ColumnMap {
    /// Resolves `spec` against the column `names`. Fails when an explicitly
    /// named column is missing or no text column can be found.
    pub fn resolve(names: Vec<String>, spec: &ColumnSpec, source: &str) -> Result<ColumnMap> {
        let find = |role: &str, given: &Option<String>, candidates: &[&str]| match given {
            Some(name) => find_column(&names, &[name]).map(Some).ok_or_else(|| {
                let columns = names.join(", ");
                let message = format!("no column `{name}` for the {role} (columns: {columns})");
                Error::input(Location::file(source), message)
            }),
            None => Ok(find_column(&names, candidates)),
        };
        let text = find("text", &spec.text, TEXT_NAMES)?.ok_or_else(|| {
            Error::input(
                Location::file(source),
                format!(
                    "no text column found (looked for {}; columns: {}); name it with --text-col",
                    TEXT_NAMES.join(", "),
                    names.join(", ")
                ),
            )
        })?;
        let id = find("id", &spec.id, ID_NAMES)?;
        let outlet = find("outlet", &spec.outlet, OUTLET_NAMES)?;
        let date = find("date", &spec.date, DATE_NAMES)?;
        let title = find("title", &spec.title, TITLE_NAMES)?;
        let mapped = [Some(text), id, outlet, date, title];
        let carried = (0..names.len())
            .filter(|i| !mapped.contains(&Some(*i)))
            .collect();
        Ok(ColumnMap {
            names,
            id,
            text,
            outlet,
            date,
            title,
            carried,
        })
    }

    /// The name of the column at `index`.
    pub fn name(&self, index: usize) -> &str {
        self.names.get(index).map(String::as_str).unwrap_or("")
    }

    /// The names of the carried columns.
    pub fn carried_names(&self) -> Vec<String> {
        self.carried
            .iter()
            .map(|&i| self.name(i).to_string())
            .collect()
    }

    /// The name of the column at an optional index.
    pub fn role_name(&self, index: Option<usize>) -> Option<&str> {
        index.map(|i| self.name(i))
    }
}

/// Index of the first candidate (in candidate order) present in `names`, case-insensitively.
fn find_column(names: &[String], candidates: &[&str]) -> Option<usize> {
    candidates.iter().find_map(|c| {
        names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(c.trim()))
    })
}

/// Decodes the header row's names.
pub(super) fn csv_header_names(header: CsvRecord, source: &str) -> Result<Vec<String>> {
    let header_error = |message: String| Error::input(Location::file(source).at_line(1), message);
    if let Some(problem) = header.problem {
        return Err(header_error(format!("header row: {problem}")));
    }
    header
        .fields
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let f = match f.strip_prefix(b"\xEF\xBB\xBF") {
                Some(rest) if i == 0 => rest.to_vec(),
                _ => f,
            };
            String::from_utf8(f)
                .map_err(|_| header_error(format!("header column {} is not valid UTF-8", i + 1)))
        })
        .collect()
}
