//! The files behind the URLs of exported items: on the fake's own origin, served without
//! credentials with a Content-Type, every request recorded with the credentials it carried.

use crate::common;

use common::*;
use serde_json::{Value, json};
use velt_fake::{FakeConfig, FakeVelt, Feature, UNSERVED_FILE_URL};

fn config() -> FakeConfig {
    FakeConfig {
        items_per_feature: 5,
        ..FakeConfig::default()
    }
}

/// The value at a JSON pointer of an exported item.
fn at(item: &serde_json::Map<String, Value>, pointer: &str) -> Value {
    Value::Object(item.clone())
        .pointer(pointer)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn exported_items_name_files_on_the_fakes_own_origin() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let (user, org) = fake.dataset().person_with_files().unwrap();
    assert_eq!(Some(user.clone()), fake.dataset().multi_organization_user());
    assert_eq!(org, "org-0001");
    assert_eq!(fake.dataset().files_origin(), fake.base_url());
    let files = fake.dataset().files();
    assert_eq!(files.len(), 7, "one of each kind by default");
    let (items, _) = export_all(&fake, &org, &user).await;
    for file in &files {
        assert!(file.url.starts_with(&format!("{}/files/", fake.base_url())));
        let feature = match file.feature {
            Feature::Comments => "comments",
            _ => "recordings",
        };
        let item = &items
            .iter()
            .filter(|(name, _)| name == feature)
            .nth(file.item_index)
            .unwrap()
            .1;
        assert_eq!(at(item, file.pointer), json!(file.url), "{}", file.pointer);
    }
    // The first comment also links a file off any allow-list, which the fake never serves.
    let first = &items.iter().find(|(name, _)| name == "comments").unwrap().1;
    assert_eq!(
        at(first, "/comments/0/attachments/1/url"),
        json!(UNSERVED_FILE_URL)
    );
    assert_eq!(at(first, "/comments/0/type"), json!("voice"));
    let first_recording = &items
        .iter()
        .find(|(name, _)| name == "recordings")
        .unwrap()
        .1;
    assert_eq!(
        at(first_recording, "/transcription/vttUrl"),
        json!(files[6].url)
    );
    // Others' items name none of the fake's files.
    let other = fake.dataset().users_of(&org)[0].user_id.clone();
    let (theirs, _) = export_all(&fake, &org, &other).await;
    let text = serde_json::to_string(&theirs.iter().map(|(_, i)| i).collect::<Vec<_>>()).unwrap();
    assert!(!text.contains("/files/"));
}

#[tokio::test]
async fn files_are_served_without_credentials_and_every_request_is_recorded() {
    let fake = FakeVelt::start(config()).await.unwrap();
    let files = fake.dataset().files();
    let http = client();
    let mut kinds = Vec::new();
    for file in &files {
        let response = http.get(&file.url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{}", file.path);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(content_type, file.content_type);
        let bytes = response.bytes().await.unwrap();
        assert_eq!(bytes.len() as u64, file.len);
        assert_eq!(Some(bytes.to_vec()), fake.dataset().file_bytes(&file.path));
        kinds.push(content_type);
    }
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds.len(),
        6,
        "voice and attachments, video, audio, image, transcript"
    );
    // Deterministic: the same seed gives the same bytes in another fake.
    let again = FakeVelt::start(config()).await.unwrap();
    assert_eq!(
        again.dataset().file_bytes(&files[0].path),
        fake.dataset().file_bytes(&files[0].path)
    );

    // A request with Velt's credentials is served too, and recorded as having them.
    let leaked = http
        .get(&files[1].url)
        .header("x-velt-api-key", fake.api_key())
        .header("x-velt-auth-token", fake.auth_token())
        .send()
        .await
        .unwrap();
    assert_eq!(leaked.status().as_u16(), 200);
    let missing = http
        .get(format!("{}/files/nope.png", fake.base_url()))
        .header("authorization", "Bearer x")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    let requests = fake.file_requests();
    assert_eq!(requests.len(), files.len() + 2);
    for (request, file) in requests.iter().zip(&files) {
        assert_eq!(request.path, file.path);
        assert!(!request.had_credentials());
    }
    let with_key = &requests[files.len()];
    assert_eq!(with_key.path, files[1].path);
    assert_eq!(
        with_key.credential_headers,
        ["x-velt-api-key", "x-velt-auth-token"]
    );
    assert!(with_key.had_credentials());
    assert_eq!(requests[files.len() + 1].path, "/files/nope.png");
    assert_eq!(
        requests[files.len() + 1].credential_headers,
        ["authorization"]
    );
    // File requests are not API requests.
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn one_big_file_is_streamed_and_many_files_can_be_named() {
    const BIG: u64 = 3 * 1024 * 1024 + 17;
    let fake = FakeVelt::start(FakeConfig {
        items_per_feature: 40,
        files: 200,
        big_file_bytes: BIG,
        activities_per_user: 5_000,
        users: 4,
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let files = fake.dataset().files();
    assert_eq!(files.len(), 201);
    let big = files.last().unwrap();
    assert_eq!(big.len, BIG);
    assert!(big.path.ends_with("/big.webm"));
    assert_eq!(fake.dataset().file_bytes(&big.path), None, "only streamed");
    let (user, org) = fake.dataset().person_with_files().unwrap();
    let recording = fake
        .dataset()
        .item(&org, &user, Feature::Recordings, 0)
        .unwrap();
    assert_eq!(at(&recording, big.pointer), json!(big.url));
    let response = client().get(&big.url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.content_length(), Some(BIG));
    assert_eq!(response.headers()["content-type"], "video/webm");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, BIG);
    assert_eq!(bytes[..64 * 1024], bytes[64 * 1024..128 * 1024]);
    // Ten thousand activity records for the one person, across two organizations.
    let total: usize = fake
        .dataset()
        .activity_organizations_of(&user)
        .iter()
        .map(|o| fake.dataset().activity_records(o, &user).len())
        .sum();
    assert_eq!(total, 10_000);
}
