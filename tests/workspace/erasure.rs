//! The library's proof of erasure and deletion receipt, against the fake Velt server.

use std::time::Duration;

use velt_api::{
    Client,
    deletion::{DeleteRequest, DeletionScope, PollEvent, PollOptions, WaitOutcome},
};
use velt_case::records::DeletionReceipt;
use velt_fake::{FakeConfig, FakeVelt};

async fn fake(leaves: usize) -> (FakeVelt, Client) {
    let fake = FakeVelt::start(FakeConfig {
        items_per_feature: 150, // two pages
        deletion_task_duration: Duration::from_millis(50),
        deletion_leaves_comments: leaves,
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let client = Client::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .auth_token(fake.auth_token())
        .build()
        .unwrap();
    (fake, client)
}

fn fast() -> PollOptions {
    PollOptions {
        first_interval: Duration::from_millis(20),
        max_interval: Duration::from_millis(100),
        ..PollOptions::default()
    }
}

async fn erase(client: &Client, receipt: &mut DeletionReceipt) {
    for job in receipt.jobs.clone() {
        let mut statuses = 0;
        let outcome = client
            .poll_deletion(&job.job_id, fast())
            .until_done(|event| {
                if let PollEvent::Status(_) = event {
                    statuses += 1
                }
            })
            .await
            .unwrap();
        let WaitOutcome::Completed(status) = outcome else {
            panic!("{outcome}");
        };
        assert!(status.completed && statuses >= 1);
        assert!(receipt.record_status(&job.job_id, &status));
    }
    assert_eq!(receipt.unfinished_jobs().count(), 0);
}

#[tokio::test]
async fn verify_erasure_counts_what_an_export_still_finds() {
    let (_fake, client) = fake(0).await;
    let before = client
        .verify_erasure("org-0001", "user-0001")
        .await
        .unwrap();
    assert!(!before.nothing_remains());
    assert_eq!(before.pages, 2);
    assert_eq!(before.remaining["comments"], 150);
    assert_eq!(before.remaining.len(), 4);
    assert!(before.describe_remaining().contains("150 reactions"));

    let request = DeleteRequest::new(
        ["user-0001"],
        DeletionScope::Organizations(vec!["org-0001".into()]),
    );
    let jobs = client.delete_user_data(&request).await.unwrap().jobs;
    let mut receipt = DeletionReceipt::new(client.base_url(), &request, &jobs);
    erase(&client, &mut receipt).await;
    let after = client
        .verify_erasure("org-0001", "user-0001")
        .await
        .unwrap();
    assert!(after.nothing_remains(), "{after:?}");
    assert_eq!(after.describe_remaining(), "nothing");
}

#[tokio::test]
async fn a_receipt_round_trips_records_what_remains_and_holds_no_secret() {
    let (fake, client) = fake(2).await;
    let request = DeleteRequest::new(
        ["user-0001", "user-0002"],
        DeletionScope::Organizations(vec!["org-0001".into()]),
    );
    let jobs = client.delete_user_data(&request).await.unwrap().jobs;
    let mut receipt = DeletionReceipt::new(client.base_url(), &request, &jobs);
    assert_eq!(
        receipt.scope,
        DeletionScope::Organizations(vec!["org-0001".into()])
    );
    assert_eq!(
        receipt.user_ids().collect::<Vec<_>>(),
        ["user-0001", "user-0002"]
    );
    erase(&client, &mut receipt).await;

    let mut checks = Vec::new();
    for user in ["user-0001", "user-0002"] {
        checks.push(client.verify_erasure("org-0001", user).await.unwrap());
    }
    receipt.record_verification(vec!["org-0001".into()], checks);
    let verification = receipt.verification.as_ref().unwrap();
    assert!(!verification.nothing_remains);
    // user-0002 may not belong to org-0001; user-0001 does and keeps two comments.
    assert_eq!(verification.checks[0].remaining["comments"], 2);

    let dir = std::env::temp_dir().join(format!("velt-receipt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("receipt.json");
    receipt.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(fake.api_key()) && !text.contains(fake.auth_token()));
    assert_eq!(DeletionReceipt::load(&path).unwrap(), receipt);

    std::fs::write(&path, "[1, 2").unwrap();
    let err = DeletionReceipt::load(&path).unwrap_err();
    assert!(err.to_string().contains("not a deletion receipt"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_coverage_says_what_a_check_leaves_out() {
    let (_fake, client) = fake(0).await;
    let everywhere = DeleteRequest::new(["user-0001"], DeletionScope::AllOrganizations);
    let receipt = DeletionReceipt::new(client.base_url(), &everywhere, &[]);
    let text = receipt.coverage(&["org-0002".into()]);
    assert!(
        text.contains("every organization") && text.contains("covers only"),
        "{text}"
    );
    assert!(text.contains("org-0002"), "{text}");

    let two = DeleteRequest::new(
        ["user-0001"],
        DeletionScope::Organizations(vec!["org-0001".into(), "org-0002".into()]),
    );
    let receipt = DeletionReceipt::new(client.base_url(), &two, &[]);
    let text = receipt.coverage(&["org-0001".into()]);
    assert!(
        text.contains("NOT checked, though erased: org-0002"),
        "{text}"
    );
}
