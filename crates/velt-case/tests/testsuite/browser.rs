//! The report in a real browser: Debian's chromium, headless, dumps the DOM it built from
//! `report.html`; the exported texts must be there, and hostile values must be text that
//! created no element.
//!
//! Runs when chromium is there (`VELT_CHROMIUM`, else `/usr/bin/chromium` or
//! `/usr/bin/chromium-browser`). Without it the test says on standard error that it was not
//! run and passes, so that `cargo test` passes on a fresh machine (the report's safety is still
//! checked there, without a browser, by `report_html.rs`); with `VELT_REQUIRE_BROWSER=1`
//! (`.ci/run` sets it, and installs chromium) a missing chromium is a failure.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use velt_api::search::Subject;
use velt_case::model::{self, FileRole};
use velt_case::{CaseFolder, NewCase, ReportOptions, RequestKind, Status};

/// What the test says when it finds no chromium.
const NOT_RUN: &str =
    "browser test not run: chromium not found (set VELT_REQUIRE_BROWSER=1 to make this a failure)";

/// The chromium to run: `VELT_CHROMIUM` when set, else Debian's; `None` when it does not exist.
fn find_chromium(named: Option<PathBuf>) -> Option<PathBuf> {
    let candidates = match named {
        Some(path) => vec![path],
        None => vec![
            PathBuf::from("/usr/bin/chromium"),
            PathBuf::from("/usr/bin/chromium-browser"),
        ],
    };
    candidates.into_iter().find(|path| path.is_file())
}

/// Whether a missing chromium is a failure: `VELT_REQUIRE_BROWSER=1`.
fn browser_required(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v == "1")
}

/// The chromium to run, or `None` after saying on standard error that the test was not run;
/// panics with the same words when `VELT_REQUIRE_BROWSER=1`.
fn chromium() -> Option<PathBuf> {
    let found = find_chromium(std::env::var_os("VELT_CHROMIUM").map(PathBuf::from));
    if found.is_none() {
        if browser_required(std::env::var_os("VELT_REQUIRE_BROWSER").as_deref()) {
            panic!("{NOT_RUN}");
        }
        // Straight to standard error: the test harness keeps `eprintln!` of a passing test to
        // itself, and this must be seen.
        let _ = writeln!(std::io::stderr(), "{NOT_RUN}");
    }
    found
}

/// Runs headless chromium with `args` and the page, returning standard output; kills it after
/// two minutes.
fn run_chromium(chromium: &Path, args: &[&str], page: &Path, profile: &Path) -> String {
    let url = format!("file://{}", page.display());
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chromium: {e}"));
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut std::io::BufReader::new(stdout), &mut out).map(|_| out)
    });
    let started = Instant::now();
    loop {
        match child.try_wait().unwrap() {
            Some(status) => {
                let out = reader.join().unwrap().unwrap();
                assert!(
                    status.success() || !out.is_empty(),
                    "chromium failed: {status}"
                );
                return out;
            }
            None if started.elapsed() > Duration::from_secs(120) => {
                let _ = child.kill();
                panic!("chromium did not finish within two minutes");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn without_chromium_the_test_is_not_run_unless_it_is_required() {
    let missing = Some(PathBuf::from("/nonexistent/velt-chromium"));
    assert_eq!(find_chromium(missing), None);
    assert_eq!(
        find_chromium(Some(std::env::current_exe().unwrap())),
        Some(std::env::current_exe().unwrap()),
        "an existing VELT_CHROMIUM is used"
    );
    assert!(browser_required(Some("1".as_ref())));
    assert!(!browser_required(Some("0".as_ref())));
    assert!(!browser_required(None));
}

#[test]
fn chromium_shows_the_exported_texts_and_no_hostile_element() {
    let Some(chromium) = chromium() else {
        return;
    };
    let root = common::temp_dir("browser");
    let dir = root.join("case");
    let mut case = CaseFolder::create(
        &dir,
        &NewCase {
            subject: Subject::email("ana@example.com"),
            kinds: vec![RequestKind::Access],
            received: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        },
    )
    .unwrap();
    let file = case.export_path("org-0001", "user-0001").unwrap();
    let mut items = common::items("org-0001", 60, 11);
    items.push((
        "comments".into(),
        json!({
            "annotationId": "hostile-1",
            "comments": [
                {"commentText": "<script>alert(1)</script>", "commentHtml": "<p><script>alert(1)</script></p>", "from": {"name": "Mallory", "email": "m@example.com"}, "createdAt": 1772546700000u64},
                {"commentText": "<img src=x onerror=alert(1)>", "from": {"name": "<img src=y onerror=alert(2)>"}, "createdAt": "2026-03-03T14:06:00.000Z"},
                {"commentHtml": "<video src=https://evil.example.com/v.mp4 autoplay></video>", "from": {"userId": "user-9"}},
            ],
            "pageInfo": {"title": "Budget <script>alert(3)</script>", "url": "https://evil.example.com/<img src=z>"},
            "createdAt": 1772546700000u64,
        }),
    ));
    items.push((
        "recordings".into(),
        json!({"recordingType": "video", "videoUrl": "https://storage.example.com/v.mp4", "thumbnailUrl": "https://storage.example.com/t.png", "createdAt": 1772546700000u64}),
    ));
    items.push((
        "userProfile".into(),
        json!({"email": "ana@example.com", "bio": "<img src=x onerror=alert(4)>"}),
    ));
    common::write_export(&file, "org-0001", "user-0001", &items);
    case.record_export("org-0001", "user-0001").unwrap();
    // An activity record (another of Velt's stores) whose action and values hold markup.
    let activities = format!("{}/org-0001/user-0001/activities.ndjson", model::STORES_DIR);
    std::fs::create_dir_all(
        dir.join(model::STORES_DIR)
            .join("org-0001")
            .join("user-0001"),
    )
    .unwrap();
    let record = json!({
        "id": "act-1",
        "actionType": "<img src=q onerror=alert(8)>",
        "actionUser": {"userId": "user-0001", "name": "<script>alert(9)</script>"},
        "timestamp": 1772546700000u64,
        "changes": {"commentText": {"from": "<script>alert(6)</script>", "to": "<img src=x onerror=alert(7)>"}},
        "entityData": {"comments": [{"commentHtml": "<iframe src=https://evil.example.com/></iframe>"}]},
    });
    std::fs::write(dir.join(&activities), format!("{record}\n")).unwrap();
    case.record_file(&activities, FileRole::StoreData).unwrap();
    case.set_status(Status::Exported).unwrap();
    case.write_report(&ReportOptions {
        notice_markdown: Some(
            "**Acme Ltd** answers your request. <script>alert(5)</script> Questions: dpo@acme.example.\n\n![x](https://evil.example.com/i.png)"
                .into(),
        ),
        ..ReportOptions::default()
    })
    .unwrap();

    let profile = root.join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let dom = run_chromium(
        &chromium,
        &["--dump-dom"],
        &dir.join("report.html"),
        &profile,
    );
    assert!(dom.contains("<html"), "no DOM dumped: {dom:.500}");

    // The exported texts are on the page.
    for text in [
        "Your data held in Velt",
        "Could we move the launch date to Thursday?",
        "Ich habe die Zusammenfassung überarbeitet.",
        "Recording",
        "commented on",
        "https://storage.example.com/v.mp4",
        "Acme Ltd",
        "63 items",
        "sha256sum",
        "velt data verify-export",
        "Activity log",
        "What this answer covers",
        "Presence",
    ] {
        assert!(dom.contains(text), "{text:?} is not in the DOM");
    }
    // Hostile values are text...
    for text in [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;img src=y onerror=alert(2)&gt;",
        "&lt;video src=https://evil.example.com/v.mp4 autoplay&gt;&lt;/video&gt;",
        "&lt;script&gt;alert(5)&lt;/script&gt;",
        "&lt;img src=x onerror=alert(4)&gt;",
        "Activity #1: &lt;img src=q onerror=alert(8)&gt;",
        "before: &lt;script&gt;alert(6)&lt;/script&gt;",
        "after: &lt;img src=x onerror=alert(7)&gt;",
        "&lt;script&gt;alert(9)&lt;/script&gt;",
        "&lt;iframe src=https://evil.example.com/&gt;&lt;/iframe&gt;",
    ] {
        assert!(dom.contains(text), "{text:?} is not shown as text");
    }
    // ... and made no element.
    let lower = dom.to_lowercase();
    for element in [
        "<script", "<img", "<video", "<audio", "<iframe", "<a ", "<object", "<embed", "<link",
    ] {
        assert_eq!(
            lower.matches(element).count(),
            0,
            "{element} elements in the DOM"
        );
    }
    assert!(lower.matches("<details").count() >= 5);
    assert!(dom.contains("Content-Security-Policy"));
    std::fs::remove_dir_all(root).unwrap();
}
