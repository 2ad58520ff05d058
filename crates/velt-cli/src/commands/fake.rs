//! `velt fake serve`: the built-in fake Velt server, for other programs.

use std::{io::Write, time::Duration};

use velt_fake::{FakeConfig, FakeVelt, Faults};

use crate::{cli::ServeArgs, failure::Failure};

/// `velt fake serve`: a fake Velt until Ctrl-C, with its base URL and demo credentials.
pub async fn exec(args: &ServeArgs) -> Result<(), Failure> {
    if !args.addr.ip().is_loopback() {
        return Err(Failure::Usage(format!(
            "--addr {} is not a loopback address; the fake server listens on 127.0.0.1 or [::1] only",
            args.addr
        )));
    }
    let config = FakeConfig {
        seed: args.seed,
        organizations: args.organizations,
        users: args.users,
        items_per_feature: args.items_per_feature,
        latency: Duration::from_millis(args.latency_ms),
        status_outage: Duration::from_secs(args.status_outage_secs),
        deletion_task_duration: Duration::from_millis(args.deletion_task_ms),
        deletion_leaves_comments: args.deletion_leaves_comments,
        gdpr_deletes_activities: args.gdpr_deletes_activities,
        faults: Faults {
            failing_organizations: args.fail_organizations.clone(),
            ..Faults::default()
        },
        ..FakeConfig::default()
    };
    let fake = FakeVelt::start_on(args.addr, config)
        .await
        .map_err(|e| Failure::Failed(format!("cannot listen on {}: {e}", args.addr)))?;
    println!("fake Velt listening on {}", fake.base_url());
    println!("export VELT_BASE_URL={}", fake.base_url());
    println!("export VELT_API_KEY={}", fake.api_key());
    println!("export VELT_AUTH_TOKEN={}", fake.auth_token());
    println!(
        "# organizations: org-0001..org-{:04}; users: user-0001..user-{:04}; {} items per feature; Ctrl-C stops",
        fake.dataset().organization_count(),
        args.users,
        args.items_per_feature
    );
    let _ = std::io::stdout().flush();
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::Failed(format!("cannot wait for Ctrl-C: {e}")))?;
    fake.shutdown().await;
    Ok(())
}
