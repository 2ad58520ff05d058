//! A fake Fides (its request-task callback), for the demo of `velt serve` (feature
//! `platforms`): it makes the headers a Fides request task carries (`reply-to`,
//! `reply-to-token`), and records each callback, keyed by its token. A second callback of a
//! task is answered 400, as Fides does for a task that no longer waits.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use velt_fake::fides::FakeFides;
//!
//! let fides = FakeFides::start("127.0.0.1:0".parse().unwrap()).await?;
//! let token = FakeFides::token("pri-1", "access");
//! // POST to the worker's /fides/access with `reply-to: FakeFides::REPLY_TO` and
//! // `reply-to-token: token`, then:
//! println!("{:?}", fides.callback_of(&token));
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
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

type Callbacks = Arc<Mutex<HashMap<String, Value>>>;

/// The running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeFides {
    addr: SocketAddr,
    callbacks: Callbacks,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeFides {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeFides {
    /// The `reply-to` path of Fides's request-task callback.
    pub const REPLY_TO: &'static str = "/api/v1/request-task/callback";

    /// Listens on `addr` (port 0 for any free port).
    pub async fn start(addr: SocketAddr) -> std::io::Result<FakeFides> {
        let callbacks: Callbacks = Arc::default();
        let app = Router::new()
            .route(Self::REPLY_TO, post(record))
            .with_state(Arc::clone(&callbacks));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeFides {
            addr,
            callbacks,
            task,
        })
    }

    /// Its base URL: the worker's `fides.base_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `reply-to-token` of the task `what` (`access`, `erasure`) of a privacy request.
    pub fn token(privacy_request_id: &str, what: &str) -> String {
        format!("fake-fides-{privacy_request_id}-{what}")
    }

    /// The callback of the task whose token is `token`, once it came.
    pub fn callback_of(&self, token: &str) -> Option<Value> {
        self.callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned()
    }
}

async fn record(
    State(callbacks): State<Callbacks>,
    headers: HeaderMap,
    body: Json<Value>,
) -> Response {
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut callbacks = callbacks.lock().unwrap_or_else(|e| e.into_inner());
    if callbacks.contains_key(token) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "detail": "the task is not awaiting processing" })),
        )
            .into_response();
    }
    callbacks.insert(token.to_owned(), body.0);
    Json(json!({ "task_queued": true })).into_response()
}
