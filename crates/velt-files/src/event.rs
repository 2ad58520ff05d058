//! What a run reports while it works, for a CLI to print or a worker to log.

use crate::reason::NotFetchedReason;

/// One step of a run, given to the caller's callback (`&(dyn Fn(FetchEvent<'_>) + Send +
/// Sync)`). The crate never prints. URLs are as given, a password in them replaced by `***`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FetchEvent<'a> {
    /// A download starts (once per distinct URL, whatever the number of items naming it).
    Started {
        /// The URL.
        url: &'a str,
    },
    /// Bytes arrived: sent every 8 MiB of a file.
    Progress {
        /// The URL.
        url: &'a str,
        /// The bytes of this file so far.
        bytes: u64,
    },
    /// The file is in the target directory.
    Fetched {
        /// The URL.
        url: &'a str,
        /// Its name in the target directory.
        file: &'a str,
        /// Its size.
        size: u64,
    },
    /// An earlier run had fetched it completely: not downloaded again.
    Resumed {
        /// The URL.
        url: &'a str,
        /// Its name in the target directory.
        file: &'a str,
    },
    /// It was not fetched.
    NotFetched {
        /// The URL.
        url: &'a str,
        /// Why.
        reason: &'a NotFetchedReason,
    },
}

/// How often [`FetchEvent::Progress`] is sent, in bytes of one file.
pub(crate) const PROGRESS_EVERY: u64 = 8 * 1024 * 1024;
