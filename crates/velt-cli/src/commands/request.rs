//! `velt request ...`: one case folder per data-subject request (the `velt-case` crate).
//! `access` and `erase` are the two flows an operator runs for a request, each one command
//! over the same pieces as `velt users find`, `velt data export --email` and
//! `velt data delete --email`; `extend`, `check` and `list` need no credentials.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use serde_json::json;
use velt_api::{
    Client,
    search::{Search, Subject},
};
use velt_case::model::FileRole;
use velt_case::{CaseFolder, ListEntry, NewCase, ReportOptions, RequestKind, Status};

use super::users::subject;
use super::velt_command;
use crate::{
    cli::{
        RequestAccessArgs, RequestCheckArgs, RequestEraseArgs, RequestExtendArgs, RequestListArgs,
    },
    erase::{MatchesErasure, erase_matches, numbered_receipt},
    export::{MatchesExport, export_matches},
    export_file::FileFormat,
    failure::Failure,
    find::{self, Find},
    output::print_json,
};

/// `velt request access`: find, export every match, report, case record, and the zip.
pub async fn access(client: &Client, args: RequestAccessArgs, fake: bool) -> Result<(), Failure> {
    let received = received(args.received)?;
    let notice = match &args.notice {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!("cannot read the notice {}: {e}", path.display()))
        })?),
        None => None,
    };
    let who = subject(args.subject)?;
    let mut case = CaseFolder::create(
        &args.case,
        &NewCase {
            subject: who.clone(),
            kinds: vec![RequestKind::Access],
            received,
        },
    )
    .map_err(case_failure)?;
    eprintln!(
        "case {} in {}: received {received}, due {}",
        case.case().id,
        args.case.display(),
        case.case().due
    );
    let search = search(
        client,
        &mut case,
        who,
        args.organization_ids,
        args.concurrency,
    )
    .await?;
    let exported = export_matches(
        client,
        &search.matches,
        &MatchesExport {
            dir: args.case.join("data"),
            format: FileFormat::Ndjson,
            resume: false,
            force: false,
            velt: velt_command(fake),
            concurrency: 8,
        },
    )
    .await;
    let exported = match exported {
        Ok(exported) => exported,
        Err(failure) => {
            case.log("export failed", json!({ "error": failure.to_string() }))
                .map_err(case_failure)?;
            return Err(failure);
        }
    };
    for file in &exported {
        case.record_export(&file.organization_id, &file.user_id)
            .map_err(case_failure)?;
    }
    let summary = case
        .write_report(&ReportOptions {
            notice_markdown: notice,
            ..ReportOptions::default()
        })
        .map_err(case_failure)?;
    if search.search.complete {
        case.set_status(Status::Exported).map_err(case_failure)?;
    }
    eprintln!(
        "exported {} item(s) of {} match(es) into {}; the readable answer is {}",
        summary.items,
        search.matches.len(),
        args.case.join("data").display(),
        args.case.join("report.html").display()
    );
    if args.zip {
        let zip = case.zip().map_err(case_failure)?;
        eprintln!("the package to hand over: {}", zip.display());
    }
    print_json(case.case())?;
    find::outcome(&search)
}

/// `velt request erase`: find again, erase every match, wait, verify, keep the receipt.
pub async fn erase(client: &Client, args: RequestEraseArgs, fake: bool) -> Result<(), Failure> {
    let given = match (args.email, args.user_id) {
        (Some(email), None) => Some(Subject::email(email)),
        (None, Some(user_id)) => Some(Subject::user_id(user_id)),
        _ => None,
    };
    let dir = args.case.unwrap_or_else(|| {
        PathBuf::from("cases").join(format!("erasure-{}", Utc::now().format("%Y%m%d-%H%M%S")))
    });
    let mut case = if dir.join("case.json").exists() {
        let mut case = CaseFolder::open(&dir).map_err(case_failure)?;
        if let Some(given) = &given
            && given.to_string() != case.case().subject.to_string()
        {
            return Err(Failure::Usage(format!(
                "the case {} is about {}, not {}; leave out --email/--user-id, or use another --case",
                dir.display(),
                case.case().subject,
                given
            )));
        }
        case.add_kind(RequestKind::Erasure).map_err(case_failure)?;
        case
    } else {
        let Some(given) = &given else {
            return Err(Failure::Usage(format!(
                "{} holds no case; give --email or --user-id to open one",
                dir.display()
            )));
        };
        CaseFolder::create(
            &dir,
            &NewCase {
                subject: given.clone(),
                kinds: vec![RequestKind::Erasure],
                received: received(args.received)?,
            },
        )
        .map_err(case_failure)?
    };
    let who = case.case().subject.clone();
    let search = search(
        client,
        &mut case,
        who,
        args.organization_ids,
        args.concurrency,
    )
    .await?;
    // Nothing is erased on an incomplete search, or when nobody was found.
    find::require_complete(&search)?;
    case.set_status(Status::Erasing).map_err(case_failure)?;
    let receipt = case.receipt_path();
    let erased = erase_matches(
        client,
        &search.matches,
        MatchesErasure {
            yes: args.yes,
            wait: true,
            receipt: Some(receipt.clone()),
            verify: true,
            timeout: args.timeout,
            fake,
        },
    )
    .await;
    // Every receipt written is kept in the case, whatever the outcome.
    let mut receipts = Vec::new();
    for n in 1.. {
        let path = numbered_receipt(&receipt, n);
        if !path.exists() {
            break;
        }
        if n == 1 {
            case.record_receipt().map_err(case_failure)?;
        } else {
            let name = relative_to(&dir, &path)?;
            case.record_file(&name, FileRole::Receipt)
                .map_err(case_failure)?;
        }
        receipts.push(path);
    }
    match erased {
        Ok(_) => {
            case.log(
                "verification",
                json!({ "receipts": receipts.len(), "nothingRemains": true }),
            )
            .map_err(case_failure)?;
            case.set_status(Status::Erased).map_err(case_failure)?;
            eprintln!(
                "erased and verified: nothing remains in the {} organization(s) found; receipt(s) kept in {}",
                search.organization_ids().len(),
                dir.display()
            );
            print_json(case.case())
        }
        Err(failure) => {
            case.log("erasure failed", json!({ "error": failure.to_string() }))
                .map_err(case_failure)?;
            Err(failure)
        }
    }
}

/// Runs the search and keeps it in the case (`search.json` and a `search` step).
async fn search(
    client: &Client,
    case: &mut CaseFolder,
    who: Subject,
    organization_ids: Vec<String>,
    concurrency: u16,
) -> Result<Search, Failure> {
    let search = find::find(
        client,
        &Find {
            subject: who,
            organization_ids,
            concurrency: usize::from(concurrency),
        },
    )
    .await?;
    let bytes = serde_json::to_vec_pretty(&search)
        .map_err(|e| Failure::Failed(format!("cannot encode the search record: {e}")))?;
    case.record_search(
        &bytes,
        json!({
            "organizationsSearched": search.search.organizations_searched,
            "matches": search.matches.len(),
            "organizations": search.organization_ids(),
            "complete": search.search.complete,
        }),
    )
    .map_err(case_failure)?;
    Ok(search)
}

/// The day the request was received: the one given, or today; never in the future.
fn received(given: Option<NaiveDate>) -> Result<NaiveDate, Failure> {
    let today = Utc::now().date_naive();
    let day = given.unwrap_or(today);
    if day > today {
        return Err(Failure::Usage(format!(
            "--received {day} is in the future; give the day the request arrived"
        )));
    }
    Ok(day)
}

/// `data/ORG/USER.ndjson` for a file under the case folder.
fn relative_to(case: &Path, file: &Path) -> Result<String, Failure> {
    let relative = file.strip_prefix(case).map_err(|_| {
        Failure::Failed(format!(
            "{} is not inside the case {}",
            file.display(),
            case.display()
        ))
    })?;
    Ok(relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

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
