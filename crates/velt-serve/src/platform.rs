//! What a platform adapter does for the worker: turn where a job stands into the platform's
//! answers, and send one answer. The worker and the outbox know nothing else of a platform;
//! each adapter (Transcend, Ketch, Fides) also takes its own inbound route
//! (`Intake`, in the server module).

use std::{future::Future, path::Path, pin::Pin};

use crate::{
    error::Result,
    job::Job,
    outbox::{Answer, Attempt},
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
