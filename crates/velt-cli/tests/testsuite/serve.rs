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
