//! The report's safety in every run, without a browser: `report.html` of a case full of
//! hostile values is parsed by an HTML5 parser (html5ever, through `scraper`: the parsing
//! algorithm browsers use), and the document it builds must hold no script, no event handler,
//! nothing that loads from elsewhere, and the strict Content-Security-Policy.

use std::collections::BTreeMap;
use std::path::Path;

use scraper::{ElementRef, Html, Node};
use serde_json::{Value, json};
use velt_api::search::Subject;
use velt_case::{CaseFolder, NewCase, ReportOptions, RequestKind};

use crate::common;

/// The report's Content-Security-Policy, directive by directive: nothing loads but inline
/// style and `data:` images, no script runs, no form is sent, no base URL is set. A change to
/// it must be made here too, on purpose.
const CSP: [(&str, &[&str]); 5] = [
    ("default-src", &["'none'"]),
    ("style-src", &["'unsafe-inline'"]),
    ("img-src", &["data:"]),
    ("form-action", &["'none'"]),
    ("base-uri", &["'none'"]),
];

/// Elements that run code, load something, or send something.
const FORBIDDEN_ELEMENTS: [&str; 24] = [
    "script", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
    "link", "img", "image", "picture", "video", "audio", "source", "track", "svg", "math", "form",
    "input", "button", "portal", "template",
];

/// Attributes whose value is a URL the browser may load or go to.
const URL_ATTRIBUTES: [&str; 16] = [
    "src",
    "href",
    "action",
    "formaction",
    "srcset",
    "imagesrcset",
    "poster",
    "data",
    "background",
    "ping",
    "cite",
    "longdesc",
    "manifest",
    "codebase",
    "xlink:href",
    "srcdoc",
];

const EVIL: &str = "http://evil.example.com";

/// Values a hostile party could put in Velt (comments, names, ids, links) or in the
/// controller's notice, each trying another way to run or load something.
fn hostile_strings() -> Vec<String> {
    vec![
        "<script>alert(1)</script>".into(),
        "<img src=x onerror=alert(2)>".into(),
        format!("<img src=\"{EVIL}/pixel.png\">"),
        format!("see {EVIL}/photo.jpg and <img src={EVIL}/track.gif>"),
        "<a href=\"javascript:alert(3)\">click</a>".into(),
        "javascript:alert(4)".into(),
        format!("<svg onload=alert(5)><image href=\"{EVIL}/i.svg\"/></svg>"),
        format!("</style><style>body{{background:url({EVIL}/bg.png)}}</style>"),
        "<div style=\"background:url(//evil.example.com/x.png)\">x</div>".into(),
        format!("<form action=\"{EVIL}/steal\"><button formaction={EVIL}>go</button></form>"),
        format!("<video poster=\"{EVIL}/p.png\" src=\"{EVIL}/v.mp4\"></video>"),
        format!("<object data=\"{EVIL}/o.swf\"></object><embed src={EVIL}/e>"),
        format!("<img srcset=\"{EVIL}/a.png 1x, {EVIL}/b.png 2x\">"),
        format!("<meta http-equiv=\"refresh\" content=\"0;url={EVIL}/\">"),
        format!("<base href=\"{EVIL}/\"><link rel=stylesheet href=\"{EVIL}/x.css\">"),
        format!("<iframe srcdoc=\"<script>alert(6)</script>\" src=\"{EVIL}/\"></iframe>"),
        "\"><script>alert(7)</script>".into(),
        "'><p onmouseover='alert(8)'>".into(),
        "<!--<script>alert(9)</script>-->".into(),
        "<![CDATA[<script>alert(10)</script>]]>".into(),
        "<noscript><p title=\"</noscript><img src=x onerror=alert(11)>\"></noscript>".into(),
        "<template><script>alert(12)</script></template>".into(),
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(13)>".into(),
        format!("@import url({EVIL}/x.css);"),
    ]
}

/// An export of every kind with a hostile value in each field the report shows.
fn hostile_items() -> Vec<(String, Value)> {
    let h = hostile_strings();
    let mut items = Vec::new();
    for (n, text) in h.iter().enumerate() {
        items.push((
            "comments".to_string(),
            json!({
                "annotationId": text,
                "comments": [
                    {"commentText": text, "commentHtml": text, "from": {"name": text, "email": text, "photoUrl": format!("{EVIL}/a.png")}, "createdAt": 1772546700000u64 + n as u64},
                    {"commentHtml": text, "from": {"userId": text}, "createdAt": "2026-03-03T14:06:00Z"},
                ],
                "pageInfo": {"title": text, "url": "javascript:alert(14)", "path": text},
                "location": {"locationName": text},
                "createdAt": 1772546700000u64,
            }),
        ));
    }
    items.push((
        "reactions".into(),
        json!({"icon": h[0], "from": {"name": h[1]}, "pageInfo": {"title": h[2], "url": format!("{EVIL}/doc")}}),
    ));
    items.push((
        "recordings".into(),
        json!({
            "recordingType": h[6],
            "videoUrl": format!("{EVIL}/v.mp4"),
            "thumbnailUrl": format!("{EVIL}/t.png"),
            "attachment": {"url": format!("{EVIL}/x.webm\"><video src=x>"), "name": h[3]},
            "transcription": {"transcriptedText": h[7]},
        }),
    ));
    items.push((
        "notifications".into(),
        json!({
            "displayHeadlineMessageTemplate": format!("{{actionUser}} {}", h[2]),
            "displayHeadlineMessageTemplateData": {"actionUser": {"name": h[0]}},
            "displayBodyMessage": h[8],
            "timestamp": h[1],
        }),
    ));
    items.push((
        "<userProfile onclick=alert(15)>".into(),
        json!({"<key onmouseover=alert(16)>": h[7], "bio": h[4], "avatar": format!("{EVIL}/me.png")}),
    ));
    items.push(("reactions".into(), json!(h[9])));
    items
}

/// `report.html` of a case whose subject, organization, user, items and notice are hostile.
fn hostile_report(root: &Path) -> (String, u64) {
    let dir = root.join("case");
    let mut case = CaseFolder::create(
        &dir,
        &NewCase {
            subject: Subject::email("<script>alert(17)</script>@example.com"),
            kinds: vec![RequestKind::Access, RequestKind::Erasure],
            received: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        },
    )
    .unwrap();
    let organization = "<img src=x onerror=alert(18)>";
    let user = "\"><script>alert(19)</script>";
    let file = case.export_path(organization, user).unwrap();
    let items = hostile_items();
    common::write_export(&file, organization, user, &items);
    case.record_export(organization, user).unwrap();
    let notice = format!(
        "**We** answer. {}\n\n[click](javascript:alert(20)) ![tracker]({EVIL}/n.png) <{EVIL}/auto>\n\n{}",
        hostile_strings().join(" "),
        hostile_strings()[7]
    );
    let summary = case
        .write_report(&ReportOptions {
            notice_markdown: Some(notice),
            max_items_per_section: usize::MAX,
            generated_at: None,
        })
        .unwrap();
    assert_eq!(summary.items, items.len() as u64);
    (
        std::fs::read_to_string(dir.join("report.html")).unwrap(),
        summary.items_shown,
    )
}

/// Whether `url` stays in the document: empty, a fragment (`#x`), or a relative path with no
/// scheme (`data:`, `javascript:`, `http:` ... all count as schemes) and no `//` host.
fn is_local(url: &str) -> bool {
    // Browsers drop leading and trailing white space and control characters, and tabs and
    // new lines anywhere, before reading a URL.
    let url: String = url
        .trim_matches(|c: char| c.is_ascii_whitespace() || c.is_control())
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if url.is_empty() || url.starts_with('#') {
        return true;
    }
    if url.starts_with("//") || url.starts_with("\\\\") || url.starts_with("/\\") {
        return false;
    }
    let scheme = url
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|head| head.contains(':'));
    !scheme
}

/// Every problem with a piece of CSS: an `@import`, or a `url(...)` that is not local.
fn css_problems(css: &str, wherein: &str) -> Vec<String> {
    let lower = css.to_ascii_lowercase();
    let mut problems = Vec::new();
    if lower.contains("@import") {
        problems.push(format!("@import in {wherein}: {css:.120}"));
    }
    for (at, _) in lower.match_indices("url(") {
        let rest = &css[at + 4..];
        let arg = rest.split(')').next().unwrap_or(rest);
        let arg = arg.trim().trim_matches(['"', '\'']);
        if !is_local(arg) {
            problems.push(format!("url({arg}) in {wherein}"));
        }
    }
    if lower.contains("image-set(") || lower.contains("expression(") {
        problems.push(format!("image-set or expression in {wherein}: {css:.120}"));
    }
    problems
}

/// Everything in the parsed document that could run code or load from elsewhere (also used
/// by `coverage` on reports with the other stores and downloaded files).
pub(crate) fn unsafe_things(document: &Html) -> Vec<String> {
    let mut problems = Vec::new();
    for node in document.tree.nodes() {
        let Node::Element(element) = node.value() else {
            continue;
        };
        let name = element.name().to_ascii_lowercase();
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            problems.push(format!("a <{name}> element"));
        }
        for (attribute, value) in element.attrs() {
            let attribute = attribute.to_ascii_lowercase();
            if attribute.starts_with("on") {
                problems.push(format!("<{name} {attribute}={value:?}>"));
            }
            if URL_ATTRIBUTES.contains(&attribute.as_str()) {
                let urls: Vec<&str> = if attribute.ends_with("srcset") {
                    value
                        .split(',')
                        .filter_map(|c| c.split_whitespace().next())
                        .collect()
                } else {
                    vec![value]
                };
                if attribute == "srcdoc" || urls.iter().any(|u| !is_local(u)) {
                    problems.push(format!("<{name} {attribute}={value:?}>"));
                }
            }
            if attribute == "style" {
                problems.extend(css_problems(
                    value,
                    &format!("a style attribute of <{name}>"),
                ));
            }
            if name == "meta"
                && attribute == "http-equiv"
                && !value.eq_ignore_ascii_case("content-security-policy")
            {
                problems.push(format!("<meta http-equiv={value:?}>"));
            }
        }
        if name == "style" {
            let css: String = ElementRef::wrap(node)
                .map(|e| e.text().collect())
                .unwrap_or_default();
            problems.extend(css_problems(&css, "a <style> element"));
        }
    }
    problems
}

/// The directives of the document's Content-Security-Policy; fails unless there is exactly
/// one, in the head, before any style.
fn content_security_policy(document: &Html) -> BTreeMap<String, Vec<String>> {
    let metas: Vec<(usize, ElementRef)> = document
        .tree
        .nodes()
        .filter_map(ElementRef::wrap)
        .enumerate()
        .filter(|(_, e)| {
            e.value().name() == "meta"
                && e.value()
                    .attr("http-equiv")
                    .is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy"))
        })
        .collect();
    assert_eq!(metas.len(), 1, "one Content-Security-Policy <meta>");
    let (position, meta) = metas[0];
    assert_eq!(
        meta.parent()
            .and_then(ElementRef::wrap)
            .map(|p| p.value().name().to_owned()),
        Some("head".to_owned()),
        "the CSP <meta> is in the head"
    );
    let first_style = document
        .tree
        .nodes()
        .filter_map(ElementRef::wrap)
        .position(|e| e.value().name() == "style");
    assert!(
        first_style.is_none_or(|s| s > position),
        "the CSP comes before any style"
    );
    let content = meta.value().attr("content").unwrap_or_default();
    content
        .split(';')
        .filter(|d| !d.trim().is_empty())
        .map(|directive| {
            let mut words = directive.split_whitespace().map(str::to_owned);
            let name = words.next().unwrap_or_default().to_ascii_lowercase();
            (name, words.collect())
        })
        .collect()
}

#[test]
fn the_parsed_report_has_no_script_no_handler_no_remote_url_and_the_strict_csp() {
    let root = common::temp_dir("report-html");
    let (html, items_shown) = hostile_report(&root);
    let document = Html::parse_document(&html);

    let problems = unsafe_things(&document);
    assert!(
        problems.is_empty(),
        "{} unsafe: {problems:#?}",
        problems.len()
    );

    let csp = content_security_policy(&document);
    let expected: BTreeMap<String, Vec<String>> = CSP
        .iter()
        .map(|(name, values)| {
            (
                name.to_string(),
                values.iter().map(|v| v.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(csp, expected, "the Content-Security-Policy changed");

    // Not a vacuous pass: every item was rendered, and the hostile values are on the page
    // as text.
    let articles = document
        .tree
        .nodes()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.value().name() == "article")
        .count();
    assert_eq!(articles as u64, items_shown);
    let text: String = document.root_element().text().collect();
    for shown in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
        "javascript:alert(14)",
        "<a href=\"javascript:alert(3)\">click</a>",
        &format!("{EVIL}/photo.jpg"),
        &format!("</style><style>body{{background:url({EVIL}/bg.png)}}</style>"),
        "<script>alert(17)</script>@example.com",
        "<img src=x onerror=alert(18)>",
        "javascript:alert(20)",
    ] {
        assert!(text.contains(shown), "{shown:?} is not shown as text");
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn the_checks_catch_what_they_look_for() {
    // The same checks on a page that has each of the things they forbid.
    let bad = Html::parse_document(&format!(
        "<!doctype html><html><head><style>p{{color:red}}</style>\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src *\"></head><body>\
         <script>1</script><p onclick=\"x()\">a</p><a href=\"{EVIL}/\">b</a>\
         <a href=\"//evil.example.com/\">c</a><a href=\"javascript:x()\">d</a>\
         <a href=\" data:text/html,x\">e</a><a href=\"#top\">f</a><a href=\"data/org/u.ndjson\">g</a>\
         <div style=\"background:url('{EVIL}/x.png')\">h</div>\
         <style>@import 'x.css'; i{{background:url(  //evil.example.com/y)}}</style></body></html>"
    ));
    let problems = unsafe_things(&bad);
    for expected in [
        "a <script> element",
        "<p onclick=\"x()\">",
        &format!("<a href=\"{EVIL}/\">"),
        "<a href=\"//evil.example.com/\">",
        "<a href=\"javascript:x()\">",
        "<a href=\" data:text/html,x\">",
        &format!("url({EVIL}/x.png) in a style attribute of <div>"),
        "url(//evil.example.com/y) in a <style> element",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected:?} not caught: {problems:#?}"
        );
    }
    assert!(problems.iter().any(|p| p.starts_with("@import")));
    assert!(
        !problems
            .iter()
            .any(|p| p.contains("#top") || p.contains("data/org")),
        "local links are allowed: {problems:#?}"
    );
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        content_security_policy(&bad)
    }));
    assert!(caught.is_err(), "a CSP after a style is refused");
    assert!(is_local("data/org-1/user-1.ndjson") && is_local("#org-1") && is_local(""));
    assert!(!is_local("\u{1}javascript:x") && !is_local("java\tscript:x") && !is_local("HTTP://x"));
}
