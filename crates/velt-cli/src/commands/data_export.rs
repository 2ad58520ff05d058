//! `velt data export`: the primitive export of known users in one known organization, into
//! standard output, a file or a directory. Finding a person first is `velt request access`.

use std::{collections::HashSet, io::BufWriter};

use velt_api::Client;
use velt_dsr::export::{self, Destination, ExportOptions, ExportOutcome, OpenMode};

use crate::shared::velt_command;
use crate::{
    cli::{ExportArgs, Format},
    failure::Failure,
    output::{Shown, Terminal},
};

/// Runs the command; Ctrl-C stops it with what is saved.
pub async fn exec(client: &Client, args: ExportArgs, fake: bool) -> Result<(), Failure> {
    if let Some(moved) = moved(&args) {
        return Err(Failure::Usage(moved));
    }
    let options = options(args)?;
    let to_files = options.destination != Destination::Output;
    let terminal = Terminal::new(Shown {
        velt: velt_command(fake),
        single_export: matches!(options.destination, Destination::File(_)),
        ..Shown::default()
    });
    let mut out = BufWriter::with_capacity(256 * 1024, std::io::stdout());
    let events = |event| terminal.show(event);
    let run = export::export_users(client, &options, &mut out, &events);
    let outcome = tokio::select! {
        outcome = run => outcome.map_err(Failure::from),
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted(if to_files {
            "the export is saved up to its last complete page; run the same command with --resume to continue".to_owned()
        } else {
            "the export to standard output is incomplete".to_owned()
        })),
    };
    terminal.finish();
    let outcome = outcome?;
    if let Destination::Dir(dir) = &options.destination {
        eprintln!(
            "exported {} items of {} user(s) to {}{}",
            outcome.items,
            outcome.done,
            dir.display(),
            if outcome.skipped > 0 {
                format!(" ({} done earlier)", outcome.skipped)
            } else {
                String::new()
            }
        );
    }
    result(outcome, to_files, options.users.len())
}

/// The flags of a person's request, which moved to `velt request access`.
fn moved(args: &ExportArgs) -> Option<String> {
    let flag = if args.email.is_some() {
        "--email"
    } else if args.all_organizations {
        "--all-organizations"
    } else {
        return None;
    };
    Some(format!(
        "velt data export {flag} moved: to find a person in every organization and export every match, run `velt request access (--email EMAIL | --user-id ID) --case DIR` (it keeps the exports, the search record and a report in the case folder); `velt data export` exports known users of one --organization-id; nothing was sent"
    ))
}

/// The failures of the run: one as itself, several as a list.
fn result(mut outcome: ExportOutcome, resumable: bool, users: usize) -> Result<(), Failure> {
    let hint = "run the same command with --resume to continue";
    if users == 1
        && let Some(failure) = outcome.failures.pop()
    {
        return Err(match Failure::from(failure.error) {
            Failure::Failed(message) if resumable && failure.pages_saved > 0 => {
                Failure::Failed(format!(
                    "{message}\nthe first {} pages are saved; {hint}",
                    failure.pages_saved
                ))
            }
            other => other,
        });
    }
    if outcome.failures.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = outcome
        .failures
        .iter()
        .map(|failure| format!("{}: {}", failure.user_id, failure.error))
        .collect();
    Err(Failure::Failed(format!(
        "{} user(s) failed:\n{}{}",
        outcome.failures.len(),
        lines.join("\n"),
        if resumable {
            format!("\n{hint}")
        } else {
            String::new()
        }
    )))
}

/// The export the command line asks for, or why it cannot be carried out.
fn options(args: ExportArgs) -> Result<ExportOptions, Failure> {
    let users = user_ids(&args)?;
    let destination = match (args.out, args.out_dir) {
        (Some(_), _) if users.len() > 1 => {
            return Err(Failure::Usage(
                "--out takes the export of one user; use --out-dir DIR for several".into(),
            ));
        }
        (Some(path), _) => Destination::File(path),
        (None, Some(dir)) => Destination::Dir(dir),
        (None, None) if users.len() > 1 && args.format == Format::Json => {
            return Err(Failure::Usage(
                "--format json takes one user on standard output; use --out-dir DIR for several"
                    .into(),
            ));
        }
        (None, None) => Destination::Output,
    };
    let Some(organization_id) = args.organization_id else {
        return Err(Failure::Usage(
            "--organization-id is needed; to find a person in every organization, run `velt request access`".into(),
        ));
    };
    Ok(ExportOptions {
        organization_id,
        users,
        destination,
        format: args.format.into(),
        mode: OpenMode {
            resume: args.resume,
            force: args.force,
        },
        concurrency: usize::from(args.concurrency),
    })
}

/// The users named by `--user-id` and `--user-ids-file`, in order, each once.
fn user_ids(args: &ExportArgs) -> Result<Vec<String>, Failure> {
    let mut ids = args.user_ids.clone();
    if let Some(path) = &args.user_ids_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!(
                "cannot read --user-ids-file {}: {e}",
                path.display()
            ))
        })?;
        ids.extend(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned),
        );
    }
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.is_empty() {
        return Err(Failure::Usage(
            "no user ids given; pass --user-id or a non-empty --user-ids-file".into(),
        ));
    }
    Ok(ids)
}
