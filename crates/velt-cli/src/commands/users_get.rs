//! `velt users get`: the users of an organization, as a JSON array (Get Users v1).

use velt_api::{Client, users::UsersQuery};

use crate::{cli::UsersGetArgs, failure::Failure, output::print_json};

/// Runs the command.
pub async fn exec(client: &Client, args: UsersGetArgs) -> Result<(), Failure> {
    let organization_id = args.organization_id.clone();
    let mut query = UsersQuery::organization(args.organization_id)
        .user_ids(args.user_ids)
        .group_ids(args.group_ids);
    if let Some(document_id) = args.document_id {
        query = query.document(document_id);
    }
    let users = client.get_users(&query).await?;
    if users.is_empty() {
        eprintln!(
            "note: no user matched in organization {organization_id}; Velt answers the same for an organization it does not know, so check the organization id"
        );
    }
    print_json(&users)
}
