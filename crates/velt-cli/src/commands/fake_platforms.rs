//! `velt fake ketch` and `velt fake fides`: play Ketch's forwarder and Fides's connector for
//! `velt serve`, as `velt fake transcend` plays Transcend; and what the three share.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use velt_fake::{fides::FakeFides, ketch::FakeKetch};

use crate::{
    cli::{FakeFidesArgs, FakeJobKind, FakeKetchArgs},
    failure::Failure,
};

/// The stores Fides's later collections read from the finished case (the connector
/// template's `after: gdprExport` collections).
const FIDES_LATER_STORES: [&str; 5] = [
    "activities",
    "permissions",
    "notificationSettings",
    "memoryProfile",
    "judgments",
];

/// Refuses a fake listening beyond loopback.
pub(super) fn loopback_only(listen: SocketAddr, who: &str) -> Result<(), Failure> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "--listen {listen} is not a loopback address; the fake {who} listens on 127.0.0.1 or [::1] only"
    )))
}

/// The fake platform's HTTP client.
pub(super) fn http_client() -> Result<reqwest::Client, Failure> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Failure::Failed(format!("cannot build the HTTP client: {e}")))
}

/// The request id given, or one made of the time.
pub(super) fn request_id(given: Option<&String>) -> String {
    given
        .cloned()
        .unwrap_or_else(|| format!("demo-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S")))
}

/// Polls `step` every 100 ms until it says done; `Err` naming `what` after `timeout_secs`.
pub(super) async fn follow(
    what: &str,
    timeout_secs: u64,
    mut step: impl FnMut() -> bool,
) -> Result<(), Failure> {
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    while !step() {
        if Instant::now() > deadline {
            return Err(Failure::Failed(format!(
                "{what} did not come within {timeout_secs} s; send the same --request-id again to ask once more"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Sends `request` and prints how the worker answered; its status and JSON body.
pub(super) async fn send(
    request: reqwest::RequestBuilder,
    url: &str,
) -> Result<(u16, Value), Failure> {
    let answer = request
        .send()
        .await
        .map_err(|e| Failure::Failed(format!("the worker at {url} did not answer: {e}")))?;
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap_or_default();
    println!("worker answered {status} {}", text.trim());
    if !(200..300).contains(&status) {
        return Err(Failure::Failed(format!(
            "the worker refused the request ({status})"
        )));
    }
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// `velt fake ketch`: one `dsr/v1` request, then its status events until `completed`.
pub async fn ketch(args: &FakeKetchArgs) -> Result<(), Failure> {
    loopback_only(args.listen, "Ketch")?;
    let ketch = FakeKetch::start(args.listen)
        .await
        .map_err(|e| Failure::Failed(format!("cannot listen on {}: {e}", args.listen)))?;
    let kind = match args.job.kind {
        FakeJobKind::Access => "AccessRequest",
        FakeJobKind::Erasure => "DeleteRequest",
    };
    let uid = request_id(args.job.request_id.as_ref());
    let url = format!("{}/ketch/dsr", args.job.worker.trim_end_matches('/'));
    println!(
        "fake Ketch, callbacks on {}: sending {kind} {uid} for {} to {url}",
        ketch.url(),
        args.job.email
    );
    let request = http_client()?
        .post(&url)
        .header(args.header.as_str(), args.secret.as_str())
        .json(&ketch.request(kind, &uid, &args.job.email));
    send(request, &url).await?;
    let mut shown = 0;
    follow("completed", args.job.timeout_secs, || {
        let events = ketch.events_of(&uid);
        for event in &events[shown..] {
            let inner = &event["event"];
            let results = inner["results"].as_array().map_or(0, Vec::len);
            println!(
                "{} {}{}: {}",
                event["kind"].as_str().unwrap_or("?"),
                inner["status"].as_str().unwrap_or("?"),
                if results > 0 {
                    format!(" with {results} document(s)")
                } else {
                    String::new()
                },
                inner["resultMessage"].as_str().unwrap_or("")
            );
        }
        shown = events.len();
        events
            .last()
            .is_some_and(|e| e["event"]["status"] == "completed")
    })
    .await?;
    println!("completed");
    Ok(())
}

/// `velt fake fides`: the connector's call, its callback, and for an access the other
/// stores.
pub async fn fides(args: &FakeFidesArgs) -> Result<(), Failure> {
    loopback_only(args.listen, "Fides")?;
    let fides = FakeFides::start(args.listen)
        .await
        .map_err(|e| Failure::Failed(format!("cannot listen on {}: {e}", args.listen)))?;
    let (route, what) = match args.job.kind {
        FakeJobKind::Access => ("access", "access"),
        FakeJobKind::Erasure => ("erasure", "erasure"),
    };
    let id = request_id(args.job.request_id.as_ref());
    let worker = args.job.worker.trim_end_matches('/');
    let url = format!("{worker}/fides/{route}");
    let token = FakeFides::token(&id, what);
    println!(
        "fake Fides on {}: the {what} task of privacy request {id} for {} to {url}",
        fides.url(),
        args.job.email
    );
    let http = http_client()?;
    let body = json!({ "privacy_request_id": id, "email": args.job.email });
    let request = http
        .post(&url)
        .bearer_auth(&args.secret)
        .header("reply-to", FakeFides::REPLY_TO)
        .header("reply-to-token", &token)
        .json(&body);
    send(request, &url).await?;
    let mut callback = None;
    follow("the callback", args.job.timeout_secs, || {
        callback = fides.callback_of(&token);
        callback.is_some()
    })
    .await?;
    let callback = callback.unwrap_or(Value::Null);
    if let Some(rows) = callback["access_results"].as_array() {
        println!(
            "callback: access_results, {} row(s) of gdprExport",
            rows.len()
        );
        let url = format!("{worker}/fides/store");
        for store in FIDES_LATER_STORES {
            let request = http.post(&url).bearer_auth(&args.secret).json(
                &json!({ "privacy_request_id": id, "email": args.job.email, "store": store }),
            );
            let answer = request
                .send()
                .await
                .map_err(|e| Failure::Failed(format!("the worker at {url} did not answer: {e}")))?;
            let status = answer.status().as_u16();
            let rows: Value = answer.json().await.unwrap_or(Value::Null);
            println!(
                "{store}: {status}, {} row(s)",
                rows["rows"].as_array().map_or(0, Vec::len)
            );
        }
    } else {
        println!("callback: {callback}");
    }
    Ok(())
}
