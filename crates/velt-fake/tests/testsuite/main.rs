//! velt-fake's integration tests, in one binary: the API it serves, the failures and outages it
//! simulates, the v2 listings, Velt's other stores and the files behind exported items, and the
//! fake as another crate's dev-dependency.

mod api;
mod as_dependency;
mod common;
mod failures;
mod files;
mod outages;
mod stores;
mod v2;
