//! The background work on jobs: one tokio task per job, under the job's OS lock, step by
//! step from the stage in `job.json`, so that a worker started again takes every open job up
//! where it stopped ([`Worker::resume`]).
//!
//! - Access: the access operation into `case/` (a half-written case of a worker that stopped
//!   is removed and the request answered again: nothing is deleted at Velt by an access),
//!   then every store of the case into the outbox as datapoints, and the completion.
//! - Erasure: the search and plan ([`request::prepare_erasure`]), every planned deletion sent
//!   without waiting ([`erase::run`] under a zero deadline, its receipt in the case), `WAITING`
//!   into the outbox; then each receipt followed until its jobs complete and verified
//!   ([`erase::follow`]), and the second pass over the verified case, which checks the other
//!   stores ([`request::PreparedErasure::run`]): `RESOLVED`, or `ACTION_REQUIRED` naming what
//!   remains. Once a receipt exists, nothing is sent to Velt's deletion again for the job.
//! - Failures that may pass (Velt down, an organization that could not be read) are retried
//!   with the outbox's growing pauses.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use velt_api::{Client, deletion::PollOptions};
use velt_case::{CaseFolder, model};
use velt_dsr::{
    erase::{self, ErasureOutcome, ErasureResult, FollowOptions, StoreErasure, Verify, WaitStop},
    files::FileOptions,
    find::Found,
    request::{self, AccessOptions, ErasureRequestOptions},
};

use crate::{
    config::{ErasureConfig, OutboxConfig},
    error::{Error, Result},
    job::{self, Job, JobDir, JobKind, Outcome, Stage},
    metrics::Metrics,
    outbox::{self, Answer},
    platform::{ErasureState, Platform},
};

/// Progress events of the operations are not needed: the case's event log records the steps.
static EVENTS: velt_dsr::event::Events<'static> = &velt_dsr::event::ignore;

/// The worker: Velt's client, the platform adapter and the running jobs.
pub(crate) struct Worker {
    pub(crate) cases_dir: PathBuf,
    pub(crate) client: Client,
    pub(crate) platforms: Vec<Arc<dyn Platform>>,
    pub(crate) concurrency: usize,
    pub(crate) fetch_files: bool,
    pub(crate) file_hosts: Vec<String>,
    pub(crate) erasure: ErasureConfig,
    pub(crate) outbox: OutboxConfig,
    pub(crate) metrics: Arc<Metrics>,
    active: Mutex<HashSet<PathBuf>>,
    /// The search of each new job, for an adapter that answers "nobody" at once: `Some(true)`
    /// once someone was found, `Some(false)` once the whole search found nobody.
    searches: Mutex<HashMap<PathBuf, tokio::sync::watch::Sender<Option<bool>>>>,
    stop: tokio::sync::watch::Sender<bool>,
    pool: Pool,
}

/// What a pool thread is given: it makes the job's future there (the request operations'
/// futures are not `Send`: a limit of the compiler with their higher-ranked borrows).
type Task = Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> + Send>;

/// The threads the jobs run on: each a single-thread runtime with a `LocalSet`, so that any
/// number of jobs (most of them waiting: on Velt's deletion, on a platform that is down) run
/// on a few threads. Jobs go to the threads in turn.
struct Pool {
    senders: Vec<tokio::sync::mpsc::UnboundedSender<Task>>,
    next: std::sync::atomic::AtomicUsize,
}

impl Pool {
    /// `threads` threads (at least 1), each stopping (and dropping its jobs, which releases
    /// their locks) once `stop` turns true.
    fn new(threads: usize, stop: &tokio::sync::watch::Sender<bool>) -> Result<Pool> {
        let mut senders = Vec::new();
        for n in 0..threads.max(1) {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Task>();
            let mut stopped = stop.subscribe();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::io(PathBuf::from("runtime"), "cannot start a job thread", e))?;
            std::thread::Builder::new()
                .name(format!("velt-serve-jobs-{n}"))
                .spawn(move || {
                    let local = tokio::task::LocalSet::new();
                    local.block_on(&runtime, async move {
                        loop {
                            tokio::select! {
                                task = rx.recv() => match task {
                                    Some(task) => { tokio::task::spawn_local(task()); }
                                    None => break,
                                },
                                _ = stopped.wait_for(|s| *s) => break,
                            }
                        }
                    });
                    // The LocalSet is dropped here, with every job still running on it.
                })
                .map_err(|e| Error::io(PathBuf::from("thread"), "cannot start a job thread", e))?;
            senders.push(tx);
        }
        Ok(Pool {
            senders,
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn spawn(&self, task: Task) -> bool {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.senders.len();
        self.senders[n].send(task).is_ok()
    }
}

impl Worker {
    /// A worker with no job running yet.
    pub(crate) fn new(
        cases_dir: PathBuf,
        client: Client,
        platforms: Vec<Arc<dyn Platform>>,
        config: &crate::config::Config,
        metrics: Arc<Metrics>,
    ) -> Result<Worker> {
        let stop = tokio::sync::watch::Sender::new(false);
        let pool = Pool::new(config.job_threads, &stop)?;
        Ok(Worker {
            cases_dir,
            client,
            platforms,
            concurrency: config.velt.concurrency,
            fetch_files: config.velt.fetch_files,
            file_hosts: config.velt.file_hosts.clone(),
            erasure: config.erasure.clone(),
            outbox: config.outbox.clone(),
            metrics,
            active: Mutex::new(HashSet::new()),
            searches: Mutex::new(HashMap::new()),
            stop,
            pool,
        })
    }

    /// Takes up every job under `cases_dir` whose work is not done.
    pub(crate) fn resume(self: &Arc<Self>) -> usize {
        let jobs = job::open_jobs(&self.cases_dir);
        let count = jobs.len();
        for job in jobs {
            self.spawn(job);
        }
        count
    }

    /// How the search of `job` ends, watched from now on (before the job is spawned).
    pub(crate) fn watch_search(&self, job: &JobDir) -> tokio::sync::watch::Receiver<Option<bool>> {
        self.searches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(job.dir().to_path_buf())
            .or_insert_with(|| tokio::sync::watch::Sender::new(None))
            .subscribe()
    }

    /// The events of a job's operation: the end of its search told to whoever watches it.
    fn search_events(&self, job: &JobDir) -> impl Fn(velt_dsr::event::Event) + Send + Sync {
        let sender = self
            .searches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(job.dir())
            .cloned();
        move |event| {
            if let (
                Some(sender),
                velt_dsr::event::Event::Searched {
                    matches, complete, ..
                },
            ) = (&sender, event)
                && (complete || matches > 0)
            {
                sender.send_replace(Some(matches > 0));
            }
        }
    }

    /// Works on `job` in the background, unless this process already does.
    pub(crate) fn spawn(self: &Arc<Self>, job: JobDir) {
        let key = job.dir().to_path_buf();
        if !self
            .active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone())
        {
            return;
        }
        let me = Arc::clone(self);
        let spawned = self.pool.spawn(Box::new(move || {
            Box::pin(async move {
                me.run(&job).await;
                me.searches
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(job.dir());
                me.active
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
            })
        }));
        if !spawned {
            tracing::warn!("the worker is stopping: the job is taken up at the next start");
        }
    }

    /// Stops every job's task (their locks are released as the tasks are dropped).
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// The job until done: its lock (waiting while another worker holds it), then its steps,
    /// each failure retried after a growing pause.
    async fn run(&self, job: &JobDir) {
        let _lock = loop {
            match job.try_lock() {
                Ok(Some(lock)) => break lock,
                Ok(None) => {
                    tracing::debug!(job = %job.dir().display(), "another worker holds the job");
                }
                Err(e) => {
                    tracing::error!(job = %job.dir().display(), error = %e, "cannot lock the job")
                }
            }
            tokio::time::sleep(self.outbox.pause(1).max(Duration::from_millis(10))).await;
        };
        let mut failures = 0;
        loop {
            match self.step(job).await {
                Ok(true) => return,
                Ok(false) => failures = 0,
                Err(e) => {
                    failures += 1;
                    self.metrics.step_failure(job);
                    let pause = self.outbox.pause(failures);
                    tracing::warn!(job = %job.dir().display(), error = %e, ?pause, "the job's step failed; trying again");
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    /// One step from the job's stage; `true` once the job is done.
    async fn step(&self, job: &JobDir) -> Result<bool> {
        let mut record = job.load()?;
        let Some(platform) = self
            .platforms
            .iter()
            .find(|p| p.name() == record.platform)
            .map(Arc::clone)
        else {
            return Err(Error::NotYet(format!(
                "the job is {}'s and the config has no [{}] table",
                record.platform, record.platform
            )));
        };
        let platform = platform.as_ref();
        match (record.stage, record.kind) {
            (Stage::Received, JobKind::Access) => self.access(job, &mut record, platform).await?,
            (Stage::Received, JobKind::Erasure) => self.erase(job, &mut record, platform).await?,
            (Stage::Waiting, _) => {
                outbox::deliver(job, &record, platform, &self.outbox, &|a| {
                    self.metrics.answer_attempt(platform.name(), a)
                })
                .await?;
                self.follow(job, &mut record, platform).await?;
            }
            (Stage::Reporting, _) => {
                outbox::deliver(job, &record, platform, &self.outbox, &|a| {
                    self.metrics.answer_attempt(platform.name(), a)
                })
                .await?;
                record.stage = Stage::Done;
                job.save(&record)?;
                tracing::info!(job = %job.dir().display(), outcome = ?record.outcome, "job done");
            }
            (Stage::Done, _) => return Ok(true),
        }
        Ok(false)
    }

    /// The access request, answered again from the start.
    async fn access(&self, job: &JobDir, record: &mut Job, platform: &dyn Platform) -> Result<()> {
        let case = job.case_dir();
        for dir in [case.clone(), job.outbox_dir()] {
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .map_err(|e| Error::io(&dir, "cannot remove what a stopped worker left", e))?;
            }
        }
        let outcome = request::access(
            &self.client,
            AccessOptions {
                case: case.clone(),
                subject: record.subject.clone(),
                organization_ids: Vec::new(),
                concurrency: self.concurrency,
                received: record.received_at.date_naive(),
                notice_markdown: None,
                zip: false,
                files: FileOptions {
                    fetch: self.fetch_files,
                    hosts: self.file_hosts.clone(),
                    ..FileOptions::default()
                },
            },
            &self.search_events(job),
        )
        .await?;
        match outcome.found() {
            Found::Incomplete => Err(Error::NotYet(
                "the search could not read every organization".into(),
            )),
            Found::Nobody => finish(
                job,
                record,
                platform.access_not_found(record),
                Outcome::NotFound,
                "Velt holds nobody with this identifier",
            ),
            Found::Matches if outcome.report.is_none() => Err(Error::NotYet(format!(
                "the export failed in {} organization(s)",
                outcome.exported.failures.len()
            ))),
            Found::Matches => {
                let answers = platform.access_answers(record, &case)?;
                let message = format!(
                    "{} answers with the data of {} match(es)",
                    answers.len(),
                    outcome.search.matches.len()
                );
                finish(job, record, answers, Outcome::Exported, &message)
            }
        }
    }

    /// The erasure's first step: search, plan, send every deletion (once), `WAITING`.
    async fn erase(&self, job: &JobDir, record: &mut Job, platform: &dyn Platform) -> Result<()> {
        let case = job.case_dir();
        let sent = erase::existing_receipts(&case.join(model::RECEIPT_FILE));
        if record.deletions_begun.len() > sent.len() {
            // A worker stopped while sending a deletion, before its receipt was kept: Velt
            // may or may not have it. Never sent blindly again.
            let users = record.deletions_begun[sent.len()..].join("; ");
            let message = format!(
                "the worker stopped while sending Velt's deletion of user(s) {users}, before Velt's answer was kept: whether Velt started it is unknown, and it is not sent again. Check in Velt, then finish the case with `velt request erase --case {}`.",
                case.display()
            );
            return self.action_required(job, record, platform, &message);
        }
        if !sent.is_empty() {
            // A worker stopped after sending: never send again, wait for what was sent (and
            // say so, if the platform was not told yet).
            record.erasures_planned.get_or_insert(sent.len());
            let message = format!(
                "Velt is deleting the data ({} erasure(s) sent); the result follows once verified",
                sent.len()
            );
            return waiting(job, record, platform, message);
        }
        let prepared = request::prepare_erasure(
            &self.client,
            self.erasure_options(
                job,
                Some(record),
                PollOptions {
                    deadline: Duration::ZERO,
                    ..self.erasure.poll()
                },
            ),
            &self.search_events(job),
        )
        .await;
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(velt_dsr::Error::NobodyFound { .. }) => {
                return finish(
                    job,
                    record,
                    platform.erasure_answers(
                        record,
                        ErasureState::NotFound,
                        "Velt holds nobody with this identifier: nothing to erase",
                    ),
                    Outcome::NotFound,
                    "Velt holds nobody with this identifier",
                );
            }
            Err(e) => return Err(e.into()),
        };
        let plans = prepared.plans().to_vec();
        // The case is released: the deletions below write only their receipts.
        drop(prepared);
        record.erasures_planned = Some(plans.len());
        job.save(record)?;
        let mut incomplete = Vec::new();
        let mut jobs = 0;
        for plan in plans {
            let users = plan.request().user_ids().join(", ");
            let baseline = erase::measure(&self.client, &plan).await?;
            // The intent right before the deletion is sent: a worker killed from here on
            // never sends it again.
            record.deletions_begun.push(users.clone());
            job.save(record)?;
            let outcome = erase::send(&self.client, plan, baseline, EVENTS).await;
            record_receipts(&case, "erasure sent")?;
            let outcome = outcome?;
            jobs += outcome.receipt.jobs.len();
            if let ErasureResult::Incomplete { .. } = outcome.result {
                incomplete.push(users);
            }
        }
        if !incomplete.is_empty() {
            let message = format!(
                "Velt's deletion of user(s) {} was not surely started (not sent, or its outcome unknown); the receipts in the case say which. Check with `velt data delete-status --receipt` and erase again if needed.",
                incomplete.join("; ")
            );
            return self.action_required(job, record, platform, &message);
        }
        let message = format!(
            "Velt is deleting the data ({jobs} deletion job(s)); the result follows once verified"
        );
        waiting(job, record, platform, message)
    }

    /// The erasure's second step: follow every receipt until verified, then the other stores.
    async fn follow(&self, job: &JobDir, record: &mut Job, platform: &dyn Platform) -> Result<()> {
        let case = job.case_dir();
        let receipts = erase::existing_receipts(&case.join(model::RECEIPT_FILE));
        let planned = record.erasures_planned.unwrap_or(receipts.len());
        if receipts.len() < planned {
            let message = format!(
                "only {} of {planned} erasures were sent to Velt before the worker stopped; finish the case with `velt request erase --case {}`",
                receipts.len(),
                case.display()
            );
            return self.action_required(job, record, platform, &message);
        }
        let mut problems = Vec::new();
        for receipt in receipts {
            let outcome = erase::follow(
                &self.client,
                FollowOptions {
                    receipt,
                    wait: true,
                    poll: self.erasure.poll(),
                    verify: Verify {
                        enabled: true,
                        ..Verify::default()
                    },
                },
                EVENTS,
            )
            .await?;
            match &outcome.result {
                ErasureResult::Verified => {}
                ErasureResult::WaitStopped(WaitStop::Failed { .. } | WaitStop::Other { .. }) => {
                    record_receipts(&case, "erasure followed")?;
                    return Err(Error::NotYet(
                        "the wait for Velt's deletion job stopped".into(),
                    ));
                }
                _ => problems.push(describe(&outcome)),
            }
        }
        record_receipts(&case, "erasure followed")?;
        if !problems.is_empty() {
            return self.action_required(job, record, platform, &problems.join(" "));
        }
        let prepared = request::prepare_erasure(
            &self.client,
            self.erasure_options(job, None, self.erasure.poll()),
            EVENTS,
        )
        .await?;
        if !prepared.is_second_pass() {
            // Never a second deletion for one job.
            return self.action_required(
                job,
                record,
                platform,
                "the case's receipts do not all prove the erasure; see the case",
            );
        }
        let outcome = prepared.run(&self.client, EVENTS).await?;
        if outcome.erased {
            let message = format!(
                "erased from Velt in {} organization(s): the GDPR deletion verified by export, and the other stores checked ({})",
                outcome.organizations.len(),
                request::STORES_CHECKED.join(", ")
            );
            let users = outcome.search.matches.len();
            return finish(
                job,
                record,
                platform.erasure_answers(record, ErasureState::Resolved { users }, &message),
                Outcome::Resolved,
                &message,
            );
        }
        let remaining: Vec<String> = outcome
            .store_checks
            .iter()
            .filter(|c| !c.is_gone())
            .map(ToString::to_string)
            .collect();
        let message = format!(
            "the GDPR deletion is verified, but Velt still holds: {}. Delete them (erasure.erase_activities) or record why they are kept (erasure.retain_reason).",
            remaining.join("; ")
        );
        self.action_required(job, record, platform, &message)
    }

    fn action_required(
        &self,
        job: &JobDir,
        record: &mut Job,
        platform: &dyn Platform,
        message: &str,
    ) -> Result<()> {
        finish(
            job,
            record,
            platform.erasure_answers(record, ErasureState::ActionRequired, message),
            Outcome::ActionRequired,
            message,
        )
    }

    fn erasure_options(
        &self,
        job: &JobDir,
        record: Option<&Job>,
        poll: PollOptions,
    ) -> ErasureRequestOptions {
        ErasureRequestOptions {
            case: job.case_dir(),
            subject: record.map(|r| r.subject.clone()),
            organization_ids: Vec::new(),
            concurrency: self.concurrency,
            received: record.map(|r| r.received_at.date_naive()),
            poll,
            stores: StoreErasure {
                erase_activities: self.erasure.erase_activities,
                retain_reason: self.erasure.retain_reason.clone(),
            },
        }
    }
}

/// The erasure sent: `WAITING` into the outbox (unless the platform was told already, by a
/// worker that stopped after), and the job to waiting.
fn waiting(job: &JobDir, record: &mut Job, platform: &dyn Platform, message: String) -> Result<()> {
    if outbox::entries(job)?.is_empty() {
        outbox::push(
            job,
            platform.erasure_answers(record, ErasureState::Waiting, &message),
        )?;
        record.message = Some(message);
    }
    record.stage = Stage::Waiting;
    job.save(record)
}

/// The last answers into the outbox, and the job to reporting.
fn finish(
    job: &JobDir,
    record: &mut Job,
    answers: Vec<Answer>,
    outcome: Outcome,
    message: &str,
) -> Result<()> {
    outbox::push(job, answers)?;
    record.outcome = Some(outcome);
    record.message = Some(message.to_owned());
    record.stage = Stage::Reporting;
    job.save(record)
}

/// Records every receipt of the case in `case.json` (their hashes as they are now), the case
/// being erased; nothing without a receipt.
fn record_receipts(case_dir: &std::path::Path, step: &str) -> Result<()> {
    let mut case = CaseFolder::open(case_dir)?;
    if erase::existing_receipts(&case.receipt_path()).is_empty() {
        return Ok(());
    }
    if case.case().status != velt_case::Status::Erasing {
        case.set_status(velt_case::Status::Erasing)?;
    }
    let receipts = request::record_receipts(&mut case, 1)?;
    case.log(step, serde_json::json!({ "receipts": receipts.len() }))?;
    Ok(())
}

/// An erasure that did not end verified, in words.
fn describe(outcome: &ErasureOutcome) -> String {
    let users = outcome.receipt.user_ids().collect::<Vec<_>>().join(", ");
    match &outcome.result {
        ErasureResult::DataRemains => {
            let places: Vec<String> = outcome
                .remaining()
                .iter()
                .map(|c| format!("user {} in organization {}", c.user_id, c.organization_id))
                .collect();
            format!(
                "data remains in Velt after its deletion completed: {}.",
                places.join(", ")
            )
        }
        ErasureResult::NothingToProve => format!(
            "the erasure of {users} cannot be proved: in some organization the user held nothing before."
        ),
        ErasureResult::WaitStopped(stop) => {
            format!("Velt's deletion of {users} did not complete in time ({stop:?}).")
        }
        other => format!("the erasure of {users} did not end verified ({other:?})."),
    }
}
