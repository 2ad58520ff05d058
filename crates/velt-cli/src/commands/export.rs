//! `velt data export` and `velt data verify-export`.

use std::collections::HashSet;

use velt_api::Client;

use crate::{
    cli::{ExportArgs, Format, VerifyExportArgs},
    export::{self, Destination, Plan},
    failure::Failure,
};

/// `velt data export`: one user or many, into standard output, a file or a directory.
pub async fn export(client: &Client, args: ExportArgs, fake: bool) -> Result<(), Failure> {
    export::run(client, plan(args, fake)?).await
}

/// `velt data verify-export FILE`: the file against its manifest; needs no credentials.
pub fn verify(args: &VerifyExportArgs) -> Result<(), Failure> {
    export::verify(&args.file, args.manifest.clone())
}

/// The plan the command line asks for, or why it cannot be carried out.
fn plan(args: ExportArgs, fake: bool) -> Result<Plan, Failure> {
    let users = user_ids(&args)?;
    let destination = match (args.out, args.out_dir) {
        (Some(_), _) if users.len() > 1 => {
            return Err(Failure::Usage(
                "--out takes the export of one user; use --out-dir DIR for several".into(),
            ));
        }
        (Some(path), _) => Destination::File(path),
        (None, Some(dir)) => Destination::Dir(dir),
        (None, None) if users.len() > 1 && args.format == Format::Json => {
            return Err(Failure::Usage(
                "--format json takes one user on standard output; use --out-dir DIR for several"
                    .into(),
            ));
        }
        (None, None) => Destination::Stdout,
    };
    Ok(Plan {
        organization_id: args.organization_id,
        users,
        destination,
        format: args.format.into(),
        resume: args.resume,
        force: args.force,
        velt: if fake { "velt --fake" } else { "velt" }.to_owned(),
        concurrency: usize::from(args.concurrency),
    })
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
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.is_empty() {
        return Err(Failure::Usage(
            "no user ids given; pass --user-id or a non-empty --user-ids-file".into(),
        ));
    }
    Ok(ids)
}
