//! `velt request extend`, `check` and `list`: the case commands that need no credentials.

mod common;

use chrono::{Duration, NaiveDate, Utc};
use common::{BIN, assert_stderr_has, run, scratch, stderr};
use tokio::process::Command;
use velt_case::{CaseFolder, NewCase, RequestKind};

fn velt(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("VELT_API_KEY")
        .env_remove("VELT_AUTH_TOKEN")
        .stdin(std::process::Stdio::null());
    command
}

fn new_case(dir: &std::path::Path, subject: &str, received: NaiveDate) {
    let mut case = CaseFolder::create(
        dir,
        &NewCase {
            subject: subject.into(),
            kinds: vec![RequestKind::Access],
            received,
        },
    )
    .expect("a new case");
    case.log("note", serde_json::json!({"by": "test"}))
        .expect("a step logged");
}

#[tokio::test]
async fn extend_grants_two_months_in_all_and_refuses_a_third() {
    let dir = scratch("request-extend").join("case");
    new_case(
        &dir,
        "jane@example.com",
        NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
    );
    let case = dir.to_str().unwrap();
    let output = run(velt(&[
        "request",
        "extend",
        "--case",
        case,
        "--months",
        "2",
        "--reason",
        "many organizations",
    ]))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_stderr_has(&output, "now due 2026-04-30");
    let output = run(velt(&[
        "request", "extend", "--case", case, "--months", "1", "--reason", "more",
    ]))
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let text: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
    assert_eq!(
        text["due"], "2026-04-30",
        "the refused extension changed nothing"
    );
}

#[tokio::test]
async fn check_finds_a_changed_byte_and_says_how_late_the_case_is() {
    let dir = scratch("request-check").join("case");
    let received = Utc::now().date_naive() - Duration::days(40);
    new_case(&dir, "user-0001", received);
    let case = dir.to_str().unwrap();
    let output = run(velt(&["request", "check", "--case", case])).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_stderr_has(&output, "overdue by");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]));

    // One byte of the event log changed: the chain no longer holds.
    let log = dir.join("events.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("test", "tesT", 1)).unwrap();
    let output = run(velt(&["request", "check", "--case", case])).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_stderr_has(&output, "does not match its records");
}

#[tokio::test]
async fn list_puts_overdue_cases_first() {
    let root = scratch("request-list");
    let today = Utc::now().date_naive();
    new_case(&root.join("recent"), "a@example.com", today);
    new_case(
        &root.join("late"),
        "b@example.com",
        today - Duration::days(45),
    );
    new_case(
        &root.join("middle"),
        "c@example.com",
        today - Duration::days(10),
    );
    let output = run(velt(&["request", "list", root.to_str().unwrap()])).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let entries: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let subjects: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["b@example.com", "c@example.com", "a@example.com"]
    );
}
