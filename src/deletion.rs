//! Delete All User Data and its status: start deletion jobs, look at them, wait for them.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};
use serde::Serialize;

use crate::{Client, Error, Operation, export::BoxStream, types, users::require_id};

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
        Ok(self
            .user_ids
            .chunks(MAX_USERS_PER_DELETE)
            .map(|chunk| types::DeleteAllUserDataRequest {
                data: types::DeleteAllUserDataRequestData {
                    user_ids: chunk.to_vec(),
                    organization_ids: organization_ids.clone(),
                },
            })
            .collect())
    }
}

/// A deletion job Velt has started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeletionJob {
    /// The job's id, for [`Client::deletion_status`].
    pub job_id: String,
    /// How many tasks Velt split the job into, when it said.
    pub tasks_count: Option<i64>,
    /// The users this job deletes.
    pub user_ids: Vec<String>,
}

/// How far a deletion job has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeletionStatus {
    /// True once every task has finished: the data is gone.
    pub completed: bool,
    /// Tasks still to run, when Velt said.
    pub tasks_left: Option<i64>,
    /// When the last task finished, when one has.
    pub last_task_completed_at: Option<DateTime<Utc>>,
}

impl From<types::DeletionStatus> for DeletionStatus {
    fn from(status: types::DeletionStatus) -> Self {
        DeletionStatus {
            completed: status.is_delete_completed,
            tasks_left: status.tasks_left,
            last_task_completed_at: status
                .last_task_completed_time
                .and_then(DateTime::from_timestamp_millis),
        }
    }
}

/// How [`Client::wait_for_deletion`] polls.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitOptions {
    /// Give up with [`Error::DeadlinePassed`] after this long; default 24 hours, the time Velt
    /// says a deletion can take.
    pub deadline: Duration,
    /// Wait before the second status call; default 2 seconds.
    pub first_interval: Duration,
    /// The longest wait between status calls; default 60 seconds. Waits grow by half each
    /// time from `first_interval` up to this.
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
    /// use velt_api::{DeleteRequest, DeletionScope, WaitOptions};
    ///
    /// let request = DeleteRequest::new(["user-42"], DeletionScope::Organizations(vec!["org-1".into()]));
    /// for job in client.delete_user_data(&request).await? {
    ///     let status = client
    ///         .wait_for_deletion(&job.job_id, WaitOptions::default(), |s| {
    ///             eprintln!("{} tasks left", s.tasks_left.unwrap_or(0))
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
                Ok(response) => started.push(DeletionJob {
                    job_id: response.data.job_id,
                    tasks_count: response.data.tasks_count,
                    user_ids,
                }),
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

    /// Get Delete All User Data Status: how far the job `job_id` has got.
    pub async fn deletion_status(&self, job_id: &str) -> Result<DeletionStatus, Error> {
        require_id("job id", job_id).map_err(|message| Error::InvalidInput {
            operation: Operation::GetDeleteAllUserDataStatus,
            message,
        })?;
        let body = types::GetDeleteAllUserDataStatusRequest {
            data: types::GetDeleteAllUserDataStatusRequestData {
                job_id: job_id.to_owned(),
            },
        };
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
        Ok(response.result.data.into())
    }

    /// The statuses of job `job_id`, polled with growing intervals: the first at once, the
    /// last the one that says completed. Fails with [`Error::DeadlinePassed`] when the
    /// deadline passes first. Dropping the stream stops the polling.
    pub fn watch_deletion(
        &self,
        job_id: impl Into<String>,
        options: WaitOptions,
    ) -> BoxStream<DeletionStatus> {
        struct State {
            client: Client,
            job_id: String,
            options: WaitOptions,
            started: Instant,
            interval: Duration,
            polls: u32,
            done: bool,
            last_tasks_left: Option<i64>,
        }
        let state = State {
            client: self.clone(),
            job_id: job_id.into(),
            interval: options.first_interval,
            options,
            started: Instant::now(),
            polls: 0,
            done: false,
            last_tasks_left: None,
        };
        Box::pin(stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            if state.polls > 0 {
                let elapsed = state.started.elapsed();
                if elapsed + state.interval > state.options.deadline {
                    state.done = true;
                    let error = Error::DeadlinePassed {
                        job_id: state.job_id.clone(),
                        waited: elapsed,
                        tasks_left: state.last_tasks_left,
                    };
                    return Some((Err(error), state));
                }
                tokio::time::sleep(state.interval).await;
                state.interval = state.interval.mul_f64(1.5).min(state.options.max_interval);
            }
            state.polls += 1;
            let status = state.client.deletion_status(&state.job_id).await;
            match &status {
                Ok(status) => {
                    state.done = status.completed;
                    state.last_tasks_left = status.tasks_left;
                    tracing::debug!(job_id = %state.job_id, completed = status.completed, tasks_left = ?status.tasks_left, "deletion status");
                }
                Err(_) => state.done = true,
            }
            Some((status, state))
        }))
    }

    /// Polls job `job_id` until it completes, calling `on_progress` with every status seen,
    /// and returns the final status. Fails with [`Error::DeadlinePassed`] when
    /// `options.deadline` passes first.
    pub async fn wait_for_deletion(
        &self,
        job_id: &str,
        options: WaitOptions,
        mut on_progress: impl FnMut(&DeletionStatus),
    ) -> Result<DeletionStatus, Error> {
        let mut statuses = self.watch_deletion(job_id, options);
        let mut last = None;
        while let Some(status) = statuses.next().await {
            let status = status?;
            on_progress(&status);
            last = Some(status);
        }
        last.ok_or_else(|| Error::DeadlinePassed {
            job_id: job_id.to_owned(),
            waited: Duration::ZERO,
            tasks_left: None,
        })
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
}
