//! Property-based fuzzing (proptest) of what the transport does to an answer: JSON decoding
//! into every generated response type and the error envelope, the decode error's field path,
//! the body snippet, Velt's status strings, and the conversion of pages (byte for byte into
//! NDJSON lines) and deletion statuses. `Retry-After` and retry waits are fuzzed beside them,
//! in `src/retry.rs`.
//!
//! Every test is named `fuzz_*`. They run 64 cases each under `cargo test`; set
//! `PROPTEST_CASES` for long runs (see `docs/FAULTS.md`).

use proptest::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

use crate::{
    deletion::DeletionStatus,
    error::{ApiStatus, snippet},
    export::{ExportItem, ExportPage, Feature, NdjsonWriter},
    transport::decode_reason,
    types,
};

fn write_ndjson_line(out: &mut Vec<u8>, item: &ExportItem) -> std::io::Result<()> {
    NdjsonWriter::new(out).write_item(None, item)
}

/// 64 cases by default, `PROPTEST_CASES` when it is set.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    config
}

/// Field names the response types know, mixed with arbitrary ones, so that generated objects
/// often hit the decoder's real paths.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "result", "error", "data", "status", "message", "code", "details",
            "comments", "reactions", "recordings", "notifications", "nextPageToken",
            "isDeleteCompleted", "tasksLeft", "lastTaskCompletedTime", "jobId", "tasksCount",
            "statusCode", "userId", "name", "email", "id", "from", "to",
        ])
        .prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// Any finite f64 (JSON has no NaN or infinity), without rejections that would cap long runs.
fn finite_f64() -> impl Strategy<Value = f64> + Clone {
    use prop::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO
}

fn number() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite_f64().prop_map(Value::from),
        // Epoch milliseconds around now, as Velt sends them.
        (1_600_000_000_000i64..1_900_000_000_000).prop_map(Value::from),
    ]
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> + Clone {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec!["", "success", "INTERNAL", "ERROR_CODE", "t1"])
            .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((key(), json_value()), 0..8).prop_map(|f| f.into_iter().collect())
}

/// Velt's answers with random parts: right shapes with odd values, and odd shapes.
fn answer_like() -> impl Strategy<Value = Value> {
    let token = prop_oneof![
        Just(Value::Null),
        any::<String>().prop_map(Value::String),
        json_value()
    ];
    let items = prop::collection::vec(json_value(), 0..4);
    prop_oneof![
        (items.clone(), items, token, json_value()).prop_map(|(c, n, t, s)| json!({
            "result": {"status": s, "data": {"comments": c, "notifications": n}, "nextPageToken": t}
        })),
        (json_value(), json_value(), json_value()).prop_map(|(done, left, at)| json!({
            "result": {"data": {"isDeleteCompleted": done, "tasksLeft": left, "lastTaskCompletedTime": at}}
        })),
        (json_value(), json_value()).prop_map(|(job, count)| json!({
            "status": "success", "data": {"jobId": job, "tasksCount": count}, "statusCode": 202
        })),
        json_value().prop_map(|users| json!({"result": {"data": users}})),
        (json_value(), json_value(), json_value(), json_value()).prop_map(|(m, s, c, d)| json!({
            "error": {"message": m, "status": s, "code": c, "details": d}
        })),
        json_value(),
    ]
}

/// Byte-level damage to a valid text: flips, cuts, insertions.
fn mutated(bytes: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = bytes.len().max(1);
    prop::collection::vec((0..len, any::<u8>(), 0u8..4), 0..6).prop_map(move |edits| {
        let mut out = bytes.clone();
        for (at, byte, kind) in edits {
            let at = at.min(out.len());
            match kind {
                0 if at < out.len() => out[at] = byte,
                1 => out.truncate(at),
                2 => out.insert(at, byte),
                _ if at < out.len() => {
                    out.remove(at);
                }
                _ => {}
            }
        }
        out
    })
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        answer_like().prop_flat_map(|v| mutated(serde_json::to_vec(&v).unwrap())),
    ]
}

/// Decodes `bytes` as `T` the way the client does; on success the value must survive a
/// second trip through JSON unchanged, on failure the reason must be built without a panic.
fn decode_as<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<(), TestCaseError> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(decoded) => {
            let again = serde_json::to_vec(&decoded).unwrap();
            let twice: T = serde_json::from_slice(&again)
                .map_err(|e| TestCaseError::fail(format!("re-decoding failed: {e}")))?;
            prop_assert_eq!(
                serde_json::to_value(&twice).unwrap(),
                serde_json::to_value(&decoded).unwrap()
            );
        }
        Err(error) => {
            let reason = decode_reason::<T>(bytes, &error);
            prop_assert!(!reason.is_empty());
        }
    }
    Ok(())
}

fn decode_everything(bytes: &[u8]) -> Result<(), TestCaseError> {
    decode_as::<types::GetAllUserDataResponse>(bytes)?;
    decode_as::<types::DeleteAllUserDataResponse>(bytes)?;
    decode_as::<types::GetDeleteAllUserDataStatusResponse>(bytes)?;
    decode_as::<types::GetUsersResponse>(bytes)?;
    decode_as::<types::ErrorResponse>(bytes)?;
    let text = snippet(bytes);
    prop_assert!(
        text.len() <= 512 * 3 + 3,
        "snippet is bounded: {}",
        text.len()
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_decode_arbitrary_bytes(bytes in bytes()) {
        decode_everything(&bytes)?;
    }

    #[test]
    fn fuzz_decode_arbitrary_json(answer in answer_like()) {
        decode_everything(&serde_json::to_vec(&answer).unwrap())?;
        if let Ok(status) = serde_json::from_value::<types::GetDeleteAllUserDataStatusResponse>(answer.clone()) {
            // The conversion to the public type never panics, whatever the numbers.
            let status = DeletionStatus::try_from(status.result.data);
            let _ = format!("{status:?}");
        }
        if let Ok(error) = serde_json::from_value::<types::ErrorResponse>(answer) {
            // Unknown strings are kept exactly.
            let parsed = ApiStatus::parse(&error.error.status);
            prop_assert_eq!(parsed.as_str(), error.error.status.as_str());
        }
    }

    /// A GDPR export is lossless: every item, whatever it holds, comes out of the page and
    /// out of the NDJSON line exactly as the server sent it.
    #[test]
    fn fuzz_export_items_are_lossless(
        comments in prop::collection::vec(json_object(), 0..4),
        recordings in prop::collection::vec(json_object(), 0..4),
        token in prop_oneof![Just(None), any::<String>().prop_map(Some)],
    ) {
        let answer = json!({"result": {
            "status": "success",
            "data": {"comments": comments, "reactions": [], "recordings": recordings},
            "nextPageToken": token,
        }});
        let bytes = serde_json::to_vec(&answer).unwrap();
        let decoded: types::GetAllUserDataResponse = serde_json::from_slice(&bytes)
            .map_err(|e| TestCaseError::fail(format!("a well-formed page did not decode: {e}")))?;
        let page = ExportPage {
            data: decoded.result.data,
            next_page_token: decoded.result.next_page_token.filter(|t| !t.is_empty()),
        };
        prop_assert_eq!(page.next_page_token.clone(), token.filter(|t| !t.is_empty()));
        prop_assert_eq!(page.len(), comments.len() + recordings.len());
        let expected: Vec<&Map<String, Value>> = comments.iter().chain(&recordings).collect();
        let items: Vec<_> = page.into_items().collect();
        prop_assert_eq!(items.len(), expected.len());
        for (item, want) in items.iter().zip(expected) {
            // The item is the very text the server sent for it.
            let sent = serde_json::to_string(want).unwrap();
            prop_assert_eq!(item.item.as_str(), sent.as_str());
            let mut line = Vec::new();
            write_ndjson_line(&mut line, item).unwrap();
            let expected_line = format!("{{\"feature\":\"{}\",\"item\":{sent}}}\n", item.feature);
            prop_assert_eq!(String::from_utf8(line).unwrap(), expected_line);
        }
    }
}

/// Found by `fuzz_export_items_are_lossless`: without serde_json's `float_roundtrip`, the
/// decoder's fast float parsing turned -2.6315310051855526e-203 into
/// -2.631531005185553e-203, so the export file held a number the server never sent.
#[test]
fn a_float_in_an_item_survives_the_export_exactly() {
    for text in [
        "-2.6315310051855526e-203",
        "2.638344616030823e-256",
        "0.30000000000000004",
        "1.7976931348623157e308",
        "5e-324",
    ] {
        let body = format!(r#"{{"result": {{"data": {{"comments": [{{"x": {text}}}]}}}}}}"#);
        let page: types::GetAllUserDataResponse = serde_json::from_str(&body).unwrap();
        let item = ExportItem {
            feature: Feature::Comments,
            item: page.result.data.comments[0].clone(),
        };
        let mut line = Vec::new();
        write_ndjson_line(&mut line, &item).unwrap();
        let line = String::from_utf8(line).unwrap();
        assert_eq!(
            line,
            format!("{{\"feature\":\"comments\",\"item\":{{\"x\": {text}}}}}\n"),
            "{text} was not copied as sent"
        );
    }
}
