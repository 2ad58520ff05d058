//! Listing the cases under a folder.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use velt_api::search::Subject;

use crate::dates::deadline_in_words;
use crate::error::Error;
use crate::model::{CASE_FILE, Case, RequestKind, Status};

/// One case found by [`list()`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseSummary {
    /// The case folder.
    pub dir: PathBuf,
    /// The case id.
    pub id: String,
    /// What was asked for.
    pub kinds: Vec<RequestKind>,
    /// The person (its Display is the subject in words: `jane@example.com`,
    /// `user id user-0012`).
    pub subject: Subject,
    /// Where the case stands.
    pub status: Status,
    /// When the request was received.
    pub received: NaiveDate,
    /// When the answer is due.
    pub due: NaiveDate,
    /// Days until the due date, negative when overdue; `None` for a closed case.
    pub days_left: Option<i64>,
}

impl CaseSummary {
    /// The deadline in words (`due 28 February 2026, overdue by 2 days`).
    pub fn deadline_in_words(&self) -> String {
        deadline_in_words(self.due, self.days_left)
    }
}

/// What [`list()`] found in one subfolder holding a `case.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ListEntry {
    /// A readable case.
    Case(CaseSummary),
    /// A `case.json` that cannot be read, with the reason.
    Unreadable {
        /// The folder.
        dir: PathBuf,
        /// Why it cannot be read.
        reason: String,
    },
}

/// The cases under `root` (its direct subfolders holding a `case.json`): open cases first,
/// by due date (so overdue ones lead), then closed cases by due date, then folders whose
/// `case.json` cannot be read. `today` sets the days left.
///
/// ```
/// use velt_case::ListEntry;
///
/// let root = std::env::temp_dir().join(format!("velt-case-list-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&root)?;
/// let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
/// for entry in velt_case::list(&root, today)? {
///     if let ListEntry::Case(case) = entry {
///         println!("{}  {}  {}  {}", case.id, case.status, case.subject, case.deadline_in_words());
///     }
/// }
/// assert!(velt_case::list(&root, today)?.is_empty());
/// # std::fs::remove_dir_all(&root)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn list(root: &Path, today: NaiveDate) -> Result<Vec<ListEntry>, Error> {
    let entries =
        std::fs::read_dir(root).map_err(|e| Error::io(root, "cannot read the folder", e))?;
    let mut cases = Vec::new();
    let mut unreadable = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(root, "cannot read the folder", e))?;
        let dir = entry.path();
        if !dir.is_dir() || !dir.join(CASE_FILE).is_file() {
            continue;
        }
        match Case::load(&dir) {
            Ok(case) => cases.push(CaseSummary {
                days_left: case.days_left(today),
                dir,
                id: case.id,
                kinds: case.kinds,
                subject: case.subject,
                status: case.status,
                received: case.received,
                due: case.due,
            }),
            Err(e) => unreadable.push(ListEntry::Unreadable {
                dir,
                reason: e.to_string(),
            }),
        }
    }
    cases.sort_by(|a, b| {
        (a.status == Status::Closed, a.due, &a.id).cmp(&(b.status == Status::Closed, b.due, &b.id))
    });
    unreadable.sort_by(|a, b| match (a, b) {
        (ListEntry::Unreadable { dir: a, .. }, ListEntry::Unreadable { dir: b, .. }) => a.cmp(b),
        _ => std::cmp::Ordering::Equal,
    });
    Ok(cases
        .into_iter()
        .map(ListEntry::Case)
        .chain(unreadable)
        .collect())
}
