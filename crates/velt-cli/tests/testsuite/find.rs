//! End-to-end tests of finding the person: `velt users find`, `velt organizations list`,
//! `velt users list`, and `velt data export` / `velt data delete` by email across
//! organizations, against the fake Velt server.

use std::{collections::BTreeSet, time::Duration};

use serde_json::{Value, json};
use velt_fake::{FakeConfig, FakeVelt, Faults};

use crate::common;

use common::*;

fn config() -> FakeConfig {
    FakeConfig {
        items_per_feature: 5,
        deletion_task_duration: Duration::from_millis(50),
        ..FakeConfig::default()
    }
}

fn stdout_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "standard output is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            stderr(output)
        )
    })
}

fn organizations_of_matches(found: &Value) -> BTreeSet<String> {
    found["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organizationId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn users_find_finds_a_person_in_three_organizations_by_upper_case_email_and_by_user_id() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = fake.dataset().multi_organization_user().unwrap();
    let email = fake.dataset().user(&jane).unwrap().email;
    let want: BTreeSet<String> = fake.dataset().organizations_of(&jane).into_iter().collect();
    assert_eq!(want.len(), 3);

    let upper = email.to_uppercase();
    let output = run(velt(&fake, &["users", "find", "--email", &upper])).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let found = stdout_json(&output);
    assert_eq!(organizations_of_matches(&found), want);
    let first = &found["matches"][0];
    assert_eq!(first["userId"], json!(jane));
    assert_eq!(first["email"], json!(email), "the email as Velt holds it");
    assert_eq!(first["foundAs"]["organizationMember"], json!(true));
    assert_eq!(found["search"]["subject"], json!({"email": upper}));
    assert_eq!(found["search"]["complete"], json!(true));
    assert!(found["search"]["calls"].as_u64().unwrap() >= 7);
    assert!(found["search"]["startedAt"].is_string());

    let output = run(velt(&fake, &["users", "find", "--user-id", &jane])).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(organizations_of_matches(&stdout_json(&output)), want);

    // Narrowed to organizations.
    let org = want.iter().next().unwrap();
    let output = run(velt(
        &fake,
        &[
            "users",
            "find",
            "--user-id",
            &jane,
            "--organization-id",
            org,
        ],
    ))
    .await;
    let found = stdout_json(&output);
    assert_eq!(
        organizations_of_matches(&found),
        BTreeSet::from([org.clone()])
    );
    assert_eq!(found["search"]["organizationsSearched"], json!(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_only_member_is_found_in_its_documents() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let (user, org) = fake.dataset().document_only_user().unwrap();
    let output = run(velt(&fake, &["users", "find", "--user-id", &user])).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let found = stdout_json(&output);
    let there = found["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["organizationId"] == json!(org))
        .expect("found where it is only a document user");
    assert_eq!(there["foundAs"]["organizationMember"], json!(false));
    assert_eq!(
        there["foundAs"]["documentIds"],
        json!(fake.dataset().documents_of_user(&org, &user))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_found_is_exit_3_and_a_failing_organization_is_exit_1_with_the_partial_result() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let output = run(velt(
        &fake,
        &["users", "find", "--email", "nobody@example.com"],
    ))
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let found = stdout_json(&output);
    assert_eq!(found["matches"], json!([]));
    assert_eq!(found["search"]["complete"], json!(true));
    assert_stderr_has(&output, "not found");

    let jane = fake.dataset().multi_organization_user().unwrap();
    let orgs = fake.dataset().organizations_of(&jane);
    fake.set_faults(Faults {
        failing_organizations: vec![orgs[0].clone()],
        ..Faults::default()
    });
    let output = run(velt(&fake, &["users", "find", "--user-id", &jane])).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let found = stdout_json(&output);
    assert_eq!(found["search"]["complete"], json!(false));
    assert_eq!(
        found["search"]["failures"][0]["organizationId"],
        json!(orgs[0])
    );
    assert_eq!(
        organizations_of_matches(&found),
        orgs[1..].iter().cloned().collect::<BTreeSet<_>>()
    );
    assert_stderr_has(&output, "incomplete");
    assert_stderr_has(&output, &orgs[0]);

    // Nobody found, but an organization failed: still exit 1, never "not there".
    let output = run(velt(
        &fake,
        &["users", "find", "--email", "nobody@example.com"],
    ))
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    // An access request exports what it found, keeps the partial record, and exits 1.
    let email = fake.dataset().user(&jane).unwrap().email;
    let out = scratch("find-partial-export").join("case");
    let output = run(velt(
        &fake,
        &[
            "request",
            "access",
            "--email",
            &email,
            "--case",
            out.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let data = out.join("data");
    assert!(!data.join(&orgs[0]).exists());
    for org in &orgs[1..] {
        assert!(data.join(org).join(format!("{jane}.ndjson")).exists());
    }
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("search.json")).unwrap()).unwrap();
    assert_eq!(record["search"]["complete"], json!(false));

    // An erasure request refuses to act on an incomplete search.
    let before = fake.request_count();
    let case = scratch("find-partial-erase").join("case");
    let output = run(velt(
        &fake,
        &[
            "request",
            "erase",
            "--email",
            &email,
            "--yes",
            "--case",
            case.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_stderr_has(&output, "nothing was changed");
    assert!(fake.request_count() > before, "it searched");
}

#[tokio::test(flavor = "multi_thread")]
async fn organizations_and_users_are_listed_across_pages() {
    let fake = FakeVelt::start(FakeConfig {
        organizations: 1_205,
        users: 2_410,
        ..config()
    })
    .await
    .unwrap();
    let output = run(velt(&fake, &["organizations", "list"])).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let organizations = stdout_json(&output);
    assert_eq!(
        organizations.as_array().unwrap().len(),
        1_205,
        "two pages of 1000"
    );
    let output = run(velt(
        &fake,
        &[
            "organizations",
            "list",
            "--organization-id",
            "org-0002",
            "--organization-id",
            "org-0003",
        ],
    ))
    .await;
    let named = stdout_json(&output);
    assert_eq!(named[0]["id"], json!("org-0002"));
    assert_eq!(named.as_array().unwrap().len(), 2);

    let output = run(velt(
        &fake,
        &[
            "users",
            "list",
            "--organization-id",
            "org-0001",
            "--all-documents",
        ],
    ))
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let users = stdout_json(&output);
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["documentId"].is_string())
    );

    let output = run(velt(
        &fake,
        &["users", "list", "--organization-id", "org-0001"],
    ))
    .await;
    let members = stdout_json(&output);
    let want = fake.dataset().users_of("org-0001").len();
    assert_eq!(members.as_array().unwrap().len(), want);
}

#[tokio::test(flavor = "multi_thread")]
async fn export_and_delete_by_email_moved_to_velt_request_and_send_nothing() {
    // `velt request access` and `velt request erase` are the one way to answer a person's
    // request (their tests are in request.rs); the primitives say where the flags went.
    let fake = FakeVelt::start(config()).await.unwrap();
    let jane = fake.dataset().multi_organization_user().unwrap();
    let email = fake.dataset().user(&jane).unwrap().email;
    let dir = scratch("find-moved");
    let before = fake.request_count();
    let export = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--email",
            &email,
            "--out-dir",
            dir.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(export.status.code(), Some(2), "{}", stderr(&export));
    assert_stderr_has(&export, "velt request access");
    let all = run(velt(
        &fake,
        &[
            "data",
            "export",
            "--user-id",
            &jane,
            "--all-organizations",
            "--out-dir",
            dir.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(all.status.code(), Some(2), "{}", stderr(&all));
    assert_stderr_has(&all, "velt request access");
    let delete = run(velt(&fake, &["data", "delete", "--email", &email, "--yes"])).await;
    assert_eq!(delete.status.code(), Some(2), "{}", stderr(&delete));
    assert_stderr_has(&delete, "velt request erase");
    let check = run(velt(&fake, &["data", "verify-export", "x.ndjson"])).await;
    assert_eq!(check.status.code(), Some(2), "{}", stderr(&check));
    assert_stderr_has(&check, "velt request check");
    assert_eq!(fake.request_count(), before, "nothing was sent");
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "no file written"
    );
}
