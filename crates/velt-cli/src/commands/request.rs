//! `velt request ...`: one case folder per data-subject request (the `velt-case` crate).

use chrono::Utc;
use velt_case::{CaseFolder, ListEntry};

use crate::{
    cli::{RequestCheckArgs, RequestExtendArgs, RequestListArgs},
    failure::Failure,
    output::print_json,
};

/// `velt request extend`: two further months at most, with the reason recorded.
pub fn extend(args: &RequestExtendArgs) -> Result<(), Failure> {
    let mut case = CaseFolder::open(&args.case).map_err(case_failure)?;
    let due = case
        .extend(args.months, &args.reason)
        .map_err(case_failure)?;
    eprintln!(
        "case {} extended by {} month(s): now due {due}; tell the person why, within the first month",
        case.case().id,
        args.months
    );
    Ok(())
}

/// `velt request check`: prints the report as JSON; exit 1 on any mismatch.
pub fn check(args: &RequestCheckArgs) -> Result<(), Failure> {
    let report = velt_case::check(&args.case, Utc::now().date_naive()).map_err(case_failure)?;
    print_json(&report)?;
    eprintln!(
        "case {} ({}): {}",
        report.id,
        report.status,
        report.deadline_in_words()
    );
    if report.is_intact() {
        eprintln!(
            "intact: {} file(s) and {} event(s) match their records",
            report.files_checked, report.events
        );
        return Ok(());
    }
    let lines: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    Err(Failure::Failed(format!(
        "{} does not match its records:\n  {}",
        args.case.display(),
        lines.join("\n  ")
    )))
}

/// `velt request list`: the cases under a folder, overdue first.
pub fn list(args: &RequestListArgs) -> Result<(), Failure> {
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

/// A case error: refusals and unusable input are usage errors, the rest failures.
pub fn case_failure(error: velt_case::Error) -> Failure {
    match error {
        velt_case::Error::Refused(_)
        | velt_case::Error::Invalid { .. }
        | velt_case::Error::Busy(_) => Failure::Usage(error.to_string()),
        other => Failure::Failed(other.to_string()),
    }
}
