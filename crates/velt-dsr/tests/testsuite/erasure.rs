//! The erasure in process, against the fake: a request for a person in three organizations
//! (erased and proved; refused while one organization cannot be read), a deletion whose
//! outcome is unknown, and one deadline across two deletion jobs.

use std::time::{Duration, Instant};

use velt_api::search::Subject;
use velt_case::{Status, model};
use velt_dsr::{
    Error,
    erase::{self, ErasureOptions, ErasureResult, StoreErasure, StoreVerdict, Verify, WaitStop},
    request::{ErasureRequestOptions, prepare_erasure},
};
use velt_fake::Faults;

use crate::common::{self, ITEMS, client, fast_poll, held, jane, scratch, start};

fn request(case: std::path::PathBuf) -> ErasureRequestOptions {
    ErasureRequestOptions {
        case,
        subject: Some(Subject::email("JANE.DOE@example.com")),
        organization_ids: Vec::new(),
        concurrency: 4,
        received: None,
        poll: fast_poll(Duration::from_secs(30)),
        stores: StoreErasure::default(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erasure_request_erases_the_person_in_three_organizations_and_proves_it() {
    // A Velt whose GDPR deletion takes the activity records too: every store checked is empty.
    let fake = start(velt_fake::FakeConfig {
        gdpr_deletes_activities: true,
        ..common::config()
    })
    .await;
    let client = client(&fake);
    let (user, organizations) = jane(&fake);
    for organization in &organizations {
        assert_eq!(held(&client, organization, &user).await, 4 * ITEMS);
    }
    let case = scratch("erase-three").join("jane");
    let prepared = prepare_erasure(&client, request(case.clone()), &velt_dsr::event::ignore)
        .await
        .expect("the erasure is planned");
    let plans = prepared.plans();
    assert_eq!(plans.len(), 1, "one person, one set of organizations");
    assert_eq!(plans[0].request().user_ids(), std::slice::from_ref(&user));
    assert_eq!(plans[0].check_in(), organizations.as_slice());

    let outcome = prepared
        .run(&client, &velt_dsr::event::ignore)
        .await
        .expect("the erasure runs");
    assert!(outcome.erased, "{:?}", outcome.outcomes);
    assert!(matches!(
        outcome.outcomes[0].result,
        ErasureResult::Verified
    ));
    assert_eq!(outcome.case.status, Status::Erased);
    assert_eq!(
        outcome.receipts,
        [
            case.join(model::RECEIPT_FILE),
            case.join(velt_dsr::request::STORES_CHECK_FILE)
        ]
    );
    for organization in &organizations {
        assert_eq!(
            held(&client, organization, &user).await,
            0,
            "{organization}"
        );
    }
    let receipt = common::json(&case.join(model::RECEIPT_FILE));
    let checks = receipt["verification"]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("checks in {receipt}"));
    assert_eq!(checks.len(), 3, "{receipt}");
    // Every other store was checked, each found empty, and the record names them.
    assert!(
        outcome.store_checks.iter().all(|c| c.is_gone()),
        "{:?}",
        outcome.store_checks
    );
    let stores = common::json(&case.join(velt_dsr::request::STORES_CHECK_FILE));
    assert_eq!(
        stores["storesChecked"],
        serde_json::json!(["gdprExport", "activities", "permissions", "memoryProfile"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erasure_request_sends_nothing_while_one_of_the_organizations_cannot_be_read() {
    let fake = start(common::config()).await;
    let client = client(&fake);
    let (user, organizations) = jane(&fake);
    fake.set_faults(Faults {
        failing_organizations: vec![organizations[0].clone()],
        ..Faults::default()
    });
    let case = scratch("erase-unreadable").join("jane");
    let error = prepare_erasure(&client, request(case.clone()), &velt_dsr::event::ignore)
        .await
        .expect_err("an incomplete search plans no erasure");
    match &error {
        Error::SearchIncomplete(record) => {
            assert_eq!(record.failures.len(), 1);
            assert_eq!(record.failures[0].organization_id, organizations[0]);
        }
        other => panic!("not a refusal for an incomplete search: {other:?}"),
    }
    fake.set_faults(Faults::default());
    for organization in &organizations[1..] {
        assert_eq!(
            held(&client, organization, &user).await,
            4 * ITEMS,
            "nothing was erased in {organization}"
        );
    }
    assert!(!case.join(model::RECEIPT_FILE).exists());
    assert!(
        case.join(model::SEARCH_FILE).is_file(),
        "the search is kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deletion_of_unknown_outcome_is_recorded_as_unknown_and_not_sent_again() {
    let fake = start(common::config()).await;
    let client = client(&fake);
    let (user, organizations) = jane(&fake);
    let dir = scratch("erase-unknown");
    let receipt = dir.join("receipt.json");
    let plan = erase::plan(ErasureOptions {
        user_ids: vec![user.clone()],
        organization_ids: vec![organizations[0].clone()],
        wait: true,
        poll: fast_poll(Duration::from_secs(30)),
        receipt: Some(receipt.clone()),
        verify: Verify::default(),
    })
    .expect("a plan");
    // Without a proof there is no count before: the next call is the deletion, answered 503
    // once Velt has its body. It may have started.
    let before = fake.request_count();
    let nth = u32::try_from(before + 1).expect("a small count");
    fake.set_faults(Faults {
        every_nth_503: Some(nth),
        ..Faults::default()
    });
    let outcome = erase::run(&client, plan, &velt_dsr::event::ignore)
        .await
        .expect("an unknown outcome is an outcome, not an error");
    assert_eq!(
        fake.request_count(),
        before + 1,
        "the deletion that may have started is not sent again"
    );
    let ErasureResult::Incomplete { started, .. } = &outcome.result else {
        panic!("not incomplete: {:?}", outcome.result);
    };
    assert_eq!(*started, 0);
    assert_eq!(outcome.receipt.outcome_unknown.len(), 1);
    assert_eq!(outcome.receipt.outcome_unknown[0].user_ids, [user.as_str()]);
    let saved = common::json(&receipt);
    assert_eq!(saved["outcomeUnknown"][0]["outcome"], "unknown", "{saved}");
    assert_eq!(saved["jobs"], serde_json::json!([]));
    fake.set_faults(Faults::default());
    assert_eq!(
        held(&client, &organizations[0], &user).await,
        4 * ITEMS,
        "the fake refused it before deleting anything"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_deadline_covers_both_jobs_of_an_erasure() {
    // 500 ms a task. The first job (30 users Velt does not know: one task) completes after
    // about 0.5 s; the second (Jane, in three organizations: three tasks) after about 1.5 s.
    // With one deadline of 1.1 s for both, the wait stops on the second job at about 1.1 s;
    // a deadline per job would have waited for it to the end.
    let fake = start(velt_fake::FakeConfig {
        deletion_task_duration: Duration::from_millis(500),
        ..common::config()
    })
    .await;
    let client = client(&fake);
    let (user, _) = jane(&fake);
    let mut user_ids: Vec<String> = (1..=30).map(|n| format!("absent-{n:02}")).collect();
    user_ids.push(user.clone());
    let dir = scratch("erase-deadline");
    let receipt = dir.join("receipt.json");
    let deadline = Duration::from_millis(1100);
    let plan = erase::plan(ErasureOptions {
        user_ids,
        organization_ids: Vec::new(),
        wait: true,
        poll: fast_poll(deadline),
        receipt: Some(receipt.clone()),
        verify: Verify::default(),
    })
    .expect("a plan");
    let started = Instant::now();
    let outcome = erase::run(&client, plan, &velt_dsr::event::ignore)
        .await
        .expect("the erasure runs");
    let elapsed = started.elapsed();

    let jobs = &outcome.receipt.jobs;
    assert_eq!(jobs.len(), 2, "two batches: 30 users, then 1");
    assert!(jobs[0].completed, "the first job completed in time");
    assert!(
        !jobs[1].completed,
        "the second had not when the time ran out"
    );
    let ErasureResult::WaitStopped(WaitStop::DeadlinePassed { job_id, waited, .. }) =
        &outcome.result
    else {
        panic!("not a passed deadline: {:?}", outcome.result);
    };
    assert_eq!(job_id, &jobs[1].job_id);
    assert!(*waited >= deadline, "waited {waited:?}");
    assert!(
        *waited < deadline + Duration::from_millis(350),
        "one deadline for both jobs, not one each: waited {waited:?}"
    );
    assert!(elapsed < Duration::from_millis(1450), "{elapsed:?}");
    let saved = common::json(&receipt);
    assert_eq!(saved["jobs"][0]["completed"], true, "{saved}");
    assert_eq!(saved["jobs"][1]["completed"], false, "{saved}");
}

/// The records of `user` in `organization` Velt refuses to delete, as the fake seeded them.
fn immutable(fake: &velt_fake::FakeVelt, organization: &str, user: &str) -> usize {
    fake.dataset()
        .activity_records(organization, user)
        .iter()
        .filter(|r| r.get("immutable") == Some(&serde_json::Value::Bool(true)))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn activity_records_left_by_the_gdpr_deletion_keep_the_case_open_until_erased_or_kept_for_a_reason()
 {
    // The fake's default, as Velt's pages read: the GDPR deletion leaves activity records.
    let fake = start(common::config()).await;
    let client = client(&fake);
    let (user, _) = jane(&fake);
    let with_records = fake.dataset().activity_organizations_of(&user);
    assert_eq!(with_records.len(), 2, "{with_records:?}");
    let case = scratch("erase-activities").join("jane");

    // First pass: the GDPR deletion is verified, the activity records remain, named per
    // organization; the case stays open.
    let first = prepare_erasure(&client, request(case.clone()), &velt_dsr::event::ignore)
        .await
        .expect("planned")
        .run(&client, &velt_dsr::event::ignore)
        .await
        .expect("the first pass runs");
    assert!(!first.erased);
    assert_ne!(first.case.status, Status::Erased);
    assert!(matches!(first.outcomes[0].result, ErasureResult::Verified));
    let remaining: Vec<(&str, usize)> = first
        .store_checks
        .iter()
        .filter_map(|c| match &c.verdict {
            StoreVerdict::Remaining { count, .. } => {
                Some((c.organization_id.as_deref().unwrap_or("-"), *count))
            }
            _ => None,
        })
        .collect();
    let per_org = fake
        .dataset()
        .activity_records(&with_records[0], &user)
        .len();
    assert_eq!(
        remaining,
        with_records
            .iter()
            .map(|o| (o.as_str(), per_org))
            .collect::<Vec<_>>(),
        "{:?}",
        first.store_checks
    );

    // Second pass with --erase-activities: no second GDPR deletion (the case's receipts
    // stand), the deletable records go, the immutable ones are retained with Velt's answer;
    // its record sits beside the first one.
    let mut options = request(case.clone());
    options.stores.erase_activities = true;
    let prepared = prepare_erasure(&client, options, &velt_dsr::event::ignore)
        .await
        .expect("planned again");
    assert!(prepared.is_second_pass());
    let second = prepared
        .run(&client, &velt_dsr::event::ignore)
        .await
        .expect("the second pass runs");
    assert!(second.second_pass && second.outcomes.is_empty());
    assert!(!second.erased, "immutable records remain without a reason");
    for organization in &with_records {
        let check = second
            .store_checks
            .iter()
            .find(|c| c.store == "activities" && c.organization_id.as_deref() == Some(organization))
            .unwrap_or_else(|| panic!("no check in {organization}"));
        let kept = immutable(&fake, organization, &user);
        assert!(kept > 0);
        assert!(
            matches!(&check.verdict, StoreVerdict::Retained { count, .. } if *count == kept),
            "{check:?}"
        );
        assert_eq!(check.deleted, per_org - kept, "{check:?}");
        assert_eq!(
            check
                .ids
                .values()
                .filter(|v| v.starts_with("not deleted"))
                .count(),
            kept,
            "each id's outcome is recorded: {check:?}"
        );
    }
    assert!(case.join(velt_dsr::request::STORES_CHECK_FILE).is_file());
    let second_file = case.join(velt_dsr::request::STORES_CHECK_FILE.replace(".json", "-2.json"));
    assert!(second_file.is_file(), "the second record beside the first");

    // Third pass with a reason: what Velt keeps is kept for the recorded reason, and the
    // case closes as erased.
    let reason = "Art. 17(3)(e): the audit trail is kept for legal claims";
    let mut options = request(case.clone());
    options.stores.retain_reason = Some(reason.to_owned());
    let third = prepare_erasure(&client, options, &velt_dsr::event::ignore)
        .await
        .expect("planned a third time")
        .run(&client, &velt_dsr::event::ignore)
        .await
        .expect("the third pass runs");
    assert!(third.erased, "{:?}", third.store_checks);
    assert_eq!(third.case.status, Status::Erased);
    let third_file = case.join(velt_dsr::request::STORES_CHECK_FILE.replace(".json", "-3.json"));
    assert_eq!(common::json(&third_file)["retainReason"], reason);
    let check = velt_case::check(&case, chrono::Utc::now().date_naive()).expect("the case checks");
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_erasure_of_known_users_checks_the_other_stores_where_the_user_was() {
    let fake = start(common::config()).await;
    let client = client(&fake);
    let (user, organizations) = jane(&fake);
    let with_records = fake.dataset().activity_organizations_of(&user);
    let plan = erase::plan(ErasureOptions {
        user_ids: vec![user.clone()],
        organization_ids: organizations.clone(),
        wait: true,
        poll: fast_poll(Duration::from_secs(30)),
        receipt: None,
        verify: Verify {
            enabled: true,
            organization_ids: organizations.clone(),
            allow_empty: false,
        },
    })
    .expect("a plan");
    let outcome = erase::run(&client, plan, &velt_dsr::event::ignore)
        .await
        .expect("the erasure runs");
    assert!(matches!(outcome.result, ErasureResult::Verified));
    let checks = erase::check_stores_of(&client, &outcome, &velt_dsr::event::ignore).await;
    let remaining: Vec<&str> = checks
        .iter()
        .filter(|c| c.store == "activities" && !c.is_gone())
        .filter_map(|c| c.organization_id.as_deref())
        .collect();
    assert_eq!(remaining, with_records, "{checks:?}");
    // Checked, not deleted.
    for organization in &with_records {
        let left = client
            .list_activities(velt_api::stores::ActivitiesQuery::of_user(
                organization.as_str(),
                user.as_str(),
            ))
            .collect()
            .await
            .expect("the records are listed");
        assert_eq!(
            left.len(),
            fake.dataset().activity_records(organization, &user).len(),
            "{organization}"
        );
    }
    assert!(
        checks
            .iter()
            .filter(|c| c.store != "activities")
            .all(|c| c.is_gone()),
        "the fake's GDPR deletion takes permissions and the profile: {checks:?}"
    );
}
