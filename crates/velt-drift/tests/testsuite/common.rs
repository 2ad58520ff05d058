//! A temp copy of the real snapshot (`openapi/docs` and `openapi/velt.yaml`) to mutate.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use velt_docs::{ExampleKind, Page};
use velt_drift::Severity;
use velt_drift::check::{Finding, FindingKind, Report};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// How many pages (`.md`, `.mdx`) SOURCES lists in the real snapshot.
pub fn pinned_pages() -> usize {
    let docs = repo().join("openapi/docs");
    let sources = velt_drift::sources::read(&docs).unwrap().unwrap();
    sources.iter().filter(|s| s.is_page()).count()
}

/// The real spec's text.
pub fn spec_text() -> String {
    std::fs::read_to_string(repo().join("openapi/velt.yaml")).unwrap()
}

/// `text` with the first `from` replaced by `to`; fails when `from` does not occur, so an edit
/// can never silently become a no-op.
pub fn changed(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "spec does not contain {from:?}");
    text.replacen(from, to, 1)
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("openapi/docs"), &dir.path().join("docs"));
        std::fs::copy(
            repo().join("openapi/velt.yaml"),
            dir.path().join("velt.yaml"),
        )
        .unwrap();
        Fixture { dir }
    }

    pub fn docs(&self) -> PathBuf {
        self.dir.path().join("docs")
    }

    pub fn spec(&self) -> PathBuf {
        self.dir.path().join("velt.yaml")
    }

    /// Replaces every `from` by `to` in a docs page (or `velt.yaml` with rel = "../velt.yaml").
    /// Panics when `from` does not occur, so a mutation can never silently become a no-op.
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Self {
        let path = self.docs().join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{rel} does not contain {from:?}");
        std::fs::write(&path, text.replace(from, to)).unwrap();
        self
    }

    /// Applies the same edit to both forms of a page.
    pub fn edit_both(&self, md: &str, mdx: &str, from: &str, to: &str) -> &Self {
        self.edit(md, from, to).edit(mdx, from, to)
    }

    pub fn write(&self, rel: &str, text: &str) -> &Self {
        let path = self.docs().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Lists a file in SOURCES with its page URL, as `fetch` and `check` read it.
    pub fn add_source(&self, rel: &str, url: &str) -> &Self {
        let path = self.docs().join("SOURCES");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&format!("{rel}\t{url}\t2026-08-19\n"));
        std::fs::write(path, text).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.docs().join(rel)).unwrap()
    }

    pub fn check(&self) -> Report {
        velt_drift::check::check(&self.docs(), &self.spec()).unwrap()
    }
}

pub const GET_MD: &str = "md/get-all-user-data.md";
pub const GET_MDX: &str = "mdx/get-all-user-data-gdpr.mdx";
pub const DELETE_MD: &str = "md/delete-all-user-data.md";
pub const DELETE_MDX: &str = "mdx/delete-all-user-data-gdpr.mdx";
pub const STATUS_MDX: &str = "mdx/get-delete-user-data-status-gdpr.mdx";
pub const USERS_MDX: &str = "mdx/get-users.mdx";
pub const ORGS_V2_MDX: &str = "mdx/get-organizations-v2.mdx";
pub const USERS_V2_MDX: &str = "mdx/get-users-v2.mdx";

/// The page URL the delete operation is bound to (`externalDocs.url` in the spec).
pub const DELETE_PAGE: &str =
    "https://docs.velt.dev/api-reference/rest-apis/v2/gdpr/delete-all-user-data-gdpr";

/// The 1-based line of the first line of `page` (relative to the docs) containing `needle`:
/// tests compute line numbers from the page instead of pinning them.
pub fn line_of(fx: &Fixture, page: &str, needle: &str) -> usize {
    let text = fx.read(page);
    let idx = text.lines().position(|l| l.contains(needle));
    idx.unwrap_or_else(|| panic!("{page} has no line containing {needle:?}")) + 1
}

/// The 1-based lines of every line of `page` containing `needle`.
pub fn lines_of(fx: &Fixture, page: &str, needle: &str) -> Vec<usize> {
    fx.read(page)
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(idx, _)| idx + 1)
        .collect()
}

/// The one finding at `path`; fails listing all findings when there is not exactly one.
pub fn only<'r>(report: &'r Report, path: &str) -> &'r Finding {
    let at: Vec<&Finding> = report.findings.iter().filter(|f| f.path == path).collect();
    assert_eq!(at.len(), 1, "findings at {path}: {:#?}", report.findings);
    at[0]
}

pub fn pages(f: &Finding) -> Vec<&str> {
    f.pages.iter().map(|p| p.page.as_str()).collect()
}

/// Asserts the report holds exactly these (severity, kind, endpoint, path) findings.
pub fn assert_findings(report: &Report, expected: &[(Severity, FindingKind, &str, &str)]) {
    let mut got: Vec<(Severity, FindingKind, &str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.severity, f.kind, f.endpoint.as_str(), f.path.as_str()))
        .collect();
    let mut want = expected.to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{:#?}", report.findings);
}

/// A tiny HTTP server on 127.0.0.1 standing in for the docs sites: answers `GET path` with the
/// route's content type and body, anything else with 404. Serves at most `requests` requests
/// (a bounded loop), then stops. Returns the base URL (`http://127.0.0.1:PORT`).
pub fn serve(routes: Vec<(String, &'static str, String)>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("");
            let (status, ty, body) = match routes.iter().find(|(p, _, _)| p == path) {
                Some((_, ty, body)) => ("200 OK", *ty, body.as_str()),
                None => ("404 Not Found", "text/plain", "no such page"),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: {ty}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

/// Routes serving every page of a docs directory the way the two live sources do: the `.md`
/// export under `/site/KEY.md`, the `.mdx` source under `/raw/KEY.mdx` (KEY from the page's
/// SOURCES URL). `edit` may change a page's text before it is served.
pub fn live_routes(
    docs: &Path,
    edit: impl Fn(&str, String) -> String,
) -> Vec<(String, &'static str, String)> {
    let text = std::fs::read_to_string(docs.join("SOURCES")).unwrap();
    let sources = velt_drift::sources::parse(&text, Path::new("SOURCES")).unwrap();
    sources
        .iter()
        .filter(|s| s.is_page())
        .map(|s| {
            let key = velt_drift::sources::page_key(&s.url);
            let body = edit(
                &s.local,
                std::fs::read_to_string(docs.join(&s.local)).unwrap(),
            );
            if s.local.ends_with(".mdx") {
                (format!("/raw/{key}.mdx"), "text/plain", body)
            } else {
                (format!("/site/{key}.md"), "text/markdown", body)
            }
        })
        .collect()
}

/// `text` (a page) with the JSON of every success example replaced by `f` of it, pretty-printed
/// and indented like the example's fence. Built on what the parser reads, so an edit made this
/// way survives fields Velt adds to the example later.
pub fn rewrite_success_examples(text: &str, f: impl Fn(Value) -> Value) -> String {
    let page = Page::parse(text).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut fences: Vec<(usize, Value)> = page
        .examples_of(ExampleKind::SuccessResponse)
        .map(|e| (e.line - 1, e.json.clone()))
        .collect();
    assert!(!fences.is_empty(), "the page has success examples");
    // From the bottom up, so that the line numbers of the others stay valid.
    fences.sort_by_key(|(open, _)| std::cmp::Reverse(*open));
    for (open, value) in fences {
        let indent: String = lines[open]
            .chars()
            .take_while(|c| c.is_whitespace())
            .collect();
        let close = (open + 1..lines.len())
            .find(|&i| lines[i].trim_start().starts_with("```"))
            .unwrap();
        let pretty = serde_json::to_string_pretty(&f(value)).unwrap();
        lines.splice(
            open + 1..close,
            pretty.lines().map(|l| format!("{indent}{l}")),
        );
    }
    lines.join("\n") + "\n"
}

/// The delete page's success answer as an older version of Velt's docs had it: wrapped in
/// `result`, `taskId` for `jobId`, no `tasksCount` and no `statusCode`.
pub fn old_delete_answer(answer: Value) -> Value {
    let mut answer = answer;
    if let Some(obj) = answer.as_object_mut() {
        obj.remove("statusCode");
        if let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) {
            data.remove("tasksCount");
            if let Some(id) = data.remove("jobId") {
                data.insert("taskId".into(), id);
            }
        }
    }
    json!({ "result": answer })
}

/// Turns the `.mdx` form of the delete page of `fx` into the older page: v1 URL, 201 in the
/// prose, the old answer in every success example.
pub fn make_old_delete_page(fx: &Fixture) {
    fx.edit(DELETE_MDX, "/v2/users/data/delete", "/v1/users/data/delete");
    fx.edit(DELETE_MDX, "return a 202 response", "return a 201 response");
    fx.write(
        DELETE_MDX,
        &rewrite_success_examples(&fx.read(DELETE_MDX), old_delete_answer),
    );
}
