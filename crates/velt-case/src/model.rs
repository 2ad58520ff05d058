//! The case model: what `case.json` holds, the names of a case folder's files, and the one
//! naming rule of export files. Plain data: this file imports nothing else of the crate, and
//! every other file builds on it.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use velt_api::search::Subject;

/// Name of the case record in a case folder.
pub const CASE_FILE: &str = "case.json";
/// Name of the event log in a case folder.
pub const EVENTS_FILE: &str = "events.jsonl";
/// Name of the search record in a case folder.
pub const SEARCH_FILE: &str = "search.json";
/// Name of the readable report in a case folder.
pub const REPORT_FILE: &str = "report.html";
/// Name of the erasure receipt in a case folder.
pub const RECEIPT_FILE: &str = "receipt.json";
/// Folder of the exports in a case folder: `data/ORG/USER.ndjson` ([`export_file`]).
pub const DATA_DIR: &str = "data";
/// Folder of the data read from Velt's other stores, beside the export:
/// `stores/ORG/USER/activities.ndjson`, `permissions.json`, `notification-settings.ndjson`,
/// and `stores/memory/USER/profile.json`, `judgments.ndjson` (ids escaped by [`file_stem`]).
pub const STORES_DIR: &str = "stores";
/// Folder of the files behind the links in the exported data, each named `<sha256>.<ext>`.
pub const FILES_DIR: &str = "files";
/// The list of every link to a file found in the exported data, and what became of it
/// (downloaded into [`FILES_DIR`], or why not): `velt_files::FetchReport<Provenance>`.
pub const FILE_INDEX: &str = "files.json";

/// The most months a deadline can be extended by, in all (GDPR Art. 12(3): "by two further
/// months").
pub const MAX_EXTENSION_MONTHS: u32 = 2;

/// Where the export of `user_id` in `organization_id` goes in a case folder, relative to it
/// and `/`-separated: `data/ORG/USER.ndjson`, each id escaped by [`file_stem`]. The one
/// naming rule of export files: the case ([`crate::CaseFolder::export_path`],
/// [`crate::CaseFolder::record_export`], [`crate::check()`]) and the exporter that writes
/// into a case use it, so a file is found where it was written.
///
/// Whatever the ids hold (`/`, `..`, spaces, control characters, any Unicode), the path is
/// three plain segments inside the case folder, and two different ids never share a file.
///
/// ```
/// use velt_case::model::export_file;
///
/// assert_eq!(export_file("org-1", "user-42"), "data/org-1/user-42.ndjson");
/// assert_eq!(export_file("org-1", "../a b"), "data/org-1/%2E.%2Fa%20b.ndjson");
/// assert_eq!(export_file("org/1", "jane@example.com"), "data/org%2F1/jane@example.com.ndjson");
/// ```
pub fn export_file(organization_id: &str, user_id: &str) -> String {
    format!(
        "{DATA_DIR}/{}/{}.ndjson",
        file_stem(organization_id),
        file_stem(user_id)
    )
}

/// An id as one file name: ASCII letters, digits, `-`, `_` and `@` kept, `.` kept except as
/// the first character, every other byte written as `%XX` (so `%` itself becomes `%25`). The
/// result never holds a separator, never is `.` or `..` or starts with a dot, and two ids
/// never give the same stem. An empty id gives an empty stem (ids are never empty: Velt and
/// [`crate::CaseFolder::export_path`] refuse them).
///
/// ```
/// use velt_case::model::file_stem;
///
/// assert_eq!(file_stem("user-0001"), "user-0001");
/// assert_eq!(file_stem("a/b"), "a%2Fb");
/// assert_eq!(file_stem(".."), "%2E.");
/// assert_eq!(file_stem("a%2Fb"), "a%252Fb");
/// assert_eq!(file_stem("Zoë"), "Zo%C3%AB");
/// ```
pub fn file_stem(id: &str) -> String {
    let mut stem = String::with_capacity(id.len());
    for byte in id.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'@' => stem.push(byte as char),
            b'.' if !stem.is_empty() => stem.push('.'),
            other => stem.push_str(&format!("%{other:02X}")),
        }
    }
    stem
}

/// What the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    /// A copy of their data (GDPR Art. 15, and Art. 20 for the machine-readable files).
    Access,
    /// Erasure of their data (GDPR Art. 17).
    Erasure,
}

impl RequestKind {
    /// `access` or `erasure`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Erasure => "erasure",
        }
    }
}

/// Where a case stands. Any status can follow any other (each change is logged); only
/// [`Status::Closed`] stops the deadline from counting.
///
/// - `open`: created, nothing exported or erased yet;
/// - `exported`: the data was exported into `data/` (and the report written);
/// - `erasing`: erasure was requested from Velt and is not yet confirmed;
/// - `erased`: Velt confirmed the erasure (and the check found nothing left, if run);
/// - `closed`: the answer was sent to the person; the case is kept as the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Created, nothing exported or erased yet.
    Open,
    /// The data was exported.
    Exported,
    /// Erasure requested, not yet confirmed.
    Erasing,
    /// Erasure confirmed.
    Erased,
    /// Answered; the deadline no longer counts.
    Closed,
}

impl Status {
    /// Every status, in the order a case usually goes through them.
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Exported,
        Status::Erasing,
        Status::Erased,
        Status::Closed,
    ];

    /// The status as written in `case.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Exported => "exported",
            Status::Erasing => "erasing",
            Status::Erased => "erased",
            Status::Closed => "closed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status that is not one of [`Status::ALL`]; Display says which ones there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown status \"{}\": use open, exported, erasing, erased or closed",
            self.0
        )
    }
}

impl std::error::Error for UnknownStatus {}

impl std::str::FromStr for Status {
    type Err = UnknownStatus;

    /// ```
    /// use velt_case::Status;
    ///
    /// assert_eq!("erased".parse::<Status>(), Ok(Status::Erased));
    /// assert!("done".parse::<Status>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, UnknownStatus> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// An extension of the deadline (GDPR Art. 12(3)): the person must be told why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    /// Months added by this extension (1 or 2).
    pub months: u32,
    /// Why, as told to the person.
    pub reason: String,
    /// When the extension was decided (UTC).
    pub at: DateTime<Utc>,
    /// The due date before this extension.
    pub due_before: NaiveDate,
    /// The due date after it.
    pub due_after: NaiveDate,
}

/// What a file of the case is. Written in camelCase (`export`, ..., `storeData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FileRole {
    /// An NDJSON export, `data/ORG/USER.ndjson`.
    Export,
    /// The manifest beside an export, `data/ORG/USER.ndjson.manifest.json`.
    Manifest,
    /// The search record, `search.json`.
    Search,
    /// The readable report, `report.html`.
    Report,
    /// The erasure receipt, `receipt.json`.
    Receipt,
    /// Any other file the caller records.
    Other,
    /// Data read from another of Velt's stores, under [`STORES_DIR`] (activity records,
    /// permissions, notification settings, the AI Memory profile and judgments).
    StoreData,
    /// The list of links to files and what became of each, [`FILE_INDEX`].
    FileIndex,
    /// A file behind a link in the data, downloaded into [`FILES_DIR`].
    DownloadedFile,
}

/// How much of one store the answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CoverageState {
    /// Read in full: what Velt answered is in the case.
    Collected,
    /// Read in part: some of it is in the case, the note says what is missing and why.
    Partial,
    /// No documented call reads it: nothing of it is in the case.
    NotRead,
    /// Not asked for in this answer (files behind links with `--no-files`, say).
    NotRequested,
    /// Reading it failed: nothing of it is in the case; the note says why.
    Failed,
}

impl CoverageState {
    /// Whether the store is in the answer in full ([`CoverageState::Collected`]).
    pub fn is_complete(self) -> bool {
        self == CoverageState::Collected
    }
}

/// One row of the coverage table of an access request: one store (in one organization, for
/// the stores kept per organization), what of it the case holds, and why not all of it.
/// Kept in `case.json` ([`Case::coverage`]) and shown in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageRow {
    /// The store's id: `gdprExport`, `activities`, `permissions`, `notificationSettings`,
    /// `memoryProfile`, `judgments`, `files`, or one of [`unread_stores`]'.
    pub store: String,
    /// What the store holds, in plain words for the person.
    pub label: String,
    /// The organization, for a store kept per organization.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// The organization's name as Velt lists it, when known.
    #[serde(default)]
    pub organization_name: Option<String>,
    /// How much of it the case holds.
    pub state: CoverageState,
    /// Records (items, entries, files) in the case, when counted.
    #[serde(default)]
    pub items: Option<u64>,
    /// Bytes in the case, when counted.
    #[serde(default)]
    pub bytes: Option<u64>,
    /// Why not all of it, or what it covers, in plain words.
    #[serde(default)]
    pub note: Option<String>,
    /// The case's files that hold it, relative to the case folder, `/`-separated.
    #[serde(default)]
    pub files: Vec<String>,
}

/// The stores Velt keeps a person's data in that no documented call reads (Velt's pages, as
/// of 2026-08: "No documented call reads presence, live state, huddles, cursors or
/// user-group membership"), and the data a customer self-hosts, which never reaches Velt:
/// one [`CoverageState::NotRead`] row each, with a note, to name in the coverage table.
///
/// ```
/// use velt_case::model::{CoverageState, unread_stores};
///
/// let rows = unread_stores();
/// assert!(rows.iter().all(|r| r.state == CoverageState::NotRead && r.note.is_some()));
/// assert!(rows.iter().any(|r| r.store == "presence"));
/// ```
pub fn unread_stores() -> Vec<CoverageRow> {
    const NO_CALL: &str = "Velt's documented API has no call that reads this, so it could not be included in this answer; Velt keeps it while the product is used";
    let rows: [(&str, &str, &str); 6] = [
        (
            "presence",
            "Presence: whether you are online, and on which page or document",
            NO_CALL,
        ),
        (
            "liveState",
            "Live state and live selections: what you select or edit at the moment, shared live with the others in a document",
            NO_CALL,
        ),
        (
            "huddles",
            "Huddles: the audio and video calls in a document, and who took part",
            NO_CALL,
        ),
        (
            "cursors",
            "Cursors: where your pointer is on a shared page, shown live to the others",
            NO_CALL,
        ),
        (
            "userGroups",
            "User groups: the groups of users you belong to in an organization",
            NO_CALL,
        ),
        (
            "selfHosted",
            "Data the company keeps in its own systems instead of Velt (self-hosted data)",
            "Where the company stores parts of the data itself (the text of comments, attachment names and links, transcripts, names and emails), Velt never receives those parts: they are outside Velt's answer and are answered from the company's own systems",
        ),
    ];
    rows.into_iter()
        .map(|(store, label, note)| CoverageRow {
            store: store.to_owned(),
            label: label.to_owned(),
            organization_id: None,
            organization_name: None,
            state: CoverageState::NotRead,
            items: None,
            bytes: None,
            note: Some(note.to_owned()),
            files: Vec::new(),
        })
        .collect()
}

/// A file of the case as recorded: path relative to the case folder, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    /// Path relative to the case folder, with `/` separators.
    pub path: String,
    /// What the file is.
    pub role: FileRole,
    /// Size in bytes when recorded.
    pub bytes: u64,
    /// SHA-256 (hex) when recorded.
    pub sha256: String,
    /// When it was recorded (UTC).
    pub recorded_at: DateTime<Utc>,
}

/// The end of the event log as last written: a removed last line is caught by comparing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsHead {
    /// Number of lines.
    pub lines: u64,
    /// SHA-256 of the last line (`crate::events::GENESIS` when empty).
    pub last_sha256: String,
}

/// `case.json`: the record of one data-subject request.
///
/// Dates (`received`, `due`) are `YYYY-MM-DD`; times are UTC. Read and written by
/// [`Case::load`] and [`Case::save`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// Version of this format (1).
    pub case_format: u32,
    /// The case id: `YYYYMMDD-HHMMSS-` and 8 hex digits of a hash of the subject and time.
    pub id: String,
    /// What the person asked for.
    pub kinds: Vec<RequestKind>,
    /// The person: an email or a user id, written `{"email": "jane@example.com"}` or
    /// `{"userId": "user-0012"}`. Cases written before held a string (`jane@example.com`, or
    /// `user:USER` for a user id), which is read as the same subject. Its Display is the
    /// subject in words (`jane@example.com`, `user id user-0012`).
    #[serde(deserialize_with = "stored_subject")]
    pub subject: Subject,
    /// When the request was received.
    pub received: NaiveDate,
    /// When the answer is due: one calendar month after `received`, plus extensions.
    pub due: NaiveDate,
    /// Extensions of the deadline, two months at most in all.
    #[serde(default)]
    pub extensions: Vec<Extension>,
    /// Where the case stands.
    pub status: Status,
    /// When the case was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When `case.json` was last written (UTC).
    pub updated_at: DateTime<Utc>,
    /// The files of the case, with their size and SHA-256.
    #[serde(default)]
    pub files: Vec<FileRecord>,
    /// The end of the event log as last written.
    pub events: EventsHead,
    /// The coverage table of an access request: each store, what of it the case holds, and
    /// the stores no documented call reads ([`crate::CaseFolder::set_coverage`]). Empty in
    /// cases written before it was kept, and until it is set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<CoverageRow>,
    /// The program that wrote the case: `velt-case 0.1.0`.
    pub written_by: String,
}

impl Case {
    /// Current format version.
    pub const FORMAT: u32 = 1;

    /// Months of extension granted so far.
    pub fn extension_months(&self) -> u32 {
        self.extensions.iter().map(|e| e.months).sum()
    }

    /// Days until the due date (negative when overdue), or `None` for a closed case.
    pub fn days_left(&self, today: NaiveDate) -> Option<i64> {
        (self.status != Status::Closed).then(|| (self.due - today).num_days())
    }

    /// The recorded file at `path` (relative, `/`-separated).
    pub fn file(&self, path: &str) -> Option<&FileRecord> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// The subject of a `case.json`: typed, or as a string in cases written before it was typed.
fn stored_subject<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Subject, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Typed(Subject),
        Text(String),
    }
    match Stored::deserialize(deserializer) {
        Ok(Stored::Typed(subject)) => Ok(subject),
        Ok(Stored::Text(text)) => Ok(match text.strip_prefix("user:") {
            Some(user_id) => Subject::UserId(user_id.to_owned()),
            None => Subject::Email(text),
        }),
        Err(_) => Err(serde::de::Error::custom(
            "the subject is neither {\"email\": EMAIL} nor {\"userId\": ID} (nor, in older cases, a string)",
        )),
    }
}

/// What a new case starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// The person: an email or a user id.
    pub subject: Subject,
    /// What they asked for (at least one).
    pub kinds: Vec<RequestKind>,
    /// When the request was received (the deadline counts from it).
    pub received: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_written_typed_and_read_from_older_strings() {
        let read = |subject: &str| -> Subject {
            #[derive(Deserialize)]
            struct Holder {
                #[serde(deserialize_with = "stored_subject")]
                subject: Subject,
            }
            serde_json::from_str::<Holder>(&format!("{{\"subject\": {subject}}}"))
                .unwrap()
                .subject
        };
        assert_eq!(
            read("\"jane@example.com\""),
            Subject::email("jane@example.com")
        );
        assert_eq!(read("\"user:user-0012\""), Subject::user_id("user-0012"));
        assert_eq!(
            read("{\"userId\": \"user:0012\"}"),
            Subject::user_id("user:0012")
        );
        assert_eq!(read("{\"email\": \"a@b.c\"}"), Subject::email("a@b.c"));
        assert_eq!(
            serde_json::to_value(Subject::user_id("u-1")).unwrap(),
            serde_json::json!({"userId": "u-1"})
        );
    }

    #[test]
    fn hostile_ids_stay_one_segment_inside_the_case() {
        for id in [
            "/",
            "..",
            ".",
            "a/../../b",
            "..\\x",
            "a b",
            " ",
            "Zoë 名前",
            "\n\t",
            "%2F",
            ".hidden",
            "C:",
            "a\0b",
        ] {
            let path = export_file(id, id);
            let segments: Vec<&str> = path.split('/').collect();
            assert_eq!(segments.len(), 3, "{id:?} gives {path}");
            assert_eq!(segments[0], DATA_DIR);
            for segment in &segments[1..] {
                assert!(!segment.is_empty() && !segment.starts_with('.'), "{path}");
                assert!(
                    segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_@.%".contains(&b)),
                    "{path}"
                );
            }
        }
        assert_ne!(file_stem("a/b"), file_stem("a%2Fb"));
        assert_ne!(file_stem("a b"), file_stem("a%20b"));
    }
}
