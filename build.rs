//! Generates the typed client from `openapi/velt.yaml` with progenitor.
//!
//! Output goes to `OUT_DIR`, never into the source tree:
//! - `codegen.rs`: the client (builder interface) and its types, included by `src/generated.rs`;
//! - `httpmock.rs`: typed httpmock helpers, included behind the `httpmock` feature.
//!
//! Exported data is not decoded into generated types: the spec's `UserDataItem` and
//! `UserDataPage` schemas are replaced by the hand-written `crate::export::RawItem` and
//! `crate::export::UserData` (`src/export/item.rs`), which keep every item as the exact JSON text Velt sent
//! and every key of a page, known or not. The records of Velt's other stores (activity
//! records, permissions, reviewer profiles, judgments, notification settings) are `RawItem`s
//! the same way. The generated client still makes the call and
//! decodes the answer; only those two types are swapped in.
//!
//! The script reruns only when the spec or this file changes, so editing `src/` does not
//! regenerate anything.

use std::{env, fs, path::PathBuf};

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;

const SPEC: &str = "openapi/velt.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(message) = generate() {
        // A build script reports failure by exiting non-zero; the message is what the
        // maintainer needs to fix the spec.
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn generate() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("cannot read {SPEC}: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_yaml::from_str(&text)
        .map_err(|e| format!("{SPEC} is not a valid OpenAPI 3.0 document: {e}"))?;

    // Records the crate writes (export manifests) name the spec version they were made with.
    println!("cargo:rustc-env=VELT_SPEC_VERSION={}", spec.info.version);

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        // Maps (Get Users v2's users keyed by document id) in key order, so that what a
        // test prints or a snapshot pins does not depend on hashing.
        .with_map_type("::std::collections::BTreeMap")
        // Every attempt carries its own context: the client's settings and the attempt's
        // record of the answer's head (see src/transport.rs).
        .with_inner_type(quote!(crate::transport::context::CallContext))
        // Exported data stays the JSON text Velt sent (see the module docs above).
        .with_replacement(
            "UserDataItem",
            "crate::export::item::RawItem",
            std::iter::empty(),
        )
        .with_replacement(
            "UserDataPage",
            "crate::export::item::UserData",
            [TypeImpl::Default].into_iter(),
        )
        // The records of Velt's other stores stay the JSON text Velt sent too: activity
        // records, permissions, reviewer profiles, judgments and notification settings (their
        // fields vary, and what a person is shown must be what Velt holds).
        .with_replacement(
            "ActivityRecord",
            "crate::export::item::RawItem",
            std::iter::empty(),
        )
        .with_replacement(
            "PermissionsByUser",
            "crate::export::item::RawItem",
            std::iter::empty(),
        )
        .with_replacement(
            "ReviewerProfile",
            "crate::export::item::RawItem",
            std::iter::empty(),
        )
        .with_replacement(
            "Judgment",
            "crate::export::item::RawItem",
            std::iter::empty(),
        )
        .with_replacement(
            "NotificationSetting",
            "crate::export::item::RawItem",
            std::iter::empty(),
        )
        // Ids carry `minLength: 1` in the spec, which the client checks before sending (with a
        // message naming the id). Left to typify, each would become a newtype that `Vec<String>`
        // and `Option<String>` do not convert into, and every new limit in the spec would
        // break code that builds requests: they stay `String`.
        .with_conversion(
            non_empty_string(None),
            "::std::string::String",
            [TypeImpl::Display, TypeImpl::FromStr, TypeImpl::Default].into_iter(),
        )
        // The same for ids that must not be blank (`pattern: "\\S"`, a non-space character).
        .with_conversion(
            non_empty_string(Some(NOT_BLANK)),
            "::std::string::String",
            [TypeImpl::Display, TypeImpl::FromStr, TypeImpl::Default].into_iter(),
        );
    let mut generator = Generator::new(&settings);

    let client = generator
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor could not generate a client from {SPEC}: {e}"))?;
    let mocks = generator.httpmock(&spec, "crate::generated");
    let mocks =
        mocks.map_err(|e| format!("progenitor could not generate httpmock helpers: {e}"))?;

    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| format!("OUT_DIR is not set: {e}"))?);
    write_formatted(&out.join("codegen.rs"), client)?;
    write_formatted(&out.join("httpmock.rs"), mocks)?;
    Ok(())
}

/// The spec's pattern for ids that must not be blank: some character that is not a space.
const NOT_BLANK: &str = "\\S";

/// The schema `{type: string, minLength: 1}`, with `pattern` if given (descriptions are
/// ignored when matching).
fn non_empty_string(pattern: Option<&str>) -> schemars::schema::SchemaObject {
    schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        string: Some(Box::new(schemars::schema::StringValidation {
            min_length: Some(1),
            pattern: pattern.map(str::to_owned),
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn write_formatted(path: &std::path::Path, tokens: proc_macro2::TokenStream) -> Result<(), String> {
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("generated code for {} does not parse: {e}", path.display()))?;
    let text = format!(
        "// Generated by build.rs from {SPEC} with progenitor. Do not edit: change the spec.\n{}",
        prettyplease::unparse(&file)
    );
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
