//! The parser against the pages the spec is pinned to (`openapi/docs/`).

use std::path::PathBuf;

use serde_json::json;
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

const HEADERS: &str = "x-velt-api-key:string!, x-velt-auth-token:string!";

fn assert_endpoint(p: &Page, path: &str) {
    assert_eq!(p.method.as_deref(), Some("POST"));
    assert_eq!(p.path.as_deref(), Some(path));
    assert_eq!(
        p.url.as_deref(),
        Some(format!("https://api.velt.dev{path}").as_str())
    );
    assert_eq!(shape(&p.headers), HEADERS);
    assert!(p.headers.iter().all(|h| h.location == "header"));
}

fn kinds(p: &Page) -> Vec<(ExampleKind, &str)> {
    p.examples
        .iter()
        .map(|e| (e.kind, e.heading.as_str()))
        .collect()
}

#[test]
fn get_all_user_data_mdx() {
    let p = page("mdx/get-all-user-data-gdpr.mdx");
    assert_eq!(p.title.as_deref(), Some("Get All User Data"));
    assert_endpoint(&p, "/v2/users/data/get");
    assert_eq!(
        p.front_matter_api.as_ref().map(|e| e.path.as_str()),
        Some("/v2/users/data/get")
    );
    assert_eq!(
        shape(&p.body),
        "data:object!(organizationId:string!, userId:string!, pageToken:string)"
    );
    assert!(p.body[0].children.iter().all(|c| c.location == "body"));
    assert_eq!(
        kinds(&p),
        vec![
            (ExampleKind::Request, "Example Request"),
            (ExampleKind::SuccessResponse, "Success Response"),
            (ExampleKind::FailureResponse, "Failure Response"),
            (ExampleKind::SuccessResponse, "ResponseExample"),
        ]
    );
    assert_eq!(
        p.examples[0].json,
        json!({"data": {"organizationId": "yourOrganizationId", "userId": "yourUserId", "pageToken": "yourPageToken"}})
    );
    let success = json!({"result": {
        "status": "success", "message": "Data fetched successfully.",
        "data": {"comments": [], "reactions": [], "recordings": [], "notifications": []},
        "nextPageToken": "bhdwdqwjs298e39e479ddkeuw==329"}});
    assert_eq!(p.examples[1].json, success);
    assert_eq!(p.examples[3].json, success);
    assert_eq!(
        p.examples[2].json,
        json!({"error": {"message": "ERROR_MESSAGE", "status": "INVALID_ARGUMENT", "code": 500}})
    );
    assert_eq!(p.success_status, None);
}

#[test]
fn delete_all_user_data_mdx() {
    let p = page("mdx/delete-all-user-data-gdpr.mdx");
    assert_endpoint(&p, "/v2/users/data/delete");
    assert_eq!(
        shape(&p.body),
        "data:object!(userIds:string[]!, organizationIds:string[])"
    );
    assert_eq!(p.examples.len(), 4);
    assert_eq!(p.examples[1].json["data"]["jobId"], "dsQuvPmIynANgPLLEhCm");
    assert_eq!(p.examples[1].json["statusCode"], 202);
    assert_eq!(
        p.examples[2].json,
        json!({"error": {"message": "ERROR_MESSAGE", "status": "INVALID_ARGUMENT"}})
    );
    assert_eq!(p.success_status, Some(202));
    // Both the prose ("return a 202 response") and the examples say 202.
    let sources: Vec<_> = p
        .status_evidence
        .iter()
        .map(|e| (e.status, e.source.as_str()))
        .collect();
    assert_eq!(
        sources,
        vec![(202, "prose"), (202, "example"), (202, "example")]
    );
}

#[test]
fn delete_status_mdx() {
    let p = page("mdx/get-delete-user-data-status-gdpr.mdx");
    assert_eq!(p.title.as_deref(), Some("Get Delete All User Data Status"));
    assert_endpoint(&p, "/v2/users/data/delete/status");
    assert_eq!(shape(&p.body), "data:object!(jobId:string!)");
    assert_eq!(p.examples.len(), 4);
    assert_eq!(
        p.examples[1].json["result"]["data"],
        json!({"isDeleteCompleted": true, "tasksLeft": 0, "lastTaskCompletedTime": 1748972106739u64})
    );
    assert_eq!(p.success_status, None);
}

#[test]
fn get_users_mdx_ignores_commented_front_matter() {
    let p = page("mdx/get-users.mdx");
    assert_endpoint(&p, "/v1/users/get");
    // `# api: "POST https://getusers.api.velt.dev/"` is commented out.
    assert_eq!(
        p.front_matter_api.as_ref().map(|e| e.url.as_str()),
        Some("https://api.velt.dev/v1/users/get")
    );
    assert_eq!(
        shape(&p.body),
        "data:object!(organizationId:string!, documentId:string, userIds:string[], organizationUserGroupIds:string[])"
    );
    let requests: Vec<_> = p.examples_of(ExampleKind::Request).collect();
    assert_eq!(requests.len(), 6);
    assert_eq!(requests[0].heading, "1. Get users by organizationId");
    assert_eq!(
        requests[5].json["data"]["organizationUserGroupIds"],
        json!(["yourOrganizationUserGroupId"])
    );
    assert_eq!(p.examples_of(ExampleKind::SuccessResponse).count(), 2);
    assert_eq!(
        p.examples_of(ExampleKind::FailureResponse)
            .next()
            .map(|e| &e.json["error"]["status"]),
        Some(&json!("ERROR_CODE"))
    );
    assert_eq!(
        p.examples_of(ExampleKind::SuccessResponse)
            .next()
            .map(|e| &e.json["result"]["data"][0]),
        Some(&json!({"email": "userEmail@domain.com", "name": "userName", "userId": "yourUserId"}))
    );
}

/// The .md export and the .mdx source of one page agree on everything but line numbers.
fn assert_same_page(md: &str, mdx: &str) {
    let a = page(md);
    let b = page(mdx);
    assert!(
        a.front_matter_api.is_none(),
        "the .md export has no front matter"
    );
    assert_eq!(a.title, b.title);
    assert_eq!((&a.method, &a.url, &a.path), (&b.method, &b.url, &b.path));
    assert_eq!(shape(&a.headers), shape(&b.headers));
    assert_eq!(shape(&a.body), shape(&b.body));
    let ex = |p: &Page| {
        p.examples
            .iter()
            .map(|e| (e.kind, e.heading.clone(), e.json.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ex(&a), ex(&b));
    assert_eq!(a.success_status, b.success_status);
}

#[test]
fn md_and_mdx_agree_get() {
    assert_same_page("md/get-all-user-data.md", "mdx/get-all-user-data-gdpr.mdx");
}

#[test]
fn md_and_mdx_agree_delete() {
    assert_same_page(
        "md/delete-all-user-data.md",
        "mdx/delete-all-user-data-gdpr.mdx",
    );
}

#[test]
fn md_example_lines_point_at_fences() {
    let p = page("md/get-all-user-data.md");
    let text = std::fs::read_to_string(docs("md/get-all-user-data.md")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for e in &p.examples {
        assert!(
            lines[e.line - 1].trim_start().starts_with("```"),
            "line {}",
            e.line
        );
    }
    // The ResponseExample block is indented and tagged `js theme={null}`.
    assert_eq!(p.examples[3].heading, "ResponseExample");
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
    for rel in [
        "md/get-all-user-data.md",
        "md/delete-all-user-data.md",
        "mdx/get-users.mdx",
        "mdx/get-all-user-data-gdpr.mdx",
    ] {
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
