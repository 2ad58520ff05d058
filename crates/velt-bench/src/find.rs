//! `velt-bench find`: finding one email among many organizations, one call at a time against
//! bounded concurrency (issue 17).

use std::time::Duration;

use velt_api::search::{Search, SearchOptions, Subject};
use velt_fake::FakeConfig;

use crate::{
    client::{client_runtime, crate_client},
    raw::BenchResult,
    server::Background,
    stats::{Meter, Sample, secs},
};

#[derive(Debug, clap::Args)]
pub struct FindArgs {
    /// Organizations of the fake workspace.
    #[arg(long, default_value_t = 2_000)]
    organizations: usize,
    /// Members of each organization.
    #[arg(long, default_value_t = 50)]
    users_per_organization: usize,
    /// Latency the fake server adds to every answer, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Concurrency levels to measure against one call at a time (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "16")]
    concurrency: Vec<usize>,
    /// Measured runs of each mode.
    #[arg(long, default_value_t = 1)]
    reps: usize,
    /// Worker threads of the server runtime.
    #[arg(long, default_value_t = 1)]
    server_threads: usize,
}

/// Peak resident memory of this process (server and client), from `/proc/self/status`.
pub fn peak_rss_mib() -> f64 {
    peak_rss_mib_of("self")
}

/// The peak resident memory of process `pid` (`self` for this one), in MiB (NaN where
/// `/proc` does not say).
pub fn peak_rss_mib_of(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The fake workspace's person in three organizations (Jane Doe): user id and email.
pub fn person_in_three_organizations(
    dataset: &velt_fake::Dataset,
) -> BenchResult<(String, String)> {
    let person = dataset
        .multi_organization_user()
        .ok_or("the workspace has no person in three organizations")?;
    let email = dataset
        .user(&person)
        .ok_or("the person is not in the dataset")?
        .email;
    Ok((person, email))
}

pub fn find(args: &FindArgs) -> BenchResult<()> {
    let background = Background::new(args.server_threads)?;
    let fake = background.fake(FakeConfig {
        organizations: args.organizations,
        users: args.organizations * args.users_per_organization,
        items_per_feature: 1,
        latency: Duration::from_millis(args.latency_ms),
        ..FakeConfig::default()
    })?;
    let runtime = client_runtime()?;
    let client = crate_client(&fake.base_url(), fake.api_key(), fake.auth_token())?;
    let dataset = fake.dataset();
    let (person, email) = person_in_three_organizations(dataset)?;
    let email = email.to_uppercase();
    let want: Vec<String> = dataset.organizations_of(&person);

    let search = |concurrency: usize| -> BenchResult<(Search, Sample)> {
        let meter = Meter::start();
        let search = runtime.block_on(client.find_person(
            Subject::email(&email),
            SearchOptions {
                concurrency,
                ..SearchOptions::default()
            },
        ))?;
        let sample = meter.stop();
        let found = search.organization_ids();
        if !search.search.complete || found != want {
            return Err(format!(
                "concurrency {concurrency}: found {found:?} (complete: {}), expected {want:?}",
                search.search.complete
            )
            .into());
        }
        Ok((search, sample))
    };

    println!(
        "find: one email ({email}, in {} organizations) among {} organizations of {} members, {} ms server latency",
        want.len(),
        args.organizations,
        args.users_per_organization,
        args.latency_ms
    );
    let mut modes: Vec<usize> = vec![1];
    modes.extend(args.concurrency.iter().copied());
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); modes.len()];
    let mut calls = vec![0; modes.len()];
    for _ in 0..args.reps {
        for (i, &c) in modes.iter().enumerate() {
            let requests_before = fake.request_count();
            let (found, sample) = search(c)?;
            let served = fake.request_count() - requests_before;
            if served != found.search.calls {
                return Err(format!(
                    "the search counted {} calls, the server {served}",
                    found.search.calls
                )
                .into());
            }
            calls[i] = served;
            samples[i].push(sample);
        }
    }
    println!("{} measured run(s) per mode; median (min..max)", args.reps);
    println!(
        "{:<16} {:>8} {:<26} {:<22} speed-up",
        "mode", "calls", "wall s", "client CPU s"
    );
    let base = secs(&samples[0], |s| s.wall);
    for (i, &c) in modes.iter().enumerate() {
        let wall = secs(&samples[i], |s| s.wall);
        println!(
            "{:<16} {:>8} {:<26} {:<22} {:.1}x (worst case {:.1}x); latency floor {:.2} s",
            if c == 1 {
                "one at a time".to_owned()
            } else {
                format!("concurrency {c}")
            },
            calls[i],
            wall.show(3, ""),
            secs(&samples[i], |s| s.client_cpu).show(2, ""),
            base.median / wall.median,
            base.min / wall.max,
            calls[i] as f64 * args.latency_ms as f64 / 1000.0 / c as f64,
        );
    }
    println!(
        "peak RSS of the process (fake server and client): {:.1} MiB",
        peak_rss_mib()
    );
    Ok(())
}
