//! Every redirect hop goes through the same rule; a refused target is never contacted.

use crate::server::{Reply, Server};
use crate::support::{builder, fetched, reason, run, sha256, tempdir};
use velt_files::NotFetchedReason;

#[tokio::test]
async fn a_redirect_off_the_list_is_not_followed() {
    let target = Server::start(|_| Reply::ok("text/plain", "internal secret")).await;
    let target_url = target.url("/secret");
    let metadata = "http://169.254.169.254/latest/meta-data/".to_owned();
    let origin = Server::start(move |r| match r.path.as_str() {
        "/to-loopback" => Reply::redirect(&target_url),
        "/to-metadata" => Reply::redirect(&metadata),
        "/to-other-host" => Reply::redirect("https://evil.example/x"),
        "/to-file-scheme" => Reply::redirect("file:///etc/passwd"),
        "/to-credentials" => Reply::redirect("https://u:pw@storage.googleapis.com/x"),
        _ => Reply::status(404),
    })
    .await;
    let fetcher = builder(&origin.origin()).build().unwrap();
    let dir = tempdir();
    let urls: Vec<String> = [
        "/to-loopback",
        "/to-metadata",
        "/to-other-host",
        "/to-file-scheme",
        "/to-credentials",
    ]
    .iter()
    .map(|p| origin.url(p))
    .collect();
    let (report, _) = run(&fetcher, &urls, dir.path()).await;

    assert_eq!(
        target.connections(),
        0,
        "the redirect target must not be contacted"
    );
    assert_eq!(origin.hits(), 5);
    let because = |i: usize| match reason(&report, i) {
        NotFetchedReason::RedirectOffList { because, .. } => (**because).clone(),
        other => panic!("{}: {other:?}", urls[i]),
    };
    assert!(matches!(
        because(0),
        NotFetchedReason::PrivateAddress { .. }
    ));
    assert!(matches!(
        because(1),
        NotFetchedReason::PrivateAddress { .. }
    ));
    assert!(matches!(
        because(2),
        NotFetchedReason::HostNotAllowed { .. }
    ));
    assert!(matches!(
        because(3),
        NotFetchedReason::SchemeNotAllowed { .. }
    ));
    assert_eq!(because(4), NotFetchedReason::CredentialsInUrl);
    match reason(&report, 4) {
        NotFetchedReason::RedirectOffList { location, .. } => {
            assert_eq!(location, "https://u:***@storage.googleapis.com/x")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        reason(&report, 2).to_string(),
        "the file host redirected to https://evil.example/x, which was not followed: \
         evil.example is not one of the allowed file hosts"
    );
}

#[tokio::test]
async fn redirects_on_the_origin_are_followed_up_to_the_limit() {
    let origin = Server::start(|r| match r.path.as_str() {
        "/a" => Reply::redirect("/b"),
        "/b" => Reply::redirect("c"),
        "/c" => Reply::ok("text/vtt", "WEBVTT\n"),
        "/loop" => Reply::redirect("/loop"),
        "/no-location" => Reply {
            headers: vec![],
            ..Reply::redirect("")
        },
        _ => Reply::status(404),
    })
    .await;
    let fetcher = builder(&origin.origin()).max_redirects(3).build().unwrap();
    let dir = tempdir();
    let urls = vec![
        origin.url("/a"),
        origin.url("/loop"),
        origin.url("/no-location"),
    ];
    let (report, _) = run(&fetcher, &urls, dir.path()).await;
    let file = fetched(&report, 0);
    assert_eq!(file.file, format!("{}.vtt", sha256(b"WEBVTT\n")));
    assert_eq!(
        reason(&report, 1),
        &NotFetchedReason::TooManyRedirects { limit: 3 }
    );
    assert_eq!(
        reason(&report, 2),
        &NotFetchedReason::BadRedirect { status: 302 }
    );
    let loops = origin
        .requests()
        .iter()
        .filter(|r| r.path == "/loop")
        .count();
    assert_eq!(loops, 4, "the first request and three redirects");
}
