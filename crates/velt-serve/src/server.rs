//! The HTTP server: `GET /healthz` and `POST /transcend/webhook`, with the worker behind it.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use axum::{
    Json, Router,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::{
    config::Config,
    error::{Error, Result},
    job::{Job, JobDir, Outcome, Stage},
    transcend::{self, Refusal, Transcend},
    worker::Worker,
};

/// The running worker: listening, and working on its jobs in the background. Dropping it
/// stops both (each job's lock is released; a new server takes the jobs up where they
/// stood).
pub struct Server {
    addr: SocketAddr,
    worker: Arc<Worker>,
    serve: tokio::task::JoinHandle<()>,
    resumed: usize,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("cases_dir", &self.worker.cases_dir)
            .finish_non_exhaustive()
    }
}

struct AppState {
    cases_dir: PathBuf,
    max_body_bytes: usize,
    transcend: Option<Arc<Transcend>>,
    worker: Arc<Worker>,
}

impl Server {
    /// Reads the secrets, binds `config.listen` (port 0 for any free port), and takes up
    /// every open job under `cases_dir`.
    ///
    /// It needs tokio's multi-thread runtime (the jobs run on worker threads made blocking:
    /// [`tokio::task::block_in_place`]); on another runtime it refuses to start.
    pub async fn start(config: Config) -> Result<Server> {
        if tokio::runtime::Handle::current().runtime_flavor()
            != tokio::runtime::RuntimeFlavor::MultiThread
        {
            return Err(Error::Config(
                "velt serve needs tokio's multi-thread runtime".into(),
            ));
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = velt_api::Client::builder()
            .api_key(config.velt.api_key.read()?.expose_secret())
            .auth_token(config.velt.auth_token.read()?.expose_secret());
        if let Some(url) = &config.velt.base_url {
            builder = builder.base_url(url);
        }
        let client = builder.build()?;
        let transcend = config
            .transcend
            .as_ref()
            .map(Transcend::new)
            .transpose()?
            .map(Arc::new);
        std::fs::create_dir_all(&config.cases_dir)
            .map_err(|e| Error::io(&config.cases_dir, "cannot create the cases folder", e))?;
        let worker = Arc::new(Worker::new(
            config.cases_dir.clone(),
            client,
            transcend.clone(),
            &config,
        ));
        let state = Arc::new(AppState {
            cases_dir: config.cases_dir.clone(),
            max_body_bytes: config.max_body_bytes,
            transcend,
            worker: Arc::clone(&worker),
        });
        let app = Router::new()
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/transcend/webhook", post(transcend_webhook))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| Error::io(PathBuf::from(config.listen.to_string()), "cannot listen", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io(PathBuf::from(config.listen.to_string()), "cannot listen", e))?;
        let serve = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the server stopped");
            }
        });
        let resumed = worker.resume();
        tracing::info!(%addr, resumed, "velt serve listening");
        Ok(Server {
            addr,
            worker,
            serve,
            resumed,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many open jobs were taken up at start.
    pub fn resumed(&self) -> usize {
        self.resumed
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.serve.abort();
        self.worker.stop();
    }
}

/// `POST /transcend/webhook`: the token first (nothing else is read without it), then the
/// body, then the job: new (200, worked on in the background) or sent again (its state).
async fn transcend_webhook(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(adapter) = state.transcend.as_deref() else {
        return (StatusCode::NOT_FOUND, "Transcend is not configured\n").into_response();
    };
    let token = headers.get("x-sombra-token").and_then(|v| v.to_str().ok());
    match adapter.verify(token).await {
        Ok(()) => {}
        Err(Refusal::Unauthorized) => {
            return (StatusCode::UNAUTHORIZED, "You are not Transcend!\n").into_response();
        }
        Err(Refusal::KeyUnavailable) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot fetch Transcend's signing key; try again\n",
            )
                .into_response();
        }
    }
    let Ok(bytes) = axum::body::to_bytes(body, state.max_body_bytes).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is unreadable or over {} bytes\n",
                state.max_body_bytes
            ),
        )
            .into_response();
    };
    let hook = match transcend::parse_webhook(&bytes) {
        Ok(hook) => hook,
        Err(why) => return (StatusCode::BAD_REQUEST, format!("{why}\n")).into_response(),
    };
    let dir = JobDir::of(&state.cases_dir, transcend::PLATFORM, &hook.request_id);
    let nonce = headers
        .get("x-transcend-nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let job = Job {
        platform: transcend::PLATFORM.to_owned(),
        request_id: hook.request_id,
        kind: hook.kind,
        subject: hook.subject,
        nonce,
        is_test: hook.is_test,
        received_at: Utc::now(),
        stage: Stage::Received,
        outcome: None,
        erasures_planned: None,
        message: None,
    };
    match dir.create(&job) {
        Ok(true) => {
            tracing::info!(job = %dir.dir().display(), kind = ?job.kind, "job received");
            state.worker.spawn(dir);
            (StatusCode::OK, Json(json!({ "stage": Stage::Received }))).into_response()
        }
        Ok(false) => answer_again(&state, dir),
        Err(e) => {
            tracing::error!(error = %e, "cannot keep the job");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot keep the job\n").into_response()
        }
    }
}

/// A job sent again: its state, and the worker on it if it is not done (nothing is started
/// twice).
fn answer_again(state: &AppState, dir: JobDir) -> Response {
    let Ok(job) = dir.load() else {
        // Being created by the first request right now.
        return (StatusCode::OK, Json(json!({ "stage": Stage::Received }))).into_response();
    };
    if job.stage != Stage::Done {
        state.worker.spawn(dir);
    }
    if job.outcome == Some(Outcome::NotFound) {
        return StatusCode::NO_CONTENT.into_response();
    }
    (
        StatusCode::OK,
        Json(json!({ "stage": job.stage, "outcome": job.outcome, "message": job.message })),
    )
        .into_response()
}
