//! The v2 look-up calls (Get Organizations, Get Users v2), finding a person, the export's SDK
//! fields and the refusals the spec now states (null, empty lists, blank ids).

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use velt_api::types::{GetOrganizationsResponse, GetUsersV2Response, GetUsersV2ResultData};
use velt_fake::{FakeConfig, FakeVelt, TokenName};

const ORGS_V2: &str = "/v2/organizations/get";
const USERS_V2: &str = "/v2/users/get";

fn config() -> FakeConfig {
    FakeConfig {
        items_per_feature: 3,
        deletion_task_duration: Duration::ZERO,
        ..FakeConfig::default()
    }
}

/// Every organization id, following the tokens, with `page_size` a page.
async fn all_organizations(fake: &FakeVelt, filter: Value, page_size: u64) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut data = filter.as_object().cloned().unwrap_or_default();
        data.insert("pageSize".into(), json!(page_size));
        if let Some(t) = &token {
            data.insert("pageToken".into(), json!(t));
        }
        let answer = post(fake, ORGS_V2, json!({ "data": data })).await;
        assert_eq!(answer.status.as_u16(), 200, "body: {}", answer.text);
        let page: GetOrganizationsResponse = answer.typed();
        pages += 1;
        assert!(page.result.data.len() as u64 <= page_size);
        ids.extend(page.result.data.into_iter().map(|o| o.id));
        match page.result.next_page_token {
            Some(next) => token = Some(next),
            None => return (ids, pages),
        }
        assert!(pages < 10_000, "paging never ends");
    }
}

/// Every user of a Get Users v2 query (a list answer), following the tokens.
async fn all_users(fake: &FakeVelt, data: Value, page_size: u64) -> Vec<velt_api::types::User> {
    let mut users = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let mut body = data.as_object().cloned().unwrap_or_default();
        body.insert("pageSize".into(), json!(page_size));
        if let Some(t) = &token {
            body.insert("pageToken".into(), json!(t));
        }
        let answer = post(fake, USERS_V2, json!({ "data": body })).await;
        assert_eq!(answer.status.as_u16(), 200, "body: {}", answer.text);
        let page: GetUsersV2Response = answer.typed();
        match page.result.data {
            GetUsersV2ResultData::UserList(list) => users.extend(list.0),
            other => panic!("a list, not {other:?}"),
        }
        match page.result.next_page_token.or(page.result.page_token) {
            Some(next) => token = Some(next),
            None => return users,
        }
    }
    panic!("paging never ends");
}

fn ids_of(users: &[velt_api::types::User]) -> Vec<String> {
    users.iter().map(|u| u.user_id.clone()).collect()
}

#[tokio::test]
async fn thousands_of_organizations_page_by_page() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 2_500,
        users: 5_000,
        ..config()
    })
    .await
    .unwrap();
    // The default page size is Velt's 1000.
    let first: GetOrganizationsResponse = post(&fake, ORGS_V2, json!({ "data": {} })).await.typed();
    assert_eq!(first.result.data.len(), 1000);
    assert_eq!(first.result.status.as_deref(), Some("success"));
    assert_eq!(
        first.result.message.as_deref(),
        Some("Organization(s) retrieved successfully.")
    );
    let token = first.result.next_page_token.expect("more than one page");
    assert!(!token.contains("1000"), "tokens are opaque: {token}");
    let (ids, pages) = all_organizations(&fake, json!({}), 700).await;
    assert_eq!(pages, 4);
    let expected: Vec<String> = fake.dataset().organization_ids().collect();
    assert_eq!(ids, expected, "every organization once, in order");
    assert_eq!(ids.len(), 2_500);

    // Organizations carry the documented fields and other metadata.
    let raw = post(
        &fake,
        ORGS_V2,
        json!({ "data": { "organizationIds": ["org-0007", "org-0001", "org-9999", "org-0001"] } }),
    )
    .await;
    let organizations = raw.json()["result"]["data"].clone();
    assert_eq!(
        organizations.as_array().map(Vec::len),
        Some(2),
        "unknown and repeated ids are left out: {organizations}"
    );
    assert_eq!(organizations[0]["id"], "org-0007");
    assert_eq!(organizations[0]["disabled"], true);
    assert_eq!(organizations[1]["disabled"], false);
    assert!(organizations[1]["organizationName"].is_string());
    assert!(
        organizations[1]["metadata"].is_object(),
        "other metadata fields"
    );
    assert!(
        raw.json()["result"].get("nextPageToken").is_none(),
        "no token on the last page"
    );
    let seeded = fake.dataset().organization("org-0007").unwrap();
    assert_eq!(
        organizations[0]["organizationName"],
        seeded.organization_name
    );

    // A filtered listing pages too.
    let named: Vec<String> = (1..=30).map(|n| format!("org-{n:04}")).collect();
    let (ids, pages) = all_organizations(&fake, json!({ "organizationIds": named }), 7).await;
    assert_eq!((ids, pages), (named.clone(), 5));
}

#[tokio::test]
async fn page_tokens_are_bound_to_their_filters() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 50,
        ..config()
    })
    .await
    .unwrap();
    let first: GetOrganizationsResponse =
        post(&fake, ORGS_V2, json!({ "data": { "pageSize": 10 } }))
            .await
            .typed();
    let token = first.result.next_page_token.unwrap();
    // The same listing with another page size continues where the token points.
    let second: GetOrganizationsResponse = post(
        &fake,
        ORGS_V2,
        json!({ "data": { "pageSize": 5, "pageToken": token } }),
    )
    .await
    .typed();
    assert_eq!(second.result.data[0].id, "org-0011");
    // Another filter, another call, a made-up or blank token: refused.
    post(
        &fake,
        ORGS_V2,
        json!({ "data": { "organizationIds": ["org-0001"], "pageToken": token } }),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    post(
        &fake,
        USERS_V2,
        json!({ "data": { "organizationId": "org-0001", "pageToken": token } }),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    for bad in ["pageToken", "", "  ", "AAAA"] {
        post(&fake, ORGS_V2, json!({ "data": { "pageToken": bad } }))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
    for size in [json!(0), json!(-1), json!(1.5), json!("10"), Value::Null] {
        let e = post(&fake, ORGS_V2, json!({ "data": { "pageSize": size } }))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
        assert!(e.error.message.contains("pageSize"), "{}", e.error.message);
    }
    // A page size beyond the spec's int64 is refused (it is not read as "everything").
    let e = post_raw(
        &fake,
        ORGS_V2,
        r#"{"data":{"pageSize":100000000000000000000000}}"#,
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    assert!(e.error.message.contains("int64"), "{}", e.error.message);
    let all: GetOrganizationsResponse =
        post(&fake, ORGS_V2, json!({ "data": { "pageSize": i64::MAX } }))
            .await
            .typed();
    assert_eq!(all.result.data.len(), 50);
    let ids: Vec<String> = (0..31).map(|n| format!("org-{n:04}")).collect();
    post(
        &fake,
        ORGS_V2,
        json!({ "data": { "organizationIds": ids } }),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn a_person_in_three_organizations_is_found_by_email_in_any_case() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let dataset = fake.dataset();
    let jane = dataset
        .multi_organization_user()
        .expect("three organizations");
    assert_eq!(jane, "user-0012", "the last user of the default workspace");
    let person = dataset.user(&jane).unwrap();
    assert_eq!(person.email, "Jane.Doe@Example.com");
    let orgs = dataset.organizations_of(&jane);
    assert_eq!(orgs, ["org-0001", "org-0002", "org-0003"]);

    // What a client does to find a person: list every organization, then its users, and
    // compare emails without regard to case.
    let wanted = "jane.doe@example.com";
    let (all_orgs, _) = all_organizations(&fake, json!({}), 2).await;
    let mut found = Vec::new();
    for org in &all_orgs {
        let users = all_users(&fake, json!({ "organizationId": org }), 3).await;
        for user in users {
            if user
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(wanted))
            {
                found.push((org.clone(), user.user_id));
            }
        }
    }
    let expected: Vec<(String, String)> = orgs.iter().map(|o| (o.clone(), jane.clone())).collect();
    assert_eq!(found, expected);
    // Emails come in mixed case for others too.
    let mixed = dataset
        .user_ids()
        .filter_map(|u| dataset.user(&u))
        .filter(|u| u.email != u.email.to_lowercase())
        .count();
    assert!(mixed >= 3, "only {mixed} mixed-case emails");

    // Each of the three organizations has Jane's data, and an erasure without organizations
    // has one task per organization.
    for org in &orgs {
        assert_eq!(export_all(&fake, org, &jane).await.0.len(), 4 * 3, "{org}");
    }
    let job = post(&fake, DELETE, json!({ "data": { "userIds": [jane] } })).await;
    assert_eq!(job.json()["data"]["tasksCount"], 3, "{}", job.text);
}

#[tokio::test]
async fn a_document_only_user_is_listed_only_for_its_documents() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let dataset = fake.dataset();
    let (user, org) = dataset.document_only_user().expect("a document-only user");
    assert!(dataset.organizations_of(&user).contains(&org));
    assert!(
        dataset.users_of(&org).iter().all(|u| u.user_id != user),
        "not a member of {org}"
    );
    let documents = dataset.documents_of_user(&org, &user);
    assert_eq!(documents.len(), 1);
    let document = &documents[0];

    // Organization level: not there. v1 neither.
    let level = ids_of(&all_users(&fake, json!({ "organizationId": org }), 1000).await);
    assert!(!level.contains(&user), "{level:?}");
    let members: Vec<String> = dataset
        .users_of(&org)
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    assert_eq!(level, members);
    let v1: velt_api::types::GetUsersResponse =
        post(&fake, USERS, json!({ "data": { "organizationId": org } }))
            .await
            .typed();
    assert!(v1.result.data.iter().all(|u| u.user_id != user));

    // Its document, that document's folder, or all documents: there.
    let by_document = ids_of(
        &all_users(
            &fake,
            json!({ "organizationId": org, "documentId": document }),
            2,
        )
        .await,
    );
    assert!(by_document.contains(&user), "{by_document:?}");
    let folder = format!(
        "folder-{}-{:02}",
        &document[4..8],
        document[9..].parse::<usize>().unwrap().div_ceil(2)
    );
    assert!(
        dataset
            .documents_of_folder(&org, &folder)
            .contains(document)
    );
    let by_folder = ids_of(
        &all_users(
            &fake,
            json!({ "organizationId": org, "folderId": folder }),
            2,
        )
        .await,
    );
    assert!(by_folder.contains(&user), "{by_folder:?}");
    let all_docs = ids_of(
        &all_users(
            &fake,
            json!({ "organizationId": org, "allDocuments": true }),
            2,
        )
        .await,
    );
    assert!(all_docs.contains(&user));
    assert_eq!(
        all_docs.iter().collect::<BTreeSet<_>>().len(),
        all_docs.len(),
        "each user once"
    );
    let v1_doc: velt_api::types::GetUsersResponse = post(
        &fake,
        USERS,
        json!({ "data": { "organizationId": org, "documentId": document } }),
    )
    .await
    .typed();
    assert!(v1_doc.result.data.iter().any(|u| u.user_id == user));

    // Grouped by document: an object keyed by document id, the user under its one document.
    let answer = post(
        &fake,
        USERS_V2,
        json!({ "data": { "organizationId": org, "allDocuments": true, "groupByDocumentId": true } }),
    )
    .await;
    let grouped: GetUsersV2Response = answer.typed();
    let GetUsersV2ResultData::UsersByDocument(by_doc) = grouped.result.data else {
        panic!("grouped: {}", answer.text);
    };
    let under: Vec<&String> = by_doc
        .iter()
        .filter(|(_, users)| users.iter().any(|u| u.user_id == user))
        .map(|(doc, _)| doc)
        .collect();
    assert_eq!(under, [document]);
    for (doc, users) in by_doc.iter() {
        for u in users.iter() {
            assert!(dataset.documents_of_user(&org, &u.user_id).contains(doc));
        }
    }
    // groupByDocumentId alone (without allDocuments) answers a list.
    let plain: GetUsersV2Response = post(
        &fake,
        USERS_V2,
        json!({ "data": { "organizationId": org, "groupByDocumentId": true } }),
    )
    .await
    .typed();
    assert!(matches!(
        plain.result.data,
        GetUsersV2ResultData::UserList(_)
    ));

    // It has data there, and an erasure there removes it from the document's users.
    assert_eq!(export_all(&fake, &org, &user).await.0.len(), 4 * 3);
    let outsider = dataset
        .organization_ids()
        .find(|o| !dataset.organizations_of(&user).contains(o));
    if let Some(outsider) = outsider {
        assert_eq!(export_all(&fake, &outsider, &user).await.0.len(), 0);
    }
    let job = post(
        &fake,
        DELETE,
        json!({ "data": { "userIds": [user], "organizationIds": [org] } }),
    )
    .await;
    assert_eq!(job.status.as_u16(), 202, "{}", job.text);
    let after = ids_of(
        &all_users(
            &fake,
            json!({ "organizationId": org, "allDocuments": true }),
            1000,
        )
        .await,
    );
    assert!(!after.contains(&user));
}

#[tokio::test]
async fn users_v2_pages_filters_and_token_name() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 2,
        users: 50,
        users_v2_token_name: TokenName::PageToken,
        ..config()
    })
    .await
    .unwrap();
    let org = "org-0001";
    let members: Vec<String> = fake
        .dataset()
        .users_of(org)
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    let answer = post(
        &fake,
        USERS_V2,
        json!({ "data": { "organizationId": org, "pageSize": 4 } }),
    )
    .await;
    let raw = answer.json();
    assert!(raw["result"].get("nextPageToken").is_none());
    assert!(
        raw["result"]["pageToken"].is_string(),
        "named as configured: {}",
        answer.text
    );
    let paged = ids_of(&all_users(&fake, json!({ "organizationId": org }), 4).await);
    assert_eq!(paged, members);
    let some = [members[0].clone(), members[2].clone(), "user-9999".into()];
    let by_ids = ids_of(
        &all_users(
            &fake,
            json!({ "organizationId": org, "userIds": some }),
            1000,
        )
        .await,
    );
    assert_eq!(by_ids, [members[0].clone(), members[2].clone()]);
    // Unknown organization, document or folder: nobody, successfully.
    for data in [
        json!({ "organizationId": "org-9999" }),
        json!({ "organizationId": org, "documentId": "doc-9999-01" }),
        json!({ "organizationId": org, "folderId": "folder-0001-99" }),
    ] {
        assert!(all_users(&fake, data, 10).await.is_empty());
    }
    let ids: Vec<String> = (1..=31).map(|n| format!("user-{n:04}")).collect();
    post(
        &fake,
        USERS_V2,
        json!({ "data": { "organizationId": org, "userIds": ids } }),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
}

/// The schemathesis findings: null, empty lists and blank ids, as the spec now says.
#[tokio::test]
async fn null_empty_and_blank_are_refused_as_the_spec_says() {
    let fake = FakeVelt::start(config()).await.unwrap();
    // A null organization list on delete must not widen an erasure to every organization.
    let e = post(
        &fake,
        DELETE,
        json!({ "data": { "userIds": ["user-0001"], "organizationIds": null } }),
    )
    .await
    .assert_error(400, "INVALID_ARGUMENT");
    assert!(e.error.message.contains("organizationIds") && e.error.message.contains("null"));
    // An empty userIds (required) is not told to be left out.
    let e = post(&fake, DELETE, json!({ "data": { "userIds": [] } }))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    assert!(
        !e.error.message.contains("leave it out"),
        "{}",
        e.error.message
    );
    assert!(
        e.error.message.contains("at least one"),
        "{}",
        e.error.message
    );
    let e = post(&fake, DELETE, json!({ "data": { "userIds": null } }))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    assert!(e.error.message.contains("userIds"), "{}", e.error.message);
    let cases = [
        (
            GET,
            json!({ "organizationId": "org-0001", "userId": "user-0001", "pageToken": null }),
        ),
        (
            USERS,
            json!({ "organizationId": "org-0001", "userIds": null }),
        ),
        (
            USERS,
            json!({ "organizationId": "org-0001", "documentId": null }),
        ),
        (
            USERS,
            json!({ "organizationId": "org-0001", "organizationUserGroupIds": [] }),
        ),
        (
            USERS_V2,
            json!({ "organizationId": "org-0001", "allDocuments": null }),
        ),
        (
            USERS_V2,
            json!({ "organizationId": "org-0001", "folderId": "\u{1f}\u{3000}" }),
        ),
        (USERS_V2, json!({ "organizationId": " \t" })),
        (ORGS_V2, json!({ "organizationIds": null })),
        (ORGS_V2, json!({ "organizationIds": [] })),
        (ORGS_V2, json!({ "organizationIds": [" "] })),
        (
            DELETE,
            json!({ "userIds": ["user-0001"], "organizationIds": [] }),
        ),
        (DELETE, json!({ "userIds": ["\u{a0}"] })),
        (STATUS, json!({ "jobId": null })),
    ];
    for (path, data) in cases {
        let answer = post(&fake, path, json!({ "data": data })).await;
        assert_eq!(
            answer.status.as_u16(),
            400,
            "{path} {data}: {}",
            answer.text
        );
        answer.assert_error(400, "INVALID_ARGUMENT");
    }
    // Ids that are not blank are fine, whatever else they hold.
    let answer = post(
        &fake,
        USERS_V2,
        json!({ "data": { "organizationId": " org-0001 ", "documentId": "x\u{1f}" } }),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
    // Another method than POST: 400 as Velt answers, on the new paths too.
    let response = client()
        .get(format!("{}{ORGS_V2}", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

/// `veltUserIds` and `veltAllOrganizations`, two export fields of Velt's Python SDK.
#[tokio::test]
async fn export_across_organizations_and_users() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let dataset = fake.dataset();
    let jane = dataset.multi_organization_user().unwrap();
    let per_pair = 4 * dataset.items_per_feature();

    let all = |users: Value, all_orgs: bool, token: Option<String>| {
        let mut data = json!({ "organizationId": "org-0001", "userId": jane, "veltAllOrganizations": all_orgs });
        if !users.is_null() {
            data["veltUserIds"] = users;
        }
        if let Some(t) = token {
            data["pageToken"] = json!(t);
        }
        json!({ "data": data })
    };
    let page: velt_api::types::GetAllUserDataResponse =
        post(&fake, GET, all(Value::Null, true, None)).await.typed();
    let items = page.result.data.len();
    assert_eq!(
        items,
        3 * per_pair,
        "Jane's data in all three organizations"
    );
    let orgs: BTreeSet<String> = page
        .result
        .data
        .comments
        .iter()
        .map(|i| i.get("organizationId").unwrap().to_string())
        .collect();
    assert_eq!(orgs.len(), 3);

    // With more users: their data in the named organization (or all of theirs).
    let other = dataset.users_of("org-0001")[0].user_id.clone();
    let page: velt_api::types::GetAllUserDataResponse =
        post(&fake, GET, all(json!([other, "user-9999"]), false, None))
            .await
            .typed();
    assert_eq!(page.result.data.len(), 2 * per_pair);
    let expected: Vec<serde_json::Map<String, Value>> = dataset
        .expected_items("org-0001", &jane)
        .chain(dataset.expected_items("org-0001", &other))
        .filter(|(f, _)| *f == velt_fake::Feature::Comments)
        .map(|(_, m)| m)
        .collect();
    let got: Vec<serde_json::Map<String, Value>> = page
        .result
        .data
        .comments
        .iter()
        .map(|i| i.parse().unwrap())
        .collect();
    assert_eq!(got, expected);

    // Pages of 100 per feature, with tokens bound to this request.
    let fake = FakeVelt::start(FakeConfig {
        items_per_feature: 60,
        ..config()
    })
    .await
    .unwrap();
    let first: velt_api::types::GetAllUserDataResponse =
        post(&fake, GET, all(Value::Null, true, None)).await.typed();
    assert_eq!(first.result.data.comments.len(), 100);
    let token = first
        .result
        .next_page_token
        .expect("180 comments need two pages");
    let second: velt_api::types::GetAllUserDataResponse =
        post(&fake, GET, all(Value::Null, true, Some(token.clone())))
            .await
            .typed();
    assert_eq!(second.result.data.comments.len(), 80);
    assert_eq!(second.result.next_page_token, None);
    // The same token on the plain export is refused.
    post(&fake, GET, export_body("org-0001", &jane, Some(&token)))
        .await
        .assert_error(400, "INVALID_ARGUMENT");
    for bad in [
        json!({ "veltUserIds": [] }),
        json!({ "veltUserIds": null }),
        json!({ "veltAllOrganizations": "yes" }),
    ] {
        let mut data = json!({ "organizationId": "org-0001", "userId": jane });
        for (k, v) in bad.as_object().unwrap() {
            data[k] = v.clone();
        }
        post(&fake, GET, json!({ "data": data }))
            .await
            .assert_error(400, "INVALID_ARGUMENT");
    }
}
