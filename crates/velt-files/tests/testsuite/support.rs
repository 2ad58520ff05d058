//! What every test module uses: a fetcher for a server's origin, a run that keeps its
//! events, and the files of a directory.

use std::path::Path;
use std::sync::Mutex;
use velt_files::{
    FetchEvent, FetchReport, Fetcher, FetcherBuilder, FileRef, NotFetchedReason, Outcome,
};

/// The settings of a fetcher whose configured origin is `origin` (a test server).
pub fn builder(origin: &str) -> FetcherBuilder {
    Fetcher::builder().origin(origin)
}

/// Runs `fetcher` over `urls` (provenance: the index) into `dir`; the report and the events
/// in words.
pub async fn run(
    fetcher: &Fetcher,
    urls: &[String],
    dir: &Path,
) -> (FetchReport<usize>, Vec<String>) {
    let events = Mutex::new(Vec::new());
    let on_event = |e: FetchEvent<'_>| {
        let line = match e {
            FetchEvent::Started { url } => format!("started {url}"),
            FetchEvent::Progress { url, bytes } => format!("progress {url} {bytes}"),
            FetchEvent::Fetched { url, file, size } => format!("fetched {url} {file} {size}"),
            FetchEvent::Resumed { url, file } => format!("resumed {url} {file}"),
            FetchEvent::NotFetched { url, reason } => format!("not fetched {url}: {reason}"),
            _ => "other".to_owned(),
        };
        events.lock().unwrap().push(line);
    };
    let files = urls
        .iter()
        .enumerate()
        .map(|(i, u)| FileRef::new(u.clone(), i));
    let report = fetcher.fetch(files, dir, &on_event).await.unwrap();
    assert_eq!(report.files.len(), urls.len());
    (report, events.into_inner().unwrap())
}

/// The one URL's reason, failing when it was fetched.
pub fn reason(report: &FetchReport<usize>, i: usize) -> &NotFetchedReason {
    match &report.files[i].outcome {
        Outcome::NotFetched { reason } => reason,
        Outcome::Fetched(f) => panic!("{} was fetched: {f:?}", report.files[i].url),
    }
}

/// The one URL's file, failing when it was not fetched.
pub fn fetched(report: &FetchReport<usize>, i: usize) -> &velt_files::Fetched {
    match &report.files[i].outcome {
        Outcome::Fetched(f) => f,
        Outcome::NotFetched { reason } => panic!("{} not fetched: {reason}", report.files[i].url),
    }
}

/// The names in `dir`, sorted, the journal left out.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != velt_files::JOURNAL_FILE)
        .collect();
    names.sort();
    names
}

/// The SHA-256 of `bytes`, lower-case hex.
pub fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
