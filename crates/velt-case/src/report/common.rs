//! What the report's parts share: the view of one item or record (rendered by `item.html`),
//! values in words (users, times, documents, counts), and the streamed reading of NDJSON
//! files.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::dates::{parse_timestamp, time_in_words};
use crate::error::Error;

/// Sections of at most this many items are shown open; larger ones are folded.
pub(crate) const OPEN_UP_TO: u64 = 10;

/// Calls `f` with each line (without its newline) of `path`.
pub(crate) fn for_each_line(path: &Path, mut f: impl FnMut(u64, &[u8])) -> Result<(), Error> {
    for_each_line_until(path, |n, line| {
        f(n, line);
        true
    })
}

/// Calls `f` with each line of `path` until it returns false.
pub(crate) fn for_each_line_until(
    path: &Path,
    mut f: impl FnMut(u64, &[u8]) -> bool,
) -> Result<(), Error> {
    let file = File::open(path).map_err(|e| Error::io(path, "cannot read the file", e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io(path, "cannot read the file", e))?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        if !f(n, &line) {
            return Ok(());
        }
    }
}

/// `12,345`.
pub(crate) fn count_words(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Items in readable form.

/// What the item template shows. Every string is escaped by the template engine.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ItemView {
    pub(crate) kind: &'static str,
    pub(crate) title: String,
    pub(crate) facts: Vec<[String; 2]>,
    pub(crate) thread: Vec<CommentView>,
    pub(crate) texts: Vec<[String; 2]>,
    pub(crate) links: Vec<String>,
    pub(crate) fields: Vec<[String; 2]>,
    /// Whether the item is shown only as its fields (unknown shape): then the table is open.
    pub(crate) fields_only: bool,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct CommentView {
    pub(crate) author: String,
    pub(crate) when: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) html_source: Option<String>,
    pub(crate) extra: Vec<String>,
}

impl ItemView {
    pub(crate) fn fields(title: String, fields: Vec<[String; 2]>) -> ItemView {
        ItemView {
            kind: "fields",
            title,
            fields,
            fields_only: true,
            ..ItemView::default()
        }
    }
}

pub(crate) fn push_fact(facts: &mut Vec<[String; 2]>, label: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        facts.push([label.to_string(), v]);
    }
}

/// A string, or a number or boolean in words.
pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `{"name":..}` or a string, for statuses and priorities.
pub(crate) fn named(v: Option<&Value>) -> Option<String> {
    let v = v?;
    v.get("name")
        .or_else(|| v.get("id"))
        .and_then(text_of)
        .or_else(|| text_of(v))
}

/// A user as a person reads it: `Ana Example (ana@example.com)`, or the user id.
pub(crate) fn user_text(v: &Value) -> Option<String> {
    let name = v.get("name").and_then(text_of);
    let contact = v
        .get("email")
        .and_then(text_of)
        .or_else(|| v.get("userId").and_then(text_of));
    match (name, contact) {
        (Some(n), Some(c)) => Some(format!("{n} ({c})")),
        (Some(n), None) => Some(n),
        (None, Some(c)) => Some(c),
        (None, None) => v.as_str().map(str::to_string),
    }
}

pub(crate) fn time_of(v: Option<&Value>) -> Option<String> {
    let v = v?;
    parse_timestamp(v)
        .map(time_in_words)
        .or_else(|| text_of(v).filter(|s| !s.is_empty()))
}

/// The document an item belongs to: its title and id when both are known.
pub(crate) fn document(item: &Value) -> Option<String> {
    let title = item
        .pointer("/pageInfo/title")
        .or_else(|| item.pointer("/metadata/documentName"))
        .or_else(|| item.get("documentName"))
        .and_then(text_of);
    let id = item
        .get("documentId")
        .or_else(|| item.pointer("/metadata/documentId"))
        .and_then(text_of);
    let url = item.pointer("/pageInfo/url").and_then(text_of);
    let base = match (title, id) {
        (Some(t), Some(i)) => Some(format!("{t} ({i})")),
        (t, i) => t.or(i),
    };
    match (base, url) {
        (Some(b), Some(u)) => Some(format!("{b}, at {u}")),
        (b, u) => b.or(u),
    }
}

/// Every web address in the item (keys ending in `url`, any depth), shown as text; user
/// avatars (`photoUrl`) are left to the table of all fields.
pub(crate) fn links(item: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let lower = k.to_ascii_lowercase();
                    if lower.ends_with("url")
                        && lower != "photourl"
                        && let Value::String(s) = v
                    {
                        if !s.is_empty() && !out.contains(s) {
                            out.push(s.clone());
                        }
                        continue;
                    }
                    walk(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(item, &mut out);
    out
}

/// The item's top-level fields as rows: strings as they are, anything else as compact JSON.
pub(crate) fn field_rows(item: &Value) -> Vec<[String; 2]> {
    match item {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let shown = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => "(none)".to_string(),
                    other => other.to_string(),
                };
                [k.clone(), shown]
            })
            .collect(),
        other => vec![["value".into(), other.to_string()]],
    }
}

/// Any value as a person reads it: a string as it is, a user by name and contact, a named
/// thing (status, role) by its name, nothing as `(none)`, anything else as compact JSON.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "(none)".to_string(),
        Value::String(s) => s.clone(),
        Value::Object(map) if map.contains_key("userId") || map.contains_key("email") => {
            user_text(v).unwrap_or_else(|| v.to_string())
        }
        Value::Object(map) if map.len() <= 4 && map.contains_key("name") => {
            named(Some(v)).unwrap_or_else(|| v.to_string())
        }
        other => text_of(other).unwrap_or_else(|| other.to_string()),
    }
}

/// A share (`0.62`) as a percentage (`62%`); a number above 1 is taken as one already.
pub(crate) fn percent(v: Option<&Value>) -> Option<String> {
    let x = v?.as_f64()?;
    let x = if (0.0..=1.0).contains(&x) {
        x * 100.0
    } else {
        x
    };
    Some(format!("{x:.0}%"))
}

/// `singular` or `plural` for `n`.
pub(crate) fn plural<'a>(n: u64, singular: &'a str, plural: &'a str) -> &'a str {
    if n == 1 { singular } else { plural }
}
