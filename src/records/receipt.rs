//! Proof of what an erasure did: the deletion receipt, and the check that a user's data is
//! gone.

use std::{collections::BTreeMap, path::Path};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    deletion::{DeleteRequest, DeletionJob, DeletionScope, DeletionStatus},
    error::Result,
    export::ExportSummary,
    records::{
        atomic::{load_record, save_json},
        manifest::{host_of, written_by},
    },
};

/// What an export of one user in one organization found after the erasure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureCheck {
    /// The organization exported.
    pub organization_id: String,
    /// The user exported.
    pub user_id: String,
    /// When the export finished.
    pub checked_at: DateTime<Utc>,
    /// Pages the export read.
    pub pages: usize,
    /// Items found, by kind (`comments`, `reactions`, ...): all zero when nothing remains.
    pub remaining: BTreeMap<String, usize>,
}

impl ErasureCheck {
    /// The check of `user_id` in `organization_id` from what an export found there
    /// ([`crate::export::Export::summarize`]): the four features (zero included) and every
    /// other key Velt sent.
    pub fn new(organization_id: &str, user_id: &str, summary: &ExportSummary) -> ErasureCheck {
        ErasureCheck {
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
            checked_at: Utc::now(),
            pages: summary.pages,
            remaining: summary
                .counts()
                .map(|(key, n)| (key.to_owned(), n))
                .collect(),
        }
    }

    /// True when the export found no item at all.
    pub fn nothing_remains(&self) -> bool {
        self.remaining.values().all(|&count| count == 0)
    }

    /// What remains, e.g. `1 comments, 2 reactions`, or `nothing`.
    pub fn describe_remaining(&self) -> String {
        let found: Vec<String> = self
            .remaining
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        if found.is_empty() {
            "nothing".to_owned()
        } else {
            found.join(", ")
        }
    }
}

/// One deletion job of a receipt: one batch of at most 30 users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptJob {
    /// Velt's job id.
    pub job_id: String,
    /// The users of the batch.
    pub user_ids: Vec<String>,
    /// Tasks Velt split the job into, when it said.
    pub tasks_count: Option<i64>,
    /// When Velt answered that the job had started.
    pub started_at: DateTime<Utc>,
    /// True once Velt said the job completed.
    pub completed: bool,
    /// Tasks left at the last status seen.
    pub tasks_left: Option<i64>,
    /// Velt's `lastTaskCompletedTime` at the last status seen.
    pub last_task_completed_at: Option<DateTime<Utc>>,
    /// When the status was last asked for.
    pub status_checked_at: Option<DateTime<Utc>>,
    /// Oddities in Velt's answers about this job, each naming the field and the value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The proof of erasure recorded in a receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// When the check finished.
    pub checked_at: DateTime<Utc>,
    /// The organizations checked.
    pub organization_ids: Vec<String>,
    /// What the check covers, in words; says so when it is less than the erasure's scope.
    pub coverage: String,
    /// True when no check found any item.
    pub nothing_remains: bool,
    /// One check per user and organization.
    pub checks: Vec<ErasureCheck>,
}

/// A record of an erasure request: what was asked of Velt, when, what Velt said as the jobs
/// finished, and what a later export found. Saved as pretty JSON, atomically, with no secret
/// (only the host of the base URL); another process can load it and go on waiting.
///
/// ```no_run
/// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
/// use std::path::Path;
/// use velt_api::deletion::{DeleteRequest, DeletionScope, PollOptions, WaitOutcome};
/// use velt_api::records::DeletionReceipt;
///
/// let request = DeleteRequest::new(["user-42"], DeletionScope::Organizations(vec!["org-1".into()]));
/// let deletion = client.delete_user_data(&request).await?;
/// let mut receipt = DeletionReceipt::new(client.base_url(), &request, &deletion.jobs);
/// receipt.save(Path::new("erasure-user-42.json"))?;
/// for job in &deletion.jobs {
///     let outcome = client.poll_deletion(&job.job_id, PollOptions::default()).until_done(|_| {}).await?;
///     if let WaitOutcome::Completed(status) = outcome {
///         receipt.record_status(&job.job_id, &status);
///     }
///     receipt.save(Path::new("erasure-user-42.json"))?;
/// }
/// let checks = vec![client.verify_erasure("org-1", "user-42").await?];
/// receipt.record_verification(vec!["org-1".into()], checks);
/// receipt.save(Path::new("erasure-user-42.json"))?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionReceipt {
    /// The receipt format, [`DeletionReceipt::FORMAT`].
    pub format: u32,
    /// The crate that wrote it, e.g. `velt-api 0.1.0`.
    pub written_by: String,
    /// The host (and port) of the Velt base URL the jobs were sent to.
    pub velt_host: String,
    /// When the receipt was first written.
    pub created_at: DateTime<Utc>,
    /// When it was last updated.
    pub updated_at: DateTime<Utc>,
    /// Where the erasure applies.
    pub scope: DeletionScope,
    /// The jobs started, one per batch.
    pub jobs: Vec<ReceiptJob>,
    /// Users whose deletion could not be sent (a later batch failed); empty normally.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsent_user_ids: Vec<String>,
    /// The proof of erasure, once checked.
    pub verification: Option<Verification>,
}

impl DeletionReceipt {
    /// The current receipt format.
    pub const FORMAT: u32 = 1;

    /// A receipt for `jobs`, just started for `request` by a client whose base URL is
    /// `base_url` ([`crate::Client::base_url`]; only its host is kept).
    pub fn new(base_url: &str, request: &DeleteRequest, jobs: &[DeletionJob]) -> Self {
        let now = Utc::now();
        DeletionReceipt {
            format: Self::FORMAT,
            written_by: written_by(),
            velt_host: host_of(base_url),
            created_at: now,
            updated_at: now,
            scope: request.scope().clone(),
            jobs: jobs
                .iter()
                .map(|job| ReceiptJob {
                    job_id: job.job_id.clone(),
                    user_ids: job.user_ids.clone(),
                    tasks_count: job.tasks_count,
                    started_at: job.started_at,
                    completed: false,
                    tasks_left: None,
                    last_task_completed_at: None,
                    status_checked_at: None,
                    warnings: job.warnings.clone(),
                })
                .collect(),
            unsent_user_ids: Vec::new(),
            verification: None,
        }
    }

    /// Every user of the receipt's jobs, in order.
    pub fn user_ids(&self) -> impl Iterator<Item = &str> {
        self.jobs
            .iter()
            .flat_map(|job| job.user_ids.iter().map(String::as_str))
    }

    /// The jobs Velt has not yet said are complete.
    pub fn unfinished_jobs(&self) -> impl Iterator<Item = &ReceiptJob> {
        self.jobs.iter().filter(|job| !job.completed)
    }

    /// Records a status of job `job_id`; returns false when the receipt has no such job.
    pub fn record_status(&mut self, job_id: &str, status: &DeletionStatus) -> bool {
        let Some(job) = self.jobs.iter_mut().find(|job| job.job_id == job_id) else {
            return false;
        };
        job.completed = status.completed;
        job.tasks_left = status.tasks_left;
        job.last_task_completed_at = status.last_task_completed_at;
        job.status_checked_at = Some(Utc::now());
        for warning in &status.warnings {
            if !job.warnings.contains(warning) {
                job.warnings.push(warning.clone());
            }
        }
        self.updated_at = Utc::now();
        true
    }

    /// What a check of `organization_ids` covers, in words: when the erasure covered every
    /// organization, it says that the check covers only the ones given.
    pub fn coverage(&self, organization_ids: &[String]) -> String {
        let checked = organization_ids.join(", ");
        match &self.scope {
            DeletionScope::AllOrganizations => format!(
                "the erasure covered every organization of the workspace; this check covers only the organization(s) it was given: {checked}"
            ),
            DeletionScope::Organizations(scope) => {
                let outside: Vec<&str> = organization_ids
                    .iter()
                    .filter(|id| !scope.contains(id))
                    .map(String::as_str)
                    .collect();
                let missing: Vec<&str> = scope
                    .iter()
                    .filter(|id| !organization_ids.contains(id))
                    .map(String::as_str)
                    .collect();
                let mut text = format!("checked organization(s): {checked}");
                if !missing.is_empty() {
                    text.push_str(&format!(
                        "; NOT checked, though erased: {}",
                        missing.join(", ")
                    ));
                }
                if !outside.is_empty() {
                    text.push_str(&format!(
                        "; outside the erasure's scope: {}",
                        outside.join(", ")
                    ));
                }
                text
            }
        }
    }

    /// Records the proof of erasure made of `checks` over `organization_ids`.
    pub fn record_verification(
        &mut self,
        organization_ids: Vec<String>,
        checks: Vec<ErasureCheck>,
    ) {
        let now = Utc::now();
        self.verification = Some(Verification {
            checked_at: now,
            coverage: self.coverage(&organization_ids),
            organization_ids,
            nothing_remains: checks.iter().all(ErasureCheck::nothing_remains),
            checks,
        });
        self.updated_at = now;
    }

    /// Writes the receipt to `path` as pretty JSON, atomically (see
    /// [`crate::records::write_atomically`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        save_json(path, self, "deletion receipt")
    }

    /// Reads a receipt written by [`DeletionReceipt::save`].
    pub fn load(path: &Path) -> Result<DeletionReceipt> {
        load_record(
            path,
            "deletion receipt",
            |record: &DeletionReceipt| record.format,
            Self::FORMAT,
        )
    }
}
