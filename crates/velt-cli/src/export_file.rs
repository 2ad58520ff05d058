//! Exports into a file that appears only when complete, and that can be resumed.
//!
//! While an export to `FILE` runs, items go to `FILE.part` as NDJSON lines and, after every
//! page, `FILE.checkpoint` records the page token to continue from and how many bytes of
//! `FILE.part` hold complete pages. The checkpoint is written to a temporary file and renamed,
//! so it is always whole. After a crash or Ctrl-C, `--resume` cuts `FILE.part` back to the
//! recorded length and asks for the recorded page: no item is lost or written twice. At the
//! end `FILE.part` becomes `FILE` (for `--format json`, the NDJSON lines are regrouped into
//! one document first) and the checkpoint is removed.

use std::{
    fs::{self, File, OpenOptions},
    io::{BufRead, BufReader, BufWriter, IsTerminal, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use velt_api::{Client, Feature};

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

/// Runs `velt data export --out FILE`.
pub async fn export_to_file(client: &Client, args: &ExportArgs, out: &Path) -> Result<(), Failure> {
    if out.file_name().is_none() || out.is_dir() {
        return Err(Failure::Usage(format!(
            "--out {} is not a file path",
            out.display()
        )));
    }
    let part_path = sibling(out, ".part");
    let checkpoint_path = sibling(out, ".checkpoint");

    let mut checkpoint = match (args.resume, read_checkpoint(&checkpoint_path)?) {
        (true, Some(checkpoint)) => {
            if checkpoint.organization_id != args.organization_id
                || checkpoint.user_id != args.user_id
            {
                return Err(Failure::Usage(format!(
                    "{} belongs to the export of user {} in organization {}; resume with those ids or delete it",
                    checkpoint_path.display(),
                    checkpoint.user_id,
                    checkpoint.organization_id
                )));
            }
            eprintln!(
                "resuming after page {} ({} items already saved)",
                checkpoint.pages, checkpoint.items
            );
            checkpoint
        }
        (true, None) => {
            eprintln!(
                "nothing to resume at {}; starting from the first page",
                checkpoint_path.display()
            );
            fresh(args)
        }
        (false, Some(_)) => {
            return Err(Failure::Usage(format!(
                "an interrupted export is waiting at {}; pass --resume to continue it, or delete {} and {} to start over",
                part_path.display(),
                part_path.display(),
                checkpoint_path.display()
            )));
        }
        (false, None) => fresh(args),
    };

    let mut part = open_part(&part_path, checkpoint.bytes)?;
    let progress = Progress::new(&checkpoint);

    if checkpoint.pages == 0 || checkpoint.next_page_token.is_some() {
        let mut export = client.export_user_data(&args.organization_id, &args.user_id);
        if let Some(token) = &checkpoint.next_page_token {
            export = export.resume_from(token.clone());
        }
        let mut pages = export.pages();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| {
                progress.abandon();
                let failure = Failure::from(error);
                match failure {
                    Failure::Failed(message) if checkpoint.pages > 0 => Failure::Failed(format!(
                        "{message}\nthe first {} pages are saved; run the same command with --resume to continue",
                        checkpoint.pages
                    )),
                    other => other,
                }
            })?;
            let next_page_token = page.next_page_token.clone();
            let mut written = 0;
            for item in page.into_items() {
                velt_api::write_ndjson_line(&mut part, &item)
                    .map_err(|e| Failure::Failed(e.to_string()))?;
                written += 1;
            }
            part.flush()
                .map_err(|e| io_failure("write", &part_path, e))?;
            part.get_ref()
                .sync_data()
                .map_err(|e| io_failure("write", &part_path, e))?;
            checkpoint.bytes = part
                .get_mut()
                .stream_position()
                .map_err(|e| io_failure("write", &part_path, e))?;
            checkpoint.pages += 1;
            checkpoint.items += written;
            checkpoint.next_page_token = next_page_token;
            write_checkpoint(&checkpoint_path, &checkpoint)?;
            progress.update(&checkpoint);
        }
    }
    drop(part);
    progress.finish();

    match args.format {
        Format::Ndjson => {
            fs::rename(&part_path, out).map_err(|e| io_failure("rename into", out, e))?
        }
        Format::Json => {
            let tmp = sibling(out, ".json.tmp");
            regroup_as_json(&part_path, &tmp)?;
            fs::rename(&tmp, out).map_err(|e| io_failure("rename into", out, e))?;
            fs::remove_file(&part_path).map_err(|e| io_failure("remove", &part_path, e))?;
        }
    }
    fs::remove_file(&checkpoint_path).map_err(|e| io_failure("remove", &checkpoint_path, e))?;
    eprintln!(
        "exported {} items in {} pages to {}",
        checkpoint.items,
        checkpoint.pages,
        out.display()
    );
    Ok(())
}

fn fresh(args: &ExportArgs) -> Checkpoint {
    Checkpoint {
        organization_id: args.organization_id.clone(),
        user_id: args.user_id.clone(),
        next_page_token: None,
        pages: 0,
        items: 0,
        bytes: 0,
    }
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

/// A progress line on standard error (pages, items, rate), only when it is a terminal.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    items_at_start: usize,
}

impl Progress {
    fn new(checkpoint: &Checkpoint) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            items_at_start: checkpoint.items,
        }
    }

    fn update(&self, checkpoint: &Checkpoint) {
        if let Some(bar) = &self.bar {
            let rate = (checkpoint.items - self.items_at_start) as f64
                / self.started.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{} pages, {} items, {rate:.0} items/s",
                checkpoint.pages, checkpoint.items
            ));
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
