//! Delete All User Data and its status: what to delete, the jobs started, how far they got.

use std::{fmt, sync::Arc};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    error::{Error, Operation, Result},
    generated::types,
    transport::context::Transport,
    users::require_id,
};

/// Where a deletion applies. In a receipt it reads `"everyOrganization"` or
/// `{"organizations": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeletionScope {
    /// Every organization of the workspace: the users' data is erased wherever it is. This is
    /// what Velt does when a delete request names no organization.
    #[serde(rename = "everyOrganization")]
    AllOrganizations,
    /// Only these organizations (the users' own organizations, usually). Faster on Velt's side:
    /// one task per organization.
    Organizations(Vec<String>),
}

/// What to delete: the users, and where.
///
/// ```
/// use velt_api::deletion::{DeleteRequest, DeletionScope};
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
    /// Velt keeps only the first 30 user ids of a delete request (and still answers success),
    /// so the client sends at most this many per request.
    pub const MAX_USERS_PER_BATCH: usize = 30;

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
    fn batches(&self) -> Result<Vec<types::DeleteAllUserDataRequest>> {
        let invalid = |message: String| Error::invalid_input(Operation::DeleteAllUserData, message);
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
            .chunks(Self::MAX_USERS_PER_BATCH)
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

/// A deletion job Velt has started. Serializes in camelCase, like every type of the crate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionJob {
    /// The job's id, for [`crate::Client::deletion_status`] and
    /// [`crate::Client::poll_deletion`].
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

/// How far a deletion job has got. Serializes in camelCase, like every type of the crate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
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
    /// dates chrono can represent is an error of kind [`crate::ErrorKind::Decode`] naming the field and the value (never
    /// a silent `None`); `isDeleteCompleted: true` with tasks left is kept, with a warning.
    fn try_from(status: types::DeletionStatus) -> Result<Self> {
        let decode = |reason: String| {
            Error::decode(
                Operation::GetDeleteAllUserDataStatus,
                reqwest::StatusCode::OK,
                reason,
                serde_json::to_string(&status).unwrap_or_default(),
            )
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

/// The jobs a [`DeleteRequest`] started: every job when every batch was sent, and otherwise
/// what was left unsent, what may have started, and why. Not an error: the jobs that were
/// started are running and must be followed.
///
/// [`crate::Client::delete_user_data`] returns an error only when nothing was started: the
/// first batch failed with an answer that says so. When the outcome of a batch is unknown
/// (the request was sent and no answer says what became of it: a timeout, a 5xx, a dropped
/// connection), the deletion is `Ok`, with [`Incomplete::outcome_unknown`] naming the batch.
#[derive(Debug)]
#[must_use = "the jobs must be followed, and an incomplete deletion finished"]
pub struct Deletion {
    /// The jobs started, one per batch that got through.
    pub jobs: Vec<DeletionJob>,
    /// When a batch failed or its outcome is unknown: the users concerned and why; `None`
    /// normally.
    pub incomplete: Option<Incomplete>,
}

/// The part of a deletion that did not surely start: a batch whose outcome is unknown, and
/// the batches not sent after a failure.
#[derive(Debug)]
pub struct Incomplete {
    /// The users whose deletion was certainly not started (a failed batch and those after
    /// it); send them again.
    pub unsent_user_ids: Vec<String>,
    /// The batch that was sent but got no answer saying what happened: its deletion may
    /// have started. Do not send it again blindly: check first (export the users again).
    pub outcome_unknown: Option<OutcomeUnknown>,
    /// Why the failing batch failed.
    pub error: Error,
}

/// A batch of a deletion that was sent without an answer saying what became of it
/// ([`Error::is_outcome_unknown`]): the deletion may be running at Velt, with no job id to
/// follow it by. Only a new export of the users can settle it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeUnknown {
    /// The users of the batch.
    pub user_ids: Vec<String>,
    /// When the request was sent (its first attempt).
    pub sent_at: DateTime<Utc>,
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deletion incomplete: ")?;
        if let Some(unknown) = &self.outcome_unknown {
            write!(
                f,
                "the deletion of {} user(s) may have started (outcome unknown); ",
                unknown.user_ids.len()
            )?;
        }
        write!(
            f,
            "{} user(s) not sent: {}",
            self.unsent_user_ids.len(),
            self.error
        )
    }
}

/// Delete All User Data, batch after batch.
pub(crate) async fn delete(
    transport: &Arc<Transport>,
    request: &DeleteRequest,
) -> Result<Deletion> {
    let batches = request.batches()?;
    let mut jobs: Vec<DeletionJob> = Vec::with_capacity(batches.len());
    for (index, body) in batches.into_iter().enumerate() {
        let user_ids = body.data.user_ids.clone();
        let sent_at = Utc::now();
        let result = transport
            .call(Operation::DeleteAllUserData, |generated| {
                let body = body.clone();
                async move { generated.delete_all_user_data().body(body).send().await }
            })
            .await;
        match result {
            Ok(response) => jobs.push(job_from(response.data, user_ids)),
            Err(error) if jobs.is_empty() && !error.is_outcome_unknown() => return Err(error),
            Err(error) => {
                let failed_from = index * DeleteRequest::MAX_USERS_PER_BATCH;
                let (outcome_unknown, unsent_from) = if error.is_outcome_unknown() {
                    let unknown = OutcomeUnknown { user_ids, sent_at };
                    let next = failed_from + unknown.user_ids.len();
                    (Some(unknown), next)
                } else {
                    (None, failed_from)
                };
                return Ok(Deletion {
                    jobs,
                    incomplete: Some(Incomplete {
                        unsent_user_ids: request.user_ids[unsent_from..].to_vec(),
                        outcome_unknown,
                        error,
                    }),
                });
            }
        }
    }
    Ok(Deletion {
        jobs,
        incomplete: None,
    })
}

/// Get Delete All User Data Status, checked before it is sent.
pub(crate) async fn status(transport: &Arc<Transport>, job_id: &str) -> Result<DeletionStatus> {
    require_id("job id", job_id)
        .map_err(|message| Error::invalid_input(Operation::GetDeleteAllUserDataStatus, message))?;
    let body = types::GetDeleteAllUserDataStatusRequest::builder()
        .data(types::GetDeleteAllUserDataStatusRequestData::builder().job_id(job_id));
    let response = transport
        .call(Operation::GetDeleteAllUserDataStatus, |generated| {
            let body = body.clone();
            async move {
                generated
                    .get_delete_all_user_data_status()
                    .body(body)
                    .send()
                    .await
            }
        })
        .await?;
    response.result.data.try_into()
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
    fn jobs_and_statuses_serialize_in_camel_case() {
        let job = DeletionJob {
            job_id: "job-1".into(),
            tasks_count: Some(2),
            user_ids: vec!["user-1".into()],
            started_at: DateTime::<Utc>::UNIX_EPOCH,
            warnings: Vec::new(),
        };
        let status = DeletionStatus {
            completed: false,
            tasks_left: Some(1),
            last_task_completed_at: None,
            warnings: Vec::new(),
        };
        let keys = |value: serde_json::Value| -> Vec<String> {
            value
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        assert_eq!(
            keys(serde_json::to_value(&job).unwrap()),
            ["jobId", "tasksCount", "userIds", "startedAt", "warnings"]
        );
        assert_eq!(
            keys(serde_json::to_value(&status).unwrap()),
            ["completed", "tasksLeft", "lastTaskCompletedAt", "warnings"]
        );
    }

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
        assert_eq!(err.kind(), crate::ErrorKind::Decode, "{err:?}");
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
