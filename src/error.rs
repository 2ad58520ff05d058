//! The one error type of the crate, and the pieces it is made of.

use std::{fmt, time::Duration};

use reqwest::StatusCode;

/// The Velt operation a call or an error belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Get All User Data, `POST /v2/users/data/get`.
    GetAllUserData,
    /// Delete All User Data, `POST /v2/users/data/delete`.
    DeleteAllUserData,
    /// Get Delete All User Data Status, `POST /v2/users/data/delete/status`.
    GetDeleteAllUserDataStatus,
    /// Get Users (v1), `POST /v1/users/get`.
    GetUsers,
    /// Get Organizations, `POST /v2/organizations/get`.
    GetOrganizations,
    /// Get Users (v2), `POST /v2/users/get`.
    GetUsersV2,
    /// Get Activity Logs, `POST /v2/activities/get`.
    GetActivities,
    /// Delete Activity Logs, `POST /v2/activities/delete`.
    DeleteActivities,
    /// Get Permissions, `POST /v2/auth/permissions/get`.
    GetPermissions,
    /// Get Reviewer Profile (AI Memory), `POST /v2/memory/profiles/get`.
    GetReviewerProfile,
    /// Query Judgments (AI Memory), `POST /v2/memory/judgments/query`.
    QueryJudgments,
    /// Get Notification Config, `POST /v2/notifications/config/get`.
    GetNotificationConfig,
}

impl Operation {
    /// Every operation, in the order of the documentation.
    pub const ALL: [Operation; 12] = [
        Operation::GetAllUserData,
        Operation::DeleteAllUserData,
        Operation::GetDeleteAllUserDataStatus,
        Operation::GetUsers,
        Operation::GetOrganizations,
        Operation::GetUsersV2,
        Operation::GetActivities,
        Operation::DeleteActivities,
        Operation::GetPermissions,
        Operation::GetReviewerProfile,
        Operation::QueryJudgments,
        Operation::GetNotificationConfig,
    ];

    /// The operationId in `openapi/velt.yaml`, e.g. `getAllUserData`.
    pub fn operation_id(self) -> &'static str {
        match self {
            Operation::GetAllUserData => "getAllUserData",
            Operation::DeleteAllUserData => "deleteAllUserData",
            Operation::GetDeleteAllUserDataStatus => "getDeleteAllUserDataStatus",
            Operation::GetUsers => "getUsers",
            Operation::GetOrganizations => "getOrganizations",
            Operation::GetUsersV2 => "getUsersV2",
            Operation::GetActivities => "getActivities",
            Operation::DeleteActivities => "deleteActivities",
            Operation::GetPermissions => "getPermissions",
            Operation::GetReviewerProfile => "getReviewerProfile",
            Operation::QueryJudgments => "queryJudgments",
            Operation::GetNotificationConfig => "getNotificationConfig",
        }
    }

    /// The operation progenitor's `OperationInfo` names: the generated method's name, the
    /// operationId in snake case (`get_all_user_data`).
    pub(crate) fn from_generated(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|operation| {
            let id = operation.operation_id();
            let mut snake = String::with_capacity(id.len() + 4);
            for c in id.chars() {
                if c.is_ascii_uppercase() {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            snake == name
        })
    }

    /// The path of the endpoint, e.g. `/v2/users/data/get`.
    pub fn path(self) -> &'static str {
        match self {
            Operation::GetAllUserData => "/v2/users/data/get",
            Operation::DeleteAllUserData => "/v2/users/data/delete",
            Operation::GetDeleteAllUserDataStatus => "/v2/users/data/delete/status",
            Operation::GetUsers => "/v1/users/get",
            Operation::GetOrganizations => "/v2/organizations/get",
            Operation::GetUsersV2 => "/v2/users/get",
            Operation::GetActivities => "/v2/activities/get",
            Operation::DeleteActivities => "/v2/activities/delete",
            Operation::GetPermissions => "/v2/auth/permissions/get",
            Operation::GetReviewerProfile => "/v2/memory/profiles/get",
            Operation::QueryJudgments => "/v2/memory/judgments/query",
            Operation::GetNotificationConfig => "/v2/notifications/config/get",
        }
    }

    /// Whether sending the call twice is harmless. The deletions are not: a second Delete
    /// All User Data starts a second job, and a Delete Activity Logs whose outcome is unknown
    /// is not sent again blindly (its answer, per id, is the only record of what was deleted).
    pub fn is_idempotent(self) -> bool {
        !matches!(
            self,
            Operation::DeleteAllUserData | Operation::DeleteActivities
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}

/// Velt's `error.status` string, parsed.
///
/// Velt uses the canonical (gRPC-style) code names. Strings that are not one of them are kept
/// as [`ApiStatus::Unknown`], so nothing the server said is lost.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiStatus {
    /// `CANCELLED`
    Cancelled,
    /// `INVALID_ARGUMENT`: the request was malformed; fix it before sending again.
    InvalidArgument,
    /// `DEADLINE_EXCEEDED`: Velt ran out of time; retried.
    DeadlineExceeded,
    /// `NOT_FOUND`
    NotFound,
    /// `ALREADY_EXISTS`
    AlreadyExists,
    /// `PERMISSION_DENIED`: the credentials may not do this.
    PermissionDenied,
    /// `RESOURCE_EXHAUSTED`: a quota or rate limit; retried.
    ResourceExhausted,
    /// `FAILED_PRECONDITION`
    FailedPrecondition,
    /// `ABORTED`
    Aborted,
    /// `OUT_OF_RANGE`
    OutOfRange,
    /// `UNIMPLEMENTED`
    Unimplemented,
    /// `INTERNAL`: a server fault; retried.
    Internal,
    /// `UNAVAILABLE`: the service is down for a moment; retried.
    Unavailable,
    /// `DATA_LOSS`
    DataLoss,
    /// `UNAUTHENTICATED`: the API key or auth token is missing or wrong.
    Unauthenticated,
    /// Any other string, `UNKNOWN` included, exactly as received.
    Unknown(String),
}

impl ApiStatus {
    /// Parses Velt's status string; never fails.
    pub fn parse(status: &str) -> ApiStatus {
        match status {
            "CANCELLED" => ApiStatus::Cancelled,
            "INVALID_ARGUMENT" => ApiStatus::InvalidArgument,
            "DEADLINE_EXCEEDED" => ApiStatus::DeadlineExceeded,
            "NOT_FOUND" => ApiStatus::NotFound,
            "ALREADY_EXISTS" => ApiStatus::AlreadyExists,
            "PERMISSION_DENIED" => ApiStatus::PermissionDenied,
            "RESOURCE_EXHAUSTED" => ApiStatus::ResourceExhausted,
            "FAILED_PRECONDITION" => ApiStatus::FailedPrecondition,
            "ABORTED" => ApiStatus::Aborted,
            "OUT_OF_RANGE" => ApiStatus::OutOfRange,
            "UNIMPLEMENTED" => ApiStatus::Unimplemented,
            "INTERNAL" => ApiStatus::Internal,
            "UNAVAILABLE" => ApiStatus::Unavailable,
            "DATA_LOSS" => ApiStatus::DataLoss,
            "UNAUTHENTICATED" => ApiStatus::Unauthenticated,
            other => ApiStatus::Unknown(other.to_owned()),
        }
    }

    /// The string as Velt writes it.
    pub fn as_str(&self) -> &str {
        match self {
            ApiStatus::Cancelled => "CANCELLED",
            ApiStatus::InvalidArgument => "INVALID_ARGUMENT",
            ApiStatus::DeadlineExceeded => "DEADLINE_EXCEEDED",
            ApiStatus::NotFound => "NOT_FOUND",
            ApiStatus::AlreadyExists => "ALREADY_EXISTS",
            ApiStatus::PermissionDenied => "PERMISSION_DENIED",
            ApiStatus::ResourceExhausted => "RESOURCE_EXHAUSTED",
            ApiStatus::FailedPrecondition => "FAILED_PRECONDITION",
            ApiStatus::Aborted => "ABORTED",
            ApiStatus::OutOfRange => "OUT_OF_RANGE",
            ApiStatus::Unimplemented => "UNIMPLEMENTED",
            ApiStatus::Internal => "INTERNAL",
            ApiStatus::Unavailable => "UNAVAILABLE",
            ApiStatus::DataLoss => "DATA_LOSS",
            ApiStatus::Unauthenticated => "UNAUTHENTICATED",
            ApiStatus::Unknown(other) => other,
        }
    }

    /// Velt's guidance: retry INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiStatus::Internal
                | ApiStatus::Unavailable
                | ApiStatus::DeadlineExceeded
                | ApiStatus::ResourceExhausted
        )
    }
}

impl fmt::Display for ApiStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a paginated call stopped with an error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaginationError {
    /// The server handed back a page token it had already given: following it would loop.
    RepeatedToken {
        /// How many pages had been read when the repeat was seen.
        pages_read: usize,
    },
    /// The caller's page cap was reached while the server still offered more pages.
    PageCapReached {
        /// The cap that was reached.
        max_pages: usize,
    },
}

/// What kind of failure an [`Error`] is; see [`Error::kind`].
///
/// Code usually asks the predicates instead ([`Error::is_retryable`], [`Error::is_auth`],
/// [`Error::is_not_found`], ...); the kind is for a `match` that wants every case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Velt answered with its error envelope (`{"error": {"status", "message", ...}}`):
    /// [`Error::api_status`], [`Error::api_code`], [`Error::message`], [`Error::details`].
    Api,
    /// An HTTP error whose body is not Velt's envelope: empty, HTML from a proxy, or another
    /// status than the spec lists (a redirect, for one: redirects are never followed).
    /// [`Error::body`] has the start of the body.
    Http,
    /// No answer within the operation's timeout ([`Error::timeout`]).
    Timeout,
    /// The connection failed or broke off ([`Error::is_unsent`] when it was never made).
    Transport,
    /// A success answer that does not match the documented shape ([`Error::decode_reason`]).
    Decode,
    /// The answer was larger than the client's size limit ([`Error::size_limit`]).
    TooLarge,
    /// The input was refused before any request was sent ([`Error::message`]).
    InvalidInput,
    /// Following the server's page tokens would not end ([`Error::pagination`]).
    Pagination,
    /// The client could not be built: missing credentials, a bad base URL, and the like.
    Config,
}

/// Everything that can go wrong in this crate: one opaque type with a [`kind`](Error::kind)
/// and predicates, in the manner of google-cloud-rust's `gax` error.
///
/// Display gives one line that names the operation, the HTTP status, Velt's status string,
/// code and message, and what to do where there is something to do. The accessors answer the
/// questions code usually asks: [`Error::is_retryable`], [`Error::http_status`],
/// [`Error::api_status`]. No error ever holds the API key or the auth token.
///
/// Outcomes of a workflow that are not failures of a call (a wait that reached its deadline,
/// a deletion of which only some batches were sent, data left after an erasure) are not
/// errors: they are results of their own ([`crate::deletion::WaitOutcome`],
/// [`crate::deletion::Deletion`], [`crate::deletion::ErasureCheck`]).
///
/// The client does no file I/O, so no error is about a file: a failure to write an export
/// into the caller's writer is an [`crate::export::WriteError::Output`], apart from this type.
pub struct Error(Box<Repr>, Attempts);

/// How many attempts the call that ended in an error made: 0 until the transport counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Attempts(u32);

#[derive(Debug, thiserror::Error)]
pub(crate) enum Repr {
    #[error("{operation}: HTTP {http_status}, Velt status {status}{code}: {message}", code = fmt_code(*.code))]
    Api {
        operation: Operation,
        http_status: StatusCode,
        status: ApiStatus,
        code: Option<i64>,
        message: String,
        details: Option<serde_json::Value>,
        retry_after: Option<Duration>,
    },
    #[error(
        "{operation}: HTTP {http_status} without Velt's error envelope{}",
        fmt_snippet(body)
    )]
    Http {
        operation: Operation,
        http_status: StatusCode,
        body: String,
        retry_after: Option<Duration>,
    },
    #[error("{operation}: no answer within {}s; raise the timeout with ClientBuilder::timeout if Velt is slow", timeout.as_secs_f32())]
    Timeout {
        operation: Operation,
        timeout: Duration,
    },
    #[error("{operation}: {}: {}; check the network and the base URL", if *.connect { "could not connect" } else { "connection failed" }, error_chain(source))]
    Transport {
        operation: Operation,
        connect: bool,
        #[source]
        source: reqwest::Error,
    },
    #[error(
        "{operation}: HTTP {http_status} answer does not match the documented shape ({reason}){}",
        fmt_snippet(body)
    )]
    Decode {
        operation: Operation,
        http_status: StatusCode,
        reason: String,
        body: String,
    },
    #[error(
        "{operation}: HTTP {http_status} answer larger than the limit of {limit} bytes; raise ClientBuilder::max_response_bytes if Velt's pages really are this big"
    )]
    TooLarge {
        operation: Operation,
        http_status: StatusCode,
        limit: u64,
    },
    #[error("{operation}: invalid input, nothing was sent: {message}")]
    InvalidInput {
        operation: Operation,
        message: String,
    },
    #[error("{operation}: {} stopped: {}", if *.operation == Operation::GetAllUserData { "export" } else { "listing" }, fmt_pagination(kind))]
    Pagination {
        operation: Operation,
        kind: PaginationError,
    },
    #[error("client configuration: {0}")]
    Config(String),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl From<Repr> for Error {
    fn from(repr: Repr) -> Self {
        Error(Box::new(repr), Attempts::default())
    }
}

/// The crate's `Result`, with [`Error`] as the error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes, joined: reqwest's own message ("error sending request") says
/// little without them.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn fmt_code(code: Option<i64>) -> String {
    code.map(|c| format!(" (code {c})")).unwrap_or_default()
}

fn fmt_snippet(body: &str) -> String {
    if body.trim().is_empty() {
        " (empty body)".to_owned()
    } else {
        format!("; body starts: {}", body.trim())
    }
}

fn fmt_pagination(kind: &PaginationError) -> String {
    match kind {
        PaginationError::RepeatedToken { pages_read } => format!(
            "the server repeated a page token after {pages_read} pages; following it would loop forever"
        ),
        PaginationError::PageCapReached { max_pages } => format!(
            "the page cap of {max_pages} pages was reached and the server still offers more; raise the cap"
        ),
    }
}

// Constructors, for the crate's own use.
impl Error {
    pub(crate) fn invalid_input(operation: Operation, message: impl Into<String>) -> Error {
        Repr::InvalidInput {
            operation,
            message: message.into(),
        }
        .into()
    }

    /// The same error, noting that the call made `attempts` attempts in all.
    pub(crate) fn after_attempts(mut self, attempts: u32) -> Error {
        self.1 = Attempts(attempts);
        self
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Repr::Config(message.into()).into()
    }

    pub(crate) fn paging(operation: Operation, kind: PaginationError) -> Error {
        Repr::Pagination { operation, kind }.into()
    }

    pub(crate) fn decode(
        operation: Operation,
        http_status: StatusCode,
        reason: String,
        body: String,
    ) -> Error {
        Repr::Decode {
            operation,
            http_status,
            reason,
            body,
        }
        .into()
    }
}

// What callers ask.
impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match &*self.0 {
            Repr::Api { .. } => ErrorKind::Api,
            Repr::Http { .. } => ErrorKind::Http,
            Repr::Timeout { .. } => ErrorKind::Timeout,
            Repr::Transport { .. } => ErrorKind::Transport,
            Repr::Decode { .. } => ErrorKind::Decode,
            Repr::TooLarge { .. } => ErrorKind::TooLarge,
            Repr::InvalidInput { .. } => ErrorKind::InvalidInput,
            Repr::Pagination { .. } => ErrorKind::Pagination,
            Repr::Config(_) => ErrorKind::Config,
        }
    }

    /// The operation the error belongs to, when it belongs to one.
    pub fn operation(&self) -> Option<Operation> {
        match &*self.0 {
            Repr::Api { operation, .. }
            | Repr::Http { operation, .. }
            | Repr::Timeout { operation, .. }
            | Repr::Transport { operation, .. }
            | Repr::Decode { operation, .. }
            | Repr::TooLarge { operation, .. }
            | Repr::InvalidInput { operation, .. }
            | Repr::Pagination { operation, .. } => Some(*operation),
            Repr::Config(_) => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<StatusCode> {
        match &*self.0 {
            Repr::Api { http_status, .. }
            | Repr::Http { http_status, .. }
            | Repr::Decode { http_status, .. }
            | Repr::TooLarge { http_status, .. } => Some(*http_status),
            _ => None,
        }
    }

    /// The HTTP status of the answer as a number (e.g. `404`), when there was one; no need
    /// to depend on the `http` crate for it ([`crate::StatusCode`] is re-exported too).
    ///
    /// ```
    /// # async fn run(client: velt_api::Client) {
    /// if let Err(e) = client.deletion_status("job-1").await {
    ///     match e.http_status_code() {
    ///         Some(404) => println!("no such job"),
    ///         Some(code) => println!("HTTP {code}: {e}"),
    ///         None => println!("no answer: {e}"),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn http_status_code(&self) -> Option<u16> {
        self.http_status().map(|status| status.as_u16())
    }

    /// Velt's status string, when the answer carried its error envelope.
    pub fn api_status(&self) -> Option<&ApiStatus> {
        match &*self.0 {
            Repr::Api { status, .. } => Some(status),
            _ => None,
        }
    }

    /// Velt's `error.code`, when the answer had one (it may disagree with the HTTP status).
    pub fn api_code(&self) -> Option<i64> {
        match &*self.0 {
            Repr::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// Velt's `error.details`, when present.
    pub fn details(&self) -> Option<&serde_json::Value> {
        match &*self.0 {
            Repr::Api { details, .. } => details.as_ref(),
            _ => None,
        }
    }

    /// The message: Velt's `error.message` for [`ErrorKind::Api`], what was wrong with the
    /// input for [`ErrorKind::InvalidInput`], what was refused for [`ErrorKind::Config`].
    pub fn message(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Api { message, .. } | Repr::InvalidInput { message, .. } => Some(message),
            Repr::Config(message) => Some(message),
            _ => None,
        }
    }

    /// The start of the answer's body (at most 512 bytes, lossily decoded), for
    /// [`ErrorKind::Http`] and [`ErrorKind::Decode`].
    pub fn body(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Http { body, .. } | Repr::Decode { body, .. } => Some(body),
            _ => None,
        }
    }

    /// What did not fit the documented shape, from the JSON decoder ([`ErrorKind::Decode`]).
    pub fn decode_reason(&self) -> Option<&str> {
        match &*self.0 {
            Repr::Decode { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The timeout that passed ([`ErrorKind::Timeout`]).
    pub fn timeout(&self) -> Option<Duration> {
        match &*self.0 {
            Repr::Timeout { timeout, .. } => Some(*timeout),
            _ => None,
        }
    }

    /// The size limit an answer passed ([`ErrorKind::TooLarge`]).
    pub fn size_limit(&self) -> Option<u64> {
        match &*self.0 {
            Repr::TooLarge { limit, .. } => Some(*limit),
            _ => None,
        }
    }

    /// Why a paginated call stopped ([`ErrorKind::Pagination`]).
    pub fn pagination(&self) -> Option<&PaginationError> {
        match &*self.0 {
            Repr::Pagination { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// The `Retry-After` the server sent, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match &*self.0 {
            Repr::Api { retry_after, .. } | Repr::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether trying the same call again may succeed: 429, 500, 502, 503 and 504, Velt's
    /// INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED, timeouts and broken
    /// connections. The client already retries these within its [`crate::RetryPolicy`];
    /// this tells whether a failure that got through is worth another go later.
    pub fn is_retryable(&self) -> bool {
        match &*self.0 {
            Repr::Api {
                http_status,
                status,
                ..
            } => status.is_retryable() || is_retryable_http(*http_status),
            Repr::Http { http_status, .. } => is_retryable_http(*http_status),
            Repr::Timeout { .. } | Repr::Transport { .. } => true,
            _ => false,
        }
    }

    /// True when the request certainly never reached the server, so that even a deletion
    /// can be sent again safely.
    pub fn is_unsent(&self) -> bool {
        matches!(&*self.0, Repr::Transport { connect: true, .. })
    }

    /// True when the request certainly started nothing at Velt: it was never sent (the
    /// connection could not be made), or Velt refused it unprocessed with a rate limit (HTTP
    /// 429 or `RESOURCE_EXHAUSTED`). Such a failure of even a deletion is retried within the
    /// [`crate::RetryPolicy`].
    pub fn is_not_processed(&self) -> bool {
        self.is_unsent()
            || self.http_status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self.api_status() == Some(&ApiStatus::ResourceExhausted)
    }

    /// True when the request may have reached Velt and no answer says what became of it: a
    /// timeout, a connection that broke after the request was sent, a 5xx (other than a rate
    /// limit), or a success status whose body could not be read. For a deletion this means
    /// the job may have started: check (export the user again) before sending it again.
    pub fn is_outcome_unknown(&self) -> bool {
        if self.is_not_processed() {
            return false;
        }
        match &*self.0 {
            Repr::Timeout { .. } | Repr::Transport { .. } => true,
            Repr::Api { http_status, .. } | Repr::Http { http_status, .. } => {
                http_status.is_server_error()
            }
            Repr::Decode { http_status, .. } | Repr::TooLarge { http_status, .. } => {
                http_status.is_success()
            }
            _ => false,
        }
    }

    /// How many attempts the call made before it ended in this error, the first included:
    /// 1 when it was not retried, 0 when nothing was sent (invalid input, configuration). Messages can say "after 3 attempts" only when that is true.
    pub fn attempts(&self) -> u32 {
        match &*self.0 {
            Repr::InvalidInput { .. } | Repr::Config(_) => 0,
            _ => self.1.0.max(1),
        }
    }

    /// True for a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(&*self.0, Repr::Timeout { .. })
    }

    /// True when the credentials were refused (HTTP 401 or 403, UNAUTHENTICATED or
    /// PERMISSION_DENIED).
    pub fn is_auth(&self) -> bool {
        matches!(
            self.api_status(),
            Some(ApiStatus::Unauthenticated | ApiStatus::PermissionDenied)
        ) || matches!(
            self.http_status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// True when Velt says what was asked for does not exist (NOT_FOUND): an unknown or
    /// expired job id, say.
    pub fn is_not_found(&self) -> bool {
        self.api_status() == Some(&ApiStatus::NotFound)
    }
}

pub(crate) fn is_retryable_http(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// At most `limit` bytes of `body`, decoded lossily and cut on a character boundary.
pub(crate) fn snippet(body: &[u8]) -> String {
    const LIMIT: usize = 512;
    let text = String::from_utf8_lossy(&body[..body.len().min(LIMIT)]);
    let mut text = text.into_owned();
    if body.len() > LIMIT {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_clients_operation_names_map_back() {
        assert_eq!(
            Operation::from_generated("get_all_user_data"),
            Some(Operation::GetAllUserData)
        );
        assert_eq!(
            Operation::from_generated("get_delete_all_user_data_status"),
            Some(Operation::GetDeleteAllUserDataStatus)
        );
        assert_eq!(Operation::from_generated("getUsers"), None);
        assert_eq!(
            Operation::from_generated("get_users_v2"),
            Some(Operation::GetUsersV2)
        );
        assert_eq!(
            Operation::from_generated("get_organizations"),
            Some(Operation::GetOrganizations)
        );
    }
}
