//! The errors of a run as a whole (what each URL did is an outcome, not an error).

use std::path::PathBuf;

/// Why a fetcher could not be built or a run could not start: a wrong setting, or a target
/// directory that cannot be used. A URL that is refused or fails is not an error: it is
/// recorded in the [`FetchReport`](crate::FetchReport).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting of the [`FetcherBuilder`](crate::FetcherBuilder) is wrong.
    #[error("invalid file fetcher setting: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// The target directory (or the journal in it) cannot be created, read or written.
    #[error("cannot use {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}
