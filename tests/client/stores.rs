//! Contract tests of the calls of Velt's other stores (`velt_api::stores`) against httpmock:
//! the exact requests, every page of the activity log, deletions in batches with partial
//! refusals and unknown outcomes, judgments gathered past Velt's limit (and a gap when a
//! split answer is still at it), a `null` reviewer profile, and one user's permissions.

use crate::common;

use common::{API_KEY, AUTH_TOKEN, client, fast_retries, typed};
use httpmock::MockServer;
use serde_json::{Value, json};
use velt_api::mock::MockServerExt;
use velt_api::stores::{
    ActivitiesQuery, ActivityDeletion, BatchResult, Gap, JudgmentsQuery, NotificationConfigQuery,
    PermissionsQuery,
};
use velt_api::{ErrorKind, Operation};

/// What every request carries: both credentials and the JSON content type.
fn documented(when: httpmock::When) -> httpmock::When {
    when.header("x-velt-api-key", API_KEY)
        .header("x-velt-auth-token", AUTH_TOKEN)
        .header("content-type", "application/json")
        .header_missing("api-version")
}

/// Answers 200 with `text` as written (byte for byte).
fn raw_answer(then: httpmock::Then, text: &str) {
    then.status(200)
        .header("content-type", "application/json")
        .body(text);
}

// ---- Get Activity Logs ----------------------------------------------------------------------

#[tokio::test]
async fn activities_are_read_page_after_page_and_kept_byte_for_byte() {
    let server = MockServer::start_async().await;
    // Velt's own text: key order, `1.0`, an escape and a field the page does not show.
    let record_1 = r#"{"id":"activity-001","featureType":"comment","score":1.0,"note":"caf\u00e9","changes":{"status":{"from":"open","to":"closed"}}}"#;
    let record_2 = r#"{"id": "activity-002", "timestamp": 1722409519944}"#;
    let record_3 = r#"{"featureType":"custom"}"#;
    let first = server.get_activities(|when, then| {
        documented(
            when.body(&typed(
                json!({"data": {"organizationId": "org-1", "userId": "user-42"}}),
            ))
            .into_inner(),
        );
        raw_answer(
            then.into_inner(),
            &format!(
                r#"{{"result":{{"status":"success","data":[{record_1},{record_2}],"pageToken":"t1"}}}}"#
            ),
        );
    });
    let second = server.get_activities(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"organizationId": "org-1", "userId": "user-42", "pageToken": "t1"}})))
                .into_inner(),
        );
        raw_answer(
            then.into_inner(),
            &format!(r#"{{"result":{{"status":"success","data":[{record_3}],"pageToken":null}}}}"#),
        );
    });
    let client = client(&server.base_url());
    // As velt-dsr calls it.
    let records = client
        .list_activities(ActivitiesQuery::of_user("org-1", "user-42"))
        .collect()
        .await
        .expect("every page reads");
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    let texts: Vec<&str> = records.iter().map(|r| r.raw().as_str()).collect();
    assert_eq!(texts, [record_1, record_2, record_3]);
    let ids: Vec<String> = records.iter().filter_map(|r| r.id()).collect();
    assert_eq!(ids, ["activity-001", "activity-002"]);
}

#[tokio::test]
async fn a_repeated_activity_page_token_stops_the_listing() {
    let server = MockServer::start_async().await;
    let mock = server.get_activities(|when, then| {
        documented(when.into_inner());
        raw_answer(
            then.into_inner(),
            r#"{"result":{"data":[{"id":"a"}],"pageToken":"same"}}"#,
        );
    });
    let error = client(&server.base_url())
        .list_activities(ActivitiesQuery::organization("org-1"))
        .collect()
        .await
        .expect_err("a loop is refused");
    assert!(error.pagination().is_some(), "{error}");
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn activity_queries_are_checked_before_sending() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });
    let error = client(&server.base_url())
        .list_activities(ActivitiesQuery::of_user("org-1", " "))
        .collect()
        .await
        .expect_err("a blank user id is refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("user id"), "{error}");
    any.assert_calls_async(0).await;
}

// ---- Delete Activity Logs -------------------------------------------------------------------

fn deletion_answer(outcomes: Value) -> Value {
    json!({"result": {"status": "success", "message": "Activity(s) deleted successfully.", "data": outcomes}})
}

#[tokio::test]
async fn deletions_go_in_batches_of_30_and_every_batch_is_sent_after_a_refusal() {
    let server = MockServer::start_async().await;
    let mut ids: Vec<String> = (0..61).map(|i| format!("activity-{i:03}")).collect();
    // The first batch: all deleted but activity-002 (refused) and activity-005 (not in the
    // answer: unknown).
    let mut outcomes = serde_json::Map::new();
    for id in &ids[..30] {
        let outcome = match id.as_str() {
            "activity-002" => json!({"success": false, "message": "Failed to delete activity."}),
            "activity-005" => continue,
            _ => json!({"success": true, "message": "Activity deleted."}),
        };
        outcomes.insert(id.clone(), outcome);
    }
    let first = server.delete_activities(|when, then| {
        documented(
            when.body(&typed(
                json!({"data": {"organizationId": "org-1", "activityIds": &ids[..30]}}),
            ))
            .into_inner(),
        );
        then.ok(&typed(deletion_answer(Value::Object(outcomes))));
    });
    // The second batch is refused as a whole (nothing deleted).
    let second = server.delete_activities(|when, then| {
        documented(
            when.body(&typed(
                json!({"data": {"organizationId": "org-1", "activityIds": &ids[30..60]}}),
            ))
            .into_inner(),
        );
        then.client_error(
            400,
            &typed(json!({"error": {"message": "immutable", "status": "FAILED_PRECONDITION"}})),
        );
    });
    // The third still goes out.
    let third = server.delete_activities(|when, then| {
        documented(
            when.body(&typed(
                json!({"data": {"organizationId": "org-1", "activityIds": &ids[60..]}}),
            ))
            .into_inner(),
        );
        then.ok(&typed(deletion_answer(
            json!({"activity-060": {"success": true, "message": "Activity deleted."}}),
        )));
    });
    // A repeated id is sent once.
    ids.push("activity-001".to_owned());
    let deletion: ActivityDeletion = client(&server.base_url())
        .delete_activities("org-1", ids.iter().cloned())
        .await
        .expect("a deletion with refusals is still an answer");
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    third.assert_calls_async(1).await;

    let sizes: Vec<usize> = deletion
        .batches
        .iter()
        .map(|b| b.activity_ids.len())
        .collect();
    assert_eq!(sizes, [30, 30, 1]);
    assert_eq!(deletion.deleted().count(), 28 + 1);
    assert!(deletion.deleted().all(|id| id != "activity-002"));
    let not_deleted: Vec<(&str, Option<&str>)> = deletion.not_deleted().collect();
    assert_eq!(
        not_deleted,
        [("activity-002", Some("Failed to delete activity."))]
    );
    assert_eq!(deletion.unknown().collect::<Vec<_>>(), ["activity-005"]);
    let refused: Vec<&str> = deletion.not_sent_or_refused().collect();
    assert_eq!(
        refused,
        ids[30..60].iter().map(String::as_str).collect::<Vec<_>>()
    );
    match &deletion.batches[1].result {
        BatchResult::Failed(error) => {
            assert_eq!(error.http_status_code(), Some(400));
            assert!(!error.is_outcome_unknown());
            assert_eq!(error.operation(), Some(Operation::DeleteActivities));
        }
        other => panic!("the second batch failed, not {other:?}"),
    }
    assert!(!deletion.all_deleted());
}

#[tokio::test]
async fn a_deletion_of_unknown_outcome_is_not_sent_again() {
    let server = MockServer::start_async().await;
    let mock = server.delete_activities(|when, then| {
        documented(when.into_inner());
        then.server_error(
            503,
            &typed(json!({"error": {"message": "try later", "status": "UNAVAILABLE"}})),
        );
    });
    // Retries allowed, even the opt-in for sent deletions: still one request.
    let client = common::builder(&server.base_url())
        .retry_policy(fast_retries(4).retry_sent_deletions(true))
        .build()
        .expect("client builds");
    let deletion = client
        .delete_activities("org-1", ["a1", "a2"])
        .await
        .expect("an unknown outcome is an answer");
    mock.assert_calls_async(1).await;
    assert_eq!(deletion.unknown().collect::<Vec<_>>(), ["a1", "a2"]);
    assert_eq!(deletion.not_sent_or_refused().count(), 0);
    assert_eq!(deletion.deleted().count(), 0);
    assert!(!deletion.all_deleted());
}

#[tokio::test]
async fn a_rate_limited_deletion_is_retried_and_then_answers() {
    let server = MockServer::start_async().await;
    let limited = server.mock(|when, then| {
        when.path("/v2/activities/delete")
            .header_missing("x-retried");
        then.status(429)
            .header("content-type", "application/json")
            .header("retry-after", "0")
            .json_body(json!({"error": {"message": "slow down", "status": "RESOURCE_EXHAUSTED"}}));
    });
    let client = common::builder(&server.base_url())
        .retry_policy(fast_retries(2))
        .build()
        .expect("client builds");
    let deletion = client
        .delete_activities("org-1", ["a1"])
        .await
        .expect("an answer");
    // Refused unprocessed twice: sent twice (a 429 proves nothing was deleted), then refused.
    limited.assert_calls_async(2).await;
    assert_eq!(deletion.not_sent_or_refused().collect::<Vec<_>>(), ["a1"]);
}

#[tokio::test]
async fn deletions_without_ids_or_with_blank_ones_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });
    let client = client(&server.base_url());
    let error = client
        .delete_activities("org-1", Vec::<String>::new())
        .await
        .expect_err("no ids");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("no activity ids"), "{error}");
    let error = client
        .delete_activities("org-1", ["a1", ""])
        .await
        .expect_err("a blank id");
    assert!(
        error.to_string().contains("activity id is empty"),
        "{error}"
    );
    let error = client
        .delete_activities(" ", ["a1"])
        .await
        .expect_err("a blank organization");
    assert!(error.to_string().contains("organization id"), "{error}");
    any.assert_calls_async(0).await;
}

// ---- Query Judgments ------------------------------------------------------------------------

/// `n` judgments with ids `{prefix}-{i}` and the decision `decision`.
fn judgments(prefix: &str, n: usize, decision: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"recordId": format!("{prefix}-{i}"), "decision": decision, "reasoning": "r"}))
        .collect()
}

fn judgments_answer(results: Vec<Value>) -> Value {
    let total = results.len();
    json!({"result": {"results": results, "total": total}})
}

#[tokio::test]
async fn judgments_under_the_limit_take_one_query_per_organization() {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for org in ["org-1", "org-2"] {
        let answer = judgments_answer(judgments(org, 3, "approved"));
        mocks.push(server.query_judgments(|when, then| {
            documented(
                when.body(&typed(
                    json!({"data": {"organizationId": org, "reviewerId": "u_sarah", "limit": 100}}),
                ))
                .into_inner(),
            );
            then.ok(&typed(answer));
        }));
    }
    let query = JudgmentsQuery::reviewer("u_sarah").organizations(["org-1", "org-2", "org-1"]);
    let gathered = client(&server.base_url())
        .query_judgments(&query)
        .await
        .expect("gathered");
    for mock in &mocks {
        mock.assert_calls_async(1).await;
    }
    assert!(gathered.is_complete());
    assert_eq!(gathered.items.len(), 6);
}

#[tokio::test]
async fn judgments_at_the_limit_are_split_by_decision_and_a_split_still_at_it_is_a_gap() {
    let server = MockServer::start_async().await;
    // The unsplit query answers exactly 100: there may be more.
    let mut unsplit = judgments("approved", 60, "approved");
    unsplit.extend(judgments("rejected", 40, "rejected"));
    let whole = server.query_judgments(|when, then| {
        documented(
            when.body(&typed(
                json!({"data": {"organizationId": "org-1", "reviewerId": "u", "limit": 100}}),
            ))
            .into_inner(),
        );
        then.ok(&typed(judgments_answer(unsplit)));
    });
    let mut split = Vec::new();
    for decision in JudgmentsQuery::DECISIONS {
        // `approved` is still at the limit after splitting (100 exactly, 60 of them seen
        // before); `rejected` is under it; the others are empty.
        let results = match decision {
            "approved" => judgments("approved", 100, "approved"),
            "rejected" => judgments("rejected", 45, "rejected"),
            _ => Vec::new(),
        };
        split.push(server.query_judgments(|when, then| {
            documented(
                when.body(&typed(json!({"data": {"organizationId": "org-1", "reviewerId": "u", "decision": decision, "limit": 100}})))
                    .into_inner(),
            );
            then.ok(&typed(judgments_answer(results)));
        }));
    }
    let gathered = client(&server.base_url())
        .query_judgments(&JudgmentsQuery::reviewer("u").organizations(["org-1"]))
        .await
        .expect("gathered");
    whole.assert_calls_async(1).await;
    for mock in &split {
        mock.assert_calls_async(1).await;
    }
    assert!(
        !gathered.is_complete(),
        "an answer at the limit is never complete"
    );
    assert_eq!(
        gathered.gaps,
        [Gap {
            organization_id: Some("org-1".into()),
            decision: Some("approved".into())
        }]
    );
    // Each judgment once: 100 approved and 45 rejected.
    assert_eq!(gathered.items.len(), 145);
    let mut ids: Vec<String> = gathered.items.iter().filter_map(|j| j.id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 145);
    assert!(gathered.items[0].raw().as_str().contains("\"reasoning\""));
}

// ---- Get Reviewer Profile -------------------------------------------------------------------

#[tokio::test]
async fn a_null_profile_is_none_and_a_profile_is_kept_as_sent() {
    let server = MockServer::start_async().await;
    let none = server.get_reviewer_profile(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"targetUserId": "nobody"}})))
                .into_inner(),
        );
        raw_answer(then.into_inner(), r#"{"result":null}"#);
    });
    let profile_text =
        r#"{"userId":"u_sarah","approvalRate":0.62,"avgReviewTimeSeconds":0,"twinAccuracy":null}"#;
    let some = server.get_reviewer_profile(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"targetUserId": "u_sarah"}})))
                .into_inner(),
        );
        raw_answer(
            then.into_inner(),
            &format!(r#"{{"result": {profile_text}}}"#),
        );
    });
    let client = client(&server.base_url());
    assert!(
        client
            .reviewer_profile("nobody")
            .await
            .expect("answers")
            .is_none()
    );
    let profile = client
        .reviewer_profile("u_sarah")
        .await
        .expect("answers")
        .expect("a profile");
    assert_eq!(profile.raw().as_str(), profile_text);
    none.assert_calls_async(1).await;
    some.assert_calls_async(1).await;
    let error = client.reviewer_profile("").await.expect_err("blank");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

// ---- Get Permissions ------------------------------------------------------------------------

#[tokio::test]
async fn permissions_of_one_user() {
    let server = MockServer::start_async().await;
    let data = r#"{"1.1": {"folders": {"folder2": {"accessRole": "editor", "accessType": "restricted"}}, "documents": {"document5": {"error": "User does not have access to document", "errorCode": "permission_denied"}}, "organization": {"org1": {"accessRole": "editor", "expiresAt": 1767225600}}}}"#;
    let mock = server.get_permissions(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"organizationId": "org1", "userIds": ["1.1"], "documentIds": ["document5"]}})))
                .into_inner(),
        );
        raw_answer(
            then.into_inner(),
            &format!(r#"{{"result": {{"status": "success", "data": {data}}}}}"#),
        );
    });
    let permissions = client(&server.base_url())
        .permissions(&PermissionsQuery::new("org1", ["1.1"]).documents(["document5"]))
        .await
        .expect("answers");
    mock.assert_calls_async(1).await;
    assert_eq!(permissions.data.as_str(), data);
    let mine = permissions
        .of_user("1.1")
        .expect("the user is in the answer");
    assert_eq!(mine["organization"]["org1"]["expiresAt"], 1767225600);
    assert_eq!(
        mine["documents"]["document5"]["errorCode"],
        "permission_denied"
    );
    assert!(permissions.of_user("someone-else").is_none());
    let error = client(&server.base_url())
        .permissions(&PermissionsQuery::new("org1", Vec::<String>::new()))
        .await
        .expect_err("no users");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

// ---- Get Notification Config ----------------------------------------------------------------

#[tokio::test]
async fn organization_level_notification_settings() {
    let server = MockServer::start_async().await;
    let setting = r#"{"config":{"inbox":"ALL","email":"NONE"},"metadata":{"organizationId":"org1","userId":"u1"}}"#;
    let mock = server.get_notification_config(|when, then| {
        documented(
            when.body(&typed(json!({"data": {"organizationId": "org1", "userId": "u1", "getOrganizationConfig": true}})))
                .into_inner(),
        );
        raw_answer(
            then.into_inner(),
            &format!(r#"{{"result":{{"status":"success","data":[{setting}]}}}}"#),
        );
    });
    let settings = client(&server.base_url())
        .notification_config(&NotificationConfigQuery::organization_level("org1", "u1"))
        .await
        .expect("answers");
    mock.assert_calls_async(1).await;
    assert_eq!(settings.len(), 1);
    assert_eq!(settings[0].raw().as_str(), setting);
    let error = client(&server.base_url())
        .notification_config(&NotificationConfigQuery::documents(
            "org1",
            "u1",
            (0..31).map(|i| format!("doc-{i}")),
        ))
        .await
        .expect_err("31 documents");
    assert!(error.to_string().contains("at most 30"), "{error}");
}
