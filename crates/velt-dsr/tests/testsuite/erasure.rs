//! The erasure in process, against the fake: a request for a person in three organizations
//! (erased and proved; refused while one organization cannot be read), a deletion whose
//! outcome is unknown, and one deadline across two deletion jobs.

use std::time::{Duration, Instant};

use velt_api::search::Subject;
use velt_case::{Status, model};
use velt_dsr::{
    Error,
    erase::{self, ErasureOptions, ErasureResult, Verify, WaitStop},
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
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erasure_request_erases_the_person_in_three_organizations_and_proves_it() {
    let fake = start(common::config()).await;
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
    assert_eq!(outcome.receipts, [case.join(model::RECEIPT_FILE)]);
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
