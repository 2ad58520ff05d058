//! The safe downloader of the files behind URLs in Velt's exported data: comment voice notes
//! (`commentVoiceUrl`), attachments (`attachments[].url`), recordings (`videoUrl`, `audioUrl`,
//! `thumbnailUrl`), transcripts (`vttUrl`, `srtUrl`) and photos (`photoUrl`).
//!
//! Those URLs come from data that users wrote and Velt stored; a file fetched for an access
//! request must not become a way to reach the machine's own network, to fill its disk, or to
//! write outside the case folder. The caller gives a list of URLs, each with the item that
//! named it (its provenance: [`Provenance`], or any type of its own), and a target directory;
//! [`Fetcher::fetch`] returns a [`FetchReport`] with one [`FileRecord`] per URL, fetched (file
//! name, size, SHA-256, content type) or not (a typed [`NotFetchedReason`] with a
//! plain-language Display), serializable in camelCase for a case record. [`skip_all`] is the
//! report of a run told to fetch nothing (the CLI's `--no-files`). [`find_file_urls`] finds
//! the file URLs of one exported item (with their JSON pointers, for [`Provenance::field_path`]).
//!
//! ```no_run
//! use std::path::Path;
//! use velt_files::{FetchEvent, Fetcher, FileRef, Outcome, Provenance};
//!
//! # async fn run() -> Result<(), velt_files::Error> {
//! let fetcher = Fetcher::builder()
//!     .allow_host("cdn.example.com") // the CLI's --file-host
//!     .max_file_bytes(512 * 1024 * 1024)
//!     .build()?;
//! let files = vec![FileRef::new(
//!     "https://storage.googleapis.com/velt-recordings/rec-1.webm",
//!     Provenance {
//!         organization_id: "org-1".into(),
//!         feature: "recordings".into(),
//!         item_id: "rec-1".into(),
//!         field_path: "/recordedData/videoUrl".into(),
//!     },
//! )];
//! let report = fetcher
//!     .fetch(files, Path::new("case/files"), &|event| {
//!         if let FetchEvent::NotFetched { url, reason } = event {
//!             eprintln!("{url}: {reason}");
//!         }
//!     })
//!     .await?;
//! for record in &report.files {
//!     match &record.outcome {
//!         Outcome::Fetched(f) => println!("{} -> {} ({} bytes)", record.url, f.file, f.size),
//!         Outcome::NotFetched { reason } => println!("{}: not fetched: {reason}", record.url),
//!     }
//! }
//! let case_json = serde_json::to_string_pretty(&report); // into case.json
//! # let _ = case_json;
//! # Ok(())
//! # }
//! ```
//!
//! # What is fetched
//! A URL, and every redirect it leads to (at most [`FetcherBuilder::max_redirects`], five by
//! default), is fetched when:
//! - it parses as a URL (with the `url` crate's WHATWG parsing, which also reads IPv4
//!   addresses written as `2130706433`, `0177.0.0.1` or `0x7f.1`, so that those are checked
//!   as `127.0.0.1`), has no user name or password, and:
//! - it is on the configured [origin](FetcherBuilder::origin) (scheme, host and port exactly;
//!   plain `http` and loopback are allowed there and nowhere else), or it is `https` on a host
//!   of the allow-list ([`DEFAULT_FILE_HOSTS`] and the ones added with
//!   [`FetcherBuilder::allow_host`]) and its host is not an address that [`is_public`] refuses.
//!
//! A host name on the list is resolved by the fetcher's own resolver, which gives the
//! connector only the public addresses it found: loopback, private (10/8, 172.16/12,
//! 192.168/16, fc00::/7), shared (100.64/10), link-local (169.254/16 with the cloud metadata
//! service, fe80::/10), unspecified (0.0.0.0, ::), multicast, documentation ranges and IPv6
//! forms of IPv4 addresses are never connected to, so a name that answers differently the
//! second time (DNS rebinding) gains nothing. No proxy is used (it would connect for us).
//!
//! The fetcher's HTTP client is its own, never the API client: it sends no `Authorization`,
//! no `x-velt-*` header and no cookie, and follows no redirect by itself.
//!
//! # Limits
//! A file larger than [`FetcherBuilder::max_file_bytes`] (2 GiB by default) is refused on its
//! `Content-Length` before its body is read, or cut off when its body passes the limit; a run
//! downloads at most [`FetcherBuilder::max_run_bytes`] (10 GiB). The partial file is removed
//! and the URL recorded with the limit and the bytes seen. Downloads run
//! [`FetcherBuilder::concurrency`] at a time (4) under a connect, an idle and a per-file
//! timeout (10 s, 60 s, 1 hour).
//!
//! # Names
//! A body is streamed to a temporary file in the target directory (never whole in memory),
//! hashed with SHA-256 on the way, fsynced and renamed to `<sha256>.<ext>`, the extension from
//! the content type (`video/webm` → `webm`, `bin` for a type not in the table). Nothing of the
//! URL goes into a name, so `../` or `%2e%2e` in a URL cannot place a file elsewhere. The same
//! content named by two URLs is one file with two records.
//!
//! # Resuming
//! Every complete file is recorded in the target directory's journal ([`JOURNAL_FILE`], one
//! JSON line per file, written after the rename). A rerun into the same directory downloads
//! no URL whose file is still there with its recorded size (and SHA-256, with
//! [`FetcherBuilder::rehash_resumed`]); its record says `resumed`. One run at a time per
//! directory.
//!
//! # Progress
//! The caller's callback gets a [`FetchEvent`] for each step; the crate never prints.

mod address;
mod error;
mod event;
mod fetch;
mod found;
mod journal;
mod naming;
mod policy;
mod reason;
mod report;

pub use address::is_public;
pub use error::Error;
pub use event::FetchEvent;
pub use fetch::{
    DEFAULT_CONCURRENCY, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RUN_BYTES,
    Fetcher, FetcherBuilder,
};
pub use found::{FILE_CONTAINERS, FILE_URL_FIELDS, FoundUrl, find_file_urls};
pub use journal::JOURNAL_FILE;
pub use policy::{DEFAULT_FILE_HOSTS, FileHost};
pub use reason::{NotFetchedReason, TimeoutPhase};
pub use report::{FetchReport, Fetched, FileRecord, FileRef, Outcome, Provenance, skip_all};
