//! The person's data in Velt's other stores, beside the GDPR export, read into the case for an
//! access request: per organization where the person was found, the activity records they
//! acted in (every page), their permissions and notification settings; once per user id, the
//! AI Memory reviewer profile and the judgments behind it. Each store's data lands in
//! `stores/` (recorded in the case, so `velt request check` verifies it) with a coverage row;
//! a store that fails or answers in part is a row that says so, never a silent gap.
//!
//! Velt documents the workspace's API key inside activity records and notification settings
//! (`metadata.apiKey`): a value under a key named like a credential (`apiKey`, `authToken`,
//! any case) is replaced by a note before anything is written. It is the company's secret,
//! not the person's data.

use std::collections::BTreeMap;

use serde_json::Value;
use velt_api::{
    Client,
    search::Search,
    stores::{ActivitiesQuery, JudgmentsQuery, NotificationConfigQuery, PermissionsQuery},
};
use velt_case::{
    CaseFolder,
    model::{self, CoverageRow, CoverageState, FileRole, file_stem},
    records::write_atomically,
};

use crate::{
    coverage::row,
    error::{Error, Result},
    event::{Event, Events},
};

/// What replaces a credential found in Velt's data.
pub const REDACTED: &str = "(removed: a credential of the company, not your data)";

/// Reads every store the docs name for the matches of `search` into the case, and returns
/// their coverage rows. A store that cannot be read is a `Failed` row (and an event), not an
/// error: the rest of the answer still stands. Errors are the case's own (a file that cannot
/// be written).
pub async fn collect_stores(
    client: &Client,
    case: &mut CaseFolder,
    search: &Search,
    names: &BTreeMap<String, String>,
    events: Events<'_>,
) -> Result<Vec<CoverageRow>> {
    let mut rows = Vec::new();
    let mut users_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in &search.matches {
        let users = users_of.entry(m.organization_id.clone()).or_default();
        if !users.contains(&m.user_id) {
            users.push(m.user_id.clone());
        }
    }
    for (organization, users) in &users_of {
        for user in users {
            let place = Place {
                folder: format!(
                    "{}/{}/{}",
                    model::STORES_DIR,
                    file_stem(organization),
                    file_stem(user)
                ),
                organization,
                user,
                names,
            };
            rows.push(activities(client, case, &place, events).await?);
            rows.push(permissions(client, case, &place, events).await?);
            rows.push(notification_settings(client, case, &place, events).await?);
        }
    }
    let mut user_ids: Vec<&String> = users_of.values().flatten().collect();
    user_ids.sort();
    user_ids.dedup();
    let organizations: Vec<String> = users_of.keys().cloned().collect();
    for user in user_ids {
        let folder = format!("{}/memory/{}", model::STORES_DIR, file_stem(user));
        rows.push(profile(client, case, &folder, user, events).await?);
        rows.push(judgments(client, case, &folder, user, &organizations, events).await?);
    }
    Ok(rows)
}

/// One user in one organization, and the case folder of their stores there.
struct Place<'a> {
    folder: String,
    organization: &'a str,
    user: &'a str,
    names: &'a BTreeMap<String, String>,
}

impl Place<'_> {
    /// A coverage row of `store` in this organization.
    fn row(&self, store: &str, label: &str) -> CoverageRow {
        row(store, label, Some(self.organization), self.names)
    }
}

async fn activities(
    client: &Client,
    case: &mut CaseFolder,
    place: &Place<'_>,
    events: Events<'_>,
) -> Result<CoverageRow> {
    let (folder, organization, user) = (&place.folder, place.organization, place.user);
    let mut row = place.row("activities", "Activity log: each action you took, with the item as it was and the values before and after");
    let read = client
        .list_activities(ActivitiesQuery::of_user(organization, user))
        .collect()
        .await;
    match read {
        Ok(records) => {
            let lines: Vec<String> = records.iter().map(|r| line(r.raw().as_str())).collect();
            let path = format!("{folder}/activities.ndjson");
            let bytes = write_lines(case, &path, &lines)?;
            found(&mut row, &path, bytes, records.len(), events);
        }
        Err(error) => failed(&mut row, &error, events),
    }
    Ok(row)
}

async fn permissions(
    client: &Client,
    case: &mut CaseFolder,
    place: &Place<'_>,
    events: Events<'_>,
) -> Result<CoverageRow> {
    let (folder, organization, user) = (&place.folder, place.organization, place.user);
    let mut row = place.row(
        "permissions",
        "Access: your permissions in the organization, its folders and documents",
    );
    match client
        .permissions(&PermissionsQuery::new(organization, [user]))
        .await
    {
        Ok(permissions) => {
            let path = format!("{folder}/permissions.json");
            let bytes = write_lines(case, &path, &[line(permissions.data.as_str())])?;
            let entries = permissions
                .of_user(user)
                .map(|v| count_entries(&v))
                .unwrap_or(0);
            found(&mut row, &path, bytes, entries, events);
        }
        Err(error) => failed(&mut row, &error, events),
    }
    Ok(row)
}

async fn notification_settings(
    client: &Client,
    case: &mut CaseFolder,
    place: &Place<'_>,
    events: Events<'_>,
) -> Result<CoverageRow> {
    let (folder, organization, user) = (&place.folder, place.organization, place.user);
    let mut row = place.row(
        "notificationSettings",
        "Notification settings: which notifications you receive, and how",
    );
    match client
        .notification_config(&NotificationConfigQuery::organization_level(
            organization,
            user,
        ))
        .await
    {
        Ok(settings) => {
            let lines: Vec<String> = settings.iter().map(|s| line(s.raw().as_str())).collect();
            let path = format!("{folder}/notification-settings.ndjson");
            let bytes = write_lines(case, &path, &lines)?;
            found(&mut row, &path, bytes, settings.len(), events);
            row.note = Some(
                "the organization-level settings; settings of single documents are read per document, and none was asked for"
                    .to_owned(),
            );
        }
        Err(error) => failed(&mut row, &error, events),
    }
    Ok(row)
}

async fn profile(
    client: &Client,
    case: &mut CaseFolder,
    folder: &str,
    user: &str,
    events: Events<'_>,
) -> Result<CoverageRow> {
    let mut row = row(
        "memoryProfile",
        "AI Memory: the reviewer profile derived from your review decisions (approval rate, top flags, peak hours, last active)",
        None,
        &BTreeMap::new(),
    );
    match client.reviewer_profile(user).await {
        Ok(Some(profile)) => {
            let path = format!("{folder}/profile.json");
            let bytes = write_lines(case, &path, &[line(profile.raw().as_str())])?;
            found(&mut row, &path, bytes, 1, events);
        }
        Ok(None) => {
            row.items = Some(0);
            row.note = Some("Velt holds no reviewer profile of you".to_owned());
            events(Event::StoreRead {
                store: row.store.clone(),
                organization_id: None,
                items: 0,
            });
        }
        Err(error) => failed(&mut row, &error, events),
    }
    Ok(row)
}

async fn judgments(
    client: &Client,
    case: &mut CaseFolder,
    folder: &str,
    user: &str,
    organizations: &[String],
    events: Events<'_>,
) -> Result<CoverageRow> {
    let mut row = row(
        "judgments",
        "AI Memory: the review decisions (judgments) recorded of you",
        None,
        &BTreeMap::new(),
    );
    let query = JudgmentsQuery::reviewer(user).organizations(organizations.iter().cloned());
    match client.query_judgments(&query).await {
        Ok(gathered) => {
            let lines: Vec<String> = gathered
                .items
                .iter()
                .map(|j| line(j.raw().as_str()))
                .collect();
            let path = format!("{folder}/judgments.ndjson");
            let bytes = write_lines(case, &path, &lines)?;
            found(&mut row, &path, bytes, gathered.items.len(), events);
            if !gathered.is_complete() {
                let parts: Vec<String> = gathered
                    .gaps
                    .iter()
                    .map(|gap| {
                        let mut part = gap
                            .organization_id
                            .clone()
                            .unwrap_or_else(|| "the workspace".to_owned());
                        if let Some(decision) = &gap.decision {
                            part.push_str(&format!(", decision {decision}"));
                        }
                        part
                    })
                    .collect();
                row.state = CoverageState::Partial;
                let reason = format!(
                    "possibly incomplete: Velt answers at most 100 judgments a query and offers no next page; still at that limit after splitting: {}",
                    parts.join("; ")
                );
                events(Event::StoreIncomplete {
                    store: row.store.clone(),
                    organization_id: None,
                    reason: reason.clone(),
                });
                row.note = Some(reason);
            }
        }
        Err(error) => failed(&mut row, &error, events),
    }
    Ok(row)
}

/// Marks `row` collected from `path` (`bytes` long) with `items` records.
fn found(row: &mut CoverageRow, path: &str, bytes: u64, items: usize, events: Events<'_>) {
    row.items = Some(items as u64);
    row.bytes = Some(bytes);
    row.files.push(path.to_owned());
    events(Event::StoreRead {
        store: row.store.clone(),
        organization_id: row.organization_id.clone(),
        items,
    });
}

/// Marks `row` failed with `error` (the client's errors never hold a credential).
fn failed(row: &mut CoverageRow, error: &velt_api::Error, events: Events<'_>) {
    row.state = CoverageState::Failed;
    let reason = format!("could not be read: {error}");
    events(Event::StoreIncomplete {
        store: row.store.clone(),
        organization_id: row.organization_id.clone(),
        reason: reason.clone(),
    });
    row.note = Some(reason);
}

/// Writes `lines` (one JSON value each) to the case-relative `path` atomically and records
/// it; returns its length.
fn write_lines(case: &mut CaseFolder, path: &str, lines: &[String]) -> Result<u64> {
    let full = case.dir().join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::file("create", parent, e))?;
    }
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    write_atomically(&full, text.as_bytes()).map_err(|e| Error::file("write", full.clone(), e))?;
    case.record_file(path, FileRole::StoreData)?;
    Ok(text.len() as u64)
}

/// One JSON value as Velt sent it, on one line, with credentials removed. Velt's text is kept
/// byte for byte unless it holds a credential (then it is re-serialized without it); a line
/// break inside it can only be whitespace between tokens, and becomes a space.
fn line(raw: &str) -> String {
    if let Ok(mut value) = serde_json::from_str::<Value>(raw)
        && redact(&mut value)
    {
        return serde_json::to_string(&value).unwrap_or_else(|_| String::from("null"));
    }
    raw.replace(['\n', '\r'], " ")
}

/// Replaces every value under a key named like a credential; true when one was found.
fn redact(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut found = false;
            for (key, v) in map.iter_mut() {
                if is_credential(key) && !v.is_null() {
                    *v = Value::String(REDACTED.to_owned());
                    found = true;
                } else {
                    found |= redact(v);
                }
            }
            found
        }
        Value::Array(items) => items.iter_mut().fold(false, |found, v| redact(v) | found),
        _ => false,
    }
}

fn is_credential(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['_', '-'], "");
    matches!(
        key.as_str(),
        "apikey" | "authtoken" | "accesstoken" | "secret" | "password"
    )
}

/// How many entries a user's permissions hold: the resources named under each kind.
fn count_entries(value: &Value) -> usize {
    match value {
        Value::Object(kinds) => kinds
            .values()
            .map(|v| match v {
                Value::Object(resources) => resources.len(),
                Value::Array(items) => items.len(),
                Value::Null => 0,
                _ => 1,
            })
            .sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_removed_and_the_rest_kept() {
        let raw = r#"{"id":"a1","metadata":{"apiKey":"key-123","userId":"u"},"items":[{"authToken":"t"}]}"#;
        let out = line(raw);
        assert!(!out.contains("key-123") && !out.contains("\"t\""), "{out}");
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["metadata"]["userId"], "u");
        assert_eq!(value["metadata"]["apiKey"], REDACTED);
        // Without a credential, Velt's bytes as they were (a line break as a space).
        let plain = "{\"id\": 1,\n \"n\": 1.0}";
        assert_eq!(line(plain), "{\"id\": 1,  \"n\": 1.0}");
    }
}
