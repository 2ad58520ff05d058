//! Fides driving the worker through the connector template (`connectors/fides/velt/`): the
//! template's calls as Fides sends them, against a fake Fides callback endpoint (callbacks
//! recorded with their bearer token; 400 once the task no longer waits, or on demand; an
//! outage on demand) and the fake Velt.

use std::{
    collections::{BTreeSet, HashSet},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use velt_serve::{
    Config, Server,
    fides::{self, Fides},
    job::{Outcome, Stage},
    outbox,
};

use crate::common::{self, JANE, Velt};

const SECRET: &str = "fides-worker-secret-4d1b2c";
const CALLBACK: &str = "/api/v1/request-task/callback";

/// One callback the fake Fides received.
#[derive(Clone, Debug)]
struct Callback {
    authorization: Option<String>,
    body: Value,
}

#[derive(Default)]
struct FidesState {
    callbacks: Mutex<Vec<Callback>>,
    /// Tokens whose task got its callback: it no longer waits.
    queued: Mutex<HashSet<String>>,
    /// Every callback answered 503 while set.
    down: AtomicBool,
    /// Every callback answered 400 while set (the privacy request was cancelled).
    no_longer_waits: AtomicBool,
    /// This many callbacks answered 400 first: the task is not waiting yet.
    not_waiting_yet: AtomicUsize,
    /// Callbacks answered 503 or 400.
    refused: AtomicUsize,
    rejected: AtomicUsize,
}

struct FakeFides {
    url: String,
    state: Arc<FidesState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeFides {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeFides {
    async fn start() -> FakeFides {
        let state = Arc::new(FidesState::default());
        let app = Router::new()
            .route(CALLBACK, post(callback))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeFides {
            url: format!("http://{addr}"),
            state,
            task,
        }
    }

    fn callbacks(&self) -> Vec<Callback> {
        self.state
            .callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Fides's `request_task_async_callback`: the token names a waiting task, once.
async fn callback(
    State(state): State<Arc<FidesState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if state.down.load(Ordering::SeqCst) {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let early = state
        .not_waiting_yet
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if early {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"detail": "Callback failed. Cannot queue task with request task status 'in_processing'"})),
        )
            .into_response();
    }
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let token = authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let fresh = state
        .queued
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token);
    if !fresh || state.no_longer_waits.load(Ordering::SeqCst) {
        state.rejected.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"detail": "Callback failed. Cannot queue task with request task status 'complete'"})),
        )
            .into_response();
    }
    state
        .callbacks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Callback {
            authorization,
            body,
        });
    Json(json!({ "task_queued": true })).into_response()
}

/// The worker's config: the fake Velt, the fake Fides, short pauses, a 400 final at once;
/// secrets in files.
fn config(dir: &Path, velt: &Velt, fides: &FakeFides) -> Config {
    let mut config = config_retrying_400(dir, velt, fides);
    if let Some(f) = config.fides.as_mut() {
        f.retry_400_secs = 0;
    }
    config
}

/// The same, with the default `retry_400_secs`.
fn config_retrying_400(dir: &Path, velt: &Velt, fides: &FakeFides) -> Config {
    std::fs::write(dir.join("fides-secret"), format!("{SECRET}\n")).expect("secret");
    common::config_with(
        dir,
        velt,
        &format!(
            r#"
[fides]
base_url = "{fides}/"
secret = {{ file = "fides-secret" }}
"#,
            fides = fides.url,
        ),
    )
}

/// Posts one of the template's calls as Fides sends it; the status and the body.
async fn call(
    server: &Server,
    path: &str,
    secret: Option<&str>,
    reply: Option<(&str, &str)>,
    body: &Value,
) -> (u16, String) {
    common::tls();
    let mut request = reqwest::Client::new()
        .post(format!("http://{}{path}", server.local_addr()))
        .json(body);
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    if let Some((reply_to, token)) = reply {
        request = request
            .header("reply-to", reply_to)
            .header("reply-to-token", token);
    }
    let answer = request.send().await.expect("the server answers");
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap_or_default())
}

/// An asynchronous request of the template (`/fides/access` or `/fides/erasure`).
async fn task(server: &Server, path: &str, request_id: &str, email: &str, token: &str) -> u16 {
    let body = json!({ "privacy_request_id": request_id, "email": email });
    let (status, text) = call(server, path, Some(SECRET), Some((CALLBACK, token)), &body).await;
    assert!(status == 200 || status == 401, "{status} {text}");
    status
}

/// `POST /fides/store`: the status and the rows.
async fn store_rows(server: &Server, request_id: &str, email: &str, store: &str) -> (u16, Value) {
    let body = json!({ "privacy_request_id": request_id, "email": email, "store": store });
    let (status, text) = call(server, "/fides/store", Some(SECRET), None, &body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The folder of the one job of this id under `dir`.
fn job_dir(dir: &Path, job_id: &str) -> PathBuf {
    dir.join("cases").join(format!("fides-{job_id}"))
}

async fn wait_done(dir: &Path) -> velt_serve::job::Job {
    common::wait_done(dir).await
}

/// Every file under `dir`, with its text (lossy).
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text =
                    String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
                out.push((path, text));
            }
        }
    }
    out
}

/// The stores of a case that hold records.
fn stores_with_data(case_dir: &Path) -> BTreeSet<String> {
    let case = velt_case::Case::load(case_dir).expect("the case");
    case.coverage
        .iter()
        .filter(|r| r.store != "files")
        .filter(|r| {
            r.files.iter().any(|f| {
                f.ends_with(".ndjson") || (f.ends_with(".json") && !f.ends_with(".manifest.json"))
            })
        })
        .map(|r| r.store.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn janes_access_is_called_back_with_her_export_and_her_other_stores_read_from_the_case() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let fides = FakeFides::start().await;
    let dir = common::scratch("fides-access");
    let server = Server::start(config(&dir, &velt, &fides))
        .await
        .expect("the server starts");
    let token = "jwe-token-of-the-access-task";
    assert_eq!(
        task(&server, "/fides/access", "pri_a1", JANE, token).await,
        200
    );
    // Before the case is complete, a store cannot be read yet (or it is, once done).
    let (status, _) = store_rows(&server, "pri_a1", JANE, "activities").await;
    assert!(status == 409 || status == 200, "{status}");
    // Sent again while it runs (Fides retried): the same job.
    assert_eq!(
        task(&server, "/fides/access", "pri_a1", JANE, token).await,
        200
    );

    let job = wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported), "{:?}", job.message);
    let folder = job_dir(&dir, "pri_a1-access");
    assert!(folder.join("job.json").is_file(), "{}", folder.display());
    let case_dir = folder.join("case");

    let callbacks = fides.callbacks();
    assert_eq!(callbacks.len(), 1, "{callbacks:?}");
    assert_eq!(
        callbacks[0].authorization.as_deref(),
        Some(format!("Bearer {token}").as_str())
    );
    let rows = callbacks[0].body["access_results"]
        .as_array()
        .expect("access_results");
    let expected = Fides::store_rows(&case_dir, fides::CALLBACK_STORE).expect("rows");
    assert_eq!(rows, &expected);
    assert!(
        rows.len() >= 2,
        "one row per organization of Jane's: {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r["organizationId"].is_string() && r["records"].is_array()),
        "{rows:?}"
    );
    let records: usize = rows
        .iter()
        .map(|r| r["records"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(records > 0, "Jane has a GDPR export");
    assert_eq!(fides.state.rejected.load(Ordering::SeqCst), 0, "sent once");

    // Every store of her case is a collection of the template, and reads as its rows.
    let stores = stores_with_data(&case_dir);
    assert!(stores.len() >= 3, "several stores: {stores:?}");
    for store in &stores {
        assert!(
            fides::STORES.contains(&store.as_str()),
            "{store} undeclared"
        );
        let (status, body) = store_rows(&server, "pri_a1", JANE, store).await;
        assert_eq!(status, 200, "{store}");
        let expected = Fides::store_rows(&case_dir, store).expect("rows");
        assert!(!expected.is_empty(), "{store}");
        assert_eq!(body["rows"].as_array(), Some(&expected), "{store}");
    }
    // Another person, an unknown store, or a request never received: not served.
    let (status, _) = store_rows(&server, "pri_a1", "someone.else@example.com", "activities").await;
    assert_eq!(status, 404);
    let (status, _) = store_rows(&server, "pri_none", JANE, "activities").await;
    assert_eq!(status, 404);
    let (status, _) = store_rows(&server, "pri_a1", JANE, "passwords").await;
    assert_eq!(status, 400);

    // Sent again once done: its state, no second callback.
    assert_eq!(
        task(&server, "/fides/access", "pri_a1", JANE, token).await,
        200
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fides.callbacks().len(), 1);
    assert_eq!(common::job_dirs(&dir).len(), 1, "one case");
}

#[tokio::test(flavor = "multi_thread")]
async fn janes_erasure_is_one_deletion_called_back_with_rows_masked() {
    let velt = Velt::start(common::fake_config(100, true)).await;
    let fides = FakeFides::start().await;
    let dir = common::scratch("fides-erasure");
    let server = Server::start(config(&dir, &velt, &fides))
        .await
        .expect("the server starts");
    let token = "jwe-token-of-the-erasure-task";
    // Fides sends the update once per row the access found: the same job each time.
    for _ in 0..3 {
        assert_eq!(
            task(&server, "/fides/erasure", "pri_e1", JANE, token).await,
            200
        );
    }
    let job = wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Resolved), "{:?}", job.message);
    assert_eq!(velt.deletions(), 1, "one deletion request at Velt");
    let callbacks = fides.callbacks();
    assert_eq!(
        callbacks.len(),
        1,
        "nothing while Velt deletes: {callbacks:?}"
    );
    assert_eq!(
        callbacks[0].authorization.as_deref(),
        Some(format!("Bearer {token}").as_str())
    );
    let masked = callbacks[0].body["rows_masked"]
        .as_u64()
        .expect("rows_masked");
    assert!(masked >= 1, "Jane's Velt users: {masked}");
    assert!(callbacks[0].body.get("access_results").is_none());
    let case_dir = job_dir(&dir, "pri_e1-erasure").join("case");
    let case = velt_case::Case::load(&case_dir).expect("the case");
    assert_eq!(case.status, velt_case::Status::Erased);

    // Once more after it is done: nothing sent, nothing deleted.
    assert_eq!(
        task(&server, "/fides/erasure", "pri_e1", JANE, token).await,
        200
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(velt.deletions(), 1);
    assert_eq!(fides.callbacks().len(), 1);
    assert_eq!(common::job_dirs(&dir).len(), 1, "one case");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_or_missing_secret_or_reply_to_leaves_nothing() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let fides = FakeFides::start().await;
    let dir = common::scratch("fides-auth");
    let server = Server::start(config(&dir, &velt, &fides))
        .await
        .expect("the server starts");
    let body = json!({ "privacy_request_id": "pri_x", "email": JANE });
    let reply = Some((CALLBACK, "tok"));
    for path in ["/fides/access", "/fides/erasure", "/fides/store"] {
        for secret in [None, Some("wrong"), Some(&SECRET[..SECRET.len() - 1])] {
            let (status, text) = call(&server, path, secret, reply, &body).await;
            assert_eq!(status, 401, "{path} {secret:?}");
            assert!(!text.contains(JANE));
        }
    }
    // The body is not even read without the secret: a garbage body is still 401.
    common::tls();
    let answer = reqwest::Client::new()
        .post(format!("http://{}/fides/access", server.local_addr()))
        .header("authorization", "Bearer nope")
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status().as_u16(), 401);
    // A reply-to that names another host, or no token: refused before any folder.
    for reply in [
        Some(("https://evil.example/api/v1/request-task/callback", "tok")),
        Some(("/api/v1/../../admin", "tok")),
        Some((CALLBACK, "")),
        None,
    ] {
        let (status, _) = call(&server, "/fides/access", Some(SECRET), reply, &body).await;
        assert_eq!(status, 400, "{reply:?}");
    }
    let (status, _) = call(
        &server,
        "/fides/access",
        Some(SECRET),
        Some((CALLBACK, "tok")),
        &json!({ "privacy_request_id": "", "email": JANE }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(common::job_dirs(&dir).is_empty(), "no folder");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(fides.callbacks().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_callback_endpoint_down_for_a_while_gets_the_callback_when_back() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let fides = FakeFides::start().await;
    fides.state.down.store(true, Ordering::SeqCst);
    let dir = common::scratch("fides-outage");
    let server = Server::start(config(&dir, &velt, &fides))
        .await
        .expect("the server starts");
    assert_eq!(
        task(&server, "/fides/access", "pri_o1", JANE, "tok-o1").await,
        200
    );
    common::wait_until("refused callbacks", Duration::from_secs(60), || {
        fides.state.refused.load(Ordering::SeqCst) >= 3
    })
    .await;
    let job = common::job(&dir);
    assert_ne!(job.stage, Stage::Done, "not done while Fides is down");
    assert!(fides.callbacks().is_empty());
    fides.state.down.store(false, Ordering::SeqCst);
    let job = wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported));
    assert_eq!(fides.callbacks().len(), 1, "delivered once when back");
    let entries = outbox::entries(&velt_serve::job::JobDir::at(job_dir(&dir, "pri_o1-access")))
        .expect("the outbox");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].1.delivery, outbox::Delivery::Acknowledged);
    assert!(entries[0].1.attempts >= 4, "{}", entries[0].1.attempts);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_that_no_longer_waits_is_not_called_back_again() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let fides = FakeFides::start().await;
    fides.state.no_longer_waits.store(true, Ordering::SeqCst);
    let dir = common::scratch("fides-400");
    // retry_400_secs = 0: a 400 is final at once.
    let server = Server::start(config(&dir, &velt, &fides))
        .await
        .expect("the server starts");
    assert_eq!(
        task(&server, "/fides/access", "pri_n1", JANE, "tok-n1").await,
        200
    );
    let job = wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        fides.state.rejected.load(Ordering::SeqCst),
        1,
        "one attempt"
    );
    let entries = outbox::entries(&velt_serve::job::JobDir::at(job_dir(&dir, "pri_n1-access")))
        .expect("the outbox");
    assert_eq!(entries[0].1.delivery, outbox::Delivery::NoLongerWanted);
    assert_eq!(entries[0].1.attempts, 1);
    assert_eq!(entries[0].1.last_status, Some(400));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_400_soon_after_the_request_is_retried_until_the_task_waits() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let fides = FakeFides::start().await;
    fides.state.not_waiting_yet.store(2, Ordering::SeqCst);
    let dir = common::scratch("fides-early-400");
    let config = config_retrying_400(&dir, &velt, &fides);
    assert_eq!(config.fides.as_ref().map(|f| f.retry_400_secs), Some(60));
    let server = Server::start(config).await.expect("the server starts");
    assert_eq!(
        task(&server, "/fides/access", "pri_w1", JANE, "tok-w1").await,
        200
    );
    let job = wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported));
    assert_eq!(fides.callbacks().len(), 1, "delivered once the task waits");
    let entries = outbox::entries(&velt_serve::job::JobDir::at(job_dir(&dir, "pri_w1-access")))
        .expect("the outbox");
    assert_eq!(entries[0].1.delivery, outbox::Delivery::Acknowledged);
    assert_eq!(
        entries[0].1.attempts, 3,
        "two early 400s, then acknowledged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_velt_does_not_hold_gets_no_rows_and_nothing_masked() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let fides = FakeFides::start().await;
    let dir = common::scratch("fides-nobody");
    let server = Server::start(config(&dir, &velt, &fides))
        .await
        .expect("the server starts");
    let nobody = "nobody.at.all@example.org";
    assert_eq!(
        task(&server, "/fides/access", "pri_z1", nobody, "tok-z-a").await,
        200
    );
    let job = wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::NotFound));
    let (status, body) = store_rows(&server, "pri_z1", nobody, "activities").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "rows": [] }));
    assert_eq!(
        task(&server, "/fides/erasure", "pri_z1", nobody, "tok-z-e").await,
        200
    );
    common::wait_until("the erasure callback", Duration::from_secs(60), || {
        fides.callbacks().len() == 2
    })
    .await;
    let callbacks = fides.callbacks();
    // One row with no organization and no records, so that Fides sends the erasure.
    assert_eq!(
        callbacks[0].body,
        json!({ "access_results": [{ "organizationId": null, "records": [] }] })
    );
    assert_eq!(callbacks[1].body, json!({ "rows_masked": 0 }));
    assert_eq!(
        callbacks[1].authorization.as_deref(),
        Some("Bearer tok-z-e")
    );
    assert_eq!(velt.deletions(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reply_to_token_is_only_in_job_json_and_the_secret_nowhere() {
    let velt = Velt::start(common::fake_config(20, true)).await;
    let fides = FakeFides::start().await;
    let dir = common::scratch("fides-secrets");
    let server = Server::start(config(&dir, &velt, &fides))
        .await
        .expect("the server starts");
    let access_token = "jwe-ACCESS-7f3e9a1c5b";
    let erasure_token = "jwe-ERASURE-2d8b4f6a0e";
    assert_eq!(
        task(&server, "/fides/access", "pri_s1", JANE, access_token).await,
        200
    );
    assert_eq!(
        task(&server, "/fides/erasure", "pri_s1", JANE, erasure_token).await,
        200
    );
    common::wait_until("both jobs done", Duration::from_secs(90), || {
        ["pri_s1-access", "pri_s1-erasure"].iter().all(|id| {
            velt_serve::job::JobDir::at(job_dir(&dir, id))
                .load()
                .is_ok_and(|j| j.stage == Stage::Done)
        })
    })
    .await;
    assert_eq!(fides.callbacks().len(), 2);
    for (id, token) in [
        ("pri_s1-access", access_token),
        ("pri_s1-erasure", erasure_token),
    ] {
        let folder = job_dir(&dir, id);
        let all = files(&folder);
        assert!(all.len() > 3, "{all:?}");
        assert!(
            all.iter()
                .any(|(p, _)| p.starts_with(folder.join("outbox")))
        );
        for (path, text) in &all {
            if path == &folder.join("job.json") {
                assert!(text.contains(token), "job.json keeps the token");
            } else {
                assert!(!text.contains(token), "the token in {}", path.display());
            }
            assert!(!text.contains(SECRET), "the secret in {}", path.display());
        }
    }
}

#[test]
fn the_template_calls_the_workers_routes_with_callbacks_for_the_declared_stores() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../connectors/fides/velt");
    let read = |name: &str| -> serde_yaml::Value {
        let text = std::fs::read_to_string(root.join(name)).expect("the template's file");
        serde_yaml::from_str(&text).expect("YAML")
    };
    let config = read("config.yml");
    let dataset = read("dataset.yml");
    let saas = &config["saas_config"];
    let key = saas["fides_key"].as_str().expect("fides_key");
    let datasets = dataset["dataset"].as_sequence().expect("a dataset list");
    assert_eq!(datasets.len(), 1);
    assert_eq!(
        datasets[0]["fides_key"].as_str(),
        Some(key),
        "the same fides_key"
    );
    assert_eq!(
        saas["client_config"]["authentication"]["strategy"],
        "bearer"
    );
    let token = saas["client_config"]["authentication"]["configuration"]["token"]
        .as_str()
        .expect("a bearer token");
    let params: Vec<&str> = saas["connector_params"]
        .as_sequence()
        .expect("params")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(params.contains(&"domain"), "{params:?}");
    assert!(
        params.iter().any(|p| token == format!("<{p}>")),
        "the token is a connector param: {token}"
    );
    assert_eq!(saas["client_config"]["host"], "<domain>");
    assert_eq!(saas["test_request"]["path"], "/healthz");

    let routes = ["/fides/access", "/fides/erasure", "/fides/store"];
    let endpoints = saas["endpoints"].as_sequence().expect("endpoints");
    let mut callbacks = 0;
    for endpoint in endpoints {
        let name = endpoint["name"].as_str().expect("a name");
        for (action, request) in endpoint["requests"].as_mapping().expect("requests") {
            let action = action.as_str().unwrap_or_default();
            assert!(
                ["read", "update"].contains(&action),
                "{name}: {action} (Fides masks with update under masking_strict)"
            );
            let path = request["path"].as_str().expect("a path");
            assert!(routes.contains(&path), "{name} {action} calls {path}");
            assert_eq!(request["method"], "POST", "{name} {action}");
            let body: Value = serde_json::from_str(request["body"].as_str().expect("a body"))
                .expect("the body is JSON");
            assert_eq!(body["privacy_request_id"], "<privacy_request_id>");
            assert_eq!(body["email"], "<email>");
            let identity = request["param_values"]
                .as_sequence()
                .expect("param_values")
                .iter()
                .any(|p| p["name"] == "email" && p["identity"] == "email");
            assert!(identity, "{name} {action}: the email identity");
            let headers: Vec<(String, String)> = request["headers"]
                .as_sequence()
                .map(|h| {
                    h.iter()
                        .map(|h| {
                            (
                                h["name"].as_str().unwrap_or_default().to_owned(),
                                h["value"].as_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let has = |n: &str, v: &str| headers.iter().any(|(hn, hv)| hn == n && hv == v);
            if path == "/fides/store" {
                assert_eq!(body["store"], name, "{name} reads its own store");
                assert_eq!(request["data_path"], "rows");
                assert!(request.get("async_config").is_none());
                let after = endpoint["after"].as_sequence().expect("after");
                assert_eq!(
                    after[0].as_str(),
                    Some(format!("{key}.{}", fides::CALLBACK_STORE).as_str())
                );
            } else {
                assert_eq!(name, fides::CALLBACK_STORE);
                assert_eq!(request["async_config"]["strategy"], "callback");
                assert!(has("reply-to", "<reply_to>"), "{name} {action}");
                assert!(has("reply-to-token", "<reply_to_token>"), "{name} {action}");
                let expected = if action == "read" {
                    "/fides/access"
                } else {
                    "/fides/erasure"
                };
                assert_eq!(path, expected);
                callbacks += 1;
            }
        }
    }
    assert_eq!(callbacks, 2, "access and erasure through the callback");

    let endpoint_names: BTreeSet<&str> = endpoints
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    let collections = datasets[0]["collections"]
        .as_sequence()
        .expect("collections");
    let collection_names: BTreeSet<&str> = collections
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let stores: BTreeSet<&str> = fides::STORES.into_iter().collect();
    assert_eq!(
        collection_names, stores,
        "one collection per store the worker sends"
    );
    assert_eq!(endpoint_names, stores, "one endpoint per collection");
    for collection in collections {
        let name = collection["name"].as_str().unwrap_or_default();
        let fields: Vec<&str> = collection["fields"]
            .as_sequence()
            .expect("fields")
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert_eq!(fields, ["organizationId", "records"], "{name}");
        let keyed = collection["fields"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|f| f["fides_meta"]["primary_key"].as_bool() == Some(true));
        assert_eq!(
            keyed,
            name == fides::CALLBACK_STORE,
            "only {} is erased through Fides",
            fides::CALLBACK_STORE
        );
    }
}
