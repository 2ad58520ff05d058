//! The endpoints of Velt's other stores: activity logs (get, delete), permissions, the
//! reviewer profile, judgments and notification settings. The server checks credentials,
//! faults and the body first, then hands each request here with a view of its state.

use std::collections::HashSet;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::dataset::{Dataset, doc_id, user_id};
use crate::http::{
    ApiError, IdList, MAX_IDS, at_most_30, error, filter_scope, ids, invalid, json_response,
    list_offset, list_page, optional_bool, optional_string, page_size, required_string,
};
use crate::stores::{ActivityHead, JudgmentHead};

/// The most judgments one query returns, and the default.
const MAX_JUDGMENTS: u64 = 100;
const DEFAULT_JUDGMENTS: u64 = 20;

/// What the store endpoints read and change of the server's state.
pub(crate) struct Stores<'a> {
    pub(crate) dataset: &'a Dataset,
    /// `(organization, user)` pairs whose data a deletion job has erased.
    pub(crate) erased: &'a HashSet<(usize, usize)>,
    /// `(organization, user, record)` of activity records deleted through the API.
    pub(crate) deleted_activities: &'a mut HashSet<(usize, usize, usize)>,
    /// Whether an erasure takes the user's activity records too.
    pub(crate) gdpr_deletes_activities: bool,
}

impl Stores<'_> {
    fn activity_alive(&self, head: &ActivityHead) -> bool {
        let deleted = self.deleted_activities.contains(&(head.o, head.u, head.k));
        let erased = self.gdpr_deletes_activities && self.erased.contains(&(head.o, head.u));
        !deleted && !erased
    }

    /// Every live activity record of organization `o` (of `user` only, when given).
    fn activities(&self, o: usize, user: Option<Option<usize>>) -> Vec<ActivityHead> {
        let dataset = self.dataset;
        let users = match user {
            Some(Some(u)) if dataset.activity_orgs(u).contains(&o) => vec![u],
            Some(_) => Vec::new(),
            None => dataset.activity_users(o),
        };
        users
            .into_iter()
            .flat_map(|u| (0..dataset.activities_per_user()).map(move |k| (u, k)))
            .map(|(u, k)| dataset.activity_head(o, u, k))
            .filter(|head| self.activity_alive(head))
            .collect()
    }
}

fn success(data: Map<String, Value>) -> Response {
    json_response(StatusCode::OK, &json!({ "result": Value::Object(data) }))
}

fn result(message: &str, data: Value) -> Map<String, Value> {
    let mut result = Map::new();
    result.insert("status".into(), json!("success"));
    result.insert("message".into(), json!(message));
    result.insert("data".into(), data);
    result
}

/// `POST /v2/activities/get`.
pub(crate) fn get_activities(
    stores: &Stores<'_>,
    data: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let organization_id = required_string(data, "organizationId")?;
    let document_id = optional_string(data, "documentId")?;
    let target = optional_string(data, "targetEntityId")?;
    let user_id = optional_string(data, "userId")?;
    let feature_types = ids(
        data,
        "featureTypes",
        IdList::Optional("means every feature type"),
    )?;
    // A feature type the page does not list matches no record: the page does not say that
    // Velt refuses one, so the fake does not either.
    let action_types = ids(
        data,
        "actionTypes",
        IdList::Optional("means every action type"),
    )?;
    let activity_ids = ids(
        data,
        "activityIds",
        IdList::Optional("means every activity"),
    )?;
    let descending = match optional_string(data, "order")? {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(invalid(format!(
                "data.order must be \"asc\" or \"desc\", not {other:?}."
            )));
        }
    };
    let size = page_size(data)?;
    let dataset = stores.dataset;
    let mut heads: Vec<ActivityHead> = match dataset.org_index(organization_id) {
        None => Vec::new(),
        Some(o) => {
            let user = user_id.map(|id| dataset.user_index(id));
            match &activity_ids {
                // Named records: only those, not the whole organization.
                Some(wanted) => {
                    let mut seen = HashSet::new();
                    wanted
                        .iter()
                        .filter(|id| seen.insert(**id))
                        .filter_map(|id| dataset.activity_of_id(id))
                        .filter(|head| head.o == o && stores.activity_alive(head))
                        .filter(|head| user.is_none_or(|u| u == Some(head.u)))
                        .collect()
                }
                None => stores.activities(o, user),
            }
        }
    };
    heads.retain(|head| {
        document_id.is_none_or(|id| doc_id(head.o, head.document) == id)
            && target.is_none_or(|id| head.target == id)
            && feature_types
                .as_ref()
                .is_none_or(|types| types.contains(&head.feature_type))
            && action_types
                .as_ref()
                .is_none_or(|types| types.contains(&head.action_type))
    });
    heads.sort_by(|a, b| (a.timestamp, &a.id).cmp(&(b.timestamp, &b.id)));
    if descending {
        heads.reverse();
    }
    let seed = dataset.seed();
    let scope = filter_scope(0xac7, data);
    let offset = list_offset(seed, data, scope, heads.len())?;
    let (range, next) = list_page(seed, scope, offset, size, heads.len());
    let records: Vec<Value> = heads[range]
        .iter()
        .map(|head| Value::Object(dataset.activity_record(head)))
        .collect();
    let mut answer = result("Activity(s) retrieved successfully.", Value::Array(records));
    if let Some(next) = next {
        answer.insert("pageToken".into(), json!(next));
    }
    Ok(success(answer))
}

/// `POST /v2/activities/delete`: each record named or matched is deleted, or refused when it
/// is immutable (or unknown), one entry per id, as the page shows.
pub(crate) fn delete_activities(
    stores: &mut Stores<'_>,
    data: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let organization_id = required_string(data, "organizationId")?;
    let document_id = optional_string(data, "documentId")?;
    let target = optional_string(data, "targetEntityId")?;
    let activity_ids = ids(
        data,
        "activityIds",
        IdList::Optional("deletes by document or target entity"),
    )?;
    if document_id.is_none() && target.is_none() && activity_ids.is_none() {
        return Err(invalid(
            "At least one of documentId, targetEntityId, or activityIds must be provided.",
        ));
    }
    let dataset = stores.dataset;
    let organization = dataset.org_index(organization_id);
    let matches = |head: &ActivityHead| {
        Some(head.o) == organization
            && document_id.is_none_or(|id| doc_id(head.o, head.document) == id)
            && target.is_none_or(|id| head.target == id)
    };
    // (the id as given, the record when it is there to delete)
    let targets: Vec<(String, Option<ActivityHead>)> = match (&activity_ids, organization) {
        (Some(wanted), _) => wanted
            .iter()
            .map(|id| {
                let head = dataset
                    .activity_of_id(id)
                    .filter(|head| matches(head) && stores.activity_alive(head));
                ((*id).to_owned(), head)
            })
            .collect(),
        (None, Some(o)) => stores
            .activities(o, None)
            .into_iter()
            .filter(|head| matches(head))
            .map(|head| (head.id.clone(), Some(head)))
            .collect(),
        (None, None) => Vec::new(),
    };
    let mut outcomes = Map::new();
    for (id, head) in targets {
        if outcomes.contains_key(&id) {
            continue;
        }
        let deleted = match head {
            Some(head) if !head.immutable => {
                stores.deleted_activities.insert((head.o, head.u, head.k));
                true
            }
            _ => false,
        };
        outcomes.insert(
            id,
            if deleted {
                json!({ "success": true, "message": "Activity deleted." })
            } else {
                json!({ "success": false, "message": "Failed to delete activity." })
            },
        );
    }
    Ok(success(result(
        "Activity(s) deleted successfully.",
        Value::Object(outcomes),
    )))
}

/// `POST /v2/auth/permissions/get`: per user, the organization entry, and the folders and
/// documents named (only those: the page says the lists are "to include in the result").
pub(crate) fn get_permissions(
    stores: &Stores<'_>,
    data: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let organization_id = required_string(data, "organizationId")?;
    let Some(user_ids) = ids(data, "userIds", IdList::Required)? else {
        return Err(invalid("data.userIds is required."));
    };
    let folder_ids = ids(data, "folderIds", IdList::Optional("includes no folder"))?;
    let document_ids = ids(
        data,
        "documentIds",
        IdList::Optional("includes no document"),
    )?;
    let dataset = stores.dataset;
    let Some(o) = dataset.org_index(organization_id) else {
        let mut details = Map::new();
        for user in &user_ids {
            details.insert(
                (*user).to_owned(),
                json!({ "organization": { organization_id: { "error": "Organization does not exist", "errorCode": "does_not_exist" } } }),
            );
        }
        return Err(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Organization does not exist",
        )
        .with_details(Value::Object(details)));
    };
    let folders: Vec<(&str, Option<usize>)> = folder_ids
        .iter()
        .flatten()
        .map(|id| (*id, dataset.folder_index(o, id)))
        .collect();
    let documents: Vec<(&str, Option<usize>)> = document_ids
        .iter()
        .flatten()
        .map(|id| (*id, dataset.doc_index(o, id)))
        .collect();
    let missing = folders.iter().chain(&documents).any(|(_, i)| i.is_none());
    let mut by_user = Map::new();
    for user in &user_ids {
        let u = dataset.user_index(user);
        let access = u.is_some_and(|u| !stores.erased.contains(&(o, u)));
        let u = u.unwrap_or(0);
        let mut entry = Map::new();
        if folder_ids.is_some() {
            let mut map = Map::new();
            for (id, f) in &folders {
                let value = match f {
                    Some(f) => dataset.folder_permission(o, u, *f, access),
                    None => {
                        json!({ "error": "Folder does not exist", "errorCode": "does_not_exist" })
                    }
                };
                map.insert((*id).to_owned(), value);
            }
            entry.insert("folders".into(), Value::Object(map));
        }
        if document_ids.is_some() {
            let mut map = Map::new();
            for (id, d) in &documents {
                let value = match d {
                    Some(d) => dataset.document_permission(o, u, *d, access),
                    None => {
                        json!({ "error": "Document does not exist", "errorCode": "does_not_exist" })
                    }
                };
                map.insert((*id).to_owned(), value);
            }
            entry.insert("documents".into(), Value::Object(map));
        }
        let mut organization = Map::new();
        organization.insert(
            organization_id.to_owned(),
            dataset.organization_permission(o, u, access),
        );
        entry.insert("organization".into(), Value::Object(organization));
        by_user.insert((*user).to_owned(), Value::Object(entry));
    }
    if missing {
        return Err(error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Folder or document does not exist",
        )
        .with_details(Value::Object(by_user)));
    }
    Ok(success(result(
        "User permissions retrieved successfully.",
        Value::Object(by_user),
    )))
}

/// The judgments of user `u` in organization `o` that are still there.
fn live_judgments(stores: &Stores<'_>, o: usize, u: usize) -> Vec<JudgmentHead> {
    if stores.erased.contains(&(o, u)) {
        return Vec::new();
    }
    stores.dataset.judgment_heads(o, u)
}

/// `POST /v2/memory/profiles/get`: `{"result": profile}`, or `{"result": null}` without a
/// `targetUserId` or when the user has no judgments (left).
pub(crate) fn get_profile(
    stores: &Stores<'_>,
    data: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let target = optional_string(data, "targetUserId").map_err(|e| e.with_issue("targetUserId"))?;
    let dataset = stores.dataset;
    let profile = target.and_then(|id| dataset.user_index(id)).and_then(|u| {
        let heads: Vec<JudgmentHead> = dataset
            .user_orgs(u)
            .into_iter()
            .flat_map(|o| live_judgments(stores, o, u))
            .collect();
        dataset.profile_of(u, &heads)
    });
    Ok(json_response(
        StatusCode::OK,
        &json!({ "result": profile.unwrap_or(Value::Null) }),
    ))
}

/// `limit` of Query Judgments: a whole number from 1 to 100, 20 when left out.
fn judgment_limit(data: &Map<String, Value>) -> Result<usize, ApiError> {
    let refuse = || invalid("data.limit must be a whole number from 1 to 100.").with_issue("limit");
    match data.get("limit") {
        None => Ok(DEFAULT_JUDGMENTS as usize),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(limit @ 1..=MAX_JUDGMENTS) => Ok(limit as usize),
            _ => Err(refuse()),
        },
        Some(_) => Err(refuse()),
    }
}

/// `POST /v2/memory/judgments/query`: newest first, at most `limit`, no page token; `total`
/// is the number returned.
pub(crate) fn query_judgments(
    stores: &Stores<'_>,
    data: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let field = |key: &'static str| {
        optional_string(data, key).map_err(move |e: ApiError| e.with_issue(key))
    };
    let organization_id = field("organizationId")?;
    let document_id = field("documentId")?;
    let decision = field("decision")?;
    let judge_type = field("judgeType")?;
    let content_type = field("contentType")?;
    let reviewer_id = field("reviewerId")?;
    let annotation_id = field("annotationId")?;
    let limit = judgment_limit(data)?;
    // A decision or judge type the page does not list matches no judgment: the page lists
    // the values but does not say that Velt refuses another, so the fake does not either.
    if annotation_id.is_some() && organization_id.is_none() {
        return Err(
            invalid("data.annotationId requires data.organizationId.").with_issue("annotationId")
        );
    }
    let dataset = stores.dataset;
    let organization = organization_id.map(|id| dataset.org_index(id));
    // A documentId is applied only with an organizationId, as the page says.
    let document = match (organization, document_id) {
        (Some(Some(o)), Some(id)) => Some(dataset.doc_index(o, id)),
        _ => None,
    };
    let mut heads: Vec<JudgmentHead> = Vec::new();
    if !matches!(organization, Some(None)) && !matches!(document, Some(None)) {
        for u in dataset.reviewers() {
            if reviewer_id.is_some_and(|id| user_id(u) != id) {
                continue;
            }
            for o in dataset.user_orgs(u) {
                if organization.is_some_and(|want| want != Some(o)) {
                    continue;
                }
                heads.extend(live_judgments(stores, o, u).into_iter().filter(|h| {
                    decision.is_none_or(|d| h.decision == d)
                        && judge_type.is_none_or(|t| h.judge_type == t)
                        && content_type.is_none_or(|t| h.content_type == t)
                        && annotation_id.is_none_or(|a| h.annotation == a)
                        && document.is_none_or(|d| d == Some(h.document))
                }));
            }
        }
    }
    heads.sort_by(|a, b| (b.created, &b.record_id).cmp(&(a.created, &a.record_id)));
    heads.truncate(limit);
    if annotation_id.is_some() {
        // One thread: its newest `limit`, oldest first.
        heads.reverse();
    }
    let results: Vec<Value> = heads
        .iter()
        .map(|head| Value::Object(dataset.judgment_record(head)))
        .collect();
    let total = results.len();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "result": { "results": results, "total": total } }),
    ))
}

/// `POST /v2/notifications/config/get`: the organization-level settings (with
/// `getOrganizationConfig`) and those of each document named, for the user.
pub(crate) fn get_notification_config(
    stores: &Stores<'_>,
    data: &Map<String, Value>,
) -> Result<Response, ApiError> {
    let organization_id = required_string(data, "organizationId")?;
    let user_id = required_string(data, "userId")?;
    let document_ids = ids(
        data,
        "documentIds",
        IdList::Optional("needs getOrganizationConfig"),
    )?;
    at_most_30("documentIds", &document_ids)?;
    let organization_level = optional_bool(data, "getOrganizationConfig")?.unwrap_or(false);
    if !organization_level && document_ids.is_none() {
        return Err(invalid(
            "data.documentIds is required unless data.getOrganizationConfig is true.",
        ));
    }
    let dataset = stores.dataset;
    let mut entries = Vec::new();
    if let (Some(o), Some(u)) = (
        dataset.org_index(organization_id),
        dataset.user_index(user_id),
    ) && !stores.erased.contains(&(o, u))
    {
        if organization_level {
            entries.extend(dataset.notification_config(o, u, None));
        }
        for id in document_ids.iter().flatten().take(MAX_IDS) {
            if let Some(d) = dataset.doc_index(o, id) {
                entries.extend(dataset.notification_config(o, u, Some(d)));
            }
        }
    }
    Ok(success(result(
        "User config fetched successfully.",
        Value::Array(entries),
    )))
}
