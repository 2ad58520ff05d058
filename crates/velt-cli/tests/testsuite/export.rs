//! End-to-end tests of `velt data export`: bytes kept exactly, unknown keys kept and named,
//! `--resume` that cannot surprise, a reader that stops early, an export with nothing in it.

use crate::common;

use std::{net::SocketAddr, process::Stdio};

use common::{assert_stderr_has, config, run, scratch, stderr, velt, velt_at};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};
use velt_fake::{FakeConfig, FakeVelt};

const PAGE_1: &str = include_str!("../../../../tests/fixtures/byte_exact/page1.json");
const PAGE_2: &str = include_str!("../../../../tests/fixtures/byte_exact/page2.json");
const EXPECTED: &str = include_str!("../../../../tests/fixtures/byte_exact/expected.ndjson");
const EMPTY_PAGE: &str = r#"{"result":{"status":"success","data":{"comments":[],"reactions":[],"recordings":[],"notifications":[]}}}"#;

/// A loopback HTTP/1.1 server that answers every request with `pick(request body)`, as raw
/// bytes, one request per connection. Ends with the test's runtime.
async fn raw_server(pick: fn(&str) -> &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                let answer = pick(&String::from_utf8_lossy(&body));
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    answer.len()
                );
                let mut stream = reader.into_inner();
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

fn fixture_pages(body: &str) -> &'static str {
    if body.contains("\"pageToken\":\"tok-2\"") {
        PAGE_2
    } else {
        PAGE_1
    }
}

fn velt_raw(addr: SocketAddr, args: &[&str]) -> tokio::process::Command {
    velt_at(&format!("http://{addr}"), "key", "token", args)
}

fn export_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "data",
        "export",
        "--organization-id",
        "org-0001",
        "--user-id",
        "user-0001",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_file_holds_the_bytes_sent_and_names_unknown_keys_once() {
    let addr = raw_server(fixture_pages).await;
    let dir = scratch("export_byte_exact");
    let out = dir.join("export.ndjson");
    let output = run(velt_raw(addr, &export_args(out.to_str().unwrap(), &[]))).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), EXPECTED);
    let text = stderr(&output);
    for key in ["userProfile", "settings"] {
        let warnings = text
            .lines()
            .filter(|l| l.contains(&format!("\"{key}\"")) && l.contains("exported as is"))
            .count();
        assert_eq!(warnings, 1, "one warning for {key}: {text}");
    }
    assert!(
        text.contains("this version of the crate does not know it"),
        "{text}"
    );

    // The same bytes on standard output.
    let output = run(velt_raw(
        addr,
        &export_args(out.to_str().unwrap(), &[])[..6],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), EXPECTED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_export_has_the_four_lists_then_the_other_keys() {
    let addr = raw_server(fixture_pages).await;
    let dir = scratch("export_json_document");
    let out = dir.join("export.json");
    let output = run(velt_raw(
        addr,
        &export_args(out.to_str().unwrap(), &["--format", "json"]),
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let document = std::fs::read_to_string(&out).unwrap();
    // The expected document, regrouped from the expected lines: known lists first (empty
    // `recordings` included), then other keys in the order first seen, items as sent.
    let mut groups: Vec<(String, Vec<String>)> =
        ["comments", "reactions", "recordings", "notifications"]
            .map(|k| (k.to_owned(), Vec::new()))
            .into();
    for line in EXPECTED.lines() {
        let rest = line.strip_prefix("{\"feature\":\"").unwrap();
        let (feature, item) = rest.split_once("\",\"item\":").unwrap();
        let item = item.strip_suffix('}').unwrap().to_owned();
        match groups.iter_mut().find(|(k, _)| k == feature) {
            Some((_, items)) => items.push(item),
            None => groups.push((feature.to_owned(), vec![item])),
        }
    }
    let body: Vec<String> = groups
        .iter()
        .map(|(k, items)| format!("\"{k}\":[{}]", items.join(",")))
        .collect();
    assert_eq!(document, format!("{{{}}}\n", body.join(",")));
    assert!(document.contains("\"recordings\":[]"));
    let keys: Vec<String> = groups.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "comments",
            "reactions",
            "recordings",
            "notifications",
            "userProfile",
            "settings"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_with_no_items_succeeds_and_says_how_to_check_membership() {
    let addr = raw_server(|_| EMPTY_PAGE).await;
    let output = run(velt_raw(
        addr,
        &[
            "data",
            "export",
            "--organization-id",
            "org-9",
            "--user-id",
            "nobody",
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    assert_stderr_has(&output, "user nobody has no data in organization org-9");
    assert_stderr_has(
        &output,
        "velt users get --organization-id org-9 --user-id nobody",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_that_stops_early_ends_the_export_quietly() {
    let fake = FakeVelt::start(config(2_000)).await.unwrap();
    let mut child = velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Like `| head -1`: read one line, then close the pipe.
    let stdout = child.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).await.unwrap();
    assert!(first.starts_with("{\"feature\":\"comments\""), "{first}");
    let output = child.wait_with_output().await.unwrap();
    let text = stderr(&output);
    assert!(output.status.success(), "exit {:?}: {text}", output.status);
    assert!(!text.contains("error"), "{text}");
    assert!(!text.to_lowercase().contains("broken pipe"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_refuses_other_options_and_names_them() {
    let fake = FakeVelt::start(FakeConfig::default()).await.unwrap();
    let dir = scratch("resume_other_options");
    let out = dir.join("export.out");
    std::fs::write(dir.join("export.out.part"), "").unwrap();
    let checkpoint = serde_json::json!({"organizationId": "org-0002", "userId": "user-0001",
        "format": "json", "nextPageToken": "t", "pages": 1, "items": 0, "bytes": 0,
        "startedAt": "2026-11-23T10:00:00Z"});
    std::fs::write(dir.join("export.out.checkpoint"), checkpoint.to_string()).unwrap();
    let output = run(velt(
        &fake,
        &export_args(out.to_str().unwrap(), &["--format", "ndjson", "--resume"]),
    ))
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, "organization org-0002 (now org-0001)");
    assert_stderr_has(&output, "format json (now ndjson)");
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_of_a_complete_file_leaves_it_untouched() {
    let fake = FakeVelt::start(config(3)).await.unwrap();
    let dir = scratch("resume_complete");
    let out = dir.join("export.ndjson");
    let first = run(velt(&fake, &export_args(out.to_str().unwrap(), &[]))).await;
    assert!(first.status.success(), "{}", stderr(&first));
    let kept = std::fs::read(&out).unwrap();
    let modified = std::fs::metadata(&out).unwrap().modified().unwrap();
    let sent = fake.request_count();
    let output = run(velt(
        &fake,
        &export_args(out.to_str().unwrap(), &["--resume"]),
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_stderr_has(&output, "already complete");
    assert_eq!(std::fs::read(&out).unwrap(), kept);
    assert_eq!(
        std::fs::metadata(&out).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(fake.request_count(), sent, "nothing was sent");
    assert!(
        !dir.join("export.ndjson.lock").exists(),
        "the lock file is gone"
    );
}

/// The files of a directory, sorted.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_not_an_export_is_never_replaced_without_force() {
    let fake = FakeVelt::start(config(3)).await.unwrap();
    let dir = scratch("foreign_file");
    let out = dir.join("precious.txt");
    std::fs::write(&out, "precious data\n").unwrap();
    for extra in [&[][..], &["--resume"][..]] {
        let output = run(velt(&fake, &export_args(out.to_str().unwrap(), extra))).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert_stderr_has(&output, out.to_str().unwrap());
        assert_stderr_has(&output, "--force");
        assert_stderr_has(&output, "no manifest");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious data\n");
        assert_eq!(fake.request_count(), 0, "{extra:?}: nothing was sent");
        assert_eq!(files_in(&dir), ["precious.txt"], "nothing left beside it");
    }
    let forced = run(velt(
        &fake,
        &export_args(out.to_str().unwrap(), &["--force"]),
    ))
    .await;
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 12);

    // The same in --out-dir: a file of the user's name that is no export stays.
    let in_dir = dir.join("exports");
    std::fs::create_dir(&in_dir).unwrap();
    std::fs::write(in_dir.join("user-0002.ndjson"), "mine\n").unwrap();
    let sent = fake.request_count();
    let output = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
            "--user-id",
            "user-0002",
            "--out-dir",
            in_dir.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, "user-0002.ndjson");
    assert_eq!(
        std::fs::read_to_string(in_dir.join("user-0002.ndjson")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        files_in(&in_dir),
        ["user-0002.ndjson"],
        "nothing begun is left"
    );
    assert_eq!(fake.request_count(), sent, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_of_another_user_is_not_replaced_but_one_of_the_same_user_is() {
    let fake = FakeVelt::start(config(3)).await.unwrap();
    let dir = scratch("other_users_export");
    let out = dir.join("export-user-0001.ndjson");
    let manifest = dir.join("export-user-0001.ndjson.manifest.json");
    let first = run(velt(&fake, &export_args(out.to_str().unwrap(), &[]))).await;
    assert!(first.status.success(), "{}", stderr(&first));
    let (file, record) = (
        std::fs::read(&out).unwrap(),
        std::fs::read(&manifest).unwrap(),
    );
    let sent = fake.request_count();

    let other = [
        "data",
        "export",
        "--organization-id",
        "org-0001",
        "--user-id",
        "user-0003",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = run(velt(&fake, &other)).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, "user user-0001 in organization org-0001");
    assert_eq!(std::fs::read(&out).unwrap(), file);
    assert_eq!(std::fs::read(&manifest).unwrap(), record);
    assert_eq!(fake.request_count(), sent);

    // The same user's export again replaces file and manifest together.
    let again = run(velt(&fake, &export_args(out.to_str().unwrap(), &[]))).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert_ne!(std::fs::read(&manifest).unwrap(), record, "a new manifest");
    let verified = run(velt(&fake, &["request", "check", out.to_str().unwrap()])).await;
    assert!(verified.status.success(), "{}", stderr(&verified));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_export_into_the_same_file_is_refused_at_once() {
    let fake = FakeVelt::start(FakeConfig {
        latency: std::time::Duration::from_millis(700),
        ..config(3)
    })
    .await
    .unwrap();
    let dir = scratch("two_writers");
    let out = dir.join("export.ndjson");
    let lock = dir.join("export.ndjson.lock");
    let mut first = velt(&fake, &export_args(out.to_str().unwrap(), &[]));
    first.stdout(Stdio::piped()).stderr(Stdio::piped());
    let first = first.spawn().unwrap();
    let started = std::time::Instant::now();
    while !lock.exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let sent = fake.request_count();
    let second_started = std::time::Instant::now();
    let second = run(velt(&fake, &export_args(out.to_str().unwrap(), &[]))).await;
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(
        second_started.elapsed() < std::time::Duration::from_millis(650),
        "refused at once, not after a request: {:?}",
        second_started.elapsed()
    );
    assert_stderr_has(&second, "being written by another velt process");
    assert_stderr_has(&second, out.to_str().unwrap());
    assert!(fake.request_count() <= sent + 1, "the second sent nothing");
    let first = first.wait_with_output().await.unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let verified = run(velt(&fake, &["request", "check", out.to_str().unwrap()])).await;
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 12);
    assert!(!lock.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_out_path_that_cannot_be_written_is_a_usage_error_naming_it() {
    let fake = FakeVelt::start(config(3)).await.unwrap();
    let dir = scratch("bad_out_paths");
    let missing = dir.join("nodir").join("x.ndjson");
    let output = run(velt(&fake, &export_args(missing.to_str().unwrap(), &[]))).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, missing.to_str().unwrap());
    assert_stderr_has(&output, "does not exist");
    assert!(!stderr(&output).contains(".part"), "{}", stderr(&output));

    let output = run(velt(&fake, &export_args(dir.to_str().unwrap(), &[]))).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, "is a directory");

    // A directory nobody may create files in (even root, which these tests may run as).
    if std::path::Path::new("/proc/self").exists() {
        let output = run(velt(&fake, &export_args("/proc/velt-export.ndjson", &[]))).await;
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert_stderr_has(&output, "cannot write /proc/velt-export.ndjson");
    }

    // An --out-dir that is a file.
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let output = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
            "--out-dir",
            file.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, file.to_str().unwrap());
    assert_eq!(fake.request_count(), 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hint_after_an_empty_export_keeps_fake() {
    let mut command = tokio::process::Command::new(common::BIN);
    command.args([
        "--fake",
        "data",
        "export",
        "--organization-id",
        "org-0009",
        "--user-id",
        "user-0001",
    ]);
    let output = run(command).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_stderr_has(&output, "velt --fake users get --organization-id org-0009");
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_with_nothing_to_resume_starts_a_new_export() {
    let fake = FakeVelt::start(config(3)).await.unwrap();
    let dir = scratch("resume_nothing");
    let out = dir.join("export.ndjson");
    let output = run(velt(
        &fake,
        &export_args(out.to_str().unwrap(), &["--resume"]),
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_stderr_has(&output, "nothing to resume");
    assert_stderr_has(&output, "starting a new export");
    assert!(!stderr(&output).contains("resuming after page"));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 12);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_leaves_a_manifest_that_verify_export_checks() {
    let fake = FakeVelt::start(config(150)).await.unwrap();
    let dir = scratch("export_manifest");
    for (name, format) in [("export.ndjson", "ndjson"), ("export.json", "json")] {
        let out = dir.join(name);
        let output = run(velt(
            &fake,
            &export_args(out.to_str().unwrap(), &["--format", format]),
        ))
        .await;
        assert!(output.status.success(), "{}", stderr(&output));
        let manifest_path = dir.join(format!("{name}.manifest.json"));
        let text = std::fs::read_to_string(&manifest_path).unwrap();
        assert!(!text.contains(fake.api_key()) && !text.contains(fake.auth_token()));
        let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(manifest["file"], name);
        assert_eq!(manifest["format"], format);
        assert_eq!(manifest["organizationId"], "org-0001");
        assert_eq!(manifest["userId"], "user-0001");
        assert_eq!(manifest["items"], 600);
        assert_eq!(manifest["pages"], 2);
        assert_eq!(manifest["itemsPerFeature"]["comments"], 150);
        assert_eq!(manifest["bytes"], bytes.len());
        assert_eq!(
            manifest["veltHost"],
            fake.base_url().trim_start_matches("http://")
        );
        assert!(
            manifest["startedAt"].as_str().unwrap() <= manifest["finishedAt"].as_str().unwrap()
        );
        // The SHA-256 is the file's, computed here by another program.
        let sum = std::process::Command::new("sha256sum")
            .arg(&out)
            .output()
            .unwrap();
        let sum = String::from_utf8(sum.stdout).unwrap();
        assert_eq!(manifest["sha256"], sum.split_whitespace().next().unwrap());

        let verified = run(velt(&fake, &["request", "check", out.to_str().unwrap()])).await;
        assert!(verified.status.success(), "{}", stderr(&verified));
        assert_stderr_has(&verified, "matches");

        // One byte changed: the check fails and says what differs.
        let mut tampered = bytes.clone();
        let at = tampered.iter().position(|&b| b == b'a').unwrap();
        tampered[at] = b'b';
        std::fs::write(&out, &tampered).unwrap();
        let refused = run(velt(&fake, &["request", "check", out.to_str().unwrap()])).await;
        assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
        assert_stderr_has(&refused, "does not match");
        assert_stderr_has(&refused, "SHA-256");

        // A line removed: the counts name the feature.
        if format == "ndjson" {
            let text = String::from_utf8(bytes).unwrap();
            let fewer: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
            std::fs::write(&out, fewer).unwrap();
            let refused = run(velt(&fake, &["request", "check", out.to_str().unwrap()])).await;
            assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
            assert_stderr_has(
                &refused,
                "items of \"comments\": 149 in the file, the manifest says 150",
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_export_without_a_manifest_says_where_it_looked() {
    let dir = scratch("verify_no_manifest");
    let file = dir.join("export.ndjson");
    std::fs::write(&file, "").unwrap();
    let output = run(velt_at(
        "http://127.0.0.1:9",
        "k",
        "t",
        &["request", "check", file.to_str().unwrap()],
    ))
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, "export.ndjson.manifest.json");
}

/// Page 1 of the fixture, then an answer that does not decode.
fn broken_second_page(body: &str) -> &'static str {
    if body.contains("\"pageToken\":\"tok-2\"") {
        r#"{"result":{"data":{"comments":{"not":"a list"}}}}"#
    } else {
        PAGE_1
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_summed_up_once_for_one_user_or_many() {
    let addr = raw_server(broken_second_page).await;
    let dir = scratch("export_failures");
    let out = dir.join("export.ndjson");
    // One user into a file: the error itself, and what is saved for --resume.
    let output = run(velt_raw(addr, &export_args(out.to_str().unwrap(), &[]))).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_stderr_has(&output, "comments");
    assert_stderr_has(
        &output,
        "the first 1 pages are saved; run the same command with --resume to continue",
    );
    assert!(!stderr(&output).contains("user(s) failed"));
    // Two users on standard output: one list naming both, and no --resume hint.
    let output = run(velt_raw(
        addr,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "a",
            "--user-id",
            "b",
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_stderr_has(&output, "2 user(s) failed:\n");
    for user in ["a", "b"] {
        assert_stderr_has(&output, &format!("\n{user}: getAllUserData: "));
    }
    assert!(!stderr(&output).contains("--resume"));
}
