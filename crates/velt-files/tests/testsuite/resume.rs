//! A rerun into the same folder downloads nothing already complete.

use crate::server::{Reply, Server};
use crate::support::{builder, fetched, names, reason, run, tempdir};
use velt_files::NotFetchedReason;

#[tokio::test]
async fn a_second_run_downloads_nothing_already_complete() {
    let origin = Server::start(|r| match r.path.as_str() {
        "/missing" => Reply::status(404),
        path => Reply::ok("video/webm", format!("recording {path}")),
    })
    .await;
    let fetcher = builder(&origin.origin()).build().unwrap();
    let dir = tempdir();
    let urls = vec![origin.url("/r1"), origin.url("/r2"), origin.url("/missing")];
    let (first, _) = run(&fetcher, &urls, dir.path()).await;
    assert_eq!(origin.hits(), 3);
    assert!(!fetched(&first, 0).resumed);

    // A temporary file a killed run left behind is removed.
    std::fs::write(dir.path().join(".velt-part-killed"), b"partial").unwrap();
    let (second, events) = run(&fetcher, &urls, dir.path()).await;
    assert_eq!(
        origin.hits(),
        4,
        "only the URL that failed is asked for again"
    );
    for i in 0..2 {
        let (a, b) = (fetched(&first, i), fetched(&second, i));
        assert!(b.resumed);
        assert_eq!((&a.file, a.size, &a.sha256), (&b.file, b.size, &b.sha256));
    }
    assert_eq!(
        reason(&second, 2),
        &NotFetchedReason::HttpStatus { status: 404 }
    );
    assert!(events.iter().filter(|e| e.starts_with("resumed")).count() == 2);
    assert_eq!(second.bytes_downloaded, 0);
    assert_eq!(names(dir.path()).len(), 2);

    // A file removed or damaged since is fetched again.
    let damaged = dir.path().join(&fetched(&first, 1).file);
    std::fs::write(&damaged, b"short").unwrap();
    std::fs::remove_file(dir.path().join(&fetched(&first, 0).file)).unwrap();
    let (third, _) = run(&fetcher, &urls, dir.path()).await;
    assert_eq!(origin.hits(), 7);
    assert!(!fetched(&third, 0).resumed && !fetched(&third, 1).resumed);
    assert_eq!(std::fs::read(&damaged).unwrap(), b"recording /r2");
}

#[tokio::test]
async fn a_rehash_finds_a_file_changed_at_the_same_size() {
    let origin = Server::start(|_| Reply::ok("text/plain", "twelve bytes")).await;
    let dir = tempdir();
    let urls = vec![origin.url("/t")];
    let plain = builder(&origin.origin()).build().unwrap();
    let (first, _) = run(&plain, &urls, dir.path()).await;
    let path = dir.path().join(&fetched(&first, 0).file);
    std::fs::write(&path, b"TWELVE BYTES").unwrap();
    let (second, _) = run(&plain, &urls, dir.path()).await;
    assert!(
        fetched(&second, 0).resumed,
        "by size only, the change is not seen"
    );
    let rehash = builder(&origin.origin())
        .rehash_resumed(true)
        .build()
        .unwrap();
    let (third, _) = run(&rehash, &urls, dir.path()).await;
    assert!(!fetched(&third, 0).resumed);
    assert_eq!(std::fs::read(&path).unwrap(), b"twelve bytes");
}
