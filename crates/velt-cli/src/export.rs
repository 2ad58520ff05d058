//! `velt data export`: one loop for one user or many, into standard output, a file or a
//! directory of files, with one summary of what failed.
//!
//! Every user's export runs through [`velt_api::export::Export::concurrently`] (one user is simply a
//! run of one), and every page goes to that user's [`Sink`]. Items are copied as Velt sent
//! them; a key of `data` this version does not know is exported under its own name, with a
//! warning on standard error the first time it is seen.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io::{BufWriter, Stdout, Write},
    path::{Path, PathBuf},
};

use futures::StreamExt;
use velt_api::{
    Client,
    export::{Export, ExportItem, ExportPage, ExportSummary, NdjsonWriter, UserData, UserPage},
    search::Match,
};
// The one naming rule of export files, the case's (`velt_case::model::export_file`): a file
// name per id, so that two ids never share a file and none escapes the directory.
use velt_case::model::file_stem;
use velt_case::records::ExportManifest;

use crate::{
    export_file::{FileFormat, OpenMode, Opened, Start, UserFile, sibling},
    failure::{Failure, stdout_failure},
    output::Progress,
};

/// Where the exports go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Standard output. With several users, NDJSON lines that carry a `userId`.
    Stdout,
    /// One user's export into this file.
    File(PathBuf),
    /// Each user's export into `DIR/USER.ndjson` (or `.json`).
    Dir(PathBuf),
}

/// What to export and how: the command line's options, without the parser.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The organization the users belong to.
    pub organization_id: String,
    /// The users, each once, in order.
    pub users: Vec<String>,
    /// Where the exports go.
    pub destination: Destination,
    /// The output format.
    pub format: FileFormat,
    /// Continue interrupted exports into files.
    pub resume: bool,
    /// Replace files that are not exports of the same user and organization.
    pub force: bool,
    /// The command that runs velt as the user ran it (`velt`, or `velt --fake`), for hints.
    pub velt: String,
    /// How many users are exported at the same time.
    pub concurrency: usize,
}

/// Runs the exports of `plan`; Ctrl-C stops it with what is saved.
pub async fn run(client: &Client, plan: Plan) -> Result<(), Failure> {
    let to_files = plan.destination != Destination::Stdout;
    tokio::select! {
        result = export(client, &plan) => result,
        _ = tokio::signal::ctrl_c() => Err(Failure::Interrupted(
            if to_files {
                "the export is saved up to its last complete page; run the same command with --resume to continue".to_owned()
            } else {
                "the export to standard output is incomplete".to_owned()
            },
        )),
    }
}

/// Where one user's pages go.
enum Sink {
    /// NDJSON lines on standard output, tagged with the user when several are exported.
    Lines {
        tag_user: bool,
        summary: ExportSummary,
    },
    /// One JSON document on standard output, written when the export is complete.
    Document { items: Vec<ExportItem> },
    /// A file that appears when complete (`--out`, `--out-dir`).
    File(Box<UserFile>),
}

impl Sink {
    fn write_page(
        &mut self,
        user_id: &str,
        page: ExportPage,
        stdout: &mut BufWriter<Stdout>,
    ) -> Result<(), Failure> {
        match self {
            Sink::Lines { tag_user, summary } => {
                // The user's count so far goes on in a writer over the shared output.
                let mut lines = NdjsonWriter::resume(&mut *stdout, std::mem::take(summary));
                let written = lines.write_page(tag_user.then_some(user_id), page);
                *summary = lines.into_parts().1;
                written.map_err(stdout_failure)
            }
            Sink::Document { items } => {
                items.extend(page.into_items());
                Ok(())
            }
            Sink::File(file) => file.write_page(page),
        }
    }

    /// Pages saved for a later `--resume` (only files keep them).
    fn pages_saved(&self) -> usize {
        match self {
            Sink::File(file) => file.saved().pages,
            _ => 0,
        }
    }

    /// Ends a complete export: the file moved into place, or the document written.
    fn finish(
        self,
        stdout: &mut BufWriter<Stdout>,
        base_url: &str,
    ) -> Result<ExportSummary, Failure> {
        match self {
            Sink::Lines { summary, .. } => Ok(summary),
            Sink::Document { items } => {
                let mut summary = ExportSummary::default();
                for item in &items {
                    summary.count(&item.feature);
                }
                let document = UserData::from_items(items)?;
                serde_json::to_writer(&mut *stdout, &document)
                    .map_err(|e| stdout_failure(e.into()))?;
                stdout.write_all(b"\n").map_err(stdout_failure)?;
                Ok(summary)
            }
            Sink::File(file) => file.finish(base_url),
        }
    }
}

/// What happened to the users of a run, for the closing lines.
#[derive(Default)]
struct Outcome {
    /// Users whose export completed in this run.
    done: usize,
    /// Users found complete from an earlier run.
    skipped: usize,
    items: usize,
    /// (user, why, pages saved for --resume).
    failures: Vec<(String, velt_api::Error, usize)>,
    /// Unknown keys already warned about.
    warned: HashSet<String>,
    /// What the last completed export holds.
    last: Option<ExportSummary>,
}

impl Outcome {
    /// Warns once per run about each key of `data` this version does not know.
    fn warn_unknown_keys(&mut self, page: &ExportPage) {
        for (key, _) in &page.data.other {
            if self.warned.insert(key.clone()) {
                eprintln!(
                    "warning: Velt sent data under \"{key}\"; exported as is; this version of the crate does not know it"
                );
            }
        }
    }

    /// Notes a complete export; says so when the user had nothing in the organization.
    fn completed(&mut self, plan: &Plan, user_id: &str, summary: ExportSummary) {
        self.done += 1;
        if summary.items == 0 {
            eprintln!(
                "note: user {user_id} has no data in organization {organization} (0 items exported); \
                 check that the user belongs to it with: {velt} users get --organization-id {organization} --user-id {user_id}",
                organization = plan.organization_id,
                velt = plan.velt,
            );
        }
        self.last = Some(summary);
    }

    /// The result of the run: one failure as itself, several as a list.
    fn result(mut self, plan: &Plan) -> Result<(), Failure> {
        let resumable = plan.destination != Destination::Stdout;
        let hint = "run the same command with --resume to continue";
        if plan.users.len() == 1
            && let Some((_, error, saved)) = self.failures.pop()
        {
            return Err(match Failure::from(error) {
                Failure::Failed(message) if resumable && saved > 0 => Failure::Failed(format!(
                    "{message}\nthe first {saved} pages are saved; {hint}"
                )),
                other => other,
            });
        }
        if self.failures.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = self
            .failures
            .iter()
            .map(|(user, error, _)| format!("{user}: {error}"))
            .collect();
        Err(Failure::Failed(format!(
            "{} user(s) failed:\n{}{}",
            self.failures.len(),
            lines.join("\n"),
            if resumable {
                format!("\n{hint}")
            } else {
                String::new()
            }
        )))
    }
}

/// The file of one user's export, for `--out` and `--out-dir`.
fn file_of(plan: &Plan, user_id: &str) -> Option<PathBuf> {
    let extension = plan.format.as_str();
    match &plan.destination {
        Destination::Stdout => None,
        Destination::File(path) => Some(path.clone()),
        Destination::Dir(dir) => Some(dir.join(format!("{}.{extension}", file_stem(user_id)))),
    }
}

/// Opens each user's sink; users whose file is already complete are skipped.
fn open_sinks(
    client: &Client,
    plan: &Plan,
    outcome: &mut Outcome,
) -> Result<(HashMap<String, Sink>, Vec<Export>), Failure> {
    if let Destination::Dir(dir) = &plan.destination {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::Usage(format!(
                "cannot create --out-dir {}: {e}; nothing was sent",
                dir.display()
            ))
        })?;
    }
    let mut sinks = HashMap::new();
    let mut exports = Vec::new();
    for user_id in &plan.users {
        let Some(out) = file_of(plan, user_id) else {
            let sink = match plan.format {
                FileFormat::Ndjson => Sink::Lines {
                    tag_user: plan.users.len() > 1,
                    summary: ExportSummary::default(),
                },
                FileFormat::Json => Sink::Document { items: Vec::new() },
            };
            sinks.insert(user_id.clone(), sink);
            exports.push(client.export_user_data(&plan.organization_id, user_id));
            continue;
        };
        let opened = UserFile::open(
            &plan.organization_id,
            user_id,
            &out,
            OpenMode {
                resume: plan.resume,
                force: plan.force,
            },
            plan.format,
        );
        let opened = match opened {
            Ok(opened) => opened,
            Err(failure) => {
                // Refused before anything was sent: the files just begun for other users
                // go too.
                for sink in sinks.into_values() {
                    if let Sink::File(file) = sink {
                        file.discard();
                    }
                }
                return Err(failure);
            }
        };
        let (file, start) = match opened {
            Opened::Complete => {
                outcome.skipped += 1;
                if plan.users.len() == 1 {
                    eprintln!(
                        "{} is already complete (it matches its manifest, and no checkpoint is beside it); nothing to resume",
                        out.display()
                    );
                }
                continue;
            }
            Opened::File(file, start) => (file, start),
        };
        if plan.users.len() == 1 {
            say_start(&start, &out);
        }
        match file.remaining(client) {
            Some(export) => {
                exports.push(export);
                sinks.insert(user_id.clone(), Sink::File(file));
            }
            None => {
                let summary = file.finish(client.base_url())?;
                outcome.completed(plan, user_id, summary);
            }
        }
    }
    if let Destination::Dir(dir) = &plan.destination
        && outcome.skipped > 0
    {
        eprintln!(
            "{} user(s) already exported in {}; skipping them",
            outcome.skipped,
            dir.display()
        );
    }
    Ok((sinks, exports))
}

fn say_start(start: &Start, out: &Path) {
    match start {
        Start::New => {}
        Start::NothingToResume => eprintln!(
            "nothing to resume at {} (no checkpoint); starting a new export",
            sibling(out, ".checkpoint").display()
        ),
        Start::Resumed { pages, items } => {
            eprintln!("resuming after page {pages} ({items} items already saved)")
        }
    }
}

/// The one export loop: every user's pages, as they come, into their sinks.
async fn export(client: &Client, plan: &Plan) -> Result<(), Failure> {
    let mut outcome = Outcome::default();
    let (mut sinks, exports) = open_sinks(client, plan, &mut outcome)?;
    let mut stdout = BufWriter::with_capacity(256 * 1024, std::io::stdout());
    let total = plan.users.len();
    let progress = Progress::new(0);
    let mut pages = Export::concurrently(exports, plan.concurrency);
    while let Some(UserPage { user_id, page }) = pages.next().await {
        let Some(mut sink) = sinks.remove(&user_id) else {
            continue;
        };
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                let saved = sink.pages_saved();
                outcome.failures.push((user_id, error, saved));
                continue;
            }
        };
        outcome.warn_unknown_keys(&page);
        outcome.items += page.len();
        let last = page.next_page_token.is_none();
        if let Err(failure) = sink.write_page(&user_id, page, &mut stdout) {
            progress.abandon();
            return Err(failure);
        }
        if last {
            let summary = sink.finish(&mut stdout, client.base_url())?;
            outcome.completed(plan, &user_id, summary);
        } else {
            sinks.insert(user_id, sink);
        }
        progress.update(
            &format!("{}/{total} users", outcome.done + outcome.skipped),
            outcome.items,
        );
    }
    progress.finish();
    stdout.flush().map_err(stdout_failure)?;
    match &plan.destination {
        Destination::Stdout => {}
        Destination::File(path) => {
            if let Some(summary) = &outcome.last {
                eprintln!(
                    "exported {} items in {} pages to {}",
                    summary.items,
                    summary.pages,
                    path.display()
                );
            }
        }
        Destination::Dir(dir) => eprintln!(
            "exported {} items of {} user(s) to {}{}",
            outcome.items,
            outcome.done,
            dir.display(),
            if outcome.skipped > 0 {
                format!(" ({} done earlier)", outcome.skipped)
            } else {
                String::new()
            }
        ),
    }
    outcome.result(plan)
}

/// How to export the matches of a search (`velt data export --email`, and a later
/// `velt request access`).
#[derive(Clone, Debug)]
pub struct MatchesExport {
    /// Each match goes to `DIR/ORG/USER.ndjson` (or `.json`), with its manifest.
    pub dir: PathBuf,
    /// The output format.
    pub format: FileFormat,
    /// Continue interrupted exports (files finished earlier are skipped).
    pub resume: bool,
    /// Replace files that are not exports of the same user and organization.
    pub force: bool,
    /// The command that runs velt as the user ran it, for hints.
    pub velt: String,
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

/// Exports every match into `DIR/ORG/USER.ndjson`: the per-organization export plan of
/// [`run`], once per organization found, each file crash-safe and with its manifest. Goes on
/// past an organization that fails and names every failure at the end.
pub async fn export_matches(
    client: &Client,
    matches: &[Match],
    options: &MatchesExport,
) -> Result<Vec<ExportedFile>, Failure> {
    let mut by_organization: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for m in matches {
        let users = by_organization.entry(&m.organization_id).or_default();
        if !users.contains(&m.user_id) {
            users.push(m.user_id.clone());
        }
    }
    let mut exported = Vec::new();
    let mut failures = Vec::new();
    for (organization_id, users) in by_organization {
        let plan = Plan {
            organization_id: organization_id.to_owned(),
            users: users.clone(),
            destination: Destination::Dir(options.dir.join(file_stem(organization_id))),
            format: options.format,
            resume: options.resume,
            force: options.force,
            velt: options.velt.clone(),
            concurrency: options.concurrency.max(1),
        };
        match run(client, plan.clone()).await {
            Ok(()) => exported.extend(users.iter().filter_map(|user_id| {
                file_of(&plan, user_id).map(|path| ExportedFile {
                    organization_id: organization_id.to_owned(),
                    user_id: user_id.clone(),
                    path,
                })
            })),
            Err(failure @ (Failure::Interrupted(_) | Failure::OutputClosed)) => {
                return Err(failure);
            }
            Err(
                Failure::Failed(message)
                | Failure::Usage(message)
                | Failure::NotFound(message)
                | Failure::OutcomeUnknown(message),
            ) => failures.push(format!("organization {organization_id}: {message}")),
        }
    }
    if failures.is_empty() {
        Ok(exported)
    } else {
        Err(Failure::Failed(format!(
            "{} of the organizations found failed to export (the others are complete in {}):\n{}\nrun the same command with --resume to continue",
            failures.len(),
            options.dir.display(),
            failures.join("\n")
        )))
    }
}

/// Checks `file` against its manifest (`manifest`, or `FILE.manifest.json`).
pub fn verify(file: &Path, manifest: Option<PathBuf>) -> Result<(), Failure> {
    let manifest_path = manifest.unwrap_or_else(|| ExportManifest::path_for(file));
    if !manifest_path.exists() {
        return Err(Failure::Usage(format!(
            "no manifest at {}; velt writes FILE.manifest.json beside every export it writes with --out or --out-dir (or pass --manifest)",
            manifest_path.display()
        )));
    }
    let manifest = ExportManifest::load(&manifest_path)?;
    let check = manifest.verify(file)?;
    if check.matches() {
        eprintln!(
            "{} matches {}: {} items of user {} in organization {}, {} bytes, SHA-256 {}",
            file.display(),
            manifest_path.display(),
            manifest.items,
            manifest.user_id,
            manifest.organization_id,
            manifest.bytes,
            manifest.sha256
        );
        Ok(())
    } else {
        Err(Failure::Failed(format!(
            "{} does not match {}:\n  {}",
            file.display(),
            manifest_path.display(),
            check
                .differences
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n  ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_stems_are_safe_and_distinct() {
        assert_eq!(file_stem("user-0001"), "user-0001");
        assert_eq!(file_stem("a/b"), "a%2Fb");
        assert_eq!(file_stem(".."), "%2E.");
        assert_eq!(file_stem("a%2Fb"), "a%252Fb");
        assert_ne!(file_stem("a/b"), file_stem("a%2Fb"));
    }
}
