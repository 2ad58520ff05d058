//! What each command does (the export lives in `export.rs`).

use std::{io::Write, time::Duration};

use velt_api::{Client, UsersQuery};
use velt_fake::{FakeConfig, FakeVelt};

use crate::{
    Cli, Command, DataCommand, FakeCommand, ServeArgs, UsersCommand, UsersGetArgs, erase, export,
    failure::{Failure, stdout_failure},
};

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Fake(FakeCommand::Serve(args)) => return serve(args).await,
        // A local check: no client, no credentials.
        Command::Data(DataCommand::VerifyExport(args)) => return export::verify(args),
        _ => {}
    }
    // With --fake the server lives as long as the command.
    let (client, _fake) = connect(&cli).await?;
    match cli.command {
        Command::Users(UsersCommand::Get(args)) => users_get(&client, args).await,
        Command::Data(DataCommand::Export(args)) => export::run(&client, args).await,
        Command::Data(DataCommand::Delete(args)) => erase::delete(&client, args).await,
        Command::Data(DataCommand::DeleteStatus(args)) => erase::delete_status(&client, args).await,
        Command::Fake(FakeCommand::Serve(_)) | Command::Data(DataCommand::VerifyExport(_)) => {
            Ok(())
        }
    }
}

/// The client, pointed at Velt or at an in-process fake server.
async fn connect(cli: &Cli) -> Result<(Client, Option<FakeVelt>), Failure> {
    if !cli.fake {
        let client = Client::builder().base_url(&cli.base_url).build()?;
        return Ok((client, None));
    }
    let fake = FakeVelt::start(FakeConfig::default())
        .await
        .map_err(|e| Failure::Failed(format!("cannot start the fake Velt server: {e}")))?;
    eprintln!(
        "fake Velt at {} (seed {}): organizations org-0001..org-{:04}, users user-0001..user-{:04}",
        fake.base_url(),
        fake.config().seed,
        fake.config().organizations,
        fake.config().users
    );
    let client = Client::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .auth_token(fake.auth_token())
        .build()?;
    Ok((client, Some(fake)))
}

pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| stdout_failure(e.into()))?;
    writeln!(out).map_err(stdout_failure)
}

async fn users_get(client: &Client, args: UsersGetArgs) -> Result<(), Failure> {
    let mut query = UsersQuery::organization(args.organization_id)
        .user_ids(args.user_ids)
        .group_ids(args.group_ids);
    if let Some(document_id) = args.document_id {
        query = query.document(document_id);
    }
    let users = client.get_users(&query).await?;
    print_json(&users)
}

async fn serve(args: &ServeArgs) -> Result<(), Failure> {
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
