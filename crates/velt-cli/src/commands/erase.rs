//! `velt data delete` and `velt data delete-status`.

use velt_api::Client;

use crate::{
    cli::{DeleteArgs, DeleteStatusArgs, VerifyArgs},
    erase::{self, Erasure, StatusCheck, Verify},
    failure::Failure,
};

/// `velt data delete`: erase users, and with `--wait` follow the jobs to the end.
pub async fn delete(client: &Client, args: DeleteArgs, fake: bool) -> Result<(), Failure> {
    erase::delete(
        client,
        Erasure {
            user_ids: args.user_ids,
            organization_ids: args.organization_ids,
            yes: args.yes,
            wait: args.wait,
            timeout: args.timeout,
            receipt: args.receipt,
            verify: verify(args.verify),
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
