//! Parser for one page of Velt's REST documentation.
//!
//! Velt documents its REST API in Mintlify pages. The same page comes in two forms:
//! - the `.mdx` source, with a YAML front matter (`title`, `api: "POST https://..."`);
//! - the `.md` export that docs.velt.dev serves (the page URL plus `.md`): the same markup
//!   without front matter, with a "Documentation Index" preamble in `> ` lines, ` theme={null}`
//!   after code fence languages and indented code blocks inside `<ResponseExample>`.
//!
//! [`Page::parse`] reads either form into a [`Page`]: the endpoint (method, URL, path), the
//! `<ParamField>` parameters with their `<Expandable>` nesting, type and required flag, the
//! JSON examples classified by the heading they sit under, and the documented success status.
//! Prose (titles, descriptions, warnings) is not kept beyond the title: it is not part of the
//! API contract.
//!
//! ```
//! let page = velt_docs::Page::parse(r#"---
//! api: "POST https://api.velt.dev/v2/users/data/delete/status"
//! ---
//! <ParamField body="data" type="object" required>
//!   <Expandable title="properties">
//!     <ParamField body="jobId" type="string" required>The job.</ParamField>
//!   </Expandable>
//! </ParamField>
//!
//! #### Success Response
//! ~~~json
//! { "result": { "data": { "isDeleteCompleted": true, "items": [..] } } }
//! ~~~
//! "#).unwrap();
//! assert_eq!(page.path.as_deref(), Some("/v2/users/data/delete/status"));
//! assert_eq!(page.body[0].children[0].name, "jobId");
//! assert_eq!(page.examples[0].kind, velt_docs::ExampleKind::SuccessResponse);
//! ```

#![warn(missing_docs)]

mod json;
mod page;
mod scan;

use std::path::Path;

pub use json::parse_relaxed_json;
pub use page::{
    Endpoint, Example, ExampleKind, Page, Param, ParseError, StatusEvidence, parse_endpoint,
    url_path,
};

impl Page {
    /// Parses a page in either form (`.mdx` source or `.md` export).
    ///
    /// Fails on markup that cannot be understood reliably: an unclosed front matter, code
    /// fence or `<ParamField>`, a `<ParamField>` without location attribute, a malformed
    /// `api:` line or a JSON example that does not parse even relaxed.
    pub fn parse(text: &str) -> Result<Page, ParseError> {
        scan::parse_page(text)
    }

    /// Reads and parses a page file; errors name the file.
    pub fn from_file(path: &Path) -> Result<Page, ParseError> {
        let text = std::fs::read_to_string(path).map_err(|source| ParseError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Page::parse(&text).map_err(|e| ParseError::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }
}
