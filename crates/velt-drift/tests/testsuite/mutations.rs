//! Every kind of documentation change, made on a temp copy of the real snapshot.

use crate::common;

use common::*;
use velt_drift::Severity::{Additive, Breaking};
use velt_drift::check::FindingKind::*;

const DELETE: &str = "POST /v2/users/data/delete";
const GET: &str = "POST /v2/users/data/get";
const STATUS: &str = "POST /v2/users/data/delete/status";
const USERS: &str = "POST /v1/users/get";
const ORGS_V2: &str = "POST /v2/organizations/get";
const USERS_V2: &str = "POST /v2/users/get";

#[test]
fn current_snapshot_is_clean() {
    let report = Fixture::new().check();
    assert!(report.is_clean(), "{:#?}", report.findings);
    assert!(report.not_covered.is_empty());
    assert_eq!(report.pages.len(), pinned_pages());
}

#[test]
fn renamed_response_field() {
    let fx = Fixture::new();
    fx.edit_both(DELETE_MD, DELETE_MDX, "\"tasksCount\"", "\"taskCount\"");
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (
                Breaking,
                ResponseFieldMissing,
                DELETE,
                "response.data.tasksCount",
            ),
            (
                Additive,
                ResponseFieldUnknown,
                DELETE,
                "response.data.taskCount",
            ),
        ],
    );
    let missing = only(&report, "response.data.tasksCount");
    assert_eq!(missing.docs, "absent; `taskCount` instead (renamed?)");
    assert_eq!(missing.spec, "integer, optional");
    // Both forms, both success examples (Success Response and ResponseExample): grouped.
    assert_eq!(
        pages(missing),
        [DELETE_MD, DELETE_MD, DELETE_MDX, DELETE_MDX]
    );
    assert!(missing.pages.iter().all(|p| p.line.is_some()));
}

#[test]
fn renamed_nested_response_field_in_an_array_item() {
    let fx = Fixture::new();
    fx.edit(
        USERS_MDX,
        "\"email\": \"userEmail@domain.com\"",
        "\"mail\": \"userEmail@domain.com\"",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (
                Breaking,
                ResponseFieldMissing,
                USERS,
                "response.result.data[].email",
            ),
            (
                Additive,
                ResponseFieldUnknown,
                USERS,
                "response.result.data[].mail",
            ),
        ],
    );
}

#[test]
fn response_type_changed() {
    let fx = Fixture::new();
    fx.edit(STATUS_MDX, "\"tasksLeft\": 0", "\"tasksLeft\": \"none\"");
    let report = fx.check();
    assert_findings(
        &report,
        &[(
            Breaking,
            ResponseTypeMismatch,
            STATUS,
            "response.result.data.tasksLeft",
        )],
    );
    let f = only(&report, "response.result.data.tasksLeft");
    assert_eq!((f.docs.as_str(), f.spec.as_str()), ("string", "integer"));
}

#[test]
fn dropped_parameter() {
    let fx = Fixture::new();
    fx.edit(
        DELETE_MDX,
        "    <ParamField body=\"organizationIds\" type=\"string[]\">\n      Array of organization Ids. These are the organizations that the user is part of.\n    </ParamField>\n",
        "",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(
            Breaking,
            ParamRemoved,
            DELETE,
            "request.data.organizationIds",
        )],
    );
    let f = only(&report, "request.data.organizationIds");
    assert_eq!(pages(f), [DELETE_MDX], "only the edited form reports it");
    assert_eq!(f.spec, "array of string, optional");
}

#[test]
fn dropped_header() {
    let fx = Fixture::new();
    fx.edit(
        USERS_MDX,
        "<ParamField header=\"x-velt-auth-token\" type=\"string\" required>\n  Your [Auth Token](/security/auth-tokens).\n</ParamField>",
        "",
    );
    assert_findings(
        &fx.check(),
        &[(Breaking, ParamRemoved, USERS, "header.x-velt-auth-token")],
    );
}

const PAGE_TOKEN: &str = "<ParamField body=\"pageToken\" type=\"string\">\n      Page token retrieved from previous API call.\n    </ParamField>";

#[test]
fn added_required_parameter_is_breaking_and_optional_one_additive() {
    let fx = Fixture::new();
    let added = format!(
        "{PAGE_TOKEN}\n    <ParamField body=\"veltUserIds\" type=\"string[]\" required>\n      Velt user ids.\n    </ParamField>\n    <ParamField body=\"veltAllOrganizations\" type=\"boolean\">\n      All organizations.\n    </ParamField>"
    );
    fx.edit_both(GET_MD, GET_MDX, PAGE_TOKEN, &added);
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (Breaking, ParamAdded, GET, "request.data.veltUserIds"),
            (
                Additive,
                ParamAdded,
                GET,
                "request.data.veltAllOrganizations",
            ),
        ],
    );
    let f = only(&report, "request.data.veltUserIds");
    assert_eq!(
        (f.docs.as_str(), f.spec.as_str()),
        ("string[], required", "absent")
    );
    assert_eq!(pages(f), [GET_MD, GET_MDX]);
}

#[test]
fn added_header() {
    let fx = Fixture::new();
    fx.edit(
        STATUS_MDX,
        "# Body",
        "<ParamField header=\"x-velt-region\" type=\"string\">\n  Region.\n</ParamField>\n\n# Body",
    );
    assert_findings(
        &fx.check(),
        &[(Additive, ParamAdded, STATUS, "header.x-velt-region")],
    );
}

#[test]
fn changed_type() {
    let fx = Fixture::new();
    fx.edit(
        GET_MDX,
        "<ParamField body=\"pageToken\" type=\"string\">",
        "<ParamField body=\"pageToken\" type=\"number\">",
    );
    let report = fx.check();
    // The example request still sends a string: only the parameter's type differs.
    assert_findings(
        &report,
        &[(Breaking, TypeChanged, GET, "request.data.pageToken")],
    );
    let f = only(&report, "request.data.pageToken");
    assert_eq!((f.docs.as_str(), f.spec.as_str()), ("number", "string"));
    assert!(f.pages[0].line.is_some());
}

#[test]
fn array_type_becomes_scalar() {
    let fx = Fixture::new();
    fx.edit(
        DELETE_MDX,
        "<ParamField body=\"userIds\" type=\"string[]\" required>",
        "<ParamField body=\"userIds\" type=\"string\" required>",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(Breaking, TypeChanged, DELETE, "request.data.userIds")],
    );
    assert_eq!(
        only(&report, "request.data.userIds").spec,
        "array of string"
    );
}

#[test]
fn flipped_required() {
    let fx = Fixture::new();
    fx.edit(
        USERS_MDX,
        "<ParamField body=\"documentId\" type=\"string\">",
        "<ParamField body=\"documentId\" type=\"string\" required>",
    );
    fx.edit(
        STATUS_MDX,
        "<ParamField body=\"jobId\" type=\"string\" required>",
        "<ParamField body=\"jobId\" type=\"string\">",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (Breaking, RequiredChanged, USERS, "request.data.documentId"),
            (Additive, RequiredChanged, STATUS, "request.data.jobId"),
        ],
    );
    let f = only(&report, "request.data.documentId");
    assert_eq!((f.docs.as_str(), f.spec.as_str()), ("required", "optional"));
}

#[test]
fn changed_url() {
    let fx = Fixture::new();
    fx.edit(GET_MDX, "/v2/users/data/get", "/v2/users/data/export");
    let report = fx.check();
    assert_findings(&report, &[(Breaking, UrlDiffers, GET, "endpoint.url")]);
    let f = only(&report, "endpoint.url");
    assert_eq!(f.docs, "https://api.velt.dev/v2/users/data/export");
    assert_eq!(f.spec, "https://api.velt.dev/v2/users/data/get");
    // Front matter and Endpoint section both say so.
    let lines: Vec<_> = f.pages.iter().filter_map(|p| p.line).collect();
    assert_eq!(lines, lines_of(&fx, GET_MDX, "/v2/users/data/export"));
    assert!(
        report.not_covered.is_empty(),
        "bound through SOURCES and externalDocs, not 'not covered'"
    );
}

#[test]
fn changed_host_in_the_md_export() {
    let fx = Fixture::new();
    fx.edit(
        DELETE_MD,
        "https://api.velt.dev/v2",
        "https://gdpr.api.velt.dev/v2",
    );
    let report = fx.check();
    assert_findings(&report, &[(Breaking, UrlDiffers, DELETE, "endpoint.url")]);
    assert_eq!(pages(only(&report, "endpoint.url")), [DELETE_MD]);
}

#[test]
fn changed_method() {
    let fx = Fixture::new();
    fx.edit(STATUS_MDX, "`POST https://", "`GET https://");
    let report = fx.check();
    assert_findings(
        &report,
        &[(Breaking, MethodDiffers, STATUS, "endpoint.method")],
    );
    let f = only(&report, "endpoint.method");
    assert_eq!((f.docs.as_str(), f.spec.as_str()), ("GET", "POST"));
}

#[test]
fn changed_success_status() {
    let fx = Fixture::new();
    fx.edit_both(
        DELETE_MD,
        DELETE_MDX,
        "return a 202 response",
        "return a 201 response",
    );
    fx.edit_both(
        DELETE_MD,
        DELETE_MDX,
        "\"statusCode\": 202",
        "\"statusCode\": 201",
    );
    let report = fx.check();
    assert_findings(&report, &[(Breaking, StatusDiffers, DELETE, "status")]);
    let f = only(&report, "status");
    assert_eq!(f.spec, "202");
    assert!(f.docs.starts_with("201"), "{}", f.docs);
}

#[test]
fn status_named_on_a_page_that_had_none() {
    let fx = Fixture::new();
    fx.edit(
        USERS_MDX,
        "Use this for SDK v3 or prior versions.",
        "Use this for SDK v3 or prior versions. It returns a 201 response.",
    );
    let report = fx.check();
    assert_findings(&report, &[(Breaking, StatusDiffers, USERS, "status")]);
    assert_eq!(only(&report, "status").spec, "200");
}

#[test]
fn status_dropped_from_a_page_defaults_to_200() {
    let fx = Fixture::new();
    fx.edit(DELETE_MDX, "return a 202 response", "return a response");
    fx.edit(DELETE_MDX, ",\n  \"statusCode\": 202", "");
    let report = fx.check();
    // The statusCode field vanished from the examples too: that is a missing response field.
    assert_findings(
        &report,
        &[
            (Breaking, StatusDiffers, DELETE, "status"),
            (
                Breaking,
                ResponseFieldMissing,
                DELETE,
                "response.statusCode",
            ),
        ],
    );
    assert!(only(&report, "status").docs.contains("implied"));
}

#[test]
fn page_for_an_endpoint_the_spec_lacks_is_not_covered_not_drift() {
    let fx = Fixture::new();
    let text = std::fs::read_to_string(fx.docs().join(STATUS_MDX))
        .unwrap()
        .replace("/v2/users/data/delete/status", "/v2/organizations/update")
        .replace("Get Delete All User Data Status", "Update Organizations");
    fx.write("mdx/update-organizations.mdx", &text);
    let report = fx.check();
    assert!(report.is_clean(), "{:#?}", report.findings);
    assert_eq!(report.exit_code(false), 0);
    assert_eq!(report.exit_code(true), 1, "--strict");
    assert_eq!(report.not_covered.len(), 1);
    let n = &report.not_covered[0];
    assert_eq!(n.endpoint, "POST /v2/organizations/update");
    assert_eq!(n.page, "mdx/update-organizations.mdx");
    assert_eq!(n.title.as_deref(), Some("Update Organizations"));
    assert_eq!(n.url, None, "not listed in SOURCES");
}

#[test]
fn operation_without_page() {
    let fx = Fixture::new();
    std::fs::remove_file(fx.docs().join(STATUS_MDX)).unwrap();
    // SOURCES still lists it: that is unreadable input, not drift.
    let err = velt_drift::check::check(&fx.docs(), &fx.spec()).unwrap_err();
    assert!(
        err.to_string()
            .contains("get-delete-user-data-status-gdpr.mdx"),
        "{err}"
    );
    let sources = std::fs::read_to_string(fx.docs().join("SOURCES")).unwrap();
    let kept: Vec<&str> = sources
        .lines()
        .filter(|l| !l.contains("get-delete-user-data-status"))
        .collect();
    fx.write("SOURCES", &kept.join("\n"));
    let report = fx.check();
    assert_findings(
        &report,
        &[(Breaking, OperationUndocumented, STATUS, "endpoint")],
    );
}

#[test]
fn error_envelope_field_renamed() {
    let fx = Fixture::new();
    fx.edit(
        GET_MDX,
        "\"status\": \"INVALID_ARGUMENT\"",
        "\"reason\": \"INVALID_ARGUMENT\"",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (Breaking, ErrorFieldMissing, GET, "error.error.status"),
            (Additive, ErrorFieldUnknown, GET, "error.error.reason"),
        ],
    );
}

#[test]
fn example_request_that_does_not_fit() {
    let fx = Fixture::new();
    fx.edit(
        USERS_MDX,
        "\"documentId\": \"yourDocumentId\"\n  }",
        "\"documentId\": \"yourDocumentId\",\n    \"limit\": 10\n  }",
    );
    fx.edit(
        DELETE_MDX,
        "\"userIds\": [\n      \"yourUserId1\",",
        "\"userIds\": [\n      42,",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (
                Additive,
                RequestExampleMismatch,
                USERS,
                "request.data.limit",
            ),
            (
                Breaking,
                RequestExampleMismatch,
                DELETE,
                "request.data.userIds[]",
            ),
        ],
    );
}

#[test]
fn prose_only_edits_are_not_drift() {
    let fx = Fixture::new();
    fx.edit(
        GET_MDX,
        "title: \"Get All User Data\"",
        "title: \"Export All User Data\"",
    );
    fx.edit(GET_MD, "# Get All User Data", "# Export All User Data");
    fx.edit_both(
        GET_MD,
        GET_MDX,
        "This API may take a few seconds to return a response depending on the dataset size.",
        "Large datasets make this API slower.",
    );
    fx.edit_both(
        GET_MD,
        GET_MDX,
        "Page token retrieved from previous API call.",
        "The token.",
    );
    fx.edit_both(GET_MD, GET_MDX, "\"yourUserId\"", "\"user-123\"");
    fx.edit_both(GET_MD, GET_MDX, "Data fetched successfully.", "OK");
    fx.edit_both(
        DELETE_MD,
        DELETE_MDX,
        "\"tasksCount\": 5",
        "\"tasksCount\": 12",
    );
    fx.edit_both(
        DELETE_MD,
        DELETE_MDX,
        "Remove All User data from Velt.",
        "Erase a user.",
    );
    fx.edit(
        USERS_MDX,
        "#### 1. Get users by organizationId",
        "#### 1. All users of an organization",
    );
    fx.edit(USERS_MDX, "Error retrieving user(s).", "Something failed.");
    let report = fx.check();
    assert!(report.is_clean(), "{:#?}", report.findings);
}

#[test]
fn unreadable_page_is_an_error_with_the_line() {
    let fx = Fixture::new();
    fx.edit(STATUS_MDX, "</Expandable>\n</ParamField>", "</Expandable>");
    let err = velt_drift::check::check(&fx.docs(), &fx.spec()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("get-delete-user-data-status-gdpr.mdx"),
        "{text}"
    );
    let line = line_of(&fx, STATUS_MDX, "<ParamField body=\"data\"");
    assert!(text.contains(&format!("line {line}")), "{text}");
    assert!(text.contains("</ParamField>"), "{text}");
}

// ---- the binding: pages are matched through SOURCES and externalDocs, never their text ----

#[test]
fn url_moved_and_response_field_renamed_on_the_same_page_are_both_reported() {
    let fx = Fixture::new();
    fx.edit_both(
        DELETE_MD,
        DELETE_MDX,
        "/v2/users/data/delete",
        "/v3/users/erase",
    );
    fx.edit_both(DELETE_MD, DELETE_MDX, "\"jobId\"", "\"id\"");
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (Breaking, UrlDiffers, DELETE, "endpoint.url"),
            (
                Breaking,
                ResponseFieldMissing,
                DELETE,
                "response.data.jobId",
            ),
            (Additive, ResponseFieldUnknown, DELETE, "response.data.id"),
        ],
    );
    assert_eq!(
        only(&report, "endpoint.url").docs,
        "https://api.velt.dev/v3/users/erase"
    );
    assert!(report.not_covered.is_empty());
    let f = only(&report, "response.data.jobId");
    assert_eq!(f.operation, "deleteAllUserData");
    assert_eq!(pages(f), [DELETE_MD, DELETE_MD, DELETE_MDX, DELETE_MDX]);
}

#[test]
fn old_delete_page_at_another_url_is_compared_in_full() {
    let fx = Fixture::new();
    make_old_delete_page(&fx);
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (Breaking, UrlDiffers, DELETE, "endpoint.url"),
            (Breaking, StatusDiffers, DELETE, "status"),
            (Breaking, WrapperDiffers, DELETE, "response.result"),
            (
                Breaking,
                ResponseFieldMissing,
                DELETE,
                "response.data.jobId",
            ),
            (
                Additive,
                ResponseFieldUnknown,
                DELETE,
                "response.data.taskId",
            ),
            (
                Breaking,
                ResponseFieldMissing,
                DELETE,
                "response.data.tasksCount",
            ),
            (
                Breaking,
                ResponseFieldMissing,
                DELETE,
                "response.statusCode",
            ),
        ],
    );
    assert!(
        report
            .findings
            .iter()
            .all(|f| pages(f).iter().all(|p| *p == DELETE_MDX))
    );
    assert_eq!(
        only(&report, "response.data.jobId").docs,
        "absent; `taskId` instead (renamed?)",
        "the one string field the spec lacks"
    );
    assert_eq!(only(&report, "response.data.tasksCount").docs, "absent");
    let status = only(&report, "status");
    assert_eq!(
        (status.docs.as_str(), status.spec.as_str()),
        ("201 (from the prose)", "202")
    );
    let wrapper = only(&report, "response.result");
    assert_eq!(
        (wrapper.docs.as_str(), wrapper.spec.as_str()),
        ("wrapped in `result`", "not wrapped")
    );
    let fences = lines_of(&fx, DELETE_MDX, "\"result\": {");
    let at: Vec<usize> = wrapper.pages.iter().filter_map(|p| p.line).collect();
    assert_eq!(at.len(), 2, "both success examples");
    for (fence, content) in at.iter().zip(&fences) {
        assert_eq!(
            fence + 2,
            *content,
            "the line is the example's opening fence"
        );
    }
}

#[test]
fn result_wrapper_removed() {
    let fx = Fixture::new();
    let unwrapped = rewrite_success_examples(&fx.read(STATUS_MDX), |v| v["result"].clone());
    fx.write(STATUS_MDX, &unwrapped);

    let report = fx.check();
    assert_findings(
        &report,
        &[(Breaking, WrapperDiffers, STATUS, "response.result")],
    );
    let f = only(&report, "response.result");
    assert_eq!(
        (f.docs.as_str(), f.spec.as_str()),
        ("not wrapped", "wrapped in `result`")
    );
}

#[test]
fn example_request_missing_a_documented_parameter() {
    let fx = Fixture::new();
    fx.edit_both(
        GET_MD,
        GET_MDX,
        "\"organizationId\": \"yourOrganizationId\",\n",
        "",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(
            Additive,
            RequestExampleMismatch,
            GET,
            "request.data.organizationId",
        )],
    );
    assert_eq!(
        only(&report, "request.data.organizationId").spec,
        "string, required"
    );
}

/// Velt's v1 GDPR pages live beside the v2 ones, and v2 has an Update Users page: listed in
/// SOURCES but bound to no operation, they are "not covered", whatever endpoint they name.
#[test]
fn pages_for_unbound_endpoints_with_sources_lines_are_not_covered() {
    let fx = Fixture::new();
    let v1_delete = fx
        .read(DELETE_MDX)
        .replace("/v2/users/data/delete", "/v1/users/data/delete");
    fx.write("mdx/delete-all-user-data.mdx", &v1_delete)
        .add_source(
            "mdx/delete-all-user-data.mdx",
            "https://docs.velt.dev/api-reference/rest-apis/v1/gdpr/delete-all-user-data",
        );
    let v2_update = fx
        .read(USERS_MDX)
        .replace("/v1/users/get", "/v2/users/update")
        .replace("title: \"Get Users\"", "title: \"Update Users\"");
    fx.write("mdx/update-users-v2.mdx", &v2_update).add_source(
        "mdx/update-users-v2.mdx",
        "https://docs.velt.dev/api-reference/rest-apis/v2/users/update-users",
    );
    let report = fx.check();
    assert!(report.is_clean(), "{:#?}", report.findings);
    assert_eq!(report.exit_code(false), 0);
    assert_eq!(report.exit_code(true), 1);
    let listed: Vec<(&str, &str, Option<&str>)> = report
        .not_covered
        .iter()
        .map(|n| (n.page.as_str(), n.endpoint.as_str(), n.title.as_deref()))
        .collect();
    assert_eq!(
        listed,
        [
            (
                "mdx/delete-all-user-data.mdx",
                "POST /v1/users/data/delete",
                Some("Delete All User Data")
            ),
            (
                "mdx/update-users-v2.mdx",
                "POST /v2/users/update",
                Some("Update Users")
            ),
        ]
    );
}

#[test]
fn a_page_named_in_the_docs_extension_is_compared_too() {
    let fx = Fixture::new();
    let v2_users = fx.read(USERS_MDX).replace("/v1/users/get", "/v2/users/get");
    let url = "https://docs.velt.dev/api-reference/rest-apis/v2/users/get-users";
    fx.write("mdx/get-users-v2-draft.mdx", &v2_users)
        .add_source("mdx/get-users-v2-draft.mdx", url);
    fx.edit(
        "../velt.yaml",
        "        url: https://docs.velt.dev/api-reference/rest-apis/v1/users/get-users\n",
        &format!(
            "        url: https://docs.velt.dev/api-reference/rest-apis/v1/users/get-users\n      {}:\n        - {url}\n",
            velt_drift::spec::DOCS_EXTENSION
        ),
    );
    let report = fx.check();
    assert_findings(&report, &[(Breaking, UrlDiffers, USERS, "endpoint.url")]);
    assert_eq!(
        pages(only(&report, "endpoint.url")),
        ["mdx/get-users-v2-draft.mdx"; 2]
    );
    assert!(report.not_covered.is_empty());
}

#[test]
fn operation_bound_to_no_page() {
    let fx = Fixture::new();
    fx.edit(
        "../velt.yaml",
        "      externalDocs:\n        description: The page this operation is pinned to (its .mdx source and .md export).\n        url: https://docs.velt.dev/api-reference/rest-apis/v2/gdpr/get-delete-user-data-status-gdpr\n",
        "",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(Breaking, OperationUndocumented, STATUS, "endpoint")],
    );
    assert_eq!(only(&report, "endpoint").docs, "no page bound");
    // Its page is still read, and listed as bound to nothing.
    assert_eq!(report.not_covered.len(), 1);
    assert_eq!(report.not_covered[0].page, STATUS_MDX);
}

// ---- The v2 look-up pages (Get Organizations, Get Users v2) ----------------------------

#[test]
fn v2_pages_are_bound_and_compared() {
    let report = Fixture::new().check();
    let bound: Vec<&str> = report.pages.iter().map(String::as_str).collect();
    assert!(
        bound.contains(&ORGS_V2_MDX) && bound.contains(&USERS_V2_MDX),
        "{bound:?}"
    );
}

#[test]
fn renamed_organization_field_is_caught() {
    let fx = Fixture::new();
    fx.edit(ORGS_V2_MDX, "\"organizationName\":", "\"name\":");
    let report = fx.check();
    // An organization is an open object ("other metadata fields may be included"): the new
    // name is not reported as unknown, the missing documented one is.
    assert_findings(
        &report,
        &[(
            Breaking,
            ResponseFieldMissing,
            ORGS_V2,
            "response.result.data[].organizationName",
        )],
    );
    // Both success examples (the section and the response panel), one finding.
    assert_eq!(
        only(&report, "response.result.data[].organizationName")
            .pages
            .len(),
        2
    );
}

#[test]
fn organizations_parameter_dropped_added_and_retyped() {
    let fx = Fixture::new();
    fx.edit(
        ORGS_V2_MDX,
        "<ParamField body=\"pageSize\" type=\"number\">",
        "<ParamField body=\"pageSize\" type=\"string\">",
    );
    fx.edit(
        ORGS_V2_MDX,
        "    <ParamField body=\"pageToken\" type=\"string\">",
        "    <ParamField body=\"includeDisabled\" type=\"boolean\">\n      Also disabled ones.\n    </ParamField>\n    <ParamField body=\"pageToken\" type=\"string\">",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (Breaking, TypeChanged, ORGS_V2, "request.data.pageSize"),
            (
                Additive,
                ParamAdded,
                ORGS_V2,
                "request.data.includeDisabled",
            ),
        ],
    );
    let fx = Fixture::new();
    let text = fx.read(ORGS_V2_MDX);
    let start = text.find("    <ParamField body=\"pageToken\"").unwrap();
    let end = start + text[start..].find("</ParamField>").unwrap() + "</ParamField>".len();
    fx.write(ORGS_V2_MDX, &format!("{}{}", &text[..start], &text[end..]));
    let report = fx.check();
    assert_findings(
        &report,
        &[(Breaking, ParamRemoved, ORGS_V2, "request.data.pageToken")],
    );
}

#[test]
fn renamed_user_field_is_caught_in_the_list_and_in_the_grouped_answer() {
    let fx = Fixture::new();
    fx.edit(USERS_V2_MDX, "\"email\":", "\"emailAddress\":");
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (
                Breaking,
                ResponseFieldMissing,
                USERS_V2,
                "response.result.data[].email",
            ),
            (
                Additive,
                ResponseFieldUnknown,
                USERS_V2,
                "response.result.data[].emailAddress",
            ),
            (
                Breaking,
                ResponseFieldMissing,
                USERS_V2,
                "response.result.data.documentId1[].email",
            ),
            (
                Additive,
                ResponseFieldUnknown,
                USERS_V2,
                "response.result.data.documentId1[].emailAddress",
            ),
        ],
    );
}

#[test]
fn grouped_users_that_become_a_scalar_are_a_type_change() {
    let fx = Fixture::new();
    let text = fx.read(USERS_V2_MDX);
    let grouped = text.find("\"documentId1\": [").unwrap();
    let end = grouped + text[grouped..].find(']').unwrap() + 1;
    fx.write(
        USERS_V2_MDX,
        &format!(
            "{}\"documentId1\": \"yourUserId\"{}",
            &text[..grouped],
            &text[end..]
        ),
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(
            Breaking,
            ResponseTypeMismatch,
            USERS_V2,
            "response.result.data.documentId1",
        )],
    );
}

/// The page names the token `nextPageToken` in its success examples and `pageToken` in its
/// response panel; the spec declares both (one an alias of the other), so neither is missing.
/// A third name on every example is caught, for both.
#[test]
fn either_token_name_is_enough_but_a_third_is_drift() {
    let fx = Fixture::new();
    fx.edit(USERS_V2_MDX, "\"nextPageToken\":", "\"pageToken\":");
    let report = fx.check();
    assert!(report.is_clean(), "{:#?}", report.findings);

    let fx = Fixture::new();
    fx.edit(USERS_V2_MDX, "\"nextPageToken\":", "\"cursor\":");
    fx.edit(
        USERS_V2_MDX,
        "\"pageToken\": \"pageToken\"\n  }\n}\n```\n</ResponseExample>",
        "\"cursor\": \"pageToken\"\n  }\n}\n```\n</ResponseExample>",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (
                Breaking,
                ResponseFieldMissing,
                USERS_V2,
                "response.result.nextPageToken",
            ),
            (
                Breaking,
                ResponseFieldMissing,
                USERS_V2,
                "response.result.pageToken",
            ),
            (
                Additive,
                ResponseFieldUnknown,
                USERS_V2,
                "response.result.cursor",
            ),
        ],
    );
}

#[test]
fn users_v2_parameter_made_required_is_caught() {
    let fx = Fixture::new();
    fx.edit(
        USERS_V2_MDX,
        "<ParamField body=\"documentId\" type=\"string\">",
        "<ParamField body=\"documentId\" type=\"string\" required>",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(
            Breaking,
            RequiredChanged,
            USERS_V2,
            "request.data.documentId",
        )],
    );
}

// ---- Velt's other stores: the pages of the activity log, permissions, AI Memory and
// notification settings are bound like the others.

const JUDGMENTS: &str = "POST /v2/memory/judgments/query";
const JUDGMENTS_MDX: &str = "mdx/v2_memory_judgments_query.mdx";
const ACTIVITIES_DELETE: &str = "POST /v2/activities/delete";
const ACTIVITIES_DELETE_MDX: &str = "mdx/v2_activities_delete-activities.mdx";
const PERMISSIONS: &str = "POST /v2/auth/permissions/get";
const PERMISSIONS_MDX: &str = "mdx/v2_auth_get-permissions.mdx";

#[test]
fn a_renamed_judgment_field_is_drift() {
    let fx = Fixture::new();
    fx.edit(JUDGMENTS_MDX, "\"recordId\"", "\"judgmentId\"");
    let report = fx.check();
    assert_findings(
        &report,
        &[
            (
                Breaking,
                ResponseFieldMissing,
                JUDGMENTS,
                "response.result.results[].recordId",
            ),
            (
                Additive,
                ResponseFieldUnknown,
                JUDGMENTS,
                "response.result.results[].judgmentId",
            ),
        ],
    );
    let missing = only(&report, "response.result.results[].recordId");
    assert_eq!(missing.docs, "absent; `judgmentId` instead (renamed?)");
    // The success response and the response panel, grouped.
    let lines: Vec<Option<usize>> = missing.pages.iter().map(|p| p.line).collect();
    let fences: Vec<Option<usize>> = lines_of(&fx, JUDGMENTS_MDX, "\"results\": [")
        .into_iter()
        .map(|line| Some(line - 3))
        .collect();
    assert_eq!(lines, fences);
}

#[test]
fn a_new_required_parameter_of_the_activity_deletion_is_drift() {
    let fx = Fixture::new();
    fx.edit(
        ACTIVITIES_DELETE_MDX,
        "    <ParamField body=\"targetEntityId\" type=\"string\">",
        "    <ParamField body=\"userId\" type=\"string\" required>\n      The user.\n    </ParamField>\n\n    <ParamField body=\"targetEntityId\" type=\"string\">",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(
            Breaking,
            ParamAdded,
            ACTIVITIES_DELETE,
            "request.data.userId",
        )],
    );
}

/// A field the spec marks `x-velt-sometimes` may be absent from a success example; without the
/// mark its absence is drift, as for any other field.
#[test]
fn a_field_shown_only_sometimes_may_be_absent() {
    let fx = Fixture::new();
    // The page's second example has no `folders`: clean, because the spec says it comes only
    // sometimes.
    let report = fx.check();
    assert!(report.is_clean(), "{:#?}", report.findings);
    // Without the mark, it is a missing field.
    fx.edit(
        "../velt.yaml",
        "            x-velt-sometimes: only when the user has folder permissions (absent from the page's second example)\n",
        "",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(
            Breaking,
            ResponseFieldMissing,
            PERMISSIONS,
            "response.result.data.user_123.folders",
        )],
    );
    // Its type is still compared where it appears.
    let fx = Fixture::new();
    fx.edit(
        PERMISSIONS_MDX,
        "\"errorCode\": \"permission_denied\"",
        "\"errorCode\": 403",
    );
    fx.edit(
        PERMISSIONS_MDX,
        "#### Permission Denied",
        "#### Success Response when permission is denied",
    );
    let report = fx.check();
    assert_findings(
        &report,
        &[(
            Breaking,
            ResponseTypeMismatch,
            PERMISSIONS,
            "response.result.data.1.1.documents.document5.errorCode",
        )],
    );
}
