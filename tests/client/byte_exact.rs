//! An export hands back every byte Velt sent: the pages in `tests/fixtures/byte_exact/` go
//! through the real client (HTTP, generated decoding, pager) and come out as the lines of
//! `expected.ndjson`, item texts untouched, unknown keys kept under their own names.

use crate::common;

use common::client;
use futures::TryStreamExt;
use httpmock::MockServer;
use velt_api::export::{ExportItem, Feature, UserData};
use velt_api::mock::MockServerExt;

const PAGE_1: &str = include_str!("../fixtures/byte_exact/page1.json");
const PAGE_2: &str = include_str!("../fixtures/byte_exact/page2.json");
const EXPECTED: &str = include_str!("../fixtures/byte_exact/expected.ndjson");

/// A server answering the first page, then (for `tok-2`) the second, as raw bytes: the typed
/// matcher of Get All User Data, and the fixtures' bytes as they are (a typed answer would
/// re-encode them).
async fn serve_fixture() -> MockServer {
    let server = MockServer::start_async().await;
    server.get_all_user_data(|when, then| {
        when.into_inner().body_includes("\"pageToken\":\"tok-2\"");
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body(PAGE_2);
    });
    server.get_all_user_data(|when, then| {
        when.into_inner().body_excludes("pageToken");
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body(PAGE_1);
    });
    server
}

#[tokio::test]
async fn ndjson_lines_equal_the_bytes_sent() {
    let server = serve_fixture().await;
    let mut out = Vec::new();
    let summary = client(&server.base_url())
        .export_user_data("org-1", "user-1")
        .write_ndjson(&mut out)
        .await
        .unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), EXPECTED);
    assert_eq!(summary.pages, 2);
    assert_eq!(summary.items, 9);
    assert_eq!(summary.per_feature, [3, 2, 0, 1]);
    assert_eq!(
        summary.other,
        [("userProfile".to_owned(), 2), ("settings".to_owned(), 1)]
    );
}

#[tokio::test]
async fn every_item_is_the_very_text_of_the_page() {
    let server = serve_fixture().await;
    let items: Vec<ExportItem> = client(&server.base_url())
        .export_user_data("org-1", "user-1")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 9);
    for item in &items {
        let text = item.item.as_str();
        assert!(
            PAGE_1.contains(text) || PAGE_2.contains(text),
            "{} item not found verbatim in the pages: {text}",
            item.feature
        );
    }
    // Numbers no f64 or u64 can hold stay as written, and so does 1.0.
    let first = &items[0].item;
    assert_eq!(
        first.field("big").map(|r| r.get()),
        Some("12345678901234567890123")
    );
    assert_eq!(first.field("huge").map(|r| r.get().len()), Some(401));
    assert_eq!(first.field("onePointZero").map(|r| r.get()), Some("1.0"));
    assert_eq!(first.field("exp").map(|r| r.get()), Some("1E+22"));
    assert_eq!(
        first.field("text").map(|r| r.get()),
        Some(r#""caf\u00e9 \ud83d\ude00 \/ \"q\" Grüße""#)
    );
    // Parsing on demand still works, escapes decoded.
    assert_eq!(
        first.get("text").unwrap().as_str(),
        Some("café 😀 / \"q\" Grüße")
    );
    let unknown: Vec<&str> = items
        .iter()
        .filter(|i| !i.feature.is_known())
        .map(|i| i.feature.as_str())
        .collect();
    assert_eq!(unknown, ["userProfile", "settings", "userProfile"]);
    assert_eq!(items[4].feature, Feature::Other("userProfile".into()));
}

#[tokio::test]
async fn a_collected_export_keeps_every_key_and_the_empty_lists() {
    let server = serve_fixture().await;
    let data: UserData = client(&server.base_url())
        .export_user_data("org-1", "user-1")
        .collect()
        .await
        .unwrap();
    assert_eq!(data.comments.len(), 3);
    assert!(data.recordings.is_empty());
    let keys: Vec<&str> = data.other.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["userProfile", "settings"]);
    assert_eq!(
        data.other[0].1.as_str(),
        r#"[{"userId":"user-1","email":"a@example.com","extra":{"k":  true}},{"userId":"user-1","seq":2}]"#
    );
    assert_eq!(data.other[1].1.as_str(), r#"[{"theme":"dark","n":1.10}]"#);
    // As a document: the four lists first, empty ones included, then the other keys.
    let document = serde_json::to_string(&data).unwrap();
    assert!(
        document.starts_with(r#"{"comments":[{"annotationId":"a1","big":12345678901234567890123,"#),
        "{document}"
    );
    assert!(
        document.contains(r#""recordings":[],"notifications":[{"id":"n1","createdAt":1748972106739}],"userProfile":["#),
        "{document}"
    );
    assert!(
        document.ends_with(r#","settings":[{"theme":"dark","n":1.10}]}"#),
        "{document}"
    );
}
