//! Exports into a file that appears only when complete, and that can be resumed.
//!
//! While an export to `FILE` runs, items go to `FILE.part` as NDJSON lines and, after every
//! page, `FILE.checkpoint` records the page token to continue from and how many bytes of
//! `FILE.part` hold complete pages. The checkpoint is written to a temporary file and renamed,
//! so it is always whole. After the process is killed or interrupted, `--resume` cuts
//! `FILE.part` back to the recorded length and asks for the recorded page: no item is lost or
//! written twice. Pages are not synced to disk one by one; if the machine itself goes down,
//! `FILE.part` may be shorter than its checkpoint, and `--resume` then refuses (asking to
//! start over) rather than leave a gap. At the end `FILE.part` is synced and becomes `FILE`
//! (for `--format json`, the NDJSON lines are regrouped into one document first) and the
//! checkpoint is removed.

use std::{
    collections::HashMap,
    fs::{self, File, OpenOptions},
    io::{BufRead, BufReader, BufWriter, IsTerminal, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use velt_api::{Client, Export, ExportPage, Feature, UserPage};

use crate::{
    ExportArgs, Format,
    commands::{Failure, io_failure},
};

/// What `FILE.checkpoint` holds.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Checkpoint {
    organization_id: String,
    user_id: String,
    /// The token of the next page to fetch; `None` once the last page is written.
    next_page_token: Option<String>,
    pages: usize,
    items: usize,
    /// Length of `FILE.part` covering exactly the pages written.
    bytes: u64,
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// One user's export into one file: `FILE.part`, `FILE.checkpoint`, then `FILE`.
pub struct UserFile {
    out: PathBuf,
    part_path: PathBuf,
    checkpoint_path: PathBuf,
    part: BufWriter<File>,
    checkpoint: Checkpoint,
    format: Format,
}

impl UserFile {
    /// Opens the export of `user_id` into `out`: a fresh one, or with `resume` the interrupted
    /// one waiting there. Refuses to throw away an interrupted export without `resume`.
    pub fn open(
        organization_id: &str,
        user_id: &str,
        out: &Path,
        resume: bool,
        format: Format,
    ) -> Result<UserFile, Failure> {
        if out.file_name().is_none() || out.is_dir() {
            return Err(Failure::Usage(format!(
                "{} is not a file path",
                out.display()
            )));
        }
        let part_path = sibling(out, ".part");
        let checkpoint_path = sibling(out, ".checkpoint");
        let fresh = || Checkpoint {
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
            next_page_token: None,
            pages: 0,
            items: 0,
            bytes: 0,
        };
        let checkpoint = match (resume, read_checkpoint(&checkpoint_path)?) {
            (true, Some(checkpoint)) => {
                if checkpoint.organization_id != organization_id || checkpoint.user_id != user_id {
                    return Err(Failure::Usage(format!(
                        "{} belongs to the export of user {} in organization {}; resume with those ids or delete it",
                        checkpoint_path.display(),
                        checkpoint.user_id,
                        checkpoint.organization_id
                    )));
                }
                checkpoint
            }
            (true, None) => fresh(),
            (false, Some(_)) => {
                return Err(Failure::Usage(format!(
                    "an interrupted export is waiting at {}; pass --resume to continue it, or delete {} and {} to start over",
                    part_path.display(),
                    part_path.display(),
                    checkpoint_path.display()
                )));
            }
            (false, None) => fresh(),
        };
        let part = open_part(&part_path, checkpoint.bytes)?;
        Ok(UserFile {
            out: out.to_owned(),
            part_path,
            checkpoint_path,
            part,
            checkpoint,
            format,
        })
    }

    /// Pages saved so far, and items in them.
    pub fn saved(&self) -> (usize, usize) {
        (self.checkpoint.pages, self.checkpoint.items)
    }

    /// The export still to run: from the first page, or from the checkpoint's token. `None`
    /// when every page is saved already.
    pub fn remaining(&self, client: &Client) -> Option<Export> {
        let export =
            client.export_user_data(&self.checkpoint.organization_id, &self.checkpoint.user_id);
        match (&self.checkpoint.next_page_token, self.checkpoint.pages) {
            (Some(token), _) => Some(export.resume_from(token.clone())),
            (None, 0) => Some(export),
            (None, _) => None,
        }
    }

    /// Appends a page's items, then records the checkpoint. Between the two, a crash loses
    /// nothing: the next resume cuts the file back to the previous checkpoint and asks for
    /// this page again.
    pub fn write_page(&mut self, page: ExportPage) -> Result<(), Failure> {
        let next_page_token = page.next_page_token.clone();
        let mut written = 0;
        for item in page.into_items() {
            velt_api::write_ndjson_line(&mut self.part, &item)
                .map_err(|e| Failure::Failed(format!("{}: {e}", self.part_path.display())))?;
            written += 1;
        }
        self.part
            .flush()
            .map_err(|e| io_failure("write", &self.part_path, e))?;
        self.checkpoint.bytes = self
            .part
            .get_mut()
            .stream_position()
            .map_err(|e| io_failure("write", &self.part_path, e))?;
        self.checkpoint.pages += 1;
        self.checkpoint.items += written;
        self.checkpoint.next_page_token = next_page_token;
        write_checkpoint(&self.checkpoint_path, &self.checkpoint)
    }

    /// Turns the saved pages into the final file, under its final name, and removes the
    /// checkpoint. Returns (pages, items).
    pub fn finish(mut self) -> Result<(usize, usize), Failure> {
        self.part
            .flush()
            .map_err(|e| io_failure("write", &self.part_path, e))?;
        self.part
            .get_ref()
            .sync_all()
            .map_err(|e| io_failure("write", &self.part_path, e))?;
        let saved = self.saved();
        let UserFile {
            out,
            part_path,
            checkpoint_path,
            part,
            format,
            ..
        } = self;
        drop(part);
        match format {
            Format::Ndjson => {
                fs::rename(&part_path, &out).map_err(|e| io_failure("rename into", &out, e))?
            }
            Format::Json => {
                let tmp = sibling(&out, ".json.tmp");
                regroup_as_json(&part_path, &tmp)?;
                fs::rename(&tmp, &out).map_err(|e| io_failure("rename into", &out, e))?;
                fs::remove_file(&part_path).map_err(|e| io_failure("remove", &part_path, e))?;
            }
        }
        fs::remove_file(&checkpoint_path).map_err(|e| io_failure("remove", &checkpoint_path, e))?;
        Ok(saved)
    }
}

/// Adds to an export failure how to continue it.
fn resumable(error: velt_api::Error, pages_saved: usize) -> Failure {
    match Failure::from(error) {
        Failure::Failed(message) if pages_saved > 0 => Failure::Failed(format!(
            "{message}\nthe first {pages_saved} pages are saved; run the same command with --resume to continue"
        )),
        other => other,
    }
}

/// Runs `velt data export --out FILE` for one user.
pub async fn export_to_file(
    client: &Client,
    organization_id: &str,
    user_id: &str,
    out: &Path,
    args: &ExportArgs,
) -> Result<(), Failure> {
    let mut file = UserFile::open(organization_id, user_id, out, args.resume, args.format)?;
    let (pages, items) = file.saved();
    if args.resume {
        eprintln!("resuming after page {pages} ({items} items already saved)");
    }
    let progress = Progress::new(items);
    if let Some(export) = file.remaining(client) {
        let mut pages = export.pages();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| {
                progress.abandon();
                resumable(error, file.saved().0)
            })?;
            file.write_page(page)?;
            let (pages, items) = file.saved();
            progress.update(&format!("{pages} pages"), items);
        }
    }
    progress.finish();
    let (pages, items) = file.finish()?;
    eprintln!(
        "exported {items} items in {pages} pages to {}",
        out.display()
    );
    Ok(())
}

/// Runs `velt data export --out-dir DIR` for several users, at most `args.concurrency` at a
/// time, each into `DIR/USER.ndjson` (or `.json`) with its own checkpoint. A user whose
/// export fails does not stop the others; the failures are listed at the end.
pub async fn export_users_to_dir(
    client: &Client,
    organization_id: &str,
    user_ids: &[String],
    dir: &Path,
    args: &ExportArgs,
) -> Result<(), Failure> {
    fs::create_dir_all(dir).map_err(|e| io_failure("create", dir, e))?;
    let extension = match args.format {
        Format::Ndjson => "ndjson",
        Format::Json => "json",
    };
    let mut files = HashMap::new();
    let mut exports = Vec::new();
    let mut done = 0;
    let mut skipped = 0;
    for user_id in user_ids {
        let out = dir.join(format!("{}.{extension}", file_stem(user_id)));
        if args.resume && out.exists() && !sibling(&out, ".checkpoint").exists() {
            skipped += 1; // finished in an earlier run
            continue;
        }
        let file = UserFile::open(organization_id, user_id, &out, args.resume, args.format)?;
        match file.remaining(client) {
            Some(export) => {
                exports.push(export);
                files.insert(user_id.clone(), file);
            }
            None => {
                file.finish()?;
                done += 1;
            }
        }
    }
    if skipped > 0 {
        eprintln!(
            "{skipped} user(s) already exported in {}; skipping them",
            dir.display()
        );
    }
    let total = user_ids.len();
    let progress = Progress::new(0);
    let mut items = 0;
    let mut failures = Vec::new();
    let mut pages = Export::concurrently(exports, usize::from(args.concurrency));
    while let Some(UserPage { user_id, page }) = pages.next().await {
        let Some(mut file) = files.remove(&user_id) else {
            continue;
        };
        match page {
            Ok(page) => {
                let last = page.next_page_token.is_none();
                items += page.len();
                file.write_page(page)?;
                if last {
                    file.finish()?;
                    done += 1;
                } else {
                    files.insert(user_id, file);
                }
            }
            Err(error) => failures.push(format!("{user_id}: {error}")),
        }
        progress.update(&format!("{}/{total} users", done + skipped), items);
    }
    progress.finish();
    eprintln!(
        "exported {items} items of {done} user(s) to {}{}",
        dir.display(),
        if skipped > 0 {
            format!(" ({skipped} done earlier)")
        } else {
            String::new()
        }
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(format!(
            "{} user(s) failed:\n{}\nrun the same command with --resume to continue them",
            failures.len(),
            failures.join("\n")
        )))
    }
}

/// A file name for a user id: letters, digits, `-`, `_`, `.` and `@` kept, anything else
/// written as `%XX`, so that two ids never share a file and none escapes the directory.
fn file_stem(user_id: &str) -> String {
    let mut stem = String::with_capacity(user_id.len());
    for byte in user_id.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'@' => stem.push(byte as char),
            b'.' if !stem.is_empty() => stem.push('.'),
            other => stem.push_str(&format!("%{other:02X}")),
        }
    }
    stem
}

fn read_checkpoint(path: &Path) -> Result<Option<Checkpoint>, Failure> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_failure("read", path, e)),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Failure::Usage(format!(
            "{} is damaged ({e}); delete it and the .part file beside it to start over",
            path.display()
        ))
    })
}

fn write_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<(), Failure> {
    let tmp = sibling(path, ".tmp");
    let text = serde_json::to_vec(checkpoint)
        .map_err(|e| Failure::Failed(format!("cannot encode the checkpoint: {e}")))?;
    fs::write(&tmp, text).map_err(|e| io_failure("write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io_failure("write", path, e))
}

/// Opens `FILE.part` for appending after its first `bytes` bytes (complete pages only).
fn open_part(path: &Path, bytes: u64) -> Result<BufWriter<File>, Failure> {
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(bytes == 0)
        .open(path)
        .map_err(|e| io_failure("create", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| io_failure("read", path, e))?
        .len();
    if len < bytes {
        return Err(Failure::Usage(format!(
            "{} is shorter than its checkpoint says ({len} < {bytes} bytes); delete it and the checkpoint to start over",
            path.display()
        )));
    }
    file.set_len(bytes)
        .map_err(|e| io_failure("truncate", path, e))?;
    file.seek(SeekFrom::End(0))
        .map_err(|e| io_failure("seek in", path, e))?;
    Ok(BufWriter::with_capacity(256 * 1024, file))
}

/// Rewrites the NDJSON lines of `part` as one JSON document with the four lists, reading the
/// file once per feature so that memory stays flat. Lines are the ones this program wrote,
/// `{"feature":"NAME","item":ITEM}`, so each item is copied byte for byte.
fn regroup_as_json(part: &Path, out: &Path) -> Result<(), Failure> {
    let mut writer = BufWriter::new(File::create(out).map_err(|e| io_failure("create", out, e))?);
    let fail = |e| io_failure("write", out, e);
    writer.write_all(b"{").map_err(fail)?;
    for (n, feature) in Feature::ALL.into_iter().enumerate() {
        if n > 0 {
            writer.write_all(b",").map_err(fail)?;
        }
        write!(writer, "\"{}\":[", feature.as_str()).map_err(fail)?;
        let prefix = format!("{{\"feature\":\"{}\",\"item\":", feature.as_str());
        let reader = BufReader::new(File::open(part).map_err(|e| io_failure("read", part, e))?);
        let mut first = true;
        for line in reader.split(b'\n') {
            let line = line.map_err(|e| io_failure("read", part, e))?;
            let Some(rest) = line.strip_prefix(prefix.as_bytes()) else {
                continue;
            };
            let item = rest.strip_suffix(b"}").ok_or_else(|| {
                Failure::Failed(format!(
                    "{} holds a line this program did not write",
                    part.display()
                ))
            })?;
            if !first {
                writer.write_all(b",").map_err(fail)?;
            }
            first = false;
            writer.write_all(item).map_err(fail)?;
        }
        writer.write_all(b"]").map_err(fail)?;
    }
    writer.write_all(b"}\n").map_err(fail)?;
    writer.flush().map_err(fail)?;
    writer.get_ref().sync_data().map_err(fail)
}

/// A progress line on standard error (what is done, items, rate), only when it is a
/// terminal.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    items_at_start: usize,
}

/// A spinner with a message on standard error, or `None` when standard error is not a
/// terminal (then progress is not shown, or shown as plain lines by the caller).
pub fn spinner() -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    })
}

impl Progress {
    fn new(items_at_start: usize) -> Progress {
        Progress {
            bar: spinner(),
            started: Instant::now(),
            items_at_start,
        }
    }

    fn update(&self, done: &str, items: usize) {
        if let Some(bar) = &self.bar {
            let rate = items.saturating_sub(self.items_at_start) as f64
                / self.started.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!("{done}, {items} items, {rate:.0} items/s"));
        }
    }

    fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_stems_are_safe_and_distinct() {
        assert_eq!(file_stem("user-0001"), "user-0001");
        assert_eq!(file_stem("a/b"), "a%2Fb");
        assert_eq!(file_stem(".."), "%2E.");
        assert_eq!(file_stem("a%2Fb"), "a%252Fb");
        assert_ne!(file_stem("a/b"), file_stem("a%2Fb"));
    }
}
