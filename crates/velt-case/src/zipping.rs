//! `DIR.zip`: the case folder in one file.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::error::Error;
use crate::fsutil::write_atomically;

/// Writes `DIR.zip` next to the case folder `dir` (see [`crate::CaseFolder::zip`]).
pub(crate) fn zip_case(dir: &Path) -> Result<PathBuf, Error> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Error::Refused(format!(
                "{}: give the case folder by its name (not `.` or `/`) to zip it",
                dir.display()
            ))
        })?;
    let target = dir.with_file_name(format!("{name}.zip"));
    let mut files = Vec::new();
    collect(dir, &name, &mut files)
        .map_err(|e| Error::io(dir, "cannot read the case folder", e))?;
    let mut failed: Option<(PathBuf, io::Error)> = None;
    write_atomically(&target, |out| {
        let mut zip = zip::ZipWriter::new(out);
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o600);
        for (entry, path) in &files {
            zip.start_file(entry.as_str(), options)
                .map_err(io::Error::other)?;
            let mut input = match File::open(path) {
                Ok(f) => f,
                Err(e) => {
                    failed = Some((path.clone(), io::Error::new(e.kind(), e.to_string())));
                    return Err(e);
                }
            };
            io::copy(&mut input, &mut zip)?;
        }
        let out = zip.finish().map_err(io::Error::other)?;
        out.flush()
    })
    .map_err(|e| match failed.take() {
        Some((path, source)) => Error::io(&path, "cannot read the file to zip", source),
        None => e,
    })?;
    Ok(target)
}

/// Every file under `dir` as (entry name, path), sorted, skipping temporary files of this
/// crate (`.NAME.tmp-PID`).
fn collect(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".tmp-") {
            continue;
        }
        let entry_name = format!("{prefix}/{name}");
        if entry.file_type()?.is_dir() {
            collect(&entry.path(), &entry_name, out)?;
        } else {
            out.push((entry_name, entry.path()));
        }
    }
    Ok(())
}
