//! The HTTP side: routes, credentials, input validation, faults, pages and deletion jobs.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value, json};

use crate::config::{EndOfPages, FakeConfig, Faults};
use crate::dataset::{Dataset, Feature, PAGE_SIZE, Rng, doc_id};
use crate::files::{self, FileRequest};
use crate::http::{
    ApiError, IdList, MAX_IDS, at_most_30, error, filter_scope, ids, invalid, json_response,
    list_offset, list_page, optional_bool, optional_string, page_size, required_string,
};
use crate::stores_api::{self, Stores};
use crate::token;

/// The largest request body accepted.
pub(crate) const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The most bytes of request header names and values accepted.
pub(crate) const MAX_HEADER_BYTES: usize = 32 * 1024;

/// State shared by every request of one server.
pub(crate) struct Shared {
    pub(crate) dataset: Dataset,
    pub(crate) config: FakeConfig,
    pub(crate) faults: RwLock<Faults>,
    pub(crate) requests: AtomicU64,
    state: Mutex<State>,
    /// Status calls fail until then.
    status_outage_until: Mutex<Option<Instant>>,
    /// Every request for a file, in the order they came.
    pub(crate) file_requests: Mutex<Vec<FileRequest>>,
    /// The user ids of every deletion accepted, in the order they came.
    pub(crate) deletion_requests: Mutex<Vec<Vec<String>>>,
}

#[derive(Default)]
struct State {
    jobs: HashMap<String, Job>,
    /// `(organization index, user index)` pairs whose data has been erased.
    deleted: HashSet<(usize, usize)>,
    /// `(organization, user, record)` of activity records deleted through the API.
    deleted_activities: HashSet<(usize, usize, usize)>,
    jobs_started: u64,
}

struct Job {
    started: Instant,
    started_epoch_ms: u64,
    tasks: Vec<Task>,
    /// Tasks already applied to `State::deleted`.
    applied: usize,
}

/// One task of a deletion job: erase `users` in one organization (`None` when the
/// organization is unknown, or when no organization of the users is known: nothing to do).
struct Task {
    organization: Option<usize>,
    users: Vec<usize>,
}

impl Shared {
    /// The state of a server whose base URL is `origin` (the origin of its files' URLs).
    pub(crate) fn new(config: FakeConfig, origin: String) -> Shared {
        Shared {
            dataset: Dataset::new(&config).with_files_origin(origin),
            file_requests: Mutex::new(Vec::new()),
            deletion_requests: Mutex::new(Vec::new()),
            faults: RwLock::new(config.faults.clone()),
            requests: AtomicU64::new(0),
            state: Mutex::new(State::default()),
            status_outage_until: Mutex::new(Instant::now().checked_add(config.status_outage)),
            config,
        }
    }

    pub(crate) fn start_status_outage(&self, duration: Duration) {
        *self
            .status_outage_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Instant::now().checked_add(duration);
    }

    fn status_outage(&self) -> bool {
        self.status_outage_until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|until| Instant::now() < until)
    }

    /// The state with every deletion task that is due applied.
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters for a fake, so a poisoned lock is simply taken over.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let task_duration = self.config.deletion_task_duration;
        let State { jobs, deleted, .. } = &mut *state;
        for job in jobs.values_mut() {
            if job.applied == job.tasks.len() {
                continue;
            }
            let done = tasks_done(job, now, task_duration);
            for task in &job.tasks[job.applied..done] {
                if let Some(o) = task.organization {
                    deleted.extend(task.users.iter().map(|&u| (o, u)));
                }
            }
            job.applied = job.applied.max(done);
        }
        state
    }
}

fn tasks_done(job: &Job, now: Instant, task_duration: Duration) -> usize {
    if task_duration.is_zero() {
        return job.tasks.len();
    }
    let elapsed = now.saturating_duration_since(job.started);
    let done = elapsed.as_nanos() / task_duration.as_nanos();
    usize::try_from(done)
        .unwrap_or(usize::MAX)
        .min(job.tasks.len())
}

#[derive(Clone, Copy)]
enum Operation {
    GetAllUserData,
    DeleteAllUserData,
    DeleteStatus,
    GetUsers,
    GetOrganizations,
    GetUsersV2,
    GetActivities,
    DeleteActivities,
    GetPermissions,
    GetProfile,
    QueryJudgments,
    GetNotificationConfig,
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let route = |op: Operation| {
        let shared = shared.clone();
        post(move |headers: HeaderMap, body: Body| async move {
            handle(&shared, op, &headers, body).await
        })
    };
    Router::new()
        .route("/v2/users/data/get", route(Operation::GetAllUserData))
        .route("/v2/users/data/delete", route(Operation::DeleteAllUserData))
        .route(
            "/v2/users/data/delete/status",
            route(Operation::DeleteStatus),
        )
        .route("/v1/users/get", route(Operation::GetUsers))
        .route("/v2/organizations/get", route(Operation::GetOrganizations))
        .route("/v2/users/get", route(Operation::GetUsersV2))
        .route("/v2/activities/get", route(Operation::GetActivities))
        .route("/v2/activities/delete", route(Operation::DeleteActivities))
        .route("/v2/auth/permissions/get", route(Operation::GetPermissions))
        .route("/v2/memory/profiles/get", route(Operation::GetProfile))
        .route(
            "/v2/memory/judgments/query",
            route(Operation::QueryJudgments),
        )
        .route(
            "/v2/notifications/config/get",
            route(Operation::GetNotificationConfig),
        )
        .route("/files/{*path}", {
            let shared = shared.clone();
            get(move |uri: Uri, headers: HeaderMap| async move {
                serve_file(&shared, uri.path(), &headers)
            })
        })
        // Like Firebase callable functions: another method is a bad request.
        .method_not_allowed_fallback(|| async {
            invalid("Velt's REST API only accepts POST requests.")
        })
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "No such endpoint in the fake Velt server.",
            )
        })
}

async fn handle(shared: &Shared, op: Operation, headers: &HeaderMap, body: Body) -> Response {
    let n = shared.requests.fetch_add(1, Ordering::SeqCst) + 1;
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    // Oversized headers first: a front end refuses them before anything else looks at them,
    // and the credentials are in them.
    if let Err(e) = check_header_size(headers) {
        return e.into_response();
    }
    if let Some(response) = injected_fault(shared, n) {
        return response;
    }
    if matches!(op, Operation::DeleteStatus) && shared.status_outage() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "The service is currently unavailable (an outage of the fake server).",
        )
        .into_response();
    }
    if let Err(e) = authenticate(&shared.config, headers) {
        return e.into_response();
    }
    if let Err(e) = check_content_type(headers) {
        return e.into_response();
    }
    // The body is read only for an authenticated client, within the size and time limits.
    let body = match read_body(body, shared.config.read_timeout).await {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let data = match parse_data(&body) {
        Ok(data) => data,
        Err(e) => return e.into_response(),
    };
    if let Some(response) = failing_organization(shared, &data) {
        return response;
    }
    let result = match op {
        Operation::GetAllUserData => get_all_user_data(shared, &data),
        Operation::DeleteAllUserData => delete_all_user_data(shared, &data),
        Operation::DeleteStatus => delete_status(shared, &data),
        Operation::GetUsers => get_users(shared, &data),
        Operation::GetOrganizations => get_organizations(shared, &data),
        Operation::GetUsersV2 => get_users_v2(shared, &data),
        store => {
            let mut state = shared.state();
            let State {
                deleted,
                deleted_activities,
                ..
            } = &mut *state;
            let mut stores = Stores {
                dataset: &shared.dataset,
                erased: deleted,
                deleted_activities,
                gdpr_deletes_activities: shared.config.gdpr_deletes_activities,
            };
            match store {
                Operation::GetActivities => stores_api::get_activities(&stores, &data),
                Operation::DeleteActivities => stores_api::delete_activities(&mut stores, &data),
                Operation::GetPermissions => stores_api::get_permissions(&stores, &data),
                Operation::GetProfile => stores_api::get_profile(&stores, &data),
                Operation::QueryJudgments => stores_api::query_judgments(&stores, &data),
                _ => stores_api::get_notification_config(&stores, &data),
            }
        }
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /files/...`: no credentials needed, no faults, not counted among the API's
/// requests; recorded in [`Shared::file_requests`]. A file of an erased user is gone (404).
fn serve_file(shared: &Shared, path: &str, headers: &HeaderMap) -> Response {
    shared
        .file_requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(FileRequest::new(path, headers));
    let dataset = &shared.dataset;
    let file = dataset.file(path).filter(|file| {
        let owner = (
            dataset.org_index(&file.organization_id),
            dataset.user_index(&file.user_id),
        );
        match owner {
            (Some(o), Some(u)) => !shared.state().deleted.contains(&(o, u)),
            _ => false,
        }
    });
    files::answer(dataset, file)
}

/// 431 in Velt's envelope when the header names and values add up to more than
/// [`MAX_HEADER_BYTES`].
fn check_header_size(headers: &HeaderMap) -> Result<(), ApiError> {
    let size: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        return Err(error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "INVALID_ARGUMENT",
            format!(
                "The request headers take {size} bytes; at most {MAX_HEADER_BYTES} are accepted."
            ),
        ));
    }
    Ok(())
}

/// The whole body, or 413 when it is larger than [`MAX_BODY_BYTES`], or 408 when it does not
/// arrive within `timeout`; both in Velt's envelope.
async fn read_body(body: Body, timeout: Duration) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "INVALID_ARGUMENT",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        )
    };
    match tokio::time::timeout(timeout, Limited::new(body, MAX_BODY_BYTES).collect()).await {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "DEADLINE_EXCEEDED",
            format!(
                "The request body did not arrive within {} ms.",
                timeout.as_millis()
            ),
        )),
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(too_large()),
        Ok(Err(e)) => Err(invalid(format!("The request body could not be read: {e}."))),
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
    }
}

fn injected_fault(shared: &Shared, n: u64) -> Option<Response> {
    let faults = shared
        .faults
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let hits = |every: Option<u32>| every.is_some_and(|k| k > 0 && n.is_multiple_of(u64::from(k)));
    if hits(faults.every_nth_503) {
        return Some(
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "The service is currently unavailable (injected by the fake server).",
            )
            .into_response(),
        );
    }
    if let Some((every, retry_after)) = faults.every_nth_429
        && hits(Some(every))
    {
        let mut response = error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "Too many requests (injected by the fake server).",
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return Some(response);
    }
    if hits(faults.every_nth_500) {
        return Some(
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Internal error (injected by the fake server).",
            )
            .into_response(),
        );
    }
    if hits(faults.every_nth_502_html) {
        return Some(
            (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                Body::from(
                    "<html><head><title>502 Bad Gateway</title></head>\
                     <body><h1>502 Bad Gateway</h1></body></html>",
                ),
            )
                .into_response(),
        );
    }
    None
}

/// 503 `UNAVAILABLE` for a request naming one of [`Faults::failing_organizations`].
fn failing_organization(shared: &Shared, data: &Map<String, Value>) -> Option<Response> {
    let organization_id = data.get("organizationId").and_then(Value::as_str)?;
    let faults = shared.faults.read().unwrap_or_else(|e| e.into_inner());
    faults
        .failing_organizations
        .iter()
        .any(|failing| failing == organization_id)
        .then(|| {
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                format!(
                    "Organization {organization_id} is unavailable (injected by the fake server)."
                ),
            )
            .into_response()
        })
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Any problem with the credentials is UNAUTHENTICATED (401), per the Firebase mapping:
/// the request lacks valid credentials. The token is never echoed back.
fn authenticate(config: &FakeConfig, headers: &HeaderMap) -> Result<(), ApiError> {
    let unauthenticated =
        |message: &str| error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message);
    let api_key = headers.get("x-velt-api-key");
    let auth_token = headers.get("x-velt-auth-token");
    match (api_key, auth_token) {
        (None, _) => Err(unauthenticated("Missing x-velt-api-key header.")),
        (_, None) => Err(unauthenticated("Missing x-velt-auth-token header.")),
        (Some(key), _) if !same_secret(key.as_bytes(), config.api_key.as_bytes()) => {
            Err(unauthenticated("Invalid API key."))
        }
        (_, Some(token)) if !same_secret(token.as_bytes(), config.auth_token.as_bytes()) => {
            Err(unauthenticated("Invalid auth token for this API key."))
        }
        _ => Ok(()),
    }
}

/// Like Firebase callable functions, only JSON bodies are accepted.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(invalid(format!(
            "Content-Type must be application/json, not {content_type:?}."
        )))
    }
}

fn parse_data(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("The request body is not valid JSON: {e}.")))?;
    let Value::Object(mut object) = value else {
        return Err(invalid("The request body must be a JSON object."));
    };
    match object.remove("data") {
        Some(Value::Object(data)) => Ok(data),
        Some(_) => Err(invalid("`data` must be an object.")),
        None => Err(invalid("The request body must have a `data` object.")),
    }
}

fn epoch_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn get_all_user_data(shared: &Shared, data: &Map<String, Value>) -> Result<Response, ApiError> {
    let organization_id = required_string(data, "organizationId")?;
    let user_id = required_string(data, "userId")?;
    let page_token = optional_string(data, "pageToken")?;
    // Two fields of Velt's Python SDK the REST page lacks (see the crate docs).
    let more_users = ids(data, "veltUserIds", IdList::Optional("exports userId only"))?;
    let all_organizations = optional_bool(data, "veltAllOrganizations")?.unwrap_or(false);
    if more_users.is_some() || all_organizations {
        return export_across(
            shared,
            organization_id,
            user_id,
            page_token,
            more_users.unwrap_or_default(),
            all_organizations,
        );
    }
    let dataset = &shared.dataset;
    let total = dataset.items_per_feature();
    let page = match page_token {
        None => 0,
        Some(t) => match token::decode(dataset.seed(), organization_id, user_id, t) {
            Some(page) if (page as usize).saturating_mul(PAGE_SIZE) < total => page as usize,
            _ => {
                return Err(invalid(
                    "data.pageToken is not a page token of this organization and user.",
                ));
            }
        },
    };
    // Unknown organizations and users, non-members and erased users get an empty last page
    // (erased users keep `deletion_leaves_comments` comments, on that one page).
    let pair = dataset.member(organization_id, user_id);
    let erased = pair.is_some_and(|pair| shared.state().deleted.contains(&pair));
    let member = pair.filter(|_| !erased);
    let start = page * PAGE_SIZE;
    let end = (start + PAGE_SIZE).min(total);
    let left_behind = shared
        .config
        .deletion_leaves_comments
        .min(total)
        .min(PAGE_SIZE);
    let mut page_data = Map::new();
    for feature in Feature::ALL {
        let items: Vec<Value> = match (member, pair) {
            (Some((o, u)), _) => (start..end)
                .map(|i| Value::Object(dataset.item_at(o, u, feature, i)))
                .collect(),
            (None, Some((o, u))) if erased && page == 0 && feature == Feature::Comments => (0
                ..left_behind)
                .map(|i| Value::Object(dataset.item_at(o, u, feature, i)))
                .collect(),
            (None, _) => Vec::new(),
        };
        page_data.insert(feature.as_str().to_owned(), Value::Array(items));
    }
    let more = member.is_some() && end < total;
    export_page(
        shared,
        page_data,
        more.then_some((organization_id, user_id, page)),
    )
}

/// An export page's answer: `data`, and the token of page `page + 1` bound to
/// `(organization, key)` when there is one, or the end of the pages as configured.
fn export_page(
    shared: &Shared,
    page_data: Map<String, Value>,
    next: Option<(&str, &str, usize)>,
) -> Result<Response, ApiError> {
    let mut result = Map::new();
    result.insert("status".into(), json!("success"));
    result.insert("message".into(), json!("Data fetched successfully."));
    result.insert("data".into(), Value::Object(page_data));
    match next {
        Some((organization_id, key, page)) => {
            let next = u32::try_from(page + 1).map_err(|_| {
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "Too many pages.",
                )
            })?;
            result.insert(
                "nextPageToken".into(),
                json!(token::encode(
                    shared.dataset.seed(),
                    organization_id,
                    key,
                    next
                )),
            );
        }
        None => end_of_pages(shared, &mut result),
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "result": Value::Object(result) }),
    ))
}

/// The end of the last page, as [`FakeConfig::end_of_pages`] says.
fn end_of_pages(shared: &Shared, result: &mut Map<String, Value>) {
    match shared.config.end_of_pages {
        EndOfPages::Null => {
            result.insert("nextPageToken".into(), Value::Null);
        }
        EndOfPages::EmptyString => {
            result.insert("nextPageToken".into(), json!(""));
        }
        EndOfPages::Omitted => {}
    }
}

/// An export with `veltUserIds` and/or `veltAllOrganizations`: the items of every
/// (user, organization) pair with data, user by user, organization by organization, 100 of
/// each feature a page. Erased pairs have none.
fn export_across(
    shared: &Shared,
    organization_id: &str,
    user_id: &str,
    page_token: Option<&str>,
    more_users: Vec<&str>,
    all_organizations: bool,
) -> Result<Response, ApiError> {
    let dataset = &shared.dataset;
    let mut users: Vec<&str> = vec![user_id];
    for id in more_users {
        if !users.contains(&id) {
            users.push(id);
        }
    }
    // Tokens are bound to the whole request: organization, users and scope.
    let token_key = format!("{}\u{1f}{all_organizations}", users.join("\u{1f}"));
    let pairs: Vec<(usize, usize)> = {
        let state = shared.state();
        users
            .iter()
            .filter_map(|id| dataset.user_index(id))
            .flat_map(|u| {
                let orgs = if all_organizations {
                    dataset.data_orgs(u)
                } else {
                    dataset
                        .member(organization_id, &crate::dataset::user_id(u))
                        .map(|(o, _)| o)
                        .into_iter()
                        .collect()
                };
                orgs.into_iter().map(move |o| (o, u))
            })
            .filter(|pair| !state.deleted.contains(pair))
            .collect()
    };
    let per_pair = dataset.items_per_feature();
    let total = pairs.len().saturating_mul(per_pair);
    let page = match page_token {
        None => 0,
        Some(t) => match token::decode(dataset.seed(), organization_id, &token_key, t) {
            Some(page) if (page as usize).saturating_mul(PAGE_SIZE) < total => page as usize,
            _ => {
                return Err(invalid(
                    "data.pageToken is not a page token of this organization and these users.",
                ));
            }
        },
    };
    let start = page * PAGE_SIZE;
    let end = (start + PAGE_SIZE).min(total);
    let mut page_data = Map::new();
    for feature in Feature::ALL {
        let items: Vec<Value> = (start..end)
            .map(|j| {
                let (o, u) = pairs[j / per_pair];
                Value::Object(dataset.item_at(o, u, feature, j % per_pair))
            })
            .collect();
        page_data.insert(feature.as_str().to_owned(), Value::Array(items));
    }
    export_page(
        shared,
        page_data,
        (end < total).then_some((organization_id, token_key.as_str(), page)),
    )
}

fn delete_all_user_data(shared: &Shared, data: &Map<String, Value>) -> Result<Response, ApiError> {
    let Some(user_ids) = ids(data, "userIds", IdList::Required)? else {
        return Err(invalid("data.userIds is required."));
    };
    let organization_ids = ids(
        data,
        "organizationIds",
        IdList::Optional("erases in every organization"),
    )?;
    let dataset = &shared.dataset;
    // Velt keeps only the first 30 userIds of a request and still answers success.
    let users: Vec<usize> = {
        let mut seen = HashSet::new();
        user_ids
            .iter()
            .take(MAX_IDS)
            .filter_map(|id| dataset.user_index(id))
            .filter(|u| seen.insert(*u))
            .collect()
    };
    let mut tasks: Vec<Task> = match organization_ids {
        Some(ids) => {
            let mut seen = HashSet::new();
            ids.into_iter()
                .filter(|id| seen.insert(*id))
                .map(|id| Task {
                    organization: dataset.org_index(id),
                    users: users.clone(),
                })
                .collect()
        }
        None => {
            let orgs: std::collections::BTreeSet<usize> =
                users.iter().flat_map(|&u| dataset.data_orgs(u)).collect();
            orgs.into_iter()
                .map(|o| Task {
                    organization: Some(o),
                    users: users.clone(),
                })
                .collect()
        }
    };
    if tasks.is_empty() {
        tasks.push(Task {
            organization: None,
            users: Vec::new(),
        });
    }
    let tasks_count = tasks.len();
    shared
        .deletion_requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(user_ids.iter().map(|id| (*id).to_owned()).collect());
    let mut state = shared.state();
    state.jobs_started += 1;
    let mut rng = Rng::new(&[dataset.seed(), 0x70b, state.jobs_started]);
    let job_id: String = (0..20)
        .map(|_| {
            const ALPHABET: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            ALPHABET[rng.below(ALPHABET.len() as u64) as usize] as char
        })
        .collect();
    state.jobs.insert(
        job_id.clone(),
        Job {
            started: Instant::now(),
            started_epoch_ms: epoch_ms_now(),
            tasks,
            applied: 0,
        },
    );
    drop(state);
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({
            "status": "success",
            "message": "Data deletion process has been initiated.",
            "data": { "jobId": job_id, "tasksCount": tasks_count },
            "statusCode": 202,
        }),
    ))
}

fn delete_status(shared: &Shared, data: &Map<String, Value>) -> Result<Response, ApiError> {
    let job_id = required_string(data, "jobId")?;
    let state = shared.state();
    let Some(job) = state.jobs.get(job_id) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("No deletion job with id {job_id:?}."),
        ));
    };
    let done = job.applied;
    let tasks_left = job.tasks.len() - done;
    let task_ms = u64::try_from(shared.config.deletion_task_duration.as_millis()).unwrap_or(0);
    let last = (done > 0).then(|| job.started_epoch_ms + task_ms.saturating_mul(done as u64));
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "result": {
                "status": "success",
                "message": "Data fetched successfully.",
                "data": {
                    "isDeleteCompleted": tasks_left == 0,
                    "tasksLeft": tasks_left,
                    "lastTaskCompletedTime": last,
                },
            }
        }),
    ))
}

/// The `userIds` and `organizationUserGroupIds` filters of both Get Users calls: optional,
/// at most 30 each.
type IdFilter<'a> = Option<Vec<&'a str>>;

fn user_filters(data: &Map<String, Value>) -> Result<(IdFilter<'_>, IdFilter<'_>), ApiError> {
    let user_ids = ids(data, "userIds", IdList::Optional("means any user"))?;
    let group_ids = ids(
        data,
        "organizationUserGroupIds",
        IdList::Optional("means any group"),
    )?;
    at_most_30("userIds", &user_ids)?;
    at_most_30("organizationUserGroupIds", &group_ids)?;
    Ok((user_ids, group_ids))
}

fn get_users(shared: &Shared, data: &Map<String, Value>) -> Result<Response, ApiError> {
    let organization_id = required_string(data, "organizationId")?;
    let document_id = optional_string(data, "documentId")?;
    let (user_ids, group_ids) = user_filters(data)?;
    let dataset = &shared.dataset;
    let mut users = Vec::new();
    if let Some(o) = dataset.org_index(organization_id) {
        let document = match document_id {
            Some(id) => match dataset.doc_index(o, id) {
                Some(d) => Some(d),
                // An unknown document has no users.
                None => return Ok(users_response(users)),
            },
            None => None,
        };
        let state = shared.state();
        // A document's users include those who are not members of the organization.
        let candidates: Vec<usize> = match document {
            Some(_) => merged(dataset.member_indexes(o), dataset.doc_only_indexes(o)),
            None => dataset.member_indexes(o).collect(),
        };
        for u in candidates {
            if state.deleted.contains(&(o, u)) {
                continue;
            }
            if document.is_some_and(|d| !dataset.user_docs(o, u).contains(&d)) {
                continue;
            }
            let user = dataset.seeded_user(u);
            if user_ids
                .as_ref()
                .is_some_and(|ids| !ids.contains(&user.user_id.as_str()))
            {
                continue;
            }
            if group_ids
                .as_ref()
                .is_some_and(|ids| !ids.contains(&dataset.user_group(o, u)))
            {
                continue;
            }
            users.push(json!({ "email": user.email, "name": user.name, "userId": user.user_id }));
        }
    }
    Ok(users_response(users))
}

fn users_response(users: Vec<Value>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "result": {
                "status": "success",
                "message": "User(s) retrieved successfully.",
                "data": users,
            }
        }),
    )
}

/// Two ascending lists of user indexes as one, in order.
fn merged(a: impl Iterator<Item = usize>, b: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut all: Vec<usize> = a.chain(b).collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn get_organizations(shared: &Shared, data: &Map<String, Value>) -> Result<Response, ApiError> {
    let organization_ids = ids(
        data,
        "organizationIds",
        IdList::Optional("lists every organization"),
    )?;
    at_most_30("organizationIds", &organization_ids)?;
    let size = page_size(data)?;
    let dataset = &shared.dataset;
    // The named organizations that exist, each once, in the order given; or all of them
    // (never materialized: thousands cost one page).
    let named: Option<Vec<usize>> = organization_ids.map(|ids| {
        let mut seen = HashSet::new();
        ids.into_iter()
            .filter_map(|id| dataset.org_index(id))
            .filter(|o| seen.insert(*o))
            .collect()
    });
    let total = named.as_ref().map_or(dataset.organizations(), Vec::len);
    let scope = filter_scope(0x0e9, data);
    let offset = list_offset(shared.dataset.seed(), data, scope, total)?;
    let (range, next) = list_page(shared.dataset.seed(), scope, offset, size, total);
    let organizations: Vec<Value> = range
        .map(|i| dataset.organization_json(named.as_ref().map_or(i, |named| named[i])))
        .collect();
    let mut result = Map::new();
    result.insert("status".into(), json!("success"));
    result.insert(
        "message".into(),
        json!("Organization(s) retrieved successfully."),
    );
    result.insert("data".into(), Value::Array(organizations));
    if let Some(next) = next {
        result.insert("nextPageToken".into(), json!(next));
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "result": Value::Object(result) }),
    ))
}

fn get_users_v2(shared: &Shared, data: &Map<String, Value>) -> Result<Response, ApiError> {
    let organization_id = required_string(data, "organizationId")?;
    let document_id = optional_string(data, "documentId")?;
    let folder_id = optional_string(data, "folderId")?;
    let (user_ids, group_ids) = user_filters(data)?;
    let all_documents = optional_bool(data, "allDocuments")?.unwrap_or(false);
    let group_by_document = optional_bool(data, "groupByDocumentId")?.unwrap_or(false);
    let size = page_size(data)?;
    let dataset = &shared.dataset;

    // (document, user) entries when grouped, (None, user) otherwise.
    let mut entries: Vec<(Option<usize>, usize)> = Vec::new();
    let grouped = all_documents && group_by_document;
    let organization = dataset.org_index(organization_id);
    if let Some(o) = organization {
        // The documents asked about; `None` for the organization level.
        let documents: Option<Vec<usize>> =
            if document_id.is_some() || folder_id.is_some() || all_documents {
                Some(
                    (0..dataset.documents())
                        .filter(|&d| document_id.is_none_or(|id| doc_id(o, d) == id))
                        .filter(|&d| {
                            folder_id.is_none_or(|id| dataset.folder_index(o, id) == Some(d / 2))
                        })
                        .collect(),
                )
            } else {
                None
            };
        let state = shared.state();
        let wanted = |u: usize| {
            !state.deleted.contains(&(o, u))
                && user_ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&crate::dataset::user_id(u).as_str()))
                && group_ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&dataset.user_group(o, u)))
        };
        match &documents {
            None => entries.extend(
                dataset
                    .member_indexes(o)
                    .filter(|&u| wanted(u))
                    .map(|u| (None, u)),
            ),
            Some(documents) => {
                let candidates = merged(dataset.member_indexes(o), dataset.doc_only_indexes(o));
                let access: Vec<(usize, Vec<usize>)> = candidates
                    .into_iter()
                    .filter(|&u| wanted(u))
                    .map(|u| (u, dataset.user_docs(o, u)))
                    .collect();
                if grouped {
                    for &d in documents {
                        entries.extend(
                            access
                                .iter()
                                .filter(|(_, docs)| docs.contains(&d))
                                .map(|(u, _)| (Some(d), *u)),
                        );
                    }
                } else {
                    entries.extend(
                        access
                            .iter()
                            .filter(|(_, docs)| docs.iter().any(|d| documents.contains(d)))
                            .map(|(u, _)| (None, *u)),
                    );
                }
            }
        }
    }
    let scope = filter_scope(0x05e2, data);
    let offset = list_offset(shared.dataset.seed(), data, scope, entries.len())?;
    let (range, next) = list_page(shared.dataset.seed(), scope, offset, size, entries.len());
    let user_json = |u: usize| {
        let user = dataset.seeded_user(u);
        json!({ "email": user.email, "name": user.name, "userId": user.user_id })
    };
    let users = if grouped {
        let mut by_document = Map::new();
        for &(d, u) in &entries[range] {
            let (Some(o), Some(d)) = (organization, d) else {
                continue;
            };
            if let Value::Array(list) = by_document
                .entry(doc_id(o, d))
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                list.push(user_json(u));
            }
        }
        Value::Object(by_document)
    } else {
        Value::Array(entries[range].iter().map(|&(_, u)| user_json(u)).collect())
    };
    let mut result = Map::new();
    result.insert("status".into(), json!("success"));
    result.insert("message".into(), json!("User(s) retrieved successfully."));
    result.insert("data".into(), users);
    if let Some(next) = next {
        result.insert(
            shared.config.users_v2_token_name.as_str().into(),
            json!(next),
        );
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "result": Value::Object(result) }),
    ))
}
