//! What the answer covers, in words: the coverage table of the case (each store, what of it
//! the case holds, the stores no documented call reads), the organizations by name, and
//! whether the search for the person's accounts was complete.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::model::{Case, CoverageRow, CoverageState, SEARCH_FILE, unread_stores};
use crate::report::common::count_words;

/// The most reasons of an incomplete search named in the summary; the rest are counted.
const REASONS_SHOWN: usize = 20;

/// One row of the coverage table, in words.
#[derive(Debug, Serialize)]
pub(crate) struct RowView {
    label: String,
    organization_name: Option<String>,
    organization_id: Option<String>,
    state: &'static str,
    state_key: &'static str,
    items: Option<String>,
    bytes: Option<String>,
    note: Option<String>,
    files: Vec<String>,
}

/// The coverage of the answer, for the summary and its table.
#[derive(Debug, Serialize)]
pub(crate) struct CoverageView {
    /// Whether the case records a coverage table (cases answered before it was kept do not).
    recorded: bool,
    /// Every row: the case's, or only the stores no documented call reads.
    rows: Vec<RowView>,
    /// The rows read in part, not read for a failure, or not requested.
    incomplete: Vec<RowView>,
    /// The labels of the stores no documented call reads.
    unread: Vec<String>,
    /// Whether every row says collected (then, and only then, the summary may say each store
    /// listed was read).
    complete: bool,
    /// Whether the files behind the links were not requested.
    pub(crate) files_not_requested: bool,
}

/// The state in plain words, and a class name for it.
fn state_words(state: CoverageState) -> (&'static str, &'static str) {
    match state {
        CoverageState::Collected => ("Collected in full", "collected"),
        CoverageState::Partial => ("Partly collected", "partial"),
        CoverageState::NotRead => ("Not read: no documented call reads it", "not-read"),
        CoverageState::NotRequested => ("Not requested for this answer", "not-requested"),
        CoverageState::Failed => ("Could not be read", "failed"),
    }
}

fn row_view(row: &CoverageRow, names: &BTreeMap<String, String>) -> RowView {
    let (state, state_key) = state_words(row.state);
    RowView {
        label: row.label.clone(),
        organization_name: row.organization_name.clone().or_else(|| {
            row.organization_id
                .as_ref()
                .and_then(|id| names.get(id).cloned())
        }),
        organization_id: row.organization_id.clone(),
        state,
        state_key,
        items: row.items.map(count_words),
        bytes: row.bytes.map(count_words),
        note: row.note.clone(),
        files: row.files.clone(),
    }
}

/// The names of the organizations, as the coverage table gives them.
pub(crate) fn organization_names(case: &Case) -> BTreeMap<String, String> {
    case.coverage
        .iter()
        .filter_map(|r| Some((r.organization_id.clone()?, r.organization_name.clone()?)))
        .collect()
}

/// An organization as a person reads it: `Acme (org-1)`, or the id.
pub(crate) fn organization_words(id: &str, names: &BTreeMap<String, String>) -> String {
    match names.get(id) {
        Some(name) if name != id => format!("{name} ({id})"),
        _ => id.to_string(),
    }
}

/// The coverage of the case's answer; without a recorded table, the stores no documented
/// call reads are still named.
pub(crate) fn coverage_view(case: &Case) -> CoverageView {
    let names = organization_names(case);
    let recorded = !case.coverage.is_empty();
    let rows: Vec<CoverageRow> = if recorded {
        case.coverage.clone()
    } else {
        unread_stores()
    };
    let incomplete = rows
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                CoverageState::Partial | CoverageState::Failed | CoverageState::NotRequested
            )
        })
        .map(|r| row_view(r, &names))
        .collect();
    let mut unread: Vec<String> = rows
        .iter()
        .filter(|r| r.state == CoverageState::NotRead)
        .map(|r| r.label.clone())
        .collect();
    unread.dedup();
    CoverageView {
        recorded,
        complete: recorded && rows.iter().all(|r| r.state.is_complete()),
        files_not_requested: rows
            .iter()
            .any(|r| r.store == "files" && r.state == CoverageState::NotRequested),
        rows: rows.iter().map(|r| row_view(r, &names)).collect(),
        incomplete,
        unread,
    }
}

/// What the search record says of its completeness.
#[derive(Debug, Serialize)]
pub(crate) struct SearchView {
    /// Why the search was not complete, one reason each (organizations that could not be
    /// searched, a listing that stopped).
    reasons: Vec<String>,
    /// Reasons beyond those named.
    more: usize,
}

/// The search recorded in the case (`search.json`, as `velt_api::search::Search`
/// serializes), when it says it was not complete; `None` when it was, or when the record
/// does not say.
pub(crate) fn incomplete_search(dir: &Path, case: &Case) -> Option<SearchView> {
    case.file(SEARCH_FILE)?;
    let record: Value = serde_json::from_slice(&std::fs::read(dir.join(SEARCH_FILE)).ok()?).ok()?;
    let search = record.get("search")?;
    if search.get("complete")?.as_bool()? {
        return None;
    }
    let names = organization_names(case);
    let mut reasons = Vec::new();
    if let Some(error) = search.get("listingError").and_then(Value::as_str) {
        reasons.push(format!(
            "the list of organizations could not be read to its end ({error}); the organizations after that point were not searched"
        ));
    }
    for failure in search
        .get("failures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = failure
            .get("organizationId")
            .and_then(Value::as_str)
            .unwrap_or("(not named)");
        let error = failure
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        reasons.push(format!(
            "the organization {} could not be searched ({error})",
            organization_words(id, &names)
        ));
    }
    if reasons.is_empty() {
        reasons.push("the search did not finish in every organization".to_string());
    }
    let more = reasons.len().saturating_sub(REASONS_SHOWN);
    reasons.truncate(REASONS_SHOWN);
    Some(SearchView { reasons, more })
}
