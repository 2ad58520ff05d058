//! Tracing: a span per call and per attempt, with the operation, attempt, HTTP status and
//! latency, and never a credential, even at the most verbose level.

use crate::common;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use common::{API_KEY, AUTH_TOKEN, client, typed};
use httpmock::MockServer;
use serde_json::json;
use velt_api::mock::MockServerExt;
use velt_api::users::UsersQuery;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn spans_name_operation_attempt_status_and_latency_but_no_secret() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Other tests of this binary run the same call sites on other threads at the same time,
    // with no subscriber, and may cache "never interested" for one of them while this test's
    // scoped subscriber is being set. A global subscriber that wants everything (and writes it
    // nowhere) means no call site is ever cached as uninteresting.
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(std::io::sink)
            .finish(),
    );
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let server = MockServer::start_async().await;
    // An empty 503 is not in the spec: that answer is raw.
    server.get_users(|_, then| {
        then.into_inner().status(503).up_to_n_times(1);
    });
    server.get_users(|_, then| {
        then.ok(&typed(json!({"result": {"data": []}})));
    });
    client(&server.base_url())
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap();

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("velt.call"), "{text}");
    assert!(text.contains("operation=getUsers"), "{text}");
    assert!(text.contains("attempts=2"), "{text}");
    assert!(text.contains("velt.attempt"), "{text}");
    assert!(text.contains("attempt=2"), "{text}");
    assert!(text.contains("http.status=503"), "{text}");
    assert!(text.contains("http.status=200"), "{text}");
    assert!(text.contains("latency_ms="), "{text}");
    assert!(text.contains("retrying"), "{text}");
    assert!(
        !text.contains(API_KEY) && !text.contains(AUTH_TOKEN),
        "secret in logs: {text}"
    );
}
