//! Velt's other stores of a person's data, seeded like the items: activity log records,
//! permissions, notification settings and reviewer judgments (and the reviewer profile
//! derived from them).
//!
//! As with the items, nothing is stored: each record is derived from the seed and its
//! indexes. Filters and pages work on cheap heads (ids, times, the fields a filter reads);
//! whole records are built only for the page answered.

use serde_json::{Map, Value, json};

use crate::dataset::{
    Dataset, EPOCH_BASE_MS, Feature, REACTION_ICONS, Rng, TEXTS, YEAR_MS, doc_id, folder_id_of,
    hash, org_id, pick, random_id, user_id,
};

/// The text of one activity record of [`Dataset::multi_organization_user`] (the `to` of
/// `changes.commentText` of its first record in its first organization): markup that a report
/// must show as text, never run.
pub const MARKUP_TEXT: &str = "<script>alert(1)</script><b>x</b>";

/// The feature and action types of record `k % 7` of a user in an organization.
const ACTIONS: [(&str, &str); 7] = [
    ("comment", "comment.update"),
    ("comment", "comment.add"),
    ("comment", "comment_annotation.status_change"),
    ("reaction", "reaction.add"),
    ("recorder", "recording.add"),
    ("crdt", "crdt.editor_edit"),
    ("custom", "custom"),
];

/// The decision values of judgments, in the order the page lists them.
pub(crate) const DECISIONS: [&str; 10] = [
    "comment",
    "resolve",
    "approved",
    "rejected",
    "in_progress",
    "agree",
    "disagree",
    "endorse",
    "document_approved",
    "document_rejected",
];

/// Judgments of the multi-organization user in its first organization, per decision (in
/// [`DECISIONS`] order): `approved` alone is over 100, every other decision under it.
const HEAVY_JUDGMENTS: [usize; 10] = [20, 10, 120, 35, 6, 4, 3, 2, 5, 2];

/// Its judgments in its second organization: all under 100, and under 100 in all.
const LIGHT_JUDGMENTS: [usize; 10] = [12, 6, 40, 15, 3, 2, 1, 1, 2, 1];

/// Besides the multi-organization user, the first users of the workspace review.
const OTHER_REVIEWERS: usize = 6;

const CONTENT_TYPES: [&str; 4] = ["marketing-copy", "legal-review", "support-reply", "design"];

/// Whether activity record `k` is immutable (Velt refuses to delete it).
pub(crate) fn is_immutable(k: usize) -> bool {
    k % 4 == 1
}

/// What a filter or a page needs of an activity record, without building it.
#[derive(Clone, Debug)]
pub(crate) struct ActivityHead {
    pub(crate) o: usize,
    pub(crate) u: usize,
    pub(crate) k: usize,
    pub(crate) id: String,
    pub(crate) timestamp: u64,
    pub(crate) document: usize,
    pub(crate) feature_type: &'static str,
    pub(crate) action_type: &'static str,
    pub(crate) target: String,
    pub(crate) immutable: bool,
}

/// What a filter needs of a judgment, without building it.
#[derive(Clone, Debug)]
pub(crate) struct JudgmentHead {
    pub(crate) o: usize,
    pub(crate) u: usize,
    pub(crate) k: usize,
    pub(crate) record_id: String,
    pub(crate) decision: &'static str,
    pub(crate) judge_type: &'static str,
    pub(crate) content_type: &'static str,
    pub(crate) document: usize,
    pub(crate) annotation: String,
    pub(crate) created: u64,
}

impl Dataset {
    /// Ids of the organizations where `user_id` has activity records: its first one, and
    /// for [`Dataset::multi_organization_user`] the first two of its three. Empty for an
    /// unknown user, or when [`Dataset::activities_per_user`] is zero.
    pub fn activity_organizations_of(&self, user_id: &str) -> Vec<String> {
        match self.user_index(user_id) {
            Some(u) => self.activity_orgs(u).into_iter().map(org_id).collect(),
            None => Vec::new(),
        }
    }

    /// The activity records `user_id` made in `organization_id`, as seeded (before any
    /// deletion), record `k` at index `k`. Record `k` is of the feature and action
    /// `k % 7` (comment update, comment add, status change, reaction, recording, CRDT edit,
    /// custom), and immutable when `k % 4 == 1`. Every record's `metadata.apiKey` is the
    /// fake's API key, as Velt's example shows.
    pub fn activity_records(
        &self,
        organization_id: &str,
        user_id: &str,
    ) -> Vec<Map<String, Value>> {
        let (Some(o), Some(u)) = (self.org_index(organization_id), self.user_index(user_id)) else {
            return Vec::new();
        };
        if !self.activity_orgs(u).contains(&o) {
            return Vec::new();
        }
        (0..self.activities_per_user())
            .map(|k| self.activity_record(&self.activity_head(o, u, k)))
            .collect()
    }

    /// The judgments `user_id` made as a reviewer in `organization_id`, as seeded, oldest
    /// index first (not newest first, as the query answers). The multi-organization user
    /// has 207 in its first organization (120 `approved`, all in one document, one content
    /// type, by a human; every other decision under 100) and 83 in its second; the first
    /// six users of the workspace have a few in each of their organizations.
    pub fn judgments(&self, organization_id: &str, user_id: &str) -> Vec<Map<String, Value>> {
        let (Some(o), Some(u)) = (self.org_index(organization_id), self.user_index(user_id)) else {
            return Vec::new();
        };
        self.judgment_heads(o, u)
            .iter()
            .map(|head| self.judgment_record(head))
            .collect()
    }

    /// Velt's internal id of an organization, which judgments and the reviewer profile carry
    /// in `organizationId` instead of the id a client sent.
    pub fn velt_organization_id(&self, organization_id: &str) -> Option<String> {
        self.org_index(organization_id)
            .map(|o| self.internal_org_id(o))
    }

    // ---- activity records -------------------------------------------------------------

    /// Organizations where user `u` has activity records.
    pub(crate) fn activity_orgs(&self, u: usize) -> Vec<usize> {
        if self.activities_per_user() == 0 || u >= self.user_count() {
            return Vec::new();
        }
        let orgs = self.user_orgs(u);
        if Some(u) == self.multi_user() {
            orgs.into_iter().take(2).collect()
        } else {
            orgs.into_iter().take(1).collect()
        }
    }

    /// Users with activity records in organization `o`, in user order.
    pub(crate) fn activity_users(&self, o: usize) -> Vec<usize> {
        self.member_indexes(o)
            .filter(|&u| self.activity_orgs(u).contains(&o))
            .collect()
    }

    pub(crate) fn activity_head(&self, o: usize, u: usize, k: usize) -> ActivityHead {
        let mut rng = Rng::new(&[self.seed(), 0xac71, o as u64, u as u64, k as u64]);
        let (feature_type, action_type) = ACTIONS[k % ACTIONS.len()];
        let timestamp = EPOCH_BASE_MS + rng.below(YEAR_MS);
        let id = format!(
            "act_{}-{}-{}-a{}",
            random_id(&mut rng, 10),
            o + 1,
            u + 1,
            k + 1
        );
        let items = self.items_per_feature();
        let on_item = |feature: Feature| {
            let head = self.item_head(o, u, feature, k % items);
            (head.id, head.document)
        };
        let docs = self.user_docs(o, u);
        let doc = docs[k % docs.len()];
        let (target, document) = match feature_type {
            "comment" if items > 0 => on_item(Feature::Comments),
            "reaction" if items > 0 => on_item(Feature::Reactions),
            "recorder" if items > 0 => on_item(Feature::Recordings),
            "crdt" => (format!("editor-{}", doc_id(o, doc)), doc),
            _ => (format!("release-{}-{}-{}", o + 1, u + 1, k + 1), doc),
        };
        ActivityHead {
            o,
            u,
            k,
            id,
            timestamp,
            document,
            feature_type,
            action_type,
            target,
            immutable: is_immutable(k),
        }
    }

    /// The `(o, u, k)` of an activity id this dataset generated, if it is one.
    pub(crate) fn activity_of_id(&self, id: &str) -> Option<ActivityHead> {
        let mut parts = id.rsplitn(4, '-');
        let k: usize = parts.next()?.strip_prefix('a')?.parse().ok()?;
        let u: usize = parts.next()?.parse().ok()?;
        let o: usize = parts.next()?.parse().ok()?;
        let (o, u, k) = (o.checked_sub(1)?, u.checked_sub(1)?, k.checked_sub(1)?);
        if o >= self.organizations() || k >= self.activities_per_user() {
            return None;
        }
        if !self.activity_orgs(u).contains(&o) {
            return None;
        }
        let head = self.activity_head(o, u, k);
        (head.id == id).then_some(head)
    }

    pub(crate) fn activity_record(&self, head: &ActivityHead) -> Map<String, Value> {
        let ActivityHead { o, u, k, .. } = *head;
        let mut rng = Rng::new(&[self.seed(), 0xac72, o as u64, u as u64, k as u64]);
        let text = |rng: &mut Rng| TEXTS[rng.below(TEXTS.len() as u64) as usize];
        let user = self.seeded_user(u);
        let actor = json!({ "userId": user.user_id, "email": user.email, "name": user.name });
        let short_actor = json!({ "userId": user.user_id });
        let comment_id = 100_000 + rng.below(900_000);
        let before = text(&mut rng);
        let mut after = text(&mut rng);
        let markup =
            Some(u) == self.multi_user() && k == 0 && self.activity_orgs(u).first() == Some(&o);
        if markup {
            after = MARKUP_TEXT;
        }
        let (changes, entity, target_data, template) = match head.action_type {
            "comment.update" => (
                json!({ "commentText": { "from": before, "to": after } }),
                json!({ "annotationId": head.target, "status": { "id": "OPEN" }, "comments": [{ "commentId": comment_id, "commentText": after, "from": short_actor }] }),
                Some(json!({ "commentId": comment_id, "commentText": after, "from": short_actor })),
                "{{actionUser.name}} edited a comment",
            ),
            "comment.add" => (
                json!({ "commentText": { "from": null, "to": after } }),
                json!({ "annotationId": head.target, "status": { "id": "OPEN" }, "comments": [{ "commentId": comment_id, "commentText": after, "from": short_actor }] }),
                Some(json!({ "commentId": comment_id, "commentText": after, "from": short_actor })),
                "{{actionUser.name}} added a comment",
            ),
            "comment_annotation.status_change" => (
                json!({ "status": { "from": { "id": "OPEN", "name": "open" }, "to": { "id": "RESOLVED", "name": "resolved" } } }),
                json!({ "annotationId": head.target, "status": { "id": "RESOLVED" } }),
                None,
                "{{actionUser.name}} resolved a comment",
            ),
            "reaction.add" => {
                let icon = pick(&mut rng, &REACTION_ICONS);
                (
                    json!({ "icon": { "from": null, "to": icon } }),
                    json!({ "annotationId": head.target, "icon": icon, "from": short_actor }),
                    None,
                    "{{actionUser.name}} reacted",
                )
            }
            "recording.add" => (
                json!({ "recordingType": { "from": null, "to": "video" } }),
                json!({ "annotationId": head.target, "recordingType": "video", "from": short_actor, "transcription": { "transcriptedText": after } }),
                None,
                "{{actionUser.name}} added a recording",
            ),
            "crdt.editor_edit" => (
                json!({ "text": { "from": before, "to": after } }),
                json!({ "editorId": head.target, "documentId": doc_id(o, head.document) }),
                None,
                "{{actionUser.name}} edited the document",
            ),
            _ => (
                json!({ "releaseName": { "from": format!("v2.{}", k % 9), "to": format!("v2.{}", k % 9 + 1) } }),
                json!({ "releaseName": format!("v2.{}", k % 9 + 1), "environment": "production", "note": after }),
                None,
                "{{actionUser.name}} deployed {{releaseName}} to production",
            ),
        };
        let mut record = Map::new();
        record.insert("id".into(), json!(head.id));
        record.insert("featureType".into(), json!(head.feature_type));
        record.insert("actionType".into(), json!(head.action_type));
        record.insert("actionUser".into(), actor);
        record.insert("targetEntityId".into(), json!(head.target));
        record.insert(
            "targetSubEntityId".into(),
            if target_data.is_some() {
                json!(format!("comment-{comment_id}"))
            } else {
                Value::Null
            },
        );
        record.insert("displayMessageTemplate".into(), json!(template));
        record.insert(
            "displayMessageTemplateData".into(),
            json!({ "actionUser": { "userId": user.user_id, "name": user.name }, "releaseName": format!("v2.{}", k % 9 + 1) }),
        );
        record.insert(
            "metadata".into(),
            json!({
                "apiKey": self.api_key(),
                "documentId": doc_id(o, head.document),
                "organizationId": org_id(o),
                "folderId": folder_id_of(o, head.document),
            }),
        );
        record.insert("changes".into(), changes);
        record.insert("entityData".into(), entity);
        if let Some(target_data) = target_data {
            record.insert("entityTargetData".into(), target_data);
        }
        record.insert("immutable".into(), json!(head.immutable));
        record.insert("timestamp".into(), json!(head.timestamp));
        record
    }

    // ---- permissions and notification settings ------------------------------------------

    /// The organization entry of Get Permissions for user `u` in organization `o`; `access`
    /// is false once the user's data there is erased.
    pub(crate) fn organization_permission(&self, o: usize, u: usize, access: bool) -> Value {
        if access && self.user_orgs(u).contains(&o) {
            json!({ "accessRole": self.role(o, u, 0x0) })
        } else {
            json!({ "error": "User does not have access to organization", "errorCode": "permission_denied" })
        }
    }

    /// The entry for folder `f`: access when the user can open one of its documents.
    pub(crate) fn folder_permission(&self, o: usize, u: usize, f: usize, access: bool) -> Value {
        let access_type = self.access_type(o, f);
        let opens = access && self.user_docs(o, u).iter().any(|&d| d / 2 == f);
        if opens {
            self.grant(o, u, 0xf0 + f as u64, access_type)
        } else {
            json!({ "error": "User does not have access to folder", "errorCode": "permission_denied", "accessType": access_type })
        }
    }

    /// The entry for document `d` (documents inherit their folder's `accessType`).
    pub(crate) fn document_permission(&self, o: usize, u: usize, d: usize, access: bool) -> Value {
        let access_type = self.access_type(o, d / 2);
        if access && self.user_docs(o, u).contains(&d) {
            self.grant(o, u, 0xd00 + d as u64, access_type)
        } else {
            json!({ "error": "User does not have access to document", "errorCode": "permission_denied", "accessType": access_type })
        }
    }

    fn role(&self, o: usize, u: usize, what: u64) -> &'static str {
        if hash(&[self.seed(), 0x9e1e, o as u64, u as u64, what]).is_multiple_of(3) {
            "viewer"
        } else {
            "editor"
        }
    }

    fn access_type(&self, o: usize, f: usize) -> &'static str {
        ["public", "restricted", "organizationPrivate"]
            [(hash(&[self.seed(), 0xacce, o as u64, f as u64]) % 3) as usize]
    }

    /// An access role, temporary (with `expiresAt`, Unix seconds) one time in three.
    fn grant(&self, o: usize, u: usize, what: u64, access_type: &str) -> Value {
        let h = hash(&[self.seed(), 0x7e4, o as u64, u as u64, what]);
        let mut entry = json!({ "accessRole": self.role(o, u, what), "accessType": access_type });
        if h.is_multiple_of(3)
            && let Value::Object(map) = &mut entry
        {
            // 2026-01-01 plus up to 90 days.
            map.insert(
                "expiresAt".into(),
                json!(1_767_225_600 + (h >> 8) % (90 * 86_400)),
            );
        }
        entry
    }

    /// Notification settings of user `u` in organization `o` (organization level with
    /// `document` `None`): the user has them for the organization and each document it opens.
    pub(crate) fn notification_config(
        &self,
        o: usize,
        u: usize,
        document: Option<usize>,
    ) -> Option<Value> {
        if !self.data_orgs(u).contains(&o) {
            return None;
        }
        if document.is_some_and(|d| !self.user_docs(o, u).contains(&d)) {
            return None;
        }
        let what = document.map_or(0, |d| d as u64 + 1);
        let h = hash(&[self.seed(), 0x4071, o as u64, u as u64, what]);
        let levels = ["ALL", "MINE", "NONE"];
        let mut metadata = Map::new();
        metadata.insert("organizationId".into(), json!(org_id(o)));
        metadata.insert("apiKey".into(), json!(self.api_key()));
        if let Some(d) = document {
            metadata.insert("documentId".into(), json!(doc_id(o, d)));
        }
        metadata.insert("userId".into(), json!(user_id(u)));
        Some(json!({
            "config": { "inbox": levels[(h % 3) as usize], "email": levels[((h >> 8) % 3) as usize] },
            "metadata": Value::Object(metadata),
        }))
    }

    // ---- judgments and the reviewer profile -------------------------------------------

    /// Users who review: the multi-organization user and the first few of the workspace.
    pub(crate) fn reviewers(&self) -> Vec<usize> {
        let mut users: Vec<usize> = (0..self.user_count().min(OTHER_REVIEWERS)).collect();
        users.extend(self.multi_user());
        users.sort_unstable();
        users.dedup();
        users
    }

    /// How many judgments of each decision user `u` made in organization `o`.
    fn judgment_counts(&self, o: usize, u: usize) -> [usize; 10] {
        if !self.reviewers().contains(&u) || !self.user_orgs(u).contains(&o) {
            return [0; 10];
        }
        if Some(u) == self.multi_user() {
            let orgs = self.user_orgs(u);
            return match orgs.iter().position(|&x| x == o) {
                Some(0) => HEAVY_JUDGMENTS,
                Some(1) => LIGHT_JUDGMENTS,
                _ => [0; 10],
            };
        }
        let mut counts = [0; 10];
        for (i, count) in counts.iter_mut().enumerate() {
            *count = (hash(&[self.seed(), 0x3d, o as u64, u as u64, i as u64]) % 4) as usize;
        }
        counts
    }

    /// The judgments of user `u` in organization `o`, by index.
    pub(crate) fn judgment_heads(&self, o: usize, u: usize) -> Vec<JudgmentHead> {
        let counts = self.judgment_counts(o, u);
        let heavy = Some(u) == self.multi_user() && counts == HEAVY_JUDGMENTS;
        let docs = self.user_docs(o, u);
        let items = self.items_per_feature();
        let mut heads = Vec::new();
        let mut k = 0;
        for (decision, &count) in DECISIONS.iter().zip(&counts) {
            for _ in 0..count {
                let mut rng = Rng::new(&[self.seed(), 0x7d6, o as u64, u as u64, k as u64]);
                let created = EPOCH_BASE_MS + rng.below(YEAR_MS);
                let record_id = format!(
                    "act_{}-{}-{}-j{}",
                    random_id(&mut rng, 10),
                    o + 1,
                    u + 1,
                    k + 1
                );
                let concentrated = heavy && *decision == "approved";
                let judge_type = if !concentrated && rng.below(5) == 0 {
                    "agent"
                } else {
                    "human"
                };
                let content_type = if concentrated {
                    CONTENT_TYPES[0]
                } else {
                    pick(&mut rng, &CONTENT_TYPES)
                };
                let document = if concentrated {
                    docs[0]
                } else {
                    docs[rng.below(docs.len() as u64) as usize]
                };
                let annotation = if items > 0 {
                    self.item_head(o, u, Feature::Comments, k % items).id
                } else {
                    format!("annotation-{}-{}-{}", o + 1, u + 1, k + 1)
                };
                heads.push(JudgmentHead {
                    o,
                    u,
                    k,
                    record_id,
                    decision,
                    judge_type,
                    content_type,
                    document,
                    annotation,
                    created,
                });
                k += 1;
            }
        }
        heads
    }

    pub(crate) fn judgment_record(&self, head: &JudgmentHead) -> Map<String, Value> {
        let mut rng = Rng::new(&[
            self.seed(),
            0x7d7,
            head.o as u64,
            head.u as u64,
            head.k as u64,
        ]);
        let reasoning = match head.decision {
            "approved" | "document_approved" => "Approved after fixing the citation.",
            "rejected" | "document_rejected" => "Claim lacks a citation «source»; rejected.",
            "agree" | "endorse" => "Agree with the earlier reviewer — ça marche.",
            "disagree" => "Disagree: the tone does not fit the brand.",
            _ => TEXTS[rng.below(TEXTS.len() as u64) as usize],
        };
        let mut record = Map::new();
        record.insert("recordId".into(), json!(head.record_id));
        record.insert("reasoning".into(), json!(reasoning));
        record.insert("decision".into(), json!(head.decision));
        record.insert(
            "confidence".into(),
            json!((50 + rng.below(50)) as f64 / 100.0),
        );
        record.insert("judgeType".into(), json!(head.judge_type));
        record.insert("contentType".into(), json!(head.content_type));
        record.insert("actionUser".into(), self.user_json(head.u));
        record.insert("createdAt".into(), json!(head.created));
        record.insert("organizationId".into(), json!(self.internal_org_id(head.o)));
        record.insert(
            "documentId".into(),
            json!(self.internal_doc_id(head.o, head.document)),
        );
        record.insert("annotationId".into(), json!(head.annotation));
        record.insert(
            "agent".into(),
            if head.judge_type == "agent" {
                json!({ "agentId": "agent-review-1", "name": "Review Assistant", "model": "fake-reviewer-1" })
            } else {
                Value::Null
            },
        );
        record
    }

    /// The reviewer profile Velt derives from these judgments (all of one user), or `None`
    /// when there are none.
    pub(crate) fn profile_of(&self, u: usize, heads: &[JudgmentHead]) -> Option<Value> {
        if heads.is_empty() {
            return None;
        }
        let round = |x: f64| (x * 100.0).round() / 100.0;
        let approves = |h: &JudgmentHead| matches!(h.decision, "approved" | "document_approved");
        let total = heads.len();
        let approvals = heads.iter().filter(|h| approves(h)).count();
        let rejected = heads.iter().filter(|h| h.decision == "rejected").count();
        let mut top_flags = Vec::new();
        if rejected > 0 {
            let citations = rejected.div_ceil(2);
            top_flags.push(json!({ "issue": "missing-citation", "count": citations }));
            if rejected > citations {
                top_flags.push(json!({ "issue": "tone", "count": rejected - citations }));
            }
        }
        let mut content_types: Vec<&str> = heads.iter().map(|h| h.content_type).collect();
        content_types.sort_unstable();
        content_types.dedup();
        let mut hours = [0usize; 24];
        for h in heads {
            hours[((h.created / 3_600_000) % 24) as usize] += 1;
        }
        let mut by_count: Vec<usize> = (0..24).collect();
        by_count.sort_by_key(|&hour| (std::cmp::Reverse(hours[hour]), hour));
        let mut peak_hours: Vec<usize> = by_count.into_iter().take(3).collect();
        peak_hours.sort_unstable();
        let mut breakdown = Map::new();
        let mut orgs: Vec<usize> = heads.iter().map(|h| h.o).collect();
        orgs.sort_unstable();
        orgs.dedup();
        for o in orgs {
            let of_org: Vec<&JudgmentHead> = heads.iter().filter(|h| h.o == o).collect();
            let approvals = of_org.iter().filter(|h| approves(h)).count();
            let internal = self.internal_org_id(o);
            breakdown.insert(
                internal.clone(),
                json!({
                    "organizationId": internal,
                    "clientOrganizationId": org_id(o),
                    "judgments": of_org.len(),
                    "approvals": approvals,
                    "approvalRate": round(approvals as f64 / of_org.len() as f64),
                }),
            );
        }
        let last_active = heads
            .iter()
            .map(|h| h.created)
            .max()
            .unwrap_or(EPOCH_BASE_MS);
        let agents = heads.iter().filter(|h| h.judge_type == "agent").count();
        let user = self.seeded_user(u);
        let mut profile = Map::new();
        profile.insert("userId".into(), json!(user.user_id));
        profile.insert("name".into(), json!(user.name));
        profile.insert("email".into(), json!(user.email));
        profile.insert("totalJudgments".into(), json!(total));
        profile.insert(
            "approvalRate".into(),
            json!(round(approvals as f64 / total as f64)),
        );
        profile.insert("avgReviewTimeSeconds".into(), json!(0));
        profile.insert("topFlags".into(), Value::Array(top_flags));
        profile.insert("contentTypes".into(), json!(content_types));
        profile.insert("peakHours".into(), json!(peak_hours));
        profile.insert("orgBreakdown".into(), Value::Object(breakdown));
        profile.insert("lastActive".into(), json!(last_active));
        profile.insert("twinEligible".into(), json!(total >= 50));
        profile.insert(
            "twinAccuracy".into(),
            if agents == 0 {
                Value::Null
            } else {
                json!(0.81)
            },
        );
        if total >= 50 {
            profile.insert(
                "evolvedStandards".into(),
                json!([{
                    "topic": "medical claims",
                    "shiftDate": last_active.saturating_sub(30 * 86_400_000),
                    "oldPattern": "Approved with a disclaimer.",
                    "newPattern": "Rejected unless a citation is present.",
                }]),
            );
        }
        Some(Value::Object(profile))
    }

    pub(crate) fn internal_org_id(&self, o: usize) -> String {
        (1_000_000_000 + hash(&[self.seed(), 0x1d0, o as u64]) % 8_999_999_999).to_string()
    }

    pub(crate) fn internal_doc_id(&self, o: usize, d: usize) -> String {
        (100_000_000 + hash(&[self.seed(), 0x1d1, o as u64, d as u64]) % 899_999_999).to_string()
    }
}
