//! The platform down for a while: the answers wait in the outbox, are retried with growing
//! pauses (each attempt in the case's event log), and arrive once it is back; an answer the
//! platform no longer wants (409) is not retried.

use std::{sync::atomic::Ordering, time::Duration};

use velt_serve::{
    Server,
    job::{Outcome, Stage},
    outbox::{self, Delivery},
};

use crate::common::{self, FakeTranscend, JANE, Velt, post_webhook, webhook};

#[tokio::test(flavor = "multi_thread")]
async fn answers_wait_for_the_platform_and_a_lost_ack_ends_in_409() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("outbox");
    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("the server starts");
    // The webhook is verified first (the key is fetched), then the platform goes down.
    let body = webhook("ACCESS", "req-outbox", JANE);
    transcend
        .state
        .lose_first_completion_ack
        .store(true, Ordering::SeqCst);
    transcend.state.down.store(true, Ordering::SeqCst);
    assert_eq!(
        post_webhook(&server, Some(&transcend.keys.good_token()), &body)
            .await
            .0,
        200
    );

    common::wait_until("several refused attempts", Duration::from_secs(60), || {
        transcend.state.refused.load(Ordering::SeqCst) >= 4
    })
    .await;
    let job_dir = common::job_dirs(&dir).remove(0);
    let case_dir = job_dir.join("case");
    let failed = common::events(&case_dir)
        .into_iter()
        .filter(|e| e["step"] == "answer" && e["details"]["outcome"] == "failed")
        .count();
    assert!(failed >= 3, "each attempt is in the event log: {failed}");
    assert_eq!(common::job(&dir).stage, Stage::Reporting);
    assert!(transcend.calls().is_empty());

    transcend.state.down.store(false, Ordering::SeqCst);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported));
    assert!(
        !transcend
            .calls_to("POST", "/v1/datapoint-chunked")
            .is_empty()
    );
    assert_eq!(
        transcend.calls_to("POST", "/v1/data-silo").len(),
        1,
        "recorded once"
    );
    assert_eq!(
        transcend.state.conflicts.load(Ordering::SeqCst),
        1,
        "the retry got 409"
    );

    let entries = outbox::entries(&velt_serve::job::JobDir::at(job_dir)).expect("the outbox");
    let last = &entries.last().expect("entries").1;
    assert_eq!(last.delivery, Delivery::NoLongerWanted);
    assert_eq!(last.last_status, Some(409));
    assert!(
        entries[..entries.len() - 1]
            .iter()
            .all(|(_, e)| e.delivery == Delivery::Acknowledged)
    );
    assert!(entries[0].1.attempts >= 4, "the first answer was retried");
}
