//! `velt request list`: the cases under a folder, overdue first.

use chrono::Utc;
use velt_case::ListEntry;

use crate::{
    cli::RequestListArgs,
    failure::{Failure, case_failure},
    output::print_json,
};

/// Runs the command (no credentials needed).
pub fn exec(args: &RequestListArgs) -> Result<(), Failure> {
    let entries = velt_case::list(&args.dir, Utc::now().date_naive()).map_err(case_failure)?;
    for entry in &entries {
        match entry {
            ListEntry::Case(case) => eprintln!(
                "{}  {}  {}  {}",
                case.id,
                case.status,
                case.subject,
                case.deadline_in_words()
            ),
            ListEntry::Unreadable { dir, reason } => {
                eprintln!("{}: unreadable: {reason}", dir.display())
            }
        }
    }
    print_json(&entries)
}
