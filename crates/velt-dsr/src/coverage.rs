//! The coverage table of an access request: one row per store and organization, saying what
//! was collected, what is partial and why, and the stores no documented call reads. It goes
//! into `case.json` and the report; the report's summary follows it and never says
//! "everything" where a row says otherwise.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use velt_api::{Client, users::OrganizationsQuery};
use velt_case::{
    model::{CoverageRow, CoverageState},
    records::ExportManifest,
};

use crate::{export::ExportedFile, files::FilesCollected};

/// The names Velt lists for `organization_ids` (Get Organizations), to show the person an
/// organization by its name. A failure leaves the names out (the ids are shown): it is not
/// worth failing an answer for.
pub async fn organization_names(
    client: &Client,
    organization_ids: &[String],
) -> BTreeMap<String, String> {
    if organization_ids.is_empty() {
        return BTreeMap::new();
    }
    let listed = client
        .list_organizations(OrganizationsQuery::ids(organization_ids.iter().cloned()))
        .items()
        .try_collect::<Vec<_>>()
        .await;
    listed
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| o.organization_name.map(|name| (o.id, name)))
        .collect()
}

/// A row with the organization named.
pub(crate) fn row(
    store: &str,
    label: &str,
    organization_id: Option<&str>,
    names: &BTreeMap<String, String>,
) -> CoverageRow {
    CoverageRow {
        store: store.to_owned(),
        label: label.to_owned(),
        organization_id: organization_id.map(str::to_owned),
        organization_name: organization_id.and_then(|id| names.get(id).cloned()),
        state: CoverageState::Collected,
        items: None,
        bytes: None,
        note: None,
        files: Vec::new(),
    }
}

/// The GDPR export's rows: one per organization exported, with its items and bytes.
pub(crate) fn export_rows(
    exports: &[ExportedFile],
    case_dir: &std::path::Path,
    names: &BTreeMap<String, String>,
) -> Vec<CoverageRow> {
    exports
        .iter()
        .map(|export| {
            let mut row = row(
                "gdprExport",
                "Comments, reactions, recordings and notifications (Velt's GDPR export)",
                Some(&export.organization_id),
                names,
            );
            // The export's manifest counted them as the file was written.
            if let Ok(manifest) = ExportManifest::load(&ExportManifest::path_for(&export.path)) {
                row.items = Some(manifest.items as u64);
                row.bytes = Some(manifest.bytes);
            }
            if let Ok(relative) = export.path.strip_prefix(case_dir) {
                row.files
                    .push(relative.to_string_lossy().replace('\\', "/"));
            }
            row
        })
        .collect()
}

/// The row of the files behind the links.
pub(crate) fn files_row(collected: &FilesCollected) -> CoverageRow {
    let mut row = row(
        "files",
        "Files behind the links in your data (voice comments, attachments, recordings, transcripts, photos)",
        None,
        &BTreeMap::new(),
    );
    row.items = Some(collected.files as u64);
    row.bytes = Some(collected.bytes);
    row.files.push(velt_case::model::FILE_INDEX.to_owned());
    if !collected.requested && collected.urls > 0 {
        row.state = CoverageState::NotRequested;
        row.note = Some(format!(
            "{} link(s) to files were found and not downloaded: files were not requested for this answer; files.json lists them",
            collected.urls
        ));
    } else if collected.not_fetched > 0 {
        row.state = CoverageState::Partial;
        row.note = Some(format!(
            "{} of {} link(s) could not be downloaded; files.json says why for each",
            collected.not_fetched, collected.urls
        ));
    } else if collected.urls == 0 {
        row.note = Some("your data holds no link to a file".to_owned());
    }
    row
}
