//! Reading a finished case's data for the answers: which files of a store hold records, and
//! the records in one (each adapter sends them in its platform's shape).

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// The files of a store that hold records (not manifests).
pub(crate) fn is_data_file(path: &str) -> bool {
    !path.ends_with(".manifest.json") && (path.ends_with(".ndjson") || path.ends_with(".json"))
}

/// The records of a data file: each line of NDJSON, the elements of a JSON array, or one
/// JSON document.
pub(crate) fn read_records(path: &Path) -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let invalid = |e: serde_json::Error| {
        Error::io(
            path,
            "not JSON",
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        )
    };
    if path.extension().is_some_and(|x| x == "ndjson") {
        return text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(invalid))
            .collect();
    }
    match serde_json::from_str(&text).map_err(invalid)? {
        Value::Array(items) => Ok(items),
        other => Ok(vec![other]),
    }
}
