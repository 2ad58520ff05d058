//! Delete All User Data and its status: start deletion jobs, look at them, wait for them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{future::BoxFuture, stream};
use serde::Serialize;
use tokio::time::Instant;

use crate::{
    Client, Error, Operation, backoff::Backoff, export::BoxStream, types, users::require_id,
};

/// Velt keeps only the first 30 user ids of a delete request (and still answers success), so
/// the client sends at most this many per request.
pub const MAX_USERS_PER_DELETE: usize = 30;

/// Where a deletion applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeletionScope {
    /// Every organization of the workspace: the users' data is erased wherever it is. This is
    /// what Velt does when a delete request names no organization.
    AllOrganizations,
    /// Only these organizations (the users' own organizations, usually). Faster on Velt's side:
    /// one task per organization.
    Organizations(Vec<String>),
}

/// What to delete: the users, and where.
///
/// ```
/// use velt_api::{DeleteRequest, DeletionScope};
///
/// // Erase user-42 in the one organization it belongs to.
/// let request = DeleteRequest::new(["user-42"], DeletionScope::Organizations(vec!["org-1".into()]));
/// // Erase two users everywhere in the workspace.
/// let everywhere = DeleteRequest::new(["user-1", "user-2"], DeletionScope::AllOrganizations);
/// # let _ = (request, everywhere);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteRequest {
    user_ids: Vec<String>,
    scope: DeletionScope,
}

impl DeleteRequest {
    /// Deletes `user_ids` within `scope`. Any number of users: more than 30 are sent in
    /// batches, one job per batch. Repeated ids are sent once.
    pub fn new<I, S>(user_ids: I, scope: DeletionScope) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut seen = std::collections::HashSet::new();
        let user_ids = user_ids
            .into_iter()
            .map(Into::into)
            .filter(|id: &String| seen.insert(id.clone()))
            .collect();
        DeleteRequest { user_ids, scope }
    }

    /// The users to delete, without repeats.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }

    /// Where the deletion applies.
    pub fn scope(&self) -> &DeletionScope {
        &self.scope
    }

    /// The request bodies, at most 30 users each, or why nothing may be sent.
    fn batches(&self) -> Result<Vec<types::DeleteAllUserDataRequest>, Error> {
        let invalid = |message: String| Error::InvalidInput {
            operation: Operation::DeleteAllUserData,
            message,
        };
        if self.user_ids.is_empty() {
            return Err(invalid(
                "no user ids given; name at least one user to delete".into(),
            ));
        }
        for id in &self.user_ids {
            require_id("user id", id).map_err(invalid)?;
        }
        let organization_ids = match &self.scope {
            DeletionScope::AllOrganizations => Vec::new(),
            DeletionScope::Organizations(ids) if ids.is_empty() => {
                return Err(invalid(
                    "the organization list is empty; name the organizations, or use DeletionScope::AllOrganizations to delete everywhere".into(),
                ));
            }
            DeletionScope::Organizations(ids) => {
                for id in ids {
                    require_id("organization id", id).map_err(invalid)?;
                }
                ids.clone()
            }
        };
        // Built through the generated builders, so that a new optional field in the spec
        // changes nothing here.
        self.user_ids
            .chunks(MAX_USERS_PER_DELETE)
            .map(|chunk| {
                let data = types::DeleteAllUserDataRequestData::builder()
                    .user_ids(chunk.to_vec())
                    .organization_ids(organization_ids.clone());
                types::DeleteAllUserDataRequest::builder()
                    .data(data)
                    .try_into()
                    .map_err(|e: types::error::ConversionError| invalid(e.to_string()))
            })
            .collect()
    }
}

/// A deletion job Velt has started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeletionJob {
    /// The job's id, for [`Client::deletion_status`].
    pub job_id: String,
    /// How many tasks Velt split the job into, when it said (a negative count is dropped
    /// with a warning in `warnings`).
    pub tasks_count: Option<i64>,
    /// The users this job deletes.
    pub user_ids: Vec<String>,
    /// When Velt answered that the job had started.
    pub started_at: DateTime<Utc>,
    /// What was odd in Velt's answer (each names the field and the value); empty normally.
    pub warnings: Vec<String>,
}

/// How far a deletion job has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeletionStatus {
    /// True once every task has finished: the data is gone. This is Velt's
    /// `isDeleteCompleted`, trusted even when `tasksLeft` contradicts it (then `warnings`
    /// says so).
    pub completed: bool,
    /// Tasks still to run, when Velt said.
    pub tasks_left: Option<i64>,
    /// When the last task finished, when one has.
    pub last_task_completed_at: Option<DateTime<Utc>>,
    /// Contradictions in Velt's answer (each names the fields and values); empty normally.
    pub warnings: Vec<String>,
}

impl TryFrom<types::DeletionStatus> for DeletionStatus {
    type Error = Error;

    /// Checks Velt's answer: a negative `tasksLeft` or a `lastTaskCompletedTime` outside the
    /// dates chrono can represent is a [`Error::Decode`] naming the field and the value (never
    /// a silent `None`); `isDeleteCompleted: true` with tasks left is kept, with a warning.
    fn try_from(status: types::DeletionStatus) -> Result<Self, Error> {
        let decode = |reason: String| Error::Decode {
            operation: Operation::GetDeleteAllUserDataStatus,
            http_status: reqwest::StatusCode::OK,
            reason,
            body: serde_json::to_string(&status).unwrap_or_default(),
        };
        if let Some(left) = status.tasks_left
            && left < 0
        {
            return Err(decode(format!(
                "tasksLeft is {left}; a count of tasks cannot be negative"
            )));
        }
        let last_task_completed_at = match status.last_task_completed_time {
            None => None,
            Some(ms) => Some(DateTime::from_timestamp_millis(ms).ok_or_else(|| {
                decode(format!(
                    "lastTaskCompletedTime is {ms}, outside the representable dates (milliseconds since 1970)"
                ))
            })?),
        };
        let mut warnings = Vec::new();
        if status.is_delete_completed
            && let Some(left) = status.tasks_left.filter(|&left| left > 0)
        {
            warnings.push(format!(
                "Velt says isDeleteCompleted: true with tasksLeft: {left}; taken as completed, verify the erasure"
            ));
        }
        for warning in &warnings {
            tracing::warn!("deletion status: {warning}");
        }
        Ok(DeletionStatus {
            completed: status.is_delete_completed,
            tasks_left: status.tasks_left,
            last_task_completed_at,
            warnings,
        })
    }
}

/// How [`Client::wait_for_deletion`] polls.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitOptions {
    /// Give up with [`Error::DeadlinePassed`] after this long; default 24 hours, the time Velt
    /// says a deletion can take. Transient failures are ridden out until then.
    pub deadline: Duration,
    /// Wait before the second status call, and before the first retry after a transient
    /// failure; default 2 seconds.
    pub first_interval: Duration,
    /// The longest wait between status calls; default 60 seconds. Waits between polls grow
    /// by half each time from `first_interval` up to this (with jitter); waits after
    /// failures double (or follow the server's `Retry-After`).
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            deadline: Duration::from_secs(24 * 60 * 60),
            first_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(60),
        }
    }
}

impl WaitOptions {
    fn backoff(&self, factor: f64) -> Backoff {
        Backoff {
            initial: self.first_interval,
            max: self.max_interval,
            factor,
        }
    }
}

/// What a wait reports while it goes on.
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitEvent<'a> {
    /// A status Velt answered.
    Status(&'a DeletionStatus),
    /// A status call failed with a transient error (network, timeout, 5xx, 429, UNAVAILABLE
    /// and the like, after the client's own retries); the wait goes on.
    Retrying {
        /// What failed.
        error: &'a Error,
        /// Failures in a row so far, this one included.
        attempt: u32,
        /// How long until the next status call.
        next_in: Duration,
        /// How long the wait has lasted so far.
        waited: Duration,
    },
}

/// The polling of one job: statuses until it completes, transient failures ridden out with
/// backoff until the deadline, permanent ones returned at once. Serves both
/// [`Client::watch_deletion`] and [`Client::wait_for_deletion`].
struct Poller<F> {
    fetch: F,
    job_id: String,
    options: WaitOptions,
    started: Instant,
    polls: u32,
    failures: u32,
    next_wait: Option<Duration>,
    done: bool,
    last_tasks_left: Option<i64>,
}

impl<F, Fut> Poller<F>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<DeletionStatus, Error>>,
{
    fn new(job_id: String, options: WaitOptions, fetch: F) -> Self {
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
        }
    }

    fn deadline_passed(&mut self) -> Error {
        self.done = true;
        Error::DeadlinePassed {
            job_id: self.job_id.clone(),
            waited: self.started.elapsed(),
            tasks_left: self.last_tasks_left,
        }
    }

    /// The next status, `None` after the one that says completed or after an error.
    async fn next<E: FnMut(WaitEvent<'_>)>(
        &mut self,
        on_event: &mut E,
    ) -> Option<Result<DeletionStatus, Error>> {
        if self.done {
            return None;
        }
        loop {
            if let Some(wait) = self.next_wait.take() {
                let remaining = self.options.deadline.saturating_sub(self.started.elapsed());
                if remaining.is_zero() {
                    return Some(Err(self.deadline_passed()));
                }
                tokio::time::sleep(wait.min(remaining)).await;
            }
            match (self.fetch)().await {
                Ok(status) => {
                    self.polls += 1;
                    self.failures = 0;
                    self.done = status.completed;
                    self.last_tasks_left = status.tasks_left;
                    self.next_wait = Some(self.options.backoff(1.5).delay(self.polls));
                    tracing::debug!(job_id = %self.job_id, completed = status.completed, tasks_left = ?status.tasks_left, "deletion status");
                    return Some(Ok(status));
                }
                Err(error) if error.is_retryable() => {
                    self.failures += 1;
                    let waited = self.started.elapsed();
                    let remaining = self.options.deadline.saturating_sub(waited);
                    if remaining.is_zero() {
                        return Some(Err(self.deadline_passed()));
                    }
                    let next_in = error
                        .retry_after()
                        .unwrap_or_else(|| self.options.backoff(2.0).delay(self.failures))
                        .min(remaining);
                    tracing::warn!(job_id = %self.job_id, %error, attempt = self.failures, next_in_ms = next_in.as_millis() as u64, "deletion status failed; waiting on");
                    on_event(WaitEvent::Retrying {
                        error: &error,
                        attempt: self.failures,
                        next_in,
                        waited,
                    });
                    self.next_wait = Some(next_in);
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
    }

    /// Polls to the end: the final status, or the error that stopped the wait.
    async fn finish<E: FnMut(WaitEvent<'_>)>(
        mut self,
        mut on_event: E,
    ) -> Result<DeletionStatus, Error> {
        loop {
            match self.next(&mut on_event).await {
                Some(Ok(status)) if status.completed => {
                    on_event(WaitEvent::Status(&status));
                    return Ok(status);
                }
                Some(Ok(status)) => on_event(WaitEvent::Status(&status)),
                Some(Err(error)) => return Err(error),
                // `next` ends only after a completed status or an error, both returned above.
                None => return Err(self.deadline_passed()),
            }
        }
    }
}

impl Client {
    /// Delete All User Data: starts the deletion of every user in `request`, in batches of at
    /// most 30 users, one job per batch. Returns the jobs; follow them with
    /// [`Client::wait_for_deletion`].
    ///
    /// The request is checked before anything is sent. The call may take minutes (Velt says
    /// up to five). It is retried only when the request never left this machine, unless the
    /// [`crate::RetryPolicy`] says otherwise. When a batch fails after earlier batches got
    /// through, the error is [`Error::DeletionIncomplete`], which lists the jobs started and
    /// the users not sent.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> Result<(), velt_api::Error> {
    /// use velt_api::{DeleteRequest, DeletionScope, WaitEvent, WaitOptions};
    ///
    /// let request = DeleteRequest::new(["user-42"], DeletionScope::Organizations(vec!["org-1".into()]));
    /// for job in client.delete_user_data(&request).await? {
    ///     let status = client
    ///         .wait_for_deletion(&job.job_id, WaitOptions::default(), |event| match event {
    ///             WaitEvent::Status(s) => eprintln!("{} tasks left", s.tasks_left.unwrap_or(0)),
    ///             WaitEvent::Retrying { error, next_in, .. } => {
    ///                 eprintln!("{error}; trying again in {next_in:?}")
    ///             }
    ///             _ => {}
    ///         })
    ///         .await?;
    ///     assert!(status.completed);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_user_data(
        &self,
        request: &DeleteRequest,
    ) -> Result<Vec<DeletionJob>, Error> {
        let batches = request.batches()?;
        let mut started: Vec<DeletionJob> = Vec::with_capacity(batches.len());
        for (index, body) in batches.into_iter().enumerate() {
            let user_ids = body.data.user_ids.clone();
            let result = self
                .call(Operation::DeleteAllUserData, |client| {
                    let body = body.clone();
                    async move { client.delete_all_user_data().body(body).send().await }
                })
                .await;
            match result {
                Ok(response) => started.push(job_from(response.data, user_ids)),
                Err(error) if started.is_empty() => return Err(error),
                Err(error) => {
                    return Err(Error::DeletionIncomplete {
                        started,
                        unsent_user_ids: request.user_ids[index * MAX_USERS_PER_DELETE..].to_vec(),
                        source: Box::new(error),
                    });
                }
            }
        }
        Ok(started)
    }

    /// Get Delete All User Data Status: how far the job `job_id` has got. An answer with a
    /// negative `tasksLeft` or an impossible `lastTaskCompletedTime` is an [`Error::Decode`]
    /// that names the field and the value.
    pub async fn deletion_status(&self, job_id: &str) -> Result<DeletionStatus, Error> {
        require_id("job id", job_id).map_err(|message| Error::InvalidInput {
            operation: Operation::GetDeleteAllUserDataStatus,
            message,
        })?;
        let body = types::GetDeleteAllUserDataStatusRequest::builder()
            .data(types::GetDeleteAllUserDataStatusRequestData::builder().job_id(job_id));
        let response = self
            .call(Operation::GetDeleteAllUserDataStatus, |client| {
                let body = body.clone();
                async move {
                    client
                        .get_delete_all_user_data_status()
                        .body(body)
                        .send()
                        .await
                }
            })
            .await?;
        response.result.data.try_into()
    }

    /// The statuses of job `job_id`, polled with growing intervals: the first at once, the
    /// last the one that says completed. Transient failures are logged and ridden out until
    /// the deadline, as in [`Client::wait_for_deletion`]; a permanent failure ends the stream
    /// with that error, a passed deadline with [`Error::DeadlinePassed`]. Dropping the stream
    /// stops the polling.
    pub fn watch_deletion(
        &self,
        job_id: impl Into<String>,
        options: WaitOptions,
    ) -> BoxStream<DeletionStatus> {
        let poller = self.poller(job_id.into(), options);
        Box::pin(stream::unfold(poller, |mut poller| async move {
            let next = poller.next(&mut |_| {}).await?;
            Some((next, poller))
        }))
    }

    /// Polls job `job_id` until it completes and returns the final status. `on_event` hears
    /// every status seen and every transient failure ridden out (network, timeouts, 5xx,
    /// 429, UNAVAILABLE and Velt's other retryable statuses, see [`Error::is_retryable`]),
    /// which the wait survives, with backoff, for as long as `options.deadline` allows.
    /// Permanent failures (credentials, NOT_FOUND, INVALID_ARGUMENT, an answer that cannot
    /// be decoded) end the wait at once. A passed deadline is [`Error::DeadlinePassed`] with
    /// the time really waited.
    pub async fn wait_for_deletion(
        &self,
        job_id: &str,
        options: WaitOptions,
        on_event: impl FnMut(WaitEvent<'_>),
    ) -> Result<DeletionStatus, Error> {
        self.poller(job_id.to_owned(), options)
            .finish(on_event)
            .await
    }

    fn poller(
        &self,
        job_id: String,
        options: WaitOptions,
    ) -> Poller<impl FnMut() -> BoxFuture<'static, Result<DeletionStatus, Error>> + use<>> {
        let client = self.clone();
        let id = job_id.clone();
        Poller::new(job_id, options, move || {
            let client = client.clone();
            let id = id.clone();
            Box::pin(async move { client.deletion_status(&id).await })
                as BoxFuture<'static, Result<DeletionStatus, Error>>
        })
    }
}

/// A started job from Velt's answer; a negative `tasksCount` is dropped with a warning.
fn job_from(data: types::DeletionJob, user_ids: Vec<String>) -> DeletionJob {
    let mut warnings = Vec::new();
    let tasks_count = match data.tasks_count {
        Some(count) if count < 0 => {
            let warning = format!(
                "Velt answered tasksCount: {count} for job {}; a count cannot be negative, so it is not recorded",
                data.job_id
            );
            tracing::warn!("{warning}");
            warnings.push(warning);
            None
        }
        other => other,
    };
    DeletionJob {
        job_id: data.job_id,
        tasks_count,
        user_ids,
        started_at: Utc::now(),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_thirty_users_go_in_batches() {
        let ids: Vec<String> = (0..65).map(|i| format!("u{i}")).collect();
        let batches = DeleteRequest::new(ids.clone(), DeletionScope::AllOrganizations)
            .batches()
            .unwrap();
        let sizes: Vec<usize> = batches.iter().map(|b| b.data.user_ids.len()).collect();
        assert_eq!(sizes, [30, 30, 5]);
        let sent: Vec<String> = batches.into_iter().flat_map(|b| b.data.user_ids).collect();
        assert_eq!(sent, ids);
    }

    #[test]
    fn scope_is_explicit_and_checked() {
        let all = DeleteRequest::new(["u"], DeletionScope::AllOrganizations)
            .batches()
            .unwrap();
        assert!(all[0].data.organization_ids.is_empty());
        let some = DeleteRequest::new(["u"], DeletionScope::Organizations(vec!["o".into()]))
            .batches()
            .unwrap();
        assert_eq!(some[0].data.organization_ids, ["o"]);
        let err = DeleteRequest::new(["u"], DeletionScope::Organizations(vec![]))
            .batches()
            .unwrap_err();
        assert!(err.to_string().contains("AllOrganizations"), "{err}");
        let none: [&str; 0] = [];
        assert!(
            DeleteRequest::new(none, DeletionScope::AllOrganizations)
                .batches()
                .is_err()
        );
        assert!(
            DeleteRequest::new([""], DeletionScope::AllOrganizations)
                .batches()
                .is_err()
        );
    }

    #[test]
    fn repeated_ids_are_sent_once() {
        let request = DeleteRequest::new(["a", "b", "a"], DeletionScope::AllOrganizations);
        assert_eq!(request.user_ids(), ["a", "b"]);
    }

    fn status(completed: bool, left: i64) -> DeletionStatus {
        DeletionStatus {
            completed,
            tasks_left: Some(left),
            last_task_completed_at: None,
            warnings: Vec::new(),
        }
    }

    fn api_error(http_status: reqwest::StatusCode, status: crate::ApiStatus) -> Error {
        Error::Api {
            operation: Operation::GetDeleteAllUserDataStatus,
            http_status,
            status,
            code: None,
            message: "from the test".into(),
            details: None,
            retry_after: None,
        }
    }

    fn unavailable() -> Error {
        api_error(
            reqwest::StatusCode::SERVICE_UNAVAILABLE,
            crate::ApiStatus::Unavailable,
        )
    }

    /// A poller whose status calls answer from `script`, in order, the last one forever; it
    /// counts the calls in `calls`.
    fn scripted(
        options: WaitOptions,
        script: Vec<Result<DeletionStatus, Error>>,
        calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    ) -> Poller<impl FnMut() -> std::future::Ready<Result<DeletionStatus, Error>>> {
        let mut script = std::collections::VecDeque::from(script);
        Poller::new("job-1".into(), options, move || {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let next = if script.len() > 1 {
                script.pop_front()
            } else {
                script.front().map(|r| match r {
                    Ok(s) => Ok(s.clone()),
                    Err(_) => Err(unavailable()),
                })
            };
            std::future::ready(next.unwrap_or_else(|| Err(unavailable())))
        })
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
        let poller = Poller::new("job-1".into(), WaitOptions::default(), move || {
            fetch_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let answer = if std::mem::take(&mut first) {
                Ok(status(false, 2))
            } else if Instant::now() < outage_ends {
                Err(unavailable())
            } else {
                Ok(status(true, 0))
            };
            std::future::ready(answer)
        });
        let mut retries = Vec::new();
        let mut statuses = Vec::new();
        let done = poller
            .finish(|event| match event {
                WaitEvent::Status(s) => statuses.push(s.completed),
                WaitEvent::Retrying {
                    attempt, next_in, ..
                } => retries.push((attempt, next_in)),
            })
            .await
            .expect("the wait survives the outage");
        assert!(done.completed);
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
        let not_found = api_error(reqwest::StatusCode::NOT_FOUND, crate::ApiStatus::NotFound);
        let started = Instant::now();
        let poller = scripted(
            WaitOptions::default(),
            vec![Ok(status(false, 1)), Err(not_found), Ok(status(true, 0))],
            calls.clone(),
        );
        let mut retried = false;
        let err = poller
            .finish(|event| retried |= matches!(event, WaitEvent::Retrying { .. }))
            .await
            .unwrap_err();
        assert_eq!(err.api_status(), Some(&crate::ApiStatus::NotFound), "{err}");
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
        let options = WaitOptions {
            deadline: Duration::from_secs(600),
            ..WaitOptions::default()
        };
        // Running, then down until the end: the deadline passes during the outage.
        let poller = scripted(
            options,
            vec![Ok(status(false, 4)), Err(unavailable())],
            calls,
        );
        let err = poller.finish(|_| {}).await.unwrap_err();
        match err {
            Error::DeadlinePassed {
                waited, tasks_left, ..
            } => {
                assert_eq!(waited, Duration::from_secs(600));
                assert_eq!(tasks_left, Some(4));
            }
            other => panic!("{other:?}"),
        }
        // Still running at the deadline: the same, after a last status call at the deadline.
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let options = WaitOptions {
            deadline: Duration::from_secs(100),
            ..WaitOptions::default()
        };
        let poller = scripted(options, vec![Ok(status(false, 3))], calls);
        let err = poller.finish(|_| {}).await.unwrap_err();
        assert!(
            matches!(err, Error::DeadlinePassed { waited, tasks_left: Some(3), .. } if waited == Duration::from_secs(100)),
            "{err:?}"
        );
        assert!(err.to_string().contains("after 100s"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_followed_within_the_deadline() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let slow_down = Error::Http {
            operation: Operation::GetDeleteAllUserDataStatus,
            http_status: reqwest::StatusCode::TOO_MANY_REQUESTS,
            body: String::new(),
            retry_after: Some(Duration::from_secs(300)),
        };
        let poller = scripted(
            WaitOptions::default(),
            vec![Err(slow_down), Ok(status(true, 0))],
            calls,
        );
        let mut waits = Vec::new();
        let started = Instant::now();
        poller
            .finish(|event| {
                if let WaitEvent::Retrying { next_in, .. } = event {
                    waits.push(next_in)
                }
            })
            .await
            .unwrap();
        assert_eq!(waits, [Duration::from_secs(300)]);
        assert_eq!(started.elapsed(), Duration::from_secs(300));
    }

    fn raw_status(completed: bool, left: Option<i64>, last: Option<i64>) -> types::DeletionStatus {
        types::DeletionStatus::builder()
            .is_delete_completed(completed)
            .tasks_left(left)
            .last_task_completed_time(last)
            .try_into()
            .unwrap()
    }

    #[test]
    fn impossible_numbers_are_decode_errors_that_name_the_field_and_value() {
        let err = DeletionStatus::try_from(raw_status(false, Some(1), Some(-9007199254740991)))
            .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("lastTaskCompletedTime is -9007199254740991"),
            "{text}"
        );
        let err = DeletionStatus::try_from(raw_status(false, Some(-2), None)).unwrap_err();
        assert!(err.to_string().contains("tasksLeft is -2"), "{err}");
        let ok = DeletionStatus::try_from(raw_status(true, Some(0), Some(1748972106739))).unwrap();
        assert_eq!(
            ok.last_task_completed_at.map(|t| t.timestamp_millis()),
            Some(1748972106739)
        );
        assert!(ok.warnings.is_empty());
    }

    #[test]
    fn completed_with_tasks_left_is_kept_with_a_warning() {
        let status = DeletionStatus::try_from(raw_status(true, Some(2), None)).unwrap();
        assert!(status.completed);
        assert_eq!(status.warnings.len(), 1);
        assert!(
            status.warnings[0].contains("tasksLeft: 2"),
            "{:?}",
            status.warnings
        );
    }

    #[test]
    fn a_negative_tasks_count_is_dropped_with_a_warning() {
        let data: types::DeletionJob = types::DeletionJob::builder()
            .job_id("j")
            .tasks_count(Some(-5))
            .try_into()
            .unwrap();
        let job = job_from(data, vec!["u".into()]);
        assert_eq!(job.tasks_count, None);
        assert!(
            job.warnings[0].contains("tasksCount: -5"),
            "{:?}",
            job.warnings
        );
    }
}
