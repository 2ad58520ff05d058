//! Why a command failed: the message a person reads and the exit code a script reads.
//!
//! | exit | meaning |
//! |---|---|
//! | 0 | done (also when the reader of standard output stopped early) |
//! | 1 | Velt, the network or a local file failed; data remains after an erasure; a wait passed `--timeout` |
//! | 2 | usage error: nothing was sent |
//! | 4 | a deletion's outcome is unknown: it was sent, no answer said what happened, it may have started |
//! | 130 | interrupted by Ctrl-C |

use std::fmt;

/// Why a command failed; decides the message and the exit code.
#[derive(Debug)]
pub enum Failure {
    /// The command line or its input is wrong: exit 2.
    Usage(String),
    /// Velt, the network or the local file system failed: exit 1.
    Failed(String),
    /// A deletion was sent and no answer says what became of it; it may have started:
    /// exit 4 ([`Failure::OUTCOME_UNKNOWN`]).
    OutcomeUnknown(String),
    /// Interrupted by Ctrl-C: exit 130.
    Interrupted(String),
    /// A complete search found nobody: exit 3.
    NotFound(String),
    /// Standard output was closed by its reader (`| head`): stop quietly, exit 0.
    OutputClosed,
}

impl Failure {
    /// The exit code of a deletion whose outcome is unknown.
    pub const OUTCOME_UNKNOWN: u8 = 4;

    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Failed(_) => 1,
            Failure::OutcomeUnknown(_) => Self::OUTCOME_UNKNOWN,
            Failure::Interrupted(_) => 130,
            Failure::NotFound(_) => 3,
            Failure::OutputClosed => 0,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(message) | Failure::Failed(message) => write!(f, "error: {message}"),
            Failure::OutcomeUnknown(message) => write!(f, "outcome unknown: {message}"),
            Failure::Interrupted(message) => write!(f, "interrupted: {message}"),
            Failure::NotFound(message) => write!(f, "not found: {message}"),
            Failure::OutputClosed => f.write_str("standard output was closed"),
        }
    }
}

impl From<velt_api::Error> for Failure {
    fn from(error: velt_api::Error) -> Self {
        use velt_api::ErrorKind;
        match error.kind() {
            ErrorKind::InvalidInput => Failure::Usage(error.to_string()),
            ErrorKind::Config => Failure::Usage(format!(
                "{error}\nhint: set VELT_API_KEY and VELT_AUTH_TOKEN (from the Velt console), or try --fake"
            )),
            _ if error.is_auth() => Failure::Failed(format!(
                "{error}\nhint: Velt refused the credentials; check VELT_API_KEY and VELT_AUTH_TOKEN"
            )),
            _ if error.is_retryable() => {
                Failure::Failed(format!("{error}\nhint: {}; try again later", tried(&error)))
            }
            _ => Failure::Failed(error.to_string()),
        }
    }
}

/// A record (manifest, receipt) that cannot be read or written: a local file failed, exit 1.
impl From<velt_case::Error> for Failure {
    fn from(error: velt_case::Error) -> Self {
        Failure::Failed(error.to_string())
    }
}

/// What was tried before giving up, in words that never claim retries that did not happen.
pub fn tried(error: &velt_api::Error) -> String {
    match error.attempts() {
        0 | 1 => "Velt or the network failed (the call was made once, not retried)".to_owned(),
        n => format!("Velt or the network failed on all {n} attempts"),
    }
}

/// A failed file operation, naming the file.
pub fn io_failure(what: &str, path: &std::path::Path, error: std::io::Error) -> Failure {
    Failure::Failed(format!("cannot {what} {}: {error}", path.display()))
}

/// A failed write to standard output: a reader that went away ends the command quietly.
pub fn stdout_failure(error: std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::OutputClosed
    } else {
        Failure::Failed(format!("cannot write to standard output: {error}"))
    }
}
