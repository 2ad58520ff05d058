//! The data of Velt's other stores the case recorded (under `stores/`), in readable form:
//! activity records, permissions, notification settings, the AI Memory profile and
//! judgments. Each file is one section, its records streamed and capped as the export's
//! items are; every value is text for the template engine to escape.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use minijinja::{Environment, context};
use serde_json::Value;

use crate::error::Error;
use crate::model::{Case, FileRole};
use crate::report::common::{
    ItemView, OPEN_UP_TO, count_words, document, field_rows, for_each_line, for_each_line_until,
    links, percent, plural, push_fact, text_of, time_of, user_text, value_text,
};
use crate::report::coverage::{organization_names, organization_words};

/// What the store sections hold.
#[derive(Debug, Default)]
pub(crate) struct StoresRendered {
    /// Records in the store files (lines of the NDJSON files, one per JSON file).
    pub(crate) records: u64,
    /// Records rendered in full.
    pub(crate) shown: u64,
}

/// The kinds of store files, by their name in `stores/ORG/USER/` or `stores/memory/USER/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Activities,
    Permissions,
    NotificationSettings,
    Profile,
    Judgments,
    Other,
}

impl Kind {
    fn of(path: &str) -> Kind {
        match path.rsplit('/').next().unwrap_or_default() {
            "activities.ndjson" => Kind::Activities,
            "permissions.json" => Kind::Permissions,
            "notification-settings.ndjson" => Kind::NotificationSettings,
            "profile.json" => Kind::Profile,
            "judgments.ndjson" => Kind::Judgments,
            _ => Kind::Other,
        }
    }

    /// Heading, and the records in words (singular, plural).
    fn words(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Kind::Activities => ("Activity log", "activity record", "activity records"),
            Kind::Permissions => ("Access and permissions", "record", "records"),
            Kind::NotificationSettings => ("Notification settings", "setting", "settings"),
            Kind::Profile => ("AI Memory: your reviewer profile", "profile", "profiles"),
            Kind::Judgments => ("AI Memory: your review decisions", "judgment", "judgments"),
            Kind::Other => ("Other data", "record", "records"),
        }
    }

    /// Whether the store is kept per user rather than per organization (the AI Memory's).
    fn per_user(self) -> bool {
        matches!(self, Kind::Profile | Kind::Judgments)
    }

    fn about(self) -> Option<&'static str> {
        match self {
            Kind::Activities => Some(
                "Each action you took, as Velt logged it: what was done, when, the item as it was, and the values before and after.",
            ),
            Kind::Permissions => Some(
                "Your access to the organization, its folders and documents, as Velt resolves it.",
            ),
            Kind::NotificationSettings => {
                Some("Which notifications you receive, and through which channel.")
            }
            Kind::Profile => Some(
                "What Velt's AI Memory derived from your review decisions: how often you approve, what you flag, when you are active.",
            ),
            Kind::Judgments => Some(
                "The review decisions recorded of you, each with its reasoning, as Velt's AI Memory keeps them.",
            ),
            Kind::Other => None,
        }
    }
}

/// Renders one section per store file of the case (role [`FileRole::StoreData`]), the
/// records of each up to `cap`.
pub(crate) fn render_stores(
    env: &Environment<'_>,
    dir: &Path,
    case: &Case,
    cap: u64,
    out: &mut dyn Write,
) -> Result<StoresRendered, Error> {
    let names = organization_names(case);
    // Per organization and user first, the AI Memory (per user) after; in each folder, the
    // kinds in the order of [`Kind`].
    let mut files: Vec<&str> = case
        .files
        .iter()
        .filter(|f| f.role == FileRole::StoreData)
        .map(|f| f.path.as_str())
        .collect();
    files.sort_by_key(|path| {
        let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
        let kind = Kind::of(path);
        (
            kind.per_user(),
            folder.to_string(),
            kind as u8,
            path.to_string(),
        )
    });
    let start = env
        .get_template("store_start.html")
        .map_err(Error::Template)?;
    let end = env
        .get_template("store_end.html")
        .map_err(Error::Template)?;
    let item = env.get_template("item.html").map_err(Error::Template)?;
    start
        .render_captured_to(
            context! { intro => true, empty => files.is_empty() },
            &mut *out,
        )
        .map_err(Error::Template)?;
    let mut rendered = StoresRendered::default();
    for (n, relative) in files.iter().enumerate() {
        let kind = Kind::of(relative);
        let (heading, one, many) = kind.words();
        let path = relative
            .split('/')
            .fold(dir.to_path_buf(), |p, s| p.join(s));
        let mut total: u64 = 0;
        for_each_line(&path, |_, _| total += 1)?;
        rendered.records += total;
        let place = place_of(case, relative, kind, &names);
        let heading = match place {
            Some(place) => format!("{heading} {place}"),
            None => heading.to_string(),
        };
        start
            .render_captured_to(
                context! {
                    n => n + 1, heading => &heading, about => kind.about(),
                    count => count_words(total), unit => plural(total, one, many),
                    open => total <= OPEN_UP_TO,
                },
                &mut *out,
            )
            .map_err(Error::Template)?;
        let mut shown: u64 = 0;
        let mut failure = None;
        for_each_line_until(&path, |_, raw| {
            if shown >= cap {
                return false;
            }
            shown += 1;
            let views = match serde_json::from_slice::<Value>(raw) {
                Ok(value) => views_of(kind, &value, shown),
                Err(e) => vec![ItemView::fields(
                    format!("Record #{shown}"),
                    vec![["unreadable record".into(), e.to_string()]],
                )],
            };
            for view in views {
                if let Err(e) = item.render_captured_to(&view, &mut *out) {
                    failure = Some(e);
                    return false;
                }
            }
            true
        })?;
        if let Some(e) = failure {
            return Err(Error::Template(e));
        }
        rendered.shown += shown;
        end.render_captured_to(
            context! {
                capped => shown < total, shown => count_words(shown), total => count_words(total),
                unit => many, file => relative,
            },
            &mut *out,
        )
        .map_err(Error::Template)?;
    }
    end.render_captured_to(context! { outro => true }, &mut *out)
        .map_err(Error::Template)?;
    Ok(rendered)
}

/// `in Acme (org-1)` for the file's organization (from the coverage row that names the file,
/// else the folder's name), or `None` for the AI Memory files, which are per user.
fn place_of(
    case: &Case,
    relative: &str,
    kind: Kind,
    names: &BTreeMap<String, String>,
) -> Option<String> {
    let row = case
        .coverage
        .iter()
        .find(|r| r.files.iter().any(|f| f == relative));
    if let Some(id) = row.and_then(|r| r.organization_id.as_deref()) {
        return Some(format!("in {}", organization_words(id, names)));
    }
    let segments: Vec<&str> = relative.split('/').collect();
    match segments.as_slice() {
        [_, org, _, _] if !kind.per_user() => Some(format!("in {org}")),
        _ => None,
    }
}

/// The views of one record of a store file.
fn views_of(kind: Kind, value: &Value, n: u64) -> Vec<ItemView> {
    if !value.is_object() {
        return vec![ItemView::fields(format!("Record #{n}"), field_rows(value))];
    }
    match kind {
        Kind::Activities => vec![activity_view(value, n)],
        Kind::Permissions => permissions_views(value),
        Kind::NotificationSettings => vec![notification_setting_view(value, n)],
        Kind::Profile => vec![profile_view(value)],
        Kind::Judgments => vec![judgment_view(value, n)],
        Kind::Other => vec![ItemView::fields(format!("Record #{n}"), field_rows(value))],
    }
}

/// An activity record: the action, when, who, on what, the values before and after, and
/// the item as it was.
fn activity_view(record: &Value, n: u64) -> ItemView {
    let action = record
        .get("actionType")
        .and_then(text_of)
        .unwrap_or_else(|| "(action not given)".into());
    let mut facts = Vec::new();
    push_fact(&mut facts, "When", time_of(record.get("timestamp")));
    push_fact(
        &mut facts,
        "Feature",
        record.get("featureType").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Event",
        record.get("eventType").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "By",
        record.get("actionUser").and_then(user_text),
    );
    push_fact(&mut facts, "Document", document(record));
    push_fact(
        &mut facts,
        "On",
        record.get("targetEntityId").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Part",
        record.get("targetSubEntityId").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Message",
        record
            .get("displayMessageTemplate")
            .and_then(Value::as_str)
            .map(|t| fill_braces(t, record)),
    );
    push_fact(
        &mut facts,
        "Cannot be changed or deleted",
        record
            .get("immutable")
            .and_then(Value::as_bool)
            .map(|b| if b { "yes" } else { "no" }.to_string()),
    );
    let mut texts = Vec::new();
    if let Some(changes) = record.get("changes").and_then(Value::as_object) {
        for (field, change) in changes {
            let side = |name: &str| {
                change
                    .get(name)
                    .map(value_text)
                    .unwrap_or_else(|| "(none)".into())
            };
            let text = if change.get("from").is_some() || change.get("to").is_some() {
                format!("before: {}\nafter: {}", side("from"), side("to"))
            } else {
                value_text(change)
            };
            texts.push([format!("Changed \u{201c}{field}\u{201d}"), text]);
        }
    }
    for (key, label) in [
        ("entityData", "The item as it was"),
        ("entityTargetData", "The part of it acted on"),
        ("displayMessageTemplateData", "Values of the message"),
    ] {
        if let Some(v) = record.get(key).filter(|v| !v.is_null()) {
            texts.push([label.into(), value_text(v)]);
        }
    }
    ItemView {
        kind: "activity",
        title: format!("Activity #{n}: {action}"),
        facts,
        texts,
        links: links(record),
        fields: field_rows(record),
        ..ItemView::default()
    }
}

/// `{{user}} added {{actionUser.name}}`: each `{{path}}` filled from the record's template
/// data, or the record itself (dotted paths), as text; an unknown name stays as written.
fn fill_braces(template: &str, record: &Value) -> String {
    let data = record.get("displayMessageTemplateData");
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = after[..end].trim();
        let pointer = format!("/{}", name.replace('.', "/"));
        let value = data
            .and_then(|d| d.pointer(&pointer))
            .or_else(|| record.pointer(&pointer))
            .filter(|v| !v.is_null());
        match value {
            Some(v) => out.push_str(&user_text(v).unwrap_or_else(|| value_text(v))),
            None => {
                out.push_str("{{");
                out.push_str(&after[..end]);
                out.push_str("}}");
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Permissions as Velt answers them: per user id, the organization, folders and documents
/// with the role, the access type and any expiry or error; or one user's, unkeyed.
fn permissions_views(value: &Value) -> Vec<ItemView> {
    const KINDS: [&str; 4] = ["organization", "folders", "documents", "context"];
    let Some(map) = value.as_object() else {
        return Vec::new();
    };
    let per_user =
        !map.keys().any(|k| KINDS.contains(&k.as_str())) && map.values().all(Value::is_object);
    let users: Vec<(Option<&str>, &Value)> = if per_user {
        map.iter().map(|(k, v)| (Some(k.as_str()), v)).collect()
    } else {
        vec![(None, value)]
    };
    users
        .into_iter()
        .map(|(user, access)| {
            let mut facts = Vec::new();
            for (kind, label) in [
                ("organization", "Organization"),
                ("folders", "Folder"),
                ("documents", "Document"),
            ] {
                let Some(resources) = access.get(kind).and_then(Value::as_object) else {
                    continue;
                };
                for (id, grant) in resources {
                    facts.push([format!("{label} {id}"), grant_words(grant)]);
                }
            }
            if let Some(fields) = access
                .pointer("/context/accessFields")
                .and_then(Value::as_array)
            {
                let fields: Vec<String> = fields.iter().map(value_text).collect();
                push_fact(&mut facts, "Access fields", Some(fields.join(", ")));
            }
            ItemView {
                kind: "permissions",
                title: match user {
                    Some(user) => format!("Access of user {user}"),
                    None => "Your access".to_string(),
                },
                facts,
                fields: field_rows(access),
                ..ItemView::default()
            }
        })
        .collect()
}

/// `editor (restricted), until 3 March 2026, 14:05 UTC`, or the error Velt gave.
fn grant_words(grant: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(role) = grant.get("accessRole").and_then(text_of) {
        parts.push(role);
    }
    if let Some(kind) = grant.get("accessType").and_then(text_of) {
        parts.push(format!("access {kind}"));
    }
    // Seconds, as the page says (the dates read seconds and milliseconds alike).
    if let Some(until) = time_of(grant.get("expiresAt")) {
        parts.push(format!("until {until}"));
    }
    if let Some(error) = grant.get("error").and_then(text_of) {
        let code = grant
            .get("errorCode")
            .and_then(text_of)
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        parts.push(format!("no access: {error}{code}"));
    }
    if parts.is_empty() {
        value_text(grant)
    } else {
        parts.join(", ")
    }
}

/// One notification setting: where it applies and each channel's choice.
fn notification_setting_view(setting: &Value, n: u64) -> ItemView {
    let mut facts = Vec::new();
    push_fact(
        &mut facts,
        "Organization",
        setting
            .pointer("/metadata/organizationId")
            .and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Document",
        setting.pointer("/metadata/documentId").and_then(text_of),
    );
    if let Some(config) = setting.get("config").and_then(Value::as_object) {
        for (channel, choice) in config {
            facts.push([
                format!("Channel \u{201c}{channel}\u{201d}"),
                value_text(choice),
            ]);
        }
    }
    let level = if setting.pointer("/metadata/documentId").is_some() {
        "for a document"
    } else {
        "for the organization"
    };
    ItemView {
        kind: "setting",
        title: format!("Notification settings #{n}, {level}"),
        facts,
        fields: field_rows(setting),
        ..ItemView::default()
    }
}

/// The AI Memory reviewer profile.
fn profile_view(profile: &Value) -> ItemView {
    let mut facts = Vec::new();
    push_fact(&mut facts, "Name", profile.get("name").and_then(text_of));
    push_fact(&mut facts, "Email", profile.get("email").and_then(text_of));
    push_fact(
        &mut facts,
        "User id",
        profile.get("userId").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Review decisions",
        profile.get("totalJudgments").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Approval rate",
        percent(profile.get("approvalRate")),
    );
    let list = |key: &str, f: &dyn Fn(&Value) -> String| {
        profile
            .get(key)
            .and_then(Value::as_array)
            .map(|items| items.iter().map(f).collect::<Vec<_>>().join(", "))
    };
    push_fact(
        &mut facts,
        "What you flag most",
        list("topFlags", &|flag| match (
            flag.get("issue").and_then(text_of),
            flag.get("count").and_then(text_of),
        ) {
            (Some(issue), Some(count)) => format!("{issue} ({count} times)"),
            _ => value_text(flag),
        }),
    );
    push_fact(
        &mut facts,
        "Kinds of content",
        list("contentTypes", &value_text),
    );
    push_fact(
        &mut facts,
        "Hours you are most active",
        list("peakHours", &value_text),
    );
    push_fact(
        &mut facts,
        "Last active",
        time_of(profile.get("lastActive")),
    );
    push_fact(
        &mut facts,
        "Eligible for a review twin",
        profile
            .get("twinEligible")
            .and_then(Value::as_bool)
            .map(|b| if b { "yes" } else { "no" }.to_string()),
    );
    push_fact(
        &mut facts,
        "Accuracy of the review twin",
        percent(profile.get("twinAccuracy")),
    );
    let mut texts = Vec::new();
    if let Some(orgs) = profile.get("orgBreakdown").and_then(Value::as_object) {
        for (key, org) in orgs {
            let id = org
                .get("clientOrganizationId")
                .and_then(text_of)
                .unwrap_or_else(|| key.clone());
            let judgments = org.get("judgments").and_then(text_of).unwrap_or_default();
            let approvals = org.get("approvals").and_then(text_of).unwrap_or_default();
            let rate = percent(org.get("approvalRate"))
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            texts.push([
                format!("In organization {id}"),
                format!("{judgments} decisions, {approvals} approvals{rate}"),
            ]);
        }
    }
    for standard in profile
        .get("evolvedStandards")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let topic = standard
            .get("topic")
            .and_then(text_of)
            .unwrap_or_else(|| "(topic not given)".into());
        let since = time_of(standard.get("shiftDate"))
            .map(|t| format!(" (since {t})"))
            .unwrap_or_default();
        let old = standard
            .get("oldPattern")
            .map(value_text)
            .unwrap_or_default();
        let new = standard
            .get("newPattern")
            .map(value_text)
            .unwrap_or_default();
        texts.push([
            format!("How you judge \u{201c}{topic}\u{201d} changed{since}"),
            format!("before: {old}\nnow: {new}"),
        ]);
    }
    ItemView {
        kind: "profile",
        title: "Your reviewer profile".to_string(),
        facts,
        texts,
        fields: field_rows(profile),
        ..ItemView::default()
    }
}

/// One judgment: the decision, its reasoning, who decided, when.
fn judgment_view(judgment: &Value, n: u64) -> ItemView {
    let decision = judgment
        .get("decision")
        .and_then(text_of)
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    let mut facts = Vec::new();
    push_fact(&mut facts, "When", time_of(judgment.get("createdAt")));
    push_fact(
        &mut facts,
        "Decided by",
        judgment.get("actionUser").and_then(user_text),
    );
    push_fact(
        &mut facts,
        "Judged by",
        judgment.get("judgeType").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Agent",
        judgment
            .pointer("/agent/agentName")
            .or_else(|| judgment.pointer("/agent/name"))
            .and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Kind of content",
        judgment.get("contentType").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Confidence",
        percent(judgment.get("confidence")),
    );
    push_fact(
        &mut facts,
        "Organization (Velt's id)",
        judgment.get("organizationId").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Document (Velt's id)",
        judgment.get("documentId").and_then(text_of),
    );
    let mut texts = Vec::new();
    if let Some(reasoning) = judgment.get("reasoning").filter(|v| !v.is_null()) {
        texts.push(["Reasoning".to_string(), value_text(reasoning)]);
    }
    ItemView {
        kind: "judgment",
        title: format!("Judgment #{n}{decision}"),
        facts,
        texts,
        links: links(judgment),
        fields: field_rows(judgment),
        ..ItemView::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn activity_messages_are_filled_and_changes_shown_before_and_after() {
        let record = json!({
            "actionType": "comment.update",
            "actionUser": {"userId": "u-1", "name": "Ana"},
            "displayMessageTemplate": "{{actionUser.name}} edited {{ thing }} {{missing}}",
            "displayMessageTemplateData": {"thing": "a comment"},
            "changes": {"commentText": {"from": "old <b>text</b>", "to": "new"}, "status": {"to": {"id": "closed", "name": "Closed"}}},
            "timestamp": 1772546700000u64,
        });
        let view = activity_view(&record, 3);
        assert_eq!(view.title, "Activity #3: comment.update");
        assert!(view.facts.contains(&[
            "Message".to_string(),
            "Ana edited a comment {{missing}}".to_string()
        ]));
        assert!(
            view.facts
                .contains(&["When".to_string(), "3 March 2026, 14:05 UTC".to_string()])
        );
        assert!(view.texts.contains(&[
            "Changed \u{201c}commentText\u{201d}".to_string(),
            "before: old <b>text</b>\nafter: new".to_string()
        ]));
        assert!(view.texts.contains(&[
            "Changed \u{201c}status\u{201d}".to_string(),
            "before: (none)\nafter: Closed".to_string()
        ]));
    }

    #[test]
    fn permissions_are_read_per_user_and_unkeyed() {
        let data = json!({"user-1": {
            "organization": {"org-1": {"accessRole": "editor"}},
            "documents": {"doc-5": {"error": "User does not have access to document", "errorCode": "permission_denied", "accessType": "restricted"}},
            "folders": {"f-1": {"accessRole": "viewer", "expiresAt": 1772546700}},
        }});
        let views = permissions_views(&data);
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].title, "Access of user user-1");
        assert!(
            views[0]
                .facts
                .contains(&["Organization org-1".to_string(), "editor".to_string()])
        );
        assert!(views[0].facts.contains(&[
            "Folder f-1".to_string(),
            "viewer, until 3 March 2026, 14:05 UTC".to_string()
        ]));
        assert!(
            views[0].facts.iter().any(|f| f[0] == "Document doc-5"
                && f[1].contains("no access: User does not have access"))
        );
        let unkeyed = permissions_views(&data["user-1"]);
        assert_eq!(unkeyed[0].title, "Your access");
        assert_eq!(unkeyed[0].facts.len(), 3);
    }

    #[test]
    fn store_files_are_known_by_their_names() {
        assert_eq!(Kind::of("stores/o/u/activities.ndjson"), Kind::Activities);
        assert_eq!(Kind::of("stores/memory/u/profile.json"), Kind::Profile);
        assert_eq!(Kind::of("stores/o/u/x.ndjson"), Kind::Other);
    }
}
