//! Documentation pages against the spec.
//!
//! Each operation of the spec names the documentation page(s) it is pinned to
//! (`externalDocs.url`, plus the `x-velt-docs-pages` list); each local page has its URL in
//! `SOURCES`. A page documents the operations bound to its URL (compared by
//! [`sources::page_key`], so the `.md` export and the `.mdx` source of one page are the same
//! page), never the operation its text happens to name: a page bound to no operation is "not
//! covered" whatever endpoint it documents, and a bound page whose URL moved is compared in
//! full anyway. Per page: the endpoint, the header/query/path parameters, the body parameters
//! with their nesting, type and required flag, every example (requests against the request
//! schema, success responses against the success schema at any depth, the `result` wrapper,
//! failure responses against the error envelope) and the success status.
//!
//! Only the contract is compared: titles, descriptions, warnings and example *values* are
//! prose, never drift. Identical findings from several pages (the `.md` and `.mdx` forms of one
//! page, or the two success examples of a page) are grouped into one finding listing every
//! page and line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use velt_docs::{ExampleKind, Page, Param};

use crate::spec::{Kind, ObjectSchema, Operation, Schema, Spec};
use crate::{Error, Severity, sources};

/// What kind of difference a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The spec has an operation no page documents.
    OperationUndocumented,
    /// The page's HTTP method differs from the spec's.
    MethodDiffers,
    /// The page's URL differs from the spec's server + path.
    UrlDiffers,
    /// The page documents a parameter the spec lacks.
    ParamAdded,
    /// The spec has a parameter the page no longer documents.
    ParamRemoved,
    /// A parameter's type differs.
    TypeChanged,
    /// A parameter's required flag differs.
    RequiredChanged,
    /// An example request does not fit the request schema.
    RequestExampleMismatch,
    /// A response field of the spec is missing from a success example (renamed or removed).
    ResponseFieldMissing,
    /// A success example has a field the response schema does not know.
    ResponseFieldUnknown,
    /// A success example field has another type than the response schema says.
    ResponseTypeMismatch,
    /// The documented success status differs.
    StatusDiffers,
    /// A success example wraps the answer in `result` where the spec does not, or the reverse.
    WrapperDiffers,
    /// A required field of the error envelope is missing from a failure example.
    ErrorFieldMissing,
    /// A failure example has a field the error envelope does not know.
    ErrorFieldUnknown,
    /// A failure example field has another type than the error envelope says.
    ErrorTypeMismatch,
}

/// Whether `value` has the JSON type of `schema` (for picking a `oneOf` alternative).
fn same_json_type(schema: &Schema, value: &Value) -> bool {
    matches!(
        (&schema.kind, value),
        (Kind::String, Value::String(_))
            | (Kind::Number | Kind::Integer, Value::Number(_))
            | (Kind::Boolean, Value::Bool(_))
            | (Kind::Array(_), Value::Array(_))
            | (Kind::Object(_), Value::Object(_))
    )
}

/// A place on a page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PageRef {
    /// The page, relative to the docs directory (`mdx/get-users.mdx`).
    pub page: String,
    /// The 1-based line (of the parameter tag or the example's opening fence).
    pub line: Option<usize>,
}

/// One difference between the docs and the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Breaking or additive.
    pub severity: Severity,
    /// What kind of difference.
    pub kind: FindingKind,
    /// The spec's `operationId`.
    pub operation: String,
    /// The spec's endpoint, `POST /v2/users/data/get`.
    pub endpoint: String,
    /// Where: `endpoint.url`, `status`, `header.x-velt-api-key`, `request.data.userIds`,
    /// `response.result.data.jobId`, `error.error.code`; `[]` marks array items.
    pub path: String,
    /// What the docs say.
    pub docs: String,
    /// What the spec says.
    pub spec: String,
    /// One sentence on what differs.
    pub message: String,
    /// Every page (and line) the finding was seen on.
    pub pages: Vec<PageRef>,
}

/// A page no operation of the spec is bound to. Listed, not drift (unless `--strict`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCovered {
    /// The page.
    pub page: String,
    /// Its URL in SOURCES; `None` when SOURCES does not list the file.
    pub url: Option<String>,
    /// `METHOD path` as documented, or `unknown` when the page names none.
    pub endpoint: String,
    /// The page title.
    pub title: Option<String>,
}

/// A documentation page as the checker reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocPage {
    /// The file, relative to the docs directory (`mdx/get-users.mdx`).
    pub name: String,
    /// Its URL in SOURCES, through which it is bound to operations; `None` when unlisted.
    pub url: Option<String>,
    /// The parsed page.
    pub page: Page,
}

/// The outcome of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The pages read, relative to the docs directory.
    pub pages: Vec<String>,
    /// Every difference, breaking first.
    pub findings: Vec<Finding>,
    /// Pages for endpoints the spec does not cover.
    pub not_covered: Vec<NotCovered>,
}

impl Report {
    /// No findings (pages not covered do not count).
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// [`crate::EXIT_CLEAN`] or [`crate::EXIT_DRIFT`]. With `strict`, a page not covered by
    /// the spec counts as drift too.
    pub fn exit_code(&self, strict: bool) -> i32 {
        if self.is_clean() && (!strict || self.not_covered.is_empty()) {
            crate::EXIT_CLEAN
        } else {
            crate::EXIT_DRIFT
        }
    }

    /// Findings of one severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Reads the pages under `docs` (see [`sources::pages`]) with their SOURCES URLs, and the
/// spec, and compares them.
pub fn check(docs: &Path, spec: &Path) -> Result<Report, Error> {
    let spec = Spec::from_file(spec)?;
    let listed = sources::read(docs)?.unwrap_or_default();
    let mut pages = Vec::new();
    for rel in sources::pages(docs)? {
        let name = sources::display(&rel);
        let url = listed
            .iter()
            .find(|s| s.local == name)
            .map(|s| s.url.clone());
        let page = Page::from_file(&docs.join(&rel))?;
        pages.push(DocPage { name, url, page });
    }
    Ok(check_pages(&spec, &pages))
}

/// Compares parsed pages with a spec.
pub fn check_pages(spec: &Spec, pages: &[DocPage]) -> Report {
    let mut raw: Vec<Finding> = Vec::new();
    let mut not_covered = Vec::new();
    let bindings: Vec<Vec<String>> = spec
        .operations
        .iter()
        .map(|o| o.docs.iter().map(|u| sources::page_key(u)).collect())
        .collect();
    let mut documented = vec![false; spec.operations.len()];
    for doc in pages {
        let key = doc.url.as_deref().map(sources::page_key);
        let bound: Vec<usize> = bindings
            .iter()
            .enumerate()
            .filter(|(_, keys)| key.as_ref().is_some_and(|k| keys.contains(k)))
            .map(|(idx, _)| idx)
            .collect();
        if bound.is_empty() {
            let page = &doc.page;
            not_covered.push(NotCovered {
                page: doc.name.clone(),
                url: doc.url.clone(),
                endpoint: match (&page.method, &page.path) {
                    (Some(m), Some(p)) => format!("{m} {p}"),
                    _ => "unknown".into(),
                },
                title: page.title.clone(),
            });
        }
        for idx in bound {
            if let Some(slot) = documented.get_mut(idx) {
                *slot = true;
            }
            if let Some(op) = spec.operations.get(idx) {
                let mut ctx = PageCheck {
                    spec,
                    op,
                    page: &doc.name,
                    out: &mut raw,
                };
                ctx.run(&doc.page);
            }
        }
    }
    for (op, seen) in spec.operations.iter().zip(&documented) {
        if !seen {
            let (docs, message) = if op.docs.is_empty() {
                (
                    "no page bound".to_string(),
                    "the operation names no documentation page: give it an `externalDocs.url` \
                     and list that page in SOURCES",
                )
            } else {
                (
                    format!("not in the snapshot: {}", op.docs.join(", ")),
                    "no page of the snapshot is the one the operation is bound to (removed or \
                     moved by Velt, or missing from SOURCES)",
                )
            };
            raw.push(Finding {
                severity: Severity::Breaking,
                kind: FindingKind::OperationUndocumented,
                operation: op.id.clone(),
                endpoint: op.endpoint(),
                path: "endpoint".into(),
                docs,
                spec: format!("operation {}", op.id),
                message: message.into(),
                pages: Vec::new(),
            });
        }
    }
    Report {
        pages: pages.iter().map(|d| d.name.clone()).collect(),
        findings: group(raw),
        not_covered,
    }
}

/// Merges findings that differ only in the page they were seen on.
fn group(raw: Vec<Finding>) -> Vec<Finding> {
    let mut merged: BTreeMap<(String, Severity, String, FindingKind, String, String), Finding> =
        BTreeMap::new();
    for f in raw {
        let key = (
            f.endpoint.clone(),
            f.severity,
            f.path.clone(),
            f.kind,
            f.docs.clone(),
            f.spec.clone(),
        );
        match merged.get_mut(&key) {
            Some(existing) => existing.pages.extend(f.pages),
            None => {
                merged.insert(key, f);
            }
        }
    }
    merged
        .into_values()
        .map(|mut f| {
            f.pages.sort();
            f.pages.dedup();
            f
        })
        .collect()
}

struct PageCheck<'a> {
    spec: &'a Spec,
    op: &'a Operation,
    page: &'a str,
    out: &'a mut Vec<Finding>,
}

/// What kind of example is validated, which decides the severities.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Request,
    Success,
    Failure,
}

impl PageCheck<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        severity: Severity,
        kind: FindingKind,
        path: String,
        docs: String,
        spec: String,
        message: &str,
        line: Option<usize>,
    ) {
        self.out.push(Finding {
            severity,
            kind,
            operation: self.op.id.clone(),
            endpoint: self.op.endpoint(),
            path,
            docs,
            spec,
            message: message.to_string(),
            pages: vec![PageRef {
                page: self.page.to_string(),
                line,
            }],
        });
    }

    fn run(&mut self, page: &Page) {
        self.endpoint(page);
        self.params(page);
        self.body(page);
        for example in &page.examples {
            let (mode, schema, root) = match example.kind {
                ExampleKind::Request => (Mode::Request, self.op.request.as_ref(), "request"),
                ExampleKind::SuccessResponse => {
                    (Mode::Success, self.op.success.as_ref(), "response")
                }
                ExampleKind::FailureResponse => (Mode::Failure, self.op.error.as_ref(), "error"),
            };
            match schema {
                Some(schema) if mode == Mode::Success => {
                    let (value, schema, root) =
                        self.unwrap_result(&example.json, schema, example.line);
                    self.validate(value, schema, root.to_string(), mode, example.line)
                }
                Some(schema) => {
                    self.validate(&example.json, schema, root.to_string(), mode, example.line)
                }
                None => self.push(
                    Severity::Additive,
                    match mode {
                        Mode::Request => FindingKind::RequestExampleMismatch,
                        Mode::Success => FindingKind::ResponseFieldUnknown,
                        Mode::Failure => FindingKind::ErrorFieldUnknown,
                    },
                    root.to_string(),
                    format!("a JSON {}", json_type(&example.json)),
                    "no JSON body".into(),
                    "the page shows a JSON body where the spec has none",
                    Some(example.line),
                ),
            }
        }
        self.status(page);
    }

    /// Velt wraps most answers in `result` but not all (Delete All User Data), and has moved
    /// answers in and out of it. A success example that adds or drops the wrapper is reported
    /// once, then what it holds is compared with the spec's schema, under the spec's paths.
    fn unwrap_result<'v, 's>(
        &mut self,
        value: &'v Value,
        schema: &'s Schema,
        line: usize,
    ) -> (&'v Value, &'s Schema, &'static str) {
        let (Some(obj), Value::Object(map)) = (schema.object(), value) else {
            return (value, schema, "response");
        };
        let spec_inner = obj
            .properties
            .get("result")
            .filter(|s| s.object().is_some());
        match (spec_inner, map.get("result")) {
            (None, Some(inner @ Value::Object(_))) if !obj.free_form => {
                self.push(
                    Severity::Breaking,
                    FindingKind::WrapperDiffers,
                    "response.result".into(),
                    "wrapped in `result`".into(),
                    "not wrapped".into(),
                    "the page wraps the answer in `result`, the spec does not: the crate would \
                     find none of its fields (the other response findings compare what the wrapper holds)",
                    Some(line),
                );
                (inner, schema, "response")
            }
            (Some(inner_schema), None) if !map.is_empty() => {
                self.push(
                    Severity::Breaking,
                    FindingKind::WrapperDiffers,
                    "response.result".into(),
                    "not wrapped".into(),
                    "wrapped in `result`".into(),
                    "the page's answer is not wrapped in `result`, the spec's is: the crate would \
                     find none of its fields (the other response findings compare the fields as if wrapped)",
                    Some(line),
                );
                (value, inner_schema, "response.result")
            }
            _ => (value, schema, "response"),
        }
    }

    fn endpoint(&mut self, page: &Page) {
        let spec_url = self.spec.url(self.op);
        for e in [&page.endpoint_section, &page.front_matter_api]
            .into_iter()
            .flatten()
        {
            if !e.method.eq_ignore_ascii_case(&self.op.method) {
                self.push(
                    Severity::Breaking,
                    FindingKind::MethodDiffers,
                    "endpoint.method".into(),
                    e.method.clone(),
                    self.op.method.clone(),
                    "the documented HTTP method differs from the spec",
                    Some(e.line),
                );
            }
            if e.url.trim_end_matches('/') != spec_url.trim_end_matches('/') {
                self.push(
                    Severity::Breaking,
                    FindingKind::UrlDiffers,
                    "endpoint.url".into(),
                    e.url.clone(),
                    spec_url.clone(),
                    "the documented URL differs from the spec's server + path",
                    Some(e.line),
                );
            }
        }
    }

    /// Header, query and path parameters.
    fn params(&mut self, page: &Page) {
        let documented: Vec<&Param> = page
            .headers
            .iter()
            .chain(&page.query)
            .chain(&page.path_params)
            .collect();
        let same = |d: &Param, location: &str, name: &str| {
            d.location == location
                && if location == "header" {
                    d.name.eq_ignore_ascii_case(name)
                } else {
                    d.name == name
                }
        };
        for d in &documented {
            let path = format!("{}.{}", d.location, d.name);
            match self
                .op
                .params
                .iter()
                .find(|p| same(d, &p.location, &p.name))
            {
                None => self.param_added(d, path),
                Some(p) => {
                    let (schema, required) = (p.schema.clone(), p.required);
                    self.param_matches(d, &schema, required, path);
                }
            }
        }
        let removed: Vec<_> = self
            .op
            .params
            .iter()
            .filter(|p| p.location != "cookie")
            .filter(|p| !documented.iter().any(|d| same(d, &p.location, &p.name)))
            .map(|p| {
                (
                    format!("{}.{}", p.location, p.name),
                    describe_param(&p.schema, p.required),
                )
            })
            .collect();
        for (path, spec) in removed {
            self.push(
                Severity::Breaking,
                FindingKind::ParamRemoved,
                path,
                "absent".into(),
                spec,
                "the spec has a parameter the page no longer documents",
                None,
            );
        }
    }

    fn body(&mut self, page: &Page) {
        match self.op.request.as_ref().and_then(Schema::object) {
            Some(obj) => self.compare_params(&page.body, obj, "request"),
            None => {
                for d in &page.body {
                    self.param_added(d, format!("request.{}", d.name));
                }
            }
        }
    }

    fn param_added(&mut self, d: &Param, path: String) {
        let severity = if d.required {
            Severity::Breaking
        } else {
            Severity::Additive
        };
        self.push(
            severity,
            FindingKind::ParamAdded,
            path,
            describe_doc_param(d),
            "absent".into(),
            if d.required {
                "the page documents a new required parameter the spec lacks"
            } else {
                "the page documents a new optional parameter the spec lacks"
            },
            Some(d.line),
        );
    }

    fn param_matches(&mut self, d: &Param, schema: &Schema, spec_required: bool, path: String) {
        if !d.ty.trim().is_empty() && !doc_type_matches(&d.ty, schema) {
            self.push(
                Severity::Breaking,
                FindingKind::TypeChanged,
                path.clone(),
                d.ty.clone(),
                schema.describe(),
                "the documented type differs from the spec",
                Some(d.line),
            );
        }
        if d.required != spec_required {
            let (severity, message) = if d.required {
                (
                    Severity::Breaking,
                    "the page makes the parameter required; the spec has it optional",
                )
            } else {
                (
                    Severity::Additive,
                    "the page makes the parameter optional; the spec requires it",
                )
            };
            self.push(
                severity,
                FindingKind::RequiredChanged,
                path,
                required_word(d.required).into(),
                required_word(spec_required).into(),
                message,
                Some(d.line),
            );
        }
    }

    fn compare_params(&mut self, docs: &[Param], obj: &ObjectSchema, prefix: &str) {
        for d in docs {
            let path = format!("{prefix}.{}", d.name);
            let Some(schema) = obj.properties.get(&d.name) else {
                if !obj.free_form {
                    self.param_added(d, path);
                }
                continue;
            };
            let required = obj.required.contains(&d.name);
            self.param_matches(d, schema, required, path.clone());
            if !d.children.is_empty() {
                let (inner, inner_path) = match &schema.kind {
                    Kind::Array(items) => (items.object(), format!("{path}[]")),
                    _ => (schema.object(), path),
                };
                if let Some(inner) = inner {
                    self.compare_params(&d.children, inner, &inner_path);
                }
            }
        }
        for (name, schema) in &obj.properties {
            if !docs.iter().any(|d| &d.name == name) {
                self.push(
                    Severity::Breaking,
                    FindingKind::ParamRemoved,
                    format!("{prefix}.{name}"),
                    "absent".into(),
                    describe_param(schema, obj.required.contains(name)),
                    "the spec has a parameter the page no longer documents (removed or renamed)",
                    None,
                );
            }
        }
    }

    fn validate(&mut self, value: &Value, schema: &Schema, path: String, mode: Mode, line: usize) {
        if schema.kind == Kind::Any && !schema.alternatives.is_empty() && !value.is_null() {
            // `oneOf` a list or an object (...): the alternative of the example's JSON type.
            match schema
                .alternatives
                .iter()
                .find(|alternative| same_json_type(alternative, value))
            {
                Some(alternative) => self.validate(value, alternative, path, mode, line),
                None => self.type_mismatch(value, schema, path, mode, line),
            }
            return;
        }
        if schema.kind == Kind::Any {
            return;
        }
        if value.is_null() {
            if !schema.nullable {
                self.type_mismatch(value, schema, path, mode, line);
            }
            return;
        }
        match (&schema.kind, value) {
            (Kind::String, Value::String(_))
            | (Kind::Number, Value::Number(_))
            | (Kind::Boolean, Value::Bool(_)) => {}
            (Kind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {}
            (Kind::Array(items), Value::Array(values)) => {
                // `[..]` ("some items") reads as an empty array: nothing to compare inside.
                for v in values {
                    self.validate(v, items, format!("{path}[]"), mode, line);
                }
            }
            (Kind::Object(obj), Value::Object(map)) => {
                for (key, v) in map {
                    let child = format!("{path}.{key}");
                    match obj.properties.get(key) {
                        Some(s) => self.validate(v, s, child, mode, line),
                        None if obj.additional.is_some() => {
                            if let Some(values) = &obj.additional {
                                self.validate(v, values, child, mode, line);
                            }
                        }
                        None if obj.free_form => {}
                        None => self.unknown_field(v, child, mode, line),
                    }
                }
                for (name, s) in &obj.properties {
                    // One field under two names (`x-velt-alias-of`): either one will do.
                    let other_name_present = obj.aliases.iter().any(|(alias, target)| {
                        (alias == name && map.contains_key(target))
                            || (target == name && map.contains_key(alias))
                    });
                    // A field the docs show only in some answers (`x-velt-sometimes`).
                    let sometimes = mode == Mode::Success && obj.sometimes.contains(name);
                    if !map.contains_key(name) && !other_name_present && !sometimes {
                        let required = obj.required.contains(name);
                        let docs = match renamed_to(obj, map, name) {
                            Some(other) => format!("absent; `{other}` instead (renamed?)"),
                            None => "absent".to_string(),
                        };
                        self.missing_field(s, required, format!("{path}.{name}"), docs, mode, line);
                    }
                }
            }
            _ => self.type_mismatch(value, schema, path, mode, line),
        }
    }

    fn unknown_field(&mut self, value: &Value, path: String, mode: Mode, line: usize) {
        let (kind, message) = match mode {
            Mode::Request => (
                FindingKind::RequestExampleMismatch,
                "the example request has a field the request schema lacks",
            ),
            Mode::Success => (
                FindingKind::ResponseFieldUnknown,
                "the success example has a field the response schema lacks; the crate drops it",
            ),
            Mode::Failure => (
                FindingKind::ErrorFieldUnknown,
                "the failure example has a field the error envelope lacks",
            ),
        };
        self.push(
            Severity::Additive,
            kind,
            path,
            format!("present ({})", json_type(value)),
            "absent".into(),
            message,
            Some(line),
        );
    }

    fn missing_field(
        &mut self,
        schema: &Schema,
        required: bool,
        path: String,
        docs: String,
        mode: Mode,
        line: usize,
    ) {
        let (severity, kind, message) = match mode {
            // A request example may leave out what it does not need; leaving out a field the
            // spec requires means the spec is stricter than the API: nothing breaks.
            Mode::Request if required => (
                Severity::Additive,
                FindingKind::RequestExampleMismatch,
                "the example request leaves out a field the spec requires",
            ),
            Mode::Request => return,
            // Success examples are complete in Velt's docs: a spec field that is not there was
            // renamed or removed, and the crate would wait for it in vain.
            Mode::Success => (
                Severity::Breaking,
                FindingKind::ResponseFieldMissing,
                "a response field of the spec is missing from the success example (renamed or removed?)",
            ),
            // Error envelopes vary by page (`code`, `details` appear on some only).
            Mode::Failure if required => (
                Severity::Breaking,
                FindingKind::ErrorFieldMissing,
                "a required field of the error envelope is missing from the failure example",
            ),
            Mode::Failure => return,
        };
        self.push(
            severity,
            kind,
            path,
            docs,
            describe_param(schema, required),
            message,
            Some(line),
        );
    }

    fn type_mismatch(
        &mut self,
        value: &Value,
        schema: &Schema,
        path: String,
        mode: Mode,
        line: usize,
    ) {
        let kind = match mode {
            Mode::Request => FindingKind::RequestExampleMismatch,
            Mode::Success => FindingKind::ResponseTypeMismatch,
            Mode::Failure => FindingKind::ErrorTypeMismatch,
        };
        self.push(
            Severity::Breaking,
            kind,
            path,
            json_type(value).into(),
            schema.describe(),
            "the example's value has another type than the spec says",
            Some(line),
        );
    }

    fn status(&mut self, page: &Page) {
        let spec = self
            .op
            .success_status
            .map_or_else(|| "none".to_string(), |s| s.to_string());
        if page.status_evidence.is_empty() {
            if self.op.success_status != Some(200) {
                self.push(
                    Severity::Breaking,
                    FindingKind::StatusDiffers,
                    "status".into(),
                    "200 (implied: the page names no status)".into(),
                    spec,
                    "the documented success status differs from the spec",
                    None,
                );
            }
            return;
        }
        let mut seen = Vec::new();
        for e in &page.status_evidence {
            if seen.contains(&e.status) {
                continue;
            }
            seen.push(e.status);
            if Some(e.status) != self.op.success_status {
                self.push(
                    Severity::Breaking,
                    FindingKind::StatusDiffers,
                    "status".into(),
                    format!("{} (from the {})", e.status, e.source),
                    spec.clone(),
                    "the documented success status differs from the spec",
                    Some(e.line),
                );
            }
        }
    }
}

/// The example field that probably replaced the schema field `missing`: the one field the
/// schema lacks whose value fits `missing`'s type, when `missing` is the only absent field
/// it fits (`taskId` for `jobId`, both strings).
fn renamed_to<'m>(
    obj: &ObjectSchema,
    map: &'m serde_json::Map<String, Value>,
    missing: &str,
) -> Option<&'m str> {
    if obj.free_form {
        return None;
    }
    let schema = obj.properties.get(missing)?;
    let unknown: Vec<(&String, &Value)> = map
        .iter()
        .filter(|(k, _)| !obj.properties.contains_key(*k))
        .collect();
    let [(candidate, value)] = unknown
        .iter()
        .filter(|(_, v)| fits(v, schema))
        .copied()
        .collect::<Vec<_>>()[..]
    else {
        return None;
    };
    let rivals = obj
        .properties
        .iter()
        .filter(|(n, s)| !map.contains_key(*n) && fits(value, s))
        .count();
    (rivals == 1).then_some(candidate.as_str())
}

/// Whether a value has the schema's type at the top level.
fn fits(value: &Value, schema: &Schema) -> bool {
    matches!(
        (&schema.kind, value),
        (Kind::Any, _)
            | (Kind::String, Value::String(_))
            | (Kind::Integer | Kind::Number, Value::Number(_))
            | (Kind::Boolean, Value::Bool(_))
            | (Kind::Array(_), Value::Array(_))
            | (Kind::Object(_), Value::Object(_))
    )
}

fn required_word(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

fn describe_param(schema: &Schema, required: bool) -> String {
    format!("{}, {}", schema.describe(), required_word(required))
}

fn describe_doc_param(d: &Param) -> String {
    let ty = if d.ty.trim().is_empty() {
        "untyped"
    } else {
        d.ty.as_str()
    };
    format!("{ty}, {}", required_word(d.required))
}

/// The JSON type of a value, as reports name it.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether a documented type (`string`, `string[]`, `number`, ...) fits a spec schema.
///
/// `number` fits `number` and `integer`; `X[]` fits an array of `X`; `object` fits any object.
pub fn doc_type_matches(doc: &str, schema: &Schema) -> bool {
    if schema.kind == Kind::Any {
        return true;
    }
    let t = doc.trim().to_ascii_lowercase();
    if let Some(inner) = t.strip_suffix("[]") {
        return match &schema.kind {
            Kind::Array(items) => doc_type_matches(inner, items),
            _ => false,
        };
    }
    match t.as_str() {
        "string" | "enum<string>" => schema.kind == Kind::String,
        "number" => matches!(schema.kind, Kind::Number | Kind::Integer),
        "integer" | "int" | "enum<integer>" => schema.kind == Kind::Integer,
        "boolean" | "bool" => schema.kind == Kind::Boolean,
        "object" => matches!(schema.kind, Kind::Object(_)),
        "array" => matches!(schema.kind, Kind::Array(_)),
        "any" => true,
        _ => false,
    }
}
