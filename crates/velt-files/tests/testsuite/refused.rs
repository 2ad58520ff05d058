//! URLs the rule refuses: none of them reaches a server.

use crate::server::{Reply, Server};
use crate::support::{builder, names, reason, run, tempdir};
use velt_files::NotFetchedReason;

#[tokio::test]
async fn loopback_link_local_and_other_hosts_are_never_contacted() {
    let origin = Server::start(|_| Reply::ok("text/plain", "origin file")).await;
    // Another server on loopback, as an internal service would be: not the origin.
    let internal = Server::start(|_| Reply::ok("text/plain", "internal secret")).await;
    let port = internal.port;
    let fetcher = builder(&origin.origin()).build().unwrap();
    let dir = tempdir();
    let urls = vec![
        format!("http://127.0.0.1:{port}/admin"),
        format!("https://127.0.0.1:{port}/admin"),
        format!("http://2130706433:{port}/admin"),
        format!("http://0177.0.0.1:{port}/admin"),
        format!("http://0x7f.0.0.1:{port}/admin"),
        format!("http://127.1:{port}/admin"),
        format!("http://[::1]:{port}/admin"),
        format!("http://[::ffff:127.0.0.1]:{port}/admin"),
        format!("http://localhost:{port}/admin"),
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_owned(),
        "http://[fe80::1]/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://0.0.0.0/".to_owned(),
        "https://evil.example/voice.webm".to_owned(),
        "http://storage.googleapis.com/bucket/voice.webm".to_owned(),
        "file:///etc/passwd".to_owned(),
        format!("https://user:hunter2@storage.googleapis.com/b/o"),
        "not a url".to_owned(),
    ];
    let (report, events) = run(&fetcher, &urls, dir.path()).await;

    assert_eq!(
        internal.connections(),
        0,
        "nothing may reach the internal server"
    );
    assert_eq!(origin.connections(), 0);
    assert_eq!(report.fetched().count(), 0);
    assert!(names(dir.path()).is_empty());
    let private = |i: usize, address: &str| {
        assert_eq!(
            reason(&report, i),
            &NotFetchedReason::PrivateAddress {
                host: report_host(&urls[i]),
                address: address.to_owned()
            },
            "{}",
            urls[i]
        );
    };
    for i in 0..6 {
        private(i, "127.0.0.1");
    }
    private(6, "::1");
    private(7, "::ffff:127.0.0.1");
    assert!(matches!(
        reason(&report, 8),
        NotFetchedReason::SchemeNotAllowed { .. }
    ));
    private(9, "169.254.169.254");
    private(10, "fe80::1");
    private(11, "10.0.0.1");
    private(12, "0.0.0.0");
    assert_eq!(
        reason(&report, 13),
        &NotFetchedReason::HostNotAllowed {
            host: "evil.example".into()
        }
    );
    assert_eq!(
        reason(&report, 14).to_string(),
        "only https addresses are fetched, not http"
    );
    assert!(matches!(
        reason(&report, 15),
        NotFetchedReason::SchemeNotAllowed { .. }
    ));
    assert_eq!(reason(&report, 16), &NotFetchedReason::CredentialsInUrl);
    assert!(matches!(
        reason(&report, 17),
        NotFetchedReason::InvalidUrl { .. }
    ));
    // The password is in no record and no event.
    assert_eq!(
        report.files[16].url,
        "https://user:***@storage.googleapis.com/b/o"
    );
    assert!(!serde_json::to_string(&report).unwrap().contains("hunter2"));
    assert!(events.iter().all(|e| !e.contains("hunter2")));
    assert_eq!(events.len(), urls.len());
    assert!(events[9].contains("169.254.169.254 is a loopback, private or link-local address"));
}

/// The host the `url` crate reads (`2130706433` is `127.0.0.1`, `[::1]` stays bracketed).
fn report_host(url: &str) -> String {
    url::Url::parse(url).unwrap().host_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_listed_name_that_resolves_to_loopback_is_not_connected() {
    let internal = Server::start(|_| Reply::ok("text/plain", "internal secret")).await;
    // The caller lists a name that resolves to 127.0.0.1 (a DNS answer an attacker controls
    // would look the same); the origin is elsewhere.
    let fetcher = velt_files::Fetcher::builder()
        .allow_host("localhost")
        .build()
        .unwrap();
    let dir = tempdir();
    let urls = vec![format!("https://localhost:{}/file", internal.port)];
    let (report, _) = run(&fetcher, &urls, dir.path()).await;
    match reason(&report, 0) {
        NotFetchedReason::PrivateAddress { host, address } => {
            assert_eq!(host, "localhost");
            assert!(address == "127.0.0.1" || address == "::1", "{address}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(internal.connections(), 0);
}

#[tokio::test]
async fn a_loopback_host_cannot_be_put_on_the_list() {
    for host in [
        "127.0.0.1",
        "2130706433",
        "[::1]",
        "169.254.169.254",
        "10.0.0.2",
    ] {
        let error = velt_files::Fetcher::builder()
            .allow_host(host)
            .build()
            .unwrap_err();
        assert!(
            matches!(error, velt_files::Error::Config { .. }),
            "{host}: {error}"
        );
    }
}
