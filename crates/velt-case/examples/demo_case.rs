//! Writes a demonstration case folder (an access request answered from two organizations,
//! with a notice) and prints where its report is:
//!
//! ```sh
//! cargo run -p velt-case --example demo_case -- /tmp/demo-case
//! ```
//!
//! The README's screenshot (`docs/report.png`) is this report in headless chromium.

#[path = "../tests/testsuite/common/mod.rs"]
mod common;

use serde_json::json;
use velt_api::search::Subject;
use velt_case::{CaseFolder, NewCase, ReportOptions, RequestKind, Status};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(std::path::PathBuf::from)
        .ok_or("usage: demo_case DIR (a new folder)")?;
    let received = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).ok_or("date")?;
    let mut case = CaseFolder::create(
        &dir,
        &NewCase {
            subject: Subject::email("ana@example.com"),
            kinds: vec![RequestKind::Access],
            received,
        },
    )?;
    case.record_search(
        br#"{"subject":"ana@example.com","organizations":["org-0001","org-0002"],"found":[{"organizationId":"org-0001","userId":"user-0001"},{"organizationId":"org-0002","userId":"user-0001"}]}"#,
        json!({ "organizations": 2, "usersFound": 2 }),
    )?;
    for (org, n, seed) in [("org-0001", 8, 5), ("org-0002", 48, 9)] {
        let file = case.export_path(org, "user-0001")?;
        common::write_export(&file, org, "user-0001", &common::items(org, n, seed));
        case.record_export(org, "user-0001")?;
    }
    case.set_status(Status::Exported)?;
    let notice = "**Acme Ltd** is the controller of this data. We use Velt to run comments, \
        reactions, recordings and notifications in the Acme app.\n\n\
        - Why: to let you and your team discuss documents (contract, GDPR Art. 6(1)(b)).\n\
        - How long: while your account exists, and 30 days after.\n\
        - Your rights: rectification, erasure, restriction, objection, and a complaint to your \
        data protection authority.\n\nQuestions: dpo@acme.example.";
    case.write_report(&ReportOptions {
        notice_markdown: Some(notice.into()),
        ..ReportOptions::default()
    })?;
    println!("{}", dir.join("report.html").display());
    Ok(())
}
