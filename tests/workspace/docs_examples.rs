//! Every example JSON in the documentation pages under `openapi/docs/` fits the generated
//! types: each field the docs show is known to the type (at any depth), each example
//! deserializes, and each example request serializes back to the same JSON.
//!
//! Renaming a field in the spec makes `docs_examples_fit_the_generated_types` fail with a
//! message that names the page, the line and the field's JSON path.

use std::path::{Path, PathBuf};

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use velt_api::types;
use velt_docs::{ExampleKind, Page};

fn pages() -> Vec<PathBuf> {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/docs");
    let mut pages = Vec::new();
    for dir in ["mdx", "md"] {
        for entry in std::fs::read_dir(docs.join(dir)).expect("openapi/docs is readable") {
            let path = entry.expect("directory entry").path();
            if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("md" | "mdx")
            ) {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// Field paths of `value` that `schema` does not know. Free-form objects (no `properties`)
/// accept anything.
fn unknown_fields(value: &Value, schema: &Value, root: &Value, path: &str, out: &mut Vec<String>) {
    let schema = resolve(schema, root);
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(options)) = schema.get(key) {
            // Known when some option knows it (Option<T> is `anyOf [T, null]`).
            let mut best: Option<Vec<String>> = None;
            for option in options {
                let mut found = Vec::new();
                unknown_fields(value, option, root, path, &mut found);
                if best.as_ref().is_none_or(|b| found.len() < b.len()) {
                    best = Some(found);
                }
            }
            out.extend(best.unwrap_or_default());
            return;
        }
    }
    match value {
        Value::Object(map) => {
            let Some(Value::Object(properties)) = schema.get("properties") else {
                return;
            };
            for (name, field) in map {
                let field_path = format!("{path}.{name}");
                match properties.get(name) {
                    Some(field_schema) => {
                        unknown_fields(field, field_schema, root, &field_path, out)
                    }
                    None => out.push(field_path),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (n, item) in items.iter().enumerate() {
                    unknown_fields(item, item_schema, root, &format!("{path}[{n}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/definitions/");
            root.get("definitions")
                .and_then(|d| d.get(name))
                .unwrap_or(schema)
        }
        None => schema,
    }
}

/// Checks one example against type `T`; returns what does not fit.
fn check<T: Serialize + DeserializeOwned + schemars::JsonSchema>(
    json: &Value,
    round_trip: bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    let schema = serde_json::to_value(schemars::schema_for!(T)).expect("schema serializes");
    let type_name = std::any::type_name::<T>()
        .rsplit("::")
        .next()
        .unwrap_or_default();
    let mut unknown = Vec::new();
    unknown_fields(json, &schema, &schema, "$", &mut unknown);
    for field in unknown {
        problems.push(format!(
            "field {field} is in the docs but not in the spec's {type_name}"
        ));
    }
    match serde_json::from_value::<T>(json.clone()) {
        Ok(value) if round_trip => {
            let back = serde_json::to_value(&value).expect("serializes");
            if &back != json {
                problems.push(format!(
                    "{type_name} serializes back to {back} instead of {json}"
                ));
            }
        }
        Ok(_) => {}
        Err(e) => problems.push(format!("does not deserialize into {type_name}: {e}")),
    }
    problems
}

#[test]
fn docs_examples_fit_the_generated_types() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in pages() {
        let page = Page::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let operation = page
            .path
            .clone()
            .unwrap_or_else(|| panic!("{}: no endpoint", path.display()));
        let name = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .display()
            .to_string();
        assert!(!page.examples.is_empty(), "{name}: no examples found");
        for example in &page.examples {
            let json = &example.json;
            let found = match (operation.as_str(), &example.kind) {
                (_, ExampleKind::FailureResponse) => check::<types::ErrorResponse>(json, false),
                ("/v2/users/data/get", ExampleKind::Request) => {
                    check::<types::GetAllUserDataRequest>(json, true)
                }
                ("/v2/users/data/get", ExampleKind::SuccessResponse) => {
                    check::<types::GetAllUserDataResponse>(json, false)
                }
                ("/v2/users/data/delete", ExampleKind::Request) => {
                    check::<types::DeleteAllUserDataRequest>(json, true)
                }
                ("/v2/users/data/delete", ExampleKind::SuccessResponse) => {
                    check::<types::DeleteAllUserDataResponse>(json, false)
                }
                ("/v2/users/data/delete/status", ExampleKind::Request) => {
                    check::<types::GetDeleteAllUserDataStatusRequest>(json, true)
                }
                ("/v2/users/data/delete/status", ExampleKind::SuccessResponse) => {
                    check::<types::GetDeleteAllUserDataStatusResponse>(json, false)
                }
                ("/v1/users/get", ExampleKind::Request) => {
                    check::<types::GetUsersRequest>(json, true)
                }
                ("/v1/users/get", ExampleKind::SuccessResponse) => {
                    check::<types::GetUsersResponse>(json, false)
                }
                ("/v2/organizations/get", ExampleKind::Request) => {
                    check::<types::GetOrganizationsRequest>(json, true)
                }
                ("/v2/organizations/get", ExampleKind::SuccessResponse) => {
                    check::<types::GetOrganizationsResponse>(json, false)
                }
                ("/v2/users/get", ExampleKind::Request) => {
                    check::<types::GetUsersV2Request>(json, true)
                }
                ("/v2/users/get", ExampleKind::SuccessResponse) => {
                    check::<types::GetUsersV2Response>(json, false)
                }
                ("/v2/activities/get", ExampleKind::Request) => {
                    check::<types::GetActivitiesRequest>(json, true)
                }
                ("/v2/activities/get", ExampleKind::SuccessResponse) => {
                    check::<types::GetActivitiesResponse>(json, false)
                }
                ("/v2/activities/delete", ExampleKind::Request) => {
                    check::<types::DeleteActivitiesRequest>(json, true)
                }
                ("/v2/activities/delete", ExampleKind::SuccessResponse) => {
                    check::<types::DeleteActivitiesResponse>(json, false)
                }
                ("/v2/auth/permissions/get", ExampleKind::Request) => {
                    check::<types::GetPermissionsRequest>(json, true)
                }
                ("/v2/auth/permissions/get", ExampleKind::SuccessResponse) => {
                    check::<types::GetPermissionsResponse>(json, false)
                }
                ("/v2/memory/profiles/get", ExampleKind::Request) => {
                    check::<types::GetReviewerProfileRequest>(json, true)
                }
                ("/v2/memory/profiles/get", ExampleKind::SuccessResponse) => {
                    check::<types::GetReviewerProfileResponse>(json, false)
                }
                ("/v2/memory/judgments/query", ExampleKind::Request) => {
                    check::<types::QueryJudgmentsRequest>(json, true)
                }
                ("/v2/memory/judgments/query", ExampleKind::SuccessResponse) => {
                    check::<types::QueryJudgmentsResponse>(json, false)
                }
                ("/v2/notifications/config/get", ExampleKind::Request) => {
                    check::<types::GetNotificationConfigRequest>(json, true)
                }
                ("/v2/notifications/config/get", ExampleKind::SuccessResponse) => {
                    check::<types::GetNotificationConfigResponse>(json, false)
                }
                (other, _) => vec![format!("the spec has no operation for {other}")],
            };
            checked += 1;
            for problem in found {
                problems.push(format!(
                    "{name}:{} ({}): {problem}",
                    example.line, example.heading
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "documentation examples that do not fit the spec:\n{}",
        problems.join("\n")
    );
    // 21 examples in the four .mdx pages and 8 in the two .md pages of the current snapshot,
    // 16 in the two v2 look-up pages (4 for Get Organizations, 12 for Get Users v2), and 38
    // in the six pages of the other stores (7 activities, 7 activity deletion, 7
    // permissions, 4 reviewer profile, 4 judgments, 4 notification settings: 33, plus the
    // ones the pages repeat).
    assert!(checked >= 78, "only {checked} examples were checked");
}

#[test]
fn a_renamed_field_is_named() {
    // The check above, on an example with a field the type does not have.
    let example = serde_json::json!({"result": {"data": {}, "nextToken": "x"}});
    let problems = check::<types::GetAllUserDataResponse>(&example, false);
    assert_eq!(
        problems,
        ["field $.result.nextToken is in the docs but not in the spec's GetAllUserDataResponse"]
    );
    let example = serde_json::json!({"data": {"userIds": ["u"], "orgIds": ["o"]}});
    let problems = check::<types::DeleteAllUserDataRequest>(&example, true);
    assert!(problems[0].contains("$.data.orgIds"), "{problems:?}");
}

/// The examples of one operation and kind in the spec: (example name, value).
fn spec_examples(spec: &Value, path: &str, kind: ExampleKind) -> Vec<(String, Value)> {
    let operation = &spec["paths"][path]["post"];
    let media = |content: &Value| content["content"]["application/json"]["examples"].clone();
    let examples = match kind {
        ExampleKind::Request => media(&operation["requestBody"]),
        ExampleKind::SuccessResponse => {
            let responses = operation["responses"].as_object().expect("responses");
            let (_, success) = responses
                .iter()
                .find(|(status, _)| status.starts_with('2'))
                .expect("a success response");
            media(success)
        }
        ExampleKind::FailureResponse => media(&operation["responses"]["4XX"]),
    };
    examples
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(name, example)| (name.clone(), example["value"].clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The spec carries every example of the pinned pages (request, success, failure) for each
/// operation, and nothing else under names starting with `docs`: a mock built from the spec
/// answers as the docs do, and an edit of either shows up here.
#[test]
fn spec_examples_equal_the_pinned_pages() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/velt.yaml"))
            .expect("the spec is readable");
    let spec: Value = serde_yaml::from_str(&text).expect("the spec is YAML");
    let mut from_docs: std::collections::BTreeMap<
        (String, String),
        std::collections::BTreeSet<String>,
    > = Default::default();
    for path in pages() {
        let page = Page::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let operation = page.path.clone().expect("page documents an endpoint");
        for example in &page.examples {
            from_docs
                .entry((operation.clone(), format!("{:?}", example.kind)))
                .or_default()
                .insert(example.json.to_string());
        }
    }
    let mut problems = Vec::new();
    for ((operation, kind), docs) in &from_docs {
        let kind_value = match kind.as_str() {
            "Request" => ExampleKind::Request,
            "SuccessResponse" => ExampleKind::SuccessResponse,
            _ => ExampleKind::FailureResponse,
        };
        let in_spec: std::collections::BTreeSet<String> =
            spec_examples(&spec, operation, kind_value)
                .into_iter()
                .filter(|(name, _)| name.starts_with("docs"))
                .map(|(_, value)| value.to_string())
                .collect();
        for missing in docs.difference(&in_spec) {
            problems.push(format!(
                "{operation} {kind}: the docs show {missing}, the spec does not"
            ));
        }
        for extra in in_spec.difference(docs) {
            problems.push(format!(
                "{operation} {kind}: the spec shows {extra}, the docs do not"
            ));
        }
    }
    assert_eq!(
        from_docs.len(),
        36,
        "twelve operations with three kinds of example each"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The spec's last-page example has no token, so a static mock built from the spec serves an
/// export that ends.
#[test]
fn the_spec_has_a_last_page_example() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/velt.yaml"))
            .expect("the spec is readable");
    let spec: Value = serde_yaml::from_str(&text).expect("the spec is YAML");
    let examples = spec_examples(&spec, "/v2/users/data/get", ExampleKind::SuccessResponse);
    let (_, last) = examples
        .iter()
        .find(|(name, _)| name == "lastPage")
        .expect("a lastPage example");
    let page: types::GetAllUserDataResponse =
        serde_json::from_value(last.clone()).expect("the last page decodes");
    assert_eq!(page.result.next_page_token, None);
}

/// Get Users v2's `data` is a list, or with groupByDocumentId an object keyed by document id;
/// the generated type decodes both (an untagged enum), and the next page's token is read under
/// either of the two names the page uses.
#[test]
fn get_users_v2_answers_decode_in_both_forms_and_with_either_token_name() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/velt.yaml"))
            .expect("the spec is readable");
    let spec: Value = serde_yaml::from_str(&text).expect("the spec is YAML");
    let examples: std::collections::BTreeMap<String, Value> =
        spec_examples(&spec, "/v2/users/get", ExampleKind::SuccessResponse)
            .into_iter()
            .collect();
    let decode = |name: &str| -> types::GetUsersV2Result {
        serde_json::from_value::<types::GetUsersV2Response>(examples[name].clone())
            .unwrap_or_else(|e| panic!("{name} decodes: {e}"))
            .result
    };
    let list = decode("docs");
    match &list.data {
        types::GetUsersV2ResultData::UserList(users) => {
            assert_eq!(users[0].user_id, "yourUserId");
            assert_eq!(users[0].email.as_deref(), Some("userEmail@domain.com"));
        }
        other => panic!("a list, not {other:?}"),
    }
    assert_eq!(list.next_page_token.as_deref(), Some("pageToken"));
    assert_eq!(list.page_token, None);
    let grouped = decode("docsGrouped");
    match &grouped.data {
        types::GetUsersV2ResultData::UsersByDocument(by_document) => {
            assert_eq!(by_document["documentId1"][0].user_id, "yourUserId");
        }
        other => panic!("an object keyed by document id, not {other:?}"),
    }
    let panel = decode("docsPanel");
    assert_eq!(panel.next_page_token, None);
    assert_eq!(panel.page_token.as_deref(), Some("pageToken"));
    // An empty list and an empty map are told apart too.
    let empty: types::GetUsersV2Response =
        serde_json::from_value(serde_json::json!({"result": {"data": {}}})).unwrap();
    assert!(matches!(
        empty.result.data,
        types::GetUsersV2ResultData::UsersByDocument(_)
    ));
    // Organizations keep the documented fields; metadata fields Velt adds do not break decoding.
    let organizations: types::GetOrganizationsResponse = serde_json::from_value(serde_json::json!({
        "result": {"data": [{"id": "o", "organizationName": "O", "disabled": true, "plan": "team"}]}
    }))
    .expect("an organization with more fields decodes");
    assert_eq!(organizations.result.data[0].disabled, Some(true));
}

/// The stores' answers decode as the client reads them: records as the JSON text of the
/// answer, a `null` reviewer profile as `null`, and the partial answer of an activity
/// deletion with its per-id outcomes.
#[test]
fn stores_answers_decode_with_records_kept_as_sent() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/velt.yaml"))
            .expect("the spec is readable");
    let spec: Value = serde_yaml::from_str(&text).expect("the spec is YAML");
    let example = |path: &str, name: &str| -> Value {
        spec_examples(&spec, path, ExampleKind::SuccessResponse)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{path} has the example {name}"))
            .1
    };
    let activities: types::GetActivitiesResponse =
        serde_json::from_value(example("/v2/activities/get", "docs")).expect("decodes");
    assert_eq!(
        activities.result.data[0].get("id"),
        Some(serde_json::json!("activity-001"))
    );
    assert_eq!(
        activities.result.page_token.as_deref(),
        Some("nextPageToken")
    );
    let partial: types::DeleteActivitiesResponse =
        serde_json::from_value(example("/v2/activities/delete", "partial")).expect("decodes");
    assert!(!partial.result.data["activity-001"].success);
    assert!(partial.result.data["activity-002"].success);
    let none: types::GetReviewerProfileResponse =
        serde_json::from_value(example("/v2/memory/profiles/get", "noProfile")).expect("decodes");
    assert_eq!(none.result.as_str(), "null");
    let denied: types::GetPermissionsResponse =
        serde_json::from_value(example("/v2/auth/permissions/get", "permissionDenied"))
            .expect("decodes");
    assert_eq!(
        denied.result.data.get("1.1").expect("the user")["documents"]["document5"]["errorCode"],
        "permission_denied"
    );
}
