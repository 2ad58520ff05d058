//! What a platform adapter does for the worker: turn where a job stands into the platform's
//! answers, and send one answer. The worker and the outbox know nothing else of a platform;
//! each adapter (Transcend, Ketch, Fides) also takes its own inbound route
//! (`Intake`, in the server module).

use std::{future::Future, path::Path, pin::Pin};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    error::{Error, Result},
    job::Job,
};

/// A boxed future that can move between threads.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where an erasure stands, for the platform's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErasureState {
    /// Velt's deletion jobs run; the result follows.
    Waiting,
    /// Erased and verified, for this many Velt users.
    Resolved {
        /// The Velt users erased (one person may be a user in several organizations).
        users: usize,
    },
    /// Velt holds nobody with the job's identifier: nothing to erase.
    NotFound,
    /// Something remains for a person to do; the message says what.
    ActionRequired,
}

/// The HTTP client an adapter answers with: 60 s a call, no redirect followed (an answer
/// goes only where the config or the request named).
pub(crate) fn http_client() -> Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// Whether a secret a request carries is the configured one, in constant time: their
/// SHA-256 digests are compared whole, so that neither the bytes nor the length show in the
/// time taken.
pub(crate) fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let a = ring::digest::digest(&ring::digest::SHA256, given);
    let b = ring::digest::digest(&ring::digest::SHA256, expected);
    a.as_ref()
        .iter()
        .zip(b.as_ref())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A platform the worker answers.
pub trait Platform: Send + Sync {
    /// Its name, as in job folders and `job.json` (`transcend`, `ketch`, `fides`).
    fn name(&self) -> &'static str;

    /// The answers of an access request whose case (in `case_dir`) is complete: the data of
    /// every store of the case, then the completion.
    fn access_answers(&self, job: &Job, case_dir: &Path) -> Result<Vec<Answer>>;

    /// The answers of an access request for a person Velt does not hold.
    fn access_not_found(&self, job: &Job) -> Vec<Answer>;

    /// The answers saying where an erasure stands, with `message` in words.
    fn erasure_answers(&self, job: &Job, state: ErasureState, message: &str) -> Vec<Answer>;

    /// Sends one answer of `job` (with the job's token or callbacks for answers).
    fn send<'a>(&'a self, answer: &'a Answer, job: &'a Job) -> BoxFuture<'a, Attempt>;
}

/// One answer to the platform: a call to make, with its body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// `POST` or `PUT`.
    pub method: String,
    /// The path under the platform's base URL (`/v1/data-silo`), or the whole URL of a
    /// callback the request named (Ketch's, Fides's).
    pub path: String,
    /// The JSON body (for an answer with a `file`, what the adapter needs to send it, such
    /// as the datapoint's name).
    pub body: Value,
    /// A file of the case sent as the body instead (Transcend's `/v1/datapoint`): its path
    /// relative to the case folder when in the outbox; [`crate::outbox::deliver`] hands the adapter the
    /// whole path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// What it is, in words (for the event log: never the data).
    pub what: String,
}

/// How one attempt went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Acknowledged, with the status.
    Acknowledged(u16),
    /// The platform no longer wants it, with the status.
    NoLongerWanted(u16),
    /// Not delivered: the status when there was one, and why in words (no secret).
    Failed(Option<u16>, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
