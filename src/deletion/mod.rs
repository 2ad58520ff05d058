//! Erasure (GDPR erasure): Delete All User Data and its status. Start deletion jobs with
//! [`crate::Client::delete_user_data`], follow them with a [`Poller`]
//! ([`crate::Client::poll_deletion`]), and check what remains with an [`ErasureCheck`]
//! ([`crate::Client::verify_erasure`]).

mod erasure;
mod poller;
mod request;

pub use erasure::ErasureCheck;
pub use poller::{PollEvent, PollOptions, Poller, WaitOutcome};
pub use request::{
    DeleteRequest, Deletion, DeletionJob, DeletionScope, DeletionStatus, Incomplete, OutcomeUnknown,
};
pub(crate) use request::{delete, status};
