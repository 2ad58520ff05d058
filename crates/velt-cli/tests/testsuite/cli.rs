//! End-to-end tests of the `velt` binary against the fake Velt server.

use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::process::Command;
use velt_fake::{FakeConfig, FakeVelt};

use crate::common;

use common::{BIN, assert_stderr_has, config, run, scratch, stderr, velt};

/// The seeded items of a user, per feature in order, as the export must return them.
fn expected(fake: &FakeVelt, org: &str, user: &str) -> Map<String, Value> {
    let mut by_feature = Map::new();
    for feature in ["comments", "reactions", "recordings", "notifications"] {
        by_feature.insert(feature.to_owned(), json!([]));
    }
    for (feature, item) in fake.dataset().expected_items(org, user) {
        if let Some(Value::Array(items)) = by_feature.get_mut(feature.as_str()) {
            items.push(Value::Object(item));
        }
    }
    by_feature
}

/// NDJSON lines regrouped per feature, order within a feature kept.
fn ndjson_by_feature(text: &str) -> Map<String, Value> {
    let mut by_feature = Map::new();
    for feature in ["comments", "reactions", "recordings", "notifications"] {
        by_feature.insert(feature.to_owned(), json!([]));
    }
    for line in text.lines() {
        let line: Value = serde_json::from_str(line).expect("each line is JSON");
        let feature = line["feature"]
            .as_str()
            .expect("line has a feature")
            .to_owned();
        let item = line["item"].clone();
        assert!(item.is_object(), "item is an object: {line}");
        by_feature
            .get_mut(&feature)
            .and_then(Value::as_array_mut)
            .unwrap_or_else(|| panic!("unknown feature {feature}"))
            .push(item);
    }
    by_feature
}

#[tokio::test(flavor = "multi_thread")]
async fn ndjson_export_equals_the_seeded_data() {
    let fake = FakeVelt::start(config(250)).await.unwrap();
    let dir = scratch("ndjson_export");
    let out = dir.join("export.ndjson");
    let output = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
            "--out",
            out.to_str().unwrap(),
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 4 * 250);
    assert_eq!(
        ndjson_by_feature(&text),
        expected(&fake, "org-0001", "user-0001")
    );
    assert!(!dir.join("export.ndjson.part").exists());
    assert!(!dir.join("export.ndjson.checkpoint").exists());
    assert_stderr_has(&output, "exported 1000 items in 3 pages");

    // Without --out the same lines go to standard output.
    let output = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
        ],
    ))
    .await;
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), text);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_export_equals_the_seeded_data() {
    let fake = FakeVelt::start(config(150)).await.unwrap();
    let dir = scratch("json_export");
    let out = dir.join("export.json");
    let output = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0002",
            "--user-id",
            "user-0002",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        document,
        Value::Object(expected(&fake, "org-0002", "user-0002"))
    );

    let output = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0002",
            "--user-id",
            "user-0002",
            "--format",
            "json",
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let from_stdout: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(from_stdout, document);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_export_resumes_without_losing_or_repeating_items() {
    let fake = FakeVelt::start(FakeConfig {
        items_per_feature: 1_000,
        latency: Duration::from_millis(60),
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let dir = scratch("resume");
    let out = dir.join("export.ndjson");
    let checkpoint = dir.join("export.ndjson.checkpoint");
    let args = [
        "data",
        "export",
        "--organization-id",
        "org-0001",
        "--user-id",
        "user-0001",
        "--out",
        out.to_str().unwrap(),
    ];

    let mut child = velt(&fake, &args).spawn().unwrap();
    // Wait for at least three complete pages, then kill the process without warning.
    let pages_done = loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Ok(text) = std::fs::read_to_string(&checkpoint) {
            let pages = serde_json::from_str::<Value>(&text)
                .map(|v| v["pages"].as_u64().unwrap_or(0))
                .unwrap_or(0);
            if pages >= 3 {
                break pages;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the export ended before it could be killed"
        );
    };
    child.kill().await.unwrap();
    assert!(pages_done < 10, "killed before the end");
    assert!(
        !out.exists(),
        "no file under the final name before the export is complete"
    );

    // Starting over without --resume is refused, so the saved pages are not thrown away.
    let refused = run(velt(&fake, &args)).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert_stderr_has(&refused, "--resume");

    let mut resume_args = args.to_vec();
    resume_args.push("--resume");
    let resumed = run(velt(&fake, &resume_args)).await;
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_stderr_has(&resumed, "resuming after page");
    let text = std::fs::read_to_string(&out).unwrap();
    // The manifest's size and SHA-256 cover the pages saved before the kill too.
    let verified = run(velt(&fake, &["request", "check", out.to_str().unwrap()])).await;
    assert!(verified.status.success(), "{}", stderr(&verified));

    // The same items as an uninterrupted run, in the same order.
    let whole = run(velt(&fake, &args[..6])).await;
    assert!(whole.status.success());
    assert_eq!(text, String::from_utf8(whole.stdout).unwrap());
    assert_eq!(
        ndjson_by_feature(&text),
        expected(&fake, "org-0001", "user-0001")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_and_wait_leaves_no_data() {
    let fake = FakeVelt::start(FakeConfig {
        deletion_task_duration: Duration::from_millis(100),
        ..config(30)
    })
    .await
    .unwrap();
    let before = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
        ],
    ))
    .await;
    assert_eq!(String::from_utf8_lossy(&before.stdout).lines().count(), 120);

    let deleted = run(velt(
        &fake,
        &[
            "data",
            "delete",
            "--user-id",
            "user-0001",
            "--organization-id",
            "org-0001",
            "--yes",
            "--wait",
        ],
    ))
    .await;
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    let job_id = String::from_utf8_lossy(&deleted.stdout).trim().to_owned();
    assert!(!job_id.is_empty());
    assert_stderr_has(&deleted, "completed");

    let after = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
        ],
    ))
    .await;
    assert!(after.status.success());
    assert!(after.stdout.is_empty(), "data left after deletion");

    let status = run(velt(&fake, &["data", "delete-status", "--job-id", &job_id])).await;
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["completed"], json!(true));
    assert_eq!(status["tasksLeft"], json!(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_without_yes_and_without_a_terminal_is_refused_before_sending() {
    let fake = FakeVelt::start(config(1)).await.unwrap();
    let output = run(velt(&fake, &["data", "delete", "--user-id", "user-0001"])).await;
    assert_eq!(output.status.code(), Some(2));
    assert_stderr_has(&output, "EVERY organization");
    assert_eq!(fake.request_count(), 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_flags_are_usage_errors() {
    let fake = FakeVelt::start(config(1)).await.unwrap();
    for args in [
        vec!["data", "export", "--user-id", "u"],
        vec![
            "data",
            "export",
            "--organization-id",
            "o",
            "--user-id",
            "u",
            "--format",
            "xml",
        ],
        vec![
            "data",
            "export",
            "--organization-id",
            "o",
            "--user-id",
            "u",
            "--resume",
        ],
        vec!["users", "get"],
        vec!["data", "delete"],
        vec!["nonsense"],
    ] {
        let output = run(velt(&fake, &args)).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("error:") && stderr(&output).contains("--help"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // Refused by the library before sending: also a usage error.
    let ids: Vec<String> = (0..31).map(|i| format!("u{i}")).collect();
    let mut args = vec!["users", "get", "--organization-id", "org-0001"];
    for id in &ids {
        args.extend(["--user-id", id.as_str()]);
    }
    let output = run(velt(&fake, &args)).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, "at most 30");
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_exit_1_with_a_clear_message_and_no_secret() {
    let fake = FakeVelt::start(config(1)).await.unwrap();
    let mut command = velt(&fake, &["users", "get", "--organization-id", "org-0001"]);
    command.env("VELT_AUTH_TOKEN", "wrong-token-SECRET");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("401") && text.contains("UNAUTHENTICATED"),
        "{text}"
    );
    assert!(
        text.contains("VELT_AUTH_TOKEN"),
        "says what to check: {text}"
    );
    assert!(
        !text.contains("wrong-token-SECRET") && !text.contains(fake.api_key()),
        "{text}"
    );
    assert!(output.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn users_get_prints_a_json_array() {
    let fake = FakeVelt::start(config(1)).await.unwrap();
    let output = run(velt(
        &fake,
        &[
            "users",
            "get",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let users: Value = serde_json::from_slice(&output.stdout).unwrap();
    let seeded = fake.dataset().user("user-0001").unwrap();
    assert_eq!(
        users,
        json!([{"email": seeded.email, "name": seeded.name, "userId": "user-0001"}])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_are_named_in_the_command_lines_words() {
    let output = Command::new(BIN)
        .args(["users", "get", "--organization-id", "org-0001"])
        .env_remove("VELT_API_KEY")
        .env("VELT_AUTH_TOKEN", "t")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("VELT_API_KEY not set"), "{text}");
    assert!(text.contains("--fake"), "{text}");
    assert!(!text.contains("ClientBuilder"), "library words: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_user_list_says_why_it_may_be_empty() {
    let fake = FakeVelt::start(config(1)).await.unwrap();
    let output = run(velt(
        &fake,
        &["users", "get", "--organization-id", "org-9999"],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "[]");
    assert_stderr_has(&output, "no user matched in organization org-9999");
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_with_surrounding_whitespace_are_refused_before_sending() {
    let fake = FakeVelt::start(config(1)).await.unwrap();
    for args in [
        &[
            "data",
            "delete",
            "--user-id",
            "user-0001 ",
            "--organization-id",
            "org-0001",
            "--yes",
        ][..],
        &[
            "data",
            "export",
            "--organization-id",
            " org-0001",
            "--user-id",
            "user-0001",
        ][..],
    ] {
        let output = run(velt(&fake, args)).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_stderr_has(&output, "leading or trailing whitespace");
    }
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fake_flag_needs_no_credentials() {
    let output = Command::new(BIN)
        .args(["--fake", "users", "get", "--organization-id", "org-0001"])
        .env_remove("VELT_API_KEY")
        .env_remove("VELT_AUTH_TOKEN")
        .env_remove("VELT_BASE_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let users: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(!users.as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn many_users_export_concurrently_into_a_directory_and_resume() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 1,
        users: 6,
        ..config(130)
    })
    .await
    .unwrap();
    let dir = scratch("many_users");
    let out_dir = dir.join("exports");
    let ids_file = dir.join("users.txt");
    std::fs::write(
        &ids_file,
        "# users to export\nuser-0003\n\nuser-0004\nuser-0005\n",
    )
    .unwrap();
    let args = [
        "data",
        "export",
        "--organization-id",
        "org-0001",
        "--user-id",
        "user-0001",
        "--user-id",
        "user-0002",
        "--user-ids-file",
        ids_file.to_str().unwrap(),
        "--out-dir",
        out_dir.to_str().unwrap(),
        "--concurrency",
        "3",
    ];
    let output = run(velt(&fake, &args)).await;
    assert!(output.status.success(), "{}", stderr(&output));
    for n in 1..=5 {
        let user = format!("user-000{n}");
        let text = std::fs::read_to_string(out_dir.join(format!("{user}.ndjson"))).unwrap();
        assert_eq!(
            ndjson_by_feature(&text),
            expected(&fake, "org-0001", &user),
            "{user}"
        );
    }
    assert!(!out_dir.join("user-0006.ndjson").exists());

    // Resuming a finished run sends no export request again.
    let before = fake.request_count();
    let mut resume = args.to_vec();
    resume.push("--resume");
    let output = run(velt(&fake, &resume)).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_stderr_has(&output, "5 user(s) already exported");
    assert_eq!(fake.request_count(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn many_users_on_standard_output_carry_their_user() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 1,
        users: 3,
        ..config(110)
    })
    .await
    .unwrap();
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
            "--user-id",
            "user-0003",
            "--concurrency",
            "2",
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    for n in 1..=3 {
        let user = format!("user-000{n}");
        let lines: Vec<String> = text
            .lines()
            .filter_map(|line| {
                let mut value: Value = serde_json::from_str(line).unwrap();
                (value["userId"] == json!(user)).then(|| {
                    value.as_object_mut().unwrap().remove("userId");
                    value.to_string()
                })
            })
            .collect();
        assert_eq!(
            ndjson_by_feature(&lines.join("\n")),
            expected(&fake, "org-0001", &user),
            "{user}"
        );
    }
    assert_eq!(text.lines().count(), 3 * 4 * 110);

    let refused = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "a",
            "--user-id",
            "b",
            "--out",
            "x.ndjson",
        ],
    ))
    .await;
    assert_eq!(refused.status.code(), Some(2));
    assert_stderr_has(&refused, "--out-dir");
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_calls_and_no_secret() {
    let fake = FakeVelt::start(config(1)).await.unwrap();
    let output = run(velt(
        &fake,
        &["-v", "users", "get", "--organization-id", "org-0001"],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("velt.call") && text.contains("operation=getUsers"),
        "{text}"
    );
    assert!(text.contains("http.status=200"), "{text}");
    assert!(
        !text.contains(fake.api_key()) && !text.contains(fake.auth_token()),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_part_file_shorter_than_its_checkpoint_is_refused_not_resumed_with_a_gap() {
    let fake = FakeVelt::start(config(1)).await.unwrap();
    let dir = scratch("short_part");
    let out = dir.join("export.ndjson");
    std::fs::write(
        dir.join("export.ndjson.part"),
        "{\"feature\":\"comments\",\"item\":{}}\n",
    )
    .unwrap();
    let checkpoint = json!({"organizationId": "org-0001", "userId": "user-0001", "format": "ndjson", "startedAt": "2026-11-23T10:00:00Z",
        "nextPageToken": "t", "pages": 3, "items": 900, "bytes": 1_000_000});
    std::fs::write(dir.join("export.ndjson.checkpoint"), checkpoint.to_string()).unwrap();
    let output = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--organization-id",
            "org-0001",
            "--user-id",
            "user-0001",
            "--out",
            out.to_str().unwrap(),
            "--resume",
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_stderr_has(&output, "shorter than its checkpoint");
    assert_eq!(fake.request_count(), 0);
    assert!(!out.exists());
}
