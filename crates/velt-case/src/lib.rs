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
//!                                     (ids escaped: model::export_file)
//! DIR/stores/ORG/USER/...             the data of Velt's other stores (activity records,
//!                                     permissions, notification settings), and
//!                                     stores/memory/USER/... (the AI Memory profile, judgments)
//! DIR/files.json                      every link to a file in the exports, downloaded or why not
//! DIR/files/SHA256.EXT                the files behind the links
//! DIR/report.html                     the readable, layered answer (no script, nothing loads)
//! DIR/receipt.json                    the erasure receipt, for an erasure
//! DIR.zip                             the folder in one file, beside it
//! ```
//!
//! The law asks for a copy "in a concise, transparent, intelligible and easily accessible
//! form, using clear and plain language" (GDPR Art. 12(1), 15(3)), with the machine-readable
//! data beside it (Art. 20), "within one month of receipt", extendable "by two further
//! months" with the person told why (Art. 12(3)). [`CaseFolder::extend`] keeps the deadline;
//! [`CaseFolder::write_report`] writes the report; [`check()`] proves nothing changed;
//! [`list()`] says which cases are due.
//!
//! # Where things are
//! - At the root, one way to do each thing: [`CaseFolder`] for everything done to a case
//!   open for changes (create or open, record the search, an export, a receipt, any file,
//!   the coverage table, extend, set the status, write the report, zip), and two functions that only read a folder:
//!   [`check()`] (one case, into a [`CheckReport`]) and [`list()`] (the cases under a folder,
//!   as [`ListEntry`]s). The case model the root names: [`Case`], [`NewCase`], [`Status`],
//!   [`RequestKind`]; the options of the report, [`ReportOptions`]; the [`Error`].
//! - [`model`]: the whole case model ([`model::Extension`], [`model::FileRecord`],
//!   [`model::FileRole`], ...), the names of a case's files, and the one naming rule of export
//!   files, [`model::export_file`] (with [`model::file_stem`]), which the exporter uses too.
//! - [`records`]: the records the tools write from what the `velt-api` client returns (the
//!   export manifest, the deletion receipt) and the one atomic write every file goes through.
//! - [`mod@check`] (what a check finds), [`mod@list`] (a case as listed), [`report`] (what a
//!   report holds), [`events`] (the lines of the event log), [`dates`] (deadlines and dates
//!   in words).
//!
//! An access request, step by step (the export itself is written by the exporter, with the
//! `velt-api` client and [`records::ExportManifest`], at [`CaseFolder::export_path`]):
//!
//! ```no_run
//! use chrono::{NaiveDate, Utc};
//! use velt_api::search::Subject;
//! use velt_case::{CaseFolder, NewCase, ReportOptions, RequestKind, Status};
//!
//! # fn main() -> Result<(), velt_case::Error> {
//! let dir = std::path::Path::new("cases/ana");
//! let mut case = CaseFolder::create(dir, &NewCase {
//!     subject: Subject::email("ana@example.com"),
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
mod casefile;
pub mod check;
pub mod dates;
mod error;
pub mod events;
mod fsutil;
pub mod list;
pub mod model;
pub mod records;
pub mod report;
mod zipping;

pub use case::CaseFolder;
pub use check::{CheckReport, check};
pub use error::Error;
pub use list::{ListEntry, list};
pub use model::{Case, NewCase, RequestKind, Status};
pub use report::ReportOptions;
