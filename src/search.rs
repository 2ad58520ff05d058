//! Finding a person: every organization where Velt holds a user with a given email or user
//! id ([`crate::Client::find_person`]), with a record of the search.
//!
//! Velt keys data by organization and by the customer's own user id, and one export covers
//! one organization. Neither Get Organizations nor Get Users v2 filters by email, so a search
//! lists the organizations (or takes the ones given), lists each one's organization-level
//! users and its document users (`allDocuments`, grouped by document), and compares. An
//! organization whose listing fails is reported as failed, never read as "not there": the
//! [`SearchRecord`] then says the search is not complete.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::{
    error::{Error, Operation, Result},
    transport::context::Transport,
    users::{self, ListedUser, OrganizationsQuery, User, UsersV2Query, require_id},
};

/// Who to look for: an email address or a user id.
///
/// Emails are compared trimmed and case-insensitively (both sides in Unicode lower case,
/// [`str::to_lowercase`]), and nothing cleverer: no Unicode normalization, no removal of
/// dots or `+tags`. User ids are compared exactly, as Velt keys data by them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Subject {
    /// An email address, as the person gave it.
    Email(String),
    /// The customer's own user id.
    UserId(String),
}

/// The subject in words, for people: `jane@example.com` (the email trimmed) or
/// `user id user-0012`.
///
/// ```
/// use velt_api::search::Subject;
///
/// assert_eq!(Subject::email(" jane@example.com ").to_string(), "jane@example.com");
/// assert_eq!(Subject::user_id("user-0012").to_string(), "user id user-0012");
/// ```
impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Email(email) => f.write_str(email.trim()),
            Subject::UserId(user_id) => write!(f, "user id {user_id}"),
        }
    }
}

impl Subject {
    /// The person with this email address.
    pub fn email(email: impl Into<String>) -> Subject {
        Subject::Email(email.into())
    }

    /// The person with this user id.
    pub fn user_id(user_id: impl Into<String>) -> Subject {
        Subject::UserId(user_id.into())
    }

    /// Whether Velt's `user` is this person: the same email (trimmed, Unicode lower case)
    /// or the same user id (exactly).
    ///
    /// ```
    /// use velt_api::search::Subject;
    /// use velt_api::users::User;
    ///
    /// let user: User = serde_json::from_str(r#"{"userId": "u-1", "email": "Jane.Doe@Example.com"}"#).unwrap();
    /// assert!(Subject::email(" jane.doe@example.COM ").matches(&user));
    /// assert!(!Subject::email("janedoe@example.com").matches(&user));
    /// assert!(Subject::user_id("u-1").matches(&user));
    /// assert!(!Subject::user_id("U-1").matches(&user));
    /// ```
    pub fn matches(&self, user: &User) -> bool {
        self.matcher()(user)
    }

    /// [`Subject::matches`] with the subject's side prepared once, for comparing it with
    /// every user of every organization.
    fn matcher(&self) -> impl Fn(&User) -> bool + use<> {
        let wanted = match self {
            Subject::Email(email) => Subject::Email(normalize_email(email)),
            Subject::UserId(user_id) => Subject::UserId(user_id.clone()),
        };
        move |user: &User| match &wanted {
            Subject::Email(email) => user
                .email
                .as_deref()
                .is_some_and(|theirs| normalize_email(theirs) == *email),
            Subject::UserId(user_id) => user.user_id == *user_id,
        }
    }

    fn check(&self) -> Result<()> {
        let (what, value) = match self {
            // An email is compared trimmed, so spaces around it are harmless; an id must be
            // exact (`require_id` refuses spaces around it).
            Subject::Email(email) => ("email", email.trim()),
            Subject::UserId(user_id) => ("user id", user_id.as_str()),
        };
        require_id(what, value).map_err(|m| Error::invalid_input(Operation::GetUsersV2, m))
    }
}

/// An email as compared: trimmed, in Unicode lower case.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// How a search runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchOptions {
    /// Look only in these organizations; empty (the default) for every organization of the
    /// workspace. Ids Get Organizations does not know are recorded in
    /// [`SearchRecord::organizations_not_found`].
    pub organization_ids: Vec<String>,
    /// How many calls are in flight at once (organizations searched at the same time);
    /// default 8, at least 1.
    pub concurrency: usize,
    /// Entries per page asked of Velt; `None` for Velt's default (1000).
    pub page_size: Option<u64>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            organization_ids: Vec::new(),
            concurrency: 8,
            page_size: None,
        }
    }
}

/// Where in an organization a match was found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundAs {
    /// Listed among the organization-level users (a member of the organization).
    pub organization_member: bool,
    /// The documents whose users include the person (Get Users v2 with `allDocuments`), in
    /// order; empty when none.
    pub document_ids: Vec<String>,
}

/// A user Velt holds for the person in one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    /// The organization.
    pub organization_id: String,
    /// The user id Velt keys the person's data by there.
    pub user_id: String,
    /// The email as Velt holds it (its case kept).
    pub email: Option<String>,
    /// The name as Velt holds it.
    pub name: Option<String>,
    /// As a member, in documents, or both.
    pub found_as: FoundAs,
}

/// An organization whose listing failed, so the person may be there unseen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationFailure {
    /// The organization.
    pub organization_id: String,
    /// Why, as the error says it.
    pub error: String,
}

/// The record of a search: what was asked, where it looked, what it cost, what failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRecord {
    /// The subject as given (not normalized).
    pub subject: Subject,
    /// How the subject was compared with Velt's users, in words.
    pub comparison: String,
    /// The organizations asked for; empty when the search covered every organization.
    pub organizations_asked: Vec<String>,
    /// Organizations asked for that Get Organizations does not know (not searched).
    pub organizations_not_found: Vec<String>,
    /// How many organizations were searched, failed ones included.
    pub organizations_searched: usize,
    /// The organizations searched (failed ones included), in the order they were listed.
    pub organization_ids: Vec<String>,
    /// Calls made (pages requested; retries of a call not counted).
    pub calls: u64,
    /// When the search started (UTC).
    pub started_at: DateTime<Utc>,
    /// When it ended (UTC).
    pub finished_at: DateTime<Utc>,
    /// Why listing the organizations failed, if it did: organizations after the failure were
    /// not searched.
    pub listing_error: Option<String>,
    /// Organizations whose users could not be listed, each with its error.
    pub failures: Vec<OrganizationFailure>,
    /// True when every organization was listed and searched without failure: then "no match"
    /// means Velt holds no such user.
    pub complete: bool,
}

/// What a search found: every match, and the record of the search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Search {
    /// Every match, ordered by organization, then user id.
    pub matches: Vec<Match>,
    /// How the search went.
    pub search: SearchRecord,
}

impl Search {
    /// The distinct organizations of the matches, in order.
    pub fn organization_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .matches
            .iter()
            .map(|m| m.organization_id.clone())
            .collect();
        ids.dedup();
        ids
    }
}

/// How far a search has got, for progress displays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchProgress {
    /// Organizations known so far (listed, or given and found by Get Organizations).
    pub organizations_listed: usize,
    /// Organizations searched so far (failed ones included).
    pub organizations_done: usize,
    /// Matches so far.
    pub matches: usize,
    /// Calls made so far.
    pub calls: u64,
}

/// What the listing of organizations has given.
#[derive(Default)]
struct Listed {
    ids: Vec<String>,
    errors: Vec<String>,
}

/// What one organization gave.
struct Searched {
    organization_id: String,
    matches: Vec<Match>,
    error: Option<Error>,
}

/// The search behind [`crate::Client::find_person`].
pub(crate) async fn find(
    transport: &Arc<Transport>,
    subject: Subject,
    options: SearchOptions,
    mut on_progress: impl FnMut(&SearchProgress),
) -> Result<Search> {
    subject.check()?;
    let started_at = Utc::now();
    let calls = Arc::new(AtomicU64::new(0));
    let page_size = options.page_size.unwrap_or(0);

    // The organizations to search, as a stream: listed page by page (searching starts with
    // the first page), or the ones given, checked 30 at a time.
    let query_pages: Vec<OrganizationsQuery> = if options.organization_ids.is_empty() {
        vec![OrganizationsQuery::all().page_size(page_size)]
    } else {
        for id in &options.organization_ids {
            require_id("organization id", id)
                .map_err(|m| Error::invalid_input(Operation::GetOrganizations, m))?;
        }
        let mut seen = HashSet::new();
        let unique: Vec<String> = options
            .organization_ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .cloned()
            .collect();
        unique
            .chunks(OrganizationsQuery::MAX_IDS)
            .map(|chunk| OrganizationsQuery::ids(chunk.to_vec()).page_size(page_size))
            .collect()
    };

    // What the listing has given so far: the organizations, and its error if it failed.
    let listing = Arc::new(Mutex::new(Listed::default()));
    let organization_ids = {
        let transport = Arc::clone(transport);
        let calls = Arc::clone(&calls);
        let listing = Arc::clone(&listing);
        stream::iter(query_pages)
            .flat_map(move |query| users::organizations(Arc::clone(&transport), query).pages())
            .flat_map(move |page| {
                calls.fetch_add(1, Ordering::Relaxed);
                let mut listing = listing.lock().unwrap_or_else(|e| e.into_inner());
                let ids: Vec<String> = match page {
                    Ok(page) => page.organizations.into_iter().map(|o| o.id).collect(),
                    Err(error) => {
                        // The pager ends after its error; later chunks of given ids go on.
                        listing.errors.push(error.to_string());
                        Vec::new()
                    }
                };
                listing.ids.extend(ids.iter().cloned());
                stream::iter(ids)
            })
    };
    let mut searched = Box::pin(
        organization_ids
            .map(|organization_id| {
                search_organization(
                    Arc::clone(transport),
                    Arc::clone(&calls),
                    subject.clone(),
                    organization_id,
                    page_size,
                )
            })
            .buffer_unordered(options.concurrency.max(1)),
    );

    let mut progress = SearchProgress::default();
    let mut matches: Vec<Match> = Vec::new();
    let mut failures: Vec<OrganizationFailure> = Vec::new();
    on_progress(&progress);
    while let Some(Searched {
        organization_id,
        matches: found,
        error,
    }) = searched.next().await
    {
        progress.organizations_done += 1;
        progress.matches += found.len();
        matches.extend(found);
        if let Some(error) = error {
            failures.push(OrganizationFailure {
                organization_id,
                error: error.to_string(),
            });
        }
        progress.organizations_listed = listing.lock().map_or(0, |l| l.ids.len());
        progress.calls = calls.load(Ordering::Relaxed);
        on_progress(&progress);
    }
    drop(searched);
    let Listed {
        ids: listed,
        errors,
    } = std::mem::take(&mut *listing.lock().unwrap_or_else(|e| e.into_inner()));
    let listing_error = (!errors.is_empty()).then(|| errors.join("; "));
    progress.organizations_listed = listed.len();
    progress.calls = calls.load(Ordering::Relaxed);
    on_progress(&progress);

    matches.sort_by(|a, b| (&a.organization_id, &a.user_id).cmp(&(&b.organization_id, &b.user_id)));
    failures.sort_by(|a, b| a.organization_id.cmp(&b.organization_id));
    // Ids given that Get Organizations did not return (when it did not fail).
    let organizations_not_found: Vec<String> = if listing_error.is_some() {
        Vec::new()
    } else {
        let listed: HashSet<&str> = listed.iter().map(String::as_str).collect();
        let mut seen = HashSet::new();
        options
            .organization_ids
            .iter()
            .filter(|id| !listed.contains(id.as_str()) && seen.insert(id.as_str()))
            .cloned()
            .collect()
    };
    let complete = listing_error.is_none() && failures.is_empty();
    Ok(Search {
        matches,
        search: SearchRecord {
            comparison: match &subject {
                Subject::Email(_) => "email: trimmed, case-insensitive (Unicode lower case), otherwise exact; with every organization-level user and every document user of each organization".to_owned(),
                Subject::UserId(_) => "user id: exact; among the organization-level users and the document users of each organization".to_owned(),
            },
            subject,
            organizations_asked: options.organization_ids,
            organizations_not_found,
            organizations_searched: progress.organizations_done,
            organization_ids: listed,
            calls: calls.load(Ordering::Relaxed),
            started_at,
            finished_at: Utc::now(),
            listing_error,
            failures,
            complete,
        },
    })
}

/// One organization: its organization-level users, then its document users (grouped by
/// document), each compared with the subject. The matches found before a failure are kept.
async fn search_organization(
    transport: Arc<Transport>,
    calls: Arc<AtomicU64>,
    subject: Subject,
    organization_id: String,
    page_size: u64,
) -> Searched {
    let mut query = UsersV2Query::organization(organization_id.clone()).page_size(page_size);
    if let Subject::UserId(user_id) = &subject {
        // Velt filters by user id itself; the answers are still compared.
        query = query.user_ids([user_id.clone()]);
    }
    // user id -> (user, member, documents)
    let mut found: BTreeMap<String, (User, FoundAs)> = BTreeMap::new();
    let mut error = None;
    let is_subject = subject.matcher();
    for documents in [false, true] {
        let query = if documents {
            query.clone().group_by_document()
        } else {
            query.clone()
        };
        let calls = Arc::clone(&calls);
        let mut listed = users::users(Arc::clone(&transport), query)
            .pages()
            .inspect(move |_| {
                calls.fetch_add(1, Ordering::Relaxed);
            })
            .map_ok(|page| stream::iter(page.users.into_iter().map(Ok)))
            .try_flatten();
        loop {
            match listed.next().await {
                Some(Ok(ListedUser { user, document_id })) => {
                    if !is_subject(&user) {
                        continue;
                    }
                    let entry = found
                        .entry(user.user_id.clone())
                        .or_insert_with(|| (user, FoundAs::default()));
                    match document_id {
                        Some(document_id) if documents => {
                            if !entry.1.document_ids.contains(&document_id) {
                                entry.1.document_ids.push(document_id);
                            }
                        }
                        _ if documents => {}
                        _ => entry.1.organization_member = true,
                    }
                }
                Some(Err(e)) => {
                    error = Some(e);
                    break;
                }
                None => break,
            }
        }
        if error.is_some() {
            break;
        }
    }
    let matches = found
        .into_values()
        .map(|(user, mut found_as)| {
            found_as.document_ids.sort();
            Match {
                organization_id: organization_id.clone(),
                user_id: user.user_id,
                email: user.email,
                name: user.name,
                found_as,
            }
        })
        .collect();
    Searched {
        organization_id,
        matches,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, email: Option<&str>) -> User {
        serde_json::from_value(serde_json::json!({"userId": id, "email": email})).unwrap()
    }

    #[test]
    fn emails_are_compared_trimmed_and_in_unicode_lower_case_only() {
        let jane = user("u", Some("Jane.Doe@Example.com"));
        assert!(Subject::email("jane.doe@example.com").matches(&jane));
        assert!(Subject::email("  JANE.DOE@EXAMPLE.COM\n").matches(&jane));
        assert!(!Subject::email("jane.doe+x@example.com").matches(&jane));
        assert!(!Subject::email("janedoe@example.com").matches(&jane));
        assert!(!Subject::email("jane.doe@example.com").matches(&user("u", None)));
        let accented = user("v", Some("ÉLODIE@example.com"));
        assert!(Subject::email("élodie@EXAMPLE.com").matches(&accented));
        assert!(Subject::user_id("u").matches(&jane));
        assert!(!Subject::user_id("U").matches(&jane));
    }

    #[test]
    fn a_blank_subject_is_refused() {
        assert!(Subject::email("  ").check().is_err());
        assert!(Subject::user_id("").check().is_err());
        assert!(Subject::email("a@b").check().is_ok());
    }

    #[test]
    fn the_record_serializes_in_camel_case() {
        let record = serde_json::to_value(Subject::email("a@b")).unwrap();
        assert_eq!(record, serde_json::json!({"email": "a@b"}));
        let found = serde_json::to_value(FoundAs {
            organization_member: true,
            document_ids: vec!["d".into()],
        })
        .unwrap();
        assert_eq!(
            found,
            serde_json::json!({"organizationMember": true, "documentIds": ["d"]})
        );
    }
}
