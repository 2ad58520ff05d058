//! `case.json` and the folder it lives in.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::events::{self, GENESIS};
use crate::fsutil::{self, create_private_dir, measure, set_private, write_bytes_atomically};
use crate::{Error, add_months, due_date};

/// Name of the case record in a case folder.
pub const CASE_FILE: &str = "case.json";
/// Name of the event log in a case folder.
pub const EVENTS_FILE: &str = "events.jsonl";
/// Name of the search record in a case folder.
pub const SEARCH_FILE: &str = "search.json";
/// Name of the readable report in a case folder.
pub const REPORT_FILE: &str = "report.html";
/// Name of the erasure receipt in a case folder.
pub const RECEIPT_FILE: &str = "receipt.json";
/// Folder of the exports in a case folder: `data/ORG/USER.ndjson`.
pub const DATA_DIR: &str = "data";

/// The most months a deadline can be extended by, in all (GDPR Art. 12(3): "by two further
/// months").
pub const MAX_EXTENSION_MONTHS: u32 = 2;

/// What the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    /// A copy of their data (GDPR Art. 15, and Art. 20 for the machine-readable files).
    Access,
    /// Erasure of their data (GDPR Art. 17).
    Erasure,
}

impl RequestKind {
    /// `access` or `erasure`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Erasure => "erasure",
        }
    }
}

/// Where a case stands. Any status can follow any other (each change is logged); only
/// [`Status::Closed`] stops the deadline from counting.
///
/// - `open`: created, nothing exported or erased yet;
/// - `exported`: the data was exported into `data/` (and the report written);
/// - `erasing`: erasure was requested from Velt and is not yet confirmed;
/// - `erased`: Velt confirmed the erasure (and the check found nothing left, if run);
/// - `closed`: the answer was sent to the person; the case is kept as the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, nothing exported or erased yet.
    Open,
    /// The data was exported.
    Exported,
    /// Erasure requested, not yet confirmed.
    Erasing,
    /// Erasure confirmed.
    Erased,
    /// Answered; the deadline no longer counts.
    Closed,
}

impl Status {
    /// The status as written in `case.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Exported => "exported",
            Status::Erasing => "erasing",
            Status::Erased => "erased",
            Status::Closed => "closed",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "open" => Ok(Status::Open),
            "exported" => Ok(Status::Exported),
            "erasing" => Ok(Status::Erasing),
            "erased" => Ok(Status::Erased),
            "closed" => Ok(Status::Closed),
            other => Err(Error::Refused(format!(
                "unknown status \"{other}\": use open, exported, erasing, erased or closed"
            ))),
        }
    }
}

/// An extension of the deadline (GDPR Art. 12(3)): the person must be told why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    /// Months added by this extension (1 or 2).
    pub months: u32,
    /// Why, as told to the person.
    pub reason: String,
    /// When the extension was decided (UTC).
    pub at: DateTime<Utc>,
    /// The due date before this extension.
    pub due_before: NaiveDate,
    /// The due date after it.
    pub due_after: NaiveDate,
}

/// What a file of the case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileRole {
    /// An NDJSON export, `data/ORG/USER.ndjson`.
    Export,
    /// The manifest beside an export, `data/ORG/USER.ndjson.manifest.json`.
    Manifest,
    /// The search record, `search.json`.
    Search,
    /// The readable report, `report.html`.
    Report,
    /// The erasure receipt, `receipt.json`.
    Receipt,
    /// Any other file the caller records.
    Other,
}

/// A file of the case as recorded: path relative to the case folder, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    /// Path relative to the case folder, with `/` separators.
    pub path: String,
    /// What the file is.
    pub role: FileRole,
    /// Size in bytes when recorded.
    pub bytes: u64,
    /// SHA-256 (hex) when recorded.
    pub sha256: String,
    /// When it was recorded (UTC).
    pub recorded_at: DateTime<Utc>,
}

/// The end of the event log as last written: a removed last line is caught by comparing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsHead {
    /// Number of lines.
    pub lines: u64,
    /// SHA-256 of the last line ([`events::GENESIS`] when empty).
    pub last_sha256: String,
}

/// `case.json`: the record of one data-subject request.
///
/// Dates (`received`, `due`) are `YYYY-MM-DD`; times are UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// Version of this format (1).
    pub case_format: u32,
    /// The case id: `YYYYMMDD-HHMMSS-` and 8 hex digits of a hash of the subject and time.
    pub id: String,
    /// What the person asked for.
    pub kinds: Vec<RequestKind>,
    /// The person, as given (an email or a user id).
    pub subject: String,
    /// When the request was received.
    pub received: NaiveDate,
    /// When the answer is due: one calendar month after `received`, plus extensions.
    pub due: NaiveDate,
    /// Extensions of the deadline, two months at most in all.
    #[serde(default)]
    pub extensions: Vec<Extension>,
    /// Where the case stands.
    pub status: Status,
    /// When the case was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When `case.json` was last written (UTC).
    pub updated_at: DateTime<Utc>,
    /// The files of the case, with their size and SHA-256.
    #[serde(default)]
    pub files: Vec<FileRecord>,
    /// The end of the event log as last written.
    pub events: EventsHead,
    /// The program that wrote the case: `velt-case 0.1.0`.
    pub written_by: String,
}

impl Case {
    /// Current format version.
    pub const FORMAT: u32 = 1;

    /// Months of extension granted so far.
    pub fn extension_months(&self) -> u32 {
        self.extensions.iter().map(|e| e.months).sum()
    }

    /// Days until the due date (negative when overdue), or `None` for a closed case.
    pub fn days_left(&self, today: NaiveDate) -> Option<i64> {
        (self.status != Status::Closed).then(|| (self.due - today).num_days())
    }

    /// The recorded file at `path` (relative, `/`-separated).
    pub fn file(&self, path: &str) -> Option<&FileRecord> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Reads `DIR/case.json`.
    pub fn load(dir: &Path) -> Result<Case, Error> {
        let path = dir.join(CASE_FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::io(
                &path,
                "cannot read the case record (is this a case folder?)",
                e,
            )
        })?;
        let case: Case = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
            path: path.clone(),
            message: format!("not a case record: {e}"),
        })?;
        if case.case_format != Case::FORMAT {
            return Err(Error::Invalid {
                path,
                message: format!(
                    "case format {} is not supported by this version (which reads {})",
                    case.case_format,
                    Case::FORMAT
                ),
            });
        }
        Ok(case)
    }

    /// Writes `DIR/case.json` atomically (temporary sibling, fsync, rename, fsync of the
    /// folder), readable by its owner only.
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(CASE_FILE);
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::Invalid {
            path: path.clone(),
            message: format!("cannot encode the case: {e}"),
        })?;
        bytes.push(b'\n');
        write_bytes_atomically(&path, &bytes)
    }
}

/// What a new case starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// The person, as given (an email or a user id).
    pub subject: String,
    /// What they asked for (at least one).
    pub kinds: Vec<RequestKind>,
    /// When the request was received (the deadline counts from it).
    pub received: NaiveDate,
}

/// A case folder open for changes.
///
/// While it is open, the folder's event log is locked (an advisory exclusive lock), so a
/// second process or a second `CaseFolder` on the same folder is refused with
/// [`Error::Busy`] instead of interleaving its steps. Reading (`Case::load`, [`crate::check`],
/// [`crate::list`]) takes no lock.
///
/// ```
/// use chrono::NaiveDate;
/// use velt_case::{CaseFolder, NewCase, RequestKind, Status};
///
/// let dir = std::env::temp_dir().join(format!("velt-case-doc-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let received = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
/// let mut case = CaseFolder::create(&dir, &NewCase {
///     subject: "ana@example.com".into(),
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
        if new.subject.trim().is_empty() {
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
            new.subject,
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

    /// Extends the deadline by `months` (GDPR Art. 12(3)), now. See [`CaseFolder::extend_at`].
    pub fn extend(&mut self, months: u32, reason: &str) -> Result<NaiveDate, Error> {
        self.extend_at(months, reason, Utc::now())
    }

    /// Extends the deadline by `months`, decided at `at`: the due date becomes `received` plus
    /// one month plus every extension, clamped to the month's end. Refused when the
    /// extensions would exceed [`MAX_EXTENSION_MONTHS`] in all, when `months` is 0, or when
    /// `reason` is empty (the person must be told why). Returns the new due date.
    pub fn extend_at(
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

    /// The path an export of `user` in `organization` goes to, `DIR/data/ORG/USER.ndjson`,
    /// creating `data/ORG` (0700). Ids that cannot be a file name (empty, `.`, `..`, with a
    /// slash, a backslash or a control character) are refused.
    pub fn export_path(&self, organization: &str, user: &str) -> Result<PathBuf, Error> {
        check_segment(organization, "organization id")?;
        check_segment(user, "user id")?;
        let data = self.dir.join(DATA_DIR);
        let org = data.join(organization);
        if !org.is_dir() {
            create_private_dir(&data)?;
            create_private_dir(&org)?;
            // The new folders survive a crash once their parents are synced.
            for dir in [&self.dir, &data] {
                fsutil::sync_dir(dir).map_err(|e| Error::io(dir, "cannot sync the folder", e))?;
            }
        }
        Ok(org.join(format!("{user}.ndjson")))
    }

    /// The path of the erasure receipt, `DIR/receipt.json`, for the exporter of receipts to
    /// write; then call [`CaseFolder::record_receipt`].
    pub fn receipt_path(&self) -> PathBuf {
        self.dir.join(RECEIPT_FILE)
    }

    /// Records a file of the case (path relative to the case folder, `/`-separated): its size
    /// and SHA-256, replacing an earlier record of the same path, and makes it owner-only.
    /// Logs nothing by itself; the `record_*` functions log their step.
    pub fn add_file(&mut self, relative: &str, role: FileRole) -> Result<FileRecord, Error> {
        let path = self.resolve(relative)?;
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

    /// Records a file of the case (see [`CaseFolder::add_file`]) and logs a `file` step.
    pub fn record_file(&mut self, relative: &str, role: FileRole) -> Result<FileRecord, Error> {
        let record = self.add_file(relative, role)?;
        self.log(
            "file",
            json!({ "path": record.path, "role": record.role, "bytes": record.bytes, "sha256": record.sha256 }),
        )?;
        Ok(record)
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
    /// [`CaseFolder::export_path`]: checks the file against its manifest first (refused, naming
    /// each difference, when it does not match), records both files and logs an `export` step
    /// with the counts.
    pub fn record_export(
        &mut self,
        organization: &str,
        user: &str,
    ) -> Result<crate::ExportCheck, Error> {
        self.export_path(organization, user)?;
        let relative = format!("{DATA_DIR}/{organization}/{user}.ndjson");
        self.record_export_at(&relative, organization, user)
    }

    /// Records the export of `user` in `organization` at `relative` (a path inside the case
    /// folder, `/`-separated, e.g. where an exporter that escapes odd ids in file names wrote
    /// it), as [`CaseFolder::record_export`] does.
    pub fn record_export_at(
        &mut self,
        relative: &str,
        organization: &str,
        user: &str,
    ) -> Result<crate::ExportCheck, Error> {
        let file = self.resolve(relative)?;
        // The folders an exporter made for it (`data/ORG`) become owner-only too.
        for folder in file.ancestors().skip(1) {
            if folder == self.dir {
                break;
            }
            set_private(folder, true)?;
        }
        let relative = relative.to_owned();
        let manifest_relative = format!("{relative}.manifest.json");
        let check = crate::check::check_export(&file)?;
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

    /// Writes `report.html` (see [`crate::render_report`]), records its hash and logs a
    /// `report` step.
    pub fn write_report(
        &mut self,
        options: &crate::ReportOptions,
    ) -> Result<crate::ReportSummary, Error> {
        let path = self.dir.join(REPORT_FILE);
        let mut summary = crate::report::write_report(&self.dir, &self.case, options, &path)?;
        let record = self.add_file(REPORT_FILE, FileRole::Report)?;
        summary.bytes = record.bytes;
        self.log(
            "report",
            json!({ "sha256": record.sha256, "bytes": record.bytes, "itemsShown": summary.items_shown, "items": summary.items }),
        )?;
        Ok(summary)
    }

    /// Checks the case (see [`crate::check`]).
    pub fn check(&self, today: NaiveDate) -> Result<crate::CheckReport, Error> {
        crate::check(&self.dir, today)
    }

    /// Writes `DIR.zip` beside the folder (see [`crate::zip_case`]).
    pub fn zip(&self) -> Result<PathBuf, Error> {
        crate::zip_case(&self.dir)
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
