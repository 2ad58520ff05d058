//! The access request (`velt_dsr::request::access`) in process, against the fake: a person in
//! three organizations, all read; one that cannot be read during the search; one whose export
//! fails after the search.

use chrono::Utc;
use velt_api::search::Subject;
use velt_case::{Status, model};
use velt_dsr::{
    event::Event,
    files::FileOptions,
    find::Found,
    request::{AccessOptions, access},
};
use velt_fake::Faults;

use crate::common::{self, ITEMS, Seen, client, jane, lines, scratch, start};

fn options(case: std::path::PathBuf) -> AccessOptions {
    AccessOptions {
        case,
        subject: Subject::email("jane.doe@example.com"),
        organization_ids: Vec::new(),
        concurrency: 4,
        received: Utc::now().date_naive(),
        notice_markdown: None,
        zip: false,
        files: FileOptions::default(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_access_request_exports_the_person_from_each_of_three_organizations() {
    let fake = start(common::config()).await;
    let (user, organizations) = jane(&fake);
    let case = scratch("access-three").join("jane");
    let seen = Seen::default();
    let outcome = access(&client(&fake), options(case.clone()), &|e| seen.push(&e))
        .await
        .expect("the access request is answered");

    assert_eq!(outcome.found(), Found::Matches);
    assert!(outcome.is_complete(), "{:?}", outcome.exported.failures);
    assert_eq!(outcome.search.organization_ids(), organizations);
    assert_eq!(outcome.exported.files.len(), 3);
    for organization in &organizations {
        let file = case
            .join(model::DATA_DIR)
            .join(organization)
            .join(format!("{user}.ndjson"));
        assert_eq!(lines(&file), 4 * ITEMS, "{}", file.display());
    }
    assert_eq!(outcome.case.status, Status::Exported);
    assert!(outcome.report.is_some());
    assert!(case.join(model::REPORT_FILE).is_file());
    assert!(case.join(model::SEARCH_FILE).is_file());
    let check = velt_case::check(&case, Utc::now().date_naive()).expect("the case checks");
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    let events = seen.all();
    assert!(
        events.iter().any(|e| e.starts_with("Searched")),
        "the search is reported: {events:?}"
    );
    assert_eq!(
        events.iter().filter(|e| e.starts_with("Exported")).count(),
        3,
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_that_cannot_be_read_leaves_the_search_incomplete_and_the_case_open() {
    let fake = start(common::config()).await;
    let (user, organizations) = jane(&fake);
    let failing = organizations[1].clone();
    fake.set_faults(Faults {
        failing_organizations: vec![failing.clone()],
        ..Faults::default()
    });
    let case = scratch("access-one-unreadable").join("jane");
    let outcome = access(
        &client(&fake),
        options(case.clone()),
        &velt_dsr::event::ignore,
    )
    .await
    .expect("an incomplete search still leaves a case");

    assert_eq!(outcome.found(), Found::Incomplete);
    assert!(!outcome.is_complete());
    let failures: Vec<&str> = outcome
        .search
        .search
        .failures
        .iter()
        .map(|f| f.organization_id.as_str())
        .collect();
    assert_eq!(failures, [failing.as_str()]);
    // The two organizations read are exported; nothing is written for the third.
    assert_eq!(outcome.exported.files.len(), 2);
    for organization in &organizations {
        let file = case
            .join(model::DATA_DIR)
            .join(organization)
            .join(format!("{user}.ndjson"));
        assert_eq!(
            file.exists(),
            *organization != failing,
            "{}",
            file.display()
        );
    }
    // Not "exported": the person may be in the organization that was not read.
    assert_eq!(outcome.case.status, Status::Open);
    let search = common::json(&case.join(model::SEARCH_FILE));
    assert_eq!(search["search"]["complete"], false, "{search}");
    assert!(
        case.join(model::REPORT_FILE).is_file(),
        "a report of what was read"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_that_fails_in_one_organization_is_named_and_no_report_claims_the_answer() {
    let fake = start(common::config()).await;
    let (user, organizations) = jane(&fake);
    let failing = organizations[2].clone();
    let case = scratch("access-export-fails").join("jane");
    // The organization fails once the search is over: during the exports.
    let events = |event: Event| {
        if let Event::Searched { .. } = event {
            fake.set_faults(Faults {
                failing_organizations: vec![failing.clone()],
                ..Faults::default()
            });
        }
    };
    let outcome = access(&client(&fake), options(case.clone()), &events)
        .await
        .expect("a failed export still leaves a case");

    assert_eq!(outcome.found(), Found::Matches);
    assert!(!outcome.is_complete());
    let failed: Vec<&str> = outcome
        .exported
        .failures
        .iter()
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(failed, [failing.as_str()]);
    assert_eq!(outcome.exported.files.len(), 2);
    assert!(outcome.report.is_none(), "no report while an export failed");
    assert!(!case.join(model::REPORT_FILE).exists());
    assert_ne!(outcome.case.status, Status::Exported);
    let file = case
        .join(model::DATA_DIR)
        .join(&failing)
        .join(format!("{user}.ndjson"));
    assert!(!file.exists(), "no file passes for a complete export");
    let log = std::fs::read_to_string(case.join(model::EVENTS_FILE)).expect("the case log");
    assert!(
        log.contains("export failed") && log.contains(&failing),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_access_request_collects_every_store_and_a_local_copy_of_each_file_served() {
    let fake = start(common::config()).await;
    let (user, organizations) = jane(&fake);
    let case = scratch("access-stores").join("jane");
    let outcome = access(
        &client(&fake),
        options(case.clone()),
        &velt_dsr::event::ignore,
    )
    .await
    .expect("the access request is answered");

    // Activity records: every one, per organization, without the company's API key.
    for organization in &organizations {
        let file = case
            .join(model::STORES_DIR)
            .join(organization)
            .join(&user)
            .join("activities.ndjson");
        let seeded = fake.dataset().activity_records(organization, &user).len();
        assert_eq!(lines(&file), seeded, "{}", file.display());
        let text = std::fs::read_to_string(&file).expect("activities");
        assert!(
            !text.contains(fake.api_key()),
            "a credential in {}",
            file.display()
        );
        for name in ["permissions.json", "notification-settings.ndjson"] {
            let path = file.with_file_name(name);
            assert!(lines(&path) >= 1, "{}", path.display());
        }
    }
    let memory = case.join(model::STORES_DIR).join("memory").join(&user);
    assert_eq!(lines(&memory.join("profile.json")), 1);
    let seeded_judgments: usize = organizations
        .iter()
        .map(|o| fake.dataset().judgments(o, &user).len())
        .sum();
    let judgments = lines(&memory.join("judgments.ndjson"));
    assert!(
        judgments < seeded_judgments && judgments >= 200,
        "{judgments} of {seeded_judgments}: one decision is over Velt's limit"
    );

    // The coverage: the judgments are partial (a query still at its limit), the unread
    // stores named; case.json holds the same table.
    let row = |store: &str| {
        outcome
            .coverage
            .iter()
            .find(|r| r.store == store)
            .unwrap_or_else(|| panic!("no {store} row in {:?}", outcome.coverage))
    };
    assert_eq!(row("judgments").state, model::CoverageState::Partial);
    // Items and bytes as written: the exports' from their manifests, the stores' as written.
    for r in outcome.coverage.iter().filter(|r| {
        matches!(
            r.store.as_str(),
            "gdprExport" | "activities" | "permissions"
        )
    }) {
        let written = std::fs::metadata(case.join(&r.files[0]))
            .expect("its file")
            .len();
        assert_eq!(r.bytes, Some(written), "{r:?}");
        if r.store == "gdprExport" {
            assert_eq!(r.items, Some(4 * ITEMS as u64), "{r:?}");
        }
    }
    assert_eq!(row("presence").state, model::CoverageState::NotRead);
    assert!(row("activities").organization_name.is_some());
    assert_eq!(outcome.case.coverage, outcome.coverage);

    // The files the fake serves for her: each downloaded once, byte for byte, named by its
    // hash; no credential went to the file host.
    let served = fake.dataset().files();
    assert!(served.len() >= 4, "{served:?}");
    let local: Vec<(String, Vec<u8>)> = std::fs::read_dir(case.join(model::FILES_DIR))
        .expect("files/")
        .filter_map(|e| e.ok())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).expect("a local copy"))
        })
        .collect();
    for file in &served {
        let bytes = fake.dataset().file_bytes(&file.path).expect("small files");
        assert!(
            local.iter().any(|(_, b)| *b == bytes),
            "no local copy of {}",
            file.path
        );
    }
    assert!(
        local
            .iter()
            .all(|(name, _)| !name.contains("..") && name.len() > 64),
        "named by hash: {:?}",
        local.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    let requests = fake.file_requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| !r.had_credentials()),
        "{requests:?}"
    );
    let index = common::json(&case.join(model::FILE_INDEX));
    let unserved = index["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["url"] == velt_fake::UNSERVED_FILE_URL)
        .expect("the link to a host off the list is listed");
    assert_eq!(unserved["status"], "notFetched");

    // The case checks, and stops checking after one byte of a downloaded file changes.
    let today = Utc::now().date_naive();
    let check = velt_case::check(&case, today).expect("the case checks");
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    let first = std::fs::read_dir(case.join(model::FILES_DIR))
        .expect("files/")
        .filter_map(|e| e.ok())
        .next()
        .expect("a file");
    let mut bytes = std::fs::read(first.path()).expect("a file");
    bytes[0] ^= 1;
    std::fs::write(first.path(), bytes).expect("changed");
    let check = velt_case::check(&case, today).expect("the case checks");
    assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_files_nothing_is_downloaded_and_the_coverage_says_so() {
    let fake = start(common::config()).await;
    let case = scratch("access-no-files").join("jane");
    let mut options = options(case.clone());
    options.files.fetch = false;
    let outcome = access(&client(&fake), options, &velt_dsr::event::ignore)
        .await
        .expect("answered");
    let files = outcome
        .coverage
        .iter()
        .find(|r| r.store == "files")
        .expect("a files row");
    assert_eq!(files.state, model::CoverageState::NotRequested, "{files:?}");
    assert!(fake.file_requests().is_empty());
    assert!(!case.join(model::FILES_DIR).exists());
}
