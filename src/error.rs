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
}

impl Operation {
    /// Every operation, in the order of the documentation.
    pub const ALL: [Operation; 4] = [
        Operation::GetAllUserData,
        Operation::DeleteAllUserData,
        Operation::GetDeleteAllUserDataStatus,
        Operation::GetUsers,
    ];

    /// The operationId in `openapi/velt.yaml`, e.g. `getAllUserData`.
    pub fn operation_id(self) -> &'static str {
        match self {
            Operation::GetAllUserData => "getAllUserData",
            Operation::DeleteAllUserData => "deleteAllUserData",
            Operation::GetDeleteAllUserDataStatus => "getDeleteAllUserDataStatus",
            Operation::GetUsers => "getUsers",
        }
    }

    /// The path of the endpoint, e.g. `/v2/users/data/get`.
    pub fn path(self) -> &'static str {
        match self {
            Operation::GetAllUserData => "/v2/users/data/get",
            Operation::DeleteAllUserData => "/v2/users/data/delete",
            Operation::GetDeleteAllUserDataStatus => "/v2/users/data/delete/status",
            Operation::GetUsers => "/v1/users/get",
        }
    }

    /// Whether sending the call twice is harmless. Only the deletion is not: a second request
    /// starts a second job.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Operation::DeleteAllUserData)
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

/// Why a paginated export stopped with an error.
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

/// Everything that can go wrong in this crate.
///
/// Display gives one line that names the operation, the HTTP status, Velt's status string,
/// code and message, and what to do where there is something to do. The accessors answer the
/// questions code usually asks: [`Error::is_retryable`], [`Error::http_status`],
/// [`Error::api_status`]. No variant ever holds the API key or the auth token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Velt answered with its error envelope (`{"error": {"status", "message", ...}}`).
    #[error("{operation}: HTTP {http_status}, Velt status {status}{code}: {message}", code = fmt_code(*.code))]
    Api {
        /// The call that failed.
        operation: Operation,
        /// The HTTP status of the answer.
        http_status: StatusCode,
        /// Velt's `error.status`.
        status: ApiStatus,
        /// Velt's `error.code`, when the answer had one (it may disagree with the HTTP status).
        code: Option<i64>,
        /// Velt's `error.message`.
        message: String,
        /// Velt's `error.details`, when present.
        details: Option<Box<serde_json::Value>>,
        /// How long the server asked us to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
    /// An HTTP error whose body is not Velt's envelope: empty, HTML from a proxy, or another
    /// status than the spec lists (a redirect, for one: redirects are never followed).
    #[error(
        "{operation}: HTTP {http_status} without Velt's error envelope{}",
        fmt_snippet(body)
    )]
    Http {
        /// The call that failed.
        operation: Operation,
        /// The HTTP status of the answer.
        http_status: StatusCode,
        /// The start of the body (at most 512 bytes, lossily decoded).
        body: String,
        /// How long the server asked us to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
    /// No answer within the operation's timeout.
    #[error("{operation}: no answer within {}s; raise the timeout with ClientBuilder::timeout if Velt is slow", timeout.as_secs_f32())]
    Timeout {
        /// The call that failed.
        operation: Operation,
        /// The timeout that passed.
        timeout: Duration,
    },
    /// The connection failed or broke off.
    #[error("{operation}: {}: {}; check the network and the base URL", if *.connect { "could not connect" } else { "connection failed" }, error_chain(source))]
    Transport {
        /// The call that failed.
        operation: Operation,
        /// True when the connection could not be made, so the request never left this machine.
        connect: bool,
        /// What reqwest reported. It names the URL, never a header.
        #[source]
        source: reqwest::Error,
    },
    /// A success answer that does not match the documented shape.
    #[error(
        "{operation}: HTTP {http_status} answer does not match the documented shape ({reason}){}",
        fmt_snippet(body)
    )]
    Decode {
        /// The call that failed.
        operation: Operation,
        /// The HTTP status of the answer.
        http_status: StatusCode,
        /// What did not fit, from the JSON decoder.
        reason: String,
        /// The start of the body (at most 512 bytes, lossily decoded).
        body: String,
    },
    /// The answer was larger than the client's size limit and was not read further.
    #[error(
        "{operation}: HTTP {http_status} answer larger than the limit of {limit} bytes; raise ClientBuilder::max_response_bytes if Velt's pages really are this big"
    )]
    TooLarge {
        /// The call that failed.
        operation: Operation,
        /// The HTTP status of the answer.
        http_status: StatusCode,
        /// The limit in force.
        limit: u64,
    },
    /// The input was refused before any request was sent.
    #[error("{operation}: invalid input, nothing was sent: {message}")]
    InvalidInput {
        /// The call that was refused.
        operation: Operation,
        /// What was wrong and how to fix it.
        message: String,
    },
    /// An export stopped because following the server's page tokens would not end.
    #[error("{operation}: export stopped: {}", fmt_pagination(kind))]
    Pagination {
        /// Always [`Operation::GetAllUserData`].
        operation: Operation,
        /// What happened.
        kind: PaginationError,
    },
    /// A deletion job was still running when the wait's deadline passed.
    #[error("deletion job {job_id} still running after {}s ({} tasks left); wait again or check later with its job id", waited.as_secs(), tasks_left.map_or_else(|| "unknown".to_owned(), |n| n.to_string()))]
    DeadlinePassed {
        /// The job that was being waited for.
        job_id: String,
        /// How long the wait lasted.
        waited: Duration,
        /// Tasks left at the last status seen.
        tasks_left: Option<i64>,
    },
    /// A deletion of more than 30 users was split into batches and a batch failed. The jobs
    /// of the batches before it are running; the users of the failed batch and those after
    /// it have not been sent.
    #[error("deletion incomplete: {} job(s) started ({}), {} user(s) not sent: {source}", started.len(), started.iter().map(|j| j.job_id.as_str()).collect::<Vec<_>>().join(", "), unsent_user_ids.len())]
    DeletionIncomplete {
        /// The jobs that were started, one per batch that got through.
        started: Vec<crate::DeletionJob>,
        /// The user ids whose deletion was not started; send them again.
        unsent_user_ids: Vec<String>,
        /// Why the failing batch failed.
        #[source]
        source: Box<Error>,
    },
    /// Reading or writing a local file or stream failed (an export's output, say).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The client could not be built: missing credentials, a bad base URL, and the like.
    #[error("client configuration: {0}")]
    Config(String),
}

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

impl Error {
    /// The operation the error belongs to, when it belongs to one.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::Api { operation, .. }
            | Error::Http { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Decode { operation, .. }
            | Error::TooLarge { operation, .. }
            | Error::InvalidInput { operation, .. }
            | Error::Pagination { operation, .. } => Some(*operation),
            Error::DeadlinePassed { .. } => Some(Operation::GetDeleteAllUserDataStatus),
            Error::DeletionIncomplete { .. } => Some(Operation::DeleteAllUserData),
            Error::Io { .. } | Error::Config(_) => None,
        }
    }

    pub(crate) fn io(context: &str, source: std::io::Error) -> Error {
        Error::Io {
            context: context.to_owned(),
            source,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { http_status, .. }
            | Error::Http { http_status, .. }
            | Error::Decode { http_status, .. }
            | Error::TooLarge { http_status, .. } => Some(*http_status),
            Error::DeletionIncomplete { source, .. } => source.http_status(),
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
        match self {
            Error::Api { status, .. } => Some(status),
            Error::DeletionIncomplete { source, .. } => source.api_status(),
            _ => None,
        }
    }

    /// The `Retry-After` the server sent, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } | Error::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether trying the same call again may succeed: 429, 500, 502, 503 and 504, Velt's
    /// INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED, timeouts and broken
    /// connections. The client already retries these within its [`crate::RetryPolicy`];
    /// this tells whether a failure that got through is worth another go later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api {
                http_status,
                status,
                ..
            } => status.is_retryable() || is_retryable_http(*http_status),
            Error::Http { http_status, .. } => is_retryable_http(*http_status),
            Error::Timeout { .. } | Error::Transport { .. } => true,
            _ => false,
        }
    }

    /// True when the request certainly never reached the server, so that even a deletion
    /// can be sent again safely.
    pub fn is_unsent(&self) -> bool {
        matches!(self, Error::Transport { connect: true, .. })
    }

    /// True for a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
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
