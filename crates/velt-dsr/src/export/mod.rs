//! Exports: one loop for one user or many ([`export_users`]), into the caller's output, a
//! file or a directory of files, and the export of every match of a search
//! ([`export_matches`]); each file crash-safe and with its manifest ([`mod@file`]).
//!
//! Every user's export runs through [`velt_api::export::Export::concurrently`] (one user is
//! simply a run of one), and every page goes to that user's sink. Items are copied as Velt sent
//! them; a key of `data` this version does not know is exported under its own name and
//! reported once ([`Event::UnknownKey`]).

pub mod file;

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::Write,
    path::PathBuf,
};

use futures::StreamExt;
use velt_api::{
    Client,
    export::{Export, ExportItem, ExportPage, ExportSummary, NdjsonWriter, UserData, UserPage},
    search::Match,
};
use velt_case::model::file_stem;

pub use file::{FileFormat, OpenMode, Start};
use file::{Opened, UserFile};

use crate::{
    error::{Error, Result},
    event::{Event, Events},
};

/// Where the exports go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// The caller's output. With several users, NDJSON lines that carry a `userId`.
    Output,
    /// One user's export into this file.
    File(PathBuf),
    /// Each user's export into `DIR/USER.ndjson` (or `.json`), named by [`file_name`].
    Dir(PathBuf),
}

/// What to export and how.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The organization the users belong to.
    pub organization_id: String,
    /// The users, each once, in order.
    pub users: Vec<String>,
    /// Where the exports go.
    pub destination: Destination,
    /// The output format.
    pub format: FileFormat,
    /// What to do with what is already at a file's path.
    pub mode: OpenMode,
    /// How many users are exported at the same time (at least 1).
    pub concurrency: usize,
}

/// A user whose export failed.
#[derive(Debug)]
pub struct UserFailure {
    /// The user.
    pub user_id: String,
    /// Why.
    pub error: velt_api::Error,
    /// Pages saved for a resume (into files only).
    pub pages_saved: usize,
}

/// What a run of [`export_users`] did.
#[derive(Debug, Default)]
pub struct ExportOutcome {
    /// Users whose export completed in this run.
    pub done: usize,
    /// Users whose file was complete from an earlier run.
    pub skipped: usize,
    /// Items written in this run.
    pub items: usize,
    /// The users whose export failed (the others are complete).
    pub failures: Vec<UserFailure>,
    /// What each completed export holds, by user.
    pub summaries: Vec<(String, ExportSummary)>,
}

/// Where one user's pages go.
enum Sink {
    /// NDJSON lines on the output, tagged with the user when several are exported.
    Lines {
        tag_user: bool,
        summary: ExportSummary,
    },
    /// One JSON document on the output, written when the export is complete.
    Document { items: Vec<ExportItem> },
    /// A file that appears when complete.
    File(Box<UserFile>),
}

impl Sink {
    fn write_page(
        &mut self,
        user_id: &str,
        page: ExportPage,
        out: &mut (dyn Write + Send),
    ) -> Result<()> {
        match self {
            Sink::Lines { tag_user, summary } => {
                // The user's count so far goes on in a writer over the shared output.
                let mut lines = NdjsonWriter::resume(&mut *out, std::mem::take(summary));
                let written = lines.write_page(tag_user.then_some(user_id), page);
                *summary = lines.into_parts().1;
                written.map_err(Error::Output)
            }
            Sink::Document { items } => {
                items.extend(page.into_items());
                Ok(())
            }
            Sink::File(file) => file.write_page(page),
        }
    }

    /// Pages saved for a later resume (only files keep them).
    fn pages_saved(&self) -> usize {
        match self {
            Sink::File(file) => file.saved().pages,
            _ => 0,
        }
    }

    /// Ends a complete export: the file moved into place, or the document written.
    fn finish(self, out: &mut (dyn Write + Send), base_url: &str) -> Result<ExportSummary> {
        match self {
            Sink::Lines { summary, .. } => Ok(summary),
            Sink::Document { items } => {
                let mut summary = ExportSummary::default();
                for item in &items {
                    summary.count(&item.feature);
                }
                let document = UserData::from_items(items).map_err(output_error)?;
                serde_json::to_writer(&mut *out, &document).map_err(|e| Error::Output(e.into()))?;
                out.write_all(b"\n").map_err(Error::Output)?;
                Ok(summary)
            }
            Sink::File(file) => file.finish(base_url),
        }
    }
}

/// A library error while writing to the output, seen as the I/O error it is.
fn output_error(error: velt_api::Error) -> Error {
    Error::Output(std::io::Error::other(error))
}

/// The file name of a user's export in a directory, by the one naming rule of export
/// files ([`velt_case::model::file_stem`], which keeps any id inside the directory).
pub fn file_name(user_id: &str, format: FileFormat) -> String {
    format!("{}.{}", file_stem(user_id), format.as_str())
}

/// The file of one user's export.
fn file_of(options: &ExportOptions, user_id: &str) -> Option<PathBuf> {
    match &options.destination {
        Destination::Output => None,
        Destination::File(path) => Some(path.clone()),
        Destination::Dir(dir) => Some(dir.join(file_name(user_id, options.format))),
    }
}

/// Opens each user's sink; users whose file is already complete are skipped.
fn open_sinks(
    client: &Client,
    options: &ExportOptions,
    outcome: &mut ExportOutcome,
    events: Events<'_>,
) -> Result<(HashMap<String, Sink>, Vec<Export>)> {
    if let Destination::Dir(dir) = &options.destination {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::refused(
                crate::error::RefusalKind::InvalidInput,
                format!("cannot create the directory {}: {e}", dir.display()),
            )
        })?;
    }
    let mut sinks = HashMap::new();
    let mut exports = Vec::new();
    for user_id in &options.users {
        let Some(out) = file_of(options, user_id) else {
            let sink = match options.format {
                FileFormat::Ndjson => Sink::Lines {
                    tag_user: options.users.len() > 1,
                    summary: ExportSummary::default(),
                },
                FileFormat::Json => Sink::Document { items: Vec::new() },
            };
            sinks.insert(user_id.clone(), sink);
            exports.push(client.export_user_data(&options.organization_id, user_id));
            continue;
        };
        let opened = UserFile::open(
            &options.organization_id,
            user_id,
            &out,
            options.mode,
            options.format,
        );
        let opened = match opened {
            Ok(opened) => opened,
            Err(error) => {
                // Refused before anything was sent: the files just begun for other users
                // go too.
                for sink in sinks.into_values() {
                    if let Sink::File(file) = sink {
                        file.discard();
                    }
                }
                return Err(error);
            }
        };
        let (file, start) = match opened {
            Opened::Complete => {
                outcome.skipped += 1;
                if options.users.len() == 1 {
                    events(Event::ExportAlreadyComplete { path: out });
                }
                continue;
            }
            Opened::File(file, start) => (file, start),
        };
        if options.users.len() == 1 {
            events(Event::ExportStarting { path: out, start });
        }
        match file.remaining(client) {
            Some(export) => {
                exports.push(export);
                sinks.insert(user_id.clone(), Sink::File(file));
            }
            None => {
                let path = file_of(options, user_id);
                let summary = file.finish(client.base_url())?;
                completed(options, outcome, user_id, path, summary, events);
            }
        }
    }
    if let Destination::Dir(dir) = &options.destination
        && outcome.skipped > 0
    {
        events(Event::ExportsSkipped {
            users: outcome.skipped,
            dir: dir.clone(),
        });
    }
    Ok((sinks, exports))
}

/// Notes a complete export.
fn completed(
    options: &ExportOptions,
    outcome: &mut ExportOutcome,
    user_id: &str,
    path: Option<PathBuf>,
    summary: ExportSummary,
    events: Events<'_>,
) {
    outcome.done += 1;
    events(Event::Exported {
        organization_id: options.organization_id.clone(),
        user_id: user_id.to_owned(),
        path,
        summary: summary.clone(),
    });
    outcome.summaries.push((user_id.to_owned(), summary));
}

/// Exports the users of `options`: every user's pages, as they come, into their sinks
/// (`out` for [`Destination::Output`]). A user whose export fails is in
/// [`ExportOutcome::failures`] and the others go on; a file that cannot be written, or an
/// output that fails, stops the run.
///
/// ```no_run
/// # async fn run(client: velt_api::Client) -> velt_dsr::Result<()> {
/// use velt_dsr::export::{Destination, ExportOptions, FileFormat, OpenMode, export_users};
///
/// let options = ExportOptions {
///     organization_id: "org-1".into(),
///     users: vec!["user-42".into()],
///     destination: Destination::File("user-42.ndjson".into()),
///     format: FileFormat::Ndjson,
///     mode: OpenMode::default(),
///     concurrency: 8,
/// };
/// let outcome = export_users(&client, &options, &mut std::io::sink(), &velt_dsr::event::ignore).await?;
/// assert!(outcome.failures.is_empty());
/// # Ok(()) }
/// ```
pub async fn export_users(
    client: &Client,
    options: &ExportOptions,
    out: &mut (dyn Write + Send),
    events: Events<'_>,
) -> Result<ExportOutcome> {
    let mut outcome = ExportOutcome::default();
    let (mut sinks, exports) = open_sinks(client, options, &mut outcome, events)?;
    let total = options.users.len();
    let mut warned = HashSet::new();
    let mut pages = Export::concurrently(exports, options.concurrency.max(1));
    while let Some(UserPage { user_id, page }) = pages.next().await {
        let Some(mut sink) = sinks.remove(&user_id) else {
            continue;
        };
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                let pages_saved = sink.pages_saved();
                outcome.failures.push(UserFailure {
                    user_id,
                    error,
                    pages_saved,
                });
                continue;
            }
        };
        for (key, _) in &page.data.other {
            if warned.insert(key.clone()) {
                events(Event::UnknownKey { key: key.clone() });
            }
        }
        outcome.items += page.len();
        let last = page.next_page_token.is_none();
        sink.write_page(&user_id, page, out)?;
        if last {
            let summary = sink.finish(out, client.base_url())?;
            let path = file_of(options, &user_id);
            completed(options, &mut outcome, &user_id, path, summary, events);
        } else {
            sinks.insert(user_id, sink);
        }
        events(Event::Exporting {
            users_done: outcome.done + outcome.skipped,
            users: total,
            items: outcome.items,
        });
    }
    out.flush().map_err(Error::Output)?;
    Ok(outcome)
}

/// How to export the matches of a search.
#[derive(Clone, Debug)]
pub struct MatchesExport {
    /// Each match goes to `DIR/ORG/USER.ndjson` (or `.json`), with its manifest.
    pub dir: PathBuf,
    /// The output format.
    pub format: FileFormat,
    /// What to do with what is already there (resume interrupted exports; files finished
    /// earlier are skipped).
    pub mode: OpenMode,
    /// How many users of one organization are exported at the same time.
    pub concurrency: usize,
}

/// One export written by [`export_matches`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedFile {
    /// The organization exported.
    pub organization_id: String,
    /// The user exported.
    pub user_id: String,
    /// The export file; its manifest is `FILE.manifest.json`.
    pub path: PathBuf,
}

/// Why an organization's exports failed in [`export_matches`].
#[derive(Debug)]
pub enum OrganizationFailure {
    /// Some users' exports failed (the others are complete).
    Users(Vec<UserFailure>),
    /// The exports could not run (a refusal, a file that could not be written).
    Stopped(Error),
}

/// What [`export_matches`] did.
#[derive(Debug, Default)]
pub struct MatchesExported {
    /// The files written (or complete from an earlier run), in order.
    pub files: Vec<ExportedFile>,
    /// The organizations that failed, with why.
    pub failures: Vec<(String, OrganizationFailure)>,
}

/// Exports every match into `DIR/ORG/USER.ndjson`: [`export_users`] once per organization
/// found, each file crash-safe and with its manifest. Goes on past an organization that fails
/// and names every failure.
pub async fn export_matches(
    client: &Client,
    matches: &[Match],
    options: &MatchesExport,
    events: Events<'_>,
) -> MatchesExported {
    let mut by_organization: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for m in matches {
        let users = by_organization.entry(&m.organization_id).or_default();
        if !users.contains(&m.user_id) {
            users.push(m.user_id.clone());
        }
    }
    let mut exported = MatchesExported::default();
    for (organization_id, users) in by_organization {
        let plan = ExportOptions {
            organization_id: organization_id.to_owned(),
            users: users.clone(),
            destination: Destination::Dir(options.dir.join(file_stem(organization_id))),
            format: options.format,
            mode: options.mode,
            concurrency: options.concurrency.max(1),
        };
        match export_users(client, &plan, &mut std::io::sink(), events).await {
            Ok(outcome) if outcome.failures.is_empty() => {
                exported.files.extend(users.iter().filter_map(|user_id| {
                    file_of(&plan, user_id).map(|path| ExportedFile {
                        organization_id: organization_id.to_owned(),
                        user_id: user_id.clone(),
                        path,
                    })
                }))
            }
            Ok(outcome) => {
                let failed: HashSet<&str> = outcome
                    .failures
                    .iter()
                    .map(|f| f.user_id.as_str())
                    .collect();
                exported.files.extend(
                    users
                        .iter()
                        .filter(|user_id| !failed.contains(user_id.as_str()))
                        .filter_map(|user_id| {
                            file_of(&plan, user_id).map(|path| ExportedFile {
                                organization_id: organization_id.to_owned(),
                                user_id: user_id.clone(),
                                path,
                            })
                        }),
                );
                exported.failures.push((
                    organization_id.to_owned(),
                    OrganizationFailure::Users(outcome.failures),
                ));
            }
            Err(error) => exported.failures.push((
                organization_id.to_owned(),
                OrganizationFailure::Stopped(error),
            )),
        }
    }
    exported
}
