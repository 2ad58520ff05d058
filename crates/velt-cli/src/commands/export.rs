//! `velt data export` and `velt data verify-export`.

use std::collections::HashSet;

use velt_api::{Client, search::Subject};

use super::velt_command;
use crate::{
    cli::{ExportArgs, Format, VerifyExportArgs},
    export::{self, Destination, MatchesExport, Plan},
    failure::{Failure, io_failure},
    find::{self, Find},
};

/// `velt data export`: one user or many, into standard output, a file or a directory; or,
/// with `--email` or `--all-organizations`, everyone found in every organization.
pub async fn export(client: &Client, args: ExportArgs, fake: bool) -> Result<(), Failure> {
    if let Some(subject) = subject(&args)? {
        return export_found(client, subject, args, fake).await;
    }
    export::run(client, plan(args, fake)?).await
}

/// Who to find first: `--email`, or the one `--user-id` of `--all-organizations`.
fn subject(args: &ExportArgs) -> Result<Option<Subject>, Failure> {
    if let Some(email) = &args.email {
        return Ok(Some(Subject::email(email)));
    }
    if !args.all_organizations {
        return Ok(None);
    }
    match args.user_ids.as_slice() {
        [user_id] => Ok(Some(Subject::user_id(user_id))),
        _ => Err(Failure::Usage(
            "--all-organizations takes one --user-id".into(),
        )),
    }
}

/// Find, export every match into `DIR/ORG/USER.ndjson`, write `DIR/search.json`.
async fn export_found(
    client: &Client,
    subject: Subject,
    args: ExportArgs,
    fake: bool,
) -> Result<(), Failure> {
    let Some(dir) = args.out_dir else {
        return Err(Failure::Usage(
            "--email and --all-organizations need --out-dir DIR".into(),
        ));
    };
    let search = find::find(
        client,
        &Find {
            subject,
            organization_ids: Vec::new(),
            concurrency: usize::from(args.concurrency),
        },
    )
    .await?;
    std::fs::create_dir_all(&dir).map_err(|e| io_failure("create", &dir, e))?;
    let exported = export::export_matches(
        client,
        &search.matches,
        &MatchesExport {
            dir: dir.clone(),
            format: args.format.into(),
            resume: args.resume,
            force: args.force,
            velt: velt_command(fake),
            concurrency: usize::from(args.concurrency),
        },
    )
    .await;
    let record = find::write_search(&search, &dir.join("search.json"))?;
    eprintln!("search record: {}", record.display());
    exported?;
    find::outcome(&search)
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
    let Some(organization_id) = args.organization_id else {
        return Err(Failure::Usage(
            "--organization-id is needed (or --email, or --all-organizations)".into(),
        ));
    };
    Ok(Plan {
        organization_id,
        users,
        destination,
        format: args.format.into(),
        resume: args.resume,
        force: args.force,
        velt: velt_command(fake),
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
