//! The outbox of a job: every answer to the platform is written into the job's folder
//! (`outbox/NNNN.json`) before it is sent, then sent in order, each attempt a line in the
//! case's event log (`answer` steps), retried with growing pauses until the platform
//! acknowledges it (2xx) or says it no longer wants it (Transcend's 409: the job is done or
//! revoked; Fides's 400: the task no longer waits). A worker that stops takes the outbox up
//! where it stood.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::json;
use velt_case::CaseFolder;

use crate::{
    config::OutboxConfig,
    error::{Error, Result},
    job::{self, Job, JobDir},
    platform::Platform,
};

pub use crate::platform::{Answer, Attempt};

/// Where an answer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Delivery {
    /// Not acknowledged yet.
    Pending,
    /// The platform acknowledged it.
    Acknowledged,
    /// The platform said it no longer wants it.
    NoLongerWanted,
}

/// `outbox/NNNN.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Its place in the outbox, from 1.
    pub seq: u32,
    /// The answer.
    pub answer: Answer,
    /// Where it stands.
    pub delivery: Delivery,
    /// Attempts so far.
    pub attempts: u32,
    /// The platform's last HTTP status.
    pub last_status: Option<u16>,
}

/// Writes `answers` into the outbox after the entries there, as pending.
pub fn push(job: &JobDir, answers: Vec<Answer>) -> Result<()> {
    let dir = job.outbox_dir();
    job::create_private_dir(&dir)?;
    let mut seq = entries(job)?.last().map_or(0, |(_, e)| e.seq);
    for answer in answers {
        seq += 1;
        let entry = Entry {
            seq,
            answer,
            delivery: Delivery::Pending,
            attempts: 0,
            last_status: None,
        };
        save(&dir.join(file_name(seq)), &entry)?;
    }
    Ok(())
}

/// Every entry of the outbox, in order.
pub fn entries(job: &JobDir) -> Result<Vec<(PathBuf, Entry)>> {
    let dir = job.outbox_dir();
    let Ok(read) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = read
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, "cannot read", e))?;
            let entry: Entry = serde_json::from_slice(&bytes).map_err(|e| {
                Error::io(
                    &path,
                    "not an outbox entry",
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
                )
            })?;
            Ok((path, entry))
        })
        .collect()
}

/// Delivers every pending answer in order, each until acknowledged or no longer wanted,
/// pausing as `retry` says between failed attempts; every attempt is logged in the case and
/// shown to `attempted` (the worker counts them for `/metrics`).
pub async fn deliver(
    job: &JobDir,
    record: &Job,
    platform: &dyn Platform,
    retry: &OutboxConfig,
    attempted: &(dyn Fn(&Attempt) + Sync),
) -> Result<()> {
    // The case is opened once, for every attempt's line in its event log.
    let mut case: Option<CaseFolder> = None;
    for (path, mut entry) in entries(job)? {
        let mut failures = 0;
        while entry.delivery == Delivery::Pending {
            let attempt = match &entry.answer.file {
                None => platform.send(&entry.answer, record).await,
                Some(file) => {
                    let answer = Answer {
                        file: Some(job.case_dir().join(file).to_string_lossy().into_owned()),
                        ..entry.answer.clone()
                    };
                    platform.send(&answer, record).await
                }
            };
            entry.attempts += 1;
            attempted(&attempt);
            let (status, outcome, why) = match &attempt {
                Attempt::Acknowledged(s) => (Some(*s), "acknowledged", None),
                Attempt::NoLongerWanted(s) => (Some(*s), "no longer wanted", None),
                Attempt::Failed(s, why) => (*s, "failed", Some(why.clone())),
            };
            entry.last_status = status;
            match attempt {
                Attempt::Acknowledged(_) => entry.delivery = Delivery::Acknowledged,
                Attempt::NoLongerWanted(_) => entry.delivery = Delivery::NoLongerWanted,
                Attempt::Failed(..) => failures += 1,
            }
            save(&path, &entry)?;
            let case = match &mut case {
                Some(case) => case,
                None => case.insert(CaseFolder::open(&job.case_dir())?),
            };
            case.log(
                "answer",
                json!({
                    "seq": entry.seq,
                    "what": entry.answer.what,
                    "method": entry.answer.method,
                    "path": logged_path(&entry.answer.path),
                    "attempt": entry.attempts,
                    "status": status,
                    "outcome": outcome,
                    "error": why,
                }),
            )?;
            if entry.delivery == Delivery::Pending {
                let pause = retry.pause(failures);
                tracing::info!(job = %job.dir().display(), seq = entry.seq, attempt = entry.attempts, ?pause, "answer not delivered; retrying");
                tokio::time::sleep(pause).await;
            }
        }
    }
    Ok(())
}

/// The path of an answer as the event log keeps it: a callback URL the platform sent (which
/// may carry a token in its query) only up to its path.
fn logged_path(path: &str) -> &str {
    let end = path.find(['?', '#']).unwrap_or(path.len());
    &path[..end]
}

fn file_name(seq: u32) -> String {
    format!("{seq:04}.json")
}

fn save(path: &std::path::Path, entry: &Entry) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(entry).map_err(|e| {
        Error::io(
            path,
            "cannot serialize",
            std::io::Error::other(e.to_string()),
        )
    })?;
    job::write_private(path, &bytes)
}
