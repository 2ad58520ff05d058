//! The one place where requests leave: credentials, timeouts, retries, tracing, and the
//! translation of the generated client's errors into [`Error`].
//!
//! Each attempt of a call builds a generated [`generated::Client`] (cheap: it shares the
//! connection pool) around a [`CallContext`]. progenitor runs the context's hooks on every
//! request: `pre` attaches the credentials and the timeout, `exec` notes the HTTP status
//! before the generated code reads the body, because progenitor drops it when the body does
//! not decode.

use std::{
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::{
    StatusCode,
    header::{HeaderName, HeaderValue, USER_AGENT},
};
use serde::de::DeserializeOwned;
use tracing::{Instrument, field::Empty};

use crate::{
    Client, Error, Operation, client::Credentials, error::snippet, generated, retry,
    types::ErrorResponse,
};

const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-velt-api-key");
const AUTH_TOKEN_HEADER: HeaderName = HeaderName::from_static("x-velt-auth-token");
/// progenitor adds this header to every request; Velt does not document it, so it is removed.
const PROGENITOR_VERSION_HEADER: &str = "api-version";

/// What one attempt of a call carries into the generated client's hooks.
///
/// An implementation detail of [`crate::Client`], public only because the generated client
/// names it. Make calls through [`crate::Client`].
#[derive(Clone, Debug)]
pub struct CallContext {
    credentials: Credentials,
    user_agent: HeaderValue,
    timeout: Duration,
    max_response_bytes: u64,
    seen: Arc<Mutex<Option<Seen>>>,
    too_large: Arc<AtomicBool>,
}

/// What the `exec` hook notes from an answer's head, before the generated code reads the body
/// and, when the body is not Velt's envelope, drops the head.
#[derive(Clone, Copy, Debug)]
struct Seen {
    status: StatusCode,
    retry_after: Option<Duration>,
}

type BodyError = Box<dyn std::error::Error + Send + Sync>;

fn over_the_limit() -> BodyError {
    std::io::Error::other("answer larger than the size limit").into()
}

/// The body stream of an answer, cut off with an error once it passes the size limit, so
/// that a huge or endless answer never fills memory. An answer whose Content-Length already
/// passes the limit gets a body that fails at once, without waiting for a byte of it.
fn limit_body(
    response: reqwest::Response,
    limit: u64,
    too_large: Arc<AtomicBool>,
) -> reqwest::Response {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        too_large.store(true, Ordering::SeqCst);
        // Dropping `response` closes its connection: the body is never read.
        reqwest::Body::wrap_stream(futures::stream::once(async {
            Err::<bytes::Bytes, _>(over_the_limit())
        }))
    } else {
        let mut seen: u64 = 0;
        reqwest::Body::wrap_stream(response.bytes_stream().map(move |chunk| {
            let chunk = chunk?;
            seen += chunk.len() as u64;
            if seen > limit {
                too_large.store(true, Ordering::SeqCst);
                return Err(over_the_limit());
            }
            Ok::<_, BodyError>(chunk)
        }))
    };
    let mut limited = http::Response::new(body);
    *limited.status_mut() = status;
    *limited.version_mut() = version;
    *limited.headers_mut() = headers;
    reqwest::Response::from(limited)
}

impl ClientHooks<CallContext> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let context = self.inner();
        let headers = request.headers_mut();
        headers.remove(PROGENITOR_VERSION_HEADER);
        headers.insert(API_KEY_HEADER, context.credentials.api_key.clone());
        headers.insert(AUTH_TOKEN_HEADER, context.credentials.auth_token.clone());
        headers.insert(USER_AGENT, context.user_agent.clone());
        *request.timeout_mut() = Some(context.timeout);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let context = self.inner();
        let response = self.client().execute(request).await?;
        if let Ok(mut slot) = context.seen.lock() {
            *slot = Some(Seen {
                status: response.status(),
                retry_after: retry::retry_after(response.headers()),
            });
        }
        Ok(limit_body(
            response,
            context.max_response_bytes,
            Arc::clone(&context.too_large),
        ))
    }
}

/// The generated client's result for one attempt.
type Attempt<T> = Result<ResponseValue<T>, progenitor_client::Error<ErrorResponse>>;

impl Client {
    /// Sends one call, with retries, timeouts and tracing. `send` makes one attempt with the
    /// generated client it is given.
    pub(crate) async fn call<T, F, Fut>(&self, operation: Operation, send: F) -> Result<T, Error>
    where
        T: DeserializeOwned,
        F: Fn(generated::Client) -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let span = tracing::info_span!(
            "velt.call",
            operation = %operation,
            attempts = Empty,
            http.status = Empty,
            latency_ms = Empty,
        );
        async move {
            let started = Instant::now();
            let policy = &self.inner.retry;
            let timeout = self.timeout(operation);
            let mut attempt: u32 = 0;
            loop {
                attempt += 1;
                let seen_slot = Arc::new(Mutex::new(None));
                let too_large = Arc::new(AtomicBool::new(false));
                let context = CallContext {
                    credentials: self.inner.credentials.clone(),
                    user_agent: self.inner.user_agent.clone(),
                    timeout,
                    max_response_bytes: self.inner.max_response_bytes,
                    seen: Arc::clone(&seen_slot),
                    too_large: Arc::clone(&too_large),
                };
                let client = generated::Client::new_with_client(
                    &self.inner.base_url,
                    self.inner.http.clone(),
                    context,
                );
                let attempt_span = tracing::debug_span!(
                    "velt.attempt",
                    operation = %operation,
                    attempt,
                    http.status = Empty,
                    latency_ms = Empty,
                );
                let sent_at = Instant::now();
                let result = send(client).instrument(attempt_span.clone()).await;
                let head: Option<Seen> = seen_slot.lock().ok().and_then(|mut slot| slot.take());
                let seen = head.map(|head| head.status);
                let outcome = match result {
                    _ if too_large.load(Ordering::SeqCst) => Err(Error::TooLarge {
                        operation,
                        http_status: seen.unwrap_or(StatusCode::OK),
                        limit: self.inner.max_response_bytes,
                    }),
                    Ok(value) => Ok(value.into_inner()),
                    Err(error) => translate(operation, timeout, head, error).await,
                };
                // The attempt's span, and the call's span as of this attempt.
                let call_span = tracing::Span::current();
                if let Some(status) = seen {
                    attempt_span.record("http.status", status.as_u16());
                    call_span.record("http.status", status.as_u16());
                }
                attempt_span.record("latency_ms", sent_at.elapsed().as_millis() as u64);
                call_span.record("attempts", attempt);
                call_span.record("latency_ms", started.elapsed().as_millis() as u64);

                let error = match outcome {
                    Ok(value) => return Ok(value),
                    Err(error) => error,
                };
                if !policy.should_retry(operation, &error, attempt) {
                    return Err(error);
                }
                let wait = policy.backoff(attempt, error.retry_after());
                if !policy.within_budget(started.elapsed(), wait) {
                    tracing::debug!(%error, "retry budget spent");
                    return Err(error);
                }
                tracing::warn!(%error, attempt, wait_ms = wait.as_millis() as u64, "retrying");
                tokio::time::sleep(wait).await;
            }
        }
        .instrument(span)
        .await
    }
}

/// Turns what the generated client reported into the crate's error, keeping the HTTP status
/// that progenitor drops for bodies that do not decode. The one way back to success is a
/// documented body under an undocumented 2xx status (see [`unexpected`]).
async fn translate<T: DeserializeOwned>(
    operation: Operation,
    timeout: Duration,
    head: Option<Seen>,
    error: progenitor_client::Error<ErrorResponse>,
) -> Result<T, Error> {
    use progenitor_client::Error as Gen;
    Err(match error {
        Gen::ErrorResponse(value) => {
            let http_status = value.status();
            let retry_after = retry::retry_after(value.headers());
            let body = value.into_inner().error;
            Error::Api {
                operation,
                http_status,
                status: crate::ApiStatus::parse(&body.status),
                code: body.code,
                message: body.message,
                details: body.details.map(Box::new),
                retry_after,
            }
        }
        Gen::CommunicationError(source)
        | Gen::ResponseBodyError(source)
        | Gen::InvalidUpgrade(source) => transport_error(operation, timeout, source),
        Gen::InvalidResponsePayload(bytes, source) => {
            let http_status = head.map_or(StatusCode::OK, |head| head.status);
            if http_status.is_success() {
                Error::Decode {
                    operation,
                    http_status,
                    reason: decode_reason::<T>(&bytes, &source),
                    body: snippet(&bytes),
                }
            } else {
                // Not Velt's envelope: a proxy's page, say. Its Retry-After still counts.
                Error::Http {
                    operation,
                    http_status,
                    body: snippet(&bytes),
                    retry_after: head.and_then(|head| head.retry_after),
                }
            }
        }
        Gen::UnexpectedResponse(response) => return unexpected(operation, timeout, response).await,
        Gen::InvalidRequest(message) | Gen::Custom(message) => {
            Error::InvalidInput { operation, message }
        }
    })
}

fn transport_error(operation: Operation, timeout: Duration, source: reqwest::Error) -> Error {
    if source.is_timeout() && !source.is_connect() {
        Error::Timeout { operation, timeout }
    } else {
        Error::Transport {
            operation,
            connect: source.is_connect(),
            source: source.without_url(),
        }
    }
}

/// A status the spec does not list for the operation: a redirect, a 1xx, or a success code
/// other than the documented one.
async fn unexpected<T: DeserializeOwned>(
    operation: Operation,
    timeout: Duration,
    response: reqwest::Response,
) -> Result<T, Error> {
    let http_status = response.status();
    let retry_after = retry::retry_after(response.headers());
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = match response.bytes().await {
        Ok(bytes) => bytes,
        Err(source) => return Err(transport_error(operation, timeout, source)),
    };
    if http_status.is_redirection() {
        return Err(Error::Http {
            operation,
            http_status,
            body: format!(
                "redirect to {} not followed, so that the credentials stay with the configured host; set the base URL to the final address",
                location.as_deref().unwrap_or("an unnamed location")
            ),
            retry_after,
        });
    }
    if http_status.is_success() {
        // Velt has changed success codes before (201 became 202); a body of the documented
        // shape under another 2xx is accepted rather than failing a user's erasure.
        tracing::warn!(%operation, %http_status, "success status differs from the documented one");
        return serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            operation,
            http_status,
            reason: decode_reason::<T>(&bytes, &e),
            body: snippet(&bytes),
        });
    }
    Err(Error::Http {
        operation,
        http_status,
        body: snippet(&bytes),
        retry_after,
    })
}

/// Why `bytes` does not decode as `T`: the decoder's message, prefixed with the JSON path of
/// the field that did not fit (`result.data.tasksLeft: invalid type: ...`) when there is one.
/// Runs only on failure, decoding the body a second time to find the path.
pub(crate) fn decode_reason<T: DeserializeOwned>(
    bytes: &[u8],
    error: &serde_json::Error,
) -> String {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(located) if located.path().iter().next().is_some() => {
            format!("at {}: {}", located.path(), located.inner())
        }
        _ => error.to_string(),
    }
}
