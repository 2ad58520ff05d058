//! The access request (`velt_dsr::request::access`) in process, against the fake: a person in
//! three organizations, all read; one that cannot be read during the search; one whose export
//! fails after the search.

use chrono::Utc;
use velt_api::search::Subject;
use velt_case::{Status, model};
use velt_dsr::{
    event::Event,
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
