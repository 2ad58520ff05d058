//! The case folder of a data-subject request (GDPR access or erasure) answered from Velt.
//!
//! One request is one folder:
//!
//! ```text
//! DIR/case.json                       the record: subject, kinds, received, due, extensions,
//!                                     status, every file with its size and SHA-256
//! DIR/events.jsonl                    one line per step, each sealed with the SHA-256 of the
//!                                     line before
//! DIR/search.json                     the search record (kept as given; its hash recorded)
//! DIR/data/ORG/USER.ndjson            an export, with USER.ndjson.manifest.json beside it
//! DIR/report.html                     the readable, layered answer (no script, nothing loads)
//! DIR/receipt.json                    the erasure receipt, for an erasure
//! DIR.zip                             the folder in one file, beside it
//! ```
//!
//! The law asks for a copy "in a concise, transparent, intelligible and easily accessible
//! form, using clear and plain language" (GDPR Art. 12(1), 15(3)), with the machine-readable
//! data beside it (Art. 20), "within one month of receipt", extendable "by two further
//! months" with the person told why (Art. 12(3)). [`due_date`] and [`CaseFolder::extend`]
//! keep the deadline; [`CaseFolder::write_report`] writes the report; [`check`] proves
//! nothing changed; [`list`] says which cases are due.
//!
//! An access request, step by step (the export itself is written by the `velt-api`
//! exporter at [`CaseFolder::export_path`]):
//!
//! ```no_run
//! use chrono::{NaiveDate, Utc};
//! use velt_case::{CaseFolder, NewCase, ReportOptions, RequestKind, Status};
//!
//! # fn main() -> Result<(), velt_case::Error> {
//! let dir = std::path::Path::new("cases/ana");
//! let mut case = CaseFolder::create(dir, &NewCase {
//!     subject: "ana@example.com".into(),
//!     kinds: vec![RequestKind::Access],
//!     received: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
//! })?;
//! case.record_search(br#"{"email":"ana@example.com","found":[]}"#, serde_json::json!({"users": 1}))?;
//! let file = case.export_path("org-1", "user-42")?;
//! // ... export org-1/user-42 into `file` (and its manifest) with velt-api ...
//! case.record_export("org-1", "user-42")?;
//! case.set_status(Status::Exported)?;
//! case.write_report(&ReportOptions { notice_markdown: Some("Questions? Write to *dpo@example.com*.".into()), ..ReportOptions::default() })?;
//! let zip = case.zip()?;
//! let report = velt_case::check(dir, Utc::now().date_naive())?;
//! assert!(report.is_intact(), "{:?}", report.problems);
//! # Ok(()) }
//! ```
//!
//! Files and folders of a case are readable by their owner only (0600 / 0700 on Unix), and
//! every file is written atomically (temporary sibling, fsync, rename, fsync of the folder).
#![warn(missing_docs)]

mod case;
mod check;
mod dates;
mod events;
mod fsutil;
mod list;
pub mod records;
mod report;
mod zipping;

use std::path::{Path, PathBuf};

pub use case::{
    CASE_FILE, Case, CaseFolder, DATA_DIR, EVENTS_FILE, EventsHead, Extension, FileRecord,
    FileRole, MAX_EXTENSION_MONTHS, NewCase, RECEIPT_FILE, REPORT_FILE, RequestKind, SEARCH_FILE,
    Status,
};
pub use check::{CheckReport, ExportCheck, Problem, check, check_export};
pub use dates::{add_months, date_in_words, due_date, time_in_words};
pub use events::{Event, GENESIS};
pub use list::{CaseSummary, ListEntry, list};
pub use report::{ReportOptions, ReportSummary, render_report};
pub use zipping::zip_case;

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
    /// Another process (or another [`CaseFolder`]) has the case open for changes.
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
