//! The v2 look-up calls as streams: Get Organizations ([`OrganizationList`]) and Get Users v2
//! ([`UserList`]), both read through the crate's one pager.

use std::{num::NonZeroU64, sync::Arc};

use serde::Serialize;

pub use crate::pager::Listing;
use crate::{
    error::{Error, Operation, Result},
    generated::types,
    transport::context::Transport,
    users::v1::{User, check_ids, require_id},
};

/// An organization as Get Organizations returns it (the generated type of the spec's
/// `Organization`: `id`, `organizationName`, `disabled`).
pub use crate::generated::types::Organization;

/// Which organizations to list: every organization of the workspace, or the ones named.
///
/// ```
/// use velt_api::users::OrganizationsQuery;
///
/// let every = OrganizationsQuery::all();
/// let some = OrganizationsQuery::ids(["org-1", "org-2"]).page_size(100);
/// # let _ = (every, some);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrganizationsQuery {
    organization_ids: Vec<String>,
    page_size: Option<NonZeroU64>,
}

impl OrganizationsQuery {
    /// The most organization ids one Get Organizations request may carry.
    pub const MAX_IDS: usize = 30;

    /// Every organization of the workspace.
    pub fn all() -> Self {
        OrganizationsQuery::default()
    }

    /// Only these organizations (at most 30; none means every organization).
    pub fn ids<I, S>(organization_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        OrganizationsQuery {
            organization_ids: organization_ids.into_iter().map(Into::into).collect(),
            page_size: None,
        }
    }

    /// How many organizations a page holds at most (Velt's default is 1000); 0 is Velt's
    /// default.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = NonZeroU64::new(page_size);
        self
    }

    /// The organizations named; empty for every organization.
    pub fn organization_ids(&self) -> &[String] {
        &self.organization_ids
    }

    /// The request body of the page `page_token`, or why it cannot be sent.
    fn to_request(&self, page_token: Option<String>) -> Result<types::GetOrganizationsRequest> {
        let invalid = |message: String| Error::invalid_input(Operation::GetOrganizations, message);
        check_ids("organization ids", &self.organization_ids, Self::MAX_IDS).map_err(invalid)?;
        let data = types::GetOrganizationsRequestData::builder()
            .organization_ids(self.organization_ids.clone())
            .page_size(self.page_size)
            .page_token(page_token.filter(|t| !t.is_empty()));
        types::GetOrganizationsRequest::builder()
            .data(data)
            .try_into()
            .map_err(|e: types::error::ConversionError| invalid(e.to_string()))
    }
}

/// One page of Get Organizations.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganizationsPage {
    /// The organizations of the page, in Velt's order.
    pub organizations: Vec<Organization>,
    /// The next page's token; `None` on the last page.
    pub next_page_token: Option<String>,
}

async fn get_organizations_page(
    transport: &Arc<Transport>,
    body: types::GetOrganizationsRequest,
) -> Result<OrganizationsPage> {
    let response = transport
        .call(Operation::GetOrganizations, |generated| {
            let body = body.clone();
            async move { generated.get_organizations().body(body).send().await }
        })
        .await?;
    let result = response.result;
    Ok(OrganizationsPage {
        organizations: result.data,
        next_page_token: result.next_page_token.filter(|t| !t.is_empty()),
    })
}

/// Which documents' users Get Users v2 lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Documents {
    /// The organization-level users (no document named).
    #[default]
    OrganizationLevel,
    /// The users of one document.
    Document(String),
    /// The users of the documents of one folder.
    Folder(String),
    /// The users of every document (not the organization-level ones), grouped by document
    /// or not.
    All { grouped: bool },
}

/// Which users to list with Get Users (v2): the organization-level users of one
/// organization, or the users of a document, a folder or every document, narrowed down by
/// user ids and organization user group ids.
///
/// ```
/// use velt_api::users::UsersV2Query;
///
/// let members = UsersV2Query::organization("org-1");
/// let in_documents = UsersV2Query::organization("org-1").all_documents().group_by_document();
/// let some = UsersV2Query::organization("org-1").folder("folder-1").user_ids(["alice"]);
/// # let _ = (members, in_documents, some);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsersV2Query {
    organization_id: String,
    documents: Documents,
    user_ids: Vec<String>,
    group_ids: Vec<String>,
    page_size: Option<NonZeroU64>,
}

impl UsersV2Query {
    /// The most user ids, and the most group ids, one request may carry.
    pub const MAX_IDS: usize = 30;

    /// The organization-level users of `organization_id`.
    pub fn organization(organization_id: impl Into<String>) -> Self {
        UsersV2Query {
            organization_id: organization_id.into(),
            ..UsersV2Query::default()
        }
    }

    /// The users of this document instead (replaces a folder or every document).
    pub fn document(mut self, document_id: impl Into<String>) -> Self {
        self.documents = Documents::Document(document_id.into());
        self
    }

    /// The users of the documents of this folder instead (replaces a document or every
    /// document).
    pub fn folder(mut self, folder_id: impl Into<String>) -> Self {
        self.documents = Documents::Folder(folder_id.into());
        self
    }

    /// The users of every document of the organization instead (`allDocuments`); Velt then
    /// leaves out the organization-level users.
    pub fn all_documents(mut self) -> Self {
        if !matches!(self.documents, Documents::All { .. }) {
            self.documents = Documents::All { grouped: false };
        }
        self
    }

    /// With [`UsersV2Query::all_documents`] (implied): Velt answers the users keyed by
    /// document id (`groupByDocumentId`), and every [`ListedUser`] carries its document id.
    /// A user of several documents is listed once per document.
    pub fn group_by_document(mut self) -> Self {
        self.documents = Documents::All { grouped: true };
        self
    }

    /// Only these users (at most 30 in all).
    pub fn user_ids<I, S>(mut self, user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.user_ids.extend(user_ids.into_iter().map(Into::into));
        self
    }

    /// Only members of these organization user groups (at most 30 in all).
    pub fn group_ids<I, S>(mut self, group_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.group_ids.extend(group_ids.into_iter().map(Into::into));
        self
    }

    /// How many entries a page holds at most (Velt's default is 1000); 0 is Velt's default.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = NonZeroU64::new(page_size);
        self
    }

    /// The organization looked in.
    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// The request body of the page `page_token`, or why it cannot be sent.
    fn to_request(&self, page_token: Option<String>) -> Result<types::GetUsersV2Request> {
        let invalid = |message: String| Error::invalid_input(Operation::GetUsersV2, message);
        require_id("organization id", &self.organization_id).map_err(invalid)?;
        let (document_id, folder_id, all_documents, grouped) = match &self.documents {
            Documents::OrganizationLevel => (None, None, None, None),
            Documents::Document(id) => {
                require_id("document id", id).map_err(invalid)?;
                (Some(id.clone()), None, None, None)
            }
            Documents::Folder(id) => {
                require_id("folder id", id).map_err(invalid)?;
                (None, Some(id.clone()), None, None)
            }
            Documents::All { grouped } => (None, None, Some(true), grouped.then_some(true)),
        };
        check_ids("user ids", &self.user_ids, Self::MAX_IDS).map_err(invalid)?;
        check_ids(
            "organization user group ids",
            &self.group_ids,
            Self::MAX_IDS,
        )
        .map_err(invalid)?;
        let data = types::GetUsersV2RequestData::builder()
            .organization_id(self.organization_id.clone())
            .document_id(document_id)
            .folder_id(folder_id)
            .all_documents(all_documents)
            .group_by_document_id(grouped)
            .user_ids(self.user_ids.clone())
            .organization_user_group_ids(self.group_ids.clone())
            .page_size(self.page_size)
            .page_token(page_token.filter(|t| !t.is_empty()));
        types::GetUsersV2Request::builder()
            .data(data)
            .try_into()
            .map_err(|e: types::error::ConversionError| invalid(e.to_string()))
    }
}

/// A user of a Get Users v2 answer; with `groupByDocumentId`, the document it was listed
/// under.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedUser {
    /// The user as Velt holds it.
    #[serde(flatten)]
    pub user: User,
    /// The document the user was listed under (grouped answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
}

/// One page of Get Users (v2), a grouped answer flattened in document order.
#[derive(Clone, Debug, PartialEq)]
pub struct UsersPage {
    /// The users of the page; a grouped answer's users each carry their document id.
    pub users: Vec<ListedUser>,
    /// The next page's token, whichever name Velt gave it (`nextPageToken` or
    /// `pageToken`); `None` on the last page.
    pub next_page_token: Option<String>,
}

impl UsersPage {
    /// The page Velt answered: a list as it is, an object keyed by document id flattened
    /// with the document id kept; the next token under either name.
    pub(crate) fn from_result(result: types::GetUsersV2Result) -> UsersPage {
        let users = match result.data {
            types::GetUsersV2ResultData::UserList(list) => list
                .0
                .into_iter()
                .map(|user| ListedUser {
                    user,
                    document_id: None,
                })
                .collect(),
            types::GetUsersV2ResultData::UsersByDocument(by_document) => by_document
                .0
                .into_iter()
                .flat_map(|(document_id, list)| {
                    list.0.into_iter().map(move |user| ListedUser {
                        user,
                        document_id: Some(document_id.clone()),
                    })
                })
                .collect(),
        };
        let next_page_token = [result.next_page_token, result.page_token]
            .into_iter()
            .flatten()
            .find(|t| !t.is_empty());
        UsersPage {
            users,
            next_page_token,
        }
    }
}

async fn get_users_page(
    transport: &Arc<Transport>,
    body: types::GetUsersV2Request,
) -> Result<UsersPage> {
    let response = transport
        .call(Operation::GetUsersV2, |generated| {
            let body = body.clone();
            async move { generated.get_users_v2().body(body).send().await }
        })
        .await?;
    Ok(UsersPage::from_result(response.result))
}

/// A listing of organizations, not yet started: made by
/// [`crate::Client::list_organizations`]; nothing is sent until its stream is polled.
pub type OrganizationList = Listing<OrganizationsPage, Organization>;

/// A listing of users (Get Users v2), not yet started: made by [`crate::Client::list_users`];
/// nothing is sent until its stream is polled. With `groupByDocumentId`, a user of several
/// documents is listed once per document.
pub type UserList = Listing<UsersPage, ListedUser>;

/// Get Organizations for `query`, page after page.
pub(crate) fn organizations(
    transport: Arc<Transport>,
    query: OrganizationsQuery,
) -> OrganizationList {
    Listing::new(
        Operation::GetOrganizations,
        Arc::new(move |token| {
            let transport = Arc::clone(&transport);
            let request = query.to_request(token);
            Box::pin(async move { get_organizations_page(&transport, request?).await })
        }),
        |page| page.next_page_token.as_deref(),
        |page| page.organizations,
    )
}

/// Get Users v2 for `query`, page after page.
pub(crate) fn users(transport: Arc<Transport>, query: UsersV2Query) -> UserList {
    Listing::new(
        Operation::GetUsersV2,
        Arc::new(move |token| {
            let transport = Arc::clone(&transport);
            let request = query.to_request(token);
            Box::pin(async move { get_users_page(&transport, request?).await })
        }),
        |page| page.next_page_token.as_deref(),
        |page| page.users,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_checked_before_sending() {
        let too_many = OrganizationsQuery::ids((0..31).map(|i| format!("org-{i}")));
        let err = too_many.to_request(None).unwrap_err().to_string();
        assert!(err.contains("31 organization ids"), "{err}");
        assert!(OrganizationsQuery::ids([" "]).to_request(None).is_err());
        assert!(OrganizationsQuery::all().to_request(None).is_ok());

        assert!(UsersV2Query::organization("").to_request(None).is_err());
        assert!(
            UsersV2Query::organization("o")
                .document(" ")
                .to_request(None)
                .is_err()
        );
        let err = UsersV2Query::organization("o")
            .user_ids((0..31).map(|i| i.to_string()))
            .to_request(None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("31 user ids"), "{err}");
        let body = UsersV2Query::organization("o")
            .group_by_document()
            .to_request(Some("t".into()))
            .unwrap();
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"data": {"organizationId": "o", "allDocuments": true,
                "groupByDocumentId": true, "pageToken": "t"}})
        );
    }

    #[test]
    fn grouped_answers_are_flattened_with_their_document_and_either_token_is_read() {
        let result: types::GetUsersV2Result = serde_json::from_value(serde_json::json!({
            "status": "success",
            "data": {
                "doc-1": [{"userId": "a", "email": "A@x.com"}, {"userId": "b"}],
                "doc-2": [{"userId": "a", "email": "A@x.com"}]
            },
            "pageToken": "next"
        }))
        .unwrap();
        let page = UsersPage::from_result(result);
        let listed: Vec<(&str, Option<&str>)> = page
            .users
            .iter()
            .map(|u| (u.user.user_id.as_str(), u.document_id.as_deref()))
            .collect();
        assert_eq!(
            listed,
            [
                ("a", Some("doc-1")),
                ("b", Some("doc-1")),
                ("a", Some("doc-2"))
            ]
        );
        assert_eq!(page.next_page_token.as_deref(), Some("next"));

        let result: types::GetUsersV2Result = serde_json::from_value(serde_json::json!({
            "data": [{"userId": "a"}], "nextPageToken": "", "pageToken": null
        }))
        .unwrap();
        let page = UsersPage::from_result(result);
        assert_eq!(page.users[0].document_id, None);
        assert_eq!(page.next_page_token, None);
    }
}
