//! The spec and what progenitor makes of it: the spec parses and says what the docs say in
//! its structure, and the generated code and the JSON Schemas of its types are pinned as
//! snapshots so that any change of spec or generator shows up as a reviewable diff.

use crate::common;

use common::in_snapshots;
use openapiv3::{OpenAPI, ReferenceOr};
use velt_api::types;

fn spec() -> OpenAPI {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/velt.yaml"))
        .expect("openapi/velt.yaml is readable");
    serde_yaml::from_str(&text).expect("openapi/velt.yaml is a valid OpenAPI 3.0 document")
}

#[test]
fn spec_has_the_twelve_documented_operations() {
    let spec = spec();
    assert_eq!(spec.openapi, "3.0.3", "progenitor only reads OpenAPI 3.0.x");
    assert_eq!(spec.servers[0].url, "https://api.velt.dev");
    let mut found = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            panic!("{path}: path items are inline")
        };
        assert!(
            item.get.is_none() && item.put.is_none() && item.delete.is_none(),
            "{path}: only POST is documented"
        );
        let op = item
            .post
            .as_ref()
            .unwrap_or_else(|| panic!("{path} has no POST"));
        let id = op
            .operation_id
            .clone()
            .expect("every operation has an operationId");
        let responses: Vec<String> = op
            .responses
            .responses
            .keys()
            .map(|s| s.to_string())
            .collect();
        found.push((id, path.clone(), responses));
    }
    found.sort();
    let expected = [
        ("deleteActivities", "/v2/activities/delete", "200"),
        ("deleteAllUserData", "/v2/users/data/delete", "202"),
        ("getActivities", "/v2/activities/get", "200"),
        ("getAllUserData", "/v2/users/data/get", "200"),
        (
            "getDeleteAllUserDataStatus",
            "/v2/users/data/delete/status",
            "200",
        ),
        (
            "getNotificationConfig",
            "/v2/notifications/config/get",
            "200",
        ),
        ("getOrganizations", "/v2/organizations/get", "200"),
        ("getPermissions", "/v2/auth/permissions/get", "200"),
        ("getReviewerProfile", "/v2/memory/profiles/get", "200"),
        ("getUsers", "/v1/users/get", "200"),
        ("getUsersV2", "/v2/users/get", "200"),
        ("queryJudgments", "/v2/memory/judgments/query", "200"),
    ];
    assert_eq!(found.len(), expected.len());
    for ((id, path, responses), (eid, epath, success)) in found.iter().zip(expected) {
        assert_eq!((id.as_str(), path.as_str()), (eid, epath));
        assert_eq!(
            responses,
            &[success, "4XX", "5XX"],
            "{id}: success status and one shared error envelope"
        );
    }
    let schemes = &spec.components.as_ref().unwrap().security_schemes;
    let mut headers: Vec<String> = schemes
        .values()
        .map(|s| match s {
            ReferenceOr::Item(openapiv3::SecurityScheme::APIKey { name, .. }) => name.clone(),
            other => panic!("unexpected security scheme {other:?}"),
        })
        .collect();
    headers.sort();
    assert_eq!(headers, ["x-velt-api-key", "x-velt-auth-token"]);
}

#[test]
fn no_schema_refuses_unknown_fields() {
    // `additionalProperties: false` would make the client break the day Velt adds a field.
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/velt.yaml")).unwrap();
    assert!(!text.contains("additionalProperties: false"));
}

#[test]
fn generated_code_is_pinned() {
    let client = include_str!(concat!(env!("OUT_DIR"), "/codegen.rs"));
    let mocks = include_str!(concat!(env!("OUT_DIR"), "/httpmock.rs"));
    in_snapshots(|| {
        insta::assert_snapshot!("generated_client", client);
        insta::assert_snapshot!("generated_httpmock", mocks);
    });
}

#[test]
fn json_schemas_of_request_and_response_types_are_pinned() {
    let schemas = serde_json::json!({
        "GetAllUserDataRequest": schemars::schema_for!(types::GetAllUserDataRequest),
        "GetAllUserDataResponse": schemars::schema_for!(types::GetAllUserDataResponse),
        "DeleteAllUserDataRequest": schemars::schema_for!(types::DeleteAllUserDataRequest),
        "DeleteAllUserDataResponse": schemars::schema_for!(types::DeleteAllUserDataResponse),
        "GetDeleteAllUserDataStatusRequest": schemars::schema_for!(types::GetDeleteAllUserDataStatusRequest),
        "GetDeleteAllUserDataStatusResponse": schemars::schema_for!(types::GetDeleteAllUserDataStatusResponse),
        "GetUsersRequest": schemars::schema_for!(types::GetUsersRequest),
        "GetUsersResponse": schemars::schema_for!(types::GetUsersResponse),
        "GetOrganizationsRequest": schemars::schema_for!(types::GetOrganizationsRequest),
        "GetOrganizationsResponse": schemars::schema_for!(types::GetOrganizationsResponse),
        "GetUsersV2Request": schemars::schema_for!(types::GetUsersV2Request),
        "GetUsersV2Response": schemars::schema_for!(types::GetUsersV2Response),
        "GetActivitiesRequest": schemars::schema_for!(types::GetActivitiesRequest),
        "GetActivitiesResponse": schemars::schema_for!(types::GetActivitiesResponse),
        "DeleteActivitiesRequest": schemars::schema_for!(types::DeleteActivitiesRequest),
        "DeleteActivitiesResponse": schemars::schema_for!(types::DeleteActivitiesResponse),
        "GetPermissionsRequest": schemars::schema_for!(types::GetPermissionsRequest),
        "GetPermissionsResponse": schemars::schema_for!(types::GetPermissionsResponse),
        "GetReviewerProfileRequest": schemars::schema_for!(types::GetReviewerProfileRequest),
        "GetReviewerProfileResponse": schemars::schema_for!(types::GetReviewerProfileResponse),
        "QueryJudgmentsRequest": schemars::schema_for!(types::QueryJudgmentsRequest),
        "QueryJudgmentsResponse": schemars::schema_for!(types::QueryJudgmentsResponse),
        "GetNotificationConfigRequest": schemars::schema_for!(types::GetNotificationConfigRequest),
        "GetNotificationConfigResponse": schemars::schema_for!(types::GetNotificationConfigResponse),
        "ErrorResponse": schemars::schema_for!(types::ErrorResponse),
    });
    in_snapshots(|| insta::assert_json_snapshot!("json_schemas", schemas));
}

/// What the linters ask of a spec, and the link stateful testing follows.
#[test]
fn spec_has_tags_contact_license_and_the_job_link() {
    let spec = spec();
    assert!(
        spec.info
            .contact
            .as_ref()
            .and_then(|c| c.name.as_ref())
            .is_some()
    );
    assert!(spec.info.license.is_some());
    let declared: Vec<&str> = spec.tags.iter().map(|t| t.name.as_str()).collect();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for tag in &item.post.as_ref().expect("POST").tags {
            assert!(
                declared.contains(&tag.as_str()),
                "{path}: tag {tag} is not declared"
            );
        }
    }
    let ReferenceOr::Item(delete) = &spec.paths.paths["/v2/users/data/delete"] else {
        panic!("inline path item")
    };
    let ReferenceOr::Item(accepted) =
        &delete.post.as_ref().expect("POST").responses.responses[&openapiv3::StatusCode::Code(202)]
    else {
        panic!("inline response")
    };
    let ReferenceOr::Item(link) = &accepted.links["GetDeleteAllUserDataStatus"] else {
        panic!("inline link")
    };
    assert_eq!(
        link.operation,
        openapiv3::LinkOperation::OperationId("getDeleteAllUserDataStatus".into())
    );
    assert_eq!(
        link.request_body,
        Some(serde_json::json!({"data": {"jobId": "$response.body#/data/jobId"}}))
    );
}
