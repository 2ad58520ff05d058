//! The binary: exit codes, formats, and spec-against-spec diffs.

use crate::common;

use std::process::{Command, Output};

use common::*;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_velt-drift"))
        .args(args)
        .output()
        .unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn check_args(fx: &Fixture) -> Vec<String> {
    vec![
        "check".into(),
        "--docs".into(),
        fx.docs().display().to_string(),
        "--spec".into(),
        fx.spec().display().to_string(),
    ]
}

fn run_check(fx: &Fixture, extra: &[&str]) -> Output {
    let mut args = check_args(fx);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&refs)
}

#[test]
fn clean_snapshot_exits_0() {
    let out = run_check(&Fixture::new(), &[]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("clean: {} pages", pinned_pages())),
        "{}",
        stdout(&out)
    );
}

#[test]
fn default_paths_are_relative_to_the_current_dir() {
    let out = Command::new(env!("CARGO_BIN_EXE_velt-drift"))
        .arg("check")
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
}

/// The report with its page line numbers replaced by `N`. Line numbers move with every
/// unrelated edit of a page, so snapshots show only where they are; `mutations.rs` checks their
/// values against the pages themselves.
fn without_line_numbers(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("at: ") {
            let mut prev = ' ';
            for c in line.chars() {
                if c.is_ascii_digit() && (prev == ':' || prev == ',' || prev == 'N') {
                    if prev != 'N' {
                        out.push('N');
                    }
                    prev = 'N';
                    continue;
                }
                out.push(c);
                prev = c;
            }
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[test]
fn line_numbers_are_redacted_only_in_at_lines() {
    assert_eq!(
        without_line_numbers("a: 12\n      at: md/v1.md:73,97  mdx/x.mdx:4\n"),
        "a: 12\n      at: md/v1.md:N,N  mdx/x.mdx:N\n"
    );
}

#[test]
fn drift_exits_1_with_a_readable_report() {
    let fx = Fixture::new();
    fx.edit_both(DELETE_MD, DELETE_MDX, "\"tasksCount\"", "\"taskCount\"");
    let out = run_check(&fx, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    insta::assert_snapshot!(
        "renamed_response_field",
        without_line_numbers(&stdout(&out))
    );
}

/// The README's example: the delete page as an older version of Velt's docs had it (v1 URL,
/// 201, a `result` wrapper, `taskId`), in its `.mdx` form only.
#[test]
fn moved_page_report() {
    let fx = Fixture::new();
    make_old_delete_page(&fx);
    let out = run_check(&fx, &[]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    insta::assert_snapshot!("moved_page", without_line_numbers(&stdout(&out)));
}

#[test]
fn strict_makes_pages_not_covered_drift() {
    let fx = Fixture::new();
    let v2_update = std::fs::read_to_string(fx.docs().join(USERS_MDX))
        .unwrap()
        .replace("/v1/users/get", "/v2/users/update")
        .replace("title: \"Get Users\"", "title: \"Update Users\"");
    fx.write("mdx/update-users-v2.mdx", &v2_update).add_source(
        "mdx/update-users-v2.mdx",
        "https://docs.velt.dev/api-reference/rest-apis/v2/users/update-users",
    );
    let out = run_check(&fx, &[]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains(
            "POST /v2/users/update  mdx/update-users-v2.mdx  \"Update Users\"\n    https://docs.velt.dev/api-reference/rest-apis/v2/users/update-users\n"
        ),
        "{}",
        stdout(&out)
    );
    assert_eq!(code(&run_check(&fx, &["--strict"])), 1);
}

#[test]
fn json_format() {
    let fx = Fixture::new();
    fx.edit(
        GET_MDX,
        "<ParamField body=\"pageToken\" type=\"string\">",
        "<ParamField body=\"pageToken\" type=\"number\">",
    );
    let out = run_check(&fx, &["--format", "json"]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["severity"], "breaking");
    assert_eq!(f["kind"], "type_changed");
    assert_eq!(f["operation"], "getAllUserData");
    assert_eq!(f["endpoint"], "POST /v2/users/data/get");
    assert_eq!(f["path"], "request.data.pageToken");
    assert_eq!(f["docs"], "number");
    assert_eq!(f["spec"], "string");
    assert_eq!(f["pages"][0]["page"], GET_MDX);
    assert_eq!(
        f["pages"][0]["line"],
        line_of(
            &fx,
            GET_MDX,
            "<ParamField body=\"pageToken\" type=\"number\">"
        )
    );
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["not_covered"], serde_json::json!([]));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&run(&[])), 2);
    assert_eq!(code(&run(&["check", "--bogus"])), 2);
    assert_eq!(code(&run(&["check", "--format", "xml"])), 2);
    assert_eq!(code(&run(&["diff"])), 2, "--old is required");
}

#[test]
fn help_exits_0_and_documents_every_flag() {
    let out = run(&["check", "--help"]);
    assert_eq!(code(&out), 0);
    let help = stdout(&out);
    for flag in ["--docs", "--spec", "--format"] {
        assert!(help.contains(flag), "{help}");
    }
}

#[test]
fn unreadable_input_exits_2() {
    let fx = Fixture::new();
    let missing = fx.dir.path().join("nope.yaml");
    let out = run(&[
        "check",
        "--docs",
        &fx.docs().display().to_string(),
        "--spec",
        &missing.display().to_string(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("nope.yaml"), "{}", stderr(&out));

    fx.write("../velt.yaml", "openapi: 3.0.3\npaths: [not, a, map]\n");
    assert_eq!(code(&run_check(&fx, &[])), 2);

    let fx = Fixture::new();
    fx.edit(
        USERS_MDX,
        "```JSON\n{\n  \"result\"",
        "```JSON\n{\n  \"result\" oops",
    );
    let out = run_check(&fx, &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("get-users.mdx: line "),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("invalid JSON"), "{}", stderr(&out));

    let empty = tempfile::tempdir().unwrap();
    let out = run(&[
        "check",
        "--docs",
        &empty.path().display().to_string(),
        "--spec",
        &fx.spec().display().to_string(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no documentation pages"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn not_covered_pages_are_listed_and_exit_0() {
    let fx = Fixture::new();
    fx.write(
        "md/get-organizations.md",
        "# Get Organizations\n\n# Endpoint\n\n`POST https://api.velt.dev/v2/organizations/get`\n",
    );
    let out = run_check(&fx, &[]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains(
            "POST /v2/organizations/get  md/get-organizations.md  \"Get Organizations\"\n    not listed in SOURCES"
        ),
        "{}",
        stdout(&out)
    );
}

// ---- spec against spec ----

fn diff_with(new_text: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.yaml");
    let new = dir.path().join("new.yaml");
    std::fs::write(&old, spec_text()).unwrap();
    std::fs::write(&new, new_text).unwrap();
    let mut args = vec![
        "diff".to_string(),
        "--old".into(),
        old.display().to_string(),
        "--new".into(),
        new.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&refs)
}

fn changes(out: &Output) -> Vec<(String, String, String)> {
    let v: serde_json::Value = serde_json::from_str(&stdout(out)).unwrap();
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["severity"].as_str().unwrap().to_string(),
                c["endpoint"].as_str().unwrap().to_string(),
                c["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn triple(s: &str, e: &str, p: &str) -> (String, String, String) {
    (s.into(), e.into(), p.into())
}

#[test]
fn diff_of_identical_specs_is_empty() {
    let out = diff_with(&spec_text(), &[]);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), "no changes to the API contract\n");
}

#[test]
fn diff_renamed_response_field() {
    let text = changed(
        &spec_text(),
        "        tasksCount:\n",
        "        taskCount:\n",
    );
    let out = diff_with(&text, &["--format", "json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        changes(&out),
        [
            triple(
                "breaking",
                "POST /v2/users/data/delete",
                "response.data.tasksCount"
            ),
            triple(
                "additive",
                "POST /v2/users/data/delete",
                "response.data.taskCount"
            ),
        ]
    );
}

#[test]
fn diff_new_optional_request_field_is_additive_and_exits_0() {
    let text = changed(
        &spec_text(),
        "        pageToken:\n",
        "        veltAllOrganizations:\n          type: boolean\n        pageToken:\n",
    );
    let out = diff_with(&text, &["--format", "json"]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        changes(&out),
        [triple(
            "additive",
            "POST /v2/users/data/get",
            "request.data.veltAllOrganizations"
        )]
    );
}

#[test]
fn diff_breaking_request_and_status_changes() {
    let text = changed(
        &spec_text(),
        "required: [organizationId, userId]",
        "required: [organizationId, userId, pageToken]",
    );
    let text = changed(&text, "        \"202\":", "        \"201\":");
    let text = changed(
        &text,
        "        tasksLeft:\n          description: Tasks still to run.\n          type: integer",
        "        tasksLeft:\n          description: Tasks still to run.\n          type: string",
    );
    let text = changed(&text, "  /v1/users/get:", "  /v1/users/list:");
    let out = diff_with(&text, &["--format", "json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(
        changes(&out),
        [
            triple("breaking", "POST /v1/users/list", "endpoint"),
            triple("breaking", "POST /v2/users/data/delete", "status"),
            triple(
                "breaking",
                "POST /v2/users/data/delete/status",
                "response.result.data.tasksLeft"
            ),
            triple(
                "breaking",
                "POST /v2/users/data/get",
                "request.data.pageToken"
            ),
        ]
    );
    let text_out = diff_with(&text, &[]);
    assert!(
        stdout(&text_out).contains("4 changes: 4 breaking, 0 additive"),
        "{}",
        stdout(&text_out)
    );
}

#[test]
fn diff_unreadable_spec_exits_2() {
    let out = diff_with("not: [an, openapi", &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("new.yaml"), "{}", stderr(&out));
}

#[test]
fn fetch_without_sources_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["fetch", "--docs", &dir.path().display().to_string()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("SOURCES"), "{}", stderr(&out));
}

#[test]
fn fetch_network_failure_exits_2_and_writes_nothing() {
    let fx = Fixture::new();
    // Nothing listens on port 9 of localhost: the connection is refused at once.
    fx.write(
        "SOURCES",
        "md/get-all-user-data.md\thttps://docs.velt.dev/api-reference/get-all-user-data\t2026-08-19\n",
    );
    let before = std::fs::read_to_string(fx.docs().join(GET_MD)).unwrap();
    let docs = fx.docs().display().to_string();
    let out = run(&["fetch", "--docs", &docs, "--md-base", "http://127.0.0.1:9"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("http://127.0.0.1:9/api-reference/get-all-user-data.md"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(fx.docs().join(GET_MD)).unwrap(),
        before
    );
}

#[test]
fn diff_text_says_what_a_change_means_on_the_wire_and_for_rust_code() {
    let text = changed(
        &spec_text(),
        "        organizationIds:\n",
        "        newRequestField:\n          type: string\n        organizationIds:\n",
    );
    let out = diff_with(&text, &[]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let report = stdout(&out);
    assert!(
        report.contains(
            "additive  POST /v2/users/data/delete  request.data.newRequestField\n  a new field\n  old: absent\n  new: string, optional\n  wire: fine: "
        ),
        "{report}"
    );
    assert!(
        report.contains("\n  rust: fine: the generated struct gains a Option<T> field"),
        "{report}"
    );
    assert!(
        report.ends_with("Rust code using the crate: unchanged (a compatible release)\n"),
        "{report}"
    );
}
