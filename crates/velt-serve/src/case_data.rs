//! Reading a finished case's data for the answers: its stores, the files that hold each
//! one's records, and the records (each adapter sends them in its platform's shape).

use std::path::Path;

use serde_json::{Value, json};
use velt_case::Case;

use crate::error::{Error, Result};

/// One store of a finished case: its id in the coverage table (`gdprExport`, `activities`,
/// ...) and its data files, each with the organization it was read in (none for a store kept
/// per person), in the table's order.
pub(crate) struct Store {
    pub(crate) id: String,
    files: Vec<(Option<String>, String)>,
}

/// The stores of `case` that have data files (not the downloaded `files`), in the coverage
/// table's order.
pub(crate) fn stores(case: &Case) -> Vec<Store> {
    let mut stores: Vec<Store> = Vec::new();
    for row in case.coverage.iter().filter(|r| r.store != "files") {
        let files = row
            .files
            .iter()
            .filter(|f| is_data_file(f))
            .map(|f| (row.organization_id.clone(), f.clone()));
        match stores.iter_mut().find(|s| s.id == row.store) {
            Some(store) => store.files.extend(files),
            None => stores.push(Store {
                id: row.store.clone(),
                files: files.collect(),
            }),
        }
    }
    stores.retain(|s| !s.files.is_empty());
    stores
}

impl Store {
    /// Its records, per organization in order: `(organization, records)`.
    pub(crate) fn by_organization(
        &self,
        case_dir: &Path,
    ) -> Result<Vec<(Option<String>, Vec<Value>)>> {
        let mut parts: Vec<(Option<String>, Vec<Value>)> = Vec::new();
        for (organization, file) in &self.files {
            let records = read_records(&case_dir.join(file))?;
            match parts.last_mut() {
                Some((last, list)) if last == organization => list.extend(records),
                _ => parts.push((organization.clone(), records)),
            }
        }
        Ok(parts)
    }

    /// Its records, each `{"organizationId", "record"}`.
    pub(crate) fn records(&self, case_dir: &Path) -> Result<Vec<Value>> {
        Ok(self
            .by_organization(case_dir)?
            .into_iter()
            .flat_map(|(organization, records)| {
                records
                    .into_iter()
                    .map(move |record| json!({ "organizationId": organization, "record": record }))
            })
            .collect())
    }
}

/// The files of a store that hold records (not manifests).
fn is_data_file(path: &str) -> bool {
    !path.ends_with(".manifest.json") && (path.ends_with(".ndjson") || path.ends_with(".json"))
}

/// The records of a data file: each line of NDJSON, the elements of a JSON array, or one
/// JSON document.
fn read_records(path: &Path) -> Result<Vec<Value>> {
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
