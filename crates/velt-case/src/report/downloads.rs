//! The files behind the links in the person's data, from `files.json` (velt-files'
//! `FetchReport<Provenance>`): each file downloaded into `files/`, linked by its path
//! relative to the report (never its bytes), and each link not downloaded with the reason.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use velt_files::{FetchReport, NotFetchedReason, Provenance};

use crate::model::{Case, FILE_INDEX, FILES_DIR, FileRole};
use crate::report::common::count_words;
use crate::report::coverage::{organization_names, organization_words};

/// Extensions of files a browser may run code in when opened (the page's policy does not
/// follow a link): shown by name, not linked.
const ACTIVE: [&str; 9] = [
    "svg", "svgz", "xml", "html", "htm", "xhtml", "xht", "mht", "mhtml",
];

/// A downloaded file, as the report lists it.
#[derive(Debug, Serialize)]
struct FetchedView {
    /// `files/NAME`.
    path: String,
    /// The link's target, when the file is linked.
    href: Option<String>,
    /// Why it is not linked.
    why: Option<&'static str>,
    bytes: String,
    content_type: Option<String>,
    from: String,
    url: String,
}

/// A link not downloaded.
#[derive(Debug, Serialize)]
struct NotFetchedView {
    url: String,
    reason: String,
    from: String,
}

/// The downloads section's content.
#[derive(Debug, Serialize)]
pub(crate) struct DownloadsView {
    /// Whether the case records `files.json`.
    recorded: bool,
    /// Whether `files.json` could not be read (`problem` says why).
    problem: Option<String>,
    fetched: Vec<FetchedView>,
    fetched_total: String,
    not_fetched: Vec<NotFetchedView>,
    not_fetched_total: String,
    capped: bool,
    cap: String,
    /// Files not requested for this answer (the coverage row, or every link's reason).
    not_requested: bool,
    /// Distinct files in `files/`, and their bytes.
    files: String,
    bytes: String,
}

/// Whether `name` is one plain file name the downloader gives (`<sha256>.<ext>`): letters,
/// digits, `.`, `-` and `_`, not starting with a dot.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// The item a link was found in, in words.
fn provenance_words(p: &Provenance, names: &BTreeMap<String, String>) -> String {
    let item = if p.item_id.is_empty() {
        String::new()
    } else {
        format!(" {}", p.item_id)
    };
    format!(
        "{}{item} in {}, field {}",
        match p.feature.as_str() {
            "comments" => "comment thread",
            "reactions" => "reaction",
            "recordings" => "recording",
            "notifications" => "notification",
            other => other,
        },
        organization_words(&p.organization_id, names),
        p.field_path
    )
}

/// What `files.json` says, up to `cap` links of each kind; `not_requested` when the
/// coverage table says files were not requested.
pub(crate) fn downloads_view(
    dir: &Path,
    case: &Case,
    cap: usize,
    not_requested: bool,
) -> DownloadsView {
    let mut view = DownloadsView {
        recorded: case.file(FILE_INDEX).is_some(),
        problem: None,
        fetched: Vec::new(),
        fetched_total: "0".into(),
        not_fetched: Vec::new(),
        not_fetched_total: "0".into(),
        capped: false,
        cap: count_words(cap as u64),
        not_requested,
        files: "0".into(),
        bytes: "0".into(),
    };
    if !view.recorded {
        return view;
    }
    let index: FetchReport<Provenance> = match std::fs::read(dir.join(FILE_INDEX))
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(index) => index,
        Err(e) => {
            view.problem = Some(e);
            return view;
        }
    };
    let names = organization_names(case);
    let mut distinct: BTreeMap<&str, u64> = BTreeMap::new();
    let mut fetched_total = 0u64;
    for (record, fetched) in index.fetched() {
        fetched_total += 1;
        distinct.insert(&fetched.file, fetched.size);
        if view.fetched.len() >= cap {
            view.capped = true;
            continue;
        }
        let path = format!("{FILES_DIR}/{}", fetched.file);
        let in_case = case
            .file(&path)
            .is_some_and(|f| f.role == FileRole::DownloadedFile);
        let extension = fetched
            .file
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let (href, why) = if !is_plain_name(&fetched.file) {
            (None, Some("not a plain file name; not linked"))
        } else if !in_case {
            (None, Some("not recorded in this folder"))
        } else if ACTIVE.contains(&extension.as_str()) {
            (
                None,
                Some("a kind of file a browser may run code in: open it with another program"),
            )
        } else {
            (Some(path.clone()), None)
        };
        view.fetched.push(FetchedView {
            path,
            href,
            why,
            bytes: count_words(fetched.size),
            content_type: fetched.content_type.clone(),
            from: provenance_words(&record.provenance, &names),
            url: record.url.clone(),
        });
    }
    let mut not_fetched_total = 0u64;
    let mut every_not_requested = true;
    for (record, reason) in index.not_fetched() {
        not_fetched_total += 1;
        every_not_requested &= *reason == NotFetchedReason::NotRequested;
        if view.not_fetched.len() >= cap {
            view.capped = true;
            continue;
        }
        view.not_fetched.push(NotFetchedView {
            url: record.url.clone(),
            reason: reason.to_string(),
            from: provenance_words(&record.provenance, &names),
        });
    }
    view.not_requested |= not_fetched_total > 0 && fetched_total == 0 && every_not_requested;
    view.fetched_total = count_words(fetched_total);
    view.not_fetched_total = count_words(not_fetched_total);
    view.files = count_words(distinct.len() as u64);
    view.bytes = count_words(distinct.values().sum());
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_linked() {
        assert!(is_plain_name(&format!("{}.webm", "a".repeat(64))));
        for bad in [
            "", ".x", "../x", "a/b", "a:b", "a b", "a%2Fb", "a\\b", "a?b",
        ] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
    }
}
