//! The client and types progenitor generates from `openapi/velt.yaml` at build time.
//!
//! Nothing here is written by hand: `build.rs` writes it to `OUT_DIR` and this module includes
//! it. Change the spec, not this code. The module is private: the hand-written
//! [`crate::Client`] makes every call, and the generated [`types`] are public as
//! `velt_api::types`.

#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    unused_imports,
    rustdoc::all,
    mismatched_lifetime_syntaxes,
    private_interfaces
)]

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));

/// The version of `openapi/velt.yaml` (its `info.version`) the code was generated from.
pub(crate) const SPEC_VERSION: &str = env!("VELT_SPEC_VERSION");
