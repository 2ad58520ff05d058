//! The records the tools keep, each one a claim that a wrong input or a changed byte makes
//! false: the export manifest ([`ExportManifest`], with [`HashingWriter`]), the deletion
//! receipt ([`DeletionReceipt`]) with its proof of erasure ([`Verification`], made of the
//! client's `velt_api::deletion::ErasureCheck`s), and the one atomic write every file goes
//! through ([`write_atomically`]).
//!
//! The client (`velt-api`) does no file I/O; these are the files written from what it returns.

mod atomic;
mod manifest;
mod receipt;

pub use atomic::{Durability, write_atomically, write_atomically_from, write_atomically_with};
pub(crate) use manifest::measure;
pub use manifest::{Difference, ExportManifest, ExportRecord, FileCheck, HashingWriter};
pub use receipt::{DeletionReceipt, ErasureBaseline, ReceiptJob, UnknownBatch, Verification};
