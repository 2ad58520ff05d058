//! The two requests a person makes, each answered into a case folder ([`velt_case`]):
//! [`access`] (GDPR Art. 15: find the person everywhere, export every match, record it,
//! write the report) and the erasure ([`prepare_erasure`], then [`PreparedErasure::run`]:
//! Art. 17: find the person again, erase every match, wait, verify everywhere found, keep the
//! receipts).

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use serde_json::json;
use velt_api::{
    Client,
    deletion::PollOptions,
    search::{Search, Subject},
};
use velt_case::{
    Case, CaseFolder, NewCase, ReportOptions, RequestKind, Status,
    model::{self, CoverageRow, FileRole},
    report::ReportSummary,
};

use crate::{
    coverage,
    erase::{
        self, ErasureOutcome, ErasurePlan, ErasureResult, MatchesErasure, StoreCheck, StoreErasure,
        StoreVerdict,
    },
    error::{Error, RefusalKind, Result},
    event::{Event, Events},
    export::{self, FileFormat, MatchesExport, MatchesExported, OpenMode},
    files::{self, Downloads, FileOptions, FilesCollected},
    find::{self, FindOptions, Found},
    stores,
};

/// An access request to answer.
#[derive(Clone, Debug)]
pub struct AccessOptions {
    /// The case folder to create (it must not hold a case yet).
    pub case: PathBuf,
    /// Who asks.
    pub subject: Subject,
    /// Only these organizations; empty for every organization.
    pub organization_ids: Vec<String>,
    /// Calls in flight at once during the search, and exports at once per organization.
    pub concurrency: usize,
    /// The day the request was received (not in the future); the due date follows from it.
    pub received: NaiveDate,
    /// The controller's notice, in Markdown, for the report.
    pub notice_markdown: Option<String>,
    /// Also pack the case into `DIR.zip`.
    pub zip: bool,
    /// The files behind the links in the data: which, from where, how much.
    pub files: FileOptions,
}

/// What an access request did.
#[derive(Debug)]
pub struct AccessOutcome {
    /// The case as recorded (`case.json`).
    pub case: Case,
    /// The search, with its record.
    pub search: Search,
    /// The exports written, and the organizations whose export failed.
    pub exported: MatchesExported,
    /// What the report holds; `None` when an export failed (the case says so; run again).
    pub report: Option<ReportSummary>,
    /// The package, with `zip`.
    pub zip: Option<PathBuf>,
    /// The files behind the links; `None` when an export failed (nothing was fetched).
    pub files: Option<FilesCollected>,
    /// The coverage table recorded in the case: each store, what was collected, what is
    /// partial and why, and the stores no documented call reads. Empty when an export failed.
    pub coverage: Vec<CoverageRow>,
}

impl AccessOutcome {
    /// What the search found.
    pub fn found(&self) -> Found {
        find::found(&self.search)
    }

    /// Whether every step completed: the search found the person and read every
    /// organization, and every export is complete.
    pub fn is_complete(&self) -> bool {
        self.found() == Found::Matches && self.exported.failures.is_empty()
    }
}

/// Answers an access request into a new case folder: the search (kept as `search.json`),
/// every match exported into `data/ORG/USER.ndjson` with its manifest, each recorded in the
/// case, the report, and with `zip` the package. A search that is incomplete or finds nobody
/// still leaves a case and a report saying so.
///
/// ```no_run
/// # async fn run(client: velt_api::Client) -> velt_dsr::Result<()> {
/// use velt_api::search::Subject;
/// use velt_dsr::request::{AccessOptions, access};
///
/// let outcome = access(&client, AccessOptions {
///     case: "cases/jane".into(),
///     subject: Subject::email("jane@example.com"),
///     organization_ids: Vec::new(),
///     concurrency: 8,
///     received: chrono::Utc::now().date_naive(),
///     notice_markdown: None,
///     zip: true,
///     files: Default::default(),
/// }, &velt_dsr::event::ignore).await?;
/// println!("case {} is {}", outcome.case.id, outcome.case.status);
/// # Ok(()) }
/// ```
pub async fn access(
    client: &Client,
    options: AccessOptions,
    events: Events<'_>,
) -> Result<AccessOutcome> {
    let received = check_received(options.received)?;
    let downloads = Downloads::new(&options.files, client.base_url())?;
    let mut case = CaseFolder::create(
        &options.case,
        &NewCase {
            subject: options.subject.clone(),
            kinds: vec![RequestKind::Access],
            received,
        },
    )?;
    let search = search(
        client,
        &mut case,
        options.subject.clone(),
        options.organization_ids.clone(),
        options.concurrency,
        events,
    )
    .await?;
    let exported = export::export_matches(
        client,
        &search.matches,
        &MatchesExport {
            dir: options.case.join(model::DATA_DIR),
            format: FileFormat::Ndjson,
            mode: OpenMode::default(),
            concurrency: options.concurrency.max(1),
        },
        events,
    )
    .await;
    for file in &exported.files {
        case.record_export(&file.organization_id, &file.user_id)?;
    }
    if !exported.failures.is_empty() {
        let failed: Vec<&str> = exported
            .failures
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        case.log("export failed", json!({ "organizations": failed }))?;
        return Ok(AccessOutcome {
            case: case.case().clone(),
            search,
            exported,
            report: None,
            zip: None,
            files: None,
            coverage: Vec::new(),
        });
    }
    let names = coverage::organization_names(client, &search.organization_ids()).await;
    let mut rows = coverage::export_rows(&exported.files, &options.case, &names);
    rows.extend(stores::collect_stores(client, &mut case, &search, &names, events).await?);
    let files = files::collect_files(&mut case, &exported.files, &downloads, events).await?;
    rows.push(coverage::files_row(&files));
    rows.extend(model::unread_stores());
    case.set_coverage(rows.clone())?;
    let report = case.write_report(&ReportOptions {
        notice_markdown: options.notice_markdown,
        ..ReportOptions::default()
    })?;
    events(Event::Wrote {
        path: options.case.join(model::REPORT_FILE),
        what: "report",
    });
    if search.search.complete {
        case.set_status(Status::Exported)?;
    }
    let zip = if options.zip { Some(case.zip()?) } else { None };
    Ok(AccessOutcome {
        case: case.case().clone(),
        search,
        exported,
        report: Some(report),
        zip,
        files: Some(files),
        coverage: rows,
    })
}

/// An erasure request to answer.
#[derive(Clone, Debug)]
pub struct ErasureRequestOptions {
    /// The case folder: an existing case (of an access request, or an earlier erasure pass),
    /// or a new one.
    pub case: PathBuf,
    /// Who asks; needed for a new case, checked against an existing one.
    pub subject: Option<Subject>,
    /// Only these organizations; empty for every organization.
    pub organization_ids: Vec<String>,
    /// Calls in flight at once during the search.
    pub concurrency: usize,
    /// The day the request was received, for a new case (default today).
    pub received: Option<NaiveDate>,
    /// How to wait for the jobs: one deadline for every job of the request (default
    /// [`PollOptions::default`]: 24 hours), and the poller's intervals.
    pub poll: PollOptions,
    /// What to do about the data the GDPR deletion leaves in other stores (activity records
    /// are erased only when asked; what is kept needs a reason).
    pub stores: StoreErasure,
}

/// An erasure request searched and planned, ready to run: the caller may show
/// [`PreparedErasure::plans`] and ask before anything is erased.
#[derive(Debug)]
pub struct PreparedErasure {
    case: CaseFolder,
    search: Search,
    plans: Vec<ErasurePlan>,
    first_receipt: usize,
    stores: StoreErasure,
    second_pass: bool,
}

impl PreparedErasure {
    /// The erasures that will be sent, one per set of organizations.
    pub fn plans(&self) -> &[ErasurePlan] {
        &self.plans
    }

    /// The search they come from.
    pub fn search(&self) -> &Search {
        &self.search
    }

    /// The case.
    pub fn case(&self) -> &Case {
        self.case.case()
    }

    /// Whether this is a later pass over a case whose GDPR deletion an earlier pass already
    /// verified: nothing is sent to the GDPR deletion again, and the matches are the ones the
    /// case recorded (a search after the deletion may no longer find the person); only the
    /// other stores are checked (and erased when asked).
    pub fn is_second_pass(&self) -> bool {
        self.second_pass
    }

    /// Erases every match, waits, verifies in every organization found, and keeps every
    /// receipt in the case (numbered after any receipts of an earlier pass). The wait's
    /// deadline is one for the whole request: each erasure gets what the ones before it left.
    /// Stops at the first erasure that does not end verified; the case then records why and
    /// stays open.
    pub async fn run(self, client: &Client, events: Events<'_>) -> Result<ErasureRequestOutcome> {
        let PreparedErasure {
            mut case,
            search,
            plans,
            first_receipt,
            stores,
            second_pass,
        } = self;
        case.set_status(Status::Erasing)?;
        let dir = case.dir().to_path_buf();
        let mut outcomes = Vec::new();
        let mut failure = None;
        let started = std::time::Instant::now();
        for mut plan in plans {
            plan.poll.deadline = plan.poll.deadline.saturating_sub(started.elapsed());
            match erase::run(client, plan, events).await {
                Ok(outcome) => {
                    let verified = matches!(outcome.result, ErasureResult::Verified);
                    outcomes.push(outcome);
                    if !verified {
                        break;
                    }
                }
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
        // Every receipt written is kept in the case, whatever the outcome.
        let mut receipts = record_receipts(&mut case, first_receipt)?;
        if let Some(error) = failure {
            case.log("erasure failed", json!({ "error": error.to_string() }))?;
            return Err(error);
        }
        let gdpr_verified = second_pass
            || (!outcomes.is_empty()
                && outcomes
                    .iter()
                    .all(|o| matches!(o.result, ErasureResult::Verified)));
        if !gdpr_verified {
            let last = outcomes.last().map(|o| format!("{:?}", o.result));
            case.log("erasure not verified", json!({ "result": last }))?;
            return Ok(ErasureRequestOutcome {
                case: case.case().clone(),
                organizations: search.organization_ids(),
                search,
                outcomes,
                receipts,
                store_checks: Vec::new(),
                erased: false,
                second_pass,
            });
        }
        // The GDPR deletion is verified: now the stores it does not cover.
        let pairs: Vec<(String, String)> = search
            .matches
            .iter()
            .map(|m| (m.organization_id.clone(), m.user_id.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let checks = erase::check_stores(client, &pairs, &stores, events).await;
        let nothing_remains = checks.iter().all(StoreCheck::is_gone);
        let uncheckable = checks
            .iter()
            .any(|c| matches!(c.verdict, StoreVerdict::NotCheckable { .. }));
        let kept_with_reason = !nothing_remains && !uncheckable && stores.retain_reason.is_some();
        let erased = nothing_remains || kept_with_reason;
        let record = erase::numbered_receipt(
            &dir.join(STORES_CHECK_FILE),
            erase::existing_receipts(&dir.join(STORES_CHECK_FILE)).len() + 1,
        );
        let covered: Vec<&str> = STORES_CHECKED.to_vec();
        let text = serde_json::to_vec_pretty(&json!({
            "checkedAt": Utc::now(),
            "storesChecked": covered,
            "gdprExport": "verified by the receipts",
            "checks": checks,
            "nothingRemains": nothing_remains,
            "retainReason": stores.retain_reason,
            "erased": erased,
        }))
        .map_err(|e| Error::file("write", record.clone(), e.into()))?;
        velt_case::records::write_atomically(&record, &text)
            .map_err(|e| Error::file("write", record.clone(), e))?;
        case.record_file(&relative_to(&dir, &record)?, FileRole::Receipt)?;
        receipts.push(record);
        if erased {
            case.log(
                "verification",
                json!({
                    "receipts": receipts.len(),
                    "nothingRemains": nothing_remains,
                    "storesChecked": covered,
                    "kept": checks.iter().filter(|c| !c.is_gone()).count(),
                    "retainReason": stores.retain_reason,
                }),
            )?;
            case.set_status(Status::Erased)?;
        } else {
            case.log(
                "data remains",
                json!({
                    "stores": checks
                        .iter()
                        .filter(|c| !c.is_gone())
                        .map(|c| json!({"store": c.store, "organizationId": c.organization_id, "userId": c.user_id}))
                        .collect::<Vec<_>>(),
                }),
            )?;
        }
        Ok(ErasureRequestOutcome {
            case: case.case().clone(),
            organizations: search.organization_ids(),
            search,
            outcomes,
            receipts,
            store_checks: checks,
            erased,
            second_pass,
        })
    }
}

/// What an erasure request did.
#[derive(Debug)]
pub struct ErasureRequestOutcome {
    /// The case as recorded.
    pub case: Case,
    /// The search the erasure came from.
    pub search: Search,
    /// The organizations where the person was found.
    pub organizations: Vec<String>,
    /// Each erasure sent, in order; the last one is where it stopped when not every one
    /// ended verified. Empty on a second pass.
    pub outcomes: Vec<ErasureOutcome>,
    /// The checks of the stores the GDPR deletion does not cover, once it was verified: per
    /// store, organization and user, gone, remaining, retained or not checkable.
    pub store_checks: Vec<StoreCheck>,
    /// Whether this pass worked from an earlier, verified pass ([`PreparedErasure::is_second_pass`]).
    pub second_pass: bool,
    /// The receipts kept in the case by this pass.
    pub receipts: Vec<PathBuf>,
    /// Whether the case closed as erased: the GDPR deletion verified in every organization
    /// found, and in every other store checked nothing remains, or what is kept has the
    /// recorded reason ([`StoreErasure::retain_reason`]).
    pub erased: bool,
}

/// Opens (or creates) the case, finds the person again, and plans the erasure of every match.
/// Nothing is erased when the search is incomplete or finds nobody
/// ([`Error::SearchIncomplete`], [`Error::NobodyFound`]); the case records the search.
pub async fn prepare_erasure(
    client: &Client,
    options: ErasureRequestOptions,
    events: Events<'_>,
) -> Result<PreparedErasure> {
    let dir = &options.case;
    let mut case = if dir.join(model::CASE_FILE).exists() {
        let mut case = CaseFolder::open(dir)?;
        if let Some(given) = &options.subject
            && !same_subject(given, &case.case().subject)
        {
            return Err(Error::refused(
                RefusalKind::InvalidInput,
                format!(
                    "the case {} is about {}, not {given}; leave the subject out, or use another case folder",
                    dir.display(),
                    case.case().subject,
                ),
            ));
        }
        case.add_kind(RequestKind::Erasure)?;
        case
    } else {
        let Some(given) = &options.subject else {
            return Err(Error::refused(
                RefusalKind::InvalidInput,
                format!(
                    "{} holds no case; give the subject (an email or a user id) to open one",
                    dir.display()
                ),
            ));
        };
        CaseFolder::create(
            dir,
            &NewCase {
                subject: given.clone(),
                kinds: vec![RequestKind::Erasure],
                received: check_received(
                    options.received.unwrap_or_else(|| Utc::now().date_naive()),
                )?,
            },
        )?
    };
    let receipt = case.receipt_path();
    let first_receipt = erase::existing_receipts(&receipt).len() + 1;
    if let Some(search) = verified_earlier(&case)? {
        return Ok(PreparedErasure {
            case,
            search,
            plans: Vec::new(),
            first_receipt,
            stores: options.stores,
            second_pass: true,
        });
    }
    let who = case.case().subject.clone();
    let search = search(
        client,
        &mut case,
        who,
        options.organization_ids,
        options.concurrency,
        events,
    )
    .await?;
    find::require_matches(&search)?;
    let plans = erase::plan_matches(
        &search.matches,
        &MatchesErasure {
            wait: true,
            receipt: Some(receipt),
            first_receipt,
            verify: true,
            poll: options.poll,
        },
    )?;
    Ok(PreparedErasure {
        case,
        search,
        plans,
        first_receipt,
        stores: options.stores,
        second_pass: false,
    })
}

/// The record of the stores checked after an erasure, `erasure-stores.json` (numbered
/// `erasure-stores-2.json`, ... for later passes).
pub const STORES_CHECK_FILE: &str = "erasure-stores.json";

/// The stores an erasure checks, by the ids of the coverage table: the GDPR export's lists
/// (by the receipts' verification) and the ones [`erase::check_stores`] reads.
pub const STORES_CHECKED: [&str; 4] = ["gdprExport", "activities", "permissions", "memoryProfile"];

/// The search of an earlier pass whose GDPR deletion was verified (every receipt of the case
/// says nothing remains), to work from again; `None` when there is no such pass.
fn verified_earlier(case: &CaseFolder) -> Result<Option<Search>> {
    let receipts = erase::existing_receipts(&case.receipt_path());
    if receipts.is_empty() {
        return Ok(None);
    }
    for path in &receipts {
        let verified = velt_case::records::DeletionReceipt::load(path)
            .ok()
            .and_then(|r| r.verification)
            .is_some_and(|v| v.nothing_remains);
        if !verified {
            return Ok(None);
        }
    }
    let path = case.dir().join(model::SEARCH_FILE);
    let text = std::fs::read(&path).map_err(|e| Error::file("read", path.clone(), e))?;
    let search: Search = serde_json::from_slice(&text).map_err(|e| {
        Error::refused(
            RefusalKind::InvalidInput,
            format!(
                "{} is not the search record of the earlier pass ({e}); the case cannot be worked from",
                path.display()
            ),
        )
    })?;
    Ok((!search.matches.is_empty()).then_some(search))
}

/// Runs the search and keeps it in the case (`search.json` and a `search` step).
async fn search(
    client: &Client,
    case: &mut CaseFolder,
    who: Subject,
    organization_ids: Vec<String>,
    concurrency: usize,
    events: Events<'_>,
) -> Result<Search> {
    let search = find::find(
        client,
        &FindOptions {
            subject: who,
            organization_ids,
            concurrency,
        },
        events,
    )
    .await?;
    let bytes = serde_json::to_vec_pretty(&search)
        .map_err(|e| Error::file("write", case.dir().join(model::SEARCH_FILE), e.into()))?;
    case.record_search(
        &bytes,
        json!({
            "organizationsSearched": search.search.organizations_searched,
            "matches": search.matches.len(),
            "organizations": search.organization_ids(),
            "complete": search.search.complete,
        }),
    )?;
    events(Event::Wrote {
        path: case.dir().join(model::SEARCH_FILE),
        what: "search record",
    });
    Ok(search)
}

/// Whether two subjects name the same person as the search compares them: emails trimmed
/// and case-insensitively, user ids exactly.
fn same_subject(a: &Subject, b: &Subject) -> bool {
    match (a, b) {
        (Subject::Email(a), Subject::Email(b)) => {
            a.trim().to_lowercase() == b.trim().to_lowercase()
        }
        (Subject::UserId(a), Subject::UserId(b)) => a == b,
        _ => false,
    }
}

/// The day the request was received; never in the future.
fn check_received(day: NaiveDate) -> Result<NaiveDate> {
    let today = Utc::now().date_naive();
    if day > today {
        return Err(Error::refused(
            RefusalKind::InvalidInput,
            format!(
                "the request cannot have been received on {day}, which is in the future; give the day it arrived"
            ),
        ));
    }
    Ok(day)
}

/// `data/ORG/USER.ndjson` for a file under the case folder.
/// Records in the case every erasure receipt of its folder from the `first`-th on (1 for
/// all), as they are now (their hashes), and returns their paths: a receipt rewritten since
/// (its jobs followed) is recorded again.
pub fn record_receipts(case: &mut CaseFolder, first: usize) -> Result<Vec<PathBuf>> {
    let dir = case.dir().to_path_buf();
    let mut receipts = Vec::new();
    for (n, path) in erase::existing_receipts(&case.receipt_path())
        .into_iter()
        .enumerate()
    {
        if n + 1 < first {
            continue;
        }
        if n == 0 {
            case.record_receipt()?;
        } else {
            case.record_file(&relative_to(&dir, &path)?, FileRole::Receipt)?;
        }
        receipts.push(path);
    }
    Ok(receipts)
}

fn relative_to(case: &Path, file: &Path) -> Result<String> {
    let relative = file.strip_prefix(case).map_err(|_| {
        Error::refused(
            RefusalKind::InvalidInput,
            format!(
                "{} is not inside the case {}",
                file.display(),
                case.display()
            ),
        )
    })?;
    Ok(relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}
