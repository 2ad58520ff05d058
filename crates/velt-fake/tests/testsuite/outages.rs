//! Outages of the status call, deletions that leave data behind, size limits answered in
//! Velt's envelope, and connections that send half a request.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use velt_fake::{FakeConfig, FakeVelt, MAX_BODY_BYTES, MAX_HEADER_BYTES};

fn small() -> FakeConfig {
    FakeConfig {
        items_per_feature: 3,
        deletion_task_duration: Duration::ZERO,
        ..FakeConfig::default()
    }
}

async fn start_job(fake: &FakeVelt) -> String {
    let answer = post(
        fake,
        DELETE,
        json!({ "data": { "userIds": ["user-0001"], "organizationIds": ["org-0001"] } }),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 202, "{}", answer.text);
    answer.json()["data"]["jobId"].as_str().unwrap().to_owned()
}

async fn status_of(fake: &FakeVelt, job_id: &str) -> Answer {
    post(fake, STATUS, json!({ "data": { "jobId": job_id } })).await
}

#[tokio::test]
async fn a_configured_outage_fails_status_calls_only_and_then_ends() {
    let fake = FakeVelt::start(FakeConfig {
        status_outage: Duration::from_millis(600),
        ..small()
    })
    .await
    .unwrap();
    let started = Instant::now();
    let job_id = start_job(&fake).await;
    status_of(&fake, &job_id)
        .await
        .assert_error(503, "UNAVAILABLE");
    // Other calls work during the outage.
    let export = post(&fake, GET, export_body("org-0001", "user-0002", None)).await;
    assert_eq!(export.status.as_u16(), 200);
    // Even an unknown job gets the 503: the outage comes before anything is looked at.
    status_of(&fake, "no-such-job")
        .await
        .assert_error(503, "UNAVAILABLE");
    tokio::time::sleep(Duration::from_millis(600).saturating_sub(started.elapsed())).await;
    let after = status_of(&fake, &job_id).await;
    assert_eq!(after.status.as_u16(), 200, "{}", after.text);
    assert_eq!(
        after.json()["result"]["data"]["isDeleteCompleted"],
        json!(true)
    );
}

#[tokio::test]
async fn an_outage_can_be_started_and_ended_at_run_time() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let job_id = start_job(&fake).await;
    assert_eq!(status_of(&fake, &job_id).await.status.as_u16(), 200);
    fake.start_status_outage(Duration::from_secs(3600));
    status_of(&fake, &job_id)
        .await
        .assert_error(503, "UNAVAILABLE");
    fake.start_status_outage(Duration::ZERO);
    assert_eq!(status_of(&fake, &job_id).await.status.as_u16(), 200);
}

#[tokio::test]
async fn a_deletion_can_be_made_to_leave_comments_behind() {
    let fake = FakeVelt::start(FakeConfig {
        deletion_leaves_comments: 1,
        ..small()
    })
    .await
    .unwrap();
    assert_eq!(
        export_all(&fake, "org-0001", "user-0001").await.0.len(),
        4 * 3
    );
    let job_id = start_job(&fake).await;
    let status = status_of(&fake, &job_id).await;
    assert_eq!(
        status.json()["result"]["data"]["isDeleteCompleted"],
        json!(true)
    );
    let (left, pages) = export_all(&fake, "org-0001", "user-0001").await;
    assert_eq!(pages, 1);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].0, "comments");
    let seeded = fake
        .dataset()
        .expected_items("org-0001", "user-0001")
        .next()
        .unwrap();
    assert_eq!(
        left[0].1, seeded.1,
        "the first seeded comment is what stays"
    );
}

#[tokio::test]
async fn an_oversized_body_gets_velts_envelope_after_the_credential_check() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let big = format!(
        r#"{{"data":{{"organizationId":"org-0001","userId":"user-0001","pad":"{}"}}}}"#,
        "x".repeat(MAX_BODY_BYTES)
    );
    let answer = post_raw(&fake, GET, &big).await;
    let envelope = answer.assert_error(413, "INVALID_ARGUMENT");
    assert!(
        envelope.error.message.contains("larger than"),
        "{}",
        answer.text
    );
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // Without credentials the body is never read: the answer is about the credentials.
    let anonymous = send(&fake, GET, &big, None, None).await;
    anonymous.assert_error(401, "UNAUTHENTICATED");
    // Just under the limit is read and parsed.
    let fits = format!(
        r#"{{"data":{{"organizationId":"org-0001","userId":"user-0001","pad":"{}"}}}}"#,
        "x".repeat(MAX_BODY_BYTES - 200)
    );
    assert_eq!(post_raw(&fake, GET, &fits).await.status.as_u16(), 200);
}

#[tokio::test]
async fn oversized_headers_get_velts_envelope_before_the_credential_check() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let answer = client()
        .post(format!("{}{GET}", fake.base_url()))
        .header("content-type", "application/json")
        .header("x-padding", "p".repeat(MAX_HEADER_BYTES + 1))
        .body(export_body("org-0001", "user-0001", None).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 431);
    let body: velt_api::types::ErrorResponse = answer.json().await.unwrap();
    assert_eq!(body.error.status, "INVALID_ARGUMENT");
    assert!(
        body.error.message.contains("headers"),
        "{}",
        body.error.message
    );
}

/// Sends `request` on a raw connection and returns what comes back before the server closes
/// it, and how long that took; fails after 5 s.
async fn raw_exchange(fake: &FakeVelt, request: &[u8]) -> (String, Duration) {
    let mut stream = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server held a half-sent request for 5 s");
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn half_sent_requests_are_cut_off_after_the_read_timeout() {
    let fake = FakeVelt::start(FakeConfig {
        read_timeout: Duration::from_millis(300),
        ..small()
    })
    .await
    .unwrap();
    // Half the headers: the connection is closed.
    let (answer, took) =
        raw_exchange(&fake, b"POST /v2/users/data/get HTTP/1.1\r\nhost: x\r\n").await;
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(!answer.contains("200 OK"), "{answer}");
    // Complete headers, half the body: 408 in Velt's envelope.
    let head = format!(
        "POST /v2/users/data/get HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         x-velt-api-key: {}\r\nx-velt-auth-token: {}\r\ncontent-length: 100\r\n\r\n{{\"data\":",
        fake.api_key(),
        fake.auth_token()
    );
    let (answer, took) = raw_exchange(&fake, head.as_bytes()).await;
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#""status":"DEADLINE_EXCEEDED""#),
        "{answer}"
    );
    // Meanwhile, and after, whole requests are answered.
    let export = post(&fake, GET, export_body("org-0001", "user-0001", None)).await;
    assert_eq!(export.status.as_u16(), 200);
}

#[tokio::test]
async fn many_half_sent_requests_do_not_keep_their_connections() {
    let fake = FakeVelt::start(FakeConfig {
        read_timeout: Duration::from_millis(200),
        ..small()
    })
    .await
    .unwrap();
    let mut streams = Vec::new();
    for _ in 0..200 {
        let mut stream = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();
        stream
            .write_all(b"POST /v2/users/data/get HTTP/1.1\r\n")
            .await
            .unwrap();
        streams.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut closed = 0;
    for stream in &mut streams {
        let mut buf = [0u8; 64];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buf)).await
        {
            closed += 1;
        }
    }
    assert_eq!(
        closed,
        streams.len(),
        "every half-sent connection was closed"
    );
    let export = post(&fake, GET, export_body("org-0001", "user-0001", None)).await;
    assert_eq!(export.status.as_u16(), 200);
}
