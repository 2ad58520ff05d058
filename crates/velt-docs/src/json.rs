//! The relaxed JSON found in Velt's examples.
//!
//! Velt's example blocks are almost JSON: `[..]` stands for "some items", `// ...` comments
//! follow values, and a trailing comma slips in now and then. [`parse_relaxed_json`] blanks
//! those out (replacing them with spaces, so that line and column numbers stay those of the
//! page) and hands the rest to `serde_json`.

use crate::page::ParseError;

/// Parses an example block written in Velt's relaxed JSON.
///
/// Accepted on top of strict JSON, always outside string literals:
/// - `//` line comments and `/* ... */` block comments;
/// - ellipses (`..`, `...` or `…`) standing for omitted items: `[..]` becomes `[]`,
///   `[1, ..]` becomes `[1]`;
/// - a trailing comma before `}` or `]`.
///
/// The error's line is relative to `text` (1-based).
///
/// ```
/// let value = velt_docs::parse_relaxed_json(r#"{ "items": [..], // some items
///   "next": "t", }"#).unwrap();
/// assert_eq!(value, serde_json::json!({ "items": [], "next": "t" }));
/// ```
pub fn parse_relaxed_json(text: &str) -> Result<serde_json::Value, ParseError> {
    let cleaned = blank_relaxed_syntax(text)?;
    serde_json::from_str(&cleaned).map_err(|e| {
        let full = e.to_string();
        // serde_json appends " at line L column C"; keep the cause, restate the position.
        let cause = full.rfind(" at line ").map_or(full.as_str(), |idx| {
            full.get(..idx).unwrap_or(full.as_str())
        });
        ParseError::Syntax {
            line: e.line().max(1),
            message: format!(
                "invalid JSON in example (column {}): {cause}; fix the example block",
                e.column()
            ),
        }
    })
}

/// Replaces comments, ellipses and trailing commas by spaces, keeping every newline.
fn blank_relaxed_syntax(text: &str) -> Result<String, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    // Index in `out` of the last significant (non-blank) character written.
    let mut last_significant: Option<usize> = None;
    let mut line = 1usize;
    let mut i = 0usize;
    while let Some(&c) = chars.get(i) {
        match c {
            '"' => {
                // Copy the string literal verbatim, escapes included.
                out.push(c);
                i += 1;
                let start_line = line;
                let mut closed = false;
                while let Some(&s) = chars.get(i) {
                    out.push(s);
                    i += 1;
                    if s == '\\' {
                        if let Some(&escaped) = chars.get(i) {
                            out.push(escaped);
                            i += 1;
                        }
                    } else if s == '"' {
                        closed = true;
                        break;
                    } else if s == '\n' {
                        line += 1;
                    }
                }
                if !closed {
                    return Err(ParseError::Syntax {
                        line: start_line,
                        message: "string literal is never closed; add the closing `\"`".into(),
                    });
                }
                last_significant = Some(out.len() - 1);
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while let Some(&s) = chars.get(i) {
                    if s == '\n' {
                        break;
                    }
                    out.push(' ');
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                let start_line = line;
                out.push(' ');
                out.push(' ');
                i += 2;
                let mut closed = false;
                while let Some(&s) = chars.get(i) {
                    if s == '*' && chars.get(i + 1) == Some(&'/') {
                        out.push(' ');
                        out.push(' ');
                        i += 2;
                        closed = true;
                        break;
                    }
                    if s == '\n' {
                        line += 1;
                        out.push('\n');
                    } else {
                        out.push(' ');
                    }
                    i += 1;
                }
                if !closed {
                    return Err(ParseError::Syntax {
                        line: start_line,
                        message: "`/*` comment is never closed; add `*/`".into(),
                    });
                }
            }
            '.' | '…' if is_ellipsis(&chars, i) => {
                while let Some(&s) = chars.get(i) {
                    if s != '.' && s != '…' {
                        break;
                    }
                    out.push(' ');
                    i += 1;
                }
                // An ellipsis stands for items: drop the comma that separates it from the next.
                let mut j = i;
                while chars.get(j).is_some_and(|s| s.is_whitespace()) {
                    j += 1;
                }
                if chars.get(j) == Some(&',') {
                    while i <= j {
                        if chars.get(i) == Some(&'\n') {
                            line += 1;
                            out.push('\n');
                        } else {
                            out.push(' ');
                        }
                        i += 1;
                    }
                }
            }
            '}' | ']' => {
                if let Some(idx) = last_significant
                    && out.get(idx) == Some(&',')
                    && let Some(slot) = out.get_mut(idx)
                {
                    *slot = ' ';
                }
                out.push(c);
                last_significant = Some(out.len() - 1);
                i += 1;
            }
            '\n' => {
                line += 1;
                out.push(c);
                i += 1;
            }
            c if c.is_whitespace() => {
                out.push(c);
                i += 1;
            }
            _ => {
                out.push(c);
                last_significant = Some(out.len() - 1);
                i += 1;
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// True when the dot at `i` starts an ellipsis rather than belonging to a number.
fn is_ellipsis(chars: &[char], i: usize) -> bool {
    if chars.get(i) == Some(&'…') {
        return true;
    }
    let prev_is_digit = i
        .checked_sub(1)
        .and_then(|p| chars.get(p))
        .is_some_and(|c| c.is_ascii_digit());
    !prev_is_digit && chars.get(i + 1) == Some(&'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_json_passes_through() {
        let v = parse_relaxed_json(r#"{"a": [1, 2.5, "x//y", "..", null]}"#).unwrap();
        assert_eq!(v, json!({"a": [1, 2.5, "x//y", "..", null]}));
    }

    #[test]
    fn ellipsis_and_comments_and_trailing_commas() {
        let text = "{\n  \"a\": [..], // note\n  \"b\": [1, ...],\n  \"c\": [.., 2],\n  /* x */ \"d\": {\"e\": 1,},\n}";
        let v = parse_relaxed_json(text).unwrap();
        assert_eq!(v, json!({"a": [], "b": [1], "c": [2], "d": {"e": 1}}));
    }

    #[test]
    fn unicode_ellipsis() {
        assert_eq!(parse_relaxed_json("[…]").unwrap(), json!([]));
    }

    #[test]
    fn errors_carry_the_line() {
        let err = parse_relaxed_json("{\n  \"a\": 1\n  \"b\": 2\n}").unwrap_err();
        assert_eq!(err.line(), Some(3), "{err}");
        let err = parse_relaxed_json("{\n\"a\": \"open\n}").unwrap_err();
        assert_eq!(err.line(), Some(2), "{err}");
        let err = parse_relaxed_json("{ /* never closed").unwrap_err();
        assert!(err.to_string().contains("*/"), "{err}");
    }

    #[test]
    fn escaped_quote_inside_string() {
        let v = parse_relaxed_json(r#"{"a": "say \"hi\" // not a comment"}"#).unwrap();
        assert_eq!(v, json!({"a": "say \"hi\" // not a comment"}));
    }
}
