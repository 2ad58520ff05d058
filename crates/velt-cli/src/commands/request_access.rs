//! `velt request access`: find the person everywhere, export every match into the case,
//! record it, write the report (and the zip).

use velt_api::Client;
use velt_case::model::CoverageState;
use velt_dsr::{
    export::OrganizationFailure,
    files::FileOptions,
    request::{self, AccessOptions},
};

use crate::shared::{received_or_today, search_status, subject, velt_command};
use crate::{
    cli::RequestAccessArgs,
    failure::Failure,
    output::{Shown, Terminal, print_json},
};

/// Runs the command.
pub async fn exec(client: &Client, args: RequestAccessArgs, fake: bool) -> Result<(), Failure> {
    let notice_markdown = match &args.notice {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!("cannot read the notice {}: {e}", path.display()))
        })?),
        None => None,
    };
    let options = AccessOptions {
        case: args.case.clone(),
        subject: subject(args.subject)?,
        organization_ids: args.organization_ids,
        concurrency: usize::from(args.concurrency),
        received: received_or_today(args.received)?,
        notice_markdown,
        zip: args.zip,
        files: FileOptions {
            fetch: !args.files.no_files,
            hosts: args.files.file_hosts,
            max_file_bytes: args.files.max_file_size,
            max_total_bytes: args.files.max_files_size,
            ..FileOptions::default()
        },
    };
    let terminal = Terminal::new(Shown {
        velt: velt_command(fake),
        ..Shown::default()
    });
    let events = |event| terminal.show(event);
    let outcome = tokio::select! {
        outcome = request::access(client, options, &events) => outcome.map_err(Failure::from),
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted(format!(
            "the case {} is incomplete; check it with `velt request check --case {}`, and answer the request into a new case folder",
            args.case.display(), args.case.display()
        ))),
    };
    terminal.finish();
    let outcome = outcome?;
    let case = &outcome.case;
    eprintln!(
        "case {} in {}: received {}, due {}",
        case.id,
        args.case.display(),
        case.received,
        case.due
    );
    if !outcome.exported.failures.is_empty() {
        let lines: Vec<String> = outcome
            .exported
            .failures
            .iter()
            .map(|(organization_id, failure)| match failure {
                OrganizationFailure::Users(users) => format!(
                    "organization {organization_id}: {}",
                    users
                        .iter()
                        .map(|u| format!("{}: {}", u.user_id, u.error))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                OrganizationFailure::Stopped(error) => {
                    format!("organization {organization_id}: {}", error)
                }
            })
            .collect();
        return Err(Failure::Failed(format!(
            "{} of the organizations found failed to export (the others are complete in {}):\n{}\nthe case records it; answer the request into a new case folder once Velt answers again",
            outcome.exported.failures.len(),
            args.case.join(velt_case::model::DATA_DIR).display(),
            lines.join("\n")
        )));
    }
    if let Some(report) = &outcome.report {
        eprintln!(
            "exported {} item(s) of {} match(es) into {}; the readable answer is {}",
            report.items,
            outcome.search.matches.len(),
            args.case.join(velt_case::model::DATA_DIR).display(),
            args.case.join(velt_case::model::REPORT_FILE).display()
        );
    }
    for row in &outcome.coverage {
        let place = match (&row.organization_name, &row.organization_id) {
            (Some(name), Some(id)) => format!(" in {name} ({id})"),
            (None, Some(id)) => format!(" in {id}"),
            _ => String::new(),
        };
        match row.state {
            CoverageState::Collected | CoverageState::NotRead => {}
            _ => eprintln!(
                "not complete: {}{place}: {}",
                row.label,
                row.note.as_deref().unwrap_or("see the report")
            ),
        }
    }
    let unread = outcome
        .coverage
        .iter()
        .filter(|r| r.state == CoverageState::NotRead)
        .count();
    if unread > 0 {
        eprintln!(
            "{unread} store(s) that no documented call reads are named in the report's coverage table"
        );
    }
    if let Some(zip) = &outcome.zip {
        eprintln!("the package to hand over: {}", zip.display());
    }
    print_json(case)?;
    search_status(&outcome.search)
}
