//! The Transcend adapter: the webhook's token, its body, and the answers.
//!
//! What it follows, from Transcend's examples (`transcend-io/examples`,
//! `typescript/src/helpers/verifyWebhook.ts`, `handleDSRWebhook.ts`, `python/main.py`) and
//! API pages:
//!
//! - The webhook's `x-sombra-token` is a JWT signed ES384, checked against the key at
//!   `{sombra_url}/public-keys/sombra-general-signing-key` (fetched with `authorization:
//!   Bearer <api key>`, and `x-sombra-authorization` for a self-hosted Sombra), with the
//!   configured audience, and `scope` must be `coreIdentifier`. The token is checked before
//!   the body is read.
//! - The body's `type` (`ACCESS`, `ERASURE`), `extras.profile.identifier` and
//!   `extras.profile.type`, `extras.request.id`, `isTest`; the `x-transcend-nonce` header is
//!   kept with the job and sent back on every answer.
//! - Access data goes to `POST /v1/datapoint-chunked` (`dataPointName`, `data`,
//!   `isLastPage`, `profileId`), then `POST /v1/data-silo` with the profile and `status:
//!   "READY"`. An erasure's state goes to `PUT /v1/data-silo` with `status` and `message`.
//!
//! Choices that were ours (the examples and pages leave them open):
//!
//! - The key is fetched on the first webhook and kept; a token that fails against it makes
//!   the worker fetch it again at most once a minute (a rotated key). A key that cannot be
//!   fetched is answered 503 (Transcend tries again), not 401.
//! - Claims: `exp` and `nbf` are checked when present, not required (the examples'
//!   `jsonwebtoken.verify` does the same); the audience is required.
//! - `extras.profile.type` `email` (any case) searches by email; any other type is taken as
//!   a Velt user id.
//! - A new job's webhook waits for its search at most `answer_nobody_within_ms` (default 3
//!   seconds): a whole search that found nobody is answered 204, as Transcend asks; anything
//!   else is answered 200 and the work goes on in the background. A person Velt does not
//!   hold is also reported through the outbox (access: `POST /v1/data-silo` with the profile
//!   and no data, `status: "READY"`; erasure: `PUT /v1/data-silo` `RESOLVED` with a message
//!   saying so), which a Transcend that took the 204 answers 409 (no longer wanted); a
//!   search slower than the wait is answered 200 and reported through the outbox only, and
//!   the same job sent again is then answered 204.
//! - A store of the case is one datapoint named by its id in the coverage table
//!   (`gdprExport`, `activities`, `permissions`, `notificationSettings`, `memoryProfile`,
//!   `judgments`); each record is `{"organizationId", "record"}`, pages of `chunk_records`
//!   records, the `fileId` naming the page. Each file downloaded into the case (with
//!   `velt.fetch_files`) goes to the datapoint `files` through `POST /v1/datapoint`, streamed
//!   from the case, named by `x-transcend-remote-id`, with `x-transcend-skip-status-update`
//!   on every file but the last.
//! - A job sent again keeps the nonce it first came with (Transcend's pages call it
//!   reusable); `isTest` is kept in `job.json`, and a test request is answered like any
//!   other (against the Velt configured).
//! - Answers: 2xx is acknowledged, 409 is "no longer wanted" (not retried), anything else
//!   and network failures are retried.
//! - `PUT /v1/data-silo` carries no `profiles` (deprecated: recent Sombras take the profile
//!   from the nonce).

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json, Router, body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use velt_api::search::Subject;

use crate::{
    case_data,
    config::TranscendConfig,
    error::Result,
    intake::{Intake, Received, cannot_keep},
    job::{Job, JobKind, Outcome, Stage},
    platform::{self, Answer, Attempt, BoxFuture, ErasureState, Platform},
};

/// The platform's name in job folders.
pub const PLATFORM: &str = "transcend";

/// The datapoint the downloaded files go to (`POST /v1/datapoint`, one file each).
pub const FILES_DATAPOINT: &str = "files";

/// The adapter, with its secrets (read once) and the cached signing key.
pub struct Transcend {
    http: reqwest::Client,
    sombra_url: String,
    audience: String,
    api_key: SecretString,
    sombra_api_key: Option<SecretString>,
    chunk_records: usize,
    answer_nobody_within: Duration,
    key: tokio::sync::Mutex<Option<DecodingKey>>,
    refetched: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Transcend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcend")
            .field("sombra_url", &self.sombra_url)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// Why a webhook is refused before anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or one that does not verify: 401.
    Unauthorized,
    /// The signing key could not be fetched: 503.
    KeyUnavailable,
}

/// What a webhook asks, from its body.
#[derive(Clone, Debug)]
pub struct Webhook {
    /// Access or erasure.
    pub kind: JobKind,
    /// The person.
    pub subject: Subject,
    /// Transcend's request id.
    pub request_id: String,
    /// A test request.
    pub is_test: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(rename = "type")]
    kind: String,
    extras: Extras,
    #[serde(default)]
    is_test: bool,
}

#[derive(Deserialize)]
struct Extras {
    profile: Profile,
    request: RequestRef,
}

#[derive(Deserialize)]
struct Profile {
    identifier: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct RequestRef {
    id: String,
}

#[derive(Deserialize)]
struct Claims {
    scope: Option<String>,
}

/// Parses a webhook's body; the error says which field is missing, never a value.
pub fn parse_webhook(body: &[u8]) -> std::result::Result<Webhook, String> {
    let body: Body = serde_json::from_slice(body).map_err(|e| {
        // serde's message may quote a value; keep only its category and position.
        format!(
            "the body is not a Transcend webhook ({:?} error at line {} column {}; needs type, extras.profile.identifier, extras.request.id)",
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    let kind = match body.kind.as_str() {
        "ACCESS" => JobKind::Access,
        "ERASURE" => JobKind::Erasure,
        _ => return Err("only ACCESS and ERASURE jobs are supported".to_owned()),
    };
    let identifier = body.extras.profile.identifier.trim().to_owned();
    if identifier.is_empty() || body.extras.request.id.trim().is_empty() {
        return Err("extras.profile.identifier and extras.request.id must not be empty".into());
    }
    let subject = match body.extras.profile.kind.as_deref() {
        Some(kind) if kind.eq_ignore_ascii_case("email") => Subject::email(identifier),
        _ => Subject::user_id(identifier),
    };
    Ok(Webhook {
        kind,
        subject,
        request_id: body.extras.request.id,
        is_test: body.is_test,
    })
}

impl Transcend {
    /// The adapter for `config`, reading its secrets.
    pub fn new(config: &TranscendConfig) -> Result<Transcend> {
        let http = platform::http_client()?;
        Ok(Transcend {
            http,
            sombra_url: config.sombra_url.clone(),
            audience: config.audience.clone(),
            api_key: config.api_key.read()?,
            sombra_api_key: config
                .sombra_api_key
                .as_ref()
                .map(|s| s.read())
                .transpose()?,
            chunk_records: config.chunk_records,
            answer_nobody_within: Duration::from_millis(config.answer_nobody_within_ms),
            key: tokio::sync::Mutex::new(None),
            refetched: Mutex::new(None),
        })
    }

    /// Checks the webhook's `x-sombra-token`.
    pub async fn verify(&self, token: Option<&str>) -> std::result::Result<(), Refusal> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(Refusal::Unauthorized);
        };
        let key = self.key(false).await?;
        if self.check(token, &key) {
            return Ok(());
        }
        // Perhaps the key was rotated: fetch it again, at most once a minute.
        let due = {
            let mut last = self.refetched.lock().unwrap_or_else(|e| e.into_inner());
            let due = last.is_none_or(|t| t.elapsed() > Duration::from_secs(60));
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            let key = self.key(true).await?;
            if self.check(token, &key) {
                return Ok(());
            }
        }
        Err(Refusal::Unauthorized)
    }

    fn check(&self, token: &str, key: &DecodingKey) -> bool {
        let mut validation = Validation::new(Algorithm::ES384);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["aud"]);
        validation.validate_nbf = true;
        match jsonwebtoken::decode::<Claims>(token, key, &validation) {
            Ok(data) => data.claims.scope.as_deref() == Some("coreIdentifier"),
            Err(e) => {
                tracing::warn!(
                    why = why_refused(e.kind()),
                    "a webhook token did not verify"
                );
                false
            }
        }
    }

    async fn key(&self, refresh: bool) -> std::result::Result<DecodingKey, Refusal> {
        let mut cached = self.key.lock().await;
        if !refresh && let Some(key) = cached.as_ref() {
            return Ok(key.clone());
        }
        let url = format!("{}/public-keys/sombra-general-signing-key", self.sombra_url);
        let mut request = self
            .http
            .get(&url)
            .bearer_auth(self.api_key.expose_secret());
        if let Some(key) = &self.sombra_api_key {
            request = request.header(
                "x-sombra-authorization",
                format!("Bearer {}", key.expose_secret()),
            );
        }
        let fetched = async {
            let response = request
                .send()
                .await
                .map_err(|e| e.without_url().to_string())?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("HTTP {status}"));
            }
            let pem = response
                .bytes()
                .await
                .map_err(|e| e.without_url().to_string())?;
            DecodingKey::from_ec_pem(&pem).map_err(|e| format!("not an EC public key: {e}"))
        }
        .await;
        match fetched {
            Ok(key) => {
                *cached = Some(key.clone());
                Ok(key)
            }
            Err(why) => {
                tracing::error!(url, why, "cannot fetch Transcend's signing key");
                match cached.as_ref() {
                    Some(key) => Ok(key.clone()),
                    None => Err(Refusal::KeyUnavailable),
                }
            }
        }
    }

    /// The answers of a finished access request: each store of the case as a datapoint, in
    /// pages, then the completion.
    pub fn store_answers(&self, case_dir: &Path, profile_id: &str) -> Result<Vec<Answer>> {
        let case = velt_case::Case::load(case_dir)?;
        let mut answers = Vec::new();
        for store in case_data::stores(&case) {
            let records = store.records(case_dir)?;
            let store = store.id;
            let pages: Vec<Vec<Value>> = if records.is_empty() {
                vec![Vec::new()]
            } else {
                records
                    .chunks(self.chunk_records)
                    .map(<[Value]>::to_vec)
                    .collect()
            };
            let count = pages.len();
            for (n, data) in pages.into_iter().enumerate() {
                answers.push(Answer {
                    file: None,
                    method: "POST".into(),
                    path: "/v1/datapoint-chunked".into(),
                    what: format!("datapoint {store}, page {} of {count}", n + 1),
                    body: json!({
                        "dataPointName": store,
                        "fileId": format!("{store} page {}", n + 1),
                        "data": data,
                        "isLastPage": n + 1 == count,
                        "profileId": profile_id,
                    }),
                });
            }
        }
        answers.extend(Self::file_answers(&case));
        answers.push(Self::access_completed(profile_id));
        Ok(answers)
    }

    /// Each file downloaded into the case (the files behind the links in the person's data)
    /// as a file of the datapoint `files` (`POST /v1/datapoint`), the status of the datapoint
    /// left open until its last file.
    fn file_answers(case: &velt_case::Case) -> Vec<Answer> {
        let files: Vec<&velt_case::model::FileRecord> = case
            .files
            .iter()
            .filter(|f| f.role == velt_case::model::FileRole::DownloadedFile)
            .collect();
        let count = files.len();
        files
            .into_iter()
            .enumerate()
            .map(|(n, f)| Answer {
                method: "POST".into(),
                path: "/v1/datapoint".into(),
                file: Some(f.path.clone()),
                what: format!("file {} of {count} ({} bytes)", n + 1, f.bytes),
                body: json!({
                    "dataPointName": FILES_DATAPOINT,
                    "remoteId": f.path.rsplit('/').next().unwrap_or(&f.path),
                    "skipStatusUpdate": n + 1 < count,
                }),
            })
            .collect()
    }

    /// The completion of an access request (also the answer when nobody was found: a profile
    /// with no data).
    pub fn access_completed(profile_id: &str) -> Answer {
        Answer {
            file: None,
            method: "POST".into(),
            path: "/v1/data-silo".into(),
            what: "access completed (READY)".into(),
            body: json!({ "profiles": [{ "profileId": profile_id }], "status": "READY" }),
        }
    }

    /// An erasure's state: `WAITING`, `RESOLVED` or `ACTION_REQUIRED`, with a message.
    pub fn erasure_status(status: &str, message: &str) -> Answer {
        Answer {
            file: None,
            method: "PUT".into(),
            path: "/v1/data-silo".into(),
            what: format!("erasure {status}"),
            body: json!({ "status": status, "message": message }),
        }
    }
}

impl Platform for Transcend {
    fn name(&self) -> &'static str {
        PLATFORM
    }

    fn access_answers(&self, job: &Job, case_dir: &Path) -> Result<Vec<Answer>> {
        self.store_answers(case_dir, &profile_id(&job.subject))
    }

    fn access_not_found(&self, job: &Job) -> Vec<Answer> {
        vec![Self::access_completed(&profile_id(&job.subject))]
    }

    fn erasure_answers(&self, _job: &Job, state: ErasureState, message: &str) -> Vec<Answer> {
        let status = match state {
            ErasureState::Waiting => "WAITING",
            ErasureState::Resolved { .. } | ErasureState::NotFound => "RESOLVED",
            ErasureState::ActionRequired => "ACTION_REQUIRED",
        };
        vec![Self::erasure_status(status, message)]
    }

    fn send<'a>(&'a self, answer: &'a Answer, job: &'a Job) -> BoxFuture<'a, Attempt> {
        Box::pin(self.deliver(answer, job.nonce.as_deref()))
    }
}

/// Transcend's profile id: the identifier as the platform sent it.
fn profile_id(subject: &Subject) -> String {
    match subject {
        Subject::Email(s) | Subject::UserId(s) => s.clone(),
    }
}

impl Transcend {
    async fn deliver(&self, answer: &Answer, nonce: Option<&str>) -> Attempt {
        let url = format!("{}{}", self.sombra_url, answer.path);
        let method = if answer.method == "PUT" {
            reqwest::Method::PUT
        } else {
            reqwest::Method::POST
        };
        let mut request = self
            .http
            .request(method, &url)
            .bearer_auth(self.api_key.expose_secret())
            .header("accept", "application/json");
        request = match &answer.file {
            None => request.json(&answer.body),
            Some(path) => {
                // The file streamed as it is in the case, never held whole in memory.
                let file = match tokio::fs::File::open(path).await {
                    Ok(file) => file,
                    Err(e) => {
                        return Attempt::Failed(None, format!("cannot read the case's file: {e}"));
                    }
                };
                let text = |key: &str| answer.body[key].as_str().unwrap_or_default().to_owned();
                request
                    .header("content-type", "application/octet-stream")
                    .header("x-transcend-datapoint-name", text("dataPointName"))
                    .header("x-transcend-remote-id", text("remoteId"))
                    .header(
                        "x-transcend-skip-status-update",
                        if answer.body["skipStatusUpdate"] == true {
                            "true"
                        } else {
                            "false"
                        },
                    )
                    .body(reqwest::Body::from(file))
            }
        };
        if let Some(key) = &self.sombra_api_key {
            request = request.header(
                "x-sombra-authorization",
                format!("Bearer {}", key.expose_secret()),
            );
        }
        if let Some(nonce) = nonce {
            request = request.header("x-transcend-nonce", nonce);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match status {
                    200..=299 => Attempt::Acknowledged(status),
                    409 => Attempt::NoLongerWanted(status),
                    _ => Attempt::Failed(Some(status), format!("HTTP {status}")),
                }
            }
            Err(e) => Attempt::Failed(None, e.without_url().to_string()),
        }
    }
}

/// Why a token did not verify, in a word (nothing of the token).
fn why_refused(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not valid yet",
        ErrorKind::InvalidAlgorithm => "wrong algorithm",
        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
        _ => "malformed",
    }
}

/// The adapter's route: `POST /transcend/webhook`.
pub(crate) fn routes(adapter: Arc<Transcend>, intake: Intake) -> Router {
    Router::new()
        .route("/transcend/webhook", post(webhook))
        .with_state((adapter, intake))
}

/// `POST /transcend/webhook`: the token first (nothing else is read without it), then the
/// body, then the job: new (200, worked on in the background) or sent again (its state; 204
/// once Velt was found to hold nobody).
async fn webhook(
    State((adapter, intake)): State<(Arc<Transcend>, Intake)>,
    headers: HeaderMap,
    body: body::Body,
) -> Response {
    let token = headers.get("x-sombra-token").and_then(|v| v.to_str().ok());
    match adapter.verify(token).await {
        Ok(()) => {}
        Err(Refusal::Unauthorized) => {
            return (StatusCode::UNAUTHORIZED, "You are not Transcend!\n").into_response();
        }
        Err(Refusal::KeyUnavailable) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot fetch Transcend's signing key; try again\n",
            )
                .into_response();
        }
    }
    let bytes = match intake.body(body).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let hook = match parse_webhook(&bytes) {
        Ok(hook) => hook,
        Err(why) => return (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response(),
    };
    let nonce = headers
        .get("x-transcend-nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let job = Job {
        nonce,
        is_test: hook.is_test,
        ..Job::new(PLATFORM, hook.request_id, hook.kind, hook.subject)
    };
    match intake.receive_watching(job) {
        Ok((Received::New, Some(mut search))) => {
            // Transcend wants 204 for a person the system does not hold: wait a little for
            // the search, then answer 200 and go on in the background.
            let nobody = tokio::time::timeout(adapter.answer_nobody_within, async {
                search
                    .wait_for(Option::is_some)
                    .await
                    .is_ok_and(|found| *found == Some(false))
            })
            .await
            .unwrap_or(false);
            if nobody {
                return StatusCode::NO_CONTENT.into_response();
            }
            (StatusCode::OK, Json(json!({ "stage": Stage::Received }))).into_response()
        }
        Ok((Received::New | Received::Racing, _)) => {
            (StatusCode::OK, Json(json!({ "stage": Stage::Received }))).into_response()
        }
        Ok((Received::Again(job), _)) if job.outcome == Some(Outcome::NotFound) => {
            StatusCode::NO_CONTENT.into_response()
        }
        Ok((Received::Again(job), _)) => (
            StatusCode::OK,
            Json(json!({ "stage": job.stage, "outcome": job.outcome, "message": job.message })),
        )
            .into_response(),
        Err(e) => cannot_keep(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_body_is_read_and_bad_ones_named_without_values() {
        let hook = parse_webhook(
            br#"{"type":"ERASURE","isTest":true,"extras":{"profile":{"identifier":"a@b.c","type":"email"},"request":{"id":"r1","link":"x"}}}"#,
        )
        .expect("a webhook");
        assert_eq!(hook.kind, JobKind::Erasure);
        assert_eq!(hook.subject, Subject::email("a@b.c"));
        assert!(hook.is_test);
        let error =
            parse_webhook(br#"{"type":"ACCESS","extras":{"profile":{"identifier":"secret@x.y"}}}"#)
                .expect_err("no request id");
        assert!(!error.contains("secret@x.y"), "{error}");
        let error = parse_webhook(
            br#"{"type":"SALE_OPT_OUT","extras":{"profile":{"identifier":"a"},"request":{"id":"r"}}}"#,
        )
        .expect_err("unsupported");
        assert!(error.contains("only ACCESS and ERASURE"), "{error}");
    }
}
