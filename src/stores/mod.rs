//! Velt's other stores of a person's data, beside the GDPR export: the activity log
//! ([`crate::Client::list_activities`], [`crate::Client::delete_activities`]), permissions
//! ([`crate::Client::permissions`]), AI Memory's reviewer profile and judgments
//! ([`crate::Client::reviewer_profile`], [`crate::Client::query_judgments`]) and notification
//! settings ([`crate::Client::notification_config`]).
//!
//! Get All User Data returns comments, reactions, recordings and notifications; Velt's own
//! pages show these further stores holding data about a person. Every record comes back as
//! the JSON text Velt sent ([`RawItem`]): what a person is shown is what Velt holds, fields
//! this crate does not know included.
//!
//! What each call cannot do is said in its result, never hidden:
//! - Delete Activity Logs answers per id; [`ActivityDeletion`] keeps every batch with Velt's
//!   answer or the error, and names the ids whose outcome is unknown.
//! - Query Judgments has a `limit` of 100 and no next page; [`Client::query_judgments`]
//!   splits the query until each answer is under the limit, and what is still at the limit
//!   is a [`Gap`] of the [`Gathered`] result.
//!
//! [`Client::query_judgments`]: crate::Client::query_judgments
//!
//! ```no_run
//! use velt_api::stores::{ActivitiesQuery, JudgmentsQuery};
//!
//! # async fn run(client: velt_api::Client) -> velt_api::Result<()> {
//! let activities = client
//!     .list_activities(ActivitiesQuery::of_user("org-1", "user-42"))
//!     .collect()
//!     .await?;
//! for record in &activities {
//!     println!("{}", record.raw());
//! }
//! let judgments = client
//!     .query_judgments(&JudgmentsQuery::reviewer("user-42").organizations(["org-1"]))
//!     .await?;
//! if !judgments.is_complete() {
//!     eprintln!("possibly incomplete: {:?}", judgments.gaps);
//! }
//! # Ok(())
//! # }
//! ```

mod access;
mod activities;
mod memory;

pub use access::{NotificationConfigQuery, NotificationSetting, Permissions, PermissionsQuery};
pub(crate) use access::{notification_config, permissions};
pub use activities::{
    ActivitiesPage, ActivitiesQuery, ActivityDeletion, ActivityList, ActivityOrder, ActivityRecord,
    Batch, BatchResult,
};
pub(crate) use activities::{delete_activities, list_activities};
pub use memory::{Gap, Gathered, Judgment, JudgmentsQuery, ReviewerProfile};
pub(crate) use memory::{query_judgments, reviewer_profile};

/// The JSON text of a record exactly as Velt sent it (the type of every record of these
/// stores).
pub use crate::export::RawItem;
