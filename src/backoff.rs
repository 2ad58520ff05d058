//! The one backoff schedule of the crate: retries of a failed call and the polling of a
//! deletion job both wait according to it.

use std::time::Duration;

/// Exponential backoff with equal jitter: the wait before step `n` (from 1) is
/// `initial * factor^(n-1)`, capped at `max`, of which the upper half is random.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Backoff {
    /// The wait before the second attempt or poll.
    pub(crate) initial: Duration,
    /// The longest wait.
    pub(crate) max: Duration,
    /// How much each wait grows over the one before.
    pub(crate) factor: f64,
}

impl Backoff {
    /// The wait before step `step + 1` (`step` counts from 1). Never more than `max`, never
    /// less than half of the exponential value; saturates instead of overflowing.
    pub(crate) fn delay(&self, step: u32) -> Duration {
        let exponent = i32::try_from(step.saturating_sub(1)).unwrap_or(i32::MAX);
        let grown = self.factor.max(1.0).powi(exponent);
        let exp = Duration::try_from_secs_f64(self.initial.as_secs_f64() * grown)
            .unwrap_or(Duration::MAX)
            .min(self.max);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_the_factor_with_jitter_and_is_capped() {
        let backoff = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            factor: 1.5,
        };
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
        let backoff = Backoff {
            initial: Duration::MAX,
            max: Duration::MAX,
            factor: 2.0,
        };
        assert!(backoff.delay(1000) >= Duration::MAX / 2);
    }
}
