//! `velt users ...` and `velt organizations ...`: look users up, list them, find a person.

use velt_api::{
    Client,
    search::Subject,
    users::{OrganizationsQuery, UsersQuery, UsersV2Query},
};

use crate::{
    cli::{OrganizationsListArgs, SubjectArgs, UsersFindArgs, UsersGetArgs, UsersListArgs},
    failure::Failure,
    find::{self, Find},
    output::print_json,
};

/// `velt users get`: the users of an organization, as a JSON array (v1).
pub async fn get(client: &Client, args: UsersGetArgs) -> Result<(), Failure> {
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

/// `velt users list`: the users of an organization, every page, as a JSON array (v2).
pub async fn list(client: &Client, args: UsersListArgs) -> Result<(), Failure> {
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

/// `velt organizations list`: the organizations, every page, as a JSON array.
pub async fn list_organizations(
    client: &Client,
    args: OrganizationsListArgs,
) -> Result<(), Failure> {
    let mut organizations = Vec::new();
    // At most 30 ids a request.
    if args.organization_ids.is_empty() {
        organizations = client
            .list_organizations(OrganizationsQuery::all())
            .collect()
            .await?;
    } else {
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

/// `velt users find`: every match and the search record, as one JSON document; exit 3 when
/// nobody was found, 1 when the search is incomplete.
pub async fn find(client: &Client, args: UsersFindArgs) -> Result<(), Failure> {
    let search = find::find(
        client,
        &Find {
            subject: subject(args.subject)?,
            organization_ids: args.organization_ids,
            concurrency: usize::from(args.concurrency),
        },
    )
    .await?;
    print_json(&search)?;
    find::outcome(&search)
}

/// `--email` or `--user-id`.
pub fn subject(args: SubjectArgs) -> Result<Subject, Failure> {
    match (args.email, args.user_id) {
        (Some(email), None) => Ok(Subject::email(email)),
        (None, Some(user_id)) => Ok(Subject::user_id(user_id)),
        _ => Err(Failure::Usage("give one of --email and --user-id".into())),
    }
}
