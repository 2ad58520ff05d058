//! `velt-drift fetch`: refreshes the snapshot from the URLs in `SOURCES`.
//!
//! SOURCES lists the local files and the page each one is a form of. Both download URLs derive
//! from the page's identity ([`page_key`]): a `.mdx` entry fetches the page's Mintlify source
//! from the public docs repository ([`DEFAULT_MDX_BASE`] + key + `.mdx`), a `.md` entry the
//! Markdown export of the docs site ([`DEFAULT_MD_BASE`] + key + `.md`); the bases can be
//! overridden (tests, mirrors). An answer that is a rendered HTML page is refused. Other entries
//! (`.rendered.txt`) are reference material and are skipped. Every page is downloaded before
//! any file is written, so a failed run leaves the snapshot as it was (unless `keep_going`).

use std::path::Path;
use std::time::Duration;

use crate::Error;
use crate::sources::{self, Source, page_key};

/// Where `.md` exports come from: the docs site.
pub const DEFAULT_MD_BASE: &str = "https://docs.velt.dev";
/// Where `.mdx` sources come from: the raw files of Velt's public docs repository.
pub const DEFAULT_MDX_BASE: &str = "https://raw.githubusercontent.com/velt-js/docs/main";

/// The base URLs the two forms of a page are downloaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bases {
    /// Base of the `.md` exports ([`DEFAULT_MD_BASE`]).
    pub md: String,
    /// Base of the `.mdx` sources ([`DEFAULT_MDX_BASE`]).
    pub mdx: String,
}

impl Default for Bases {
    fn default() -> Self {
        Bases {
            md: DEFAULT_MD_BASE.into(),
            mdx: DEFAULT_MDX_BASE.into(),
        }
    }
}

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

/// The URL downloaded for an entry: its page's key under the base of its form; `None` for an
/// entry that is not a page (`.rendered.txt`).
pub fn download_url(source: &Source, bases: &Bases) -> Option<String> {
    let (base, ext) = if source.local.ends_with(".mdx") {
        (&bases.mdx, "mdx")
    } else if source.is_page() {
        (&bases.md, "md")
    } else {
        return None;
    };
    Some(format!(
        "{}/{}.{ext}",
        base.trim_end_matches('/'),
        page_key(&source.url)
    ))
}

/// Downloads every page listed in `DOCS/SOURCES` and rewrites the files and their dates.
///
/// Without `keep_going` the first failure aborts before anything is written.
pub fn fetch(docs: &Path, bases: &Bases, keep_going: bool) -> Result<FetchOutcome, Error> {
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
        let Some(url) = download_url(source, bases) else {
            outcome
                .skipped
                .push((source.local.clone(), "reference only, not parsed".into()));
            continue;
        };
        match download(&agent, source, url) {
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

fn download(agent: &ureq::Agent, source: &Source, url: String) -> Result<String, Error> {
    let fail = |message: String| Error::Fetch {
        url: url.clone(),
        message,
    };
    let mut response = agent.get(&url).call().map_err(|e| {
        fail(format!(
            "{e}; check the network and the page URL in SOURCES line {}",
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
            "answered with a rendered HTML page, not the markup of {}; check the page URL in \
             SOURCES line {} and the download base",
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
    fn both_forms_derive_from_the_page_url() {
        let s = |local: &str, url: &str| Source {
            local: local.into(),
            url: url.into(),
            date: String::new(),
            line: 1,
        };
        let page = "https://docs.velt.dev/api-reference/rest-apis/v1/users/get-users";
        let bases = Bases::default();
        let md = "https://docs.velt.dev/api-reference/rest-apis/v1/users/get-users.md";
        let mdx = "https://raw.githubusercontent.com/velt-js/docs/main/api-reference/rest-apis/v1/users/get-users.mdx";
        for url in [page, md, mdx] {
            assert_eq!(
                download_url(&s("md/a.md", url), &bases).as_deref(),
                Some(md)
            );
            assert_eq!(
                download_url(&s("mdx/a.mdx", url), &bases).as_deref(),
                Some(mdx)
            );
        }
        assert_eq!(download_url(&s("md/a.rendered.txt", page), &bases), None);
        let local = Bases {
            md: "http://127.0.0.1:1/site/".into(),
            mdx: "http://127.0.0.1:1/raw".into(),
        };
        assert_eq!(
            download_url(&s("mdx/a.mdx", page), &local).as_deref(),
            Some("http://127.0.0.1:1/raw/api-reference/rest-apis/v1/users/get-users.mdx")
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
