//! The line scanner behind [`crate::Page::parse`].

use crate::json::parse_relaxed_json;
use crate::page::{Example, ExampleKind, Page, Param, ParseError, StatusEvidence, parse_endpoint};

fn syntax(line: usize, message: impl Into<String>) -> ParseError {
    ParseError::Syntax {
        line,
        message: message.into(),
    }
}

pub(crate) fn parse_page(text: &str) -> Result<Page, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut page = Page::default();
    let mut first_body_line = 0;
    let has_front_matter = lines.first().map(|l| l.trim_end()) == Some("---");
    if has_front_matter {
        let end = lines
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, l)| l.trim_end() == "---")
            .map(|(idx, _)| idx)
            .ok_or_else(|| {
                syntax(
                    1,
                    "front matter opened by `---` is never closed; add a `---` line after it",
                )
            })?;
        for (idx, line) in lines.iter().enumerate().take(end).skip(1) {
            front_matter_line(&mut page, line, idx + 1)?;
        }
        first_body_line = end + 1;
    }
    let mut scanner = Scanner {
        page,
        title_from_heading: !has_front_matter,
        ..Scanner::default()
    };
    for (idx, line) in lines.iter().enumerate().skip(first_body_line) {
        scanner.line(idx + 1, line)?;
    }
    scanner.finish()
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

fn front_matter_line(page: &mut Page, line: &str, number: usize) -> Result<(), ParseError> {
    let trimmed = line.trim();
    // Commented-out lines (`# api: ...`) are not part of the page.
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(());
    }
    let Some((key, value)) = trimmed.split_once(':') else {
        return Ok(());
    };
    let value = unquote(value);
    match key.trim() {
        "title" => page.title = Some(value.to_string()),
        "api" => {
            let endpoint = parse_endpoint(value, number).ok_or_else(|| {
                syntax(
                    number,
                    format!(
                        "front matter `api: {value}` is not `METHOD URL`; expected e.g. \
                         `api: \"POST https://api.velt.dev/v2/users/data/get\"`"
                    ),
                )
            })?;
            page.front_matter_api = Some(endpoint);
        }
        _ => {}
    }
    Ok(())
}

struct Fence {
    marker: char,
    len: usize,
    indent: usize,
    lang: String,
    line: usize,
    content: String,
}

#[derive(Default)]
struct Scanner {
    page: Page,
    title_from_heading: bool,
    fence: Option<Fence>,
    /// The heading an example is attributed to, and the classification context.
    heading: String,
    context: Option<(usize, ExampleKind)>,
    in_endpoint_section: bool,
    in_response_example: bool,
    in_request_example: bool,
    /// Open `<ParamField>`s, innermost last.
    params: Vec<Param>,
    /// Lines of open `<Expandable>`s.
    expandables: Vec<usize>,
    /// A tag that continues on the next line: its text so far and its first line.
    pending_tag: Option<(String, usize)>,
    /// Inside a `{/* */}` or `<!-- -->` comment opened on this line.
    comment: Option<(&'static str, usize)>,
}

impl Scanner {
    fn line(&mut self, number: usize, raw: &str) -> Result<(), ParseError> {
        if let Some(fence) = &mut self.fence {
            let trimmed = raw.trim();
            let closes = trimmed.len() >= fence.len
                && trimmed.chars().all(|c| c == fence.marker)
                && !trimmed.is_empty();
            if closes {
                if let Some(fence) = self.fence.take() {
                    self.close_fence(fence)?;
                }
            } else {
                let strip = raw
                    .chars()
                    .take(fence.indent)
                    .take_while(|c| *c == ' ')
                    .count();
                fence.content.push_str(raw.get(strip..).unwrap_or(raw));
                fence.content.push('\n');
            }
            return Ok(());
        }
        let text = self.strip_comments(raw, number);
        let text = text.as_str();

        if let Some((mut pending, start)) = self.pending_tag.take() {
            pending.push(' ');
            pending.push_str(text);
            return self.scan_tags(&pending, start);
        }

        let trimmed = text.trim_start();
        let indent = text.len() - trimmed.len();
        for marker in ['`', '~'] {
            let len = trimmed.chars().take_while(|c| *c == marker).count();
            if len >= 3 {
                let info = trimmed.get(len..).unwrap_or("").trim();
                let lang = info.split_whitespace().next().unwrap_or("").to_string();
                self.fence = Some(Fence {
                    marker,
                    len,
                    indent,
                    lang,
                    line: number,
                    content: String::new(),
                });
                return Ok(());
            }
        }

        if indent <= 3
            && let Some((level, heading)) = heading(trimmed)
        {
            self.heading(level, heading);
            return Ok(());
        }

        if self.in_endpoint_section && self.page.endpoint_section.is_none() {
            let mut parts = text.split('`');
            // Odd pieces are inside backticks.
            let _ = parts.next();
            if let Some(endpoint) = parts
                .step_by(2)
                .find_map(|code| parse_endpoint(code.trim(), number))
            {
                self.page.endpoint_section = Some(endpoint);
            }
        }
        for status in prose_statuses(text) {
            self.page.status_evidence.push(StatusEvidence {
                status,
                line: number,
                source: "prose".into(),
            });
        }
        self.scan_tags(text, number)
    }

    /// Drops MDX (`{/* */}`) and HTML (`<!-- -->`) comments, which may span lines.
    fn strip_comments(&mut self, raw: &str, number: usize) -> String {
        let mut out = String::new();
        let mut rest = raw;
        loop {
            if let Some((close, _)) = self.comment {
                match rest.find(close) {
                    Some(idx) => {
                        rest = rest.get(idx + close.len()..).unwrap_or("");
                        self.comment = None;
                    }
                    None => return out,
                }
            }
            let jsx = rest.find("{/*").map(|i| (i, "{/*", "*/}"));
            let html = rest.find("<!--").map(|i| (i, "<!--", "-->"));
            let first = match (jsx, html) {
                (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
                (a, b) => a.or(b),
            };
            match first {
                Some((idx, open, close)) => {
                    out.push_str(rest.get(..idx).unwrap_or(""));
                    rest = rest.get(idx + open.len()..).unwrap_or("");
                    self.comment = Some((close, number));
                }
                None => {
                    out.push_str(rest);
                    return out;
                }
            }
        }
    }

    fn heading(&mut self, level: usize, text: String) {
        let lower = text.to_ascii_lowercase();
        if self.title_from_heading && self.page.title.is_none() && level == 1 {
            self.page.title = Some(text.clone());
            self.title_from_heading = false;
        }
        self.in_endpoint_section = lower == "endpoint" || lower == "endpoints";
        let kind = if lower.contains("example request") || lower.contains("request example") {
            Some(ExampleKind::Request)
        } else if lower.contains("success response") || lower.contains("example response") {
            Some(ExampleKind::SuccessResponse)
        } else if lower.contains("failure response") || lower.contains("error response") {
            Some(ExampleKind::FailureResponse)
        } else {
            None
        };
        self.context = match (kind, self.context) {
            (Some(kind), _) => Some((level, kind)),
            (None, Some((outer, kind))) if level > outer => Some((outer, kind)),
            _ => None,
        };
        self.heading = text;
    }

    fn close_fence(&mut self, fence: Fence) -> Result<(), ParseError> {
        let classified = if self.in_response_example {
            Some((ExampleKind::SuccessResponse, "ResponseExample".to_string()))
        } else if self.in_request_example {
            Some((ExampleKind::Request, "RequestExample".to_string()))
        } else {
            self.context.map(|(_, kind)| (kind, self.heading.clone()))
        };
        let Some((kind, heading)) = classified else {
            return Ok(());
        };
        let lang = fence.lang.to_ascii_lowercase();
        let strict = matches!(lang.as_str(), "json" | "jsonc" | "json5");
        let jsonish = matches!(
            lang.as_str(),
            "" | "js" | "javascript" | "jsx" | "ts" | "typescript"
        ) && fence.content.trim_start().starts_with(['{', '[']);
        if !strict && !jsonish {
            return Ok(());
        }
        let json = parse_relaxed_json(&fence.content).map_err(|e| match e {
            ParseError::Syntax { line, message } => syntax(
                fence.line + line,
                format!("{message} (block opened at line {})", fence.line),
            ),
            other => other,
        })?;
        if kind == ExampleKind::SuccessResponse {
            let code = json
                .get("statusCode")
                .or_else(|| json.get("result").and_then(|r| r.get("statusCode")))
                .and_then(serde_json::Value::as_u64)
                .and_then(|c| u16::try_from(c).ok());
            if let Some(status) = code {
                self.page.status_evidence.push(StatusEvidence {
                    status,
                    line: fence.line,
                    source: "example".into(),
                });
            }
        }
        self.page.examples.push(Example {
            kind,
            heading,
            json,
            line: fence.line,
        });
        Ok(())
    }

    /// Handles the tags of interest in `text` (which started on line `number`).
    fn scan_tags(&mut self, text: &str, number: usize) -> Result<(), ParseError> {
        let mut rest = text;
        while let Some(idx) = rest.find('<') {
            let after = rest.get(idx + 1..).unwrap_or("");
            let closing = after.starts_with('/');
            let name_start = if closing {
                after.get(1..).unwrap_or("")
            } else {
                after
            };
            let name_len = name_start
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
                .unwrap_or(name_start.len());
            let name = name_start.get(..name_len).unwrap_or("");
            let attrs_text = name_start.get(name_len..).unwrap_or("");
            let interesting = matches!(
                name,
                "ParamField" | "Expandable" | "ResponseExample" | "RequestExample"
            );
            if !interesting {
                rest = after;
                continue;
            }
            let Some(end) = tag_end(attrs_text) else {
                // The tag goes on on the next line.
                let from_here = rest.get(idx..).unwrap_or("");
                self.pending_tag = Some((from_here.to_string(), number));
                return Ok(());
            };
            let inner = attrs_text.get(..end).unwrap_or("");
            rest = attrs_text.get(end + 1..).unwrap_or("");
            if closing {
                self.close_tag(name, number)?;
            } else {
                let self_closing = inner.trim_end().ends_with('/');
                let inner = inner.trim_end().trim_end_matches('/');
                self.open_tag(name, inner, number)?;
                if self_closing {
                    self.close_tag(name, number)?;
                }
            }
        }
        Ok(())
    }

    fn open_tag(&mut self, name: &str, attrs: &str, number: usize) -> Result<(), ParseError> {
        match name {
            "ParamField" => {
                let attrs =
                    parse_attrs(attrs).map_err(|m| syntax(number, format!("<ParamField>: {m}")))?;
                let located = attrs.iter().find_map(|(k, v)| {
                    let loc = k.as_str();
                    match (loc, v) {
                        ("header" | "body" | "query" | "path", Some(v)) => {
                            Some((loc.to_string(), v.clone()))
                        }
                        _ => None,
                    }
                });
                let Some((location, param_name)) = located else {
                    return Err(syntax(
                        number,
                        "<ParamField> has no header=, body=, query= or path= attribute; \
                         the checker cannot tell what it documents",
                    ));
                };
                let ty = attrs
                    .iter()
                    .find(|(k, _)| k == "type")
                    .and_then(|(_, v)| v.clone())
                    .unwrap_or_default();
                let required = attrs.iter().any(|(k, v)| {
                    k == "required"
                        && !matches!(v.as_deref().map(str::trim), Some("false" | "{false}"))
                });
                self.params.push(Param {
                    name: param_name,
                    location,
                    ty,
                    required,
                    children: Vec::new(),
                    line: number,
                });
            }
            "Expandable" => self.expandables.push(number),
            "ResponseExample" => self.in_response_example = true,
            "RequestExample" => self.in_request_example = true,
            _ => {}
        }
        Ok(())
    }

    fn close_tag(&mut self, name: &str, number: usize) -> Result<(), ParseError> {
        match name {
            "ParamField" => {
                let param = self.params.pop().ok_or_else(|| {
                    syntax(number, "`</ParamField>` without an open <ParamField>")
                })?;
                match self.params.last_mut() {
                    Some(parent) => parent.children.push(param),
                    None => match param.location.as_str() {
                        "header" => self.page.headers.push(param),
                        "query" => self.page.query.push(param),
                        "path" => self.page.path_params.push(param),
                        _ => self.page.body.push(param),
                    },
                }
            }
            "Expandable" => {
                self.expandables.pop().ok_or_else(|| {
                    syntax(number, "`</Expandable>` without an open <Expandable>")
                })?;
            }
            "ResponseExample" => self.in_response_example = false,
            "RequestExample" => self.in_request_example = false,
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Page, ParseError> {
        if let Some(fence) = &self.fence {
            return Err(syntax(
                fence.line,
                format!(
                    "code block opened here is never closed; add a closing {}",
                    fence.marker.to_string().repeat(fence.len)
                ),
            ));
        }
        if let Some((_, line)) = &self.pending_tag {
            return Err(syntax(*line, "tag opened here is never closed with `>`"));
        }
        if let Some(param) = self.params.first() {
            return Err(syntax(
                param.line,
                format!(
                    "<ParamField {}=\"{}\"> is never closed; add </ParamField>",
                    param.location, param.name
                ),
            ));
        }
        if let Some(line) = self.expandables.first() {
            return Err(syntax(
                *line,
                "<Expandable> is never closed; add </Expandable>",
            ));
        }
        if let Some((close, line)) = self.comment {
            return Err(syntax(
                line,
                format!("comment opened here is never closed; add `{close}`"),
            ));
        }
        let page = &mut self.page;
        let chosen = page
            .endpoint_section
            .as_ref()
            .or(page.front_matter_api.as_ref());
        if let Some(endpoint) = chosen {
            page.method = Some(endpoint.method.clone());
            page.url = Some(endpoint.url.clone());
            page.path = Some(endpoint.path.clone());
        }
        page.success_status = page
            .status_evidence
            .iter()
            .find(|e| e.source == "example")
            .or_else(|| page.status_evidence.first())
            .map(|e| e.status);
        Ok(self.page)
    }
}

/// A Markdown ATX heading: level and text with emphasis markers removed.
fn heading(trimmed: &str) -> Option<(usize, String)> {
    let level = trimmed.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = trimmed.get(level..)?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').replace(['*', '`'], "");
    Some((level, text.trim().to_string()))
}

/// Index of the `>` that ends a tag whose attributes start at `text`, if on this line.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut braces = 0usize;
    for (idx, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{') => braces += 1,
            (None, '}') => braces = braces.saturating_sub(1),
            (None, '>') if braces == 0 => return Some(idx),
            _ => {}
        }
    }
    None
}

/// `body="x" type="string" required` → `[("body", Some("x")), ("type", ...), ("required", None)]`.
fn parse_attrs(text: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut attrs = Vec::new();
    let mut i = 0;
    loop {
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if i >= chars.len() {
            return Ok(attrs);
        }
        let start = i;
        while chars
            .get(i)
            .is_some_and(|c| !c.is_whitespace() && *c != '=')
        {
            i += 1;
        }
        let name: String = chars.get(start..i).unwrap_or(&[]).iter().collect();
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if chars.get(i) != Some(&'=') {
            attrs.push((name, None));
            continue;
        }
        i += 1;
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        let value = match chars.get(i) {
            Some(q @ ('"' | '\'')) => {
                let q = *q;
                let start = i + 1;
                let end = (start..chars.len())
                    .find(|&j| chars.get(j) == Some(&q))
                    .ok_or_else(|| format!("attribute `{name}` has an unclosed quote"))?;
                i = end + 1;
                chars
                    .get(start..end)
                    .unwrap_or(&[])
                    .iter()
                    .collect::<String>()
            }
            Some('{') => {
                let start = i;
                let mut depth = 0usize;
                let mut end = None;
                for (j, c) in chars.iter().enumerate().skip(i) {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let end = end.ok_or_else(|| format!("attribute `{name}` has an unclosed `{{`"))?;
                i = end + 1;
                chars
                    .get(start..=end)
                    .unwrap_or(&[])
                    .iter()
                    .collect::<String>()
            }
            _ => {
                let start = i;
                while chars.get(i).is_some_and(|c| !c.is_whitespace()) {
                    i += 1;
                }
                chars
                    .get(start..i)
                    .unwrap_or(&[])
                    .iter()
                    .collect::<String>()
            }
        };
        attrs.push((name, Some(value)));
    }
}

/// Success statuses named in prose: "return a 202 response", "HTTP 201", "status 200".
fn prose_statuses(text: &str) -> Vec<u16> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let boundary_before = start == 0
            || bytes
                .get(start - 1)
                .is_some_and(|b| !b.is_ascii_alphanumeric() && *b != b'.');
        let boundary_after = bytes.get(i).is_none_or(|b| !b.is_ascii_alphanumeric());
        if i - start != 3 || !boundary_before || !boundary_after {
            continue;
        }
        let Some(status) = text.get(start..i).and_then(|s| s.parse::<u16>().ok()) else {
            continue;
        };
        if !(200..=299).contains(&status) {
            continue;
        }
        let before = text
            .get(..start)
            .unwrap_or("")
            .trim_end()
            .to_ascii_lowercase();
        let after = text
            .get(i..)
            .unwrap_or("")
            .trim_start()
            .to_ascii_lowercase();
        let before_ok = [
            "return a",
            "returns a",
            "return",
            "returns",
            "with a",
            "status",
            "status code",
            "http",
        ]
        .iter()
        .any(|w| before.ends_with(w));
        let after_ok = [
            "response",
            "status",
            "accepted",
            "created",
            "ok",
            "no content",
        ]
        .iter()
        .any(|w| after.starts_with(w));
        if before_ok || after_ok {
            found.push(status);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_in_prose() {
        assert_eq!(
            prose_statuses("- This API may take up to 5 minutes to return a 202 response since"),
            vec![202]
        );
        assert_eq!(prose_statuses("It answers HTTP 201."), vec![201]);
        assert!(prose_statuses("Up to 100 items, 250 users, 2024 docs").is_empty());
        assert!(prose_statuses("returns a 404 response").is_empty());
    }

    #[test]
    fn attrs() {
        let a = parse_attrs(r#" body="data" type='object' required default={true} x"#).unwrap();
        assert_eq!(
            a,
            vec![
                ("body".into(), Some("data".into())),
                ("type".into(), Some("object".into())),
                ("required".into(), None),
                ("default".into(), Some("{true}".into())),
                ("x".into(), None),
            ]
        );
        assert!(parse_attrs(r#"body="x"#).is_err());
    }

    #[test]
    fn headings() {
        assert_eq!(
            heading("## **Example Request**"),
            Some((2, "Example Request".into()))
        );
        assert_eq!(heading("#hashtag"), None);
        assert_eq!(heading("####### seven"), None);
    }
}
