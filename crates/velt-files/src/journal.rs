//! The record in the target directory of what earlier runs fetched completely, so that a
//! rerun downloads none of it again.
//!
//! `.velt-files.jsonl`, one JSON line per file that was written, fsynced and renamed into
//! place (`{"url", "file", "size", "sha256", "contentType"}`); the line is written after the
//! rename, so a line names a complete file. A torn last line (a crash while writing it) is
//! ignored, and so is a line whose file name is not one this crate gives.

use crate::error::Error;
use crate::naming::{hex, is_own_name};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The journal's file name in the target directory.
pub const JOURNAL_FILE: &str = ".velt-files.jsonl";

/// One complete file, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entry {
    pub(crate) url: String,
    pub(crate) file: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) content_type: Option<String>,
}

/// The journal of one target directory: what it held when the run started, and the file
/// lines are appended to.
pub(crate) struct Journal {
    dir: PathBuf,
    known: HashMap<String, Entry>,
    out: tokio::sync::Mutex<tokio::fs::File>,
}

impl Journal {
    /// Reads the journal of `dir` (none yet is an empty one) and opens it for appending.
    pub(crate) async fn open(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(JOURNAL_FILE);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        let text = match tokio::fs::read(&path).await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(e)),
        };
        let known = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Entry>(line).ok())
            .filter(|e| is_own_name(&e.file) && e.file.starts_with(&e.sha256))
            .map(|e| (e.url.clone(), e))
            .collect();
        let out = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await
            .map_err(io)?;
        Ok(Self {
            dir: dir.to_owned(),
            known,
            out: tokio::sync::Mutex::new(out),
        })
    }

    /// The complete file an earlier run fetched from `url`, when it is still there with its
    /// size (and, with `rehash`, its SHA-256).
    pub(crate) async fn complete(&self, url: &str, rehash: bool) -> Option<Entry> {
        let entry = self.known.get(url)?;
        let path = self.dir.join(&entry.file);
        let meta = tokio::fs::symlink_metadata(&path).await.ok()?;
        if !meta.is_file() || meta.len() != entry.size {
            return None;
        }
        if rehash {
            let hash = tokio::task::spawn_blocking(move || sha256_of(&path))
                .await
                .ok()?
                .ok()?;
            if hash != entry.sha256 {
                return None;
            }
        }
        Some(entry.clone())
    }

    /// Appends one complete file, durably.
    pub(crate) async fn append(&self, entry: &Entry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut out = self.out.lock().await;
        out.write_all(&line).await?;
        out.flush().await?;
        out.sync_data().await
    }
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    Ok(hex(ctx.finish().as_ref()))
}
