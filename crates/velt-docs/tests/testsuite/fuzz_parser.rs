//! Property-based fuzzing (proptest) of the docs-page parser: [`Page::parse`] and
//! [`parse_relaxed_json`] never panic, on arbitrary text, on text built from the pages'
//! own markup, and on the real pages (`openapi/docs/**`) with random damage.
//!
//! Every test is named `fuzz_*`. They run 64 cases each under `cargo test`; set
//! `PROPTEST_CASES` for long runs (see `docs/FAULTS.md`).

use std::path::PathBuf;

use proptest::prelude::*;
use velt_docs::{Page, parse_relaxed_json};

/// 64 cases by default, `PROPTEST_CASES` when it is set.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    config
}

/// Every page in `openapi/docs/`, as text.
fn real_pages() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/docs");
    let mut pages = Vec::new();
    for dir in ["md", "mdx"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            pages.push(std::fs::read_to_string(&path).unwrap());
        }
    }
    assert!(pages.len() >= 6, "the real pages are found");
    pages
}

/// Pieces of the pages' markup, to build texts that reach deep into the scanner.
const TOKENS: &[&str] = &[
    "---\n",
    "title: \"Get All User Data\"\n",
    "api: \"POST https://api.velt.dev/v2/users/data/get\"\n",
    "api: POST\n",
    "# Endpoint\n",
    "`POST https://api.velt.dev/v2/users/data/get`\n",
    "# Body\n",
    "<ParamField body=\"data\" type=\"object\" required>\n",
    "<ParamField header=\"x-velt-api-key\" type=\"string\" required>",
    "<ParamField query=\"q\" type=\"string[]\">",
    "<ParamField path=\"p\">",
    "<ParamField>",
    "</ParamField>\n",
    "<Expandable title=\"properties\">\n",
    "</Expandable>\n",
    "<RequestExample>\n",
    "</RequestExample>\n",
    "<ResponseExample>\n",
    "</ResponseExample>\n",
    "#### Example Request\n",
    "#### Success Response\n",
    "#### Failure Response\n",
    "**Example Requests**\n",
    "```json\n",
    "```JSON theme={null}\n",
    "```\n",
    "~~~json\n",
    "~~~\n",
    "    ",
    "\t",
    "> ",
    "{",
    "}",
    "[",
    "]",
    "[..]",
    "...",
    "…",
    "..",
    ",",
    ":",
    "\"statusCode\": 202",
    "\"data\": ",
    "\"",
    "\\",
    "// comment\n",
    "/* block ",
    "*/",
    "return a 202 response",
    "201",
    "é",
    "\u{feff}",
    "\r\n",
    "\n",
    " ",
    "1.5",
    "-",
    "null",
];

fn markup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|t| t.concat())
}

/// One real page with line- and byte-level damage.
fn damaged_page() -> impl Strategy<Value = String> {
    let pages = real_pages();
    (
        0..pages.len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..7), 0..8),
    )
        .prop_map(move |(which, edits)| {
            let mut bytes = pages[which].clone().into_bytes();
            for (at, byte, kind) in edits {
                let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
                let line = at.index(lines.len().max(1));
                match kind {
                    // Flip a byte.
                    0 if !bytes.is_empty() => {
                        let i = at.index(bytes.len());
                        bytes[i] ^= byte | 1;
                    }
                    // Delete a line.
                    1 if !lines.is_empty() => {
                        let mut out = lines.clone();
                        out.remove(line);
                        bytes = out.concat();
                    }
                    // Duplicate a line.
                    2 if !lines.is_empty() => {
                        let mut out = lines.clone();
                        out.insert(line, lines[line]);
                        bytes = out.concat();
                    }
                    // Swap two neighbouring lines.
                    3 if lines.len() > 1 => {
                        let mut out = lines.clone();
                        let i = line.min(lines.len() - 2);
                        out.swap(i, i + 1);
                        bytes = out.concat();
                    }
                    // Truncate.
                    4 => bytes.truncate(at.index(bytes.len() + 1)),
                    // Insert a markup token.
                    5 => {
                        let i = at.index(bytes.len() + 1);
                        let token = TOKENS[byte as usize % TOKENS.len()].as_bytes();
                        bytes.splice(i..i, token.iter().copied());
                    }
                    // Insert a byte.
                    _ => {
                        let i = at.index(bytes.len() + 1);
                        bytes.insert(i, byte);
                    }
                }
            }
            // The parser takes &str; a flipped byte that breaks UTF-8 becomes U+FFFD, as a
            // lossy reader would give it.
            String::from_utf8_lossy(&bytes).into_owned()
        })
}

/// The JSON blocks of the real pages, damaged the same way.
fn damaged_json() -> impl Strategy<Value = String> {
    let blocks: Vec<String> = real_pages()
        .iter()
        .filter_map(|p| Page::parse(p).ok())
        .flat_map(|p| p.examples)
        .map(|e| serde_json::to_string_pretty(&e.json).unwrap())
        .chain([
            "{ \"items\": [..], // some items\n \"next\": \"t\", }".to_owned(),
            "[1, .., 2, …, /* c */ 3,]".to_owned(),
        ])
        .collect();
    (
        0..blocks.len(),
        prop::collection::vec(
            (any::<prop::sample::Index>(), 0..TOKENS.len(), any::<bool>()),
            0..6,
        ),
    )
        .prop_map(move |(which, edits)| {
            let mut text: Vec<char> = blocks[which].chars().collect();
            for (at, token, delete) in edits {
                let i = at.index(text.len() + 1);
                if delete && i < text.len() {
                    text.remove(i);
                } else {
                    text.splice(i..i, TOKENS[token].chars());
                }
            }
            text.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_parse_arbitrary_text(text in prop_oneof![any::<String>(), markup()]) {
        let _ = Page::parse(&text);
        let _ = parse_relaxed_json(&text);
    }

    #[test]
    fn fuzz_parse_damaged_real_pages(text in damaged_page()) {
        if let Err(error) = Page::parse(&text) {
            // A refusal names a line of the page (or none).
            if let Some(line) = error.line() {
                prop_assert!(line >= 1 && line <= text.lines().count() + 1, "line {} of {}", line, text.lines().count());
            }
        }
    }

    #[test]
    fn fuzz_relaxed_json_on_damaged_examples(text in damaged_json()) {
        let _ = parse_relaxed_json(&text);
    }

    /// Strict JSON reads exactly as serde_json reads it: the relaxed layer changes nothing
    /// outside comments, ellipses and trailing commas, even in strings that look like them.
    #[test]
    fn fuzz_relaxed_json_accepts_strict_json(
        text in prop_oneof![any::<String>(), markup()],
        key in prop_oneof![any::<String>(), markup()],
        n in any::<i64>(),
        x in prop::num::f64::POSITIVE | prop::num::f64::NEGATIVE | prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ) {
        let value = serde_json::json!({"s": text, "a": [n, x, null, true], "o": {key: "/*", "..": "…"}});
        for rendered in [serde_json::to_string(&value).unwrap(), serde_json::to_string_pretty(&value).unwrap()] {
            let strict: serde_json::Value = serde_json::from_str(&rendered).unwrap();
            let parsed = parse_relaxed_json(&rendered).map_err(|e| TestCaseError::fail(format!("{e}: {rendered}")))?;
            prop_assert_eq!(&parsed, &strict);
        }
    }
}
