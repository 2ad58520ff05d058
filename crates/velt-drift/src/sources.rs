//! `openapi/docs/SOURCES`: the one list of pinned pages and their URLs.
//!
//! One page a line, tab-separated: local path (relative to the docs directory), page URL,
//! retrieval date. Blank lines and `#` comments are ignored.
//!
//! A page comes in two forms, the `.mdx` source and the `.md` export, and both are known by one
//! identity, its [`page_key`]: the path of the page under the docs site
//! (`api-reference/rest-apis/v2/gdpr/get-all-user-data-gdpr`). The spec binds each operation to
//! page URLs (`externalDocs.url`); a local file documents the operations whose binding has the
//! same key as the file's SOURCES URL.

use std::path::{Path, PathBuf};

use crate::Error;

/// One line of SOURCES.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Path relative to the docs directory (`mdx/get-users.mdx`).
    pub local: String,
    /// The page URL.
    pub url: String,
    /// The retrieval date as written.
    pub date: String,
    /// 1-based line in SOURCES.
    pub line: usize,
}

impl Source {
    /// Whether the file is a page the parser reads (`.md` or `.mdx`), as opposed to reference
    /// material such as `.rendered.txt`.
    pub fn is_page(&self) -> bool {
        is_page_path(Path::new(&self.local))
    }
}

/// The identity of a documentation page, the same for every form of it: the URL's path from
/// its `api-reference/` segment on (the whole path when there is none), without a `.md` or
/// `.mdx` ending or trailing slash.
///
/// ```
/// use velt_drift::sources::page_key;
/// let key = "api-reference/rest-apis/v1/users/get-users";
/// assert_eq!(page_key("https://docs.velt.dev/api-reference/rest-apis/v1/users/get-users"), key);
/// assert_eq!(page_key("https://docs.velt.dev/api-reference/rest-apis/v1/users/get-users.md"), key);
/// assert_eq!(
///     page_key("https://raw.githubusercontent.com/velt-js/docs/main/api-reference/rest-apis/v1/users/get-users.mdx"),
///     key
/// );
/// ```
pub fn page_key(url: &str) -> String {
    let path = velt_docs::url_path(url);
    let path = path.trim_matches('/');
    let from = if path.starts_with("api-reference/") {
        path
    } else {
        path.find("/api-reference/")
            .and_then(|idx| path.get(idx + 1..))
            .unwrap_or(path)
    };
    let key = from
        .strip_suffix(".mdx")
        .or_else(|| from.strip_suffix(".md"))
        .unwrap_or(from);
    key.trim_end_matches('/').to_string()
}

/// Whether a path names a parseable page (`*.md`, `*.mdx`).
pub fn is_page_path(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("md" | "mdx")
    ) && path.file_name().and_then(|n| n.to_str()) != Some("README.md")
}

/// Parses the text of a SOURCES file.
pub fn parse(text: &str, path: &Path) -> Result<Vec<Source>, Error> {
    let mut sources = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let (Some(local), Some(url)) = (fields.first(), fields.get(1)) else {
            return Err(Error::Sources {
                path: path.to_path_buf(),
                line: idx + 1,
                message: "expected `local path<TAB>URL<TAB>date`".into(),
            });
        };
        if local.is_empty() || local.contains("..") || Path::new(local).is_absolute() {
            return Err(Error::Sources {
                path: path.to_path_buf(),
                line: idx + 1,
                message: format!("local path `{local}` must be relative to the docs directory"),
            });
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Error::Sources {
                path: path.to_path_buf(),
                line: idx + 1,
                message: format!("`{url}` is not an http(s) URL"),
            });
        }
        sources.push(Source {
            local: (*local).to_string(),
            url: (*url).to_string(),
            date: fields.get(2).map(|d| d.to_string()).unwrap_or_default(),
            line: idx + 1,
        });
    }
    Ok(sources)
}

/// Reads `DOCS/SOURCES`; `Ok(None)` when there is none.
pub fn read(docs: &Path) -> Result<Option<Vec<Source>>, Error> {
    let path = docs.join("SOURCES");
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io { path, source }),
    }
}

/// The pages to check under `docs`: every `.md`/`.mdx` listed in SOURCES (a listed page that
/// is missing is an error) plus every other `.md`/`.mdx` file found under the directory, so a
/// page dropped in by hand is checked too. Sorted, relative to `docs`.
pub fn pages(docs: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    if let Some(sources) = read(docs)? {
        for s in sources.iter().filter(|s| s.is_page()) {
            let rel = PathBuf::from(&s.local);
            if !docs.join(&rel).is_file() {
                return Err(Error::Sources {
                    path: docs.join("SOURCES"),
                    line: s.line,
                    message: format!(
                        "lists {} but the file is missing; run `velt-drift fetch` or remove the line",
                        s.local
                    ),
                });
            }
            found.push(rel);
        }
    }
    walk(docs, Path::new(""), &mut found)?;
    found.sort();
    found.dedup();
    if found.is_empty() {
        return Err(Error::NoPages {
            path: docs.to_path_buf(),
        });
    }
    Ok(found)
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let dir = root.join(rel);
    let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let rel_child = rel.join(entry.file_name());
        let ty = entry.file_type().map_err(|source| Error::Io {
            path: entry.path(),
            source,
        })?;
        if ty.is_dir() {
            walk(root, &rel_child, out)?;
        } else if is_page_path(&rel_child) {
            out.push(rel_child);
        }
    }
    Ok(())
}

/// The same path with `/` separators, for reports.
pub fn display(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page file of the snapshot is listed in SOURCES (none is checked unbound by
    /// accident), both forms of a page give the same page URL, and every page file exists.
    #[test]
    fn real_sources() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/docs");
        let sources = read(&docs).unwrap().unwrap();
        let mut listed: Vec<String> = sources
            .iter()
            .filter(|s| s.is_page())
            .map(|s| s.local.clone())
            .collect();
        listed.sort();
        let found: Vec<String> = pages(&docs).unwrap().iter().map(|p| display(p)).collect();
        assert_eq!(found, listed);
        assert!(listed.iter().any(|l| l.ends_with(".md")));
        assert!(listed.iter().any(|l| l.ends_with(".mdx")));
        for s in &sources {
            assert!(
                !s.url.ends_with(".md") && !s.url.ends_with(".mdx"),
                "{}: give the page URL",
                s.local
            );
            assert!(
                s.url.starts_with("https://docs.velt.dev/api-reference/"),
                "{}",
                s.url
            );
        }
    }

    #[test]
    fn page_keys_ignore_host_form_and_trailing_slash() {
        assert_eq!(page_key("http://127.0.0.1:8080/raw/a/b.mdx"), "raw/a/b");
        assert_eq!(
            page_key("https://docs.velt.dev/x/api-reference/a/"),
            "api-reference/a"
        );
        assert_eq!(
            page_key("https://docs.velt.dev/api-reference/a?x=1"),
            "api-reference/a"
        );
    }

    #[test]
    fn malformed_lines() {
        let p = Path::new("SOURCES");
        let err = parse("# c\nonly-one-field\n", p).unwrap_err();
        assert!(err.to_string().contains("SOURCES:2"), "{err}");
        let err = parse("../x.md\thttps://a\t2026\n", p).unwrap_err();
        assert!(err.to_string().contains("relative"), "{err}");
        let err = parse("x.md\tftp://a\t2026\n", p).unwrap_err();
        assert!(err.to_string().contains("http"), "{err}");
    }
}
