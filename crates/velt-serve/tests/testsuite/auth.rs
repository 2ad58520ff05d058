//! The webhook's token is checked before anything else: missing, forged, for another
//! audience or scope, the answer is 401 and no job or case is created.

use serde_json::json;
use velt_serve::Server;

use crate::common::{self, AUDIENCE, FakeTranscend, JANE, Keys, Velt, post_webhook, webhook};

#[tokio::test(flavor = "multi_thread")]
async fn bad_or_missing_tokens_are_refused_and_leave_nothing() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("auth");
    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("the server starts");
    common::tls();
    let health = reqwest::get(format!("http://{}/healthz", server.local_addr()))
        .await
        .expect("healthz answers");
    assert_eq!(health.status().as_u16(), 200);

    let body = webhook("ERASURE", "req-auth", JANE);
    let forger = Keys::generate();
    let exp = chrono::Utc::now().timestamp() + 600;
    let cases = [
        ("missing", None),
        ("garbage", Some("not-a-jwt".to_owned())),
        ("forged", Some(forger.good_token())),
        (
            "other audience",
            Some(
                transcend
                    .keys
                    .token(json!({"aud": "someone-else", "scope": "coreIdentifier", "exp": exp})),
            ),
        ),
        (
            "no audience",
            Some(
                transcend
                    .keys
                    .token(json!({"scope": "coreIdentifier", "exp": exp})),
            ),
        ),
        (
            "other scope",
            Some(
                transcend
                    .keys
                    .token(json!({"aud": AUDIENCE, "scope": "enrichment", "exp": exp})),
            ),
        ),
        (
            "expired",
            Some(
                transcend
                    .keys
                    .token(json!({"aud": AUDIENCE, "scope": "coreIdentifier", "exp": exp - 3600})),
            ),
        ),
    ];
    for (what, token) in &cases {
        let (status, text) = post_webhook(&server, token.as_deref(), &body).await;
        assert_eq!(status, 401, "{what}: {text}");
        assert!(
            !text.contains(JANE),
            "{what}: nothing of the body comes back"
        );
    }
    assert!(common::job_dirs(&dir).is_empty(), "no job, no case");
    let fetches = transcend
        .state
        .key_fetches
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (1..=2).contains(&fetches),
        "the key is kept, and fetched again at most once a minute: {fetches}"
    );
    assert_eq!(velt.deletions(), 0);
    assert!(velt.fake.request_count() == 0, "nothing was asked of Velt");

    // A good token with a body over the limit: 413, and still nothing kept.
    let big = json!({ "type": "ACCESS", "padding": "x".repeat(70_000) });
    let (status, _) = post_webhook(&server, Some(&transcend.keys.good_token()), &big).await;
    assert_eq!(status, 413);
    // A good token with a body that is not a webhook: 400, nothing kept.
    let (status, text) = post_webhook(
        &server,
        Some(&transcend.keys.good_token()),
        &json!({"type": "ACCESS"}),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(common::job_dirs(&dir).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_stay_out_of_debug_output() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("debug");
    let config = common::config(&dir, &velt, &transcend);
    let server = Server::start(config.clone()).await.expect("starts");
    let shown = format!("{config:?} {server:?}");
    for secret in [common::API_KEY, velt.fake.api_key(), velt.fake.auth_token()] {
        assert!(!shown.contains(secret), "a secret in Debug output: {shown}");
    }
    let adapter =
        velt_serve::transcend::Transcend::new(config.transcend.as_ref().expect("transcend"))
            .expect("the adapter reads its secret");
    assert!(!format!("{adapter:?}").contains(common::API_KEY));
}

#[test]
fn the_example_config_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/serve.toml");
    let config = velt_serve::Config::load(&path).expect("examples/serve.toml parses");
    // Set for the README's demo: `velt fake serve` takes 8787, and `velt fake transcend`
    // defaults to the worker on 8788, its Sombra on 8790 and the audience velt-demo.
    assert_eq!(config.listen.to_string(), "127.0.0.1:8788");
    assert!(
        config.cases_dir.ends_with("examples/cases"),
        "{}",
        config.cases_dir.display()
    );
    assert!(config.metrics, "/metrics is served");
    assert!(config.tls.is_none(), "the [tls] table is commented out");
    let transcend = config.transcend.expect("a [transcend] table");
    assert_eq!(transcend.chunk_records, 1000);
    assert_eq!(transcend.sombra_url, "http://127.0.0.1:8790");
    assert_eq!(transcend.audience, "velt-demo");
    // ... `velt fake ketch` calls back from 8791, `velt fake fides` listens on 8792.
    let ketch = config.ketch.expect("a [ketch] table");
    assert_eq!(ketch.callback_hosts, ["127.0.0.1:8791"]);
    let fides = config.fides.expect("a [fides] table");
    assert_eq!(fides.base_url, "http://127.0.0.1:8792");
    assert_eq!(
        transcend.api_key,
        velt_serve::config::SecretSource::Env("TRANSCEND_API_KEY".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signing_key_that_cannot_be_fetched_is_503_and_nothing_is_kept() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("auth-no-key");
    let mut config = common::config(&dir, &velt, &transcend);
    // A Sombra that is not there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    if let Some(t) = config.transcend.as_mut() {
        t.sombra_url = url;
    }
    let server = Server::start(config).await.expect("the server starts");
    let body = webhook("ACCESS", "req-no-key", JANE);
    let (status, _) = post_webhook(&server, Some(&transcend.keys.good_token()), &body).await;
    assert_eq!(status, 503);
    assert!(common::job_dirs(&dir).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_secret_is_named_at_start_without_a_value() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("auth-missing-secret");
    let mut config = common::config(&dir, &velt, &transcend);
    config.velt.auth_token =
        velt_serve::config::SecretSource::Env("VELT_SERVE_TEST_NEVER_SET".into());
    let error = Server::start(config).await.expect_err("refused");
    assert!(matches!(error, velt_serve::Error::Config(_)), "{error:?}");
    assert!(
        error.to_string().contains("VELT_SERVE_TEST_NEVER_SET"),
        "{error}"
    );
    let mut config = common::config(&dir, &velt, &transcend);
    std::fs::write(dir.join("empty"), "\n").expect("file");
    config.velt.api_key = velt_serve::config::SecretSource::File(dir.join("empty"));
    let error = Server::start(config).await.expect_err("refused");
    assert!(error.to_string().contains("is empty"), "{error}");
}
