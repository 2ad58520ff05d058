//! Erasure (GDPR erasure): Delete All User Data and its status. Start deletion jobs with
//! [`crate::Client::delete_user_data`], follow them with a [`Poller`]
//! ([`crate::Client::poll_deletion`]).

mod poller;
mod request;

pub use poller::{PollEvent, PollOptions, Poller, WaitOutcome};
pub use request::{
    DeleteRequest, Deletion, DeletionJob, DeletionScope, DeletionStatus, Incomplete, OutcomeUnknown,
};
pub(crate) use request::{delete, status};
