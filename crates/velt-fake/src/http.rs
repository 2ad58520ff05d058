//! Velt's envelope and the checks of a request's `data`, shared by every endpoint.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::dataset::{hash, hash_str};
use crate::token;

/// The most ids Get Users accepts in `userIds` or `organizationUserGroupIds`, and the most
/// `userIds` a deletion keeps.
pub(crate) const MAX_IDS: usize = 30;

/// The page size of the v2 list calls when none is given, as Velt documents.
pub(crate) const DEFAULT_LIST_PAGE_SIZE: u64 = 1000;

/// An answer in Velt's error envelope: `{"error":{"message","status","details"?}}`.
pub(crate) struct ApiError {
    http: StatusCode,
    status: &'static str,
    message: String,
    details: Option<Value>,
}

impl ApiError {
    /// The same error with `details` (Get Permissions' not-found entries, the memory
    /// endpoints' `details.issues`).
    pub(crate) fn with_details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    /// The same error with `details.issues` naming the field, as Velt's memory endpoints
    /// answer validation errors.
    pub(crate) fn with_issue(self, field: &str) -> ApiError {
        let issue = json!({ "issues": [{ "path": [field], "message": self.message }] });
        self.with_details(issue)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = Map::new();
        if let Some(details) = self.details {
            error.insert("details".into(), details);
        }
        error.insert("message".into(), json!(self.message));
        error.insert("status".into(), json!(self.status));
        json_response(self.http, &json!({ "error": Value::Object(error) }))
    }
}

pub(crate) fn error(
    http: StatusCode,
    status: &'static str,
    message: impl Into<String>,
) -> ApiError {
    ApiError {
        http,
        status,
        message: message.into(),
        details: None,
    }
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
}

/// True when `s` has no character but white space: Unicode's, and the information
/// separators U+001C..U+001F, which Python's `\s` counts too (so a string schemathesis
/// generates for the spec's `pattern: "\S"` is never blank here, and the reverse).
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// A string field that must be present and not blank. `null` is not a value.
pub(crate) fn required_string<'a>(
    data: &'a Map<String, Value>,
    key: &str,
) -> Result<&'a str, ApiError> {
    match data.get(key) {
        None | Some(Value::Null) => Err(invalid(format!("data.{key} is required."))),
        Some(Value::String(s)) if is_blank(s) => {
            Err(invalid(format!("data.{key} must not be empty or blank.")))
        }
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid(format!("data.{key} must be a string."))),
    }
}

/// An optional string field: absent is `None`; `null` is refused (the spec declares no field
/// nullable, and a client that sends one has a bug the answer should show).
pub(crate) fn optional_string<'a>(
    data: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, ApiError> {
    match data.get(key) {
        None => Ok(None),
        Some(Value::Null) => Err(invalid(format!(
            "data.{key} must be a string, not null; leave it out when there is none."
        ))),
        Some(_) => required_string(data, key).map(Some),
    }
}

/// An optional boolean field; `null` is refused.
pub(crate) fn optional_bool(
    data: &Map<String, Value>,
    key: &str,
) -> Result<Option<bool>, ApiError> {
    match data.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(invalid(format!("data.{key} must be true or false."))),
    }
}

/// Whether a list of ids may be left out, and what to say when it is given empty.
#[derive(Clone, Copy)]
pub(crate) enum IdList {
    /// Must be given, with at least one id.
    Required,
    /// May be left out; when given, the text says what leaving it out means.
    Optional(&'static str),
}

/// A list of ids, each a non-blank string. Given but empty, or `null`, is refused.
pub(crate) fn ids<'a>(
    data: &'a Map<String, Value>,
    key: &str,
    list: IdList,
) -> Result<Option<Vec<&'a str>>, ApiError> {
    let items = match (data.get(key), list) {
        (None, IdList::Optional(_)) => return Ok(None),
        (None, IdList::Required) => {
            return Err(invalid(format!(
                "data.{key} is required: a list of at least one id."
            )));
        }
        (Some(Value::Null), IdList::Required) => {
            return Err(invalid(format!(
                "data.{key} must be a list of at least one id, not null."
            )));
        }
        (Some(Value::Null), IdList::Optional(absent)) => {
            return Err(invalid(format!(
                "data.{key} must be a list of ids, not null (null is not the same as leaving it out, which {absent})."
            )));
        }
        (Some(Value::Array(items)), _) => items,
        (Some(_), _) => return Err(invalid(format!("data.{key} must be an array of strings."))),
    };
    if items.is_empty() {
        return Err(invalid(match list {
            IdList::Required => format!("data.{key} must name at least one id."),
            IdList::Optional(absent) => format!(
                "data.{key} must name at least one id (leaving it out, which {absent}, is not the same as an empty list)."
            ),
        }));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) if !is_blank(s) => Ok(s.as_str()),
            Value::String(_) => Err(invalid(format!(
                "data.{key}[{i}] must not be empty or blank."
            ))),
            _ => Err(invalid(format!("data.{key}[{i}] must be a string."))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Refuses more than [`MAX_IDS`] ids, as Velt documents for its look-up calls.
pub(crate) fn at_most_30(key: &str, ids: &Option<Vec<&str>>) -> Result<(), ApiError> {
    match ids {
        Some(ids) if ids.len() > MAX_IDS => Err(invalid(format!(
            "data.{key} accepts at most {MAX_IDS} ids; got {}.",
            ids.len()
        ))),
        _ => Ok(()),
    }
}

/// `pageSize` of the v2 list calls: a whole number of at least 1 (very large ones are
/// simply "everything").
pub(crate) fn page_size(data: &Map<String, Value>) -> Result<u64, ApiError> {
    let refuse =
        || invalid("data.pageSize must be a whole number from 1 to 9223372036854775807 (int64).");
    match data.get("pageSize") {
        None => Ok(DEFAULT_LIST_PAGE_SIZE),
        // The spec says int64: a size beyond it is refused, not read as "all".
        Some(Value::Number(n)) => match n.as_u64() {
            Some(size) if size >= 1 && size <= i64::MAX as u64 => Ok(size),
            _ => Err(refuse()),
        },
        Some(_) => Err(refuse()),
    }
}

/// The offset a v2 list page starts at: 0, or the one its token was issued for (the token
/// is bound to the request's filters, `scope`).
pub(crate) fn list_offset(
    seed: u64,
    data: &Map<String, Value>,
    scope: u64,
    total: usize,
) -> Result<usize, ApiError> {
    match optional_string(data, "pageToken")? {
        None => Ok(0),
        Some(t) => token::decode_offset(seed, scope, t)
            .and_then(|offset| usize::try_from(offset).ok())
            .filter(|&offset| offset < total)
            .ok_or_else(|| {
                invalid("data.pageToken is not a page token of a request with these filters.")
            }),
    }
}

/// The filters of a v2 list request (every field but the page size and token), hashed: a
/// token is only good for the same filters.
pub(crate) fn filter_scope(operation: u64, data: &Map<String, Value>) -> u64 {
    let mut filters = data.clone();
    filters.remove("pageToken");
    filters.remove("pageSize");
    hash(&[operation, hash_str(&Value::Object(filters).to_string())])
}

/// `start..end` of a page of `total` entries, and the token of the next page if any.
pub(crate) fn list_page(
    seed: u64,
    scope: u64,
    offset: usize,
    size: u64,
    total: usize,
) -> (std::ops::Range<usize>, Option<String>) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let end = offset.saturating_add(size).min(total);
    let next = (end < total).then(|| token::encode_offset(seed, scope, end as u64));
    (offset..end, next)
}
