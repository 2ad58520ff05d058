//! The case folder end to end: deadlines and extensions, the event chain, check, list,
//! escaping in the report, permissions, zip, file names of hostile ids, the typed subject.

use crate::common;

use std::path::Path;

use chrono::NaiveDate;
use serde_json::json;
use velt_api::search::Subject;
use velt_case::model::FileRole;
use velt_case::{CaseFolder, Error, ListEntry, NewCase, ReportOptions, RequestKind, Status};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn new_case(dir: &Path, received: NaiveDate) -> CaseFolder {
    CaseFolder::create(
        dir,
        &NewCase {
            subject: Subject::email("ana@example.com"),
            kinds: vec![RequestKind::Access],
            received,
        },
    )
    .unwrap()
}

/// A case with a search, one export of 40 items and a report.
fn full_case(dir: &Path) -> CaseFolder {
    let mut case = new_case(dir, d(2026, 3, 2));
    case.record_search(
        br#"{"query":{"email":"ana@example.com"},"users":["user-0001"]}"#,
        json!({"users": 1}),
    )
    .unwrap();
    let file = case.export_path("org-0001", "user-0001").unwrap();
    common::write_export(
        &file,
        "org-0001",
        "user-0001",
        &common::items("org-0001", 40, 7),
    );
    let export = case.record_export("org-0001", "user-0001").unwrap();
    assert_eq!(export.items, 40);
    case.set_status(Status::Exported).unwrap();
    case.write_report(&ReportOptions::default()).unwrap();
    case
}

#[test]
fn a_new_case_is_due_one_calendar_month_later() {
    let root = common::temp_dir("due");
    for (received, due) in [
        (d(2026, 1, 31), d(2026, 2, 28)),
        (d(2028, 1, 31), d(2028, 2, 29)),
        (d(2026, 12, 10), d(2027, 1, 10)),
        (d(2026, 8, 31), d(2026, 9, 30)),
    ] {
        let case = new_case(&root.join(received.to_string()), received);
        assert_eq!(case.case().due, due, "received {received}");
        let saved: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root.join(received.to_string()).join("case.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(saved["received"], json!(received.to_string()));
        assert_eq!(saved["due"], json!(due.to_string()));
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn extensions_add_two_months_at_most_and_a_third_is_refused() {
    let root = common::temp_dir("extend");
    let mut case = new_case(&root.join("a"), d(2026, 1, 31));
    assert_eq!(
        case.extend(1, "Many organizations to search.").unwrap(),
        d(2026, 3, 31)
    );
    assert_eq!(
        case.extend(1, "Still waiting for Velt's erasure.").unwrap(),
        d(2026, 4, 30)
    );
    let refused = case.extend(1, "once more").unwrap_err();
    assert!(matches!(refused, Error::Refused(_)));
    let message = refused.to_string();
    assert!(message.contains("2 of at most 2"), "{message}");
    assert!(message.contains("2026-04-30"), "{message}");
    assert_eq!(case.case().due, d(2026, 4, 30));
    assert_eq!(case.case().extensions.len(), 2);

    let mut other = new_case(&root.join("b"), d(2027, 11, 30));
    assert!(matches!(
        other.extend(3, "three at once"),
        Err(Error::Refused(_))
    ));
    assert!(matches!(other.extend(1, "  "), Err(Error::Refused(_))));
    assert!(matches!(other.extend(0, "zero"), Err(Error::Refused(_))));
    // Two months at once from a November received date: the end of February, leap year.
    assert_eq!(other.extend(2, "complex request").unwrap(), d(2028, 2, 29));
    drop((case, other));
    let reloaded = velt_case::Case::load(&root.join("b")).unwrap();
    assert_eq!(reloaded.due, d(2028, 2, 29));
    assert_eq!(reloaded.extensions[0].reason, "complex request");
    let check = velt_case::check(&root.join("b"), d(2028, 3, 2)).unwrap();
    assert!(check.is_intact(), "{:?}", check.problems);
    assert_eq!(check.days_left, Some(-2));
    assert!(check.is_overdue());
    assert_eq!(
        check.deadline_in_words(),
        "due 29 February 2028, overdue by 2 days"
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_complete_case_checks_clean_and_zips() {
    let root = common::temp_dir("clean");
    let dir = root.join("case-ana");
    let case = full_case(&dir);
    let report = velt_case::check(&dir, d(2026, 3, 20)).unwrap();
    assert!(report.is_intact(), "{:#?}", report.problems);
    assert_eq!(report.status, Status::Exported);
    assert_eq!(report.due, d(2026, 4, 2));
    assert_eq!(report.days_left, Some(13));
    assert_eq!(report.events, 5); // created, search, export, status, report
    let roles: Vec<FileRole> = case.case().files.iter().map(|f| f.role).collect();
    assert!(roles.contains(&FileRole::Export) && roles.contains(&FileRole::Manifest));
    assert!(roles.contains(&FileRole::Search) && roles.contains(&FileRole::Report));

    let zip = case.zip().unwrap();
    assert_eq!(zip, root.join("case-ana.zip"));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    let mut export = Vec::new();
    std::io::Read::read_to_end(
        &mut archive
            .by_name("case-ana/data/org-0001/user-0001.ndjson")
            .unwrap(),
        &mut export,
    )
    .unwrap();
    assert_eq!(
        export,
        std::fs::read(dir.join("data/org-0001/user-0001.ndjson")).unwrap()
    );
    for entry in [
        "case-ana/case.json",
        "case-ana/events.jsonl",
        "case-ana/report.html",
        "case-ana/search.json",
        "case-ana/data/org-0001/user-0001.ndjson",
        "case-ana/data/org-0001/user-0001.ndjson.manifest.json",
    ] {
        assert!(
            names.iter().any(|n| n == entry),
            "{entry} missing from the zip: {names:?}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("data")), 0o700);
        assert_eq!(mode(&dir.join("data/org-0001")), 0o700);
        for f in [
            "case.json",
            "events.jsonl",
            "report.html",
            "search.json",
            "data/org-0001/user-0001.ndjson",
            "data/org-0001/user-0001.ndjson.manifest.json",
        ] {
            assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
        }
        assert_eq!(mode(&zip), 0o600);
    }
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

/// Rewrites `events.jsonl` of `dir` with `edit` applied to its lines.
fn edit_log(dir: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let path = dir.join("events.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    edit(&mut lines);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn the_event_chain_catches_a_changed_removed_or_reordered_line() {
    let root = common::temp_dir("chain");
    let today = d(2026, 3, 5);
    type Edit = fn(&mut Vec<String>);
    let cases: [(&str, Edit); 4] = [
        ("changed", |l| {
            l[2] = l[2].replacen("\"export\"", "\"exports\"", 1)
        }),
        ("removed", |l| {
            l.remove(1);
        }),
        ("reordered", |l| l.swap(2, 3)),
        ("last removed", |l| {
            l.pop();
        }),
    ];
    for (name, edit) in cases {
        let dir = root.join(name.replace(' ', "-"));
        drop(full_case(&dir));
        assert!(velt_case::check(&dir, today).unwrap().is_intact());
        edit_log(&dir, edit);
        let report = velt_case::check(&dir, today).unwrap();
        assert!(!report.is_intact(), "{name}: not caught");
        assert!(
            report.problems.iter().all(|p| p.file == "events.jsonl"),
            "{name}: {:#?}",
            report.problems
        );
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn check_names_one_changed_byte_in_an_export_or_in_the_report() {
    let root = common::temp_dir("byte");
    let today = d(2026, 3, 5);
    for target in [
        "data/org-0001/user-0001.ndjson",
        "report.html",
        "search.json",
    ] {
        let dir = root.join(target.replace('/', "_"));
        drop(full_case(&dir));
        let path = dir.join(target);
        let mut bytes = std::fs::read(&path).unwrap();
        // One byte, same length: a letter in the middle of the file.
        let at = (bytes.len() / 2..bytes.len())
            .find(|&i| bytes[i].is_ascii_lowercase())
            .unwrap();
        bytes[at] = bytes[at].to_ascii_uppercase();
        std::fs::write(&path, &bytes).unwrap();
        let report = velt_case::check(&dir, today).unwrap();
        let shas: Vec<_> = report
            .problems
            .iter()
            .filter(|p| p.file == target && p.what == "sha256")
            .collect();
        // The export differs from case.json and from its manifest: named twice.
        let expected = if target.ends_with(".ndjson") { 2 } else { 1 };
        assert_eq!(shas.len(), expected, "{target}: {:#?}", report.problems);
        assert!(
            shas[0]
                .to_string()
                .starts_with(&format!("{target}: sha256: expected "))
        );
        assert!(report.problems.iter().all(|p| p.what != "size"));
    }

    // A removed line of an export: size, hash and the item count per feature all differ.
    let dir = root.join("line");
    drop(full_case(&dir));
    let path = dir.join("data/org-0001/user-0001.ndjson");
    let text = std::fs::read_to_string(&path).unwrap();
    let first = text.lines().next().unwrap().to_string();
    std::fs::write(&path, &text[first.len() + 1..]).unwrap();
    let report = velt_case::check(&dir, today).unwrap();
    let whats: Vec<&str> = report.problems.iter().map(|p| p.what.as_str()).collect();
    assert!(whats.contains(&"items of \"comments\""), "{whats:?}");
    assert!(whats.contains(&"items"), "{whats:?}");
    assert!(whats.contains(&"size"), "{whats:?}");

    // The report and its hash in case.json changed together: the event log still has the
    // hash the report step logged.
    let dir = root.join("together");
    drop(full_case(&dir));
    let report = dir.join("report.html");
    let mut bytes = std::fs::read(&report).unwrap();
    bytes.extend_from_slice(b"<!-- added -->");
    std::fs::write(&report, &bytes).unwrap();
    let (size, sha) = (bytes.len() as u64, {
        let mut hashing = velt_case::records::HashingWriter::new(std::io::sink());
        hashing.account(&bytes);
        hashing.sha256()
    });
    let mut case = velt_case::Case::load(&dir).unwrap();
    for f in &mut case.files {
        if f.path == "report.html" {
            f.bytes = size;
            f.sha256 = sha.clone();
        }
    }
    case.save(&dir).unwrap();
    let found = velt_case::check(&dir, today).unwrap();
    assert_eq!(found.problems.len(), 1, "{:#?}", found.problems);
    assert_eq!(found.problems[0].file, "report.html");
    assert!(
        found.problems[0]
            .what
            .starts_with("sha256 in case.json, against line ")
    );
    assert_eq!(found.problems[0].found, sha);

    // A file nobody recorded, and a recorded one that is gone.
    std::fs::write(dir.join("data/org-0001/user-0002.ndjson.part"), "{}").unwrap();
    std::fs::remove_file(dir.join("search.json")).unwrap();
    let report = velt_case::check(&dir, today).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.file == "data/org-0001/user-0002.ndjson.part" && p.what == "not recorded")
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.file == "search.json" && p.what == "missing")
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_mismatched_export_is_refused_when_recorded() {
    let root = common::temp_dir("refuse");
    let mut case = new_case(&root.join("c"), d(2026, 3, 2));
    let file = case.export_path("org-0001", "user-0001").unwrap();
    common::write_export(
        &file,
        "org-0001",
        "user-0001",
        &common::items("org-0001", 5, 1),
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, b"{\"feature\":\"comments\",\"item\":{}}\n")
        })
        .unwrap();
    let error = case
        .record_export("org-0001", "user-0001")
        .unwrap_err()
        .to_string();
    assert!(error.contains("does not match its manifest"), "{error}");
    assert!(error.contains("items of \"comments\""), "{error}");
    assert!(case.case().files.is_empty());
    assert!(matches!(
        case.export_path("", "user"),
        Err(Error::Refused(_))
    ));
    assert!(matches!(
        case.export_path("org", ""),
        Err(Error::Refused(_))
    ));
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_case_open_for_changes_refuses_a_second_writer() {
    let root = common::temp_dir("busy");
    let dir = root.join("c");
    let case = new_case(&dir, d(2026, 3, 2));
    assert!(matches!(CaseFolder::open(&dir), Err(Error::Busy(_))));
    drop(case);
    let mut again = CaseFolder::open(&dir).unwrap();
    again.add_kind(RequestKind::Erasure).unwrap();
    again.add_kind(RequestKind::Access).unwrap();
    assert_eq!(
        again.case().kinds,
        [RequestKind::Access, RequestKind::Erasure]
    );
    again.set_status(Status::Closed).unwrap();
    assert_eq!(
        velt_case::check(&dir, d(2026, 6, 1)).unwrap().days_left,
        None
    );
    assert_eq!(again.case().events.lines, 3);
    assert!(matches!(
        CaseFolder::create(
            &dir,
            &NewCase {
                subject: Subject::user_id("x"),
                kinds: vec![RequestKind::Erasure],
                received: d(2026, 1, 1)
            }
        ),
        Err(Error::Refused(_))
    ));
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn list_puts_overdue_cases_first_then_by_due_date_then_closed_ones() {
    let root = common::temp_dir("list");
    let today = d(2026, 5, 10);
    let mk = |name: &str, received: NaiveDate, status: Status| {
        let mut case = new_case(&root.join(name), received);
        if status != Status::Open {
            case.set_status(status).unwrap();
        }
    };
    mk("due-later", d(2026, 5, 1), Status::Open); // due 1 June
    mk("overdue-long", d(2026, 3, 1), Status::Exported); // due 1 April: 39 days over
    mk("closed-old", d(2026, 2, 1), Status::Closed); // due 1 March, but closed
    mk("due-soon", d(2026, 4, 12), Status::Erasing); // due 12 May
    mk("overdue-short", d(2026, 4, 8), Status::Open); // due 8 May: 2 days over
    std::fs::create_dir_all(root.join("not-a-case")).unwrap();
    std::fs::create_dir_all(root.join("broken")).unwrap();
    std::fs::write(root.join("broken/case.json"), "{").unwrap();
    std::fs::write(root.join("loose-file.txt"), "x").unwrap();

    let entries = velt_case::list(&root, today).unwrap();
    let names: Vec<String> = entries
        .iter()
        .map(|e| match e {
            ListEntry::Case(c) => format!(
                "{} {} {:?}",
                c.dir.file_name().unwrap().to_string_lossy(),
                c.status,
                c.days_left
            ),
            ListEntry::Unreadable { dir, .. } => {
                format!("{} unreadable", dir.file_name().unwrap().to_string_lossy())
            }
        })
        .collect();
    assert_eq!(
        names,
        [
            "overdue-long exported Some(-39)",
            "overdue-short open Some(-2)",
            "due-soon erasing Some(2)",
            "due-later open Some(22)",
            "closed-old closed None",
            "broken unreadable",
        ]
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn hostile_values_are_escaped_in_the_report() {
    let root = common::temp_dir("hostile");
    let dir = root.join("c");
    let mut case = CaseFolder::create(
        &dir,
        &NewCase {
            subject: Subject::email("<b>evil</b>@example.com"),
            kinds: vec![RequestKind::Access, RequestKind::Erasure],
            received: d(2026, 3, 2),
        },
    )
    .unwrap();
    let file = case.export_path("org-<i>", "user-0001").unwrap();
    let hostile = "<script>alert(1)</script>";
    let img = "<img src=x onerror=alert(1)>";
    let items = vec![
        (
            "comments".to_string(),
            json!({
                "annotationId": "\"><script>alert(2)</script>",
                "comments": [
                    {"commentText": hostile, "commentHtml": img, "from": {"name": img, "email": "a@example.com"}, "createdAt": 1772546700000u64},
                    {"commentHtml": "<p onclick=alert(3)>only html</p>", "from": {"userId": "u-2"}, "createdAt": "2026-03-03T14:06:00Z"},
                ],
                "pageInfo": {"title": "</title><script>alert(4)</script>", "url": "javascript:alert(5)"},
                "createdAt": 1772546700000u64,
            }),
        ),
        (
            "recordings".to_string(),
            json!({"attachment": {"url": "https://evil.example.com/x.webm\"><video src=x>"}, "videoUrl": "https://evil.example.com/v.mp4", "recordingType": "<svg onload=alert(6)>"}),
        ),
        (
            "notifications".to_string(),
            json!({"displayHeadlineMessage": "<iframe src=//evil.example.com>", "timestamp": "not a time"}),
        ),
        (
            "userProfile".to_string(),
            json!({"<key onmouseover=alert(7)>": "<style>body{display:none}</style>"}),
        ),
        (
            "reactions".to_string(),
            json!("<a href=//evil.example.com>not an object</a>"),
        ),
    ];
    common::write_export(&file, "org-<i>", "user-0001", &items);
    case.record_export("org-<i>", "user-0001").unwrap();
    case.write_report(&ReportOptions {
        notice_markdown: Some(format!(
            "Notice with {hostile} and {img} and <a href=\"https://evil.example.com\">link</a>"
        )),
        max_items_per_section: 10,
        generated_at: None,
    })
    .unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let lower = html.to_lowercase();
    for tag in [
        "<script",
        "<img",
        "<video",
        "<iframe",
        "<svg",
        "<a ",
        "<a\n",
        "<b>",
        "<i>",
        "<p onclick",
        "<key",
        "<audio",
        "<source",
        "<link",
        "<object",
        "<embed",
    ] {
        assert!(!lower.contains(tag), "{tag} in the report");
    }
    assert_eq!(
        lower.matches("<style").count(),
        1,
        "only the report's own style"
    );
    assert!(
        !lower.contains("onerror=alert") || lower.contains("&lt;img src=x onerror=alert(1)&gt;")
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "the comment text is shown as text"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(
        html.contains("&lt;p onclick=alert(3)&gt;only html&lt;&#x2f;p&gt;"),
        "HTML-only comments are shown as source"
    );
    assert!(html.contains("&lt;b&gt;evil&lt;&#x2f;b&gt;@example.com"));
    assert!(
        html.contains("javascript:alert(5)"),
        "addresses are shown as text"
    );
    // Every tag in the report is one of the template's own (or the notice's Markdown).
    let allowed = [
        "!doctype", "html", "head", "meta", "title", "style", "body", "header", "main", "section",
        "h1", "h2", "h3", "h4", "p", "div", "ul", "ol", "li", "strong", "em", "span", "code",
        "pre", "table", "tr", "th", "td", "details", "summary", "article", "dl", "dt", "dd",
    ];
    for (i, _) in html.match_indices('<') {
        let name: String = html[i + 1..]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect::<String>()
            .to_lowercase();
        assert!(
            allowed.contains(&name.as_str()),
            "tag <{name}> at {i}: {}",
            &html[i..(i + 80).min(html.len())]
        );
    }
    // Attributes: only class, id, lang, charset, http-equiv, content, name.
    for attr in [
        "href=",
        " src=",
        "onerror=",
        "onclick=",
        "onload=",
        "onmouseover=",
        "style=",
    ] {
        for (i, _) in lower.match_indices(attr) {
            let open = lower[..i].rfind('<').unwrap_or(0);
            let close = lower[..i].rfind('>').unwrap_or(0);
            assert!(
                close > open,
                "attribute {attr} inside a tag at {i}: {}",
                &html[open..(i + 40).min(html.len())]
            );
        }
    }
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    ));
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn big_sections_are_capped_with_a_note_and_everything_is_counted() {
    let root = common::temp_dir("cap");
    let dir = root.join("c");
    let mut case = new_case(&dir, d(2026, 3, 2));
    let file = case.export_path("org-0001", "user-0001").unwrap();
    common::write_export(
        &file,
        "org-0001",
        "user-0001",
        &common::items("org-0001", 400, 3),
    );
    case.record_export("org-0001", "user-0001").unwrap();
    let summary = case
        .write_report(&ReportOptions {
            max_items_per_section: 30,
            ..ReportOptions::default()
        })
        .unwrap();
    assert_eq!(summary.items, 400);
    assert_eq!(
        summary.bytes,
        std::fs::metadata(dir.join("report.html")).unwrap().len()
    );
    assert_eq!(summary.items_shown, 120);
    assert_eq!(summary.sections, 4);
    assert_eq!(summary.sections_capped, 4);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Shown here: the first 30 of 100 comment threads. All 100 are in the file <code>data&#x2f;org-0001&#x2f;user-0001.ndjson</code>"), "{}", &html[..2000]);
    assert!(html.contains("<strong>400 items</strong>"));
    assert_eq!(html.matches("<article").count(), 120);
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn hostile_ids_are_exported_inside_the_case_and_check_clean() {
    let root = common::temp_dir("ids");
    let dir = root.join("c");
    let mut case = new_case(&dir, d(2026, 3, 2));
    let ids = [
        ("org/../../x", "../../etc/passwd"),
        ("..", "."),
        ("org 1", "user name with spaces"),
        ("Organisation Zoë", "ユーザー"),
        ("org\\1", "a\nb"),
    ];
    for (org, user) in ids {
        let file = case.export_path(org, user).unwrap();
        assert!(file.starts_with(dir.join("data")), "{}", file.display());
        let relative = file.strip_prefix(&dir).unwrap();
        assert_eq!(relative.components().count(), 3, "{}", relative.display());
        assert!(
            relative
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_))),
            "{}",
            relative.display()
        );
        assert_eq!(
            relative.to_string_lossy().replace('\\', "/"),
            velt_case::model::export_file(org, user)
        );
        common::write_export(&file, org, user, &common::items(org, 4, 2));
        let export = case.record_export(org, user).unwrap();
        assert_eq!(export.items, 4);
    }
    // Nothing was written outside the case folder.
    let outside: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["c"]);
    let report = velt_case::check(&dir, d(2026, 3, 5)).unwrap();
    assert!(report.is_intact(), "{:#?}", report.problems);
    case.write_report(&ReportOptions::default()).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("ユーザー"),
        "the ids from the manifests are shown"
    );
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn an_export_of_another_user_is_refused_and_a_moved_one_is_named_by_check() {
    let root = common::temp_dir("moved");
    let dir = root.join("c");
    let mut case = new_case(&dir, d(2026, 3, 2));
    // The manifest is of user-0002, the file where user-0001's goes.
    let file = case.export_path("org-0001", "user-0001").unwrap();
    common::write_export(&file, "org-0001", "user-0002", &common::items("o", 3, 1));
    let error = case
        .record_export("org-0001", "user-0001")
        .unwrap_err()
        .to_string();
    assert!(error.contains("not of user \"user-0001\""), "{error}");
    assert!(case.case().files.is_empty());

    // A recorded export moved (with its manifest and its records) to another user's name.
    common::write_export(&file, "org-0001", "user-0001", &common::items("o", 3, 1));
    case.record_export("org-0001", "user-0001").unwrap();
    drop(case);
    let data = dir.join("data/org-0001");
    for suffix in ["", ".manifest.json"] {
        std::fs::rename(
            data.join(format!("user-0001.ndjson{suffix}")),
            data.join(format!("user-0009.ndjson{suffix}")),
        )
        .unwrap();
    }
    let mut record = velt_case::Case::load(&dir).unwrap();
    for f in &mut record.files {
        f.path = f.path.replace("user-0001", "user-0009");
    }
    record.save(&dir).unwrap();
    let report = velt_case::check(&dir, d(2026, 3, 5)).unwrap();
    let path = report
        .problems
        .iter()
        .find(|p| p.what == "path")
        .unwrap_or_else(|| panic!("{:#?}", report.problems));
    assert_eq!(path.file, "data/org-0001/user-0009.ndjson");
    assert!(path.expected.starts_with("data/org-0001/user-0001.ndjson"));
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn the_subject_is_stored_typed_and_older_cases_with_a_string_still_read() {
    let root = common::temp_dir("subject");
    let dir = root.join("by-id");
    let case = CaseFolder::create(
        &dir,
        &NewCase {
            subject: Subject::user_id("user-0012"),
            kinds: vec![RequestKind::Erasure],
            received: d(2026, 3, 2),
        },
    )
    .unwrap();
    drop(case);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
    assert_eq!(saved["subject"], json!({"userId": "user-0012"}));

    // Cases written before: `user:USER` and a plain email.
    for (name, text, subject, words) in [
        (
            "old-id",
            "user:user-0012",
            Subject::user_id("user-0012"),
            "user id user-0012",
        ),
        (
            "old-email",
            "jane@example.com",
            Subject::email("jane@example.com"),
            "jane@example.com",
        ),
    ] {
        let old = root.join(name);
        drop(new_case(&old, d(2026, 3, 2)));
        let path = old.join("case.json");
        let mut value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        value["subject"] = json!(text);
        std::fs::write(&path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
        let loaded = velt_case::Case::load(&old).unwrap();
        assert_eq!(loaded.subject, subject);
        assert_eq!(loaded.subject.to_string(), words);
        // Opened for changes, it is written back typed.
        let mut case = CaseFolder::open(&old).unwrap();
        case.set_status(Status::Exported).unwrap();
        case.write_report(&ReportOptions::default()).unwrap();
        let html = std::fs::read_to_string(old.join("report.html")).unwrap();
        assert!(
            html.contains(&format!("<strong>{words}</strong>")),
            "{name}"
        );
        drop(case);
        let saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(saved["subject"], serde_json::to_value(&subject).unwrap());
    }
    let listed: Vec<String> = velt_case::list(&root, d(2026, 3, 5))
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            ListEntry::Case(c) => Some(c.subject.to_string()),
            ListEntry::Unreadable { .. } => None,
        })
        .collect();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .all(|s| s == "user id user-0012" || s == "jane@example.com")
    );
    std::fs::remove_dir_all(root).unwrap();
}
