//! The proof that a user's data is gone: what an export found after an erasure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::export::ExportSummary;

/// What an export of one user in one organization found after the erasure
/// ([`crate::Client::verify_erasure`]): plain data, kept by a receipt (the `velt-case` crate's
/// `records::DeletionReceipt`), which also fills in [`ErasureCheck::before`] and
/// [`ErasureCheck::member_before`] from what it counted before the erasure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureCheck {
    /// The organization exported.
    pub organization_id: String,
    /// The user exported.
    pub user_id: String,
    /// When the export finished.
    pub checked_at: DateTime<Utc>,
    /// Pages the export read.
    pub pages: usize,
    /// Items found, by kind (`comments`, `reactions`, ...): all zero when nothing remains.
    pub remaining: BTreeMap<String, usize>,
    /// Items Velt held before the erasure, by kind, when they were counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<BTreeMap<String, usize>>,
    /// Whether the user was a member of the organization before the erasure (Get Users),
    /// when it was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_before: Option<bool>,
}

impl ErasureCheck {
    /// The check of `user_id` in `organization_id` from what an export found there
    /// ([`crate::export::Export::summarize`]): the four features (zero included) and every
    /// other key Velt sent.
    ///
    /// ```
    /// use velt_api::deletion::ErasureCheck;
    /// use velt_api::export::{ExportSummary, Feature};
    ///
    /// let mut summary = ExportSummary::default();
    /// summary.count(&Feature::Comments);
    /// let check = ErasureCheck::new("org-1", "user-42", &summary);
    /// assert!(!check.nothing_remains());
    /// assert_eq!(check.describe_remaining(), "1 comments");
    /// ```
    pub fn new(organization_id: &str, user_id: &str, summary: &ExportSummary) -> ErasureCheck {
        ErasureCheck {
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
            checked_at: Utc::now(),
            pages: summary.pages,
            remaining: summary
                .counts()
                .map(|(key, n)| (key.to_owned(), n))
                .collect(),
            before: None,
            member_before: None,
        }
    }

    /// True when what was counted before the erasure says the user was not a member of the
    /// organization and held nothing there: that nothing remains then proves nothing. False
    /// when nothing was counted before.
    pub fn held_nothing_before(&self) -> bool {
        self.member_before == Some(false)
            && self
                .before
                .as_ref()
                .is_some_and(|before| before.values().all(|&n| n == 0))
    }

    /// True when the export found no item at all.
    pub fn nothing_remains(&self) -> bool {
        self.remaining.values().all(|&count| count == 0)
    }

    /// What remains, e.g. `1 comments, 2 reactions`, or `nothing`.
    pub fn describe_remaining(&self) -> String {
        let found: Vec<String> = self
            .remaining
            .iter()
            .filter(|(_, count)| **count > 0)
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        if found.is_empty() {
            "nothing".to_owned()
        } else {
            found.join(", ")
        }
    }
}
