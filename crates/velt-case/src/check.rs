//! Checking a case: files against their manifests and recorded hashes, the event chain, the
//! deadline.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dates::deadline_in_words;
use crate::error::Error;
use crate::events::read_chain;
use crate::fsutil::{measure, sha256_hex};
use crate::model::{
    CASE_FILE, Case, CoverageRow, EVENTS_FILE, FILE_INDEX, FILES_DIR, FileRole, RECEIPT_FILE,
    REPORT_FILE, SEARCH_FILE, Status, export_file,
};
use crate::records::ExportManifest;

/// One thing that does not match, named: which file, what, what was expected, what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The file, relative to the case folder (or the path given to [`check_export`]).
    pub file: String,
    /// What differs: `size`, `sha256`, `items of "comments"`, `chain`, `missing`...
    pub what: String,
    /// What the record says.
    pub expected: String,
    /// What is there.
    pub found: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: expected {}, found {}",
            self.file, self.what, self.expected, self.found
        )
    }
}

fn problem(
    file: &str,
    what: impl Into<String>,
    expected: impl ToString,
    found: impl ToString,
) -> Problem {
    Problem {
        file: file.to_string(),
        what: what.into(),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

/// An export file checked against the manifest beside it (`FILE.manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportCheck {
    /// The export file.
    pub file: PathBuf,
    /// The organization, as the manifest says.
    pub organization_id: String,
    /// The user, as the manifest says.
    pub user_id: String,
    /// Size counted from the file.
    pub bytes: u64,
    /// SHA-256 computed from the file.
    pub sha256: String,
    /// Items counted in the file.
    pub items: u64,
    /// Items per feature or other key, counted in the file.
    pub items_per_key: BTreeMap<String, u64>,
    /// Every difference from the manifest (empty when it matches).
    pub problems: Vec<Problem>,
}

/// Checks an export file against `FILE.manifest.json` with the exporter's own check
/// ([`ExportManifest::verify`]: size, SHA-256, the items per feature and per
/// other key counted again from the file), and also the items in all and the file name.
///
/// An unreadable or malformed manifest is an [`Error`]; differences are
/// [`ExportCheck::problems`].
pub fn check_export(file: &Path) -> Result<ExportCheck, Error> {
    let manifest_path = ExportManifest::path_for(file);
    let name = file.display().to_string();
    if !manifest_path.exists() {
        return Err(Error::io(
            &manifest_path,
            "cannot read the export's manifest (it is written beside the export)",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let manifest = ExportManifest::load(&manifest_path)?;
    let verified = manifest.verify(file)?;
    let mut problems: Vec<Problem> = verified
        .differences
        .iter()
        .map(|d| {
            // The case's own names for the two hashes checks: `size`, `sha256`.
            let what = if d.what == "SHA-256" {
                "sha256"
            } else {
                &d.what
            };
            problem(&name, what, &d.expected, &d.found)
        })
        .collect();
    if let Some(have) = file.file_name().and_then(|n| n.to_str())
        && manifest.file != have
    {
        problems.push(problem(&name, "file name", &manifest.file, have));
    }
    let counts: BTreeMap<String, u64> = verified
        .items_per_key
        .iter()
        .map(|(key, n)| (key.clone(), *n as u64))
        .collect();
    let items: u64 = counts.values().sum();
    if manifest.items as u64 != items {
        problems.push(problem(&name, "items", manifest.items, items));
    }
    Ok(ExportCheck {
        file: file.to_path_buf(),
        organization_id: manifest.organization_id,
        user_id: manifest.user_id,
        bytes: verified.bytes,
        sha256: verified.sha256,
        items,
        items_per_key: counts,
        problems,
    })
}

/// The result of [`check`]: where the case stands and everything that does not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckReport {
    /// The case id.
    pub id: String,
    /// The case's status.
    pub status: Status,
    /// When the request was received.
    pub received: NaiveDate,
    /// When the answer is due (extensions included).
    pub due: NaiveDate,
    /// Days until the due date, negative when overdue; `None` for a closed case.
    pub days_left: Option<i64>,
    /// Files checked (recorded files, plus the event log).
    pub files_checked: usize,
    /// Lines of the event log.
    pub events: u64,
    /// Every mismatch, named (empty when everything matches).
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// Whether everything matches (no problem; the deadline is not a problem).
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether the case is open past its due date.
    pub fn is_overdue(&self) -> bool {
        self.days_left.is_some_and(|d| d < 0)
    }

    /// The deadline in words: `due 28 February 2026, 3 days left`, `... overdue by 2 days`,
    /// `... due today`, or `closed`.
    pub fn deadline_in_words(&self) -> String {
        deadline_in_words(self.due, self.days_left)
    }
}

/// Checks the case folder `dir`: every recorded file against its recorded size and SHA-256
/// (exports, manifests, `search.json`, `report.html`, `receipt.json`, the data of the other
/// stores under `stores/`, `files.json` and each downloaded file under `files/`...), every
/// export against its manifest (size, SHA-256 and item counts recomputed), each file
/// `files.json` lists as downloaded against its record, the event chain (and its end
/// against `case.json`), the hash each step logged for a file, and for the coverage table,
/// against what `case.json` holds (so an edit of `case.json` alone is caught), that each
/// export is where
/// [`export_file`] puts its manifest's user, and files in the folder that were never
/// recorded. `today` sets the days left (pass `Utc::now().date_naive()` outside tests). It
/// reads the folder without opening it for changes, so it also checks a case another
/// process has open, or one handed over as a copy.
///
/// ```no_run
/// # fn main() -> Result<(), velt_case::Error> {
/// let report = velt_case::check(std::path::Path::new("cases/ana"), chrono::Utc::now().date_naive())?;
/// println!("case {} ({}): {}", report.id, report.status, report.deadline_in_words());
/// for problem in &report.problems {
///     eprintln!("{problem}");
/// }
/// # Ok(()) }
/// ```
///
/// An unreadable `case.json` is an [`Error`]; everything else that does not match is a
/// [`Problem`] in the report.
pub fn check(dir: &Path, today: NaiveDate) -> Result<CheckReport, Error> {
    let case = Case::load(dir)?;
    let mut problems = Vec::new();
    let mut files_checked = 0;
    for record in &case.files {
        files_checked += 1;
        let path = record
            .path
            .split('/')
            .fold(dir.to_path_buf(), |p, s| p.join(s));
        // An export is read by its check against the manifest, which measures it too.
        let mut export_problems = Vec::new();
        let measured = match record.role {
            FileRole::Export if path.is_file() => match check_export(&path) {
                Ok(export) => {
                    export_problems = export.problems;
                    // The export is where the naming rule puts its manifest's user.
                    let expected = export_file(&export.organization_id, &export.user_id);
                    if record.path != expected {
                        export_problems.push(problem(
                            &record.path,
                            "path",
                            format!(
                                "{expected} (user {:?} in organization {:?}, as its manifest says)",
                                export.user_id, export.organization_id
                            ),
                            &record.path,
                        ));
                    }
                    Ok((export.bytes, export.sha256))
                }
                Err(e) => {
                    export_problems.push(problem(
                        &record.path,
                        "manifest",
                        "a readable manifest beside the export",
                        e,
                    ));
                    measure(&path)
                }
            },
            _ => measure(&path),
        };
        match measured {
            Err(e) => {
                problems.push(problem(&record.path, "missing", "the recorded file", e));
                continue;
            }
            Ok((bytes, sha256)) => {
                if bytes != record.bytes {
                    problems.push(problem(&record.path, "size", record.bytes, bytes));
                }
                if sha256 != record.sha256 {
                    problems.push(problem(&record.path, "sha256", &record.sha256, sha256));
                }
            }
        }
        problems.extend(export_problems.into_iter().map(|mut p| {
            p.file = record.path.clone();
            p
        }));
    }

    // The event log.
    files_checked += 1;
    let log_path = dir.join(EVENTS_FILE);
    let mut events = 0;
    match File::open(&log_path).and_then(read_chain) {
        Err(e) => problems.push(problem(EVENTS_FILE, "missing", "the event log", e)),
        Ok(chain) => {
            events = chain.lines;
            // The hash each step logged for a file (the last one wins) must be the one
            // case.json records: an edit of case.json alone is caught here.
            let mut logged: BTreeMap<String, (u64, String)> = BTreeMap::new();
            for event in &chain.events {
                let path = match event.step.as_str() {
                    "export" => event.details.get("file").and_then(|f| f.as_str()),
                    "file" => event.details.get("path").and_then(|f| f.as_str()),
                    "search" => Some(SEARCH_FILE),
                    "receipt" => Some(RECEIPT_FILE),
                    "report" => Some(REPORT_FILE),
                    _ => None,
                };
                let sha = event.details.get("sha256").and_then(|s| s.as_str());
                if let (Some(path), Some(sha)) = (path, sha) {
                    logged.insert(path.to_string(), (event.seq, sha.to_string()));
                }
            }
            for (path, (seq, sha)) in &logged {
                match case.file(path) {
                    Some(record) if &record.sha256 != sha => problems.push(problem(
                        path,
                        format!("sha256 in case.json, against line {seq} of events.jsonl"),
                        sha,
                        &record.sha256,
                    )),
                    Some(_) => {}
                    None => problems.push(problem(
                        path,
                        format!("record in case.json (line {seq} of events.jsonl logs it)"),
                        "a recorded file",
                        "no record",
                    )),
                }
            }
            // The coverage table as the last `coverage` step logged it.
            let logged_coverage = chain
                .events
                .iter()
                .rev()
                .find(|e| e.step == "coverage")
                .map(|e| {
                    (
                        e.seq,
                        e.details
                            .get("sha256")
                            .and_then(|s| s.as_str())
                            .unwrap_or_default()
                            .to_string(),
                    )
                });
            let have = coverage_sha256(&case.coverage);
            match logged_coverage {
                Some((seq, sha)) if sha != have => problems.push(problem(
                    CASE_FILE,
                    format!("sha256 of the coverage table, against line {seq} of events.jsonl"),
                    sha,
                    have,
                )),
                None if !case.coverage.is_empty() => problems.push(problem(
                    CASE_FILE,
                    "coverage table (no step of events.jsonl logs it)",
                    "no coverage table",
                    format!("{} rows", case.coverage.len()),
                )),
                _ => {}
            }
            for b in chain.breaks {
                problems.push(problem(EVENTS_FILE, "chain", "an unbroken chain", b));
            }
            if chain.lines != case.events.lines {
                problems.push(problem(
                    EVENTS_FILE,
                    "lines",
                    case.events.lines,
                    chain.lines,
                ));
            }
            if chain.last != case.events.last_sha256 {
                problems.push(problem(
                    EVENTS_FILE,
                    "sha256 of the last line",
                    &case.events.last_sha256,
                    chain.last,
                ));
            }
        }
    }

    // Every file the list of downloads says is in the case is recorded, with its hash.
    if case.file(FILE_INDEX).is_some() {
        problems.extend(check_file_index(dir, &case));
    }

    // Files nobody recorded (a half-written export, something added by hand).
    let mut on_disk = Vec::new();
    walk(dir, "", &mut on_disk);
    for (relative, bytes) in on_disk {
        if relative == CASE_FILE || relative == EVENTS_FILE || case.file(&relative).is_some() {
            continue;
        }
        problems.push(problem(
            &relative,
            "not recorded",
            "no such file (it is not in case.json)",
            format!("{bytes} bytes"),
        ));
    }

    Ok(CheckReport {
        id: case.id.clone(),
        status: case.status,
        received: case.received,
        due: case.due,
        days_left: case.days_left(today),
        files_checked,
        events,
        problems,
    })
}

/// The SHA-256 of a coverage table as `case.json` holds it (its compact JSON), which the
/// `coverage` step logs.
pub(crate) fn coverage_sha256(rows: &[CoverageRow]) -> String {
    sha256_hex(&serde_json::to_vec(rows).unwrap_or_default())
}

/// The files `files.json` lists as downloaded, against the case's records: each must be
/// recorded as a downloaded file, with the SHA-256 the download computed.
fn check_file_index(dir: &Path, case: &Case) -> Vec<Problem> {
    let index: velt_files::FetchReport<velt_files::Provenance> =
        match std::fs::read(dir.join(FILE_INDEX))
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(index) => index,
            Err(e) => {
                return vec![problem(
                    FILE_INDEX,
                    "list of files",
                    "the list of the files behind the links",
                    e,
                )];
            }
        };
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (_, fetched) in index.fetched() {
        if !seen.insert(fetched.file.as_str()) {
            continue;
        }
        let path = format!("{FILES_DIR}/{}", fetched.file);
        match case.file(&path) {
            Some(record) if record.role == FileRole::DownloadedFile => {
                if record.sha256 != fetched.sha256 {
                    problems.push(problem(
                        &path,
                        "sha256 in case.json, against files.json",
                        &fetched.sha256,
                        &record.sha256,
                    ));
                }
            }
            Some(record) => problems.push(problem(
                &path,
                "role",
                "a downloaded file (files.json lists it)",
                format!("{:?}", record.role),
            )),
            None => problems.push(problem(
                &path,
                "record in case.json (files.json lists it as downloaded)",
                "a recorded file",
                "no record",
            )),
        }
    }
    problems
}

/// Every file under `dir` as (relative `/` path, size), folders first-level and down.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, u64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&entry.path(), &relative, out),
            Ok(_) => out.push((relative, entry.metadata().map(|m| m.len()).unwrap_or(0))),
            Err(_) => {}
        }
    }
}
