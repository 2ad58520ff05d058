//! The servers the clients talk to, on their own Tokio runtime (own threads), so that the
//! client under test has its thread to itself: the fake Velt server, and a server of
//! pre-generated pages.

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    body::Bytes,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use velt_fake::{FakeConfig, FakeVelt};

use crate::raw::{BenchResult, Raw};

/// A Tokio runtime on background threads that runs the servers.
pub struct Background {
    runtime: tokio::runtime::Runtime,
}

impl Background {
    /// A runtime with `threads` worker threads.
    pub fn new(threads: usize) -> BenchResult<Background> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("bench-server")
            .enable_all()
            .build()?;
        Ok(Background { runtime })
    }

    /// The runtime, to start other servers on.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.runtime.handle()
    }

    /// Starts a fake Velt server on this runtime.
    pub fn fake(&self, config: FakeConfig) -> BenchResult<FakeVelt> {
        Ok(self.runtime.block_on(FakeVelt::start(config))?)
    }

    /// Starts a server that answers Get All User Data with the bodies in `pages`, looked up
    /// by the request's `data.pageToken` (`""` for the first page). It does no other work:
    /// credentials and ids are not checked.
    pub fn cached(&self, pages: HashMap<String, Bytes>) -> BenchResult<SocketAddr> {
        let pages = Arc::new(pages);
        let app = Router::new().route(
            "/v2/users/data/get",
            post(move |body: Bytes| {
                let pages = Arc::clone(&pages);
                async move { cached_page(&pages, &body) }
            }),
        );
        let listener = self
            .runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        self.runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(addr)
    }
}

fn cached_page(pages: &HashMap<String, Bytes>, body: &[u8]) -> Response {
    let token = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["data"]["pageToken"].as_str().map(str::to_owned))
        .unwrap_or_default();
    match pages.get(&token) {
        Some(page) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            page.clone(),
        )
            .into_response(),
        None => (StatusCode::BAD_REQUEST, "unknown page token").into_response(),
    }
}

/// Reads every page of one export from a server, keyed by the token that asks for it
/// (`""` for the first page), to serve them again from memory.
pub async fn record_pages(
    raw: &Raw,
    organization_id: &str,
    user_id: &str,
) -> BenchResult<HashMap<String, Bytes>> {
    let mut pages = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let bytes = raw
            .page_bytes(organization_id, user_id, token.as_deref())
            .await?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)?;
        pages.insert(token.clone().unwrap_or_default(), bytes);
        match value["result"]["nextPageToken"].as_str() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(pages),
        }
    }
}
