//! Files of a case: atomic writes, owner-only permissions, SHA-256.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use crate::error::Error;
use crate::records::{Durability, HashingWriter, write_atomically_from};

pub(crate) use crate::records::measure;

/// Creates `dir` (and its parents) if needed, readable by its owner only (0700 on Unix).
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create the folder", e))?;
    set_private(dir, true)
}

/// Sets owner-only permissions: 0700 for a folder, 0600 for a file (Unix; a no-op elsewhere).
pub(crate) fn set_private(path: &Path, dir: bool) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if dir { 0o700 } else { 0o600 };
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(path, "cannot make it readable by its owner only", e))?;
    }
    #[cfg(not(unix))]
    let _ = (path, dir);
    Ok(())
}

/// Writes `path` atomically with the one atomic write ([`crate::records`]: a temporary sibling
/// written by `write`, synced, renamed into place, the folder synced), then makes it
/// owner-only. The temporary file sits in the case folder, which is owner-only itself.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), Error> {
    write_atomically_from(path, Durability::Synced, write)
        .map_err(|e| Error::io(path, "cannot write", e))?;
    set_private(path, false)
}

/// Writes `bytes` to `path` atomically (see [`write_atomically`]).
pub(crate) fn write_bytes_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomically(path, |file| file.write_all(bytes))
}

/// Syncs a folder, so that a rename or a new file in it survives a crash (Unix; a no-op
/// elsewhere, where folders cannot be opened).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// SHA-256 (lower-case hex) of some bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let mut hashing = HashingWriter::new(io::sink());
    hashing.account(bytes);
    hashing.sha256()
}
