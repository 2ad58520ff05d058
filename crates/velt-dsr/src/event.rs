//! What an operation reports while it works: one [`Event`] type, sent to a callback the
//! caller gives ([`Events`]). The `velt` command line turns events into its spinner and
//! messages, a worker into log lines; an operation never prints.

use std::{path::PathBuf, time::Duration};

use velt_api::{
    deletion::{DeletionJob, DeletionStatus},
    search::SearchProgress,
};

use velt_api::deletion::ErasureCheck;

use crate::erase::verdict::StoreCheck;

/// Where events go: a callback that may be called from any task of the operation.
pub type Events<'a> = &'a (dyn Fn(Event) + Send + Sync);

/// The callback that drops every event.
pub fn ignore(_: Event) {}

/// One thing an operation did or saw.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// The search goes on (organizations listed and done, matches, calls so far).
    Searching(SearchProgress),
    /// The search ended.
    Searched {
        /// Organizations searched.
        organizations_searched: usize,
        /// Calls made.
        calls: usize,
        /// Matches found.
        matches: usize,
        /// Organizations with a match.
        organizations: usize,
        /// Whether every organization was read.
        complete: bool,
    },
    /// An organization asked for does not exist (Get Organizations does not know it).
    OrganizationUnknown {
        /// The organization.
        organization_id: String,
    },
    /// An export into a file starts, new or resumed.
    ExportStarting {
        /// The file.
        path: PathBuf,
        /// How: new, nothing to resume, or resumed after saved pages.
        start: Start,
    },
    /// An export file is complete already (it matches its manifest); it is left as it is.
    ExportAlreadyComplete {
        /// The file.
        path: PathBuf,
    },
    /// Exports found complete from an earlier run and skipped.
    ExportsSkipped {
        /// How many.
        users: usize,
        /// Where.
        dir: PathBuf,
    },
    /// Export progress: users done of users asked, items so far.
    Exporting {
        /// Users whose export is done (or was done earlier).
        users_done: usize,
        /// Users asked for.
        users: usize,
        /// Items written so far.
        items: usize,
    },
    /// Velt sent data under a key of `data` this version does not know; it is exported as
    /// is. Sent once per key and operation.
    UnknownKey {
        /// The key.
        key: String,
    },
    /// A user's export is complete.
    Exported {
        /// Where.
        organization_id: String,
        /// Who.
        user_id: String,
        /// The file, when it went to one.
        path: Option<PathBuf>,
        /// What it holds.
        summary: velt_api::export::ExportSummary,
    },
    /// A deletion job started.
    JobStarted(DeletionJob),
    /// A status call answered.
    JobStatus {
        /// The job.
        job_id: String,
        /// What Velt said.
        status: DeletionStatus,
    },
    /// A status call failed and is retried (the wait goes on).
    StatusRetrying {
        /// The job.
        job_id: String,
        /// The failure, in words.
        error: String,
        /// Failures in a row.
        attempt: u32,
        /// Time until the next try.
        next_in: Duration,
        /// Time waited so far.
        waited: Duration,
    },
    /// Velt warned about a job.
    JobWarning {
        /// The job.
        job_id: String,
        /// The warning.
        warning: String,
    },
    /// A user was checked after the erasure.
    Checked(ErasureCheck),
    /// A store beyond the GDPR export was checked after an erasure.
    StoreChecked(StoreCheck),
    /// Activity records were sent for deletion (`refused`: Velt said it did not delete them).
    ActivitiesErased {
        /// Where.
        organization_id: String,
        /// Whose.
        user_id: String,
        /// Records sent for deletion.
        asked: usize,
        /// Of them, refused.
        refused: usize,
    },
    /// A file behind a link in the data is in the case.
    FileFetched {
        /// The link.
        url: String,
        /// Its size.
        bytes: u64,
    },
    /// A file behind a link was not fetched (`files.json` records it).
    FileNotFetched {
        /// The link.
        url: String,
        /// Why, in words.
        reason: String,
    },
    /// A store of the person's data was read (`store` as in the coverage table).
    StoreRead {
        /// The store's id (`activities`, `permissions`, ...).
        store: String,
        /// The organization, for stores kept per organization.
        organization_id: Option<String>,
        /// Records read.
        items: usize,
    },
    /// A store could not be read, or only in part (the coverage table says so).
    StoreIncomplete {
        /// The store's id.
        store: String,
        /// The organization, for stores kept per organization.
        organization_id: Option<String>,
        /// Why, in words.
        reason: String,
    },
    /// A file of the operation was written (a receipt, a search record, a case file).
    Wrote {
        /// The file.
        path: PathBuf,
        /// What it is: `receipt`, `search record`, ...
        what: &'static str,
    },
}

/// How an export into a file starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// A new export; no interrupted one was waiting.
    New,
    /// `--resume` was given but there was nothing to resume: a new export.
    NothingToResume,
    /// `--resume` continues an interrupted export after its saved pages.
    Resumed {
        /// Pages already saved.
        pages: usize,
        /// Items already saved.
        items: usize,
    },
}
