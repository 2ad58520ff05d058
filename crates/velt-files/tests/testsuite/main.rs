//! velt-files' integration tests, in one test binary (one link step): hostile URLs against
//! file servers on loopback, each a [`server::Server`] that records every connection and
//! request, so that "not fetched" can be checked as "nothing reached it".
//!
//! - `refused`: hosts off the list, loopback on another port, link-local, `[::1]`, decimal
//!   and octal IPv4, a listed name that resolves to loopback, credentials in the URL;
//! - `redirects`: every hop checked, off-list targets never contacted, the hop limit;
//! - `limits`: per file (announced and cut off), per run, partial files removed;
//! - `answers`: HTTP errors, stalls, a refused connection, the headers a file host sees, a
//!   run spawned on a task of its own;
//! - `names`: names from the content, never the URL; one file for the same bytes;
//! - `resume`: a rerun downloads nothing already complete.

mod answers;
mod limits;
mod names;
mod redirects;
mod refused;
mod resume;
mod server;
mod support;
