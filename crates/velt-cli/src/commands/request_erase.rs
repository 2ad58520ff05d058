//! `velt request erase`: find the person again, erase every match, wait, verify everywhere
//! found, keep the receipts in the case.

use std::path::PathBuf;

use chrono::Utc;
use velt_api::{Client, search::Subject};
use velt_dsr::{
    erase::{StoreCheck, StoreErasure, StoreVerdict},
    request::{self, ErasureRequestOptions},
};

use crate::{
    cli::RequestEraseArgs,
    erasure::{self as words, Resume},
    failure::Failure,
    output::{Shown, Terminal, print_json},
    shared,
};

/// Runs the command.
pub async fn exec(client: &Client, args: RequestEraseArgs, fake: bool) -> Result<(), Failure> {
    let subject = match (args.email, args.user_id) {
        (Some(email), None) => Some(Subject::email(email)),
        (None, Some(user_id)) => Some(Subject::user_id(user_id)),
        _ => None,
    };
    let dir = args.case.unwrap_or_else(|| {
        PathBuf::from("cases").join(format!("erasure-{}", Utc::now().format("%Y%m%d-%H%M%S")))
    });
    let terminal = Terminal::new(Shown::default());
    let events = |event| terminal.show(event);
    let prepared = request::prepare_erasure(
        client,
        ErasureRequestOptions {
            case: dir.clone(),
            subject,
            organization_ids: args.organization_ids,
            concurrency: usize::from(args.concurrency),
            received: args.received,
            poll: shared::poll(args.timeout),
            stores: StoreErasure {
                erase_activities: args.erase_activities,
                retain_reason: args.retain_reason,
            },
        },
        &events,
    )
    .await;
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            terminal.finish();
            return Err(error.into());
        }
    };
    if prepared.is_second_pass() {
        eprintln!(
            "the GDPR deletion of this case was verified by an earlier pass: working from the matches it recorded"
        );
    }
    if !args.yes {
        for plan in prepared.plans() {
            words::confirm(plan.request())?;
        }
    }
    let resume = Resume {
        verify: true,
        timeout: args.timeout,
        fake,
        ..Resume::default()
    };
    let receipt = dir.join(velt_case::model::RECEIPT_FILE);
    let outcome = tokio::select! {
        outcome = prepared.run(client, &events) => outcome.map_err(Failure::from),
        _ = tokio::signal::ctrl_c() => Err(super::data_delete::interrupted(Some(&receipt), &resume)),
    };
    terminal.finish();
    let outcome = outcome?;
    for erasure in &outcome.outcomes {
        words::judge(erasure, &resume, &terminal)?;
    }
    let kept: Vec<&StoreCheck> = outcome
        .store_checks
        .iter()
        .filter(|c| !c.is_gone())
        .collect();
    if !outcome.erased {
        if kept.is_empty() {
            return Err(Failure::Failed(format!(
                "the erasure is not verified; the case {} stays open",
                dir.display()
            )));
        }
        let lines: Vec<String> = kept.iter().map(|c| c.to_string()).collect();
        let erase_hint = if kept
            .iter()
            .any(|c| c.store == "activities" && matches!(c.verdict, StoreVerdict::Remaining { .. }))
        {
            format!(
                "\nto delete the activity records: `{} request erase --case {} --erase-activities --yes`",
                shared::velt_command(fake),
                dir.display()
            )
        } else {
            String::new()
        };
        return Err(Failure::Failed(format!(
            "the GDPR deletion is verified, but data remains in other stores:\n{}{erase_hint}\nto keep what stays for a reason the law allows, add --retain-reason TEXT; the case {} stays open",
            lines.join("\n"),
            dir.display()
        )));
    }
    if kept.is_empty() {
        eprintln!(
            "erased and verified: nothing remains in the {} organization(s) found, in the GDPR export's lists, activity records, permissions and AI Memory profile; receipt(s) kept in {}",
            outcome.organizations.len(),
            dir.display()
        );
    } else {
        for check in &kept {
            eprintln!("kept, with the recorded reason: {check}");
        }
        eprintln!(
            "erased, with {} store(s) kept for the recorded reason; receipt(s) kept in {}",
            kept.len(),
            dir.display()
        );
    }
    print_json(&outcome.case)
}
