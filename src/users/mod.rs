//! Users: Get Users (v1), looking users up by organization, document, user ids and group
//! ids ([`crate::Client::get_users`]); and the v2 listings, Get Organizations
//! ([`crate::Client::list_organizations`]) and Get Users v2 ([`crate::Client::list_users`]),
//! as streams of pages or items.

mod list;
mod v1;

pub use list::{
    ListedUser, Listing, Organization, OrganizationList, OrganizationsPage, OrganizationsQuery,
    UserList, UsersPage, UsersV2Query,
};
pub(crate) use list::{organizations, users};
pub use v1::{User, UsersQuery};
pub(crate) use v1::{check_ids, get_users, require_id};
