//! What the tests share: a fake Transcend (its own ES384 key pair, the public key endpoint,
//! the datapoint and data-silo calls recorded, 409 to a second completion, an outage on
//! demand), a proxy in front of the fake Velt that counts deletion requests, the worker's
//! config, signed webhooks and waits.

#![allow(dead_code)] // each module uses its own subset

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use velt_fake::{FakeConfig, FakeVelt};
use velt_serve::{Config, Server, job::Job};

pub const AUDIENCE: &str = "velt-test-audience";
pub const API_KEY: &str = "transcend-test-api-key";
pub const NONCE: &str = "nonce-of-the-job";
pub const JANE: &str = "Jane.Doe@Example.com";

/// Sombra's ES384 key pair (velt-fake's), with the tests' good token.
pub struct Keys(pub velt_fake::sombra::Keys);

impl Keys {
    pub fn generate() -> Keys {
        Keys(velt_fake::sombra::Keys::generate())
    }

    pub fn public_pem(&self) -> &str {
        &self.0.public_pem
    }

    /// A token as Sombra signs it, with these claims.
    pub fn token(&self, claims: Value) -> String {
        self.0.token(&claims)
    }

    /// A good token for the tests' audience.
    pub fn good_token(&self) -> String {
        self.token(json!({
            "aud": AUDIENCE,
            "scope": "coreIdentifier",
            "value": JANE,
            "exp": chrono::Utc::now().timestamp() + 600,
        }))
    }
}

/// One call the fake Transcend accepted.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub nonce: Option<String>,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Default)]
pub struct TranscendState {
    pem: String,
    pub calls: Mutex<Vec<Call>>,
    /// Every datapoint and data-silo call answered 503 while set.
    pub down: AtomicBool,
    /// Calls refused while down.
    pub refused: AtomicUsize,
    /// The first completion is recorded but its answer is lost (503): the retry is a second
    /// completion, answered 409.
    pub lose_first_completion_ack: AtomicBool,
    completed: AtomicBool,
    pub conflicts: AtomicUsize,
    pub key_fetches: AtomicUsize,
}

pub struct FakeTranscend {
    pub url: String,
    pub state: Arc<TranscendState>,
    pub keys: Keys,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTranscend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeTranscend {
    pub async fn start() -> FakeTranscend {
        let keys = Keys::generate();
        let state = Arc::new(TranscendState {
            pem: keys.public_pem().to_owned(),
            ..TranscendState::default()
        });
        let app = Router::new()
            .route("/public-keys/sombra-general-signing-key", get(public_key))
            .route("/v1/datapoint-chunked", post(record))
            .route("/v1/datapoint", post(record_file))
            .route("/v1/data-silo", post(record).put(record))
            .with_state(Arc::clone(&state));
        let (url, task) = serve(app).await;
        FakeTranscend {
            url,
            state,
            keys,
            task,
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn calls_to(&self, method: &str, path: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.path == path)
            .collect()
    }

    /// The erasure states reported (`PUT /v1/data-silo`), in order.
    pub fn erasure_states(&self) -> Vec<String> {
        self.calls_to("PUT", "/v1/data-silo")
            .iter()
            .map(|c| c.body["status"].as_str().unwrap_or("?").to_owned())
            .collect()
    }
}

async fn public_key(State(state): State<Arc<TranscendState>>, headers: HeaderMap) -> Response {
    state.key_fetches.fetch_add(1, Ordering::SeqCst);
    if header(&headers, "authorization").as_deref() != Some(&format!("Bearer {API_KEY}")) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    state.pem.clone().into_response()
}

async fn record(
    State(state): State<Arc<TranscendState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if state.down.load(Ordering::SeqCst) {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let completion = method == Method::POST && uri.path() == "/v1/data-silo";
    if completion && state.completed.load(Ordering::SeqCst) {
        state.conflicts.fetch_add(1, Ordering::SeqCst);
        return StatusCode::CONFLICT.into_response();
    }
    state
        .calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Call {
            method: method.to_string(),
            path: uri.path().to_owned(),
            nonce: header(&headers, "x-transcend-nonce"),
            authorization: header(&headers, "authorization"),
            body,
        });
    if completion {
        state.completed.store(true, Ordering::SeqCst);
        if state
            .lose_first_completion_ack
            .swap(false, Ordering::SeqCst)
        {
            return StatusCode::BAD_GATEWAY.into_response();
        }
    }
    Json(json!({})).into_response()
}

/// A file of `/v1/datapoint`: recorded with its headers, its size and its SHA-256.
async fn record_file(
    State(state): State<Arc<TranscendState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.down.load(Ordering::SeqCst) {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    let sha256: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    state
        .calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Call {
            method: "POST".into(),
            path: "/v1/datapoint".into(),
            nonce: header(&headers, "x-transcend-nonce"),
            authorization: header(&headers, "authorization"),
            body: json!({
                "dataPointName": header(&headers, "x-transcend-datapoint-name"),
                "remoteId": header(&headers, "x-transcend-remote-id"),
                "skipStatusUpdate": header(&headers, "x-transcend-skip-status-update"),
                "contentType": header(&headers, "content-type"),
                "bytes": body.len(),
                "sha256": sha256,
            }),
        });
    Json(json!({})).into_response()
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn serve(app: Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr: SocketAddr = listener.local_addr().expect("its address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), task)
}

/// The fake Velt behind a proxy that counts the deletion requests it forwards.
pub struct Velt {
    pub fake: FakeVelt,
    pub url: String,
    deletions: Arc<AtomicUsize>,
    /// While set, a deletion request is forwarded to Velt but its answer never comes back
    /// (a worker killed before it kept Velt's answer).
    pub hold_deletion_answers: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Velt {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Proxy {
    target: String,
    http: reqwest::Client,
    deletions: Arc<AtomicUsize>,
    hold_deletion_answers: Arc<AtomicBool>,
}

/// The TLS provider reqwest needs (built without one), once.
pub fn tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Velt {
    pub async fn start(config: FakeConfig) -> Velt {
        tls();
        let fake = FakeVelt::start(config).await.expect("the fake Velt starts");
        let deletions = Arc::new(AtomicUsize::new(0));
        let hold_deletion_answers = Arc::new(AtomicBool::new(false));
        let proxy = Arc::new(Proxy {
            target: fake.base_url(),
            http: reqwest::Client::new(),
            deletions: Arc::clone(&deletions),
            hold_deletion_answers: Arc::clone(&hold_deletion_answers),
        });
        let app = Router::new().fallback(forward).with_state(proxy);
        let (url, task) = serve(app).await;
        Velt {
            fake,
            url,
            deletions,
            hold_deletion_answers,
            task,
        }
    }

    /// Deletion requests (`POST /v2/users/data/delete`) Velt received.
    pub fn deletions(&self) -> usize {
        self.deletions.load(Ordering::SeqCst)
    }
}

async fn forward(
    State(proxy): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let deletion = uri.path() == "/v2/users/data/delete";
    if deletion {
        proxy.deletions.fetch_add(1, Ordering::SeqCst);
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = proxy
        .http
        .request(method, format!("{}{path}", proxy.target))
        .body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(_) if deletion && proxy.hold_deletion_answers.load(Ordering::SeqCst) => {
            std::future::pending::<()>().await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Ok(answer) => {
            let status = answer.status();
            let content_type = answer.headers().get("content-type").cloned();
            let bytes = answer.bytes().await.unwrap_or_default();
            let mut response = (status, bytes).into_response();
            if let Some(ct) = content_type {
                response.headers_mut().insert("content-type", ct);
            }
            response
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// The fake Velt's default workspace, deletions of `task_ms` a task.
pub fn fake_config(task_ms: u64, gdpr_deletes_activities: bool) -> FakeConfig {
    FakeConfig {
        items_per_feature: 5,
        deletion_task_duration: Duration::from_millis(task_ms),
        gdpr_deletes_activities,
        ..FakeConfig::default()
    }
}

/// A fresh directory under the target dir for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("velt-serve")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The worker's config for these fakes, secrets in files under `dir`.
pub fn config(dir: &Path, velt: &Velt, transcend: &FakeTranscend) -> Config {
    std::fs::write(dir.join("transcend-api-key"), API_KEY).expect("key");
    config_with(
        dir,
        velt,
        &format!(
            r#"
[transcend]
sombra_url = "{transcend}"
audience = "{AUDIENCE}"
api_key = {{ file = "transcend-api-key" }}
chunk_records = 40
"#,
            transcend = transcend.url,
        ),
    )
}

/// The tests' config for `velt` with these platform `tables`: Velt's credentials in files,
/// short pauses; relative paths under `dir`.
pub fn config_with(dir: &Path, velt: &Velt, tables: &str) -> Config {
    std::fs::write(
        dir.join("velt-api-key"),
        format!("{}\n", velt.fake.api_key()),
    )
    .expect("key");
    std::fs::write(dir.join("velt-auth-token"), velt.fake.auth_token()).expect("token");
    let text = format!(
        r#"
listen = "127.0.0.1:0"
cases_dir = "cases"
max_body_bytes = 65536

[velt]
base_url = "{velt}"
api_key = {{ file = "velt-api-key" }}
auth_token = {{ file = "velt-auth-token" }}
concurrency = 4

[erasure]
wait_secs = 60
poll_first_ms = 20
poll_max_ms = 50

[outbox]
first_pause_ms = 20
max_pause_ms = 100
{tables}"#,
        velt = velt.url,
    );
    Config::from_toml(&text, dir).expect("the tests' config")
}

/// A webhook body.
pub fn webhook(kind: &str, request_id: &str, identifier: &str) -> Value {
    json!({
        "type": kind,
        "isTest": false,
        "extras": {
            "profile": { "identifier": identifier, "type": "email" },
            "request": { "id": request_id, "link": format!("https://app.transcend.io/privacy-requests/{request_id}") },
        },
    })
}

/// Posts a webhook with this token (none: no header); the status and the body.
pub async fn post_webhook(server: &Server, token: Option<&str>, body: &Value) -> (u16, String) {
    tls();
    let mut request = reqwest::Client::new()
        .post(format!("http://{}/transcend/webhook", server.local_addr()))
        .header("x-transcend-nonce", NONCE)
        .json(body);
    if let Some(token) = token {
        request = request.header("x-sombra-token", token);
    }
    let answer = request.send().await.expect("the server answers");
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap_or_default())
}

/// The job folders under the cases folder.
pub fn job_dirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("cases")) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    dirs
}

/// The record of the one job under `dir`.
pub fn job(dir: &Path) -> Job {
    let dirs = job_dirs(dir);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    velt_serve::job::JobDir::at(dirs[0].clone())
        .load()
        .expect("job.json")
}

/// Waits until `done` holds (checked every 20 ms), at most `limit`.
pub async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the one job under `dir` is done.
pub async fn wait_done(dir: &Path) -> Job {
    wait_until("the job to be done", Duration::from_secs(90), || {
        let dirs = job_dirs(dir);
        dirs.len() == 1
            && velt_serve::job::JobDir::at(dirs[0].clone())
                .load()
                .is_ok_and(|j| j.stage == velt_serve::job::Stage::Done)
    })
    .await;
    job(dir)
}

/// The case's event log, parsed.
pub fn events(case_dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(case_dir.join("events.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
