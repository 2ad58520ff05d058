//! `velt request extend`: two further months at most, with the reason recorded.

use velt_case::CaseFolder;

use crate::{
    cli::RequestExtendArgs,
    failure::{Failure, case_failure},
};

/// Runs the command (no credentials needed).
pub fn exec(args: &RequestExtendArgs) -> Result<(), Failure> {
    let mut case = CaseFolder::open(&args.case).map_err(case_failure)?;
    let due = case
        .extend(args.months, &args.reason)
        .map_err(case_failure)?;
    eprintln!(
        "case {} extended by {} month(s): now due {due}; tell the person why, within the first month",
        case.case().id,
        args.months
    );
    Ok(())
}
