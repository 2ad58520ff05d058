//! What operators see: `/metrics` after Jane's access request (and a job whose step fails),
//! the logs of a whole access run with no secret or identifier in them, and HTTPS.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::Value;
use velt_serve::{
    Server,
    config::TlsConfig,
    job::{Job, JobDir, JobKind, Outcome, Stage},
};

use crate::common::{self, API_KEY, FakeTranscend, JANE, NONCE, Velt, post_webhook, webhook};

async fn get(url: &str) -> (u16, String) {
    common::tls();
    let answer = reqwest::get(url).await.expect("the server answers");
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap_or_default())
}

/// The value of the sample `series` (name and labels, as rendered) in `text`.
fn value(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Scrapes until `series` reads `want` (the job gauges are read at most every 2 seconds).
async fn scrape_until(url: &str, series: &str, want: u64) -> String {
    let start = Instant::now();
    loop {
        let (status, text) = get(url).await;
        assert_eq!(status, 200);
        if value(&text, series) == Some(want) {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{series} never read {want}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_requests_jobs_answers_and_failed_steps_and_show_no_case_data() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("metrics");
    let config = common::config(&dir, &velt, &transcend);
    // A job of a platform the config has no table for: its step fails, again and again.
    let stray = JobDir::of(&config.cases_dir, "nowhere", "stray-1");
    let record = Job::new(
        "nowhere",
        "stray-1".into(),
        JobKind::Access,
        velt_api::search::Subject::email("stray@example.com"),
    );
    assert!(stray.create(&record).expect("a stray job"));
    let server = Server::start(config).await.expect("the server starts");
    let base = server.url();
    let metrics = format!("{base}/metrics");

    let body = webhook("ACCESS", "req-metrics-1", JANE);
    let (status, _) = post_webhook(&server, Some(&transcend.keys.good_token()), &body).await;
    assert_eq!(status, 200);
    let (status, _) = post_webhook(&server, Some("not-a-token"), &body).await;
    assert_eq!(status, 401);
    assert_eq!(get(&format!("{base}/healthz")).await.0, 200);
    assert_eq!(get(&format!("{base}/no/such/path")).await.0, 404);
    let done = loop {
        let dirs = common::job_dirs(&dir);
        let ours = dirs
            .iter()
            .find(|d| d.ends_with("transcend-req-metrics-1"))
            .map(|d| JobDir::at(d.clone()).load());
        if let Some(Ok(job)) = ours
            && job.stage == Stage::Done
        {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done.outcome, Some(Outcome::Exported));

    let text = scrape_until(
        &metrics,
        "velt_serve_jobs{platform=\"transcend\",stage=\"done\"}",
        1,
    )
    .await;
    for family in [
        "velt_serve_requests_total counter",
        "velt_serve_jobs gauge",
        "velt_serve_callbacks_pending gauge",
        "velt_serve_answer_attempts_total counter",
        "velt_serve_step_failures_total counter",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family}\n")),
            "{family}:\n{text}"
        );
    }
    let requests = |platform: &str, route: &str, status: u16| {
        value(
            &text,
            &format!(
                "velt_serve_requests_total{{platform=\"{platform}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(requests("transcend", "/transcend/webhook", 200), Some(1));
    assert_eq!(requests("transcend", "/transcend/webhook", 401), Some(1));
    assert_eq!(requests("none", "/healthz", 200), Some(1));
    assert_eq!(requests("none", "unmatched", 404), Some(1), "{text}");
    assert_eq!(
        value(
            &text,
            "velt_serve_jobs{platform=\"transcend\",stage=\"received\"}"
        ),
        Some(0)
    );
    assert_eq!(
        value(
            &text,
            "velt_serve_jobs{platform=\"nowhere\",stage=\"received\"}"
        ),
        Some(1)
    );
    assert_eq!(
        value(
            &text,
            "velt_serve_callbacks_pending{platform=\"transcend\"}"
        ),
        Some(0)
    );
    let answers = transcend.calls().len() as u64;
    assert!(answers >= 2, "datapoints and the completion");
    assert_eq!(
        value(
            &text,
            "velt_serve_answer_attempts_total{platform=\"transcend\",outcome=\"acknowledged\"}"
        ),
        Some(answers)
    );
    assert!(
        value(
            &text,
            "velt_serve_step_failures_total{platform=\"nowhere\"}"
        )
        .is_some_and(|n| n >= 1),
        "{text}"
    );
    for private in [
        JANE,
        &JANE.to_lowercase(),
        "req-metrics-1",
        "stray",
        NONCE,
        API_KEY,
    ] {
        assert!(!text.contains(private), "{private} in /metrics:\n{text}");
    }
}

/// A writer for the log subscriber: every line into one buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_logs_of_a_whole_access_run_hold_no_secret_and_no_identifier() {
    // The process's one global subscriber (the jobs log from worker threads): JSON lines at
    // debug level, as `velt serve -v --log-format json` writes them. Other tests running at
    // the same time log into it too, and are held to the same.
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");

    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("logs");
    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("the server starts");
    let token = transcend.keys.good_token();
    let body = webhook("ACCESS", "req-logs-1", JANE);
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 200);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported));
    // Sent again, and once with a bad token.
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 200);
    assert_eq!(post_webhook(&server, Some("bad-token"), &body).await.0, 401);
    drop(server);

    let text =
        String::from_utf8_lossy(&capture.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // The request spans are there, with the platform and a request id.
    let answered: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            l["fields"]["message"] == "answered" && l["span"]["route"] == "/transcend/webhook"
        })
        .collect();
    assert!(answered.len() >= 3, "{text}");
    for line in &answered {
        assert_eq!(line["span"]["platform"], "transcend");
        let id = line["span"]["request_id"].as_str().unwrap_or("");
        assert!(
            id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit()),
            "{line}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "job received"
                && l["span"]["platform"] == "transcend"),
        "the adapter's events are inside the request's span"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "job done"),
        "the worker's events are captured"
    );
    let lower = text.to_lowercase();
    for secret in [
        API_KEY,
        NONCE,
        &token,
        velt.fake.api_key(),
        velt.fake.auth_token(),
    ] {
        assert!(!text.contains(secret), "a secret in the logs:\n{text}");
    }
    assert!(
        !lower.contains(&JANE.to_lowercase()),
        "Jane's email in the logs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn https_with_the_configured_certificate_and_no_plain_http_on_its_port() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("tls");
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("a self-signed certificate");
    let cert_pem = certified.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert_pem).expect("cert");
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).expect("key");

    // A key that cannot be read: the server does not start, the message names the file.
    let mut config = common::config(&dir, &velt, &transcend);
    config.tls = Some(TlsConfig {
        cert: dir.join("cert.pem"),
        key: dir.join("missing-key.pem"),
    });
    let error = Server::start(config).await.expect_err("no key");
    assert!(error.to_string().contains("missing-key.pem"), "{error}");
    std::fs::write(dir.join("garbage.pem"), "sk-live-do-not-print\n").expect("garbage");
    let mut config = common::config(&dir, &velt, &transcend);
    config.tls = Some(TlsConfig {
        cert: dir.join("cert.pem"),
        key: dir.join("garbage.pem"),
    });
    let error = Server::start(config).await.expect_err("not a key");
    let message = error.to_string();
    assert!(message.contains("garbage.pem"), "{message}");
    assert!(!message.contains("sk-live"), "{message}");

    let mut config = common::config(&dir, &velt, &transcend);
    config.tls = Some(TlsConfig {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    });
    let server = Server::start(config).await.expect("the server starts");
    assert!(server.url().starts_with("https://"), "{}", server.url());
    common::tls();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("PEM")])
        .build()
        .expect("a client trusting the certificate");
    let answer = client
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .expect("HTTPS answers");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.text().await.expect("a body"), "ok\n");

    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", server.local_addr()))
        .timeout(Duration::from_secs(15))
        .send()
        .await;
    assert!(
        plain.as_ref().map_or(true, |a| a.status().as_u16() != 200),
        "plain HTTP was answered: {plain:?}"
    );
    // The TLS port still serves after the failed handshake.
    let again = client
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .expect("HTTPS answers again");
    assert_eq!(again.status().as_u16(), 200);
}
