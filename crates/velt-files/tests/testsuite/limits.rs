//! Size limits: per file (announced, or cut off while reading) and per run. A file cut off
//! leaves nothing behind.

use crate::server::{Body, Reply, Server};
use crate::support::{builder, fetched, names, reason, run, tempdir};
use velt_files::NotFetchedReason;

const LIMIT: u64 = 64 * 1024;

#[tokio::test]
async fn a_file_over_the_limit_is_cut_off_and_removed() {
    let origin = Server::start(|r| {
        let len = match r.path.as_str() {
            "/at-limit" => LIMIT,
            _ => 10 * LIMIT,
        };
        Reply {
            body: Body::Repeat { byte: b'x', len },
            ..Reply::ok("video/webm", "")
        }
        .unannounced()
    })
    .await;
    let fetcher = builder(&origin.origin())
        .max_file_bytes(LIMIT)
        .build()
        .unwrap();
    let dir = tempdir();
    let urls = vec![origin.url("/huge"), origin.url("/at-limit")];
    let (report, events) = run(&fetcher, &urls, dir.path()).await;
    match reason(&report, 0) {
        NotFetchedReason::TooLarge {
            limit,
            seen,
            announced,
        } => {
            assert_eq!(*limit, LIMIT);
            assert!(*seen > LIMIT && *seen < 10 * LIMIT, "{seen}");
            assert_eq!(*announced, None);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fetched(&report, 1).size, LIMIT);
    // Only the file at the limit is there: no partial file, no temporary file.
    assert_eq!(names(dir.path()), vec![fetched(&report, 1).file.clone()]);
    assert!(
        events
            .iter()
            .any(|e| e.contains("/huge") && e.contains("cut off after")),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_the_body() {
    let origin = Server::start(|_| Reply {
        body: Body::Repeat {
            byte: b'x',
            len: 3 * LIMIT,
        },
        ..Reply::ok("video/mp4", "")
    })
    .await;
    let fetcher = builder(&origin.origin())
        .max_file_bytes(LIMIT)
        .build()
        .unwrap();
    let dir = tempdir();
    let (report, _) = run(&fetcher, &[origin.url("/big.mp4")], dir.path()).await;
    assert_eq!(
        reason(&report, 0),
        &NotFetchedReason::TooLarge {
            limit: LIMIT,
            seen: 0,
            announced: Some(3 * LIMIT)
        }
    );
    assert_eq!(report.bytes_downloaded, 0);
    assert!(names(dir.path()).is_empty());
}

#[tokio::test]
async fn the_run_stops_at_its_limit() {
    // Five files of 400 bytes, each its own content, and a limit of 1000 bytes per run.
    let origin = Server::start(|r| {
        let byte = r.path.as_bytes().last().copied().unwrap_or(b'0');
        let reply = Reply {
            body: Body::Repeat { byte, len: 400 },
            ..Reply::ok("application/octet-stream", "")
        };
        if r.path.starts_with("/quiet") {
            reply.unannounced()
        } else {
            reply
        }
    })
    .await;
    let fetcher = builder(&origin.origin())
        .max_run_bytes(1000)
        .concurrency(1)
        .build()
        .unwrap();
    let dir = tempdir();
    let urls = vec![
        origin.url("/f1"),
        origin.url("/f2"),
        origin.url("/quiet3"),
        origin.url("/f4"),
    ];
    let (report, _) = run(&fetcher, &urls, dir.path()).await;
    fetched(&report, 0);
    fetched(&report, 1);
    // The third says nothing of its size: cut off when the run passes 1000 bytes.
    assert_eq!(
        reason(&report, 2),
        &NotFetchedReason::RunLimitReached { limit: 1000 }
    );
    // The fourth is not even asked for.
    assert_eq!(
        reason(&report, 3),
        &NotFetchedReason::RunLimitReached { limit: 1000 }
    );
    assert_eq!(origin.hits(), 3);
    assert_eq!(names(dir.path()).len(), 2);
    assert_eq!(
        reason(&report, 3).to_string(),
        "the limit of 1000 bytes per run was reached"
    );
}

#[tokio::test]
async fn an_announced_size_over_what_the_run_has_left_is_refused() {
    let origin = Server::start(|_| Reply {
        body: Body::Repeat { byte: 1, len: 700 },
        ..Reply::ok("application/octet-stream", "")
    })
    .await;
    let fetcher = builder(&origin.origin())
        .max_run_bytes(1000)
        .concurrency(1)
        .build()
        .unwrap();
    let dir = tempdir();
    let (report, _) = run(&fetcher, &[origin.url("/a"), origin.url("/b")], dir.path()).await;
    fetched(&report, 0);
    assert_eq!(
        reason(&report, 1),
        &NotFetchedReason::RunLimitReached { limit: 1000 }
    );
    assert_eq!(report.bytes_downloaded, 700);
}
