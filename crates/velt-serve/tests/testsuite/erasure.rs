//! Jane's erasure from Transcend: `WAITING` while Velt's job runs, then `RESOLVED` (a Velt
//! whose GDPR deletion takes the activity records too) or `ACTION_REQUIRED` naming what
//! remains; one case and one deletion for a job sent twice, and for a worker stopped while
//! waiting and started again.

use std::time::Duration;

use velt_serve::{
    Server,
    job::{Outcome, Stage},
};

use crate::common::{self, FakeTranscend, JANE, NONCE, Velt, post_webhook, webhook};

#[tokio::test(flavor = "multi_thread")]
async fn an_erasure_waits_then_resolves_and_a_job_sent_twice_is_one_deletion() {
    let velt = Velt::start(common::fake_config(100, true)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("erasure-resolved");
    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("the server starts");
    let token = transcend.keys.good_token();
    let body = webhook("ERASURE", "req-erase-1", JANE);
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 200);
    // Sent again while it runs: the same job.
    let (status, text) = post_webhook(&server, Some(&token), &body).await;
    assert_eq!(status, 200, "{text}");

    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Resolved), "{:?}", job.message);
    assert_eq!(transcend.erasure_states(), ["WAITING", "RESOLVED"]);
    for call in transcend.calls_to("PUT", "/v1/data-silo") {
        assert_eq!(call.nonce.as_deref(), Some(NONCE));
        assert!(call.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(velt.deletions(), 1, "one deletion request at Velt");
    let case_dir = common::job_dirs(&dir).remove(0).join("case");
    let case = velt_case::Case::load(&case_dir).expect("the case");
    assert_eq!(case.status, velt_case::Status::Erased);
    let report = velt_case::check(&case_dir, chrono::Utc::now().date_naive()).expect("checked");
    assert!(report.is_intact(), "{:?}", report.problems);

    // And once more after it is done: its state, nothing sent.
    let (status, text) = post_webhook(&server, Some(&token), &body).await;
    assert_eq!(status, 200);
    assert!(text.contains("resolved"), "{text}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(velt.deletions(), 1);
    assert_eq!(transcend.erasure_states().len(), 2);
    assert_eq!(common::job_dirs(&dir).len(), 1, "one case");
}

#[tokio::test(flavor = "multi_thread")]
async fn activity_records_left_by_velt_make_it_action_required() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("erasure-action");
    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("the server starts");
    let body = webhook("ERASURE", "req-erase-2", JANE);
    assert_eq!(
        post_webhook(&server, Some(&transcend.keys.good_token()), &body)
            .await
            .0,
        200
    );
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::ActionRequired));
    assert_eq!(transcend.erasure_states(), ["WAITING", "ACTION_REQUIRED"]);
    let last = transcend
        .calls_to("PUT", "/v1/data-silo")
        .pop()
        .expect("a last answer");
    let message = last.body["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("activities"), "{message}");
    assert!(message.contains("record(s)"), "{message}");
    assert_eq!(velt.deletions(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_stopped_while_waiting_finishes_with_one_deletion_when_started_again() {
    // Three organizations, 600 ms a task: the job runs about two seconds.
    let velt = Velt::start(common::fake_config(600, true)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("erasure-restart");
    let config = common::config(&dir, &velt, &transcend);
    let server = Server::start(config.clone())
        .await
        .expect("the server starts");
    let body = webhook("ERASURE", "req-erase-3", JANE);
    assert_eq!(
        post_webhook(&server, Some(&transcend.keys.good_token()), &body)
            .await
            .0,
        200
    );
    common::wait_until("WAITING to be reported", Duration::from_secs(30), || {
        transcend.erasure_states() == ["WAITING"]
    })
    .await;
    assert_eq!(common::job(&dir).stage, Stage::Waiting);
    drop(server);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let server = Server::start(config).await.expect("started again");
    assert_eq!(server.resumed(), 1, "the open job is taken up");
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Resolved), "{:?}", job.message);
    assert_eq!(velt.deletions(), 1, "never a second deletion");
    let states = transcend.erasure_states();
    assert_eq!(
        states.last().map(String::as_str),
        Some("RESOLVED"),
        "{states:?}"
    );
    // The outbox delivers at least once: a worker stopped after Transcend took WAITING but
    // before it recorded the acknowledgement sends it again on restart (Transcend treats a
    // repeated status as the same). Never anything but WAITING before the one RESOLVED.
    let waiting = states.iter().filter(|s| *s == "WAITING").count();
    assert!((1..=2).contains(&waiting), "{states:?}");
    assert_eq!(waiting + 1, states.len(), "{states:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_on_one_folder_never_work_one_job_at_once() {
    let velt = Velt::start(common::fake_config(300, true)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("erasure-two-workers");
    let config = common::config(&dir, &velt, &transcend);
    let first = Server::start(config.clone())
        .await
        .expect("the first starts");
    let body = webhook("ERASURE", "req-erase-4", JANE);
    assert_eq!(
        post_webhook(&first, Some(&transcend.keys.good_token()), &body)
            .await
            .0,
        200
    );
    // A second worker on the same folder takes the open job up, and waits for its lock.
    let second = Server::start(config).await.expect("the second starts");
    assert_eq!(second.resumed(), 1);
    // The same job sent to the second one too.
    assert_eq!(
        post_webhook(&second, Some(&transcend.keys.good_token()), &body)
            .await
            .0,
        200
    );
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Resolved), "{:?}", job.message);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(velt.deletions(), 1);
    assert_eq!(transcend.erasure_states(), ["WAITING", "RESOLVED"]);
    drop((first, second));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_stopped_before_it_kept_velts_answer_never_sends_the_deletion_again() {
    let velt = Velt::start(common::fake_config(20, true)).await;
    velt.hold_deletion_answers
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("erasure-unknown");
    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("the server starts");
    let token = transcend.keys.good_token();
    let body = webhook("ERASURE", "req-erase-unknown", JANE);
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 200);
    common::wait_until(
        "Velt received the deletion",
        Duration::from_secs(20),
        || velt.deletions() == 1,
    )
    .await;
    // Stopped while Velt's answer was on its way: no receipt was kept.
    drop(server);
    let job = common::job(&dir);
    assert_eq!(job.stage, Stage::Received);
    assert_eq!(
        job.deletions_begun.len(),
        1,
        "the intent was recorded first"
    );
    velt.hold_deletion_answers
        .store(false, std::sync::atomic::Ordering::SeqCst);

    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("started again");
    assert_eq!(server.resumed(), 1);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::ActionRequired));
    let message = job.message.unwrap_or_default();
    assert!(message.contains("unknown"), "{message}");
    assert!(message.contains("not sent again"), "{message}");
    assert_eq!(transcend.erasure_states(), ["ACTION_REQUIRED"]);
    assert_eq!(velt.deletions(), 1, "never sent blindly again");
}
