//! What each command does (the export lives in `export.rs`).

use std::{
    io::{BufRead, IsTerminal, Write},
    time::Duration,
};

use velt_api::{Client, DeleteRequest, DeletionScope, DeletionStatus, UsersQuery, WaitOptions};
use velt_fake::{FakeConfig, FakeVelt};

use crate::{
    Cli, Command, DataCommand, DeleteArgs, DeleteStatusArgs, FakeCommand, ServeArgs, UsersCommand,
    UsersGetArgs, export,
    failure::{Failure, stdout_failure},
    progress,
};

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Fake(FakeCommand::Serve(args)) = &cli.command {
        return serve(args).await;
    }
    // With --fake the server lives as long as the command.
    let (client, _fake) = connect(&cli).await?;
    match cli.command {
        Command::Users(UsersCommand::Get(args)) => users_get(&client, args).await,
        Command::Data(DataCommand::Export(args)) => export::run(&client, args).await,
        Command::Data(DataCommand::Delete(args)) => delete(&client, args).await,
        Command::Data(DataCommand::DeleteStatus(args)) => delete_status(&client, args).await,
        Command::Fake(FakeCommand::Serve(_)) => Ok(()),
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

fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
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

async fn delete(client: &Client, args: DeleteArgs) -> Result<(), Failure> {
    let scope = if args.organization_ids.is_empty() {
        DeletionScope::AllOrganizations
    } else {
        DeletionScope::Organizations(args.organization_ids.clone())
    };
    let request = DeleteRequest::new(args.user_ids.clone(), scope);
    if !args.yes {
        confirm(&request)?;
    }
    let jobs = match client.delete_user_data(&request).await {
        Ok(jobs) => jobs,
        Err(velt_api::Error::DeletionIncomplete {
            started,
            unsent_user_ids,
            source,
        }) => {
            for job in &started {
                println!("{}", job.job_id);
            }
            return Err(Failure::Failed(format!(
                "{source}\n{} job(s) started (printed above); these users were NOT sent, run the command again for them: {}",
                started.len(),
                unsent_user_ids.join(" ")
            )));
        }
        Err(error) => return Err(error.into()),
    };
    for job in &jobs {
        println!("{}", job.job_id);
        eprintln!(
            "started deletion job {} for {} user(s){}",
            job.job_id,
            job.user_ids.len(),
            job.tasks_count
                .map(|n| format!(", {n} task(s)"))
                .unwrap_or_default()
        );
    }
    if args.wait {
        for job in &jobs {
            wait(client, &job.job_id).await?;
        }
    }
    Ok(())
}

/// Asks on the terminal before erasing anything; refuses when nobody can answer.
fn confirm(request: &DeleteRequest) -> Result<(), Failure> {
    let scope = match request.scope() {
        DeletionScope::AllOrganizations => {
            "in EVERY organization of the workspace (no --organization-id given)".to_owned()
        }
        DeletionScope::Organizations(ids) => format!("in organization(s) {}", ids.join(", ")),
    };
    let users = request.user_ids();
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(format!(
            "refusing to erase {} user(s) {scope} without confirmation: standard input is not a terminal; pass --yes",
            users.len()
        )));
    }
    let shown: Vec<&str> = users.iter().take(10).map(String::as_str).collect();
    let more = users.len().saturating_sub(shown.len());
    eprint!(
        "This erases all data of {} user(s) ({}{}) {scope}. It cannot be undone.\nType 'yes' to continue: ",
        users.len(),
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::Failed(format!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::Usage("not confirmed; nothing was deleted".into()))
    }
}

async fn delete_status(client: &Client, args: DeleteStatusArgs) -> Result<(), Failure> {
    let status = if args.wait {
        wait(client, &args.job_id).await?
    } else {
        client.deletion_status(&args.job_id).await?
    };
    print_json(&serde_json::json!({
        "jobId": args.job_id,
        "completed": status.completed,
        "tasksLeft": status.tasks_left,
        "lastTaskCompletedAt": status.last_task_completed_at,
    }))
}

/// Polls a job until it completes, with a spinner on a terminal and a line per change
/// otherwise.
async fn wait(client: &Client, job_id: &str) -> Result<DeletionStatus, Failure> {
    let bar = progress::spinner();
    let options = WaitOptions {
        first_interval: Duration::from_millis(500),
        max_interval: Duration::from_secs(30),
        ..WaitOptions::default()
    };
    let mut last_left = None;
    let describe = |s: &DeletionStatus| match (s.completed, s.tasks_left) {
        (true, _) => format!("job {job_id}: completed"),
        (false, Some(n)) => format!("job {job_id}: {n} task(s) left"),
        (false, None) => format!("job {job_id}: running"),
    };
    let result = client
        .wait_for_deletion(job_id, options, |status| match &bar {
            Some(bar) => bar.set_message(describe(status)),
            None if last_left != Some((status.completed, status.tasks_left)) => {
                last_left = Some((status.completed, status.tasks_left));
                eprintln!("{}", describe(status));
            }
            None => {}
        })
        .await;
    let status = match bar {
        Some(bar) => {
            bar.finish_and_clear();
            let status = result?;
            eprintln!("{}", describe(&status));
            status
        }
        None => result?,
    };
    Ok(status)
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
        users: args.users,
        items_per_feature: args.items_per_feature,
        latency: Duration::from_millis(args.latency_ms),
        ..FakeConfig::default()
    };
    let fake = FakeVelt::start_on(args.addr, config)
        .await
        .map_err(|e| Failure::Failed(format!("cannot listen on {}: {e}", args.addr)))?;
    println!("fake Velt listening on {}", fake.base_url());
    println!("export VELT_BASE_URL={}", fake.base_url());
    println!("export VELT_API_KEY={}", fake.api_key());
    println!("export VELT_AUTH_TOKEN={}", fake.auth_token());
    let organizations: Vec<String> = fake.dataset().organization_ids().collect();
    println!(
        "# organizations: {}; users: user-0001..user-{:04}; {} items per feature; Ctrl-C stops",
        organizations.join(" "),
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
