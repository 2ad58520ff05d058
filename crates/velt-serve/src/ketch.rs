//! The Ketch adapter: the forwarder's request, its answer, and the status events to the
//! request's callbacks.
//!
//! What it follows, from the Ketch forwarder protocol (`ketch-com/ketch-forwarder`):
//!
//! - `README.md`, "Endpoint": the endpoint is configured in Ketch's UI with a URL, a header
//!   key and a header value; the request must carry that header with that value. It is
//!   checked (constant time) before the body is read.
//! - `api/dsr/v1/Access.md` and `Delete.md`, "Access Request" / "Delete Request" and their
//!   "Fields" tables: `apiVersion` `dsr/v1`, `kind` `AccessRequest` or `DeleteRequest`,
//!   `metadata` (`uid`, `tenant`: `api/runtime/v1/Metadata.md`), and the `request` fields
//!   the tables mark required (`property`, `environment`, `regulation`, `jurisdiction`,
//!   `identities`, `subject`, `submittedTimestamp`, `dueTimestamp`); `identities[]` need
//!   `identitySpace` and `identityValue` (`api/dsr/v1/README.md`, "Identity"), `callbacks[]`
//!   need `url` ("Callback"). A request that breaks them is answered 400 with the `Error`
//!   object of `api/runtime/v1/Error.md` (`error.code`, `error.status` `invalid`,
//!   `error.message` naming the field, never a value).
//! - "Access Response / Status Event", "Delete Response / Status Event": the request is
//!   answered at once, 200 with an `AccessResponse` / `DeleteResponse` (`status`,
//!   `resultMessage`, `expectedCompletionTimestamp`, `requestID`); every later change is an
//!   `AccessStatusEvent` / `DeleteStatusEvent` POSTed to every callback with its headers, and
//!   nothing follows `completed` (`api/dsr/v1/Status.md`: a request never reported
//!   `completed` is marked failed after some time).
//! - `api/dsr/v1/README.md`, "Document": results are embedded documents, `data`
//!   (standard base64) with `headers.Content-Type` `application/json`; JSON documents of one
//!   request are combined with merge patches (RFC 7396).
//! - Statuses from `openapi/components/schemas/DSRRequestStatus.yaml`; the only reason sent
//!   is `no_match`, the one reason both `Status.md` and `DSRRequestStatusReason.yaml` list.
//!
//! Choices that were ours (the protocol leaves them open):
//!
//! - The route is `POST /ketch/dsr`. A wrong or missing header is 401 with `error.status`
//!   `forbidden` (the nearest of Error.md's codes); `CorrectionRequest` and
//!   `RestrictProcessingRequest` are 501 `unimplemented`, another `kind` 400; an unreadable
//!   or too large body is 413 `invalid`; a job that cannot be kept, 500 `internal`.
//! - At least one callback is required (the docs make `callbacks` optional, but without one
//!   the result could never be sent); each must be `https` (`http` only with
//!   `allow_http_callbacks`), on a host of `callback_hosts` when that list is set, with
//!   valid header names and values. The same URL named twice is one callback.
//! - Who is searched: an identity whose `identitySpace` is `email` (any case) with format
//!   `raw`, else `request.subject.email`, as an email; else an identity of
//!   `user_id_space` (when configured), or else the first `raw` identity, as a Velt user id.
//!   Hashed identities (`md5`, `sha1`) cannot be searched and are skipped. The subject's
//!   other fields (`firstName`, `lastName`, which the docs mark required) are not needed and
//!   not checked.
//! - The job is `ketch-<metadata.uid>`; `requestID` is that folder's name. A request sent
//!   again is the same job (its first callbacks are kept), answered with its state:
//!   `completed` once done (every event delivered), `in_progress` before.
//! - `expectedCompletionTimestamp`: the request's arrival plus one hour for an access,
//!   plus `erasure.wait_secs` for a deletion.
//! - Access results: each store of the case (the coverage table's rows with data files) in
//!   one or more `in_progress` events, each with one JSON document
//!   `{"<store>": {"part <n>": [{"organizationId", "record"}, ...]}}`; merged as RFC 7396
//!   says, they make one document with every store and its parts (arrays, so that the
//!   records' `null`s survive the merge). Parts are cut so that every event, as posted, is
//!   at most `max_event_bytes` (default 1 000 000, the README's 1 MB; a document is then far
//!   under its 3.5 MB); a record too large for an event alone is replaced by a note saying
//!   so (the case keeps it). Then a `completed` event. The README also says the JSON of all
//!   callbacks of a request is limited to 1 MB in total: larger results are still sent,
//!   split as above, and the completion's message says how large they were.
//! - Erasure: `in_progress` while Velt deletes; `completed` once verified, or with reason
//!   `no_match` when Velt holds nobody; when something remains for a person to do, an
//!   `in_progress` event whose `resultMessage` says what (the protocol has no failed status:
//!   the request stays open in Ketch until its operator closes it).
//! - One answer per event and callback, so that each callback acknowledges its own: 2xx is
//!   acknowledged; anything else (the docs name no status meaning "no longer wanted") and
//!   network failures are retried. Redirects are never followed; a call times out after 60 s.

use std::{collections::BTreeMap, path::Path, sync::Arc, time::Duration};

use axum::{
    Json, Router, body,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use velt_api::search::Subject;

use crate::{
    case_data,
    config::{ErasureConfig, KetchConfig},
    error::{Error, Result},
    intake::{Intake, Received, cannot_keep},
    job::{Job, JobDir, JobKind, Outcome, Stage},
    platform::{self, Answer, Attempt, BoxFuture, ErasureState, Platform},
};

/// The platform's name in job folders.
pub const PLATFORM: &str = "ketch";

/// The API version of every message.
pub const API_VERSION: &str = "dsr/v1";

/// How long an access is expected to take, for `expectedCompletionTimestamp`.
const ACCESS_EXPECTED: Duration = Duration::from_secs(3600);

/// The adapter, with its secret (read once).
pub struct Ketch {
    http: reqwest::Client,
    header: HeaderName,
    secret: SecretString,
    callback_hosts: Vec<String>,
    allow_http_callbacks: bool,
    user_id_space: Option<String>,
    max_event_bytes: usize,
    erasure_wait: Duration,
}

impl std::fmt::Debug for Ketch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ketch")
            .field("header", &self.header)
            .field("callback_hosts", &self.callback_hosts)
            .field("max_event_bytes", &self.max_event_bytes)
            .finish_non_exhaustive()
    }
}

/// A callback of a request: where to post its events, with the headers Ketch gave (secrets).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// The URL.
    pub url: String,
    /// The headers to send with every event.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("url", &self.url)
            .field("headers", &"[REDACTED]")
            .finish()
    }
}

/// What a request asks, from its body.
#[derive(Clone, Debug)]
pub struct DsrRequest {
    /// Access or erasure.
    pub kind: JobKind,
    /// `metadata.uid`.
    pub uid: String,
    /// `metadata.tenant`.
    pub tenant: String,
    /// The person.
    pub subject: Subject,
    /// Where the events go.
    pub callbacks: Vec<Callback>,
}

/// A request refused: the `Error` object's code, status and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub code: u16,
    /// Error.md's status code (`invalid`, `unimplemented`, ...).
    pub status: &'static str,
    /// What is wrong, naming fields, never values.
    pub message: String,
    /// `metadata.uid` and `metadata.tenant`, when they could be read.
    pub metadata: Option<(String, String)>,
}

impl Refusal {
    fn invalid(message: impl Into<String>) -> Refusal {
        Refusal {
            code: 400,
            status: "invalid",
            message: message.into(),
            metadata: None,
        }
    }
}

/// The `Error` body of Error.md.
pub fn error_body(
    code: u16,
    status: &str,
    message: &str,
    metadata: Option<&(String, String)>,
) -> Value {
    let metadata = match metadata {
        Some((uid, tenant)) => json!({ "uid": uid, "tenant": tenant }),
        None => json!({}),
    };
    json!({
        "apiVersion": API_VERSION,
        "kind": "Error",
        "metadata": metadata,
        "error": { "code": code, "status": status, "message": message },
    })
}

fn error_response(
    code: u16,
    status: &str,
    message: &str,
    metadata: Option<&(String, String)>,
) -> Response {
    let http = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (http, Json(error_body(code, status, message, metadata))).into_response()
}

/// A string field of an object, required: the error names it.
fn required_str<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> std::result::Result<&'a str, Refusal> {
    match object.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Refusal::invalid(format!("{path}{name} must be a string"))),
        None => Err(Refusal::invalid(format!("{path}{name} is required"))),
    }
}

fn required_object<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> std::result::Result<&'a Map<String, Value>, Refusal> {
    match object.get(name) {
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(Refusal::invalid(format!("{path}{name} must be an object"))),
        None => Err(Refusal::invalid(format!("{path}{name} is required"))),
    }
}

fn required_array<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> std::result::Result<&'a Vec<Value>, Refusal> {
    match object.get(name) {
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(Refusal::invalid(format!("{path}{name} must be an array"))),
        None => Err(Refusal::invalid(format!("{path}{name} is required"))),
    }
}

impl Ketch {
    /// The adapter for `config`, reading its secret; `erasure` gives the expected time of a
    /// deletion.
    pub fn new(config: &KetchConfig, erasure: &ErasureConfig) -> Result<Ketch> {
        let http = platform::http_client()?;
        let header = HeaderName::from_bytes(config.header.as_bytes())
            .map_err(|_| Error::Config("ketch.header is not an HTTP header name".into()))?;
        Ok(Ketch {
            http,
            header,
            secret: config.secret.read()?,
            callback_hosts: config.callback_hosts.clone(),
            allow_http_callbacks: config.allow_http_callbacks,
            user_id_space: config.user_id_space.clone(),
            max_event_bytes: config.max_event_bytes,
            erasure_wait: Duration::from_secs(erasure.wait_secs),
        })
    }

    /// Whether the request carries the configured header with the configured value.
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        let expected = self.secret.expose_secret().as_bytes();
        // Every value of the header is compared, so that one good value suffices and no
        // early exit tells which one failed.
        headers.get_all(&self.header).iter().fold(false, |ok, v| {
            platform::same_secret(v.as_bytes(), expected) | ok
        })
    }

    /// Whether events may be posted to `url`; why not, in words (no value).
    pub fn callback_allowed(&self, url: &str) -> std::result::Result<(), &'static str> {
        let parsed = reqwest::Url::parse(url).map_err(|_| "is not a URL")?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.allow_http_callbacks => {}
            _ => return Err("must be an https URL"),
        }
        let host = parsed.host_str().ok_or("has no host")?.to_ascii_lowercase();
        if self.callback_hosts.is_empty() {
            return Ok(());
        }
        let with_port = match parsed.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        if self
            .callback_hosts
            .iter()
            .any(|h| *h == host || *h == with_port)
        {
            Ok(())
        } else {
            Err("is on a host that ketch.callback_hosts does not list")
        }
    }

    /// Parses and checks a request's body; the refusal names the field, never a value.
    pub fn parse_request(&self, body: &[u8]) -> std::result::Result<DsrRequest, Refusal> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Refusal::invalid(format!(
                "the body is not JSON ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(top) = &value else {
            return Err(Refusal::invalid("the body must be a JSON object"));
        };
        if required_str(top, "apiVersion", "")? != API_VERSION {
            return Err(Refusal::invalid(format!(
                "apiVersion must be {API_VERSION}"
            )));
        }
        let kind = match required_str(top, "kind", "")? {
            "AccessRequest" => JobKind::Access,
            "DeleteRequest" => JobKind::Erasure,
            "CorrectionRequest" | "RestrictProcessingRequest" => {
                return Err(Refusal {
                    code: 501,
                    status: "unimplemented",
                    message: "only AccessRequest and DeleteRequest are supported".into(),
                    metadata: metadata_of(top),
                });
            }
            _ => {
                return Err(Refusal::invalid(
                    "kind must be AccessRequest or DeleteRequest",
                ));
            }
        };
        let metadata = required_object(top, "metadata", "")?;
        let uid = required_str(metadata, "uid", "metadata.")?
            .trim()
            .to_owned();
        if uid.is_empty() {
            return Err(Refusal::invalid("metadata.uid must not be empty"));
        }
        let tenant = required_str(metadata, "tenant", "metadata.")?.to_owned();
        let known = Some((uid.clone(), tenant.clone()));
        let with_metadata = |mut r: Refusal| {
            r.metadata = known.clone();
            r
        };
        self.parse_inner(top)
            .map(|(subject, callbacks)| DsrRequest {
                kind,
                uid: uid.clone(),
                tenant: tenant.clone(),
                subject,
                callbacks,
            })
            .map_err(with_metadata)
    }

    fn parse_inner(
        &self,
        top: &Map<String, Value>,
    ) -> std::result::Result<(Subject, Vec<Callback>), Refusal> {
        let request = required_object(top, "request", "")?;
        for name in ["property", "environment", "regulation", "jurisdiction"] {
            required_str(request, name, "request.")?;
        }
        if let Some(controller) = request.get("controller")
            && !controller.is_string()
        {
            return Err(Refusal::invalid("request.controller must be a string"));
        }
        for name in ["submittedTimestamp", "dueTimestamp"] {
            match request.get(name) {
                Some(Value::Number(_)) => {}
                Some(_) => {
                    return Err(Refusal::invalid(format!("request.{name} must be a number")));
                }
                None => return Err(Refusal::invalid(format!("request.{name} is required"))),
            }
        }
        // (space, format, value) of each identity.
        let mut identities = Vec::new();
        for (n, identity) in required_array(request, "identities", "request.")?
            .iter()
            .enumerate()
        {
            let path = format!("request.identities[{n}].");
            let Value::Object(identity) = identity else {
                return Err(Refusal::invalid(format!(
                    "request.identities[{n}] must be an object"
                )));
            };
            let space = required_str(identity, "identitySpace", &path)?;
            let value = required_str(identity, "identityValue", &path)?;
            let format = match identity.get("identityFormat") {
                None | Some(Value::Null) => "raw",
                Some(Value::String(s)) => s.as_str(),
                Some(_) => {
                    return Err(Refusal::invalid(format!(
                        "{path}identityFormat must be a string"
                    )));
                }
            };
            identities.push((space, format, value.trim()));
        }
        let subject = required_object(request, "subject", "request.")?;
        let email = match subject.get("email") {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s.trim(),
            Some(_) => return Err(Refusal::invalid("request.subject.email must be a string")),
        };
        let callbacks = self.callbacks(request)?;
        let raw = |(_, format, value): &&(&str, &str, &str)| {
            format.eq_ignore_ascii_case("raw") && !value.is_empty()
        };
        let subject = if let Some((_, _, value)) = identities
            .iter()
            .filter(raw)
            .find(|(space, _, _)| space.eq_ignore_ascii_case("email"))
        {
            Subject::email(*value)
        } else if !email.is_empty() {
            Subject::email(email)
        } else if let Some((_, _, value)) = identities.iter().filter(raw).find(|(space, _, _)| {
            self.user_id_space
                .as_deref()
                .is_none_or(|wanted| *space == wanted)
        }) {
            Subject::user_id(*value)
        } else {
            return Err(Refusal::invalid(
                "no identity to search by: request.subject.email is empty and request.identities has no raw email or user id",
            ));
        };
        Ok((subject, callbacks))
    }

    fn callbacks(
        &self,
        request: &Map<String, Value>,
    ) -> std::result::Result<Vec<Callback>, Refusal> {
        let list = match request.get("callbacks") {
            Some(Value::Array(list)) if !list.is_empty() => list,
            Some(Value::Array(_)) | None => {
                return Err(Refusal::invalid(
                    "request.callbacks must name at least one callback (the result is sent there)",
                ));
            }
            Some(_) => return Err(Refusal::invalid("request.callbacks must be an array")),
        };
        let mut callbacks: Vec<Callback> = Vec::new();
        for (n, callback) in list.iter().enumerate() {
            let path = format!("request.callbacks[{n}].");
            let Value::Object(callback) = callback else {
                return Err(Refusal::invalid(format!(
                    "request.callbacks[{n}] must be an object"
                )));
            };
            let url = required_str(callback, "url", &path)?.trim().to_owned();
            self.callback_allowed(&url)
                .map_err(|why| Refusal::invalid(format!("{path}url {why}")))?;
            let mut headers = BTreeMap::new();
            match callback.get("headers") {
                None | Some(Value::Null) => {}
                Some(Value::Object(map)) => {
                    for (name, value) in map {
                        let (Value::String(value), Ok(_), Ok(_)) = (
                            value,
                            HeaderName::from_bytes(name.as_bytes()),
                            HeaderValue::from_str(value.as_str().unwrap_or("\n")),
                        ) else {
                            return Err(Refusal::invalid(format!(
                                "{path}headers must map header names to valid header values"
                            )));
                        };
                        headers.insert(name.clone(), value.clone());
                    }
                }
                Some(_) => {
                    return Err(Refusal::invalid(format!("{path}headers must be an object")));
                }
            }
            if !callbacks.iter().any(|c| c.url == url) {
                callbacks.push(Callback { url, headers });
            }
        }
        Ok(callbacks)
    }

    /// The answer to a request just received, or to one received before (`job`).
    pub fn response(&self, job: &Job) -> Value {
        let kind = match job.kind {
            JobKind::Access => "AccessResponse",
            JobKind::Erasure => "DeleteResponse",
        };
        json!({
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": metadata(job),
            "response": self.state_of(job),
        })
    }

    /// Where `job` stands, as a response's or event's inner object.
    fn state_of(&self, job: &Job) -> Value {
        if job.stage == Stage::Done {
            match job.outcome {
                Some(Outcome::NotFound) => {
                    return self.status(job, "completed", Some("no_match"), message_of(job));
                }
                Some(Outcome::Exported | Outcome::Resolved) => {
                    return self.status(job, "completed", None, message_of(job));
                }
                Some(Outcome::ActionRequired) | None => {}
            }
        }
        let message = match (job.stage, job.outcome) {
            (Stage::Received, _) => "We are processing the request",
            _ => message_of(job),
        };
        self.status(job, "in_progress", None, message)
    }

    fn status(&self, job: &Job, status: &str, reason: Option<&str>, message: &str) -> Value {
        let mut inner = Map::new();
        inner.insert("status".into(), json!(status));
        if let Some(reason) = reason {
            inner.insert("reason".into(), json!(reason));
        }
        inner.insert("resultMessage".into(), json!(message));
        if status == "in_progress" {
            inner.insert(
                "expectedCompletionTimestamp".into(),
                json!(self.expected_completion(job)),
            );
        }
        inner.insert("requestID".into(), json!(request_id(job)));
        Value::Object(inner)
    }

    /// When the request is expected to be done (UNIX seconds).
    pub fn expected_completion(&self, job: &Job) -> i64 {
        let wait = match job.kind {
            JobKind::Access => ACCESS_EXPECTED,
            JobKind::Erasure => self.erasure_wait,
        };
        job.received_at.timestamp() + i64::try_from(wait.as_secs()).unwrap_or(i64::MAX / 2)
    }

    /// A status event of `job` (its `event` object given), to every callback: one answer
    /// each.
    fn to_callbacks(job: &Job, event: Value, what: &str) -> Vec<Answer> {
        let kind = match job.kind {
            JobKind::Access => "AccessStatusEvent",
            JobKind::Erasure => "DeleteStatusEvent",
        };
        let body = json!({
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": metadata(job),
            "event": event,
        });
        let callbacks = callbacks_of(job);
        let count = callbacks.len();
        callbacks
            .into_iter()
            .enumerate()
            .map(|(n, c)| Answer {
                file: None,
                method: "POST".into(),
                path: c.url,
                body: body.clone(),
                what: format!("{kind} {what}, to callback {} of {count}", n + 1),
            })
            .collect()
    }

    /// The events of a finished access: the stores of the case in parts, then `completed`.
    pub fn result_events(&self, job: &Job, case_dir: &Path) -> Result<Vec<Answer>> {
        let case = velt_case::Case::load(case_dir)?;
        let stores = case_data::stores(&case);
        // The room for one document's JSON in an event: the event with an empty document
        // and the longest message, then base64's 4 bytes for 3.
        let longest = self.part_event(job, &"s".repeat(64), 999_999, 999_999, "");
        let overhead = serde_json::to_vec(&longest).map_or(0, |v| v.len()) + 64;
        let room = self.max_event_bytes.saturating_sub(overhead) / 4 * 3;
        let mut answers = Vec::new();
        let mut total_bytes = 0usize;
        let mut parts_sent = 0usize;
        for store in &stores {
            let parts = pack(&store.id, store.records(case_dir)?, room);
            let count = parts.len();
            for (n, document) in parts.into_iter().enumerate() {
                total_bytes += document.len();
                let data = base64::engine::general_purpose::STANDARD.encode(document.as_bytes());
                let event = self.part_event(job, &store.id, n + 1, count, &data);
                answers.extend(Self::to_callbacks(
                    job,
                    event["event"].clone(),
                    &format!("in_progress, {} part {} of {count}", store.id, n + 1),
                ));
                parts_sent += 1;
            }
        }
        let mut message = format!(
            "The data Velt holds: {} store(s) in {parts_sent} part(s), {total_bytes} bytes of JSON",
            stores.len()
        );
        if total_bytes > 1_000_000 {
            message.push_str(" (over the 1 MB Ketch documents for the results of one request)");
        }
        answers.extend(Self::to_callbacks(
            job,
            self.status(job, "completed", None, &message),
            "completed",
        ));
        Ok(answers)
    }

    /// An `in_progress` event carrying one JSON document (`data`, base64).
    fn part_event(&self, job: &Job, store: &str, n: usize, count: usize, data: &str) -> Value {
        let message = format!("The data Velt holds, {store}: part {n} of {count}");
        let mut event = self.status(job, "in_progress", None, &message);
        if let Value::Object(inner) = &mut event {
            inner.insert(
                "results".into(),
                json!([{ "data": data, "headers": { "Content-Type": "application/json" } }]),
            );
        }
        json!({
            "apiVersion": API_VERSION,
            "kind": "AccessStatusEvent",
            "metadata": metadata(job),
            "event": event,
        })
    }

    async fn deliver(&self, answer: &Answer, job: &Job) -> Attempt {
        let Some(callback) = callbacks_of(job).into_iter().find(|c| c.url == answer.path) else {
            return Attempt::Failed(None, "the job has no such callback".into());
        };
        if let Err(why) = self.callback_allowed(&callback.url) {
            return Attempt::Failed(None, format!("the callback {why}"));
        }
        let mut request = self
            .http
            .post(&callback.url)
            .header("accept", "application/json")
            .json(&answer.body);
        for (name, value) in &callback.headers {
            if name.eq_ignore_ascii_case("content-type")
                || name.eq_ignore_ascii_case("content-length")
            {
                continue;
            }
            request = request.header(name.as_str(), value.as_str());
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                if (200..=299).contains(&status) {
                    Attempt::Acknowledged(status)
                } else {
                    Attempt::Failed(Some(status), format!("HTTP {status}"))
                }
            }
            Err(e) => Attempt::Failed(None, e.without_url().to_string()),
        }
    }
}

/// The records of a store as documents of at most `room` bytes each,
/// `{"<store>": {"part <n>": [records]}}`; a record too large alone becomes a note.
fn pack(store: &str, records: Vec<Value>, room: usize) -> Vec<String> {
    let store_json = serde_json::to_string(store).unwrap_or_else(|_| "\"store\"".into());
    // `{"<store>":{"part NNNNNN":[` ... `]}}`
    let frame = store_json.len() + r#"{:{"part 999999":[]}}"#.len();
    let fits = room.saturating_sub(frame);
    let mut parts: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 0;
    for record in records {
        let mut text = serde_json::to_string(&record).unwrap_or_else(|_| "null".into());
        if text.len() > fits {
            text = json!({
                "organizationId": record.get("organizationId"),
                "omitted": format!("a record of {} bytes, more than one event may carry; the case keeps it", text.len()),
            })
            .to_string();
        }
        let added = text.len() + usize::from(!current.is_empty());
        if !current.is_empty() && size + added > fits {
            parts.push(std::mem::take(&mut current));
            size = 0;
        }
        size += text.len() + usize::from(!current.is_empty());
        current.push(text);
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(n, records)| {
            format!(
                "{{{store_json}:{{\"part {}\":[{}]}}}}",
                n + 1,
                records.join(",")
            )
        })
        .collect()
}

/// `metadata` of a job's messages: `uid` and `tenant`.
fn metadata(job: &Job) -> Value {
    let tenant = job
        .reply
        .as_ref()
        .and_then(|r| r.get("tenant"))
        .cloned()
        .unwrap_or(json!(""));
    json!({ "uid": job.request_id, "tenant": tenant })
}

/// The callbacks kept with a job.
fn callbacks_of(job: &Job) -> Vec<Callback> {
    job.reply
        .as_ref()
        .and_then(|r| r.get("callbacks"))
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
}

/// `requestID`: the job's folder name.
fn request_id(job: &Job) -> String {
    JobDir::of(Path::new(""), PLATFORM, &job.request_id)
        .dir()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(PLATFORM)
        .to_owned()
}

fn message_of(job: &Job) -> &str {
    job.message
        .as_deref()
        .unwrap_or("We are processing the request")
}

fn metadata_of(top: &Map<String, Value>) -> Option<(String, String)> {
    let metadata = top.get("metadata")?;
    Some((
        metadata.get("uid")?.as_str()?.to_owned(),
        metadata.get("tenant")?.as_str()?.to_owned(),
    ))
}

impl Platform for Ketch {
    fn name(&self) -> &'static str {
        PLATFORM
    }

    fn access_answers(&self, job: &Job, case_dir: &Path) -> Result<Vec<Answer>> {
        self.result_events(job, case_dir)
    }

    fn access_not_found(&self, job: &Job) -> Vec<Answer> {
        Self::to_callbacks(
            job,
            self.status(
                job,
                "completed",
                Some("no_match"),
                "Velt holds nobody with this identifier",
            ),
            "completed (no_match)",
        )
    }

    fn erasure_answers(&self, job: &Job, state: ErasureState, message: &str) -> Vec<Answer> {
        let (status, reason, what) = match state {
            ErasureState::Waiting => ("in_progress", None, "in_progress"),
            ErasureState::Resolved { .. } => ("completed", None, "completed"),
            ErasureState::NotFound => ("completed", Some("no_match"), "completed (no_match)"),
            ErasureState::ActionRequired => ("in_progress", None, "in_progress (action required)"),
        };
        Self::to_callbacks(job, self.status(job, status, reason, message), what)
    }

    fn send<'a>(&'a self, answer: &'a Answer, job: &'a Job) -> BoxFuture<'a, Attempt> {
        Box::pin(self.deliver(answer, job))
    }
}

/// The adapter's route: `POST /ketch/dsr`.
pub(crate) fn routes(adapter: Arc<Ketch>, intake: Intake) -> Router {
    Router::new()
        .route("/ketch/dsr", post(dsr))
        .with_state((adapter, intake))
}

/// `POST /ketch/dsr`: the header first (nothing else is read without it), then the body,
/// then the job: new, or sent again (its state).
async fn dsr(
    State((adapter, intake)): State<(Arc<Ketch>, Intake)>,
    headers: HeaderMap,
    body: body::Body,
) -> Response {
    if !adapter.authorized(&headers) {
        tracing::warn!("a Ketch request without the configured header value was refused");
        return error_response(401, "forbidden", "not authorized", None);
    }
    let bytes = match intake.body(body).await {
        Ok(bytes) => bytes,
        Err(response) => {
            return error_response(
                response.status().as_u16(),
                "invalid",
                "the body is unreadable or over the size limit",
                None,
            );
        }
    };
    let request = match adapter.parse_request(&bytes) {
        Ok(request) => request,
        Err(r) => return error_response(r.code, r.status, &r.message, r.metadata.as_ref()),
    };
    let job = Job {
        reply: Some(json!({ "tenant": request.tenant, "callbacks": request.callbacks })),
        ..Job::new(PLATFORM, request.uid.clone(), request.kind, request.subject)
    };
    match intake.receive(job.clone()) {
        Ok(Received::New | Received::Racing) => {
            (StatusCode::OK, Json(adapter.response(&job))).into_response()
        }
        Ok(Received::Again(job)) => (StatusCode::OK, Json(adapter.response(&job))).into_response(),
        Err(e) => {
            let _ = cannot_keep(&e);
            error_response(
                500,
                "internal",
                "cannot keep the request",
                Some(&(request.uid, request.tenant)),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_stay_within_their_room_and_merge_into_one_document() {
        let records: Vec<Value> = (0..50)
            .map(|n| json!({ "organizationId": "o", "record": { "n": n, "text": "x".repeat(100), "gone": null } }))
            .collect();
        let parts = pack("activities", records, 1_000);
        assert!(parts.len() > 5, "{}", parts.len());
        let mut merged = 0;
        for (n, part) in parts.iter().enumerate() {
            assert!(part.len() <= 1_000, "{}", part.len());
            let value: Value = serde_json::from_str(part).expect("JSON");
            let records = value["activities"][format!("part {}", n + 1)]
                .as_array()
                .expect("the part's records");
            assert!(records.iter().all(|r| r["record"]["gone"].is_null()));
            merged += records.len();
        }
        assert_eq!(merged, 50);
        let big = vec![json!({ "organizationId": "o", "record": "y".repeat(5_000) })];
        let parts = pack("s", big, 1_000);
        assert_eq!(parts.len(), 1);
        assert!(
            parts[0].contains("omitted") && parts[0].len() < 1_000,
            "{}",
            parts[0]
        );
        assert_eq!(
            pack("s", Vec::new(), 1_000),
            vec![r#"{"s":{"part 1":[]}}"#.to_owned()]
        );
    }
}
