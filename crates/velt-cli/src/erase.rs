//! `velt data delete` and `velt data delete-status`: erase users, wait for the jobs through
//! outages, keep a receipt, and prove the erasure by exporting again.

use std::{
    collections::BTreeMap,
    io::{BufRead, IsTerminal},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use velt_api::{
    Client,
    deletion::{
        DeleteRequest, Deletion, DeletionScope, DeletionStatus, ErasureCheck, Incomplete,
        PollEvent, PollOptions, WaitOutcome,
    },
    search::Match,
    users::UsersQuery,
};
use velt_case::records::{DeletionReceipt, ErasureBaseline};

use crate::{
    failure::Failure,
    output::{self, human, print_json},
};

/// How long a wait lasts without `--timeout`: Velt says a deletion can take up to 24 hours.
const DEFAULT_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// The proof of erasure asked for.
#[derive(Clone, Debug, Default)]
pub struct Verify {
    /// Export each erased user again once the jobs completed.
    pub verify: bool,
    /// Organizations to check beside those of the erasure's scope.
    pub organization_ids: Vec<String>,
    /// Accept checks of organizations where the user was not a member and held nothing.
    pub allow_empty: bool,
}

/// An erasure to start: the command line's options, without the parser.
#[derive(Clone, Debug)]
pub struct Erasure {
    /// The users to erase.
    pub user_ids: Vec<String>,
    /// Where; empty for every organization of the workspace.
    pub organization_ids: Vec<String>,
    /// Do not ask for confirmation.
    pub yes: bool,
    /// Wait until every job completed.
    pub wait: bool,
    /// Give up waiting after this long (24 hours when `None`).
    pub timeout: Option<Duration>,
    /// Where to keep the receipt.
    pub receipt: Option<PathBuf>,
    /// The proof of erasure.
    pub verify: Verify,
    /// Whether the command runs against an in-process fake (`--fake`), for the hints.
    pub fake: bool,
}

/// A look at deletion jobs: one by id, or every job of a receipt.
#[derive(Clone, Debug)]
pub struct StatusCheck {
    /// The job, when no receipt is given.
    pub job_id: Option<String>,
    /// The receipt whose unfinished jobs to follow.
    pub receipt: Option<PathBuf>,
    /// Wait until the jobs completed.
    pub wait: bool,
    /// Give up waiting after this long (24 hours when `None`).
    pub timeout: Option<Duration>,
    /// The proof of erasure (with a receipt only).
    pub verify: Verify,
    /// Whether the command runs against an in-process fake (`--fake`), for the hints.
    pub fake: bool,
}

/// What a wait over a receipt's jobs does, and how to take it up again.
struct WaitPlan<'a> {
    receipt_path: Option<&'a Path>,
    /// Organizations `--verify` checks; empty without `--verify`.
    check_in: Vec<String>,
    verify: &'a Verify,
    timeout: Option<Duration>,
    fake: bool,
}

impl WaitPlan<'_> {
    /// The command that takes the wait up again, `--verify` (and its organizations) included.
    fn resume_command(&self) -> Option<String> {
        let path = self.receipt_path?;
        let mut command = format!(
            "velt data delete-status --receipt {} --wait",
            path.display()
        );
        if self.verify.verify {
            command.push_str(" --verify");
            for id in &self.verify.organization_ids {
                command.push_str(&format!(" --verify-organization-id {id}"));
            }
            if self.verify.allow_empty {
                command.push_str(" --allow-empty");
            }
        }
        Some(command)
    }

    /// The hint that ends a wait cut short: the command that resumes it, when a resume can
    /// help (there is a receipt).
    fn resume_hint(&self) -> String {
        match self.resume_command() {
            Some(command) => format!(
                "\nthe receipt {} records where things stand; resume with `{command}`{}",
                self.receipt_path
                    .map(Path::display)
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                fake_note(self.fake)
            ),
            None => String::new(),
        }
    }
}

/// With `--fake`, the fake Velt ends with the command: a receipt can be taken up only against
/// the same server.
fn fake_note(fake: bool) -> &'static str {
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

/// `velt data delete`.
pub async fn delete(client: &Client, args: Erasure) -> Result<(), Failure> {
    let scope = if args.organization_ids.is_empty() {
        DeletionScope::AllOrganizations
    } else {
        DeletionScope::Organizations(args.organization_ids.clone())
    };
    let request = DeleteRequest::new(args.user_ids.clone(), scope);
    // Everything that can be refused is refused before anything is erased.
    let check_in = if args.verify.verify {
        organizations_to_check(request.scope(), &args.verify.organization_ids)?
    } else {
        Vec::new()
    };
    if let Some(path) = &args.receipt {
        check_new_receipt(path)?;
    }
    if !args.yes {
        confirm(&request)?;
    }
    // What there is to erase, counted before, so that the proof can fail.
    let baseline = measure_baseline(client, &check_in, request.user_ids()).await?;
    let Deletion { jobs, incomplete } =
        client
            .delete_user_data(&request)
            .await
            .map_err(|e| match Failure::from(e) {
                Failure::Failed(message) => {
                    Failure::Failed(format!("{message}\nno deletion was started"))
                }
                other => other,
            })?;
    for job in &jobs {
        println!("{}", job.job_id);
        eprintln!(
            "started deletion job {} for {} user(s){}",
            job.job_id,
            job.user_ids.len(),
            job.tasks_count
                .map(|n| format!(", {n} task(s)"))
                .unwrap_or_default()
        );
    }
    let mut receipt = DeletionReceipt::new(client.base_url(), &request, &jobs);
    if !baseline.is_empty() {
        receipt.record_baseline(baseline);
    }
    if let Some(incomplete) = &incomplete {
        receipt.record_incomplete(incomplete);
    }
    let receipt_path = args.receipt.as_deref();
    save(&receipt, receipt_path)?;
    let plan = WaitPlan {
        receipt_path,
        check_in,
        verify: &args.verify,
        timeout: args.timeout,
        fake: args.fake,
    };
    if let Some(incomplete) = incomplete {
        return Err(incomplete_failure(&incomplete, &request, jobs.len(), &plan));
    }
    if args.wait {
        finish_or_interrupt(client, &mut receipt, &plan).await?;
    }
    Ok(())
}

/// Why a deletion did not surely start for every user: the batch whose outcome is unknown
/// (exit 4), or the users not sent (exit 1).
fn incomplete_failure(
    incomplete: &Incomplete,
    request: &DeleteRequest,
    started: usize,
    plan: &WaitPlan<'_>,
) -> Failure {
    let recorded = plan
        .receipt_path
        .map(|p| format!(", recorded in {}", p.display()))
        .unwrap_or_default();
    let started = if started > 0 {
        format!("\n{started} job(s) started (printed above{recorded})")
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
        return Failure::Failed(format!("{}{started}{unsent}", incomplete.error));
    };
    let scope = scope_words(request.scope());
    let settle = match plan.receipt_path {
        Some(path) => format!(
            "the receipt {} records the batch as outcome unknown; to settle it, once any deletion had time to run: `velt data delete-status --receipt {} --wait --verify{}` exports the users again and records what remains{}",
            path.display(),
            path.display(),
            match request.scope() {
                DeletionScope::AllOrganizations => " --verify-organization-id ORG",
                DeletionScope::Organizations(_) => "",
            },
            fake_note(plan.fake)
        ),
        None => "to settle it, export each user again (`velt data export --organization-id ORG --user-id USER`; 0 items means nothing is left)".to_owned(),
    };
    Failure::OutcomeUnknown(format!(
        "{error}\nthe deletion of {users} {scope} may have started: the request was sent at {sent} and no answer says what happened; it was not sent again, so as not to start it twice{started}{unsent}\n{settle}; send the deletion again only if data remains",
        error = incomplete.error,
        users = unknown.user_ids.join(", "),
        sent = unknown
            .sent_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    ))
}

/// Whether each user is a member of each organization, and what Velt holds there, before
/// anything is erased. Nothing is counted without organizations to check.
async fn measure_baseline(
    client: &Client,
    check_in: &[String],
    users: &[String],
) -> Result<Vec<ErasureBaseline>, Failure> {
    let mut baseline = Vec::with_capacity(check_in.len() * users.len());
    let failed = |e: velt_api::Error| match Failure::from(e) {
        Failure::Failed(message) => Failure::Failed(format!(
            "{message}\nthe count before the erasure failed; nothing was erased"
        )),
        other => other,
    };
    for organization in check_in {
        let mut members = Vec::new();
        for chunk in users.chunks(UsersQuery::MAX_IDS) {
            let query = UsersQuery::organization(organization.clone()).user_ids(chunk.to_vec());
            members.extend(
                client
                    .get_users(&query)
                    .await
                    .map_err(failed)?
                    .into_iter()
                    .map(|user| user.user_id),
            );
        }
        for user in users {
            let summary = client
                .export_user_data(organization, user)
                .summarize()
                .await
                .map_err(failed)?;
            baseline.push(ErasureBaseline::new(
                organization,
                user,
                members.contains(user),
                &summary,
            ));
        }
    }
    Ok(baseline)
}

/// An erasure of the matches of a search (`velt data delete --email`, and a later
/// `velt request erase`).
#[derive(Clone, Debug, Default)]
pub struct MatchesErasure {
    /// Do not ask for confirmation.
    pub yes: bool,
    /// Wait until every job completed.
    pub wait: bool,
    /// Where to keep the receipt; with users found in different sets of organizations,
    /// one receipt per set, `FILE` numbered (`erasure-2.json`, ...).
    pub receipt: Option<PathBuf>,
    /// Export each user again in each organization where it was found, once the jobs
    /// completed (needs `wait`).
    pub verify: bool,
    /// Give up waiting after this long (24 hours when `None`).
    pub timeout: Option<Duration>,
    /// Whether the command runs against an in-process fake (`--fake`), for the hints.
    pub fake: bool,
}

/// Erases every match in the organizations where it was found: the users found in the same
/// organizations go in one [`delete`] (one receipt), scoped to those organizations and
/// verified in each of them. Returns the receipts written.
pub async fn erase_matches(
    client: &Client,
    matches: &[Match],
    options: MatchesErasure,
) -> Result<Vec<PathBuf>, Failure> {
    // user -> its organizations, then organizations -> their users.
    let mut organizations_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for m in matches {
        let organizations = organizations_of.entry(&m.user_id).or_default();
        if !organizations.contains(&m.organization_id) {
            organizations.push(m.organization_id.clone());
        }
    }
    let mut groups: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for (user_id, mut organizations) in organizations_of {
        organizations.sort();
        groups
            .entry(organizations)
            .or_default()
            .push(user_id.to_owned());
    }
    let receipts: Vec<Option<PathBuf>> = (0..groups.len())
        .map(|i| {
            options
                .receipt
                .as_ref()
                .map(|path| numbered_receipt(path, i + 1))
        })
        .collect();
    // Every receipt is refused before anything is erased.
    for path in receipts.iter().flatten() {
        check_new_receipt(path)?;
    }
    let mut written = Vec::new();
    for ((organization_ids, user_ids), receipt) in groups.into_iter().zip(receipts) {
        delete(
            client,
            Erasure {
                user_ids,
                organization_ids,
                yes: options.yes,
                wait: options.wait,
                timeout: options.timeout,
                receipt: receipt.clone(),
                verify: Verify {
                    verify: options.verify,
                    organization_ids: Vec::new(),
                    allow_empty: false,
                },
                fake: options.fake,
            },
        )
        .await?;
        written.extend(receipt);
    }
    Ok(written)
}

/// The `n`th receipt (from 1) of an erasure of matches into `path`: `erasure.json`, then
/// `erasure-2.json`, `erasure-3.json`...
pub fn numbered_receipt(path: &Path, n: usize) -> PathBuf {
    if n <= 1 {
        return path.to_owned();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(extension) => format!("{stem}-{n}.{}", extension.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

/// `erasure.json` -> `erasure.search.json`: a file kept beside the receipt.
pub fn sibling_with(path: &Path, what: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.{what}.json"))
}

/// `velt data delete-status`: one job by id, or every job of a receipt.
pub async fn delete_status(client: &Client, args: StatusCheck) -> Result<(), Failure> {
    let Some(path) = &args.receipt else {
        if args.verify.verify {
            return Err(Failure::Usage(
                "--verify needs --receipt FILE: a job id alone does not say which users to check"
                    .into(),
            ));
        }
        let job_id = args.job_id.as_deref().unwrap_or_default();
        let status = if args.wait {
            let timeout = args.timeout.unwrap_or(DEFAULT_WAIT);
            match wait(client, job_id, timeout).await {
                Ok(WaitOutcome::Completed(status)) => status,
                Ok(outcome) => {
                    return Err(deadline_failure(
                        &outcome,
                        args.timeout,
                        &format!(
                            "\nthe deletion goes on at Velt; wait again with `velt data delete-status --job-id {job_id} --wait`"
                        ),
                    ));
                }
                Err(e) => return Err(job_failure(job_id, &[], e, "")),
            }
        } else {
            client
                .deletion_status(job_id)
                .await
                .map_err(|e| job_failure(job_id, &[], e, ""))?
        };
        return print_json(&serde_json::json!({
            "jobId": job_id,
            "completed": status.completed,
            "tasksLeft": status.tasks_left,
            "lastTaskCompletedAt": status.last_task_completed_at,
            "warnings": status.warnings,
        }));
    };
    let mut receipt = DeletionReceipt::load(path).map_err(|e| Failure::Usage(e.to_string()))?;
    if let Some(here) = receipt.other_host(client.base_url()) {
        return Err(Failure::Usage(format!(
            "the receipt {} records an erasure sent to the Velt at {}, and this command talks to {here}; its jobs and checks belong to that Velt, so nothing was sent and the receipt is untouched: point VELT_BASE_URL (or --base-url) at {}{}",
            path.display(),
            receipt.velt_host,
            receipt.velt_host,
            fake_note(args.fake)
        )));
    }
    let check_in = if args.verify.verify {
        organizations_to_check(&receipt.scope, &args.verify.organization_ids)?
    } else {
        Vec::new()
    };
    let plan = WaitPlan {
        receipt_path: Some(path),
        check_in,
        verify: &args.verify,
        timeout: args.timeout,
        fake: args.fake,
    };
    if args.wait {
        finish_or_interrupt(client, &mut receipt, &plan).await?;
    } else {
        let unfinished: Vec<(String, Vec<String>)> = receipt
            .unfinished_jobs()
            .map(|job| (job.job_id.clone(), job.user_ids.clone()))
            .collect();
        for (job_id, users) in unfinished {
            let status = client
                .deletion_status(&job_id)
                .await
                .map_err(|e| job_failure(&job_id, &users, e, &plan.resume_hint()))?;
            receipt.record_status(&job_id, &status);
        }
        save(&receipt, Some(path))?;
    }
    print_json(&receipt)
}

/// A failed call about the job `job_id` (of `users`), naming the job. NOT_FOUND means Velt
/// does not know the job: waiting again would meet the same answer, so the advice is to check
/// the data instead; other failures keep `resume_hint`.
fn job_failure(
    job_id: &str,
    users: &[String],
    error: velt_api::Error,
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
    match Failure::from(error) {
        Failure::Failed(message) => {
            Failure::Failed(format!("deletion job {job_id}: {message}{resume_hint}"))
        }
        other => other,
    }
}

/// A wait that passed its deadline: exit 1, naming the time waited and how to go on.
fn deadline_failure(outcome: &WaitOutcome, timeout: Option<Duration>, resume: &str) -> Failure {
    let (job_id, waited, tasks_left) = match outcome {
        WaitOutcome::DeadlinePassed {
            job_id,
            waited,
            tasks_left,
        } => (job_id.as_str(), *waited, *tasks_left),
        other => return Failure::Failed(other.to_string()),
    };
    Failure::Failed(format!(
        "gave up waiting after {}{}: deletion job {job_id} is not complete yet{}{resume}",
        human(waited),
        timeout
            .map(|t| format!(" (--timeout {})", human(t)))
            .unwrap_or_default(),
        tasks_left
            .map(|n| format!(" ({n} task(s) left)"))
            .unwrap_or_default(),
    ))
}

/// The organizations `--verify` exports from: those of the scope, then the extra
/// `--verify-organization-id`s. An erasure of every organization has no list to take them
/// from (Velt has no call that lists a user's organizations), so it needs at least one.
fn organizations_to_check(scope: &DeletionScope, extra: &[String]) -> Result<Vec<String>, Failure> {
    let mut organizations = match scope {
        DeletionScope::Organizations(ids) => ids.clone(),
        DeletionScope::AllOrganizations => Vec::new(),
    };
    for id in extra {
        if !organizations.contains(id) {
            organizations.push(id.clone());
        }
    }
    if organizations.is_empty() {
        return Err(Failure::Usage(
            "--verify needs organizations to export from: the erasure covers every organization, and once erased the users can no longer be found in Velt's listings; pass --verify-organization-id ORG for each organization to check (the receipt then says the check covers only those)".into(),
        ));
    }
    Ok(organizations)
}

/// Refuses a receipt path that would overwrite an earlier receipt or cannot be written.
fn check_new_receipt(path: &Path) -> Result<(), Failure> {
    if path.exists() {
        return Err(Failure::Usage(format!(
            "the receipt {} already exists; it may record an earlier erasure: choose another file, or resume that one with `velt data delete-status --receipt {} --wait`",
            path.display(),
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Failure::Usage(format!(
            "cannot write the receipt {}: the directory {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Saves the receipt when there is one.
fn save(receipt: &DeletionReceipt, path: Option<&Path>) -> Result<(), Failure> {
    match path {
        Some(path) => receipt.save(path).map_err(Failure::from),
        None => Ok(()),
    }
}

/// [`finish`], or on Ctrl-C a message saying how to go on (the receipt is saved at every
/// change, so nothing it recorded is lost).
async fn finish_or_interrupt(
    client: &Client,
    receipt: &mut DeletionReceipt,
    plan: &WaitPlan<'_>,
) -> Result<(), Failure> {
    tokio::select! {
        result = finish(client, receipt, plan) => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted(match plan.resume_command() {
            Some(command) => format!(
                "the deletion jobs go on at Velt; resume the wait with `{command}`{}",
                fake_note(plan.fake)
            ),
            None => "the deletion jobs go on at Velt; follow them with `velt data delete-status --job-id JOB --wait`".to_owned(),
        })),
    }
}

/// Waits for every unfinished job of `receipt`, recording each as it completes, then checks
/// `plan.check_in` when it is not empty. The receipt is saved after every change.
async fn finish(
    client: &Client,
    receipt: &mut DeletionReceipt,
    plan: &WaitPlan<'_>,
) -> Result<(), Failure> {
    let path = plan.receipt_path;
    let started = Instant::now();
    let limit = plan.timeout.unwrap_or(DEFAULT_WAIT);
    let unfinished: Vec<(String, Vec<String>)> = receipt
        .unfinished_jobs()
        .map(|job| (job.job_id.clone(), job.user_ids.clone()))
        .collect();
    for (job_id, users) in unfinished {
        let left = limit.saturating_sub(started.elapsed());
        let outcome = wait(client, &job_id, left).await;
        let failure = match outcome {
            Ok(WaitOutcome::Completed(status)) => {
                receipt.record_status(&job_id, &status);
                save(receipt, path)?;
                continue;
            }
            Ok(outcome) => {
                let waited = match &outcome {
                    WaitOutcome::DeadlinePassed { tasks_left, .. } => WaitOutcome::DeadlinePassed {
                        job_id: job_id.clone(),
                        waited: started.elapsed(),
                        tasks_left: *tasks_left,
                    },
                    other => other.clone(),
                };
                let resume = match plan.resume_command() {
                    Some(command) => format!(
                        "\nthe deletion goes on at Velt; resume the wait with `{command}`{}",
                        fake_note(plan.fake)
                    ),
                    None => format!(
                        "\nthe deletion goes on at Velt; wait again with `velt data delete-status --job-id {job_id} --wait`"
                    ),
                };
                deadline_failure(&waited, plan.timeout, &resume)
            }
            Err(error) => job_failure(&job_id, &users, error, &plan.resume_hint()),
        };
        save(receipt, path)?;
        return Err(failure);
    }
    if plan.check_in.is_empty() {
        return Ok(());
    }
    verify(client, receipt, plan).await
}

/// The proof of erasure: each user exported again in each organization to check, recorded in
/// the receipt with the counts from before. Data left is an error; so is a check of an
/// organization where the user was not a member and held nothing (it proves nothing), unless
/// `--allow-empty`.
async fn verify(
    client: &Client,
    receipt: &mut DeletionReceipt,
    plan: &WaitPlan<'_>,
) -> Result<(), Failure> {
    let path = plan.receipt_path;
    let check_in = &plan.check_in;
    let users: Vec<String> = receipt.user_ids().map(str::to_owned).collect();
    let mut checks = Vec::with_capacity(users.len() * check_in.len());
    for organization in check_in {
        for user in &users {
            let check = client
                .verify_erasure(organization, user)
                .await
                .map_err(|e| {
                    let failure = Failure::from(e);
                    Failure::Failed(format!(
                        "the check of {user} in {organization} failed: {failure}{}",
                        plan.resume_hint()
                    ))
                })?;
            checks.push(check);
        }
    }
    receipt.record_verification(check_in.to_vec(), checks);
    save(receipt, path)?;
    let Some(verification) = &receipt.verification else {
        return Ok(());
    };
    for check in &verification.checks {
        eprintln!(
            "checked {} in {}: {} remains{}",
            check.user_id,
            check.organization_id,
            check.describe_remaining(),
            before_words(check)
        );
    }
    eprintln!("verification: {}", verification.coverage);
    if receipt.baseline.is_empty() {
        eprintln!(
            "note: the receipt holds no count from before the erasure (it ran without --verify), so a check that finds nothing cannot tell an erased user from one that was never in the organization"
        );
    }
    for batch in &receipt.outcome_unknown {
        if batch.settled_at.is_some() {
            eprintln!(
                "settled: the deletion of {} sent at {} with no answer left nothing in the organization(s) checked",
                batch.user_ids.join(", "),
                batch
                    .sent_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
        }
    }
    let recorded = path
        .map(|p| format!("\nrecorded in {}", p.display()))
        .unwrap_or_default();
    if !verification.nothing_remains {
        let remains: Vec<String> = verification
            .checks
            .iter()
            .filter(|check| !check.nothing_remains())
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
    let empty: Vec<&ErasureCheck> = verification
        .checks
        .iter()
        .filter(|check| check.held_nothing_before())
        .collect();
    let proven = verification.checks.len() - empty.len();
    let lines: Vec<String> = empty
        .iter()
        .map(|check| {
            format!(
                "{} is not a member of {} and had no data there; is the organization id right?",
                check.user_id, check.organization_id
            )
        })
        .collect();
    if !empty.is_empty() && !plan.verify.allow_empty {
        return Err(Failure::Failed(format!(
            "nothing to prove in {} of {} check(s):\n{}\nan erasure there proves nothing; check the ids, or pass --allow-empty to accept it{recorded}",
            empty.len(),
            verification.checks.len(),
            lines.join("\n")
        )));
    }
    for line in &lines {
        eprintln!("note (--allow-empty): {line}");
    }
    eprintln!(
        "verified: nothing remains of {} user(s) in {} organization(s){}",
        users.len(),
        check_in.len(),
        if empty.is_empty() {
            String::new()
        } else {
            format!(
                " ({proven} of {} check(s) found data or a member before the erasure)",
                verification.checks.len()
            )
        }
    );
    Ok(())
}

/// `(had 120 items before)`, when the baseline was counted.
fn before_words(check: &ErasureCheck) -> String {
    match (&check.before, check.member_before) {
        (Some(before), Some(member)) => format!(
            " (before: {} item(s){})",
            before.values().sum::<usize>(),
            if member { "" } else { ", not a member" }
        ),
        _ => String::new(),
    }
}

/// Asks on the terminal before erasing anything; refuses when nobody can answer.
fn confirm(request: &DeleteRequest) -> Result<(), Failure> {
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

/// Polls a job until it completes or `deadline` passes, riding out outages: a spinner on a
/// terminal and a line per change otherwise; every failed status call and every warning is
/// reported on standard error.
async fn wait(client: &Client, job_id: &str, deadline: Duration) -> velt_api::Result<WaitOutcome> {
    let bar = output::spinner();
    let options = PollOptions {
        first_interval: Duration::from_millis(500),
        max_interval: Duration::from_secs(30),
        ..PollOptions::with_deadline(deadline)
    };
    let mut last_left = None;
    let describe = |s: &DeletionStatus| match (s.completed, s.tasks_left) {
        (true, _) => format!("job {job_id}: completed"),
        (false, Some(n)) => format!("job {job_id}: {n} task(s) left"),
        (false, None) => format!("job {job_id}: running"),
    };
    let say = |line: String| match &bar {
        Some(bar) => bar.println(line),
        None => eprintln!("{line}"),
    };
    let result = client
        .poll_deletion(job_id, options)
        .until_done(|event| match event {
            PollEvent::Status(status) => match &bar {
                Some(bar) => bar.set_message(describe(status)),
                None if last_left != Some((status.completed, status.tasks_left)) => {
                    last_left = Some((status.completed, status.tasks_left));
                    eprintln!("{}", describe(status));
                }
                None => {}
            },
            PollEvent::Retrying {
                error,
                attempt,
                next_in,
                waited,
            } => say(format!(
                "job {job_id}: status call failed ({error}); still waiting, next try in {}s (failure {attempt} in a row, {} waited)",
                next_in.as_secs_f32().ceil(),
                human(*waited)
            )),
            PollEvent::Warning(warning) => say(format!("job {job_id}: warning: {warning}")),
            _ => {}
        })
        .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if bar.is_some()
        && let Ok(WaitOutcome::Completed(status)) = &result
    {
        eprintln!("{}", describe(status));
    }
    result
}
