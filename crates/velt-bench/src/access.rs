//! `velt-bench access`: a whole access request (issue "Everything Velt holds") for a person with
//! many activity records and files, against the fake with latency: search, the GDPR exports,
//! every store, the files downloaded, the report. Wall time, CPU, and the peak resident memory
//! of the process (fake server and client in one process, as in benchmark (i)); with
//! `--big-file-mib`, one more file of that size, streamed by the fake and by the downloader.

use std::time::Duration;

use velt_api::search::Subject;
use velt_dsr::{
    files::FileOptions,
    request::{AccessOptions, access},
};
use velt_fake::FakeConfig;

use crate::{
    client::{client_runtime, crate_client},
    find::{peak_rss_mib, person_in_three_organizations},
    raw::BenchResult,
    server::Background,
    stats::Meter,
};

#[derive(Debug, clap::Args)]
pub struct AccessArgs {
    /// Activity records of each user in each organization it acts in (the person acts in two).
    #[arg(long, default_value_t = 5_000)]
    activities_per_user: usize,
    /// Files named by the person's exported items, served by the fake.
    #[arg(long, default_value_t = 200)]
    files: usize,
    /// Items of each feature per user and organization (at least files / 7).
    #[arg(long, default_value_t = 40)]
    items_per_feature: usize,
    /// One more file of this many MiB (0: none), streamed, never held whole in memory.
    #[arg(long, default_value_t = 0)]
    big_file_mib: u64,
    /// Latency the fake server adds to every API answer, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Worker threads of the server runtime.
    #[arg(long, default_value_t = 1)]
    server_threads: usize,
}

pub fn access_request(args: &AccessArgs) -> BenchResult<()> {
    let background = Background::new(args.server_threads)?;
    let fake = background.fake(FakeConfig {
        items_per_feature: args.items_per_feature,
        activities_per_user: args.activities_per_user,
        files: args.files,
        big_file_bytes: args.big_file_mib * 1024 * 1024,
        latency: Duration::from_millis(args.latency_ms),
        ..FakeConfig::default()
    })?;
    let runtime = client_runtime()?;
    let client = crate_client(&fake.base_url(), fake.api_key(), fake.auth_token())?;
    let dataset = fake.dataset();
    let (person, email) = person_in_three_organizations(dataset)?;
    let activities: usize = dataset
        .activity_organizations_of(&person)
        .iter()
        .map(|o| dataset.activity_records(o, &person).len())
        .sum();
    let served = dataset.files().len();
    let case = std::env::temp_dir().join(format!("velt-bench-access-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&case);
    println!(
        "access: {email}, {activities} activity records, {served} files served{}, {} ms latency",
        if args.big_file_mib > 0 {
            format!(" (one of {} MiB)", args.big_file_mib)
        } else {
            String::new()
        },
        args.latency_ms
    );
    let meter = Meter::start();
    let outcome = runtime.block_on(access(
        &client,
        AccessOptions {
            case: case.clone(),
            subject: Subject::email(&email),
            organization_ids: Vec::new(),
            concurrency: 8,
            received: chrono::Utc::now().date_naive(),
            notice_markdown: None,
            zip: false,
            files: FileOptions::default(),
        },
        &velt_dsr::event::ignore,
    ));
    let sample = meter.stop();
    let outcome = outcome.map_err(|e| format!("the access request failed: {e}"))?;
    let rows = |store: &str| -> u64 {
        outcome
            .coverage
            .iter()
            .filter(|r| r.store == store)
            .filter_map(|r| r.items)
            .sum()
    };
    let files = outcome.files.clone().unwrap_or_default();
    let _ = std::fs::remove_dir_all(&case);
    if rows("activities") != activities as u64 || files.files != served {
        return Err(format!(
            "collected {} activity records of {activities} and {} files of {served}",
            rows("activities"),
            files.files
        )
        .into());
    }
    println!(
        "wall {:.2} s, client CPU {:.2} s, server CPU {:.2} s, peak RSS {:.1} MiB (server and client)",
        sample.wall.as_secs_f64(),
        sample.client_cpu.as_secs_f64(),
        sample.server_cpu.as_secs_f64(),
        peak_rss_mib()
    );
    println!(
        "collected: {} activity records, {} files ({} bytes), {} judgments, calls served {}",
        rows("activities"),
        files.files,
        files.bytes,
        rows("judgments"),
        fake.request_count()
    );
    Ok(())
}
