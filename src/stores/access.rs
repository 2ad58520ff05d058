//! What a person may access and how they are notified: Get Permissions and Get Notification
//! Config.

use std::sync::Arc;

use crate::{
    error::{Error, Operation, Result},
    export::RawItem,
    generated::types,
    transport::context::Transport,
    users::{check_ids, require_id},
};

/// Whose permissions to read with Get Permissions: users of one organization, and the
/// folders and documents to include.
///
/// ```
/// use velt_api::stores::PermissionsQuery;
///
/// let query = PermissionsQuery::new("org-1", ["user-42"]).documents(["doc-7"]);
/// # let _ = query;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PermissionsQuery {
    organization_id: String,
    user_ids: Vec<String>,
    folder_ids: Vec<String>,
    document_ids: Vec<String>,
}

impl PermissionsQuery {
    /// The permissions of `user_ids` (at least one) in `organization_id`.
    pub fn new<I, S>(organization_id: impl Into<String>, user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        PermissionsQuery {
            organization_id: organization_id.into(),
            user_ids: user_ids.into_iter().map(Into::into).collect(),
            ..PermissionsQuery::default()
        }
    }

    /// Include these folders in the result.
    pub fn folders<I, S>(mut self, folder_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.folder_ids
            .extend(folder_ids.into_iter().map(Into::into));
        self
    }

    /// Include these documents in the result.
    pub fn documents<I, S>(mut self, document_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.document_ids
            .extend(document_ids.into_iter().map(Into::into));
        self
    }

    fn to_request(&self) -> Result<types::GetPermissionsRequest> {
        let invalid = |message: String| Error::invalid_input(Operation::GetPermissions, message);
        require_id("organization id", &self.organization_id).map_err(invalid)?;
        if self.user_ids.is_empty() {
            return Err(invalid(
                "no user ids given; pass the users whose permissions are wanted".to_owned(),
            ));
        }
        check_ids("user id", &self.user_ids, usize::MAX).map_err(invalid)?;
        check_ids("folder id", &self.folder_ids, usize::MAX).map_err(invalid)?;
        check_ids("document id", &self.document_ids, usize::MAX).map_err(invalid)?;
        let data = types::GetPermissionsRequestData::builder()
            .organization_id(self.organization_id.clone())
            .user_ids(self.user_ids.clone())
            .folder_ids(self.folder_ids.clone())
            .document_ids(self.document_ids.clone());
        types::GetPermissionsRequest::builder()
            .data(data)
            .try_into()
            .map_err(|e: types::error::ConversionError| invalid(e.to_string()))
    }
}

/// The answer of Get Permissions: per user id, by kind of resource (`organization`,
/// `folders`, `documents`, and `context` with access context) and resource id, the access
/// role and type, `expiresAt` of temporary access, or the `error` and `errorCode` of an entry
/// that could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permissions {
    /// Velt's `data`, keyed by user id, exactly as sent.
    pub data: RawItem,
}

impl Permissions {
    /// One user's permissions, when the answer has them.
    ///
    /// ```
    /// use velt_api::stores::{Permissions, RawItem};
    ///
    /// let permissions = Permissions {
    ///     data: RawItem::from_json(r#"{"u1":{"organization":{"org1":{"accessRole":"editor"}}}}"#)?,
    /// };
    /// let mine = permissions.of_user("u1").expect("listed");
    /// assert_eq!(mine["organization"]["org1"]["accessRole"], "editor");
    /// assert!(permissions.of_user("u2").is_none());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn of_user(&self, user_id: &str) -> Option<serde_json::Value> {
        self.data.get(user_id).filter(|v| !v.is_null())
    }
}

/// Get Permissions for `query`.
pub(crate) async fn permissions(
    transport: &Arc<Transport>,
    query: &PermissionsQuery,
) -> Result<Permissions> {
    let body = query.to_request()?;
    let response = transport
        .call(Operation::GetPermissions, |generated| {
            let body = body.clone();
            async move { generated.get_permissions().body(body).send().await }
        })
        .await?;
    Ok(Permissions {
        data: response.result.data,
    })
}

/// Which notification settings to read with Get Notification Config: a user's in one
/// organization, at organization level or for some documents.
///
/// ```
/// use velt_api::stores::NotificationConfigQuery;
///
/// let organization = NotificationConfigQuery::organization_level("org-1", "user-42");
/// let documents = NotificationConfigQuery::documents("org-1", "user-42", ["doc-7"]);
/// # let _ = (organization, documents);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationConfigQuery {
    organization_id: String,
    user_id: String,
    /// `None` for the organization-level settings (`getOrganizationConfig`).
    document_ids: Option<Vec<String>>,
}

impl NotificationConfigQuery {
    /// The most documents one request may name.
    pub const MAX_DOCUMENTS: usize = 30;

    /// The organization-level settings of `user_id` in `organization_id`
    /// (`getOrganizationConfig`).
    pub fn organization_level(
        organization_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Self {
        NotificationConfigQuery {
            organization_id: organization_id.into(),
            user_id: user_id.into(),
            document_ids: None,
        }
    }

    /// The settings of `user_id` for these documents (1 to 30).
    pub fn documents<I, S>(
        organization_id: impl Into<String>,
        user_id: impl Into<String>,
        document_ids: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        NotificationConfigQuery {
            organization_id: organization_id.into(),
            user_id: user_id.into(),
            document_ids: Some(document_ids.into_iter().map(Into::into).collect()),
        }
    }

    fn to_request(&self) -> Result<types::GetNotificationConfigRequest> {
        let invalid =
            |message: String| Error::invalid_input(Operation::GetNotificationConfig, message);
        require_id("organization id", &self.organization_id).map_err(invalid)?;
        require_id("user id", &self.user_id).map_err(invalid)?;
        let data = types::GetNotificationConfigRequestData::builder()
            .organization_id(self.organization_id.clone())
            .user_id(self.user_id.clone());
        let data = match &self.document_ids {
            None => data.get_organization_config(Some(true)),
            Some(ids) => {
                if ids.is_empty() {
                    return Err(invalid(
                        "no document ids given; name documents, or ask for the organization-level settings".to_owned(),
                    ));
                }
                check_ids("document ids", ids, Self::MAX_DOCUMENTS).map_err(invalid)?;
                data.document_ids(ids.clone())
            }
        };
        types::GetNotificationConfigRequest::builder()
            .data(data)
            .try_into()
            .map_err(|e: types::error::ConversionError| invalid(e.to_string()))
    }
}

/// One notification setting, as the JSON text Velt sent: `config` (per channel, such as
/// `inbox` and `email`) and `metadata` (organization, document, user). Velt puts the
/// workspace's API key in `metadata.apiKey`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct NotificationSetting(RawItem);

impl NotificationSetting {
    /// The setting exactly as Velt sent it.
    pub fn raw(&self) -> &RawItem {
        &self.0
    }
}

/// Get Notification Config for `query`.
pub(crate) async fn notification_config(
    transport: &Arc<Transport>,
    query: &NotificationConfigQuery,
) -> Result<Vec<NotificationSetting>> {
    let body = query.to_request()?;
    let response = transport
        .call(Operation::GetNotificationConfig, |generated| {
            let body = body.clone();
            async move { generated.get_notification_config().body(body).send().await }
        })
        .await?;
    Ok(response
        .result
        .data
        .into_iter()
        .map(NotificationSetting)
        .collect())
}
