//! An older spec against a newer one: what each change means on the wire and for Rust code.
//!
//! Operations are matched by method and path, then by `operationId` (a moved operation). Every
//! change is judged twice, each time with its reason:
//! - **wire**: callers of the HTTP API (any client, builds of this crate made before the
//!   change included). A new required input, a removed field, a type change, a moved endpoint
//!   or another success status break them; a new optional input or a new response field do not.
//! - **rust**: Rust code using the crate once it is regenerated from the new spec (the semver
//!   of the crate). It follows what progenitor generates: a struct per object schema with a
//!   builder (`types::builder::*`) whose optional fields default (`Option<T>` to `None`, arrays
//!   to an empty `Vec<T>`) and whose required fields must be set or the build fails at run
//!   time; a Rust enum per string `enum` (not `#[non_exhaustive]`); one method per
//!   `operationId`. The crate and its users build generated types through those builders, so a
//!   new optional field, request or response, changes no Rust code; a new required field, a
//!   removed or renamed field, a type change, a field that turns from `T` into `Option<T>` or
//!   back, an enum that gains or loses a variant, or a removed or renamed operation does. A
//!   new URL, method or status changes no Rust signature.
//!
//! A change is breaking when it breaks either side; `diff` exits 1 then. Descriptions,
//! examples and constraints (`minItems`, `maxItems`, ...) are not compared.

use std::path::Path;

use serde::Serialize;

use crate::spec::{Kind, Operation, Schema, Spec, SpecParam};
use crate::{Error, Severity};

/// What a change means for one kind of user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// Whether their code or calls stop working.
    pub breaks: bool,
    /// Why, in one sentence.
    pub reason: String,
}

fn breaks(reason: impl Into<String>) -> Impact {
    Impact {
        breaks: true,
        reason: reason.into(),
    }
}

fn fine(reason: impl Into<String>) -> Impact {
    Impact {
        breaks: false,
        reason: reason.into(),
    }
}

/// One change between two versions of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Breaking when it breaks callers of the HTTP API or Rust code using the crate.
    pub severity: Severity,
    /// The endpoint in the new spec (or the old one when removed).
    pub endpoint: String,
    /// Where: `endpoint`, `server`, `status`, `header.x`, `request.data.userIds`, `response...`.
    pub path: String,
    /// The old state.
    pub old: String,
    /// The new state.
    pub new: String,
    /// One sentence on what changed.
    pub message: String,
    /// What it means for callers of the HTTP API.
    pub wire: Impact,
    /// What it means for Rust code using the crate regenerated from the new spec.
    pub rust: Impact,
}

/// All changes, breaking first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    /// The changes.
    pub changes: Vec<Change>,
}

impl DiffReport {
    /// Whether any change breaks callers of the HTTP API or Rust code using the crate.
    pub fn has_breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.severity == Severity::Breaking)
    }

    /// Whether Rust code using the crate breaks: the next release is semver-incompatible.
    pub fn breaks_rust(&self) -> bool {
        self.changes.iter().any(|c| c.rust.breaks)
    }

    /// Whether callers of the HTTP API break.
    pub fn breaks_wire(&self) -> bool {
        self.changes.iter().any(|c| c.wire.breaks)
    }

    /// [`crate::EXIT_DRIFT`] when a change is breaking, else [`crate::EXIT_CLEAN`].
    pub fn exit_code(&self) -> i32 {
        if self.has_breaking() {
            crate::EXIT_DRIFT
        } else {
            crate::EXIT_CLEAN
        }
    }
}

/// Reads two spec files and compares them.
pub fn diff_files(old: &Path, new: &Path) -> Result<DiffReport, Error> {
    Ok(diff(&Spec::from_file(old)?, &Spec::from_file(new)?))
}

/// Compares two parsed specs.
pub fn diff(old: &Spec, new: &Spec) -> DiffReport {
    let mut d = Differ { out: Vec::new() };
    if old.server != new.server {
        d.push(
            "*",
            "server",
            opt(&old.server),
            opt(&new.server),
            "the server URL changed",
            breaks("callers must send every request to the new server"),
            fine("no generated signature changes (the base URL is a client setting)"),
        );
    }
    let mut matched = vec![false; new.operations.len()];
    for o in &old.operations {
        let found = new
            .operations
            .iter()
            .position(|n| n.method == o.method && n.path == o.path)
            .or_else(|| new.operations.iter().position(|n| n.id == o.id));
        let Some(idx) = found else {
            d.push(
                &o.endpoint(),
                "endpoint",
                format!("operation {}", o.id),
                "absent".into(),
                "the operation was removed",
                breaks("calls to it fail"),
                breaks(format!(
                    "the generated method `{}` and its types disappear",
                    o.id
                )),
            );
            continue;
        };
        if let Some(slot) = matched.get_mut(idx) {
            *slot = true;
        }
        if let Some(n) = new.operations.get(idx) {
            d.operation(o, n);
        }
    }
    for (n, seen) in new.operations.iter().zip(&matched) {
        if !seen {
            d.push(
                &n.endpoint(),
                "endpoint",
                "absent".into(),
                format!("operation {}", n.id),
                "a new operation",
                fine("existing calls are unchanged"),
                fine(format!("a new generated method `{}`", n.id)),
            );
        }
    }
    let mut changes = d.out;
    changes.sort_by(|a, b| {
        (a.severity, &a.endpoint, &a.path).cmp(&(b.severity, &b.endpoint, &b.path))
    });
    DiffReport { changes }
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "none".into())
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Request,
    Response,
}

struct Differ {
    out: Vec<Change>,
}

/// How progenitor types a field: `T` when required and not nullable, else `Option<T>`, except
/// arrays, which are `Vec<T>` either way (an optional one defaults to empty).
fn rust_type(schema: &Schema, required: bool) -> &'static str {
    match schema.kind {
        Kind::Array(_) if !schema.nullable => "Vec<T>",
        _ if required && !schema.nullable => "T",
        _ => "Option<T>",
    }
}

/// Rust's side of a change of a field's generated type (`T`, `Option<T>`, `Vec<T>`).
fn field_type_change(from: &str, to: &str) -> Impact {
    if from == to {
        fine(format!("the generated field is {to} either way"))
    } else {
        breaks(format!(
            "the generated field changes from {from} to {to}: reads and setter calls stop \
             compiling"
        ))
    }
}

impl Differ {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        endpoint: &str,
        path: &str,
        old: String,
        new: String,
        message: &str,
        wire: Impact,
        rust: Impact,
    ) {
        let severity = if wire.breaks || rust.breaks {
            Severity::Breaking
        } else {
            Severity::Additive
        };
        self.out.push(Change {
            severity,
            endpoint: endpoint.to_string(),
            path: path.to_string(),
            old,
            new,
            message: message.to_string(),
            wire,
            rust,
        });
    }

    fn operation(&mut self, o: &Operation, n: &Operation) {
        let ep = n.endpoint();
        if o.method != n.method || o.path != n.path {
            self.push(
                &ep,
                "endpoint",
                o.endpoint(),
                n.endpoint(),
                "the operation moved to another method or path",
                breaks("requests to the old method and path fail"),
                fine(format!(
                    "the generated method is named after the operationId `{}`, which is unchanged",
                    n.id
                )),
            );
        }
        if o.id != n.id {
            self.push(
                &ep,
                "operationId",
                o.id.clone(),
                n.id.clone(),
                "the operationId changed",
                fine("the operationId is not sent"),
                breaks(format!(
                    "the generated method `{}` is renamed `{}`",
                    o.id, n.id
                )),
            );
        }
        if o.success_status != n.success_status {
            let s = |v: Option<u16>| v.map_or_else(|| "none".into(), |v| v.to_string());
            self.push(
                &ep,
                "status",
                s(o.success_status),
                s(n.success_status),
                "the success status changed",
                breaks(format!(
                    "callers that expect {} get {} (builds of the crate made before the change \
                     report it as an unexpected answer)",
                    s(o.success_status),
                    s(n.success_status)
                )),
                fine("the regenerated client accepts the new status; no signature changes"),
            );
        }
        self.params(&ep, &o.params, &n.params);
        self.body(&ep, "request", &o.request, &n.request, Direction::Request);
        self.body(&ep, "response", &o.success, &n.success, Direction::Response);
        self.body(&ep, "error", &o.error, &n.error, Direction::Response);
    }

    fn params(&mut self, ep: &str, old: &[SpecParam], new: &[SpecParam]) {
        for o in old {
            let path = format!("{}.{}", o.location, o.name);
            match new
                .iter()
                .find(|n| n.location == o.location && n.name == o.name)
            {
                None => self.push(
                    ep,
                    &path,
                    describe(&o.schema, o.required),
                    "absent".into(),
                    "a parameter was removed",
                    breaks("the API no longer takes it: callers that send it lose its effect"),
                    breaks("its setter on the generated call disappears"),
                ),
                Some(n) => {
                    self.required(
                        ep,
                        &path,
                        &o.schema,
                        o.required,
                        n.required,
                        Direction::Request,
                    );
                    self.schema(
                        ep,
                        &path,
                        &o.schema,
                        &n.schema,
                        n.required,
                        Direction::Request,
                    );
                }
            }
        }
        for n in new {
            if old
                .iter()
                .any(|o| n.location == o.location && n.name == o.name)
            {
                continue;
            }
            let (wire, rust) = if n.required {
                (
                    breaks("requests without it are refused"),
                    breaks("the generated call fails at run time until the new argument is set"),
                )
            } else {
                (
                    fine("it is optional: existing requests stay valid"),
                    fine("a new optional setter on the generated call"),
                )
            };
            self.push(
                ep,
                &format!("{}.{}", n.location, n.name),
                "absent".into(),
                describe(&n.schema, n.required),
                "a new parameter",
                wire,
                rust,
            );
        }
    }

    fn body(
        &mut self,
        ep: &str,
        path: &str,
        o: &Option<Schema>,
        n: &Option<Schema>,
        dir: Direction,
    ) {
        match (o, n) {
            (Some(o), Some(n)) => self.schema(ep, path, o, n, true, dir),
            (None, None) => {}
            (Some(o), None) => self.push(
                ep,
                path,
                o.describe(),
                "no JSON body".into(),
                "the JSON body was removed",
                breaks(match dir {
                    Direction::Request => "the API no longer reads a body",
                    Direction::Response => "callers that read the body get none",
                }),
                breaks("the generated body type disappears from the call"),
            ),
            (None, Some(n)) => self.push(
                ep,
                path,
                "no JSON body".into(),
                n.describe(),
                "a JSON body was added",
                match dir {
                    Direction::Request => breaks("requests without the body are refused"),
                    Direction::Response => fine("callers that ignore the body are unaffected"),
                },
                breaks("the generated call's body or answer type changes"),
            ),
        }
    }

    /// A field's or parameter's required flag changed.
    fn required(
        &mut self,
        ep: &str,
        path: &str,
        schema: &Schema,
        old: bool,
        new: bool,
        dir: Direction,
    ) {
        if old == new {
            return;
        }
        let wire = match (dir, new) {
            (Direction::Request, true) => breaks("requests without it are refused"),
            (Direction::Request, false) => fine("the API asks for less"),
            (Direction::Response, true) => fine("callers now always get it"),
            (Direction::Response, false) => breaks("callers that rely on it may not get it"),
        };
        let (from, to) = (rust_type(schema, old), rust_type(schema, new));
        let rust = if from == to && dir == Direction::Request && new {
            breaks(format!(
                "still {to}, but the generated builder now fails at run time until it is set"
            ))
        } else {
            field_type_change(from, to)
        };
        self.push(
            ep,
            path,
            word(old).into(),
            word(new).into(),
            match dir {
                Direction::Request if new => "an optional request field became required",
                Direction::Request => "a required request field became optional",
                Direction::Response if new => "an optional response field became required",
                Direction::Response => "a required response field became optional",
            },
            wire,
            rust,
        );
    }

    /// Compares two schemas at `path`; `required` is the field's flag in the new spec.
    fn schema(
        &mut self,
        ep: &str,
        path: &str,
        o: &Schema,
        n: &Schema,
        required: bool,
        dir: Direction,
    ) {
        if o.nullable != n.nullable {
            let wire = match (dir, n.nullable) {
                (Direction::Request, true) => fine("the API accepts null too"),
                (Direction::Request, false) => breaks("requests with null are refused"),
                (Direction::Response, true) => breaks("callers may get null"),
                (Direction::Response, false) => fine("callers no longer get null"),
            };
            let rust = field_type_change(rust_type(o, required), rust_type(n, required));
            self.push(
                ep,
                path,
                o.describe(),
                n.describe(),
                "nullability changed",
                wire,
                rust,
            );
        }
        match (&o.kind, &n.kind) {
            (Kind::Array(oi), Kind::Array(ni)) => {
                self.schema(ep, &format!("{path}[]"), oi, ni, true, dir);
            }
            (Kind::Object(oo), Kind::Object(no)) => {
                if oo.free_form && !no.free_form {
                    self.push(
                        ep,
                        path,
                        "free-form object".into(),
                        "closed object".into(),
                        "the object no longer accepts undeclared fields",
                        breaks(match dir {
                            Direction::Request => "requests with other fields are refused",
                            Direction::Response => "callers lose the fields not declared",
                        }),
                        breaks("the generated map becomes a struct"),
                    );
                }
                for (name, os) in &oo.properties {
                    let child = format!("{path}.{name}");
                    let o_req = oo.required.contains(name);
                    match no.properties.get(name) {
                        None => self.push(
                            ep,
                            &child,
                            describe(os, o_req),
                            "absent".into(),
                            "a field was removed (or renamed)",
                            breaks(match dir {
                                Direction::Request => {
                                    "the API no longer takes it: callers that send it lose its effect"
                                }
                                Direction::Response => "callers that read it get nothing",
                            }),
                            breaks("the generated field and its builder setter disappear"),
                        ),
                        Some(ns) => {
                            let n_req = no.required.contains(name);
                            self.required(ep, &child, ns, o_req, n_req, dir);
                            self.schema(ep, &child, os, ns, n_req, dir);
                        }
                    }
                }
                for (name, ns) in &no.properties {
                    if !oo.properties.contains_key(name) {
                        self.added_field(
                            ep,
                            &format!("{path}.{name}"),
                            ns,
                            no.required.contains(name),
                            dir,
                        );
                    }
                }
            }
            (Kind::String, Kind::String) => self.values(ep, path, o, n, dir),
            (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => {}
            _ => self.push(
                ep,
                path,
                strip_nullable(o),
                strip_nullable(n),
                "the type changed",
                breaks(match dir {
                    Direction::Request => "requests with the old type are refused",
                    Direction::Response => "callers get a value of another type",
                }),
                breaks("the generated field changes type"),
            ),
        }
    }

    fn added_field(
        &mut self,
        ep: &str,
        path: &str,
        schema: &Schema,
        required: bool,
        dir: Direction,
    ) {
        let ty = rust_type(schema, required);
        let (wire, rust) = match (dir, required) {
            (Direction::Request, true) => (
                breaks("requests without it are refused"),
                breaks(format!(
                    "the generated struct gains a {ty} field its builder fails without at run \
                     time (and struct literals stop compiling)"
                )),
            ),
            (Direction::Request, false) => (
                fine("it is optional: existing requests stay valid"),
                fine(format!(
                    "the generated struct gains a {ty} field the builder defaults; code that \
                     builds it through the builder compiles unchanged"
                )),
            ),
            (Direction::Response, true) if ty == "T" => (
                fine("callers ignore what they do not read"),
                breaks(
                    "the generated struct gains a required T field: builders (mocks, tests) fail \
                     at run time until it is set",
                ),
            ),
            (Direction::Response, _) => (
                fine("callers ignore what they do not read"),
                fine(format!(
                    "the generated struct gains a {ty} field the builder defaults; code that \
                     builds it through the builder compiles unchanged"
                )),
            ),
        };
        self.push(
            ep,
            path,
            "absent".into(),
            describe(schema, required),
            "a new field",
            wire,
            rust,
        );
    }

    /// The values of a string `enum`, which progenitor makes into a Rust enum.
    fn values(&mut self, ep: &str, path: &str, o: &Schema, n: &Schema, dir: Direction) {
        if o.values == n.values {
            return;
        }
        let list = |s: &Schema| {
            if s.values.is_empty() {
                "any string".to_string()
            } else {
                format!("one of {}", s.values.join(", "))
            }
        };
        // No values means any string.
        let added = match (o.values.is_empty(), n.values.is_empty()) {
            (true, _) => false,
            (false, true) => true,
            (false, false) => n.values.iter().any(|v| !o.values.contains(v)),
        };
        let removed = match (o.values.is_empty(), n.values.is_empty()) {
            (_, true) => false,
            (true, false) => true,
            (false, false) => o.values.iter().any(|v| !n.values.contains(v)),
        };
        let wire = match dir {
            Direction::Request if removed => {
                breaks("requests with a value no longer allowed are refused")
            }
            Direction::Request => fine("the API accepts more values"),
            Direction::Response if added => breaks(
                "callers meet a value they do not know (older builds of the crate fail to decode it)",
            ),
            Direction::Response => fine("callers just no longer see some values"),
        };
        let rust = if o.values.is_empty() || n.values.is_empty() {
            breaks("the generated field changes between String and an enum")
        } else if added {
            breaks("the generated enum gains a variant: exhaustive matches stop compiling")
        } else {
            breaks("the generated enum loses a variant: code naming it stops compiling")
        };
        self.push(
            ep,
            path,
            list(o),
            list(n),
            "the allowed values changed",
            wire,
            rust,
        );
    }
}

fn strip_nullable(s: &Schema) -> String {
    Schema::of(s.kind.clone()).describe()
}

fn word(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

fn describe(s: &Schema, required: bool) -> String {
    format!("{}, {}", s.describe(), word(required))
}
