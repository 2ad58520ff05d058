//! Erasure: count before, delete, wait for every job under one deadline, verify, and keep the
//! receipt ([`plan`] then [`run`]); follow an erasure from its receipt ([`follow`]); one
//! job's status ([`job_status`]); the erasure of every match of a search ([`plan_matches`]).
//!
//! An erasure is planned first, so that everything that can be refused is refused before
//! anything is erased, and so that a caller can show what will be erased and ask before
//! [`run`] sends it (the `velt` command line asks on a terminal).

mod stores;
pub mod verdict;
mod wait;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use velt_api::{
    Client,
    deletion::{
        DeleteRequest, Deletion, DeletionScope, DeletionStatus, ErasureCheck, Incomplete,
        PollOptions,
    },
    search::Match,
    users::UsersQuery,
};

pub use stores::{StoreErasure, check_stores};
pub use verdict::{StoreCheck, StoreVerdict};
pub use wait::{WaitStop, until_all_done};

use velt_case::records::{DeletionReceipt, ErasureBaseline};

use crate::{
    error::{Error, RefusalKind, Result, Step},
    event::{Event, Events},
};

/// The proof of erasure asked for.
#[derive(Clone, Debug, Default)]
pub struct Verify {
    /// Export each erased user again once the jobs completed (needs the wait).
    pub enabled: bool,
    /// Organizations to check beside those of the erasure's scope.
    pub organization_ids: Vec<String>,
    /// Accept checks of organizations where the user was not a member and held nothing.
    pub allow_empty: bool,
}

/// An erasure to plan.
#[derive(Clone, Debug, Default)]
pub struct ErasureOptions {
    /// The users to erase.
    pub user_ids: Vec<String>,
    /// Where; empty for every organization of the workspace.
    pub organization_ids: Vec<String>,
    /// Wait until every job completed.
    pub wait: bool,
    /// How to wait: one deadline across every job, and the intervals between status calls
    /// (default [`PollOptions::default`]: 24 hours, the time Velt says a deletion can take,
    /// and the intervals explained there).
    pub poll: PollOptions,
    /// Where to keep the receipt.
    pub receipt: Option<PathBuf>,
    /// The proof of erasure.
    pub verify: Verify,
}

/// An erasure checked and ready to send ([`run`]).
#[derive(Clone, Debug)]
pub struct ErasurePlan {
    request: DeleteRequest,
    check_in: Vec<String>,
    receipt: Option<PathBuf>,
    wait: bool,
    pub(crate) poll: PollOptions,
    allow_empty: bool,
}

impl ErasurePlan {
    /// What will be sent: the users and the scope.
    pub fn request(&self) -> &DeleteRequest {
        &self.request
    }

    /// The organizations the proof of erasure checks (empty without one).
    pub fn check_in(&self) -> &[String] {
        &self.check_in
    }

    /// Where the receipt goes.
    pub fn receipt(&self) -> Option<&Path> {
        self.receipt.as_deref()
    }
}

/// Checks an erasure before anything is sent: the organizations a proof would check, and a
/// receipt path that must not overwrite an earlier receipt.
pub fn plan(options: ErasureOptions) -> Result<ErasurePlan> {
    let scope = if options.organization_ids.is_empty() {
        DeletionScope::AllOrganizations
    } else {
        DeletionScope::Organizations(options.organization_ids.clone())
    };
    let request = DeleteRequest::new(options.user_ids.clone(), scope);
    let check_in = if options.verify.enabled {
        organizations_to_check(request.scope(), &options.verify.organization_ids)?
    } else {
        Vec::new()
    };
    if let Some(path) = &options.receipt {
        check_new_receipt(path)?;
    }
    Ok(ErasurePlan {
        request,
        check_in,
        receipt: options.receipt,
        wait: options.wait,
        poll: options.poll,
        allow_empty: options.verify.allow_empty,
    })
}

/// What an erasure (or a follow-up of one) did: the receipt as it stands, and how it ended.
#[derive(Debug)]
pub struct ErasureOutcome {
    /// The receipt: jobs, their completion, the counts before and the proof after.
    pub receipt: DeletionReceipt,
    /// Where it was saved, when it was.
    pub receipt_path: Option<PathBuf>,
    /// How it ended.
    pub result: ErasureResult,
}

/// How an erasure ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErasureResult {
    /// Sent; not waited for.
    Started,
    /// Looked at the jobs once (without waiting).
    Looked,
    /// Not every batch surely started: some users not sent, or a batch whose outcome is
    /// unknown (it may have started; it was not sent again).
    Incomplete {
        /// Which users, and why.
        incomplete: Incomplete,
        /// Jobs that did start.
        started: usize,
    },
    /// Every job completed; no proof was asked for.
    Completed,
    /// The wait stopped before every job completed.
    WaitStopped(WaitStop),
    /// Every job completed and every check found nothing left (checks of organizations where
    /// a user held nothing before are accepted only with `allow_empty`).
    Verified,
    /// Data remains after Velt said the deletion completed (the receipt's verification names
    /// the checks).
    DataRemains,
    /// Some checks proved nothing: the user was not a member of the organization and held
    /// nothing there before (without `allow_empty`).
    NothingToProve,
}

impl ErasureOutcome {
    /// The checks that found data left.
    pub fn remaining(&self) -> Vec<&ErasureCheck> {
        self.checks()
            .filter(|check| !check.nothing_remains())
            .collect()
    }

    /// The checks of organizations where the user held nothing before and was no member.
    pub fn empty_checks(&self) -> Vec<&ErasureCheck> {
        self.checks()
            .filter(|check| check.held_nothing_before())
            .collect()
    }

    fn checks(&self) -> impl Iterator<Item = &ErasureCheck> {
        self.receipt
            .verification
            .iter()
            .flat_map(|verification| verification.checks.iter())
    }
}

/// Sends the erasure of `plan`: counts what there is to erase first (when a proof is asked
/// for, so that the proof can fail), sends the deletion (once: a deletion of unknown outcome
/// is never resent), keeps the receipt, and with `wait` waits for every job under one
/// deadline, then verifies.
///
/// ```no_run
/// # async fn run(client: velt_api::Client) -> velt_dsr::Result<()> {
/// use velt_dsr::erase::{self, ErasureOptions, ErasureResult, Verify};
///
/// let plan = erase::plan(ErasureOptions {
///     user_ids: vec!["user-42".into()],
///     organization_ids: vec!["org-1".into()],
///     wait: true,
///     receipt: Some("erasure-user-42.json".into()),
///     verify: Verify { enabled: true, ..Verify::default() },
///     ..ErasureOptions::default()
/// })?;
/// let outcome = erase::run(&client, plan, &velt_dsr::event::ignore).await?;
/// if let ErasureResult::Verified = outcome.result {
///     println!("nothing remains");
/// }
/// # Ok(()) }
/// ```
pub async fn run(client: &Client, plan: ErasurePlan, events: Events<'_>) -> Result<ErasureOutcome> {
    let baseline = measure(client, &plan).await?;
    send(client, plan, baseline, events).await
}

/// What an erasure measured before its deletion is sent: each user's items in each
/// organization it is verified in ([`measure`]).
#[derive(Clone, Debug)]
pub struct Baseline(Vec<ErasureBaseline>);

/// The first half of [`run`]: measures what each user holds in each organization the
/// erasure is verified in. Nothing is deleted; a caller that must record its intent to delete
/// (a worker that may be killed) records it between this and [`send`].
pub async fn measure(client: &Client, plan: &ErasurePlan) -> Result<Baseline> {
    Ok(Baseline(
        measure_baseline(client, &plan.check_in, plan.request.user_ids()).await?,
    ))
}

/// The second half of [`run`]: sends the deletion (once), keeps the receipt with `baseline`,
/// and waits and verifies as the plan says.
pub async fn send(
    client: &Client,
    plan: ErasurePlan,
    baseline: Baseline,
    events: Events<'_>,
) -> Result<ErasureOutcome> {
    let Baseline(baseline) = baseline;
    let Deletion { jobs, incomplete } = client
        .delete_user_data(&plan.request)
        .await
        .map_err(|e| Error::velt(Step::Delete, e))?;
    for job in &jobs {
        events(Event::JobStarted(job.clone()));
    }
    let mut receipt = DeletionReceipt::new(client.base_url(), &plan.request, &jobs);
    if !baseline.is_empty() {
        receipt.record_baseline(baseline);
    }
    if let Some(incomplete) = &incomplete {
        receipt.record_incomplete(incomplete);
    }
    save(&receipt, plan.receipt.as_deref(), events)?;
    let mut outcome = ErasureOutcome {
        receipt,
        receipt_path: plan.receipt.clone(),
        result: ErasureResult::Started,
    };
    if let Some(incomplete) = incomplete {
        outcome.result = ErasureResult::Incomplete {
            incomplete,
            started: jobs.len(),
        };
        return Ok(outcome);
    }
    if plan.wait {
        outcome.result = finish(
            client,
            &mut outcome.receipt,
            plan.receipt.as_deref(),
            &plan.check_in,
            &plan.poll,
            plan.allow_empty,
            events,
        )
        .await?;
    }
    Ok(outcome)
}

/// A follow-up of an erasure from its receipt.
#[derive(Clone, Debug)]
pub struct FollowOptions {
    /// The receipt.
    pub receipt: PathBuf,
    /// Wait until every job completed (otherwise look once).
    pub wait: bool,
    /// How to wait: one deadline across every unfinished job, and the intervals (default
    /// [`PollOptions::default`]).
    pub poll: PollOptions,
    /// The proof of erasure, once the jobs completed.
    pub verify: Verify,
}

/// Takes up the erasure a receipt records: refuses a receipt of another Velt, then waits for
/// (or looks once at) its unfinished jobs, and verifies when asked. The receipt is saved after
/// every change.
pub async fn follow(
    client: &Client,
    options: FollowOptions,
    events: Events<'_>,
) -> Result<ErasureOutcome> {
    let path = &options.receipt;
    let mut receipt = DeletionReceipt::load(path)
        .map_err(|e| Error::refused(RefusalKind::NotAReceipt, e.to_string()))?;
    if let Some(here) = receipt.other_host(client.base_url()) {
        return Err(Error::refused(
            RefusalKind::OtherVelt,
            format!(
                "the receipt {} records an erasure sent to the Velt at {}, and this client talks to {here}; its jobs and checks belong to that Velt",
                path.display(),
                receipt.velt_host,
            ),
        ));
    }
    let check_in = if options.verify.enabled {
        organizations_to_check(&receipt.scope, &options.verify.organization_ids)?
    } else {
        Vec::new()
    };
    let result = if options.wait {
        finish(
            client,
            &mut receipt,
            Some(path),
            &check_in,
            &options.poll,
            options.verify.allow_empty,
            events,
        )
        .await?
    } else {
        let unfinished: Vec<(String, Vec<String>)> = receipt
            .unfinished_jobs()
            .map(|job| (job.job_id.clone(), job.user_ids.clone()))
            .collect();
        for (job_id, user_ids) in unfinished {
            let status = client.deletion_status(&job_id).await.map_err(|e| {
                Error::velt(
                    Step::Status {
                        job_id: job_id.clone(),
                        user_ids,
                    },
                    e,
                )
            })?;
            events(Event::JobStatus {
                job_id: job_id.clone(),
                status: status.clone(),
            });
            receipt.record_status(&job_id, &status);
        }
        save(&receipt, Some(path), events)?;
        ErasureResult::Looked
    };
    Ok(ErasureOutcome {
        receipt,
        receipt_path: Some(path.clone()),
        result,
    })
}

/// One job's status: asked once, or with `wait`, polled until it completes or the wait's
/// deadline passes.
pub async fn job_status(
    client: &Client,
    job_id: &str,
    wait: Option<&PollOptions>,
    events: Events<'_>,
) -> Result<std::result::Result<DeletionStatus, WaitStop>> {
    let step = || Step::Status {
        job_id: job_id.to_owned(),
        user_ids: Vec::new(),
    };
    let Some(poll) = wait else {
        let status = client
            .deletion_status(job_id)
            .await
            .map_err(|e| Error::velt(step(), e))?;
        events(Event::JobStatus {
            job_id: job_id.to_owned(),
            status: status.clone(),
        });
        return Ok(Ok(status));
    };
    let mut last = None;
    let done = until_all_done(
        client,
        &[(job_id.to_owned(), Vec::new())],
        poll,
        events,
        |_, status| {
            last = Some(status.clone());
            Ok(())
        },
    )
    .await?;
    Ok(match (done, last) {
        (Some(stop), _) => Err(stop),
        (None, Some(status)) => Ok(status),
        (None, None) => Err(WaitStop::Other {
            job_id: job_id.to_owned(),
            what: "the wait ended without a status".to_owned(),
        }),
    })
}

/// Waits for every unfinished job of `receipt` under one deadline, recording each as it
/// completes, then checks `check_in` when it is not empty. The receipt is saved after every
/// change.
async fn finish(
    client: &Client,
    receipt: &mut DeletionReceipt,
    path: Option<&Path>,
    check_in: &[String],
    poll: &PollOptions,
    allow_empty: bool,
    events: Events<'_>,
) -> Result<ErasureResult> {
    let unfinished: Vec<(String, Vec<String>)> = receipt
        .unfinished_jobs()
        .map(|job| (job.job_id.clone(), job.user_ids.clone()))
        .collect();
    let stopped = {
        let receipt = &mut *receipt;
        until_all_done(client, &unfinished, poll, events, |job_id, status| {
            receipt.record_status(job_id, status);
            save(receipt, path, events)
        })
        .await?
    };
    if let Some(stop) = stopped {
        save(receipt, path, events)?;
        return Ok(ErasureResult::WaitStopped(stop));
    }
    if check_in.is_empty() {
        return Ok(ErasureResult::Completed);
    }
    verify(client, receipt, path, check_in, allow_empty, events).await
}

/// The proof of erasure: each user exported again in each organization to check, recorded in
/// the receipt with the counts from before.
async fn verify(
    client: &Client,
    receipt: &mut DeletionReceipt,
    path: Option<&Path>,
    check_in: &[String],
    allow_empty: bool,
    events: Events<'_>,
) -> Result<ErasureResult> {
    let users: Vec<String> = receipt.user_ids().map(str::to_owned).collect();
    let mut checks = Vec::with_capacity(users.len() * check_in.len());
    for organization in check_in {
        for user in &users {
            let check = client
                .verify_erasure(organization, user)
                .await
                .map_err(|e| {
                    Error::velt(
                        Step::Check {
                            organization_id: organization.clone(),
                            user_id: user.clone(),
                        },
                        e,
                    )
                })?;
            events(Event::Checked(check.clone()));
            checks.push(check);
        }
    }
    receipt.record_verification(check_in.to_vec(), checks);
    save(receipt, path, events)?;
    let Some(verification) = &receipt.verification else {
        return Ok(ErasureResult::Completed);
    };
    if !verification.nothing_remains {
        return Ok(ErasureResult::DataRemains);
    }
    if !allow_empty
        && verification
            .checks
            .iter()
            .any(ErasureCheck::held_nothing_before)
    {
        return Ok(ErasureResult::NothingToProve);
    }
    Ok(ErasureResult::Verified)
}

/// Whether each user is a member of each organization, and what Velt holds there, before
/// anything is erased. Nothing is counted without organizations to check.
async fn measure_baseline(
    client: &Client,
    check_in: &[String],
    users: &[String],
) -> Result<Vec<ErasureBaseline>> {
    let mut baseline = Vec::with_capacity(check_in.len() * users.len());
    let failed = |e| Error::velt(Step::CountBefore, e);
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

/// The organizations a proof exports from: those of the scope, then the extra ones. An
/// erasure of every organization has no list to take them from (Velt has no call that lists
/// a user's organizations), so it needs at least one.
fn organizations_to_check(scope: &DeletionScope, extra: &[String]) -> Result<Vec<String>> {
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
        return Err(Error::refused(
            RefusalKind::NothingToCheck,
            "the proof of erasure needs organizations to export from: the erasure covers every organization, and once erased the users can no longer be found in Velt's listings",
        ));
    }
    Ok(organizations)
}

/// Refuses a receipt path that would overwrite an earlier receipt or cannot be written.
fn check_new_receipt(path: &Path) -> Result<()> {
    if path.exists() {
        return Err(Error::refused(
            RefusalKind::ReceiptExists,
            format!(
                "the receipt {} already exists; it may record an earlier erasure",
                path.display()
            ),
        ));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::refused(
            RefusalKind::InvalidInput,
            format!(
                "cannot write the receipt {}: the directory {} does not exist",
                path.display(),
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// Saves the receipt when there is a path for it.
fn save(receipt: &DeletionReceipt, path: Option<&Path>, events: Events<'_>) -> Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    receipt
        .save(path)
        .map_err(|e| Error::file("write", path, std::io::Error::other(e.to_string())))?;
    events(Event::Wrote {
        path: path.to_owned(),
        what: "receipt",
    });
    Ok(())
}

/// An erasure of the matches of a search.
#[derive(Clone, Debug, Default)]
pub struct MatchesErasure {
    /// Wait until every job completed.
    pub wait: bool,
    /// Where to keep the receipts: with users found in different sets of organizations, one
    /// receipt per set, numbered ([`numbered_receipt`]) from `first_receipt`.
    pub receipt: Option<PathBuf>,
    /// The number of the first receipt (1 for `receipt` itself; a later pass in the same
    /// folder starts after the receipts already there).
    pub first_receipt: usize,
    /// Export each user again in each organization where it was found, once the jobs
    /// completed (needs `wait`).
    pub verify: bool,
    /// How to wait: the deadline is shared by every erasure planned (see
    /// `PreparedErasure::run`), with the poller's intervals by default.
    pub poll: PollOptions,
}

/// Plans the erasure of every match in the organizations where it was found: the users found
/// in the same organizations go in one erasure (one receipt), scoped to those organizations
/// and verified in each of them. Every receipt is refused before anything is erased.
pub fn plan_matches(matches: &[Match], options: &MatchesErasure) -> Result<Vec<ErasurePlan>> {
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
    let first = options.first_receipt.max(1);
    groups
        .into_iter()
        .enumerate()
        .map(|(i, (organization_ids, user_ids))| {
            plan(ErasureOptions {
                user_ids,
                organization_ids,
                wait: options.wait,
                poll: options.poll.clone(),
                receipt: options
                    .receipt
                    .as_ref()
                    .map(|path| numbered_receipt(path, first + i)),
                verify: Verify {
                    enabled: options.verify,
                    ..Verify::default()
                },
            })
        })
        .collect()
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

/// The receipts of the erasures of matches into `path` that exist: `path`, `path-2`, ... up
/// to the first missing one.
pub fn existing_receipts(path: &Path) -> Vec<PathBuf> {
    (1..)
        .map(|n| numbered_receipt(path, n))
        .take_while(|p| p.exists())
        .collect()
}

/// `erasure.json` -> `erasure.search.json`: a file kept beside the receipt.
pub fn sibling_with(path: &Path, what: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.{what}.json"))
}

/// Once an erasure of known users is verified ([`run`], [`follow`]): the checks
/// of the stores the GDPR deletion does not cover, for each user in each organization verified
/// where the user was (a member, or data, before the erasure; an organization accepted empty
/// has nothing to check). Nothing is checked, and nothing is returned, when the erasure is not
/// verified. Activity records are checked, not deleted.
pub async fn check_stores_of(
    client: &Client,
    outcome: &ErasureOutcome,
    events: Events<'_>,
) -> Vec<StoreCheck> {
    let (ErasureResult::Verified, Some(verification)) =
        (&outcome.result, &outcome.receipt.verification)
    else {
        return Vec::new();
    };
    let pairs: Vec<(String, String)> = verification
        .checks
        .iter()
        .filter(|c| {
            c.member_before != Some(false)
                || c.before
                    .as_ref()
                    .is_some_and(|b| b.values().any(|&n| n > 0))
        })
        .map(|c| (c.organization_id.clone(), c.user_id.clone()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    check_stores(client, &pairs, &StoreErasure::default(), events).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_numbered_from_the_second() {
        let path = Path::new("dir/receipt.json");
        assert_eq!(numbered_receipt(path, 1), Path::new("dir/receipt.json"));
        assert_eq!(numbered_receipt(path, 3), Path::new("dir/receipt-3.json"));
        assert_eq!(
            numbered_receipt(Path::new("r"), 2),
            Path::new("r-2"),
            "no extension"
        );
    }

    #[test]
    fn a_proof_of_an_erasure_everywhere_needs_organizations() {
        let refused = organizations_to_check(&DeletionScope::AllOrganizations, &[]);
        assert!(matches!(
            refused,
            Err(Error::Refused(crate::error::Refusal {
                kind: RefusalKind::NothingToCheck,
                ..
            }))
        ));
        let named = organizations_to_check(&DeletionScope::AllOrganizations, &["o".into()]);
        assert_eq!(named.ok(), Some(vec!["o".to_owned()]));
    }

    #[test]
    fn matches_are_grouped_by_their_organizations() {
        let found = |org: &str, user: &str| Match {
            organization_id: org.into(),
            user_id: user.into(),
            email: None,
            name: None,
            found_as: Default::default(),
        };
        let matches = [
            found("o1", "a"),
            found("o2", "a"),
            found("o1", "b"),
            found("o2", "b"),
            found("o3", "c"),
        ];
        let plans = plan_matches(&matches, &MatchesErasure::default()).expect("plans");
        let groups: Vec<(Vec<String>, DeletionScope)> = plans
            .iter()
            .map(|p| (p.request().user_ids().to_vec(), p.request().scope().clone()))
            .collect();
        assert_eq!(
            groups,
            vec![
                (
                    vec!["a".to_owned(), "b".to_owned()],
                    DeletionScope::Organizations(vec!["o1".into(), "o2".into()])
                ),
                (
                    vec!["c".to_owned()],
                    DeletionScope::Organizations(vec!["o3".into()])
                ),
            ]
        );
    }
}
