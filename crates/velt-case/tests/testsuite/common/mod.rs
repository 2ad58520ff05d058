//! Fixtures shared by the tests and the `report_bench` example: exports written the way the
//! `velt-api` exporter writes them (NDJSON lines and a manifest), with item shapes modelled on
//! the fake Velt server's and Velt's data-model page.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// A fresh, empty temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "velt-case-test-{}-{name}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `file` with `items` as `{"feature":F,"item":I}` lines, and its manifest beside it.
pub fn write_export<'a>(
    file: &Path,
    organization: &str,
    user: &str,
    items: impl IntoIterator<Item = &'a (String, Value)>,
) {
    write_export_from(file, organization, user, items.into_iter().cloned())
}

/// Like [`write_export`], from items made one at a time (nothing held in memory), with the
/// exporter's own writer and manifest (`velt_api::export::NdjsonWriter`,
/// `velt_case::records::ExportManifest`).
pub fn write_export_from(
    file: &Path,
    organization: &str,
    user: &str,
    items: impl IntoIterator<Item = (String, Value)>,
) {
    use velt_api::export::{ExportItem, Feature, NdjsonWriter, RawItem};
    use velt_case::records::{ExportManifest, ExportRecord, HashingWriter};
    let out = HashingWriter::new(std::io::BufWriter::new(
        std::fs::File::create(file).unwrap(),
    ));
    let mut writer = NdjsonWriter::new(out);
    for (feature, item) in items {
        let item = ExportItem {
            feature: Feature::from_key(&feature),
            item: RawItem::from_serialize(&item).unwrap(),
        };
        writer.write_item(None, &item).unwrap();
    }
    writer.flush().unwrap();
    let (out, mut summary) = writer.into_parts();
    summary.pages = 1;
    let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let record = ExportRecord {
        organization_id: organization,
        user_id: user,
        format: "ndjson",
        started_at: at("2026-03-03T14:04:10.000Z"),
        summary: &summary,
        base_url: "http://127.0.0.1:8787",
    };
    let name = file.file_name().unwrap().to_string_lossy();
    let mut manifest = ExportManifest::new(&record, &name, out.bytes(), out.sha256());
    manifest.finished_at = at("2026-03-03T14:05:02.500Z");
    manifest.save(&ExportManifest::path_for(file)).unwrap();
}

/// A small deterministic generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

const TEXTS: [&str; 8] = [
    "Could we move the launch date to Thursday?",
    "Looks good to me — ship it.",
    "The chart on page 3 uses last year's numbers.",
    "Ich habe die Zusammenfassung überarbeitet.",
    "Please check the wording of the second paragraph.",
    "Agreed, but let's keep the old logo for now.",
    "Who owns the budget line for Q3?",
    "Nice catch! Fixed in the latest draft.",
];
const NAMES: [&str; 4] = ["Ana Souza", "Bo Lindqvist", "Chiara Rossi", "Dev Patel"];
const TITLES: [&str; 3] = ["Quarterly plan", "Launch checklist", "Design review"];

fn user(rng: &mut Rng, org: &str, me: usize) -> Value {
    let i = if rng.below(10) < 6 {
        me
    } else {
        rng.below(4) as usize
    };
    let name = NAMES[i];
    let first = name.split(' ').next().unwrap_or(name).to_lowercase();
    json!({
        "userId": format!("user-{:04}", i + 1),
        "name": name,
        "email": format!("{first}@example.com"),
        "photoUrl": format!("https://avatars.example.com/{first}.png"),
        "organizationId": org,
    })
}

/// Item `i` of `feature`, shaped like the fake server's (and so like Velt's documented
/// items): epoch-millisecond and ISO times, nested users, links.
pub fn item(feature: &str, org: &str, i: u64, seed: u64) -> Value {
    let mut rng = Rng::new(seed ^ (i.wrapping_mul(0x2545_f491_4f6c_dd1d)) ^ feature.len() as u64);
    // From 1 March 2025, over the year before the export (3 March 2026).
    let created = 1_740_787_200_000u64 + rng.below(360 * 24 * 3_600_000);
    let updated = created + rng.below(3 * 24 * 3_600_000);
    let iso = |ms: u64| {
        chrono::DateTime::from_timestamp_millis(ms as i64)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let doc = rng.below(3) as usize;
    let page_info = json!({
        "title": TITLES[doc],
        "url": format!("https://app.example.com/docs/{org}/{}", doc + 1),
        "path": format!("/docs/{}", doc + 1),
    });
    let document_id = format!("doc-{org}-{:02}", doc + 1);
    match feature {
        "comments" => {
            let n = 1 + rng.below(3);
            let mut at = created;
            let comments: Vec<Value> = (0..n)
                .map(|c| {
                    let body = TEXTS[rng.below(TEXTS.len() as u64) as usize];
                    let v = json!({
                        "commentId": 100_000 + rng.below(900_000),
                        "type": "text",
                        "commentText": body,
                        "commentHtml": format!("<p>{body}</p>"),
                        "from": user(&mut rng, org, (c % 2) as usize),
                        "to": [],
                        "createdAt": at,
                        "lastUpdated": iso(at + rng.below(3_600_000)),
                        "isEdited": rng.below(4) == 0,
                        "reactionAnnotationIds": [],
                    });
                    at += 1 + rng.below(86_400_000);
                    v
                })
                .collect();
            json!({
                "organizationId": org,
                "documentId": document_id,
                "annotationId": format!("ann-{i}"),
                "type": "comment",
                "annotationNumber": i + 1,
                "from": user(&mut rng, org, 0),
                "comments": comments,
                "status": {"id": "OPEN", "name": "open", "type": "default", "color": "#625DF5"},
                "priority": {"id": "P1", "name": "P1", "color": "#FF7162"},
                "createdAt": created,
                "lastUpdated": iso(updated),
                "location": {"id": "section-2", "locationName": "Chapter 2 — Überblick"},
                "pageInfo": page_info,
                "position": {"x": 120.5, "y": 88.0},
                "isDraft": false,
            })
        }
        "reactions" => json!({
            "organizationId": org,
            "documentId": document_id,
            "annotationId": format!("rea-{i}"),
            "type": "reaction",
            "icon": "👍",
            "from": user(&mut rng, org, 0),
            "reactions": [{"from": user(&mut rng, org, 0), "icon": "👍", "createdAt": created}],
            "createdAt": created,
            "lastUpdated": iso(updated),
            "pageInfo": page_info,
            "targetInlineReactionElementId": format!("reaction-target-{}", rng.below(50)),
        }),
        "recordings" => {
            let duration = 1_000 + rng.below(600_000);
            json!({
                "organizationId": org,
                "documentId": document_id,
                "annotationId": format!("rec-{i}"),
                "type": "recording",
                "recordingType": "video",
                "mode": "floating",
                "from": user(&mut rng, org, 0),
                "recordedTime": {"duration": duration, "display": format!("{:02}:{:02}", duration / 60_000, duration / 1000 % 60)},
                "attachment": {
                    "attachmentId": rng.below(1 << 40),
                    "name": format!("Recording {} — video.webm", i + 1),
                    "mimeType": "video/webm",
                    "size": 10_000 + rng.below(50_000_000),
                    "url": format!("https://storage.example.com/recordings/{org}/{i}.webm"),
                },
                "transcription": {"transcriptedText": TEXTS[rng.below(8) as usize], "language": "und"},
                "createdAt": created,
                "lastUpdated": iso(updated),
                "pageInfo": page_info,
                "storageGeneration": 9_007_199_254_740_993u64,
            })
        }
        _ => json!({
            "organizationId": org,
            "documentId": document_id,
            "id": format!("not-{i}"),
            "notificationSource": "comment",
            "actionType": "added",
            "isUnread": rng.below(2) == 0,
            "displayHeadlineMessageTemplate": "{actionUser} commented on {documentName}",
            "displayHeadlineMessageTemplateData": {"actionUser": user(&mut rng, org, 1), "documentName": TITLES[doc]},
            "displayBodyMessage": TEXTS[rng.below(8) as usize],
            "from": user(&mut rng, org, 1),
            "timestamp": created,
            "createdAt": iso(created),
            "metadata": {"documentName": TITLES[doc], "annotationNumber": rng.below(500)},
        }),
    }
}

/// `n` items spread evenly over the four features, in blocks the way the exporter writes them
/// (page by page, each page's features in turn; blocks of 25 from 400 items on).
pub fn items(org: &str, n: u64, seed: u64) -> Vec<(String, Value)> {
    items_iter(org, n, seed).collect()
}

/// [`items`], made one at a time.
pub fn items_iter(org: &str, n: u64, seed: u64) -> impl Iterator<Item = (String, Value)> + '_ {
    let features = ["comments", "notifications", "reactions", "recordings"];
    let block = (n / 16).clamp(1, 25);
    (0..n).map(move |i| {
        let f = features[((i / block) % 4) as usize];
        (f.to_string(), item(f, org, i, seed))
    })
}
