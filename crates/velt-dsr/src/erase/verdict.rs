//! What a check of a store after an erasure found: plain data, shared by the checks
//! ([`super::check_stores`]) and the events that report them.

use std::collections::BTreeMap;

use serde::Serialize;

/// What one check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "verdict")]
pub enum StoreVerdict {
    /// Nothing of the person is left in the store.
    Gone,
    /// Records remain.
    Remaining {
        /// How many.
        count: usize,
        /// Why they are still there, in words.
        why: String,
    },
    /// Velt refused to delete these records (immutable activity records), with its answer.
    Retained {
        /// How many.
        count: usize,
        /// Velt's answer, in words.
        answer: String,
    },
    /// The store could not be checked.
    NotCheckable {
        /// Why, in words.
        why: String,
    },
}

/// One store checked for one user (and organization, for stores kept per organization).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreCheck {
    /// The store (`activities`, `permissions`, `memoryProfile`).
    pub store: String,
    /// The organization, for stores kept per organization.
    pub organization_id: Option<String>,
    /// The user.
    pub user_id: String,
    /// Records deleted by this pass.
    pub deleted: usize,
    /// What is left.
    #[serde(flatten)]
    pub verdict: StoreVerdict,
    /// What Velt said of each activity id sent for deletion (id to outcome, in words).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ids: BTreeMap<String, String>,
}

impl StoreCheck {
    /// Whether the check found nothing of the person.
    pub fn is_gone(&self) -> bool {
        self.verdict == StoreVerdict::Gone
    }
}

/// The check in words, where and what: `activities in org-1 (user u-1): 25 remaining
/// record(s): why`.
impl std::fmt::Display for StoreCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.organization_id {
            Some(organization) => write!(
                f,
                "{} in {organization} (user {}): ",
                self.store, self.user_id
            )?,
            None => write!(f, "{} (user {}): ", self.store, self.user_id)?,
        }
        match &self.verdict {
            StoreVerdict::Gone => write!(f, "gone"),
            StoreVerdict::Remaining { count, why } => {
                write!(f, "{count} remaining record(s): {why}")
            }
            StoreVerdict::Retained { count, answer } => write!(
                f,
                "{count} retained record(s): Velt refused to delete them ({answer})"
            ),
            StoreVerdict::NotCheckable { why } => write!(f, "not checkable: {why}"),
        }
    }
}
