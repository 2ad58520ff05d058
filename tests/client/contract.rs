//! Contract tests: every call's exact request (method, path, both credential headers, content
//! type, JSON body) and the decoding of the documented answers, against httpmock.
//!
//! Velt is mocked with the crate's own typed helpers (`velt_api::mock`, feature `httpmock`):
//! each operation's matcher (method, path, typed body) and its typed answers. Raw httpmock is
//! left for what they cannot say: answers outside the spec (a 201, HTML, an empty or truncated
//! body, a `null` page token) and matchers of any request at all.

use crate::common;

use std::time::{Duration, Instant};

use common::{API_KEY, AUTH_TOKEN, assert_no_secret, client, in_snapshots, page, raw_json, typed};
use futures::{StreamExt, TryStreamExt};
use httpmock::MockServer;
use serde_json::{Value, json};
use velt_api::mock::{MockServerExt, operations::GetAllUserDataThen};
use velt_api::types;
use velt_api::{
    ErrorKind, Operation, RetryPolicy,
    deletion::{DeleteRequest, DeletionScope, PollOptions, WaitOutcome},
    error::{ApiStatus, PaginationError},
    export::Feature,
    users::UsersQuery,
};

/// What a request carries as Velt documents it: both credentials, the JSON content type and no
/// undocumented `api-version` header. An operation's typed matcher adds POST, its path and the
/// body (`when.body(..)`) before this is applied to its inner matcher.
fn documented(when: httpmock::When) -> httpmock::When {
    when.header("x-velt-api-key", API_KEY)
        .header("x-velt-auth-token", AUTH_TOKEN)
        .header("content-type", "application/json")
        .header_missing("api-version")
}

/// Answers with an export page through the typed `then`; a page whose token is `null` goes out
/// as written, since the generated type cannot say `null` (it leaves an absent token out).
fn answer_page(then: GetAllUserDataThen, page: Value) {
    match page["result"].get("nextPageToken") {
        Some(Value::Null) => {
            raw_json(then.into_inner(), 200, page);
        }
        _ => {
            then.ok(&typed(page));
        }
    }
}

/// A last page whose token is absent, as the docs' prose says.
fn page_without_token(comments: Value) -> Value {
    let mut page = page(comments, Value::Null);
    page["result"]
        .as_object_mut()
        .map(|r| r.remove("nextPageToken"));
    page
}

// ---- Get Users ------------------------------------------------------------------------------

#[tokio::test]
async fn get_users_sends_every_documented_filter_and_decodes_users() {
    let server = MockServer::start_async().await;
    let answer: types::GetUsersResponse = typed(
        json!({"result": {"status": "success", "message": "User(s) retrieved successfully.",
        "data": [{"email": "userEmail@domain.com", "name": "userName", "userId": "yourUserId"}]}}),
    );
    // The six example requests of the Get Users page.
    let cases = [
        (
            UsersQuery::organization("yourOrganizationId"),
            json!({"data": {"organizationId": "yourOrganizationId"}}),
        ),
        (
            UsersQuery::organization("yourOrganizationId").document("yourDocumentId"),
            json!({"data": {"organizationId": "yourOrganizationId", "documentId": "yourDocumentId"}}),
        ),
        (
            UsersQuery::organization("yourOrganizationId").user_ids(["yourUserId1", "yourUserId2"]),
            json!({"data": {"organizationId": "yourOrganizationId", "userIds": ["yourUserId1", "yourUserId2"]}}),
        ),
        (
            UsersQuery::organization("yourOrganizationId")
                .document("yourDocumentId")
                .user_ids(["yourUserId1", "yourUserId2"]),
            json!({"data": {"organizationId": "yourOrganizationId", "documentId": "yourDocumentId", "userIds": ["yourUserId1", "yourUserId2"]}}),
        ),
        (
            UsersQuery::organization("yourOrganizationId")
                .group_ids(["yourOrganizationUserGroupId"]),
            json!({"data": {"organizationId": "yourOrganizationId", "organizationUserGroupIds": ["yourOrganizationUserGroupId"]}}),
        ),
        (
            UsersQuery::organization("yourOrganizationId")
                .user_ids(["yourUserId1", "yourUserId2"])
                .group_ids(["yourOrganizationUserGroupId"]),
            json!({"data": {"organizationId": "yourOrganizationId", "userIds": ["yourUserId1", "yourUserId2"], "organizationUserGroupIds": ["yourOrganizationUserGroupId"]}}),
        ),
    ];
    let client = client(&server.base_url());
    for (query, body) in cases {
        let mock = server.get_users(|when, then| {
            documented(when.body(&typed(body)).into_inner());
            then.ok(&answer);
        });
        let users = client
            .get_users(&query)
            .await
            .expect("documented request succeeds");
        mock.assert_async().await;
        mock.delete_async().await;
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].user_id, "yourUserId");
        assert_eq!(users[0].email.as_deref(), Some("userEmail@domain.com"));
        assert_eq!(users[0].name.as_deref(), Some("userName"));
    }
}

#[tokio::test]
async fn get_users_refuses_bad_input_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let client = client(&server.base_url());
    let err = client
        .get_users(&UsersQuery::organization("o").user_ids((0..31).map(|i| format!("u{i}"))))
        .await
        .unwrap_err();
    assert!(
        err.kind() == ErrorKind::InvalidInput && err.operation() == Some(Operation::GetUsers),
        "{err:?}"
    );
    let err = client
        .get_users(&UsersQuery::organization(""))
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::InvalidInput, "{err:?}");
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn get_users_failure_keeps_unknown_status_string() {
    let server = MockServer::start_async().await;
    server.get_users(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"organizationId": "o"}})))
                .into_inner(),
        );
        then.client_error(
            400,
            &typed(
                json!({"error": {"message": "Error retrieving user(s).", "status": "ERROR_CODE"}}),
            ),
        );
    });
    let err = client(&server.base_url())
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap_err();
    assert_eq!(
        err.api_status(),
        Some(&ApiStatus::Unknown("ERROR_CODE".into()))
    );
    assert_eq!(err.http_status_code(), Some(400));
    assert_eq!(err.http_status(), Some(velt_api::StatusCode::BAD_REQUEST));
    assert!(!err.is_retryable());
    in_snapshots(|| {
        insta::assert_snapshot!("error_display_get_users_unknown_status", err.to_string())
    });
}

// ---- Get All User Data ----------------------------------------------------------------------

#[tokio::test]
async fn one_page_request_and_decoding() {
    let server = MockServer::start_async().await;
    let comment = json!({"annotationId": "a1", "comments": [{"commentText": "Grüße 👋", "from": {"userId": "u1"}}],
        "createdAt": 1748972106739u64, "lastUpdated": "2025-06-03T17:35:06.739Z", "someFieldVeltAddedLater": {"x": [1, 2.5, null]}});
    let mock = server.get_all_user_data(|when, then| {
        documented(when.body(&typed(
            json!({"data": {"organizationId": "yourOrganizationId", "userId": "yourUserId", "pageToken": "yourPageToken"}}),
        )).into_inner());
        then.ok(&typed(page(json!([comment.clone()]), json!("bhdwdqwjs298e39e479ddkeuw==329"))));
    });
    let page = client(&server.base_url())
        .get_user_data_page("yourOrganizationId", "yourUserId", Some("yourPageToken"))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        page.next_page_token.as_deref(),
        Some("bhdwdqwjs298e39e479ddkeuw==329")
    );
    assert_eq!(page.len(), 1);
    // Lossless: the item is exactly what the server sent, unknown fields and key order included.
    let item = &page.data.comments[0];
    assert_eq!(item.to_value().unwrap(), comment);
    assert_eq!(item.as_str(), serde_json::to_string(&comment).unwrap());
    in_snapshots(|| insta::assert_debug_snapshot!("decoded_export_page", page));
}

#[tokio::test]
async fn first_page_sends_no_token() {
    let server = MockServer::start_async().await;
    let mock = server.get_all_user_data(|when, then| {
        documented(
            when.body(&typed(
                json!({"data": {"organizationId": "o", "userId": "u"}}),
            ))
            .into_inner(),
        );
        then.ok(&typed(page_without_token(json!([]))));
    });
    let page = client(&server.base_url())
        .get_user_data_page("o", "u", None)
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(page.is_empty());
    assert_eq!(page.next_page_token, None);
}

/// Serves pages of user `u` in organization `o` keyed by the token the client sends; `None` is
/// the first page. The requests are built as downstream code would build them, through the
/// generated builders.
async fn serve_pages<'a>(
    server: &'a MockServer,
    pages: Vec<(Option<&str>, Value)>,
) -> Vec<httpmock::Mock<'a>> {
    let mut mocks = Vec::new();
    for (token, answer) in pages {
        let request: types::GetAllUserDataRequest = types::GetAllUserDataRequest::builder()
            .data(
                types::GetAllUserDataRequestData::builder()
                    .organization_id("o")
                    .user_id("u")
                    .page_token(token.map(str::to_owned)),
            )
            .try_into()
            .expect("a valid request");
        mocks.push(server.get_all_user_data(|when, then| {
            documented(when.body(&request).into_inner());
            answer_page(then, answer);
        }));
    }
    mocks
}

fn item(id: &str) -> Value {
    json!({"id": id})
}

#[tokio::test]
async fn pagination_follows_tokens_over_empty_pages_and_ends_on_null() {
    let server = MockServer::start_async().await;
    let mocks = serve_pages(
        &server,
        vec![
            (None, page(json!([item("c1"), item("c2")]), json!("t1"))),
            (Some("t1"), page(json!([]), json!("t2"))), // empty page that still has a token
            (Some("t2"), page(json!([item("c3")]), json!(null))),
        ],
    )
    .await;
    let items: Vec<_> = client(&server.base_url())
        .export_user_data("o", "u")
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = items
        .iter()
        .map(|i| i.item.get("id").unwrap().as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["c1", "c2", "c3"]);
    assert!(items.iter().all(|i| i.feature == Feature::Comments));
    for mock in &mocks {
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn pagination_ends_on_absent_and_on_empty_token() {
    for last in [
        page_without_token(json!([item("c2")])),
        page(json!([item("c2")]), json!("")),
    ] {
        let server = MockServer::start_async().await;
        serve_pages(
            &server,
            vec![
                (None, page(json!([item("c1")]), json!("t1"))),
                (Some("t1"), last),
            ],
        )
        .await;
        let pages: Vec<_> = client(&server.base_url())
            .export_user_data("o", "u")
            .pages()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[1].next_page_token, None);
    }
}

#[tokio::test]
async fn a_repeated_token_stops_the_export_with_an_error() {
    let server = MockServer::start_async().await;
    serve_pages(
        &server,
        vec![
            (None, page(json!([item("c1")]), json!("t1"))),
            (Some("t1"), page(json!([item("c2")]), json!("t2"))),
            (Some("t2"), page(json!([item("c3")]), json!("t1"))),
        ],
    )
    .await;
    let pages = client(&server.base_url())
        .export_user_data("o", "u")
        .pages();
    let (ok, err) = common::count_until_error(pages).await;
    assert_eq!(ok, 2);
    assert!(
        err.pagination() == Some(&PaginationError::RepeatedToken { pages_read: 3 }),
        "{err:?}"
    );
    in_snapshots(|| insta::assert_snapshot!("error_display_repeated_token", err.to_string()));
}

#[tokio::test]
async fn page_cap_and_drop_stop_requests() {
    let server = MockServer::start_async().await;
    let mocks = serve_pages(
        &server,
        vec![
            (None, page(json!([item("c1")]), json!("t1"))),
            (Some("t1"), page(json!([item("c2")]), json!("t2"))),
            (Some("t2"), page(json!([item("c3")]), json!("t3"))),
        ],
    )
    .await;
    let client = client(&server.base_url());
    let result: Result<Vec<_>, _> = client
        .export_user_data("o", "u")
        .max_pages(2)
        .pages()
        .try_collect()
        .await;
    assert!(matches!(
        result.map_err(|e| e.pagination().cloned()),
        Err(Some(PaginationError::PageCapReached { max_pages: 2 }))
    ));
    mocks[2].assert_calls_async(0).await;

    let first: Vec<_> = client
        .export_user_data("o", "u")
        .pages()
        .take(1)
        .collect()
        .await;
    assert_eq!(first.len(), 1);
    mocks[0].assert_calls_async(2).await;
    mocks[1].assert_calls_async(1).await; // only from the capped run: the dropped stream sent nothing more
}

#[tokio::test]
async fn resume_starts_at_the_given_token_and_collect_joins_features() {
    let server = MockServer::start_async().await;
    let first = serve_pages(
        &server,
        vec![(None, page(json!([item("c1")]), json!("t1")))],
    )
    .await;
    let mut last = page_without_token(json!([item("c2")]));
    last["result"]["data"]["notifications"] = json!([item("n1")]);
    serve_pages(&server, vec![(Some("t1"), last)]).await;
    let all = client(&server.base_url())
        .export_user_data("o", "u")
        .resume_from("t1")
        .collect()
        .await
        .unwrap();
    first[0].assert_calls_async(0).await;
    assert_eq!(all.comments.len(), 1);
    assert_eq!(all.notifications.len(), 1);
}

#[tokio::test]
async fn write_ndjson_writes_one_tagged_line_per_item() {
    let server = MockServer::start_async().await;
    let mut p = page_without_token(json!([item("c1")]));
    p["result"]["data"]["reactions"] = json!([item("r1"), item("r2")]);
    serve_pages(&server, vec![(None, p)]).await;
    let mut out = Vec::new();
    let summary = client(&server.base_url())
        .export_user_data("o", "u")
        .write_ndjson(&mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        concat!(
            "{\"feature\":\"comments\",\"item\":{\"id\":\"c1\"}}\n",
            "{\"feature\":\"reactions\",\"item\":{\"id\":\"r1\"}}\n",
            "{\"feature\":\"reactions\",\"item\":{\"id\":\"r2\"}}\n",
        )
    );
    assert_eq!(
        (summary.pages, summary.items, summary.per_feature),
        (1, 3, [1, 2, 0, 0])
    );
}

// ---- Delete All User Data and its status ----------------------------------------------------

const DELETE_ANSWER: &str = r#"{"status": "success", "message": "Data deletion process has been initiated.",
    "data": {"jobId": "dsQuvPmIynANgPLLEhCm", "tasksCount": 5}, "statusCode": 202}"#;

#[tokio::test]
async fn delete_sends_documented_body_and_reads_the_unwrapped_202() {
    let server = MockServer::start_async().await;
    let answer: Value = serde_json::from_str(DELETE_ANSWER).unwrap();
    let mock = server.delete_all_user_data(|when, then| {
        documented(when.body(&typed(
            json!({"data": {"userIds": ["yourUserId1", "yourUserId2"], "organizationIds": ["yourOrganizationId1", "yourOrganizationId2"]}}),
        )).into_inner());
        then.accepted(&typed(answer));
    });
    let request = DeleteRequest::new(
        ["yourUserId1", "yourUserId2"],
        DeletionScope::Organizations(vec![
            "yourOrganizationId1".into(),
            "yourOrganizationId2".into(),
        ]),
    );
    let jobs = client(&server.base_url())
        .delete_user_data(&request)
        .await
        .unwrap()
        .jobs;
    mock.assert_async().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job_id, "dsQuvPmIynANgPLLEhCm");
    assert_eq!(jobs[0].tasks_count, Some(5));
}

#[tokio::test]
async fn delete_without_organizations_sends_none() {
    let server = MockServer::start_async().await;
    let mock = server.delete_all_user_data(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"userIds": ["u"]}})))
                .into_inner(),
        );
        then.accepted(&typed(serde_json::from_str(DELETE_ANSWER).unwrap()));
    });
    let _jobs = client(&server.base_url())
        .delete_user_data(&DeleteRequest::new(["u"], DeletionScope::AllOrganizations))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn delete_of_65_users_sends_three_batches_of_at_most_30() {
    let server = MockServer::start_async().await;
    let ids: Vec<String> = (0..65).map(|i| format!("user-{i:02}")).collect();
    let mut mocks = Vec::new();
    for (n, chunk) in ids.chunks(30).enumerate() {
        let answer = json!({"status": "success", "message": "ok", "data": {"jobId": format!("job-{n}"), "tasksCount": 1}, "statusCode": 202});
        mocks.push(server.delete_all_user_data(|when, then| {
            documented(
                when.body(&typed(json!({"data": {"userIds": chunk}})))
                    .into_inner(),
            );
            then.accepted(&typed(answer));
        }));
    }
    let jobs = client(&server.base_url())
        .delete_user_data(&DeleteRequest::new(
            ids.clone(),
            DeletionScope::AllOrganizations,
        ))
        .await
        .unwrap()
        .jobs;
    for mock in &mocks {
        mock.assert_calls_async(1).await;
    }
    let job_ids: Vec<&str> = jobs.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(job_ids, ["job-0", "job-1", "job-2"]);
    let covered: Vec<String> = jobs.into_iter().flat_map(|j| j.user_ids).collect();
    assert_eq!(covered, ids, "every user is in exactly one job");
}

#[tokio::test]
async fn a_failed_batch_reports_started_jobs_and_unsent_users() {
    let server = MockServer::start_async().await;
    let ids: Vec<String> = (0..40).map(|i| format!("u{i}")).collect();
    server.delete_all_user_data(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"userIds": &ids[..30]}})))
                .into_inner(),
        );
        then.accepted(&typed(serde_json::from_str(DELETE_ANSWER).unwrap()));
    });
    server.delete_all_user_data(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"userIds": &ids[30..]}})))
                .into_inner(),
        );
        then.client_error(
            400,
            &typed(json!({"error": {"message": "bad", "status": "INVALID_ARGUMENT"}})),
        );
    });
    let deletion = client(&server.base_url())
        .delete_user_data(&DeleteRequest::new(
            ids.clone(),
            DeletionScope::AllOrganizations,
        ))
        .await
        .expect("the started job is not lost to the failed batch");
    match deletion.incomplete {
        Some(incomplete) => {
            let started = deletion.jobs;
            assert_eq!(started.len(), 1);
            assert_eq!(started[0].job_id, "dsQuvPmIynANgPLLEhCm");
            assert_eq!(incomplete.unsent_user_ids, ids[30..]);
            assert_eq!(
                incomplete.error.api_status(),
                Some(&ApiStatus::InvalidArgument)
            );
        }
        None => panic!("expected an incomplete deletion, got {:?}", deletion.jobs),
    }
}

#[tokio::test]
async fn status_decodes_and_wait_polls_until_completed() {
    let server = MockServer::start_async().await;
    let status = |done: bool, left: u32| {
        json!({"result": {"status": "success", "message": "Data fetched successfully.",
        "data": {"isDeleteCompleted": done, "tasksLeft": left, "lastTaskCompletedTime": 1748972106739u64}}})
    };
    let body = json!({"data": {"jobId": "yourJobId"}});
    let running = server.get_delete_all_user_data_status(|when, then| {
        when.body(&typed(body.clone()))
            .into_inner()
            .header("x-velt-api-key", API_KEY)
            .header("x-velt-auth-token", AUTH_TOKEN);
        then.ok(&typed(status(false, 3)))
            .into_inner()
            .up_to_n_times(2);
    });
    let done = server.get_delete_all_user_data_status(|when, then| {
        documented(when.body(&typed(body.clone())).into_inner());
        then.ok(&typed(status(true, 0)));
    });
    let client = client(&server.base_url());
    let options = PollOptions {
        first_interval: Duration::from_millis(10),
        ..PollOptions::default()
    };
    let mut seen = Vec::new();
    let outcome = client
        .poll_deletion("yourJobId", options)
        .until_done(|event| {
            if let velt_api::deletion::PollEvent::Status(s) = event {
                seen.push(s.tasks_left)
            }
        })
        .await
        .unwrap();
    let last = outcome.completed().expect("completed").clone();
    assert!(last.completed);
    assert_eq!(seen, [Some(3), Some(3), Some(0)]);
    assert_eq!(
        last.last_task_completed_at.map(|t| t.timestamp_millis()),
        Some(1748972106739)
    );
    running.assert_calls_async(2).await;
    done.assert_calls_async(1).await;
}

#[tokio::test]
async fn wait_gives_up_at_the_deadline() {
    let server = MockServer::start_async().await;
    server.get_delete_all_user_data_status(|_, then| {
        then.ok(&typed(
            json!({"result": {"data": {"isDeleteCompleted": false, "tasksLeft": 2}}}),
        ));
    });
    let options = PollOptions {
        deadline: Duration::from_millis(100),
        first_interval: Duration::from_millis(30),
        max_interval: Duration::from_millis(30),
    };
    let err = client(&server.base_url())
        .poll_deletion("j", options)
        .until_done(|_| {})
        .await
        .unwrap();
    assert!(
        matches!(err, WaitOutcome::DeadlinePassed { ref job_id, tasks_left: Some(2), .. } if job_id == "j"),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_job_is_not_found() {
    let server = MockServer::start_async().await;
    server.get_delete_all_user_data_status(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"jobId": "nope"}})))
                .into_inner(),
        );
        then.client_error(
            404,
            &typed(
                json!({"error": {"message": "Job not found.", "status": "NOT_FOUND", "code": 404}}),
            ),
        );
    });
    let err = client(&server.base_url())
        .deletion_status("nope")
        .await
        .unwrap_err();
    assert_eq!(err.api_status(), Some(&ApiStatus::NotFound));
    in_snapshots(|| insta::assert_snapshot!("error_display_not_found", err.to_string()));
}

// ---- Documented failures, retries, timeouts, redirects --------------------------------------

#[tokio::test]
async fn documented_failure_keeps_code_even_when_it_disagrees() {
    let server = MockServer::start_async().await;
    server.get_all_user_data(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"organizationId": "o", "userId": "u"}})))
                .into_inner(),
        );
        then.client_error(
            400,
            &typed(
                json!({"error": {"message": "ERROR_MESSAGE", "status": "INVALID_ARGUMENT", "code": 500}}),
            ),
        );
    });
    let err = client(&server.base_url())
        .get_user_data_page("o", "u", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Api, "{err:?}");
    assert_eq!(err.http_status_code(), Some(400));
    assert_eq!(err.api_status(), Some(&ApiStatus::InvalidArgument));
    assert_eq!(err.api_code(), Some(500));
    assert_eq!(err.message(), Some("ERROR_MESSAGE"));
    in_snapshots(|| insta::assert_snapshot!("error_display_invalid_argument", err.to_string()));
}

#[tokio::test]
async fn retries_503_then_succeeds_but_not_400() {
    let server = MockServer::start_async().await;
    let failing = server.get_users(|_, then| {
        then.server_error(
            503,
            &typed(json!({"error": {"message": "try later", "status": "UNAVAILABLE"}})),
        )
        .into_inner()
        .up_to_n_times(1);
    });
    let ok = server.get_users(|_, then| {
        then.ok(&typed(json!({"result": {"data": []}})));
    });
    let client = client(&server.base_url());
    client
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap();
    failing.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;

    let bad = server.get_delete_all_user_data_status(|_, then| {
        then.client_error(
            400,
            &typed(
                json!({"error": {"message": "jobId is required", "status": "INVALID_ARGUMENT"}}),
            ),
        );
    });
    assert!(client.deletion_status("j").await.is_err());
    bad.assert_calls_async(1).await;
}

#[tokio::test]
async fn retries_429_after_the_retry_after_it_was_given() {
    let server = MockServer::start_async().await;
    let limited = server.get_users(|_, then| {
        then.client_error(
            429,
            &typed(json!({"error": {"message": "slow down", "status": "RESOURCE_EXHAUSTED"}})),
        )
        .into_inner()
        .header("retry-after", "1")
        .up_to_n_times(1);
    });
    server.get_users(|_, then| {
        then.ok(&typed(json!({"result": {"data": []}})));
    });
    let started = Instant::now();
    client(&server.base_url())
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap();
    limited.assert_calls_async(1).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the Retry-After of 1 s was not honoured: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn delete_is_not_retried_once_sent_unless_opted_in() {
    let server = MockServer::start_async().await;
    let unavailable = server.delete_all_user_data(|_, then| {
        then.server_error(
            503,
            &typed(json!({"error": {"message": "down", "status": "UNAVAILABLE"}})),
        );
    });
    let request = DeleteRequest::new(["u"], DeletionScope::AllOrganizations);
    // Sent, and the answer does not say what happened: the outcome is unknown, not "nothing
    // started", so it is a `Deletion` naming the batch rather than an error.
    let incomplete = client(&server.base_url())
        .delete_user_data(&request)
        .await
        .expect("a sent deletion is not an error")
        .incomplete
        .expect("the batch's outcome is unknown");
    let err = &incomplete.error;
    assert!(err.is_retryable(), "a 503 is retryable in itself");
    assert!(
        err.is_outcome_unknown() && !err.is_not_processed(),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 1, "not sent twice");
    let unknown = incomplete.outcome_unknown.expect("the batch is named");
    assert_eq!(unknown.user_ids, ["u"]);
    assert!(incomplete.unsent_user_ids.is_empty());
    unavailable.assert_calls_async(1).await;

    let opted_in = common::builder(&server.base_url())
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1))
                .retry_sent_deletions(true),
        )
        .build()
        .unwrap();
    let incomplete = opted_in
        .delete_user_data(&request)
        .await
        .expect("a sent deletion is not an error")
        .incomplete
        .expect("still unknown after the retries");
    assert_eq!(incomplete.error.attempts(), 3);
    unavailable.assert_calls_async(4).await;
}

#[tokio::test]
async fn delete_is_retried_when_the_connection_could_not_be_made() {
    // Nothing listens on this port: the request never leaves the machine.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = common::builder(&url)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = client
        .delete_user_data(&DeleteRequest::new(["u"], DeletionScope::AllOrganizations))
        .await
        .unwrap_err();
    assert!(err.is_unsent(), "{err:?}");
    assert!(err.to_string().contains("could not connect"), "{err}");
}

#[tokio::test]
async fn a_redirect_to_another_host_receives_no_credentials() {
    let server = MockServer::start_async().await;
    let elsewhere = MockServer::start_async().await;
    let target = elsewhere.url("/v1/users/get");
    // A redirect is not in the spec: the answer is raw.
    let redirect = server.get_users(|_, then| {
        then.into_inner()
            .status(307)
            .header("location", target.as_str());
    });
    let stolen = elsewhere
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"result": {"data": []}}));
        })
        .await;
    let err = client(&server.base_url())
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap_err();
    redirect.assert_calls_async(1).await;
    stolen.assert_calls_async(0).await;
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(307));
    assert!(err.to_string().contains("not followed"), "{err}");
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = MockServer::start_async().await;
    server.get_users(|_, then| {
        then.ok(&typed(json!({"result": {"data": []}})))
            .into_inner()
            .delay(Duration::from_secs(3));
    });
    let client = common::builder(&server.base_url())
        .timeout(Operation::GetUsers, Duration::from_millis(200))
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let err = client
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn an_html_502_keeps_status_and_a_bounded_snippet() {
    let server = MockServer::start_async().await;
    let html = format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "x".repeat(5000)
    );
    let proxy = server.get_all_user_data(|_, then| {
        then.into_inner()
            .status(502)
            .header("content-type", "text/html")
            .body(html);
    });
    let client = common::builder(&server.base_url())
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = client.get_user_data_page("o", "u", None).await.unwrap_err();
    proxy.assert_calls_async(2).await;
    assert_eq!(err.kind(), ErrorKind::Http, "{err:?}");
    assert_eq!(err.http_status_code(), Some(502));
    let body = err.body().unwrap_or_default();
    assert!(
        body.starts_with("<html><body><h1>502 Bad Gateway"),
        "{body}"
    );
    assert!(body.len() < 600, "snippet is bounded: {} bytes", body.len());
}

#[tokio::test]
async fn an_empty_503_is_an_http_error() {
    let server = MockServer::start_async().await;
    server.get_users(|_, then| {
        then.into_inner().status(503);
    });
    let client = common::builder(&server.base_url())
        .retry_policy(RetryPolicy::never())
        .build()
        .unwrap();
    let err = client
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap_err();
    assert!(err.kind() == ErrorKind::Http, "{err:?}");
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(503));
    assert!(err.to_string().contains("empty body"), "{err}");
}

#[tokio::test]
async fn a_truncated_body_is_a_decode_error_with_the_status() {
    let server = MockServer::start_async().await;
    server.get_all_user_data(|_, then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body(r#"{"result": {"status": "success", "data": {"comments": [{"id": "#);
    });
    let err = client(&server.base_url())
        .get_user_data_page("o", "u", None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode, "{err:?}");
    assert_eq!(err.http_status_code(), Some(200));
    assert!(err.body().unwrap_or_default().contains("\"comments\""));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_201_with_the_documented_body_is_accepted() {
    let server = MockServer::start_async().await;
    server.delete_all_user_data(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"userIds": ["u"]}})))
                .into_inner(),
        );
        // The spec documents a 202: a 201 has no typed answer.
        raw_json(
            then.into_inner(),
            201,
            serde_json::from_str(DELETE_ANSWER).unwrap(),
        );
    });
    let jobs = client(&server.base_url())
        .delete_user_data(&DeleteRequest::new(["u"], DeletionScope::AllOrganizations))
        .await
        .unwrap()
        .jobs;
    assert_eq!(jobs[0].job_id, "dsQuvPmIynANgPLLEhCm");
}

// ---- Secrets ----------------------------------------------------------------------------------

#[tokio::test]
async fn debug_and_display_never_show_a_secret() {
    let server = MockServer::start_async().await;
    server.get_users(|_, then| {
        then.client_error(
            401,
            &typed(json!({"error": {"message": "Invalid API key.", "status": "UNAUTHENTICATED"}})),
        );
    });
    let builder = common::builder(&server.base_url());
    assert_no_secret(&format!("{builder:?}"));
    let client = builder.build().unwrap();
    assert_no_secret(&format!("{client:?}"));
    let err = client
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap_err();
    assert!(err.is_auth());
    assert_no_secret(&format!("{err:?}"));
    assert_no_secret(&err.to_string());
    // A transport error names the URL, never a header.
    let err = common::client("http://127.0.0.1:9")
        .deletion_status("j")
        .await
        .unwrap_err();
    assert_no_secret(&format!("{err:?} {err}"));
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_refused() {
    let server = MockServer::start_async().await;
    let big = page(json!([{"text": "x".repeat(10_000)}]), Value::Null);
    let mock = server.get_all_user_data(|_, then| answer_page(then, big));
    let client = common::builder(&server.base_url())
        .max_response_bytes(4096)
        .build()
        .unwrap();
    let err = client.get_user_data_page("o", "u", None).await.unwrap_err();
    assert!(err.size_limit() == Some(4096), "{err:?}");
    assert!(!err.is_retryable());
    mock.assert_calls_async(1).await;
    // Within the limit the same answer is read.
    let client = common::builder(&server.base_url()).build().unwrap();
    assert_eq!(
        client
            .get_user_data_page("o", "u", None)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn concurrent_exports_deliver_every_users_pages_and_survive_one_failure() {
    let server = MockServer::start_async().await;
    for user in ["a", "b", "c"] {
        let first = json!({"data": {"organizationId": "o", "userId": user}});
        let second = json!({"data": {"organizationId": "o", "userId": user, "pageToken": format!("{user}-2")}});
        server.get_all_user_data(|when, then| {
            documented(when.body(&typed(first)).into_inner());
            answer_page(
                then,
                page(
                    json!([item(&format!("{user}1"))]),
                    json!(format!("{user}-2")),
                ),
            );
        });
        server.get_all_user_data(|when, then| {
            documented(when.body(&typed(second)).into_inner());
            answer_page(then, page(json!([item(&format!("{user}2"))]), Value::Null));
        });
    }
    server.get_all_user_data(|when, then| {
        documented(
            when.body(&typed(
                json!({"data": {"organizationId": "o", "userId": "bad"}}),
            ))
            .into_inner(),
        );
        then.client_error(
            400,
            &typed(json!({"error": {"message": "no", "status": "INVALID_ARGUMENT"}})),
        );
    });
    let client = client(&server.base_url());
    let exports = ["a", "bad", "b", "c"].map(|user| client.export_user_data("o", user));
    let pages: Vec<velt_api::export::UserPage> = velt_api::export::Export::concurrently(exports, 2)
        .collect()
        .await;
    let mut seen: Vec<String> = Vec::new();
    let mut failed = Vec::new();
    for page in pages {
        match page.page {
            Ok(p) => seen.extend(p.into_items().map(|i| {
                format!(
                    "{}:{}",
                    page.user_id,
                    i.item.get("id").unwrap().as_str().unwrap()
                )
            })),
            Err(e) => failed.push((page.user_id, e.api_status().cloned())),
        }
    }
    seen.sort();
    assert_eq!(seen, ["a:a1", "a:a2", "b:b1", "b:b2", "c:c1", "c:c2"]);
    assert_eq!(
        failed,
        [("bad".to_owned(), Some(ApiStatus::InvalidArgument))]
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_retry_budget_is_returned_not_slept_on() {
    let server = MockServer::start_async().await;
    let limited = server.get_users(|_, then| {
        then.client_error(
            429,
            &typed(json!({"error": {"message": "later", "status": "RESOURCE_EXHAUSTED"}})),
        )
        .into_inner()
        .header("retry-after", "3600");
    });
    let started = Instant::now();
    let err = client(&server.base_url())
        .get_users(&UsersQuery::organization("o"))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30));
    limited.assert_calls_async(1).await;
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(err.is_retryable());
}
