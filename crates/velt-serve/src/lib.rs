//! `velt serve`: a worker that lets a privacy platform drive the data-subject requests
//! answered from Velt. The platform's webhook arrives, its token is checked, the job becomes
//! a folder under `cases_dir` with the request's case folder (velt-case) inside, the request
//! operations of [`velt_dsr`] answer it in the background, and every answer to the platform
//! goes through the job's outbox until the platform acknowledges it.
//!
//! - [`config`]: the TOML config ([`Config`]); secrets come from environment variables or
//!   files, never from the config itself.
//! - [`Server`]: `GET /healthz`, `GET /metrics` (Prometheus's text format: requests, jobs
//!   by stage, pending answers, answer attempts, failed steps; no case data),
//!   `POST /transcend/webhook`, `POST /ketch/dsr`, `POST /fides/access`, `/fides/erasure`
//!   and `/fides/store`, over HTTP or HTTPS (`[tls]`); it takes up every open job at start.
//!   Each request is a tracing span `request` with its platform and a request id.
//! - [`job`]: the job's folder, its record (`job.json`: kind, subject, nonce, stage) and its
//!   OS lock.
//! - [`outbox`]: the answers, written before they are sent, retried with growing pauses.
//! - [`platform`]: what an adapter does for the worker ([`platform::Platform`]).
//! - [`transcend`]: the Transcend adapter (token, body, answers); its docs say which choices
//!   were ours.
//! - [`ketch`]: the Ketch adapter (the forwarder's header, its requests, the status events
//!   to the callbacks); its docs say which choices were ours.
//! - [`fides`]: the Fides adapter (the connector template's calls, the async callbacks); its
//!   docs say which choices were ours.
//!
//! A job sent again is the same job: never a second search, export or deletion; its state
//! is answered again (204 once Velt was found to hold nobody).
//!
//! ```no_run
//! # async fn run() -> Result<(), velt_serve::Error> {
//! let config = velt_serve::Config::load("serve.toml".as_ref())?;
//! let server = velt_serve::Server::start(config).await?;
//! println!("listening on {}", server.local_addr());
//! // ... until the process is asked to stop; then:
//! drop(server); // the jobs are taken up where they stood at the next start
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod case_data;
pub mod config;
mod error;
pub mod fides;
mod intake;
pub mod job;
pub mod ketch;
mod metrics;
pub mod outbox;
pub mod platform;
mod server;
mod tls;
pub mod transcend;
mod worker;

pub use config::Config;
pub use error::{Error, Result};
pub use server::Server;
