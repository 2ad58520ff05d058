//! `report.html`: the readable, layered answer to an access request, written by
//! [`crate::CaseFolder::write_report`] with its [`ReportOptions`]; what it holds is a
//! [`ReportSummary`].

mod common;
mod coverage;
mod downloads;
mod stores;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use minijinja::{Environment, Value as Jinja, context};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::dates::{date_in_words, parse_timestamp, time_in_words};
use crate::error::Error;
use crate::fsutil::write_atomically;
use crate::model::{Case, FileRole, RECEIPT_FILE};
use common::{
    CommentView, ItemView, OPEN_UP_TO, count_words, document, field_rows, for_each_line,
    for_each_line_until, links, named, push_fact, text_of, time_of, user_text,
};

/// The features Velt exports, in the order the report shows them, with their names in words.
const FEATURES: [(&str, &str, &str); 4] = [
    ("comments", "comment threads", "Comment threads"),
    ("reactions", "reactions", "Reactions"),
    ("recordings", "recordings", "Recordings"),
    ("notifications", "notifications", "Notifications"),
];

/// How the report is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// The controller's notice, in Markdown (shown in the summary; raw HTML in it is shown as
    /// text, links and images as text with their address).
    pub notice_markdown: Option<String>,
    /// Items rendered in full per organization and kind of data (default 1,000); the rest
    /// are counted in the summary and named in a note pointing to the raw file. The same cap
    /// holds for the records of each file of Velt's other stores (activity records, ...) and
    /// for each list of the files behind the links. `usize::MAX` renders everything.
    pub max_items_per_section: usize,
    /// The time written as "prepared on" (default: now).
    pub generated_at: Option<DateTime<Utc>>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            notice_markdown: None,
            max_items_per_section: 1000,
            generated_at: None,
        }
    }
}

/// What a report holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    /// Items in the exports.
    pub items: u64,
    /// Items rendered in full.
    pub items_shown: u64,
    /// Sections (organization and kind of data).
    pub sections: usize,
    /// Sections cut at [`ReportOptions::max_items_per_section`].
    pub sections_capped: usize,
    /// Export lines that could not be read as `{"feature":..,"item":..}` (counted, named in
    /// the report).
    pub unreadable_lines: u64,
    /// Records in the files of Velt's other stores (`stores/`: one per line of an NDJSON
    /// file, one per JSON file).
    pub store_records: u64,
    /// Of them, rendered in full (each file is capped at
    /// [`ReportOptions::max_items_per_section`]).
    pub store_records_shown: u64,
    /// Size of the report in bytes.
    pub bytes: u64,
}

/// Writes the report of the case folder `dir` to `path` atomically (see
/// [`crate::CaseFolder::write_report`]).
pub(crate) fn write_report(
    dir: &Path,
    case: &Case,
    options: &ReportOptions,
    path: &Path,
) -> Result<ReportSummary, Error> {
    let mut summary = ReportSummary::default();
    let mut failure = None;
    write_atomically(path, |file| {
        let mut out = BufWriter::new(file);
        match render(dir, case, options, &mut out) {
            Ok(s) => summary = s,
            Err(e) => {
                let message = e.to_string();
                failure = Some(e);
                return Err(io::Error::other(message));
            }
        }
        out.flush()
    })
    .map_err(|e| failure.take().unwrap_or(e))?;
    Ok(summary)
}

fn environment() -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    for (name, source) in [
        ("head.html", include_str!("../templates/head.html")),
        (
            "store_start.html",
            include_str!("../templates/store_start.html"),
        ),
        (
            "store_end.html",
            include_str!("../templates/store_end.html"),
        ),
        (
            "downloads.html",
            include_str!("../templates/downloads.html"),
        ),
        (
            "section_start.html",
            include_str!("../templates/section_start.html"),
        ),
        ("item.html", include_str!("../templates/item.html")),
        (
            "section_end.html",
            include_str!("../templates/section_end.html"),
        ),
        ("tail.html", include_str!("../templates/tail.html")),
    ] {
        env.add_template(name, source).map_err(Error::Template)?;
    }
    Ok(env)
}

/// One export file of the case.
struct ExportFile {
    relative: String,
    path: PathBuf,
    organization: String,
    user: String,
    exported_at: Option<DateTime<Utc>>,
    bytes: u64,
    sha256: String,
}

/// What the first pass found for one organization.
#[derive(Default)]
struct OrgStats {
    users: BTreeSet<String>,
    counts: BTreeMap<String, u64>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    exported_at: Option<DateTime<Utc>>,
    files: Vec<usize>,
}

#[derive(Deserialize)]
struct Line<'a> {
    feature: String,
    #[serde(borrow)]
    item: &'a RawValue,
}

#[derive(Serialize)]
struct KindCount {
    label: String,
    count: String,
}

#[derive(Serialize)]
struct OrgView {
    id: String,
    name: Option<String>,
    users: Vec<String>,
    items: String,
    kinds: Vec<KindCount>,
    span: Option<String>,
    exported_at: Option<String>,
}

#[derive(Serialize)]
struct FileView {
    path: String,
    role: &'static str,
    bytes: String,
    sha256: String,
    is_export: bool,
}

fn render(
    dir: &Path,
    case: &Case,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> Result<ReportSummary, Error> {
    let env = environment()?;
    let exports = exports_of(dir, case);
    let mut summary = ReportSummary::default();

    // Pass 1: counts and time span per organization.
    let mut orgs: BTreeMap<String, OrgStats> = BTreeMap::new();
    let mut bad_lines: Vec<String> = Vec::new();
    for (index, export) in exports.iter().enumerate() {
        let stats = orgs.entry(export.organization.clone()).or_default();
        stats.users.insert(export.user.clone());
        stats.files.push(index);
        stats.exported_at = stats.exported_at.max(export.exported_at);
        for_each_line(&export.path, |n, line| {
            match serde_json::from_slice::<Line>(line) {
                Ok(line) => {
                    *stats.counts.entry(line.feature).or_insert(0) += 1;
                    summary.items += 1;
                    // Objects only: serde would read a list's elements as the fields.
                    let text = line.item.get();
                    if text.starts_with('{')
                        && let Ok(item) = serde_json::from_str::<TimesOnly>(text)
                    {
                        for t in item.times() {
                            stats.first = Some(stats.first.map_or(t, |f| f.min(t)));
                            stats.last = Some(stats.last.map_or(t, |l| l.max(t)));
                        }
                    }
                }
                Err(e) => {
                    summary.unreadable_lines += 1;
                    if bad_lines.len() < 20 {
                        bad_lines.push(format!("{} line {n}: {e}", export.relative));
                    }
                }
            }
        })?;
    }

    let generated = options.generated_at.unwrap_or_else(Utc::now);
    let names = coverage::organization_names(case);
    let coverage = coverage::coverage_view(case);
    let search_incomplete = coverage::incomplete_search(dir, case);
    let org_views: Vec<OrgView> = orgs
        .iter()
        .map(|(id, s)| OrgView {
            id: id.clone(),
            name: names.get(id).filter(|n| *n != id).cloned(),
            users: s.users.iter().cloned().collect(),
            items: count_words(s.counts.values().sum()),
            kinds: keys_in_order(&s.counts)
                .into_iter()
                .map(|k| KindCount {
                    label: kind_label(&k).0,
                    count: count_words(s.counts[&k]),
                })
                .collect(),
            span: span_words(s.first, s.last),
            exported_at: s.exported_at.map(time_in_words),
        })
        .collect();
    let overall_first = orgs.values().filter_map(|s| s.first).min();
    let overall_last = orgs.values().filter_map(|s| s.last).max();
    let receipt = read_receipt(dir, case);
    let notice = options.notice_markdown.as_deref().map(notice_html);

    env.get_template("head.html")
        .and_then(|t| {
            t.render_captured_to(
                context! {
                    case_id => &case.id,
                    subject => case.subject.to_string(),
                    kinds => case.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                    received => date_in_words(case.received),
                    due => date_in_words(case.due),
                    extensions => case.extensions.iter().map(|e| context! {
                        months => e.months, reason => &e.reason, at => time_in_words(e.at),
                    }).collect::<Vec<_>>(),
                    status => case.status.as_str(),
                    generated => time_in_words(generated),
                    orgs => &org_views,
                    total => count_words(summary.items),
                    span => span_words(overall_first, overall_last),
                    notice => notice.map(Jinja::from_safe_string),
                    receipt => receipt,
                    cap => count_words(options.max_items_per_section as u64),
                    capped_anywhere => orgs.values().any(|s| s.counts.values().any(|&n| n > options.max_items_per_section as u64)),
                    unreadable => count_words(summary.unreadable_lines),
                    bad_lines => &bad_lines,
                    coverage => &coverage,
                    search_incomplete => &search_incomplete,
                },
                &mut *out,
            )
        })
        .map_err(Error::Template)?;

    // Pass 2: the items, per organization and kind of data.
    let item_template = env.get_template("item.html").map_err(Error::Template)?;
    for (org, stats) in &orgs {
        env.get_template("section_start.html")
            .and_then(|t| {
                t.render_captured_to(
                    context! {
                        org => org, org_name => names.get(org).filter(|n| *n != org),
                        org_start => true, empty => stats.counts.is_empty(),
                    },
                    &mut *out,
                )
            })
            .map_err(Error::Template)?;
        for key in keys_in_order(&stats.counts) {
            let total = stats.counts[&key];
            let (label, heading) = kind_label(&key);
            let open = context! {
                org => org, heading => &heading, label => &label,
                count => count_words(total), key => &key, open => total <= OPEN_UP_TO,
            };
            env.get_template("section_start.html")
                .and_then(|t| t.render_captured_to(open, &mut *out))
                .map_err(Error::Template)?;
            summary.sections += 1;
            let mut shown: u64 = 0;
            let mut render_error = None;
            'files: for &index in &stats.files {
                let export = &exports[index];
                let mut stop = false;
                for_each_line_until(&export.path, |_, raw| {
                    let Ok(line) = serde_json::from_slice::<Line>(raw) else {
                        return true;
                    };
                    if line.feature != key {
                        return true;
                    }
                    if shown >= options.max_items_per_section as u64 {
                        stop = true;
                        return false;
                    }
                    shown += 1;
                    let view = match serde_json::from_str::<Value>(line.item.get()) {
                        Ok(item) => item_view(&key, &item, shown),
                        Err(e) => ItemView::fields(
                            format!("{} #{shown}", heading_singular(&key)),
                            vec![["unreadable item".into(), e.to_string()]],
                        ),
                    };
                    if let Err(e) = item_template.render_captured_to(&view, &mut *out) {
                        render_error = Some(e);
                        return false;
                    }
                    true
                })?;
                if let Some(e) = render_error.take() {
                    return Err(Error::Template(e));
                }
                if stop {
                    break 'files;
                }
            }
            summary.items_shown += shown;
            let capped = shown < total;
            if capped {
                summary.sections_capped += 1;
            }
            let files: Vec<&str> = stats
                .files
                .iter()
                .map(|&i| exports[i].relative.as_str())
                .collect();
            env.get_template("section_end.html")
                .and_then(|t| {
                    t.render_captured_to(
                        context! {
                            capped => capped, shown => count_words(shown),
                            total => count_words(total), label => &label, files => files,
                        },
                        &mut *out,
                    )
                })
                .map_err(Error::Template)?;
        }
        env.get_template("section_end.html")
            .and_then(|t| t.render_captured_to(context! { org_end => true }, &mut *out))
            .map_err(Error::Template)?;
    }

    out.write_all(b"</section>\n")
        .map_err(|e| Error::io(dir, "cannot write the report", e))?;

    // Velt's other stores, and the files behind the links.
    let cap = options.max_items_per_section as u64;
    let stored = stores::render_stores(&env, dir, case, cap, &mut *out)?;
    summary.store_records = stored.records;
    summary.store_records_shown = stored.shown;
    let downloads = downloads::downloads_view(
        dir,
        case,
        options.max_items_per_section,
        coverage.files_not_requested,
    );
    env.get_template("downloads.html")
        .and_then(|t| t.render_captured_to(&downloads, &mut *out))
        .map_err(Error::Template)?;

    let files: Vec<FileView> = case
        .files
        .iter()
        .filter(|f| f.role != FileRole::Report)
        .map(|f| FileView {
            path: f.path.clone(),
            role: match f.role {
                FileRole::Export => "your data (NDJSON, one item per line)",
                FileRole::Manifest => "record of the export (size, SHA-256, counts)",
                FileRole::Search => "record of the search for your accounts",
                FileRole::Receipt => "erasure receipt",
                FileRole::Report => "this report",
                FileRole::Other => "other",
                FileRole::StoreData => {
                    "your data from another of Velt's stores (JSON, as Velt sent it)"
                }
                FileRole::FileIndex => {
                    "list of the links to files in your data, and what became of each"
                }
                FileRole::DownloadedFile => "a file behind a link in your data",
            },
            bytes: count_words(f.bytes),
            sha256: f.sha256.clone(),
            is_export: f.role == FileRole::Export,
        })
        .collect();
    let example = exports.first().map(|e| e.relative.clone());
    let export_hashes: Vec<Jinja> = exports
        .iter()
        .map(|e| Jinja::from_serialize(context! { path => &e.relative, sha256 => &e.sha256, bytes => count_words(e.bytes) }))
        .collect();
    env.get_template("tail.html")
        .and_then(|t| {
            t.render_captured_to(
                context! { files => files, example => example, exports => export_hashes, case_id => &case.id },
                &mut *out,
            )
        })
        .map_err(Error::Template)?;
    Ok(summary)
}

/// The export files recorded in the case, with organization and user from the manifest (or
/// the path), in path order.
fn exports_of(dir: &Path, case: &Case) -> Vec<ExportFile> {
    case.files
        .iter()
        .filter(|f| f.role == FileRole::Export)
        .map(|f| {
            let path = f.path.split('/').fold(dir.to_path_buf(), |p, s| p.join(s));
            let manifest: Option<Value> =
                std::fs::read(format!("{}.manifest.json", path.display()))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok());
            let segments: Vec<&str> = f.path.split('/').collect();
            let from_path_org = segments
                .len()
                .checked_sub(2)
                .map(|i| segments[i].to_string())
                .unwrap_or_default();
            let from_path_user = segments
                .last()
                .map(|s| s.trim_end_matches(".ndjson").to_string())
                .unwrap_or_default();
            let field = |name: &str| {
                manifest
                    .as_ref()
                    .and_then(|m| m.get(name))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            ExportFile {
                relative: f.path.clone(),
                organization: field("organizationId").unwrap_or(from_path_org),
                user: field("userId").unwrap_or(from_path_user),
                exported_at: manifest
                    .as_ref()
                    .and_then(|m| m.get("finishedAt"))
                    .and_then(parse_timestamp),
                path,
                bytes: f.bytes,
                sha256: f.sha256.clone(),
            }
        })
        .collect()
}

/// What the erasure receipt says, in words, if the case has one.
fn read_receipt(dir: &Path, case: &Case) -> Option<Jinja> {
    case.file(RECEIPT_FILE)?;
    let receipt: Value =
        serde_json::from_slice(&std::fs::read(dir.join(RECEIPT_FILE)).ok()?).ok()?;
    let jobs = receipt.get("jobs").and_then(Value::as_array);
    let completed = jobs.map_or(0, |j| {
        j.iter()
            .filter(|j| j.get("completed") == Some(&Value::Bool(true)))
            .count()
    });
    let finished = jobs
        .into_iter()
        .flatten()
        .filter_map(|j| j.get("lastTaskCompletedAt").and_then(parse_timestamp))
        .max();
    Some(Jinja::from_serialize(context! {
        jobs => jobs.map_or(0, Vec::len),
        completed => completed,
        finished => finished.map(time_in_words),
        nothing_remains => receipt.pointer("/verification/nothingRemains").and_then(Value::as_bool),
        coverage => receipt.pointer("/verification/coverage").and_then(Value::as_str),
        checked_at => receipt.pointer("/verification/checkedAt").and_then(parse_timestamp).map(time_in_words),
    }))
}

/// The four features first, in their usual order, then any other key in name order.
fn keys_in_order(counts: &BTreeMap<String, u64>) -> Vec<String> {
    let mut keys: Vec<String> = FEATURES
        .iter()
        .filter(|(k, _, _)| counts.contains_key(*k))
        .map(|(k, _, _)| k.to_string())
        .collect();
    keys.extend(
        counts
            .keys()
            .filter(|k| !FEATURES.iter().any(|(f, _, _)| f == k))
            .cloned(),
    );
    keys
}

/// (in a sentence, as a heading) for a feature or other key.
fn kind_label(key: &str) -> (String, String) {
    FEATURES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, s, h)| (s.to_string(), h.to_string()))
        .unwrap_or_else(|| {
            (
                format!("other data (\u{201c}{key}\u{201d})"),
                format!("Other data: \u{201c}{key}\u{201d}"),
            )
        })
}

fn heading_singular(key: &str) -> String {
    match key {
        "comments" => "Comment thread".into(),
        "reactions" => "Reaction".into(),
        "recordings" => "Recording".into(),
        "notifications" => "Notification".into(),
        other => format!("\u{201c}{other}\u{201d} item"),
    }
}

fn span_words(first: Option<DateTime<Utc>>, last: Option<DateTime<Utc>>) -> Option<String> {
    match (first, last) {
        (Some(f), Some(l)) if f.date_naive() == l.date_naive() => {
            Some(format!("on {}", date_in_words(f.date_naive())))
        }
        (Some(f), Some(l)) => Some(format!(
            "from {} to {}",
            date_in_words(f.date_naive()),
            date_in_words(l.date_naive())
        )),
        _ => None,
    }
}

/// The times an item carries (its own and its comments' `createdAt`, `lastUpdated`,
/// `timestamp`, `editedAt`), for the time span; every other field is skipped unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TimesOnly {
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    last_updated: Option<Value>,
    #[serde(default)]
    timestamp: Option<Value>,
    #[serde(default)]
    edited_at: Option<Value>,
    #[serde(default, deserialize_with = "lenient_comments")]
    comments: Vec<CommentTimes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentTimes {
    #[serde(default)]
    created_at: Option<Value>,
}

/// `comments` as a list of objects, or nothing when it is anything else.
fn lenient_comments<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<CommentTimes>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        List(Vec<Lenient2>),
        Other(serde::de::IgnoredAny),
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient2 {
        Comment(CommentTimes),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Lenient::deserialize(d)? {
        Lenient::List(items) => items
            .into_iter()
            .filter_map(|c| match c {
                Lenient2::Comment(c) => Some(c),
                Lenient2::Other(_) => None,
            })
            .collect(),
        Lenient::Other(_) => Vec::new(),
    })
}

impl TimesOnly {
    fn times(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        [
            &self.created_at,
            &self.last_updated,
            &self.timestamp,
            &self.edited_at,
        ]
        .into_iter()
        .chain(self.comments.iter().map(|c| &c.created_at))
        .filter_map(|v| v.as_ref().and_then(parse_timestamp))
    }
}

/// The controller's notice: Markdown to HTML, with raw HTML shown as text and links and
/// images shown as text with their address (nothing in the report loads or links out).
pub(crate) fn notice_html(markdown: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut targets: Vec<CowStr> = Vec::new();
    let events = Parser::new_ext(markdown, options).flat_map(|event| {
        let mapped: Vec<Event> = match event {
            Event::Html(s) | Event::InlineHtml(s) => vec![Event::Text(s)],
            Event::Start(Tag::Link { dest_url, .. }) => {
                targets.push(dest_url);
                vec![]
            }
            Event::End(TagEnd::Link) => match targets.pop() {
                Some(url) => vec![Event::Code(CowStr::from(format!(" ({url})")))],
                None => vec![],
            },
            Event::Start(Tag::Image { dest_url, .. }) => {
                targets.push(dest_url);
                vec![Event::Text(CowStr::from("[image: "))]
            }
            Event::End(TagEnd::Image) => {
                let url = targets.pop().map(|u| u.to_string()).unwrap_or_default();
                vec![
                    Event::Text(CowStr::from("] ")),
                    Event::Code(CowStr::from(format!("({url})"))),
                ]
            }
            other => vec![other],
        };
        mapped
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

fn item_view(key: &str, item: &Value, n: u64) -> ItemView {
    let fields = field_rows(item);
    let mut view = match (key, item.is_object()) {
        ("comments", true) => comment_view(item, n),
        ("reactions", true) => reaction_view(item, n),
        ("recordings", true) => recording_view(item, n),
        ("notifications", true) => notification_view(item, n),
        _ => {
            return ItemView::fields(format!("{} #{n}", heading_singular(key)), fields);
        }
    };
    view.links = links(item);
    view.fields = fields;
    view
}

fn comment_view(item: &Value, n: u64) -> ItemView {
    let number = item
        .get("annotationNumber")
        .and_then(Value::as_u64)
        .map_or(String::new(), |a| format!(" (number {a})"));
    let mut facts = Vec::new();
    push_fact(&mut facts, "Document", document(item));
    push_fact(
        &mut facts,
        "Place",
        item.pointer("/location/locationName").and_then(text_of),
    );
    push_fact(&mut facts, "Status", named(item.get("status")));
    push_fact(&mut facts, "Priority", named(item.get("priority")));
    push_fact(
        &mut facts,
        "Started by",
        item.get("from").and_then(user_text),
    );
    push_fact(
        &mut facts,
        "Assigned to",
        item.get("assignedTo").and_then(user_text),
    );
    push_fact(&mut facts, "Created", time_of(item.get("createdAt")));
    push_fact(&mut facts, "Last updated", time_of(item.get("lastUpdated")));
    let thread = item
        .get("comments")
        .and_then(Value::as_array)
        .map(|comments| {
            comments
                .iter()
                .map(|c| {
                    let text = c
                        .get("commentText")
                        .and_then(text_of)
                        .filter(|t| !t.is_empty());
                    let html_source = if text.is_none() {
                        c.get("commentHtml").and_then(text_of)
                    } else {
                        None
                    };
                    let mut extra = Vec::new();
                    if let Some(to) = c.get("to").and_then(Value::as_array) {
                        let names: Vec<String> = to.iter().filter_map(user_text).collect();
                        if !names.is_empty() {
                            extra.push(format!("Mentioned: {}", names.join(", ")));
                        }
                    }
                    if c.get("isEdited") == Some(&Value::Bool(true)) {
                        extra.push("Edited".into());
                    }
                    if c.get("type").and_then(Value::as_str) == Some("voice") {
                        extra.push("Voice comment".into());
                    }
                    CommentView {
                        author: c
                            .get("from")
                            .and_then(user_text)
                            .unwrap_or_else(|| "(author not given)".into()),
                        when: time_of(c.get("createdAt")),
                        text,
                        html_source,
                        extra,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    ItemView {
        kind: "comment",
        title: format!("Comment thread #{n}{number}"),
        facts,
        thread,
        ..ItemView::default()
    }
}

fn reaction_view(item: &Value, n: u64) -> ItemView {
    let icon = item
        .get("iconEmoji")
        .or_else(|| item.get("icon"))
        .and_then(text_of);
    let mut facts = Vec::new();
    push_fact(&mut facts, "Document", document(item));
    push_fact(
        &mut facts,
        "Placed by",
        item.get("from").and_then(user_text),
    );
    push_fact(&mut facts, "Created", time_of(item.get("createdAt")));
    push_fact(&mut facts, "Last updated", time_of(item.get("lastUpdated")));
    push_fact(
        &mut facts,
        "On",
        item.get("commentAnnotationId")
            .or_else(|| item.get("targetElementId"))
            .or_else(|| item.get("targetInlineReactionElementId"))
            .and_then(text_of),
    );
    let mut texts = Vec::new();
    if let Some(reactions) = item.get("reactions").and_then(Value::as_array) {
        for r in reactions {
            let who = r
                .get("from")
                .and_then(user_text)
                .unwrap_or_else(|| "someone".into());
            let what = r
                .get("iconEmoji")
                .or_else(|| r.get("icon"))
                .and_then(text_of)
                .unwrap_or_default();
            let when = time_of(r.get("createdAt"))
                .map(|w| format!(", {w}"))
                .unwrap_or_default();
            texts.push(["Reaction".into(), format!("{who}: {what}{when}")]);
        }
    }
    ItemView {
        kind: "reaction",
        title: match icon {
            Some(icon) => format!("Reaction #{n}: {icon}"),
            None => format!("Reaction #{n}"),
        },
        facts,
        texts,
        ..ItemView::default()
    }
}

fn recording_view(item: &Value, n: u64) -> ItemView {
    let kind = item
        .get("recordingType")
        .and_then(text_of)
        .map(|k| format!(" ({k})"))
        .unwrap_or_default();
    let mut facts = Vec::new();
    push_fact(&mut facts, "Document", document(item));
    push_fact(
        &mut facts,
        "Recorded by",
        item.get("from").and_then(user_text),
    );
    push_fact(&mut facts, "Created", time_of(item.get("createdAt")));
    push_fact(
        &mut facts,
        "Length",
        item.pointer("/recordedTime/display")
            .and_then(text_of)
            .or_else(|| {
                item.pointer("/recordedTime/duration")
                    .and_then(Value::as_u64)
                    .map(|ms| format!("{}:{:02}", ms / 60_000, ms / 1000 % 60))
            }),
    );
    push_fact(&mut facts, "Mode", item.get("mode").and_then(text_of));
    let attachment = item
        .get("attachment")
        .or_else(|| item.pointer("/attachments/0"));
    push_fact(
        &mut facts,
        "File",
        attachment.and_then(|a| a.get("name")).and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Size",
        attachment
            .and_then(|a| a.get("size"))
            .and_then(Value::as_u64)
            .map(|b| format!("{} bytes", count_words(b))),
    );
    let mut texts = Vec::new();
    let transcript = item
        .pointer("/transcription/transcriptedText")
        .or_else(|| item.get("transcription").filter(|t| t.is_string()))
        .and_then(text_of);
    if let Some(t) = transcript {
        texts.push(["Transcript".into(), t]);
    }
    ItemView {
        kind: "recording",
        title: format!("Recording #{n}{kind}"),
        facts,
        texts,
        ..ItemView::default()
    }
}

fn notification_view(item: &Value, n: u64) -> ItemView {
    let headline = item
        .get("displayHeadlineMessage")
        .and_then(text_of)
        .or_else(|| {
            let template = item.get("displayHeadlineMessageTemplate")?.as_str()?;
            let data = item.get("displayHeadlineMessageTemplateData");
            Some(fill_template(template, data))
        });
    let mut facts = Vec::new();
    push_fact(
        &mut facts,
        "About",
        item.get("notificationSource").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "Action",
        item.get("actionType").and_then(text_of),
    );
    push_fact(
        &mut facts,
        "From",
        item.get("actionUser")
            .or_else(|| item.get("from"))
            .and_then(user_text),
    );
    push_fact(
        &mut facts,
        "Time",
        time_of(item.get("timestamp")).or_else(|| time_of(item.get("createdAt"))),
    );
    push_fact(&mut facts, "Document", document(item));
    push_fact(
        &mut facts,
        "Unread",
        item.get("isUnread")
            .and_then(Value::as_bool)
            .map(|u| if u { "yes" } else { "no" }.to_string()),
    );
    let mut texts = Vec::new();
    if let Some(body) = item.get("displayBodyMessage").and_then(text_of) {
        texts.push(["Message".into(), body]);
    }
    ItemView {
        kind: "notification",
        title: match headline {
            Some(h) => format!("Notification #{n}: {h}"),
            None => format!("Notification #{n}"),
        },
        facts,
        texts,
        ..ItemView::default()
    }
}

/// `{actionUser} commented on {documentName}` with the data's values (users by name).
fn fill_template(template: &str, data: Option<&Value>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                let value = data
                    .and_then(|d| d.get(name))
                    .and_then(|v| user_text(v).or_else(|| text_of(v)));
                match value {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notice_markdown_escapes_raw_html_and_loads_nothing() {
        let html = notice_html(
            "# Our notice\n\nWe *answer* within a month.\n\n<script>alert(1)</script>\n\nInline <img src=x onerror=alert(1)> and [our policy](https://example.com/privacy) ![logo](https://example.com/logo.png)\n",
        );
        assert!(html.contains("<h1>Our notice</h1>"), "{html}");
        assert!(html.contains("<em>answer</em>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<a "), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(
            html.contains("our policy<code> (https://example.com/privacy)</code>"),
            "{html}"
        );
        assert!(
            html.contains("[image: logo] <code>(https://example.com/logo.png)</code>"),
            "{html}"
        );
    }

    #[test]
    fn time_spans_read_every_form_and_skip_odd_shapes() {
        let times = |text: &str| -> Vec<String> {
            serde_json::from_str::<TimesOnly>(text)
                .unwrap()
                .times()
                .map(time_in_words)
                .collect()
        };
        assert_eq!(
            times(
                r#"{"createdAt":1772546700000,"lastUpdated":"2026-03-04T10:00:00Z","comments":[{"createdAt":1772546760},"x",{"other":1}],"x":{"y":[1,2]}}"#
            ),
            [
                "3 March 2026, 14:05 UTC",
                "4 March 2026, 10:00 UTC",
                "3 March 2026, 14:06 UTC"
            ]
        );
        assert!(times(r#"{"comments":"not a list","timestamp":null}"#).is_empty());
    }

    #[test]
    fn counts_in_words() {
        assert_eq!(count_words(0), "0");
        assert_eq!(count_words(999), "999");
        assert_eq!(count_words(1000), "1,000");
        assert_eq!(count_words(1234567), "1,234,567");
    }

    #[test]
    fn items_missing_fields_still_have_a_view() {
        let view = item_view("comments", &json!({"annotationId": "a"}), 1);
        assert_eq!(view.title, "Comment thread #1");
        assert_eq!(
            view.fields,
            vec![["annotationId".to_string(), "a".to_string()]]
        );
        let view = item_view("comments", &json!("just a string"), 2);
        assert!(view.fields_only);
        let view = item_view("userProfile", &json!({"email": "a@b.c"}), 1);
        assert!(view.fields_only);
        assert_eq!(view.title, "\u{201c}userProfile\u{201d} item #1");
    }

    #[test]
    fn notification_headlines_are_filled_from_their_template() {
        let item = json!({
            "displayHeadlineMessageTemplate": "{actionUser} commented on {documentName} {missing}",
            "displayHeadlineMessageTemplateData": {"actionUser": {"name": "Bo", "email": "bo@example.com"}, "documentName": "Plan"},
        });
        assert_eq!(
            notification_view(&item, 1).title,
            "Notification #1: Bo (bo@example.com) commented on Plan {missing}"
        );
    }
}
