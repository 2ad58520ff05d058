//! Jane's access request from Transcend: every store of her case arrives as a datapoint, in
//! pages, with the job's nonce, then the completion; the same job sent again changes
//! nothing.

use std::collections::{BTreeMap, BTreeSet};

use velt_serve::{
    Server,
    job::{Outcome, Stage},
};

use crate::common::{self, API_KEY, FakeTranscend, JANE, NONCE, Velt, post_webhook, webhook};

#[tokio::test(flavor = "multi_thread")]
async fn janes_access_ends_with_a_datapoint_for_each_store_of_her_case() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("access");
    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("the server starts");
    let token = transcend.keys.good_token();
    let body = webhook("ACCESS", "req-access-1", JANE);
    let (status, _) = post_webhook(&server, Some(&token), &body).await;
    assert_eq!(status, 200);

    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported), "{:?}", job.message);
    let job_dir = common::job_dirs(&dir).remove(0);
    assert!(
        job_dir.ends_with("transcend-req-access-1"),
        "{}",
        job_dir.display()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&job_dir), 0o700);
        assert_eq!(mode(&job_dir.join("job.json")), 0o600, "it holds the nonce");
        assert_eq!(mode(&job_dir.join("outbox")), 0o700);
        assert_eq!(
            mode(&job_dir.join("outbox/0001.json")),
            0o600,
            "it holds Jane's data"
        );
    }
    let case_dir = job_dir.join("case");
    let case = velt_case::Case::load(&case_dir).expect("the case");
    assert_eq!(case.status, velt_case::Status::Exported);
    let report = velt_case::check(&case_dir, chrono::Utc::now().date_naive()).expect("checked");
    assert!(report.is_intact(), "{:?}", report.problems);

    // The stores of the case that hold data files, and the records in them.
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for row in &case.coverage {
        if row.store != "files"
            && row.files.iter().any(|f| {
                f.ends_with(".ndjson") || (f.ends_with(".json") && !f.ends_with(".manifest.json"))
            })
        {
            expected.insert(row.store.clone());
        }
    }
    assert!(expected.contains("gdprExport"), "{expected:?}");
    assert!(expected.len() >= 3, "several stores: {expected:?}");

    let datapoints = transcend.calls_to("POST", "/v1/datapoint-chunked");
    let mut pages: BTreeMap<String, Vec<&common::Call>> = BTreeMap::new();
    for call in &datapoints {
        assert_eq!(call.nonce.as_deref(), Some(NONCE));
        assert_eq!(
            call.authorization.as_deref(),
            Some(format!("Bearer {API_KEY}").as_str())
        );
        assert_eq!(call.body["profileId"], JANE);
        let name = call.body["dataPointName"]
            .as_str()
            .expect("a name")
            .to_owned();
        pages.entry(name).or_default().push(call);
    }
    assert_eq!(pages.keys().cloned().collect::<BTreeSet<_>>(), expected);
    for (name, calls) in &pages {
        let last: Vec<bool> = calls.iter().map(|c| c.body["isLastPage"] == true).collect();
        assert_eq!(last.last(), Some(&true), "{name}: the last page says so");
        assert_eq!(
            last.iter().filter(|l| **l).count(),
            1,
            "{name}: one last page"
        );
        for call in calls {
            let data = call.body["data"].as_array().expect("data is a list");
            assert!(data.len() <= 40, "pages of chunk_records");
        }
    }
    // Jane's export of each organization: 4 features x 5 items, in three organizations.
    let exported: usize = pages["gdprExport"]
        .iter()
        .map(|c| c.body["data"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(exported, 3 * 4 * 5);

    let completions = transcend.calls_to("POST", "/v1/data-silo");
    assert_eq!(completions.len(), 1);
    assert_eq!(completions[0].body["status"], "READY");
    assert_eq!(completions[0].nonce.as_deref(), Some(NONCE));

    // Every answer is an acknowledged attempt in the case's event log.
    let answers: Vec<_> = common::events(&case_dir)
        .into_iter()
        .filter(|e| e["step"] == "answer")
        .collect();
    assert_eq!(answers.len(), datapoints.len() + 1);
    assert!(
        answers
            .iter()
            .all(|e| e["details"]["outcome"] == "acknowledged")
    );

    // The same job again: its state, no second search or export, no new answer.
    let requests = velt.fake.request_count();
    let (status, text) = post_webhook(&server, Some(&token), &body).await;
    assert_eq!(status, 200);
    assert!(text.contains("exported"), "{text}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(velt.fake.request_count(), requests);
    assert_eq!(transcend.calls().len(), datapoints.len() + 1);
    assert_eq!(common::job_dirs(&dir).len(), 1);
    assert_eq!(common::job(&dir).stage, Stage::Done);
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_velt_does_not_hold_gets_204_and_an_empty_answer() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("access-nobody");
    let server = Server::start(common::config(&dir, &velt, &transcend))
        .await
        .expect("the server starts");
    let token = transcend.keys.good_token();
    let body = webhook("ACCESS", "req-nobody", "nobody@nowhere.example");
    // The webhook waits for the search, which finds nobody: 204 at once.
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 204);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::NotFound));
    assert!(
        transcend
            .calls_to("POST", "/v1/datapoint-chunked")
            .is_empty()
    );
    let completions = transcend.calls_to("POST", "/v1/data-silo");
    assert_eq!(completions.len(), 1);
    assert_eq!(
        completions[0].body["profiles"][0]["profileId"],
        "nobody@nowhere.example"
    );
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_wait_someone_velt_does_not_hold_gets_200_then_204_when_sent_again() {
    let velt = Velt::start(common::fake_config(20, false)).await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("access-nobody-no-wait");
    let mut config = common::config(&dir, &velt, &transcend);
    if let Some(t) = config.transcend.as_mut() {
        t.answer_nobody_within_ms = 0;
    }
    let server = Server::start(config).await.expect("the server starts");
    let token = transcend.keys.good_token();
    let body = webhook("ERASURE", "req-nobody-erase", "nobody@nowhere.example");
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 200);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::NotFound));
    assert_eq!(transcend.erasure_states(), ["RESOLVED"]);
    assert_eq!(velt.deletions(), 0);
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn janes_downloaded_files_go_to_the_files_datapoint_byte_for_byte() {
    let velt = Velt::start(velt_fake::FakeConfig {
        files: 6,
        ..common::fake_config(20, false)
    })
    .await;
    let transcend = FakeTranscend::start().await;
    let dir = common::scratch("access-files");
    let mut config = common::config(&dir, &velt, &transcend);
    // The files are served on the fake's own origin.
    config.velt.base_url = Some(velt.fake.base_url());
    config.velt.fetch_files = true;
    let server = Server::start(config).await.expect("the server starts");
    let token = transcend.keys.good_token();
    let body = webhook("ACCESS", "req-access-files", JANE);
    assert_eq!(post_webhook(&server, Some(&token), &body).await.0, 200);
    let job = common::wait_done(&dir).await;
    assert_eq!(job.outcome, Some(Outcome::Exported), "{:?}", job.message);

    let case_dir = common::job_dirs(&dir).remove(0).join("case");
    let case = velt_case::Case::load(&case_dir).expect("the case");
    let downloaded: Vec<&velt_case::model::FileRecord> = case
        .files
        .iter()
        .filter(|f| f.role == velt_case::model::FileRole::DownloadedFile)
        .collect();
    assert!(!downloaded.is_empty(), "Jane's files were downloaded");
    let sent = transcend.calls_to("POST", "/v1/datapoint");
    assert_eq!(sent.len(), downloaded.len(), "one upload per file");
    for (n, (call, file)) in sent.iter().zip(&downloaded).enumerate() {
        assert_eq!(call.nonce.as_deref(), Some(NONCE));
        assert_eq!(call.body["dataPointName"], "files");
        assert_eq!(call.body["contentType"], "application/octet-stream");
        assert_eq!(call.body["bytes"], file.bytes, "{}", file.path);
        assert_eq!(call.body["sha256"], file.sha256.as_str(), "{}", file.path);
        let last = n + 1 == downloaded.len();
        assert_eq!(
            call.body["skipStatusUpdate"],
            if last { "false" } else { "true" },
            "the datapoint's status is left open until its last file"
        );
    }
    // The files before the completion.
    let calls = transcend.calls();
    let completion = calls
        .iter()
        .position(|c| c.method == "POST" && c.path == "/v1/data-silo")
        .expect("the completion");
    let last_file = calls
        .iter()
        .rposition(|c| c.path == "/v1/datapoint")
        .expect("a file");
    assert!(last_file < completion);
}
