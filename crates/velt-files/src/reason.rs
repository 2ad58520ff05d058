//! Why a file was not fetched: one typed reason per URL, with a plain-language Display.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why the file behind one URL was not fetched.
///
/// Serialized with a `kind` tag in camelCase (`{"kind": "tooLarge", "limit": .., "seen": ..}`),
/// so that it can go into a case record; Display says it in plain language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum NotFetchedReason {
    /// The run was told to fetch nothing (the CLI's `--no-files`).
    #[error("files were not requested")]
    NotRequested,
    /// The text is not a URL the fetcher can read.
    #[error("not a valid address: {message}")]
    InvalidUrl {
        /// What is wrong with it.
        message: String,
    },
    /// Not `https` (plain `http` is fetched only from the configured origin).
    #[error("only https addresses are fetched, not {scheme}")]
    SchemeNotAllowed {
        /// The URL's scheme.
        scheme: String,
    },
    /// The URL carries a user name or password (`user:pass@host`).
    #[error("the address carries a user name or password, and such addresses are not fetched")]
    CredentialsInUrl,
    /// The host is not on the allow-list of file hosts.
    #[error("{host} is not one of the allowed file hosts")]
    HostNotAllowed {
        /// The URL's host.
        host: String,
    },
    /// The host is, or resolves only to, an address that is not public (loopback, private,
    /// link-local, ...; see [`is_public`](crate::is_public)).
    #[error("{} is never fetched from", describe_address(host, address))]
    PrivateAddress {
        /// The URL's host.
        host: String,
        /// The address it is, or resolved to.
        address: String,
    },
    /// A file host redirected to a URL that the same rules refuse; it was not followed.
    #[error("the file host redirected to {location}, which was not followed: {because}")]
    RedirectOffList {
        /// Where the redirect pointed (a password in it replaced by `***`).
        location: String,
        /// Why that URL is refused.
        because: Box<NotFetchedReason>,
    },
    /// More redirects than allowed in a row.
    #[error("more than {limit} redirects in a row")]
    TooManyRedirects {
        /// The number of redirects followed.
        limit: u32,
    },
    /// A redirect without a usable `Location`.
    #[error("the file host answered HTTP {status} without a usable Location")]
    BadRedirect {
        /// The HTTP status of the redirect.
        status: u16,
    },
    /// The file is larger than the limit per file.
    #[error("{}", too_large(*limit, *seen, *announced))]
    TooLarge {
        /// The limit per file, in bytes.
        limit: u64,
        /// The bytes read before the download was stopped (0 when refused on its
        /// `Content-Length`).
        seen: u64,
        /// The size the file host announced (`Content-Length`), when it did.
        announced: Option<u64>,
    },
    /// The run's limit of bytes was reached before this file was complete.
    #[error("the limit of {} per run was reached", bytes(*limit))]
    RunLimitReached {
        /// The limit per run, in bytes.
        limit: u64,
    },
    /// The file host answered with an error status.
    #[error("the file host answered HTTP {status}{}", status_text(*status))]
    HttpStatus {
        /// The HTTP status.
        status: u16,
    },
    /// No answer in time.
    #[error("{}", timed_out(*phase, *seconds))]
    TimedOut {
        /// What was too slow.
        phase: TimeoutPhase,
        /// The limit that passed, in seconds.
        seconds: u64,
    },
    /// No connection to the file host, or it broke.
    #[error("the connection to the file host failed: {message}")]
    ConnectionFailed {
        /// What failed.
        message: String,
    },
    /// The file could not be written to the target directory.
    #[error("the file could not be written: {message}")]
    WriteFailed {
        /// What failed.
        message: String,
    },
}

/// Which time limit passed, in [`NotFetchedReason::TimedOut`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TimeoutPhase {
    /// Connecting (TCP and TLS).
    Connect,
    /// No data arrived for the idle limit.
    Idle,
    /// The whole download (all redirects included) took longer than the limit per file.
    Total,
}

fn describe_address(host: &str, address: &str) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare == address {
        format!("{host} is a loopback, private or link-local address, which")
    } else {
        format!("{host} resolves to {address}, a loopback, private or link-local address, which")
    }
}

fn too_large(limit: u64, seen: u64, announced: Option<u64>) -> String {
    match announced {
        Some(size) if seen == 0 => format!(
            "the file host announced {}, over the limit of {} per file; nothing was read",
            bytes(size),
            bytes(limit)
        ),
        _ => format!(
            "the file was cut off after {}: larger than the limit of {} per file",
            bytes(seen),
            bytes(limit)
        ),
    }
}

fn status_text(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default()
}

fn timed_out(phase: TimeoutPhase, seconds: u64) -> String {
    match phase {
        TimeoutPhase::Connect => format!("no connection to the file host within {seconds} s"),
        TimeoutPhase::Idle => format!("the file host sent nothing for {seconds} s"),
        TimeoutPhase::Total => format!("the download took longer than {seconds} s"),
    }
}

/// A number of bytes, exact, with a binary unit beside it when it is large:
/// `1048577 bytes (1.0 MiB)`.
pub(crate) fn bytes(n: u64) -> String {
    struct Unit(u64);
    impl fmt::Display for Unit {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
            let mut value = self.0 as f64;
            let mut unit = "";
            for u in UNITS {
                if value < 1024.0 {
                    break;
                }
                value /= 1024.0;
                unit = u;
            }
            write!(f, "{value:.1} {unit}")
        }
    }
    if n < 1024 {
        format!("{n} bytes")
    } else {
        format!("{n} bytes ({})", Unit(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_it_in_plain_language() {
        let cut = NotFetchedReason::TooLarge {
            limit: 1024 * 1024,
            seen: 1024 * 1024 + 10,
            announced: None,
        };
        assert_eq!(
            cut.to_string(),
            "the file was cut off after 1048586 bytes (1.0 MiB): larger than the limit of \
             1048576 bytes (1.0 MiB) per file"
        );
        let refused = NotFetchedReason::TooLarge {
            limit: 100,
            seen: 0,
            announced: Some(5000),
        };
        assert_eq!(
            refused.to_string(),
            "the file host announced 5000 bytes (4.9 KiB), over the limit of 100 bytes per file; \
             nothing was read"
        );
        assert_eq!(
            NotFetchedReason::HttpStatus { status: 404 }.to_string(),
            "the file host answered HTTP 404 Not Found"
        );
        assert_eq!(
            NotFetchedReason::PrivateAddress {
                host: "[::1]".into(),
                address: "::1".into()
            }
            .to_string(),
            "[::1] is a loopback, private or link-local address, which is never fetched from"
        );
        assert_eq!(
            NotFetchedReason::PrivateAddress {
                host: "files.example".into(),
                address: "10.0.0.7".into()
            }
            .to_string(),
            "files.example resolves to 10.0.0.7, a loopback, private or link-local address, \
             which is never fetched from"
        );
    }

    #[test]
    fn serializes_with_a_kind_tag_in_camel_case() {
        let reason = NotFetchedReason::RedirectOffList {
            location: "https://evil.example/x".into(),
            because: Box::new(NotFetchedReason::HostNotAllowed {
                host: "evil.example".into(),
            }),
        };
        let json = serde_json::to_value(&reason).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kind": "redirectOffList",
                "location": "https://evil.example/x",
                "because": {"kind": "hostNotAllowed", "host": "evil.example"}
            })
        );
        let back: NotFetchedReason = serde_json::from_value(json).unwrap();
        assert_eq!(back, reason);
        let timed = serde_json::to_value(NotFetchedReason::TimedOut {
            phase: TimeoutPhase::Idle,
            seconds: 60,
        })
        .unwrap();
        assert_eq!(
            timed,
            serde_json::json!({"kind": "timedOut", "phase": "idle", "seconds": 60})
        );
    }
}
