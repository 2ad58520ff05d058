//! velt-fake as another crate uses it: a dev-dependency that stands in for Velt in a test,
//! with the exact items an export must return, in the order it returns them.

use futures::TryStreamExt;
use velt_fake::{FakeConfig, FakeVelt};

#[tokio::test]
async fn an_export_returns_the_expected_items_in_export_order() {
    // Three pages: 100 + 100 + 50 items of each feature.
    let fake = FakeVelt::start(FakeConfig {
        items_per_feature: 250,
        ..FakeConfig::default()
    })
    .await
    .expect("the fake starts");
    let client = velt_api::Client::builder()
        .base_url(fake.base_url())
        .api_key(fake.api_key())
        .auth_token(fake.auth_token())
        .build()
        .expect("a client for the fake");
    let items: Vec<velt_api::export::ExportItem> = client
        .export_user_data("org-0001", "user-0001")
        .items()
        .try_collect()
        .await
        .expect("the export succeeds");
    let expected: Vec<_> = fake
        .dataset()
        .expected_items_in_export_order("org-0001", "user-0001")
        .collect();
    assert_eq!(items.len(), 1000);
    assert_eq!(items.len(), expected.len());
    for (n, (item, (feature, want))) in items.iter().zip(&expected).enumerate() {
        assert_eq!(item.feature.as_str(), feature.as_str(), "item {n}");
        let got: serde_json::Map<String, serde_json::Value> =
            item.item.parse().expect("an item is an object");
        assert_eq!(&got, want, "item {n}");
    }
    // The second page starts with comments again.
    assert_eq!(expected[399].0.as_str(), "notifications");
    assert_eq!(expected[400].0.as_str(), "comments");
    fake.shutdown().await;
}
