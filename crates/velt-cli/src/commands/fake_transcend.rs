//! `velt fake transcend`: plays Transcend for `velt serve`. It serves a fake Sombra (the
//! signing key the worker fetches, and the answers it records), sends one signed webhook,
//! and prints each answer the worker sends until the job's final one.

use velt_fake::transcend::{Call, FakeTranscend};

use super::fake_platforms::{follow, http_client, loopback_only, request_id, send};
use crate::{
    cli::{FakeJobKind, FakeTranscendArgs},
    failure::Failure,
};

/// Sends the job and follows its answers; exit 0 once the final answer came.
pub async fn exec(args: &FakeTranscendArgs) -> Result<(), Failure> {
    loopback_only(args.listen, "Transcend")?;
    let transcend = FakeTranscend::start(args.listen, &args.audience)
        .await
        .map_err(|e| Failure::Failed(format!("cannot listen on {}: {e}", args.listen)))?;
    let kind = match args.job.kind {
        FakeJobKind::Access => "ACCESS",
        FakeJobKind::Erasure => "ERASURE",
    };
    let request_id = request_id(args.job.request_id.as_ref());
    println!(
        "fake Transcend (Sombra) on {}, audience {}: sending {kind} {request_id} for {} to {}",
        transcend.url(),
        args.audience,
        args.job.email,
        args.job.worker
    );
    let http = http_client()?;
    let webhook = transcend.webhook(kind, &request_id, &args.job.email);
    let url = format!(
        "{}/transcend/webhook",
        args.job.worker.trim_end_matches('/')
    );
    let mut request = http.post(&url).json(&webhook.body);
    for (name, value) in &webhook.headers {
        request = request.header(*name, value);
    }
    let (status, _) = send(request, &url).await?;
    if status == 204 {
        println!("204: Velt holds nobody with this identifier");
        return Ok(());
    }
    let mut shown = 0;
    follow("the final answer", args.job.timeout_secs, || {
        let calls = transcend.calls_of(&request_id);
        for call in &calls[shown..] {
            println!("{}", describe(call));
        }
        shown = calls.len();
        calls.iter().any(|c| c.is_final() && c.status == 200)
    })
    .await?;
    println!("final answer received");
    Ok(())
}

/// One answer in a line: the call, and what it carries (no record is printed).
fn describe(call: &Call) -> String {
    let refused = if call.status == 409 {
        " (answered 409: already done)"
    } else {
        ""
    };
    match (call.method.as_str(), call.path.as_str()) {
        ("POST", "/v1/datapoint-chunked") => format!(
            "datapoint {} ({}): {} record(s){}{refused}",
            call.body["dataPointName"].as_str().unwrap_or("?"),
            call.body["fileId"].as_str().unwrap_or("?"),
            call.body["data"].as_array().map_or(0, Vec::len),
            if call.body["isLastPage"] == true {
                ", last page"
            } else {
                ""
            }
        ),
        ("POST", "/v1/datapoint") => format!(
            "file {} of datapoint {}: {} bytes{refused}",
            call.body["remoteId"].as_str().unwrap_or("?"),
            call.body["dataPointName"].as_str().unwrap_or("?"),
            call.body["bytes"]
        ),
        ("POST", "/v1/data-silo") => format!("access {}{refused}", status(call)),
        ("PUT", "/v1/data-silo") => format!(
            "erasure {}: {}{refused}",
            status(call),
            call.body["message"].as_str().unwrap_or("")
        ),
        (method, path) => format!("{method} {path}{refused}"),
    }
}

fn status(call: &Call) -> &str {
    call.body["status"].as_str().unwrap_or("?")
}
