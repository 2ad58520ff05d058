//! Files that are either wholly there or not changed at all: the one atomic write every file
//! of the tools goes through.

use std::{
    fs::{self, File},
    io::Write,
    path::{Path, PathBuf},
};

use serde::{Serialize, de::DeserializeOwned};

use crate::error::Error;

/// Writes `bytes` to `path` so that a crash leaves either the old file or the new one, never
/// a mix: the bytes go to a temporary file in the same directory, which is flushed to disk
/// and renamed over `path` (and, on Unix, the directory is flushed too). The same as
/// [`write_atomically_with`] and [`Durability::Synced`].
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("velt-atomic-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("receipt.json");
/// velt_case::records::write_atomically(&path, b"{}\n")?;
/// assert_eq!(std::fs::read(&path)?, b"{}\n");
/// # std::fs::remove_dir_all(&dir)
/// # }
/// ```
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, bytes, Durability::Synced)
}

/// What a crash may do to a file written by [`write_atomically_with`]: in both cases the file
/// is either the old one or the new one, never a mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Also when the machine goes down: the new file and the directory are flushed to disk
    /// (every record: manifests, receipts, reports, case files).
    Synced,
    /// When the process is killed, not the machine: renamed into place, not flushed. For a
    /// file rewritten many times a second whose data file is not flushed either, such as the
    /// checkpoint of an export in progress: flushing it alone would promise nothing (after a
    /// power loss the data may be shorter than the checkpoint says, which a resume detects),
    /// and it cost 2.4× the wall time of a 100,000-item export (BENCHMARKS.md (f)).
    ProcessCrash,
}

/// Writes `bytes` to `path` atomically: to a temporary sibling, then renamed over `path`;
/// with [`Durability::Synced`] the file is flushed before the rename and the directory after.
pub fn write_atomically_with(
    path: &Path,
    bytes: &[u8],
    durability: Durability,
) -> std::io::Result<()> {
    write_atomically_from(path, durability, |file| file.write_all(bytes))
}

/// Writes `path` atomically, as [`write_atomically_with`] does, with what `write` writes into
/// the temporary sibling: for a file too big to hold in memory first (a report, a zip).
pub fn write_atomically_from(
    path: &Path,
    durability: Durability,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let synced = durability == Durability::Synced;
    let tmp = temporary_sibling(path);
    let written = (|| {
        let mut file = File::create(&tmp)?;
        write(&mut file)?;
        file.flush()?;
        if synced {
            file.sync_all()?;
        }
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    #[cfg(unix)]
    if synced && let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// `DIR/.NAME.tmp-PID` beside `DIR/NAME`: same file system, so the rename is atomic.
fn temporary_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `value` to `path` as pretty JSON and a newline, atomically; `what` names the record
/// in errors (e.g. "deletion receipt").
pub(crate) fn save_json<T: Serialize>(path: &Path, value: &T, what: &str) -> Result<(), Error> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| Error::Invalid {
        path: path.to_owned(),
        message: format!("cannot encode the {what}: {e}"),
    })?;
    text.push(b'\n');
    write_atomically(path, &text)
        .map_err(|e| Error::io(path, &format!("cannot write the {what}"), e))
}

/// Reads a record written by [`save_json`]; the error says what the file should have been.
fn load_json<T: DeserializeOwned>(path: &Path, what: &str) -> Result<T, Error> {
    let text =
        fs::read(path).map_err(|e| Error::io(path, &format!("cannot read the {what}"), e))?;
    serde_json::from_slice(&text).map_err(|e| Error::Invalid {
        path: path.to_owned(),
        message: format!("cannot read the {what}: it is not a {what} ({e})"),
    })
}

/// Reads a record written by [`save_json`] whose format number (`format_of`) must be
/// `expected`; another format is refused, naming both.
pub(crate) fn load_record<T: DeserializeOwned>(
    path: &Path,
    what: &str,
    format_of: impl Fn(&T) -> u32,
    expected: u32,
) -> Result<T, Error> {
    let record: T = load_json(path, what)?;
    let found = format_of(&record);
    if found != expected {
        return Err(Error::Invalid {
            path: path.to_owned(),
            message: format!(
                "cannot read the {what}: format {found} is not the format {expected} this version reads; use a matching velt"
            ),
        });
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = std::env::temp_dir().join(format!("velt-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.json");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["r.json"]);
        // A directory where the file should go: the write fails, nothing is left behind.
        let blocked = dir.join("blocked");
        fs::create_dir(&blocked).unwrap();
        assert!(write_atomically(&blocked, b"x").is_err());
        assert!(!temporary_sibling(&blocked).exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
