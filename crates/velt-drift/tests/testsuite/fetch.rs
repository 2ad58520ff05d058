//! `fetch` against a tiny local HTTP server (no network needed).

use crate::common;

use std::path::Path;

use common::*;
use velt_drift::fetch::{Bases, fetch};

fn bases(base: &str) -> Bases {
    Bases {
        md: format!("{base}/site"),
        mdx: format!("{base}/raw"),
    }
}

const PAGE: &str = "https://docs.velt.dev/api-reference/rest-apis/v1/users/get-users";

fn sources(dir: &Path, lines: &str) {
    std::fs::write(dir.join("SOURCES"), lines).unwrap();
}

#[test]
fn both_forms_come_from_one_page_url_and_dates_are_restamped() {
    let key = "api-reference/rest-apis/v1/users/get-users";
    let base = serve(
        vec![
            (
                format!("/site/{key}.md"),
                "text/markdown",
                "# Fresh md\n".into(),
            ),
            (
                format!("/raw/{key}.mdx"),
                "text/plain",
                "---\ntitle: Fresh mdx\n---\n".into(),
            ),
        ],
        2,
    );
    let dir = tempfile::tempdir().unwrap();
    sources(
        dir.path(),
        &format!(
            "# pages\nmd/page.md\t{PAGE}\t2000-01-01\nmdx/page.mdx\t{PAGE}\t2000-01-01\nmd/page.rendered.txt\t{PAGE}\t2000-01-01\n"
        ),
    );
    let outcome = fetch(dir.path(), &bases(&base), false).unwrap();
    assert_eq!(outcome.written, ["md/page.md", "mdx/page.mdx"]);
    assert_eq!(outcome.skipped.len(), 1);
    let read = |rel: &str| std::fs::read_to_string(dir.path().join(rel)).unwrap();
    assert_eq!(read("md/page.md"), "# Fresh md\n");
    assert_eq!(read("mdx/page.mdx"), "---\ntitle: Fresh mdx\n---\n");
    let text = read("SOURCES");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "# pages");
    for line in &lines[1..3] {
        assert!(line.starts_with("md"), "{line}");
        assert!(line.contains(&format!("\t{PAGE}\t")), "URL kept: {line}");
        assert!(!line.ends_with("2000-01-01"), "date refreshed: {line}");
    }
    assert!(
        lines[3].ends_with("2000-01-01"),
        "reference entry untouched"
    );
}

#[test]
fn html_instead_of_source_is_an_error_and_nothing_is_written() {
    let key = "api-reference/rest-apis/v1/users/get-users";
    let base = serve(
        vec![
            (
                format!("/site/{key}.md"),
                "text/markdown",
                "# Fresh\n".into(),
            ),
            (
                format!("/raw/{key}.mdx"),
                "text/html",
                "<!DOCTYPE html><html></html>".into(),
            ),
        ],
        2,
    );
    let dir = tempfile::tempdir().unwrap();
    let listed = format!("md/page.md\t{PAGE}\t2000-01-01\nmdx/page.mdx\t{PAGE}\t2000-01-01\n");
    sources(dir.path(), &listed);
    let err = fetch(dir.path(), &bases(&base), false).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("HTML"), "{text}");
    assert!(text.contains("SOURCES line 2"), "{text}");
    assert!(text.contains(&format!("{base}/raw/{key}.mdx")), "{text}");
    assert!(!dir.path().join("md/page.md").exists(), "all-or-nothing");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("SOURCES")).unwrap(),
        listed,
        "dates untouched"
    );
}

#[test]
fn a_missing_page_writes_nothing_and_keep_going_writes_the_rest() {
    let fx = Fixture::new();
    let docs = fx.docs();
    let before = std::fs::read_to_string(docs.join("SOURCES")).unwrap();
    let mut routes = live_routes(&docs, |_, text| format!("{text}\n<!-- fresh -->\n"));
    let gone = routes.remove(0).0;
    let base = serve(routes.clone(), routes.len());
    let err = fetch(&docs, &bases(&base), false).unwrap_err();
    assert!(err.to_string().contains(&gone), "{err}");
    assert!(err.to_string().contains("404"), "{err}");
    assert_eq!(
        std::fs::read_to_string(docs.join("SOURCES")).unwrap(),
        before
    );
    assert!(!fx.read(GET_MDX).contains("fresh"), "nothing written");

    // Every page is asked for, the missing one included.
    let base = serve(routes.clone(), routes.len() + 1);
    let outcome = fetch(&docs, &bases(&base), true).unwrap();
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.written.len(), routes.len());
    assert!(fx.read(DELETE_MD).ends_with("<!-- fresh -->\n"));
}
