//! A typed client for Velt's user-data REST API: export everything Velt holds about a person
//! (GDPR access), erase it (GDPR erasure) and follow the erasure, and look users up.
//!
//! Compared with one raw JSON answer per call, this crate gives you:
//! - exports as streams of pages or items that follow Velt's page tokens, stop on a repeated
//!   token, and hold one page in memory at a time;
//! - deletions of any number of users, split into the batches of 30 Velt actually honours,
//!   and jobs you can wait for;
//! - one error type that keeps the HTTP status, Velt's status string, code and message;
//! - retries with backoff for what Velt says is worth retrying, never a blind retry of a
//!   deletion that reached the server;
//! - timeouts per operation (six minutes for the deletion, which Velt says may take five);
//! - credentials that never appear in Debug output, errors or logs.
//!
//! # Layers
//! `openapi/velt.yaml` is the single source of truth. `build.rs` generates the typed client
//! and its [`types`] from it with progenitor. The hand-written [`Client`] wraps it with
//! everything above. With the `httpmock` feature, `mock` holds typed httpmock helpers
//! generated from the same spec, for mocking Velt in your own tests.
//!
//! # Where things are
//! - At the root: the [`Client`] and its [`ClientBuilder`], [`Error`] with its [`ErrorKind`]
//!   and [`Result`], the [`Operation`]s, the [`RetryPolicy`] and its [`Backoff`], and the
//!   crates that appear in public signatures ([`serde_json`], [`futures`], [`chrono`],
//!   [`StatusCode`]).
//! - Every call is a method of [`Client`], in one `impl` block.
//! - [`export`]: exports and their items, and the NDJSON writer; [`deletion`]: deletion
//!   requests, jobs, their [`deletion::Poller`] and the check of what an erasure left;
//!   [`users`]: user look-up and the v2 listings of organizations and users; [`search`]:
//!   finding a person in every organization; [`stores`]: Velt's other stores of a person's
//!   data (activity log, permissions, AI Memory, notification settings); [`error`]: Velt's
//!   status strings; [`types`]: the generated request and answer types.
//! - The client does no file I/O: it writes an export only into a `std::io::Write` you give
//!   it. The records kept as proof (the export manifest, the deletion receipt, the atomic
//!   write of every file) are in the `velt-case` crate (`velt_case::records`).
//!
//! # Export a user
//! ```no_run
//! use futures::TryStreamExt;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = velt_api::Client::builder()
//!     .api_key("my-api-key")
//!     .auth_token("my-auth-token")
//!     .build()?;
//!
//! // Small user: everything in memory.
//! let data = client.export_user_data("org-1", "user-42").collect().await?;
//! println!("{} comments", data.comments.len());
//!
//! // Big user: item by item, one page in memory at a time.
//! let mut items = client.export_user_data("org-1", "user-42").items();
//! while let Some(item) = items.try_next().await? {
//!     println!("{}: {:?}", item.feature, item.item.get("annotationId"));
//!     // The item's JSON text, byte for byte as Velt sent it:
//!     let _text: &str = item.item.as_str();
//! }
//!
//! // Or straight into any writer (a file, standard output), one JSON line per item; the
//! // error says whether the export or the writer failed (`export::WriteError`).
//! let mut out = std::io::BufWriter::new(std::io::stdout().lock());
//! let summary = client.export_user_data("org-1", "user-42").write_ndjson(&mut out).await?;
//! println!("{} items in {} pages", summary.items, summary.pages);
//! # Ok(())
//! # }
//! ```
//!
//! # Delete a user and wait
//! ```no_run
//! use velt_api::deletion::{DeleteRequest, DeletionScope, PollEvent, PollOptions, WaitOutcome};
//!
//! # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
//! // Without organizations the deletion covers every organization of the workspace:
//! // DeletionScope makes you say which you mean.
//! let request = DeleteRequest::new(["user-42"], DeletionScope::Organizations(vec!["org-1".into()]));
//! let deletion = client.delete_user_data(&request).await?;
//! for job in &deletion.jobs {
//!     let outcome = client
//!         .poll_deletion(&job.job_id, PollOptions::default())
//!         .until_done(|event| {
//!             if let PollEvent::Status(status) = event {
//!                 eprintln!("job {}: {:?} tasks left", job.job_id, status.tasks_left)
//!             }
//!         })
//!         .await?;
//!     assert!(matches!(outcome, WaitOutcome::Completed(_)));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Look users up
//! ```no_run
//! use velt_api::users::UsersQuery;
//!
//! # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
//! let users = client
//!     .get_users(&UsersQuery::organization("org-1").user_ids(["alice", "bob"]))
//!     .await?;
//! for user in users {
//!     println!("{} {:?}", user.user_id, user.name);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Find a person in every organization
//! ```no_run
//! use velt_api::search::{SearchOptions, Subject};
//!
//! # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
//! // Emails are compared trimmed and case-insensitively; every organization is searched.
//! let found = client
//!     .find_person(Subject::email("jane.doe@example.com"), SearchOptions::default())
//!     .await?;
//! for m in &found.matches {
//!     // Export (or erase) the person in each organization found.
//!     let data = client.export_user_data(&m.organization_id, &m.user_id).collect().await?;
//!     println!("{} in {}: {} comments", m.user_id, m.organization_id, data.comments.len());
//! }
//! assert!(found.search.complete, "an organization failed: {:?}", found.search.failures);
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//! ```no_run
//! # async fn run(client: velt_api::Client) {
//! match client.deletion_status("job-1").await {
//!     Ok(status) => println!("completed: {}", status.completed),
//!     Err(e) if e.is_not_found() => println!("no such job"),
//!     Err(e) if e.is_retryable() => println!("try again later: {e}"),
//!     Err(e) => println!("failed ({:?}): {e}", e.kind()),
//! }
//! # }
//! ```

#![warn(missing_docs)]

mod client;
pub mod deletion;
pub mod error;
pub mod export;
mod generated;
mod pager;
mod retry;
pub mod search;
pub mod stores;
mod transport;
pub mod users;

pub use client::{Client, ClientBuilder};
pub use error::{Error, ErrorKind, Operation, Result};
pub use retry::{Backoff, RetryPolicy};

pub use generated::types;

/// The HTTP status type of [`Error::http_status`], re-exported from the `http` crate.
pub use http::StatusCode;

/// The `chrono` crate, whose `DateTime<Utc>` dates the jobs and checks.
pub use chrono;
/// The `futures` crate, whose streams carry pages and items.
pub use futures;
/// The `serde_json` crate, whose `Value` and `RawValue` items are read into.
pub use serde_json;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Typed httpmock helpers generated from `openapi/velt.yaml`, for mocking Velt in tests with
/// the same request and response types the client uses (feature `httpmock`).
///
/// `velt_api::mock::httpmock` is the httpmock these helpers were generated for, so your tests
/// need no version of their own. Build answers through the generated builders, as below: a
/// field Velt adds to its docs (and so to the spec) then changes nothing in your tests.
///
/// ```
/// use velt_api::mock::{MockServerExt, httpmock::MockServer};
/// use velt_api::types;
///
/// let server = MockServer::start();
/// let answer: types::GetUsersResponse = types::GetUsersResponse::builder()
///     .result(
///         types::GetUsersResult::builder()
///             .status(Some("success".to_owned()))
///             .data(vec![types::User::builder().user_id("alice").try_into().unwrap()]),
///     )
///     .try_into()
///     .unwrap();
/// let mock = server.get_users(|when, then| {
///     when.into_inner().header("x-velt-api-key", "key");
///     then.ok(&answer);
/// });
/// # let _ = mock;
/// ```
#[cfg(feature = "httpmock")]
pub mod mock {
    #![allow(missing_docs, clippy::all, unused_imports)]
    /// The httpmock crate the helpers target (0.9), re-exported.
    pub use httpmock;
    include!(concat!(env!("OUT_DIR"), "/httpmock.rs"));
}
