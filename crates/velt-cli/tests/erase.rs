//! End-to-end tests of `velt data delete` and `delete-status` with receipts, proofs of
//! erasure and outages, against the fake Velt server.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::{Value, json};
use velt_fake::{FakeConfig, FakeVelt};

mod common;

use common::*;

fn read_receipt(path: &Path) -> (String, Value) {
    let text = std::fs::read_to_string(path).expect("the receipt exists");
    let value = serde_json::from_str(&text).expect("the receipt is JSON");
    (text, value)
}

/// A receipt never holds a credential.
fn assert_no_secret(fake: &FakeVelt, text: &str) {
    assert!(!text.contains(fake.api_key()), "API key in {text}");
    assert!(!text.contains(fake.auth_token()), "auth token in {text}");
}

fn config() -> FakeConfig {
    FakeConfig {
        items_per_feature: 30,
        deletion_task_duration: Duration::from_millis(100),
        ..FakeConfig::default()
    }
}

/// A fake Velt with `config`, and the path of a receipt in a fresh directory `name`.
async fn start(config: FakeConfig, name: &str) -> (FakeVelt, PathBuf) {
    let fake = FakeVelt::start(config).await.unwrap();
    (fake, scratch(name).join("receipt.json"))
}

fn delete_args<'a>(receipt: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "data",
        "delete",
        "--user-id",
        "user-0001",
        "--organization-id",
        "org-0001",
        "--yes",
        "--receipt",
        receipt,
    ];
    args.extend_from_slice(extra);
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_wait_verify_leaves_a_receipt_that_says_nothing_remains() {
    let (fake, receipt) = start(config(), "erase-verify-ok").await;
    let dir = receipt.parent().unwrap().to_owned();
    let receipt_arg = receipt.to_str().unwrap();
    let output = run(velt(
        &fake,
        &delete_args(receipt_arg, &["--wait", "--verify"]),
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let job_id = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert_stderr_has(&output, "verified: nothing remains");

    let (text, receipt) = read_receipt(&receipt);
    assert_no_secret(&fake, &text);
    assert_eq!(receipt["format"], json!(1));
    assert_eq!(receipt["veltHost"], json!(fake.addr().to_string()));
    assert_eq!(receipt["scope"], json!({ "organizations": ["org-0001"] }));
    let job = &receipt["jobs"][0];
    assert_eq!(job["jobId"], json!(job_id));
    assert_eq!(job["userIds"], json!(["user-0001"]));
    assert_eq!(job["tasksCount"], json!(1));
    assert_eq!(job["completed"], json!(true));
    assert_eq!(job["tasksLeft"], json!(0));
    assert!(
        job["startedAt"].is_string() && job["lastTaskCompletedAt"].is_string(),
        "{job}"
    );
    let verification = &receipt["verification"];
    assert_eq!(verification["nothingRemains"], json!(true));
    assert_eq!(verification["organizationIds"], json!(["org-0001"]));
    let check = &verification["checks"][0];
    assert_eq!(check["userId"], json!("user-0001"));
    assert_eq!(check["organizationId"], json!("org-0001"));
    assert_eq!(
        check["remaining"],
        json!({ "comments": 0, "notifications": 0, "reactions": 0, "recordings": 0 })
    );
    // No temporary file is left beside the receipt.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["receipt.json"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_what_a_deletion_left_behind_and_exits_1() {
    let config = FakeConfig {
        deletion_leaves_comments: 1,
        ..config()
    };
    let (fake, receipt) = start(config, "erase-verify-left").await;
    let output = run(velt(
        &fake,
        &delete_args(receipt.to_str().unwrap(), &["--wait", "--verify"]),
    ))
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("data remains"), "{text}");
    assert!(text.contains("user-0001 in org-0001: 1 comments"), "{text}");
    let (_, receipt) = read_receipt(&receipt);
    assert_eq!(receipt["verification"]["nothingRemains"], json!(false));
    assert_eq!(
        receipt["verification"]["checks"][0]["remaining"]["comments"],
        json!(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receipt_is_resumed_by_a_second_process() {
    let config = FakeConfig {
        deletion_task_duration: Duration::from_millis(1500),
        ..config()
    };
    let (fake, receipt) = start(config, "erase-resume").await;
    let receipt_arg = receipt.to_str().unwrap();
    // The first process starts the job and stops without waiting (as if killed).
    let first = run(velt(&fake, &delete_args(receipt_arg, &[]))).await;
    assert!(first.status.success(), "{}", stderr(&first));
    let (_, started) = read_receipt(&receipt);
    assert_eq!(started["jobs"][0]["completed"], json!(false));
    assert!(started["verification"].is_null());

    // A second process picks the receipt up, waits and proves the erasure.
    let second = run(velt(
        &fake,
        &[
            "data",
            "delete-status",
            "--receipt",
            receipt_arg,
            "--wait",
            "--verify",
        ],
    ))
    .await;
    assert!(second.status.success(), "{}", stderr(&second));
    let printed: Value = serde_json::from_slice(&second.stdout).expect("the receipt is printed");
    let (_, finished) = read_receipt(&receipt);
    assert_eq!(printed, finished);
    assert_eq!(finished["jobs"][0]["jobId"], started["jobs"][0]["jobId"]);
    assert_eq!(finished["createdAt"], started["createdAt"]);
    assert_eq!(finished["jobs"][0]["completed"], json!(true));
    assert_eq!(finished["verification"]["nothingRemains"], json!(true));

    // An existing receipt is never overwritten by a new deletion.
    let again = run(velt(&fake, &delete_args(receipt_arg, &[]))).await;
    assert_eq!(again.status.code(), Some(2));
    assert_stderr_has(&again, "already exists");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_rides_out_a_status_outage_and_says_so() {
    let (fake, receipt) = start(config(), "erase-outage").await;
    // Longer than the client's own retries of one call (about 3.5 s at most).
    fake.start_status_outage(Duration::from_secs(6));
    let output = run(velt(
        &fake,
        &delete_args(receipt.to_str().unwrap(), &["--wait"]),
    ))
    .await;
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("status call failed"), "{text}");
    assert!(text.contains("UNAVAILABLE"), "{text}");
    assert!(text.contains("still waiting"), "{text}");
    assert!(text.contains("completed"), "{text}");
    let (_, receipt) = read_receipt(&receipt);
    assert_eq!(receipt["jobs"][0]["completed"], json!(true));
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_of_an_every_organization_erasure_searches_or_checks_the_organizations_named() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let everywhere = [
        "data",
        "delete",
        "--user-id",
        "user-0001",
        "--yes",
        "--wait",
        "--verify",
    ];
    // Without organizations to check, the user's organizations are found first.
    let dir = scratch("erase-every-org");
    let searched = dir.join("searched.json");
    let mut args = everywhere.to_vec();
    args.extend(["--receipt", searched.to_str().unwrap()]);
    let output = run(velt(&fake, &args)).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, receipt) = read_receipt(&searched);
    assert_eq!(receipt["scope"], json!("everyOrganization"));
    let found = fake.dataset().organizations_of("user-0001");
    assert_eq!(receipt["verification"]["organizationIds"], json!(found));
    assert_stderr_has(&output, "searched 3 organization(s)");

    // --verify-organization-id narrows the check.
    let fake = FakeVelt::start(config()).await.unwrap();
    let receipt = dir.join("receipt.json");
    let mut args = everywhere.to_vec();
    args.extend([
        "--verify-organization-id",
        "org-0001",
        "--receipt",
        receipt.to_str().unwrap(),
    ]);
    let output = run(velt(&fake, &args)).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, receipt) = read_receipt(&receipt);
    assert_eq!(receipt["scope"], json!("everyOrganization"));
    let coverage = receipt["verification"]["coverage"].as_str().unwrap();
    assert!(coverage.contains("covers only"), "{coverage}");
    assert!(coverage.contains("org-0001"), "{coverage}");
    assert_stderr_has(&output, "covers only");
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_that_cannot_work_are_usage_errors_before_anything_is_sent() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let missing_dir = scratch("erase-flags").join("no-such-dir").join("r.json");
    for args in [
        // --verify needs --wait.
        vec![
            "data",
            "delete",
            "--user-id",
            "u",
            "--organization-id",
            "o",
            "--yes",
            "--verify",
        ],
        // The receipt's directory must exist.
        vec![
            "data",
            "delete",
            "--user-id",
            "u",
            "--organization-id",
            "o",
            "--yes",
            "--receipt",
            missing_dir.to_str().unwrap(),
        ],
        // delete-status needs a job id or a receipt; --verify needs a receipt.
        vec!["data", "delete-status"],
        vec![
            "data",
            "delete-status",
            "--job-id",
            "j",
            "--wait",
            "--verify",
        ],
    ] {
        let output = run(velt(&fake, &args)).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let not_a_receipt = scratch("erase-flags-2").join("r.json");
    std::fs::write(&not_a_receipt, "{}").unwrap();
    let output = run(velt(
        &fake,
        &[
            "data",
            "delete-status",
            "--receipt",
            not_a_receipt.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert_stderr_has(&output, "not a deletion receipt");
    assert_eq!(fake.request_count(), 0, "nothing was sent");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_the_wait_keeps_the_receipt_and_says_how_to_resume() {
    let config = FakeConfig {
        deletion_task_duration: Duration::from_secs(3600),
        ..config()
    };
    let (fake, receipt) = start(config, "erase-ctrl-c").await;
    let mut command = velt(&fake, &delete_args(receipt.to_str().unwrap(), &["--wait"]));
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().expect("velt starts");
    let started = std::time::Instant::now();
    while !receipt.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "no receipt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().expect("running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert_stderr_has(&output, "delete-status --receipt");
    let (_, saved) = read_receipt(&receipt);
    assert_eq!(saved["jobs"][0]["completed"], json!(false));
}
