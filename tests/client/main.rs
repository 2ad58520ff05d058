//! The client's integration tests, in one binary (one link step): the calls against httpmock
//! and purpose-built servers, byte for byte, the wire snapshots and the decoding properties.
//! This binary ships with the crate (`cargo package`), so it uses only velt-api and its
//! registry dev-dependencies; the tests that need the workspace's other crates are in
//! `tests/workspace/`. Modules that mock Velt with the crate's typed helpers need the
//! `httpmock` feature and are left out without it.

#[path = "../common/mod.rs"]
mod common;

#[cfg(feature = "httpmock")]
mod byte_exact;
#[cfg(feature = "httpmock")]
mod contract;
mod fuzz_client;
#[cfg(feature = "httpmock")]
mod stores;
#[cfg(feature = "httpmock")]
mod tracing;
mod wire;
