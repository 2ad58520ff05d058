//! `velt data verify-export`: moved to `velt request check FILE`, the one check of files and
//! cases; kept only to say so.

use crate::{cli::VerifyExportArgs, failure::Failure};

/// Says where the command went; nothing is checked.
pub fn exec(args: &VerifyExportArgs) -> Result<(), Failure> {
    let manifest = args
        .manifest
        .as_ref()
        .map(|m| format!(" --manifest {}", m.display()))
        .unwrap_or_default();
    Err(Failure::Usage(format!(
        "velt data verify-export moved: run `velt request check {}{manifest}`, which checks an export file against its manifest, and a case folder against its records",
        args.file.display()
    )))
}
