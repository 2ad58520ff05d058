//! Exports (GDPR access): Get All User Data as pages, items, one collected [`UserData`] or
//! NDJSON lines, items kept as the exact JSON text Velt sent ([`RawItem`]).
//!
//! Start one with [`crate::Client::export_user_data`].

pub(crate) mod item;
mod ndjson;
mod stream;

pub use item::{ExportItem, ExportPage, ExportSummary, Feature, RawItem, UserData};
pub use ndjson::{NdjsonWriter, WriteError};
pub(crate) use stream::get_page;
pub use stream::{Export, UserPage};
