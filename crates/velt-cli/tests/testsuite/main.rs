//! End-to-end tests of the `velt` binary, in one binary: exit codes, terminal output, the files and
//! receipts the commands leave. The workflows themselves are tested in-process in velt-dsr.

mod cli;
mod common;
mod erase;
mod export;
mod find;
mod request;
mod serve;
