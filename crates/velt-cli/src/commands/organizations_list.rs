//! `velt organizations list`: the organizations, every page, as a JSON array.

use velt_api::{Client, users::OrganizationsQuery};

use crate::{cli::OrganizationsListArgs, failure::Failure, output::print_json};

/// Runs the command.
pub async fn exec(client: &Client, args: OrganizationsListArgs) -> Result<(), Failure> {
    let mut organizations = Vec::new();
    if args.organization_ids.is_empty() {
        organizations = client
            .list_organizations(OrganizationsQuery::all())
            .collect()
            .await?;
    } else {
        // At most 30 ids a request.
        for chunk in args.organization_ids.chunks(OrganizationsQuery::MAX_IDS) {
            organizations.extend(
                client
                    .list_organizations(OrganizationsQuery::ids(chunk.to_vec()))
                    .collect()
                    .await?,
            );
        }
    }
    print_json(&organizations)
}
