//! Ketch's forwarder against a fake Ketch: its callbacks record every status event after
//! checking it against the forwarder's schemas (`Event.yaml`, `DSRRequestStatus.yaml`,
//! `DSRRequestStatusReason.yaml`, the README's Document) and its limits (an event over the
//! limit is 413, an embedded document over 3.5 MB a violation, any event after `completed`
//! a violation). Jane's access and erasure end to end, a request sent twice, the header
//! refused, bad bodies named, callbacks down for a while, someone Velt does not hold, and a
//! large result split within the limit.

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path as UrlPath, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::Engine;
use serde_json::{Value, json};
use velt_fake::FakeConfig;
use velt_serve::{
    Config, Server,
    job::{Outcome, Stage},
};

use crate::common::{self, JANE, Velt};

const SECRET: &str = "ketch-endpoint-secret";

/// One event a callback accepted.
#[derive(Clone, Debug)]
struct Event {
    callback: String,
    body: Value,
}

struct KetchState {
    /// The largest event accepted (bytes); a larger one is 413.
    limit: usize,
    events: Mutex<Vec<Event>>,
    violations: Mutex<Vec<String>>,
    /// Calls answered 503 before the callbacks work again.
    down_for: AtomicUsize,
    refused: AtomicUsize,
    completed: Mutex<HashSet<(String, String)>>,
}

struct FakeKetch {
    url: String,
    host: String,
    state: Arc<KetchState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeKetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeKetch {
    async fn start(limit: usize) -> FakeKetch {
        let state = Arc::new(KetchState {
            limit,
            events: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            down_for: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            completed: Mutex::new(HashSet::new()),
        });
        let app = Router::new()
            .route("/callback/{name}", post(callback))
            .layer(DefaultBodyLimit::max(64 << 20))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeKetch {
            url: format!("http://{addr}"),
            host: addr.to_string(),
            state,
            task,
        }
    }

    /// The callback `name` as a request names it, with its own secret header.
    fn callback(&self, name: &str) -> Value {
        json!({
            "url": format!("{}/callback/{name}", self.url),
            "headers": { "Authorization": format!("Bearer cb-{name}") },
        })
    }

    fn events(&self, callback: &str) -> Vec<Value> {
        self.state
            .events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|e| e.callback == callback)
            .map(|e| e.body.clone())
            .collect()
    }

    fn violations(&self) -> Vec<String> {
        self.state
            .violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

async fn callback(
    State(state): State<Arc<KetchState>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let violation = |why: String, status: StatusCode| {
        state
            .violations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(why);
        status.into_response()
    };
    if state
        .down_for
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if body.len() > state.limit {
        return violation(
            format!("an event of {} bytes", body.len()),
            StatusCode::PAYLOAD_TOO_LARGE,
        );
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    if header("authorization") != format!("Bearer cb-{name}") {
        return violation(
            format!("callback {name}: wrong authorization"),
            StatusCode::UNAUTHORIZED,
        );
    }
    if !header("content-type").starts_with("application/json") {
        return violation("not application/json".into(), StatusCode::BAD_REQUEST);
    }
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return violation("not JSON".into(), StatusCode::BAD_REQUEST);
    };
    if let Err(why) = check_event(&value) {
        return violation(why, StatusCode::BAD_REQUEST);
    }
    let key = (
        name.clone(),
        value["metadata"]["uid"].as_str().unwrap_or("").to_owned(),
    );
    {
        let mut completed = state.completed.lock().unwrap_or_else(|e| e.into_inner());
        if completed.contains(&key) {
            drop(completed);
            return violation("an event after completed".into(), StatusCode::BAD_REQUEST);
        }
        if value["event"]["status"] == "completed" {
            completed.insert(key);
        }
    }
    state
        .events
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Event {
            callback: name,
            body: value,
        });
    StatusCode::OK.into_response()
}

/// An event as Event.yaml and the schemas it names describe it.
fn check_event(v: &Value) -> Result<(), String> {
    if v["apiVersion"] != "dsr/v1" {
        return Err("apiVersion".into());
    }
    let kinds = [
        "AccessStatusEvent",
        "CorrectionStatusEvent",
        "DeleteStatusEvent",
        "RestrictProcessingStatusEvent",
    ];
    if !kinds.iter().any(|k| v["kind"] == *k) {
        return Err("kind".into());
    }
    if !v["metadata"]["uid"].is_string() || !v["metadata"]["tenant"].is_string() {
        return Err("metadata".into());
    }
    let e = &v["event"];
    let statuses = ["unknown", "pending", "in_progress", "completed"];
    if !statuses.iter().any(|s| e["status"] == *s) {
        return Err("event.status".into());
    }
    let reasons = [
        "unknown",
        "suspected_fraud",
        "insufficient_verification",
        "no_match",
        "claim_not_covered",
        "outside_jurisdiction",
        "too_many_requests",
        "other",
    ];
    if !e["reason"].is_null() && !reasons.iter().any(|r| e["reason"] == *r) {
        return Err("event.reason".into());
    }
    for (field, ok) in [
        ("resultMessage", e["resultMessage"].is_string()),
        (
            "expectedCompletionTimestamp",
            e["expectedCompletionTimestamp"].is_number(),
        ),
        ("requestID", e["requestID"].is_string()),
    ] {
        if !e[field].is_null() && !ok {
            return Err(format!("event.{field}"));
        }
    }
    for list in ["results", "documents"] {
        if e[list].is_null() {
            continue;
        }
        let Some(documents) = e[list].as_array() else {
            return Err(format!("event.{list}"));
        };
        for d in documents {
            if d["url"].is_string() {
                continue;
            }
            let content_type = d["headers"]["Content-Type"].as_str().unwrap_or("");
            if !["application/json", "application/pdf"].contains(&content_type) {
                return Err("a document's Content-Type".into());
            }
            let Some(data) = d["data"].as_str() else {
                return Err("a document's data".into());
            };
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) else {
                return Err("a document's data is not standard base64".into());
            };
            if bytes.len() > 3_500_000 {
                return Err("a document over 3.5 MB".into());
            }
            if content_type == "application/json"
                && serde_json::from_slice::<Value>(&bytes).is_err()
            {
                return Err("a JSON document that is not JSON".into());
            }
        }
    }
    Ok(())
}

/// RFC 7396.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The JSON documents of every event, merged as Ketch merges them.
fn merged_results(events: &[Value]) -> Value {
    let mut merged = json!({});
    for event in events {
        for document in event["event"]["results"].as_array().into_iter().flatten() {
            let data = document["data"].as_str().unwrap_or("");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .expect("base64");
            let patch: Value = serde_json::from_slice(&bytes).expect("JSON");
            merge_patch(&mut merged, &patch);
        }
    }
    merged
}

/// The worker's config for the fake Velt and this fake Ketch.
fn config(dir: &Path, velt: &Velt, ketch: &FakeKetch, max_event_bytes: usize) -> Config {
    std::fs::write(dir.join("ketch-secret"), format!("{SECRET}\n")).expect("secret");
    common::config_with(
        dir,
        velt,
        &format!(
            r#"
[ketch]
secret = {{ file = "ketch-secret" }}
allow_http_callbacks = true
callback_hosts = ["{host}"]
max_event_bytes = {max_event_bytes}
"#,
            host = ketch.host,
        ),
    )
}

/// A request of `kind` for `email`, with these callbacks.
fn request(kind: &str, uid: &str, email: &str, callbacks: Vec<Value>) -> Value {
    json!({
        "apiVersion": "dsr/v1",
        "kind": kind,
        "metadata": { "uid": uid, "tenant": "axonic" },
        "request": {
            "controller": "axonic",
            "property": "axonic.io",
            "environment": "production",
            "regulation": "gdpr",
            "jurisdiction": "eugdpr",
            "identities": [
                { "identitySpace": "account_id", "identityFormat": "raw", "identityValue": "123" },
                { "identitySpace": "email", "identityFormat": "md5", "identityValue": "0bc83cb571cd1c50ba6f3e8a78ef1346" }
            ],
            "callbacks": callbacks,
            "subject": {
                "email": email,
                "firstName": "Jane",
                "lastName": "Doe",
                "formData": { "customFormField1": "foo" }
            },
            "context": { "contextVar1": "foo", "contextVar2": 1, "contextVar3": true },
            "submittedTimestamp": 1_700_000_000,
            "dueTimestamp": 1_702_592_000
        }
    })
}

/// Posts a request with this header value (none: no header); the status and the body.
async fn post_dsr(server: &Server, auth: Option<&str>, body: &Value) -> (u16, Value) {
    common::tls();
    let mut call = reqwest::Client::new()
        .post(format!("http://{}/ketch/dsr", server.local_addr()))
        .json(body);
    if let Some(auth) = auth {
        call = call.header("Authorization", auth);
    }
    let answer = call.send().await.expect("the server answers");
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

fn statuses(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"]["status"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// The records of every store of the case, by store, as the case's data files hold them.
fn case_records(case_dir: &Path) -> BTreeMap<String, usize> {
    let case = velt_case::Case::load(case_dir).expect("the case");
    let mut counts = BTreeMap::new();
    for row in &case.coverage {
        if row.store == "files" {
            continue;
        }
        for file in &row.files {
            let path = case_dir.join(file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let n = if file.ends_with(".ndjson") {
                text.lines().filter(|l| !l.trim().is_empty()).count()
            } else if file.ends_with(".json") && !file.ends_with(".manifest.json") {
                match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Array(items)) => items.len(),
                    Ok(_) => 1,
                    Err(_) => continue,
                }
            } else {
                continue;
            };
            *counts.entry(row.store.clone()).or_insert(0) += n;
        }
    }
    counts
}

/// The records of each store in the merged results, with the number of parts.
fn merged_records(merged: &Value) -> BTreeMap<String, (usize, usize)> {
    let mut counts = BTreeMap::new();
    for (store, parts) in merged.as_object().expect("an object") {
        let parts = parts.as_object().expect("parts");
        let records = parts
            .values()
            .map(|p| p.as_array().map_or(0, Vec::len))
            .sum();
        counts.insert(store.clone(), (records, parts.len()));
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn janes_access_reaches_every_callback_store_by_store_then_completed() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let ketch = FakeKetch::start(1_000_000).await;
    let dir = common::scratch("ketch-access");
    let server = Server::start(config(&dir, &velt, &ketch, 1_000_000))
        .await
        .expect("the server starts");
    let uid = "22880925-aac5-42f9-a653-cb6921d361ff";
    let body = request(
        "AccessRequest",
        uid,
        JANE,
        vec![ketch.callback("a"), ketch.callback("b")],
    );
    let (status, answer) = post_dsr(&server, Some(SECRET), &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["apiVersion"], "dsr/v1");
    assert_eq!(answer["kind"], "AccessResponse");
    assert_eq!(
        answer["metadata"],
        json!({ "uid": uid, "tenant": "axonic" })
    );
    assert_eq!(answer["response"]["status"], "in_progress");
    assert_eq!(answer["response"]["requestID"], format!("ketch-{uid}"));
    let expected = answer["response"]["expectedCompletionTimestamp"]
        .as_i64()
        .expect("a timestamp");
    assert!(
        expected > chrono::Utc::now().timestamp() + 3000,
        "{expected}"
    );

    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported), "{:?}", job.message);
    assert!(ketch.violations().is_empty(), "{:?}", ketch.violations());
    let events = ketch.events("a");
    assert_eq!(
        events.iter().map(|e| &e["event"]).collect::<Vec<_>>(),
        ketch
            .events("b")
            .iter()
            .map(|e| &e["event"])
            .collect::<Vec<_>>(),
        "both callbacks get the same events"
    );
    let statuses = statuses(&events);
    assert_eq!(statuses.last().map(String::as_str), Some("completed"));
    assert!(
        statuses[..statuses.len() - 1]
            .iter()
            .all(|s| s == "in_progress")
    );
    assert!(events.iter().all(|e| e["kind"] == "AccessStatusEvent"));
    assert!(events.iter().all(|e| e["metadata"]["uid"] == uid));

    let case_dir = common::job_dirs(&dir).remove(0).join("case");
    let in_case = case_records(&case_dir);
    let sent = merged_records(&merged_results(&events));
    assert_eq!(
        sent.keys().collect::<BTreeSet<_>>(),
        in_case.keys().collect::<BTreeSet<_>>(),
        "every store of the case"
    );
    for (store, (records, _)) in &sent {
        assert_eq!(Some(records), in_case.get(store), "{store}");
    }
    assert_eq!(sent["gdprExport"].0, 3 * 4 * 5, "Jane's export");
    assert!(sent.len() >= 3, "{sent:?}");
    let first = &merged_results(&events)["gdprExport"]["part 1"][0];
    assert!(first["organizationId"].is_string(), "{first}");

    // Sent again once done: completed, nothing searched or sent again.
    let requests = velt.fake.request_count();
    let count = events.len();
    let (status, answer) = post_dsr(&server, Some(SECRET), &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response"]["status"], "completed", "{answer}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(velt.fake.request_count(), requests);
    assert_eq!(ketch.events("a").len(), count);
    assert_eq!(common::job_dirs(&dir).len(), 1);
    // The callbacks' headers are kept for the answers, never in the log.
    let log = std::fs::read_to_string(case_dir.join("events.jsonl")).expect("the log");
    assert!(
        !log.contains("Bearer cb-a"),
        "a callback secret in the event log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn janes_deletion_sent_twice_is_one_deletion_in_progress_then_completed() {
    let velt = Velt::start(common::fake_config(100, true)).await;
    let ketch = FakeKetch::start(1_000_000).await;
    let dir = common::scratch("ketch-erasure");
    let server = Server::start(config(&dir, &velt, &ketch, 1_000_000))
        .await
        .expect("the server starts");
    let body = request("DeleteRequest", "del-1", JANE, vec![ketch.callback("a")]);
    let (status, answer) = post_dsr(&server, Some(SECRET), &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["kind"], "DeleteResponse");
    assert_eq!(answer["response"]["status"], "in_progress");
    let expected = answer["response"]["expectedCompletionTimestamp"]
        .as_i64()
        .expect("a timestamp");
    assert!(expected >= chrono::Utc::now().timestamp() + 50, "wait_secs");
    let (status, again) = post_dsr(&server, Some(SECRET), &body).await;
    assert_eq!(status, 200);
    assert_eq!(again["response"]["status"], "in_progress", "{again}");

    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Resolved), "{:?}", job.message);
    assert!(ketch.violations().is_empty(), "{:?}", ketch.violations());
    let events = ketch.events("a");
    assert_eq!(statuses(&events), ["in_progress", "completed"]);
    assert!(events.iter().all(|e| e["kind"] == "DeleteStatusEvent"));
    assert!(
        events[1]["event"]["resultMessage"]
            .as_str()
            .is_some_and(|m| m.contains("erased"))
    );
    assert!(events[1]["event"]["reason"].is_null());
    assert_eq!(velt.deletions(), 1);

    let (status, done) = post_dsr(&server, Some(SECRET), &body).await;
    assert_eq!(status, 200);
    assert_eq!(done["response"]["status"], "completed", "{done}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(velt.deletions(), 1);
    assert_eq!(ketch.events("a").len(), 2);
    assert_eq!(common::job_dirs(&dir).len(), 1, "one case");
}

#[tokio::test(flavor = "multi_thread")]
async fn what_remains_after_a_deletion_stays_in_progress_with_the_reason_in_words() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let ketch = FakeKetch::start(1_000_000).await;
    let dir = common::scratch("ketch-erasure-action");
    let server = Server::start(config(&dir, &velt, &ketch, 1_000_000))
        .await
        .expect("the server starts");
    let body = request("DeleteRequest", "del-2", JANE, vec![ketch.callback("a")]);
    assert_eq!(post_dsr(&server, Some(SECRET), &body).await.0, 200);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::ActionRequired));
    let events = ketch.events("a");
    assert_eq!(statuses(&events), ["in_progress", "in_progress"]);
    let message = events[1]["event"]["resultMessage"].as_str().unwrap_or("");
    assert!(message.contains("activities"), "{message}");
    let (_, again) = post_dsr(&server, Some(SECRET), &body).await;
    assert_eq!(
        again["response"]["status"], "in_progress",
        "never completed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_or_missing_header_is_401_and_bad_bodies_are_named_without_values() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let ketch = FakeKetch::start(1_000_000).await;
    let dir = common::scratch("ketch-auth");
    let config = config(&dir, &velt, &ketch, 1_000_000);
    let adapter = velt_serve::ketch::Ketch::new(
        config.ketch.as_ref().expect("a ketch table"),
        &config.erasure,
    )
    .expect("the adapter reads its secret");
    assert!(!format!("{adapter:?} {config:?}").contains(SECRET));
    let server = Server::start(config).await.expect("the server starts");
    let body = request("AccessRequest", "auth-1", JANE, vec![ketch.callback("a")]);
    for auth in [None, Some("wrong"), Some("ketch-endpoint-secre"), Some("")] {
        let (status, answer) = post_dsr(&server, auth, &body).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(answer["kind"], "Error");
        assert_eq!(answer["error"]["code"], 401);
        assert!(answer["error"]["status"].is_string());
    }
    // A bad body after a good header: never a folder either.
    let mut cases: Vec<(Value, u16, &str)> = Vec::new();
    let mut no_uid = body.clone();
    no_uid["metadata"]
        .as_object_mut()
        .expect("metadata")
        .remove("uid");
    cases.push((no_uid, 400, "metadata.uid"));
    let mut version = body.clone();
    version["apiVersion"] = json!("dsr/v2");
    cases.push((version, 400, "apiVersion"));
    let mut no_callbacks = body.clone();
    no_callbacks["request"]["callbacks"] = json!([]);
    cases.push((no_callbacks, 400, "request.callbacks"));
    let mut elsewhere = body.clone();
    elsewhere["request"]["callbacks"] = json!([{ "url": "http://169.254.169.254/latest" }]);
    cases.push((elsewhere, 400, "request.callbacks[0].url"));
    let mut identity = body.clone();
    identity["request"]["identities"][1]
        .as_object_mut()
        .expect("an identity")
        .remove("identityValue");
    cases.push((identity, 400, "request.identities[1].identityValue"));
    let mut due = body.clone();
    due["request"]["dueTimestamp"] = json!("tomorrow");
    cases.push((due, 400, "request.dueTimestamp"));
    let mut correction = body.clone();
    correction["kind"] = json!("CorrectionRequest");
    cases.push((correction, 501, "AccessRequest and DeleteRequest"));
    let mut consent = body.clone();
    consent["kind"] = json!("ConsentRequest");
    cases.push((consent, 400, "kind"));
    for (bad, code, field) in cases {
        let (status, answer) = post_dsr(&server, Some(SECRET), &bad).await;
        assert_eq!(status, code, "{field}: {answer}");
        assert_eq!(answer["error"]["code"], code);
        let message = answer["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(field), "{field}: {message}");
        assert!(
            !message.contains("169.254")
                && !message.contains("tomorrow")
                && !message.contains(JANE)
        );
    }
    assert!(common::job_dirs(&dir).is_empty(), "nothing kept");
    assert!(ketch.events("a").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_down_for_a_while_get_every_event_once_back() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let ketch = FakeKetch::start(1_000_000).await;
    ketch.state.down_for.store(6, Ordering::SeqCst);
    let dir = common::scratch("ketch-down");
    let server = Server::start(config(&dir, &velt, &ketch, 1_000_000))
        .await
        .expect("the server starts");
    let body = request("AccessRequest", "down-1", JANE, vec![ketch.callback("a")]);
    assert_eq!(post_dsr(&server, Some(SECRET), &body).await.0, 200);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported));
    assert_eq!(ketch.state.refused.load(Ordering::SeqCst), 6);
    assert!(ketch.violations().is_empty(), "{:?}", ketch.violations());
    let events = ketch.events("a");
    assert_eq!(
        statuses(&events).last().map(String::as_str),
        Some("completed")
    );
    let case_dir = common::job_dirs(&dir).remove(0).join("case");
    let sent = merged_records(&merged_results(&events));
    assert_eq!(sent.len(), case_records(&case_dir).len(), "every store");
    let failed = common::events(&case_dir)
        .into_iter()
        .filter(|e| e["step"] == "answer" && e["details"]["outcome"] == "failed")
        .count();
    assert_eq!(failed, 6, "each refused attempt is in the event log");
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_velt_does_not_hold_is_completed_with_no_match() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let ketch = FakeKetch::start(1_000_000).await;
    let dir = common::scratch("ketch-nobody");
    let server = Server::start(config(&dir, &velt, &ketch, 1_000_000))
        .await
        .expect("the server starts");
    let body = request(
        "AccessRequest",
        "nobody-1",
        "nobody@nowhere.example",
        vec![ketch.callback("a")],
    );
    assert_eq!(post_dsr(&server, Some(SECRET), &body).await.0, 200);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::NotFound));
    assert_eq!(job.stage, Stage::Done);
    let events = ketch.events("a");
    assert_eq!(statuses(&events), ["completed"]);
    assert_eq!(events[0]["event"]["reason"], "no_match");
    assert!(events[0]["event"]["results"].is_null());
    let (_, again) = post_dsr(&server, Some(SECRET), &body).await;
    assert_eq!(again["response"]["status"], "completed");
    assert_eq!(again["response"]["reason"], "no_match");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_result_is_split_into_events_within_the_limit() {
    let velt = Velt::start(FakeConfig {
        activities_per_user: 150,
        ..common::fake_config(20, false)
    })
    .await;
    let limit = 8_000;
    let ketch = FakeKetch::start(limit).await;
    let dir = common::scratch("ketch-large");
    let server = Server::start(config(&dir, &velt, &ketch, limit))
        .await
        .expect("the server starts");
    let body = request("AccessRequest", "large-1", JANE, vec![ketch.callback("a")]);
    assert_eq!(post_dsr(&server, Some(SECRET), &body).await.0, 200);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported), "{:?}", job.message);
    assert!(
        ketch.violations().is_empty(),
        "every event within {limit} bytes: {:?}",
        ketch.violations()
    );
    let events = ketch.events("a");
    let case_dir = common::job_dirs(&dir).remove(0).join("case");
    let in_case = case_records(&case_dir);
    let sent = merged_records(&merged_results(&events));
    for (store, (records, _)) in &sent {
        assert_eq!(Some(records), in_case.get(store), "{store}: every record");
    }
    let (activities, parts) = sent["activities"];
    assert_eq!(
        activities,
        2 * 150,
        "Jane's activities in two organizations"
    );
    assert!(parts >= 10, "split into {parts} parts");
    assert!(
        events
            .iter()
            .all(|e| serde_json::to_vec(e).map_or(0, |v| v.len()) <= limit)
    );
}
