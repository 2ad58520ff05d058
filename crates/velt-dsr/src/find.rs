//! Finding the person: every organization where Velt holds a user with the email or user id
//! given ([`velt_api::Client::find_person`]), with progress as [`Event`]s, and what a
//! search's result means ([`found`]).

use velt_api::{
    Client,
    search::{Search, SearchOptions, Subject},
};

use crate::{
    error::{Error, Result, Step},
    event::{Event, Events},
};

/// A search to run.
#[derive(Clone, Debug)]
pub struct FindOptions {
    /// Who.
    pub subject: Subject,
    /// Only these organizations; empty for every organization.
    pub organization_ids: Vec<String>,
    /// Calls in flight at once (at least 1).
    pub concurrency: usize,
}

impl FindOptions {
    /// Every organization, 8 calls at a time.
    pub fn new(subject: Subject) -> FindOptions {
        FindOptions {
            subject,
            organization_ids: Vec::new(),
            concurrency: SearchOptions::default().concurrency,
        }
    }
}

/// Runs the search. The search is returned even when it is partial (see [`found`]); it fails
/// only on a blank subject or id.
///
/// ```no_run
/// # async fn run(client: velt_api::Client) -> velt_dsr::Result<()> {
/// use velt_api::search::Subject;
/// use velt_dsr::find::{self, FindOptions, Found};
///
/// let search = find::find(&client, &FindOptions::new(Subject::email("jane@example.com")), &velt_dsr::event::ignore).await?;
/// match find::found(&search) {
///     Found::Matches => println!("{} match(es)", search.matches.len()),
///     Found::Nobody => println!("not in Velt"),
///     Found::Incomplete => println!("some organizations could not be read"),
/// }
/// # Ok(()) }
/// ```
pub async fn find(client: &Client, options: &FindOptions, events: Events<'_>) -> Result<Search> {
    let search_options = SearchOptions {
        organization_ids: options.organization_ids.clone(),
        concurrency: options.concurrency.max(1),
        ..SearchOptions::default()
    };
    let search = client
        .find_person_with_progress(options.subject.clone(), search_options, |p| {
            events(Event::Searching(*p))
        })
        .await
        .map_err(|e| Error::velt(Step::Search, e))?;
    let record = &search.search;
    events(Event::Searched {
        organizations_searched: record.organizations_searched,
        calls: usize::try_from(record.calls).unwrap_or(usize::MAX),
        matches: search.matches.len(),
        organizations: search.organization_ids().len(),
        complete: record.complete,
    });
    for id in &record.organizations_not_found {
        events(Event::OrganizationUnknown {
            organization_id: id.clone(),
        });
    }
    Ok(search)
}

/// What a search's result says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// Complete, with matches.
    Matches,
    /// Complete, and nobody was found.
    Nobody,
    /// Some organization could not be read: the person may be there unseen.
    Incomplete,
}

/// What `search` found.
pub fn found(search: &Search) -> Found {
    if !search.search.complete {
        Found::Incomplete
    } else if search.matches.is_empty() {
        Found::Nobody
    } else {
        Found::Matches
    }
}

/// The search as an error when it cannot be acted on: incomplete (the person may be in the
/// organizations that failed), or complete with nobody found.
pub fn require_matches(search: &Search) -> Result<()> {
    match found(search) {
        Found::Matches => Ok(()),
        Found::Incomplete => Err(Error::SearchIncomplete(Box::new(search.search.clone()))),
        Found::Nobody => Err(Error::nobody(
            &search.search.subject,
            search.search.organizations_searched,
        )),
    }
}

/// The organizations where any of `user_ids` is found (a search by user id for each), for
/// the proof of an erasure of every organization. Fails when a search is incomplete (the
/// check would silently miss organizations) or finds nobody.
pub async fn organizations_of_users(
    client: &Client,
    user_ids: &[String],
    concurrency: usize,
    events: Events<'_>,
) -> Result<Vec<String>> {
    let mut organizations: Vec<String> = Vec::new();
    for user_id in user_ids {
        let options = FindOptions {
            concurrency,
            ..FindOptions::new(Subject::user_id(user_id))
        };
        let search = find(client, &options, events).await?;
        if !search.search.complete {
            return Err(Error::SearchIncomplete(Box::new(search.search)));
        }
        for id in search.organization_ids() {
            if !organizations.contains(&id) {
                organizations.push(id);
            }
        }
    }
    if organizations.is_empty() {
        let subject = Subject::user_id(user_ids.join(", "));
        return Err(Error::nobody(&subject, 0));
    }
    Ok(organizations)
}
