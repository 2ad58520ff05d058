//! `velt data delete` and `velt data delete-status`: erase users, wait for the jobs through
//! outages, keep a receipt, and prove the erasure by exporting again.

use std::{
    collections::BTreeMap,
    io::{BufRead, IsTerminal},
    path::{Path, PathBuf},
    time::Duration,
};

use velt_api::{
    Client,
    deletion::{
        DeleteRequest, Deletion, DeletionScope, DeletionStatus, PollEvent, PollOptions, WaitOutcome,
    },
    records::DeletionReceipt,
    search::Match,
};

use crate::{
    failure::Failure,
    output::{self, human, print_json},
};

/// The proof of erasure asked for.
#[derive(Clone, Debug, Default)]
pub struct Verify {
    /// Export each erased user again once the jobs completed.
    pub verify: bool,
    /// Organizations to check beside those of the erasure's scope.
    pub organization_ids: Vec<String>,
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
    /// Where to keep the receipt.
    pub receipt: Option<PathBuf>,
    /// The proof of erasure.
    pub verify: Verify,
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
    /// The proof of erasure (with a receipt only).
    pub verify: Verify,
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
    let Deletion { jobs, incomplete } = client.delete_user_data(&request).await?;
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
    if let Some(incomplete) = &incomplete {
        receipt.unsent_user_ids = incomplete.unsent_user_ids.clone();
    }
    let receipt_path = args.receipt.as_deref();
    save(&receipt, receipt_path)?;
    if let Some(incomplete) = incomplete {
        return Err(Failure::Failed(format!(
            "{}\n{} job(s) started (printed above{}); these users were NOT sent, run the command again for them: {}",
            incomplete.error,
            jobs.len(),
            receipt_path
                .map(|p| format!(", recorded in {}", p.display()))
                .unwrap_or_default(),
            incomplete.unsent_user_ids.join(" ")
        )));
    }
    if args.wait {
        finish_or_interrupt(client, &mut receipt, receipt_path, &check_in).await?;
    }
    Ok(())
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
            options.receipt.as_ref().map(|path| match i {
                0 => path.clone(),
                n => numbered(path, n + 1),
            })
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
                receipt: receipt.clone(),
                verify: Verify {
                    verify: options.verify,
                    organization_ids: Vec::new(),
                },
            },
        )
        .await?;
        written.extend(receipt);
    }
    Ok(written)
}

/// `erasure.json` -> `erasure-2.json`.
fn numbered(path: &Path, n: usize) -> PathBuf {
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
            wait(client, job_id).await?
        } else {
            client.deletion_status(job_id).await?
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
    let check_in = if args.verify.verify {
        organizations_to_check(&receipt.scope, &args.verify.organization_ids)?
    } else {
        Vec::new()
    };
    if args.wait {
        finish_or_interrupt(client, &mut receipt, Some(path), &check_in).await?;
    } else {
        let unfinished: Vec<String> = receipt
            .unfinished_jobs()
            .map(|job| job.job_id.clone())
            .collect();
        for job_id in unfinished {
            let status = client.deletion_status(&job_id).await?;
            receipt.record_status(&job_id, &status);
        }
        save(&receipt, Some(path))?;
    }
    print_json(&receipt)
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

/// The hint that ends a failed wait with a receipt.
fn resume_hint(path: Option<&Path>) -> String {
    match path {
        Some(path) => format!(
            "\nthe receipt {} records where things stand; resume with `velt data delete-status --receipt {} --wait`",
            path.display(),
            path.display()
        ),
        None => String::new(),
    }
}

/// [`finish`], or on Ctrl-C a message saying how to go on (the receipt is saved at every
/// change, so nothing it recorded is lost).
async fn finish_or_interrupt(
    client: &Client,
    receipt: &mut DeletionReceipt,
    path: Option<&Path>,
    check_in: &[String],
) -> Result<(), Failure> {
    tokio::select! {
        result = finish(client, receipt, path, check_in) => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted(match path {
            Some(path) => format!(
                "the deletion jobs go on at Velt; resume the wait with `velt data delete-status --receipt {} --wait`",
                path.display()
            ),
            None => "the deletion jobs go on at Velt; follow them with `velt data delete-status --job-id JOB --wait`".to_owned(),
        })),
    }
}

/// Waits for every unfinished job of `receipt`, recording each as it completes, then checks
/// `check_in` when it is not empty. The receipt is saved after every change.
async fn finish(
    client: &Client,
    receipt: &mut DeletionReceipt,
    path: Option<&Path>,
    check_in: &[String],
) -> Result<(), Failure> {
    let unfinished: Vec<String> = receipt
        .unfinished_jobs()
        .map(|job| job.job_id.clone())
        .collect();
    for job_id in unfinished {
        match wait(client, &job_id).await {
            Ok(status) => {
                receipt.record_status(&job_id, &status);
                save(receipt, path)?;
            }
            Err(failure) => {
                save(receipt, path)?;
                return Err(match failure {
                    Failure::Failed(message) => {
                        Failure::Failed(format!("{message}{}", resume_hint(path)))
                    }
                    other => other,
                });
            }
        }
    }
    if check_in.is_empty() {
        return Ok(());
    }
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
                        resume_hint(path)
                    ))
                })?;
            eprintln!(
                "checked {user} in {organization}: {} remains",
                check.describe_remaining()
            );
            checks.push(check);
        }
    }
    receipt.record_verification(check_in.to_vec(), checks);
    save(receipt, path)?;
    let Some(verification) = &receipt.verification else {
        return Ok(());
    };
    eprintln!("verification: {}", verification.coverage);
    if verification.nothing_remains {
        eprintln!(
            "verified: nothing remains of {} user(s) in {} organization(s)",
            users.len(),
            check_in.len()
        );
        return Ok(());
    }
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
    Err(Failure::Failed(format!(
        "data remains after Velt said the deletion completed:\n{}{}",
        remains.join("\n"),
        path.map(|p| format!("\nrecorded in {}", p.display()))
            .unwrap_or_default()
    )))
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

/// Polls a job until it completes, riding out outages: a spinner on a terminal and a line
/// per change otherwise; every failed status call and every warning is reported on standard
/// error.
async fn wait(client: &Client, job_id: &str) -> Result<DeletionStatus, Failure> {
    let bar = output::spinner();
    let options = PollOptions {
        first_interval: Duration::from_millis(500),
        max_interval: Duration::from_secs(30),
        ..PollOptions::default()
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
    let status = match result? {
        WaitOutcome::Completed(status) => status,
        outcome => return Err(Failure::Failed(outcome.to_string())),
    };
    if bar.is_some() {
        eprintln!("{}", describe(&status));
    }
    Ok(status)
}
