//! The record of an export: what was exported, when, from where, and the file's size and
//! SHA-256, so that the file handed to a person can be checked later ([`ExportManifest`]).

use std::{
    collections::BTreeMap,
    fs::File,
    io::{BufRead, BufReader, Read},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::IgnoredAny};

use velt_api::{
    Client,
    export::{ExportSummary, Feature},
};

use crate::error::Error;
use crate::records::atomic::{load_record, save_json};

/// The record written beside an export file (`FILE.manifest.json`): organization, user, when,
/// pages, items per feature and per other key, the file's bytes and SHA-256, the crate and
/// spec versions and Velt's host. It holds no secret.
///
/// ```no_run
/// # fn run() -> Result<(), velt_case::Error> {
/// use std::path::Path;
/// use velt_case::records::ExportManifest;
///
/// let file = Path::new("export.ndjson");
/// let manifest = ExportManifest::load(&ExportManifest::path_for(file))?;
/// let check = manifest.verify(file)?;
/// if check.matches() {
///     println!("{} items of {} match", manifest.items, manifest.user_id);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportManifest {
    /// The manifest format, [`ExportManifest::FORMAT`].
    pub manifest_format: u32,
    /// The export file's name (beside the manifest).
    pub file: String,
    /// `ndjson` or `json`.
    pub format: String,
    /// The organization exported.
    pub organization_id: String,
    /// The user exported.
    pub user_id: String,
    /// When the export started (its first page was asked for), in UTC.
    pub started_at: DateTime<Utc>,
    /// When the file was complete, in UTC.
    pub finished_at: DateTime<Utc>,
    /// Pages read.
    pub pages: usize,
    /// Items in the file.
    pub items: usize,
    /// Items per known feature, zero included.
    pub items_per_feature: BTreeMap<String, usize>,
    /// Items per key of `data` this crate does not know (empty normally).
    pub items_per_other_key: BTreeMap<String, usize>,
    /// The file's size.
    pub bytes: u64,
    /// The file's SHA-256, in hex.
    pub sha256: String,
    /// The crate that wrote the manifest, e.g. `velt-case 0.1.0` (`velt-api 0.1.0` in
    /// manifests written before the records moved out of the client).
    pub written_by: String,
    /// The spec version the crate was generated from.
    pub spec_version: String,
    /// The host (and port) of the Velt base URL the data came from.
    pub velt_host: String,
}

/// The facts of an export that the manifest records beside the file's own.
#[derive(Clone, Debug)]
pub struct ExportRecord<'a> {
    /// The organization exported.
    pub organization_id: &'a str,
    /// The user exported.
    pub user_id: &'a str,
    /// `ndjson` or `json`.
    pub format: &'a str,
    /// When the export started.
    pub started_at: DateTime<Utc>,
    /// What the export wrote.
    pub summary: &'a ExportSummary,
    /// The Velt base URL (only its host is kept).
    pub base_url: &'a str,
}

impl ExportManifest {
    /// The current manifest format.
    pub const FORMAT: u32 = 1;

    /// Where the manifest of `file` lives: `FILE.manifest.json`.
    pub fn path_for(file: &Path) -> PathBuf {
        let mut name = file.file_name().unwrap_or_default().to_os_string();
        name.push(".manifest.json");
        file.with_file_name(name)
    }

    /// The manifest of the finished export `record`, whose file (named `file` in the
    /// manifest) has `bytes` bytes with the SHA-256 `sha256` (hex), e.g. as a
    /// [`HashingWriter`] counted them while the file was written.
    pub fn new(record: &ExportRecord<'_>, file: &str, bytes: u64, sha256: String) -> Self {
        let summary = record.summary;
        ExportManifest {
            manifest_format: Self::FORMAT,
            file: file.to_owned(),
            format: record.format.to_owned(),
            organization_id: record.organization_id.to_owned(),
            user_id: record.user_id.to_owned(),
            started_at: record.started_at,
            finished_at: Utc::now(),
            pages: summary.pages,
            items: summary.items,
            items_per_feature: Feature::ALL
                .iter()
                .zip(summary.per_feature)
                .map(|(f, n)| (f.as_str().to_owned(), n))
                .collect(),
            items_per_other_key: summary.other.iter().cloned().collect(),
            bytes,
            sha256,
            written_by: written_by(),
            spec_version: Client::SPEC_VERSION.to_owned(),
            velt_host: host_of(record.base_url),
        }
    }

    /// The manifest of the finished export `record` written to `file`, which is read once to
    /// measure its size and SHA-256. The manifest names the file by its file name.
    pub fn describe(record: &ExportRecord<'_>, file: &Path) -> Result<ExportManifest, Error> {
        let (bytes, sha256) = measure(file).map_err(|e| Error::io(file, "cannot read", e))?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self::new(record, &name, bytes, sha256))
    }

    /// Writes the manifest as pretty JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        save_json(path, self, "export manifest")
    }

    /// Reads a manifest written by [`ExportManifest::save`].
    pub fn load(path: &Path) -> Result<ExportManifest, Error> {
        load_record(
            path,
            "export manifest",
            |record: &ExportManifest| record.manifest_format,
            Self::FORMAT,
        )
    }

    /// Checks `file` against the manifest: size, SHA-256, and the items per feature and per
    /// other key counted again from the file. The [`FileCheck`] says what the file holds and
    /// every difference (none when it matches).
    pub fn verify(&self, file: &Path) -> Result<FileCheck, Error> {
        // One read: the file is hashed as it is counted, and what the count left is drained.
        let opened = File::open(file).map_err(|e| Error::io(file, "cannot read", e))?;
        let mut reader = BufReader::new(HashingReader {
            inner: opened,
            hashing: HashingWriter::new(std::io::sink()),
        });
        let counted = count_items(&mut reader, &self.format);
        std::io::copy(&mut reader, &mut std::io::sink())
            .map_err(|e| Error::io(file, "cannot read", e))?;
        let hashing = &reader.get_ref().hashing;
        let (bytes, sha256) = (hashing.bytes(), hashing.sha256());
        let mut check = FileCheck {
            bytes,
            sha256,
            items_per_key: BTreeMap::new(),
            differences: Vec::new(),
        };
        if check.bytes != self.bytes {
            check.differ("size", self.bytes, format!("{} bytes", check.bytes));
        }
        if check.sha256 != self.sha256 {
            check.differ("SHA-256", &self.sha256, check.sha256.clone());
        }
        match counted {
            Ok(counts) => {
                let mut expected = self.items_per_feature.clone();
                expected.extend(self.items_per_other_key.clone());
                expected.retain(|_, n| *n > 0);
                let keys: std::collections::BTreeSet<&String> =
                    expected.keys().chain(counts.keys()).collect();
                for key in keys {
                    let want = expected.get(key).copied().unwrap_or(0);
                    let got = counts.get(key).copied().unwrap_or(0);
                    if want != got {
                        check.differ(
                            &format!("items of \"{key}\""),
                            want,
                            format!("{got} in the file"),
                        );
                    }
                }
                check.items_per_key = counts;
            }
            Err(reason) => check.differ("content", "export lines", reason),
        }
        Ok(check)
    }
}

/// What [`ExportManifest::verify`] found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    /// The file's size.
    pub bytes: u64,
    /// The file's SHA-256, in hex.
    pub sha256: String,
    /// Items per feature and per other key, counted in the file.
    pub items_per_key: BTreeMap<String, usize>,
    /// Every difference from the manifest; empty when the file matches.
    pub differences: Vec<Difference>,
}

impl FileCheck {
    /// True when the file matches its manifest.
    pub fn matches(&self) -> bool {
        self.differences.is_empty()
    }

    fn differ(&mut self, what: &str, expected: impl ToString, found: impl ToString) {
        self.differences.push(Difference {
            what: what.to_owned(),
            expected: expected.to_string(),
            found: found.to_string(),
        });
    }
}

/// One way a file differs from its manifest. Display: `SHA-256: FOUND, the manifest says
/// EXPECTED`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What differs: `size`, `SHA-256`, `items of "comments"`, `content`.
    pub what: String,
    /// What the manifest says.
    pub expected: String,
    /// What the file holds.
    pub found: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}, the manifest says {}",
            self.what, self.found, self.expected
        )
    }
}

/// Size and SHA-256 (lower-case hex) of a file, read once.
pub(crate) fn measure(path: &Path) -> std::io::Result<(u64, String)> {
    let mut hashing = HashingWriter::new(std::io::sink());
    std::io::copy(&mut File::open(path)?, &mut hashing)?;
    Ok((hashing.bytes(), hashing.sha256()))
}

/// A reader that counts and hashes (through a [`HashingWriter`]) every byte read through it.
struct HashingReader<R> {
    inner: R,
    hashing: HashingWriter<std::io::Sink>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hashing.account(&buf[..n]);
        Ok(n)
    }
}

/// A writer that counts and hashes (SHA-256) every byte it passes on, so that a file's
/// manifest needs no second read of the file.
///
/// ```
/// use std::io::Write;
/// use velt_case::records::HashingWriter;
///
/// let mut out = HashingWriter::new(Vec::new());
/// out.write_all(b"abc")?;
/// assert_eq!(out.bytes(), 3);
/// assert_eq!(
///     out.sha256(),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct HashingWriter<W> {
    inner: W,
    digest: ring::digest::Context,
    bytes: u64,
}

impl<W> HashingWriter<W> {
    /// Wraps `inner`, with nothing counted yet.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            digest: ring::digest::Context::new(&ring::digest::SHA256),
            bytes: 0,
        }
    }

    /// Counts and hashes `bytes` that are already in the destination (e.g. the part of a file
    /// written before a resume), without writing them.
    pub fn account(&mut self, bytes: &[u8]) {
        self.digest.update(bytes);
        self.bytes += bytes.len() as u64;
    }

    /// Bytes passed on so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The SHA-256 of the bytes so far, in lowercase hex.
    pub fn sha256(&self) -> String {
        self.digest
            .clone()
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The wrapped writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The wrapped writer, to change (bytes written to it directly are not counted).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.account(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Items per key, counted from an export file: NDJSON lines by their `feature`, or a JSON
/// document's lists by their key. Every line or list must be valid JSON.
fn count_items(reader: &mut impl BufRead, format: &str) -> Result<BTreeMap<String, usize>, String> {
    let mut counts = BTreeMap::new();
    if format == "json" {
        let document: BTreeMap<String, Vec<IgnoredAny>> =
            serde_json::from_reader(reader).map_err(|e| format!("not an export document: {e}"))?;
        for (key, items) in document {
            if !items.is_empty() {
                counts.insert(key, items.len());
            }
        }
        return Ok(counts);
    }
    #[derive(Deserialize)]
    struct Line {
        feature: String,
        #[allow(dead_code)]
        item: IgnoredAny,
    }
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| e.to_string())?;
        let line: Line = serde_json::from_slice(&line)
            .map_err(|e| format!("line {} is not an export line: {e}", n + 1))?;
        *counts.entry(line.feature).or_insert(0) += 1;
    }
    Ok(counts)
}

/// `host[:port]` of a base URL (empty when it does not parse; a client's base URL was checked
/// when the client was built, so it does): what a record may say of where data came from,
/// never the credentials, the path or the query.
pub(crate) fn host_of(base_url: &str) -> String {
    match url::Url::parse(base_url) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// The crate that writes a record, e.g. `velt-case 0.1.0`.
pub(crate) fn written_by() -> String {
    concat!(env!("CARGO_PKG_NAME"), " ", env!("CARGO_PKG_VERSION")).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_described_file_verifies_and_a_changed_one_is_named() {
        let dir =
            std::env::temp_dir().join(format!("velt-case-manifest-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("export.ndjson");
        let lines = "{\"feature\":\"comments\",\"item\":{\"id\":1}}\n{\"feature\":\"userProfile\",\"item\":{}}\n";
        std::fs::write(&file, lines).unwrap();
        let mut summary = ExportSummary {
            pages: 1,
            ..ExportSummary::default()
        };
        summary.count(&Feature::Comments);
        summary.count(&Feature::from_key("userProfile"));
        let record = ExportRecord {
            organization_id: "org-1",
            user_id: "user-1",
            format: "ndjson",
            started_at: Utc::now(),
            summary: &summary,
            base_url: "https://user:secret@api.velt.dev/path?q=1",
        };
        let manifest = ExportManifest::describe(&record, &file).unwrap();
        assert_eq!(manifest.bytes, lines.len() as u64);
        assert_eq!(manifest.velt_host, "api.velt.dev");
        assert_eq!(manifest.items_per_other_key["userProfile"], 1);
        let path = ExportManifest::path_for(&file);
        manifest.save(&path).unwrap();
        let loaded = ExportManifest::load(&path).unwrap();
        assert_eq!(loaded, manifest);
        assert!(!std::fs::read_to_string(&path).unwrap().contains("secret"));
        assert!(loaded.verify(&file).unwrap().matches());

        std::fs::write(&file, lines.replace("\"id\":1", "\"id\":2")).unwrap();
        let differences = loaded.verify(&file).unwrap().differences;
        assert_eq!(differences.len(), 1, "{differences:?}");
        assert!(
            differences[0].to_string().starts_with("SHA-256: "),
            "{differences:?}"
        );

        std::fs::write(&file, lines.lines().next().unwrap().to_owned() + "\n").unwrap();
        let differences: Vec<String> = loaded
            .verify(&file)
            .unwrap()
            .differences
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            differences.contains(
                &"items of \"userProfile\": 0 in the file, the manifest says 1".to_owned()
            ),
            "{differences:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
