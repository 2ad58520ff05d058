//! When and how long to wait before sending a failed call again ([`RetryPolicy`]), and the
//! one backoff schedule of the crate ([`Backoff`]): retries of a failed call and the polling
//! of a deletion job both wait according to it.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::error::{Error, Operation};

/// Exponential backoff with equal jitter: the wait before step `n` (from 1) is
/// `initial * factor^(n-1)`, capped at `max`, of which the upper half is random.
///
/// One type serves retries ([`RetryPolicy`], factor [`Backoff::RETRY_FACTOR`]) and the polling
/// of deletion jobs ([`crate::deletion::PollOptions`], factor [`Backoff::POLL_FACTOR`] between
/// statuses and [`Backoff::RETRY_FACTOR`] after failed status calls).
///
/// ```
/// use std::time::Duration;
/// use velt_api::Backoff;
///
/// let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1), Backoff::RETRY_FACTOR);
/// let first = backoff.delay(1);
/// assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
/// assert!(backoff.delay(50) <= Duration::from_secs(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The wait before the second attempt or poll.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
    /// How much each wait grows over the one before (at least 1).
    pub factor: f64,
}

impl Backoff {
    /// The growth of waits between retries of a failed call: each wait doubles.
    pub const RETRY_FACTOR: f64 = 2.0;
    /// The growth of waits between status calls of a running deletion job: by half each time.
    pub const POLL_FACTOR: f64 = 1.5;

    /// Waits from `initial`, growing by `factor`, never more than `max`.
    pub const fn new(initial: Duration, max: Duration, factor: f64) -> Backoff {
        Backoff {
            initial,
            max,
            factor,
        }
    }

    /// The wait before step `step + 1` (`step` counts from 1). Never more than `max`, never
    /// less than half of the exponential value; saturates instead of overflowing.
    pub fn delay(&self, step: u32) -> Duration {
        let exponent = i32::try_from(step.saturating_sub(1)).unwrap_or(i32::MAX);
        let grown = self.factor.max(1.0).powi(exponent);
        let exp = Duration::try_from_secs_f64(self.initial.as_secs_f64() * grown)
            .unwrap_or(Duration::MAX)
            .min(self.max);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// How failed calls are retried: exponential backoff with jitter, a bounded number of
/// attempts and a bounded total time, and the server's `Retry-After` honoured.
///
/// Retried are HTTP 429, 500, 502, 503 and 504, Velt's INTERNAL, UNAVAILABLE,
/// DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED, timeouts and broken connections. The deletion
/// call starts a job each time it reaches Velt, so by default it is retried only when the
/// failure proves that nothing was started ([`Error::is_not_processed`]): the connection could
/// not be made, or Velt refused the request with a rate limit (429, RESOURCE_EXHAUSTED; its
/// `Retry-After` is honoured). A deletion whose outcome is unknown (a timeout, a 5xx, a
/// connection dropped after sending: [`Error::is_outcome_unknown`]) is not sent again; see
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
    max_attempts: u32,
    backoff: Backoff,
    max_total: Duration,
    retry_sent_deletions: bool,
}

impl Default for RetryPolicy {
    /// Four attempts, backoff from 500 ms doubling up to 30 s, two minutes in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            backoff: Backoff::new(
                Duration::from_millis(500),
                Duration::from_secs(30),
                Backoff::RETRY_FACTOR,
            ),
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
        self.backoff.initial = backoff;
        self
    }

    /// The longest wait between two attempts of the backoff. A server's `Retry-After` is
    /// honoured even when longer, as long as it fits in [`RetryPolicy::max_total`].
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.backoff.max = backoff;
        self
    }

    /// No new attempt starts, and no wait is begun, past this much time since the first one.
    pub fn max_total(mut self, total: Duration) -> Self {
        self.max_total = total;
        self
    }

    /// The whole backoff schedule at once (see [`Backoff`]).
    pub fn backoff_schedule(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Also retry a Delete All User Data whose request may have reached Velt (a timeout, a
    /// 503). This can start the same deletion job twice, which is harmless to the outcome but
    /// doubles the work on Velt's side. Off by default. It never applies to Delete Activity
    /// Logs, whose answer is the only record of which activity was deleted: a batch of unknown
    /// outcome is reported as such ([`crate::stores::ActivityDeletion::unknown`]).
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
        let opted_in = self.retry_sent_deletions && operation == Operation::DeleteAllUserData;
        operation.is_idempotent() || opted_in || error.is_not_processed()
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
        self.backoff.delay(attempt)
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
    use crate::error::ApiStatus;
    use proptest::prelude::*;
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
    fn grows_by_the_factor_with_jitter_and_is_capped() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1), 1.5);
        for _ in 0..100 {
            let first = backoff.delay(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = backoff.delay(3); // 225 ms before jitter
            assert!(
                third >= Duration::from_micros(112_500) && third <= Duration::from_millis(225),
                "{third:?}"
            );
            assert!(backoff.delay(u32::MAX) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn huge_values_saturate() {
        let backoff = Backoff::new(Duration::MAX, Duration::MAX, 2.0);
        assert!(backoff.delay(1000) >= Duration::MAX / 2);
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
    fn deletions_refused_unprocessed_are_retried() {
        use crate::{Error, Operation, error::Repr};
        let rate_limited: Error = Repr::Api {
            operation: Operation::DeleteAllUserData,
            http_status: reqwest::StatusCode::TOO_MANY_REQUESTS,
            status: ApiStatus::ResourceExhausted,
            code: None,
            message: "slow down".into(),
            details: None,
            retry_after: Some(Duration::from_secs(2)),
        }
        .into();
        let proxy_429: Error = Repr::Http {
            operation: Operation::DeleteAllUserData,
            http_status: reqwest::StatusCode::TOO_MANY_REQUESTS,
            body: String::new(),
            retry_after: None,
        }
        .into();
        let unavailable: Error = Repr::Api {
            operation: Operation::DeleteAllUserData,
            http_status: reqwest::StatusCode::SERVICE_UNAVAILABLE,
            status: ApiStatus::Unavailable,
            code: None,
            message: "down".into(),
            details: None,
            retry_after: None,
        }
        .into();
        let policy = RetryPolicy::default();
        for refused in [&rate_limited, &proxy_429] {
            assert!(refused.is_not_processed() && !refused.is_outcome_unknown());
            assert!(policy.should_retry(Operation::DeleteAllUserData, refused, 1));
            assert!(!policy.should_retry(Operation::DeleteAllUserData, refused, 4));
        }
        assert!(unavailable.is_outcome_unknown() && !unavailable.is_not_processed());
        assert!(!policy.should_retry(Operation::DeleteAllUserData, &unavailable, 1));
    }

    #[test]
    fn deletions_are_retried_only_when_unsent_unless_opted_in() {
        use crate::{Error, Operation, error::Repr};
        let timeout: Error = Repr::Timeout {
            operation: Operation::DeleteAllUserData,
            timeout: Duration::from_secs(1),
        }
        .into();
        let policy = RetryPolicy::default();
        assert!(!policy.should_retry(Operation::DeleteAllUserData, &timeout, 1));
        assert!(policy.should_retry(Operation::GetUsers, &timeout, 1));
        assert!(
            !policy.should_retry(Operation::GetUsers, &timeout, 4),
            "attempts are bounded"
        );
        let opted_in = RetryPolicy::default().retry_sent_deletions(true);
        assert!(opted_in.should_retry(Operation::DeleteAllUserData, &timeout, 1));
        let invalid = Error::invalid_input(Operation::GetUsers, "");
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

    /// 64 cases by default, `PROPTEST_CASES` when it is set.
    fn config() -> proptest::test_runner::Config {
        let mut config = proptest::test_runner::Config::default();
        if std::env::var_os("PROPTEST_CASES").is_none() {
            config.cases = 64;
        }
        config
    }

    proptest::proptest! {
        #![proptest_config(config())]

        #[test]
        fn fuzz_status_strings_retry_after_and_waits(
            status in prop_oneof![any::<String>(), "[A-Z_]{0,20}"],
            header in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..40),
                any::<u64>().prop_map(|n| n.to_string().into_bytes()),
                (any::<i64>(), "[A-Za-z, :0-9+-]{0,40}").prop_map(|(n, s)| format!("{n} {s}").into_bytes()),
                "(Mon|Tue|Wed|Sun), [0-9]{1,2} (Jan|Feb|Oct|Dec) [0-9]{1,6} [0-9]{2}:[0-9]{2}:[0-9]{2} (GMT|\\+[0-9]{4}|-[0-9]{4})".prop_map(String::into_bytes),
            ],
            attempt in any::<u32>(),
            initial_ms in any::<u64>(),
            max_ms in any::<u64>(),
            elapsed_ms in any::<u64>(),
            total_ms in any::<u64>(),
        ) {
            let parsed = ApiStatus::parse(&status);
            prop_assert_eq!(parsed.as_str(), status.as_str());
            let mut headers = HeaderMap::new();
            let wait = match HeaderValue::from_bytes(&header) {
                Ok(value) => {
                    headers.insert(RETRY_AFTER, value);
                    retry_after(&headers)
                }
                Err(_) => None,
            };
            let policy = RetryPolicy::default()
                .initial_backoff(Duration::from_millis(initial_ms))
                .max_backoff(Duration::from_millis(max_ms))
                .max_total(Duration::from_millis(total_ms));
            let backoff = policy.backoff(attempt, wait);
            match wait {
                // The server's wait is honoured as given; the budget decides whether to wait.
                Some(wait) => prop_assert_eq!(backoff, wait),
                None => prop_assert!(backoff <= Duration::from_millis(max_ms)),
            }
            let _ = policy.within_budget(Duration::from_millis(elapsed_ms), backoff);
            let _ = policy.within_budget(Duration::from_millis(elapsed_ms), Duration::MAX);
        }
    }
}
