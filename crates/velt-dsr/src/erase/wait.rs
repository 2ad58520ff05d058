//! Waiting for several deletion jobs under one deadline, riding out outages, with the
//! poller's intervals ([`PollOptions::default`], chosen and explained in one place:
//! `velt_api::deletion::PollOptions`).

use std::time::{Duration, Instant};

use velt_api::{
    Client,
    deletion::{DeletionStatus, PollEvent, PollOptions, WaitOutcome},
};

use crate::{
    error::Result,
    event::{Event, Events},
};

/// Why a wait stopped before every job completed.
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitStop {
    /// The deadline passed: `job_id` was not complete yet, after `waited` in all.
    DeadlinePassed {
        /// The job waited on when the time ran out.
        job_id: String,
        /// Time waited across every job.
        waited: Duration,
        /// Tasks Velt said were left, when it said.
        tasks_left: Option<i64>,
    },
    /// The poller ended in a way this version does not know (its outcome, in words).
    Other {
        /// The job.
        job_id: String,
        /// The outcome, in words.
        what: String,
    },
    /// A status call failed for good (credentials refused, an answer that makes no sense, a
    /// job Velt does not know: [`velt_api::Error::is_not_found`]).
    Failed {
        /// The job.
        job_id: String,
        /// Its users.
        user_ids: Vec<String>,
        /// Why.
        error: velt_api::Error,
    },
}

/// Polls each job of `jobs` (id and users) in turn until it completes, under one deadline
/// for them all (`poll.deadline`, counted from the call; each job gets what is left), calling `on_done` as each completes (to record it). Returns `None` when every
/// job completed, or why the wait stopped.
pub async fn until_all_done(
    client: &Client,
    jobs: &[(String, Vec<String>)],
    poll: &PollOptions,
    events: Events<'_>,
    mut on_done: impl FnMut(&str, &DeletionStatus) -> Result<()>,
) -> Result<Option<WaitStop>> {
    let started = Instant::now();
    for (job_id, user_ids) in jobs {
        let left = poll.deadline.saturating_sub(started.elapsed());
        let outcome = client
            .poll_deletion(
                job_id,
                PollOptions {
                    deadline: left,
                    ..poll.clone()
                },
            )
            .until_done(|event| match event {
                PollEvent::Status(status) => events(Event::JobStatus {
                    job_id: job_id.clone(),
                    status: status.clone(),
                }),
                PollEvent::Retrying {
                    error,
                    attempt,
                    next_in,
                    waited,
                } => events(Event::StatusRetrying {
                    job_id: job_id.clone(),
                    error: error.to_string(),
                    attempt: *attempt,
                    next_in: *next_in,
                    waited: *waited,
                }),
                PollEvent::Warning(warning) => events(Event::JobWarning {
                    job_id: job_id.clone(),
                    warning: warning.to_string(),
                }),
                _ => {}
            })
            .await;
        match outcome {
            Ok(WaitOutcome::Completed(status)) => on_done(job_id, &status)?,
            Ok(WaitOutcome::DeadlinePassed { tasks_left, .. }) => {
                return Ok(Some(WaitStop::DeadlinePassed {
                    job_id: job_id.clone(),
                    waited: started.elapsed(),
                    tasks_left,
                }));
            }
            Ok(other) => {
                return Ok(Some(WaitStop::Other {
                    job_id: job_id.clone(),
                    what: other.to_string(),
                }));
            }
            Err(error) => {
                return Ok(Some(WaitStop::Failed {
                    job_id: job_id.clone(),
                    user_ids: user_ids.clone(),
                    error,
                }));
            }
        }
    }
    Ok(None)
}
