//! `velt-bench`: benchmarks of the velt-api client on this machine, each against the fake
//! Velt server started in this process (on its own threads). See `BENCHMARKS.md` at the
//! repository root for the method and the results.
//!
//! - `throughput`: one user's export, the crate's item stream against a minimal reqwest +
//!   serde_json loop sending the same requests, from the fake server and from a server of
//!   pre-generated pages.
//! - `overhead`: per-call latency on an empty page, p50 and p99, crate against raw loop.
//! - `many-users`: many users' exports one at a time against `Export::concurrently`.
//! - `find`: finding one email among thousands of organizations, one call at a time against
//!   bounded concurrency (`Client::find_person`).
//!
//! - `access`: a whole access request with many activity records and files.
//! - `serve`: many platform jobs through `velt serve`, with a `kill -9` in the middle.
//!
//! The peak-memory benchmark of `velt data export` is `crates/velt-bench/rss.sh`, and the
//! build-time one `crates/velt-bench/build-times.sh`.

mod access;
mod client;
mod find;
mod raw;
mod serve;
mod server;
mod stats;

use std::{process::ExitCode, time::Instant};

use clap::{Parser, Subcommand, ValueEnum};
use futures::{StreamExt, TryStreamExt};
use velt_api::export::Export;
use velt_fake::FakeConfig;

use crate::{
    client::{client_runtime, crate_client},
    raw::{BenchResult, Raw},
    server::{Background, record_pages},
    stats::{Meter, Sample, Spread, percentile, ratios, secs},
};

/// Benchmarks of the velt-api client against a hand-written reqwest loop.
#[derive(Debug, Parser)]
#[command(name = "velt-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One user's whole export: crate item stream against the raw reqwest loop.
    Throughput(ThroughputArgs),
    /// Per-call latency on an empty page (p50, p99): crate against the raw reqwest loop.
    Overhead(OverheadArgs),
    /// Many users' exports: one at a time against bounded concurrency.
    ManyUsers(ManyUsersArgs),
    /// Finding one email among many organizations: one call at a time against bounded
    /// concurrency.
    Find(find::FindArgs),
    /// A whole access request for a person with many activity records and files: wall time,
    /// CPU and peak memory (issue "Everything Velt holds").
    Access(access::AccessArgs),
    /// Many Transcend jobs sent at once to `velt serve` (a child process), killed with
    /// SIGKILL in the middle and started again: time, peak memory, jobs lost or done twice
    /// (issue "Let privacy platforms drive it").
    Serve(serve::ServeArgs),
}

/// Which server `throughput` reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ServerKind {
    /// The fake Velt server, which generates every item of every page on each request.
    Fake,
    /// A server of the same pages, generated once beforehand and served from memory.
    Cached,
    /// Both, one after the other.
    Both,
}

#[derive(Debug, clap::Args)]
struct ThroughputArgs {
    /// Items of each of the four features of the one user (100 per feature per page).
    #[arg(long, default_value_t = 25_000)]
    items_per_feature: usize,
    /// Measured runs of each client.
    #[arg(long, default_value_t = 7)]
    reps: usize,
    /// Unmeasured runs of each client first.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Which server to read from.
    #[arg(long, value_enum, default_value = "both")]
    server: ServerKind,
    /// Worker threads of the server runtime.
    #[arg(long, default_value_t = 1)]
    server_threads: usize,
}

#[derive(Debug, clap::Args)]
struct OverheadArgs {
    /// Measured calls of each client per round.
    #[arg(long, default_value_t = 500)]
    calls: usize,
    /// Rounds (each client's calls in one block per round, alternating which goes first).
    /// Many short rounds: a burst of load from other programs then spoils a few rounds of
    /// both clients, which the median over rounds leaves out.
    #[arg(long, default_value_t = 21)]
    rounds: usize,
    /// Unmeasured calls of each client first.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Worker threads of the server runtime.
    #[arg(long, default_value_t = 1)]
    server_threads: usize,
}

#[derive(Debug, clap::Args)]
struct ManyUsersArgs {
    /// Users to export, each from its first organization.
    #[arg(long, default_value_t = 1_000)]
    users: usize,
    /// Organizations of the fake workspace.
    #[arg(long, default_value_t = 3)]
    organizations: usize,
    /// Items of each feature per user (up to 100 fit one page). Small by default: the fake
    /// server generates every item on this machine's CPUs, work a real Velt does elsewhere,
    /// and with many items that work, not the latency, bounds the concurrent runs.
    #[arg(long, default_value_t = 1)]
    items_per_feature: usize,
    /// Latency the fake server adds to every answer, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Concurrency levels to measure against one-at-a-time (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "32")]
    concurrency: Vec<usize>,
    /// Measured runs of each mode.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Worker threads of the server runtime.
    #[arg(long, default_value_t = 1)]
    server_threads: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Other programs share the CPUs: the load average before and after says how much.
    println!("load average before: {}", load_average());
    let result = match cli.command {
        Command::Throughput(args) => throughput(&args),
        Command::Overhead(args) => overhead(&args),
        Command::ManyUsers(args) => many_users(&args),
        Command::Find(args) => find::find(&args),
        Command::Access(args) => access::access_request(&args),
        Command::Serve(args) => serve::serve(&args),
    };
    match result {
        Ok(()) => {
            println!("\nload average after: {}", load_average());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("velt-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The first three fields of `/proc/loadavg` (1, 5 and 15 minutes), and the CPU count.
fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{load} ({cpus} CPUs)")
}

const ORG: &str = "org-0001";
const USER: &str = "user-0001";

fn throughput(args: &ThroughputArgs) -> BenchResult<()> {
    let background = Background::new(args.server_threads)?;
    let fake = background.fake(FakeConfig {
        organizations: 1,
        users: 1,
        items_per_feature: args.items_per_feature,
        ..FakeConfig::default()
    })?;
    let runtime = client_runtime()?;
    let expected = fake.dataset().expected_items(ORG, USER).count();
    println!(
        "throughput: export of {USER} in {ORG}, {} items per feature, {expected} items, {} pages",
        args.items_per_feature,
        args.items_per_feature.div_ceil(100).max(1)
    );
    if matches!(args.server, ServerKind::Fake | ServerKind::Both) {
        run_throughput(
            &runtime,
            "fake server (generates the items on every request)",
            &fake.base_url(),
            fake.api_key(),
            fake.auth_token(),
            args,
            expected,
        )?;
    }
    if matches!(args.server, ServerKind::Cached | ServerKind::Both) {
        let raw = Raw::new(&fake.base_url(), fake.api_key(), fake.auth_token())?;
        let pages = runtime.block_on(record_pages(&raw, ORG, USER))?;
        let bytes: usize = pages.values().map(|b| b.len()).sum();
        let addr = background.cached(pages)?;
        run_throughput(
            &runtime,
            &format!(
                "pre-generated pages served from memory ({:.1} MB of JSON)",
                bytes as f64 / 1e6
            ),
            &format!("http://{addr}"),
            fake.api_key(),
            fake.auth_token(),
            args,
            expected,
        )?;
    }
    Ok(())
}

/// The clients `throughput` compares, each reading the whole export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reader {
    /// reqwest + `serde_json::Value`, counting the items.
    Raw,
    /// The same, also writing each item as an NDJSON line (to a sink).
    RawNdjson,
    /// The crate's `items()`, counting the items.
    Items,
    /// The crate's `write_ndjson` (to a sink).
    WriteNdjson,
}

impl Reader {
    const ALL: [Reader; 4] = [
        Reader::Raw,
        Reader::RawNdjson,
        Reader::Items,
        Reader::WriteNdjson,
    ];

    fn name(self) -> &'static str {
        match self {
            Reader::Raw => "raw reqwest+Value",
            Reader::RawNdjson => "raw reqwest+Value+NDJSON",
            Reader::Items => "velt-api items()",
            Reader::WriteNdjson => "velt-api write_ndjson",
        }
    }

    /// Reads the whole export; the number of items.
    async fn read(self, raw: &Raw, client: &velt_api::Client) -> BenchResult<usize> {
        // Lines go through a buffered writer to a sink, as they would to a file.
        let mut sink = std::io::BufWriter::with_capacity(256 * 1024, std::io::sink());
        Ok(match self {
            Reader::Raw => raw.export(ORG, USER, None).await?.0,
            Reader::RawNdjson => raw.export(ORG, USER, Some(&mut sink)).await?.0,
            Reader::Items => {
                let mut items = client.export_user_data(ORG, USER).items();
                let mut n = 0usize;
                while let Some(_item) = items.try_next().await? {
                    n += 1;
                }
                n
            }
            Reader::WriteNdjson => {
                client
                    .export_user_data(ORG, USER)
                    .write_ndjson(&mut sink)
                    .await?
                    .items
            }
        })
    }
}

fn run_throughput(
    runtime: &tokio::runtime::Runtime,
    label: &str,
    base_url: &str,
    api_key: &str,
    auth_token: &str,
    args: &ThroughputArgs,
    expected: usize,
) -> BenchResult<()> {
    let raw = Raw::new(base_url, api_key, auth_token)?;
    let client = crate_client(base_url, api_key, auth_token)?;
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); Reader::ALL.len()];
    for run in 0..args.warmup + args.reps {
        // Each run starts with another reader, so that none always goes first.
        for turn in 0..Reader::ALL.len() {
            let index = (run + turn) % Reader::ALL.len();
            let reader = Reader::ALL[index];
            let meter = Meter::start();
            let items = runtime.block_on(reader.read(&raw, &client))?;
            let sample = meter.stop();
            if items != expected {
                return Err(format!(
                    "{} counted {items} items, expected {expected}",
                    reader.name()
                )
                .into());
            }
            if run >= args.warmup {
                samples[index].push(sample);
            }
        }
    }
    println!("\n== {label} ==");
    println!(
        "{} warm-up + {} measured runs per client, rotating the order; median (min..max)",
        args.warmup, args.reps
    );
    println!(
        "{:<26} {:<28} {:<28} {:<28}",
        "client", "wall s", "client CPU s", "server CPU s"
    );
    for (reader, samples) in Reader::ALL.iter().zip(&samples) {
        println!(
            "{:<26} {:<28} {:<28} {:<28}",
            reader.name(),
            secs(samples, |s| s.wall).show(3, ""),
            secs(samples, |s| s.client_cpu).show(3, ""),
            secs(samples, |s| s.server_cpu).show(3, ""),
        );
    }
    for (reader, samples) in Reader::ALL.iter().zip(&samples) {
        let cpu = secs(samples, |s| s.client_cpu).median;
        println!(
            "{:<26} items/s (wall) {:.0}; client CPU {:.1} µs/item",
            reader.name(),
            expected as f64 / secs(samples, |s| s.wall).median,
            cpu * 1e6 / expected as f64,
        );
    }
    for (crate_reader, raw_reader) in [(2, 0), (3, 1)] {
        println!(
            "client CPU {} / {}: ratio of medians {:.3}, paired {}",
            Reader::ALL[crate_reader].name(),
            Reader::ALL[raw_reader].name(),
            secs(&samples[crate_reader], |s| s.client_cpu).median
                / secs(&samples[raw_reader], |s| s.client_cpu).median,
            ratios(&samples[crate_reader], &samples[raw_reader], |s| s
                .client_cpu)
            .show(3, ""),
        );
    }
    Ok(())
}

fn overhead(args: &OverheadArgs) -> BenchResult<()> {
    let background = Background::new(args.server_threads)?;
    let fake = background.fake(FakeConfig {
        organizations: 1,
        users: 1,
        items_per_feature: 1,
        ..FakeConfig::default()
    })?;
    let runtime = client_runtime()?;
    let (base_url, key, token) = (fake.base_url(), fake.api_key(), fake.auth_token());
    let raw = Raw::new(&base_url, key, token)?;
    let client = crate_client(&base_url, key, token)?;
    // An unknown user gets a successful, empty last page.
    const NOBODY: &str = "user-nobody";

    let one = |crate_turn: bool| {
        let (raw, client) = (&raw, &client);
        async move {
            if crate_turn {
                let page = client.get_user_data_page(ORG, NOBODY, None).await?;
                if !page.is_empty() || page.next_page_token.is_some() {
                    return Err("the crate got a non-empty page".into());
                }
            } else {
                let (items, next) = raw.page(ORG, NOBODY, None, None).await?;
                if items != 0 || next.is_some() {
                    return Err("the raw loop got a non-empty page".into());
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }
    };

    runtime.block_on(async {
        for _ in 0..args.warmup {
            one(false).await?;
            one(true).await?;
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    })?;

    // Per round and client: p50, p99 (µs) and client CPU per call (µs).
    let mut stats: [Vec<(f64, f64, f64)>; 2] = [Vec::new(), Vec::new()];
    let mut pooled: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..args.rounds {
        for crate_turn in [round % 2 == 1, round % 2 == 0] {
            let mut latencies = Vec::with_capacity(args.calls);
            let meter = Meter::start();
            runtime.block_on(async {
                for _ in 0..args.calls {
                    let started = Instant::now();
                    one(crate_turn).await?;
                    latencies.push(started.elapsed().as_secs_f64() * 1e6);
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })?;
            let sample = meter.stop();
            let cpu_per_call = sample.client_cpu.as_secs_f64() * 1e6 / args.calls as f64;
            let i = usize::from(crate_turn);
            stats[i].push((
                percentile(&latencies, 50.0),
                percentile(&latencies, 99.0),
                cpu_per_call,
            ));
            pooled[i].extend(latencies);
        }
    }

    println!(
        "overhead: Get All User Data of an unknown user (empty last page), {} rounds x {} calls per client after {} warm-up calls",
        args.rounds, args.calls, args.warmup
    );
    println!("per round, median (min..max) over rounds; pooled = over all calls");
    println!(
        "{:<22} {:<26} {:<26} {:<26} {:>10} {:>10}",
        "client", "p50 µs", "p99 µs", "client CPU µs/call", "pooled p50", "pooled p99"
    );
    let column = |i: usize, f: fn(&(f64, f64, f64)) -> f64| {
        Spread::of(&stats[i].iter().map(f).collect::<Vec<_>>())
    };
    for (i, name) in [(0, "raw reqwest+serde_json"), (1, "velt-api")] {
        println!(
            "{:<22} {:<26} {:<26} {:<26} {:>10.1} {:>10.1}",
            name,
            column(i, |s| s.0).show(1, ""),
            column(i, |s| s.1).show(1, ""),
            column(i, |s| s.2).show(1, ""),
            percentile(&pooled[i], 50.0),
            percentile(&pooled[i], 99.0),
        );
    }
    let (p50_raw, p50_crate) = (column(0, |s| s.0).median, column(1, |s| s.0).median);
    let (p99_raw, p99_crate) = (column(0, |s| s.1).median, column(1, |s| s.1).median);
    let (cpu_raw, cpu_crate) = (column(0, |s| s.2).median, column(1, |s| s.2).median);
    println!(
        "velt-api minus raw: p50 {:+.1} µs ({:.2}x), p99 {:+.1} µs ({:.2}x), client CPU {:+.1} µs/call ({:.2}x)",
        p50_crate - p50_raw,
        p50_crate / p50_raw,
        p99_crate - p99_raw,
        p99_crate / p99_raw,
        cpu_crate - cpu_raw,
        cpu_crate / cpu_raw
    );
    Ok(())
}

fn many_users(args: &ManyUsersArgs) -> BenchResult<()> {
    let background = Background::new(args.server_threads)?;
    let fake = background.fake(FakeConfig {
        organizations: args.organizations,
        users: args.users,
        items_per_feature: args.items_per_feature,
        latency: std::time::Duration::from_millis(args.latency_ms),
        ..FakeConfig::default()
    })?;
    let runtime = client_runtime()?;
    let client = crate_client(&fake.base_url(), fake.api_key(), fake.auth_token())?;
    let dataset = fake.dataset();
    let mut pairs = Vec::new();
    let mut expected = 0;
    for user in dataset.user_ids() {
        let org = dataset
            .organizations_of(&user)
            .into_iter()
            .next()
            .ok_or_else(|| format!("{user} belongs to no organization"))?;
        expected += dataset.expected_items(&org, &user).count();
        pairs.push((org, user));
    }
    let pages_per_user = args.items_per_feature.div_ceil(100).max(1);
    let exports = || -> Vec<Export> {
        pairs
            .iter()
            .map(|(org, user)| client.export_user_data(org, user))
            .collect()
    };
    let sequential = || {
        runtime.block_on(async {
            let mut items = 0;
            for export in exports() {
                let mut pages = export.pages();
                while let Some(page) = pages.try_next().await? {
                    items += page.len();
                }
            }
            Ok::<_, velt_api::Error>(items)
        })
    };
    let concurrent = |concurrency: usize| {
        runtime.block_on(async {
            let mut items = 0;
            let mut pages = Export::concurrently(exports(), concurrency);
            while let Some(page) = pages.next().await {
                items += page.page?.len();
            }
            Ok::<_, velt_api::Error>(items)
        })
    };
    let check = |items: usize, mode: &str| -> BenchResult<()> {
        if items == expected {
            Ok(())
        } else {
            Err(format!("{mode}: {items} items, expected {expected}").into())
        }
    };

    println!(
        "many-users: {} users ({} organizations), {} items per feature ({} page(s) each, {expected} items in all), {} ms server latency",
        args.users, args.organizations, args.items_per_feature, pages_per_user, args.latency_ms
    );
    // Warm-up: open the connections the highest concurrency needs.
    let top = args.concurrency.iter().copied().max().unwrap_or(1);
    check(concurrent(top)?, "warm-up")?;

    let mut seq = Vec::new();
    let mut conc: Vec<Vec<Sample>> = vec![Vec::new(); args.concurrency.len()];
    for _ in 0..args.reps {
        let meter = Meter::start();
        check(sequential()?, "one at a time")?;
        seq.push(meter.stop());
        for (i, &c) in args.concurrency.iter().enumerate() {
            let meter = Meter::start();
            check(concurrent(c)?, &format!("concurrency {c}"))?;
            conc[i].push(meter.stop());
        }
    }
    let seq_wall = secs(&seq, |s| s.wall);
    let floor = (args.users * pages_per_user) as f64 * args.latency_ms as f64 / 1000.0;
    println!(
        "{} measured runs per mode (after one warm-up at concurrency {top}); median (min..max)",
        args.reps
    );
    println!(
        "{:<16} {:<26} {:<22} {:<22} speed-up (worst case)",
        "mode", "wall s", "client CPU s", "server CPU s"
    );
    let row = |mode: &str, samples: &[Sample], speed_up: String| {
        println!(
            "{:<16} {:<26} {:<22} {:<22} {speed_up}",
            mode,
            secs(samples, |s| s.wall).show(3, ""),
            secs(samples, |s| s.client_cpu).show(2, ""),
            secs(samples, |s| s.server_cpu).show(2, ""),
        )
    };
    row(
        "one at a time",
        &seq,
        format!("1x (latency floor {floor:.2} s)"),
    );
    for (i, &c) in args.concurrency.iter().enumerate() {
        let wall = secs(&conc[i], |s| s.wall);
        row(
            &format!("concurrency {c}"),
            &conc[i],
            format!(
                "{:.1}x ({:.1}x); latency floor {:.2} s",
                seq_wall.median / wall.median,
                seq_wall.min / wall.max,
                floor / c.min(args.users).max(1) as f64
            ),
        );
    }
    Ok(())
}
