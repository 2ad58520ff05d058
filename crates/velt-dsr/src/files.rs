//! The files behind the links in the person's exported data (voice comments, attachments,
//! recordings, transcripts, photos), downloaded into the case by [`velt_files`]: only from the
//! allowed hosts (and the origin of the configured base URL, where the fake and test servers
//! serve files), without credentials, within size limits, each named by its hash. Every URL
//! is listed in `files.json` with what became of it; every file fetched is recorded in the
//! case with its SHA-256, so `velt request check` notices a changed byte.

use std::io::{BufRead, BufReader};

use serde_json::Value;
use velt_case::{
    CaseFolder,
    model::{self, FileRole},
    records::write_atomically,
};
use velt_files::{FetchEvent, FetchReport, Fetcher, FileRef, Provenance, find_file_urls};

use crate::{
    error::{Error, RefusalKind, Result},
    event::{Event, Events},
    export::ExportedFile,
};

/// Which files to fetch, from where, and how much.
#[derive(Clone, Debug)]
pub struct FileOptions {
    /// Fetch the files; `false` lists every URL as not requested (the CLI's `--no-files`).
    pub fetch: bool,
    /// Hosts allowed beside [`velt_files::DEFAULT_FILE_HOSTS`] (the CLI's `--file-host`):
    /// `cdn.example.com` or `*.example.com`.
    pub hosts: Vec<String>,
    /// The largest file fetched ([`velt_files::DEFAULT_MAX_FILE_BYTES`], 2 GiB, by default).
    pub max_file_bytes: u64,
    /// The most bytes fetched for one request ([`velt_files::DEFAULT_MAX_RUN_BYTES`],
    /// 10 GiB, by default).
    pub max_total_bytes: u64,
    /// Downloads at once.
    pub concurrency: usize,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            fetch: true,
            hosts: Vec::new(),
            max_file_bytes: velt_files::DEFAULT_MAX_FILE_BYTES,
            max_total_bytes: velt_files::DEFAULT_MAX_RUN_BYTES,
            concurrency: velt_files::DEFAULT_CONCURRENCY,
        }
    }
}

/// What [`collect_files`] did.
#[derive(Clone, Debug, Default)]
pub struct FilesCollected {
    /// URLs found in the exported items (one per item and field naming a file).
    pub urls: usize,
    /// Of them, fetched (or found complete from an earlier run).
    pub fetched: usize,
    /// Of them, not fetched (`files.json` says why, per URL).
    pub not_fetched: usize,
    /// Distinct files in the case.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Whether the files were asked for (see [`FileOptions::fetch`]).
    pub requested: bool,
}

/// The downloads of one request, checked before anything is sent: the fetcher, or none when
/// files are not requested.
#[derive(Debug)]
pub struct Downloads {
    fetcher: Option<Fetcher>,
}

impl Downloads {
    /// Checks `options` (a host that is not one, a limit of zero) and builds the fetcher:
    /// files on the allow-list, and on the origin of `base_url` (the Velt the data comes from:
    /// the fake and test servers serve files there).
    pub fn new(options: &FileOptions, base_url: &str) -> Result<Downloads> {
        if !options.fetch {
            return Ok(Downloads { fetcher: None });
        }
        let mut builder = Fetcher::builder()
            .origin(base_url)
            .max_file_bytes(options.max_file_bytes)
            .max_run_bytes(options.max_total_bytes)
            .concurrency(options.concurrency.max(1));
        for host in &options.hosts {
            builder = builder.allow_host(host.clone());
        }
        Ok(Downloads {
            fetcher: Some(builder.build().map_err(fetch_error)?),
        })
    }
}

/// Finds the file URLs in every exported item of `exports`, fetches them into the case's
/// `files/` with `downloads`, writes `files.json` (every URL, fetched or why not) and records
/// it and every file in the case.
pub async fn collect_files(
    case: &mut CaseFolder,
    exports: &[ExportedFile],
    downloads: &Downloads,
    events: Events<'_>,
) -> Result<FilesCollected> {
    let mut refs = Vec::new();
    for export in exports {
        refs.extend(file_urls(export)?);
    }
    let urls = refs.len();
    let dir = case.dir().join(model::FILES_DIR);
    let report = match &downloads.fetcher {
        Some(fetcher) if !refs.is_empty() => {
            let on_event = |event: FetchEvent<'_>| match event {
                FetchEvent::Fetched { url, size, .. } => events(Event::FileFetched {
                    url: url.to_owned(),
                    bytes: size,
                }),
                FetchEvent::NotFetched { url, reason } => events(Event::FileNotFetched {
                    url: url.to_owned(),
                    reason: reason.to_string(),
                }),
                _ => {}
            };
            fetcher
                .fetch(refs, &dir, &on_event)
                .await
                .map_err(fetch_error)?
        }
        _ => velt_files::skip_all(refs),
    };
    record(case, &report, downloads.fetcher.is_some(), urls)
}

/// Writes `files.json`, records it and every file fetched, and removes the fetcher's journal
/// (the index holds what it held; a journal left behind is a download that did not finish).
fn record(
    case: &mut CaseFolder,
    report: &FetchReport<Provenance>,
    requested: bool,
    urls: usize,
) -> Result<FilesCollected> {
    let index = case.dir().join(model::FILE_INDEX);
    let bytes = serde_json::to_vec_pretty(report)
        .map_err(|e| Error::file("write", index.clone(), e.into()))?;
    write_atomically(&index, &bytes).map_err(|e| Error::file("write", index.clone(), e))?;
    case.record_file(model::FILE_INDEX, FileRole::FileIndex)?;
    let mut collected = FilesCollected {
        urls,
        requested,
        ..FilesCollected::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for (_, fetched) in report.fetched() {
        collected.fetched += 1;
        if seen.insert(fetched.file.clone()) {
            collected.files += 1;
            collected.bytes += fetched.size;
            let relative = format!("{}/{}", model::FILES_DIR, fetched.file);
            case.record_file(&relative, FileRole::DownloadedFile)?;
        }
    }
    collected.not_fetched = report.not_fetched().count();
    let journal = case
        .dir()
        .join(model::FILES_DIR)
        .join(velt_files::JOURNAL_FILE);
    match std::fs::remove_file(&journal) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::file("remove", journal, e)),
    }
    Ok(collected)
}

/// The file URLs of every item of one export file, with the item that names each.
fn file_urls(export: &ExportedFile) -> Result<Vec<FileRef<Provenance>>> {
    let path = &export.path;
    let file = std::fs::File::open(path).map_err(|e| Error::file("read", path.clone(), e))?;
    let mut refs = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| Error::file("read", path.clone(), e))?;
        // An export line is `{"feature": ..., "item": ...}`; a line that is not (it cannot
        // be, the manifest checked it) names no file.
        let Ok(value) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let feature = value
            .get("feature")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(item) = value.get("item") else {
            continue;
        };
        for found in find_file_urls(item) {
            refs.push(FileRef::new(
                found.url,
                Provenance {
                    organization_id: export.organization_id.clone(),
                    feature: feature.to_owned(),
                    item_id: item_id(item),
                    field_path: found.field_path,
                },
            ));
        }
    }
    Ok(refs)
}

/// The id an item goes by, for the person to find it: the first of the id fields Velt's
/// lists use, or empty.
fn item_id(item: &Value) -> String {
    const ID_FIELDS: [&str; 6] = [
        "annotationId",
        "recorderId",
        "notificationId",
        "commentId",
        "id",
        "reactionId",
    ];
    ID_FIELDS
        .iter()
        .find_map(|field| item.get(*field).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

fn fetch_error(error: velt_files::Error) -> Error {
    match error {
        velt_files::Error::Io { path, source } => Error::file("write", path, source),
        other => Error::refused(RefusalKind::InvalidInput, other.to_string()),
    }
}
