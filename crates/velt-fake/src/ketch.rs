//! A fake Ketch (its callback endpoint), for the demo of `velt serve` (feature `platforms`):
//! it builds `dsr/v1` requests whose callback is itself, one URL per request
//! (`/callback/{uid}`), and records every status event posted there.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use velt_fake::ketch::FakeKetch;
//!
//! let ketch = FakeKetch::start("127.0.0.1:0".parse().unwrap()).await?;
//! let body = ketch.request("AccessRequest", "req-1", "Jane.Doe@Example.com");
//! // POST `body` to the worker's /ketch/dsr with the configured header, then:
//! println!("{} events so far", ketch.events_of("req-1").len());
//! # Ok(()) }
//! ```

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

/// The header value the fake's callbacks expect (the callback's `headers` in each request).
pub const CALLBACK_AUTHORIZATION: &str = "Bearer fake-ketch-callback";

type Events = Arc<Mutex<HashMap<String, Vec<Value>>>>;

/// The running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeKetch {
    addr: SocketAddr,
    events: Events,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeKetch {
    /// Listens on `addr` (port 0 for any free port).
    pub async fn start(addr: SocketAddr) -> std::io::Result<FakeKetch> {
        let events: Events = Arc::default();
        let app = Router::new()
            .route("/callback/{uid}", post(record))
            .with_state(Arc::clone(&events));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeKetch { addr, events, task })
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A `dsr/v1` request of `kind` (`AccessRequest`, `DeleteRequest`) about `email`, whose
    /// `metadata.uid` is `uid` and whose one callback is this fake.
    pub fn request(&self, kind: &str, uid: &str, email: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "apiVersion": "dsr/v1",
            "kind": kind,
            "metadata": { "uid": uid, "tenant": "demo" },
            "request": {
                "controller": "demo",
                "property": "demo.example.com",
                "environment": "production",
                "regulation": "gdpr",
                "jurisdiction": "eugdpr",
                "identities": [
                    { "identitySpace": "email", "identityFormat": "raw", "identityValue": email }
                ],
                "callbacks": [{
                    "url": format!("{}/callback/{uid}", self.url()),
                    "headers": { "Authorization": CALLBACK_AUTHORIZATION },
                }],
                "subject": { "email": email, "firstName": "Jane", "lastName": "Doe" },
                "submittedTimestamp": now,
                "dueTimestamp": now + 30 * 86_400,
            },
        })
    }

    /// The events posted for the request `uid`, in order.
    pub fn events_of(&self, uid: &str) -> Vec<Value> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(uid)
            .cloned()
            .unwrap_or_default()
    }
}

async fn record(
    State(events): State<Events>,
    Path(uid): Path<String>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == CALLBACK_AUTHORIZATION);
    if !authorized {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    events
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(uid)
        .or_default()
        .push(body);
    StatusCode::NO_CONTENT.into_response()
}
