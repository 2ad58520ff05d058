//! Property-based fuzzing (proptest) of the whole answer path: a local server answers with an
//! arbitrary status, headers and body (or arbitrary bytes instead of HTTP), and the client's
//! calls must end in a value or a typed error, never a panic, with `Display` and the
//! accessors working on whatever came back.
//!
//! Named `fuzz_*`; 64 cases under `cargo test`, `PROPTEST_CASES` for long runs.

use crate::common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use velt_api::{Error, Operation, RetryPolicy};

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    config
}

/// A whole answer as bytes on the wire.
fn answer() -> impl Strategy<Value = Vec<u8>> {
    let status = prop_oneof![
        prop::sample::select(vec![
            200u16, 201, 202, 204, 301, 302, 307, 400, 401, 403, 404, 409, 429, 499, 500, 502, 503,
            504
        ]),
        200u16..600,
    ];
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        prop::sample::select(vec![
            json!({"result": {"data": {"comments": [{"id": "c"}]}, "nextPageToken": "t"}}),
            json!({"result": {"data": {"isDeleteCompleted": true, "tasksLeft": 0}}}),
            json!({"error": {"message": "m", "status": "INTERNAL", "code": 500}}),
            json!({"error": {"message": "m", "status": "SOMETHING_NEW"}}),
            json!({"status": "success", "data": {"jobId": "j"}}),
        ])
        .prop_flat_map(|v| {
            let text = v.to_string().into_bytes();
            let len = text.len();
            (Just(text), 0..=len, any::<u8>(), any::<bool>()).prop_map(|(mut t, at, b, cut)| {
                if cut {
                    t.truncate(at);
                } else if at < t.len() {
                    t[at] = b;
                }
                t
            })
        }),
    ];
    let header = prop::sample::select(vec![
        "content-type: application/json\r\n",
        "content-type: text/html\r\n",
        "retry-after: 0\r\n",
        "retry-after: soon\r\n",
        "retry-after: Wed, 21 Oct 2015 07:28:00 GMT\r\n",
        "location: http://127.0.0.1:9/elsewhere\r\n",
        "content-encoding: gzip\r\n",
        "x-junk: \u{7f}\r\n",
    ]);
    let framing = 0u8..4;
    prop_oneof![
        9 => (status, prop::collection::vec(header, 0..3), body, framing).prop_map(
            |(status, headers, body, framing)| {
                let mut out = format!("HTTP/1.1 {status} X\r\nconnection: close\r\n").into_bytes();
                for h in headers {
                    out.extend_from_slice(h.as_bytes());
                }
                match framing {
                    // Honest length.
                    0 | 1 => out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes()),
                    // A length that lies (longer than the body: the connection closes early).
                    2 => out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len() + 7).as_bytes()),
                    // No length: the body ends when the connection closes.
                    _ => out.extend_from_slice(b"\r\n"),
                }
                out.extend_from_slice(&body);
                out
            }
        ),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

#[test]
fn fuzz_client_end_to_end() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let current: Arc<Mutex<Vec<u8>>> = Arc::default();
    let served = Arc::clone(&current);
    let url = runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let answer = served.lock().unwrap().clone();
                tokio::spawn(async move {
                    // Read the request head (the bodies are small and come with it).
                    let mut buffer = [0u8; 8192];
                    let _ = stream.read(&mut buffer).await;
                    let _ = stream.write_all(&answer).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        url
    });
    let client = common::builder(&url)
        .retry_policy(RetryPolicy::never())
        .timeout(Operation::GetAllUserData, Duration::from_secs(5))
        .timeout(
            Operation::GetDeleteAllUserDataStatus,
            Duration::from_secs(5),
        )
        .max_response_bytes(4096)
        .build()
        .unwrap();
    let mut runner = TestRunner::new(config());
    runner
        .run(&(answer(), any::<bool>()), |(answer, export)| {
            *current.lock().unwrap() = answer;
            let outcome: Result<String, Error> = runtime.block_on(async {
                if export {
                    client
                        .get_user_data_page("o", "u", None)
                        .await
                        .map(|page| format!("{} items", page.len()))
                } else {
                    client
                        .deletion_status("j")
                        .await
                        .map(|status| format!("{status:?}"))
                }
            });
            if let Err(error) = outcome {
                // Everything about the error works and names its operation.
                prop_assert!(!error.to_string().is_empty());
                let _ = (error.http_status(), error.api_status(), error.retry_after());
                let _ = (error.is_retryable(), error.is_auth(), error.is_unsent());
                prop_assert!(error.operation().is_some(), "{error:?}");
                // The server always listens: a failed connect means the harness broke (ports
                // exhausted, say), and the case tested nothing.
                prop_assert!(!error.is_unsent(), "{error:?}");
                common::assert_no_secret(&format!("{error} {error:?}"));
            }
            Ok(())
        })
        .unwrap();
}
