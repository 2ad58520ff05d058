//! AI Memory: a reviewer's profile (Get Reviewer Profile) and their judgments (Query
//! Judgments, gathered past its limit of 100 by splitting the query).

use std::{collections::HashSet, num::NonZeroU64, sync::Arc};

use serde::Serialize;

use crate::{
    error::{Error, Operation, Result},
    export::RawItem,
    generated::types,
    transport::context::Transport,
    users::require_id,
};

/// A reviewer's AI Memory profile, as the JSON text Velt sent: judgment volume, approval
/// rate, top flags, content types, peak hours, a per-organization breakdown (keyed by Velt's
/// internal organization id; `clientOrganizationId` is yours), last active, and whatever else
/// Velt includes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ReviewerProfile(RawItem);

impl ReviewerProfile {
    /// The profile exactly as Velt sent it.
    pub fn raw(&self) -> &RawItem {
        &self.0
    }
}

/// Get Reviewer Profile for `user_id`: `None` when Velt answers `null` (no profile yet).
pub(crate) async fn reviewer_profile(
    transport: &Arc<Transport>,
    user_id: &str,
) -> Result<Option<ReviewerProfile>> {
    let invalid = |message: String| Error::invalid_input(Operation::GetReviewerProfile, message);
    require_id("user id", user_id).map_err(invalid)?;
    // The page marks targetUserId optional but says to always send it: without it the answer
    // is `null`, which would read as "no profile".
    let data =
        types::GetReviewerProfileRequestData::builder().target_user_id(Some(user_id.to_owned()));
    let body: types::GetReviewerProfileRequest = types::GetReviewerProfileRequest::builder()
        .data(data)
        .try_into()
        .map_err(|e: types::error::ConversionError| invalid(e.to_string()))?;
    let response = transport
        .call(Operation::GetReviewerProfile, |generated| {
            let body = body.clone();
            async move { generated.get_reviewer_profile().body(body).send().await }
        })
        .await?;
    let profile = response.result;
    Ok((profile.as_str().trim() != "null").then_some(ReviewerProfile(profile)))
}

/// One AI Memory judgment (a review decision), as the JSON text Velt sent: reasoning,
/// decision, confidence, judge type, content type, who decided (`actionUser`), timestamps,
/// scope ids (Velt's internal ones) and, when an agent decided, the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Judgment(RawItem);

impl Judgment {
    /// The judgment exactly as Velt sent it.
    pub fn raw(&self) -> &RawItem {
        &self.0
    }

    /// The judgment's `recordId`, when it has a string one.
    pub fn id(&self) -> Option<String> {
        self.0
            .get("recordId")
            .and_then(|id| id.as_str().map(str::to_owned))
    }

    /// The judgment's `decision`, when it has a string one.
    pub fn decision(&self) -> Option<String> {
        self.0
            .get("decision")
            .and_then(|d| d.as_str().map(str::to_owned))
    }
}

/// Whose judgments to gather: one reviewer's (`reviewerId`), in the organizations named, or
/// in the whole workspace when none are.
///
/// ```
/// use velt_api::stores::JudgmentsQuery;
///
/// let everywhere = JudgmentsQuery::reviewer("user-42");
/// let some = JudgmentsQuery::reviewer("user-42").organizations(["org-1", "org-2"]);
/// # let _ = (everywhere, some);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JudgmentsQuery {
    reviewer_id: String,
    organization_ids: Vec<String>,
}

impl JudgmentsQuery {
    /// The most records one Query Judgments answer holds (`limit` is 1 to 100).
    pub const LIMIT: u64 = 100;

    /// The decision values the page documents, by which a query at the limit is split.
    pub const DECISIONS: [&'static str; 10] = [
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

    /// The judgments `reviewer_id` made, in the whole workspace unless organizations are
    /// named.
    pub fn reviewer(reviewer_id: impl Into<String>) -> Self {
        JudgmentsQuery {
            reviewer_id: reviewer_id.into(),
            organization_ids: Vec::new(),
        }
    }

    /// Only in these organizations (one query each); added to those named before.
    pub fn organizations<I, S>(mut self, organization_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.organization_ids
            .extend(organization_ids.into_iter().map(Into::into));
        self
    }

    /// The reviewer.
    pub fn reviewer_id(&self) -> &str {
        &self.reviewer_id
    }
}

/// Records gathered by several calls, and where the calls may have missed some.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gathered<T> {
    /// The records, each once.
    pub items: Vec<T>,
    /// The queries whose answer was still at Velt's limit after splitting: there may be more
    /// records than came back.
    pub gaps: Vec<Gap>,
}

impl<T> Gathered<T> {
    /// Whether every answer was under the limit, so nothing was left out.
    pub fn is_complete(&self) -> bool {
        self.gaps.is_empty()
    }
}

/// A query whose answer was at the limit: possibly incomplete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    /// The organization of the query; `None` for the whole workspace.
    pub organization_id: Option<String>,
    /// The decision value of the query; `None` when the query was not split by decision (it
    /// held judgments without a decision value, which no split can reach).
    pub decision: Option<String>,
}

/// Query Judgments for `query`: one query per organization (or one for the workspace); a
/// query whose answer is at the limit is asked again once per decision value (those the
/// page documents and any other the answer shows), and an answer still at the limit is a
/// [`Gap`]. Judgments are kept once each (by `recordId`, else by their text).
pub(crate) async fn query_judgments(
    transport: &Arc<Transport>,
    query: &JudgmentsQuery,
) -> Result<Gathered<Judgment>> {
    let invalid = |message: String| Error::invalid_input(Operation::QueryJudgments, message);
    require_id("reviewer id", &query.reviewer_id).map_err(invalid)?;
    let mut organizations: Vec<&String> = Vec::new();
    for id in &query.organization_ids {
        require_id("organization id", id).map_err(invalid)?;
        if !organizations.contains(&id) {
            organizations.push(id);
        }
    }
    let scopes: Vec<Option<&str>> = if organizations.is_empty() {
        vec![None]
    } else {
        organizations
            .into_iter()
            .map(|o| Some(o.as_str()))
            .collect()
    };
    let mut gathered = Gathered {
        items: Vec::new(),
        gaps: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut keep = |items: &mut Vec<Judgment>, judgments: Vec<Judgment>| {
        for judgment in judgments {
            let key = judgment.id().map_or_else(
                || format!("text:{}", judgment.raw()),
                |id| format!("id:{id}"),
            );
            if seen.insert(key) {
                items.push(judgment);
            }
        }
    };
    for scope in scopes {
        let answer = ask(transport, query, scope, None).await?;
        if !answer.at_limit {
            keep(&mut gathered.items, answer.judgments);
            continue;
        }
        let mut decisions: Vec<String> = JudgmentsQuery::DECISIONS
            .iter()
            .map(|d| (*d).to_owned())
            .collect();
        let mut undecided = false;
        for judgment in &answer.judgments {
            match judgment.decision() {
                Some(d) if !decisions.contains(&d) => decisions.push(d),
                Some(_) => {}
                None => undecided = true,
            }
        }
        keep(&mut gathered.items, answer.judgments);
        if undecided {
            gathered.gaps.push(Gap {
                organization_id: scope.map(str::to_owned),
                decision: None,
            });
        }
        for decision in decisions {
            let split = ask(transport, query, scope, Some(&decision)).await?;
            if split.at_limit {
                gathered.gaps.push(Gap {
                    organization_id: scope.map(str::to_owned),
                    decision: Some(decision),
                });
            }
            keep(&mut gathered.items, split.judgments);
        }
    }
    Ok(gathered)
}

/// One Query Judgments answer.
struct Answer {
    judgments: Vec<Judgment>,
    /// The answer holds as many records as it may: there may be more.
    at_limit: bool,
}

async fn ask(
    transport: &Arc<Transport>,
    query: &JudgmentsQuery,
    organization_id: Option<&str>,
    decision: Option<&str>,
) -> Result<Answer> {
    let invalid = |message: String| Error::invalid_input(Operation::QueryJudgments, message);
    let data = types::QueryJudgmentsRequestData::builder()
        .reviewer_id(Some(query.reviewer_id.clone()))
        .organization_id(organization_id.map(str::to_owned))
        .decision(decision.map(str::to_owned))
        .limit(NonZeroU64::new(JudgmentsQuery::LIMIT));
    let body: types::QueryJudgmentsRequest = types::QueryJudgmentsRequest::builder()
        .data(data)
        .try_into()
        .map_err(|e: types::error::ConversionError| invalid(e.to_string()))?;
    let response = transport
        .call(Operation::QueryJudgments, |generated| {
            let body = body.clone();
            async move { generated.query_judgments().body(body).send().await }
        })
        .await?;
    let result = response.result;
    let returned = result.results.len() as u64;
    let total = result.total.map_or(0, |t| u64::try_from(t).unwrap_or(0));
    Ok(Answer {
        judgments: result.results.into_iter().map(Judgment).collect(),
        at_limit: returned.max(total) >= JudgmentsQuery::LIMIT,
    })
}
