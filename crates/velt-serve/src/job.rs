//! A platform's job, one folder under `cases_dir`, keyed by platform and request id:
//!
//! ```text
//! cases_dir/transcend-<request id>/job.json     what was asked (kind, subject, the nonce for
//!                                              the answers) and where the work stands
//!                                  job.lock     the OS file lock of the worker on it
//!                                  outbox/NNNN.json   every answer to the platform, written
//!                                              before it is sent, with its delivery state
//!                                  case/        the case folder (velt-case) of the request
//! ```
//!
//! The case folder is a plain velt-case folder (`velt request check --case .../case` checks
//! it); the worker's own files stay beside it so that the case records only what the
//! request operations wrote.

use std::{
    fs::File,
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use velt_api::search::Subject;

use crate::error::{Error, Result};

/// The job record's file.
pub const JOB_FILE: &str = "job.json";
/// The lock file.
pub const LOCK_FILE: &str = "job.lock";
/// The outbox folder.
pub const OUTBOX_DIR: &str = "outbox";
/// The case folder inside the job's folder.
pub const CASE_DIR: &str = "case";

/// What the platform asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobKind {
    /// An access request.
    Access,
    /// An erasure request.
    Erasure,
}

/// Where the work on a job stands; the worker takes a job up from here after a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// Received; the search, export or erasure is to be done (again, if a worker stopped
    /// during it: an access case left half-written is removed first; an erasure whose
    /// deletion was sent goes on waiting for it).
    Received,
    /// An erasure was sent to Velt; its jobs are waited for, then verified.
    Waiting,
    /// The last answers are in the outbox, being delivered.
    Reporting,
    /// Every answer was acknowledged (or the platform no longer wanted it).
    Done,
}

/// How the request ended, once it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Velt holds nobody with this identifier.
    NotFound,
    /// The access data was sent.
    Exported,
    /// The erasure is verified.
    Resolved,
    /// Something remains for a person to do (the answer's message says what).
    ActionRequired,
}

/// `job.json`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// The platform (`transcend`, `ketch`, `fides`).
    pub platform: String,
    /// The platform's id of the request.
    pub request_id: String,
    /// What was asked.
    pub kind: JobKind,
    /// Who.
    pub subject: Subject,
    /// The platform's token for the answers (Transcend's `x-transcend-nonce`, Fides's
    /// `reply-to-token`): a secret, kept out of `Debug` and logs.
    pub nonce: Option<String>,
    /// What else the platform gave to address its answers (Ketch's callbacks with their
    /// headers, Fides's `reply-to`); may hold secrets, kept out of `Debug` and logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<serde_json::Value>,
    /// A test request of the platform.
    #[serde(default)]
    pub is_test: bool,
    /// When the webhook arrived.
    pub received_at: DateTime<Utc>,
    /// Where the work stands.
    pub stage: Stage,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// The erasures planned (one per set of organizations), once sent.
    #[serde(default)]
    pub erasures_planned: Option<usize>,
    /// The Velt users of each deletion whose sending began (recorded before it is sent): a
    /// deletion begun with no receipt kept has an unknown outcome, and is never sent again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletions_begun: Vec<String>,
    /// The message of the last answer, in words.
    pub message: Option<String>,
}

impl Job {
    /// A job just received from `platform`: nothing done yet, no token or callbacks for the
    /// answers (the adapter sets `nonce`, `reply` and `is_test` as its platform sends them).
    pub fn new(platform: &str, request_id: String, kind: JobKind, subject: Subject) -> Job {
        Job {
            platform: platform.to_owned(),
            request_id,
            kind,
            subject,
            nonce: None,
            reply: None,
            is_test: false,
            received_at: Utc::now(),
            stage: Stage::Received,
            outcome: None,
            erasures_planned: None,
            deletions_begun: Vec::new(),
            message: None,
        }
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("platform", &self.platform)
            .field("request_id", &self.request_id)
            .field("kind", &self.kind)
            .field("nonce", &self.nonce.as_ref().map(|_| "[REDACTED]"))
            .field("reply", &self.reply.as_ref().map(|_| "[REDACTED]"))
            .field("stage", &self.stage)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// A job's folder.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobDir {
    dir: PathBuf,
}

/// The exclusive OS lock on a job, held while a worker works on it; the operating system
/// releases it when the process dies.
#[derive(Debug)]
pub struct JobLock {
    _file: File,
}

impl JobDir {
    /// The folder of `platform`'s request `request_id` under `cases_dir`: the id's letters,
    /// digits, `-` and `_` kept, anything else `_`, and then (when anything was replaced, or
    /// the id is long) 12 hex digits of its SHA-256, so that two ids never share a folder.
    pub fn of(cases_dir: &Path, platform: &str, request_id: &str) -> JobDir {
        let mut name: String = request_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(80)
            .collect();
        if name != request_id || name.is_empty() {
            let digest = ring::digest::digest(&ring::digest::SHA256, request_id.as_bytes());
            let hex: String = digest.as_ref()[..6]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            name = format!("{name}-{hex}");
        }
        JobDir {
            dir: cases_dir.join(format!("{platform}-{name}")),
        }
    }

    /// A job folder found on disk.
    pub fn at(dir: PathBuf) -> JobDir {
        JobDir { dir }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The case folder.
    pub fn case_dir(&self) -> PathBuf {
        self.dir.join(CASE_DIR)
    }

    /// The outbox folder.
    pub fn outbox_dir(&self) -> PathBuf {
        self.dir.join(OUTBOX_DIR)
    }

    /// Whether the job was received before.
    pub fn exists(&self) -> bool {
        self.dir.join(JOB_FILE).exists()
    }

    /// Creates the folder and its record; `Ok(false)` when the job exists already (the same
    /// job sent again). A folder left without its record is given one.
    pub fn create(&self, job: &Job) -> Result<bool> {
        if let Some(parent) = self.dir.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(parent, "cannot create the cases folder", e))?;
        }
        match std::fs::create_dir(&self.dir) {
            Ok(()) => {}
            // A folder without its record: a first attempt that could not write it.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && !self.exists() => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(Error::io(&self.dir, "cannot create the job folder", e)),
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700));
        }
        self.save(job)?;
        Ok(true)
    }

    /// Reads the record.
    pub fn load(&self) -> Result<Job> {
        let path = self.dir.join(JOB_FILE);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, "cannot read", e))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::io(
                &path,
                "not a job record",
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            )
        })
    }

    /// Writes the record (atomically).
    pub fn save(&self, job: &Job) -> Result<()> {
        let path = self.dir.join(JOB_FILE);
        let bytes = serde_json::to_vec_pretty(job).map_err(|e| {
            Error::io(
                &path,
                "cannot serialize",
                std::io::Error::other(e.to_string()),
            )
        })?;
        write_private(&path, &bytes)
    }

    /// Takes the job's lock; `None` when another worker (this process or another) holds it.
    pub fn try_lock(&self) -> Result<Option<JobLock>> {
        let path = self.dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, "cannot open the lock", e))?;
        let locked = fs4::fs_std::FileExt::try_lock_exclusive(&file)
            .map_err(|e| Error::io(&path, "cannot lock", e))?;
        Ok(locked.then_some(JobLock { _file: file }))
    }
}

/// Writes a file of a job atomically, readable by its owner only (it may hold the nonce or the
/// person's data): the temporary file is made private before anything is written into it, so
/// the file is never readable by others, not even between the rename and a `chmod`.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    velt_case::records::write_atomically_from(
        path,
        velt_case::records::Durability::Synced,
        |file| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            std::io::Write::write_all(file, bytes)
        },
    )
    .map_err(|e| Error::io(path, "cannot write", e))
}

/// Creates a folder of a job, readable by its owner only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir, "cannot make private", e))?;
    }
    Ok(())
}

/// Every job folder under `cases_dir` whose work is not done, oldest name first.
pub fn open_jobs(cases_dir: &Path) -> Vec<JobDir> {
    let Ok(entries) = std::fs::read_dir(cases_dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(JOB_FILE).is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(JobDir::at)
        .filter(|job| job.load().is_ok_and(|j| j.stage != Stage::Done))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_become_safe_distinct_folder_names() {
        let base = Path::new("/cases");
        let plain = JobDir::of(base, "transcend", "3f1c-42_a");
        assert_eq!(plain.dir(), Path::new("/cases/transcend-3f1c-42_a"));
        let odd = JobDir::of(base, "transcend", "../../etc");
        let name = odd.dir().file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(name.starts_with("transcend-______etc-"), "{name}");
        assert_eq!(odd.dir().parent(), Some(base));
        let other = JobDir::of(base, "transcend", "..__/etc");
        assert_ne!(odd, other, "two ids that sanitize alike keep apart");
    }

    #[test]
    fn a_job_is_created_once_and_a_folder_without_its_record_gets_one() {
        let base = std::env::temp_dir().join(format!("velt-serve-job-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dir = JobDir::of(&base, "transcend", "r1");
        let job = Job {
            nonce: Some("n".into()),
            ..Job::new(
                "transcend",
                "r1".into(),
                JobKind::Access,
                Subject::email("a@b.c"),
            )
        };
        assert!(
            !format!("{job:?}").contains("\"n\""),
            "the nonce stays out of Debug"
        );
        std::fs::create_dir_all(dir.dir()).expect("a folder left behind");
        assert!(dir.create(&job).expect("created"), "the record is written");
        assert!(!dir.create(&job).expect("exists"), "the same job again");
        let lock = dir.try_lock().expect("lockable");
        assert!(lock.is_some());
        assert!(dir.try_lock().expect("lockable").is_none(), "held");
        drop(lock);
        assert!(dir.try_lock().expect("lockable").is_some(), "released");
        let _ = std::fs::remove_dir_all(&base);
    }
}
