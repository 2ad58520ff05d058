//! Data-subject requests answered from Velt: the operations behind the `velt` command line
//! and any service that answers a request itself (a worker driven by a privacy platform, say),
//! in the spirit of cargo's `ops`.
//!
//! - [`find`]: the person in every organization, from an email or a user id.
//! - [`request`]: the two requests, each into a case folder ([`velt_case`]):
//!   [`request::access`] and the erasure ([`request::prepare_erasure`], then
//!   [`request::PreparedErasure::run`]).
//! - [`export`]: the exports under them, for one user or many, crash-safe files with their
//!   manifests ([`export::file`]).
//! - [`erase`]: the erasure under them: count before, delete, wait on every job under one
//!   deadline, verify, receipt; and the follow-up of an erasure from its receipt.
//! - [`files`]: the files behind the links in the exported data, downloaded into the case by
//!   [`velt_files`] (allowed hosts only, no credentials, size limits, named by hash).
//! - [`stores`]: the person's data in Velt's other stores (activity records, permissions,
//!   notification settings, AI Memory), read into the case.
//! - [`coverage`]: the coverage table of an answer: each store, what was collected, what is
//!   partial and why, and the stores no documented call reads.
//!
//! Operations take plain option structs, report progress through one [`Event`] type (a
//! callback: [`event::Events`]), and return typed outcomes; they never print. What an operation
//! found (data left, a wait that ran out, a deletion of unknown outcome) is part of its
//! outcome; an [`Error`] says it stopped. The records they keep (export manifests, deletion
//! receipts, the one atomic write) are [`velt_case::records`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use velt_api::{Client, search::Subject};
//! use velt_dsr::request::{self, ErasureRequestOptions};
//!
//! let client = Client::builder().build()?;
//! let prepared = request::prepare_erasure(&client, ErasureRequestOptions {
//!     case: "cases/jane".into(),
//!     subject: Some(Subject::email("jane@example.com")),
//!     organization_ids: Vec::new(),
//!     concurrency: 8,
//!     received: None,
//!     poll: Default::default(),
//!     // Activity records stay unless asked for (they may be an audit trail to keep).
//!     stores: velt_dsr::erase::StoreErasure { erase_activities: true, retain_reason: None },
//! }, &|event| eprintln!("{event:?}")).await?;
//! for plan in prepared.plans() {
//!     println!("will erase {:?} in {:?}", plan.request().user_ids(), plan.request().scope());
//! }
//! let outcome = prepared.run(&client, &velt_dsr::event::ignore).await?;
//! println!("erased: {}", outcome.erased);
//! for check in &outcome.store_checks {
//!     println!("{} in {:?}: {:?}", check.store, check.organization_id, check.verdict);
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod coverage;
pub mod erase;
mod error;
pub mod event;
pub mod export;
pub mod files;
pub mod find;
pub mod request;
pub mod stores;

pub use error::{Described, Error, Refusal, RefusalKind, Result, Step};
pub use event::Event;
