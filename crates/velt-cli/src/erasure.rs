//! What an erasure's outcome means at the terminal: the confirmation asked before anything is
//! erased, the lines that say what was verified, and the message and exit code of every way
//! an erasure can end short (with the command that takes it up again). Shared by
//! `velt data delete`, `velt data delete-status` and `velt request erase`.

use std::{
    io::{BufRead, IsTerminal},
    path::Path,
    time::Duration,
};

use velt_api::deletion::{DeleteRequest, DeletionScope};
use velt_dsr::erase::{ErasureOutcome, ErasureResult, StoreCheck, WaitStop};

use crate::{
    failure::Failure,
    output::{Terminal, human},
};

/// How to take an erasure up again, for the hints.
#[derive(Clone, Debug, Default)]
pub struct Resume {
    /// The proof asked for (`--verify`), its extra organizations and `--allow-empty`.
    pub verify: bool,
    /// `--verify-organization-id`s.
    pub verify_organization_ids: Vec<String>,
    /// `--allow-empty`.
    pub allow_empty: bool,
    /// `--timeout`, when given.
    pub timeout: Option<Duration>,
    /// Whether the command runs against an in-process fake (`--fake`).
    pub fake: bool,
}

impl Resume {
    /// The command that takes the wait up again from `receipt`, `--verify` included.
    pub fn command(&self, receipt: &Path) -> String {
        let mut command = format!(
            "velt data delete-status --receipt {} --wait",
            receipt.display()
        );
        if self.verify {
            command.push_str(" --verify");
            for id in &self.verify_organization_ids {
                command.push_str(&format!(" --verify-organization-id {id}"));
            }
            if self.allow_empty {
                command.push_str(" --allow-empty");
            }
        }
        command
    }

    /// With `--fake`, the fake Velt ends with the command: a receipt can be taken up only
    /// against the same server.
    pub fn fake_note(&self) -> &'static str {
        fake_note(self.fake)
    }
}

/// See [`Resume::fake_note`].
pub fn fake_note(fake: bool) -> &'static str {
    if fake {
        " (against the same Velt: the --fake server ends with this command, so run the erasure against `velt fake serve` with VELT_BASE_URL to resume it)"
    } else {
        ""
    }
}

/// The scope of a deletion in words.
fn scope_words(scope: &DeletionScope) -> String {
    match scope {
        DeletionScope::AllOrganizations => "in every organization of the workspace".to_owned(),
        DeletionScope::Organizations(ids) => format!("in organization(s) {}", ids.join(", ")),
    }
}

/// Asks on the terminal before erasing anything; refuses when nobody can answer.
pub fn confirm(request: &DeleteRequest) -> Result<(), Failure> {
    let scope = match request.scope() {
        DeletionScope::AllOrganizations => {
            "in EVERY organization of the workspace (no --organization-id given)".to_owned()
        }
        DeletionScope::Organizations(ids) => format!("in organization(s) {}", ids.join(", ")),
    };
    let users = request.user_ids();
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(format!(
            "refusing to erase {} user(s) {scope} without confirmation: standard input is not a terminal; pass --yes",
            users.len()
        )));
    }
    let shown: Vec<&str> = users.iter().take(10).map(String::as_str).collect();
    let more = users.len().saturating_sub(shown.len());
    eprint!(
        "This erases all data of {} user(s) ({}{}) {scope}. It cannot be undone.\nType 'yes' to continue: ",
        users.len(),
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Failed(format!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::Usage("not confirmed; nothing was deleted".into()))
    }
}

/// The exit status of an erasure's outcome, with its lines on standard error: 0 when it ended
/// as asked (sent, waited, verified), 1 when a wait stopped or data remains, 4 when a
/// deletion's outcome is unknown.
pub fn judge(
    outcome: &ErasureOutcome,
    resume: &Resume,
    terminal: &Terminal,
) -> Result<(), Failure> {
    let path = outcome.receipt_path.as_deref();
    let resume_hint = || match path {
        Some(path) => format!(
            "\nthe receipt {} records where things stand; resume with `{}`{}",
            path.display(),
            resume.command(path),
            resume.fake_note()
        ),
        None => String::new(),
    };
    let recorded = path
        .map(|p| format!("\nrecorded in {}", p.display()))
        .unwrap_or_default();
    match &outcome.result {
        ErasureResult::Started | ErasureResult::Looked | ErasureResult::Completed => Ok(()),
        ErasureResult::Incomplete {
            incomplete,
            started,
        } => {
            let started = if *started > 0 {
                format!(
                    "\n{started} job(s) started (printed above{})",
                    path.map(|p| format!(", recorded in {}", p.display()))
                        .unwrap_or_default()
                )
            } else {
                String::new()
            };
            let unsent = if incomplete.unsent_user_ids.is_empty() {
                String::new()
            } else {
                format!(
                    "\nthese users were NOT sent, run the command again for them: {}",
                    incomplete.unsent_user_ids.join(" ")
                )
            };
            let Some(unknown) = &incomplete.outcome_unknown else {
                return Err(Failure::Failed(format!(
                    "{}{started}{unsent}",
                    incomplete.error
                )));
            };
            let scope = &outcome.receipt.scope;
            let settle = match path {
                Some(path) => format!(
                    "the receipt {} records the batch as outcome unknown; to settle it, once any deletion had time to run: `velt data delete-status --receipt {} --wait --verify{}` exports the users again and records what remains{}",
                    path.display(),
                    path.display(),
                    match scope {
                        DeletionScope::AllOrganizations => " --verify-organization-id ORG",
                        DeletionScope::Organizations(_) => "",
                    },
                    resume.fake_note()
                ),
                None => "to settle it, export each user again (`velt data export --organization-id ORG --user-id USER`; 0 items means nothing is left)".to_owned(),
            };
            Err(Failure::OutcomeUnknown(format!(
                "{error}\nthe deletion of {users} {scope} may have started: the request was sent at {sent} and no answer says what happened; it was not sent again, so as not to start it twice{started}{unsent}\n{settle}; send the deletion again only if data remains",
                error = incomplete.error,
                users = unknown.user_ids.join(", "),
                scope = scope_words(scope),
                sent = unknown
                    .sent_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )))
        }
        ErasureResult::WaitStopped(stop) => Err(stopped(stop, path, resume, &resume_hint())),
        ErasureResult::DataRemains | ErasureResult::NothingToProve | ErasureResult::Verified => {
            verified(outcome, resume, terminal, &recorded)
        }
        _ => Err(Failure::Failed(format!(
            "the erasure ended in a way this version does not know: {:?}{recorded}",
            outcome.result
        ))),
    }
}

/// Why a wait stopped, as a failure naming the job and how to go on.
fn stopped(stop: &WaitStop, path: Option<&Path>, resume: &Resume, resume_hint: &str) -> Failure {
    match stop {
        WaitStop::DeadlinePassed {
            job_id,
            waited,
            tasks_left,
        } => {
            let go_on = match path {
                Some(path) => format!(
                    "\nthe deletion goes on at Velt; resume the wait with `{}`{}",
                    resume.command(path),
                    resume.fake_note()
                ),
                None => format!(
                    "\nthe deletion goes on at Velt; wait again with `velt data delete-status --job-id {job_id} --wait`"
                ),
            };
            deadline_failure(job_id, *waited, *tasks_left, resume.timeout, &go_on)
        }
        WaitStop::Failed {
            job_id,
            user_ids,
            error,
        } => job_failure(job_id, user_ids, error, resume_hint),
        WaitStop::Other { job_id, what } => {
            Failure::Failed(format!("deletion job {job_id}: {what}{resume_hint}"))
        }
        _ => Failure::Failed(format!("the wait stopped: {stop:?}{resume_hint}")),
    }
}

/// A wait that passed its deadline: exit 1, naming the time waited and how to go on.
pub fn deadline_failure(
    job_id: &str,
    waited: Duration,
    tasks_left: Option<i64>,
    timeout: Option<Duration>,
    go_on: &str,
) -> Failure {
    Failure::Failed(format!(
        "gave up waiting after {}{}: deletion job {job_id} is not complete yet{}{go_on}",
        human(waited),
        timeout
            .map(|t| format!(" (--timeout {})", human(t)))
            .unwrap_or_default(),
        tasks_left
            .map(|n| format!(" ({n} task(s) left)"))
            .unwrap_or_default(),
    ))
}

/// A failed call about the job `job_id` (of `users`), naming the job. NOT_FOUND means Velt
/// does not know the job: waiting again would meet the same answer, so the advice is to check
/// the data instead; other failures keep `resume_hint`.
pub fn job_failure(
    job_id: &str,
    users: &[String],
    error: &velt_api::Error,
    resume_hint: &str,
) -> Failure {
    if error.is_not_found() {
        let check = if users.is_empty() {
            "check whether the data is gone with an export of each user (`velt data export --organization-id ORG --user-id USER`)".to_owned()
        } else {
            format!(
                "check whether the data of its users ({}) is gone with an export of each (`velt data export --organization-id ORG --user-id USER`)",
                users.join(", ")
            )
        };
        return Failure::Failed(format!(
            "Velt does not know the deletion job {job_id}: {error}\nNOT_FOUND means the job id is unknown to this Velt or has expired; asking again cannot help; {check}"
        ));
    }
    match Failure::of(error) {
        Failure::Failed(message) => {
            Failure::Failed(format!("deletion job {job_id}: {message}{resume_hint}"))
        }
        other => other,
    }
}

/// The lines and the exit status of a verified erasure.
fn verified(
    outcome: &ErasureOutcome,
    resume: &Resume,
    terminal: &Terminal,
    recorded: &str,
) -> Result<(), Failure> {
    let receipt = &outcome.receipt;
    let Some(verification) = &receipt.verification else {
        return Ok(());
    };
    terminal.say(format!("verification: {}", verification.coverage));
    if receipt.baseline.is_empty() {
        terminal.say(
            "note: the receipt holds no count from before the erasure (it ran without --verify), so a check that finds nothing cannot tell an erased user from one that was never in the organization",
        );
    }
    for batch in &receipt.outcome_unknown {
        if batch.settled_at.is_some() {
            terminal.say(format!(
                "settled: the deletion of {} sent at {} with no answer left nothing in the organization(s) checked",
                batch.user_ids.join(", "),
                batch
                    .sent_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            ));
        }
    }
    if let ErasureResult::DataRemains = outcome.result {
        let remains: Vec<String> = outcome
            .remaining()
            .iter()
            .map(|check| {
                format!(
                    "{} in {}: {}",
                    check.user_id,
                    check.organization_id,
                    check.describe_remaining()
                )
            })
            .collect();
        let unsettled: Vec<String> = receipt
            .unsettled()
            .flat_map(|batch| batch.user_ids.iter().cloned())
            .collect();
        let unknown = if unsettled.is_empty() {
            String::new()
        } else {
            format!(
                "\nthe deletion of {} has an unknown outcome: it did not start, or has not finished; verify again later, and send it again only if data still remains",
                unsettled.join(", ")
            )
        };
        return Err(Failure::Failed(format!(
            "data remains after Velt said the deletion completed:\n{}{unknown}{recorded}",
            remains.join("\n"),
        )));
    }
    let empty = outcome.empty_checks();
    let lines: Vec<String> = empty
        .iter()
        .map(|check| {
            format!(
                "{} is not a member of {} and had no data there; is the organization id right?",
                check.user_id, check.organization_id
            )
        })
        .collect();
    let checks = verification.checks.len();
    if let ErasureResult::NothingToProve = outcome.result {
        return Err(Failure::Failed(format!(
            "nothing to prove in {} of {checks} check(s):\n{}\nan erasure there proves nothing; check the ids, or pass --allow-empty to accept it{recorded}",
            empty.len(),
            lines.join("\n")
        )));
    }
    let _ = resume;
    for line in &lines {
        terminal.say(format!("note (--allow-empty): {line}"));
    }
    let users = receipt.user_ids().count();
    terminal.say(format!(
        "verified: nothing remains in the GDPR export's lists (comments, reactions, recordings, notifications) of {users} user(s) in {} organization(s){}",
        verification.organization_ids.len(),
        if empty.is_empty() {
            String::new()
        } else {
            format!(
                " ({} of {checks} check(s) found data or a member before the erasure)",
                checks - empty.len()
            )
        }
    ));
    Ok(())
}

/// After `velt data delete --verify` proved the GDPR export's lists empty: the checks of the
/// other stores, an error naming what remains where (the activity records are deleted by
/// `velt request erase --erase-activities`).
pub fn judge_stores(checks: &[StoreCheck], fake: bool) -> Result<(), Failure> {
    let left: Vec<String> = checks
        .iter()
        .filter(|c| !c.is_gone())
        .map(StoreCheck::to_string)
        .collect();
    if left.is_empty() {
        eprintln!(
            "nothing remains in the other stores checked either: activity records, permissions and AI Memory profile"
        );
        return Ok(());
    }
    Err(Failure::Failed(format!(
        "the GDPR deletion is verified, but data remains in other stores:\n{}\n`{} request erase --user-id ID --erase-activities --yes` deletes the activity records and keeps the receipts in a case (with --retain-reason TEXT for what must stay)",
        left.join("\n"),
        crate::shared::velt_command(fake)
    )))
}
