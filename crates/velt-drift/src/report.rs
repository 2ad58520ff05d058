//! Rendering of reports: readable text by default, JSON for machines.

use std::fmt::Write as _;

use crate::Severity;
use crate::check::{Finding, Report};
use crate::diff::DiffReport;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// Pretty-printed JSON (the [`Report`] / [`DiffReport`] structures).
    Json,
}

/// Renders a check report.
pub fn check(report: &Report, format: Format) -> String {
    match format {
        Format::Json => json(report),
        Format::Text => check_text(report),
    }
}

/// Renders a spec diff.
pub fn diff(report: &DiffReport, format: Format) -> String {
    match format {
        Format::Json => json(report),
        Format::Text => diff_text(report),
    }
}

fn json<T: serde::Serialize>(value: &T) -> String {
    // Serializing these plain structures cannot fail; fall back to a JSON error object anyway.
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"))
}

/// Findings grouped by operation, then by the pages they were seen on (one page, or the
/// forms of a page that agree), each with the lines per page.
fn check_text(report: &Report) -> String {
    let mut out = String::new();
    let mut operations: Vec<(&str, &str)> = Vec::new();
    for f in &report.findings {
        if !operations.contains(&(f.operation.as_str(), f.endpoint.as_str())) {
            operations.push((f.operation.as_str(), f.endpoint.as_str()));
        }
    }
    for (operation, endpoint) in operations {
        let _ = writeln!(out, "{operation}  {endpoint}");
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.operation == operation && f.endpoint == endpoint)
            .collect();
        let mut page_sets: Vec<Vec<&str>> = Vec::new();
        for f in &findings {
            let set = page_names(f);
            if !page_sets.contains(&set) {
                page_sets.push(set);
            }
        }
        for set in page_sets {
            match set.as_slice() {
                [] => {
                    let _ = writeln!(out, "  (no page)");
                }
                [one] => {
                    let _ = writeln!(out, "  page {one}");
                }
                many => {
                    let _ = writeln!(out, "  pages {}", many.join(", "));
                }
            }
            for f in findings.iter().filter(|f| page_names(f) == set) {
                finding_text(&mut out, f);
            }
        }
        out.push('\n');
    }
    if !report.not_covered.is_empty() {
        let _ = writeln!(
            out,
            "not covered (pages bound to no operation of the spec; not drift unless --strict):"
        );
        for n in &report.not_covered {
            let _ = writeln!(
                out,
                "  {}  {}{}\n    {}",
                n.endpoint,
                n.page,
                n.title
                    .as_deref()
                    .map(|t| format!("  \"{t}\""))
                    .unwrap_or_default(),
                n.url
                    .as_deref()
                    .unwrap_or("not listed in SOURCES: add its URL there to bind it")
            );
        }
        out.push('\n');
    }
    let breaking = report.count(Severity::Breaking);
    let additive = report.count(Severity::Additive);
    if report.is_clean() {
        let _ = writeln!(
            out,
            "clean: {} pages agree with the spec ({} not covered)",
            report.pages.len(),
            report.not_covered.len()
        );
    } else {
        let _ = writeln!(
            out,
            "drift: {} ({breaking} breaking, {additive} additive) in {} pages; \
             edit openapi/velt.yaml to match the docs, or report the docs to Velt",
            plural(report.findings.len(), "finding"),
            report.pages.len()
        );
    }
    out
}

/// The distinct pages of a finding, in order.
fn page_names(f: &Finding) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for p in &f.pages {
        if !names.contains(&p.page.as_str()) {
            names.push(&p.page);
        }
    }
    names
}

fn finding_text(out: &mut String, f: &Finding) {
    let kind = serde_json::to_value(f.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(out, "    {}  {}  [{kind}]", f.severity, f.path);
    let _ = writeln!(out, "      {}", f.message);
    let _ = writeln!(out, "      docs: {}", f.docs);
    let _ = writeln!(out, "      spec: {}", f.spec);
    let lines: Vec<String> = page_names(f)
        .into_iter()
        .filter_map(|page| {
            let numbers: Vec<String> = f
                .pages
                .iter()
                .filter(|p| p.page == page)
                .filter_map(|p| p.line.map(|l| l.to_string()))
                .collect();
            (!numbers.is_empty()).then(|| format!("{page}:{}", numbers.join(",")))
        })
        .collect();
    if !lines.is_empty() {
        let _ = writeln!(out, "      at: {}", lines.join("  "));
    }
}

fn diff_text(report: &DiffReport) -> String {
    let mut out = String::new();
    let verdict = |breaks: bool| if breaks { "breaks" } else { "fine" };
    for c in &report.changes {
        let _ = writeln!(out, "{}  {}  {}", c.severity, c.endpoint, c.path);
        let _ = writeln!(out, "  {}", c.message);
        let _ = writeln!(out, "  old: {}", c.old);
        let _ = writeln!(out, "  new: {}", c.new);
        let _ = writeln!(out, "  wire: {}: {}", verdict(c.wire.breaks), c.wire.reason);
        let _ = writeln!(out, "  rust: {}: {}", verdict(c.rust.breaks), c.rust.reason);
        out.push('\n');
    }
    let breaking = report
        .changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    if report.changes.is_empty() {
        out.push_str("no changes to the API contract\n");
    } else {
        let _ = writeln!(
            out,
            "{}: {breaking} breaking, {} additive",
            plural(report.changes.len(), "change"),
            report.changes.len() - breaking
        );
        let _ = writeln!(
            out,
            "callers of the HTTP API: {}",
            if report.breaks_wire() {
                "some break"
            } else {
                "none break"
            }
        );
        let _ = writeln!(
            out,
            "Rust code using the crate: {}",
            if report.breaks_rust() {
                "breaks (a semver-incompatible release)"
            } else {
                "unchanged (a compatible release)"
            }
        );
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
