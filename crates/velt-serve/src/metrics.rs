//! What the worker shows operators: `GET /metrics` in Prometheus's text format, and one
//! tracing span per inbound request.
//!
//! ```text
//! velt_serve_requests_total{platform,route,status}   counter: every HTTP request answered
//! velt_serve_jobs{platform,stage}                    gauge: the job folders by stage
//! velt_serve_callbacks_pending{platform}             gauge: outbox answers not delivered yet
//! velt_serve_answer_attempts_total{platform,outcome} counter: attempts to send an answer
//!                                                    (acknowledged, no_longer_wanted, failed)
//! velt_serve_step_failures_total{platform}           counter: a job's step that failed (and
//!                                                    is tried again after a pause)
//! ```
//!
//! The request counter and the span come from one middleware over the whole router
//! ([`observe`]), so an adapter's routes are counted without edits: `platform` is the first
//! segment of the matched route when it names a configured platform (`/transcend/webhook`),
//! `none` otherwise; `route` is the route as declared (`unmatched` for a path no route takes),
//! so a caller cannot grow the labels. The counters count since the process started.
//!
//! The two gauges are read from the job folders when scraped (each `job.json`, and the
//! outbox of the jobs not done), at most once every [`SCAN_TTL`]: a scrape within it gets
//! the last reading. Nothing of a case is shown: no request id, subject, nonce or data.
//!
//! The span (`request`) carries `platform`, `route`, `method` and a request id made here
//! (16 hex digits, also sent back as `x-request-id`); the request's own headers and body are
//! never in it. It ends with one event: the status and the time taken.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use tracing::Instrument;

use crate::{
    job::{self, JobDir, Stage},
    outbox::{self, Attempt, Delivery},
};

/// How long a reading of the job folders is reused.
pub const SCAN_TTL: Duration = Duration::from_secs(2);

/// Every stage, in the order shown.
const STAGES: [(Stage, &str); 4] = [
    (Stage::Received, "received"),
    (Stage::Waiting, "waiting"),
    (Stage::Reporting, "reporting"),
    (Stage::Done, "done"),
];

/// The worker's counters, and the folder the gauges are read from.
pub(crate) struct Metrics {
    cases_dir: PathBuf,
    platforms: Vec<&'static str>,
    requests: Mutex<BTreeMap<(&'static str, String, u16), u64>>,
    attempts: Mutex<BTreeMap<(String, &'static str), u64>>,
    step_failures: Mutex<BTreeMap<String, u64>>,
    scan: Mutex<Option<(Instant, Arc<Scan>)>>,
}

/// One reading of the job folders.
#[derive(Default)]
struct Scan {
    /// (platform, stage) -> jobs.
    jobs: BTreeMap<(String, &'static str), u64>,
    /// platform -> answers pending.
    pending: BTreeMap<String, u64>,
}

impl Metrics {
    /// Counters at zero for the configured `platforms`, gauges read from `cases_dir`.
    pub(crate) fn new(cases_dir: PathBuf, platforms: Vec<&'static str>) -> Metrics {
        Metrics {
            cases_dir,
            platforms,
            requests: Mutex::default(),
            attempts: Mutex::default(),
            step_failures: Mutex::default(),
            scan: Mutex::default(),
        }
    }

    /// One attempt to send an answer of `platform`.
    pub(crate) fn answer_attempt(&self, platform: &str, attempt: &Attempt) {
        let outcome = match attempt {
            Attempt::Acknowledged(_) => "acknowledged",
            Attempt::NoLongerWanted(_) => "no_longer_wanted",
            Attempt::Failed(..) => "failed",
        };
        *lock(&self.attempts)
            .entry((platform.to_owned(), outcome))
            .or_default() += 1;
    }

    /// A job's step that failed, for the job in folder `job` (`<platform>-<id>`).
    pub(crate) fn step_failure(&self, job: &JobDir) {
        let platform = platform_of_folder(job.dir());
        *lock(&self.step_failures).entry(platform).or_default() += 1;
    }

    fn request(&self, platform: &'static str, route: String, status: StatusCode) {
        *lock(&self.requests)
            .entry((platform, route, status.as_u16()))
            .or_default() += 1;
    }

    /// The platform of a route: its first segment when that names a configured platform.
    fn platform_of_route(&self, route: &str) -> &'static str {
        let first = route
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        self.platforms
            .iter()
            .copied()
            .find(|p| *p == first)
            .unwrap_or("none")
    }

    /// The job folders' reading, at most [`SCAN_TTL`] old.
    fn scan(&self) -> Arc<Scan> {
        let mut cached = lock(&self.scan);
        if let Some((at, scan)) = cached.as_ref()
            && at.elapsed() < SCAN_TTL
        {
            return Arc::clone(scan);
        }
        let scan = Arc::new(scan_jobs(&self.cases_dir));
        *cached = Some((Instant::now(), Arc::clone(&scan)));
        scan
    }

    /// The exposition, in Prometheus's text format (version 0.0.4).
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "velt_serve_requests_total",
            "counter",
            "HTTP requests answered, by platform (none for routes of no platform), route and status.",
        );
        for ((platform, route, status), n) in lock(&self.requests).iter() {
            sample(
                &mut out,
                "velt_serve_requests_total",
                &[
                    ("platform", platform),
                    ("route", route),
                    ("status", &status.to_string()),
                ],
                *n,
            );
        }
        let scan = self.scan();
        family(
            &mut out,
            "velt_serve_jobs",
            "gauge",
            "Jobs in the cases folder, by platform and stage (read at most every 2 seconds).",
        );
        let mut jobs: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
        for platform in &self.platforms {
            for (_, stage) in STAGES {
                jobs.insert(((*platform).to_owned(), stage), 0);
            }
        }
        jobs.extend(scan.jobs.iter().map(|(k, v)| (k.clone(), *v)));
        for ((platform, stage), n) in &jobs {
            sample(
                &mut out,
                "velt_serve_jobs",
                &[("platform", platform), ("stage", stage)],
                *n,
            );
        }
        family(
            &mut out,
            "velt_serve_callbacks_pending",
            "gauge",
            "Answers to the platform in the outboxes of open jobs, not delivered yet.",
        );
        let mut pending: BTreeMap<String, u64> = self
            .platforms
            .iter()
            .map(|p| ((*p).to_owned(), 0))
            .collect();
        pending.extend(scan.pending.iter().map(|(k, v)| (k.clone(), *v)));
        for (platform, n) in &pending {
            sample(
                &mut out,
                "velt_serve_callbacks_pending",
                &[("platform", platform)],
                *n,
            );
        }
        family(
            &mut out,
            "velt_serve_answer_attempts_total",
            "counter",
            "Attempts to send an answer to the platform, by outcome (acknowledged, no_longer_wanted, failed).",
        );
        for ((platform, outcome), n) in lock(&self.attempts).iter() {
            sample(
                &mut out,
                "velt_serve_answer_attempts_total",
                &[("platform", platform), ("outcome", outcome)],
                *n,
            );
        }
        family(
            &mut out,
            "velt_serve_step_failures_total",
            "counter",
            "Steps of a job that failed and are tried again after a pause.",
        );
        for (platform, n) in lock(&self.step_failures).iter() {
            sample(
                &mut out,
                "velt_serve_step_failures_total",
                &[("platform", platform)],
                *n,
            );
        }
        out
    }
}

/// Wraps every route of `app` (and the fallback) in the request span and counter, and adds
/// `GET /metrics` when `serve_metrics`.
pub(crate) fn observe(app: Router, metrics: &Arc<Metrics>, serve_metrics: bool) -> Router {
    let app = if serve_metrics {
        let m = Arc::clone(metrics);
        app.route(
            "/metrics",
            get(move || {
                let m = Arc::clone(&m);
                async move {
                    // The reading walks folders: off the async threads.
                    match tokio::task::spawn_blocking(move || m.render()).await {
                        Ok(text) => (
                            [(
                                header::CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8",
                            )],
                            text,
                        )
                            .into_response(),
                        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    }
                }
            }),
        )
    } else {
        app
    };
    app.layer(middleware::from_fn_with_state(Arc::clone(metrics), track))
}

/// The middleware: the span, the answer, the count.
async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let platform = metrics.platform_of_route(&route);
    let id = request_id();
    let span = tracing::info_span!(
        "request",
        platform,
        route = %route,
        method = %request.method(),
        request_id = %id,
    );
    let start = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.in_scope(|| {
        if platform == "none" {
            tracing::debug!(status = status.as_u16(), ms, "answered");
        } else {
            tracing::info!(status = status.as_u16(), ms, "answered");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    metrics.request(platform, route, status);
    response
}

/// 16 random hex digits (a counter when the system's random source fails).
fn request_id() -> String {
    use ring::rand::SecureRandom;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut bytes = [0u8; 8];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        bytes = COUNTER
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_be_bytes();
    }
    bytes.iter().fold(String::with_capacity(16), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The jobs under `cases_dir` by platform and stage, and the pending answers of the open
/// ones. Folders without a readable `job.json` are left out.
fn scan_jobs(cases_dir: &Path) -> Scan {
    let mut scan = Scan::default();
    let Ok(entries) = std::fs::read_dir(cases_dir) else {
        return scan;
    };
    for entry in entries.flatten() {
        let dir = JobDir::at(entry.path());
        if !entry.path().join(job::JOB_FILE).is_file() {
            continue;
        }
        let Ok(record) = dir.load() else {
            continue;
        };
        let stage = STAGES
            .iter()
            .find(|(s, _)| *s == record.stage)
            .map_or("unknown", |(_, name)| name);
        *scan
            .jobs
            .entry((record.platform.clone(), stage))
            .or_default() += 1;
        if record.stage != Stage::Done {
            let pending = outbox::entries(&dir)
                .map(|entries| {
                    entries
                        .iter()
                        .filter(|(_, e)| e.delivery == Delivery::Pending)
                        .count()
                })
                .unwrap_or(0);
            *scan.pending.entry(record.platform).or_default() += pending as u64;
        }
    }
    scan
}

/// The platform of a job folder `<platform>-<id>`.
fn platform_of_folder(dir: &Path) -> String {
    dir.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('-').next())
        .unwrap_or("unknown")
        .to_owned()
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape(help, false));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v, true)))
        .collect();
    let _ = writeln!(out, "{name}{{{}}} {value}", labels.join(","));
}

/// Escapes a label value (`\`, `"`, line feed) or a HELP text (`\`, line feed).
fn escape(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quotes => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        sample(&mut out, "m", &[("a", "x\"y\\z\nw")], 3);
        assert_eq!(out, "m{a=\"x\\\"y\\\\z\\nw\"} 3\n");
        assert_eq!(escape("a\"b", false), "a\"b", "HELP keeps quotes");
    }

    #[test]
    fn routes_name_their_platform_and_unknown_ones_none() {
        let metrics = Metrics::new(PathBuf::from("/nowhere"), vec!["transcend"]);
        assert_eq!(metrics.platform_of_route("/transcend/webhook"), "transcend");
        assert_eq!(metrics.platform_of_route("/healthz"), "none");
        assert_eq!(metrics.platform_of_route("unmatched"), "none");
        assert_eq!(
            platform_of_folder(Path::new("/c/transcend-req-1")),
            "transcend"
        );
        let id = request_id();
        assert_eq!(id.len(), 16);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
        assert_ne!(id, request_id());
        let text = metrics.render();
        assert!(
            text.contains("velt_serve_jobs{platform=\"transcend\",stage=\"done\"} 0"),
            "{text}"
        );
        assert!(text.contains("# TYPE velt_serve_step_failures_total counter"));
    }
}
