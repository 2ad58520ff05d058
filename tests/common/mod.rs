//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod raw;

use std::time::Duration;

use httpmock::MockServer;
use serde_json::{Value, json};
use velt_api::{Client, RetryPolicy};

/// The credentials every test client sends. Tests check they never leak.
pub const API_KEY: &str = "test-api-key-SECRET1";
pub const AUTH_TOKEN: &str = "test-auth-token-SECRET2";

/// A client for `base_url` with fast retries, so that retry tests take milliseconds.
pub fn client(base_url: &str) -> Client {
    builder(base_url).build().expect("test client builds")
}

pub fn builder(base_url: &str) -> velt_api::ClientBuilder {
    Client::builder()
        .api_key(API_KEY)
        .auth_token(AUTH_TOKEN)
        .base_url(base_url)
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_secs(2)),
        )
}

/// Retries that take milliseconds: `attempts` in all, backoff from 1 ms up to 20 ms.
pub fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(20))
}

/// A page of Get All User Data with `comments` and the token `next` (`null` included, as
/// given), the other features empty.
pub fn page(comments: Value, next: Value) -> Value {
    json!({"result": {
        "status": "success",
        "message": "Data fetched successfully.",
        "data": {"comments": comments, "reactions": [], "recordings": [], "notifications": []},
        "nextPageToken": next,
    }})
}

/// A mock answering every request to `path` with `status` and the JSON `body`.
pub async fn answer_with<'a>(
    server: &'a MockServer,
    path: &str,
    status: u16,
    body: Value,
) -> httpmock::Mock<'a> {
    let path = path.to_owned();
    server
        .mock_async(move |when, then| {
            when.path(path);
            then.status(status)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await
}

/// `json` as the generated type `T`, for the typed mocks of `velt_api::mock`. Fails unless the
/// type says exactly what `json` says (key order aside), so that a typed mock expects or
/// sends the very JSON the test spells out, as Velt documents it.
pub fn typed<T: serde::Serialize + serde::de::DeserializeOwned>(json: Value) -> T {
    let value: T = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("{json} does not fit the generated type: {e}"));
    assert_eq!(
        serde_json::to_value(&value).expect("a generated type serializes"),
        json,
        "the generated type does not say the same as the JSON it was read from"
    );
    value
}

/// Answers `status` with `body` as written: for a typed mock's `then.into_inner()`, where the
/// body is JSON the generated types cannot say (a `null` token, which they leave out, or
/// values of the wrong type).
pub fn raw_json(then: httpmock::Then, status: u16, body: Value) -> httpmock::Then {
    then.status(status)
        .header("content-type", "application/json")
        .json_body(body)
}

/// Runs `f` with insta writing and reading snapshots in the repository's `snapshots/` folder.
pub fn in_snapshots<F: FnOnce()>(f: F) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f);
}

/// Reads a stream up to its first error: how many items came before it, and the error.
/// Fails when the stream ends without an error, or goes on after one.
pub async fn count_until_error<T>(
    mut stream: futures::stream::BoxStream<'static, velt_api::Result<T>>,
) -> (usize, velt_api::Error) {
    use futures::StreamExt;
    let mut ok = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => ok += 1,
            Some(Err(error)) => break error,
            None => panic!("the stream ended after {ok} items without an error"),
        }
    };
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );
    (ok, error)
}

/// Fails when `text` contains either credential.
pub fn assert_no_secret(text: &str) {
    assert!(!text.contains(API_KEY), "API key leaked into: {text}");
    assert!(!text.contains(AUTH_TOKEN), "auth token leaked into: {text}");
}
