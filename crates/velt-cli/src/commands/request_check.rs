//! `velt request check`: the one check of what the tools wrote: a case folder against its
//! records (files, hashes, the event chain, the deadline), or one export file against its
//! manifest.

use std::path::Path;

use chrono::Utc;
use velt_case::records::ExportManifest;

use crate::{
    cli::RequestCheckArgs,
    failure::{Failure, case_failure},
    output::print_json,
};

/// Runs the command (no credentials needed).
pub fn exec(args: &RequestCheckArgs) -> Result<(), Failure> {
    let Some(path) = args.case.as_ref().or(args.path.as_ref()) else {
        return Err(Failure::Usage(
            "give a case folder (--case DIR) or a file".into(),
        ));
    };
    if path.is_dir() {
        if args.manifest.is_some() {
            return Err(Failure::Usage(format!(
                "--manifest is for an export file; {} is a case folder, whose files are checked against their own manifests",
                path.display()
            )));
        }
        return case(path);
    }
    export_file(path, args.manifest.as_deref())
}

/// A case folder: prints the report as JSON; exit 1 on any mismatch.
fn case(dir: &Path) -> Result<(), Failure> {
    let report = velt_case::check(dir, Utc::now().date_naive()).map_err(case_failure)?;
    print_json(&report)?;
    eprintln!(
        "case {} ({}): {}",
        report.id,
        report.status,
        report.deadline_in_words()
    );
    if report.is_intact() {
        eprintln!(
            "intact: {} file(s) and {} event(s) match their records",
            report.files_checked, report.events
        );
        return Ok(());
    }
    let lines: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    Err(Failure::Failed(format!(
        "{} does not match its records:\n  {}",
        dir.display(),
        lines.join("\n  ")
    )))
}

/// An export file against its manifest (`manifest`, or `FILE.manifest.json`).
fn export_file(file: &Path, manifest: Option<&Path>) -> Result<(), Failure> {
    let manifest_path = manifest
        .map(Path::to_path_buf)
        .unwrap_or_else(|| ExportManifest::path_for(file));
    if !manifest_path.exists() {
        return Err(Failure::Usage(format!(
            "no manifest at {}; velt writes FILE.manifest.json beside every export it writes to a file (or pass --manifest)",
            manifest_path.display()
        )));
    }
    let manifest =
        ExportManifest::load(&manifest_path).map_err(|e| Failure::Failed(e.to_string()))?;
    let check = manifest
        .verify(file)
        .map_err(|e| Failure::Failed(e.to_string()))?;
    if check.matches() {
        eprintln!(
            "{} matches {}: {} items of user {} in organization {}, {} bytes, SHA-256 {}",
            file.display(),
            manifest_path.display(),
            manifest.items,
            manifest.user_id,
            manifest.organization_id,
            manifest.bytes,
            manifest.sha256
        );
        return Ok(());
    }
    Err(Failure::Failed(format!(
        "{} does not match {}:\n  {}",
        file.display(),
        manifest_path.display(),
        check
            .differences
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    )))
}
