//! `velt`: answer data requests against Velt from a terminal: export a user's data, erase it
//! and follow the erasure, look users up, or run a fake Velt to try all of it.
//!
//! Data goes to standard output, messages and progress to standard error. Exit codes: 0 when
//! everything worked (also when the reader of standard output stopped early), 1 when Velt or
//! the network failed (the message names the status and what to do; also a search that is
//! incomplete), 2 for a usage error, 3 when a complete search found nobody, 4 when a
//! deletion's outcome is unknown (sent, no answer: it may have started), 130 when
//! interrupted by Ctrl-C. Credentials come from `VELT_API_KEY` and `VELT_AUTH_TOKEN`, or
//! are not needed at all with `--fake`.

mod cli;
mod commands;
mod erasure;
mod failure;
mod output;
mod shared;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, LogFormat};

/// Logs to standard error: warnings (everything with --verbose, calls and attempts at debug
/// level), and for `velt serve` also its jobs and requests, as text or JSON lines.
fn init_logs(cli: &Cli) {
    let (serve, format) = match &cli.command {
        cli::Command::Serve(args) => (true, args.log_format),
        _ => (false, LogFormat::Text),
    };
    let level = match (cli.verbose, serve) {
        (true, _) => tracing::Level::DEBUG,
        (false, true) => tracing::Level::INFO,
        (false, false) => tracing::Level::WARN,
    };
    let spans = if cli.verbose {
        tracing_subscriber::fmt::format::FmtSpan::CLOSE
    } else {
        tracing_subscriber::fmt::format::FmtSpan::NONE
    };
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_span_events(spans)
        .with_max_level(level);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli);
    // One thread: an export's work per item is a JSON scan and a copy, and waiting on Velt
    // dominates, so more threads only add wake-ups (measured in BENCHMARKS.md (f)). Several
    // users' exports still run concurrently on it.
    // `velt serve` runs its jobs on threads of its own (velt-serve's `job_threads`).
    let mut builder = tokio::runtime::Builder::new_current_thread();
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        // Whoever read standard output stopped (`velt data export ... | head -1`): that is
        // their choice, not a failure.
        Err(failure::Failure::OutputClosed) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
