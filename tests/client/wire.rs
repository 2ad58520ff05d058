//! The wire contract of each of the twelve operations, pinned as insta snapshots: the request
//! exactly as the client sends it (method, path, headers with the credentials redacted, body),
//! and what the client makes of the documented success and failure answers.
//!
//! The answers are the spec's `docs` examples, which `tests/workspace/docs_examples.rs` checks equal to
//! the pinned pages, so these snapshots follow the docs. A change to what is sent or how an
//! answer decodes shows up as a snapshot diff to review (`cargo insta review`).

use crate::common;

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
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/wire"));
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

// ---- The v2 look-up calls, through `Client::list_organizations` and `Client::list_users`:
// the first page each (the documented answers carry a next token, which the recording server
// would answer with the same page again).

/// The spec's example `name` of `path`'s answer with `status`.
fn spec_answer(path: &str, status: &str, name: &str) -> Value {
    spec()["paths"][path]["post"]["responses"][status]["content"]["application/json"]["examples"]
        [name]["value"]
        .clone()
}

/// The first page of `pages`, or its error.
async fn first<T>(
    mut pages: futures::stream::BoxStream<'static, velt_api::Result<T>>,
) -> velt_api::Result<T> {
    use futures::StreamExt;
    pages
        .next()
        .await
        .expect("a listing yields at least one item")
}

#[tokio::test]
async fn get_organizations_on_the_wire() {
    use velt_api::users::OrganizationsQuery;
    let path = "/v2/organizations/get";
    let query = OrganizationsQuery::ids(["yourOrganizationId"]).page_size(1000);
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let page = first(
        client(&server.url())
            .list_organizations(query.clone())
            .pages(),
    )
    .await
    .expect("the documented answer decodes");
    assert_eq!(page.organizations[0].id, "yourOrganizationId");
    assert_eq!(page.next_page_token.as_deref(), Some("pageToken"));
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = first(client(&failing.url()).list_organizations(query).pages())
        .await
        .expect_err("the documented failure is an error");
    assert_eq!(error.http_status_code(), Some(400));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_organizations_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_organizations_success", page);
        insta::assert_snapshot!(
            "get_organizations_failure",
            format!("{error}\n\n{error:#?}")
        );
    });
}

#[tokio::test]
async fn get_users_v2_on_the_wire() {
    use velt_api::users::UsersV2Query;
    let path = "/v2/users/get";
    let query = UsersV2Query::organization("yourOrganizationId")
        .document("yourDocumentId")
        .user_ids(["yourUserId1", "yourUserId2"])
        .page_size(1000);
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let list = first(client(&server.url()).list_users(query.clone()).pages())
        .await
        .expect("the documented answer decodes");
    assert_eq!(list.users.len(), 1);

    // With allDocuments and groupByDocumentId, `data` is an object keyed by document id: the
    // users come out flattened, each with its document.
    let grouped_query = UsersV2Query::organization("yourOrganizationId")
        .all_documents()
        .group_by_document();
    let (grouped_server, grouped_seen) =
        recording_server("200 OK", spec_answer(path, "200", "docsGrouped")).await;
    let grouped = first(
        client(&grouped_server.url())
            .list_users(grouped_query)
            .pages(),
    )
    .await
    .expect("a grouped answer decodes");
    assert!(
        grouped
            .users
            .iter()
            .all(|u| u.document_id.as_deref() == Some("documentId1")),
        "{grouped:?}"
    );

    // The response panel names the next token `pageToken`: it is read all the same.
    let (panel_server, _) = recording_server("200 OK", spec_answer(path, "200", "docsPanel")).await;
    let panel = first(
        client(&panel_server.url())
            .list_users(query.clone())
            .pages(),
    )
    .await
    .expect("the panel's answer decodes");
    assert_eq!(panel.next_page_token.as_deref(), Some("pageToken"));

    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = first(client(&failing.url()).list_users(query).pages())
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_users_v2_request", as_sent(&seen));
        insta::assert_json_snapshot!("get_users_v2_grouped_request", as_sent(&grouped_seen));
        insta::assert_debug_snapshot!("get_users_v2_success", list);
        insta::assert_debug_snapshot!("get_users_v2_success_grouped", grouped);
        insta::assert_debug_snapshot!("get_users_v2_success_panel", panel);
        insta::assert_snapshot!("get_users_v2_failure", format!("{error}\n\n{error:#?}"));
    });
}

// ---- Velt's other stores (`velt_api::stores`).

#[tokio::test]
async fn get_activities_on_the_wire() {
    use velt_api::stores::{ActivitiesQuery, ActivityOrder};
    let path = "/v2/activities/get";
    let query = ActivitiesQuery::of_user("org-123", "user-1")
        .document("doc-456")
        .feature_types(["comment"])
        .order(ActivityOrder::NewestFirst)
        .page_size(50);
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let page = first(client(&server.url()).list_activities(query.clone()).pages())
        .await
        .expect("the documented answer decodes");
    assert_eq!(page.activities[0].id().as_deref(), Some("activity-001"));
    assert_eq!(page.next_page_token.as_deref(), Some("nextPageToken"));
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = first(client(&failing.url()).list_activities(query).pages())
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_activities_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_activities_success", page);
        insta::assert_snapshot!("get_activities_failure", format!("{error}\n\n{error:#?}"));
    });
}

#[tokio::test]
async fn delete_activities_on_the_wire() {
    let path = "/v2/activities/delete";
    let ids = ["activity-001", "activity-002"];
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let deletion = client(&server.url())
        .delete_activities("org-123", ids)
        .await
        .expect("the documented answer decodes");
    // The documented answer names activity-001 only: activity-002's outcome is unknown.
    assert_eq!(deletion.deleted().collect::<Vec<_>>(), ["activity-001"]);
    assert_eq!(deletion.unknown().collect::<Vec<_>>(), ["activity-002"]);
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let failed = client(&failing.url())
        .delete_activities("org-123", ids)
        .await
        .expect("a refused batch is part of the answer");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("delete_activities_request", as_sent(&seen));
        insta::assert_debug_snapshot!("delete_activities_success", deletion);
        insta::assert_debug_snapshot!("delete_activities_failure", failed);
    });
}

#[tokio::test]
async fn get_permissions_on_the_wire() {
    use velt_api::stores::PermissionsQuery;
    let path = "/v2/auth/permissions/get";
    let query = PermissionsQuery::new("org1", ["samarth"]).documents(["freestyle-comments1"]);
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let permissions = client(&server.url())
        .permissions(&query)
        .await
        .expect("the documented answer decodes");
    assert!(permissions.of_user("1.1").is_some());
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = client(&failing.url())
        .permissions(&query)
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_permissions_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_permissions_success", permissions);
        insta::assert_snapshot!("get_permissions_failure", format!("{error}\n\n{error:#?}"));
    });
}

#[tokio::test]
async fn get_reviewer_profile_on_the_wire() {
    let path = "/v2/memory/profiles/get";
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let profile = client(&server.url())
        .reviewer_profile("u_sarah")
        .await
        .expect("the documented answer decodes");
    assert!(profile.is_some());
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = client(&failing.url())
        .reviewer_profile("u_sarah")
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_reviewer_profile_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_reviewer_profile_success", profile);
        insta::assert_snapshot!(
            "get_reviewer_profile_failure",
            format!("{error}\n\n{error:#?}")
        );
    });
}

#[tokio::test]
async fn query_judgments_on_the_wire() {
    use velt_api::stores::JudgmentsQuery;
    let path = "/v2/memory/judgments/query";
    let query = JudgmentsQuery::reviewer("u_sarah").organizations(["org_eu"]);
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let gathered = client(&server.url())
        .query_judgments(&query)
        .await
        .expect("the documented answer decodes");
    assert!(gathered.is_complete());
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = client(&failing.url())
        .query_judgments(&query)
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("query_judgments_request", as_sent(&seen));
        insta::assert_debug_snapshot!("query_judgments_success", gathered);
        insta::assert_snapshot!("query_judgments_failure", format!("{error}\n\n{error:#?}"));
    });
}

#[tokio::test]
async fn get_notification_config_on_the_wire() {
    use velt_api::stores::NotificationConfigQuery;
    let path = "/v2/notifications/config/get";
    let query = NotificationConfigQuery::documents("org1", "USER_ID1", ["doc1"]);
    let (server, seen) = recording_server("200 OK", documented_answer(path, "200")).await;
    let settings = client(&server.url())
        .notification_config(&query)
        .await
        .expect("the documented answer decodes");
    assert_eq!(settings.len(), 1);
    let (failing, _) = recording_server("400 Bad Request", documented_answer(path, "4XX")).await;
    let error = client(&failing.url())
        .notification_config(&query)
        .await
        .expect_err("the documented failure is an error");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("get_notification_config_request", as_sent(&seen));
        insta::assert_debug_snapshot!("get_notification_config_success", settings);
        insta::assert_snapshot!(
            "get_notification_config_failure",
            format!("{error}\n\n{error:#?}")
        );
    });
}
