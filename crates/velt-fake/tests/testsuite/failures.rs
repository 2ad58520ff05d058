//! Credentials, bad input, injected faults, latency, concurrency and the server's lifetime.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use velt_fake::{FakeConfig, FakeVelt, Faults};

fn small() -> FakeConfig {
    FakeConfig {
        items_per_feature: 3,
        ..FakeConfig::default()
    }
}

const EXPORT: &str = r#"{"data":{"organizationId":"org-0001","userId":"user-0001"}}"#;

#[tokio::test]
async fn missing_or_wrong_credentials_are_unauthenticated() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let (key, token) = (fake.api_key().to_owned(), fake.auth_token().to_owned());
    for path in [GET, DELETE, STATUS, USERS] {
        for (k, t) in [
            (None, Some(token.as_str())),
            (Some(key.as_str()), None),
            (None, None),
            (Some("wrong-key"), Some(token.as_str())),
            (Some(key.as_str()), Some("wrong-token")),
            (Some(key.as_str()), Some("")),
        ] {
            let answer = send(&fake, path, EXPORT, k, t).await;
            answer.assert_error(401, "UNAUTHENTICATED");
            assert!(
                !answer.text.contains(&token),
                "the token leaks into an error"
            );
        }
    }
    // The right credentials work.
    assert_eq!(
        send(&fake, GET, EXPORT, Some(&key), Some(&token))
            .await
            .status
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn custom_credentials_are_the_ones_checked() {
    let fake = FakeVelt::start(FakeConfig {
        api_key: "k1".into(),
        auth_token: "t1".into(),
        ..small()
    })
    .await
    .unwrap();
    assert_eq!((fake.api_key(), fake.auth_token()), ("k1", "t1"));
    send(
        &fake,
        GET,
        EXPORT,
        Some(velt_fake::DEMO_API_KEY),
        Some(velt_fake::DEMO_AUTH_TOKEN),
    )
    .await
    .assert_error(401, "UNAUTHENTICATED");
    assert_eq!(
        send(&fake, GET, EXPORT, Some("k1"), Some("t1"))
            .await
            .status
            .as_u16(),
        200
    );
}

#[tokio::test]
async fn bad_input_is_invalid_argument() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let ids = |n: usize| {
        (0..n)
            .map(|i| format!("user-{:04}", i + 1))
            .collect::<Vec<_>>()
    };
    let cases: Vec<(&str, String)> = vec![
        (GET, "not json".into()),
        (GET, "".into()),
        (GET, "[]".into()),
        (GET, "{}".into()),
        (GET, r#"{"data":1}"#.into()),
        (GET, r#"{"data":{}}"#.into()),
        (GET, r#"{"data":{"organizationId":"org-0001"}}"#.into()),
        (GET, r#"{"data":{"userId":"user-0001"}}"#.into()),
        (GET, r#"{"data":{"organizationId":"","userId":"user-0001"}}"#.into()),
        (GET, r#"{"data":{"organizationId":1,"userId":"user-0001"}}"#.into()),
        (GET, r#"{"data":{"organizationId":"org-0001","userId":"user-0001","pageToken":5}}"#.into()),
        (GET, r#"{"data":{"organizationId":"org-0001","userId":"user-0001","pageToken":""}}"#.into()),
        (DELETE, r#"{"data":{}}"#.into()),
        (DELETE, r#"{"data":{"userIds":[]}}"#.into()),
        (DELETE, r#"{"data":{"userIds":"user-0001"}}"#.into()),
        (DELETE, r#"{"data":{"userIds":[1]}}"#.into()),
        (DELETE, r#"{"data":{"userIds":["user-0001"],"organizationIds":[]}}"#.into()),
        (STATUS, r#"{"data":{}}"#.into()),
        (STATUS, r#"{"data":{"jobId":42}}"#.into()),
        (USERS, r#"{"data":{}}"#.into()),
        (USERS, json!({ "data": { "organizationId": "org-0001", "userIds": ids(31) } }).to_string()),
        (USERS, json!({ "data": { "organizationId": "org-0001", "organizationUserGroupIds": ids(31) } }).to_string()),
        (USERS, r#"{"data":{"organizationId":"org-0001","documentId":7}}"#.into()),
    ];
    for (path, body) in &cases {
        let answer = post_raw(&fake, path, body).await;
        assert_eq!(
            answer.status.as_u16(),
            400,
            "{path} {body}: {}",
            answer.text
        );
        answer.assert_error(400, "INVALID_ARGUMENT");
    }
    // The message says what is wrong.
    let answer = post_raw(&fake, GET, r#"{"data":{"userId":"user-0001"}}"#).await;
    assert!(
        answer
            .assert_error(400, "INVALID_ARGUMENT")
            .error
            .message
            .contains("organizationId")
    );
    // 30 ids are still fine on Get Users.
    let ok = post(
        &fake,
        USERS,
        json!({ "data": { "organizationId": "org-0001", "userIds": ids(30) } }),
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text);
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_with_the_envelope() {
    let fake = FakeVelt::start(small()).await.unwrap();
    post_raw(&fake, "/v2/users/nope", EXPORT)
        .await
        .assert_error(404, "NOT_FOUND");
    let answer = client()
        .get(format!("{}{GET}", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 400);
    let body: velt_api::types::ErrorResponse = answer.json().await.unwrap();
    assert_eq!(body.error.status, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn only_json_bodies_are_accepted() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let send_as = |content_type: Option<&'static str>| {
        let mut request = client()
            .post(format!("{}{GET}", fake.base_url()))
            .header("x-velt-api-key", fake.api_key())
            .header("x-velt-auth-token", fake.auth_token())
            .body(EXPORT);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        request.send()
    };
    for bad in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
    ] {
        let answer = send_as(bad).await.unwrap();
        assert_eq!(answer.status().as_u16(), 400, "{bad:?}");
        let body: velt_api::types::ErrorResponse = answer.json().await.unwrap();
        assert_eq!(body.error.status, "INVALID_ARGUMENT");
        assert!(body.error.message.contains("Content-Type"));
    }
    for good in ["application/json", "Application/JSON; charset=utf-8"] {
        assert_eq!(
            send_as(Some(good)).await.unwrap().status().as_u16(),
            200,
            "{good}"
        );
    }
}

#[tokio::test]
async fn every_nth_request_is_a_503() {
    let fake = FakeVelt::start(FakeConfig {
        faults: Faults {
            every_nth_503: Some(3),
            ..Faults::default()
        },
        ..small()
    })
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let answer = post_raw(&fake, GET, EXPORT).await;
        if answer.status.as_u16() == 503 {
            answer.assert_error(503, "UNAVAILABLE");
        }
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 503, 200, 200, 503]);
    assert_eq!(fake.request_count(), 6);
}

#[tokio::test]
async fn every_nth_request_is_a_429_with_retry_after() {
    let fake = FakeVelt::start(FakeConfig {
        faults: Faults {
            every_nth_429: Some((2, 7)),
            ..Faults::default()
        },
        ..small()
    })
    .await
    .unwrap();
    assert_eq!(post_raw(&fake, GET, EXPORT).await.status.as_u16(), 200);
    let answer = post_raw(&fake, GET, EXPORT).await;
    answer.assert_error(429, "RESOURCE_EXHAUSTED");
    assert_eq!(answer.headers.get("retry-after").unwrap(), "7");
}

#[tokio::test]
async fn other_faults_and_switching_faults_at_run_time() {
    let fake = FakeVelt::start(small()).await.unwrap();
    assert_eq!(post_raw(&fake, GET, EXPORT).await.status.as_u16(), 200);
    fake.set_faults(Faults {
        every_nth_500: Some(1),
        ..Faults::default()
    });
    post_raw(&fake, GET, EXPORT)
        .await
        .assert_error(500, "INTERNAL");
    fake.set_faults(Faults {
        every_nth_502_html: Some(1),
        ..Faults::default()
    });
    let answer = post_raw(&fake, GET, EXPORT).await;
    assert_eq!(answer.status.as_u16(), 502);
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(serde_json::from_str::<serde_json::Value>(&answer.text).is_err());
    fake.set_faults(Faults::default());
    assert_eq!(post_raw(&fake, GET, EXPORT).await.status.as_u16(), 200);
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let fake = FakeVelt::start(FakeConfig {
        latency: Duration::from_millis(150),
        ..small()
    })
    .await
    .unwrap();
    let started = Instant::now();
    post_raw(&fake, GET, EXPORT).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_served_concurrently() {
    let fake = std::sync::Arc::new(
        FakeVelt::start(FakeConfig {
            latency: Duration::from_millis(200),
            users: 1_000,
            ..small()
        })
        .await
        .unwrap(),
    );
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for u in 0..32 {
        let fake = fake.clone();
        tasks.spawn(async move {
            let user = format!("user-{:04}", u * 31 + 1);
            let org = fake.dataset().organizations_of(&user)[0].clone();
            let page = export_page(&fake, &org, &user, None).await;
            page.result.data.recordings.len()
        });
    }
    while let Some(len) = tasks.join_next().await {
        assert_eq!(len.unwrap(), 3);
    }
    // Served one after the other this would take 32 × 200 ms.
    assert!(
        started.elapsed() < Duration::from_millis(3_000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.request_count(), 32);
}

async fn refused(addr: std::net::SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_err()
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let addr = fake.addr();
    assert!(!refused(addr).await);
    // Open a keep-alive connection too: it must not keep the server alive.
    let client = client();
    let url = format!("{}{GET}", fake.base_url());
    let ok = client
        .post(&url)
        .header("x-velt-api-key", fake.api_key())
        .header("x-velt-auth-token", fake.auth_token())
        .header("content-type", "application/json")
        .body(EXPORT)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    drop(fake);
    let deadline = Instant::now() + Duration::from_secs(2);
    while !refused(addr).await {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after drop"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        client.post(&url).body(EXPORT).send().await.is_err(),
        "pooled connection still served"
    );
}

#[tokio::test]
async fn shutdown_closes_the_port_before_returning() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let addr = fake.addr();
    fake.shutdown().await;
    assert!(refused(addr).await);
}

#[tokio::test]
async fn debug_output_hides_the_auth_token() {
    let fake = FakeVelt::start(FakeConfig {
        auth_token: "super-secret-token-value".into(),
        ..small()
    })
    .await
    .unwrap();
    let shown = format!("{fake:?} {:?} {:#?}", fake.config(), fake.config());
    assert!(!shown.contains("super-secret-token-value"), "{shown}");
    assert!(shown.contains("redacted"));
    assert_eq!(fake.auth_token(), "super-secret-token-value");
}

#[tokio::test]
async fn start_on_a_given_address() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let fake = FakeVelt::start_on(addr, small()).await.unwrap();
    assert_eq!(fake.addr(), addr);
    assert_eq!(fake.base_url(), format!("http://{addr}"));
    // The port is taken now.
    assert!(FakeVelt::start_on(addr, small()).await.is_err());
}
