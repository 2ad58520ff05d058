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
    time::{Duration, Instant},
};

use futures::StreamExt;
use velt_fake::{
    FakeConfig,
    transcend::{Call, FakeTranscend},
};

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

    let transcend = background.handle().block_on(FakeTranscend::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        AUDIENCE,
    ))?;
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
sombra_url = "{transcend_url}"
audience = "{AUDIENCE}"
api_key = {{ file = "transcend-api-key" }}
"#,
            velt_url = fake.base_url(),
            transcend_url = transcend.url(),
        ),
    )?;
    let log = dir.join("worker.log");
    let worker_url = format!("http://127.0.0.1:{port}");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let send_all = |label: &'static str| {
        runtime.block_on(async {
            let answers: Vec<Option<u16>> = futures::stream::iter(jobs.iter())
                .map(|(id, kind, email)| {
                    let webhook = transcend.webhook(kind, id, email);
                    let mut request = http
                        .post(format!("{worker_url}/transcend/webhook"))
                        .json(&webhook.body);
                    for (name, value) in &webhook.headers {
                        request = request.header(*name, value);
                    }
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
        });
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
    send_all("sent");
    let deadline = started + Duration::from_secs(args.timeout_secs);
    let kill_when = (args.kill_at * jobs.len() as f64).ceil() as usize;
    let mut peaks = Vec::new();
    let mut worker = Some(worker);
    let mut killed_at = None;
    if args.kill_at <= 1.0 {
        while transcend.finished() < kill_when {
            if Instant::now() > deadline {
                return Err("timed out before the kill".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(w) = worker.take() {
            peaks.push(w.peak_rss_mib());
            w.kill()?;
        }
        let done = transcend.finished();
        killed_at = Some((started.elapsed(), done));
        println!(
            "killed (SIGKILL) at {:.1} s with {done} jobs answered",
            started.elapsed().as_secs_f64()
        );
        worker = Some(Worker::start(&velt, &config, &log)?);
        wait_healthy()?;
        send_all("sent again (a platform re-sending the jobs still open)");
    }
    while transcend.finished() < jobs.len() {
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

    let calls = transcend.jobs();
    let accepted_final = |calls: &[Call]| {
        calls
            .iter()
            .filter(|c| c.is_final() && c.status == 200)
            .count()
    };
    let lost: Vec<&str> = jobs
        .iter()
        .filter(|(id, ..)| calls.get(id).is_none_or(|c| accepted_final(c) == 0))
        .map(|(id, ..)| id.as_str())
        .collect();
    let mut deletions_of: HashMap<String, usize> = HashMap::new();
    for request in fake.deletion_requests() {
        for user in request {
            *deletions_of.entry(user).or_default() += 1;
        }
    }
    let deleted_twice = deletions_of.values().filter(|n| **n > 1).count();
    let finals_twice = calls.values().filter(|c| accepted_final(c) > 1).count();
    let answered_again: usize = calls
        .values()
        .map(|c| c.iter().filter(|c| c.status == 409).count())
        .sum();
    let datapoints_again: usize = calls
        .values()
        .map(|c| {
            let pages: Vec<String> = c
                .iter()
                .filter(|c| c.path == "/v1/datapoint-chunked")
                .map(|c| format!("{} {}", c.body["dataPointName"], c.body["fileId"]))
                .collect();
            let distinct: HashSet<&String> = pages.iter().collect();
            pages.len() - distinct.len()
        })
        .sum();
    let status_of = |c: &Call| c.body["status"].as_str().unwrap_or("").to_owned();
    let waiting_first = jobs
        .iter()
        .filter(|(_, kind, _)| *kind == "ERASURE")
        .filter(|(id, ..)| {
            calls
                .get(id)
                .and_then(|c| c.first())
                .is_some_and(|c| status_of(c) == "WAITING")
        })
        .count();
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for c in calls.values() {
        if let Some(last) = c.iter().find(|c| c.is_final() && c.status == 200) {
            *outcomes.entry(status_of(last)).or_default() += 1;
        }
    }
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
