//! The client's tests that need the workspace's other crates (the fake Velt, the page parser,
//! the case records) or the repository around the crate (the vendor pages, the review
//! snapshots of the generated code), in one binary. Not shipped with the crate: packaging
//! strips path-only dev-dependencies. Modules that mock Velt with the crate's typed helpers
//! need the `httpmock` feature and are left out without it.

#[path = "../common/mod.rs"]
mod common;

mod docs_examples;
mod erasure;
#[cfg(feature = "httpmock")]
mod fault_matrix;
mod search;
mod spec;
