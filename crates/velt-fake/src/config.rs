//! Configuration of a fake server: the seeded dataset, credentials, latency and faults.

use std::fmt;
use std::time::Duration;

/// The API key a default [`FakeConfig`] accepts in `x-velt-api-key`.
pub const DEMO_API_KEY: &str = "fake_velt_demo_api_key";

/// The auth token a default [`FakeConfig`] accepts in `x-velt-auth-token`.
pub const DEMO_AUTH_TOKEN: &str = "fake_velt_demo_auth_token";

/// Everything a [`FakeVelt`](crate::FakeVelt) is started with.
///
/// `Default` gives a small demo workspace (3 organizations, 12 users, 120 items per feature so
/// that every export has two pages) and the demo credentials [`DEMO_API_KEY`] and
/// [`DEMO_AUTH_TOKEN`]. Use struct-update syntax to change a few knobs:
///
/// ```
/// use std::time::Duration;
/// use velt_fake::FakeConfig;
///
/// let config = FakeConfig {
///     users: 1_000,
///     items_per_feature: 5,
///     latency: Duration::from_millis(20),
///     ..FakeConfig::default()
/// };
/// assert_eq!(config.organizations, 3);
/// ```
///
/// The `Debug` output never shows the auth token.
#[derive(Clone)]
pub struct FakeConfig {
    /// Seed of every generated id, name, text and timestamp: the same seed and sizes give the
    /// same dataset, byte for byte.
    pub seed: u64,
    /// Number of organizations (`org-0001`, `org-0002`, ...). At least 1 is used. Nothing is
    /// stored per organization, so thousands cost nothing up front.
    pub organizations: usize,
    /// Number of users in the whole workspace (`user-0001`, ...), spread round-robin over the
    /// organizations (so `organizations * n` users give each organization `n` members); some
    /// users belong to two organizations, and one to three (see [`crate::Dataset`]).
    pub users: usize,
    /// Number of documents in each organization (`doc-0001-01`, ...). At least 1 is used.
    pub documents_per_organization: usize,
    /// How many items of each feature (comments, reactions, recordings, notifications) every
    /// user has in every organization they belong to. Items are generated on demand, so large
    /// numbers cost nothing up front.
    pub items_per_feature: usize,
    /// How the last page of an export says that there is nothing more to fetch.
    pub end_of_pages: EndOfPages,
    /// The name Get Users v2 gives the next page's token (Velt's page shows both).
    pub users_v2_token_name: TokenName,
    /// Delay added to every request before it is answered.
    pub latency: Duration,
    /// Failures to inject, for testing retries.
    pub faults: Faults,
    /// The API key expected in `x-velt-api-key`.
    pub api_key: String,
    /// The auth token expected in `x-velt-auth-token`. Never shown by `Debug`.
    pub auth_token: String,
    /// How long each task of a deletion job takes; a job has one task per organization and
    /// its tasks run one after the other.
    pub deletion_task_duration: Duration,
    /// Status calls (Get Delete All User Data Status) answer 503 `UNAVAILABLE` for this long
    /// after the server starts: an outage to wait out. Zero (the default) for none; see also
    /// [`FakeVelt::start_status_outage`](crate::FakeVelt::start_status_outage).
    pub status_outage: Duration,
    /// How many comments of each user a finished deletion leaves behind in each organization
    /// (a Velt bug to test proofs of erasure against). Zero by default: everything goes.
    pub deletion_leaves_comments: usize,
    /// How long a connection may take to send a request's headers, and then its body.
    /// Headers not complete in time: the connection is closed (idle keep-alive connections
    /// too). A body not complete in time: 408 `DEADLINE_EXCEEDED` in Velt's envelope. So a
    /// client that sends half a request cannot hold a connection for long. Default 10 s.
    pub read_timeout: Duration,
    /// How many activity log records (`POST /v2/activities/get`) each user has in each
    /// organization where they have any: every user in its first organization,
    /// [`Dataset::multi_organization_user`](crate::Dataset::multi_organization_user) in the
    /// first two of its three (so it has twice this many). Generated on demand. Default 25.
    pub activities_per_user: usize,
    /// How many files (served under `/files/...` on the fake's own origin) the exported items
    /// of [`Dataset::multi_organization_user`](crate::Dataset::multi_organization_user) in its
    /// first organization point at: a voice comment, an attachment, a recording's video, audio
    /// and thumbnail, a recording's attachment and its transcript, then again on the next
    /// items (file `f` is of kind `f % 7`, on item `f / 7`), so at most seven times
    /// `items_per_feature`. Default 7 (one of each).
    pub files: usize,
    /// When not zero, one more file of this many bytes, streamed (never held in memory), at
    /// `/files/<organization>/<user>/big.webm`, named by an attachment of the first recording
    /// of the person with files: for benchmarks (e.g. `1 << 30`). Zero (the default) for none.
    pub big_file_bytes: u64,
    /// Whether Delete All User Data also erases the activity records the users made. Velt's
    /// GDPR page names only the four lists of an export, so by default (`false`) activity
    /// records are kept, as they may be by Velt; permissions, notification settings and
    /// reviewer judgments (and so the profile) go with the rest.
    pub gdpr_deletes_activities: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            seed: 42,
            organizations: 3,
            users: 12,
            documents_per_organization: 4,
            items_per_feature: 120,
            end_of_pages: EndOfPages::default(),
            users_v2_token_name: TokenName::default(),
            latency: Duration::ZERO,
            faults: Faults::default(),
            api_key: DEMO_API_KEY.to_owned(),
            auth_token: DEMO_AUTH_TOKEN.to_owned(),
            deletion_task_duration: Duration::from_millis(500),
            status_outage: Duration::ZERO,
            deletion_leaves_comments: 0,
            read_timeout: Duration::from_secs(10),
            activities_per_user: 25,
            files: 7,
            big_file_bytes: 0,
            gdpr_deletes_activities: false,
        }
    }
}

impl fmt::Debug for FakeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeConfig")
            .field("seed", &self.seed)
            .field("organizations", &self.organizations)
            .field("users", &self.users)
            .field(
                "documents_per_organization",
                &self.documents_per_organization,
            )
            .field("items_per_feature", &self.items_per_feature)
            .field("end_of_pages", &self.end_of_pages)
            .field("users_v2_token_name", &self.users_v2_token_name)
            .field("latency", &self.latency)
            .field("faults", &self.faults)
            .field("api_key", &self.api_key)
            .field("auth_token", &"<redacted>")
            .field("deletion_task_duration", &self.deletion_task_duration)
            .field("status_outage", &self.status_outage)
            .field("deletion_leaves_comments", &self.deletion_leaves_comments)
            .field("read_timeout", &self.read_timeout)
            .field("activities_per_user", &self.activities_per_user)
            .field("files", &self.files)
            .field("big_file_bytes", &self.big_file_bytes)
            .field("gdpr_deletes_activities", &self.gdpr_deletes_activities)
            .finish()
    }
}

/// How the last page of an export marks the end of the data.
///
/// Velt's page says the token "will not be returned" while its example says it "will be
/// null"; clients must treat both (and an empty string) as the end, so the fake can send each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EndOfPages {
    /// `"nextPageToken": null` on the last page, as in Velt's example.
    #[default]
    Null,
    /// No `nextPageToken` field on the last page.
    Omitted,
    /// `"nextPageToken": ""` on the last page.
    EmptyString,
}

/// The name of the next page's token in a Get Users v2 answer: the page's success examples
/// say `nextPageToken`, its response panel `pageToken`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenName {
    /// `"nextPageToken"`, as in the success examples.
    #[default]
    NextPageToken,
    /// `"pageToken"`, as in the response panel.
    PageToken,
}

impl TokenName {
    /// The field name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenName::NextPageToken => "nextPageToken",
            TokenName::PageToken => "pageToken",
        }
    }
}

/// Failures injected into the answers, counted over all requests the server receives.
///
/// Requests are numbered from 1 in the order they arrive (one atomic counter). When several
/// faults would hit the same request, the first in field order wins. Faults are injected
/// before credentials are checked, the way a proxy in front of Velt would answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Every Nth request is answered 503 with Velt's envelope and status `UNAVAILABLE`.
    pub every_nth_503: Option<u32>,
    /// Every Nth request (first value) is answered 429 `RESOURCE_EXHAUSTED` with a
    /// `Retry-After` header of the given number of seconds (second value).
    pub every_nth_429: Option<(u32, u64)>,
    /// Every Nth request is answered 500 `INTERNAL`.
    pub every_nth_500: Option<u32>,
    /// Every Nth request is answered 502 with an HTML body, as a proxy in front of Velt does.
    pub every_nth_502_html: Option<u32>,
    /// Every authenticated request whose `data.organizationId` is one of these is answered
    /// 503 `UNAVAILABLE` (Get Users v1 and v2, Get All User Data, and the store endpoints
    /// that name one: activity logs, permissions, judgments, notification settings): an
    /// organization that cannot be read, to test that a search reports it instead of reading
    /// it as "not there".
    pub failing_organizations: Vec<String>,
}
