//! A fake Transcend (its Sombra gateway), for demos, process-level tests and the benchmark of
//! `velt serve` (feature `platforms`): it serves its signing key, signs webhook tokens, and
//! records every answer the worker sends, per job (the `x-transcend-nonce` of the job). A
//! second final answer of a job (the access completion, or an erasure's `RESOLVED` /
//! `ACTION_REQUIRED`) is answered 409, as Transcend does for a job already done.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use velt_fake::transcend::FakeTranscend;
//!
//! let transcend = FakeTranscend::start("127.0.0.1:0".parse().unwrap(), "my-audience").await?;
//! let webhook = transcend.webhook("ACCESS", "req-1", "Jane.Doe@Example.com");
//! // POST `webhook.body` to the worker's /transcend/webhook with `webhook.headers`, then:
//! let calls = transcend.calls_of("req-1");
//! println!("{} answers so far", calls.len());
//! # Ok(()) }
//! ```

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::sombra::Keys;

/// One answer the fake accepted (or refused with 409).
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// `POST` or `PUT`.
    pub method: String,
    /// `/v1/datapoint-chunked`, `/v1/datapoint` or `/v1/data-silo`.
    pub path: String,
    /// The body (for a file of `/v1/datapoint`: its headers `dataPointName`, `remoteId`, and
    /// its size in `bytes`).
    pub body: Value,
    /// The fake's status: 200, or 409 for a second final answer.
    pub status: u16,
}

impl Call {
    /// Whether it is a job's final answer: the access completion (`POST /v1/data-silo`) or an
    /// erasure's `RESOLVED` / `ACTION_REQUIRED`.
    pub fn is_final(&self) -> bool {
        self.path == "/v1/data-silo"
            && (self.method == "POST"
                || matches!(
                    self.body["status"].as_str(),
                    Some("RESOLVED" | "ACTION_REQUIRED")
                ))
    }
}

/// A webhook to send to the worker: its headers (the signed token and the nonce) and body.
#[derive(Clone, Debug)]
pub struct Webhook {
    /// `x-sombra-token` and `x-transcend-nonce` (the request id, so that answers are
    /// attributed to the job).
    pub headers: Vec<(&'static str, String)>,
    /// The body, as Transcend's examples read it.
    pub body: Value,
}

#[derive(Default)]
struct Recorded {
    /// nonce -> its calls, in order.
    jobs: HashMap<String, Vec<Call>>,
}

/// The running fake; stops when dropped.
pub struct FakeTranscend {
    addr: SocketAddr,
    audience: String,
    keys: Arc<Keys>,
    recorded: Arc<Mutex<Recorded>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for FakeTranscend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeTranscend")
            .field("addr", &self.addr)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeTranscend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeTranscend {
    /// Listens on `addr` (port 0 for any free port), with a new signing key; webhook tokens
    /// name `audience`.
    pub async fn start(addr: SocketAddr, audience: &str) -> std::io::Result<FakeTranscend> {
        let keys = Arc::new(Keys::generate());
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let state = (Arc::clone(&keys), Arc::clone(&recorded));
        let app = Router::new()
            .route("/public-keys/sombra-general-signing-key", get(public_key))
            .route("/v1/datapoint-chunked", post(record))
            .route("/v1/datapoint", post(record_file))
            .route("/v1/data-silo", post(record).put(record))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeTranscend {
            addr,
            audience: audience.to_owned(),
            keys,
            recorded,
            task,
        })
    }

    /// Its base URL: the worker's `transcend.sombra_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A signed webhook for a job of `kind` (`ACCESS`, `ERASURE`) about `email`, with
    /// `request_id` as its request id and nonce.
    pub fn webhook(&self, kind: &str, request_id: &str, email: &str) -> Webhook {
        let token = self.keys.token(&json!({
            "aud": self.audience,
            "scope": "coreIdentifier",
            "exp": chrono::Utc::now().timestamp() + 7200,
        }));
        Webhook {
            headers: vec![
                ("x-sombra-token", token),
                ("x-transcend-nonce", request_id.to_owned()),
            ],
            body: json!({
                "type": kind,
                "isTest": false,
                "extras": {
                    "profile": { "identifier": email, "type": "email" },
                    "request": { "id": request_id },
                },
            }),
        }
    }

    /// The calls recorded for the job whose nonce is `request_id`, in order.
    pub fn calls_of(&self, request_id: &str) -> Vec<Call> {
        self.lock()
            .jobs
            .get(request_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Every job's calls, by nonce.
    pub fn jobs(&self) -> HashMap<String, Vec<Call>> {
        self.lock().jobs.clone()
    }

    /// How many jobs have their final answer.
    pub fn finished(&self) -> usize {
        self.lock()
            .jobs
            .values()
            .filter(|calls| calls.iter().any(|c| c.is_final() && c.status == 200))
            .count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(|e| e.into_inner())
    }
}

type Shared = (Arc<Keys>, Arc<Mutex<Recorded>>);

async fn public_key(State((keys, _)): State<Shared>) -> String {
    keys.public_pem.clone()
}

async fn record(
    State((_, recorded)): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    keep(
        &recorded,
        &headers,
        Call {
            method: method.to_string(),
            path: uri.path().to_owned(),
            body,
            status: 200,
        },
    )
}

/// A file of `POST /v1/datapoint` (its bytes counted, not kept).
async fn record_file(
    State((_, recorded)): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let body = json!({
        "dataPointName": header("x-transcend-datapoint-name"),
        "remoteId": header("x-transcend-remote-id"),
        "bytes": body.len(),
    });
    keep(
        &recorded,
        &headers,
        Call {
            method: "POST".into(),
            path: "/v1/datapoint".into(),
            body,
            status: 200,
        },
    )
}

/// Records `call` under the job's nonce; 409 to a second final answer.
fn keep(recorded: &Mutex<Recorded>, headers: &HeaderMap, mut call: Call) -> Response {
    let Some(nonce) = headers
        .get("x-transcend-nonce")
        .and_then(|v| v.to_str().ok())
    else {
        return (StatusCode::BAD_REQUEST, "x-transcend-nonce is missing\n").into_response();
    };
    let mut recorded = recorded.lock().unwrap_or_else(|e| e.into_inner());
    let calls = recorded.jobs.entry(nonce.to_owned()).or_default();
    let done = calls.iter().any(|c| c.is_final() && c.status == 200);
    if call.is_final() && done {
        call.status = 409;
    }
    let status = call.status;
    calls.push(call);
    if status == 409 {
        return StatusCode::CONFLICT.into_response();
    }
    Json(json!({})).into_response()
}
