//! An older spec against a newer one: what changed for users of the crate.
//!
//! Operations are matched by method and path, then by `operationId` (a moved operation). The
//! rule, from the point of view of code using the generated client:
//! - requests: a new required field or parameter, a removed one, a type change, an optional
//!   field becoming required or losing `nullable` break callers; a new optional field, a
//!   required one becoming optional or gaining `nullable` only add;
//! - responses (success and error): a removed field or a type change breaks; so does any
//!   change of a field's required flag or nullability, because the generated field type
//!   changes between `T` and `Option<T>`; a new field only adds;
//! - a removed operation, a changed method, path, server or success status breaks; a new
//!   operation adds.
//!
//! Descriptions, examples and constraints are not compared.

use std::path::Path;

use serde::Serialize;

use crate::spec::{Kind, Operation, Schema, Spec, SpecParam};
use crate::{Error, Severity};

/// One change between two versions of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Breaking or additive for users of the crate.
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
}

/// All changes, breaking first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    /// The changes.
    pub changes: Vec<Change>,
}

impl DiffReport {
    /// Whether any change breaks users of the crate.
    pub fn has_breaking(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.severity == Severity::Breaking)
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
            Severity::Breaking,
            "*",
            "server",
            opt(&old.server),
            opt(&new.server),
            "the server URL changed",
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
                Severity::Breaking,
                &o.endpoint(),
                "endpoint",
                format!("operation {}", o.id),
                "absent".into(),
                "the operation was removed",
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
                Severity::Additive,
                &n.endpoint(),
                "endpoint",
                "absent".into(),
                format!("operation {}", n.id),
                "a new operation",
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

impl Differ {
    fn push(
        &mut self,
        severity: Severity,
        endpoint: &str,
        path: &str,
        old: String,
        new: String,
        message: &str,
    ) {
        self.out.push(Change {
            severity,
            endpoint: endpoint.to_string(),
            path: path.to_string(),
            old,
            new,
            message: message.to_string(),
        });
    }

    fn operation(&mut self, o: &Operation, n: &Operation) {
        let ep = n.endpoint();
        if o.method != n.method || o.path != n.path {
            self.push(
                Severity::Breaking,
                &ep,
                "endpoint",
                o.endpoint(),
                n.endpoint(),
                "the operation moved to another method or path",
            );
        }
        if o.success_status != n.success_status {
            let s = |v: Option<u16>| v.map_or_else(|| "none".into(), |v| v.to_string());
            self.push(
                Severity::Breaking,
                &ep,
                "status",
                s(o.success_status),
                s(n.success_status),
                "the success status changed",
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
                    Severity::Breaking,
                    ep,
                    &path,
                    describe(&o.schema, o.required),
                    "absent".into(),
                    "a parameter was removed",
                ),
                Some(n) => {
                    self.required(ep, &path, o.required, n.required, Direction::Request);
                    self.schema(ep, &path, &o.schema, &n.schema, Direction::Request);
                }
            }
        }
        for n in new {
            if !old
                .iter()
                .any(|o| n.location == o.location && n.name == o.name)
            {
                let severity = if n.required {
                    Severity::Breaking
                } else {
                    Severity::Additive
                };
                self.push(
                    severity,
                    ep,
                    &format!("{}.{}", n.location, n.name),
                    "absent".into(),
                    describe(&n.schema, n.required),
                    "a new parameter",
                );
            }
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
            (Some(o), Some(n)) => self.schema(ep, path, o, n, dir),
            (None, None) => {}
            (Some(o), None) => self.push(
                Severity::Breaking,
                ep,
                path,
                o.describe(),
                "no JSON body".into(),
                "the JSON body was removed",
            ),
            (None, Some(n)) => self.push(
                if dir == Direction::Request {
                    Severity::Breaking
                } else {
                    Severity::Additive
                },
                ep,
                path,
                "no JSON body".into(),
                n.describe(),
                "a JSON body was added",
            ),
        }
    }

    fn required(&mut self, ep: &str, path: &str, old: bool, new: bool, dir: Direction) {
        if old == new {
            return;
        }
        let severity = match dir {
            Direction::Request if !new => Severity::Additive,
            _ => Severity::Breaking,
        };
        self.push(
            severity,
            ep,
            path,
            word(old).into(),
            word(new).into(),
            match dir {
                Direction::Request if new => "an optional request field became required",
                Direction::Request => "a required request field became optional",
                Direction::Response => {
                    "a response field's required flag changed (T vs Option<T> in the generated type)"
                }
            },
        );
    }

    fn schema(&mut self, ep: &str, path: &str, o: &Schema, n: &Schema, dir: Direction) {
        if o.nullable != n.nullable {
            let severity = match dir {
                Direction::Request if n.nullable => Severity::Additive,
                _ => Severity::Breaking,
            };
            self.push(
                severity,
                ep,
                path,
                o.describe(),
                n.describe(),
                "nullability changed",
            );
        }
        match (&o.kind, &n.kind) {
            (Kind::Array(oi), Kind::Array(ni)) => {
                self.schema(ep, &format!("{path}[]"), oi, ni, dir);
            }
            (Kind::Object(oo), Kind::Object(no)) => {
                if oo.free_form && !no.free_form {
                    self.push(
                        Severity::Breaking,
                        ep,
                        path,
                        "free-form object".into(),
                        "closed object".into(),
                        "the object no longer accepts undeclared fields",
                    );
                }
                for (name, os) in &oo.properties {
                    let child = format!("{path}.{name}");
                    let o_req = oo.required.contains(name);
                    match no.properties.get(name) {
                        None => self.push(
                            Severity::Breaking,
                            ep,
                            &child,
                            describe(os, o_req),
                            "absent".into(),
                            "a field was removed (or renamed)",
                        ),
                        Some(ns) => {
                            self.required(ep, &child, o_req, no.required.contains(name), dir);
                            self.schema(ep, &child, os, ns, dir);
                        }
                    }
                }
                for (name, ns) in &no.properties {
                    if oo.properties.contains_key(name) {
                        continue;
                    }
                    let req = no.required.contains(name);
                    let severity = if dir == Direction::Request && req {
                        Severity::Breaking
                    } else {
                        Severity::Additive
                    };
                    self.push(
                        severity,
                        ep,
                        &format!("{path}.{name}"),
                        "absent".into(),
                        describe(ns, req),
                        "a new field",
                    );
                }
            }
            (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => {}
            _ => self.push(
                Severity::Breaking,
                ep,
                path,
                strip_nullable(o),
                strip_nullable(n),
                "the type changed",
            ),
        }
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
