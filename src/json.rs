//! The one pretty-JSON writer of rhetor's files (`config.json`,
//! `metrics.json`, `summary.json`, `checkpoint.json`, training state,
//! `--format json`): serde's pretty printer, one error variant
//! ([`Error::Output`]) naming what could not be serialised.

use crate::error::{Error, Result};
use serde::Serialize;
use std::path::Path;

/// `value` as pretty JSON bytes (no trailing newline).
pub fn pretty_bytes(value: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::Output(format!("cannot serialise: {e}")))
}

/// `value` as pretty JSON text ending in a newline.
pub fn pretty_text(value: &impl Serialize) -> Result<String> {
    let mut bytes = pretty_bytes(value)?;
    bytes.push(b'\n');
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8(bytes).expect("serde_json writes UTF-8"))
}

/// Writes `value` as pretty JSON with a final newline to `path`.
pub fn write_pretty(path: &Path, value: &impl Serialize) -> Result<()> {
    std::fs::write(path, pretty_text(value)?).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_text_is_serdes_pretty_form_with_a_newline() {
        let value = serde_json::json!({"b": 1, "a": [1.5, null]});
        let text = pretty_text(&value).unwrap();
        assert_eq!(text, serde_json::to_string_pretty(&value).unwrap() + "\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_pretty(&path, &value).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        let err = write_pretty(&dir.path().join("no/such/x.json"), &value).unwrap_err();
        assert!(err.to_string().contains("no/such/x.json"), "{err}");
    }
}
