//! Peak memory of fetching one large file: serves one file of N bytes from a server on
//! loopback (the configured origin) and fetches it into a temporary directory, then prints
//! the process's peak resident set (`VmHWM` in /proc/self/status) before and after.
//!
//! ```text
//! cargo run --release -p velt-files --example fetch_bench -- 1048576
//! cargo run --release -p velt-files --example fetch_bench -- 1073741824
//! ```
//!
//! The body is streamed to disk, so the peak should not grow with the file's size: results in
//! BENCHMARKS.md, "(i) Peak memory of fetching a file (`velt-files`)".

#[path = "../tests/testsuite/server.rs"]
mod server;

use server::{Body, Reply, Server};
use std::time::Instant;
use velt_files::{Fetcher, FileRef, Outcome};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let size: u64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 1024 * 1024,
    };
    let server = Server::start(move |_| Reply {
        body: Body::Repeat {
            byte: b'v',
            len: size,
        },
        ..Reply::ok("video/webm", "")
    })
    .await;
    let fetcher = Fetcher::builder()
        .origin(server.origin())
        .max_file_bytes(size.max(1))
        .max_run_bytes(size.max(1))
        .build()?;
    let dir = tempfile::tempdir()?;
    let before = peak_rss_kib();
    let started = Instant::now();
    let report = fetcher
        .fetch(
            [FileRef::new(server.url("/recording.webm"), ())],
            dir.path(),
            &|_| {},
        )
        .await?;
    let elapsed = started.elapsed();
    let after = peak_rss_kib();
    match &report.files[0].outcome {
        Outcome::Fetched(f) => println!("fetched {} bytes as {}", f.size, f.file),
        Outcome::NotFetched { reason } => return Err(format!("not fetched: {reason}").into()),
    }
    println!(
        "size {size} bytes; {:.2} s ({:.0} MiB/s); peak RSS before the fetch {} KiB, after {} KiB",
        elapsed.as_secs_f64(),
        size as f64 / 1024.0 / 1024.0 / elapsed.as_secs_f64().max(1e-9),
        before.map_or("?".to_owned(), |k| k.to_string()),
        after.map_or("?".to_owned(), |k| k.to_string()),
    );
    Ok(())
}
