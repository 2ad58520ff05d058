//! The activity log: Get Activity Logs as a listing through the crate's one pager, and Delete
//! Activity Logs in batches, every batch's outcome kept.

use std::{collections::HashSet, num::NonZeroU64, sync::Arc};

use serde::Serialize;

use crate::{
    error::{Error, Operation, Result},
    export::RawItem,
    generated::types,
    pager::Listing,
    transport::context::Transport,
    users::{check_ids, require_id},
};

/// The order of the records, by timestamp (`order`); Velt's default is newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityOrder {
    /// `desc`: newest first.
    NewestFirst,
    /// `asc`: oldest first.
    OldestFirst,
}

impl ActivityOrder {
    /// The spec's value (`desc`, `asc`).
    fn wire(self) -> types::GetActivitiesRequestDataOrder {
        match self {
            ActivityOrder::NewestFirst => types::GetActivitiesRequestDataOrder::Desc,
            ActivityOrder::OldestFirst => types::GetActivitiesRequestDataOrder::Asc,
        }
    }
}

/// Which activity records to list with Get Activity Logs: those of one organization, by
/// default the ones one user performed ([`ActivitiesQuery::of_user`]), narrowed down by any
/// of the page's filters.
///
/// ```
/// use velt_api::stores::{ActivitiesQuery, ActivityOrder};
///
/// let mine = ActivitiesQuery::of_user("org-1", "user-42");
/// let comments = ActivitiesQuery::organization("org-1")
///     .document("doc-7")
///     .feature_types(["comment"])
///     .order(ActivityOrder::OldestFirst)
///     .page_size(200);
/// # let _ = (mine, comments);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivitiesQuery {
    organization_id: String,
    user_id: Option<String>,
    document_id: Option<String>,
    target_entity_id: Option<String>,
    feature_types: Vec<String>,
    action_types: Vec<String>,
    activity_ids: Vec<String>,
    order: Option<ActivityOrder>,
    page_size: Option<NonZeroU64>,
}

impl ActivitiesQuery {
    /// Every activity record of `organization_id`.
    pub fn organization(organization_id: impl Into<String>) -> Self {
        ActivitiesQuery {
            organization_id: organization_id.into(),
            ..ActivitiesQuery::default()
        }
    }

    /// The records of `organization_id` whose acting user is `user_id` (`userId`).
    pub fn of_user(organization_id: impl Into<String>, user_id: impl Into<String>) -> Self {
        ActivitiesQuery {
            user_id: Some(user_id.into()),
            ..ActivitiesQuery::organization(organization_id)
        }
    }

    /// Only the records of this document.
    pub fn document(mut self, document_id: impl Into<String>) -> Self {
        self.document_id = Some(document_id.into());
        self
    }

    /// Only the records of this entity (an annotation id, for example).
    pub fn target_entity(mut self, target_entity_id: impl Into<String>) -> Self {
        self.target_entity_id = Some(target_entity_id.into());
        self
    }

    /// Only these feature types (the page names `comment`, `reaction`, `recorder`, `crdt`,
    /// `custom`).
    pub fn feature_types<I, S>(mut self, feature_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.feature_types
            .extend(feature_types.into_iter().map(Into::into));
        self
    }

    /// Only these action types (`comment.add`, ...).
    pub fn action_types<I, S>(mut self, action_types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.action_types
            .extend(action_types.into_iter().map(Into::into));
        self
    }

    /// Only these records.
    pub fn activity_ids<I, S>(mut self, activity_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.activity_ids
            .extend(activity_ids.into_iter().map(Into::into));
        self
    }

    /// The order of the records (Velt's default: newest first).
    pub fn order(mut self, order: ActivityOrder) -> Self {
        self.order = Some(order);
        self
    }

    /// How many records a page holds at most (Velt's default is 1000); 0 is Velt's default.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = NonZeroU64::new(page_size);
        self
    }

    /// The organization looked in.
    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// The request body of the page `page_token`, or why it cannot be sent.
    fn to_request(&self, page_token: Option<String>) -> Result<types::GetActivitiesRequest> {
        let invalid = |message: String| Error::invalid_input(Operation::GetActivities, message);
        require_id("organization id", &self.organization_id).map_err(invalid)?;
        for (what, id) in [
            ("user id", &self.user_id),
            ("document id", &self.document_id),
            ("target entity id", &self.target_entity_id),
        ] {
            if let Some(id) = id {
                require_id(what, id).map_err(invalid)?;
            }
        }
        check_ids("activity ids", &self.activity_ids, usize::MAX).map_err(invalid)?;
        check_ids("feature types", &self.feature_types, usize::MAX).map_err(invalid)?;
        check_ids("action types", &self.action_types, usize::MAX).map_err(invalid)?;
        let data = types::GetActivitiesRequestData::builder()
            .organization_id(self.organization_id.clone())
            .user_id(self.user_id.clone())
            .document_id(self.document_id.clone())
            .target_entity_id(self.target_entity_id.clone())
            .feature_types(self.feature_types.clone())
            .action_types(self.action_types.clone())
            .activity_ids(self.activity_ids.clone())
            .order(self.order.map(ActivityOrder::wire))
            .page_size(self.page_size)
            .page_token(page_token.filter(|t| !t.is_empty()));
        types::GetActivitiesRequest::builder()
            .data(data)
            .try_into()
            .map_err(|e: types::error::ConversionError| invalid(e.to_string()))
    }
}

/// One activity log record, as the JSON text Velt sent. Velt documents `id`, `featureType`,
/// `actionType`, `actionUser`, `targetEntityId`, the display template and its data,
/// `metadata` and `timestamp`, and its data-models page more (`entityData`, the entity as it
/// was; `changes`, values before and after): every field is kept.
///
/// Velt puts the workspace's API key in `metadata.apiKey`: a record is the company's data
/// too, and should not be handed on unread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ActivityRecord(RawItem);

impl ActivityRecord {
    /// The record exactly as Velt sent it.
    pub fn raw(&self) -> &RawItem {
        &self.0
    }

    /// The record's `id`, when it has a string one.
    pub fn id(&self) -> Option<String> {
        self.0
            .get("id")
            .and_then(|id| id.as_str().map(str::to_owned))
    }

    /// The record's JSON text, owned.
    pub fn into_raw(self) -> RawItem {
        self.0
    }
}

/// One page of Get Activity Logs.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivitiesPage {
    /// The records of the page, in Velt's order.
    pub activities: Vec<ActivityRecord>,
    /// The next page's token (the page names it `pageToken`); `None` on the last page.
    pub next_page_token: Option<String>,
}

/// A listing of activity records, not yet started: made by
/// [`crate::Client::list_activities`]; nothing is sent until its stream is polled.
pub type ActivityList = Listing<ActivitiesPage, ActivityRecord>;

async fn get_activities_page(
    transport: &Arc<Transport>,
    body: types::GetActivitiesRequest,
) -> Result<ActivitiesPage> {
    let response = transport
        .call(Operation::GetActivities, |generated| {
            let body = body.clone();
            async move { generated.get_activities().body(body).send().await }
        })
        .await?;
    let result = response.result;
    Ok(ActivitiesPage {
        activities: result.data.into_iter().map(ActivityRecord).collect(),
        next_page_token: result.page_token.filter(|t| !t.is_empty()),
    })
}

/// Get Activity Logs for `query`, page after page.
pub(crate) fn list_activities(transport: Arc<Transport>, query: ActivitiesQuery) -> ActivityList {
    Listing::new(
        Operation::GetActivities,
        Arc::new(move |token| {
            let transport = Arc::clone(&transport);
            let request = query.to_request(token);
            Box::pin(async move { get_activities_page(&transport, request?).await })
        }),
        |page| page.next_page_token.as_deref(),
        |page| page.activities,
    )
}

/// What one batch of a deletion came to.
#[derive(Debug)]
pub enum BatchResult {
    /// Velt answered: its answer, which says per id whether the record was deleted (an id it
    /// does not mention has an unknown outcome).
    Answered(types::DeleteActivitiesResult),
    /// The call failed after its retries. When [`Error::is_outcome_unknown`], the request
    /// may have reached Velt and some records may be gone: the client does not send it
    /// again; list the records to know. Otherwise Velt refused the batch as a whole.
    Failed(Error),
    /// The request never left this machine (the connection could not be made, after the
    /// retries): nothing was asked of Velt, and the batch may be sent again.
    NotSent,
}

/// One batch of a deletion: its ids and what became of it.
#[derive(Debug)]
pub struct Batch {
    /// The ids sent together, in the order given.
    pub activity_ids: Vec<String>,
    /// What the batch came to.
    pub result: BatchResult,
}

impl Batch {
    /// The outcome Velt gave for `id`, when it answered and mentioned it.
    fn outcome(&self, id: &str) -> Option<&types::ActivityDeletionOutcome> {
        match &self.result {
            BatchResult::Answered(answer) => answer.data.get(id),
            _ => None,
        }
    }
}

/// The outcome of [`crate::Client::delete_activities`]: every batch, in order, each with
/// Velt's answer or why it has none. Every batch is sent, whatever became of the others.
///
/// ```no_run
/// # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
/// let deletion = client.delete_activities("org-1", ["activity-001", "activity-002"]).await?;
/// for (id, message) in deletion.not_deleted() {
///     eprintln!("{id} not deleted: {}", message.unwrap_or("no reason given"));
/// }
/// for id in deletion.unknown() {
///     eprintln!("{id}: outcome unknown; list the activities to know");
/// }
/// assert_eq!(deletion.all_deleted(), deletion.deleted().count() == 2);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use = "some records may not have been deleted"]
pub struct ActivityDeletion {
    /// Every batch, in the order sent.
    pub batches: Vec<Batch>,
}

impl ActivityDeletion {
    /// The most activity ids one request carries. The page documents no limit on
    /// `activityIds`; the client sends at most 30, the limit Velt documents for the id
    /// lists of its other calls, so that a batch refused as a whole concerns few records.
    pub const IDS_PER_BATCH: usize = 30;

    /// The ids Velt said it deleted.
    pub fn deleted(&self) -> impl Iterator<Item = &str> {
        self.batches.iter().flat_map(|batch| {
            batch
                .activity_ids
                .iter()
                .filter(|id| batch.outcome(id).is_some_and(|o| o.success))
                .map(String::as_str)
        })
    }

    /// The ids Velt said it did not delete, with its message (the page's answer "when some
    /// activities are not found" says `Failed to delete activity.`).
    pub fn not_deleted(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.batches.iter().flat_map(|batch| {
            batch.activity_ids.iter().filter_map(|id| {
                batch
                    .outcome(id)
                    .filter(|o| !o.success)
                    .map(|o| (id.as_str(), o.message.as_deref()))
            })
        })
    }

    /// The ids whose outcome is unknown: Velt's answer does not mention them, or their batch
    /// failed in a way that leaves open whether it reached Velt
    /// ([`Error::is_outcome_unknown`]). They are never sent again by the client.
    pub fn unknown(&self) -> impl Iterator<Item = &str> {
        self.batches.iter().flat_map(|batch| {
            let whole = matches!(&batch.result, BatchResult::Failed(e) if e.is_outcome_unknown());
            let answered = matches!(&batch.result, BatchResult::Answered(_));
            batch
                .activity_ids
                .iter()
                .filter(move |id| whole || (answered && batch.outcome(id).is_none()))
                .map(String::as_str)
        })
    }

    /// The ids of batches that were not sent, or that Velt refused as a whole (an error
    /// that says nothing was deleted): safe to send again, for example one by one.
    pub fn not_sent_or_refused(&self) -> impl Iterator<Item = &str> {
        self.batches.iter().flat_map(|batch| {
            let again = match &batch.result {
                BatchResult::NotSent => true,
                BatchResult::Failed(error) => !error.is_outcome_unknown(),
                BatchResult::Answered(_) => false,
            };
            batch
                .activity_ids
                .iter()
                .filter(move |_| again)
                .map(String::as_str)
        })
    }

    /// Whether Velt said it deleted every id.
    pub fn all_deleted(&self) -> bool {
        self.batches.iter().all(|batch| {
            batch
                .activity_ids
                .iter()
                .all(|id| batch.outcome(id).is_some_and(|o| o.success))
        })
    }
}

/// Delete Activity Logs for `activity_ids` of `organization_id`, in batches of
/// [`ActivityDeletion::IDS_PER_BATCH`], every batch sent whatever became of the others. The
/// input is checked before anything is sent; a repeated id is sent once.
pub(crate) async fn delete_activities(
    transport: &Arc<Transport>,
    organization_id: &str,
    activity_ids: Vec<String>,
) -> Result<ActivityDeletion> {
    let invalid = |message: String| Error::invalid_input(Operation::DeleteActivities, message);
    require_id("organization id", organization_id).map_err(invalid)?;
    if activity_ids.is_empty() {
        return Err(invalid(
            "no activity ids given; pass the ids of the records to delete".to_owned(),
        ));
    }
    check_ids("activity id", &activity_ids, usize::MAX).map_err(invalid)?;
    let mut seen = HashSet::new();
    let ids: Vec<String> = activity_ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let mut requests = Vec::new();
    for chunk in ids.chunks(ActivityDeletion::IDS_PER_BATCH) {
        let data = types::DeleteActivitiesRequestData::builder()
            .organization_id(organization_id.to_owned())
            .activity_ids(chunk.to_vec());
        let body: types::DeleteActivitiesRequest = types::DeleteActivitiesRequest::builder()
            .data(data)
            .try_into()
            .map_err(|e: types::error::ConversionError| invalid(e.to_string()))?;
        requests.push((chunk.to_vec(), body));
    }
    let mut batches = Vec::with_capacity(requests.len());
    for (activity_ids, body) in requests {
        let outcome = transport
            .call(Operation::DeleteActivities, |generated| {
                let body = body.clone();
                async move { generated.delete_activities().body(body).send().await }
            })
            .await;
        let result = match outcome {
            Ok(response) => BatchResult::Answered(response.result),
            Err(error) if error.is_unsent() => {
                tracing::warn!(%error, ids = activity_ids.len(), "batch not sent");
                BatchResult::NotSent
            }
            Err(error) => BatchResult::Failed(error),
        };
        batches.push(Batch {
            activity_ids,
            result,
        });
    }
    Ok(ActivityDeletion { batches })
}
