//! Exports into a file that appears only when complete, and that can be resumed.
//!
//! While an export to `FILE` runs, items go to `FILE.part` as NDJSON lines and, after every
//! page, `FILE.checkpoint` records the page token to continue from and how many bytes of
//! `FILE.part` hold complete pages. The checkpoint is written with the library's one atomic
//! write (a temporary sibling renamed into place), so it is always whole; like the pages, it
//! is not flushed to disk one by one (`Durability::ProcessCrash`). After the process is killed or interrupted, a resume (`OpenMode::resume`) cuts
//! `FILE.part` back to the recorded length and asks for the recorded page: no item is lost or
//! written twice. Pages are not synced to disk one by one; if the machine itself goes down,
//! `FILE.part` may be shorter than its checkpoint, and a resume (`OpenMode::resume`) then refuses (asking to
//! start over) rather than leave a gap. At the end `FILE.part` is synced and becomes `FILE`
//! (for the JSON format, the NDJSON lines are regrouped into one document first) and the
//! checkpoint is removed; `FILE.manifest.json` beside it records what the file holds (see
//! [`velt_case::records::ExportManifest`]). The checkpoint also records what shapes the output (organization,
//! user, format), and a resume (`OpenMode::resume`) with other options is refused.
//!
//! Never lose a file: an existing `FILE` is replaced only when its manifest says it is an
//! export of the same organization and user (then the file and its manifest are replaced
//! together), or with `OpenMode::force`; a resume (`OpenMode::resume`) without a checkpoint leaves alone only a file that
//! matches its manifest. Anything else is refused before a request is sent.
//!
//! One writer per file: the export holds an advisory lock ([`fs4`], `flock` on Unix) on
//! `FILE.lock` from before it looks at anything until the file is in place; a second process
//! is refused at once, and the operating system releases the lock if the process dies. The
//! lock is on a sibling of its own because every other file of the export is replaced by a
//! rename (the checkpoint, the `.part` that becomes `FILE`), and a lock on a renamed-away
//! file locks nothing. `FILE.lock` is removed when the process lets the lock go.

use std::{
    fs::{self, File, OpenOptions},
    io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use velt_api::{
    Client,
    export::{Export, ExportPage, ExportSummary, NdjsonWriter},
};
use velt_case::records::{
    Durability, ExportManifest, ExportRecord, HashingWriter, write_atomically_with,
};

use crate::error::{Error, RefusalKind, Result};

/// The format of an export file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// One line per item: `{"feature":"comments","item":{...}}`.
    Ndjson,
    /// One document of the four lists, then any other key.
    Json,
}

impl FileFormat {
    /// The name on the command line and in manifests, and the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Ndjson => "ndjson",
            FileFormat::Json => "json",
        }
    }
}

/// What `FILE.checkpoint` holds: everything that shapes the output, and how far it got.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Checkpoint {
    organization_id: String,
    user_id: String,
    format: FileFormat,
    /// The token of the next page to fetch; `None` once the last page is written.
    next_page_token: Option<String>,
    /// Pages and items written so far, per feature and per other key.
    #[serde(flatten)]
    summary: ExportSummary,
    /// Length of `FILE.part` covering exactly the pages written.
    bytes: u64,
    /// When the export started (its first run), for the manifest.
    started_at: DateTime<Utc>,
}

/// The path `path` + `suffix`, e.g. `export.ndjson.part`.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

pub use crate::event::Start;

/// The advisory lock on `FILE.lock`, held while an export writes `FILE`.
struct Lock {
    path: PathBuf,
    _file: File,
}

impl Lock {
    /// Takes the lock of the export into `out`, or says who holds it. Creating the lock file
    /// is the export's first write, so a directory that cannot be written is found here,
    /// before anything is sent.
    fn take(out: &Path) -> Result<Lock> {
        let path = sibling(out, ".lock");
        // A finishing export removes its lock file; a lock taken on the removed file would
        // lock nothing, so the path is checked to be the file locked, and taken again if not.
        for _ in 0..3 {
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| {
                    Error::refused(
                        RefusalKind::InvalidInput,
                        format!(
                            "cannot write {}: cannot create {} beside it ({e})",
                            out.display(),
                            path.display()
                        ),
                    )
                })?;
            match fs4::fs_std::FileExt::try_lock_exclusive(&file) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Error::refused(
                        RefusalKind::Busy,
                        format!(
                            "{} is being written by another velt process (it holds {})",
                            out.display(),
                            path.display()
                        ),
                    ));
                }
                Err(e) => return Err(Error::file("lock", &path, e)),
            }
            if still_at(&file, &path) {
                return Ok(Lock { path, _file: file });
            }
        }
        Err(Error::file(
            "lock",
            &path,
            std::io::Error::other("it keeps being replaced by another process"),
        ))
    }
}

impl Drop for Lock {
    /// Removes the lock file, then lets the lock go (a process that dies leaves the file,
    /// unlocked: the next export takes it).
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Refuses an `--out` that cannot be a file of ours before anything is sent: a directory, or a
/// path whose directory does not exist. Names the path as the user typed it.
fn check_path(out: &Path) -> Result<()> {
    if out.file_name().is_none() || out.is_dir() {
        return Err(Error::refused(
            RefusalKind::InvalidInput,
            format!(
                "{} is a directory, not a file path; name a file (or export into a directory)",
                out.display()
            ),
        ));
    }
    let dir = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::refused(
            RefusalKind::InvalidInput,
            format!(
                "cannot write {}: the directory {} does not exist; create it first",
                out.display(),
                dir.display()
            ),
        ));
    }
    Ok(())
}

/// The manifest of an existing `out` when it is an export of `user_id` in
/// `organization_id` that may be replaced (`Ok(None)` when neither file exists), or why it is
/// not one.
fn ours(
    out: &Path,
    organization_id: &str,
    user_id: &str,
) -> Result<Option<ExportManifest>, String> {
    let manifest_path = ExportManifest::path_for(out);
    if !out.exists() && !manifest_path.exists() {
        return Ok(None);
    }
    if !manifest_path.exists() {
        return Err(format!(
            "it has no manifest beside it ({}), so it is no export of velt's",
            manifest_path.display()
        ));
    }
    match ExportManifest::load(&manifest_path) {
        Err(e) => Err(format!("its manifest cannot be read ({e})")),
        Ok(manifest)
            if manifest.organization_id != organization_id || manifest.user_id != user_id =>
        {
            Err(format!(
                "its manifest {} says it is the export of user {} in organization {}",
                manifest_path.display(),
                manifest.user_id,
                manifest.organization_id
            ))
        }
        Ok(manifest) => Ok(Some(manifest)),
    }
}

/// Why an existing `out` is not a complete export of `user_id` in `organization_id` that
/// `--resume` may leave as it is; `None` when it is one.
fn not_complete(out: &Path, organization_id: &str, user_id: &str) -> Option<String> {
    let manifest = match ours(out, organization_id, user_id) {
        Err(why) => return Some(why),
        Ok(None) => return Some("it has no manifest beside it".to_owned()),
        Ok(Some(manifest)) => manifest,
    };
    match manifest.verify(out) {
        Ok(check) if check.matches() => None,
        Ok(check) => Some(format!(
            "it does not match its manifest: {}",
            check
                .differences
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )),
        Err(e) => Some(format!("it cannot be checked against its manifest ({e})")),
    }
}

/// What opening an export file found.
pub enum Opened {
    /// The export to run (or to finish), and how it starts.
    File(Box<UserFile>, Start),
    /// `--resume` found the file complete (no checkpoint beside it): nothing to do.
    Complete,
}

/// One user's export into one file: `FILE.part`, `FILE.checkpoint`, then `FILE`.
pub struct UserFile {
    out: PathBuf,
    part_path: PathBuf,
    checkpoint_path: PathBuf,
    /// `FILE.part`, its lines counted, and its bytes counted and hashed as they are written,
    /// for the manifest.
    part: NdjsonWriter<BufWriter<HashingWriter<File>>>,
    checkpoint: Checkpoint,
    /// Held until the file is in place.
    lock: Lock,
}

/// How to treat what is already at an export's path.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenMode {
    /// Continue an interrupted export (`--resume`).
    pub resume: bool,
    /// Replace whatever is there (`--force`).
    pub force: bool,
}

impl UserFile {
    /// Opens the export of `user_id` into `out` in `format`: a fresh one, or with `resume`
    /// the interrupted one waiting there, provided it was started with the same organization,
    /// user and format. Refuses to throw away an interrupted export without `resume`, and to
    /// replace a file that is not an export of the same user and organization without
    /// `force`; takes the file's lock first (see the module docs).
    pub fn open(
        organization_id: &str,
        user_id: &str,
        out: &Path,
        mode: OpenMode,
        format: FileFormat,
    ) -> Result<Opened> {
        let OpenMode { resume, force } = mode;
        check_path(out)?;
        let lock = Lock::take(out)?;
        let part_path = sibling(out, ".part");
        let checkpoint_path = sibling(out, ".checkpoint");
        let fresh = Checkpoint {
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
            format,
            next_page_token: None,
            summary: ExportSummary::default(),
            bytes: 0,
            started_at: Utc::now(),
        };
        let saved = match read_checkpoint(&checkpoint_path)? {
            Some(_) if force && !resume => {
                fs::remove_file(&checkpoint_path)
                    .map_err(|e| Error::file("remove", &checkpoint_path, e))?;
                None
            }
            saved => saved,
        };
        let refuse = |kind: RefusalKind, why: String, what: &str| {
            Error::refused(
                kind,
                format!("{} is there and {why}; {what}", out.display()),
            )
        };
        let (checkpoint, start) = match (resume, saved) {
            // Stopped after the file was moved into place, before the checkpoint was removed.
            (true, Some(saved))
                if saved.next_page_token.is_none()
                    && saved.summary.pages > 0
                    && out.exists()
                    && !part_path.exists() =>
            {
                refuse_other_options(&checkpoint_path, &saved, &fresh)?;
                fs::remove_file(&checkpoint_path)
                    .map_err(|e| Error::file("remove", &checkpoint_path, e))?;
                drop(lock);
                return Ok(Opened::Complete);
            }
            (true, Some(saved)) => {
                refuse_other_options(&checkpoint_path, &saved, &fresh)?;
                let start = Start::Resumed {
                    pages: saved.summary.pages,
                    items: saved.summary.items,
                };
                (saved, start)
            }
            (true, None) if out.exists() && !force => {
                if let Some(why) = not_complete(out, organization_id, user_id) {
                    return Err(refuse(
                        RefusalKind::CannotResume,
                        why,
                        "there is no checkpoint beside it, so there is nothing to resume",
                    ));
                }
                drop(lock);
                return Ok(Opened::Complete);
            }
            (true, None) => (fresh, Start::NothingToResume),
            (false, Some(_)) => {
                return Err(Error::refused(
                    RefusalKind::InterruptedExport,
                    format!(
                        "an interrupted export is waiting at {} (with {})",
                        part_path.display(),
                        checkpoint_path.display()
                    ),
                ));
            }
            (false, None) => {
                if !force && let Err(why) = ours(out, organization_id, user_id) {
                    return Err(refuse(
                        RefusalKind::NotThisExport,
                        why,
                        &format!(
                            "it is not replaced by an export of user {user_id} in organization {organization_id}"
                        ),
                    ));
                }
                (fresh, Start::New)
            }
        };
        let part = NdjsonWriter::resume(
            open_part(&part_path, checkpoint.bytes)?,
            checkpoint.summary.clone(),
        );
        let file = UserFile {
            out: out.to_owned(),
            part_path,
            checkpoint_path,
            part,
            checkpoint,
            lock,
        };
        Ok(Opened::File(Box::new(file), start))
    }

    /// Gives up an export that has not saved a page yet: its empty `FILE.part` is removed
    /// (one with saved pages stays for `--resume`).
    pub fn discard(self) {
        if self.checkpoint.summary.pages == 0 && !self.checkpoint_path.exists() {
            let _ = fs::remove_file(&self.part_path);
        }
    }

    /// What was saved so far.
    pub fn saved(&self) -> &ExportSummary {
        &self.checkpoint.summary
    }

    /// The export still to run: from the first page, or from the checkpoint's token. `None`
    /// when every page is saved already.
    pub fn remaining(&self, client: &Client) -> Option<Export> {
        let export =
            client.export_user_data(&self.checkpoint.organization_id, &self.checkpoint.user_id);
        match (
            &self.checkpoint.next_page_token,
            self.checkpoint.summary.pages,
        ) {
            (Some(token), _) => Some(export.resume_from(token.clone())),
            (None, 0) => Some(export),
            (None, _) => None,
        }
    }

    /// Appends a page's items, then records the checkpoint. Between the two, a crash loses
    /// nothing: the next resume cuts the file back to the previous checkpoint and asks for
    /// this page again.
    pub fn write_page(&mut self, page: ExportPage) -> Result<()> {
        let next_page_token = page.next_page_token.clone();
        let part_path = &self.part_path;
        self.part
            .write_page(None, page)
            .and_then(|()| self.part.flush())
            .map_err(|e| Error::file("write", part_path, e))?;
        self.checkpoint.bytes = self.part.get_ref().get_ref().bytes();
        self.checkpoint.summary = self.part.summary().clone();
        self.checkpoint.next_page_token = next_page_token;
        write_checkpoint(&self.checkpoint_path, &self.checkpoint)
    }

    /// Turns the saved pages into the final file, under its final name, with its manifest
    /// (`FILE.manifest.json`) beside it, and removes the checkpoint. Returns what the file
    /// holds.
    ///
    /// The manifest is written (atomically) before the file is moved into place, and the
    /// checkpoint is removed last: a crash anywhere leaves either a `--resume` that finishes
    /// the job, or the file and its manifest.
    pub fn finish(mut self, base_url: &str) -> Result<ExportSummary> {
        self.part
            .flush()
            .map_err(|e| Error::file("write", &self.part_path, std::io::Error::other(e)))?;
        self.part
            .get_ref()
            .get_ref()
            .get_ref()
            .sync_all()
            .map_err(|e| Error::file("write", &self.part_path, e))?;
        let UserFile {
            out,
            part_path,
            checkpoint_path,
            part,
            checkpoint,
            lock,
        } = self;
        let hashed = part.get_ref().get_ref();
        let (ready, bytes, sha256) = match checkpoint.format {
            FileFormat::Ndjson => (part_path.clone(), hashed.bytes(), hashed.sha256()),
            FileFormat::Json => {
                let tmp = sibling(&out, ".json.tmp");
                let file = File::create(&tmp).map_err(|e| Error::file("create", &tmp, e))?;
                let mut writer = BufWriter::new(HashingWriter::new(file));
                regroup_as_json(&part_path, &checkpoint.summary, &mut writer)
                    .and_then(|()| writer.flush())
                    .and_then(|()| writer.get_ref().get_ref().sync_data())
                    .map_err(|e| Error::file("write", &tmp, e))?;
                (tmp, writer.get_ref().bytes(), writer.get_ref().sha256())
            }
        };
        let record = ExportRecord {
            organization_id: &checkpoint.organization_id,
            user_id: &checkpoint.user_id,
            format: checkpoint.format.as_str(),
            started_at: checkpoint.started_at,
            summary: &checkpoint.summary,
            base_url,
        };
        let final_name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ExportManifest::new(&record, &final_name, bytes, sha256)
            .save(&ExportManifest::path_for(&out))
            .map_err(|e| {
                Error::file(
                    "write",
                    ExportManifest::path_for(&out),
                    std::io::Error::other(e),
                )
            })?;
        fs::rename(&ready, &out).map_err(|e| Error::file("rename into", &out, e))?;
        if part_path.exists() {
            fs::remove_file(&part_path).map_err(|e| Error::file("remove", &part_path, e))?;
        }
        fs::remove_file(&checkpoint_path)
            .map_err(|e| Error::file("remove", &checkpoint_path, e))?;
        drop(lock);
        Ok(checkpoint.summary)
    }
}

/// Refuses to resume with options that would give another file than the one begun.
fn refuse_other_options(path: &Path, saved: &Checkpoint, asked: &Checkpoint) -> Result<()> {
    let mut differences = Vec::new();
    if saved.organization_id != asked.organization_id {
        differences.push(format!(
            "organization {} (now {})",
            saved.organization_id, asked.organization_id
        ));
    }
    if saved.user_id != asked.user_id {
        differences.push(format!("user {} (now {})", saved.user_id, asked.user_id));
    }
    if saved.format != asked.format {
        differences.push(format!(
            "format {} (now {})",
            saved.format.as_str(),
            asked.format.as_str()
        ));
    }
    if differences.is_empty() {
        return Ok(());
    }
    Err(Error::refused(
        RefusalKind::OtherOptions,
        format!(
            "cannot resume: {} was started with {}",
            path.display(),
            differences.join(", ")
        ),
    ))
}

fn read_checkpoint(path: &Path) -> Result<Option<Checkpoint>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::file("read", path, e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::refused(
            RefusalKind::Damaged,
            format!("{} is damaged ({e})", path.display()),
        )
    })
}

fn write_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    let text = serde_json::to_vec(checkpoint).map_err(|e| Error::file("write", path, e.into()))?;
    // Rewritten after every page: renamed into place, not flushed (see Durability).
    write_atomically_with(path, &text, Durability::ProcessCrash)
        .map_err(|e| Error::file("write", path, e))
}

/// Opens `FILE.part` for appending after its first `bytes` bytes (complete pages only),
/// those bytes already counted and hashed.
fn open_part(path: &Path, bytes: u64) -> Result<BufWriter<HashingWriter<File>>> {
    let file = OpenOptions::new()
        .create(true)
        .read(true)
        .write(true)
        .truncate(bytes == 0)
        .open(path)
        .map_err(|e| Error::file("create", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::file("read", path, e))?
        .len();
    if len < bytes {
        return Err(Error::refused(
            RefusalKind::Damaged,
            format!(
                "{} is shorter than its checkpoint says ({len} < {bytes} bytes)",
                path.display()
            ),
        ));
    }
    file.set_len(bytes)
        .map_err(|e| Error::file("truncate", path, e))?;
    // The saved pages count towards the manifest's size and SHA-256: read them once.
    let mut hashing = HashingWriter::new(file);
    let mut buffer = vec![0; 256 * 1024];
    loop {
        let mut reader: &File = hashing.get_ref();
        let n = reader
            .read(&mut buffer)
            .map_err(|e| Error::file("read", path, e))?;
        if n == 0 {
            break;
        }
        hashing.account(&buffer[..n]);
    }
    hashing
        .get_mut()
        .seek(SeekFrom::End(0))
        .map_err(|e| Error::file("seek in", path, e))?;
    Ok(BufWriter::with_capacity(256 * 1024, hashing))
}

/// Writes the NDJSON lines of `part` as one JSON document: the four known lists, empty ones
/// included, then the other keys in the order they were first seen, each a list of its items.
/// The file is read once per key so that memory stays flat. Lines are the ones this program
/// wrote, `{"feature":NAME,"item":ITEM}`, so each item is copied byte for byte.
pub fn regroup_as_json(
    part: &Path,
    summary: &ExportSummary,
    writer: &mut impl Write,
) -> std::io::Result<()> {
    writer.write_all(b"{")?;
    for (n, (key, _)) in summary.counts().enumerate() {
        if n > 0 {
            writer.write_all(b",")?;
        }
        let name = serde_json::to_string(key)?;
        write!(writer, "{name}:[")?;
        let prefix = format!("{{\"feature\":{name},\"item\":");
        let reader = BufReader::new(File::open(part)?);
        let mut first = true;
        for line in reader.split(b'\n') {
            let line = line?;
            let Some(rest) = line.strip_prefix(prefix.as_bytes()) else {
                continue;
            };
            let item = rest.strip_suffix(b"}").ok_or_else(|| {
                std::io::Error::other(format!(
                    "{} holds a line this program did not write",
                    part.display()
                ))
            })?;
            if !first {
                writer.write_all(b",")?;
            }
            first = false;
            writer.write_all(item)?;
        }
        writer.write_all(b"]")?;
    }
    writer.write_all(b"}\n")
}
