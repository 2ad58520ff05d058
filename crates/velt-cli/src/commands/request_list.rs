//! `velt request list`: the cases under a folder, overdue first; in a `velt serve` cases
//! folder, also the case of each job (`<platform>-<id>/case/`), with its platform and the
//! platform's request id.

use std::path::Path;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use velt_case::{ListEntry, Status};
use velt_serve::job::{self, JobDir};

use crate::{
    cli::RequestListArgs,
    failure::{Failure, case_failure},
    output::print_json,
};

/// A case, with the worker's job it belongs to when it is one's.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    #[serde(flatten)]
    entry: ListEntry,
    /// The platform of the job (`transcend`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<String>,
    /// The platform's id of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

/// Runs the command (no credentials needed).
pub fn exec(args: &RequestListArgs) -> Result<(), Failure> {
    let today = Utc::now().date_naive();
    let mut listed: Vec<Listed> = velt_case::list(&args.dir, today)
        .map_err(case_failure)?
        .into_iter()
        .map(|entry| Listed {
            entry,
            platform: None,
            request_id: None,
        })
        .collect();
    listed.extend(job_cases(&args.dir, today));
    listed.sort_by_key(|a| order(&a.entry));
    for item in &listed {
        let job = match (&item.platform, &item.request_id) {
            (Some(platform), Some(id)) => format!("  {platform} {id}"),
            _ => String::new(),
        };
        match &item.entry {
            ListEntry::Case(case) => eprintln!(
                "{}  {}  {}  {}{job}",
                case.id,
                case.status,
                case.subject,
                case.deadline_in_words()
            ),
            ListEntry::Unreadable { dir, reason } => {
                eprintln!("{}: unreadable: {reason}{job}", dir.display())
            }
        }
    }
    print_json(&listed)
}

/// The cases of the worker's jobs under `root`: each folder with a `job.json` whose `case/`
/// holds a case (a job received and not started yet has none).
fn job_cases(root: &Path, today: NaiveDate) -> Vec<Listed> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut listed = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.join(job::JOB_FILE).is_file() {
            continue;
        }
        let record = match JobDir::at(dir.clone()).load() {
            Ok(record) => record,
            Err(e) => {
                listed.push(Listed {
                    entry: ListEntry::Unreadable {
                        dir,
                        reason: e.to_string(),
                    },
                    platform: None,
                    request_id: None,
                });
                continue;
            }
        };
        let case_dir = dir.join(job::CASE_DIR);
        let Ok(found) = velt_case::list(&dir, today) else {
            continue;
        };
        for entry in found {
            let of_the_job = match &entry {
                ListEntry::Case(case) => case.dir == case_dir,
                ListEntry::Unreadable { dir, .. } => *dir == case_dir,
            };
            if of_the_job {
                listed.push(Listed {
                    entry,
                    platform: Some(record.platform.clone()),
                    request_id: Some(record.request_id.clone()),
                });
            }
        }
    }
    listed
}

/// velt-case's order: open cases by due date, then closed ones, then unreadable folders.
fn order(entry: &ListEntry) -> (u8, Option<NaiveDate>, String) {
    match entry {
        ListEntry::Case(case) => (
            u8::from(case.status == Status::Closed),
            Some(case.due),
            case.id.clone(),
        ),
        ListEntry::Unreadable { dir, .. } => (2, None, dir.display().to_string()),
    }
}
