//! `velt-drift fetch`: refreshes the snapshot from the URLs in `SOURCES`.
//!
//! SOURCES is the one place that lists URLs. For a `.md` entry the docs site's Markdown export
//! is fetched (the URL, plus `.md` if it lacks it); for a `.mdx` entry the URL is fetched as
//! listed and must answer with the page source, not a rendered HTML page. Other entries
//! (`.rendered.txt`) are reference material and are skipped. Every page is downloaded before
//! any file is written, so a failed run leaves the snapshot as it was (unless `keep_going`).

use std::path::Path;
use std::time::Duration;

use crate::Error;
use crate::sources::{self, Source};

/// What a fetch did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FetchOutcome {
    /// Pages written, relative to the docs directory.
    pub written: Vec<String>,
    /// Entries skipped, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Entries that failed, with the error (only with `keep_going`).
    pub failed: Vec<(String, String)>,
}

/// The URL downloaded for an entry.
pub fn download_url(source: &Source) -> String {
    if source.local.ends_with(".md") && !source.url.ends_with(".md") {
        format!("{}.md", source.url)
    } else {
        source.url.clone()
    }
}

/// Downloads every page listed in `DOCS/SOURCES` and rewrites the files and their dates.
///
/// Without `keep_going` the first failure aborts before anything is written.
pub fn fetch(docs: &Path, keep_going: bool) -> Result<FetchOutcome, Error> {
    let listed = sources::read(docs)?.ok_or_else(|| Error::Sources {
        path: docs.join("SOURCES"),
        line: 0,
        message: "no SOURCES file: nothing to fetch".into(),
    })?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .user_agent("velt-drift (documentation snapshot refresh)")
        .build()
        .into();
    let mut outcome = FetchOutcome::default();
    let mut downloaded = Vec::new();
    for source in &listed {
        if !source.is_page() {
            outcome
                .skipped
                .push((source.local.clone(), "reference only, not parsed".into()));
            continue;
        }
        match download(&agent, source) {
            Ok(text) => downloaded.push((source, text)),
            Err(e) if keep_going => outcome.failed.push((source.local.clone(), e.to_string())),
            Err(e) => return Err(e),
        }
    }
    let today = today();
    for (source, text) in &downloaded {
        let path = docs.join(&source.local);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        std::fs::write(&path, text).map_err(|e| Error::Io { path, source: e })?;
        outcome.written.push(source.local.clone());
    }
    let written: Vec<usize> = downloaded.iter().map(|(s, _)| s.line).collect();
    restamp(docs, &written, &today)?;
    Ok(outcome)
}

fn download(agent: &ureq::Agent, source: &Source) -> Result<String, Error> {
    let url = download_url(source);
    let fail = |message: String| Error::Fetch {
        url: url.clone(),
        message,
    };
    let mut response = agent.get(&url).call().map_err(|e| {
        fail(format!(
            "{e}; check the network and the URL in SOURCES line {}",
            source.line
        ))
    })?;
    let html_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| fail(format!("reading the body: {e}")))?;
    let head = text
        .trim_start()
        .get(..15)
        .unwrap_or("")
        .to_ascii_lowercase();
    if html_type || head.starts_with("<!doctype") || head.starts_with("<html") {
        return Err(fail(format!(
            "answered with a rendered HTML page, not the source of {}; SOURCES line {} must \
             give a URL that serves the page's markup",
            source.local, source.line
        )));
    }
    Ok(text)
}

/// Rewrites the date column of the given SOURCES lines, keeping everything else.
fn restamp(docs: &Path, lines: &[usize], today: &str) -> Result<(), Error> {
    if lines.is_empty() {
        return Ok(());
    }
    let path = docs.join("SOURCES");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    let mut out = String::new();
    for (idx, line) in text.lines().enumerate() {
        if lines.contains(&(idx + 1)) {
            let mut fields: Vec<&str> = line.split('\t').collect();
            fields.truncate(2);
            fields.push(today);
            out.push_str(&fields.join("\t"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    std::fs::write(&path, out).map_err(|source| Error::Io { path, source })
}

/// Today's UTC date as `YYYY-MM-DD`.
fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_an_iso_date() {
        let date = today();
        assert_eq!(date.len(), 10, "{date}");
        assert!(date.starts_with("20"), "{date}");
    }

    #[test]
    fn urls() {
        let s = |local: &str, url: &str| Source {
            local: local.into(),
            url: url.into(),
            date: String::new(),
            line: 1,
        };
        assert_eq!(
            download_url(&s("md/a.md", "https://docs.velt.dev/a.md")),
            "https://docs.velt.dev/a.md"
        );
        assert_eq!(
            download_url(&s("md/a.md", "https://docs.velt.dev/a")),
            "https://docs.velt.dev/a.md"
        );
        assert_eq!(
            download_url(&s("mdx/a.mdx", "https://docs.velt.dev/a")),
            "https://docs.velt.dev/a"
        );
    }

    #[test]
    fn restamp_keeps_comments_and_other_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("SOURCES"),
            "# c\na.md\thttps://x/a.md\t2026-01-01\nb.txt\thttps://x/b\t2026-01-01\n",
        )
        .unwrap();
        restamp(dir.path(), &[2], "2030-05-06").unwrap();
        let text = std::fs::read_to_string(dir.path().join("SOURCES")).unwrap();
        assert_eq!(
            text,
            "# c\na.md\thttps://x/a.md\t2030-05-06\nb.txt\thttps://x/b\t2026-01-01\n"
        );
    }
}
