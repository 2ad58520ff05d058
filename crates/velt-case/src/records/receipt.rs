//! Proof of what an erasure did: the deletion receipt, and the check that a user's data is
//! gone.

use std::{collections::BTreeMap, path::Path};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use velt_api::{
    deletion::{
        DeleteRequest, DeletionJob, DeletionScope, DeletionStatus, ErasureCheck, Incomplete,
    },
    export::ExportSummary,
};

use crate::error::Error;
use crate::records::{
    atomic::{load_record, save_json},
    manifest::{host_of, written_by},
};

/// What Velt held of one user in one organization before an erasure: whether the user was a
/// member there (Get Users) and how many items an export found. Against it, a check that
/// finds nothing proves something only when there was something, or a member, to begin with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureBaseline {
    /// The organization.
    pub organization_id: String,
    /// The user.
    pub user_id: String,
    /// When it was counted.
    pub checked_at: DateTime<Utc>,
    /// Whether Get Users named the user as a member of the organization.
    pub member: bool,
    /// Items found by kind.
    pub items: BTreeMap<String, usize>,
}

impl ErasureBaseline {
    /// The baseline of `user_id` in `organization_id`: `member` from Get Users, the counts from
    /// an export ([`velt_api::export::Export::summarize`]).
    pub fn new(
        organization_id: &str,
        user_id: &str,
        member: bool,
        summary: &ExportSummary,
    ) -> ErasureBaseline {
        ErasureBaseline {
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
            checked_at: Utc::now(),
            member,
            items: counts(summary),
        }
    }

    /// True when the user was not a member and held no item: an erasure there proves nothing
    /// (a mistyped organization id, say).
    pub fn held_nothing(&self) -> bool {
        !self.member && self.items.values().all(|&n| n == 0)
    }
}

fn counts(summary: &ExportSummary) -> BTreeMap<String, usize> {
    summary
        .counts()
        .map(|(key, n)| (key.to_owned(), n))
        .collect()
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

/// A batch of a receipt whose outcome is unknown: sent, and no answer said what happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnknownBatch {
    /// Always `"unknown"` until settled, then `"settled"`.
    pub outcome: String,
    /// The users of the batch.
    pub user_ids: Vec<String>,
    /// When the request was sent.
    pub sent_at: DateTime<Utc>,
    /// What the client saw instead of an answer.
    pub error: String,
    /// When a verification found nothing of these users in the organizations it checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<DateTime<Utc>>,
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
/// # async fn run(client: velt_api::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use std::path::Path;
/// use velt_api::deletion::{DeleteRequest, DeletionScope, PollOptions, WaitOutcome};
/// use velt_case::records::DeletionReceipt;
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
    /// The crate that wrote it, e.g. `velt-case 0.1.0` (`velt-api 0.1.0` in receipts written
    /// before the records moved out of the client).
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
    /// Batches sent without an answer saying what became of them (outcome unknown): their
    /// deletion may have started, with no job id to follow. A verification that finds
    /// nothing of their users settles them. Empty normally.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcome_unknown: Vec<UnknownBatch>,
    /// What Velt held of each user in each organization to check, counted before the
    /// erasure; empty when it was not counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub baseline: Vec<ErasureBaseline>,
    /// The proof of erasure, once checked.
    pub verification: Option<Verification>,
}

impl DeletionReceipt {
    /// The current receipt format.
    pub const FORMAT: u32 = 1;

    /// A receipt for `jobs`, just started for `request` by a client whose base URL is
    /// `base_url` ([`velt_api::Client::base_url`]; only its host is kept).
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
            outcome_unknown: Vec::new(),
            baseline: Vec::new(),
            verification: None,
        }
    }

    /// Records what a deletion left undone: the users not sent, and the batch whose outcome
    /// is unknown (with the time it was sent and the error seen).
    pub fn record_incomplete(&mut self, incomplete: &Incomplete) {
        self.unsent_user_ids = incomplete.unsent_user_ids.clone();
        if let Some(unknown) = &incomplete.outcome_unknown {
            self.outcome_unknown.push(UnknownBatch {
                outcome: "unknown".to_owned(),
                user_ids: unknown.user_ids.clone(),
                sent_at: unknown.sent_at,
                error: incomplete.error.to_string(),
                settled_at: None,
            });
        }
        self.updated_at = Utc::now();
    }

    /// Records what Velt held before the erasure ([`ErasureBaseline`]); a later
    /// [`DeletionReceipt::record_verification`] sets each check's `before` from it.
    pub fn record_baseline(&mut self, baseline: Vec<ErasureBaseline>) {
        self.baseline = baseline;
        self.updated_at = Utc::now();
    }

    /// The batches whose outcome is still unknown.
    pub fn unsettled(&self) -> impl Iterator<Item = &UnknownBatch> {
        self.outcome_unknown
            .iter()
            .filter(|batch| batch.settled_at.is_none())
    }

    /// `Some(host of base_url)` when `base_url` is another Velt than the one the receipt's
    /// jobs were sent to (its host and port differ from [`DeletionReceipt::velt_host`]):
    /// job ids and checks belong to one Velt, so a receipt must not be resumed elsewhere.
    pub fn other_host(&self, base_url: &str) -> Option<String> {
        let host = host_of(base_url);
        (host != self.velt_host).then_some(host)
    }

    /// Every user whose deletion was started or may have started (jobs, then batches of
    /// unknown outcome), in order, each once.
    pub fn user_ids(&self) -> impl Iterator<Item = &str> {
        let mut seen = std::collections::HashSet::new();
        self.jobs
            .iter()
            .flat_map(|job| job.user_ids.iter())
            .chain(
                self.outcome_unknown
                    .iter()
                    .flat_map(|batch| batch.user_ids.iter()),
            )
            .map(String::as_str)
            .filter(move |id| seen.insert(*id))
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

    /// Records the proof of erasure made of `checks` over `organization_ids`. Each check gets
    /// the counts before the erasure from the baseline, when one was recorded; a batch of
    /// unknown outcome whose users the checks found nothing of is settled.
    pub fn record_verification(
        &mut self,
        organization_ids: Vec<String>,
        mut checks: Vec<ErasureCheck>,
    ) {
        let now = Utc::now();
        for check in &mut checks {
            if let Some(base) = self.baseline.iter().find(|base| {
                base.organization_id == check.organization_id && base.user_id == check.user_id
            }) {
                check.before = Some(base.items.clone());
                check.member_before = Some(base.member);
            }
        }
        for batch in &mut self.outcome_unknown {
            let settled = batch.settled_at.is_none()
                && batch.user_ids.iter().all(|user| {
                    let mine: Vec<&ErasureCheck> =
                        checks.iter().filter(|c| &c.user_id == user).collect();
                    !mine.is_empty() && mine.iter().all(|c| c.nothing_remains())
                });
            if settled {
                batch.outcome = "settled".to_owned();
                batch.settled_at = Some(now);
            }
        }
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
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        save_json(path, self, "deletion receipt")
    }

    /// Reads a receipt written by [`DeletionReceipt::save`].
    pub fn load(path: &Path) -> Result<DeletionReceipt, Error> {
        load_record(
            path,
            "deletion receipt",
            |record: &DeletionReceipt| record.format,
            Self::FORMAT,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A receipt written before the baseline and unknown batches existed still loads.
    #[test]
    fn older_receipts_still_load() {
        let old = r#"{"format":1,"writtenBy":"velt-api 0.1.0","veltHost":"api.velt.dev",
            "createdAt":"2026-11-23T10:00:00Z","updatedAt":"2026-11-23T10:00:00Z",
            "scope":{"organizations":["org-1"]},"jobs":[],"verification":{
            "checkedAt":"2026-11-23T10:00:00Z","organizationIds":["org-1"],"coverage":"c",
            "nothingRemains":true,"checks":[{"organizationId":"org-1","userId":"u",
            "checkedAt":"2026-11-23T10:00:00Z","pages":1,"remaining":{"comments":0}}]}}"#;
        let receipt: DeletionReceipt = serde_json::from_str(old).unwrap();
        assert!(receipt.baseline.is_empty() && receipt.outcome_unknown.is_empty());
        let check = &receipt.verification.unwrap().checks[0];
        assert_eq!((check.before.as_ref(), check.member_before), (None, None));
        assert!(
            !check.held_nothing_before(),
            "no baseline proves nothing either way"
        );
        assert_eq!(receipt.velt_host, "api.velt.dev");
    }

    #[test]
    fn checks_get_the_baseline_and_settle_unknown_batches() {
        let request = DeleteRequest::new(["u1"], DeletionScope::Organizations(vec!["o".into()]));
        let mut receipt = DeletionReceipt::new("https://api.velt.dev", &request, &[]);
        receipt.outcome_unknown.push(UnknownBatch {
            outcome: "unknown".into(),
            user_ids: vec!["u1".into()],
            sent_at: Utc::now(),
            error: "HTTP 503".into(),
            settled_at: None,
        });
        assert_eq!(receipt.user_ids().collect::<Vec<_>>(), ["u1"]);
        let mut summary = ExportSummary::default();
        summary.count(&velt_api::export::Feature::Comments);
        receipt.record_baseline(vec![
            ErasureBaseline::new("o", "u1", true, &summary),
            ErasureBaseline::new("typo", "u1", false, &ExportSummary::default()),
        ]);
        let empty = ExportSummary::default();
        receipt.record_verification(
            vec!["o".into(), "typo".into()],
            vec![
                ErasureCheck::new("o", "u1", &empty),
                ErasureCheck::new("typo", "u1", &empty),
            ],
        );
        let verification = receipt.verification.as_ref().unwrap();
        assert_eq!(
            verification.checks[0].before.as_ref().unwrap()["comments"],
            1
        );
        assert!(!verification.checks[0].held_nothing_before());
        assert!(verification.checks[1].held_nothing_before());
        assert_eq!(receipt.unsettled().count(), 0);
        assert_eq!(receipt.outcome_unknown[0].outcome, "settled");
        assert_eq!(receipt.other_host("https://api.velt.dev/"), None);
        assert_eq!(
            receipt.other_host("http://127.0.0.1:9").as_deref(),
            Some("127.0.0.1:9")
        );
    }
}
