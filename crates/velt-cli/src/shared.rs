//! What several commands share: the subject from `--email`/`--user-id`, the day a request
//! was received, how to wait for deletion jobs, the exit status of a search, and the command
//! as the user ran it.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use velt_api::{
    deletion::PollOptions,
    search::{Search, Subject},
};
use velt_dsr::find::{self, Found};

use crate::{
    cli::SubjectArgs,
    failure::{Failure, incompleteness},
};

/// The command that runs velt as the user ran it, for hints: `velt`, or `velt --fake`.
pub fn velt_command(fake: bool) -> String {
    if fake { "velt --fake" } else { "velt" }.to_owned()
}

/// How to wait for deletion jobs: `--timeout` as the one deadline for every job, or the
/// poller's default (24 hours), with the poller's intervals (`PollOptions` says why).
pub fn poll(timeout: Option<Duration>) -> PollOptions {
    let mut poll = PollOptions::default();
    if let Some(timeout) = timeout {
        poll.deadline = timeout;
    }
    poll
}

/// `--email` or `--user-id`.
pub fn subject(args: SubjectArgs) -> Result<Subject, Failure> {
    match (args.email, args.user_id) {
        (Some(email), None) => Ok(Subject::email(email)),
        (None, Some(user_id)) => Ok(Subject::user_id(user_id)),
        _ => Err(Failure::Usage("give one of --email and --user-id".into())),
    }
}

/// The day a request was received: the one given, or today.
pub fn received_or_today(given: Option<NaiveDate>) -> Result<NaiveDate, Failure> {
    let today = Utc::now().date_naive();
    let day = given.unwrap_or(today);
    if day > today {
        return Err(Failure::Usage(format!(
            "--received {day} is in the future; give the day the request arrived"
        )));
    }
    Ok(day)
}

/// The exit status of a search: 0 with matches and complete, 3 when complete and nothing
/// was found, 1 when it is incomplete (the organizations that failed are named).
pub fn search_status(search: &Search) -> Result<(), Failure> {
    match find::found(search) {
        Found::Matches => Ok(()),
        Found::Incomplete => Err(Failure::Failed(incompleteness(
            &velt_dsr::Error::SearchIncomplete(Box::new(search.search.clone())),
        ))),
        Found::Nobody => Err(Failure::from(
            find::require_matches(search)
                .err()
                .unwrap_or(velt_dsr::Error::SearchIncomplete(Box::new(
                    search.search.clone(),
                ))),
        )),
    }
}
