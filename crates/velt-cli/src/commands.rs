//! What each command does, and how failures become messages and exit codes.

use std::{fmt, io::Write, time::Duration};

use futures::StreamExt;
use velt_api::{Client, UsersQuery};
use velt_fake::{FakeConfig, FakeVelt};

use crate::{
    Cli, Command, DataCommand, ExportArgs, FakeCommand, Format, ServeArgs, UsersCommand,
    UsersGetArgs, erase, export_file,
};

/// Why a command failed; decides the message and the exit code.
#[derive(Debug)]
pub enum Failure {
    /// The command line or its input is wrong: exit 2.
    Usage(String),
    /// Velt, the network or the local file system failed: exit 1.
    Failed(String),
    /// Interrupted by Ctrl-C: exit 130.
    Interrupted(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Failed(_) => 1,
            Failure::Interrupted(_) => 130,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(message) | Failure::Failed(message) => write!(f, "error: {message}"),
            Failure::Interrupted(message) => write!(f, "interrupted: {message}"),
        }
    }
}

impl From<velt_api::Error> for Failure {
    fn from(error: velt_api::Error) -> Self {
        use velt_api::Error as E;
        match &error {
            E::InvalidInput { .. } => Failure::Usage(error.to_string()),
            E::Config(_) => Failure::Usage(format!(
                "{error}\nhint: set VELT_API_KEY and VELT_AUTH_TOKEN (from the Velt console), or try --fake"
            )),
            _ if error.is_auth() => Failure::Failed(format!(
                "{error}\nhint: Velt refused the credentials; check VELT_API_KEY and VELT_AUTH_TOKEN"
            )),
            _ if error.is_retryable() => Failure::Failed(format!(
                "{error}\nhint: Velt or the network failed even after retries; try again later"
            )),
            _ => Failure::Failed(error.to_string()),
        }
    }
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    if let Command::Fake(FakeCommand::Serve(args)) = &cli.command {
        return serve(args).await;
    }
    // With --fake the server lives as long as the command.
    let (client, _fake) = connect(&cli).await?;
    match cli.command {
        Command::Users(UsersCommand::Get(args)) => users_get(&client, args).await,
        Command::Data(DataCommand::Export(args)) => export(&client, args).await,
        Command::Data(DataCommand::Delete(args)) => erase::delete(&client, args).await,
        Command::Data(DataCommand::DeleteStatus(args)) => erase::delete_status(&client, args).await,
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

pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(|e| Failure::Failed(format!("cannot write to standard output: {e}")))?;
    writeln!(out).map_err(|e| Failure::Failed(format!("cannot write to standard output: {e}")))
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

/// The users named by `--user-id` and `--user-ids-file`, in order, each once.
fn user_ids(args: &ExportArgs) -> Result<Vec<String>, Failure> {
    let mut ids = args.user_ids.clone();
    if let Some(path) = &args.user_ids_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!(
                "cannot read --user-ids-file {}: {e}",
                path.display()
            ))
        })?;
        ids.extend(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned),
        );
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.is_empty() {
        return Err(Failure::Usage(
            "no user ids given; pass --user-id or a non-empty --user-ids-file".into(),
        ));
    }
    Ok(ids)
}

async fn export(client: &Client, args: ExportArgs) -> Result<(), Failure> {
    let users = user_ids(&args)?;
    let organization = args.organization_id.as_str();
    let export = async {
        match (&args.out, &args.out_dir, users.as_slice()) {
            (Some(path), _, [user]) => {
                export_file::export_to_file(client, organization, user, path, &args).await
            }
            (Some(_), _, _) => Err(Failure::Usage(
                "--out takes the export of one user; use --out-dir DIR for several".into(),
            )),
            (None, Some(dir), users) => {
                export_file::export_users_to_dir(client, organization, users, dir, &args).await
            }
            (None, None, [user]) => export_to_stdout(client, organization, user, args.format).await,
            (None, None, users) => export_users_to_stdout(client, organization, users, &args).await,
        }
    };
    tokio::select! {
        result = export => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted(
            if args.out.is_some() || args.out_dir.is_some() {
                "the export is saved up to its last complete page; run the same command with --resume to continue".to_owned()
            } else {
                "the export to standard output is incomplete".to_owned()
            },
        )),
    }
}

async fn export_to_stdout(
    client: &Client,
    organization: &str,
    user: &str,
    format: Format,
) -> Result<(), Failure> {
    let export = client.export_user_data(organization, user);
    match format {
        Format::Ndjson => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            export.write_ndjson(&mut out).await?;
        }
        Format::Json => {
            // One document needs every item first: fine for the small users one pipes to a
            // terminal; --out spools big exports to disk instead.
            let data = export.collect().await?;
            print_json(&data)?;
        }
    }
    Ok(())
}

/// Several users to standard output: NDJSON lines that carry their user.
async fn export_users_to_stdout(
    client: &Client,
    organization: &str,
    users: &[String],
    args: &ExportArgs,
) -> Result<(), Failure> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Line<'a> {
        user_id: &'a str,
        feature: velt_api::Feature,
        item: &'a velt_api::types::UserDataItem,
    }
    if args.format == Format::Json {
        return Err(Failure::Usage(
            "--format json takes one user on standard output; use --out-dir DIR for several".into(),
        ));
    }
    let exports: Vec<_> = users
        .iter()
        .map(|user| client.export_user_data(organization, user))
        .collect();
    let mut pages = velt_api::Export::concurrently(exports, usize::from(args.concurrency));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failures = Vec::new();
    while let Some(velt_api::UserPage { user_id, page }) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                failures.push(format!("{user_id}: {error}"));
                continue;
            }
        };
        for item in page.into_items() {
            let line = Line {
                user_id: &user_id,
                feature: item.feature,
                item: &item.item,
            };
            serde_json::to_writer(&mut out, &line)
                .map_err(|e| Failure::Failed(format!("cannot write to standard output: {e}")))?;
            out.write_all(b"\n")
                .map_err(|e| Failure::Failed(format!("cannot write to standard output: {e}")))?;
        }
    }
    out.flush()
        .map_err(|e| Failure::Failed(format!("cannot write to standard output: {e}")))?;
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(format!(
            "{} user(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        )))
    }
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

/// A failed file operation, naming the file.
pub fn io_failure(what: &str, path: &std::path::Path, error: std::io::Error) -> Failure {
    Failure::Failed(format!("cannot {what} {}: {error}", path.display()))
}
