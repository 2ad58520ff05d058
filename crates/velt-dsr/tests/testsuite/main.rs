//! velt-dsr's integration tests, in one binary: the request operations as a library, against
//! the fake Velt in the same process (no `velt` binary is spawned). A person in three
//! organizations, one of which fails; a deletion of unknown outcome; one deadline across two
//! deletion jobs.

mod access;
mod common;
mod erasure;
