//! The one poller of deletion jobs: [`Poller::poll`] for one event at a time and
//! [`Poller::until_done`] to wait to the end, in the manner of google-cloud-rust's `lro`.

use std::{collections::VecDeque, fmt, sync::Arc, time::Duration};

use futures::future::BoxFuture;
use tokio::time::Instant;

use crate::{
    deletion::request::{self, DeletionStatus},
    error::{Error, Result},
    retry::Backoff,
    transport::context::Transport,
};

/// How a [`Poller`] polls.
///
/// Waits between status calls start at `first_interval` and grow by
/// [`Backoff::POLL_FACTOR`] up to `max_interval`; waits after a failed status call start at
/// `first_interval` and grow by [`Backoff::RETRY_FACTOR`] (or follow the server's
/// `Retry-After`), with jitter.
///
/// These are the one set of polling intervals of the project: the CLI and the request
/// operations (`velt-dsr`) wait with [`PollOptions::default`] and change only the deadline.
/// Why these values:
/// - **2 seconds first.** A deletion scoped to one organization is one task at Velt, which can
///   be done in seconds: an operator waiting on one person should not wait a minute for it.
/// - **Growing by half, up to 60 seconds.** Velt says a deletion can take up to 24 hours and
///   publishes no rate limit for the status call: after a few minutes, a minute's delay in
///   noticing completion costs nothing, and a day-long job makes between about 1,450 and
///   2,900 status calls (each wait is jittered in its upper half), against 43,200 at a fixed
///   2 seconds.
/// - **A 24-hour deadline.** The time Velt gives; a caller that cannot wait that long sets
///   its own and resumes later from the receipt.
#[derive(Clone, Debug, PartialEq)]
pub struct PollOptions {
    /// Stop with [`WaitOutcome::DeadlinePassed`] after this long; default 24 hours, the time
    /// Velt says a deletion can take. Transient failures are ridden out until then.
    pub deadline: Duration,
    /// Wait before the second status call, and before the first retry after a transient
    /// failure; default 2 seconds.
    pub first_interval: Duration,
    /// The longest wait between status calls; default 60 seconds.
    pub max_interval: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            deadline: Duration::from_secs(24 * 60 * 60),
            first_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(60),
        }
    }
}

impl PollOptions {
    /// Options with this deadline and the default intervals.
    pub fn with_deadline(deadline: Duration) -> Self {
        PollOptions {
            deadline,
            ..PollOptions::default()
        }
    }

    /// The waits between status calls of a running job.
    pub fn status_backoff(&self) -> Backoff {
        Backoff::new(self.first_interval, self.max_interval, Backoff::POLL_FACTOR)
    }

    /// The waits after failed status calls.
    pub fn failure_backoff(&self) -> Backoff {
        Backoff::new(
            self.first_interval,
            self.max_interval,
            Backoff::RETRY_FACTOR,
        )
    }
}

/// What a [`Poller`] reports while it goes on. Every event is reported: none is dropped.
#[derive(Debug)]
#[non_exhaustive]
pub enum PollEvent {
    /// A status Velt answered; the last one says completed.
    Status(DeletionStatus),
    /// A status call failed with a transient error (network, timeout, 5xx, 429, UNAVAILABLE
    /// and the like, after the client's own retries); the polling goes on.
    Retrying {
        /// What failed.
        error: Error,
        /// Failures in a row so far, this one included.
        attempt: u32,
        /// How long until the next status call.
        next_in: Duration,
        /// How long the polling has lasted so far.
        waited: Duration,
    },
    /// Something odd in Velt's answer, naming the field and the value (also kept in the
    /// status's `warnings`).
    Warning(String),
    /// The deadline passed while the job was still running; the polling ends.
    DeadlinePassed {
        /// How long the polling lasted.
        waited: Duration,
        /// Tasks left at the last status seen.
        tasks_left: Option<i64>,
    },
}

/// How a wait for a deletion job ended, when no call failed for good.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitOutcome {
    /// Velt says the job is complete.
    Completed(DeletionStatus),
    /// The deadline passed while the job was still running: wait again later, with its job id.
    DeadlinePassed {
        /// The job waited for.
        job_id: String,
        /// How long the wait lasted.
        waited: Duration,
        /// Tasks left at the last status seen.
        tasks_left: Option<i64>,
    },
}

impl WaitOutcome {
    /// The final status, when the job completed.
    pub fn completed(&self) -> Option<&DeletionStatus> {
        match self {
            WaitOutcome::Completed(status) => Some(status),
            WaitOutcome::DeadlinePassed { .. } => None,
        }
    }
}

impl fmt::Display for WaitOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitOutcome::Completed(_) => f.write_str("deletion complete"),
            WaitOutcome::DeadlinePassed {
                job_id,
                waited,
                tasks_left,
            } => write!(
                f,
                "deletion job {job_id} still running after {}s ({} tasks left); wait again or check later with its job id",
                waited.as_secs(),
                tasks_left.map_or_else(|| "unknown".to_owned(), |n| n.to_string())
            ),
        }
    }
}

type Fetch = Box<dyn FnMut() -> BoxFuture<'static, Result<DeletionStatus>> + Send>;

/// The polling of one deletion job, made by [`crate::Client::poll_deletion`]: statuses until it
/// completes, transient failures ridden out with backoff until the deadline, permanent ones
/// (credentials, NOT_FOUND, INVALID_ARGUMENT, an answer that cannot be decoded) returned at
/// once. Nothing is sent until it is polled.
///
/// ```no_run
/// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
/// use velt_api::deletion::{PollEvent, PollOptions};
///
/// let mut poller = client.poll_deletion("job-1", PollOptions::default());
/// while let Some(event) = poller.poll().await {
///     match event? {
///         PollEvent::Status(status) => println!("{:?} tasks left", status.tasks_left),
///         PollEvent::Retrying { error, next_in, .. } => eprintln!("{error}; again in {next_in:?}"),
///         other => eprintln!("{other:?}"),
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Poller {
    fetch: Fetch,
    job_id: String,
    options: PollOptions,
    started: Instant,
    polls: u32,
    failures: u32,
    next_wait: Option<Duration>,
    done: bool,
    last_tasks_left: Option<i64>,
    pending: VecDeque<PollEvent>,
}

impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("job_id", &self.job_id)
            .field("options", &self.options)
            .field("polls", &self.polls)
            .field("done", &self.done)
            .finish()
    }
}

/// The one polling-error policy: a failed status call that may succeed when sent again
/// ([`Error::is_retryable`]) is ridden out; any other ends the polling.
fn rides_out(error: &Error) -> bool {
    error.is_retryable()
}

impl Poller {
    pub(crate) fn new(transport: Arc<Transport>, job_id: String, options: PollOptions) -> Poller {
        let id = job_id.clone();
        Poller::with_fetch(
            job_id,
            options,
            Box::new(move || {
                let transport = Arc::clone(&transport);
                let id = id.clone();
                Box::pin(async move { request::status(&transport, &id).await })
            }),
        )
    }

    fn with_fetch(job_id: String, options: PollOptions, fetch: Fetch) -> Poller {
        Poller {
            fetch,
            job_id,
            options,
            started: Instant::now(),
            polls: 0,
            failures: 0,
            next_wait: None,
            done: false,
            last_tasks_left: None,
            pending: VecDeque::new(),
        }
    }

    /// The job polled.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    fn deadline_passed(&mut self) -> PollEvent {
        self.done = true;
        PollEvent::DeadlinePassed {
            waited: self.started.elapsed(),
            tasks_left: self.last_tasks_left,
        }
    }

    /// The next event; `None` once the job completed, the deadline passed or a call failed
    /// for good (that failure is the last item, as an `Err`).
    pub async fn poll(&mut self) -> Option<Result<PollEvent>> {
        if let Some(event) = self.pending.pop_front() {
            return Some(Ok(event));
        }
        if self.done {
            return None;
        }
        if let Some(wait) = self.next_wait.take() {
            let remaining = self.options.deadline.saturating_sub(self.started.elapsed());
            if remaining.is_zero() {
                return Some(Ok(self.deadline_passed()));
            }
            tokio::time::sleep(wait.min(remaining)).await;
        }
        match (self.fetch)().await {
            Ok(status) => {
                self.polls += 1;
                self.failures = 0;
                self.done = status.completed;
                self.last_tasks_left = status.tasks_left;
                self.next_wait = Some(self.options.status_backoff().delay(self.polls));
                tracing::debug!(job_id = %self.job_id, completed = status.completed, tasks_left = ?status.tasks_left, "deletion status");
                self.pending
                    .extend(status.warnings.iter().cloned().map(PollEvent::Warning));
                Some(Ok(PollEvent::Status(status)))
            }
            Err(error) if rides_out(&error) => {
                self.failures += 1;
                let waited = self.started.elapsed();
                let remaining = self.options.deadline.saturating_sub(waited);
                if remaining.is_zero() {
                    return Some(Ok(self.deadline_passed()));
                }
                let next_in = error
                    .retry_after()
                    .unwrap_or_else(|| self.options.failure_backoff().delay(self.failures))
                    .min(remaining);
                tracing::warn!(job_id = %self.job_id, %error, attempt = self.failures, next_in_ms = next_in.as_millis() as u64, "deletion status failed; waiting on");
                self.next_wait = Some(next_in);
                Some(Ok(PollEvent::Retrying {
                    error,
                    attempt: self.failures,
                    next_in,
                    waited,
                }))
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }

    /// Polls to the end, handing every event to `on_event`: the final status, or
    /// [`WaitOutcome::DeadlinePassed`] with the time really waited, or the failure that
    /// stopped it.
    pub async fn until_done(mut self, mut on_event: impl FnMut(&PollEvent)) -> Result<WaitOutcome> {
        let mut last: Option<DeletionStatus> = None;
        while let Some(event) = self.poll().await {
            let event = event?;
            on_event(&event);
            match event {
                PollEvent::Status(status) => last = Some(status),
                PollEvent::DeadlinePassed { waited, tasks_left } => {
                    return Ok(WaitOutcome::DeadlinePassed {
                        job_id: self.job_id,
                        waited,
                        tasks_left,
                    });
                }
                PollEvent::Retrying { .. } | PollEvent::Warning(_) => {}
            }
        }
        match last {
            Some(status) if status.completed => Ok(WaitOutcome::Completed(status)),
            // `poll` ends only after a completed status, a passed deadline or an error.
            _ => Ok(WaitOutcome::DeadlinePassed {
                job_id: self.job_id,
                waited: self.started.elapsed(),
                tasks_left: self.last_tasks_left,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Operation,
        error::{ApiStatus, Repr},
    };

    fn status(completed: bool, left: i64) -> DeletionStatus {
        DeletionStatus {
            completed,
            tasks_left: Some(left),
            last_task_completed_at: None,
            warnings: Vec::new(),
        }
    }

    fn api_error(http_status: reqwest::StatusCode, status: ApiStatus) -> Error {
        Repr::Api {
            operation: Operation::GetDeleteAllUserDataStatus,
            http_status,
            status,
            code: None,
            message: "from the test".into(),
            details: None,
            retry_after: None,
        }
        .into()
    }

    fn unavailable() -> Error {
        api_error(
            reqwest::StatusCode::SERVICE_UNAVAILABLE,
            ApiStatus::Unavailable,
        )
    }

    /// A poller whose status calls answer from `script`, in order, the last one forever; it
    /// counts the calls in `calls`.
    fn scripted(
        options: PollOptions,
        script: Vec<Result<DeletionStatus, Error>>,
        calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) -> Poller {
        let mut script = std::collections::VecDeque::from(script);
        Poller::with_fetch(
            "job-1".into(),
            options,
            Box::new(move || {
                calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let next = if script.len() > 1 {
                    script.pop_front()
                } else {
                    script.front().map(|r| match r {
                        Ok(s) => Ok(s.clone()),
                        Err(_) => Err(unavailable()),
                    })
                };
                Box::pin(std::future::ready(
                    next.unwrap_or_else(|| Err(unavailable())),
                ))
            }),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_rides_out_a_three_hour_outage_and_ends_in_success() {
        let hours = |h: u64| Duration::from_secs(h * 3600);
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // One status, then the status calls fail for three hours, then the job is done.
        let started = Instant::now();
        let outage_ends = started + hours(3);
        let fetch_calls = calls.clone();
        let mut first = true;
        let poller = Poller::with_fetch(
            "job-1".into(),
            PollOptions::default(),
            Box::new(move || {
                fetch_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let answer = if std::mem::take(&mut first) {
                    Ok(status(false, 2))
                } else if Instant::now() < outage_ends {
                    Err(unavailable())
                } else {
                    Ok(status(true, 0))
                };
                Box::pin(std::future::ready(answer))
            }),
        );
        let mut retries = Vec::new();
        let mut statuses = Vec::new();
        let done = poller
            .until_done(|event| match event {
                PollEvent::Status(s) => statuses.push(s.completed),
                PollEvent::Retrying {
                    attempt, next_in, ..
                } => retries.push((*attempt, *next_in)),
                _ => {}
            })
            .await
            .expect("the wait survives the outage");
        assert!(done.completed().is_some_and(|s| s.completed));
        assert_eq!(statuses, [false, true]);
        let waited = started.elapsed();
        assert!(
            waited >= hours(3) && waited < hours(3) + Duration::from_secs(61),
            "{waited:?}"
        );
        // Every failure was reported, with backoff capped at the 60 s maximum interval.
        assert!(retries.len() > 150, "{} retries", retries.len());
        assert_eq!(
            retries.len() + 2,
            calls.load(std::sync::atomic::Ordering::SeqCst)
        );
        assert!(
            retries
                .iter()
                .all(|(_, next_in)| *next_in <= Duration::from_secs(60))
        );
        let attempts: Vec<u32> = retries.iter().map(|(a, _)| *a).collect();
        assert_eq!(attempts[..3], [1, 2, 3], "failures in a row are counted");
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_stops_the_wait_at_once() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let not_found = api_error(reqwest::StatusCode::NOT_FOUND, ApiStatus::NotFound);
        let started = Instant::now();
        let poller = scripted(
            PollOptions::default(),
            vec![Ok(status(false, 1)), Err(not_found), Ok(status(true, 0))],
            calls.clone(),
        );
        let mut retried = false;
        let err = poller
            .until_done(|event| retried |= matches!(event, PollEvent::Retrying { .. }))
            .await
            .unwrap_err();
        assert_eq!(err.api_status(), Some(&ApiStatus::NotFound), "{err}");
        assert!(!retried);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(
            started.elapsed() <= Duration::from_secs(2),
            "stopped after one interval"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_passed_deadline_reports_the_time_really_waited() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let options = PollOptions {
            deadline: Duration::from_secs(600),
            ..PollOptions::default()
        };
        // Running, then down until the end: the deadline passes during the outage.
        let poller = scripted(
            options,
            vec![Ok(status(false, 4)), Err(unavailable())],
            calls,
        );
        let err = poller.until_done(|_| {}).await.unwrap();
        match err {
            WaitOutcome::DeadlinePassed {
                waited, tasks_left, ..
            } => {
                assert_eq!(waited, Duration::from_secs(600));
                assert_eq!(tasks_left, Some(4));
            }
            other => panic!("{other:?}"),
        }
        // Still running at the deadline: the same, after a last status call at the deadline.
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let options = PollOptions {
            deadline: Duration::from_secs(100),
            ..PollOptions::default()
        };
        let poller = scripted(options, vec![Ok(status(false, 3))], calls);
        let err = poller.until_done(|_| {}).await.unwrap();
        assert!(
            matches!(err, WaitOutcome::DeadlinePassed { waited, tasks_left: Some(3), .. } if waited == Duration::from_secs(100)),
            "{err:?}"
        );
        assert!(err.to_string().contains("after 100s"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_followed_within_the_deadline() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let slow_down: Error = Repr::Http {
            operation: Operation::GetDeleteAllUserDataStatus,
            http_status: reqwest::StatusCode::TOO_MANY_REQUESTS,
            body: String::new(),
            retry_after: Some(Duration::from_secs(300)),
        }
        .into();
        let poller = scripted(
            PollOptions::default(),
            vec![Err(slow_down), Ok(status(true, 0))],
            calls,
        );
        let mut waits = Vec::new();
        let started = Instant::now();
        poller
            .until_done(|event| {
                if let PollEvent::Retrying { next_in, .. } = event {
                    waits.push(*next_in)
                }
            })
            .await
            .unwrap();
        assert_eq!(waits, [Duration::from_secs(300)]);
        assert_eq!(started.elapsed(), Duration::from_secs(300));
    }

    #[tokio::test(start_paused = true)]
    async fn poll_reports_every_event_retries_and_warnings_included() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut odd = status(true, 0);
        odd.warnings.push("odd".into());
        let mut poller = scripted(
            PollOptions::default(),
            vec![Ok(status(false, 1)), Err(unavailable()), Ok(odd)],
            calls,
        );
        let mut kinds = Vec::new();
        while let Some(event) = poller.poll().await {
            kinds.push(match event.unwrap() {
                PollEvent::Status(s) if s.completed => "done",
                PollEvent::Status(_) => "status",
                PollEvent::Retrying { .. } => "retrying",
                PollEvent::Warning(_) => "warning",
                PollEvent::DeadlinePassed { .. } => "deadline",
            });
        }
        assert_eq!(kinds, ["status", "retrying", "done", "warning"]);
    }
}
