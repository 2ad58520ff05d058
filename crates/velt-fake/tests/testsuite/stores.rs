//! Velt's other stores: activity logs (pages, filters, immutable records), permissions, the
//! reviewer profile and judgments (the limit), notification settings; what an erasure takes
//! of them; credentials and faults on their endpoints.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use velt_fake::{FakeConfig, FakeVelt, Faults};

const ACTIVITIES: &str = "/v2/activities/get";
const DELETE_ACTIVITIES: &str = "/v2/activities/delete";
const PERMISSIONS: &str = "/v2/auth/permissions/get";
const PROFILE: &str = "/v2/memory/profiles/get";
const JUDGMENTS: &str = "/v2/memory/judgments/query";
const NOTIFICATIONS: &str = "/v2/notifications/config/get";

fn config() -> FakeConfig {
    FakeConfig {
        items_per_feature: 5,
        deletion_task_duration: Duration::ZERO,
        ..FakeConfig::default()
    }
}

fn jane(fake: &FakeVelt) -> String {
    fake.dataset()
        .multi_organization_user()
        .expect("the default dataset has the person in three organizations")
}

/// `result` of a successful answer.
async fn result(fake: &FakeVelt, path: &str, data: Value) -> Value {
    let answer = post(fake, path, json!({ "data": data })).await;
    assert_eq!(answer.status.as_u16(), 200, "{path}: {}", answer.text);
    answer.json()["result"].clone()
}

fn ids_of(records: &Value) -> Vec<String> {
    records
        .as_array()
        .expect("a list of records")
        .iter()
        .map(|r| r["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Seeded records of `user` in `org`, newest first (ties by id), as Get Activity Logs orders.
fn newest_first(fake: &FakeVelt, org: &str, user: &str) -> Vec<String> {
    let mut records: Vec<(u64, String)> = fake
        .dataset()
        .activity_records(org, user)
        .into_iter()
        .map(|r| {
            (
                r["timestamp"].as_u64().unwrap(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    records.sort();
    records.reverse();
    records.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn activities_come_page_by_page_newest_first_with_page_tokens() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = jane(&fake);
    let orgs = fake.dataset().activity_organizations_of(&jane);
    assert_eq!(orgs, ["org-0001", "org-0002"]);
    let per_user = fake.dataset().activities_per_user();
    assert_eq!(per_user, 25);
    for org in &orgs {
        let mut token: Option<String> = None;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let mut data = json!({ "organizationId": org, "userId": jane, "pageSize": 7 });
            if let Some(t) = &token {
                data["pageToken"] = json!(t);
            }
            let page = result(&fake, ACTIVITIES, data).await;
            assert_eq!(page["status"], "success");
            assert_eq!(page["message"], "Activity(s) retrieved successfully.");
            let ids = ids_of(&page["data"]);
            assert!(ids.len() <= 7);
            seen.extend(ids);
            pages += 1;
            match page.get("pageToken") {
                Some(Value::String(t)) => token = Some(t.clone()),
                None => break,
                Some(other) => panic!("pageToken is {other}"),
            }
            assert!(pages < 10, "paging does not end");
        }
        assert_eq!(pages, 4, "25 records in pages of 7");
        assert_eq!(seen, newest_first(&fake, org, &jane));
    }
    // The third organization holds none of hers.
    let third = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0003", "userId": jane }),
    )
    .await;
    assert_eq!(third["data"], json!([]));
    assert!(third.get("pageToken").is_none());

    // Without pageSize: up to 1000 a page; every user with records there, one page.
    let all = result(&fake, ACTIVITIES, json!({ "organizationId": "org-0001" })).await;
    let expected: usize = fake
        .dataset()
        .user_ids()
        .map(|u| fake.dataset().activity_records("org-0001", &u).len())
        .sum();
    assert_eq!(ids_of(&all["data"]).len(), expected);
    assert!(expected > 25, "other users have records too");
    assert!(all.get("pageToken").is_none());
    let times: Vec<u64> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["timestamp"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let ascending = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "order": "asc" }),
    )
    .await;
    let mut reversed = ids_of(&ascending["data"]);
    reversed.reverse();
    assert_eq!(reversed, ids_of(&all["data"]));

    // A token is only good for the filters it was issued for.
    let first = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "userId": jane, "pageSize": 7 }),
    )
    .await;
    let token = first["pageToken"].as_str().unwrap();
    post(
        &fake,
        ACTIVITIES,
        json!({ "data": { "organizationId": "org-0002", "userId": jane, "pageToken": token } }),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    for bad in [
        json!({ "organizationId": "org-0001", "pageSize": 0 }),
        json!({ "organizationId": "org-0001", "order": "newest" }),
        json!({ "organizationId": "org-0001", "featureTypes": [] }),
        json!({ "userId": jane }),
    ] {
        post(&fake, ACTIVITIES, json!({ "data": bad }))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
}

#[tokio::test]
async fn activity_records_carry_what_the_docs_show_and_filter_as_documented() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = jane(&fake);
    let records = fake.dataset().activity_records("org-0001", &jane);
    let first = &records[0];
    assert_eq!(first["actionType"], "comment.update");
    assert_eq!(
        first["changes"]["commentText"]["to"],
        velt_fake::MARKUP_TEXT
    );
    assert!(first["changes"]["commentText"]["from"].is_string());
    assert!(first["entityData"].is_object());
    assert_eq!(first["metadata"]["apiKey"], fake.api_key());
    assert_eq!(first["actionUser"]["email"], "Jane.Doe@Example.com");
    for (k, record) in records.iter().enumerate() {
        assert_eq!(record["immutable"], json!(k % 4 == 1), "record {k}");
    }
    let immutable: Vec<&str> = records
        .iter()
        .filter(|r| r["immutable"] == json!(true))
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(immutable.len(), 6, "records 2, 6, 10, ... (k % 4 == 1)");

    // By document, feature, action, target entity and ids.
    let document = first["metadata"]["documentId"].as_str().unwrap();
    let by_document = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "documentId": document }),
    )
    .await;
    assert!(!ids_of(&by_document["data"]).is_empty());
    assert!(
        by_document["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["metadata"]["documentId"] == document)
    );
    // A feature type the page does not list matches nothing (the page does not say Velt
    // refuses it).
    let none = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "userId": jane, "featureTypes": ["comments"] }),
    )
    .await;
    assert_eq!(none["data"].as_array().map(Vec::len), Some(0), "{none}");
    let comments = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "userId": jane, "featureTypes": ["comment"], "actionTypes": ["comment.add"] }),
    )
    .await;
    let expected = records
        .iter()
        .filter(|r| r["actionType"] == "comment.add")
        .count();
    assert_eq!(ids_of(&comments["data"]).len(), expected);
    let target = first["targetEntityId"].as_str().unwrap();
    let by_target = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "targetEntityId": target }),
    )
    .await;
    assert!(ids_of(&by_target["data"]).contains(&first["id"].as_str().unwrap().to_owned()));
    let by_ids = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "activityIds": [first["id"], "act_unknown-1-1-a1"] }),
    )
    .await;
    assert_eq!(by_ids["data"], json!([first]));
    // An id of another organization is not found in this one.
    let other = &fake.dataset().activity_records("org-0002", &jane)[0];
    let elsewhere = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "activityIds": [other["id"]] }),
    )
    .await;
    assert_eq!(elsewhere["data"], json!([]));
}

#[tokio::test]
async fn immutable_activity_records_are_refused_and_others_deleted() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = jane(&fake);
    let records = fake.dataset().activity_records("org-0001", &jane);
    let immutable = records[1]["id"].as_str().unwrap().to_owned();
    let mutable = records[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(records[1]["immutable"], true);
    assert_eq!(records[0]["immutable"], false);
    let answer = result(
        &fake,
        DELETE_ACTIVITIES,
        json!({ "organizationId": "org-0001", "activityIds": [immutable, mutable, "activity-001"] }),
    )
    .await;
    assert_eq!(answer["status"], "success");
    assert_eq!(answer["message"], "Activity(s) deleted successfully.");
    assert_eq!(
        answer["data"],
        json!({
            immutable.clone(): { "success": false, "message": "Failed to delete activity." },
            mutable.clone(): { "success": true, "message": "Activity deleted." },
            "activity-001": { "success": false, "message": "Failed to delete activity." },
        })
    );
    let left = ids_of(
        &result(
            &fake,
            ACTIVITIES,
            json!({ "organizationId": "org-0001", "userId": jane }),
        )
        .await["data"],
    );
    assert_eq!(left.len(), 24);
    assert!(left.contains(&immutable) && !left.contains(&mutable));
    // Deleted once: a second time it is not there.
    let again = result(
        &fake,
        DELETE_ACTIVITIES,
        json!({ "organizationId": "org-0001", "activityIds": [mutable] }),
    )
    .await;
    assert_eq!(again["data"][&mutable]["success"], false);

    // By document: every record there, immutable ones refused.
    let document = records[1]["metadata"]["documentId"].as_str().unwrap();
    let there = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "documentId": document }),
    )
    .await;
    let by_document = result(
        &fake,
        DELETE_ACTIVITIES,
        json!({ "organizationId": "org-0001", "documentId": document }),
    )
    .await;
    let outcomes = by_document["data"].as_object().unwrap();
    assert_eq!(outcomes.len(), ids_of(&there["data"]).len());
    for record in there["data"].as_array().unwrap() {
        let id = record["id"].as_str().unwrap();
        assert_eq!(
            outcomes[id]["success"],
            json!(record["immutable"] == json!(false)),
            "{id}"
        );
    }
    let after = result(
        &fake,
        ACTIVITIES,
        json!({ "organizationId": "org-0001", "documentId": document }),
    )
    .await;
    assert!(
        after["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["immutable"] == true)
    );
    // At least one of documentId, targetEntityId or activityIds.
    post(
        &fake,
        DELETE_ACTIVITIES,
        json!({ "data": { "organizationId": "org-0001" } }),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn judgments_stop_at_the_limit_and_say_nothing_of_the_rest() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = jane(&fake);
    assert_eq!(fake.dataset().judgments("org-0001", &jane).len(), 207);
    assert_eq!(fake.dataset().judgments("org-0002", &jane).len(), 83);
    let query = |data: Value| {
        let fake = &fake;
        async move { result(fake, JUDGMENTS, data).await }
    };
    let approved = query(json!({ "organizationId": "org-0001", "reviewerId": jane, "decision": "approved", "limit": 100 })).await;
    assert_eq!(approved["total"], 100);
    assert_eq!(approved["results"].as_array().unwrap().len(), 100);
    // Splitting further by document or content type does not get under the limit.
    let first = &approved["results"][0];
    assert_eq!(first["decision"], "approved");
    assert_eq!(first["actionUser"]["userId"], json!(jane));
    assert_eq!(
        first["organizationId"],
        json!(fake.dataset().velt_organization_id("org-0001").unwrap()),
        "Velt's internal id, not the one sent"
    );
    let document = fake.dataset().documents_of_user("org-0001", &jane)[0].clone();
    let narrowed = query(json!({ "organizationId": "org-0001", "documentId": document, "decision": "approved", "contentType": "marketing-copy", "judgeType": "human", "limit": 100 })).await;
    assert_eq!(narrowed["total"], 100);
    let created: Vec<u64> = approved["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["createdAt"].as_u64().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // Every other decision is under the limit, in both organizations.
    for org in ["org-0001", "org-0002"] {
        let mut sum = 0;
        // The decisions the client splits by, as Velt's page lists them.
        for decision in velt_api::stores::JudgmentsQuery::DECISIONS {
            let page = query(json!({ "organizationId": org, "reviewerId": jane, "decision": decision, "limit": 100 })).await;
            let n = page["total"].as_u64().unwrap();
            assert_eq!(n as usize, page["results"].as_array().unwrap().len());
            if org == "org-0001" && decision == "approved" {
                assert_eq!(n, 100);
            } else {
                assert!(n < 100, "{org} {decision}: {n}");
            }
            sum += n;
        }
        let expected = if org == "org-0001" { 187 } else { 83 };
        assert_eq!(sum, expected, "{org}");
    }
    // Default limit 20; workspace-wide without organizationId; documentId alone is ignored.
    assert_eq!(query(json!({ "reviewerId": jane })).await["total"], 20);
    assert_eq!(
        query(json!({ "reviewerId": jane, "documentId": "no-such-document", "limit": 100 })).await
            ["total"],
        100
    );
    // One thread: chronological.
    let annotation = first["annotationId"].as_str().unwrap();
    let thread =
        query(json!({ "organizationId": "org-0001", "annotationId": annotation, "limit": 100 }))
            .await;
    let times: Vec<u64> = thread["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["createdAt"].as_u64().unwrap())
        .collect();
    assert!(!times.is_empty());
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    // Out of range, and the validation details the memory pages describe.
    for bad in [
        json!({ "limit": 0 }),
        json!({ "limit": 101 }),
        json!({ "limit": 2.5 }),
        json!({ "annotationId": annotation }),
    ] {
        let answer = post(&fake, JUDGMENTS, json!({ "data": bad })).await;
        answer.assert_error(400, "INVALID_ARGUMENT");
        assert!(answer.json()["error"]["details"]["issues"][0]["path"].is_array());
    }
    // A decision or judge type the page does not list matches nothing (the page does not
    // say Velt refuses one).
    for unlisted in [
        json!({ "reviewerId": jane, "decision": "maybe" }),
        json!({ "reviewerId": jane, "judgeType": "robot" }),
    ] {
        let answer = result(&fake, JUDGMENTS, unlisted).await;
        assert_eq!(answer["results"], json!([]), "{answer}");
    }
}

#[tokio::test]
async fn the_reviewer_profile_is_derived_from_the_judgments_or_null() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = jane(&fake);
    let profile = result(&fake, PROFILE, json!({ "targetUserId": jane })).await;
    assert_eq!(profile["userId"], json!(jane));
    assert_eq!(profile["email"], "Jane.Doe@Example.com");
    assert_eq!(profile["totalJudgments"], 290);
    assert_eq!(profile["avgReviewTimeSeconds"], 0);
    assert_eq!(profile["twinEligible"], true);
    let breakdown = profile["orgBreakdown"].as_object().unwrap();
    assert_eq!(breakdown.len(), 2);
    let internal = fake.dataset().velt_organization_id("org-0001").unwrap();
    assert_eq!(breakdown[&internal]["clientOrganizationId"], "org-0001");
    assert_eq!(breakdown[&internal]["judgments"], 207);
    // Without targetUserId, and for someone who never reviewed: null.
    assert_eq!(result(&fake, PROFILE, json!({})).await, Value::Null);
    let never = fake.dataset().user_ids().nth(8).unwrap();
    assert_eq!(
        result(&fake, PROFILE, json!({ "targetUserId": never })).await,
        Value::Null
    );
}

#[tokio::test]
async fn permissions_and_notification_settings_per_organization() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = jane(&fake);
    for org in fake.dataset().organizations_of(&jane) {
        let docs = fake.dataset().documents_of_user(&org, &jane);
        let all_docs = fake.dataset().document_ids(&org);
        let folder = format!("folder-{}-01", &org[4..]);
        let answer = result(
            &fake,
            PERMISSIONS,
            json!({ "organizationId": org, "userIds": [jane], "documentIds": all_docs, "folderIds": [folder] }),
        )
        .await;
        assert_eq!(
            answer["message"],
            "User permissions retrieved successfully."
        );
        let entry = &answer["data"][&jane];
        let role = entry["organization"][&org]["accessRole"].as_str().unwrap();
        assert!(["editor", "viewer"].contains(&role));
        assert!(entry["folders"][&folder].is_object());
        for doc in &all_docs {
            let permission = &entry["documents"][doc];
            assert!(permission["accessType"].is_string());
            if docs.contains(doc) {
                assert!(permission["accessRole"].is_string(), "{doc}: {permission}");
            } else {
                assert_eq!(permission["errorCode"], "permission_denied");
            }
        }
        // Without folderIds or documentIds: the organization entry only.
        let bare = result(
            &fake,
            PERMISSIONS,
            json!({ "organizationId": org, "userIds": [jane] }),
        )
        .await;
        assert!(bare["data"][&jane].get("documents").is_none());

        let settings = result(
            &fake,
            NOTIFICATIONS,
            json!({ "organizationId": org, "userId": jane, "documentIds": docs, "getOrganizationConfig": true }),
        )
        .await;
        assert_eq!(settings["message"], "User config fetched successfully.");
        let list = settings["data"].as_array().unwrap();
        assert_eq!(list.len(), 1 + docs.len());
        assert!(list[0]["metadata"].get("documentId").is_none());
        assert_eq!(list[1]["metadata"]["documentId"], json!(docs[0]));
        assert_eq!(list[0]["metadata"]["apiKey"], fake.api_key());
        assert!(list[0]["config"]["inbox"].is_string());
    }
    // An unknown document: NOT_FOUND with the entries in details, as the page shows.
    let missing = post(
        &fake,
        PERMISSIONS,
        json!({ "data": { "organizationId": "org-0001", "userIds": [jane], "documentIds": ["nope"] } }),
    )
    .await;
    missing.assert_error(404, "NOT_FOUND");
    assert_eq!(
        missing.json()["error"]["details"][&jane]["documents"]["nope"]["errorCode"],
        "does_not_exist"
    );
    post(
        &fake,
        NOTIFICATIONS,
        json!({ "data": { "organizationId": "org-0001", "userId": jane } }),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
}

/// Erases the person everywhere and waits for the job to finish.
async fn erase(fake: &FakeVelt, user: &str) {
    let answer = post(fake, DELETE, json!({ "data": { "userIds": [user] } })).await;
    assert_eq!(answer.status.as_u16(), 202, "{}", answer.text);
    let job = answer.json()["data"]["jobId"].as_str().unwrap().to_owned();
    for _ in 0..100 {
        let status = post(fake, STATUS, json!({ "data": { "jobId": job } })).await;
        if status.json()["result"]["data"]["isDeleteCompleted"] == true {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the deletion does not finish");
}

#[tokio::test]
async fn an_erasure_keeps_activity_records_by_default_and_takes_the_rest() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = jane(&fake);
    let file = fake.dataset().files()[0].clone();
    erase(&fake, &jane).await;
    for org in ["org-0001", "org-0002"] {
        let left = result(
            &fake,
            ACTIVITIES,
            json!({ "organizationId": org, "userId": jane }),
        )
        .await;
        assert_eq!(ids_of(&left["data"]).len(), 25, "{org}: kept");
    }
    let judgments = result(&fake, JUDGMENTS, json!({ "reviewerId": jane })).await;
    assert_eq!(judgments["total"], 0);
    assert_eq!(
        result(&fake, PROFILE, json!({ "targetUserId": jane })).await,
        Value::Null
    );
    let permissions = result(
        &fake,
        PERMISSIONS,
        json!({ "organizationId": "org-0001", "userIds": [jane] }),
    )
    .await;
    assert_eq!(
        permissions["data"][&jane]["organization"]["org-0001"]["errorCode"],
        "permission_denied"
    );
    let settings = result(
        &fake,
        NOTIFICATIONS,
        json!({ "organizationId": "org-0001", "userId": jane, "getOrganizationConfig": true }),
    )
    .await;
    assert_eq!(settings["data"], json!([]));
    // The files behind the erased items are gone too.
    let gone = client().get(&file.url).send().await.unwrap();
    assert_eq!(gone.status().as_u16(), 404);
    // Someone else's records are untouched.
    let other = fake.dataset().users_of("org-0001")[0].user_id.clone();
    assert!(!fake.dataset().judgments("org-0001", &other).is_empty());
    let theirs = result(
        &fake,
        JUDGMENTS,
        json!({ "reviewerId": other, "limit": 100 }),
    )
    .await;
    assert!(theirs["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn an_erasure_takes_activity_records_when_configured_to() {
    let fake = FakeVelt::start(FakeConfig {
        gdpr_deletes_activities: true,
        ..config()
    })
    .await
    .unwrap();
    let jane = jane(&fake);
    let before = result(&fake, ACTIVITIES, json!({ "organizationId": "org-0001" })).await;
    erase(&fake, &jane).await;
    for org in ["org-0001", "org-0002"] {
        let left = result(
            &fake,
            ACTIVITIES,
            json!({ "organizationId": org, "userId": jane }),
        )
        .await;
        assert_eq!(left["data"], json!([]), "{org}: erased");
    }
    let after = result(&fake, ACTIVITIES, json!({ "organizationId": "org-0001" })).await;
    assert_eq!(
        ids_of(&after["data"]).len(),
        ids_of(&before["data"]).len() - 25,
        "only hers"
    );
}

#[tokio::test]
async fn the_store_endpoints_check_credentials_and_honour_faults() {
    let fake = FakeVelt::start(FakeConfig {
        faults: Faults {
            failing_organizations: vec!["org-0002".into()],
            ..Faults::default()
        },
        ..config()
    })
    .await
    .unwrap();
    let jane = jane(&fake);
    let calls = [
        (ACTIVITIES, json!({ "organizationId": "org-0002" })),
        (
            DELETE_ACTIVITIES,
            json!({ "organizationId": "org-0002", "activityIds": ["x"] }),
        ),
        (
            PERMISSIONS,
            json!({ "organizationId": "org-0002", "userIds": [jane] }),
        ),
        (JUDGMENTS, json!({ "organizationId": "org-0002" })),
        (
            NOTIFICATIONS,
            json!({ "organizationId": "org-0002", "userId": jane, "getOrganizationConfig": true }),
        ),
    ];
    for (path, data) in &calls {
        let body = json!({ "data": data }).to_string();
        send(&fake, path, &body, None, Some(fake.auth_token()))
            .await
            .assert_error(401, "UNAUTHENTICATED");
        send(&fake, path, &body, Some(fake.api_key()), Some("wrong"))
            .await
            .assert_error(401, "UNAUTHENTICATED");
        post_raw(&fake, path, &body)
            .await
            .assert_error(503, "UNAVAILABLE");
    }
    send(&fake, PROFILE, r#"{"data":{}}"#, Some(fake.api_key()), None)
        .await
        .assert_error(401, "UNAUTHENTICATED");

    // Every Nth request, and latency, as on every other endpoint.
    fake.set_faults(Faults {
        every_nth_503: Some(2),
        ..Faults::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let answer = post(
            &fake,
            ACTIVITIES,
            json!({ "data": { "organizationId": "org-0001" } }),
        )
        .await;
        statuses.push(answer.status.as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 503, 503]);

    let slow = FakeVelt::start(FakeConfig {
        latency: Duration::from_millis(150),
        ..config()
    })
    .await
    .unwrap();
    let started = Instant::now();
    let answer = post(&slow, PROFILE, json!({ "data": { "targetUserId": jane } })).await;
    assert_eq!(answer.status.as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}
