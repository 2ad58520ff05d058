//! Finding the person: every organization where Velt holds a user with the email or user id
//! given ([`velt_api::Client::find_person`]), with a progress line on a terminal, and what a
//! search's outcome means for the exit code. `velt users find`, `velt data export --email`
//! and `velt data delete --email` start here; so can a later `velt request` command.

use std::path::{Path, PathBuf};

use velt_api::{
    Client,
    search::{Search, SearchOptions, Subject},
};
use velt_case::records::write_atomically;

use crate::{
    failure::{Failure, io_failure},
    output::Progress,
};

/// A search to run: the command line's options, without the parser.
#[derive(Clone, Debug)]
pub struct Find {
    /// Who.
    pub subject: Subject,
    /// Only these organizations; empty for every organization.
    pub organization_ids: Vec<String>,
    /// Calls in flight at once.
    pub concurrency: usize,
}

/// Runs the search, showing progress on a terminal. The search is returned even when it is
/// partial; see [`require_complete`] and [`outcome`]. Fails only on a blank subject or id.
pub async fn find(client: &Client, find: &Find) -> Result<Search, Failure> {
    let progress = Progress::new(0);
    let options = SearchOptions {
        organization_ids: find.organization_ids.clone(),
        concurrency: find.concurrency.max(1),
        ..SearchOptions::default()
    };
    let search = client
        .find_person_with_progress(find.subject.clone(), options, |p| {
            progress.message(format!(
                "searching: {}/{} organizations, {} match(es), {} calls",
                p.organizations_done, p.organizations_listed, p.matches, p.calls
            ))
        })
        .await;
    progress.finish();
    let search = search?;
    let record = &search.search;
    eprintln!(
        "searched {} organization(s) in {} calls: {} match(es) in {} organization(s){}",
        record.organizations_searched,
        record.calls,
        search.matches.len(),
        search.organization_ids().len(),
        if record.complete {
            String::new()
        } else {
            " (INCOMPLETE)".to_owned()
        }
    );
    for id in &record.organizations_not_found {
        eprintln!(
            "warning: organization {id} does not exist (Get Organizations does not know it); not searched"
        );
    }
    Ok(search)
}

/// What an incomplete search failed on, in words: the listing error and each organization
/// with its error.
fn incompleteness(search: &Search) -> String {
    let record = &search.search;
    let mut lines = Vec::new();
    if let Some(error) = &record.listing_error {
        lines.push(format!("listing the organizations failed: {error}"));
    }
    for failure in &record.failures {
        lines.push(format!("{}: {}", failure.organization_id, failure.error));
    }
    format!(
        "the search is incomplete: the person may be in organizations that could not be read\n  {}",
        lines.join("\n  ")
    )
}

/// The exit status of a search: 0 with matches and complete, 3 when complete and nothing
/// was found, 1 when it is incomplete (the organizations that failed are named).
pub fn outcome(search: &Search) -> Result<(), Failure> {
    if !search.search.complete {
        return Err(Failure::Failed(incompleteness(search)));
    }
    if search.matches.is_empty() {
        return Err(Failure::NotFound(format!(
            "Velt holds no user for {} in the {} organization(s) searched",
            describe(&search.search.subject),
            search.search.organizations_searched
        )));
    }
    Ok(())
}

/// Refuses to act on an incomplete search (before an erasure: the person may be in the
/// organizations that failed); a complete search with no match is exit 3.
pub fn require_complete(search: &Search) -> Result<(), Failure> {
    if !search.search.complete {
        return Err(Failure::Failed(format!(
            "{}\nnothing was changed; run the command again",
            incompleteness(search)
        )));
    }
    outcome(search)
}

/// `the email jane@example.com`, `the user id u-1`.
pub fn describe(subject: &Subject) -> String {
    match subject {
        Subject::Email(email) => format!("the email {email:?}"),
        Subject::UserId(user_id) => format!("the user id {user_id:?}"),
    }
}

/// Writes the search (matches and record) as pretty JSON to `path`, atomically.
pub fn write_search(search: &Search, path: &Path) -> Result<PathBuf, Failure> {
    let mut bytes = serde_json::to_vec_pretty(search)
        .map_err(|e| Failure::Failed(format!("cannot encode the search record: {e}")))?;
    bytes.push(b'\n');
    write_atomically(path, &bytes).map_err(|e| io_failure("write", path, e))?;
    Ok(path.to_path_buf())
}

/// The organizations where any of `user_ids` is found (a search by user id for each), for
/// the proof of erasure of an erasure of every organization. Refuses when a search is
/// incomplete (the check would silently miss organizations) or finds nobody.
pub async fn organizations_of_users(
    client: &Client,
    user_ids: &[String],
    concurrency: usize,
) -> Result<Vec<String>, Failure> {
    let mut organizations: Vec<String> = Vec::new();
    for user_id in user_ids {
        let search = find(
            client,
            &Find {
                subject: Subject::user_id(user_id),
                organization_ids: Vec::new(),
                concurrency,
            },
        )
        .await?;
        if !search.search.complete {
            return Err(Failure::Failed(format!(
                "--verify needs the organizations of {user_id}, and {}\nnothing was erased; run the command again, or name the organizations to check with --verify-organization-id",
                incompleteness(&search)
            )));
        }
        for id in search.organization_ids() {
            if !organizations.contains(&id) {
                organizations.push(id);
            }
        }
    }
    if organizations.is_empty() {
        return Err(Failure::NotFound(format!(
            "--verify: no organization holds a user {}; nothing was erased",
            user_ids.join(", ")
        )));
    }
    Ok(organizations)
}
