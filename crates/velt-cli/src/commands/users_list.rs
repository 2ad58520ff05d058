//! `velt users list`: the users of an organization, every page, as a JSON array (Get Users
//! v2).

use velt_api::{Client, users::UsersV2Query};

use crate::{cli::UsersListArgs, failure::Failure, output::print_json};

/// Runs the command.
pub async fn exec(client: &Client, args: UsersListArgs) -> Result<(), Failure> {
    let mut query = UsersV2Query::organization(args.organization_id).user_ids(args.user_ids);
    if let Some(document_id) = args.document_id {
        query = query.document(document_id);
    } else if let Some(folder_id) = args.folder_id {
        query = query.folder(folder_id);
    } else if args.all_documents {
        query = query.group_by_document();
    }
    let users = client.list_users(query).collect().await?;
    print_json(&users)
}
