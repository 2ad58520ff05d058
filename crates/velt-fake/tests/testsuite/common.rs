//! Helpers shared by the integration tests.

#![allow(dead_code)]

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use velt_fake::FakeVelt;

pub const GET: &str = "/v2/users/data/get";
pub const DELETE: &str = "/v2/users/data/delete";
pub const STATUS: &str = "/v2/users/data/delete/status";
pub const USERS: &str = "/v1/users/get";

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("does not match the spec type ({e}): {}", self.text))
    }

    /// Asserts Velt's error envelope with this HTTP status and status string.
    pub fn assert_error(&self, http: u16, status: &str) -> velt_api::types::ErrorResponse {
        assert_eq!(self.status.as_u16(), http, "body: {}", self.text);
        let error: velt_api::types::ErrorResponse = self.typed();
        assert_eq!(error.error.status, status, "body: {}", self.text);
        assert!(!error.error.message.is_empty());
        error
    }
}

/// A reqwest client. The workspace builds reqwest without a TLS crypto provider, and reqwest
/// insists on one even for plain HTTP, so the tests install ring's.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// POSTs a raw body with the server's credentials.
pub async fn post_raw(fake: &FakeVelt, path: &str, body: &str) -> Answer {
    send(
        fake,
        path,
        body,
        Some(fake.api_key()),
        Some(fake.auth_token()),
    )
    .await
}

pub async fn post(fake: &FakeVelt, path: &str, body: Value) -> Answer {
    post_raw(fake, path, &body.to_string()).await
}

pub async fn send(
    fake: &FakeVelt,
    path: &str,
    body: &str,
    api_key: Option<&str>,
    auth_token: Option<&str>,
) -> Answer {
    let mut request = client()
        .post(format!("{}{path}", fake.base_url()))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(key) = api_key {
        request = request.header("x-velt-api-key", key);
    }
    if let Some(token) = auth_token {
        request = request.header("x-velt-auth-token", token);
    }
    let response = request.send().await.expect("request failed");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    Answer {
        status,
        headers,
        text,
    }
}

pub fn export_body(org: &str, user: &str, token: Option<&str>) -> Value {
    match token {
        Some(t) => json!({ "data": { "organizationId": org, "userId": user, "pageToken": t } }),
        None => json!({ "data": { "organizationId": org, "userId": user } }),
    }
}

/// One export page, parsed with the spec's types.
pub async fn export_page(
    fake: &FakeVelt,
    org: &str,
    user: &str,
    token: Option<&str>,
) -> velt_api::types::GetAllUserDataResponse {
    let answer = post(fake, GET, export_body(org, user, token)).await;
    assert_eq!(answer.status, StatusCode::OK, "body: {}", answer.text);
    answer.typed()
}

/// All items of an export, feature by feature, walking every page.
pub async fn export_all(
    fake: &FakeVelt,
    org: &str,
    user: &str,
) -> (Vec<(String, serde_json::Map<String, Value>)>, usize) {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = export_page(fake, org, user, token.as_deref()).await;
        pages += 1;
        assert!(pages < 10_000, "pagination does not end");
        let data = page.result.data;
        let mut by_feature = Vec::new();
        for (name, list) in [
            ("comments", data.comments),
            ("reactions", data.reactions),
            ("recordings", data.recordings),
            ("notifications", data.notifications),
        ] {
            assert!(list.len() <= velt_fake::PAGE_SIZE);
            by_feature.push((name, list));
        }
        for (name, list) in by_feature {
            items.extend(list.into_iter().map(|item| {
                (
                    name.to_owned(),
                    item.parse().expect("an item is a JSON object"),
                )
            }));
        }
        match page.result.next_page_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    // Items arrive interleaved by page; group them by feature in export order.
    let order = ["comments", "reactions", "recordings", "notifications"];
    items.sort_by_key(|(name, _)| order.iter().position(|o| o == name));
    (items, pages)
}

/// Ids of the seeded data a test can rely on: a user in two organizations when there is one.
pub fn user_with_two_orgs(fake: &FakeVelt) -> Option<(String, Vec<String>)> {
    fake.dataset().user_ids().find_map(|u| {
        let orgs = fake.dataset().organizations_of(&u);
        (orgs.len() == 2).then_some((u, orgs))
    })
}
