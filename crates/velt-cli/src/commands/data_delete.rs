//! `velt data delete`: the primitive erasure of known users (in the organizations named, or
//! every organization), with `--wait`, `--verify` and `--receipt`. Finding a person first is
//! `velt request erase`.

use velt_api::Client;
use velt_dsr::{
    erase::{self, ErasureOptions, Verify},
    find,
};

use crate::{
    cli::DeleteArgs,
    erasure::{self as words, Resume},
    failure::Failure,
    output::{Shown, Terminal},
    shared,
};

/// Runs the command.
pub async fn exec(client: &Client, args: DeleteArgs, fake: bool) -> Result<(), Failure> {
    if let Some(flag) = args
        .email
        .as_ref()
        .map(|_| "--email")
        .or(args.all_organizations.then_some("--all-organizations"))
    {
        return Err(Failure::Usage(format!(
            "velt data delete {flag} moved: to find a person in every organization and erase every match (waited for and verified, the receipts kept in a case), run `velt request erase (--email EMAIL | --user-id ID) --yes`; `velt data delete` erases known --user-id(s); nothing was sent"
        )));
    }
    let terminal = Terminal::new(Shown {
        job_ids_on_stdout: true,
        ..Shown::default()
    });
    let events = |event| terminal.show(event);
    let mut verify = Verify {
        enabled: args.verify.verify,
        organization_ids: args.verify.verify_organization_ids.clone(),
        allow_empty: args.verify.allow_empty,
    };
    let resume = Resume {
        verify: verify.enabled,
        verify_organization_ids: verify.organization_ids.clone(),
        allow_empty: verify.allow_empty,
        timeout: args.timeout,
        fake,
    };
    // Every organization, verified: find where the users are before erasing them.
    if verify.enabled && args.organization_ids.is_empty() && verify.organization_ids.is_empty() {
        verify.organization_ids = find::organizations_of_users(
            client,
            &args.user_ids,
            usize::from(args.concurrency),
            &events,
        )
        .await
        .map_err(|error| match error {
            velt_dsr::Error::SearchIncomplete(_) => Failure::Failed(format!(
                "--verify needs the organizations of the users, and {}\nnothing was erased; run the command again, or name the organizations to check with --verify-organization-id",
                crate::failure::incompleteness(&error)
            )),
            velt_dsr::Error::NobodyFound { .. } => Failure::NotFound(format!(
                "--verify: no organization holds a user {}; nothing was erased",
                args.user_ids.join(", ")
            )),
            other => other.into(),
        })?;
    }
    let plan = erase::plan(ErasureOptions {
        user_ids: args.user_ids,
        organization_ids: args.organization_ids,
        wait: args.wait,
        poll: shared::poll(args.timeout),
        receipt: args.receipt,
        verify,
    })?;
    if !args.yes {
        words::confirm(plan.request())?;
    }
    let outcome = tokio::select! {
        outcome = erase::run(client, plan.clone(), &events) => outcome.map_err(Failure::from),
        _ = tokio::signal::ctrl_c() => Err(interrupted(plan.receipt(), &resume)),
    };
    let checks = async {
        let outcome = outcome?;
        words::judge(&outcome, &resume, &terminal)?;
        Ok::<_, Failure>(erase::check_stores_of(client, &outcome, &events).await)
    }
    .await;
    terminal.finish();
    let checks = checks?;
    if checks.is_empty() {
        return Ok(());
    }
    words::judge_stores(&checks, fake)
}

/// Ctrl-C during the wait: the jobs go on at Velt; how to take the wait up again.
pub fn interrupted(receipt: Option<&std::path::Path>, resume: &Resume) -> Failure {
    Failure::Interrupted(match receipt {
        Some(path) => format!(
            "the deletion jobs go on at Velt; resume the wait with `{}`{}",
            resume.command(path),
            resume.fake_note()
        ),
        None => "the deletion jobs go on at Velt; follow them with `velt data delete-status --job-id JOB --wait`".to_owned(),
    })
}
