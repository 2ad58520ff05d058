//! The one error of the worker: a bad config, a file, the case, an operation, or a call.
//! No variant carries a secret: config errors name the variable or file a secret comes from,
//! never its value.

use std::path::PathBuf;

/// What stopped the worker or one step of a job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The config cannot be used (the message says which key and why).
    #[error("config: {0}")]
    Config(String),
    /// A file or folder of the worker.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The case folder of a job.
    #[error(transparent)]
    Case(#[from] velt_case::Error),
    /// A request operation (search, export, erasure).
    #[error(transparent)]
    Operation(#[from] velt_dsr::Error),
    /// Velt's client.
    #[error(transparent)]
    Velt(#[from] velt_api::Error),
    /// A job's work cannot go on yet (the message says why); it is taken up again later.
    #[error("{0}")]
    NotYet(String),
}

impl Error {
    /// An I/O error on `path`.
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        what: &'static str,
        source: std::io::Error,
    ) -> Error {
        Error::Io {
            path: path.into(),
            what,
            source,
        }
    }
}

/// The worker's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
