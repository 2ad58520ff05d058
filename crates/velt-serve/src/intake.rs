//! What every adapter's inbound route shares ([`Intake`]): where jobs go, the body limit, and
//! the worker that takes each new job; an adapter authenticates and reads its platform's
//! request, then hands the job here.

use std::{path::PathBuf, sync::Arc};

use axum::{
    body::{Body, Bytes},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::{
    error::{Error, Result},
    job::{Job, JobDir, Stage},
    worker::Worker,
};

/// What every adapter's inbound route shares: where jobs go, the body limit, the worker.
#[derive(Clone)]
pub(crate) struct Intake {
    cases_dir: PathBuf,
    max_body_bytes: usize,
    worker: Arc<Worker>,
}

/// What became of a job received.
pub(crate) enum Received {
    /// A new job: kept, and worked on in the background.
    New,
    /// The same job sent again, as it stands (worked on again if not done, never started
    /// twice).
    Again(Box<Job>),
    /// Being created by the first request right now.
    Racing,
}

impl Intake {
    /// Jobs under `cases_dir`, bodies up to `max_body_bytes`, new jobs to `worker`.
    pub(crate) fn new(cases_dir: PathBuf, max_body_bytes: usize, worker: Arc<Worker>) -> Intake {
        Intake {
            cases_dir,
            max_body_bytes,
            worker,
        }
    }

    /// Reads a body, refusing one over the limit (413, saying the limit).
    pub(crate) async fn body(&self, body: Body) -> std::result::Result<Bytes, Response> {
        axum::body::to_bytes(body, self.max_body_bytes)
            .await
            .map_err(|_| {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the body is unreadable or over {} bytes\n",
                        self.max_body_bytes
                    ),
                )
                    .into_response()
            })
    }

    /// The folder of `platform`'s request `request_id`.
    pub(crate) fn dir(&self, platform: &str, request_id: &str) -> JobDir {
        JobDir::of(&self.cases_dir, platform, request_id)
    }

    /// Keeps a job authenticated and read by its adapter: new, or the same sent again.
    pub(crate) fn receive(&self, job: Job) -> Result<Received> {
        self.keep(job, false).map(|(received, _)| received)
    }

    /// [`Intake::receive`], and for a new job how its search ends (`Some(false)`: Velt holds
    /// nobody), for an adapter that answers that at once.
    pub(crate) fn receive_watching(
        &self,
        job: Job,
    ) -> Result<(Received, Option<tokio::sync::watch::Receiver<Option<bool>>>)> {
        self.keep(job, true)
    }

    fn keep(
        &self,
        job: Job,
        watch: bool,
    ) -> Result<(Received, Option<tokio::sync::watch::Receiver<Option<bool>>>)> {
        let dir = self.dir(&job.platform, &job.request_id);
        if dir.create(&job)? {
            tracing::info!(job = %dir.dir().display(), platform = job.platform, kind = ?job.kind, "job received");
            // Watched before the job starts, so that the end of its search is never missed.
            let search = watch.then(|| self.worker.watch_search(&dir));
            self.worker.spawn(dir);
            return Ok((Received::New, search));
        }
        self.again(dir).map(|received| (received, None))
    }

    fn again(&self, dir: JobDir) -> Result<Received> {
        let Ok(job) = dir.load() else {
            return Ok(Received::Racing);
        };
        tracing::info!(job = %dir.dir().display(), stage = ?job.stage, "job sent again");
        if job.stage != Stage::Done {
            self.worker.spawn(dir);
        }
        Ok(Received::Again(Box::new(job)))
    }
}

/// A job that could not be kept: 500, with nothing of the body.
pub(crate) fn cannot_keep(e: &Error) -> Response {
    tracing::error!(error = %e, "cannot keep the job");
    (StatusCode::INTERNAL_SERVER_ERROR, "cannot keep the job\n").into_response()
}
