//! Finding a person against the fake Velt: the v2 listings through the pager (more than one
//! page of organizations and of users, grouped answers, either token name) and
//! `Client::find_person` (by email in another case, by user id, a document-only user, an
//! organization that fails, nothing found).

use crate::common;

use std::collections::BTreeSet;

use futures::TryStreamExt;
use velt_api::{
    Client,
    search::{SearchOptions, Subject},
    users::{OrganizationsQuery, UsersV2Query},
};
use velt_fake::{FakeConfig, FakeVelt, Faults, TokenName};

use common::fast_retries;

fn client(fake: &FakeVelt) -> Client {
    Client::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .auth_token(fake.auth_token())
        .retry_policy(fast_retries(2))
        .build()
        .expect("a client for the fake")
}

fn small() -> FakeConfig {
    FakeConfig {
        items_per_feature: 1,
        ..FakeConfig::default()
    }
}

/// The organizations a user is listed in, by the dataset.
fn organizations_of(fake: &FakeVelt, user: &str) -> BTreeSet<String> {
    fake.dataset().organizations_of(user).into_iter().collect()
}

#[tokio::test]
async fn organizations_and_users_come_through_every_page() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 7,
        users: 70,
        users_v2_token_name: TokenName::PageToken,
        ..small()
    })
    .await
    .unwrap();
    let client = client(&fake);

    let pages: Vec<_> = client
        .list_organizations(OrganizationsQuery::all().page_size(3))
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3, "7 organizations, 3 a page");
    let ids: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.organizations)
        .map(|o| o.id)
        .collect();
    assert_eq!(ids, fake.dataset().organization_ids().collect::<Vec<_>>());

    let named = client
        .list_organizations(OrganizationsQuery::ids(["org-0002", "org-9999"]))
        .collect()
        .await
        .unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id, "org-0002");

    // Users: 10 members a page of 3, the token named `pageToken`.
    let pages: Vec<_> = client
        .list_users(UsersV2Query::organization("org-0001").page_size(3))
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert!(pages.len() > 1, "{} pages", pages.len());
    let listed: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.users)
        .map(|u| u.user.user_id)
        .collect();
    let members: Vec<String> = fake
        .dataset()
        .users_of("org-0001")
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    assert_eq!(listed, members);
}

#[tokio::test]
async fn grouped_answers_are_decoded_with_their_documents() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let client = client(&fake);
    let dataset = fake.dataset();
    let (user, org) = dataset.document_only_user().unwrap();
    let listed = client
        .list_users(
            UsersV2Query::organization(org.clone())
                .group_by_document()
                .page_size(2),
        )
        .collect()
        .await
        .unwrap();
    assert!(listed.iter().all(|u| u.document_id.is_some()));
    // Every (user, document) pair the dataset knows, and no other.
    let got: BTreeSet<(String, String)> = listed
        .iter()
        .map(|u| (u.user.user_id.clone(), u.document_id.clone().unwrap()))
        .collect();
    let mut want = BTreeSet::new();
    let mut users: Vec<String> = dataset
        .users_of(&org)
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    users.push(user.clone());
    for u in &users {
        for d in dataset.documents_of_user(&org, u) {
            want.insert((u.clone(), d));
        }
    }
    assert_eq!(got, want);
    // Not grouped: no document ids, each user once.
    let flat = client
        .list_users(UsersV2Query::organization(org).all_documents())
        .collect()
        .await
        .unwrap();
    assert!(flat.iter().all(|u| u.document_id.is_none()));
    assert!(flat.iter().any(|u| u.user.user_id == user));
}

#[tokio::test]
async fn a_person_in_three_organizations_is_found_by_upper_case_email_and_by_user_id() {
    // Small pages: several pages of organizations and of users per organization.
    let fake = FakeVelt::start(FakeConfig {
        organizations: 5,
        users: 40,
        ..small()
    })
    .await
    .unwrap();
    let client = client(&fake);
    let jane = fake.dataset().multi_organization_user().unwrap();
    let email = fake.dataset().user(&jane).unwrap().email;
    let options = SearchOptions {
        page_size: Some(2),
        concurrency: 3,
        ..SearchOptions::default()
    };
    let found = client
        .find_person(Subject::email(email.to_uppercase()), options.clone())
        .await
        .unwrap();
    let orgs: BTreeSet<String> = found
        .matches
        .iter()
        .map(|m| m.organization_id.clone())
        .collect();
    assert_eq!(orgs.len(), 3);
    assert_eq!(orgs, organizations_of(&fake, &jane));
    for m in &found.matches {
        assert_eq!(m.user_id, jane);
        assert_eq!(m.email.as_deref(), Some(email.as_str()), "as Velt holds it");
        assert!(m.found_as.organization_member);
        // Her documents, gathered over pages of 2 user-document pairs.
        assert_eq!(
            m.found_as.document_ids,
            fake.dataset().documents_of_user(&m.organization_id, &jane)
        );
    }
    let record = &found.search;
    assert!(record.complete);
    assert_eq!(record.organizations_searched, 5);
    assert_eq!(
        record.organization_ids,
        fake.dataset().organization_ids().collect::<Vec<_>>()
    );
    assert!(record.failures.is_empty());
    assert_eq!(record.subject, Subject::email(email.to_uppercase()));
    // 3 pages of organizations, and per organization at least 2 listings of several pages.
    assert!(record.calls > 3 + 5 * 2 * 2, "{} calls", record.calls);
    assert!(record.started_at <= record.finished_at);

    let by_id = client
        .find_person(Subject::user_id(&jane), options)
        .await
        .unwrap();
    assert_eq!(by_id.matches, found.matches);
    assert!(by_id.search.calls < record.calls, "Velt filters by user id");

    let json = serde_json::to_value(&found).unwrap();
    assert!(json["search"]["startedAt"].is_string());
    assert_eq!(json["matches"][0]["foundAs"]["organizationMember"], true);
}

#[tokio::test]
async fn a_document_only_user_is_found_as_a_document_user() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let client = client(&fake);
    let (user, org) = fake.dataset().document_only_user().unwrap();
    let email = fake.dataset().user(&user).unwrap().email;
    let found = client
        .find_person(
            Subject::email(format!("  {email} ")),
            SearchOptions::default(),
        )
        .await
        .unwrap();
    assert!(found.search.complete);
    let there = found
        .matches
        .iter()
        .find(|m| m.organization_id == org)
        .expect("found where it is only a document user");
    assert!(!there.found_as.organization_member);
    assert_eq!(
        there.found_as.document_ids,
        fake.dataset().documents_of_user(&org, &user)
    );
    let orgs: BTreeSet<String> = found
        .matches
        .iter()
        .map(|m| m.organization_id.clone())
        .collect();
    assert_eq!(orgs, organizations_of(&fake, &user));
}

#[tokio::test]
async fn a_failing_organization_makes_the_search_partial_and_is_named() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let jane = fake.dataset().multi_organization_user().unwrap();
    let jane_orgs: Vec<String> = organizations_of(&fake, &jane).into_iter().collect();
    fake.set_faults(Faults {
        failing_organizations: vec![jane_orgs[1].clone()],
        ..Faults::default()
    });
    let client = client(&fake);
    let found = client
        .find_person(Subject::user_id(&jane), SearchOptions::default())
        .await
        .unwrap();
    assert!(!found.search.complete);
    assert_eq!(found.search.failures.len(), 1);
    assert_eq!(found.search.failures[0].organization_id, jane_orgs[1]);
    assert!(
        found.search.failures[0].error.contains("UNAVAILABLE"),
        "{}",
        found.search.failures[0].error
    );
    let orgs: Vec<String> = found.organization_ids();
    assert_eq!(orgs, [jane_orgs[0].clone(), jane_orgs[2].clone()]);
}

#[tokio::test]
async fn nothing_found_is_a_complete_empty_search_and_unknown_organizations_are_named() {
    let fake = FakeVelt::start(small()).await.unwrap();
    let client = client(&fake);
    let found = client
        .find_person(
            Subject::email("nobody@example.com"),
            SearchOptions::default(),
        )
        .await
        .unwrap();
    assert!(found.matches.is_empty());
    assert!(found.search.complete);
    assert_eq!(found.search.organizations_searched, 3);

    let found = client
        .find_person(
            Subject::email("nobody@example.com"),
            SearchOptions {
                organization_ids: vec!["org-0001".into(), "org-9999".into()],
                ..SearchOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.search.organizations_searched, 1);
    assert_eq!(found.search.organizations_not_found, ["org-9999"]);

    let blank = client
        .find_person(Subject::email(" "), SearchOptions::default())
        .await
        .unwrap_err();
    assert_eq!(blank.kind(), velt_api::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_failed_listing_of_organizations_is_an_incomplete_search_not_an_empty_one() {
    let fake = FakeVelt::start(small()).await.unwrap();
    fake.set_faults(Faults {
        every_nth_503: Some(1),
        ..Faults::default()
    });
    let found = client(&fake)
        .find_person(
            Subject::email("jane.doe@example.com"),
            SearchOptions::default(),
        )
        .await
        .unwrap();
    assert!(found.matches.is_empty());
    assert!(!found.search.complete);
    assert_eq!(found.search.organizations_searched, 0);
    let error = found
        .search
        .listing_error
        .expect("the listing error is kept");
    assert!(error.contains("getOrganizations"), "{error}");
}
