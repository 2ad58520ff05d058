//! The commands, one file per command (cargo's `commands/*.rs` in spirit): each turns its
//! clap arguments into a call of the operations ([`velt_dsr`]) or of the client, and the
//! outcome into output and an exit code. This file dispatches and makes the client.

mod data_delete;
mod data_delete_status;
mod data_export;
mod data_verify_export;
mod fake;
mod fake_platforms;
mod fake_transcend;
mod organizations_list;
mod request_access;
mod request_check;
mod request_erase;
mod request_extend;
mod request_list;
mod serve;
mod users_find;
mod users_get;
mod users_list;

use velt_api::Client;
use velt_fake::{FakeConfig, FakeVelt};

use crate::{
    cli::{
        Cli, Command, DataCommand, FakeCommand, OrganizationsCommand, RequestCommand, UsersCommand,
    },
    failure::Failure,
};

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Fake(FakeCommand::Serve(args)) => return fake::exec(args).await,
        Command::Fake(FakeCommand::Transcend(args)) => return fake_transcend::exec(args).await,
        Command::Fake(FakeCommand::Ketch(args)) => return fake_platforms::ketch(args).await,
        Command::Fake(FakeCommand::Fides(args)) => return fake_platforms::fides(args).await,
        // The worker reads its own config and credentials.
        Command::Serve(args) => return serve::exec(args, &cli.base_url).await,
        // Local work: no client, no credentials.
        Command::Data(DataCommand::VerifyExport(args)) => return data_verify_export::exec(args),
        Command::Request(RequestCommand::Extend(args)) => return request_extend::exec(args),
        Command::Request(RequestCommand::Check(args)) => return request_check::exec(args),
        Command::Request(RequestCommand::List(args)) => return request_list::exec(args),
        _ => {}
    }
    // With --fake the server lives as long as the command.
    let (client, _fake) = connect(&cli).await?;
    let fake = cli.fake;
    match cli.command {
        Command::Users(UsersCommand::Get(args)) => users_get::exec(&client, args).await,
        Command::Users(UsersCommand::List(args)) => users_list::exec(&client, args).await,
        Command::Users(UsersCommand::Find(args)) => users_find::exec(&client, args).await,
        Command::Organizations(OrganizationsCommand::List(args)) => {
            organizations_list::exec(&client, args).await
        }
        Command::Data(DataCommand::Export(args)) => data_export::exec(&client, args, fake).await,
        Command::Data(DataCommand::Delete(args)) => data_delete::exec(&client, args, fake).await,
        Command::Data(DataCommand::DeleteStatus(args)) => {
            data_delete_status::exec(&client, args, fake).await
        }
        Command::Request(RequestCommand::Access(args)) => {
            request_access::exec(&client, args, fake).await
        }
        Command::Request(RequestCommand::Erase(args)) => {
            request_erase::exec(&client, args, fake).await
        }
        Command::Fake(
            FakeCommand::Serve(_)
            | FakeCommand::Transcend(_)
            | FakeCommand::Ketch(_)
            | FakeCommand::Fides(_),
        )
        | Command::Serve(_)
        | Command::Data(DataCommand::VerifyExport(_))
        | Command::Request(
            RequestCommand::Extend(_) | RequestCommand::Check(_) | RequestCommand::List(_),
        ) => Ok(()),
    }
}

/// The client, pointed at Velt or at an in-process fake server.
async fn connect(cli: &Cli) -> Result<(Client, Option<FakeVelt>), Failure> {
    if !cli.fake {
        // The library's own words name its builder; a person at the command line needs the
        // variables (or --fake).
        let missing: Vec<&str> = [Client::ENV_API_KEY, Client::ENV_AUTH_TOKEN]
            .into_iter()
            .filter(|var| std::env::var_os(var).is_none_or(|value| value.is_empty()))
            .collect();
        if !missing.is_empty() {
            return Err(Failure::Usage(format!(
                "no credentials: {} not set; set VELT_API_KEY and VELT_AUTH_TOKEN (from the Velt console), or add --fake to try the built-in fake Velt; nothing was sent",
                missing.join(" and ")
            )));
        }
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
