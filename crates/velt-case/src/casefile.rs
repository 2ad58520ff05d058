//! Reading and writing `case.json`.

use std::path::Path;

use crate::error::Error;
use crate::fsutil::write_bytes_atomically;
use crate::model::{CASE_FILE, Case};

impl Case {
    /// Reads `DIR/case.json`, also a case written before its subject was typed.
    pub fn load(dir: &Path) -> Result<Case, Error> {
        let path = dir.join(CASE_FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::io(
                &path,
                "cannot read the case record (is this a case folder?)",
                e,
            )
        })?;
        let case: Case = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
            path: path.clone(),
            message: format!("not a case record: {e}"),
        })?;
        if case.case_format != Case::FORMAT {
            return Err(Error::Invalid {
                path,
                message: format!(
                    "case format {} is not supported by this version (which reads {})",
                    case.case_format,
                    Case::FORMAT
                ),
            });
        }
        Ok(case)
    }

    /// Writes `DIR/case.json` atomically (temporary sibling, fsync, rename, fsync of the
    /// folder), readable by its owner only.
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(CASE_FILE);
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::Invalid {
            path: path.clone(),
            message: format!("cannot encode the case: {e}"),
        })?;
        bytes.push(b'\n');
        write_bytes_atomically(&path, &bytes)
    }
}
