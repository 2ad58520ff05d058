//! The fault matrix: how the client ends when the server, a proxy or the network misbehaves.
//!
//! Every scenario ends in a typed [`Error`] or in a recovery, never in a panic, and an export
//! that recovers loses nothing and repeats nothing. `docs/FAULTS.md` has the table of
//! scenarios, outcomes and the test (here or in `tests/client/contract.rs`) that covers each.
//!
//! Three kinds of server are used: the fake Velt with its fault injection (`velt-fake`),
//! httpmock for well-formed HTTP with odd JSON (through the crate's typed matchers,
//! `velt_api::mock`, answering typed where the JSON fits the spec and as written where it
//! deliberately does not), and small purpose-built servers (`common::raw`) that
//! write raw HTTP/1.1 bytes for what a well-behaved server cannot do (resets, silence,
//! endless bodies, bytes that are not UTF-8).

use crate::common;

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use httpmock::MockServer;
use serde_json::{Value, json};
use tokio::{io::AsyncWriteExt, net::TcpStream};
use velt_api::mock::MockServerExt;
use velt_api::{
    Client, ErrorKind, Operation, RetryPolicy,
    error::{ApiStatus, PaginationError},
    export::ExportItem,
};
use velt_fake::{FakeConfig, FakeVelt, Faults};

use common::{fast_retries, page, raw_json, typed};

/// Answers every call of the operation at `path` (its typed matcher: POST and the path) with
/// `status` and `body` as written: JSON the generated types cannot say, such as values of the
/// wrong type or a `null` page token.
fn answer_as_written<'a>(
    server: &'a MockServer,
    path: &str,
    status: u16,
    body: Value,
) -> httpmock::Mock<'a> {
    let answer = |then: httpmock::Then| {
        raw_json(then, status, body);
    };
    match path {
        "/v2/users/data/get" => server.get_all_user_data(|_, then| answer(then.into_inner())),
        "/v2/users/data/delete" => server.delete_all_user_data(|_, then| answer(then.into_inner())),
        "/v2/users/data/delete/status" => {
            server.get_delete_all_user_data_status(|_, then| answer(then.into_inner()))
        }
        "/v1/users/get" => server.get_users(|_, then| answer(then.into_inner())),
        other => panic!("no operation at {other}"),
    }
}

fn client_with(base_url: &str, policy: RetryPolicy) -> Client {
    common::builder(base_url)
        .retry_policy(policy)
        .build()
        .expect("test client builds")
}

fn ids(items: &[ExportItem]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            i.item
                .get("id")
                .and_then(|id| id.as_str().map(str::to_owned))
                .expect("item has an id")
        })
        .collect()
}

use common::raw::{RawServer, respond, respond_json};

/// Holds a connection open without a word, for as long as the test runs.
async fn hold(stream: TcpStream) -> std::io::Result<()> {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    drop(stream);
    Ok(())
}

/// Sends the head and half of the body announced by Content-Length, then resets the
/// connection (SO_LINGER 0 makes the close an RST).
async fn reset_mid_body(mut stream: TcpStream, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body[..body.len() / 2]).await?;
    stream.flush().await?;
    // Give the client a moment to start reading the body, so the reset lands mid-body.
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.set_zero_linger()?;
    drop(stream);
    Ok(())
}

// ---- Exports through the fake server's injected faults ----------------------------------------

/// Exports `user` in `org` item by item and checks the result against the seeded dataset:
/// the same items in the same order within each feature, none lost, none repeated.
async fn assert_exact_export(client: &Client, fake: &FakeVelt, org: &str, user: &str) -> usize {
    let items: Vec<ExportItem> = client
        .export_user_data(org, user)
        .items()
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("export of {user} in {org} failed: {e}"));
    // The export goes page by page, the dataset feature by feature: a stable sort by feature
    // keeps each feature's items in page order.
    let mut got: Vec<(&str, serde_json::Map<String, Value>)> = items
        .iter()
        .map(|i| {
            (
                i.feature.as_str(),
                i.item.parse().expect("an item is an object"),
            )
        })
        .collect();
    got.sort_by_key(|(feature, _)| {
        ["comments", "reactions", "recordings", "notifications"]
            .iter()
            .position(|f| f == feature)
    });
    let expected: Vec<(&str, serde_json::Map<String, Value>)> = fake
        .dataset()
        .expected_items(org, user)
        .map(|(feature, item)| (feature.as_str(), item))
        .collect();
    assert_eq!(got.len(), expected.len(), "{user} in {org}: item count");
    for (index, (got, want)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(got.0, want.0, "{user} in {org}: feature of item {index}");
        assert_eq!(got.1, want.1, "{user} in {org}: item {index}");
    }
    items.len()
}

#[tokio::test]
async fn exports_through_503_429_500_and_html_502_faults_lose_and_repeat_nothing() {
    let fake = FakeVelt::start(FakeConfig {
        items_per_feature: 230, // three pages per export
        faults: Faults {
            every_nth_503: Some(3),
            every_nth_429: Some((4, 0)),
            every_nth_500: Some(7),
            every_nth_502_html: Some(5),
            ..Faults::default()
        },
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let client = Client::builder()
        .api_key(fake.api_key())
        .auth_token(fake.auth_token())
        .base_url(fake.base_url())
        // Requests 3 to 10 all fail (3, 4, 5, 6, 7, 8, 9, 10): eight in a row at most.
        .retry_policy(fast_retries(12))
        .build()
        .unwrap();
    let org = fake.dataset().organization_ids().next().unwrap();
    let users: Vec<String> = fake
        .dataset()
        .users_of(&org)
        .into_iter()
        .take(3)
        .map(|u| u.user_id)
        .collect();
    let mut total = 0;
    for user in &users {
        total += assert_exact_export(&client, &fake, &org, user).await;
    }
    assert_eq!(total, users.len() * 4 * 230);
    let pages = users.len() as u64 * 3;
    assert!(
        fake.request_count() > pages + 4,
        "the faults were injected: {} requests for {pages} pages",
        fake.request_count()
    );
}

#[tokio::test]
async fn a_429_retry_after_from_the_fake_is_waited_for_then_the_export_completes() {
    let fake = FakeVelt::start(FakeConfig {
        // Two pages: request 2 is answered 429 with Retry-After: 1, request 3 gets page 2.
        faults: Faults {
            every_nth_429: Some((2, 1)),
            ..Faults::default()
        },
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let client = Client::builder()
        .api_key(fake.api_key())
        .auth_token(fake.auth_token())
        .base_url(fake.base_url())
        .retry_policy(fast_retries(3).max_backoff(Duration::from_secs(5)))
        .build()
        .unwrap();
    let org = fake.dataset().organization_ids().next().unwrap();
    let user = fake.dataset().users_of(&org)[0].user_id.clone();
    let started = Instant::now();
    assert_exact_export(&client, &fake, &org, &user).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured ({:?})",
        started.elapsed()
    );
    assert_eq!(fake.request_count(), 3);
}

#[tokio::test]
async fn when_retries_run_out_the_export_ends_with_the_typed_error_and_no_items() {
    let fake = FakeVelt::start(FakeConfig::default()).await.unwrap();
    let client = Client::builder()
        .api_key(fake.api_key())
        .auth_token(fake.auth_token())
        .base_url(fake.base_url())
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    let org = fake.dataset().organization_ids().next().unwrap();
    let user = fake.dataset().users_of(&org)[0].user_id.clone();
    let always = Some(1);
    let cases: [(Faults, u16); 4] = [
        (
            Faults {
                every_nth_503: always,
                ..Faults::default()
            },
            503,
        ),
        (
            Faults {
                every_nth_429: Some((1, 0)),
                ..Faults::default()
            },
            429,
        ),
        (
            Faults {
                every_nth_500: always,
                ..Faults::default()
            },
            500,
        ),
        (
            Faults {
                every_nth_502_html: always,
                ..Faults::default()
            },
            502,
        ),
    ];
    for (faults, status) in cases {
        fake.set_faults(faults);
        let before = fake.request_count();
        let mut items = client.export_user_data(&org, &user).items();
        let err = match items.next().await {
            Some(Err(err)) => err,
            other => panic!("HTTP {status}: expected an error first, got {other:?}"),
        };
        assert!(
            items.next().await.is_none(),
            "the stream ends after the error"
        );
        assert_eq!(
            fake.request_count() - before,
            3,
            "HTTP {status}: 3 attempts"
        );
        assert_eq!(err.http_status().map(|s| s.as_u16()), Some(status));
        assert!(err.is_retryable(), "{err:?}");
        match (status, err.kind(), err.body(), err.api_status()) {
            (502, ErrorKind::Http, Some(body), _) => {
                assert!(body.contains("502 Bad Gateway"), "{body}")
            }
            (503, ErrorKind::Api, _, Some(status)) => assert_eq!(status, &ApiStatus::Unavailable),
            (429, ErrorKind::Api, _, Some(status)) => {
                assert_eq!(status, &ApiStatus::ResourceExhausted)
            }
            (500, ErrorKind::Api, _, Some(status)) => assert_eq!(status, &ApiStatus::Internal),
            _ => panic!("HTTP {status}: unexpected error {err:?}"),
        }
    }
}

// ---- 5xx from the purpose-built servers -------------------------------------------------------

#[tokio::test]
async fn a_504_from_a_proxy_is_retried_then_recovered() {
    let server = RawServer::start(|request, stream| async move {
        if request.number == 1 {
            respond(stream, "504 Gateway Timeout", "text/html", b"").await
        } else {
            respond_json(stream, "200 OK", &page(json!([{"id": "c1"}]), Value::Null)).await
        }
    })
    .await;
    let page = client_with(&server.url(), fast_retries(3))
        .get_user_data_page("o", "u", None)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(server.requests(), 2);

    // Without retries the 504 is a typed, retryable error.
    let server = RawServer::start(|_, stream| async move {
        respond(stream, "504 Gateway Timeout", "text/html", b"<h1>504</h1>").await
    })
    .await;
    let err = client_with(&server.url(), RetryPolicy::never())
        .get_user_data_page("o", "u", None)
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::Http, "{err:?}");
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(504));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_500_internal_is_retried_then_recovered() {
    let internal = json!({"error": {"message": "boom", "status": "INTERNAL", "code": 500}});
    let server = RawServer::start(move |request, stream| {
        let internal = internal.clone();
        async move {
            if request.number <= 2 {
                respond_json(stream, "500 Internal Server Error", &internal).await
            } else {
                respond_json(stream, "200 OK", &json!({"result": {"data": []}})).await
            }
        }
    })
    .await;
    let users = client_with(&server.url(), fast_retries(3))
        .get_users(&velt_api::users::UsersQuery::organization("o"))
        .await
        .unwrap();
    assert!(users.is_empty());
    assert_eq!(server.requests(), 3);

    let server = RawServer::start(|_, stream| async move {
        let internal = json!({"error": {"message": "boom", "status": "INTERNAL"}});
        respond_json(stream, "500 Internal Server Error", &internal).await
    })
    .await;
    let err = client_with(&server.url(), fast_retries(2))
        .deletion_status("job-1")
        .await
        .unwrap_err();
    assert_eq!(server.requests(), 2);
    assert!(
        err.api_status() == Some(&ApiStatus::Internal) && err.message() == Some("boom"),
        "{err:?}"
    );
}

// ---- HTML, empty, not-UTF-8 bodies ------------------------------------------------------------

#[tokio::test]
async fn html_and_empty_success_bodies_are_decode_errors_and_not_retried() {
    for (content_type, body) in [
        ("text/html", &b"<html><body>Maintenance</body></html>"[..]),
        ("application/json", &b""[..]),
        ("application/json", &b"   \n"[..]),
    ] {
        let server = RawServer::start(move |_, stream| async move {
            respond(stream, "200 OK", content_type, body).await
        })
        .await;
        let err = client_with(&server.url(), fast_retries(3))
            .get_user_data_page("o", "u", None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
        assert_eq!(err.http_status_code(), Some(200));
        assert_eq!(err.body().map(str::as_bytes), Some(body));
        assert!(!err.is_retryable());
        assert_eq!(server.requests(), 1, "a malformed success is not retried");
    }
}

#[tokio::test]
async fn a_success_body_that_is_not_utf8_is_a_decode_error_with_a_lossy_snippet() {
    let bodies: [&'static [u8]; 2] = [
        b"\xff\xfe\xfd not json at all",
        // Valid JSON structure, but a string holding bytes that are not UTF-8.
        b"{\"result\": {\"data\": {\"comments\": [{\"id\": \"c\xff\xfe\"}]}}}",
    ];
    for body in bodies {
        let server = RawServer::start(move |_, stream| async move {
            respond(stream, "200 OK", "application/json", body).await
        })
        .await;
        let err = client_with(&server.url(), RetryPolicy::never())
            .get_user_data_page("o", "u", None)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
        assert_eq!(err.http_status_code(), Some(200));
        let snippet = err.body().unwrap_or_default();
        assert!(snippet.contains('\u{fffd}'), "lossily decoded: {snippet:?}");
        // Display works on it too.
        assert!(err.to_string().contains('\u{fffd}'), "{err}");
    }
}

#[tokio::test]
async fn an_error_body_that_is_not_utf8_is_an_http_error() {
    let server = RawServer::start(|_, stream| async move {
        respond(
            stream,
            "503 Service Unavailable",
            "text/plain",
            b"\xc3\x28 down \xff",
        )
        .await
    })
    .await;
    let err = client_with(&server.url(), fast_retries(2))
        .deletion_status("job-1")
        .await
        .unwrap_err();
    assert_eq!(server.requests(), 2, "a 503 is retried whatever its body");
    assert_eq!(err.kind(), ErrorKind::Http, "{err:?}");
    assert_eq!(err.http_status_code(), Some(503));
    let body = err.body().unwrap_or_default();
    assert!(body.contains("down"), "{body:?}");
    assert!(body.contains('\u{fffd}'), "{body:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_429_from_a_proxy_without_velts_envelope_keeps_its_retry_after() {
    // Request 1: a proxy's plain-text 429 asking for 1 s; request 2: the answer.
    let server = RawServer::start(|request, mut stream| async move {
        if request.number == 1 {
            let answer = "HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\nretry-after: 1\r\ncontent-length: 17\r\nconnection: close\r\n\r\nToo Many Requests";
            stream.write_all(answer.as_bytes()).await?;
            stream.shutdown().await
        } else {
            respond_json(stream, "200 OK", &json!({"result": {"data": []}})).await
        }
    })
    .await;
    let started = Instant::now();
    client_with(
        &server.url(),
        fast_retries(2).max_backoff(Duration::from_secs(5)),
    )
    .get_users(&velt_api::users::UsersQuery::organization("o"))
    .await
    .unwrap();
    assert_eq!(server.requests(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the proxy's Retry-After of 1 s was not honoured ({:?})",
        started.elapsed()
    );

    // The error itself carries it too.
    let server = RawServer::start(|_, mut stream| async move {
        let answer = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
    let err = client_with(&server.url(), RetryPolicy::never())
        .get_users(&velt_api::users::UsersQuery::organization("o"))
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::Http, "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn huge_backoffs_and_retry_afters_end_the_retries_instead_of_panicking() {
    // Regression: the retry budget was checked with `elapsed + wait`, which panics on
    // overflow when a policy allows waits near Duration::MAX and the server asks for
    // u64::MAX seconds.
    let server = RawServer::start(|request, mut stream| async move {
        if request.number % 2 == 1 {
            respond(stream, "503 Service Unavailable", "text/plain", b"down").await
        } else {
            // Past a second since the first attempt, u64::MAX seconds more overflow.
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let answer = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 18446744073709551615\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            stream.write_all(answer.as_bytes()).await?;
            stream.shutdown().await
        }
    })
    .await;
    let policy = RetryPolicy::default()
        .max_attempts(5)
        .initial_backoff(Duration::MAX)
        .max_backoff(Duration::MAX);
    let client = client_with(&server.url(), policy);
    for status in [503, 429] {
        let err = client.deletion_status("j").await.unwrap_err();
        assert_eq!(err.http_status().map(|s| s.as_u16()), Some(status));
    }
    assert_eq!(
        server.requests(),
        2,
        "no retry when the wait is past the budget"
    );
}

// ---- Broken and silent connections ------------------------------------------------------------

#[tokio::test]
async fn a_connection_reset_mid_body_is_a_transport_error() {
    let body = page(json!([{"id": "c1", "text": "x".repeat(4000)}]), Value::Null).to_string();
    let server = RawServer::start(move |_, stream| {
        let body = body.clone();
        async move { reset_mid_body(stream, body.as_bytes()).await }
    })
    .await;
    let err = client_with(&server.url(), RetryPolicy::never())
        .get_user_data_page("o", "u", None)
        .await
        .unwrap_err();
    assert!(
        err.kind() == ErrorKind::Transport && !err.is_unsent(),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(!err.is_unsent(), "the request did reach the server");
}

#[tokio::test]
async fn a_connection_reset_mid_page_is_retried_and_the_export_is_exact() {
    // Page 1 (no token) then page 2 (token t1). The first attempt at page 2 is cut off.
    let server = RawServer::start(|request, stream| async move {
        match request.page_token() {
            None => {
                respond_json(
                    stream,
                    "200 OK",
                    &page(json!([{"id": "c1"}, {"id": "c2"}]), json!("t1")),
                )
                .await
            }
            Some("t1") if request.number == 2 => {
                let body = page(json!([{"id": "c3"}, {"id": "c4"}]), Value::Null).to_string();
                reset_mid_body(stream, body.as_bytes()).await
            }
            Some("t1") => {
                respond_json(
                    stream,
                    "200 OK",
                    &page(json!([{"id": "c3"}, {"id": "c4"}]), Value::Null),
                )
                .await
            }
            Some(other) => panic!("unexpected token {other}"),
        }
    })
    .await;
    let items: Vec<ExportItem> = client_with(&server.url(), fast_retries(3))
        .export_user_data("o", "u")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&items), ["c1", "c2", "c3", "c4"]);
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn a_connection_closed_before_any_answer_is_retried() {
    let server = RawServer::start(|request, stream| async move {
        if request.number == 1 {
            drop(stream); // no status line at all
            Ok(())
        } else {
            respond_json(stream, "200 OK", &json!({"result": {"data": []}})).await
        }
    })
    .await;
    client_with(&server.url(), fast_retries(2))
        .get_users(&velt_api::users::UsersQuery::organization("o"))
        .await
        .unwrap();
    assert_eq!(server.requests(), 2);

    let err = client_with(
        &RawServer::start(|_, stream| async move {
            drop(stream);
            Ok(())
        })
        .await
        .url(),
        RetryPolicy::never(),
    )
    .get_users(&velt_api::users::UsersQuery::organization("o"))
    .await
    .unwrap_err();
    assert!(err.kind() == ErrorKind::Transport, "{err:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = RawServer::start(|_, stream| hold(stream)).await;
    let client = common::builder(&server.url())
        .timeout(Operation::GetAllUserData, Duration::from_millis(300))
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.get_user_data_page("o", "u", None).await.unwrap_err();
    assert!(
        err.kind() == ErrorKind::Timeout
            && err.operation() == Some(Operation::GetAllUserData)
            && err.timeout() == Some(Duration::from_millis(300)),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(server.requests(), 2, "a timeout is retried");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_server_that_stops_mid_body_times_out() {
    // The head and a part of the body, then silence with the connection open.
    let server = RawServer::start(|_, mut stream| async move {
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"result\": {")
            .await?;
        stream.flush().await?;
        hold(stream).await
    })
    .await;
    let client = common::builder(&server.url())
        .timeout(Operation::GetAllUserData, Duration::from_millis(300))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let err = client.get_user_data_page("o", "u", None).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

// ---- Size limits ------------------------------------------------------------------------------

#[tokio::test]
async fn an_endless_chunked_answer_is_cut_off_at_the_size_limit() {
    // No Content-Length: the body-stream limiter is all that stands between this server and
    // the client's memory. The server writes until the client hangs up.
    let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = std::sync::Arc::clone(&written);
    let server = RawServer::start(move |_, mut stream| {
        let counter = std::sync::Arc::clone(&counter);
        async move {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            let start = br#"{"result": {"data": {"comments": ["#;
            stream
                .write_all(format!("{:x}\r\n", start.len()).as_bytes())
                .await?;
            stream.write_all(start).await?;
            stream.write_all(b"\r\n").await?;
            let item = format!("{{\"id\": \"{}\"}},", "x".repeat(1000));
            let chunk = item.repeat(64);
            loop {
                stream
                    .write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())
                    .await?;
                counter.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::SeqCst);
            }
        }
    })
    .await;
    let client = common::builder(&server.url())
        .max_response_bytes(512 * 1024)
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        client.get_user_data_page("o", "u", None),
    )
    .await
    .expect("the client stops reading at the limit instead of reading forever")
    .unwrap_err();
    assert!(
        err.size_limit() == Some(524_288) && err.http_status_code() == Some(200),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(server.requests(), 1, "too large is not retried");
    // What the server got out is the limit plus what the socket buffers hold, far from
    // endless (generous bound: socket buffers on loopback can hold a few MiB).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let written = written.load(std::sync::atomic::Ordering::SeqCst);
    assert!(written < 64 * 1024 * 1024, "{written} bytes written");
}

#[tokio::test]
async fn an_announced_length_over_the_limit_is_refused_without_waiting_for_the_body() {
    // The head announces 10 GB and nothing follows: refusing must not wait for the body.
    let server = RawServer::start(|_, mut stream| async move {
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000000000\r\n\r\n{\"result\"")
            .await?;
        stream.flush().await?;
        hold(stream).await
    })
    .await;
    let client = common::builder(&server.url())
        .max_response_bytes(1024 * 1024)
        .timeout(Operation::GetAllUserData, Duration::from_secs(60))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.get_user_data_page("o", "u", None).await.unwrap_err();
    assert!(err.kind() == ErrorKind::TooLarge, "{err:?}");
    // Generous: the call's timeout is 60 s, and waiting for the body would run into it.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "refused only after {:?}",
        started.elapsed()
    );
}

// ---- Odd JSON ---------------------------------------------------------------------------------

#[tokio::test]
async fn wrong_types_in_fields_are_decode_errors_naming_the_field() {
    let status = |data: Value| json!({"result": {"status": "success", "data": data}});
    let cases: Vec<(&str, u16, Value, &str)> = vec![
        (
            "/v2/users/data/delete/status",
            200,
            status(json!({"isDeleteCompleted": false, "tasksLeft": "three"})),
            "tasksLeft",
        ),
        (
            "/v2/users/data/delete/status",
            200,
            status(json!({"isDeleteCompleted": "yes"})),
            "isDeleteCompleted",
        ),
        (
            "/v2/users/data/delete/status",
            200,
            status(json!({"isDeleteCompleted": true, "lastTaskCompletedTime": "2024-01-01"})),
            "lastTaskCompletedTime",
        ),
        (
            "/v2/users/data/get",
            200,
            page(json!([]), json!(5)),
            "nextPageToken",
        ),
        (
            "/v2/users/data/get",
            200,
            page(json!([1, 2]), Value::Null),
            "comments",
        ),
        (
            "/v2/users/data/get",
            200,
            page(json!({"id": "c1"}), Value::Null),
            "comments",
        ),
        (
            "/v1/users/get",
            200,
            json!({"result": {"data": [{"userId": 42}]}}),
            "userId",
        ),
        (
            "/v2/users/data/delete",
            202,
            json!({"status": "success", "data": {"jobId": ["j"], "tasksCount": 1}}),
            "jobId",
        ),
    ];
    for (path, http, body, field) in cases {
        let server = MockServer::start_async().await;
        answer_as_written(&server, path, http, body.clone());
        let client = client_with(&server.base_url(), fast_retries(3));
        let err = match path {
            "/v2/users/data/delete/status" => client.deletion_status("j").await.map(|_| ()),
            "/v2/users/data/get" => client.get_user_data_page("o", "u", None).await.map(|_| ()),
            "/v1/users/get" => client
                .get_users(&velt_api::users::UsersQuery::organization("o"))
                .await
                .map(|_| ()),
            // A success status whose body cannot be read: the deletion may have started, so
            // it is an outcome to follow up, carrying the error, not an error.
            _ => match client
                .delete_user_data(&velt_api::deletion::DeleteRequest::new(
                    ["u"],
                    velt_api::deletion::DeletionScope::AllOrganizations,
                ))
                .await
            {
                Ok(deletion) => deletion.incomplete.map_or(Ok(()), |i| {
                    assert!(i.outcome_unknown.is_some(), "{body}");
                    Err(i.error)
                }),
                Err(e) => Err(e),
            },
        }
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}: {err:?}");
        assert_eq!(err.http_status_code(), Some(http), "{body}");
        let reason = err.decode_reason().unwrap_or_default();
        assert!(
            reason.contains(field),
            "{body}: the reason names {field}: {reason}"
        );
        assert!(!err.is_retryable());
        assert!(err.to_string().contains(field), "{err}");
    }
}

#[tokio::test]
async fn wrong_types_in_an_error_envelope_keep_the_http_status() {
    let server = MockServer::start_async().await;
    answer_as_written(
        &server,
        "/v1/users/get",
        400,
        json!({"error": {"message": 12, "status": ["INVALID_ARGUMENT"]}}),
    );
    let err = client_with(&server.base_url(), fast_retries(3))
        .get_users(&velt_api::users::UsersQuery::organization("o"))
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::Http, "{err:?}");
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(400));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn unknown_status_strings_are_kept_and_the_http_status_decides_retries() {
    // An unknown error status on a 400: kept as it is, not retried.
    let server = MockServer::start_async().await;
    server.get_all_user_data(|_, then| {
        then.client_error(
            400,
            &typed(
                json!({"error": {"message": "new rule", "status": "QUOTA_POLICY_VIOLATION", "code": 7}}),
            ),
        );
    });
    let err = client_with(&server.base_url(), fast_retries(3))
        .get_user_data_page("o", "u", None)
        .await
        .unwrap_err();
    assert_eq!(
        err.api_status(),
        Some(&ApiStatus::Unknown("QUOTA_POLICY_VIOLATION".into()))
    );
    assert!(err.to_string().contains("QUOTA_POLICY_VIOLATION"), "{err}");
    assert!(!err.is_retryable());

    // An unknown error status on a 503: retried because of the HTTP status, then recovered.
    let server = RawServer::start(|request, stream| async move {
        if request.number == 1 {
            let body = json!({"error": {"message": "x", "status": "SOMETHING_NEW"}});
            respond_json(stream, "503 Service Unavailable", &body).await
        } else {
            respond_json(stream, "200 OK", &page(json!([{"id": "c1"}]), Value::Null)).await
        }
    })
    .await;
    let page = client_with(&server.url(), fast_retries(3))
        .get_user_data_page("o", "u", None)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(server.requests(), 2);

    // Unknown success status strings are kept out of the way: the data is what counts.
    let server = MockServer::start_async().await;
    let mut odd = page_json_with_status("partial");
    odd["result"]["data"]["comments"] = json!([{"id": "c1"}]);
    answer_as_written(&server, "/v2/users/data/get", 200, odd);
    server.delete_all_user_data(|_, then| {
        then.accepted(&typed(
            json!({"status": "queued", "data": {"jobId": "j1"}, "statusCode": 299}),
        ));
    });
    let client = client_with(&server.base_url(), fast_retries(3));
    assert_eq!(
        client
            .get_user_data_page("o", "u", None)
            .await
            .unwrap()
            .len(),
        1
    );
    let jobs = client
        .delete_user_data(&velt_api::deletion::DeleteRequest::new(
            ["u"],
            velt_api::deletion::DeletionScope::AllOrganizations,
        ))
        .await
        .unwrap();
    assert_eq!(jobs.jobs[0].job_id, "j1");
}

fn page_json_with_status(status: &str) -> Value {
    let mut value = page(json!([]), Value::Null);
    value["result"]["status"] = json!(status);
    value
}

// ---- Pagination -------------------------------------------------------------------------------

#[tokio::test]
async fn a_token_that_never_ends_hits_the_page_cap_after_exactly_n_requests() {
    // Every page carries a fresh token, forever.
    let server = RawServer::start(|request, stream| async move {
        let n = request.number;
        let body = page(json!([{"id": format!("c{n}")}]), json!(format!("t{n}")));
        respond_json(stream, "200 OK", &body).await
    })
    .await;
    let client = client_with(&server.url(), fast_retries(3));
    let pages = client.export_user_data("o", "u").max_pages(5).pages();
    let (ok, err) = common::count_until_error(pages).await;
    assert_eq!(ok, 5);
    assert!(
        err.pagination() == Some(&PaginationError::PageCapReached { max_pages: 5 }),
        "{err:?}"
    );
    assert_eq!(server.requests(), 5, "no request past the cap");

    // The items read before the cap are all there, once each.
    let items: Vec<ExportItem> = client
        .export_user_data("o", "u")
        .max_pages(3)
        .items()
        .take_while(|item| futures::future::ready(item.is_ok()))
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(ids(&items), ["c6", "c7", "c8"]);
    assert_eq!(server.requests(), 8);
}

#[tokio::test]
async fn a_large_page_within_the_limit_is_read_whole() {
    // 4 × 100 items of ~2 KiB each: about 800 KiB, read whole under the default limit.
    let item =
        |feature: &str, i: usize| json!({"id": format!("{feature}{i}"), "text": "é".repeat(1000)});
    let mut body = page(json!([]), Value::Null);
    for feature in ["comments", "reactions", "recordings", "notifications"] {
        body["result"]["data"][feature] =
            Value::Array((0..100).map(|i| item(feature, i)).collect());
    }
    let server = MockServer::start_async().await;
    answer_as_written(&server, "/v2/users/data/get", 200, body);
    let items: Vec<ExportItem> = client_with(&server.base_url(), RetryPolicy::never())
        .export_user_data("o", "u")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 400);
    let unique: std::collections::HashSet<String> = ids(&items).into_iter().collect();
    assert_eq!(unique.len(), 400);
}
