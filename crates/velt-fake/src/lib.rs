//! A fake Velt user-data REST API server, for demos and tests that must run without
//! credentials or network (the way stripe-mock serves Stripe users).
//!
//! [`FakeVelt::start`] binds a free port on loopback and serves the six operations of
//! `openapi/velt.yaml`, Velt's other stores of a person's data (their pages are in
//! `velt-docs/stores/`; the spec does not declare them yet) and the files behind exported
//! items, over a deterministic, lazily generated workspace:
//!
//! | operation | path | answer |
//! |---|---|---|
//! | Get All User Data | `POST /v2/users/data/get` | 200, up to 100 items per feature, opaque `nextPageToken` |
//! | Delete All User Data | `POST /v2/users/data/delete` | 202, a job with one task per organization |
//! | Get Delete All User Data Status | `POST /v2/users/data/delete/status` | 200, or 404 `NOT_FOUND` for an unknown job |
//! | Get Users | `POST /v1/users/get` | 200, users filtered by document, ids and groups |
//! | Get Organizations | `POST /v2/organizations/get` | 200, a page of organizations (all, or the ids given), opaque `nextPageToken` |
//! | Get Users (v2) | `POST /v2/users/get` | 200, a page of users by organization, document, folder, ids, groups or all documents; a list, or grouped by document |
//! | Get Activity Logs | `POST /v2/activities/get` | 200, a page of activity records (filters of the page; `pageSize` default 1000, next page's `pageToken`) |
//! | Delete Activity Logs | `POST /v2/activities/delete` | 200, `{id: {success, message}}` per record named or matched; immutable ones refused |
//! | Get Permissions | `POST /v2/auth/permissions/get` | 200, per user the organization entry and the folders and documents named; 404 `NOT_FOUND` with `details` for unknown ones |
//! | Get Reviewer Profile | `POST /v2/memory/profiles/get` | 200, `{"result": profile}`, or `{"result": null}` |
//! | Query Judgments | `POST /v2/memory/judgments/query` | 200, `{"result": {"results", "total"}}`, newest first, at most `limit` (1 to 100, default 20), no page token |
//! | Get Notification Config | `POST /v2/notifications/config/get` | 200, the organization-level and per-document settings of a user |
//! | a file | `GET /files/...` | 200 with the file's `Content-Type`, no credentials needed; 404 for anything else |
//!
//! Behaviour the documentation leaves open, and what the fake does:
//!
//! - Missing or wrong `x-velt-api-key` / `x-velt-auth-token`: 401 `UNAUTHENTICATED` (the
//!   Firebase mapping of "no valid credentials"); `PERMISSION_DENIED` is never sent.
//! - Malformed JSON, a missing `data` object, missing, blank or mistyped fields, `null` for
//!   any field (the spec declares none nullable: an `organizationIds: null` on delete is not
//!   "every organization"), an empty list, more than 30 ids on Get Users (v1 and v2) or Get
//!   Organizations, a `pageSize` below 1, a page token not issued for this request: 400
//!   `INVALID_ARGUMENT` with a message saying which field is wrong. An id is blank when it
//!   has no character other than white space (Unicode's, and the four separators
//!   U+001C..U+001F that Python's `\S` also counts as space), as the spec's `pattern: "\S"`.
//! - Get Users v2: without a document, folder or `allDocuments`, only organization-level
//!   users; with them, the users of those documents ([`Dataset::document_only_user`] is one
//!   only there). `groupByDocumentId` with `allDocuments` answers an object keyed by document
//!   id. Pages hold `pageSize` entries (default 1000; users, or user-document pairs when
//!   grouped); the next page's token is named as [`FakeConfig::users_v2_token_name`] says
//!   (Velt's page shows both names), and left out on the last page.
//! - Get All User Data also honours two fields of Velt's Python SDK that the REST page does
//!   not document (so the spec does not declare them): `veltUserIds`, more users exported
//!   with `userId`, and `veltAllOrganizations: true`, every organization each user has data
//!   in instead of `organizationId` alone. Items come user by user, organization by
//!   organization, 100 of each feature a page.
//! - Unknown organization or user on export, or a user outside the organization: a
//!   successful, empty last page.
//! - Delete keeps only the first 30 `userIds` silently, as Velt does. Without
//!   `organizationIds` the job has one task per organization the users belong to; with them,
//!   one task per distinct id given (unknown organizations give no-op tasks); a job always
//!   has at least one task. Tasks finish one after the other, every
//!   [`FakeConfig::deletion_task_duration`]; each finished task really erases the users'
//!   data in its organization (exports become empty, Get Users no longer lists them).
//! - A Content-Type other than `application/json`, or a method other than POST: 400
//!   `INVALID_ARGUMENT`, as Firebase callable functions answer. Other unknown fields in `data`
//!   are ignored. Unknown paths: 404 `NOT_FOUND`.
//!
//! - Request headers over [`MAX_HEADER_BYTES`]: 431, and bodies over [`MAX_BODY_BYTES`]: 413,
//!   both `INVALID_ARGUMENT` in Velt's envelope. Headers are measured first, before faults
//!   and credentials (a front end refuses them before any check; the credentials are in
//!   those headers). The body is read only after the credentials are checked, so an
//!   unauthenticated client is refused without the server reading its body.
//! - A request whose headers or body do not arrive within [`FakeConfig::read_timeout`]: the
//!   connection is closed (headers), or answered 408 `DEADLINE_EXCEEDED` (body).
//!
//! Velt's other stores, where the pages leave things open:
//!
//! - Every user has [`FakeConfig::activities_per_user`] activity records in its first
//!   organization; [`Dataset::multi_organization_user`] has them in the first two of its
//!   three ([`Dataset::activity_organizations_of`]). Record `k` is immutable when
//!   `k % 4 == 1` (Velt's config makes records immutable by default when activity logs are
//!   first enabled). Deleting an immutable record is refused the way the Delete Activity Logs
//!   page shows a failed deletion: `{"success": false, "message": "Failed to delete
//!   activity."}` for that id, with the answer still 200 (the pages show no other refusal).
//!   Unknown ids get the same entry. Every record's `metadata.apiKey` is the fake's API key,
//!   as Velt's example shows; one record's text is [`MARKUP_TEXT`].
//! - Activity pages are offsets into the records that match, so a deletion between two
//!   pages may shift what the next page holds; a token is good only for the same filters and
//!   `order`. The last page has no `pageToken`.
//! - Get Permissions answers only the folders and documents named (the page calls them the
//!   ones "to include in the result"); a user without access, or erased, gets
//!   `permission_denied` entries. The memory endpoints answer validation errors with
//!   `details.issues`, as the Memory overview says; judgments and profiles carry Velt's
//!   internal organization and document ids ([`Dataset::velt_organization_id`]).
//! - Delete All User Data, for each organization it erases, also takes the users'
//!   permissions, notification settings and judgments there (so the reviewer profile, which
//!   is derived from the judgments, shrinks or becomes `null`) and the files their items
//!   named (404 from then on). It keeps their activity records: Velt's GDPR page names only
//!   the four lists of an export, and the field inventory calls activity records
//!   append-only. [`FakeConfig::gdpr_deletes_activities`] (`velt fake serve
//!   --gdpr-deletes-activities`) makes it take them too, immutable ones included.
//! - Files: the items of the person with files ([`Dataset::person_with_files`]) name
//!   [`FakeConfig::files`] files on the fake's own origin (the base URL it is serving on),
//!   and one off any allow-list ([`UNSERVED_FILE_URL`]); [`Dataset::files`] lists them with
//!   the JSON pointer of the field. File requests need no credentials, get no injected
//!   fault or latency and are not counted by [`FakeVelt::request_count`]; each is recorded
//!   with the credential headers it carried ([`FakeVelt::file_requests`]).
//!   [`FakeConfig::big_file_bytes`] adds one big file, streamed from a repeated block.
//!
//! Every request is counted; [`Faults`] turn every Nth one into a 503, a 429 with
//! `Retry-After`, a 500 or an HTML 502, [`FakeConfig::status_outage`] and
//! [`FakeVelt::start_status_outage`] make status calls fail for a while,
//! [`FakeConfig::deletion_leaves_comments`] makes deletions leave data behind, and
//! [`FakeConfig::latency`] delays every answer.

//!
//! # In your own tests
//!
//! Add it as a dev-dependency beside `velt-api` (`velt-fake = { path = ... }` or a git
//! dependency on this repository), start it in a test, and point the client at it with its
//! demo credentials. [`Dataset::expected_items_in_export_order`] says exactly what an export
//! must give back:
//!
//! ```
//! use futures::TryStreamExt;
//! use velt_fake::{FakeConfig, FakeVelt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let fake = FakeVelt::start(FakeConfig { items_per_feature: 150, ..FakeConfig::default() })
//!     .await
//!     .expect("the fake starts on a free loopback port");
//! let client = velt_api::Client::builder()
//!     .base_url(fake.base_url())
//!     .api_key(fake.api_key())
//!     .auth_token(fake.auth_token())
//!     .build()
//!     .expect("a client for the fake");
//! let items: Vec<velt_api::export::ExportItem> = client
//!     .export_user_data("org-0001", "user-0001")
//!     .items()
//!     .try_collect()
//!     .await
//!     .expect("the export succeeds");
//! let expected: Vec<_> = fake.dataset().expected_items_in_export_order("org-0001", "user-0001").collect();
//! assert_eq!(items.len(), expected.len());
//! for (item, (feature, want)) in items.iter().zip(&expected) {
//!     assert_eq!(item.feature.as_str(), feature.as_str());
//!     assert_eq!(item.item.parse::<serde_json::Map<_, _>>().unwrap(), *want);
//! }
//! fake.shutdown().await;
//! # }
//! ```

#![warn(missing_docs)]

mod config;
mod dataset;
#[cfg(feature = "platforms")]
pub mod fides;
mod files;
mod http;
#[cfg(feature = "platforms")]
pub mod ketch;
mod server;
#[cfg(feature = "platforms")]
pub mod sombra;
mod stores;
mod stores_api;
mod token;
#[cfg(feature = "platforms")]
pub mod transcend;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::task::{JoinHandle, JoinSet};

pub use config::{DEMO_API_KEY, DEMO_AUTH_TOKEN, EndOfPages, FakeConfig, Faults, TokenName};
pub use dataset::{
    Dataset, Feature, SeededFile, SeededOrganization, SeededUser, UNSERVED_FILE_URL,
};
pub use files::FileRequest;
pub use stores::MARKUP_TEXT;

/// Items of each feature on one export page.
pub const PAGE_SIZE: usize = dataset::PAGE_SIZE;

/// The largest request body the fake accepts (2 MiB); larger ones get 413 in Velt's envelope.
pub const MAX_BODY_BYTES: usize = server::MAX_BODY_BYTES;

/// The most bytes of request headers (names and values) the fake accepts (32 KiB); more get
/// 431 in Velt's envelope. Headers beyond hyper's own buffer (about 400 KiB) or more than 100
/// headers are refused by hyper itself with a bare 431.
pub const MAX_HEADER_BYTES: usize = server::MAX_HEADER_BYTES;

/// A running fake Velt server.
///
/// Dropping it stops the server: the listening socket and every open connection are closed
/// as soon as the runtime next runs (use [`FakeVelt::shutdown`] to wait until they are).
/// The server runs on the Tokio runtime it was started on, which must stay alive.
pub struct FakeVelt {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    task: JoinHandle<()>,
}

impl FakeVelt {
    /// Starts a server on a free port of 127.0.0.1.
    ///
    /// ```
    /// use velt_fake::{FakeConfig, FakeVelt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let fake = FakeVelt::start(FakeConfig { items_per_feature: 3, ..FakeConfig::default() }).await?;
    /// assert!(fake.base_url().starts_with("http://127.0.0.1:"));
    ///
    /// // Point a client at `fake.base_url()` with `fake.api_key()` and `fake.auth_token()`;
    /// // the items an export must return are known in advance:
    /// let org = fake.dataset().organization_ids().next().unwrap();
    /// let user = fake.dataset().users_of(&org)[0].user_id.clone();
    /// assert_eq!(fake.dataset().expected_items(&org, &user).count(), 4 * 3);
    ///
    /// fake.shutdown().await; // or just drop it
    /// # Ok(())
    /// # }
    /// ```
    pub async fn start(config: FakeConfig) -> std::io::Result<FakeVelt> {
        FakeVelt::start_on((Ipv4Addr::LOCALHOST, 0), config).await
    }

    /// Starts a server on the given address, e.g. `"127.0.0.1:8787"`.
    pub async fn start_on(
        addr: impl ToSocketAddrs,
        config: FakeConfig,
    ) -> std::io::Result<FakeVelt> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new(config, format!("http://{addr}")));
        let app = server::router(shared.clone());
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(shared.config.read_timeout);
        let task = tokio::spawn(async move {
            // Connections live in this set, so stopping the server task closes them all.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => {
                            let service = TowerToHyperService::new(app.clone());
                            let builder = builder.clone();
                            connections.spawn(async move {
                                // A connection error concerns that client only.
                                let _ = builder
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                        // Out of file descriptors and the like: wait, then accept again.
                        Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    },
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(FakeVelt { addr, shared, task })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API key the server accepts in `x-velt-api-key`.
    pub fn api_key(&self) -> &str {
        &self.shared.config.api_key
    }

    /// The auth token the server accepts in `x-velt-auth-token`.
    pub fn auth_token(&self) -> &str {
        &self.shared.config.auth_token
    }

    /// The configuration the server was started with (its `Debug` hides the token).
    pub fn config(&self) -> &FakeConfig {
        &self.shared.config
    }

    /// The seeded workspace: ids of organizations, users and documents, and the exact items
    /// of every export (as seeded, before any deletion).
    pub fn dataset(&self) -> &Dataset {
        &self.shared.dataset
    }

    /// How many requests the server has received so far (including refused ones).
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Every request for a file (`GET /files/...`) so far, in order, with the credential
    /// headers each carried (none, when the downloader behaves). File requests are not
    /// counted by [`FakeVelt::request_count`] and no fault is injected into them.
    pub fn file_requests(&self) -> Vec<FileRequest> {
        self.shared
            .file_requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The user ids of every deletion (Delete All User Data) accepted so far, one list per
    /// request, in order: what a test or benchmark counts to prove nothing was deleted twice.
    pub fn deletion_requests(&self) -> Vec<Vec<String>> {
        self.shared
            .deletion_requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the injected faults from now on; requests keep their numbering.
    pub fn set_faults(&self, faults: Faults) {
        *self
            .shared
            .faults
            .write()
            .unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Makes status calls (Get Delete All User Data Status) answer 503 `UNAVAILABLE` from now
    /// for `duration`, as in an outage; `Duration::ZERO` ends an outage at once. Other calls
    /// are not affected.
    pub fn start_status_outage(&self, duration: Duration) {
        self.shared.start_status_outage(duration);
    }

    /// Stops the server and waits until its socket and connections are closed.
    pub async fn shutdown(mut self) {
        self.task.abort();
        // The task never ends on its own, so the only possible outcome is "cancelled".
        let _ = (&mut self.task).await;
    }
}

impl Drop for FakeVelt {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for FakeVelt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeVelt")
            .field("addr", &self.addr)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}
