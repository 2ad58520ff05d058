//! The URLs of files in one exported item: the fields Velt's data models name as file URLs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Fields that hold a file URL wherever they are (from Velt's SDK data models: `Comment`,
/// `Attachment`, `RecordedData`, `Transcription`, `RecorderDataAsset`, `User`).
pub const FILE_URL_FIELDS: [&str; 8] = [
    "commentVoiceUrl",
    "videoUrl",
    "audioUrl",
    "thumbnailUrl",
    "thumbnailWithPlayIconUrl",
    "vttUrl",
    "srtUrl",
    "photoUrl",
];

/// Containers whose items' `url` is a file (`attachments[].url`, `attachment.url`,
/// `assets[].url`); elsewhere `url` is often the page a comment was made on, not a file.
pub const FILE_CONTAINERS: [&str; 4] = ["attachments", "attachment", "assets", "assetsAllVersions"];

/// A file URL found in an item, and where: a JSON pointer into the item
/// (`/comments/0/attachments/1/url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundUrl {
    /// The URL as the item holds it.
    pub url: String,
    /// Where it is in the item.
    pub field_path: String,
}

/// Every file URL in `item` (any depth), in document order: the [`FILE_URL_FIELDS`]
/// anywhere, and `url` in the items of a [`FILE_CONTAINERS`] field (a list, a map keyed by
/// id, or one object). Only `http` and `https` values are taken (`blob:` and `data:` URLs of
/// local previews are not files on a server); whether one is fetched is the fetcher's rule.
pub fn find_file_urls(item: &Value) -> Vec<FoundUrl> {
    let mut found = Vec::new();
    walk(item, &mut String::new(), false, &mut found);
    found
}

fn walk(value: &Value, path: &mut String, in_container: bool, found: &mut Vec<FoundUrl>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                let is_file_field =
                    FILE_URL_FIELDS.contains(&key.as_str()) || (in_container && key == "url");
                match child {
                    Value::String(s) if is_file_field && is_http(s) => found.push(FoundUrl {
                        url: s.clone(),
                        field_path: path.clone(),
                    }),
                    Value::Object(_) | Value::Array(_)
                        if FILE_CONTAINERS.contains(&key.as_str()) =>
                    {
                        walk_container(child, path, found)
                    }
                    _ => walk(child, path, false, found),
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk(child, path, false, found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A container's items: a list of objects, a map of id to object, or one object.
fn walk_container(value: &Value, path: &mut String, found: &mut Vec<FoundUrl>) {
    let is_item = |v: &Value| v.as_object().is_some_and(|o| o.contains_key("url"));
    match value {
        Value::Object(map) if map.contains_key("url") => walk(value, path, true, found),
        Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                walk(child, path, is_item(child), found);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk(child, path, is_item(child), found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn is_http(s: &str) -> bool {
    let lower = s.trim_start().get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_file_fields_and_not_page_urls() {
        let item = json!({
            "annotationId": "ann-1",
            "location": {"url": "https://app.example.com/page"},
            "pageInfo": {"url": "https://app.example.com/page"},
            "comments": [{
                "commentVoiceUrl": "https://storage.googleapis.com/v/1.webm",
                "attachments": [
                    {"attachmentId": 1, "url": "https://storage.googleapis.com/a/1.pdf",
                     "thumbnailWithPlayIconUrl": "HTTPS://cdn.example/t.png"},
                    {"attachmentId": 2, "url": "blob:https://app.example.com/x"}
                ],
                "from": {"userId": "u", "photoUrl": "https://cdn.example/p.png"}
            }],
            "attachment": {"url": "https://storage.googleapis.com/old.webm"},
            "recordedData": {
                "videoUrl": "https://storage.googleapis.com/r/v.webm",
                "videoPlayerUrl": "https://velt.dev/player/1",
                "thumbnail": "data:image/png;base64,AAAA",
                "transcription": {"vttUrl": "https://storage.googleapis.com/r/t.vtt", "srtUrl": 3},
                "assets": {"a~/b": {"url": "https://storage.googleapis.com/r/asset.webm"}}
            }
        });
        let found: Vec<(String, String)> = find_file_urls(&item)
            .into_iter()
            .map(|f| (f.field_path, f.url))
            .collect();
        let expected = [
            (
                "/comments/0/commentVoiceUrl",
                "https://storage.googleapis.com/v/1.webm",
            ),
            (
                "/comments/0/attachments/0/url",
                "https://storage.googleapis.com/a/1.pdf",
            ),
            (
                "/comments/0/attachments/0/thumbnailWithPlayIconUrl",
                "HTTPS://cdn.example/t.png",
            ),
            ("/comments/0/from/photoUrl", "https://cdn.example/p.png"),
            ("/attachment/url", "https://storage.googleapis.com/old.webm"),
            (
                "/recordedData/videoUrl",
                "https://storage.googleapis.com/r/v.webm",
            ),
            (
                "/recordedData/transcription/vttUrl",
                "https://storage.googleapis.com/r/t.vtt",
            ),
            (
                "/recordedData/assets/a~0~1b/url",
                "https://storage.googleapis.com/r/asset.webm",
            ),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, u)| (p.to_string(), u.to_string()))
            .collect();
        assert_eq!(found, expected, "in document order");
    }
}
