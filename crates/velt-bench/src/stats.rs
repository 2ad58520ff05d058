//! Small statistics over repeated measurements, and CPU clocks.

use std::time::Duration;

/// Median, minimum and maximum of a set of measurements.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    /// The middle value (mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; all zero when there are none.
    pub fn of(values: &[f64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return Spread {
                median: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Spread {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        }
    }

    /// `median (min..max)` with the given number of decimals and unit.
    pub fn show(&self, decimals: usize, unit: &str) -> String {
        format!(
            "{:.d$}{unit} ({:.d$}..{:.d$})",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

/// The `p`-th percentile (0..=100) of `values` by the nearest-rank method.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids used are supported on Linux.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time used so far by the calling thread.
pub fn thread_cpu() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time used so far by the whole process (every thread).
pub fn process_cpu() -> Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// Wall time, client CPU time and the rest of the process' CPU time (the in-process server)
/// of one measured run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Elapsed wall-clock time.
    pub wall: Duration,
    /// CPU time of the client thread.
    pub client_cpu: Duration,
    /// CPU time of the other threads of the process (the server runtime).
    pub server_cpu: Duration,
}

/// Measures one run of `f` on the current thread.
pub struct Meter {
    wall: std::time::Instant,
    thread: Duration,
    process: Duration,
}

impl Meter {
    /// Starts measuring.
    pub fn start() -> Meter {
        Meter {
            thread: thread_cpu(),
            process: process_cpu(),
            wall: std::time::Instant::now(),
        }
    }

    /// Stops measuring.
    pub fn stop(self) -> Sample {
        let wall = self.wall.elapsed();
        let client_cpu = thread_cpu().saturating_sub(self.thread);
        let all = process_cpu().saturating_sub(self.process);
        Sample {
            wall,
            client_cpu,
            server_cpu: all.saturating_sub(client_cpu),
        }
    }
}

/// The spread of `f` of each sample, in seconds.
pub fn secs(samples: &[Sample], f: impl Fn(&Sample) -> std::time::Duration) -> Spread {
    Spread::of(
        &samples
            .iter()
            .map(|s| f(s).as_secs_f64())
            .collect::<Vec<_>>(),
    )
}

/// The spread of the ratios of `f` of each pair of samples (`a` over `b`).
pub fn ratios(a: &[Sample], b: &[Sample], f: impl Fn(&Sample) -> std::time::Duration) -> Spread {
    let r: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(a, b)| f(a).as_secs_f64() / f(b).as_secs_f64().max(1e-12))
        .collect();
    Spread::of(&r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_and_percentiles() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 10.0]);
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&values, 100.0), 100.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
