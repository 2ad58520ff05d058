//! What the commands show: JSON on standard output, and progress on standard error (a
//! spinner with a message when standard error is a terminal, nothing otherwise: callers print
//! plain lines instead).

use std::{
    io::{IsTerminal, Write},
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressStyle};

use crate::failure::{Failure, stdout_failure};

/// Prints `value` as pretty JSON and a newline on standard output.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| stdout_failure(e.into()))?;
    writeln!(out).map_err(stdout_failure)
}

/// `1h02m`, `3m05s`, `12s`.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// A progress line on standard error (what is done, items, rate), only when it is a
/// terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    items_at_start: usize,
}

/// A spinner with a message on standard error, or `None` when standard error is not a
/// terminal (then progress is not shown, or shown as plain lines by the caller).
pub fn spinner() -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    })
}

impl Progress {
    pub fn new(items_at_start: usize) -> Progress {
        Progress {
            bar: spinner(),
            started: Instant::now(),
            items_at_start,
        }
    }

    pub fn update(&self, done: &str, items: usize) {
        if let Some(bar) = &self.bar {
            let rate = items.saturating_sub(self.items_at_start) as f64
                / self.started.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!("{done}, {items} items, {rate:.0} items/s"));
        }
    }

    /// Shows `message` as it is (e.g. a search's organizations and calls).
    pub fn message(&self, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    pub fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
