//! A case folder open for changes: [`CaseFolder`].

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use velt_api::search::Subject;

use crate::check::{ExportCheck, check_export, coverage_sha256};
use crate::dates::{add_months, due_date};
use crate::error::Error;
use crate::events::{self, GENESIS};
use crate::fsutil::{self, create_private_dir, measure, set_private, write_bytes_atomically};
use crate::model::{
    Case, CoverageRow, CoverageState, DATA_DIR, EVENTS_FILE, EventsHead, Extension, FileRecord,
    FileRole, MAX_EXTENSION_MONTHS, NewCase, RECEIPT_FILE, REPORT_FILE, RequestKind, SEARCH_FILE,
    Status, export_file,
};
use crate::report::{self, ReportOptions, ReportSummary};
use crate::zipping;

/// A case folder open for changes: everything done to a case is a method of it (create or
/// open, search, export, receipt, extend, status, report, zip), each step logged.
///
/// While it is open, the folder's event log is locked (an advisory exclusive lock), so a
/// second process or a second `CaseFolder` on the same folder is refused with
/// [`Error::Busy`] instead of interleaving its steps. Reading a folder without changing it
/// ([`Case::load`], [`crate::check()`], [`crate::list()`]) takes no lock.
///
/// ```
/// use chrono::NaiveDate;
/// use velt_api::search::Subject;
/// use velt_case::{CaseFolder, NewCase, RequestKind, Status};
///
/// let dir = std::env::temp_dir().join(format!("velt-case-doc-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let received = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
/// let mut case = CaseFolder::create(&dir, &NewCase {
///     subject: Subject::email("ana@example.com"),
///     kinds: vec![RequestKind::Access],
///     received,
/// })?;
/// assert_eq!(case.case().due.to_string(), "2026-02-28");
/// case.extend(2, "The request covers many organizations.")?;
/// assert_eq!(case.case().due.to_string(), "2026-04-30");
/// assert!(case.extend(1, "more").is_err()); // three months in all: refused
/// case.set_status(Status::Closed)?;
/// let report = velt_case::check(&dir, received)?;
/// assert!(report.problems.is_empty());
/// # drop(case);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), velt_case::Error>(())
/// ```
#[derive(Debug)]
pub struct CaseFolder {
    dir: PathBuf,
    case: Case,
    log: File,
}

impl CaseFolder {
    /// Creates a case folder at `dir` (0700; created if missing, refused if it exists and is
    /// not empty), with `case.json` and an event log whose first line is `created`.
    pub fn create(dir: &Path, new: &NewCase) -> Result<CaseFolder, Error> {
        if new.kinds.is_empty() {
            return Err(Error::Refused(
                "a case needs at least one kind: access or erasure".into(),
            ));
        }
        let (Subject::Email(given) | Subject::UserId(given)) = &new.subject;
        if given.trim().is_empty() {
            return Err(Error::Refused(
                "a case needs a subject: the person's email or user id".into(),
            ));
        }
        if dir.exists() {
            let mut entries =
                std::fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot read the folder", e))?;
            if entries.next().is_some() {
                return Err(Error::Refused(format!(
                    "{}: the folder exists and is not empty; choose a new folder for the case, or open the existing case",
                    dir.display()
                )));
            }
        }
        create_private_dir(dir)?;
        let now = Utc::now();
        let mut kinds = new.kinds.clone();
        kinds.sort();
        kinds.dedup();
        let seed = format!(
            "{}\n{}\n{}",
            serde_json::to_string(&new.subject).unwrap_or_default(),
            now.timestamp_nanos_opt().unwrap_or_default(),
            std::process::id()
        );
        let id = format!(
            "{}-{}",
            now.format("%Y%m%d-%H%M%S"),
            &fsutil::sha256_hex(seed.as_bytes())[..8]
        );
        let case = Case {
            case_format: Case::FORMAT,
            id,
            kinds,
            subject: new.subject.clone(),
            received: new.received,
            due: due_date(new.received),
            extensions: Vec::new(),
            status: Status::Open,
            created_at: now,
            updated_at: now,
            files: Vec::new(),
            events: EventsHead {
                lines: 0,
                last_sha256: GENESIS.to_string(),
            },
            coverage: Vec::new(),
            written_by: concat!("velt-case ", env!("CARGO_PKG_VERSION")).to_string(),
        };
        let log = open_log(dir)?;
        let mut folder = CaseFolder {
            dir: dir.to_path_buf(),
            case,
            log,
        };
        let details = json!({
            "id": folder.case.id,
            "kinds": folder.case.kinds,
            "received": folder.case.received,
            "due": folder.case.due,
        });
        folder.log("created", details)?;
        Ok(folder)
    }

    /// Opens an existing case folder for changes (locking its event log).
    pub fn open(dir: &Path) -> Result<CaseFolder, Error> {
        let case = Case::load(dir)?;
        let log = open_log(dir)?;
        Ok(CaseFolder {
            dir: dir.to_path_buf(),
            case,
            log,
        })
    }

    /// The case record as last saved.
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The case folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends a step to the event log and saves `case.json` with the log's new end.
    /// `details` must hold no secret (no credential, no token).
    pub fn log(&mut self, step: &str, details: serde_json::Value) -> Result<(), Error> {
        let path = self.dir.join(EVENTS_FILE);
        let (lines, last) = events::append(&mut self.log, &path, step, details)?;
        self.case.events = EventsHead {
            lines,
            last_sha256: last,
        };
        self.save()
    }

    fn save(&mut self) -> Result<(), Error> {
        self.case.updated_at = Utc::now();
        self.case.save(&self.dir)
    }

    /// Adds a kind to the case (an erasure asked after an access, say) and logs it; a kind
    /// the case already has changes nothing.
    pub fn add_kind(&mut self, kind: RequestKind) -> Result<(), Error> {
        if self.case.kinds.contains(&kind) {
            return Ok(());
        }
        self.case.kinds.push(kind);
        self.case.kinds.sort();
        self.log("kind", json!({ "added": kind, "kinds": self.case.kinds }))
    }

    /// Changes the status and logs the change.
    pub fn set_status(&mut self, status: Status) -> Result<(), Error> {
        let from = self.case.status;
        self.case.status = status;
        self.log("status", json!({ "from": from, "to": status }))
    }

    /// Extends the deadline by `months` (GDPR Art. 12(3)), decided now: the due date becomes
    /// `received` plus one month plus every extension, clamped to the month's end. Refused
    /// when the extensions would exceed [`MAX_EXTENSION_MONTHS`] in all, when `months` is 0,
    /// or when `reason` is empty (the person must be told why). Returns the new due date.
    pub fn extend(&mut self, months: u32, reason: &str) -> Result<NaiveDate, Error> {
        self.extend_at(months, reason, Utc::now())
    }

    fn extend_at(
        &mut self,
        months: u32,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<NaiveDate, Error> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::Refused(
                "an extension needs a reason: the person must be told why (GDPR Art. 12(3))".into(),
            ));
        }
        let granted = self.case.extension_months();
        if months == 0 || granted + months > MAX_EXTENSION_MONTHS {
            return Err(Error::Refused(format!(
                "cannot extend case {} by {months} month(s): {granted} of at most {MAX_EXTENSION_MONTHS} further months are already granted (GDPR Art. 12(3)); the answer is due {}",
                self.case.id, self.case.due
            )));
        }
        let before = self.case.due;
        let after = add_months(self.case.received, 1 + granted + months);
        self.case.extensions.push(Extension {
            months,
            reason: reason.to_string(),
            at,
            due_before: before,
            due_after: after,
        });
        self.case.due = after;
        self.log(
            "extension",
            json!({ "months": months, "reason": reason, "dueBefore": before, "dueAfter": after }),
        )?;
        Ok(after)
    }

    /// The path an export of `user` in `organization` goes to, the case folder joined with
    /// [`export_file`] (`DIR/data/ORG/USER.ndjson`, each id escaped so that whatever it holds
    /// the file stays inside the folder), creating `data/ORG` (0700). Empty ids are refused.
    ///
    /// ```
    /// # fn main() -> Result<(), velt_case::Error> {
    /// use velt_api::search::Subject;
    /// use velt_case::{CaseFolder, NewCase, RequestKind};
    ///
    /// let dir = std::env::temp_dir().join(format!("velt-case-path-doc-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let case = CaseFolder::create(&dir, &NewCase {
    ///     subject: Subject::user_id("../../etc"),
    ///     kinds: vec![RequestKind::Access],
    ///     received: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    /// })?;
    /// let file = case.export_path("org-1", "../../etc")?;
    /// assert_eq!(file, dir.join("data").join("org-1").join("%2E.%2F..%2Fetc.ndjson"));
    /// # drop(case);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok(()) }
    /// ```
    pub fn export_path(&self, organization: &str, user: &str) -> Result<PathBuf, Error> {
        for (id, what) in [(organization, "organization id"), (user, "user id")] {
            if id.is_empty() {
                return Err(Error::Refused(format!(
                    "an empty {what} names no export; give the {what} Velt holds"
                )));
            }
        }
        let file = self.resolve(&export_file(organization, user))?;
        let data = self.dir.join(DATA_DIR);
        if let Some(org) = file.parent()
            && !org.is_dir()
        {
            create_private_dir(&data)?;
            create_private_dir(org)?;
            // The new folders survive a crash once their parents are synced.
            for dir in [&self.dir, &data] {
                fsutil::sync_dir(dir).map_err(|e| Error::io(dir, "cannot sync the folder", e))?;
            }
        }
        Ok(file)
    }

    /// The path of the erasure receipt, `DIR/receipt.json`, for the exporter of receipts to
    /// write; then call [`CaseFolder::record_receipt`].
    pub fn receipt_path(&self) -> PathBuf {
        self.dir.join(RECEIPT_FILE)
    }

    /// Records a file of the case (path relative to the case folder, `/`-separated): its size
    /// and SHA-256, replacing an earlier record of the same path, and makes it owner-only.
    /// Logs nothing by itself; the `record_*` methods log their step.
    fn add_file(&mut self, relative: &str, role: FileRole) -> Result<FileRecord, Error> {
        let path = self.resolve(relative)?;
        // The folders a writer made for it (`stores/ORG/USER`, `files`) become owner-only.
        for folder in path.ancestors().skip(1) {
            if folder == self.dir {
                break;
            }
            set_private(folder, true)?;
        }
        let (bytes, sha256) =
            measure(&path).map_err(|e| Error::io(&path, "cannot read the file to record", e))?;
        self.add_measured(relative, role, bytes, sha256)
    }

    /// [`CaseFolder::add_file`] for a file whose size and SHA-256 were just measured.
    fn add_measured(
        &mut self,
        relative: &str,
        role: FileRole,
        bytes: u64,
        sha256: String,
    ) -> Result<FileRecord, Error> {
        set_private(&self.resolve(relative)?, false)?;
        let record = FileRecord {
            path: relative.to_string(),
            role,
            bytes,
            sha256,
            recorded_at: Utc::now(),
        };
        self.case.files.retain(|f| f.path != relative);
        self.case.files.push(record.clone());
        self.case.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.save()?;
        Ok(record)
    }

    /// Records a file of the case (path relative to the case folder, `/`-separated): its size
    /// and SHA-256, replacing an earlier record of the same path, makes it owner-only, and
    /// logs a `file` step.
    pub fn record_file(&mut self, relative: &str, role: FileRole) -> Result<FileRecord, Error> {
        let record = self.add_file(relative, role)?;
        self.log(
            "file",
            json!({ "path": record.path, "role": record.role, "bytes": record.bytes, "sha256": record.sha256 }),
        )?;
        Ok(record)
    }

    /// Keeps the coverage table of the answer in `case.json` ([`Case::coverage`]), replacing
    /// an earlier one, and logs a `coverage` step with the rows per state and the SHA-256 of
    /// the table (so that [`crate::check()`] catches an edit of the table in `case.json`
    /// alone). The report ([`CaseFolder::write_report`]) shows it; write the report after.
    /// A row's note must hold no secret.
    ///
    /// ```
    /// # fn main() -> Result<(), velt_case::Error> {
    /// use velt_api::search::Subject;
    /// use velt_case::{CaseFolder, NewCase, RequestKind, model};
    ///
    /// let dir = std::env::temp_dir().join(format!("velt-case-coverage-doc-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let mut case = CaseFolder::create(&dir, &NewCase {
    ///     subject: Subject::email("ana@example.com"),
    ///     kinds: vec![RequestKind::Access],
    ///     received: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    /// })?;
    /// case.set_coverage(model::unread_stores())?;
    /// assert_eq!(velt_case::Case::load(&dir)?.coverage, model::unread_stores());
    /// # drop(case);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok(()) }
    /// ```
    pub fn set_coverage(&mut self, rows: Vec<CoverageRow>) -> Result<(), Error> {
        let count = |state: CoverageState| rows.iter().filter(|r| r.state == state).count();
        let details = json!({
            "rows": rows.len(),
            "collected": count(CoverageState::Collected),
            "partial": count(CoverageState::Partial),
            "notRead": count(CoverageState::NotRead),
            "notRequested": count(CoverageState::NotRequested),
            "failed": count(CoverageState::Failed),
            "sha256": coverage_sha256(&rows),
        });
        self.case.coverage = rows;
        self.log("coverage", details)
    }

    /// Stores the search record (JSON, kept as given) as `search.json`, records its hash and
    /// logs a `search` step with `details` (what was searched, how many users were found;
    /// no secret).
    pub fn record_search(
        &mut self,
        search_json: &[u8],
        details: serde_json::Value,
    ) -> Result<FileRecord, Error> {
        let path = self.dir.join(SEARCH_FILE);
        serde_json::from_slice::<serde::de::IgnoredAny>(search_json).map_err(|e| {
            Error::Invalid {
                path: path.clone(),
                message: format!("the search record is not JSON: {e}"),
            }
        })?;
        write_bytes_atomically(&path, search_json)?;
        let record = self.add_file(SEARCH_FILE, FileRole::Search)?;
        self.log(
            "search",
            json!({ "details": details, "sha256": record.sha256, "bytes": record.bytes }),
        )?;
        Ok(record)
    }

    /// Records the export of `user` in `organization` written (with its manifest) at
    /// [`CaseFolder::export_path`] (where [`export_file`] puts it): checks the file against
    /// its manifest first (refused, naming each difference, when it does not match, or when
    /// the manifest is of another user or organization), records both files and logs an
    /// `export` step with the counts.
    pub fn record_export(&mut self, organization: &str, user: &str) -> Result<ExportCheck, Error> {
        let relative = export_file(organization, user);
        let file = self.resolve(&relative)?;
        // The folders an exporter made for it (`data/ORG`) become owner-only too.
        for folder in file.ancestors().skip(1) {
            if folder == self.dir {
                break;
            }
            set_private(folder, true)?;
        }
        let manifest_relative = format!("{relative}.manifest.json");
        let check = check_export(&file)?;
        if check.organization_id != organization || check.user_id != user {
            return Err(Error::Invalid {
                path: file,
                message: format!(
                    "the manifest is of user {:?} in organization {:?}, not of user {user:?} in organization {organization:?}; export it again",
                    check.user_id, check.organization_id
                ),
            });
        }
        if !check.problems.is_empty() {
            let named: Vec<String> = check.problems.iter().map(|p| p.to_string()).collect();
            return Err(Error::Invalid {
                path: file,
                message: format!(
                    "the export does not match its manifest: {}; export it again",
                    named.join("; ")
                ),
            });
        }
        // The check has just measured the export: its size and SHA-256 are recorded as read.
        self.add_measured(
            &relative,
            FileRole::Export,
            check.bytes,
            check.sha256.clone(),
        )?;
        self.add_file(&manifest_relative, FileRole::Manifest)?;
        self.log(
            "export",
            json!({
                "organizationId": organization,
                "userId": user,
                "file": relative,
                "items": check.items,
                "itemsPerKey": check.items_per_key,
                "bytes": check.bytes,
                "sha256": check.sha256,
            }),
        )?;
        Ok(check)
    }

    /// Records the erasure receipt at [`CaseFolder::receipt_path`] (written by the erasure
    /// step) and logs a `receipt` step with what it says (jobs, whether the check found
    /// nothing left).
    pub fn record_receipt(&mut self) -> Result<FileRecord, Error> {
        let path = self.receipt_path();
        let bytes =
            std::fs::read(&path).map_err(|e| Error::io(&path, "cannot read the receipt", e))?;
        let receipt: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
                path: path.clone(),
                message: format!("the receipt is not JSON: {e}"),
            })?;
        let record = self.add_file(RECEIPT_FILE, FileRole::Receipt)?;
        let jobs = receipt.get("jobs").and_then(|j| j.as_array());
        self.log(
            "receipt",
            json!({
                "sha256": record.sha256,
                "jobs": jobs.map(|j| j.len()),
                "jobsCompleted": jobs.map(|j| j.iter().filter(|j| j.get("completed") == Some(&json!(true))).count()),
                "nothingRemains": receipt.pointer("/verification/nothingRemains"),
            }),
        )?;
        Ok(record)
    }

    /// Writes `report.html`, records its hash and logs a `report` step: one self-contained
    /// HTML file with no script, a Content-Security-Policy that forbids scripts and every
    /// remote load, every value from Velt escaped, in three layers: a plain-language summary,
    /// the items per organization and kind of data (folded), and the raw files with how to
    /// check them.
    ///
    /// The export files are streamed (read twice: once to count, once to render), so the
    /// memory used does not grow with their size; see
    /// [`ReportOptions::max_items_per_section`].
    ///
    /// ```
    /// # fn main() -> Result<(), velt_case::Error> {
    /// use velt_api::search::Subject;
    /// use velt_case::{CaseFolder, NewCase, ReportOptions, RequestKind};
    ///
    /// let dir = std::env::temp_dir().join(format!("velt-case-report-doc-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let mut case = CaseFolder::create(&dir, &NewCase {
    ///     subject: Subject::email("ana@example.com"),
    ///     kinds: vec![RequestKind::Access],
    ///     received: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
    /// })?;
    /// let summary = case.write_report(&ReportOptions::default())?;
    /// let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    /// assert!(html.contains("Content-Security-Policy") && !html.contains("<script"));
    /// assert_eq!(summary.bytes, html.len() as u64);
    /// # drop(case);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok(()) }
    /// ```
    pub fn write_report(&mut self, options: &ReportOptions) -> Result<ReportSummary, Error> {
        let path = self.dir.join(REPORT_FILE);
        let mut summary = report::write_report(&self.dir, &self.case, options, &path)?;
        let record = self.add_file(REPORT_FILE, FileRole::Report)?;
        summary.bytes = record.bytes;
        self.log(
            "report",
            json!({ "sha256": record.sha256, "bytes": record.bytes, "itemsShown": summary.items_shown, "items": summary.items }),
        )?;
        Ok(summary)
    }

    /// Writes `DIR.zip` beside the case folder (deflate), atomically, owner-only, and returns
    /// its path. Entries are `NAME/...` where `NAME` is the folder's name, in name order,
    /// dated 1980-01-01 (so the same folder gives the same bytes). The folder must be given by
    /// its name (not `.` or `/`). Check the case ([`crate::check()`]) before handing it over.
    pub fn zip(&self) -> Result<PathBuf, Error> {
        zipping::zip_case(&self.dir)
    }

    fn resolve(&self, relative: &str) -> Result<PathBuf, Error> {
        let mut path = self.dir.clone();
        for segment in relative.split('/') {
            check_segment(segment, "path segment")?;
            path.push(segment);
        }
        Ok(path)
    }
}

/// Opens (creating, 0600) and locks the event log of a case folder.
fn open_log(dir: &Path) -> Result<File, Error> {
    let path = dir.join(EVENTS_FILE);
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(&path)
        .map_err(|e| Error::io(&path, "cannot open the event log", e))?;
    let locked = fs4::fs_std::FileExt::try_lock_exclusive(&file)
        .map_err(|e| Error::io(&path, "cannot lock the event log", e))?;
    if !locked {
        return Err(Error::Busy(dir.to_path_buf()));
    }
    Ok(file)
}

/// Refuses ids that cannot be one file name.
fn check_segment(s: &str, what: &str) -> Result<(), Error> {
    if s.is_empty()
        || s == "."
        || s == ".."
        || s.contains(['/', '\\'])
        || s.chars().any(char::is_control)
    {
        return Err(Error::Refused(format!(
            "the {what} {s:?} cannot be used as a file name in the case folder"
        )));
    }
    Ok(())
}
