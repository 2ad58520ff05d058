//! Rendering of reports: readable text by default, JSON for machines.

use std::fmt::Write as _;

use crate::Severity;
use crate::check::Report;
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

fn check_text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let kind = serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(out, "{}  {}  {}  [{kind}]", f.severity, f.endpoint, f.path);
        let _ = writeln!(out, "  {}", f.message);
        let _ = writeln!(out, "  docs: {}", f.docs);
        let _ = writeln!(out, "  spec: {}", f.spec);
        if !f.pages.is_empty() {
            let pages: Vec<String> = f
                .pages
                .iter()
                .map(|p| match p.line {
                    Some(line) => format!("{}:{line}", p.page),
                    None => p.page.clone(),
                })
                .collect();
            let _ = writeln!(out, "  page: {}", pages.join(", "));
        }
        out.push('\n');
    }
    if !report.not_covered.is_empty() {
        let _ = writeln!(
            out,
            "not covered (pages for endpoints the spec does not have; not drift):"
        );
        for n in &report.not_covered {
            let _ = writeln!(
                out,
                "  {}  {}{}",
                n.endpoint,
                n.page,
                n.title
                    .as_deref()
                    .map(|t| format!("  \"{t}\""))
                    .unwrap_or_default()
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

fn diff_text(report: &DiffReport) -> String {
    let mut out = String::new();
    for c in &report.changes {
        let _ = writeln!(out, "{}  {}  {}", c.severity, c.endpoint, c.path);
        let _ = writeln!(out, "  {}", c.message);
        let _ = writeln!(out, "  old: {}", c.old);
        let _ = writeln!(out, "  new: {}", c.new);
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
