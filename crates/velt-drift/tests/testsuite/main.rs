//! velt-drift's integration tests, in one binary: the command line, the diff, fetching live pages
//! and the mutations the check must catch.

mod cli;
mod common;
mod diff;
mod fetch;
mod live_drift;
mod mutations;
