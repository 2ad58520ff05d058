//! When and how long to wait before sending a failed call again.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::{Error, Operation, backoff::Backoff};

/// How failed calls are retried: exponential backoff with jitter, a bounded number of
/// attempts and a bounded total time, and the server's `Retry-After` honoured.
///
/// Retried are HTTP 429, 500, 502, 503 and 504, Velt's INTERNAL, UNAVAILABLE,
/// DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED, timeouts and broken connections. The deletion
/// call starts a job each time it reaches Velt, so by default it is retried only when the
/// request never left this machine (the connection could not be made); see
/// [`RetryPolicy::retry_sent_deletions`].
///
/// ```
/// use std::time::Duration;
/// use velt_api::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(6)
///     .initial_backoff(Duration::from_millis(200))
///     .max_total(Duration::from_secs(60));
/// # let _ = policy;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_total: Duration,
    pub(crate) retry_sent_deletions: bool,
}

impl Default for RetryPolicy {
    /// Four attempts, backoff from 500 ms doubling up to 30 s, two minutes in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_total: Duration::from_secs(120),
            retry_sent_deletions: false,
        }
    }
}

impl RetryPolicy {
    /// No retries: every call is sent once.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first one included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt; it doubles after each further failure.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts of the backoff. A server's `Retry-After` is
    /// honoured even when longer, as long as it fits in [`RetryPolicy::max_total`].
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// No new attempt starts, and no wait is begun, past this much time since the first one.
    pub fn max_total(mut self, total: Duration) -> Self {
        self.max_total = total;
        self
    }

    /// Also retry a deletion whose request may have reached Velt (a timeout, a 503). This can
    /// start the same deletion job twice, which is harmless to the outcome but doubles the
    /// work on Velt's side. Off by default.
    pub fn retry_sent_deletions(mut self, retry: bool) -> Self {
        self.retry_sent_deletions = retry;
        self
    }

    /// Whether `error`, the outcome of attempt number `attempt` (from 1) of `operation`, is
    /// worth another attempt under this policy.
    pub(crate) fn should_retry(&self, operation: Operation, error: &Error, attempt: u32) -> bool {
        if attempt >= self.max_attempts || !error.is_retryable() {
            return false;
        }
        operation.is_idempotent() || self.retry_sent_deletions || error.is_unsent()
    }

    /// Whether a wait of `wait`, after `elapsed` since the first attempt, stays within
    /// [`RetryPolicy::max_total`]. Saturates: huge waits are simply over budget.
    pub(crate) fn within_budget(&self, elapsed: Duration, wait: Duration) -> bool {
        elapsed.saturating_add(wait) <= self.max_total
    }

    /// The wait before attempt `attempt + 1`: the server's `Retry-After` when it gave one,
    /// otherwise exponential backoff with equal jitter. The caller gives up instead when the
    /// wait would end past `max_total` (see [`RetryPolicy::within_budget`]).
    pub(crate) fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait;
        }
        Backoff {
            initial: self.initial_backoff,
            max: self.max_backoff,
            factor: 2.0,
        }
        .delay(attempt)
    }
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for _ in 0..100 {
            let first = policy.backoff(1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = policy.backoff(2, None);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = policy.backoff(10, None);
            assert!(capped <= Duration::from_millis(350), "{capped:?}");
        }
    }

    #[test]
    fn retry_after_is_honoured_even_past_the_backoff_cap() {
        let policy = RetryPolicy::default().max_backoff(Duration::from_secs(5));
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.backoff(1, Some(Duration::from_secs(60))),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn deletions_are_retried_only_when_unsent_unless_opted_in() {
        use crate::{Error, Operation};
        let timeout = Error::Timeout {
            operation: Operation::DeleteAllUserData,
            timeout: Duration::from_secs(1),
        };
        let policy = RetryPolicy::default();
        assert!(!policy.should_retry(Operation::DeleteAllUserData, &timeout, 1));
        assert!(policy.should_retry(Operation::GetUsers, &timeout, 1));
        assert!(
            !policy.should_retry(Operation::GetUsers, &timeout, 4),
            "attempts are bounded"
        );
        let opted_in = RetryPolicy::default().retry_sent_deletions(true);
        assert!(opted_in.should_retry(Operation::DeleteAllUserData, &timeout, 1));
        let invalid = Error::InvalidInput {
            operation: Operation::GetUsers,
            message: String::new(),
        };
        assert!(!policy.should_retry(Operation::GetUsers, &invalid, 1));
    }

    #[test]
    fn the_budget_saturates_instead_of_overflowing() {
        let policy = RetryPolicy::default().max_total(Duration::from_secs(10));
        assert!(policy.within_budget(Duration::from_secs(4), Duration::from_secs(6)));
        assert!(!policy.within_budget(Duration::from_secs(4), Duration::from_secs(7)));
        assert!(!policy.within_budget(Duration::from_secs(1), Duration::MAX));
        let unbounded = RetryPolicy::default().max_total(Duration::MAX);
        assert!(unbounded.within_budget(Duration::from_secs(1), Duration::MAX));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
