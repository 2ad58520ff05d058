//! `velt data delete` and `velt data delete-status`.

use velt_api::{Client, search::Subject};

use crate::{
    cli::{DeleteArgs, DeleteStatusArgs, VerifyArgs},
    erase::{self, Erasure, MatchesErasure, StatusCheck, Verify},
    failure::Failure,
    find::{self, Find},
};

/// `velt data delete`: erase users, and with `--wait` follow the jobs to the end; with
/// `--email` or `--all-organizations`, everyone found, in the organizations found.
pub async fn delete(client: &Client, args: DeleteArgs, fake: bool) -> Result<(), Failure> {
    let concurrency = usize::from(args.concurrency);
    let subject = match (
        &args.email,
        args.all_organizations,
        args.user_ids.as_slice(),
    ) {
        (Some(email), _, _) => Some(Subject::email(email)),
        (None, true, [user_id]) => Some(Subject::user_id(user_id)),
        (None, true, _) => {
            return Err(Failure::Usage(
                "--all-organizations takes one --user-id".into(),
            ));
        }
        (None, false, _) => None,
    };
    if let Some(subject) = subject {
        let search = find::find(
            client,
            &Find {
                subject,
                organization_ids: Vec::new(),
                concurrency,
            },
        )
        .await?;
        // Nothing is erased on an incomplete search; nobody found is exit 3.
        find::require_complete(&search)?;
        if let Some(receipt) = &args.receipt {
            let path = erase::sibling_with(receipt, "search");
            find::write_search(&search, &path)?;
            eprintln!("search record: {}", path.display());
        }
        return erase::erase_matches(
            client,
            &search.matches,
            MatchesErasure {
                yes: args.yes,
                wait: args.wait,
                receipt: args.receipt,
                verify: args.verify.verify,
                timeout: args.timeout,
                fake,
            },
        )
        .await
        .map(drop);
    }
    let mut verify = verify(args.verify);
    // Every organization, verified: find where the users are before erasing them.
    if verify.verify && args.organization_ids.is_empty() && verify.organization_ids.is_empty() {
        verify.organization_ids =
            find::organizations_of_users(client, &args.user_ids, concurrency).await?;
    }
    erase::delete(
        client,
        Erasure {
            user_ids: args.user_ids,
            organization_ids: args.organization_ids,
            yes: args.yes,
            wait: args.wait,
            timeout: args.timeout,
            receipt: args.receipt,
            verify,
            fake,
        },
    )
    .await
}

/// `velt data delete-status`: one job, or every job of a receipt.
pub async fn delete_status(
    client: &Client,
    args: DeleteStatusArgs,
    fake: bool,
) -> Result<(), Failure> {
    erase::delete_status(
        client,
        StatusCheck {
            job_id: args.job_id,
            receipt: args.receipt,
            wait: args.wait,
            timeout: args.timeout,
            verify: verify(args.verify),
            fake,
        },
    )
    .await
}

fn verify(args: VerifyArgs) -> Verify {
    Verify {
        verify: args.verify,
        organization_ids: args.verify_organization_ids,
        allow_empty: args.allow_empty,
    }
}
