//! `fetch` against a tiny local HTTP server (no network needed).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

/// Serves `/page.md` as Markdown and anything else as an HTML page; returns the base URL.
fn serve(requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
            }
            let (ty, body) = if request_line.contains("/page.md ") {
                (
                    "text/markdown",
                    "# Fresh\n\n# Endpoint\n\n`POST https://api.velt.dev/v1/users/get`\n",
                )
            } else {
                ("text/html", "<!DOCTYPE html><html></html>")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {ty}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

fn sources(dir: &Path, lines: &str) {
    std::fs::write(dir.join("SOURCES"), lines).unwrap();
}

#[test]
fn writes_pages_and_restamps_sources() {
    let base = serve(1);
    let dir = tempfile::tempdir().unwrap();
    sources(
        dir.path(),
        &format!(
            "# pages\nmd/page.md\t{base}/page\t2000-01-01\nmd/page.rendered.txt\t{base}/page\t2000-01-01\n"
        ),
    );
    let outcome = velt_drift::fetch::fetch(dir.path(), false).unwrap();
    assert_eq!(outcome.written, ["md/page.md"]);
    assert_eq!(outcome.skipped.len(), 1);
    let page = std::fs::read_to_string(dir.path().join("md/page.md")).unwrap();
    assert!(page.starts_with("# Fresh"), "{page}");
    let text = std::fs::read_to_string(dir.path().join("SOURCES")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "# pages");
    assert!(
        !lines[1].ends_with("2000-01-01"),
        "date refreshed: {}",
        lines[1]
    );
    assert!(
        lines[2].ends_with("2000-01-01"),
        "reference entry untouched"
    );
}

#[test]
fn html_instead_of_source_is_an_error_and_nothing_is_written() {
    let base = serve(2);
    let dir = tempfile::tempdir().unwrap();
    sources(
        dir.path(),
        &format!(
            "md/page.md\t{base}/page.md\t2000-01-01\nmdx/page.mdx\t{base}/rendered\t2000-01-01\n"
        ),
    );
    let err = velt_drift::fetch::fetch(dir.path(), false).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("HTML"), "{text}");
    assert!(text.contains("SOURCES line 2"), "{text}");
    assert!(!dir.path().join("md/page.md").exists(), "all-or-nothing");
}
