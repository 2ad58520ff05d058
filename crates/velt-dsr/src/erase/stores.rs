//! After the GDPR deletion: the person's data in the other stores it does not cover, checked
//! per store and organization (activity records, permissions, the AI Memory profile), and the
//! remaining activity records deleted when the operator asks, id by id when Velt refuses a
//! batch. Each check says gone, remaining (with counts), retained (Velt refused, with its
//! answer) or not checkable; "nothing remains" is said of the stores checked, by name.

use std::collections::BTreeMap;

use velt_api::{
    Client,
    stores::{ActivitiesQuery, ActivityDeletion, BatchResult, PermissionsQuery},
};

use crate::{
    erase::verdict::{StoreCheck, StoreVerdict},
    event::{Event, Events},
};

/// What to do about the data the GDPR deletion leaves in other stores.
#[derive(Clone, Debug, Default)]
pub struct StoreErasure {
    /// Delete the remaining activity records (they may be an audit trail the controller must
    /// keep: only when asked).
    pub erase_activities: bool,
    /// Why what Velt keeps (immutable records) or what is kept on purpose may stay (GDPR
    /// Art. 17(3)); recorded, and needed for the case to close as erased while data stays.
    pub retain_reason: Option<String>,
}

/// The checks of every store beyond the GDPR export for `matches` (organization, user), and
/// with [`StoreErasure::erase_activities`] the deletion of remaining activity records.
pub async fn check_stores(
    client: &Client,
    matches: &[(String, String)],
    options: &StoreErasure,
    events: Events<'_>,
) -> Vec<StoreCheck> {
    let mut checks = Vec::new();
    let mut users: Vec<&str> = Vec::new();
    for (organization, user) in matches {
        checks.push(activities(client, organization, user, options, events).await);
        checks.push(permissions(client, organization, user).await);
        if !users.contains(&user.as_str()) {
            users.push(user);
        }
    }
    for user in users {
        checks.push(profile(client, user).await);
    }
    for check in &checks {
        events(Event::StoreChecked(check.clone()));
    }
    checks
}

async fn activities(
    client: &Client,
    organization: &str,
    user: &str,
    options: &StoreErasure,
    events: Events<'_>,
) -> StoreCheck {
    let mut check = StoreCheck {
        store: "activities".to_owned(),
        organization_id: Some(organization.to_owned()),
        user_id: user.to_owned(),
        deleted: 0,
        verdict: StoreVerdict::Gone,
        ids: BTreeMap::new(),
    };
    let ids = match activity_ids(client, organization, user).await {
        Ok(ids) => ids,
        Err(why) => {
            check.verdict = StoreVerdict::NotCheckable { why };
            return check;
        }
    };
    if ids.is_empty() {
        return check;
    }
    if !options.erase_activities {
        check.verdict = StoreVerdict::Remaining {
            count: ids.len(),
            why: "the GDPR deletion does not erase activity records; erase them with --erase-activities, or keep them with --retain-reason".to_owned(),
        };
        return check;
    }
    let mut refused: BTreeMap<String, String> = BTreeMap::new();
    match client
        .delete_activities(organization, ids.iter().cloned())
        .await
    {
        Ok(deletion) => {
            let retry = note_outcomes(&deletion, &mut check.ids, &mut refused);
            // A batch refused as a whole (or not sent) is sent again id by id: one
            // immutable record must not keep the others.
            for id in retry {
                match client.delete_activities(organization, [id.clone()]).await {
                    Ok(single) => {
                        note_outcomes(&single, &mut check.ids, &mut refused);
                    }
                    Err(error) => {
                        check
                            .ids
                            .insert(id.clone(), format!("not deleted: {error}"));
                        refused.insert(id, error.to_string());
                    }
                }
            }
        }
        Err(error) => {
            check.verdict = StoreVerdict::NotCheckable {
                why: format!("the deletion of {} record(s) failed: {error}", ids.len()),
            };
            return check;
        }
    }
    events(Event::ActivitiesErased {
        organization_id: organization.to_owned(),
        user_id: user.to_owned(),
        asked: ids.len(),
        refused: refused.len(),
    });
    // What is there now decides, not what Velt said.
    let left = match activity_ids(client, organization, user).await {
        Ok(left) => left,
        Err(why) => {
            check.verdict = StoreVerdict::NotCheckable {
                why: format!("deleted, but the check after it failed: {why}"),
            };
            return check;
        }
    };
    check.deleted = ids.iter().filter(|id| !left.contains(id)).count();
    let retained: Vec<&String> = left.iter().filter(|id| refused.contains_key(*id)).collect();
    let remaining = left.len() - retained.len();
    check.verdict = if remaining > 0 {
        StoreVerdict::Remaining {
            count: remaining,
            why: "still listed after their deletion was sent".to_owned(),
        }
    } else if !retained.is_empty() {
        let mut answers: Vec<&str> = retained
            .iter()
            .filter_map(|id| refused.get(*id).map(String::as_str))
            .collect();
        answers.sort();
        answers.dedup();
        StoreVerdict::Retained {
            count: retained.len(),
            answer: answers.join("; "),
        }
    } else {
        StoreVerdict::Gone
    };
    check
}

/// Notes each id's outcome; returns the ids of batches refused or not sent (to send again
/// one by one). Ids Velt said it did not delete go into `refused` with its message.
fn note_outcomes(
    deletion: &ActivityDeletion,
    ids: &mut BTreeMap<String, String>,
    refused: &mut BTreeMap<String, String>,
) -> Vec<String> {
    for id in deletion.deleted() {
        ids.insert(id.to_owned(), "deleted".to_owned());
        refused.remove(id);
    }
    for (id, message) in deletion.not_deleted() {
        let answer = message.unwrap_or("Velt did not delete it").to_owned();
        ids.insert(id.to_owned(), format!("not deleted: {answer}"));
        refused.insert(id.to_owned(), answer);
    }
    for id in deletion.unknown() {
        ids.insert(
            id.to_owned(),
            "unknown: Velt's answer does not say".to_owned(),
        );
    }
    let mut retry = Vec::new();
    for batch in &deletion.batches {
        match &batch.result {
            BatchResult::Failed(error) if !error.is_outcome_unknown() => {
                for id in &batch.activity_ids {
                    ids.insert(id.clone(), format!("refused in its batch: {error}"));
                    retry.push(id.clone());
                }
            }
            BatchResult::NotSent => retry.extend(batch.activity_ids.iter().cloned()),
            _ => {}
        }
    }
    if retry.len() == 1 && deletion.batches.len() == 1 {
        // A batch of one refused as a whole is that id's own answer: no retry.
        if let Some(BatchResult::Failed(error)) = deletion.batches.first().map(|b| &b.result) {
            refused.insert(retry[0].clone(), error.to_string());
        }
        return Vec::new();
    }
    retry
}

async fn activity_ids(
    client: &Client,
    organization: &str,
    user: &str,
) -> Result<Vec<String>, String> {
    client
        .list_activities(ActivitiesQuery::of_user(organization, user))
        .collect()
        .await
        .map(|records| records.iter().filter_map(|r| r.id()).collect())
        .map_err(|e| format!("the activity records could not be listed: {e}"))
}

async fn permissions(client: &Client, organization: &str, user: &str) -> StoreCheck {
    let verdict = match client
        .permissions(&PermissionsQuery::new(organization, [user]))
        .await
    {
        Ok(permissions) => {
            let count = permissions.of_user(user).map(|v| granted(&v)).unwrap_or(0);
            if count == 0 {
                StoreVerdict::Gone
            } else {
                StoreVerdict::Remaining {
                    count,
                    why: "access entries Velt still holds for the user; no documented call of this tool removes them".to_owned(),
                }
            }
        }
        Err(error) => StoreVerdict::NotCheckable {
            why: format!("the permissions could not be read: {error}"),
        },
    };
    StoreCheck {
        store: "permissions".to_owned(),
        organization_id: Some(organization.to_owned()),
        user_id: user.to_owned(),
        deleted: 0,
        verdict,
        ids: BTreeMap::new(),
    }
}

async fn profile(client: &Client, user: &str) -> StoreCheck {
    let verdict = match client.reviewer_profile(user).await {
        Ok(None) => StoreVerdict::Gone,
        Ok(Some(_)) => StoreVerdict::Remaining {
            count: 1,
            why: "Velt still holds the AI Memory reviewer profile; no documented call deletes it: ask Velt to".to_owned(),
        },
        Err(error) => StoreVerdict::NotCheckable {
            why: format!("the reviewer profile could not be read: {error}"),
        },
    };
    StoreCheck {
        store: "memoryProfile".to_owned(),
        organization_id: None,
        user_id: user.to_owned(),
        deleted: 0,
        verdict,
        ids: BTreeMap::new(),
    }
}

/// The resources a user's permissions grant access to (an entry that says access could not
/// be resolved, or grants none, does not count).
fn granted(value: &serde_json::Value) -> usize {
    let Some(kinds) = value.as_object() else {
        return 0;
    };
    kinds
        .values()
        .flat_map(|resources| match resources {
            serde_json::Value::Object(map) => map.values().collect::<Vec<_>>(),
            serde_json::Value::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        })
        .filter(|entry| {
            entry.get("error").is_none()
                && entry
                    .get("accessRole")
                    .or_else(|| entry.get("accessType"))
                    .is_some_and(|v| !v.is_null())
        })
        .count()
}
