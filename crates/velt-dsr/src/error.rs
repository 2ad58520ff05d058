//! The one error type of the operations: why an operation could not do its job.
//!
//! What an operation found (data left after an erasure, a wait that passed its deadline, a
//! deletion of unknown outcome, a search that found nobody) is not an error: it is part of the
//! operation's outcome ([`crate::erase::ErasureResult`], [`crate::find::Found`]). An error says
//! the operation stopped, and what it had done by then.

use std::{io, path::PathBuf};

use velt_api::search::{SearchRecord, Subject};

/// Why an operation stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Refused before anything was sent or changed: an input that cannot be used, or what is
    /// on disk does not allow it ([`Refusal::kind`] says which, and so what would help).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A call to Velt failed while the operation was doing `during`.
    #[error("{during}: {source}")]
    Velt {
        /// What the operation was doing.
        during: Step,
        /// The client's error (its kind and predicates say whether a retry can help).
        #[source]
        source: velt_api::Error,
    },
    /// A file of the operation could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What was being done: `write`, `read`, `rename into`...
        action: &'static str,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// The caller's output failed; [`io::ErrorKind::BrokenPipe`] when its reader went away.
    #[error("cannot write the output: {0}")]
    Output(#[source] io::Error),
    /// The case folder refused or failed.
    #[error(transparent)]
    Case(#[from] velt_case::Error),
    /// The search could not read every organization, so the person may be where it could
    /// not look; nothing was changed on its account.
    #[error("the search is incomplete: the person may be in organizations that could not be read ({})", incompleteness(.0))]
    SearchIncomplete(Box<SearchRecord>),
    /// A complete search found nobody to act on.
    #[error(
        "Velt holds no user for {subject} in the {organizations_searched} organization(s) searched"
    )]
    NobodyFound {
        /// Who was searched for.
        subject: Described,
        /// How many organizations were searched.
        organizations_searched: usize,
    },
}

impl Error {
    /// A failed call to Velt during `during`.
    pub(crate) fn velt(during: Step, source: velt_api::Error) -> Error {
        Error::Velt { during, source }
    }

    /// A failed file operation.
    pub(crate) fn file(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::File {
            path: path.into(),
            action,
            source,
        }
    }

    /// A refusal of `kind`.
    pub(crate) fn refused(kind: RefusalKind, message: impl Into<String>) -> Error {
        Error::Refused(Refusal {
            kind,
            message: message.into(),
        })
    }

    /// Nobody found for `subject`.
    pub(crate) fn nobody(subject: &Subject, organizations_searched: usize) -> Error {
        Error::NobodyFound {
            subject: Described(subject.clone()),
            organizations_searched,
        }
    }

    /// Whether nothing was sent or changed (a refusal, or a search that stopped the
    /// operation before it acted).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Error::Refused(_))
    }
}

/// What an operation was doing when a call to Velt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// Counting what Velt holds before an erasure; nothing was erased.
    CountBefore,
    /// Sending the deletion; none was started.
    Delete,
    /// Asking for the status of a deletion job (of these users).
    Status {
        /// The job.
        job_id: String,
        /// Its users, when known.
        user_ids: Vec<String>,
    },
    /// The proof of erasure: exporting a user again.
    Check {
        /// Where.
        organization_id: String,
        /// Who.
        user_id: String,
    },
    /// Exporting a user.
    Export {
        /// Where.
        organization_id: String,
        /// Who.
        user_id: String,
    },
    /// Finding the person.
    Search,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::CountBefore => {
                f.write_str("the count before the erasure failed; nothing was erased")
            }
            Step::Delete => f.write_str("the deletion was not started"),
            Step::Status { job_id, .. } => write!(f, "deletion job {job_id}"),
            Step::Check {
                organization_id,
                user_id,
            } => write!(f, "the check of {user_id} in {organization_id} failed"),
            Step::Export {
                organization_id,
                user_id,
            } => write!(f, "the export of {user_id} in {organization_id} failed"),
            Step::Search => f.write_str("the search failed"),
        }
    }
}

/// A refusal: what was wrong, before anything was sent or changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}; {}", self.kind.remedy())]
pub struct Refusal {
    /// Which refusal, and so what would help.
    pub kind: RefusalKind,
    /// What was wrong, naming the file or value (without the remedy: see
    /// [`RefusalKind::remedy`]).
    pub message: String,
}

/// The kinds of refusal; each has its remedy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusalKind {
    /// A value that cannot be used (an id, a path, an option).
    InvalidInput,
    /// A file is there that is not this export: replacing it needs `force`.
    NotThisExport,
    /// An interrupted export waits there: `resume` continues it, `force` starts over.
    InterruptedExport,
    /// There is nothing to resume from what is there.
    CannotResume,
    /// `resume` with other options than the export was started with.
    OtherOptions,
    /// A file of the export is damaged (a checkpoint, a `.part` shorter than its checkpoint).
    Damaged,
    /// Another process is writing the file.
    Busy,
    /// The receipt exists already (it may record an earlier erasure).
    ReceiptExists,
    /// The receipt records an erasure sent to another Velt.
    OtherVelt,
    /// The file is not a receipt, or cannot be read as one.
    NotAReceipt,
    /// A proof of erasure was asked for with no organization to check.
    NothingToCheck,
    /// No manifest beside an export file.
    NoManifest,
}

impl RefusalKind {
    /// What would help, in words that name the options of the operations.
    pub fn remedy(self) -> &'static str {
        match self {
            RefusalKind::InvalidInput => "nothing was sent",
            RefusalKind::NotThisExport => {
                "nothing was sent: choose another file, or replace it (`force`)"
            }
            RefusalKind::InterruptedExport => {
                "nothing was sent: continue it (`resume`), or start over (`force`)"
            }
            RefusalKind::CannotResume => {
                "nothing was sent: choose another file, or replace it (`force`)"
            }
            RefusalKind::OtherOptions => {
                "run it with the options it was started with, or delete it and the .part file beside it to start over"
            }
            RefusalKind::Damaged => "delete it and the .part file beside it to start over",
            RefusalKind::Busy => "nothing was sent: wait for it to finish, or choose another file",
            RefusalKind::ReceiptExists => {
                "choose another file, or follow that erasure from its receipt"
            }
            RefusalKind::OtherVelt => {
                "nothing was sent and the receipt is untouched: talk to the Velt it names"
            }
            RefusalKind::NotAReceipt => "nothing was sent",
            RefusalKind::NothingToCheck => {
                "name the organizations to check (the receipt then says the check covers only those)"
            }
            RefusalKind::NoManifest => {
                "every export written to a file has FILE.manifest.json beside it; name the manifest"
            }
        }
    }
}

/// `listing the organizations failed: ...; org-2: ...`.
fn incompleteness(record: &SearchRecord) -> String {
    let mut parts = Vec::new();
    if let Some(error) = &record.listing_error {
        parts.push(format!("listing the organizations failed: {error}"));
    }
    for failure in &record.failures {
        parts.push(format!("{}: {}", failure.organization_id, failure.error));
    }
    parts.join("; ")
}

/// The result of an operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A subject in words: `the email "jane@example.com"`, `the user id "u-1"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described(pub Subject);

impl std::fmt::Display for Described {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Subject::Email(email) => write!(f, "the email {email:?}"),
            Subject::UserId(user_id) => write!(f, "the user id {user_id:?}"),
        }
    }
}
