//! The parser against the pages the spec is pinned to (`openapi/docs/`).

use std::path::PathBuf;

use velt_docs::{ExampleKind, Page, Param, parse_relaxed_json};

fn docs(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../openapi/docs")
        .join(rel)
}

fn page(rel: &str) -> Page {
    match Page::from_file(&docs(rel)) {
        Ok(p) => p,
        Err(e) => panic!("{rel}: {e}"),
    }
}

/// name:type[!] with children in parentheses, e.g. `data:object!(jobId:string!)`.
fn shape(params: &[Param]) -> String {
    params
        .iter()
        .map(|p| {
            let mut s = format!("{}:{}{}", p.name, p.ty, if p.required { "!" } else { "" });
            if !p.children.is_empty() {
                s.push('(');
                s.push_str(&shape(&p.children));
                s.push(')');
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pages of `openapi/docs/SOURCES` (`.md` and `.mdx` entries) with their page URLs, in
/// SOURCES order. (`velt-drift` has the full reader; the parser's tests need only this.)
fn pinned() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(docs("SOURCES")).unwrap();
    let pages: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut fields = l.split('\t');
            Some((fields.next()?.to_string(), fields.next()?.to_string()))
        })
        .filter(|(local, _)| local.ends_with(".md") || local.ends_with(".mdx"))
        .collect();
    assert!(
        pages.len() >= 4,
        "SOURCES lists the pinned pages: {pages:?}"
    );
    pages
}

/// Compact JSON with object keys sorted, whatever order `serde_json` keeps them in (its
/// `preserve_order` feature is on in workspace builds).
fn sorted_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(k.as_str()),
                        sorted_json(&map[k])
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(sorted_json).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// Everything the parser reads from a page except line numbers, which move with every edit.
fn summary(p: &Page) -> String {
    let endpoint = |e: &Option<velt_docs::Endpoint>| {
        e.as_ref()
            .map_or("none".to_string(), |e| format!("{} {}", e.method, e.url))
    };
    let mut out = format!(
        "title: {:?}\nfront matter api: {}\nendpoint section: {}\nheaders: {}\nquery: {}\npath: {}\nbody: {}\n",
        p.title,
        endpoint(&p.front_matter_api),
        endpoint(&p.endpoint_section),
        shape(&p.headers),
        shape(&p.query),
        shape(&p.path_params),
        shape(&p.body),
    );
    for e in &p.examples {
        out.push_str(&format!(
            "example {:?} under {:?}: {}\n",
            e.kind,
            e.heading,
            sorted_json(&e.json)
        ));
    }
    let evidence: Vec<String> = p
        .status_evidence
        .iter()
        .map(|e| format!("{} ({})", e.status, e.source))
        .collect();
    out.push_str(&format!(
        "success status: {:?} from [{}]\n",
        p.success_status,
        evidence.join(", ")
    ));
    out
}

/// One fixture pins what the parser reads from every pinned page. When the pages are
/// refreshed (`velt-drift fetch`), refresh it with one command and review the diff:
/// `INSTA_UPDATE=always cargo test -p velt-docs --test real_pages` (or `cargo insta review`).
#[test]
fn pinned_pages() {
    let mut all = String::new();
    for (local, url) in pinned() {
        all.push_str(&format!(
            "== {local}  ({url})\n{}\n",
            summary(&page(&local))
        ));
    }
    insta::assert_snapshot!("pinned_pages", all);
}

/// Line numbers are not pinned; they are checked against the page text instead.
#[test]
fn lines_point_at_what_was_read() {
    for (local, _) in pinned() {
        let p = page(&local);
        let text = std::fs::read_to_string(docs(&local)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let at = |n: usize| lines.get(n.wrapping_sub(1)).copied().unwrap_or("");
        for e in &p.examples {
            assert!(
                at(e.line).trim_start().starts_with("```"),
                "{local}:{} {:?}",
                e.line,
                e.heading
            );
        }
        fn params<'a>(ps: &'a [Param], out: &mut Vec<&'a Param>) {
            for p in ps {
                out.push(p);
                params(&p.children, out);
            }
        }
        let mut all = Vec::new();
        params(&p.headers, &mut all);
        params(&p.body, &mut all);
        params(&p.query, &mut all);
        params(&p.path_params, &mut all);
        for param in all {
            let tag = format!("{}=\"{}\"", param.location, param.name);
            assert!(
                at(param.line).contains("<ParamField"),
                "{local}:{}",
                param.line
            );
            assert!(
                at(param.line).contains(&tag),
                "{local}:{} {tag}",
                param.line
            );
        }
        for e in [&p.front_matter_api, &p.endpoint_section]
            .into_iter()
            .flatten()
        {
            assert!(at(e.line).contains(&e.url), "{local}:{} {}", e.line, e.url);
        }
        for e in &p.status_evidence {
            // Prose names the status on its line; an example's `statusCode` is located by the
            // example's opening fence.
            let ok = match e.source.as_str() {
                "example" => at(e.line).trim_start().starts_with("```"),
                _ => at(e.line).contains(&e.status.to_string()),
            };
            assert!(ok, "{local}:{} {} ({})", e.line, e.status, e.source);
        }
    }
}

/// The two forms of one page (same URL in SOURCES) agree on everything but line numbers and
/// the front matter, which only the `.mdx` source has.
#[test]
fn md_and_mdx_forms_agree() {
    let pages = pinned();
    let mut pairs = 0;
    for (md, url) in pages.iter().filter(|(l, _)| l.ends_with(".md")) {
        let Some((mdx, _)) = pages.iter().find(|(l, u)| {
            l.ends_with(".mdx") && u.trim_end_matches(".md") == url.trim_end_matches(".md")
        }) else {
            continue;
        };
        pairs += 1;
        let (a, b) = (page(md), page(mdx));
        assert!(
            a.front_matter_api.is_none(),
            "{md}: the .md export has no front matter"
        );
        let without_front_matter = |p: &Page| {
            summary(&Page {
                front_matter_api: None,
                ..p.clone()
            })
        };
        assert_eq!(
            without_front_matter(&a),
            without_front_matter(&b),
            "{md} vs {mdx}"
        );
    }
    assert!(pairs >= 2, "SOURCES pins both forms of some pages");
}

#[test]
fn commented_front_matter_lines_are_ignored() {
    let text = "---\ntitle: \"Get Users\"\napi: \"POST https://api.velt.dev/v1/users/get\"\n# api: \"POST https://getusers.api.velt.dev/\"\n---\n";
    let p = Page::parse(text).unwrap();
    assert_eq!(
        p.front_matter_api.map(|e| e.url),
        Some("https://api.velt.dev/v1/users/get".to_string())
    );
}

#[test]
fn status_from_prose_and_from_examples() {
    let text = "This API may take up to 5 minutes to return a 202 response.\n\n#### Success Response\n\n```JSON\n{\"statusCode\": 202, \"data\": {}}\n```\n\n#### Failure Response\n\n```JSON\n{\"error\": {\"status\": \"INTERNAL\", \"code\": 500}}\n```\n";
    let p = Page::parse(text).unwrap();
    assert_eq!(p.success_status, Some(202));
    let evidence: Vec<_> = p
        .status_evidence
        .iter()
        .map(|e| (e.status, e.source.as_str(), e.line))
        .collect();
    assert_eq!(evidence, [(202, "prose", 1), (202, "example", 5)]);
    let kinds: Vec<_> = p.examples.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [ExampleKind::SuccessResponse, ExampleKind::FailureResponse]
    );
}

#[test]
fn front_matter_and_endpoint_section_both_kept_when_they_disagree() {
    let text = "---\napi: \"POST https://api.velt.dev/v2/old\"\n---\n# Endpoint\n`POST https://api.velt.dev/v2/new`\n";
    let p = Page::parse(text).unwrap();
    assert_eq!(p.path.as_deref(), Some("/v2/new"));
    assert_eq!(
        p.front_matter_api.map(|e| e.path),
        Some("/v2/old".to_string())
    );
    assert_eq!(p.endpoint_section.map(|e| e.line), Some(5));
}

#[test]
fn errors_name_line_and_problem() {
    let cases = [
        ("---\ntitle: x\n", 1, "front matter"),
        (
            "<ParamField body=\"a\" type=\"string\">\n",
            1,
            "</ParamField>",
        ),
        ("ok\n</ParamField>\n", 2, "without an open"),
        ("<ParamField type=\"string\">\n</ParamField>", 1, "body="),
        (
            "#### Success Response\n\n```json\n{\n \"a\": 1\n \"b\": 2\n}\n```\n",
            6,
            "invalid JSON",
        ),
        ("```json\n{}\n", 1, "never closed"),
        ("---\napi: \"FETCH https://x\"\n---\n", 2, "METHOD URL"),
        ("<Expandable title=\"p\">\n", 1, "</Expandable>"),
    ];
    for (text, line, needle) in cases {
        let err = Page::parse(text).expect_err(text);
        assert_eq!(err.line(), Some(line), "{text:?}: {err}");
        assert!(err.to_string().contains(needle), "{text:?}: {err}");
    }
}

#[test]
fn file_errors_name_the_file() {
    let err = Page::from_file(&docs("mdx/no-such-page.mdx")).unwrap_err();
    assert!(err.to_string().contains("no-such-page.mdx"), "{err}");
}

#[test]
fn multi_line_and_self_closing_tags() {
    let text = "<ParamField\n  body=\"data\"\n  type=\"object\"\n  required\n>\n<Expandable title=\"properties\">\n<ParamField body=\"a\" type=\"number\" required={false} />\n{/* <ParamField body=\"hidden\" type=\"string\"> */}\n</Expandable>\n</ParamField>\n";
    let p = Page::parse(text).unwrap();
    assert_eq!(shape(&p.body), "data:object!(a:number)");
}

#[test]
fn non_json_fences_and_unclassified_blocks_are_skipped() {
    let text = "## Example Request\n```bash\ncurl -X POST\n```\n```js\nconst x = 1;\n```\n# Other\n```json\n{\"a\": 1}\n```\n";
    let p = Page::parse(text).unwrap();
    assert!(p.examples.is_empty(), "{:?}", p.examples);
}

/// No input makes the parser panic: every prefix of every real page, and some noise.
#[test]
fn never_panics_on_truncated_pages() {
    for (rel, _) in pinned() {
        let rel = rel.as_str();
        let text = std::fs::read_to_string(docs(rel)).unwrap();
        for (idx, _) in text.char_indices() {
            let _ = Page::parse(&text[..idx]);
        }
    }
    for noise in [
        "<",
        "</",
        "<ParamField",
        "`",
        "```",
        "#",
        "{/*",
        "<!--",
        "---",
        "é<ParamField body=\"é",
        "\u{feff}---\n---",
    ] {
        let _ = Page::parse(noise);
        let _ = parse_relaxed_json(noise);
    }
}
