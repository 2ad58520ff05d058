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
        Failure::of(&error)
    }
}

impl Failure {
    /// The failure a client error makes, with the hint that fits it.
    pub fn of(error: &velt_api::Error) -> Failure {
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
                Failure::Failed(format!("{error}\nhint: {}; try again later", tried(error)))
            }
            _ => Failure::Failed(error.to_string()),
        }
    }
}

/// What was tried before giving up, in words that never claim retries that did not happen.
pub fn tried(error: &velt_api::Error) -> String {
    match error.attempts() {
        0 | 1 => "Velt or the network failed (the call was made once, not retried)".to_owned(),
        n => format!("Velt or the network failed on all {n} attempts"),
    }
}

/// A failed write to standard output: a reader that went away ends the command quietly.
pub fn stdout_failure(error: std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::OutputClosed
    } else {
        Failure::Failed(format!("cannot write to standard output: {error}"))
    }
}

impl From<velt_dsr::Error> for Failure {
    fn from(error: velt_dsr::Error) -> Self {
        use velt_dsr::Error;
        match error {
            Error::Refused(refusal) => Failure::Usage(refusal_message(&refusal)),
            Error::Velt { during, source } => match (&during, Failure::from(source)) {
                // The client's own message and hints; the step says what was not done.
                (velt_dsr::Step::Delete, Failure::Failed(message)) => {
                    Failure::Failed(format!("{message}\nno deletion was started"))
                }
                (velt_dsr::Step::CountBefore, Failure::Failed(message)) => Failure::Failed(
                    format!("{message}\nthe count before the erasure failed; nothing was erased"),
                ),
                (velt_dsr::Step::Search | velt_dsr::Step::Export { .. }, other) => other,
                (_, Failure::Failed(message)) => Failure::Failed(format!("{during}: {message}")),
                (_, other) => other,
            },
            Error::Output(io) => stdout_failure(io),
            Error::Case(case) => case_failure(case),
            Error::SearchIncomplete(_) => Failure::Failed(format!(
                "{}\nnothing was changed; run the command again",
                incompleteness(&error)
            )),
            Error::NobodyFound { .. } => Failure::NotFound(error.to_string()),
            other => Failure::Failed(other.to_string()),
        }
    }
}

/// A refusal in the command line's words: what was wrong, then the flags that help.
pub fn refusal_message(refusal: &velt_dsr::Refusal) -> String {
    use velt_dsr::RefusalKind;
    let hint = match refusal.kind {
        RefusalKind::NotThisExport | RefusalKind::CannotResume => {
            "nothing was sent: choose another file, or pass --force to replace it"
        }
        RefusalKind::InterruptedExport => {
            "pass --resume to continue it, or --force to start over; nothing was sent"
        }
        RefusalKind::OtherOptions => {
            "run the same command as then, or delete it and the .part file beside it to start over"
        }
        RefusalKind::NothingToCheck => {
            "pass --verify-organization-id ORG for each organization to check (the receipt then says the check covers only those)"
        }
        RefusalKind::ReceiptExists => {
            "choose another file, or resume that one with `velt data delete-status --receipt FILE --wait`"
        }
        RefusalKind::OtherVelt => {
            "nothing was sent and the receipt is untouched: point VELT_BASE_URL (or --base-url) at the Velt it names"
        }
        RefusalKind::NoManifest => {
            "velt writes FILE.manifest.json beside every export it writes to a file (or pass --manifest)"
        }
        _ => refusal.kind.remedy(),
    };
    format!("{}; {hint}", refusal.message)
}

/// A case error: refusals and unusable input are usage errors, the rest failures.
impl From<velt_case::Error> for Failure {
    fn from(error: velt_case::Error) -> Self {
        case_failure(error)
    }
}

/// See the `From<velt_case::Error>` of [`Failure`].
pub fn case_failure(error: velt_case::Error) -> Failure {
    match error {
        velt_case::Error::Refused(_)
        | velt_case::Error::Invalid { .. }
        | velt_case::Error::Busy(_) => Failure::Usage(error.to_string()),
        other => Failure::Failed(other.to_string()),
    }
}

/// What an incomplete search failed on, one organization a line.
pub fn incompleteness(error: &velt_dsr::Error) -> String {
    let velt_dsr::Error::SearchIncomplete(record) = error else {
        return error.to_string();
    };
    let mut lines = Vec::new();
    if let Some(error) = &record.listing_error {
        lines.push(format!("listing the organizations failed: {error}"));
    }
    for failure in &record.failures {
        lines.push(format!("{}: {}", failure.organization_id, failure.error));
    }
    format!(
        "the search is incomplete: the person may be in organizations that could not be read\n  {}",
        lines.join("\n  ")
    )
}
