//! What goes in and what comes out: the URLs to fetch with the item that named each, and
//! the record of every outcome.

use crate::reason::NotFetchedReason;
use serde::{Deserialize, Serialize};

/// One URL to fetch, with whatever the caller wants recorded beside it about the item that
/// named it (its provenance: [`Provenance`], or any type of the caller's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRef<P> {
    /// The URL as found in the data.
    pub url: String,
    /// The item that named it; recorded as given.
    pub provenance: P,
}

impl<P> FileRef<P> {
    /// A URL and its provenance.
    pub fn new(url: impl Into<String>, provenance: P) -> Self {
        Self {
            url: url.into(),
            provenance,
        }
    }
}

/// The provenance most callers need: which exported item of which organization named the URL,
/// and where in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// The organization the item was exported from.
    pub organization_id: String,
    /// The feature (list of the export) the item is in: `comments`, `recordings`, ...
    pub feature: String,
    /// The item's id (an annotation id, a recording id, ...).
    pub item_id: String,
    /// Where in the item the URL is, as a JSON pointer
    /// (`/comments/0/attachments/1/url`).
    pub field_path: String,
}

/// What happened to one URL of the input, in the input's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord<P> {
    /// The URL as given (a password in it replaced by `***`).
    pub url: String,
    /// The item that named it, as given.
    pub provenance: P,
    /// Fetched (and where to), or not (and why).
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Fetched or not: serialized as `"status": "fetched"` with the [`Fetched`] fields beside it,
/// or `"status": "notFetched"` with a `reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "status",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Outcome {
    /// The file is in the target directory.
    Fetched(Fetched),
    /// It is not.
    NotFetched {
        /// Why not.
        reason: NotFetchedReason,
    },
}

/// A file in the target directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fetched {
    /// Its name in the target directory: `<sha256>.<ext>`.
    pub file: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content, lower-case hex.
    pub sha256: String,
    /// The media type the file host gave (`video/webm`), when it gave a valid one.
    pub content_type: Option<String>,
    /// `true` when an earlier run had fetched it completely and it was not downloaded again.
    #[serde(default)]
    pub resumed: bool,
}

/// The outcome of a run: one record per URL of the input, in its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchReport<P> {
    /// One per input URL.
    pub files: Vec<FileRecord<P>>,
    /// The body bytes this run downloaded (resumed files not included).
    pub bytes_downloaded: u64,
}

impl<P> FetchReport<P> {
    /// The records of files in the target directory.
    pub fn fetched(&self) -> impl Iterator<Item = (&FileRecord<P>, &Fetched)> {
        self.files.iter().filter_map(|r| match &r.outcome {
            Outcome::Fetched(f) => Some((r, f)),
            Outcome::NotFetched { .. } => None,
        })
    }

    /// The records of URLs not fetched, with why.
    pub fn not_fetched(&self) -> impl Iterator<Item = (&FileRecord<P>, &NotFetchedReason)> {
        self.files.iter().filter_map(|r| match &r.outcome {
            Outcome::NotFetched { reason } => Some((r, reason)),
            Outcome::Fetched(_) => None,
        })
    }
}

/// The report of a run told to fetch nothing (the CLI's `--no-files`): every URL listed as
/// not fetched, because files were not requested. Reads no file and opens no connection.
pub fn skip_all<P>(files: impl IntoIterator<Item = FileRef<P>>) -> FetchReport<P> {
    FetchReport {
        files: files
            .into_iter()
            .map(|f| FileRecord {
                url: crate::policy::redacted(&f.url),
                provenance: f.provenance,
                outcome: Outcome::NotFetched {
                    reason: NotFetchedReason::NotRequested,
                },
            })
            .collect(),
        bytes_downloaded: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_serialize_flat_in_camel_case_and_back() {
        let provenance = Provenance {
            organization_id: "org-1".into(),
            feature: "comments".into(),
            item_id: "ann-1".into(),
            field_path: "/comments/0/commentVoiceUrl".into(),
        };
        let report = FetchReport {
            files: vec![
                FileRecord {
                    url: "https://storage.googleapis.com/b/v.webm".into(),
                    provenance: provenance.clone(),
                    outcome: Outcome::Fetched(Fetched {
                        file: format!("{}.webm", "0".repeat(64)),
                        size: 3,
                        sha256: "0".repeat(64),
                        content_type: Some("audio/webm".into()),
                        resumed: false,
                    }),
                },
                FileRecord {
                    url: "https://evil.example/x".into(),
                    provenance,
                    outcome: Outcome::NotFetched {
                        reason: NotFetchedReason::HostNotAllowed {
                            host: "evil.example".into(),
                        },
                    },
                },
            ],
            bytes_downloaded: 3,
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["files"][0]["status"], "fetched");
        assert_eq!(json["files"][0]["contentType"], "audio/webm");
        assert_eq!(json["files"][0]["provenance"]["organizationId"], "org-1");
        assert_eq!(json["files"][1]["status"], "notFetched");
        assert_eq!(json["files"][1]["reason"]["kind"], "hostNotAllowed");
        assert_eq!(json["bytesDownloaded"], 3);
        let back: FetchReport<Provenance> = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn skip_all_lists_every_url_as_not_requested() {
        let report = skip_all([
            FileRef::new("https://storage.googleapis.com/a", 1),
            FileRef::new("https://u:pw@evil.example/b", 2),
        ]);
        assert_eq!(report.files.len(), 2);
        assert_eq!(report.files[1].url, "https://u:***@evil.example/b");
        for (record, reason) in report.not_fetched() {
            assert_eq!(*reason, NotFetchedReason::NotRequested, "{}", record.url);
            assert_eq!(reason.to_string(), "files were not requested");
        }
    }
}
