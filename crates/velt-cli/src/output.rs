//! What the commands show: JSON on standard output, and the operations' events on standard
//! error (a spinner with a message when standard error is a terminal, plain lines for what a
//! script's log should keep).

use std::{
    collections::HashMap,
    io::{IsTerminal, Write},
    sync::Mutex,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};
use velt_api::deletion::DeletionStatus;
use velt_api::deletion::ErasureCheck;
use velt_dsr::{Event, erase::StoreVerdict, export::Start};

use crate::failure::{Failure, stdout_failure};

/// Prints `value` as pretty JSON and a newline on standard output.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| stdout_failure(e.into()))?;
    writeln!(out).map_err(stdout_failure)
}

/// `1h02m`, `3m05s`, `12s`.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// How a command shows the events of an operation.
#[derive(Clone, Debug, Default)]
pub struct Shown {
    /// The command that runs velt as the user ran it (`velt` or `velt --fake`), for hints.
    pub velt: String,
    /// Print each deletion job id on standard output as it starts (`velt data delete`).
    pub job_ids_on_stdout: bool,
    /// Say where a single export starts from (resumed, nothing to resume) and where it went.
    pub single_export: bool,
}

/// The events of one command on standard error: a spinner on a terminal, and lines.
pub struct Terminal {
    bar: Option<ProgressBar>,
    shown: Shown,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    started: Option<Instant>,
    /// Per job, the last (completed, tasks left) printed as a line.
    last_status: HashMap<String, (bool, Option<i64>)>,
    /// The reasons a link was not downloaded, each printed once; and how many links were
    /// not printed because their reason already was.
    not_fetched_reasons: std::collections::HashSet<String>,
    not_fetched_unshown: usize,
}

impl Terminal {
    /// A spinner when standard error is a terminal.
    pub fn new(shown: Shown) -> Terminal {
        Terminal {
            bar: std::io::stderr().is_terminal().then(|| {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            }),
            shown,
            state: Mutex::new(State::default()),
        }
    }

    /// Prints a line on standard error, above the spinner.
    pub fn say(&self, line: impl Into<String>) {
        let line = line.into();
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn message(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    /// Says how many links not downloaded were left unprinted (their reason was), and ends
    /// the spinner.
    pub fn finish(&self) {
        let unshown = self
            .state
            .lock()
            .map(|state| state.not_fetched_unshown)
            .unwrap_or_else(|poisoned| poisoned.into_inner().not_fetched_unshown);
        if unshown > 0 {
            self.say(format!(
                "not downloaded: {unshown} more link(s) for the reasons above; files.json in the case lists each"
            ));
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// Shows one event.
    pub fn show(&self, event: Event) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match event {
            Event::Searching(p) => self.message(format!(
                "searching: {}/{} organizations, {} match(es), {} calls",
                p.organizations_done, p.organizations_listed, p.matches, p.calls
            )),
            Event::Searched {
                organizations_searched,
                calls,
                matches,
                organizations,
                complete,
            } => self.say(format!(
                "searched {organizations_searched} organization(s) in {calls} calls: {matches} match(es) in {organizations} organization(s){}",
                if complete { "" } else { " (INCOMPLETE)" }
            )),
            Event::OrganizationUnknown { organization_id } => self.say(format!(
                "warning: organization {organization_id} does not exist (Get Organizations does not know it); not searched"
            )),
            Event::ExportStarting { path, start } => match start {
                Start::New => {}
                Start::NothingToResume => self.say(format!(
                    "nothing to resume at {} (no checkpoint); starting a new export",
                    velt_dsr::export::file::sibling(&path, ".checkpoint").display()
                )),
                Start::Resumed { pages, items } => {
                    self.say(format!("resuming after page {pages} ({items} items already saved)"))
                }
            },
            Event::ExportAlreadyComplete { path } => self.say(format!(
                "{} is already complete (it matches its manifest, and no checkpoint is beside it); nothing to resume",
                path.display()
            )),
            Event::ExportsSkipped { users, dir } => self.say(format!(
                "{users} user(s) already exported in {}; skipping them",
                dir.display()
            )),
            Event::Exporting {
                users_done,
                users,
                items,
            } => {
                let started = *state.started.get_or_insert_with(Instant::now);
                let rate = items as f64 / started.elapsed().as_secs_f64().max(0.001);
                self.message(format!(
                    "{users_done}/{users} users, {items} items, {rate:.0} items/s"
                ));
            }
            Event::UnknownKey { key } => self.say(format!(
                "warning: Velt sent data under \"{key}\"; exported as is; this version of the crate does not know it"
            )),
            Event::Exported {
                organization_id,
                user_id,
                path,
                summary,
            } => {
                if summary.items == 0 {
                    self.say(format!(
                        "note: user {user_id} has no data in organization {organization_id} (0 items exported); \
                         check that the user belongs to it with: {velt} users get --organization-id {organization_id} --user-id {user_id}",
                        velt = self.shown.velt,
                    ));
                }
                if self.shown.single_export
                    && let Some(path) = path
                {
                    self.say(format!(
                        "exported {} items in {} pages to {}",
                        summary.items,
                        summary.pages,
                        path.display()
                    ));
                }
            }
            Event::JobStarted(job) => {
                if self.shown.job_ids_on_stdout {
                    println!("{}", job.job_id);
                }
                self.say(format!(
                    "started deletion job {} for {} user(s){}",
                    job.job_id,
                    job.user_ids.len(),
                    job.tasks_count
                        .map(|n| format!(", {n} task(s)"))
                        .unwrap_or_default()
                ));
            }
            Event::JobStatus { job_id, status } => {
                let line = describe_status(&job_id, &status);
                let key = (status.completed, status.tasks_left);
                if self.bar.is_some() && !status.completed {
                    self.message(line);
                } else if state.last_status.get(&job_id) != Some(&key) {
                    self.say(line);
                }
                state.last_status.insert(job_id, key);
            }
            Event::StatusRetrying {
                job_id,
                error,
                attempt,
                next_in,
                waited,
            } => self.say(format!(
                "job {job_id}: status call failed ({error}); still waiting, next try in {}s (failure {attempt} in a row, {} waited)",
                next_in.as_secs_f32().ceil(),
                human(waited)
            )),
            Event::JobWarning { job_id, warning } => {
                self.say(format!("job {job_id}: warning: {warning}"))
            }
            Event::Checked(check) => self.say(format!(
                "checked {} in {}: {} remains{}",
                check.user_id,
                check.organization_id,
                check.describe_remaining(),
                before_words(&check)
            )),
            Event::FileFetched { url, bytes } => {
                self.message(format!("downloaded {url} ({bytes} bytes)"))
            }
            Event::FileNotFetched { url, reason } => {
                if state.not_fetched_reasons.insert(reason.clone()) {
                    self.say(format!("not downloaded: {url}: {reason}"))
                } else {
                    state.not_fetched_unshown += 1;
                }
            }
            Event::StoreRead {
                store,
                organization_id,
                items,
            } => self.message(format!(
                "read {store}{}: {items} record(s)",
                organization_id
                    .as_deref()
                    .map(|o| format!(" in {o}"))
                    .unwrap_or_default()
            )),
            Event::StoreIncomplete {
                store,
                organization_id,
                reason,
            } => self.say(format!(
                "{store}{}: {reason}",
                organization_id
                    .as_deref()
                    .map(|o| format!(" in {o}"))
                    .unwrap_or_default()
            )),
            Event::StoreChecked(check) => {
                let found = match &check.verdict {
                    StoreVerdict::Gone => "nothing remains".to_owned(),
                    StoreVerdict::Remaining { count, .. } => format!("{count} remaining"),
                    StoreVerdict::Retained { count, answer } => {
                        format!("{count} retained (Velt: {answer})")
                    }
                    StoreVerdict::NotCheckable { why } => format!("not checkable: {why}"),
                };
                self.say(format!(
                    "checked {} of {}{}: {found}{}",
                    check.store,
                    check.user_id,
                    check
                        .organization_id
                        .as_deref()
                        .map(|o| format!(" in {o}"))
                        .unwrap_or_default(),
                    if check.deleted > 0 {
                        format!(" ({} deleted now)", check.deleted)
                    } else {
                        String::new()
                    }
                ))
            }
            Event::ActivitiesErased {
                organization_id,
                user_id,
                asked,
                refused,
            } => self.say(format!(
                "activity records of {user_id} in {organization_id}: {asked} sent for deletion, {refused} refused by Velt"
            )),
            Event::Wrote { .. } => {}
            _ => {}
        }
    }
}

/// `job J: 3 task(s) left`.
fn describe_status(job_id: &str, status: &DeletionStatus) -> String {
    match (status.completed, status.tasks_left) {
        (true, _) => format!("job {job_id}: completed"),
        (false, Some(n)) => format!("job {job_id}: {n} task(s) left"),
        (false, None) => format!("job {job_id}: running"),
    }
}

/// `(before: 120 item(s))`, when the baseline was counted.
pub fn before_words(check: &ErasureCheck) -> String {
    match (&check.before, check.member_before) {
        (Some(before), Some(member)) => format!(
            " (before: {} item(s){})",
            before.values().sum::<usize>(),
            if member { "" } else { ", not a member" }
        ),
        _ => String::new(),
    }
}
