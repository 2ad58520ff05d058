//! The client and types progenitor generates from `openapi/velt.yaml` at build time.
//!
//! Nothing here is written by hand: `build.rs` writes it to `OUT_DIR` and this module includes
//! it. Change the spec, not this code. Most users want the hand-written [`crate::Client`]
//! instead; the generated [`types`] are re-exported at the crate root.

#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    unused_imports,
    rustdoc::all,
    mismatched_lifetime_syntaxes
)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
