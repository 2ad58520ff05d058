//! The Fides adapter: the calls of the connector template (`connectors/fides/velt/`), and the
//! answers through Fides's async callback.
//!
//! What it follows, from Fides's SaaS connector schema and async callback material
//! (`ethyca/fides`: `src/fides/api/schemas/saas/saas_config.py`, the fixtures
//! `tests/fixtures/saas/test_data/saas_async_callback_config.yml` and
//! `tests/integration/workflows/data/example_async_callback_config.yml`, the callback endpoint
//! `request_task_async_callback` in `privacy_request_endpoints.py`, and
//! `tests/integration/workflows/test_privacy_request_with_async_callback.py`; and, for how
//! Fides runs them, `service/connectors/query_configs/saas_query_config.py` (placeholders),
//! `service/connectors/saas_connector.py` (`mask_data`),
//! `service/async_dsr/strategies/async_dsr_strategy_callback.py` and `task/graph_task.py`):
//!
//! - A Fides SaaS connector is YAML only; a request with `async_config: {strategy: callback}`
//!   is sent with the headers `reply-to` (the path `/api/v1/request-task/callback`) and
//!   `reply-to-token` (a token for that one request task), Fides ignores its answer, and the
//!   task waits until the callback arrives.
//! - The callback is `POST {fides}{reply-to}` with `Authorization: Bearer <reply-to-token>`
//!   and `{"access_results": [rows]}` (access: the rows of the task's collection) or
//!   `{"rows_masked": N}` (erasure); Fides answers `{"task_queued": true}`, or 400 when the
//!   task no longer waits (the privacy request or the task is in another state). It has no
//!   error callback.
//! - The placeholders `<privacy_request_id>`, `<email>` (an identity `param_value`),
//!   `<reply_to>` and `<reply_to_token>`; the connector's bearer authentication with a
//!   connector param; an erasure is an `update` request (Fides prefers it to `delete`, which
//!   it uses only when `masking_strict` is off), sent once per row the access found, and a
//!   collection with no primary key is not erased.
//!
//! Choices that were ours (the material leaves them open):
//!
//! - Every call carries `Authorization: Bearer <secret>` (the connector's `worker_secret`),
//!   compared in constant time with `fides.secret` (their SHA-256 digests, so that neither
//!   the bytes nor the length show in the time taken) before anything else is read; missing or wrong is 401, with no folder and nothing of the body
//!   read or logged.
//! - **One request task, one case.** Fides gives every collection its own request task with
//!   its own token, while Velt's stores come from one search, one export and one erasure.
//!   The template makes the `gdprExport` collection the only asynchronous one: its read
//!   (`POST /fides/access`) starts the access case and its callback carries the GDPR export's
//!   rows; its `update` (`POST /fides/erasure`) starts the erasure (one deletion, however
//!   many rows Fides sends it for). The other stores' collections (`activities`,
//!   `permissions`, `notificationSettings`, `memoryProfile`, `judgments`) run `after` it and
//!   read their rows synchronously from the finished case (`POST /fides/store`, answered
//!   `{"rows": [...]}`, 409 while the case is not complete); they have no primary key, so
//!   Fides erases nothing through them: Velt's GDPR deletion and the check of the other
//!   stores after it cover them.
//! - A row is one organization's part of a store: `{"organizationId", "records": [...]}`,
//!   the records as Velt sent them (`organizationId` null for stores not kept per
//!   organization). Fides sends the erasure's `update` once per row of the access, so a row
//!   per organization keeps that to a few calls (a row per record would be thousands), and
//!   the callback never has an empty `access_results`: with no row (Velt holds nobody),
//!   Fides would send no `update` and still wait for its callback (`SaaSConnector.mask_data`
//!   raises `AwaitingAsyncTask` after sending one per row), so it gets one row with no
//!   organization and no records, and the erasure then answers `rows_masked: 0`.
//! - The job's id is the privacy request's id and the action (`<id>-access`,
//!   `<id>-erasure`): an erasure request in Fides first runs an access on the same privacy
//!   request. The body's `email` is the person; the `reply-to` must be a plain path under
//!   `/api/v1/` and is kept in `Job.reply`, the token in `Job.nonce` (never logged); the
//!   callback goes to `fides.base_url` and that path, never to a host the request names.
//! - The request is answered 200 at once (new, or sent again: the same job, the first token
//!   kept); the work goes on in the background. A request sent again after its callback was
//!   acknowledged gets no second callback.
//! - Erasure: nothing is sent while Velt deletes; `rows_masked` is the number of Velt users
//!   erased and verified (0 when Velt holds nobody). When something remains for a person to
//!   do (`ACTION_REQUIRED`), no callback is sent (Fides has no error callback, and
//!   `rows_masked` would close the task as erased): the task goes on waiting in Fides, and
//!   the job's message and the case say what remains.
//! - Callbacks: 2xx is acknowledged, 400 "no longer wanted" (not retried), anything else and
//!   network failures are retried with the outbox's pauses. Fides marks a task as waiting
//!   only after the worker has answered its request (it raises `AwaitingAsyncTask` once the
//!   request returns), so for `fides.retry_400_secs` (60) after the request arrived a 400 is
//!   retried too: a very fast callback may come before the task waits.

use std::{path::Path, sync::Arc, time::Duration};

use axum::{
    Json, Router, body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use velt_api::search::Subject;

use crate::{
    case_data,
    config::FidesConfig,
    error::Result,
    intake::{Intake, Received, cannot_keep},
    job::{Job, JobKind, Outcome, Stage},
    platform::{self, Answer, Attempt, BoxFuture, ErasureState, Platform},
};

/// The platform's name in job folders.
pub const PLATFORM: &str = "fides";

/// The prefix every `reply-to` path must have (Fides's API).
pub const REPLY_TO_PREFIX: &str = "/api/v1/";

/// The store whose collection is asynchronous in the template: its callbacks carry the
/// access rows and the erasure's result.
pub const CALLBACK_STORE: &str = "gdprExport";

/// The stores whose rows the worker sends, as the collections of the template's dataset.
pub const STORES: [&str; 6] = [
    "gdprExport",
    "activities",
    "permissions",
    "notificationSettings",
    "memoryProfile",
    "judgments",
];

/// The adapter, with its secret (read once).
pub struct Fides {
    http: reqwest::Client,
    base_url: String,
    retry_400: Duration,
    secret: SecretString,
}

impl std::fmt::Debug for Fides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fides")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The body of `POST /fides/access` and `POST /fides/erasure`.
#[derive(Deserialize)]
struct TaskBody {
    privacy_request_id: String,
    email: String,
}

/// The body of `POST /fides/store`.
#[derive(Deserialize)]
struct StoreBody {
    privacy_request_id: String,
    email: String,
    store: String,
}

impl Fides {
    /// The adapter for `config`, reading its secret.
    pub fn new(config: &FidesConfig) -> Result<Fides> {
        let http = platform::http_client()?;
        let mut fides = Fides::with_secret(
            http,
            config.base_url.trim_end_matches('/'),
            config.secret.read()?,
        );
        fides.retry_400 = Duration::from_secs(config.retry_400_secs);
        Ok(fides)
    }

    fn with_secret(http: reqwest::Client, base_url: &str, secret: SecretString) -> Fides {
        Fides {
            http,
            base_url: base_url.to_owned(),
            retry_400: Duration::from_secs(60),
            secret,
        }
    }

    /// Whether the request carries `Authorization: Bearer <secret>`, compared in constant
    /// time (their SHA-256 digests, so neither the bytes nor the length show).
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some((scheme, token)) = value.split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer")
            && platform::same_secret(
                token.trim().as_bytes(),
                self.secret.expose_secret().as_bytes(),
            )
    }

    /// The rows of `store` in the case at `case_dir`: `{"organizationId", "records"}` for
    /// each organization (each row of the coverage table) whose part of the store has data
    /// files, in the table's order.
    pub fn store_rows(case_dir: &Path, store: &str) -> Result<Vec<Value>> {
        let case = velt_case::Case::load(case_dir)?;
        let Some(store) = case_data::stores(&case).into_iter().find(|s| s.id == store) else {
            return Ok(Vec::new());
        };
        Ok(store
            .by_organization(case_dir)?
            .into_iter()
            .map(|(organization, records)| {
                json!({ "organizationId": organization, "records": records })
            })
            .collect())
    }

    /// The row of a callback that would have none: no organization, no records (Fides must
    /// send the erasure's `update` at least once).
    pub fn empty_row() -> Value {
        json!({ "organizationId": null, "records": [] })
    }

    /// A callback of `job` with `body`.
    fn callback(job: &Job, body: Value, what: String) -> Answer {
        Answer {
            file: None,
            method: "POST".into(),
            path: reply_to_of(job).unwrap_or_default(),
            body,
            what,
        }
    }

    async fn deliver(&self, answer: &Answer, job: &Job) -> Attempt {
        let token = job.nonce.as_deref();
        // Checked again: a job.json edited by hand never sends the token elsewhere.
        if !is_reply_to(&answer.path) {
            return Attempt::Failed(
                None,
                "the job's reply-to is not a path under /api/v1/".into(),
            );
        }
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Attempt::Failed(None, "the job has no reply-to-token".into());
        };
        let url = format!("{}{}", self.base_url, answer.path);
        let request = self
            .http
            .post(&url)
            .bearer_auth(token)
            .header("accept", "application/json")
            .json(&answer.body);
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match status {
                    200..=299 => Attempt::Acknowledged(status),
                    400 if self.too_early(job) => Attempt::Failed(
                        Some(status),
                        "HTTP 400 soon after the request: Fides may not be waiting yet".into(),
                    ),
                    400 => Attempt::NoLongerWanted(status),
                    _ => Attempt::Failed(Some(status), format!("HTTP {status}")),
                }
            }
            Err(e) => Attempt::Failed(None, e.without_url().to_string()),
        }
    }
}

impl Fides {
    /// Whether the job's request arrived less than `retry_400_secs` ago.
    fn too_early(&self, job: &Job) -> bool {
        let age = Utc::now().signed_duration_since(job.received_at);
        match age.to_std() {
            Ok(age) => age < self.retry_400,
            // Received "in the future": a clock set back; early, then.
            Err(_) => true,
        }
    }
}

impl Platform for Fides {
    fn name(&self) -> &'static str {
        PLATFORM
    }

    fn access_answers(&self, job: &Job, case_dir: &Path) -> Result<Vec<Answer>> {
        let mut rows = Self::store_rows(case_dir, CALLBACK_STORE)?;
        if rows.is_empty() {
            rows.push(Self::empty_row());
        }
        let what = format!("access results of {CALLBACK_STORE} ({} rows)", rows.len());
        Ok(vec![Self::callback(
            job,
            json!({ "access_results": rows }),
            what,
        )])
    }

    fn access_not_found(&self, job: &Job) -> Vec<Answer> {
        vec![Self::callback(
            job,
            json!({ "access_results": [Self::empty_row()] }),
            "access results: nobody in Velt (one empty row)".into(),
        )]
    }

    fn erasure_answers(&self, job: &Job, state: ErasureState, _message: &str) -> Vec<Answer> {
        let rows_masked = match state {
            // Fides waits for the callback; it has no state to report meanwhile.
            ErasureState::Waiting => return Vec::new(),
            // No error callback in Fides: the task goes on waiting; the case says why.
            ErasureState::ActionRequired => return Vec::new(),
            ErasureState::Resolved { users } => users,
            ErasureState::NotFound => 0,
        };
        vec![Self::callback(
            job,
            json!({ "rows_masked": rows_masked }),
            format!("erasure done (rows_masked {rows_masked})"),
        )]
    }

    fn send<'a>(&'a self, answer: &'a Answer, job: &'a Job) -> BoxFuture<'a, Attempt> {
        Box::pin(self.deliver(answer, job))
    }
}

/// The `reply-to` kept with a job.
fn reply_to_of(job: &Job) -> Option<String> {
    job.reply
        .as_ref()
        .and_then(|r| r.get("replyTo"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A `reply-to` the worker calls back: a plain path under `/api/v1/` (letters, digits, `-`,
/// `_`, `.` and `/`, no `..` or `//`), so that the host is always the configured one.
pub fn is_reply_to(path: &str) -> bool {
    path.starts_with(REPLY_TO_PREFIX)
        && path.len() <= 256
        && !path.contains("..")
        && !path.contains("//")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
}

/// The job id of a privacy request's task of this kind.
pub fn job_id(privacy_request_id: &str, kind: JobKind) -> String {
    match kind {
        JobKind::Access => format!("{privacy_request_id}-access"),
        JobKind::Erasure => format!("{privacy_request_id}-erasure"),
    }
}

/// The adapter's routes: `POST /fides/access`, `POST /fides/erasure` (asynchronous, answered
/// through the callback) and `POST /fides/store` (a store's rows from a finished access).
pub(crate) fn routes(adapter: Arc<Fides>, intake: Intake) -> Router {
    Router::new()
        .route("/fides/access", post(access))
        .route("/fides/erasure", post(erasure))
        .route("/fides/store", post(store))
        .with_state((adapter, intake))
}

type AdapterState = State<(Arc<Fides>, Intake)>;

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, "You are not Fides!\n").into_response()
}

fn bad_request(why: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response()
}

/// Parses a JSON body: `privacy_request_id` and `email` present, not blank. The error names
/// the fields needed, never a value.
fn parse<T: serde::de::DeserializeOwned + HasPerson>(
    bytes: &[u8],
    fields: &str,
) -> std::result::Result<T, String> {
    let parsed: T = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "the body is not the template's ({:?} error at line {} column {}; needs {fields})",
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    let (privacy_request_id, email) = parsed.person();
    if privacy_request_id.trim().is_empty() || email.trim().is_empty() {
        return Err("privacy_request_id and email must not be empty".into());
    }
    Ok(parsed)
}

/// A body naming a privacy request and a person.
trait HasPerson {
    /// The privacy request's id and the email.
    fn person(&self) -> (&str, &str);
}

impl HasPerson for TaskBody {
    fn person(&self) -> (&str, &str) {
        (&self.privacy_request_id, &self.email)
    }
}

impl HasPerson for StoreBody {
    fn person(&self) -> (&str, &str) {
        (&self.privacy_request_id, &self.email)
    }
}

async fn access(state: AdapterState, headers: HeaderMap, body: body::Body) -> Response {
    task(state, headers, body, JobKind::Access).await
}

async fn erasure(state: AdapterState, headers: HeaderMap, body: body::Body) -> Response {
    task(state, headers, body, JobKind::Erasure).await
}

/// An asynchronous request of the template: the secret first (nothing else is read without
/// it), then the callback headers and the body, then the job (new or sent again: 200).
async fn task(
    State((adapter, intake)): AdapterState,
    headers: HeaderMap,
    body: body::Body,
    kind: JobKind,
) -> Response {
    if !adapter.authorized(&headers) {
        return unauthorized();
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let Some(reply_to) = header("reply-to").filter(|r| is_reply_to(r)) else {
        return bad_request("the reply-to header must be Fides's callback path under /api/v1/");
    };
    let Some(token) = header("reply-to-token") else {
        return bad_request("the reply-to-token header is missing");
    };
    let bytes = match intake.body(body).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let request: TaskBody = match parse(&bytes, "privacy_request_id, email") {
        Ok(request) => request,
        Err(why) => return bad_request(&why),
    };
    let job = Job {
        nonce: Some(token),
        reply: Some(json!({ "replyTo": reply_to })),
        ..Job::new(
            PLATFORM,
            job_id(request.privacy_request_id.trim(), kind),
            kind,
            Subject::email(request.email.trim()),
        )
    };
    match intake.receive(job) {
        Ok(Received::New | Received::Racing) => {
            (StatusCode::OK, Json(json!({ "stage": Stage::Received }))).into_response()
        }
        Ok(Received::Again(job)) => (
            StatusCode::OK,
            Json(json!({ "stage": job.stage, "outcome": job.outcome })),
        )
            .into_response(),
        Err(e) => cannot_keep(&e),
    }
}

/// `POST /fides/store`: the rows of one store from the privacy request's finished access
/// (`{"rows": [...]}`), for the collections that run after the callback's.
async fn store(
    State((adapter, intake)): AdapterState,
    headers: HeaderMap,
    body: body::Body,
) -> Response {
    if !adapter.authorized(&headers) {
        return unauthorized();
    }
    let bytes = match intake.body(body).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let request: StoreBody = match parse(&bytes, "privacy_request_id, email, store") {
        Ok(request) => request,
        Err(why) => return bad_request(&why),
    };
    let Some(store) = STORES.iter().find(|s| **s == request.store).copied() else {
        return bad_request(&format!("store must be one of {}", STORES.join(", ")));
    };
    let dir = intake.dir(
        PLATFORM,
        &job_id(request.privacy_request_id.trim(), JobKind::Access),
    );
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            "no access of this privacy request for this person\n",
        )
            .into_response()
    };
    let Ok(job) = dir.load() else {
        return not_found();
    };
    let same_person = match &job.subject {
        Subject::Email(email) => email.eq_ignore_ascii_case(request.email.trim()),
        Subject::UserId(_) => false,
    };
    if !same_person {
        return not_found();
    }
    match job.outcome {
        Some(Outcome::NotFound) => Json(json!({ "rows": [] })).into_response(),
        Some(Outcome::Exported) => {
            let case_dir = dir.case_dir();
            let rows =
                tokio::task::spawn_blocking(move || Fides::store_rows(&case_dir, store)).await;
            match rows {
                Ok(Ok(rows)) => Json(json!({ "rows": rows })).into_response(),
                Ok(Err(e)) => {
                    tracing::error!(job = %dir.dir().display(), store, error = %e, "cannot read a store of the case");
                    (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the case\n").into_response()
                }
                Err(_) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the case\n").into_response()
                }
            }
        }
        _ => (
            StatusCode::CONFLICT,
            "the access of this privacy request is not complete yet\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_under_the_api_are_called_back() {
        assert!(is_reply_to("/api/v1/request-task/callback"));
        for bad in [
            "https://evil.example/api/v1/request-task/callback",
            "//evil.example/api/v1/x",
            "/api/v1/../../admin",
            "/api/v1//x",
            "/api/v2/request-task/callback",
            "/api/v1/x?next=https://evil.example",
            "/api/v1/x@evil.example",
            "/api/v1/x#y",
            "",
        ] {
            assert!(!is_reply_to(bad), "{bad}");
        }
    }

    #[test]
    fn the_secret_is_a_bearer_token_compared_whole() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let fides = Fides::with_secret(
            reqwest::Client::new(),
            "https://fides.example.com",
            SecretString::from("s3cret-of-the-worker".to_owned()),
        );
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                axum::http::header::AUTHORIZATION,
                value.parse().expect("a header value"),
            );
            headers
        };
        assert!(fides.authorized(&with("Bearer s3cret-of-the-worker")));
        assert!(fides.authorized(&with("bearer s3cret-of-the-worker")));
        assert!(!fides.authorized(&with("Bearer s3cret-of-the-worke")));
        assert!(!fides.authorized(&with("Bearer s3cret-of-the-worker2")));
        assert!(!fides.authorized(&with("Basic s3cret-of-the-worker")));
        assert!(!fides.authorized(&with("s3cret-of-the-worker")));
        assert!(!fides.authorized(&HeaderMap::new()));
        assert!(!format!("{fides:?}").contains("s3cret"));
    }

    #[test]
    fn a_bad_body_is_named_without_its_values() {
        let fields = "privacy_request_id, email";
        let error = parse::<TaskBody>(
            br#"{"privacy_request_id":"pri_1","emial":"secret@x.y"}"#,
            fields,
        )
        .err()
        .unwrap_or_default();
        assert!(error.contains("needs privacy_request_id, email"), "{error}");
        assert!(!error.contains("secret@x.y"), "{error}");
        let error = parse::<TaskBody>(br#"{"privacy_request_id":"pri_1","email":"  "}"#, fields)
            .err()
            .unwrap_or_default();
        assert!(error.contains("must not be empty"), "{error}");
        let body = parse::<TaskBody>(br#"{"privacy_request_id":"pri_1","email":"a@b.c"}"#, fields)
            .expect("a body");
        assert_eq!(body.person(), ("pri_1", "a@b.c"));
    }

    #[test]
    fn access_and_erasure_of_one_privacy_request_are_two_jobs() {
        assert_eq!(job_id("pri_1", JobKind::Access), "pri_1-access");
        assert_eq!(job_id("pri_1", JobKind::Erasure), "pri_1-erasure");
    }
}
