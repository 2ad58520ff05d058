//! `velt users find`: every match and the search record, as one JSON document; exit 3 when
//! nobody was found, 1 when the search is incomplete.

use velt_api::Client;
use velt_dsr::find::{self, FindOptions};

use crate::shared::{search_status, subject};
use crate::{
    cli::UsersFindArgs,
    failure::Failure,
    output::{Shown, Terminal, print_json},
};

/// Runs the command.
pub async fn exec(client: &Client, args: UsersFindArgs) -> Result<(), Failure> {
    let terminal = Terminal::new(Shown::default());
    let options = FindOptions {
        subject: subject(args.subject)?,
        organization_ids: args.organization_ids,
        concurrency: usize::from(args.concurrency),
    };
    let search = find::find(client, &options, &|event| terminal.show(event)).await;
    terminal.finish();
    let search = search?;
    print_json(&search)?;
    search_status(&search)
}
