//! `diff`: what each spec change means on the wire and for Rust code using the crate.

use crate::common;

use common::*;
use velt_drift::diff::{Change, DiffReport, diff};
use velt_drift::spec::Spec;

fn diff_to(new_text: &str) -> DiffReport {
    diff(
        &Spec::parse(&spec_text()).unwrap(),
        &Spec::parse(new_text).unwrap(),
    )
}

/// The one change at `path`.
fn at<'r>(report: &'r DiffReport, path: &str) -> &'r Change {
    let found: Vec<&Change> = report.changes.iter().filter(|c| c.path == path).collect();
    assert_eq!(found.len(), 1, "changes at {path}: {:#?}", report.changes);
    found[0]
}

/// (wire breaks, rust breaks) of the one change at `path`.
fn verdict(report: &DiffReport, path: &str) -> (bool, bool) {
    let c = at(report, path);
    (c.wire.breaks, c.rust.breaks)
}

const DELETE_DATA: &str = "        organizationIds:\n";
const DELETION_JOB: &str =
    "        tasksCount:\n          description: How many tasks the job was split into.\n";

/// The experiment of issue 12: a new optional field in the delete request and a new optional
/// field in its answer. Nothing breaks, on the wire or in Rust code built through builders.
#[test]
fn new_optional_request_and_response_fields_break_nothing() {
    let text = changed(
        &spec_text(),
        DELETE_DATA,
        &format!("        newRequestField:\n          type: string\n{DELETE_DATA}"),
    );
    let text = changed(
        &text,
        DELETION_JOB,
        &format!("        newResponseField:\n          type: integer\n{DELETION_JOB}"),
    );
    let report = diff_to(&text);
    assert_eq!(report.changes.len(), 2, "{:#?}", report.changes);
    assert_eq!(
        verdict(&report, "request.data.newRequestField"),
        (false, false)
    );
    assert_eq!(
        verdict(&report, "response.data.newResponseField"),
        (false, false)
    );
    assert!(
        at(&report, "request.data.newRequestField")
            .rust
            .reason
            .contains("builder")
    );
    assert!(!report.breaks_rust() && !report.breaks_wire());
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn new_required_fields() {
    let text = changed(
        &spec_text(),
        "      required: [userIds]\n",
        "      required: [userIds, newRequestField]\n",
    );
    let text = changed(
        &text,
        DELETE_DATA,
        &format!("        newRequestField:\n          type: string\n{DELETE_DATA}"),
    );
    let text = changed(
        &text,
        "      required: [jobId]\n      properties:\n        jobId:\n          description: Identifies",
        "      required: [jobId, newResponseField]\n      properties:\n        newResponseField:\n          type: integer\n        jobId:\n          description: Identifies",
    );
    let report = diff_to(&text);
    // Requests without it are refused, and the builder fails until it is set.
    assert_eq!(
        verdict(&report, "request.data.newRequestField"),
        (true, true)
    );
    // Callers ignore an extra field; the generated struct gains a non-Option field.
    assert_eq!(
        verdict(&report, "response.data.newResponseField"),
        (false, true)
    );
    assert!(report.breaks_rust());
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn removed_and_retyped_fields_and_removed_operations_break_both() {
    let text = changed(
        &spec_text(),
        "        tasksCount:\n",
        "        taskCount:\n",
    );
    let text = changed(
        &text,
        "        tasksLeft:\n          description: Tasks still to run.\n          type: integer",
        "        tasksLeft:\n          description: Tasks still to run.\n          type: string",
    );
    let start = text.find("  /v1/users/get:").unwrap();
    let end = text.find("components:").unwrap();
    let text = format!("{}{}", &text[..start], &text[end..]);
    let report = diff_to(&text);
    assert_eq!(verdict(&report, "response.data.tasksCount"), (true, true));
    assert_eq!(verdict(&report, "response.data.taskCount"), (false, false));
    assert_eq!(
        verdict(&report, "response.result.data.tasksLeft"),
        (true, true)
    );
    let removed = report
        .changes
        .iter()
        .find(|c| c.endpoint == "POST /v1/users/get")
        .unwrap();
    assert_eq!((removed.wire.breaks, removed.rust.breaks), (true, true));
    assert!(
        removed.rust.reason.contains("getUsers"),
        "{}",
        removed.rust.reason
    );
}

/// A new status, URL or method breaks callers but changes no Rust signature; a new
/// operationId is the reverse.
#[test]
fn wire_only_and_rust_only_changes() {
    let text = changed(&spec_text(), "        \"202\":", "        \"201\":");
    let text = changed(&text, "  /v1/users/get:", "  /v1/users/list:");
    let text = changed(
        &text,
        // The operation's own line (the delete answer's link names it too, further up).
        "\n      operationId: getDeleteAllUserDataStatus\n",
        "\n      operationId: getDeletionStatus\n",
    );
    let report = diff_to(&text);
    assert_eq!(verdict(&report, "status"), (true, false));
    assert_eq!(verdict(&report, "endpoint"), (true, false));
    assert_eq!(verdict(&report, "operationId"), (false, true));
    assert!(report.breaks_wire() && report.breaks_rust());
}

/// Required to optional: `T` becomes `Option<T>` (Rust breaks) except for arrays, which are
/// `Vec<T>` either way; callers of the API lose nothing.
#[test]
fn a_request_field_that_becomes_optional() {
    let text = changed(
        &spec_text(),
        "      required: [organizationId, userId]\n",
        "      required: [organizationId]\n",
    );
    let text = changed(&text, "      required: [userIds]\n", "      required: []\n");
    let report = diff_to(&text);
    assert_eq!(verdict(&report, "request.data.userId"), (false, true));
    assert_eq!(verdict(&report, "request.data.userIds"), (false, false));
    assert!(
        at(&report, "request.data.userId")
            .rust
            .reason
            .contains("from T to Option<T>")
    );

    // The reverse: optional to required.
    let back = diff(
        &Spec::parse(&text).unwrap(),
        &Spec::parse(&spec_text()).unwrap(),
    );
    assert_eq!(verdict(&back, "request.data.userId"), (true, true));
    // Still Vec<T>, but the builder now fails until it is set.
    assert_eq!(verdict(&back, "request.data.userIds"), (true, true));
}

/// A string `enum` becomes a Rust enum that is not `#[non_exhaustive]`.
#[test]
fn enum_values() {
    let status = "        status:\n          description: \"\\\"success\\\" when the job was started.\"\n          type: string\n";
    let with_enum = changed(
        &spec_text(),
        status,
        &format!("{status}          enum: [success]\n"),
    );
    let report = diff_to(&with_enum);
    assert_eq!(
        verdict(&report, "response.status"),
        (false, true),
        "String becomes an enum"
    );
    let more = changed(
        &with_enum,
        "          enum: [success]\n",
        "          enum: [success, queued]\n",
    );
    let report = diff(
        &Spec::parse(&with_enum).unwrap(),
        &Spec::parse(&more).unwrap(),
    );
    let c = at(&report, "response.status");
    assert_eq!((c.wire.breaks, c.rust.breaks), (true, true));
    assert_eq!(
        (c.old.as_str(), c.new.as_str()),
        ("one of success", "one of success, queued")
    );
    assert!(
        c.rust.reason.contains("gains a variant"),
        "{}",
        c.rust.reason
    );
}
