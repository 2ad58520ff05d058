//! `velt request extend`, `check` and `list`: the case commands that need no credentials.

use crate::common;

use chrono::{Duration, NaiveDate, Utc};
use common::{BIN, assert_stderr_has, config, run, scratch, stderr};
use std::time::Duration as StdDuration;
use tokio::process::Command;
use velt_api::search::Subject;
use velt_case::{CaseFolder, NewCase, RequestKind};
use velt_fake::{FakeConfig, FakeVelt};

/// A fake Velt where jane.doe@example.com (user-0012, mixed case at Velt) is a member of
/// three organizations, with deletions that finish quickly.
async fn fake() -> FakeVelt {
    FakeVelt::start(FakeConfig {
        deletion_task_duration: StdDuration::from_millis(20),
        ..config(30)
    })
    .await
    .expect("the fake starts")
}

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
            subject: Subject::email(subject),
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
        .map(|e| e["subject"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["b@example.com", "c@example.com", "a@example.com"]
    );
}

#[tokio::test]
async fn access_then_erase_a_person_in_three_organizations_leaves_a_case_that_checks() {
    let fake = fake().await;
    let root = scratch("request-flows");
    let dir = root.join("jane");
    let case = dir.to_str().unwrap();
    let notice = root.join("notice.md");
    std::fs::write(
        &notice,
        "# Acme Ltd\n\nWe hold **your comments** <script>x</script>.\n",
    )
    .unwrap();

    let output = run(common::velt(
        &fake,
        &[
            "request",
            "access",
            "--email",
            "JANE.DOE@example.com",
            "--case",
            case,
            "--received",
            "2026-01-31",
            "--notice",
            notice.to_str().unwrap(),
            "--zip",
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(record["due"], "2026-02-28");
    assert_eq!(record["status"], "exported");
    let exports: Vec<String> = record["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["role"] == "export")
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        exports,
        [
            "data/org-0001/user-0012.ndjson",
            "data/org-0002/user-0012.ndjson",
            "data/org-0003/user-0012.ndjson"
        ]
    );
    assert!(root.join("jane.zip").is_file());
    #[cfg(unix)]
    for private in [
        "",
        "data",
        "data/org-0002",
        "data/org-0002/user-0012.ndjson",
    ] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(private))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        let owner_only = if private.ends_with(".ndjson") {
            0o600
        } else {
            0o700
        };
        assert_eq!(mode, owner_only, "{private}: {mode:o}");
    }
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(report.contains("Acme Ltd") && report.contains("&lt;script&gt;x&lt;/script&gt;"));
    assert!(
        !report.contains("<script>x"),
        "the notice's HTML is shown as text"
    );

    // The GDPR deletion leaves Jane's activity records (as Velt's pages read): exit 1,
    // naming them per organization, and the case stays open.
    let output = run(common::velt(
        &fake,
        &["request", "erase", "--case", case, "--yes"],
    ))
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_stderr_has(
        &output,
        "activities in org-0001 (user user-0012): 25 remaining",
    );
    assert_stderr_has(
        &output,
        "activities in org-0002 (user user-0012): 25 remaining",
    );
    assert_stderr_has(&output, "--erase-activities");
    // A second pass erases them; Velt keeps the immutable ones, kept for the reason given.
    let output = run(common::velt(
        &fake,
        &[
            "request",
            "erase",
            "--case",
            case,
            "--yes",
            "--erase-activities",
            "--retain-reason",
            "Art. 17(3)(e): the audit trail is kept for legal claims",
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_stderr_has(&output, "verified by an earlier pass");
    assert_stderr_has(
        &output,
        "kept, with the recorded reason: activities in org-0001",
    );
    assert!(dir.join("erasure-stores-2.json").is_file());
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("receipt.json")).unwrap()).unwrap();
    assert_eq!(receipt["verification"]["nothingRemains"], true);
    assert_eq!(
        receipt["verification"]["organizationIds"],
        serde_json::json!(["org-0001", "org-0002", "org-0003"])
    );

    let output = run(velt(&["request", "check", "--case", case])).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["status"], "erased");

    // One changed byte in an export, then in the report: check names the file, exit 1.
    for file in ["data/org-0002/user-0012.ndjson", "report.html"] {
        let path = dir.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 2;
        bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
        std::fs::write(&path, &bytes).unwrap();
        let output = run(velt(&["request", "check", "--case", case])).await;
        assert_eq!(output.status.code(), Some(1), "{file}: {}", stderr(&output));
        assert_stderr_has(&output, file);
    }
}

#[tokio::test]
async fn access_for_nobody_exits_3_and_still_answers() {
    let fake = fake().await;
    let dir = scratch("request-nobody").join("case");
    let output = run(common::velt(
        &fake,
        &[
            "request",
            "access",
            "--email",
            "nobody@example.com",
            "--case",
            dir.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        dir.join("report.html").is_file(),
        "the person still gets an answer"
    );
    assert!(dir.join("search.json").is_file());
}

#[tokio::test]
async fn erase_by_email_without_a_case_opens_one_under_cases() {
    // A Velt whose GDPR deletion takes the activity records too.
    let fake = FakeVelt::start(FakeConfig {
        deletion_task_duration: StdDuration::from_millis(20),
        gdpr_deletes_activities: true,
        ..config(30)
    })
    .await
    .expect("the fake starts");
    let root = scratch("request-erase-new");
    let mut command = common::velt(
        &fake,
        &["request", "erase", "--user-id", "user-0002", "--yes"],
    );
    command.current_dir(&root);
    let output = run(command).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let cases: Vec<_> = std::fs::read_dir(root.join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(cases.len(), 1, "{cases:?}");
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cases[0].join("case.json")).unwrap()).unwrap();
    assert_eq!(case["status"], "erased");
    assert_eq!(case["kinds"], serde_json::json!(["erasure"]));
    assert!(cases[0].join("receipt.json").is_file());

    // Neither a case nor a person: refused before anything is sent.
    let output = run(common::velt(&fake, &["request", "erase", "--yes"])).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[tokio::test]
async fn list_shows_the_cases_of_velt_serve_jobs_with_platform_and_request_id() {
    let root = scratch("request-list-jobs");
    let today = Utc::now().date_naive();
    new_case(&root.join("by-hand"), "a@example.com", today);
    // A Transcend job as `velt serve` leaves it: job.json, and the case inside.
    let job = velt_serve::job::JobDir::of(&root, "transcend", "3f1c-req-42");
    let record = velt_serve::job::Job {
        nonce: Some("nonce-never-listed".into()),
        received_at: Utc::now() - Duration::days(20),
        stage: velt_serve::job::Stage::Done,
        outcome: Some(velt_serve::job::Outcome::Exported),
        ..velt_serve::job::Job::new(
            "transcend",
            "3f1c-req-42".into(),
            velt_serve::job::JobKind::Access,
            Subject::email("jane@example.com"),
        )
    };
    assert!(job.create(&record).expect("the job's folder"));
    new_case(
        &job.case_dir(),
        "jane@example.com",
        today - Duration::days(20),
    );
    // A job received and not started has no case yet: nothing to list.
    let waiting = velt_serve::job::JobDir::of(&root, "transcend", "not-started");
    assert!(
        waiting
            .create(&velt_serve::job::Job {
                request_id: "not-started".into(),
                stage: velt_serve::job::Stage::Received,
                outcome: None,
                ..record.clone()
            })
            .expect("a second job")
    );

    let output = run(velt(&["request", "list", root.to_str().unwrap()])).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let entries: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let entries = entries.as_array().expect("a list");
    assert_eq!(entries.len(), 2, "{entries:?}");
    // The job's case is due first (received 20 days ago).
    assert_eq!(entries[0]["kind"], "case");
    assert_eq!(entries[0]["subject"]["email"], "jane@example.com");
    assert_eq!(entries[0]["platform"], "transcend");
    assert_eq!(entries[0]["requestId"], "3f1c-req-42");
    assert!(
        entries[0]["dir"]
            .as_str()
            .is_some_and(|d| d.ends_with("transcend-3f1c-req-42/case")),
        "{}",
        entries[0]
    );
    assert_eq!(entries[1]["subject"]["email"], "a@example.com");
    assert!(entries[1].get("platform").is_none(), "{}", entries[1]);
    assert_stderr_has(&output, "transcend 3f1c-req-42");
    assert!(!stderr(&output).contains("nonce-never-listed"));
    assert!(!String::from_utf8_lossy(&output.stdout).contains("nonce-never-listed"));
}
