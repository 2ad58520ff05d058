//! Get Users (v1): look users up by organization, document, user ids and group ids.

use std::sync::Arc;

use crate::{
    error::{Error, Operation, Result},
    generated::types,
    transport::context::Transport,
};

/// A user as Velt holds it (the generated type of the spec's `User`).
pub use crate::generated::types::User;
/// Which users to look up: all users of one organization, narrowed down by any combination
/// of a document, user ids and organization user group ids.
///
/// ```
/// use velt_api::users::UsersQuery;
///
/// let query = UsersQuery::organization("org-1")
///     .document("doc-7")
///     .user_ids(["alice", "bob"]);
/// # let _ = query;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsersQuery {
    organization_id: String,
    document_id: Option<String>,
    user_ids: Vec<String>,
    group_ids: Vec<String>,
}

impl UsersQuery {
    /// The most user ids, and the most group ids, one Get Users request may carry.
    pub const MAX_IDS: usize = 30;

    /// All users of the organization `organization_id`.
    pub fn organization(organization_id: impl Into<String>) -> Self {
        UsersQuery {
            organization_id: organization_id.into(),
            ..UsersQuery::default()
        }
    }

    /// Only users of this document.
    pub fn document(mut self, document_id: impl Into<String>) -> Self {
        self.document_id = Some(document_id.into());
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

    /// The request body, or why it cannot be sent.
    fn to_request(&self) -> Result<types::GetUsersRequest> {
        let invalid = |message: String| Error::invalid_input(Operation::GetUsers, message);
        require_id("organization id", &self.organization_id).map_err(invalid)?;
        if let Some(document_id) = &self.document_id {
            require_id("document id", document_id).map_err(invalid)?;
        }
        check_ids("user ids", &self.user_ids, Self::MAX_IDS).map_err(invalid)?;
        check_ids(
            "organization user group ids",
            &self.group_ids,
            Self::MAX_IDS,
        )
        .map_err(invalid)?;
        // Built through the generated builders, so that a new optional field in the spec
        // changes nothing here.
        let data = types::GetUsersRequestData::builder()
            .organization_id(self.organization_id.clone())
            .document_id(self.document_id.clone())
            .user_ids(self.user_ids.clone())
            .organization_user_group_ids(self.group_ids.clone());
        types::GetUsersRequest::builder()
            .data(data)
            .try_into()
            .map_err(|e: types::error::ConversionError| invalid(e.to_string()))
    }
}

/// Checks a list of ids: at most `max`, none blank (see [`require_id`]).
pub(crate) fn check_ids(what: &str, ids: &[String], max: usize) -> Result<(), String> {
    if ids.len() > max {
        return Err(format!(
            "{} {what} given, Velt accepts at most {max} per request; split them into several queries",
            ids.len()
        ));
    }
    ids.iter().try_for_each(|id| require_id(what, id))
}

/// Checks that an id is not empty or blank, and has no space around it (a copied id with a
/// trailing space names nobody at Velt, and an erasure of it would erase nothing); the error
/// says which id.
pub(crate) fn require_id(what: &str, id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        Err(format!("the {what} is empty; pass a non-empty id"))
    } else if id.trim() != id {
        Err(format!(
            "the {what} {id:?} has leading or trailing whitespace; pass it without: {:?}",
            id.trim()
        ))
    } else {
        Ok(())
    }
}

/// Get Users (v1), checked before it is sent.
pub(crate) async fn get_users(transport: &Arc<Transport>, query: &UsersQuery) -> Result<Vec<User>> {
    let body = query.to_request()?;
    let response = transport
        .call(Operation::GetUsers, |generated| {
            let body = body.clone();
            async move { generated.get_users().body(body).send().await }
        })
        .await?;
    Ok(response.result.data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_before_sending() {
        let ok = UsersQuery::organization("o").user_ids((0..30).map(|i| i.to_string()));
        assert!(ok.to_request().is_ok());
        let too_many = ok.clone().user_ids(["one-more"]);
        let err = too_many.to_request().unwrap_err().to_string();
        assert!(err.contains("31 user ids"), "{err}");
        let groups = UsersQuery::organization("o").group_ids((0..31).map(|i| i.to_string()));
        assert!(groups.to_request().is_err());
        let err = UsersQuery::organization(" ").to_request().unwrap_err();
        assert!(
            err.to_string().contains("organization id is empty"),
            "{err}"
        );
        assert!(
            UsersQuery::organization("o")
                .document("")
                .to_request()
                .is_err()
        );
        let err = UsersQuery::organization("o")
            .user_ids(["user-0001 "])
            .to_request()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains(r#"user ids "user-0001 " has leading or trailing whitespace"#),
            "{err}"
        );
    }
}
