//! The client: its builder (credentials, base URL, timeouts, retries, the HTTP connection
//! pool) and the one `impl Client` block that holds every call. The calls are thin: the work
//! lives in the module of each concern ([`crate::export`], [`crate::deletion`],
//! [`crate::users`], [`crate::search`], [`crate::stores`]).

use std::{collections::HashMap, fmt, sync::Arc, time::Duration};

use reqwest::{Url, header::HeaderValue};
use secrecy::SecretString;

use crate::{
    deletion::{self, DeleteRequest, Deletion, DeletionStatus, ErasureCheck, PollOptions, Poller},
    error::{Error, Operation, Result},
    export::{self, Export, ExportPage},
    generated::types,
    retry::RetryPolicy,
    search::{self, Search, SearchOptions, SearchProgress, Subject},
    stores::{
        self, ActivitiesQuery, ActivityDeletion, ActivityList, Gathered, Judgment, JudgmentsQuery,
        NotificationConfigQuery, NotificationSetting, Permissions, PermissionsQuery,
        ReviewerProfile,
    },
    transport::context::{Credentials, Transport},
    users::{self, OrganizationList, OrganizationsQuery, UserList, UsersQuery, UsersV2Query},
};

/// Builds a [`Client`].
///
/// The API key and auth token come from [`api_key`](ClientBuilder::api_key) and
/// [`auth_token`](ClientBuilder::auth_token), or else from the `VELT_API_KEY` and
/// `VELT_AUTH_TOKEN` environment variables.
///
/// ```no_run
/// use std::time::Duration;
/// use velt_api::{Client, Operation, RetryPolicy};
///
/// # fn main() -> velt_api::Result<()> {
/// let client = Client::builder()
///     .api_key("my-api-key")
///     .auth_token("my-auth-token")
///     .timeout(Operation::GetAllUserData, Duration::from_secs(90))
///     .retry_policy(RetryPolicy::default().max_attempts(5))
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    api_key: Option<SecretString>,
    auth_token: Option<SecretString>,
    base_url: Option<String>,
    timeouts: HashMap<Operation, Duration>,
    read_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    retry: Option<RetryPolicy>,
    http_client: Option<reqwest::Client>,
    max_response_bytes: Option<u64>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "[redacted]"),
            )
            .field("base_url", &self.base_url)
            .field("timeouts", &self.timeouts)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("custom_http_client", &self.http_client.is_some())
            .finish()
    }
}

impl ClientBuilder {
    /// The workspace's API key (`x-velt-api-key`).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(api_key.into()));
        self
    }

    /// An auth token from the Velt console (`x-velt-auth-token`).
    pub fn auth_token(mut self, auth_token: impl Into<String>) -> Self {
        self.auth_token = Some(SecretString::from(auth_token.into()));
        self
    }

    /// Where to send requests; default `https://api.velt.dev`. Must be `https`, except on a
    /// loopback host (`localhost`, `127.0.0.1`, `[::1]`), where `http` is allowed for tests and
    /// the built-in fake server.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The timeout of one attempt of `operation`, from sending to the end of the answer.
    /// Defaults: 6 minutes for the deletion, 60 seconds for the others.
    pub fn timeout(mut self, operation: Operation, timeout: Duration) -> Self {
        self.timeouts.insert(operation, timeout);
        self
    }

    /// The timeout of every call but the deletion (see [`ClientBuilder::timeout`] for one).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// How long making a connection may take; default 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` header; default `velt-api/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The largest answer to read, in bytes; default 64 MiB. A larger answer fails with
    /// an error of kind [`crate::ErrorKind::TooLarge`] instead of filling memory.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// How failed calls are retried; default [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Use this `reqwest::Client` (its proxy, TLS and pool settings) instead of the one the
    /// builder makes. The connect timeout set here is then not applied; timeouts per
    /// operation are. This crate builds reqwest without a bundled TLS crypto provider: install
    /// one (`rustls::crypto::ring::default_provider().install_default()`) before building
    /// your client, or enable a reqwest TLS feature in your own crate.
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: reqwest keeps custom
    /// headers such as `x-velt-api-key` when it follows a redirect to another host, and the
    /// client cannot see or change the policy of a `reqwest::Client` it is given.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Checks everything and builds the client.
    ///
    /// Fails with an error of kind [`crate::ErrorKind::Config`] when a credential is missing or empty, or the base URL is
    /// not a valid `https` URL.
    pub fn build(self) -> Result<Client> {
        let api_key = match self.api_key {
            Some(key) => key,
            None => env_secret(Client::ENV_API_KEY, "API key", "api_key")?,
        };
        let auth_token = match self.auth_token {
            Some(token) => token,
            None => env_secret(Client::ENV_AUTH_TOKEN, "auth token", "auth_token")?,
        };
        let credentials = Credentials::new(&api_key, &auth_token)?;
        let base_url =
            check_base_url(self.base_url.as_deref().unwrap_or(Client::DEFAULT_BASE_URL))?;

        let user_agent = self
            .user_agent
            .unwrap_or_else(|| concat!("velt-api/", env!("CARGO_PKG_VERSION")).to_owned());
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            Error::config("the user agent contains characters not allowed in a header")
        })?;

        let http = match self.http_client {
            Some(client) => client,
            None => default_http_client(
                self.connect_timeout
                    .unwrap_or(Client::DEFAULT_CONNECT_TIMEOUT),
                user_agent.clone(),
            )?,
        };

        let read_timeout = self.read_timeout.unwrap_or(Client::DEFAULT_TIMEOUT);
        let timeouts = Operation::ALL.map(|operation| {
            let default = match operation {
                Operation::DeleteAllUserData => Client::DEFAULT_DELETE_TIMEOUT,
                _ => read_timeout,
            };
            self.timeouts.get(&operation).copied().unwrap_or(default)
        });

        Ok(Client {
            transport: Arc::new(Transport {
                http,
                base_url,
                credentials,
                user_agent,
                timeouts,
                read_timeout,
                retry: self.retry.unwrap_or_default(),
                max_response_bytes: self
                    .max_response_bytes
                    .unwrap_or(Client::DEFAULT_MAX_RESPONSE_BYTES),
            }),
        })
    }
}

fn env_secret(var: &str, what: &str, method: &str) -> Result<SecretString> {
    match std::env::var(var) {
        Ok(value) => Ok(SecretString::from(value)),
        Err(std::env::VarError::NotPresent) => Err(Error::config(format!(
            "no {what}: pass it with ClientBuilder::{method} or set {var}"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Error::config(format!("{var} is not valid UTF-8")))
        }
    }
}

fn check_base_url(text: &str) -> Result<String> {
    let url = Url::parse(text.trim()).map_err(|e| {
        Error::config(format!(
            "base URL {text:?} is not a URL ({e}); use e.g. {}",
            Client::DEFAULT_BASE_URL
        ))
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::config(format!(
                "base URL {text:?} uses http; credentials must travel over https (http is allowed only on localhost)"
            )));
        }
        other => {
            return Err(Error::config(format!(
                "base URL {text:?} has scheme {other:?}; use https"
            )));
        }
    }
    if url.host().is_none() {
        return Err(Error::config(format!("base URL {text:?} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(Error::config(format!(
            "base URL {text:?} must not carry a query, a fragment or a user name"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn default_http_client(
    connect_timeout: Duration,
    user_agent: HeaderValue,
) -> Result<reqwest::Client> {
    // reqwest is built without a bundled crypto provider; ring is the one this crate ships.
    // Installing fails harmlessly when the application installed one already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        // Redirects are never followed: reqwest would carry the credential headers along.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(user_agent)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))
}

/// A client of Velt's user-data API.
///
/// Cheap to clone: clones share one connection pool. Make one at start-up and hand clones
/// around. Debug shows the base URL and settings, never a credential.
///
/// ```no_run
/// # async fn run() -> velt_api::Result<()> {
/// // Reads VELT_API_KEY and VELT_AUTH_TOKEN.
/// let client = velt_api::Client::from_env()?;
/// let users = client
///     .get_users(&velt_api::users::UsersQuery::organization("org-1"))
///     .await?;
/// println!("{} users", users.len());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.transport.base_url)
            .field("credentials", &self.transport.credentials)
            .field("timeouts", &self.transport.timeouts)
            .field("retry", &self.transport.retry)
            .finish()
    }
}

/// Every call of the client, in one place. Each is a thin delegate to the module of its
/// concern.
impl Client {
    /// The default base URL of Velt's REST API.
    pub const DEFAULT_BASE_URL: &'static str = "https://api.velt.dev";
    /// Environment variable read for the API key when none is given to the builder.
    pub const ENV_API_KEY: &'static str = "VELT_API_KEY";
    /// Environment variable read for the auth token when none is given to the builder.
    pub const ENV_AUTH_TOKEN: &'static str = "VELT_AUTH_TOKEN";
    /// Timeout of every call but the deletion.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
    /// Timeout of the deletion call: Velt says it may take up to five minutes to answer.
    pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(6 * 60);
    /// The largest answer the client reads: a page of 400 items is a few megabytes.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
    /// Timeout for making a connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The version of `openapi/velt.yaml` (its `info.version`) this crate was generated from.
    pub const SPEC_VERSION: &'static str = crate::generated::SPEC_VERSION;

    /// A builder with every setting at its default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with default settings and the credentials from `VELT_API_KEY` and
    /// `VELT_AUTH_TOKEN`.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::default().build()
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.transport.base_url
    }

    /// The timeout of one attempt of `operation`.
    pub fn timeout(&self, operation: Operation) -> Duration {
        self.transport.timeout(operation)
    }

    /// What makes the calls (for the measurement in `transport/mod.rs`).
    #[cfg(test)]
    pub(crate) fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.transport.retry
    }

    // Export (GDPR access).

    /// Get All User Data: one page of the user's data. `page_token` is `None` for the first
    /// page and the previous page's [`ExportPage::next_page_token`] after that.
    ///
    /// Most callers want [`Client::export_user_data`], which follows the tokens.
    pub async fn get_user_data_page(
        &self,
        organization_id: &str,
        user_id: &str,
        page_token: Option<&str>,
    ) -> Result<ExportPage> {
        export::get_page(&self.transport, organization_id, user_id, page_token).await
    }

    /// Everything Velt holds about `user_id` in `organization_id`, page after page: an
    /// [`Export`] to read as pages, items, one collected [`crate::export::UserData`] or
    /// NDJSON lines. Nothing is sent until it is read.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use futures::TryStreamExt;
    ///
    /// let mut items = client.export_user_data("org-1", "user-42").items();
    /// while let Some(item) = items.try_next().await? {
    ///     println!("{}: {}", item.feature, item.item);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn export_user_data(
        &self,
        organization_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Export {
        Export::new(
            Arc::clone(&self.transport),
            organization_id.into(),
            user_id.into(),
        )
    }

    // Erasure (GDPR erasure).

    /// Delete All User Data: starts the deletion of every user in `request`, in batches of at
    /// most 30 users, one job per batch ([`DeleteRequest::MAX_USERS_PER_BATCH`]).
    ///
    /// The request is checked before anything is sent. The call may take minutes (Velt says
    /// up to five). It is retried only when the failure proves nothing was started (never
    /// sent, or refused with a rate limit: [`Error::is_not_processed`]), unless the
    /// [`RetryPolicy`] says otherwise. When the first batch fails and nothing was started,
    /// that is the error. When a later batch fails, or any batch's outcome is unknown (sent,
    /// and no answer says what happened: [`Error::is_outcome_unknown`]), the answer is still a
    /// [`Deletion`]: the jobs that were started, and in [`Deletion::incomplete`] the batch
    /// that may have started, the users not sent, and why.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use velt_api::deletion::{DeleteRequest, DeletionScope, PollEvent, PollOptions, WaitOutcome};
    ///
    /// let request = DeleteRequest::new(["user-42"], DeletionScope::Organizations(vec!["org-1".into()]));
    /// let deletion = client.delete_user_data(&request).await?;
    /// for job in &deletion.jobs {
    ///     let outcome = client
    ///         .poll_deletion(&job.job_id, PollOptions::default())
    ///         .until_done(|event| match event {
    ///             PollEvent::Status(s) => eprintln!("{} tasks left", s.tasks_left.unwrap_or(0)),
    ///             PollEvent::Retrying { error, next_in, .. } => {
    ///                 eprintln!("{error}; trying again in {next_in:?}")
    ///             }
    ///             _ => {}
    ///         })
    ///         .await?;
    ///     assert!(matches!(outcome, WaitOutcome::Completed(_)));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_user_data(&self, request: &DeleteRequest) -> Result<Deletion> {
        deletion::delete(&self.transport, request).await
    }

    /// Get Delete All User Data Status: how far the job `job_id` has got. An answer with a
    /// negative `tasksLeft` or an impossible `lastTaskCompletedTime` is an error of kind
    /// [`crate::ErrorKind::Decode`] that names the field and the value.
    pub async fn deletion_status(&self, job_id: &str) -> Result<DeletionStatus> {
        deletion::status(&self.transport, job_id).await
    }

    /// A [`Poller`] of the job `job_id`: [`Poller::poll`] for one event at a time, or
    /// [`Poller::until_done`] to wait until the job completes or `options.deadline` passes.
    /// Transient failures of status calls are ridden out with backoff; permanent ones end
    /// the polling at once. Nothing is sent until it is polled.
    pub fn poll_deletion(&self, job_id: impl Into<String>, options: PollOptions) -> Poller {
        Poller::new(Arc::clone(&self.transport), job_id.into(), options)
    }

    /// Proof of erasure for one user in one organization: exports the user's data again
    /// (every page, nothing kept in memory) and counts what is left. Run it once the deletion
    /// jobs have completed.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// let check = client.verify_erasure("org-1", "user-42").await?;
    /// if !check.nothing_remains() {
    ///     eprintln!("still in org-1: {}", check.describe_remaining());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn verify_erasure(
        &self,
        organization_id: &str,
        user_id: &str,
    ) -> Result<ErasureCheck> {
        let summary = self
            .export_user_data(organization_id, user_id)
            .summarize()
            .await?;
        Ok(ErasureCheck::new(organization_id, user_id, &summary))
    }

    // Users.

    /// Get Users (v1): the users that match `query`.
    ///
    /// The query is checked before anything is sent: an empty organization id, or more than
    /// 30 user ids or group ids, is refused with an error of kind
    /// [`crate::ErrorKind::InvalidInput`].
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use velt_api::users::UsersQuery;
    ///
    /// for user in client.get_users(&UsersQuery::organization("org-1")).await? {
    ///     println!("{} <{}>", user.user_id, user.email.unwrap_or_default());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_users(&self, query: &UsersQuery) -> Result<Vec<types::User>> {
        users::get_users(&self.transport, query).await
    }

    /// Get Organizations, every page: the organizations of the workspace, or the ones
    /// `query` names, as an [`OrganizationList`] to read as pages or items. Nothing is sent
    /// until it is read; the query is checked before the first request (at most 30 ids,
    /// none blank).
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use futures::TryStreamExt;
    /// use velt_api::users::OrganizationsQuery;
    ///
    /// let mut organizations = client.list_organizations(OrganizationsQuery::all()).items();
    /// while let Some(organization) = organizations.try_next().await? {
    ///     println!("{} {:?}", organization.id, organization.organization_name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_organizations(&self, query: OrganizationsQuery) -> OrganizationList {
        users::organizations(Arc::clone(&self.transport), query)
    }

    /// Get Users (v2), every page: the users of one organization (its organization-level
    /// users, or those of a document, a folder or every document), as a [`UserList`] to read
    /// as pages or items. Answers grouped by document are flattened, each user with its
    /// document id. Either name of the next page's token (`nextPageToken`, `pageToken`) is
    /// followed. The query is checked before the first request.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use velt_api::users::UsersV2Query;
    ///
    /// let query = UsersV2Query::organization("org-1").all_documents().group_by_document();
    /// for listed in client.list_users(query).collect().await? {
    ///     println!("{} in {:?}", listed.user.user_id, listed.document_id);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_users(&self, query: UsersV2Query) -> UserList {
        users::users(Arc::clone(&self.transport), query)
    }

    // Finding a person.

    /// Every organization where Velt holds a user for `subject` (an email or a user id),
    /// with a record of the search: see [`crate::search`].
    ///
    /// Looks in every organization of the workspace (or `options.organization_ids`), at the
    /// organization-level users and at the document users of each (Get Users v2 with
    /// `allDocuments`, grouped by document), `options.concurrency` calls at a time. Emails
    /// are compared trimmed and case-insensitively (Unicode lower case), nothing cleverer;
    /// user ids exactly. An organization whose listing fails is in
    /// [`crate::search::SearchRecord::failures`] and makes the search incomplete; it is never
    /// read as "not there". Fails only when the subject or an organization id is blank.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use velt_api::search::{SearchOptions, Subject};
    ///
    /// let found = client
    ///     .find_person(Subject::email("Jane.Doe@example.com"), SearchOptions::default())
    ///     .await?;
    /// for m in &found.matches {
    ///     println!("{} in {}", m.user_id, m.organization_id);
    /// }
    /// if !found.search.complete {
    ///     eprintln!("incomplete: {:?}", found.search.failures);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn find_person(&self, subject: Subject, options: SearchOptions) -> Result<Search> {
        search::find(&self.transport, subject, options, |_| {}).await
    }

    /// [`Client::find_person`], calling `on_progress` as organizations are searched.
    pub async fn find_person_with_progress(
        &self,
        subject: Subject,
        options: SearchOptions,
        on_progress: impl FnMut(&SearchProgress),
    ) -> Result<Search> {
        search::find(&self.transport, subject, options, on_progress).await
    }

    // Velt's other stores.

    /// Get Activity Logs, every page: the activity records `query` selects, as an
    /// [`ActivityList`] to read as pages, items or one collected `Vec`. Each record is the
    /// JSON text Velt sent ([`crate::stores::ActivityRecord::raw`]). Nothing is sent until it
    /// is read; the query is checked before the first request.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use velt_api::stores::ActivitiesQuery;
    ///
    /// let records = client
    ///     .list_activities(ActivitiesQuery::of_user("org-1", "user-42"))
    ///     .collect()
    ///     .await?;
    /// for record in &records {
    ///     println!("{:?}: {}", record.id(), record.raw().as_str());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list_activities(&self, query: ActivitiesQuery) -> ActivityList {
        stores::list_activities(Arc::clone(&self.transport), query)
    }

    /// Delete Activity Logs: deletes the records `activity_ids` of `organization_id`, in
    /// batches of at most [`ActivityDeletion::IDS_PER_BATCH`], sending every batch whatever
    /// became of the others. The ids are checked before anything is sent (none, or a blank
    /// one, is an error of kind [`crate::ErrorKind::InvalidInput`]); a repeated id is sent
    /// once.
    ///
    /// The answer says per id what Velt did ([`ActivityDeletion::deleted`],
    /// [`ActivityDeletion::not_deleted`]). A batch is retried only when the failure proves
    /// nothing reached Velt ([`Error::is_not_processed`]); a batch of unknown outcome is
    /// never sent again by the client, whatever the [`RetryPolicy`], and its ids are in
    /// [`ActivityDeletion::unknown`]. Velt may keep immutable records ("cannot be edited or
    /// deleted after creation"): list them again to know what is left.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// let deletion = client.delete_activities("org-1", ["activity-001"]).await?;
    /// if !deletion.all_deleted() {
    ///     for (id, message) in deletion.not_deleted() {
    ///         eprintln!("{id}: {}", message.unwrap_or("not deleted"));
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_activities(
        &self,
        organization_id: &str,
        activity_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<ActivityDeletion> {
        let ids = activity_ids.into_iter().map(Into::into).collect();
        stores::delete_activities(&self.transport, organization_id, ids).await
    }

    /// Get Reviewer Profile: `user_id`'s AI Memory reviewer profile as the JSON text Velt
    /// sent, or `None` when Velt holds none (it answers `null`).
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// match client.reviewer_profile("user-42").await? {
    ///     Some(profile) => println!("{}", profile.raw()),
    ///     None => println!("no reviewer profile"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reviewer_profile(&self, user_id: &str) -> Result<Option<ReviewerProfile>> {
        stores::reviewer_profile(&self.transport, user_id).await
    }

    /// Query Judgments, gathered: every AI Memory judgment of `query`'s reviewer in its
    /// organizations (or the workspace). Velt answers at most 100 judgments a query and
    /// offers no next page, so a query whose answer is at that limit is split by decision
    /// value; an answer still at the limit is a [`crate::stores::Gap`], and
    /// [`Gathered::is_complete`] is then false. Judgments are kept once each.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use velt_api::stores::JudgmentsQuery;
    ///
    /// let query = JudgmentsQuery::reviewer("user-42").organizations(["org-1"]);
    /// let gathered = client.query_judgments(&query).await?;
    /// println!("{} judgments", gathered.items.len());
    /// for gap in &gathered.gaps {
    ///     eprintln!("possibly more in {:?} ({:?})", gap.organization_id, gap.decision);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn query_judgments(&self, query: &JudgmentsQuery) -> Result<Gathered<Judgment>> {
        stores::query_judgments(&self.transport, query).await
    }

    /// Get Permissions: the permissions of `query`'s users in its organization, keyed by
    /// user id, as the JSON text Velt sent.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use velt_api::stores::PermissionsQuery;
    ///
    /// let permissions = client
    ///     .permissions(&PermissionsQuery::new("org-1", ["user-42"]))
    ///     .await?;
    /// println!("{:?}", permissions.of_user("user-42"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn permissions(&self, query: &PermissionsQuery) -> Result<Permissions> {
        stores::permissions(&self.transport, query).await
    }

    /// Get Notification Config: `query`'s user's notification settings, each as the JSON
    /// text Velt sent. Velt needs the notifications feature enabled in its console.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
    /// use velt_api::stores::NotificationConfigQuery;
    ///
    /// let query = NotificationConfigQuery::organization_level("org-1", "user-42");
    /// for setting in client.notification_config(&query).await? {
    ///     println!("{}", setting.raw());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn notification_config(
        &self,
        query: &NotificationConfigQuery,
    ) -> Result<Vec<NotificationSetting>> {
        stores::notification_config(&self.transport, query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_must_be_https_unless_loopback() {
        assert_eq!(
            check_base_url("https://api.velt.dev/").ok().as_deref(),
            Some("https://api.velt.dev")
        );
        assert!(check_base_url("http://127.0.0.1:8787").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        assert!(check_base_url("http://[::1]:1/").is_ok());
        let err = check_base_url("http://api.velt.dev")
            .unwrap_err()
            .to_string();
        assert!(err.contains("https"), "{err}");
        assert!(check_base_url("ftp://x").is_err());
        assert!(check_base_url("not a url").is_err());
        assert!(check_base_url("https://u@api.velt.dev").is_err());
    }

    #[test]
    fn missing_or_empty_credentials_are_refused_with_a_hint() {
        let err = Client::builder()
            .api_key(" ")
            .auth_token("t")
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("API key is empty"), "{err}");
        let err = Client::builder()
            .api_key("k")
            .auth_token("bad\ntoken")
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("auth token"), "{err}");
        assert!(!err.contains("bad"), "{err}");
    }

    #[test]
    fn delete_gets_a_longer_timeout_by_default() {
        let client = Client::builder()
            .api_key("k")
            .auth_token("t")
            .read_timeout(Duration::from_secs(30))
            .timeout(Operation::GetUsers, Duration::from_secs(5))
            .build()
            .unwrap();
        assert!(client.timeout(Operation::DeleteAllUserData) >= Duration::from_secs(360));
        assert_eq!(
            client.timeout(Operation::GetAllUserData),
            Duration::from_secs(30)
        );
        assert_eq!(client.timeout(Operation::GetUsers), Duration::from_secs(5));
    }
}
