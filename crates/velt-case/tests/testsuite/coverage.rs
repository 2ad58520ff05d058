//! Everything Velt holds, in the case and the report: the coverage table kept in `case.json`,
//! the data of the other stores (`stores/`) and the files behind the links (`files/`,
//! `files.json`) recorded and checked, and the report showing each, escaped, with local links
//! to the files and a summary that never claims more than the table says.

use crate::common;

use std::path::Path;

use scraper::{Html, Selector};
use serde_json::{Value, json};
use velt_api::search::Subject;
use velt_case::model::{self, CoverageRow, CoverageState, FileRole};
use velt_case::{CaseFolder, NewCase, ReportOptions, RequestKind};
use velt_files::{FetchReport, Fetched, FileRecord, NotFetchedReason, Outcome, Provenance};

const ORG: &str = "org-0001";
const USER: &str = "user-0001";
/// The bytes of the downloaded file: a marker that must never appear in the report.
const FILE_BYTES: &[u8] = b"VOICE-NOTE-BYTES-7f3a: not for the page";
const HOSTILE_TEXT: &str = "<script>alert('activity')</script><img src=x onerror=alert(2)>";

fn sha256(bytes: &[u8]) -> String {
    let mut hashing = velt_case::records::HashingWriter::new(std::io::sink());
    hashing.account(bytes);
    hashing.sha256()
}

fn row(store: &str, organization: Option<&str>, state: CoverageState) -> CoverageRow {
    CoverageRow {
        store: store.to_string(),
        label: format!("The {store} store"),
        organization_id: organization.map(str::to_string),
        organization_name: organization.map(|_| "Acme Ltd".to_string()),
        state,
        items: Some(2),
        bytes: Some(120),
        note: None,
        files: Vec::new(),
    }
}

/// Writes `lines` into the case at `relative` and records it with `role`.
fn store_file(case: &mut CaseFolder, relative: &str, lines: &[Value], role: FileRole) {
    let path = relative
        .split('/')
        .fold(case.dir().to_path_buf(), |p, s| p.join(s));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    case.record_file(relative, role).unwrap();
}

fn activity(n: u64, text: &str) -> Value {
    json!({
        "id": format!("act-{n}"),
        "featureType": "comment",
        "actionType": "comment.update",
        "actionUser": {"userId": USER, "name": "Ana Souza", "email": "ana@example.com"},
        "targetEntityId": "ann-1",
        "timestamp": 1772546700000u64 + n,
        "displayMessageTemplate": "{{actionUser.name}} edited a comment",
        "changes": {"commentText": {"from": text, "to": format!("after {text}")}},
        "entityData": {"annotationId": "ann-1", "comments": [{"commentText": text}]},
        "metadata": {"organizationId": ORG, "documentId": "doc-1", "apiKey": "(removed: a credential of the company, not your data)"},
    })
}

/// The folder of an access request answered with every store: an export, activity records
/// (one hostile), permissions, notification settings, the AI Memory profile and judgments,
/// one file downloaded and one link refused, and the coverage table.
fn answered_case(dir: &Path, files: CoverageState, activities: u64) -> CaseFolder {
    let mut case = CaseFolder::create(
        dir,
        &NewCase {
            subject: Subject::email("ana@example.com"),
            kinds: vec![RequestKind::Access],
            received: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        },
    )
    .unwrap();
    let export = case.export_path(ORG, USER).unwrap();
    common::write_export(&export, ORG, USER, &common::items(ORG, 8, 5));
    case.record_export(ORG, USER).unwrap();

    let folder = format!(
        "{}/{}/{}",
        model::STORES_DIR,
        model::file_stem(ORG),
        model::file_stem(USER)
    );
    let memory = format!("{}/memory/{}", model::STORES_DIR, model::file_stem(USER));
    let mut records = vec![activity(0, HOSTILE_TEXT)];
    records.extend((1..activities).map(|n| activity(n, "plain words")));
    let stores = [
        (format!("{folder}/activities.ndjson"), records),
        (
            format!("{folder}/permissions.json"),
            vec![
                json!({USER: {"organization": {ORG: {"accessRole": "editor"}}, "documents": {"doc-1": {"accessRole": "viewer", "accessType": "restricted"}}}}),
            ],
        ),
        (
            format!("{folder}/notification-settings.ndjson"),
            vec![
                json!({"config": {"inbox": "ALL", "email": "MINE"}, "metadata": {"organizationId": ORG, "userId": USER}}),
            ],
        ),
        (
            format!("{memory}/profile.json"),
            vec![
                json!({"userId": USER, "totalJudgments": 214, "approvalRate": 0.62, "topFlags": [{"issue": "missing-citation", "count": 31}], "lastActive": 1772546700000u64}),
            ],
        ),
        (
            format!("{memory}/judgments.ndjson"),
            vec![
                json!({"recordId": "j-1", "decision": "approved", "reasoning": "Approved after fixing the citation.", "actionUser": {"userId": USER}, "createdAt": 1772546700000u64}),
            ],
        ),
    ];
    for (path, lines) in &stores {
        store_file(&mut case, path, lines, FileRole::StoreData);
    }

    // One file downloaded, one link refused.
    let name = format!("{}.weba", sha256(FILE_BYTES));
    let files_dir = dir.join(model::FILES_DIR);
    std::fs::create_dir_all(&files_dir).unwrap();
    std::fs::write(files_dir.join(&name), FILE_BYTES).unwrap();
    let provenance = |field: &str| Provenance {
        organization_id: ORG.into(),
        feature: "comments".into(),
        item_id: "ann-1".into(),
        field_path: field.into(),
    };
    let index = FetchReport {
        files: vec![
            FileRecord {
                url: "https://storage.googleapis.com/velt/voice.webm".into(),
                provenance: provenance("/comments/0/commentVoiceUrl"),
                outcome: Outcome::Fetched(Fetched {
                    file: name.clone(),
                    size: FILE_BYTES.len() as u64,
                    sha256: sha256(FILE_BYTES),
                    content_type: Some("audio/webm".into()),
                    resumed: false,
                }),
            },
            FileRecord {
                url: "https://evil.example/<img src=x onerror=alert(3)>".into(),
                provenance: provenance("/comments/1/attachments/0/url"),
                outcome: Outcome::NotFetched {
                    reason: NotFetchedReason::HostNotAllowed {
                        host: "evil.example".into(),
                    },
                },
            },
        ],
        bytes_downloaded: FILE_BYTES.len() as u64,
    };
    std::fs::write(
        dir.join(model::FILE_INDEX),
        serde_json::to_vec_pretty(&index).unwrap(),
    )
    .unwrap();
    case.record_file(model::FILE_INDEX, FileRole::FileIndex)
        .unwrap();
    case.record_file(
        &format!("{}/{name}", model::FILES_DIR),
        FileRole::DownloadedFile,
    )
    .unwrap();

    let mut rows = vec![
        row("gdprExport", Some(ORG), CoverageState::Collected),
        CoverageRow {
            files: vec![stores[0].0.clone()],
            ..row("activities", Some(ORG), CoverageState::Collected)
        },
        CoverageRow {
            note: Some("possibly incomplete: at most 100 judgments a query".into()),
            files: vec![stores[4].0.clone()],
            organization_id: None,
            organization_name: None,
            ..row("judgments", None, CoverageState::Partial)
        },
        CoverageRow {
            note: Some("2 link(s) to files were found".into()),
            files: vec![model::FILE_INDEX.into()],
            organization_id: None,
            organization_name: None,
            ..row("files", None, files)
        },
    ];
    rows.extend(model::unread_stores());
    case.set_coverage(rows).unwrap();
    case
}

fn report(case: &mut CaseFolder, cap: usize) -> (String, velt_case::report::ReportSummary) {
    let summary = case
        .write_report(&ReportOptions {
            max_items_per_section: cap,
            ..ReportOptions::default()
        })
        .unwrap();
    let html = std::fs::read_to_string(case.dir().join(model::REPORT_FILE)).unwrap();
    (html, summary)
}

fn text_of(document: &Html, selector: &str) -> String {
    let selector = Selector::parse(selector).unwrap();
    document
        .select(&selector)
        .flat_map(|e| e.text())
        .collect::<String>()
}

#[test]
fn the_coverage_table_goes_through_case_json_and_old_cases_still_load() {
    let root = common::temp_dir("coverage-trip");
    let dir = root.join("case");
    let case = answered_case(&dir, CoverageState::Collected, 2);
    let rows = case.case().coverage.clone();
    drop(case);
    let loaded = velt_case::Case::load(&dir).unwrap();
    assert_eq!(loaded.coverage, rows);
    assert_eq!(loaded.coverage.len(), 4 + model::unread_stores().len());
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
    assert_eq!(saved["coverage"][2]["state"], "partial");
    assert_eq!(saved["coverage"][0]["organizationName"], "Acme Ltd");
    assert_eq!(saved["coverage"][4]["state"], "notRead");
    assert!(
        saved["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["role"] == "downloadedFile")
    );
    assert!(
        velt_case::check(&dir, chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap())
            .unwrap()
            .is_intact()
    );

    // A case.json written before the table was kept: no `coverage` key.
    let old = root.join("old");
    drop(
        CaseFolder::create(
            &old,
            &NewCase {
                subject: Subject::email("bo@example.com"),
                kinds: vec![RequestKind::Access],
                received: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            },
        )
        .unwrap(),
    );
    let text = std::fs::read_to_string(old.join("case.json")).unwrap();
    assert!(!text.contains("\"coverage\""), "{text}");
    assert!(velt_case::Case::load(&old).unwrap().coverage.is_empty());

    // An edit of the table in case.json alone is caught against the logged step.
    let mut edited = velt_case::Case::load(&dir).unwrap();
    edited.coverage[2].state = CoverageState::Collected;
    edited.save(&dir).unwrap();
    let found =
        velt_case::check(&dir, chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()).unwrap();
    assert!(
        found
            .problems
            .iter()
            .any(|p| p.file == "case.json" && p.what.starts_with("sha256 of the coverage table")),
        "{:#?}",
        found.problems
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn the_report_shows_the_coverage_table_and_names_the_unread_stores() {
    let root = common::temp_dir("coverage-table");
    let mut case = answered_case(&root.join("case"), CoverageState::Collected, 2);
    let (html, _) = report(&mut case, 1000);
    let document = Html::parse_document(&html);
    let table = text_of(&document, "#coverage table");
    for shown in [
        "The activities store",
        "Acme Ltd",
        "(org-0001)",
        "Collected in full",
        "Partly collected",
        "possibly incomplete: at most 100 judgments a query",
        "Not read: no documented call reads it",
        "stores/org-0001/user-0001/activities.ndjson",
    ] {
        assert!(table.contains(shown), "{shown:?} not in the table: {table}");
    }
    for unread in model::unread_stores() {
        assert!(table.contains(&unread.label), "{} not named", unread.label);
    }
    let rows = Selector::parse("#coverage table tr").unwrap();
    assert_eq!(
        document.select(&rows).count(),
        1 + 4 + model::unread_stores().len()
    );
    // The summary names the organization and the stores no call reads.
    let summary = text_of(&document, "#summary");
    assert!(summary.contains("Acme Ltd (org-0001)"), "{summary}");
    assert!(summary.contains("Presence"), "{summary}");
    // Each store's data is readable.
    let stores = text_of(&document, "#stores");
    for shown in [
        "Activity log in Acme Ltd (org-0001): 2 activity records",
        "Ana Souza edited a comment",
        "Organization org-0001",
        "editor",
        "Channel \u{201c}email\u{201d}",
        "MINE",
        "Your reviewer profile",
        "62%",
        "missing-citation (31 times)",
        "Judgment #1: approved",
        "Approved after fixing the citation.",
    ] {
        assert!(
            stores.contains(shown),
            "{shown:?} not in the stores: {stores}"
        );
    }
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn markup_in_an_activity_record_is_text_and_makes_no_element() {
    let root = common::temp_dir("coverage-escape");
    let mut case = answered_case(&root.join("case"), CoverageState::Collected, 1);
    // A coverage row with markup everywhere it is shown.
    let mut rows = case.case().coverage.clone();
    rows.push(CoverageRow {
        label: "<script>alert(4)</script>".into(),
        organization_id: Some("\"><img src=x onerror=alert(5)>".into()),
        organization_name: Some("<iframe src=https://evil.example.com/>".into()),
        note: Some("<a href=\"javascript:alert(6)\">x</a>".into()),
        files: vec!["<img src=https://evil.example.com/f.png>".into()],
        ..row("hostile", None, CoverageState::Failed)
    });
    case.set_coverage(rows).unwrap();
    let (html, summary) = report(&mut case, 1000);
    assert_eq!(summary.store_records, 5);
    assert_eq!(summary.store_records_shown, 5);
    let document = Html::parse_document(&html);
    let problems = crate::report_html::unsafe_things(&document);
    assert!(problems.is_empty(), "{problems:#?}");
    let table = text_of(&document, "#coverage");
    assert!(table.contains("<script>alert(4)</script>"), "{table}");
    assert!(
        table.contains("<a href=\"javascript:alert(6)\">x</a>"),
        "{table}"
    );
    for element in ["script", "img", "iframe", "object", "embed"] {
        let selector = Selector::parse(element).unwrap();
        assert_eq!(
            document.select(&selector).count(),
            0,
            "a <{element}> element"
        );
    }
    let activity = text_of(&document, "#stores article.activity");
    assert!(
        activity.contains(&format!("before: {HOSTILE_TEXT}")),
        "{activity}"
    );
    assert!(
        activity.contains(&format!("after: after {HOSTILE_TEXT}")),
        "{activity}"
    );
    assert!(activity.contains("onerror=alert(2)"), "{activity}");
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert("));
    // The link refused is text too.
    let downloads = text_of(&document, "#downloads");
    assert!(
        downloads.contains("https://evil.example/<img src=x onerror=alert(3)>"),
        "{downloads}"
    );
    assert!(downloads.contains("evil.example is not one of the allowed file hosts"));
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_downloaded_file_is_a_local_link_and_its_bytes_are_not_in_the_page() {
    let root = common::temp_dir("coverage-link");
    let mut case = answered_case(&root.join("case"), CoverageState::Collected, 1);
    let (html, _) = report(&mut case, 1000);
    let document = Html::parse_document(&html);
    let name = format!("files/{}.weba", sha256(FILE_BYTES));
    let anchors = Selector::parse("a[href]").unwrap();
    let hrefs: Vec<&str> = document
        .select(&anchors)
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(hrefs, [name.as_str()], "the one link is to the local file");
    assert!(!html.contains("FILE-BYTES") && !html.contains("VOICE-NOTE-BYTES"));
    assert!(!html.contains("data:audio") && !html.contains("base64"));
    for element in ["audio", "video", "source", "embed", "img"] {
        let selector = Selector::parse(element).unwrap();
        assert_eq!(document.select(&selector).count(), 0, "<{element}>");
    }
    // The policy is as strict as before.
    assert!(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'\""));
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_partial_row_or_files_not_requested_are_said_and_nothing_claims_everything() {
    let root = common::temp_dir("coverage-words");
    let mut case = answered_case(&root.join("case"), CoverageState::NotRequested, 1);
    let (html, _) = report(&mut case, 1000);
    let document = Html::parse_document(&html);
    let summary = text_of(&document, "#summary");
    assert!(
        summary.contains("This answer is not complete."),
        "{summary}"
    );
    assert!(
        summary.contains(
            "The judgments store: partly collected: possibly incomplete: at most 100 judgments a query."
        ),
        "{summary}"
    );
    assert!(
        summary.contains("The files store: not requested for this answer"),
        "{summary}"
    );
    let downloads = text_of(&document, "#downloads");
    assert!(
        downloads.contains("were not requested for this answer"),
        "{downloads}"
    );
    let text = text_of(&document, "body").to_lowercase();
    for claim in [
        "everything",
        "all your data",
        "all of your data",
        "complete answer",
    ] {
        assert!(!text.contains(claim), "the report says {claim:?}");
    }
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn an_incomplete_search_is_said_plainly() {
    let root = common::temp_dir("coverage-search");
    let mut case = answered_case(&root.join("case"), CoverageState::Collected, 1);
    let search = json!({
        "matches": [{"organizationId": ORG, "userId": USER, "email": "ana@example.com", "name": null, "foundAs": {"organizationMember": true, "documentIds": []}}],
        "search": {
            "subject": {"email": "ana@example.com"}, "comparison": "email, ignoring case",
            "organizationsAsked": [], "organizationsNotFound": [], "organizationsSearched": 2,
            "organizationIds": [ORG, "org-0002"], "calls": 3,
            "startedAt": "2026-03-03T14:00:00Z", "finishedAt": "2026-03-03T14:00:05Z",
            "listingError": null,
            "failures": [{"organizationId": "org-0002", "error": "Velt answered 503 <b>Service Unavailable</b>"}],
            "complete": false,
        },
    });
    case.record_search(
        &serde_json::to_vec(&search).unwrap(),
        json!({"complete": false}),
    )
    .unwrap();
    let (html, _) = report(&mut case, 1000);
    let summary = text_of(&Html::parse_document(&html), "#summary");
    assert!(
        summary.contains("The search for your accounts was not complete."),
        "{summary}"
    );
    assert!(
        summary.contains(
            "the organization org-0002 could not be searched (Velt answered 503 <b>Service Unavailable</b>)"
        ),
        "{summary}"
    );
    // A complete search says nothing of the kind.
    let mut complete = search.clone();
    complete["search"]["complete"] = json!(true);
    complete["search"]["failures"] = json!([]);
    case.record_search(
        &serde_json::to_vec(&complete).unwrap(),
        json!({"complete": true}),
    )
    .unwrap();
    let (html, _) = report(&mut case, 1000);
    assert!(!html.contains("was not complete"));
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn many_activity_records_are_capped_with_a_note() {
    let root = common::temp_dir("coverage-cap");
    let mut case = answered_case(&root.join("case"), CoverageState::Collected, 45);
    let (html, summary) = report(&mut case, 10);
    assert_eq!(summary.store_records, 45 + 4);
    assert_eq!(summary.store_records_shown, 10 + 4);
    let document = Html::parse_document(&html);
    let activities = Selector::parse("#stores article.activity").unwrap();
    assert_eq!(document.select(&activities).count(), 10);
    let stores = text_of(&document, "#stores");
    assert!(
        stores.contains("Shown here: the first 10 of 45 activity records. All 45 are in the file stores/org-0001/user-0001/activities.ndjson"),
        "{stores}"
    );
    drop(case);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn check_names_one_changed_byte_of_a_downloaded_file_or_a_store_file() {
    let root = common::temp_dir("coverage-byte");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
    let downloaded = format!("{}/{}.weba", model::FILES_DIR, sha256(FILE_BYTES));
    for target in [
        downloaded.as_str(),
        "stores/org-0001/user-0001/activities.ndjson",
        "stores/memory/user-0001/profile.json",
        model::FILE_INDEX,
    ] {
        let dir = root.join(target.replace('/', "_"));
        drop(answered_case(&dir, CoverageState::Collected, 2));
        assert!(velt_case::check(&dir, today).unwrap().is_intact());
        let path = target.split('/').fold(dir.clone(), |p, s| p.join(s));
        let mut bytes = std::fs::read(&path).unwrap();
        let at = (bytes.len() / 2..bytes.len())
            .find(|&i| bytes[i].is_ascii_lowercase())
            .unwrap();
        bytes[at] = bytes[at].to_ascii_uppercase();
        std::fs::write(&path, &bytes).unwrap();
        let report = velt_case::check(&dir, today).unwrap();
        assert!(!report.is_intact(), "{target}");
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.file == target && p.what == "sha256"),
            "{target}: {:#?}",
            report.problems
        );
    }

    // A downloaded file removed from the disk and from case.json: files.json still names it.
    let dir = root.join("removed");
    drop(answered_case(&dir, CoverageState::Collected, 1));
    let path = downloaded.split('/').fold(dir.clone(), |p, s| p.join(s));
    std::fs::remove_file(path).unwrap();
    let mut case = velt_case::Case::load(&dir).unwrap();
    case.files.retain(|f| f.path != downloaded);
    case.save(&dir).unwrap();
    let report = velt_case::check(&dir, today).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.file == downloaded && p.what.contains("files.json lists it")),
        "{:#?}",
        report.problems
    );
    // The folders of the stores and files are the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for folder in [
            "stores",
            "stores/org-0001",
            "stores/memory/user-0001",
            "files",
        ] {
            let mode = std::fs::metadata(dir.join(folder))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "{folder}");
        }
    }
    std::fs::remove_dir_all(root).unwrap();
}
