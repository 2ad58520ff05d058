//! What every request carries: the client's settings ([`Transport`]) with its credentials,
//! and the context of one attempt ([`CallContext`]), the generated client's inner value.
//! Nothing here sends anything; `transport/mod.rs` does.

use std::{
    fmt,
    sync::{Arc, OnceLock, atomic::AtomicBool},
    time::Duration,
};

use reqwest::{StatusCode, header::HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::{
    error::{Error, Operation, Result},
    retry::RetryPolicy,
};

/// The API key and auth token, ready to be sent.
///
/// Both are secrets: they are kept in [`SecretString`]s, their header values are marked
/// sensitive (so HTTP-level logging redacts them), and Debug prints neither.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) api_key: HeaderValue,
    pub(crate) auth_token: HeaderValue,
}

impl Credentials {
    pub(crate) fn new(api_key: &SecretString, auth_token: &SecretString) -> Result<Self> {
        Ok(Credentials {
            api_key: secret_header(api_key, "API key")?,
            auth_token: secret_header(auth_token, "auth token")?,
        })
    }
}

fn secret_header(secret: &SecretString, what: &str) -> Result<HeaderValue> {
    let text = secret.expose_secret().trim();
    if text.is_empty() {
        return Err(Error::config(format!(
            "the {what} is empty; pass the value from the Velt console"
        )));
    }
    let mut value = HeaderValue::from_str(text).map_err(|_| {
        Error::config(format!(
            "the {what} contains characters that cannot be sent in an HTTP header; copy it again from the Velt console"
        ))
    })?;
    value.set_sensitive(true);
    Ok(value)
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { api_key: [redacted], auth_token: [redacted] }")
    }
}

/// The settings a client was built with, shared by its clones, its exports and pollers, and
/// every attempt; what makes calls (`Transport::call`, in `transport/mod.rs`).
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) credentials: Credentials,
    pub(crate) user_agent: HeaderValue,
    /// The timeout of one attempt of each operation, in [`Operation::ALL`] order.
    pub(crate) timeouts: [Duration; Operation::ALL.len()],
    /// The timeout of an operation this version does not know by name.
    pub(crate) read_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: u64,
}

impl Transport {
    /// The timeout of one attempt of `operation`.
    pub(crate) fn timeout(&self, operation: Operation) -> Duration {
        self.timeouts[operation as usize]
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// The inner value of the generated client of one attempt: the client's settings and the
/// attempt's own record.
#[derive(Clone, Debug)]
pub(crate) struct CallContext {
    pub(crate) settings: Arc<Transport>,
    pub(crate) record: Arc<AttemptRecord>,
}

/// What the hooks learn about one attempt's answer that progenitor does not hand back.
#[derive(Debug, Default)]
pub(crate) struct AttemptRecord {
    /// The answer's head, noted before the generated code reads the body.
    pub(crate) head: OnceLock<Head>,
    /// Set when the body passed the size limit and was cut off.
    pub(crate) too_large: AtomicBool,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Head {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<Duration>,
}
