//! `velt data delete-status`: one job by id, or every job of a receipt (followed, waited for,
//! verified).

use velt_api::Client;
use velt_dsr::erase::{self, FollowOptions, Verify, WaitStop};

use super::data_delete::interrupted;
use crate::{
    cli::DeleteStatusArgs,
    erasure::{self as words, Resume},
    failure::Failure,
    output::{Shown, Terminal, print_json},
    shared,
};

/// Runs the command.
pub async fn exec(client: &Client, args: DeleteStatusArgs, fake: bool) -> Result<(), Failure> {
    let terminal = Terminal::new(Shown::default());
    let events = |event| terminal.show(event);
    let Some(path) = args.receipt else {
        if args.verify.verify {
            return Err(Failure::Usage(
                "--verify needs --receipt FILE: a job id alone does not say which users to check"
                    .into(),
            ));
        }
        let job_id = args.job_id.as_deref().unwrap_or_default();
        let poll = shared::poll(args.timeout);
        let wait = args.wait.then_some(&poll);
        let status = erase::job_status(client, job_id, wait, &events).await;
        terminal.finish();
        let status = match status {
            Ok(Ok(status)) => status,
            Ok(Err(WaitStop::DeadlinePassed {
                waited, tasks_left, ..
            })) => {
                return Err(words::deadline_failure(
                    job_id,
                    waited,
                    tasks_left,
                    args.timeout,
                    &format!(
                        "\nthe deletion goes on at Velt; wait again with `velt data delete-status --job-id {job_id} --wait`"
                    ),
                ));
            }
            Ok(Err(WaitStop::Failed { error, .. })) => {
                return Err(words::job_failure(job_id, &[], &error, ""));
            }
            Ok(Err(other)) => return Err(Failure::Failed(format!("{other:?}"))),
            Err(velt_dsr::Error::Velt { source, .. }) => {
                return Err(words::job_failure(job_id, &[], &source, ""));
            }
            Err(other) => return Err(other.into()),
        };
        return print_json(&JobStatus {
            job_id,
            status: &status,
        });
    };
    let verify = Verify {
        enabled: args.verify.verify,
        organization_ids: args.verify.verify_organization_ids,
        allow_empty: args.verify.allow_empty,
    };
    let resume = Resume {
        verify: verify.enabled,
        verify_organization_ids: verify.organization_ids.clone(),
        allow_empty: verify.allow_empty,
        timeout: args.timeout,
        fake,
    };
    let options = FollowOptions {
        receipt: path.clone(),
        wait: args.wait,
        poll: shared::poll(args.timeout),
        verify,
    };
    let outcome = tokio::select! {
        outcome = erase::follow(client, options, &events) => outcome.map_err(|error| match error {
            velt_dsr::Error::Refused(refusal) if refusal.kind == velt_dsr::RefusalKind::OtherVelt => {
                Failure::Usage(format!("{}{}", crate::failure::refusal_message(&refusal), resume.fake_note()))
            }
            velt_dsr::Error::Velt { during: velt_dsr::Step::Status { job_id, user_ids }, source } => {
                words::job_failure(&job_id, &user_ids, &source, &format!(
                    "\nthe receipt {} records where things stand; resume with `{}`{}",
                    path.display(), resume.command(&path), resume.fake_note()
                ))
            }
            other => other.into(),
        }),
        _ = tokio::signal::ctrl_c() => Err(interrupted(Some(&path), &resume)),
    };
    let checked = async {
        let outcome = outcome?;
        words::judge(&outcome, &resume, &terminal)?;
        let checks = erase::check_stores_of(client, &outcome, &events).await;
        Ok::<_, Failure>((outcome, checks))
    }
    .await;
    terminal.finish();
    let (outcome, checks) = checked?;
    print_json(&outcome.receipt)?;
    if checks.is_empty() {
        return Ok(());
    }
    words::judge_stores(&checks, fake)
}

/// What `delete-status --job-id` prints: the job and its status, in camelCase like every JSON
/// the tool prints.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct JobStatus<'a> {
    job_id: &'a str,
    #[serde(flatten)]
    status: &'a velt_api::deletion::DeletionStatus,
}
