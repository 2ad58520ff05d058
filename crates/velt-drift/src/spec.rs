//! The OpenAPI spec, reduced to what the drift checks compare.
//!
//! `openapiv3` reads the document; this module resolves the `$ref`s (`#/components/...`) and
//! turns every schema into a [`Schema`]: a type tree with object properties, required flags and
//! nullability. Descriptions, examples and constraints are dropped: they are prose or
//! validation detail, not the shape users of the crate depend on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use openapiv3::{
    AdditionalProperties, OpenAPI, Parameter, ReferenceOr, RequestBody, Response, SchemaKind,
    SecurityScheme, StatusCode, Type,
};

use crate::Error;

/// The operation extension listing further documentation pages beside `externalDocs.url`,
/// for an operation documented on several pages.
pub const DOCS_EXTENSION: &str = "x-velt-docs-pages";

/// The property extension naming the property this one is another name of: the docs call one
/// field by two names (Get Users v2's `nextPageToken` and `pageToken`), and either may come.
pub const ALIAS_EXTENSION: &str = "x-velt-alias-of";

/// The property extension saying that the docs show a field only in some answers ("present
/// only for reviewers with at least 50 judgments", "can include"): its value is the page's
/// reason, in words. A success example without the field is then not drift; its type is still
/// compared wherever an example has it.
pub const SOMETIMES_EXTENSION: &str = "x-velt-sometimes";

/// Nesting depth after which a schema is treated as [`Kind::Any`] (guards `$ref` cycles).
const MAX_DEPTH: usize = 32;

/// The spec's operations.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The first server URL, without trailing slash (`https://api.velt.dev`).
    pub server: Option<String>,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
}

/// One operation (method + path).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The `operationId`, or `METHOD path` when there is none.
    pub id: String,
    /// Upper-case method.
    pub method: String,
    /// The path template (`/v2/users/data/get`).
    pub path: String,
    /// The `summary`.
    pub summary: Option<String>,
    /// The documentation pages the operation is pinned to: `externalDocs.url`, then every URL
    /// of the [`DOCS_EXTENSION`] list. Pages are matched to operations through these URLs
    /// (see [`crate::sources::page_key`]), never through the endpoint a page documents.
    pub docs: Vec<String>,
    /// Parameters outside the body: security headers (API keys) and declared parameters.
    pub params: Vec<SpecParam>,
    /// The JSON request body schema.
    pub request: Option<Schema>,
    /// The lowest explicit 2xx status (`2XX` counts as 200).
    pub success_status: Option<u16>,
    /// The JSON schema of that success response.
    pub success: Option<Schema>,
    /// The JSON schema of the error responses (first of 4XX, 5XX, explicit 4xx/5xx, default).
    pub error: Option<Schema>,
}

impl Operation {
    /// `POST /v2/users/data/get`.
    pub fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A header, query or path parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecParam {
    /// The name.
    pub name: String,
    /// `header`, `query`, `path` or `cookie`.
    pub location: String,
    /// Whether it must be sent.
    pub required: bool,
    /// Its schema (`string` for API keys).
    pub schema: Schema,
}

/// A resolved schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The type.
    pub kind: Kind,
    /// `nullable: true`.
    pub nullable: bool,
    /// The allowed values of a string `enum` (progenitor makes a Rust enum of them); empty when
    /// the schema is no enum.
    pub values: Vec<String>,
    /// The alternatives of a `oneOf` or `anyOf` (the kind is then [`Kind::Any`]); an example
    /// value is compared with the alternative of its JSON type (a list or an object, ...).
    pub alternatives: Vec<Schema>,
}

/// The type of a [`Schema`].
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// No type given, or a combination (`oneOf`, ...) the checks do not look into.
    Any,
    /// `type: string`.
    String,
    /// `type: integer`.
    Integer,
    /// `type: number`.
    Number,
    /// `type: boolean`.
    Boolean,
    /// `type: array` and its item schema.
    Array(Box<Schema>),
    /// `type: object`.
    Object(ObjectSchema),
}

/// The properties of an object schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectSchema {
    /// Declared properties by name.
    pub properties: BTreeMap<String, Schema>,
    /// Names listed in `required`.
    pub required: BTreeSet<String>,
    /// Accepts properties beyond the declared ones (`additionalProperties`, or no properties
    /// declared at all, as for `UserDataItem`).
    pub free_form: bool,
    /// The schema of the values of undeclared properties (`additionalProperties: {schema}`,
    /// a map such as users keyed by document id).
    pub additional: Option<Box<Schema>>,
    /// Properties that are another name of a property (the extension [`ALIAS_EXTENSION`]
    /// on the property): an example may carry either name, so neither is missing when the
    /// other is there. Alias name to the property it stands for.
    pub aliases: BTreeMap<String, String>,
    /// Properties the docs show only in some answers (the extension [`SOMETIMES_EXTENSION`]
    /// on the property): a success example may leave them out.
    pub sometimes: BTreeSet<String>,
}

impl Schema {
    /// A schema of the given kind, not nullable.
    pub fn of(kind: Kind) -> Schema {
        Schema {
            kind,
            nullable: false,
            values: Vec::new(),
            alternatives: Vec::new(),
        }
    }

    /// How the type reads in a report: `string`, `array of string`, `integer (nullable)`.
    pub fn describe(&self) -> String {
        let base = match &self.kind {
            Kind::Any => "any".to_string(),
            Kind::String => "string".to_string(),
            Kind::Integer => "integer".to_string(),
            Kind::Number => "number".to_string(),
            Kind::Boolean => "boolean".to_string(),
            Kind::Array(items) => format!("array of {}", items.describe()),
            Kind::Object(_) => "object".to_string(),
        };
        if self.nullable {
            format!("{base} (nullable)")
        } else {
            base
        }
    }

    /// The object properties, when this is an object schema.
    pub fn object(&self) -> Option<&ObjectSchema> {
        match &self.kind {
            Kind::Object(o) => Some(o),
            _ => None,
        }
    }
}

impl Spec {
    /// Reads and resolves a spec file.
    pub fn from_file(path: &Path) -> Result<Spec, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Spec::parse(&text).map_err(|message| Error::Spec {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses and resolves a spec given as YAML (or JSON) text.
    pub fn parse(text: &str) -> Result<Spec, String> {
        let api: OpenAPI =
            serde_yaml::from_str(text).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;
        let resolver = Resolver { api: &api };
        let server = api
            .servers
            .first()
            .map(|s| s.url.trim_end_matches('/').to_string());
        let mut operations = Vec::new();
        for (path, item) in &api.paths.paths {
            let item = match item {
                ReferenceOr::Item(item) => item,
                ReferenceOr::Reference { reference } => {
                    return Err(format!(
                        "path {path}: $ref path items ({reference}) are not supported; inline the path item"
                    ));
                }
            };
            for (method, op) in item.iter() {
                let method = method.to_ascii_uppercase();
                let endpoint = format!("{method} {path}");
                let ctx = |m: String| format!("{endpoint}: {m}");
                let mut params = Vec::new();
                let requirements = op.security.as_ref().or(api.security.as_ref());
                if let Some(first) = requirements.and_then(|r| r.first()) {
                    for scheme_name in first.keys() {
                        params.push(resolver.security_param(scheme_name).map_err(ctx)?);
                    }
                }
                for p in item.parameters.iter().chain(op.parameters.iter()) {
                    let p = resolver.parameter(p).map_err(ctx)?;
                    params.retain(|q: &SpecParam| !(q.name == p.name && q.location == p.location));
                    params.push(p);
                }
                let request = match &op.request_body {
                    Some(body) => resolver.request_body(body).map_err(ctx)?,
                    None => None,
                };
                let mut success_status = None;
                let mut success = None;
                let mut error = None;
                let mut codes: Vec<(&StatusCode, &ReferenceOr<Response>)> =
                    op.responses.responses.iter().collect();
                codes.sort_by_key(|(c, _)| status_sort_key(c));
                for (code, response) in codes {
                    let n = status_sort_key(code);
                    if (200..300).contains(&n) && success_status.is_none() {
                        success_status = Some(n);
                        success = resolver.response(response).map_err(ctx)?;
                    } else if n >= 400 && error.is_none() {
                        error = resolver.response(response).map_err(ctx)?;
                    }
                }
                if error.is_none()
                    && let Some(default) = &op.responses.default
                {
                    error = resolver.response(default).map_err(ctx)?;
                }
                let mut docs: Vec<String> =
                    op.external_docs.iter().map(|d| d.url.clone()).collect();
                if let Some(extra) = op.extensions.get(DOCS_EXTENSION) {
                    let urls = extra.as_array().ok_or_else(|| {
                        ctx(format!("{DOCS_EXTENSION} must be a list of page URLs"))
                    })?;
                    for url in urls {
                        let url = url.as_str().ok_or_else(|| {
                            ctx(format!("{DOCS_EXTENSION} holds {url}, not a URL string"))
                        })?;
                        docs.push(url.to_string());
                    }
                }
                operations.push(Operation {
                    id: op.operation_id.clone().unwrap_or_else(|| endpoint.clone()),
                    method,
                    path: path.clone(),
                    summary: op.summary.clone(),
                    docs,
                    params,
                    request,
                    success_status,
                    success,
                    error,
                });
            }
        }
        Ok(Spec { server, operations })
    }

    /// The operation with this method and path.
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.method.eq_ignore_ascii_case(method) && o.path == path)
    }

    /// The full URL of an operation (`https://api.velt.dev/v1/users/get`).
    pub fn url(&self, op: &Operation) -> String {
        format!("{}{}", self.server.as_deref().unwrap_or(""), op.path)
    }
}

/// `Code(202)` → 202, `Range(2)` (2XX) → 200 + 99 so that explicit codes sort first.
fn status_sort_key(code: &StatusCode) -> u16 {
    match code {
        StatusCode::Code(n) => *n,
        StatusCode::Range(r) => r.saturating_mul(100).saturating_add(99),
    }
}

struct Resolver<'a> {
    api: &'a OpenAPI,
}

fn component_name<'r>(reference: &'r str, kind: &str) -> Result<&'r str, String> {
    reference
        .strip_prefix("#/components/")
        .and_then(|r| r.strip_prefix(kind))
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(|| format!("$ref {reference} is not a local #/components/{kind}/... reference"))
}

impl Resolver<'_> {
    fn security_param(&self, name: &str) -> Result<SpecParam, String> {
        let scheme = self
            .api
            .components
            .as_ref()
            .and_then(|c| c.security_schemes.get(name))
            .ok_or_else(|| format!("security scheme {name} is not defined in components"))?;
        match scheme {
            ReferenceOr::Item(SecurityScheme::APIKey { location, name, .. }) => Ok(SpecParam {
                name: name.clone(),
                location: format!("{location:?}").to_ascii_lowercase(),
                required: true,
                schema: Schema::of(Kind::String),
            }),
            ReferenceOr::Item(SecurityScheme::HTTP { .. }) => Ok(SpecParam {
                name: "Authorization".into(),
                location: "header".into(),
                required: true,
                schema: Schema::of(Kind::String),
            }),
            _ => Err(format!(
                "security scheme {name}: only apiKey and http schemes are supported"
            )),
        }
    }

    fn parameter(&self, p: &ReferenceOr<Parameter>) -> Result<SpecParam, String> {
        let p = match p {
            ReferenceOr::Item(p) => p,
            ReferenceOr::Reference { reference } => {
                let name = component_name(reference, "parameters")?;
                match self
                    .api
                    .components
                    .as_ref()
                    .and_then(|c| c.parameters.get(name))
                {
                    Some(ReferenceOr::Item(p)) => p,
                    _ => return Err(format!("$ref {reference} does not resolve")),
                }
            }
        };
        let (location, data) = match p {
            Parameter::Header { parameter_data, .. } => ("header", parameter_data),
            Parameter::Query { parameter_data, .. } => ("query", parameter_data),
            Parameter::Path { parameter_data, .. } => ("path", parameter_data),
            Parameter::Cookie { parameter_data, .. } => ("cookie", parameter_data),
        };
        let schema = match &data.format {
            openapiv3::ParameterSchemaOrContent::Schema(s) => self.schema(s, 0)?,
            openapiv3::ParameterSchemaOrContent::Content(_) => Schema::of(Kind::Any),
        };
        Ok(SpecParam {
            name: data.name.clone(),
            location: location.into(),
            required: data.required,
            schema,
        })
    }

    fn request_body(&self, body: &ReferenceOr<RequestBody>) -> Result<Option<Schema>, String> {
        let body = match body {
            ReferenceOr::Item(b) => b,
            ReferenceOr::Reference { reference } => {
                let name = component_name(reference, "requestBodies")?;
                match self
                    .api
                    .components
                    .as_ref()
                    .and_then(|c| c.request_bodies.get(name))
                {
                    Some(ReferenceOr::Item(b)) => b,
                    _ => return Err(format!("$ref {reference} does not resolve")),
                }
            }
        };
        match body
            .content
            .get("application/json")
            .and_then(|m| m.schema.as_ref())
        {
            Some(s) => Ok(Some(self.schema(s, 0)?)),
            None => Ok(None),
        }
    }

    fn response(&self, response: &ReferenceOr<Response>) -> Result<Option<Schema>, String> {
        let response = match response {
            ReferenceOr::Item(r) => r,
            ReferenceOr::Reference { reference } => {
                let name = component_name(reference, "responses")?;
                match self
                    .api
                    .components
                    .as_ref()
                    .and_then(|c| c.responses.get(name))
                {
                    Some(ReferenceOr::Item(r)) => r,
                    _ => return Err(format!("$ref {reference} does not resolve")),
                }
            }
        };
        match response
            .content
            .get("application/json")
            .and_then(|m| m.schema.as_ref())
        {
            Some(s) => Ok(Some(self.schema(s, 0)?)),
            None => Ok(None),
        }
    }

    fn schema_ref<'s>(
        &'s self,
        reference: &str,
    ) -> Result<&'s ReferenceOr<openapiv3::Schema>, String> {
        let name = component_name(reference, "schemas")?;
        self.api
            .components
            .as_ref()
            .and_then(|c| c.schemas.get(name))
            .ok_or_else(|| format!("$ref {reference}: no schema {name} in components"))
    }

    fn schema(&self, s: &ReferenceOr<openapiv3::Schema>, depth: usize) -> Result<Schema, String> {
        if depth > MAX_DEPTH {
            return Ok(Schema::of(Kind::Any));
        }
        match s {
            ReferenceOr::Reference { reference } => {
                let target = self.schema_ref(reference)?;
                self.schema(target, depth + 1)
            }
            ReferenceOr::Item(s) => self.inline(s, depth),
        }
    }

    fn boxed(
        &self,
        s: &ReferenceOr<Box<openapiv3::Schema>>,
        depth: usize,
    ) -> Result<Schema, String> {
        match s {
            ReferenceOr::Reference { reference } => {
                let target = self.schema_ref(reference)?;
                self.schema(target, depth + 1)
            }
            ReferenceOr::Item(s) => self.inline(s, depth),
        }
    }

    fn inline(&self, s: &openapiv3::Schema, depth: usize) -> Result<Schema, String> {
        let nullable = s.schema_data.nullable;
        let kind = match &s.schema_kind {
            SchemaKind::Type(Type::String(_)) => Kind::String,
            SchemaKind::Type(Type::Integer(_)) => Kind::Integer,
            SchemaKind::Type(Type::Number(_)) => Kind::Number,
            SchemaKind::Type(Type::Boolean(_)) => Kind::Boolean,
            SchemaKind::Type(Type::Array(a)) => {
                let items = match &a.items {
                    Some(items) => self.boxed(items, depth + 1)?,
                    None => Schema::of(Kind::Any),
                };
                Kind::Array(Box::new(items))
            }
            SchemaKind::Type(Type::Object(o)) => {
                let mut properties = BTreeMap::new();
                let mut aliases = BTreeMap::new();
                let mut sometimes = BTreeSet::new();
                for (name, p) in &o.properties {
                    properties.insert(name.clone(), self.boxed(p, depth + 1)?);
                    if let ReferenceOr::Item(p) = p
                        && let Some(reason) = p.schema_data.extensions.get(SOMETIMES_EXTENSION)
                    {
                        if reason.as_str().is_none_or(|r| r.trim().is_empty()) {
                            return Err(format!(
                                "{SOMETIMES_EXTENSION} of {name} must say, in words, when the field appears"
                            ));
                        }
                        sometimes.insert(name.clone());
                    }
                    if let ReferenceOr::Item(p) = p
                        && let Some(target) = p.schema_data.extensions.get(ALIAS_EXTENSION)
                    {
                        let target = target.as_str().filter(|t| o.properties.contains_key(*t));
                        let target = target.ok_or_else(|| {
                            format!("{ALIAS_EXTENSION} of {name} must name another property")
                        })?;
                        aliases.insert(name.clone(), target.to_owned());
                    }
                }
                let free_form = properties.is_empty()
                    || matches!(
                        o.additional_properties,
                        Some(AdditionalProperties::Any(true) | AdditionalProperties::Schema(_))
                    );
                let additional = match &o.additional_properties {
                    Some(AdditionalProperties::Schema(schema)) => {
                        Some(Box::new(self.schema(schema, depth + 1)?))
                    }
                    _ => None,
                };
                Kind::Object(ObjectSchema {
                    properties,
                    required: o.required.iter().cloned().collect(),
                    free_form,
                    additional,
                    aliases,
                    sometimes,
                })
            }
            SchemaKind::AllOf { all_of } => {
                // Merge the object parts; anything else makes the whole thing opaque.
                let mut merged = ObjectSchema::default();
                for part in all_of {
                    match self.schema(part, depth + 1)?.kind {
                        Kind::Object(o) => {
                            merged.properties.extend(o.properties);
                            merged.required.extend(o.required);
                            merged.sometimes.extend(o.sometimes);
                            merged.free_form |= o.free_form && merged.properties.is_empty();
                        }
                        _ => {
                            return Ok(Schema {
                                kind: Kind::Any,
                                nullable,
                                values: Vec::new(),
                                alternatives: Vec::new(),
                            });
                        }
                    }
                }
                Kind::Object(merged)
            }
            _ => Kind::Any,
        };
        let values = match &s.schema_kind {
            SchemaKind::Type(Type::String(t)) => t.enumeration.iter().flatten().cloned().collect(),
            _ => Vec::new(),
        };
        let alternatives = match &s.schema_kind {
            SchemaKind::OneOf { one_of: parts } | SchemaKind::AnyOf { any_of: parts } => parts
                .iter()
                .map(|part| self.schema(part, depth + 1))
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        Ok(Schema {
            kind,
            nullable,
            values,
            alternatives,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/velt.yaml");
        Spec::from_file(&path).unwrap()
    }

    #[test]
    fn reads_the_real_spec() {
        let spec = spec();
        assert_eq!(spec.server.as_deref(), Some("https://api.velt.dev"));
        let ids: Vec<_> = spec.operations.iter().map(|o| o.endpoint()).collect();
        assert_eq!(
            ids,
            [
                "POST /v2/users/data/get",
                "POST /v2/users/data/delete",
                "POST /v2/users/data/delete/status",
                "POST /v1/users/get",
                "POST /v2/organizations/get",
                "POST /v2/users/get",
                "POST /v2/activities/get",
                "POST /v2/activities/delete",
                "POST /v2/auth/permissions/get",
                "POST /v2/memory/profiles/get",
                "POST /v2/memory/judgments/query",
                "POST /v2/notifications/config/get"
            ]
        );
        // Get Users v2: `data` is one of a list and a map of lists, and `pageToken` is
        // another name of `nextPageToken`.
        let users_v2 = spec.operation("POST", "/v2/users/get").unwrap();
        let answer = users_v2.success.as_ref().unwrap().object().unwrap();
        let result = answer.properties["result"].object().unwrap();
        assert_eq!(
            result.aliases.get("pageToken").map(String::as_str),
            Some("nextPageToken")
        );
        let data = &result.properties["data"];
        assert_eq!(data.kind, Kind::Any);
        assert_eq!(data.alternatives.len(), 2);
        assert!(matches!(data.alternatives[0].kind, Kind::Array(_)));
        let by_document = data.alternatives[1].object().unwrap();
        assert!(matches!(
            by_document.additional.as_deref().map(|s| &s.kind),
            Some(Kind::Array(_))
        ));
        // Get Permissions: a resource entry's fields appear only in some answers.
        let permissions = spec.operation("POST", "/v2/auth/permissions/get").unwrap();
        let answer = permissions.success.as_ref().unwrap().object().unwrap();
        let by_user = answer.properties["result"].object().unwrap().properties["data"]
            .object()
            .unwrap();
        let user = by_user.additional.as_deref().unwrap().object().unwrap();
        assert!(user.sometimes.contains("context"), "{user:?}");
        assert!(!user.sometimes.contains("organization"), "{user:?}");
        let delete = spec.operation("POST", "/v2/users/data/delete").unwrap();
        assert_eq!(delete.success_status, Some(202));
        let headers: Vec<_> = delete.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(headers, ["x-velt-api-key", "x-velt-auth-token"]);
        let data = delete.request.as_ref().unwrap().object().unwrap();
        let inner = data.properties["data"].object().unwrap();
        assert_eq!(inner.properties["userIds"].describe(), "array of string");
        assert!(inner.required.contains("userIds"));
        let job = delete
            .success
            .as_ref()
            .unwrap()
            .object()
            .unwrap()
            .properties["data"]
            .clone();
        assert_eq!(
            job.object().unwrap().properties["tasksCount"].kind,
            Kind::Integer
        );
        let error = delete.error.as_ref().unwrap().object().unwrap();
        let body = error.properties["error"].object().unwrap();
        assert_eq!(body.properties["details"].kind, Kind::Any);
        let get = spec.operation("POST", "/v2/users/data/get").unwrap();
        let page = &get.success.as_ref().unwrap().object().unwrap().properties["result"];
        let token = &page.object().unwrap().properties["nextPageToken"];
        assert_eq!(token.describe(), "string (nullable)");
        let items = &page.object().unwrap().properties["data"]
            .object()
            .unwrap()
            .properties["comments"];
        match &items.kind {
            Kind::Array(item) => assert!(item.object().unwrap().free_form),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_refs_are_reported() {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/velt.yaml"),
        )
        .unwrap()
        .replace(
            "#/components/schemas/DeletionJob",
            "#/components/schemas/Nope",
        );
        let err = Spec::parse(&text).unwrap_err();
        assert!(err.contains("Nope"), "{err}");
        assert!(err.contains("POST /v2/users/data/delete"), "{err}");
    }
}
