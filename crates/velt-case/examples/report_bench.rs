//! The report at size: writes an export of N items (default 100,000; realistic shapes, the
//! four features in turn) into a new case folder, then times recording it (the manifest
//! check), rendering `report.html`, checking the case and zipping it.
//!
//! ```sh
//! cargo run --release -p velt-case --example report_bench -- 100000 [DIR]
//! ```

#[path = "../tests/testsuite/common/mod.rs"]
mod common;

use std::time::Instant;

use velt_api::search::Subject;
use velt_case::{CaseFolder, NewCase, ReportOptions, RequestKind};

/// Resets the process's peak resident memory (Linux; elsewhere nothing happens).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU time (user + system) of the process so far, in seconds (Linux; 0 elsewhere).
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
            let rest = &s[s.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0) // USER_HZ, 100 on Linux
        })
        .unwrap_or(0.0)
}

/// Peak resident memory since the last reset, in MB (Linux), as ", peak RSS N MB".
fn peak() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| format!(", peak RSS {:.0} MB", kb / 1024.0))
        .unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("velt-case-bench-{}", std::process::id()))
        });
    let received = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).ok_or("date")?;
    let mut case = CaseFolder::create(
        &dir,
        &NewCase {
            subject: Subject::user_id("user-0001"),
            kinds: vec![RequestKind::Access],
            received,
        },
    )?;
    let file = case.export_path("org-0001", "user-0001")?;
    reset_peak();
    let started = Instant::now();
    common::write_export_from(
        &file,
        "org-0001",
        "user-0001",
        common::items_iter("org-0001", n, 1),
    );
    let export_bytes = std::fs::metadata(&file)?.len();
    println!(
        "export: {n} items, {:.1} MB, written in {:.2} s{}",
        export_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        peak()
    );

    reset_peak();
    let t = Instant::now();
    case.record_export("org-0001", "user-0001")?;
    println!(
        "record_export (manifest check): {:.2} s{}",
        t.elapsed().as_secs_f64(),
        peak()
    );

    for (label, cap) in [
        ("default cap (1,000 per section)", 1000),
        ("no cap", usize::MAX),
    ] {
        reset_peak();
        let t = Instant::now();
        let cpu_before = cpu();
        let summary = case.write_report(&ReportOptions {
            max_items_per_section: cap,
            ..ReportOptions::default()
        })?;
        println!(
            "report, {label}: {:.2} s (CPU {:.2} s), {:.1} MB, {} of {} items shown{}",
            t.elapsed().as_secs_f64(),
            cpu() - cpu_before,
            std::fs::metadata(dir.join("report.html"))?.len() as f64 / 1e6,
            summary.items_shown,
            summary.items,
            peak()
        );
    }
    // The default report is the one kept.
    case.write_report(&ReportOptions::default())?;

    let t = Instant::now();
    let check = velt_case::check(&dir, received)?;
    println!(
        "check: {:.2} s, {} problem(s)",
        t.elapsed().as_secs_f64(),
        check.problems.len()
    );
    let t = Instant::now();
    let zip = case.zip()?;
    println!(
        "zip: {:.2} s, {:.1} MB",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(&zip)?.len() as f64 / 1e6
    );
    println!("case folder: {}", dir.display());
    Ok(())
}
