//! What file hosts answer: errors, stalls, refused connections, and what they are sent.

use crate::server::{Body, Reply, Server};
use crate::support::{builder, fetched, names, reason, run, tempdir};
use std::time::Duration;
use velt_files::{NotFetchedReason, TimeoutPhase};

#[tokio::test]
async fn http_errors_of_a_file_host_are_listed() {
    let origin = Server::start(|r| match r.path.as_str() {
        "/gone" => Reply::status(404),
        "/broken" => Reply::status(500),
        "/forbidden" => Reply::status(403),
        "/not-modified" => Reply::status(304),
        _ => Reply::ok("image/png", "png bytes"),
    })
    .await;
    let fetcher = builder(&origin.origin()).build().unwrap();
    let dir = tempdir();
    let urls: Vec<String> = ["/gone", "/broken", "/forbidden", "/not-modified", "/photo"]
        .iter()
        .map(|p| origin.url(p))
        .collect();
    let (report, events) = run(&fetcher, &urls, dir.path()).await;
    assert_eq!(
        reason(&report, 0),
        &NotFetchedReason::HttpStatus { status: 404 }
    );
    assert_eq!(
        reason(&report, 1),
        &NotFetchedReason::HttpStatus { status: 500 }
    );
    assert_eq!(
        reason(&report, 2),
        &NotFetchedReason::HttpStatus { status: 403 }
    );
    assert_eq!(
        reason(&report, 3),
        &NotFetchedReason::HttpStatus { status: 304 }
    );
    assert_eq!(
        reason(&report, 1).to_string(),
        "the file host answered HTTP 500 Internal Server Error"
    );
    assert!(fetched(&report, 4).file.ends_with(".png"));
    assert_eq!(names(dir.path()).len(), 1, "no error page is kept");
    assert!(
        events
            .iter()
            .any(|e| e.ends_with("/gone: the file host answered HTTP 404 Not Found"))
    );
}

#[tokio::test]
async fn no_credential_reaches_a_file_host() {
    let origin = Server::start(|_| Reply::ok("audio/webm", "voice")).await;
    let fetcher = builder(&origin.origin()).build().unwrap();
    let dir = tempdir();
    let (report, _) = run(&fetcher, &[origin.url("/voice?token=signed")], dir.path()).await;
    fetched(&report, 0);
    let requests = origin.requests();
    assert_eq!(requests.len(), 1);
    let mut names: Vec<&str> = requests[0]
        .headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    names.sort();
    // Only what any HTTP client sends: no authorization, cookie, x-velt-* or proxy header.
    for name in &names {
        assert!(
            ["accept", "accept-encoding", "host", "user-agent"].contains(name),
            "unexpected header {name}: {:?}",
            requests[0].headers
        );
    }
    let agent = requests[0]
        .headers
        .iter()
        .find(|(k, _)| k == "user-agent")
        .map(|(_, v)| v.as_str());
    assert_eq!(
        agent,
        Some(concat!("velt-files/", env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test]
async fn a_stalled_download_times_out_and_leaves_nothing() {
    let origin = Server::start(|r| Reply {
        body: Body::Stall(Duration::from_secs(30)),
        ..Reply::ok("video/webm", "").announcing(if r.path == "/total" { 1_000_000 } else { 999 })
    })
    .await;
    let idle = builder(&origin.origin())
        .idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let total = builder(&origin.origin())
        .file_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let dir = tempdir();
    let (report, _) = run(&idle, &[origin.url("/idle")], dir.path()).await;
    assert!(
        matches!(
            reason(&report, 0),
            NotFetchedReason::TimedOut {
                phase: TimeoutPhase::Idle,
                ..
            }
        ),
        "{:?}",
        reason(&report, 0)
    );
    let (report, _) = run(&total, &[origin.url("/total")], dir.path()).await;
    assert!(
        matches!(
            reason(&report, 0),
            NotFetchedReason::TimedOut {
                phase: TimeoutPhase::Total,
                ..
            }
        ),
        "{:?}",
        reason(&report, 0)
    );
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

#[tokio::test]
async fn a_refused_connection_is_listed() {
    // A port that was just free: nothing listens on it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let origin = format!("http://127.0.0.1:{port}");
    let fetcher = builder(&origin).build().unwrap();
    let dir = tempdir();
    let (report, _) = run(&fetcher, &[format!("{origin}/f")], dir.path()).await;
    match reason(&report, 0) {
        NotFetchedReason::ConnectionFailed { message } => {
            assert!(
                !message.contains(&origin),
                "no URL in the message: {message}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_run_can_be_spawned_by_a_worker() {
    fn log(_: velt_files::FetchEvent<'_>) {}
    let origin = Server::start(|_| Reply::ok("image/jpeg", "photo")).await;
    let fetcher = builder(&origin.origin()).build().unwrap();
    let dir = tempdir();
    let target = dir.path().to_owned();
    let url = origin.url("/photo");
    // The run's future is `Send + 'static` with owned inputs: a worker can spawn it.
    let report = tokio::spawn(async move {
        let files = vec![velt_files::FileRef::new(
            url,
            velt_files::Provenance {
                organization_id: "org-1".into(),
                feature: "users".into(),
                item_id: "user-1".into(),
                field_path: "/photoUrl".into(),
            },
        )];
        fetcher.fetch(files, &target, &log).await
    })
    .await
    .unwrap()
    .unwrap();
    let (record, file) = report.fetched().next().unwrap();
    assert_eq!(record.provenance.field_path, "/photoUrl");
    assert!(file.file.ends_with(".jpg"));
}
