//! Detects drift between Velt's REST documentation and `openapi/velt.yaml`.
//!
//! Velt changes its docs without notice: renamed fields, new parameters, different success
//! codes. This crate reads the pinned documentation pages (both the `.mdx` source and the `.md`
//! export, through [`velt_docs`]), compares them with the hand-written OpenAPI spec and reports
//! every difference precisely enough to edit the spec from: page, endpoint, JSON path, what the
//! docs say, what the spec says, and whether it breaks users of the crate or only adds.
//!
//! - [`check`]: documentation pages against the spec ([`check::check`]), each page matched to
//!   the operations bound to it (`externalDocs.url` in the spec, the page URL in SOURCES);
//! - [`diff`]: an older spec against a newer one ([`diff::diff`]), with what each change means
//!   on the wire and for Rust code using the crate;
//! - [`sources`] and [`fetch`]: the page list in `openapi/docs/SOURCES` and the download of both
//!   forms of each page;
//! - [`report`]: text and JSON rendering.
//!
//! `main.rs` only parses the command line and maps results to exit codes.

#![warn(missing_docs)]

pub mod check;
pub mod diff;
pub mod fetch;
pub mod report;
pub mod sources;
pub mod spec;

use std::path::PathBuf;

use serde::Serialize;

/// Exit code when everything agrees.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code when drift (or, for `diff`, a breaking change) was found.
pub const EXIT_DRIFT: i32 = 1;
/// Exit code for a usage error, unreadable input or a failed download.
pub const EXIT_ERROR: i32 = 2;

/// Why a command could not run. Every variant maps to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The spec could not be read as OpenAPI 3.0 or has dangling references.
    #[error("spec {}: {message}", path.display())]
    Spec {
        /// The spec file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A documentation page could not be parsed.
    #[error("documentation page {0}; fix the page or refresh it with `velt-drift fetch`")]
    Page(#[from] velt_docs::ParseError),
    /// `SOURCES` is malformed or lists a missing file.
    #[error("{}:{line}: {message}", path.display())]
    Sources {
        /// The SOURCES file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The docs directory holds no page to check.
    #[error("no documentation pages (*.md, *.mdx) found under {}; pass --docs DIR", path.display())]
    NoPages {
        /// The directory searched.
        path: PathBuf,
    },
    /// A download failed.
    #[error("fetch {url}: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
}

/// How bad a difference is for users of the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Users of the crate break or silently lose data: a renamed or removed response field, a
    /// new required request parameter, a type change, a URL, method or status change.
    Breaking,
    /// Something new the spec does not have yet: a new optional parameter, a new response
    /// field. Still drift (exit 1) because the spec should learn of it.
    Additive,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Breaking => "breaking",
            Severity::Additive => "additive",
        })
    }
}
