//! Names come from the content and its type, never from the URL.

use crate::server::{Reply, Server};
use crate::support::{builder, fetched, names, run, sha256, tempdir};

#[tokio::test]
async fn dot_dot_in_a_url_changes_nothing_outside_the_target() {
    let origin = Server::start(|r| Reply::ok("image/png", format!("content of {}", r.path))).await;
    let root = tempdir();
    let target = root.path().join("case").join("files");
    let fetcher = builder(&origin.origin()).build().unwrap();
    let urls: Vec<String> = [
        "/../../../escape.png",
        "/%2e%2e/%2e%2e/escape.png",
        "/files/%2E%2E%2F%2E%2E%2Fescape.png",
        "/files/..%2f..%2fescape.png",
        "/files/..%5c..%5cescape.png",
        "/photo.png?name=../../escape.png",
        "/files/%00escape.png",
    ]
    .iter()
    .map(|p| origin.url(p))
    .collect();
    let (report, _) = run(&fetcher, &urls, &target).await;
    // Outside the target: only the folders that lead to it.
    assert_eq!(names(root.path()), vec!["case"]);
    assert_eq!(names(&root.path().join("case")), vec!["files"]);
    let mut expected = Vec::new();
    for request in origin.requests() {
        expected.push(format!(
            "{}.png",
            sha256(format!("content of {}", request.path).as_bytes())
        ));
    }
    expected.sort();
    expected.dedup();
    for i in 0..urls.len() {
        let file = fetched(&report, i);
        assert_eq!(file.file, format!("{}.png", file.sha256));
    }
    assert_eq!(names(&target), expected);
}

#[tokio::test]
async fn the_same_bytes_twice_are_one_file_with_two_records() {
    let origin = Server::start(|r| match r.path.as_str() {
        "/c" => Reply::ok("audio/mpeg; charset=binary", "other"),
        _ => Reply::ok("audio/mpeg", "same voice note"),
    })
    .await;
    let fetcher = builder(&origin.origin()).build().unwrap();
    let dir = tempdir();
    // Two URLs with the same content, and one URL named by two items.
    let urls = vec![
        origin.url("/a"),
        origin.url("/b"),
        origin.url("/a"),
        origin.url("/c"),
    ];
    let (report, _) = run(&fetcher, &urls, dir.path()).await;
    let name = format!("{}.mp3", sha256(b"same voice note"));
    for i in 0..3 {
        assert_eq!(fetched(&report, i).file, name);
        assert_eq!(report.files[i].provenance, i);
    }
    assert_eq!(
        fetched(&report, 0).content_type.as_deref(),
        Some("audio/mpeg")
    );
    assert_eq!(names(dir.path()), {
        let mut n = vec![name, format!("{}.mp3", sha256(b"other"))];
        n.sort();
        n
    });
    assert_eq!(origin.hits(), 3, "the URL named twice is downloaded once");
    assert_eq!(
        std::fs::read(dir.path().join(&fetched(&report, 1).file)).unwrap(),
        b"same voice note"
    );
}
