//! The one error of the crate.

use std::path::{Path, PathBuf};

/// What went wrong, naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        what: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file's content cannot be used.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it, and what to do.
        message: String,
    },
    /// The request was refused (a third month of extension, an id that cannot be a file
    /// name, a folder that is not empty...); the message says why and what to do.
    #[error("{0}")]
    Refused(String),
    /// Another process (or another `CaseFolder`) has the case open for changes.
    #[error("{}: the case is open in another process; wait for it to finish and try again", .0.display())]
    Busy(PathBuf),
    /// The report template failed (a bug in this crate).
    #[error("cannot render the report: {0}")]
    Template(#[source] minijinja::Error),
}

impl Error {
    pub(crate) fn io(path: &Path, what: &str, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            what: what.to_string(),
            source,
        }
    }
}
