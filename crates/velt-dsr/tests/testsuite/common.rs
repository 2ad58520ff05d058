//! What the tests share: a fake Velt with a person in three organizations, a client for it
//! that retries quickly, fast polling, scratch folders and counts of what Velt still holds.

#![allow(dead_code)] // each module uses its own subset

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::Duration,
};

use velt_api::{Client, RetryPolicy, deletion::PollOptions};
use velt_dsr::event::Event;
use velt_fake::{FakeConfig, FakeVelt};

/// Items of each feature per user and organization in the tests' fake.
pub const ITEMS: usize = 30;

/// The fake's default workspace, deletions of 20 ms a task.
pub fn config() -> FakeConfig {
    FakeConfig {
        items_per_feature: ITEMS,
        deletion_task_duration: Duration::from_millis(20),
        ..FakeConfig::default()
    }
}

pub async fn start(config: FakeConfig) -> FakeVelt {
    FakeVelt::start(config).await.expect("the fake starts")
}

/// A client for the fake that retries a failed call twice, within milliseconds.
pub fn client(fake: &FakeVelt) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .auth_token(fake.auth_token())
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(20)),
        )
        .build()
        .expect("a client for the fake")
}

/// The person in three organizations ("Jane Doe", `Jane.Doe@Example.com`): user id and
/// organizations, in order.
pub fn jane(fake: &FakeVelt) -> (String, Vec<String>) {
    let dataset = fake.dataset();
    let user = dataset
        .multi_organization_user()
        .expect("the default workspace has a person in three organizations");
    let organizations = dataset.organizations_of(&user);
    assert_eq!(organizations.len(), 3, "{organizations:?}");
    (user, organizations)
}

/// Polling within milliseconds, with this deadline.
pub fn fast_poll(deadline: Duration) -> PollOptions {
    PollOptions {
        deadline,
        first_interval: Duration::from_millis(25),
        max_interval: Duration::from_millis(50),
    }
}

/// A fresh directory under the target dir for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("velt-dsr")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// How many items Velt holds for `user` in `organization` now.
pub async fn held(client: &Client, organization: &str, user: &str) -> usize {
    client
        .export_user_data(organization, user)
        .summarize()
        .await
        .expect("an export of what remains")
        .items
}

/// The lines of a file.
pub fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .count()
}

/// The events an operation reported, in words (their Debug form), for assertions.
#[derive(Default)]
pub struct Seen(Mutex<Vec<String>>);

impl Seen {
    pub fn push(&self, event: &Event) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("{event:?}"));
    }

    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A JSON file, parsed.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
