//! The records the tools keep, each one a claim that a wrong input or a changed byte makes
//! false: the export manifest ([`ExportManifest`], with [`HashingWriter`]), the deletion
//! receipt ([`DeletionReceipt`]) with its proof of erasure ([`ErasureCheck`],
//! [`Verification`]), and the one atomic write every file goes through
//! ([`write_atomically`]).

mod atomic;
mod manifest;
mod receipt;

pub use atomic::{Durability, write_atomically, write_atomically_from, write_atomically_with};
pub use manifest::{Difference, ExportManifest, ExportRecord, FileCheck, HashingWriter};
pub use receipt::{
    DeletionReceipt, ErasureBaseline, ErasureCheck, ReceiptJob, UnknownBatch, Verification,
};
