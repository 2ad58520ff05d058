//! `velt-bench serve`: many Transcend jobs sent at once to `velt serve` (the real binary, as a
//! child process) against the fake Velt with latency, with the worker killed (`SIGKILL`) in the
//! middle and started again; the platform then sends every job again, as Transcend re-sends
//! jobs still waiting. Measured: the time until every job has its final answer, the peak
//! resident memory of each run of the worker, and the jobs lost or done twice.
//!
//! - Lost: a job the worker accepted that never got its final answer (access: the completion
//!   `POST /v1/data-silo`; erasure: `RESOLVED` or `ACTION_REQUIRED`).
//! - Done twice: a second deletion request for a user at Velt, or a second final answer
//!   accepted by the platform (the fake answers 409 to it, as Transcend does).
//! - Counted apart, because the design allows them: answers sent again after the restart (the
//!   outbox delivers at least once) and access requests answered again from the start (an
//!   access deletes nothing; a half-written case is removed and redone).

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use futures::StreamExt;
use serde_json::{Value, json};
use velt_fake::{FakeConfig, sombra::Keys};

use crate::{find::peak_rss_mib_of, raw::BenchResult, server::Background};

const AUDIENCE: &str = "velt-bench";

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Jobs sent: half access, half erasure, each for another person.
    #[arg(long, default_value_t = 1_000)]
    jobs: usize,
    /// Latency the fake Velt adds to every answer, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// How long each task of a Velt deletion job takes, in milliseconds.
    #[arg(long, default_value_t = 2_000)]
    deletion_task_ms: u64,
    /// Kill the worker once this share of the jobs has its final answer (0 to 1; above 1:
    /// never).
    #[arg(long, default_value_t = 0.3)]
    kill_at: f64,
    /// Webhooks in flight at once (the rest wait for a connection).
    #[arg(long, default_value_t = 200)]
    in_flight: usize,
    /// The `velt` binary (default: beside this one).
    #[arg(long)]
    velt: Option<PathBuf>,
    /// Keep the worker's folder (cases, log) after a run that passed.
    #[arg(long)]
    keep: bool,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 1_800)]
    timeout_secs: u64,
}

/// What the fake Transcend recorded of one job (keyed by its nonce).
#[derive(Default)]
struct JobCalls {
    datapoints: usize,
    datapoint_pages: HashSet<String>,
    completions: usize,
    states: Vec<String>,
    finals: usize,
    conflicts: usize,
}

#[derive(Default)]
struct Platform {
    pem: String,
    jobs: Mutex<HashMap<String, JobCalls>>,
}

impl Platform {
    fn finished(&self) -> usize {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|j| j.finals > 0)
            .count()
    }
}

async fn public_key(State(platform): State<Arc<Platform>>) -> String {
    platform.pem.clone()
}

async fn record(
    State(platform): State<Arc<Platform>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let Some(nonce) = headers
        .get("x-transcend-nonce")
        .and_then(|v| v.to_str().ok())
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut jobs = platform.jobs.lock().unwrap_or_else(|e| e.into_inner());
    let job = jobs.entry(nonce.to_owned()).or_default();
    match (method.as_str(), uri.path()) {
        ("POST", "/v1/datapoint-chunked") => {
            job.datapoints += 1;
            job.datapoint_pages.insert(format!(
                "{} {}",
                body["dataPointName"].as_str().unwrap_or(""),
                body["fileId"].as_str().unwrap_or("")
            ));
        }
        ("POST", "/v1/data-silo") | ("PUT", "/v1/data-silo") => {
            let status = body["status"].as_str().unwrap_or("").to_owned();
            let last =
                method == Method::POST || status == "RESOLVED" || status == "ACTION_REQUIRED";
            if last && job.finals > 0 {
                job.conflicts += 1;
                return StatusCode::CONFLICT.into_response();
            }
            if method == Method::POST {
                job.completions += 1;
            }
            job.states.push(status);
            if last {
                job.finals += 1;
            }
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    }
    Json(json!({})).into_response()
}

/// One run of `velt serve`.
struct Worker {
    child: Child,
}

impl Worker {
    fn start(velt: &Path, config: &Path, log: &Path) -> BenchResult<Worker> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let child = Command::new(velt)
            .args(["serve", "--config"])
            .arg(config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", velt.display()))?;
        Ok(Worker { child })
    }

    fn peak_rss_mib(&self) -> f64 {
        peak_rss_mib_of(&self.child.id().to_string())
    }

    /// `SIGKILL`, as `kill -9`.
    fn kill(mut self) -> BenchResult<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

pub fn serve(args: &ServeArgs) -> BenchResult<()> {
    let velt = match &args.velt {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("velt"),
    };
    if !velt.is_file() {
        return Err(format!(
            "{} not found: build it (cargo build --release -p velt-cli) or pass --velt",
            velt.display()
        )
        .into());
    }
    let background = Background::new(2)?;
    let fake = background.fake(FakeConfig {
        organizations: 4,
        users: args.jobs.max(2),
        items_per_feature: 3,
        latency: Duration::from_millis(args.latency_ms),
        deletion_task_duration: Duration::from_millis(args.deletion_task_ms),
        gdpr_deletes_activities: true,
        ..FakeConfig::default()
    })?;
    let dataset = fake.dataset();
    let mut people: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for organization in dataset.organization_ids() {
        for user in dataset.users_of(&organization) {
            if seen.insert(user.email.to_ascii_lowercase()) {
                people.push(user.email);
            }
        }
    }
    people.truncate(args.jobs);
    let jobs: Vec<(String, &str, String)> = people
        .iter()
        .enumerate()
        .map(|(n, email)| {
            let kind = if n % 2 == 0 { "ACCESS" } else { "ERASURE" };
            (format!("bench-{n:05}"), kind, email.clone())
        })
        .collect();

    let keys = Keys::generate();
    let platform = Arc::new(Platform {
        pem: keys.public_pem.clone(),
        ..Platform::default()
    });
    let app = Router::new()
        .route("/public-keys/sombra-general-signing-key", get(public_key))
        .route("/v1/datapoint-chunked", post(record))
        .route("/v1/data-silo", post(record).put(record))
        .with_state(Arc::clone(&platform));
    let transcend_addr = background.handle().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok::<_, std::io::Error>(addr)
    })?;

    let dir = std::env::temp_dir().join(format!("velt-bench-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("velt-api-key"), fake.api_key())?;
    std::fs::write(dir.join("velt-auth-token"), fake.auth_token())?;
    std::fs::write(dir.join("transcend-api-key"), "bench-transcend-key")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = dir.join("serve.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{port}"
cases_dir = "cases"
job_threads = 2

[velt]
base_url = "{velt_url}"
api_key = {{ file = "velt-api-key" }}
auth_token = {{ file = "velt-auth-token" }}
concurrency = 4

[erasure]
wait_secs = 3600
poll_first_ms = 500
poll_max_ms = 2000

[outbox]
first_pause_ms = 200
max_pause_ms = 5000

[transcend]
sombra_url = "http://{transcend_addr}"
audience = "{AUDIENCE}"
api_key = {{ file = "transcend-api-key" }}
"#,
            velt_url = fake.base_url(),
        ),
    )?;
    let log = dir.join("worker.log");
    let worker_url = format!("http://127.0.0.1:{port}");
    let token = keys.token(&json!({
        "aud": AUDIENCE,
        "scope": "coreIdentifier",
        "exp": chrono::Utc::now().timestamp() + 7200,
    }));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let send_all = |label: &'static str| -> BenchResult<(usize, usize)> {
        runtime.block_on(async {
            let answers: Vec<Option<u16>> = futures::stream::iter(jobs.iter())
                .map(|(id, kind, email)| {
                    let request = http
                        .post(format!("{worker_url}/transcend/webhook"))
                        .header("x-sombra-token", &token)
                        .header("x-transcend-nonce", id)
                        .json(&json!({
                            "type": kind,
                            "isTest": false,
                            "extras": {
                                "profile": { "identifier": email, "type": "email" },
                                "request": { "id": id },
                            },
                        }));
                    async move { request.send().await.ok().map(|a| a.status().as_u16()) }
                })
                .buffer_unordered(args.in_flight.max(1))
                .collect()
                .await;
            let accepted = answers
                .iter()
                .filter(|s| matches!(s, Some(200 | 204)))
                .count();
            let failed = answers.len() - accepted;
            println!("{label}: {accepted} webhooks answered 200/204, {failed} not");
            Ok((accepted, failed))
        })
    };
    let wait_healthy = || -> BenchResult<()> {
        runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Ok(answer) = http.get(format!("{worker_url}/healthz")).send().await
                    && answer.status().is_success()
                {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    return Err("the worker did not answer /healthz within 30 s".into());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    println!(
        "serve: {} jobs ({} access, {} erasure) to `velt serve`, fake Velt with {} ms latency, deletion tasks of {} ms; kill -9 at {:.0}% answered",
        jobs.len(),
        jobs.len().div_ceil(2),
        jobs.len() / 2,
        args.latency_ms,
        args.deletion_task_ms,
        args.kill_at * 100.0
    );
    let worker = Worker::start(&velt, &config, &log)?;
    wait_healthy()?;
    let started = Instant::now();
    send_all("sent")?;
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let kill_when = (args.kill_at * jobs.len() as f64).ceil() as usize;
    let mut peaks = Vec::new();
    let mut worker = Some(worker);
    let mut killed_at = None;
    if args.kill_at <= 1.0 {
        while platform.finished() < kill_when {
            if Instant::now() > deadline {
                return Err("timed out before the kill".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(w) = worker.take() {
            peaks.push(w.peak_rss_mib());
            w.kill()?;
        }
        let done = platform.finished();
        killed_at = Some((started.elapsed(), done));
        println!(
            "killed (SIGKILL) at {:.1} s with {done} jobs answered",
            started.elapsed().as_secs_f64()
        );
        worker = Some(Worker::start(&velt, &config, &log)?);
        wait_healthy()?;
        send_all("sent again (a platform re-sending the jobs still open)")?;
    }
    while platform.finished() < jobs.len() {
        if Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = started.elapsed();
    if let Some(w) = worker.take() {
        peaks.push(w.peak_rss_mib());
        w.kill()?;
    }

    let calls = platform.jobs.lock().unwrap_or_else(|e| e.into_inner());
    let lost: Vec<&str> = jobs
        .iter()
        .filter(|(id, ..)| calls.get(id).is_none_or(|c| c.finals == 0))
        .map(|(id, ..)| id.as_str())
        .collect();
    let mut deletions_of: HashMap<String, usize> = HashMap::new();
    for request in fake.deletion_requests() {
        for user in request {
            *deletions_of.entry(user).or_default() += 1;
        }
    }
    let deleted_twice = deletions_of.values().filter(|n| **n > 1).count();
    let finals_twice = calls.values().filter(|c| c.finals > 1).count();
    let answered_again: usize = calls.values().map(|c| c.conflicts).sum();
    let datapoints_again: usize = calls
        .values()
        .map(|c| c.datapoints - c.datapoint_pages.len())
        .sum();
    let waiting_first = jobs
        .iter()
        .filter(|(_, kind, _)| *kind == "ERASURE")
        .filter(|(id, ..)| {
            calls
                .get(id)
                .is_some_and(|c| c.states.first().map(String::as_str) == Some("WAITING"))
        })
        .count();
    let outcomes: HashMap<&str, usize> = calls
        .values()
        .filter_map(|c| c.states.iter().rev().find(|s| *s != "WAITING"))
        .fold(HashMap::new(), |mut m, s| {
            *m.entry(s.as_str()).or_default() += 1;
            m
        });
    println!(
        "all answered in {:.1} s{}; peak RSS of the worker {}",
        wall.as_secs_f64(),
        killed_at.map_or(String::new(), |(t, n)| format!(
            " (killed at {:.1} s, {n} answered)",
            t.as_secs_f64()
        )),
        peaks
            .iter()
            .map(|p| format!("{p:.1} MiB"))
            .collect::<Vec<_>>()
            .join(" then ")
    );
    println!(
        "final answers: {outcomes:?}; erasures that said WAITING first: {waiting_first}; deletion requests at Velt: {}",
        fake.deletion_requests().len()
    );
    println!(
        "lost: {}; done twice: {} users deleted twice, {} jobs with two final answers accepted",
        lost.len(),
        deleted_twice,
        finals_twice
    );
    println!(
        "sent again by design: {answered_again} final answers (answered 409), {datapoints_again} datapoint pages"
    );
    println!("worker log and cases: {}", dir.display());
    if !lost.is_empty() || deleted_twice > 0 || finals_twice > 0 {
        return Err(format!(
            "{} lost (first: {:?}), {deleted_twice} deleted twice, {finals_twice} answered twice",
            lost.len(),
            lost.first()
        )
        .into());
    }
    if !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
