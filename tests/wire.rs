//! The wire contract of each of the six operations, pinned as insta snapshots: the request
//! exactly as the client sends it (method, path, headers with the credentials redacted, body),
//! and what the client makes of the documented success and failure answers.
//!
//! The answers are the spec's `docs` examples, which `tests/docs_examples.rs` checks equal to
//! the pinned pages, so these snapshots follow the docs. A change to what is sent or how an
//! answer decodes shows up as a snapshot diff to review (`cargo insta review`).

mod common;

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use common::{
    API_KEY, AUTH_TOKEN, fast_retries,
    raw::{RawServer, Request, respond_json},
};
use serde_json::Value;
use velt_api::{
    Client,
    deletion::{DeleteRequest, DeletionScope},
    users::UsersQuery,
};

/// The spec, as JSON.
fn spec() -> Value {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/velt.yaml"))
            .expect("the spec is readable");
    serde_yaml::from_str(&text).expect("the spec is YAML")
}

/// The spec's `docs` example of `path`'s answer with `status` ("200", "202", "4XX").
fn documented_answer(path: &str, status: &str) -> Value {
    spec()["paths"][path]["post"]["responses"][status]["content"]["application/json"]["examples"]
        ["docs"]["value"]
        .clone()
}

/// A server that records each request and answers every one with `status` and `body`.
async fn recording_server(
    status: &'static str,
    body: Value,
) -> (RawServer, Arc<Mutex<Vec<Request>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let server = RawServer::start(move |request, stream| {
        record.lock().expect("lock").push(request);
        let body = body.clone();
        async move { respond_json(stream, status, &body).await }
    })
    .await;
    (server, seen)
}

fn client(url: &str) -> Client {
    common::builder(url)
        .retry_policy(fast_retries(1))
        .build()
        .expect("test client builds")
}

/// The one request the server saw, as a snapshot shows it: the credentials checked here and
/// redacted there, and the headers that vary between runs (host port, length) left out.
fn as_sent(seen: &Mutex<Vec<Request>>) -> Value {
    let requests = seen.lock().expect("lock");
    assert_eq!(requests.len(), 1, "one request, no retry");
    let request = &requests[0];
    let mut headers = serde_json::Map::new();
    for (name, value) in &request.headers {
        let shown = match name.as_str() {
            "x-velt-api-key" => {
                assert_eq!(value, API_KEY);
                "[api key]".to_owned()
            }
            "x-velt-auth-token" => {
                assert_eq!(value, AUTH_TOKEN);
                "[auth token]".to_owned()
            }
            "host" | "content-length" => continue,
            _ => value.clone(),
        };
        headers.insert(name.clone(), Value::String(shown));
    }
    serde_json::json!({
        "method": request.method,
        "path": request.path,
        "headers": headers,
        "body": request.body,
    })
}

fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots/wire");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

#[tokio::test]
async fn get_all_user_data_on_the_wire() {
    let path = "/v2/users/data/get";
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let page = client(&server.url())
        .get_user_data_page("yourOrganizationId", "yourUserId", Some("yourPageToken"))
        .await
        .expect("the documented answer decodes");
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = client(&failing.url())
        .get_user_data_page("yourOrganizationId", "yourUserId", None)
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_all_user_data_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_all_user_data_success", page);
        insta::assert_snapshot!(
            "get_all_user_data_failure",
            format!("{error}\n\n{error:#?}")
        );
    });
}

#[tokio::test]
async fn delete_all_user_data_on_the_wire() {
    let path = "/v2/users/data/delete";
    let (server, seen) = recording_server("202 Accepted", documented_answer(path, "202")).await;
    let request = DeleteRequest::new(
        ["yourUserId1", "yourUserId2"],
        DeletionScope::Organizations(vec![
            "yourOrganizationId1".into(),
            "yourOrganizationId2".into(),
        ]),
    );
    let mut jobs = client(&server.url())
        .delete_user_data(&request)
        .await
        .expect("the documented answer decodes")
        .jobs;
    // When the job was started is the only part that changes from run to run.
    for job in &mut jobs {
        job.started_at = chrono::DateTime::UNIX_EPOCH;
    }
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = client(&failing.url())
        .delete_user_data(&request)
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("delete_all_user_data_request", as_sent(&seen));
        insta::assert_debug_snapshot!("delete_all_user_data_success", jobs);
        insta::assert_snapshot!(
            "delete_all_user_data_failure",
            format!("{error}\n\n{error:#?}")
        );
    });
}

#[tokio::test]
async fn get_delete_all_user_data_status_on_the_wire() {
    let path = "/v2/users/data/delete/status";
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let status = client(&server.url())
        .deletion_status("yourJobId")
        .await
        .expect("the documented answer decodes");
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = client(&failing.url())
        .deletion_status("yourJobId")
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_delete_all_user_data_status_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_delete_all_user_data_status_success", status);
        insta::assert_snapshot!(
            "get_delete_all_user_data_status_failure",
            format!("{error}\n\n{error:#?}")
        );
    });
}

#[tokio::test]
async fn get_users_on_the_wire() {
    let path = "/v1/users/get";
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let query = UsersQuery::organization("yourOrganizationId")
        .document("yourDocumentId")
        .user_ids(["yourUserId1", "yourUserId2"]);
    let users = client(&server.url())
        .get_users(&query)
        .await
        .expect("the documented answer decodes");
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = client(&failing.url())
        .get_users(&query)
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_users_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_users_success", users);
        insta::assert_snapshot!("get_users_failure", format!("{error}\n\n{error:#?}"));
    });
}

// ---- The v2 look-up calls: no hand-written wrapper yet, so the generated types are used
// directly: the request body is what the generated builder serializes (sent with reqwest and
// the two credential headers, as the wrapper will), and each documented answer is decoded
// into the generated answer type.

/// POSTs `body` to `path` of `url` with the credentials and decodes the answer as `T`,
/// returning the HTTP status too.
async fn post_generated<T: serde::de::DeserializeOwned>(
    url: &str,
    path: &str,
    body: &impl serde::Serialize,
) -> (u16, T) {
    let response = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .header("x-velt-api-key", API_KEY)
        .header("x-velt-auth-token", AUTH_TOKEN)
        .json(body)
        .send()
        .await
        .expect("the request reaches the recording server");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("the answer arrives");
    let decoded = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "the answer decodes into {}: {e}",
            std::any::type_name::<T>()
        )
    });
    (status, decoded)
}

/// The spec's example `name` of `path`'s answer with `status`.
fn spec_answer(path: &str, status: &str, name: &str) -> Value {
    spec()["paths"][path]["post"]["responses"][status]["content"]["application/json"]["examples"]
        [name]["value"]
        .clone()
}

#[tokio::test]
async fn get_organizations_on_the_wire() {
    use velt_api::types::{ErrorResponse, GetOrganizationsRequest, GetOrganizationsRequestData};
    let path = "/v2/organizations/get";
    let body: GetOrganizationsRequest = GetOrganizationsRequest::builder()
        .data(
            GetOrganizationsRequestData::builder()
                .organization_ids(vec!["yourOrganizationId".to_owned()])
                .page_size(std::num::NonZeroU64::new(1000))
                .page_token(Some("pageToken".to_owned())),
        )
        .try_into()
        .expect("a complete request");
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let (status, page): (_, velt_api::types::GetOrganizationsResponse) =
        post_generated(&server.url(), path, &body).await;
    assert_eq!(status, 200);
    assert_eq!(page.result.data[0].id, "yourOrganizationId");
    assert_eq!(page.result.next_page_token.as_deref(), Some("pageToken"));
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let failure: (u16, ErrorResponse) = post_generated(&failing.url(), path, &body).await;
    assert_eq!(failure.0, 400);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_organizations_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_organizations_success", page);
        insta::assert_debug_snapshot!("get_organizations_failure", failure);
    });
}

#[tokio::test]
async fn get_users_v2_on_the_wire() {
    use velt_api::types::{
        ErrorResponse, GetUsersV2Request, GetUsersV2RequestData, GetUsersV2Response,
        GetUsersV2ResultData,
    };
    let path = "/v2/users/get";
    let body: GetUsersV2Request = GetUsersV2Request::builder()
        .data(
            GetUsersV2RequestData::builder()
                .organization_id("yourOrganizationId")
                .document_id(Some("yourDocumentId".to_owned()))
                .user_ids(vec!["yourUserId1".to_owned(), "yourUserId2".to_owned()])
                .page_size(std::num::NonZeroU64::new(1000)),
        )
        .try_into()
        .expect("a complete request");
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let (_, list): (_, GetUsersV2Response) = post_generated(&server.url(), path, &body).await;
    assert!(
        matches!(list.result.data, GetUsersV2ResultData::UserList(ref users) if users.len() == 1)
    );

    // With allDocuments and groupByDocumentId, `data` is an object keyed by document id.
    let grouped_body: GetUsersV2Request = GetUsersV2Request::builder()
        .data(
            GetUsersV2RequestData::builder()
                .organization_id("yourOrganizationId")
                .all_documents(Some(true))
                .group_by_document_id(Some(true)),
        )
        .try_into()
        .expect("a complete request");
    let (grouped_server, grouped_seen) =
        recording_server("200 OK", spec_answer(path, "200", "docsGrouped")).await;
    let (_, grouped): (_, GetUsersV2Response) =
        post_generated(&grouped_server.url(), path, &grouped_body).await;
    match &grouped.result.data {
        GetUsersV2ResultData::UsersByDocument(by_document) => {
            assert_eq!(by_document.keys().collect::<Vec<_>>(), ["documentId1"]);
        }
        other => panic!("grouped users decode as a map, not {other:?}"),
    }

    // The response panel names the next token `pageToken`: it is read all the same.
    let (panel_server, _) = recording_server("200 OK", spec_answer(path, "200", "docsPanel")).await;
    let (_, panel): (_, GetUsersV2Response) =
        post_generated(&panel_server.url(), path, &body).await;
    assert_eq!(panel.result.next_page_token, None);
    assert_eq!(panel.result.page_token.as_deref(), Some("pageToken"));

    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let failure: (u16, ErrorResponse) = post_generated(&failing.url(), path, &body).await;
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_users_v2_request", as_sent(&seen));
        insta::assert_json_snapshot!("get_users_v2_grouped_request", as_sent(&grouped_seen));
        insta::assert_debug_snapshot!("get_users_v2_success", list);
        insta::assert_debug_snapshot!("get_users_v2_success_grouped", grouped);
        insta::assert_debug_snapshot!("get_users_v2_success_panel", panel);
        insta::assert_debug_snapshot!("get_users_v2_failure", failure);
    });
}
