//! `velt serve --config FILE`: a bad config is a usage error that does not echo a secret; a
//! TLS certificate that cannot be read stops it, named; a good one listens, answers /healthz and logs
//! JSON lines with `--log-format json`.

use std::time::Duration;

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    process::Command,
};

use crate::common::{self, BIN, assert_stderr_has, run, scratch, stderr};

#[tokio::test]
async fn a_config_with_a_secret_written_in_it_is_refused_without_echoing_it() {
    let dir = scratch("serve-bad-config");
    let path = dir.join("serve.toml");
    std::fs::write(
        &path,
        "cases_dir = \"cases\"\n[velt]\napi_key = \"sk-live-never-print\"\nauth_token = { env = \"T\" }\n",
    )
    .expect("config");
    let output = run({
        let mut command = Command::new(BIN);
        command.args(["serve", "--config"]).arg(&path);
        command
    })
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, "line 3");
    assert!(!stderr(&output).contains("sk-live"), "{}", stderr(&output));
}

#[tokio::test]
async fn serve_listens_and_answers_healthz() {
    let fake = velt_fake::FakeVelt::start(common::config(1))
        .await
        .expect("fake");
    let dir = scratch("serve-healthz");
    let path = dir.join("serve.toml");
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\ncases_dir = \"cases\"\n[velt]\nbase_url = \"{}\"\napi_key = {{ env = \"VELT_API_KEY\" }}\nauth_token = {{ env = \"VELT_AUTH_TOKEN\" }}\n",
            fake.base_url()
        ),
    )
    .expect("config");
    let mut child = common::velt(&fake, &["serve", "--log-format", "json", "--config"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("velt serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("it says where it listens")
    .expect("a line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connects");
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok\n"), "{answer}");
    assert!(dir.join("cases").is_dir(), "the cases folder is created");
    child.start_kill().expect("stopped");
    let output = child.wait_with_output().await.expect("its logs");
    let logs = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "velt serve listening"),
        "{logs}"
    );
}

#[tokio::test]
async fn a_tls_certificate_that_cannot_be_read_is_named_and_nothing_listens() {
    let dir = scratch("serve-tls-missing");
    let path = dir.join("serve.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:0\"\ncases_dir = \"cases\"\n[velt]\napi_key = { env = \"VELT_API_KEY\" }\nauth_token = { env = \"VELT_AUTH_TOKEN\" }\n",
    )
    .expect("config");
    std::fs::write(dir.join("cert.pem"), "not a certificate\n").expect("cert");
    let output = run({
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--config"])
            .arg(&path)
            .arg("--tls-cert")
            .arg(dir.join("cert.pem"))
            .arg("--tls-key")
            .arg(dir.join("missing-key.pem"))
            .env("VELT_API_KEY", "k")
            .env("VELT_AUTH_TOKEN", "t");
        command
    })
    .await;
    assert_ne!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_stderr_has(&output, "cert.pem holds no PEM certificate");
    assert!(output.stdout.is_empty(), "it never said it listens");
    let output = run({
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--config"])
            .arg(&path)
            .arg("--tls-cert")
            .arg(dir.join("cert.pem"));
        command
    })
    .await;
    assert_eq!(output.status.code(), Some(2), "--tls-cert needs --tls-key");
}

/// `velt serve` as operators run it, with Transcend as the fake plays it: Jane's access
/// answered with a datapoint for every store of her case; her erasure `WAITING`, the worker
/// killed with SIGKILL during the wait, started again, then `RESOLVED` with one deletion
/// request at Velt; no secret in any file of the cases.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_during_the_deletion_wait_finishes_with_one_deletion() {
    const TRANSCEND_KEY: &str = "transcend-process-test-key";
    let fake = velt_fake::FakeVelt::start(velt_fake::FakeConfig {
        deletion_task_duration: Duration::from_millis(700),
        gdpr_deletes_activities: true,
        ..common::config(3)
    })
    .await
    .expect("fake Velt");
    let transcend = velt_fake::transcend::FakeTranscend::start(
        "127.0.0.1:0".parse().expect("an address"),
        "velt-process-test",
    )
    .await
    .expect("fake Transcend");
    let port = free_port();
    let dir = scratch("serve-kill-9");
    let path = worker_config(
        &dir,
        port,
        &format!(
            r#"[erasure]
poll_first_ms = 100
poll_max_ms = 300
[outbox]
first_pause_ms = 50
max_pause_ms = 500
[transcend]
sombra_url = "{}"
audience = "velt-process-test"
api_key = {{ env = "TRANSCEND_API_KEY" }}
"#,
            transcend.url()
        ),
    );
    let secrets = [("TRANSCEND_API_KEY", TRANSCEND_KEY)];
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let send = |kind: &str, id: &str| {
        let webhook = transcend.webhook(kind, id, "Jane.Doe@Example.com");
        let mut request = http
            .post(format!("http://127.0.0.1:{port}/transcend/webhook"))
            .json(&webhook.body);
        for (name, value) in &webhook.headers {
            request = request.header(*name, value);
        }
        async move { request.send().await.expect("answered").status().as_u16() }
    };
    let status_of = |id: &str| -> Vec<String> {
        transcend
            .calls_of(id)
            .iter()
            .filter(|c| c.path == "/v1/data-silo" && c.status == 200)
            .map(|c| c.body["status"].as_str().unwrap_or("?").to_owned())
            .collect()
    };

    let mut worker = start_worker(&fake, &path, port, &secrets).await;
    assert_eq!(send("ACCESS", "p-access").await, 200);
    assert_eq!(send("ERASURE", "p-erase").await, 200);
    wait_for("WAITING", || status_of("p-erase") == ["WAITING"]).await;
    worker.start_kill().expect("SIGKILL");
    worker.wait().await.expect("killed");
    let job: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("cases/transcend-p-erase/job.json")).expect("job.json"),
    )
    .expect("JSON");
    assert_eq!(job["stage"], "waiting", "killed during the wait");

    let mut worker = start_worker(&fake, &path, port, &secrets).await;
    wait_for("RESOLVED", || {
        status_of("p-erase").last().map(String::as_str) == Some("RESOLVED")
    })
    .await;
    wait_for("the access", || {
        status_of("p-access").contains(&"READY".into())
    })
    .await;
    worker.start_kill().expect("stopped");
    let _ = worker.wait().await;

    assert_eq!(
        fake.deletion_requests().len(),
        1,
        "one deletion request at Velt"
    );
    assert!(
        status_of("p-erase")
            .iter()
            .all(|s| s == "WAITING" || s == "RESOLVED"),
        "{:?}",
        status_of("p-erase")
    );
    let case = velt_case::Case::load(&dir.join("cases/transcend-p-access/case")).expect("case");
    let mut stores: Vec<String> = case
        .coverage
        .iter()
        .filter(|r| r.store != "files" && !r.files.is_empty())
        .map(|r| r.store.clone())
        .collect();
    stores.sort();
    stores.dedup();
    let mut sent: Vec<String> = transcend
        .calls_of("p-access")
        .iter()
        .filter(|c| c.path == "/v1/datapoint-chunked")
        .filter_map(|c| c.body["dataPointName"].as_str().map(str::to_owned))
        .collect();
    sent.sort();
    sent.dedup();
    assert!(stores.len() >= 5, "{stores:?}");
    assert_eq!(sent, stores, "a datapoint for every store of the case");

    for secret in [TRANSCEND_KEY, fake.api_key(), fake.auth_token()] {
        for file in files_under(&dir.join("cases")) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret),
                "a secret in {}",
                file.display()
            );
        }
    }
}

async fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The README's demo: `velt fake transcend` sends a signed webhook to `velt serve` and prints
/// each answer until the final one; a second job for someone Velt does not hold is 204.
#[tokio::test(flavor = "multi_thread")]
async fn velt_fake_transcend_drives_velt_serve_to_the_final_answer() {
    let fake = velt_fake::FakeVelt::start(velt_fake::FakeConfig {
        files: 3,
        ..common::config(2)
    })
    .await
    .expect("fake Velt");
    let (worker_port, sombra_port) = (free_port(), free_port());
    let dir = scratch("serve-fake-transcend");
    let path = worker_config(
        &dir,
        worker_port,
        &format!(
            r#"fetch_files = true
[transcend]
sombra_url = "http://127.0.0.1:{sombra_port}"
audience = "demo-audience"
api_key = {{ env = "TRANSCEND_API_KEY" }}
"#
        ),
    );
    let mut worker =
        start_worker(&fake, &path, worker_port, &[("TRANSCEND_API_KEY", "demo")]).await;
    let transcend = |email: &str, id: &str| {
        let mut command = Command::new(BIN);
        command
            .args([
                "fake",
                "transcend",
                "--kind",
                "access",
                "--timeout-secs",
                "60",
            ])
            .args(["--worker", &format!("http://127.0.0.1:{worker_port}")])
            .args(["--listen", &format!("127.0.0.1:{sombra_port}")])
            .args(["--audience", "demo-audience", "--email", email])
            .args(["--request-id", id]);
        run(command)
    };
    let output = transcend("Jane.Doe@Example.com", "demo-1").await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(text.contains("worker answered 200"), "{text}");
    assert!(text.contains("datapoint gdprExport"), "{text}");
    assert!(text.contains("datapoint activities"), "{text}");
    assert!(text.contains("access READY"), "{text}");
    assert!(text.contains("of datapoint files: "), "the files: {text}");
    assert!(text.contains("final answer received"), "{text}");

    let output = transcend("nobody@nowhere.example", "demo-2").await;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(text.contains("worker answered 204"), "{text}");
    worker.start_kill().expect("stopped");
    let _ = worker.wait().await;
}

/// The README's demo for Ketch and Fides: `velt fake ketch` and `velt fake fides` drive
/// `velt serve` through Jane's access (every store) and, for Fides, her erasure.
#[tokio::test(flavor = "multi_thread")]
async fn velt_fake_ketch_and_fides_drive_velt_serve() {
    let fake = velt_fake::FakeVelt::start(velt_fake::FakeConfig {
        deletion_task_duration: Duration::from_millis(200),
        gdpr_deletes_activities: true,
        ..common::config(2)
    })
    .await
    .expect("fake Velt");
    let (worker_port, ketch_port, fides_port) = (free_port(), free_port(), free_port());
    let dir = scratch("serve-fake-ketch-fides");
    let path = worker_config(
        &dir,
        worker_port,
        &format!(
            r#"[erasure]
poll_first_ms = 100
poll_max_ms = 300
[ketch]
secret = {{ env = "KETCH_SECRET" }}
callback_hosts = ["127.0.0.1:{ketch_port}"]
allow_http_callbacks = true
[fides]
base_url = "http://127.0.0.1:{fides_port}"
secret = {{ env = "FIDES_WORKER_SECRET" }}
"#
        ),
    );
    let secrets = [
        ("KETCH_SECRET", "ketch-test-secret"),
        ("FIDES_WORKER_SECRET", "fides-test-secret"),
    ];
    let mut worker = start_worker(&fake, &path, worker_port, &secrets).await;
    let platform = |name: &str, kind: &str, port: u16| {
        let mut command = Command::new(BIN);
        command
            .args(["fake", name, "--kind", kind, "--timeout-secs", "60"])
            .args(["--worker", &format!("http://127.0.0.1:{worker_port}")])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--request-id", &format!("{name}-1")])
            .envs(secrets);
        run(command)
    };
    let text = |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).into_owned();

    // Each command exits 0 and prints each of `needles`.
    let succeeded = |output: &std::process::Output, needles: &[&str]| {
        let printed = text(output);
        assert_eq!(output.status.code(), Some(0), "{printed}{}", stderr(output));
        for needle in needles {
            assert!(printed.contains(needle), "{needle}: {printed}");
        }
    };
    succeeded(
        &platform("ketch", "access", ketch_port).await,
        &[
            "in_progress",
            "gdprExport",
            "activities",
            "judgments",
            "AccessStatusEvent completed",
        ],
    );
    succeeded(
        &platform("fides", "access", fides_port).await,
        &["callback: access_results", "activities: 200"],
    );
    succeeded(
        &platform("fides", "erasure", fides_port).await,
        &["\"rows_masked\":"],
    );
    assert_eq!(fake.deletion_requests().len(), 1, "one deletion at Velt");

    // A wrong secret: refused, and the command says so.
    let mut command = Command::new(BIN);
    command
        .args(["fake", "ketch", "--kind", "access", "--secret", "wrong"])
        .args(["--worker", &format!("http://127.0.0.1:{worker_port}")])
        .args(["--listen", &format!("127.0.0.1:{ketch_port}")]);
    let output = run(command).await;
    assert_ne!(output.status.code(), Some(0));
    assert!(
        text(&output).contains("worker answered 401"),
        "{}",
        text(&output)
    );
    worker.start_kill().expect("stopped");
    let _ = worker.wait().await;
}

/// A port free on loopback now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `serve.toml` in `dir`: a worker on `port`, its cases in `cases/`, Velt's credentials from
/// the environment, then `tables`.
fn worker_config(dir: &std::path::Path, port: u16, tables: &str) -> std::path::PathBuf {
    let path = dir.join("serve.toml");
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:{port}\"\ncases_dir = \"cases\"\n[velt]\napi_key = {{ env = \"VELT_API_KEY\" }}\nauth_token = {{ env = \"VELT_AUTH_TOKEN\" }}\n{tables}"
        ),
    )
    .expect("config");
    path
}

/// `velt serve --config path` against `fake`, with `envs`, once it says it listens on `port`.
async fn start_worker(
    fake: &velt_fake::FakeVelt,
    path: &std::path::Path,
    port: u16,
    envs: &[(&str, &str)],
) -> tokio::process::Child {
    let mut command = common::velt(fake, &["serve", "--config"]);
    command
        .arg(path)
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().expect("velt serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("it says where it listens")
    .expect("a line");
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    child
}
