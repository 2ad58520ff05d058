//! `scripts/live-drift.sh`, the logic of the scheduled workflow, against a local server standing
//! in for the two docs sources, with a stub in place of the `gh` CLI.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

struct Run {
    out: Output,
    reports: PathBuf,
    gh_log: String,
}

/// Runs the script on the fixture, the live pages served from `routes`. `open_issue` is what
/// the stub `gh issue list` answers (the number of an open drift issue, or nothing).
fn live_drift(fx: &Fixture, routes: Vec<(String, &'static str, String)>, open_issue: &str) -> Run {
    let requests = routes.len();
    let base = serve(routes, requests);
    let tools = fx.dir.path().join("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let gh = tools.join("gh");
    let gh_log = tools.join("gh.log");
    std::fs::write(
        &gh,
        "#!/usr/bin/env bash\necho \"$*\" >> \"$GH_LOG\"\nif [ \"$1 $2\" = \"issue list\" ]; then echo \"$STUB_OPEN_ISSUE\"; fi\n",
    )
    .unwrap();
    let reports = fx.dir.path().join("reports");
    let out = Command::new("bash")
        .arg(repo().join("crates/velt-drift/scripts/live-drift.sh"))
        .arg(&reports)
        .env("VELT_DRIFT", env!("CARGO_BIN_EXE_velt-drift"))
        .env("VELT_DRIFT_DOCS", fx.docs())
        .env("VELT_DRIFT_SPEC", fx.spec())
        .env("VELT_DRIFT_MD_BASE", format!("{base}/site"))
        .env("VELT_DRIFT_MDX_BASE", format!("{base}/raw"))
        .env("VELT_DRIFT_ISSUE", "1")
        .env("GH", format!("bash {}", gh.display()))
        .env("GH_LOG", &gh_log)
        .env("STUB_OPEN_ISSUE", open_issue)
        .env_remove("GITHUB_RUN_ID")
        .output()
        .unwrap();
    Run {
        out,
        reports,
        gh_log: std::fs::read_to_string(&gh_log).unwrap_or_default(),
    }
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn explain(run: &Run) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        run.out.status.code(),
        String::from_utf8_lossy(&run.out.stdout),
        String::from_utf8_lossy(&run.out.stderr)
    )
}

/// The live pages with `tasksCount` renamed on both forms of the delete page.
fn drifted(fx: &Fixture) -> Vec<(String, &'static str, String)> {
    live_routes(&fx.docs(), |local, text| {
        if local == DELETE_MD || local == DELETE_MDX {
            text.replace("\"tasksCount\"", "\"taskCount\"")
        } else {
            text
        }
    })
}

#[test]
fn live_pages_that_agree_exit_0_and_leave_the_snapshot_alone() {
    let fx = Fixture::new();
    let sources = read(&fx.docs(), "SOURCES");
    let run = live_drift(&fx, live_routes(&fx.docs(), |_, t| t), "");
    assert_eq!(run.out.status.code(), Some(0), "{}", explain(&run));
    assert!(
        read(&run.reports, "report.txt").starts_with(&format!("clean: {} pages", pinned_pages()))
    );
    let json: serde_json::Value = serde_json::from_str(&read(&run.reports, "report.json")).unwrap();
    assert_eq!(json["findings"], serde_json::json!([]));
    assert!(read(&run.reports, "fetch.log").contains("fetched mdx/get-users.mdx"));
    assert_eq!(run.gh_log, "", "no issue without drift");
    assert_eq!(
        read(&fx.docs(), "SOURCES"),
        sources,
        "the pinned copy is not restamped"
    );
}

#[test]
fn drift_opens_an_issue_with_the_text_report_and_keeps_the_json() {
    let fx = Fixture::new();
    let pinned = fx.read(DELETE_MDX);
    let run = live_drift(&fx, drifted(&fx), "");
    assert_eq!(run.out.status.code(), Some(1), "{}", explain(&run));
    let report = read(&run.reports, "report.txt");
    assert!(
        report.contains("response.data.tasksCount  [response_field_missing]"),
        "{report}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&run.reports, "report.json")).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{json:#}");
    assert!(
        findings
            .iter()
            .all(|f| f["operation"] == "deleteAllUserData")
    );
    let body = read(&run.reports, "issue.md");
    assert!(
        body.contains(&report),
        "the issue body holds the text report:\n{body}"
    );
    let calls: Vec<&str> = run.gh_log.lines().collect();
    assert_eq!(calls.len(), 3, "{}", run.gh_log);
    assert!(
        calls[0].starts_with("label create docs-drift"),
        "{}",
        calls[0]
    );
    assert!(
        calls[1].starts_with("issue list --label docs-drift --state open"),
        "{}",
        calls[1]
    );
    assert_eq!(
        calls[2],
        format!(
            "issue create --title Velt's live documentation differs from openapi/velt.yaml --label docs-drift --body-file {}",
            run.reports.join("issue.md").display()
        )
    );
    assert_eq!(
        fx.read(DELETE_MDX),
        pinned,
        "the pinned snapshot is not touched"
    );
}

#[test]
fn drift_updates_the_open_issue_instead_of_opening_another() {
    let fx = Fixture::new();
    let run = live_drift(&fx, drifted(&fx), "17");
    assert_eq!(run.out.status.code(), Some(1), "{}", explain(&run));
    let calls: Vec<&str> = run.gh_log.lines().collect();
    assert_eq!(
        calls.last().copied(),
        Some(
            format!(
                "issue edit 17 --body-file {}",
                run.reports.join("issue.md").display()
            )
            .as_str()
        ),
        "{}",
        run.gh_log
    );
    assert!(!run.gh_log.contains("issue create"), "{}", run.gh_log);
    assert!(String::from_utf8_lossy(&run.out.stdout).contains("updated issue #17"));
}

#[test]
fn pages_that_cannot_be_fetched_exit_2_without_a_report_or_issue() {
    let fx = Fixture::new();
    // The .mdx sources answer with a rendered HTML page.
    let routes = live_routes(&fx.docs(), |_, t| t)
        .into_iter()
        .map(|(path, ty, body)| {
            if path.ends_with(".mdx") {
                (
                    path,
                    "text/html",
                    "<!DOCTYPE html><html></html>".to_string(),
                )
            } else {
                (path, ty, body)
            }
        })
        .collect();
    let run = live_drift(&fx, routes, "");
    assert_eq!(run.out.status.code(), Some(2), "{}", explain(&run));
    assert!(
        String::from_utf8_lossy(&run.out.stderr).contains("HTML"),
        "{}",
        explain(&run)
    );
    assert!(!run.reports.join("report.txt").exists());
    assert_eq!(run.gh_log, "");
}
