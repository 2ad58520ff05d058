//! End-to-end tests of `velt data delete` and `delete-status` with receipts, proofs of
//! erasure and outages, against the fake Velt server.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::{Value, json};
use velt_fake::{FakeConfig, FakeVelt};

use crate::common;
#[allow(dead_code)] // the raw servers of the library's tests; this file uses a few parts
#[path = "../../../../tests/common/raw.rs"]
mod raw;

use common::*;
use raw::{RawServer, respond_json};
use tokio::io::AsyncWriteExt;

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

/// A Velt whose GDPR deletion takes the activity records too (the fake's default keeps them,
/// as Velt's pages read: `verify_names_the_activity_records_the_gdpr_deletion_leaves`).
fn config() -> FakeConfig {
    FakeConfig {
        items_per_feature: 30,
        deletion_task_duration: Duration::from_millis(100),
        gdpr_deletes_activities: true,
        ..FakeConfig::default()
    }
}

/// A fake Velt with `config`, and the path of a receipt in a fresh directory `name`.
async fn start(config: FakeConfig, name: &str) -> (FakeVelt, PathBuf) {
    let fake = FakeVelt::start(config).await.unwrap();
    (fake, scratch(name).join("receipt.json"))
}

/// `velt data delete-status --receipt RECEIPT EXTRA...`.
fn status_args<'a>(receipt: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["data", "delete-status", "--receipt", receipt];
    args.extend_from_slice(extra);
    args
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
async fn verify_names_the_activity_records_the_gdpr_deletion_leaves() {
    let config = FakeConfig {
        gdpr_deletes_activities: false,
        ..config()
    };
    let (fake, receipt) = start(config, "erase-verify-activities").await;
    let output = run(velt(
        &fake,
        &delete_args(receipt.to_str().unwrap(), &["--wait", "--verify"]),
    ))
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_stderr_has(
        &output,
        "verified: nothing remains in the GDPR export's lists",
    );
    assert_stderr_has(
        &output,
        "activities in org-0001 (user user-0001): 25 remaining",
    );
    assert_stderr_has(&output, "request erase --user-id ID --erase-activities");
}

#[tokio::test]
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
        &status_args(receipt_arg, &["--wait", "--verify"]),
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
        &status_args(not_a_receipt.to_str().unwrap(), &[]),
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
    let mut command = velt(
        &fake,
        &delete_args(receipt.to_str().unwrap(), &["--wait", "--verify"]),
    );
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
    // The resume keeps the proof asked for.
    assert_stderr_has(&output, "--wait --verify`");
    let (_, saved) = read_receipt(&receipt);
    assert_eq!(saved["jobs"][0]["completed"], json!(false));
}

// ---- Unknown outcomes, refusals that started nothing, jobs Velt does not know --------------

const JOB_ANSWER: &str = r#"{"status":"success","message":"Data deletion process has been initiated.","data":{"jobId":"job-raw-1","tasksCount":1},"statusCode":202}"#;

/// `velt data delete` of user-0001 in org-0001 against a raw server, with a receipt.
fn raw_delete(server: &RawServer, receipt: &Path) -> tokio::process::Command {
    velt_at(
        &server.url(),
        "key",
        "token",
        &delete_args(receipt.to_str().unwrap(), &[]),
    )
}

/// What an unknown outcome must say, and must not.
fn assert_unknown_outcome(output: &std::process::Output) {
    assert_eq!(output.status.code(), Some(4), "{}", stderr(output));
    let text = stderr(output);
    assert!(text.contains("may have started"), "{text}");
    assert!(text.contains("user-0001"), "{text}");
    assert!(text.contains("org-0001"), "{text}");
    assert!(text.contains("--verify"), "how to settle it: {text}");
    assert!(!text.contains("after retries"), "no retry happened: {text}");
    assert!(!text.contains("try again later"), "no blind resend: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_answered_503_after_its_body_was_read_is_an_unknown_outcome_kept_in_the_receipt() {
    let server = RawServer::start(|_request, stream| async move {
        respond_json(
            stream,
            "503 Service Unavailable",
            &json!({"error": {"message": "backend down", "status": "UNAVAILABLE"}}),
        )
        .await
    })
    .await;
    let receipt = scratch("erase-unknown-503").join("receipt.json");
    let output = run(raw_delete(&server, &receipt)).await;
    assert_unknown_outcome(&output);
    assert_stderr_has(&output, "delete-status --receipt");
    assert_eq!(
        server.requests(),
        1,
        "a deletion that may have started is not resent"
    );
    let (_, saved) = read_receipt(&receipt);
    assert_eq!(saved["jobs"], json!([]));
    let batch = &saved["outcomeUnknown"][0];
    assert_eq!(batch["outcome"], json!("unknown"));
    assert_eq!(batch["userIds"], json!(["user-0001"]));
    assert!(batch["sentAt"].is_string(), "{batch}");
    assert!(batch["error"].as_str().unwrap().contains("503"), "{batch}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_dropped_after_the_delete_was_sent_is_an_unknown_outcome() {
    let server = RawServer::start(|_request, stream| async move {
        drop(stream);
        Ok(())
    })
    .await;
    let receipt = scratch("erase-unknown-drop").join("receipt.json");
    let output = run(raw_delete(&server, &receipt)).await;
    assert_unknown_outcome(&output);
    assert_eq!(server.requests(), 1);
    let (_, saved) = read_receipt(&receipt);
    assert_eq!(saved["outcomeUnknown"][0]["outcome"], json!("unknown"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_on_delete_is_waited_out_and_sent_again() {
    let server = RawServer::start(|request, mut stream| async move {
        if request.number == 1 {
            let body = r#"{"error":{"message":"slow down","status":"RESOURCE_EXHAUSTED"}}"#;
            let head = format!(
                "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 2\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
            return stream.shutdown().await;
        }
        respond_json(
            stream,
            "202 Accepted",
            &serde_json::from_str::<Value>(JOB_ANSWER).unwrap(),
        )
        .await
    })
    .await;
    let receipt = scratch("erase-429").join("receipt.json");
    let started = std::time::Instant::now();
    let output = run(raw_delete(&server, &receipt)).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After: 2 was not honoured ({:?})",
        started.elapsed()
    );
    assert_eq!(server.requests(), 2, "sent again once");
    assert_stderr_has(&output, "retrying");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "job-raw-1");
    let (_, saved) = read_receipt(&receipt);
    assert_eq!(saved["jobs"][0]["jobId"], json!("job-raw-1"));
    assert!(saved.get("outcomeUnknown").is_none(), "{saved}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_velt_does_not_know_is_named_without_advice_to_resume() {
    let (fake, receipt) = start(config(), "erase-not-found").await;
    let receipt_arg = receipt.to_str().unwrap();
    let first = run(velt(&fake, &delete_args(receipt_arg, &[]))).await;
    assert!(first.status.success(), "{}", stderr(&first));
    // A receipt of two jobs, the first of which Velt does not know (expired, say).
    let (_, mut saved) = read_receipt(&receipt);
    let mut unknown = saved["jobs"][0].clone();
    unknown["jobId"] = json!("job-expired-0001");
    unknown["userIds"] = json!(["user-0002"]);
    saved["jobs"] = json!([unknown, saved["jobs"][0].clone()]);
    std::fs::write(&receipt, saved.to_string()).unwrap();

    let output = run(velt(&fake, &status_args(receipt_arg, &["--wait"]))).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("job-expired-0001"), "names the job: {text}");
    assert!(
        text.contains("NOT_FOUND means"),
        "says what it means: {text}"
    );
    assert!(text.contains("user-0002"), "names its users: {text}");
    assert!(
        !text.contains("resume"),
        "a resume meets the same 404: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_past_its_timeout_exits_1_naming_the_time_waited_and_the_resume() {
    let config = FakeConfig {
        deletion_task_duration: Duration::from_secs(3600),
        ..config()
    };
    let (fake, receipt) = start(config, "erase-timeout").await;
    let started = std::time::Instant::now();
    let output = run(velt(
        &fake,
        &delete_args(receipt.to_str().unwrap(), &["--wait", "--timeout", "2s"]),
    ))
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the timeout bounds the wait: {:?}",
        started.elapsed()
    );
    let text = stderr(&output);
    assert!(text.contains("gave up waiting after 2s"), "{text}");
    assert!(text.contains("--timeout 2s"), "{text}");
    assert!(text.contains("delete-status --receipt"), "{text}");
    let (_, saved) = read_receipt(&receipt);
    assert_eq!(saved["jobs"][0]["completed"], json!(false));
    // A timeout without --wait is a usage error.
    let refused = run(velt(
        &fake,
        &["data", "delete-status", "--job-id", "j", "--timeout", "5m"],
    ))
    .await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_in_an_organization_the_user_is_not_in_fails_unless_allowed() {
    let (fake, receipt) = start(config(), "erase-verify-typo").await;
    let args = [
        "data",
        "delete",
        "--user-id",
        "user-0001",
        "--organization-id",
        "org-001",
        "--yes",
        "--wait",
        "--verify",
        "--receipt",
        receipt.to_str().unwrap(),
    ];
    let output = run(velt(&fake, &args)).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("user-0001 is not a member of org-001 and had no data there; is the organization id right?"),
        "{text}"
    );
    assert!(!text.contains("verified:"), "{text}");
    let (_, saved) = read_receipt(&receipt);
    let check = &saved["verification"]["checks"][0];
    assert_eq!(check["memberBefore"], json!(false));
    assert_eq!(check["before"]["comments"], json!(0));
    assert_eq!(saved["baseline"][0]["member"], json!(false));
    // The user's data in org-0001 is untouched, as the message warns.
    let export = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
        ],
    ))
    .await;
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(
        !export.stdout.is_empty(),
        "the data in org-0001 is still there"
    );

    // With the right organization too, and --allow-empty, the proof holds and counts before.
    let receipt2 = receipt.with_file_name("receipt2.json");
    let output = run(velt(
        &fake,
        &[
            "data",
            "delete",
            "--user-id",
            "user-0001",
            "--organization-id",
            "org-0001",
            "--organization-id",
            "org-001",
            "--yes",
            "--wait",
            "--verify",
            "--allow-empty",
            "--receipt",
            receipt2.to_str().unwrap(),
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_stderr_has(&output, "verified:");
    let (_, saved) = read_receipt(&receipt2);
    let checks = saved["verification"]["checks"].as_array().unwrap();
    let real = checks
        .iter()
        .find(|c| c["organizationId"] == json!("org-0001"))
        .unwrap();
    assert_eq!(real["memberBefore"], json!(true));
    assert!(real["before"]["comments"].as_u64().unwrap() > 0, "{real}");
    assert_eq!(real["remaining"]["comments"], json!(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receipt_is_not_resumed_against_another_velt() {
    let (fake, receipt) = start(config(), "erase-other-host").await;
    let receipt_arg = receipt.to_str().unwrap();
    let first = run(velt(&fake, &delete_args(receipt_arg, &[]))).await;
    assert!(first.status.success(), "{}", stderr(&first));
    let (before, saved) = read_receipt(&receipt);
    let other = FakeVelt::start(config()).await.unwrap();
    let output = run(velt(
        &other,
        &status_args(receipt_arg, &["--wait", "--verify"]),
    ))
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    let recorded = saved["veltHost"].as_str().unwrap();
    assert!(text.contains(recorded), "names the receipt's host: {text}");
    assert!(
        text.contains(&other.addr().to_string()),
        "names this host: {text}"
    );
    assert_eq!(other.request_count(), 0, "nothing was sent");
    let (after, _) = read_receipt(&receipt);
    assert_eq!(before, after, "the receipt is untouched");
}
