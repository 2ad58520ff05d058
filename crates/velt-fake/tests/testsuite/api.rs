//! The four operations against a running fake, checked with the spec's generated types.

use crate::common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use velt_api::types::{
    DeleteAllUserDataResponse, GetDeleteAllUserDataStatusResponse, GetUsersResponse,
};
use velt_fake::{EndOfPages, FakeConfig, FakeVelt, Feature};

fn config() -> FakeConfig {
    FakeConfig {
        items_per_feature: 7,
        deletion_task_duration: Duration::from_millis(150),
        ..FakeConfig::default()
    }
}

fn first_member(fake: &FakeVelt) -> (String, String) {
    let org = fake.dataset().organization_ids().next().unwrap();
    let user = fake.dataset().users_of(&org)[0].user_id.clone();
    (org, user)
}

#[tokio::test]
async fn export_page_has_the_documented_shape_and_the_seeded_items() {
    let fake = FakeVelt::start(FakeConfig::default()).await.unwrap();
    let (org, user) = first_member(&fake);
    let answer = post(&fake, GET, export_body(&org, &user, None)).await;
    assert_eq!(answer.status.as_u16(), 200);
    let raw = answer.json();
    let keys: Vec<&String> = raw["result"]["data"].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4);
    let page: velt_api::types::GetAllUserDataResponse = answer.typed();
    assert_eq!(page.result.status.as_deref(), Some("success"));
    assert_eq!(
        page.result.message.as_deref(),
        Some("Data fetched successfully.")
    );
    assert!(
        page.result.next_page_token.is_some(),
        "120 items need two pages"
    );
    let data = page.result.data;
    for list in [
        &data.comments,
        &data.reactions,
        &data.recordings,
        &data.notifications,
    ] {
        assert_eq!(list.len(), 100);
    }
    let expected: Vec<_> = fake
        .dataset()
        .expected_items(&org, &user)
        .filter(|(f, _)| *f == Feature::Comments)
        .take(100)
        .map(|(_, m)| m)
        .collect();
    let got: Vec<serde_json::Map<String, serde_json::Value>> = data
        .comments
        .iter()
        .map(|i| i.parse().expect("an item is a JSON object"))
        .collect();
    assert_eq!(got, expected);

    // Items look like Velt objects: nested users, both timestamp kinds, unicode.
    let comment = &got[0];
    assert!(comment["annotationId"].is_string());
    let first = &comment["comments"][0];
    assert!(first["from"]["userId"].is_string() && first["from"]["email"].is_string());
    assert!(first["createdAt"].is_u64());
    assert!(first["lastUpdated"].as_str().unwrap().ends_with('Z'));
    assert!(comment["createdAt"].is_u64() && comment["lastUpdated"].is_string());
    assert!(comment["pageInfo"]["url"].is_string() && comment["location"].is_object());
    let all_text = answer.text.clone();
    assert!(!all_text.is_ascii(), "no unicode in the page");
}

#[tokio::test]
async fn pagination_walks_every_item_exactly_once() {
    let fake = FakeVelt::start(FakeConfig {
        items_per_feature: 250,
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let (org, user) = first_member(&fake);
    let (items, pages) = export_all(&fake, &org, &user).await;
    assert_eq!(pages, 3);
    for feature in Feature::ALL {
        let count = items.iter().filter(|(f, _)| f == feature.as_str()).count();
        assert_eq!(count, 250, "{feature:?}");
    }
    let expected: Vec<_> = fake
        .dataset()
        .expected_items(&org, &user)
        .map(|(f, m)| (f.as_str().to_owned(), m))
        .collect();
    assert_eq!(items, expected);
    let ids: HashSet<String> = items
        .iter()
        .map(|(f, m)| format!("{f}/{}", m.get("annotationId").or(m.get("id")).unwrap()))
        .collect();
    assert_eq!(ids.len(), items.len(), "item ids are not unique");
}

#[tokio::test]
async fn exact_multiple_of_the_page_size_ends_without_an_extra_page() {
    let fake = FakeVelt::start(FakeConfig {
        items_per_feature: 200,
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let (org, user) = first_member(&fake);
    let (items, pages) = export_all(&fake, &org, &user).await;
    assert_eq!((items.len(), pages), (800, 2));
}

#[tokio::test]
async fn last_page_marks_the_end_as_configured() {
    for (style, expected) in [
        (EndOfPages::Null, Some(Value::Null)),
        (EndOfPages::EmptyString, Some(json!(""))),
        (EndOfPages::Omitted, None),
    ] {
        let fake = FakeVelt::start(FakeConfig {
            items_per_feature: 3,
            end_of_pages: style,
            ..FakeConfig::default()
        })
        .await
        .unwrap();
        let (org, user) = first_member(&fake);
        let raw = post(&fake, GET, export_body(&org, &user, None))
            .await
            .json();
        assert_eq!(
            raw["result"].get("nextPageToken").cloned(),
            expected,
            "{style:?}"
        );
        assert_eq!(
            raw["result"]["data"]["reactions"].as_array().unwrap().len(),
            3
        );
    }
}

#[tokio::test]
async fn page_tokens_are_opaque_and_bound_to_their_export() {
    let fake = FakeVelt::start(FakeConfig::default()).await.unwrap();
    let (org, user) = first_member(&fake);
    let token = export_page(&fake, &org, &user, None)
        .await
        .result
        .next_page_token
        .unwrap();
    assert!(token.parse::<u64>().is_err());
    assert!(!token.contains(&user) && !token.contains(&org) && !token.contains("100"));
    // The token works for its own export...
    let second = export_page(&fake, &org, &user, Some(&token)).await;
    assert_eq!(second.result.data.comments.len(), 20);
    // ...and nowhere else.
    let other = fake.dataset().users_of(&org)[1].user_id.clone();
    post(&fake, GET, export_body(&org, &other, Some(&token)))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    for garbage in [
        "garbage",
        "AAAAAAAAAAAAAAAAAA",
        "bhdwdqwjs298e39e479ddkeuw==329",
        "1",
    ] {
        post(&fake, GET, export_body(&org, &user, Some(garbage)))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
    // A token with one character changed is refused too.
    let mut tampered: Vec<char> = token.chars().collect();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    post(&fake, GET, export_body(&org, &user, Some(&tampered)))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn unknown_organization_or_user_gets_an_empty_last_page() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let (org, user) = first_member(&fake);
    for (o, u) in [("org-9999", user.as_str()), (org.as_str(), "nobody")] {
        let raw = post(&fake, GET, export_body(o, u, None)).await;
        assert_eq!(raw.status.as_u16(), 200);
        let page: velt_api::types::GetAllUserDataResponse = raw.typed();
        assert!(page.result.next_page_token.is_none());
        assert!(page.result.data.comments.is_empty() && page.result.data.notifications.is_empty());
    }
}

#[tokio::test]
async fn same_seed_same_data_other_seed_other_data() {
    let a = FakeVelt::start(config()).await.unwrap();
    let b = FakeVelt::start(config()).await.unwrap();
    let c = FakeVelt::start(FakeConfig {
        seed: 7,
        ..config()
    })
    .await
    .unwrap();
    let (org, user) = first_member(&a);
    let page = |f| post(f, GET, export_body(&org, &user, None));
    let (ta, tb, tc) = (
        page(&a).await.text,
        page(&b).await.text,
        page(&c).await.text,
    );
    assert_eq!(ta, tb);
    assert_ne!(ta, tc);
}

#[tokio::test]
async fn deletion_job_progresses_and_erases_the_data() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 3,
        users: 24,
        // Long enough for the checks below to run before the first task ends.
        deletion_task_duration: Duration::from_millis(400),
        ..config()
    })
    .await
    .unwrap();
    let (user, orgs) = user_with_two_orgs(&fake).expect("seed 42 has a user in two organizations");
    let bystander = fake
        .dataset()
        .users_of(&orgs[0])
        .into_iter()
        .find(|u| u.user_id != user)
        .unwrap();

    assert!(fake.deletion_requests().is_empty());
    let answer = post(&fake, DELETE, json!({ "data": { "userIds": [user] } })).await;
    assert_eq!(answer.status.as_u16(), 202, "body: {}", answer.text);
    assert_eq!(fake.deletion_requests(), [vec![user.to_string()]]);
    assert!(
        answer.json().get("result").is_none(),
        "delete is not wrapped in result"
    );
    let job: DeleteAllUserDataResponse = answer.typed();
    assert_eq!(job.status.as_deref(), Some("success"));
    assert_eq!(
        job.message.as_deref(),
        Some("Data deletion process has been initiated.")
    );
    assert_eq!(job.status_code, Some(202));
    assert_eq!(
        job.data.tasks_count,
        Some(2),
        "one task per organization of the user"
    );
    let job_id = job.data.job_id;
    assert_eq!(job_id.len(), 20);

    let first = job_status(&fake, &job_id).await;
    assert!(!first.is_delete_completed);
    assert_eq!(first.tasks_left, Some(2));
    assert_eq!(first.last_task_completed_time, None);
    // Nothing is erased before the first task ends.
    assert_eq!(export_all(&fake, &orgs[0], &user).await.0.len(), 4 * 7);

    let started = Instant::now();
    let mut seen_left = HashSet::new();
    let done = loop {
        let s = job_status(&fake, &job_id).await;
        seen_left.insert(s.tasks_left);
        if s.is_delete_completed {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "job never completes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        seen_left.contains(&Some(1)),
        "tasks should fall one by one: {seen_left:?}"
    );
    assert_eq!(done.tasks_left, Some(0));
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let last = done.last_task_completed_time.unwrap();
    assert!(
        last <= now_ms && last > now_ms - 10_000,
        "{last} vs {now_ms}"
    );

    for org in &orgs {
        let (items, pages) = export_all(&fake, org, &user).await;
        assert_eq!((items.len(), pages), (0, 1), "data left in {org}");
        let users: GetUsersResponse =
            post(&fake, USERS, json!({ "data": { "organizationId": org } }))
                .await
                .typed();
        assert!(users.result.data.iter().all(|u| u.user_id != user));
    }
    // Other users keep their data.
    assert_eq!(
        export_all(&fake, &orgs[0], &bystander.user_id)
            .await
            .0
            .len(),
        4 * 7
    );
}

async fn job_status(fake: &FakeVelt, job_id: &str) -> velt_api::types::DeletionStatus {
    let answer = post(fake, STATUS, json!({ "data": { "jobId": job_id } })).await;
    assert_eq!(answer.status.as_u16(), 200, "body: {}", answer.text);
    let parsed: GetDeleteAllUserDataStatusResponse = answer.typed();
    assert_eq!(parsed.result.status.as_deref(), Some("success"));
    assert_eq!(
        parsed.result.message.as_deref(),
        Some("Data fetched successfully.")
    );
    parsed.result.data
}

#[tokio::test]
async fn deletion_scoped_to_given_organizations() {
    let fake = FakeVelt::start(FakeConfig {
        users: 24,
        deletion_task_duration: Duration::ZERO,
        ..config()
    })
    .await
    .unwrap();
    let (user, orgs) = user_with_two_orgs(&fake).unwrap();
    let job: DeleteAllUserDataResponse = post(
        &fake,
        DELETE,
        json!({ "data": { "userIds": [user], "organizationIds": [orgs[1]] } }),
    )
    .await
    .typed();
    assert_eq!(job.data.tasks_count, Some(1));
    let s: GetDeleteAllUserDataStatusResponse = post(
        &fake,
        STATUS,
        json!({ "data": { "jobId": job.data.job_id } }),
    )
    .await
    .typed();
    assert!(s.result.data.is_delete_completed);
    assert_eq!(export_all(&fake, &orgs[0], &user).await.0.len(), 28);
    assert_eq!(export_all(&fake, &orgs[1], &user).await.0.len(), 0);
}

#[tokio::test]
async fn deletion_keeps_only_the_first_30_user_ids() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 1,
        users: 40,
        items_per_feature: 2,
        deletion_task_duration: Duration::ZERO,
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let ids: Vec<String> = fake.dataset().user_ids().take(31).collect();
    let answer = post(&fake, DELETE, json!({ "data": { "userIds": ids } })).await;
    assert_eq!(
        answer.status.as_u16(),
        202,
        "31 ids are accepted: {}",
        answer.text
    );
    let org = "org-0001";
    assert_eq!(export_all(&fake, org, &ids[29]).await.0.len(), 0);
    assert_eq!(
        export_all(&fake, org, &ids[30]).await.0.len(),
        8,
        "the 31st user is kept"
    );
}

#[tokio::test]
async fn unknown_job_is_not_found() {
    let fake = FakeVelt::start(config()).await.unwrap();
    post(
        &fake,
        STATUS,
        json!({ "data": { "jobId": "noSuchJob0000000000" } }),
    )
    .await
    .assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn get_users_filters_by_organization_document_ids_and_groups() {
    let fake = FakeVelt::start(FakeConfig {
        users: 30,
        ..config()
    })
    .await
    .unwrap();
    let org = "org-0002";
    let members = fake.dataset().users_of(org);
    assert!(members.len() >= 3);

    let answer = post(&fake, USERS, json!({ "data": { "organizationId": org } })).await;
    assert_eq!(answer.status.as_u16(), 200);
    let all: GetUsersResponse = answer.typed();
    assert_eq!(all.result.status.as_deref(), Some("success"));
    assert_eq!(
        all.result.message.as_deref(),
        Some("User(s) retrieved successfully.")
    );
    let got: Vec<_> = all
        .result
        .data
        .iter()
        .map(|u| (u.user_id.clone(), u.name.clone(), u.email.clone()))
        .collect();
    let want: Vec<_> = members
        .iter()
        .map(|u| {
            (
                u.user_id.clone(),
                Some(u.name.clone()),
                Some(u.email.clone()),
            )
        })
        .collect();
    assert_eq!(got, want);

    let picked = [
        members[0].user_id.clone(),
        members[2].user_id.clone(),
        "nobody".to_owned(),
    ];
    let some: GetUsersResponse = post(
        &fake,
        USERS,
        json!({ "data": { "organizationId": org, "userIds": picked } }),
    )
    .await
    .typed();
    let ids: Vec<_> = some
        .result
        .data
        .iter()
        .map(|u| u.user_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [members[0].user_id.as_str(), members[2].user_id.as_str()]
    );

    let docs = fake.dataset().document_ids(org);
    let mut total_by_doc = 0;
    for doc in &docs {
        let by_doc: GetUsersResponse = post(
            &fake,
            USERS,
            json!({ "data": { "organizationId": org, "documentId": doc } }),
        )
        .await
        .typed();
        assert!(by_doc.result.data.len() <= members.len());
        total_by_doc += by_doc.result.data.len();
    }
    assert!(
        total_by_doc >= members.len(),
        "every member has at least one document"
    );

    let mut total_by_group = 0;
    for group in ["engineering", "design", "support", "sales"] {
        let by_group: GetUsersResponse = post(
            &fake,
            USERS,
            json!({ "data": { "organizationId": org, "organizationUserGroupIds": [group] } }),
        )
        .await
        .typed();
        total_by_group += by_group.result.data.len();
    }
    assert_eq!(
        total_by_group,
        members.len(),
        "each member is in exactly one group"
    );

    for body in [
        json!({ "data": { "organizationId": "org-9999" } }),
        json!({ "data": { "organizationId": org, "documentId": "doc-9999-01" } }),
    ] {
        let none: GetUsersResponse = post(&fake, USERS, body).await.typed();
        assert!(none.result.data.is_empty());
    }
}
